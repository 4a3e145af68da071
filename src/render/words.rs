//! A plan in words, computed once into the report model (`render/model.rs`)
//! so that JSON and text carry the same: an index on one line, a step on one
//! line (a step's `line`), what a change does (a change's `what`).

use std::fmt::Write;

use serde_json::Value;

use crate::model::index::SERVER_ASSIGNED;
use crate::model::IndexSpec;
use crate::plan::{Change, Command, Step};

/// `{"a": 1, "b": -1} unique sparse ...`: the key and the options on one line.
pub fn one_line(spec: &IndexSpec) -> String {
    one_line_of(&bson::Bson::Document(spec.to_document()).into_relaxed_extjson())
}

/// [`one_line`] of an index spec as JSON (relaxed Extended JSON, as the
/// report carries it): its name and the fields the server assigns left out.
pub fn one_line_of(spec: &Value) -> String {
    let Value::Object(fields) = spec else {
        return spec.to_string();
    };
    let mut out = fields.get("key").unwrap_or(&Value::Null).to_string();
    let shown = fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "key" | "name"))
        .filter(|(k, _)| !SERVER_ASSIGNED.contains(&k.as_str()));
    for (k, v) in shown {
        let _ = match v {
            Value::Bool(true) => write!(out, " {k}"),
            other => write!(out, " {k}={other}"),
        };
    }
    out
}

/// An index spec without the fields the server assigns (never declared,
/// compared or shown in diffs).
pub fn without_server_fields(spec: &IndexSpec) -> IndexSpec {
    let mut shown = spec.clone();
    shown.other = spec
        .other
        .iter()
        .filter(|(k, _)| !SERVER_ASSIGNED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    shown
}

/// One step as a line: the server command and what it is about.
pub fn step_line(step: &Step) -> String {
    match &step.command {
        Command::CollMod { index, set } => {
            let (option, value) = set.option();
            format!("collMod {index} {option}={}", value.into_relaxed_extjson())
        }
        Command::Hide { index } => format!("collMod {index} hidden=true"),
        Command::CreateIndexes { indexes, .. } => {
            let names: Vec<&str> = indexes.iter().map(|(_, s)| s.name.as_str()).collect();
            format!("createIndexes {}", names.join(", "))
        }
        Command::DropIndex { index, .. } => format!("dropIndexes {index}"),
        Command::Migration { id } => format!("migration {id}"),
        Command::Reread => "re-read the database and plan again".into(),
        Command::CreateCollection { options } => {
            let names: Vec<&str> = options.keys().map(String::as_str).collect();
            match names.is_empty() {
                true => format!("create {}", step.collection),
                false => format!("create {} {}", step.collection, names.join(", ")),
            }
        }
        Command::ModifyCollection { set } => {
            let names: Vec<&str> = set.keys().map(String::as_str).collect();
            format!("collMod {} {}", step.collection, names.join(", "))
        }
    }
}

/// What the change does, after its name.
pub fn what(change: &Change) -> String {
    let differences = change.differences().join(", ");
    match change {
        Change::CreateCollection { options, .. } => match options.get_str("viewOn") {
            Ok(on) => format!("on {on:?}, with its pipeline"),
            Err(_) if options.is_empty() => "with no options".into(),
            Err(_) => {
                let names: Vec<&str> = options.keys().map(String::as_str).collect();
                format!("with {}", names.join(", "))
            }
        },
        Change::ModifyCollection { .. } => format!("in place (collMod): {differences}"),
        Change::Unchangeable { .. } => format!(
            "not made: the server can't change {differences} in place (drift until done by hand)"
        ),
        Change::Rename { from, .. } if differences == "name" => format!(
            "renames {:?}, same key and options (leaves a gap)",
            from.name
        ),
        Change::Rename { from, .. } => format!(
            "renames {:?} and rebuilds it: {differences} changed (leaves a gap)",
            from.name
        ),
        Change::Conflict { live, .. } => {
            format!("not built: it can't stand beside the live {:?}", live.name)
        }
        Change::Create { index, .. } => one_line(index),
        Change::Drop { index, .. } | Change::Hide { index, .. } => one_line(index),
        Change::Modify { from, to, .. } if from.name != to.name => format!(
            "in place (collMod) on the live {:?}: {differences}",
            from.name
        ),
        Change::Modify { .. } => format!("in place (collMod): {differences}"),
        Change::Replace { gap: true, .. } => format!(
            "drop, then rebuild: {differences} changed (leaves a gap: old and new can't coexist)"
        ),
        Change::Replace { .. } => {
            format!("rebuild beside, then swap: {differences} changed (covered throughout)")
        }
    }
}
