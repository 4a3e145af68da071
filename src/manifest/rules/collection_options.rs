//! A collection's own options: the declaration read into `create`'s form,
//! and the server's rules for it. Each rule names the server source it comes
//! from (`mongodb/mongo` at r6.0.5) and was checked against `mongod` 6.0.5:
//! `db/catalog/collection_options.cpp` (what `create` takes together),
//! `db/matcher/schema/json_schema_parser.cpp` (`$jsonSchema`),
//! `db/views/view_catalog.cpp` and `db/pipeline/*` (a view's pipeline).

use bson::{doc, Bson, Document};

use super::options::collation_rules;
use super::Finding;
use crate::manifest::convert::to_document;
use crate::manifest::file::{CollectionDecl, Expiry, Number};
use crate::model::collection::VIEW_OPTIONS;
use crate::model::names::MIG_COLLECTION;

/// The declared options in `create`'s form (`None` when none is declared),
/// and what is wrong with them.
pub fn collection_options(decl: &CollectionDecl) -> (Option<Document>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut o = Document::new();
    let document =
        |option: &str, v: &serde_json::Value, out: &mut Vec<Finding>| match to_document(v) {
            Ok(d) => Some(d),
            Err(e) => {
                out.push(Finding::error(option, e.0));
                None
            }
        };
    if let Some(v) = &decl.validator {
        if let Some(d) = document("validator", &v.0, &mut out) {
            validator_rules(&d, &mut out);
            o.insert("validator", d);
        }
    }
    if let Some(level) = decl.validation_level {
        o.insert("validationLevel", word(level));
    }
    if let Some(action) = decl.validation_action {
        o.insert("validationAction", word(action));
    }
    if let Some(v) = &decl.collation {
        if let Some(d) = document("collation", &v.0, &mut out) {
            collation_rules(&d, super::keys::Plugin::Btree, &mut out);
            o.insert("collation", d);
        }
    }
    if let Some(capped) = decl.capped {
        o.insert("capped", capped);
    }
    for (option, value) in [("size", decl.size), ("max", decl.max)] {
        if let Some(n) = value {
            o.insert(option, whole(n));
        }
    }
    if let Some(ts) = &decl.timeseries {
        let mut t = doc! {"timeField": &ts.time_field};
        if let Some(meta) = &ts.meta_field {
            t.insert("metaField", meta);
        }
        if let Some(g) = ts.granularity {
            t.insert("granularity", word(g));
        }
        for (field, value) in [
            ("bucketMaxSpanSeconds", ts.bucket_max_span_seconds),
            ("bucketRoundingSeconds", ts.bucket_rounding_seconds),
        ] {
            if let Some(n) = value {
                t.insert(field, whole(n));
            }
        }
        o.insert("timeseries", t);
    }
    if let Some(e) = decl.expire_after_seconds {
        o.insert(
            "expireAfterSeconds",
            match e {
                Expiry::Seconds(n) => whole(n),
                Expiry::Off => Bson::String("off".into()),
            },
        );
    }
    if let Some(v) = &decl.clustered_index {
        if let Some(d) = document("clusteredIndex", &v.0, &mut out) {
            o.insert("clusteredIndex", d);
        }
    }
    if let Some(p) = &decl.change_stream_pre_and_post_images {
        o.insert("changeStreamPreAndPostImages", doc! {"enabled": p.enabled});
    }
    if let Some(on) = &decl.view_on {
        o.insert("viewOn", on);
    }
    if let Some(p) = &decl.pipeline {
        match pipeline(&p.0) {
            Ok(stages) => {
                pipeline_rules(&stages, &mut out);
                o.insert("pipeline", stages);
            }
            Err(why) => out.push(Finding::error("pipeline", why)),
        }
    }
    if o.is_empty() {
        return (None, out);
    }
    combination_rules(&decl.name, &o, !decl.indexes.is_empty(), &mut out);
    (Some(o), out)
}

/// An option's value as the manifest spells it (`strict`, `minutes`).
fn word(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A number as the server stores a whole one.
fn whole(n: Number) -> Bson {
    match n {
        Number::Int(i) => Bson::Int64(i),
        Number::Float(f) if f.fract() == 0.0 => Bson::Int64(f as i64),
        Number::Float(f) => Bson::Double(f),
    }
}

fn pipeline(value: &serde_json::Value) -> Result<Vec<Bson>, String> {
    let value = match value {
        serde_json::Value::String(s) => {
            serde_json::from_str(s).map_err(|e| format!("not a valid Extended JSON list: {e}"))?
        }
        other => other.clone(),
    };
    let serde_json::Value::Array(stages) = value else {
        return Err("a pipeline is a list of stages".into());
    };
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            serde_json::Value::Object(_) => to_document(s)
                .map(Bson::Document)
                .map_err(|e| format!("stage {i}: {}", e.0)),
            _ => Err(format!("stage {i} is not a document")),
        })
        .collect()
}

/// Options that go together, or don't (`collection_options.cpp`,
/// `create_collection.cpp`), and where options may be declared.
fn combination_rules(name: &str, o: &Document, has_indexes: bool, out: &mut Vec<Finding>) {
    let has = |k: &str| o.contains_key(k);
    if name == MIG_COLLECTION || name.starts_with(&format!("{MIG_COLLECTION}.")) {
        out.push(Finding::error(
            "name",
            format!("{name:?} is mig's own collection: its options are not declared"),
        ));
    }
    if has("viewOn") {
        if has_indexes {
            out.push(Finding::error(
                "indexes",
                "a view has no indexes of its own: index the collection it reads",
            ));
        }
        for key in o.keys().filter(|k| !VIEW_OPTIONS.contains(&k.as_str())) {
            out.push(Finding::error(
                key,
                format!("a view takes only viewOn, pipeline and collation: the server ignores {key} on a view"),
            ));
        }
        if o.get_str("viewOn") == Ok("") {
            out.push(Finding::error("viewOn", "'viewOn' cannot be empty"));
        }
        return;
    }
    if has("pipeline") {
        out.push(Finding::error(
            "pipeline",
            "'pipeline' requires 'viewOn' to also be specified",
        ));
    }
    let capped = o.get_bool("capped").unwrap_or(false);
    if capped && !has("size") {
        out.push(Finding::error(
            "capped",
            "the 'size' field is required when 'capped' is true",
        ));
    }
    if !capped && (has("size") || has("max")) {
        out.push(Finding::error(
            if has("size") { "size" } else { "max" },
            "the 'capped' field needs to be true when either the 'size' or 'max' fields are present",
        ));
    }
    if let Some(size) = o.get("size").and_then(crate::model::collection::as_i64) {
        if size < 1 {
            out.push(Finding::error(
                "size",
                format!("must be at least 1 (bytes), not {size}"),
            ));
        }
    }
    if let Some(max) = o.get("max").and_then(crate::model::collection::as_i64) {
        if max < 0 {
            out.push(Finding::error(
                "max",
                format!("must not be negative, not {max}"),
            ));
        }
    }
    if let Ok(ts) = o.get_document("timeseries") {
        for other in [
            "capped",
            "changeStreamPreAndPostImages",
            "clusteredIndex",
            "validator",
        ] {
            if has(other) {
                out.push(Finding::error(
                    other,
                    format!("'timeseries' is not allowed with '{other}'"),
                ));
            }
        }
        if ts.get_str("timeField") == Ok("") {
            out.push(Finding::error("timeseries.timeField", "cannot be empty"));
        }
        if ts.get_str("metaField").is_ok() && ts.get_str("metaField") == ts.get_str("timeField") {
            out.push(Finding::error(
                "timeseries.metaField",
                "the metaField must be different from the timeField",
            ));
        }
        let spans = ["bucketMaxSpanSeconds", "bucketRoundingSeconds"].map(|f| ts.contains_key(f));
        if spans[0] != spans[1] {
            out.push(Finding::error(
                "timeseries",
                "bucketMaxSpanSeconds and bucketRoundingSeconds go together (MongoDB 6.3+)",
            ));
        }
        if spans[0] && ts.contains_key("granularity") {
            out.push(Finding::error(
                "timeseries.granularity",
                "a granularity and custom bucketing (bucketMaxSpanSeconds) exclude each other",
            ));
        }
    }
    if has("expireAfterSeconds") && !has("timeseries") && !has("clusteredIndex") {
        out.push(Finding::error(
            "expireAfterSeconds",
            "'expireAfterSeconds' is only supported on time-series collections or when the \
             'clusteredIndex' option is specified",
        ));
    }
    if let Some(ttl) = o
        .get("expireAfterSeconds")
        .and_then(crate::model::collection::as_i64)
    {
        if ttl < 0 {
            out.push(Finding::error(
                "expireAfterSeconds",
                "must be a non-negative number of seconds, or \"off\"",
            ));
        }
    }
    if let Ok(c) = o.get_document("clusteredIndex") {
        let key_ok = c.get_document("key").is_ok_and(|k| {
            k.len() == 1 && k.get("_id").and_then(crate::model::collection::as_i64) == Some(1)
        });
        if !key_ok {
            out.push(Finding::error(
                "clusteredIndex.key",
                "the clusteredIndex option is only supported for key: {_id: 1}",
            ));
        }
        if c.get_bool("unique") != Ok(true) {
            out.push(Finding::error(
                "clusteredIndex.unique",
                "a clustered index must be unique: unique: true",
            ));
        }
        for key in c
            .keys()
            .filter(|k| !["key", "unique", "name", "v"].contains(&k.as_str()))
        {
            out.push(Finding::error(
                &format!("clusteredIndex.{key}"),
                format!("unknown clusteredIndex field {key:?} (key, unique, name, v)"),
            ));
        }
    }
}

/// `$jsonSchema` keywords the 6.0 server reads (`json_schema_parser.cpp`).
const SCHEMA_KEYWORDS: &[&str] = &[
    "additionalItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "bsonType",
    "dependencies",
    "description",
    "encrypt",
    "encryptMetadata",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "multipleOf",
    "not",
    "oneOf",
    "pattern",
    "patternProperties",
    "properties",
    "required",
    "title",
    "type",
    "uniqueItems",
];

/// JSON Schema keywords the server knows and refuses: "not currently supported".
const UNSUPPORTED_KEYWORDS: &[&str] =
    &["$ref", "$schema", "default", "definitions", "format", "id"];

/// `bsonType` aliases (`db/matcher/matcher_type_set.cpp`, `typeAliasMap`).
const BSON_TYPES: &[&str] = &[
    "double",
    "string",
    "object",
    "array",
    "binData",
    "undefined",
    "objectId",
    "bool",
    "date",
    "null",
    "regex",
    "dbPointer",
    "javascript",
    "symbol",
    "javascriptWithScope",
    "int",
    "timestamp",
    "long",
    "decimal",
    "minKey",
    "maxKey",
    "number",
];

/// JSON types `type` takes (`integer` is JSON Schema's, not supported).
const JSON_TYPES: &[&str] = &["object", "array", "number", "boolean", "string", "null"];

fn validator_rules(v: &Document, out: &mut Vec<Finding>) {
    query_rules(v, "validator", out);
    if let Some(schema) = v.get("$jsonSchema") {
        match schema {
            Bson::Document(s) => schema_rules(s, "validator.$jsonSchema", out),
            _ => out.push(Finding::error(
                "validator.$jsonSchema",
                "$jsonSchema must be an object",
            )),
        }
    }
}

/// Query operators a validator can't use (`expression_parser.cpp`:
/// "not allowed in this context").
fn query_rules(d: &Document, at: &str, out: &mut Vec<Finding>) {
    for (k, v) in d {
        let path = format!("{at}.{k}");
        match k.as_str() {
            "$near" | "$nearSphere" | "$geoNear" => out.push(Finding::error(
                &path,
                "$geoNear, $near, and $nearSphere are not allowed in a validator",
            )),
            "$text" | "$where" => out.push(Finding::error(
                &path,
                format!("{k} is not allowed in a validator"),
            )),
            "$jsonSchema" => {}
            _ => match v {
                Bson::Document(inner) => query_rules(inner, &path, out),
                Bson::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Bson::Document(inner) = item {
                            query_rules(inner, &format!("{path}[{i}]"), out);
                        }
                    }
                }
                _ => {}
            },
        }
    }
}

fn schema_rules(s: &Document, at: &str, out: &mut Vec<Finding>) {
    let number = |v: &Bson| {
        matches!(
            v,
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_)
        )
    };
    for (k, v) in s {
        let path = format!("{at}.{k}");
        let bad =
            |out: &mut Vec<Finding>, message: String| out.push(Finding::error(&path, message));
        if UNSUPPORTED_KEYWORDS.contains(&k.as_str()) {
            bad(
                out,
                format!("$jsonSchema keyword '{k}' is not currently supported"),
            );
            continue;
        }
        if !SCHEMA_KEYWORDS.contains(&k.as_str()) {
            let hint = crate::model::names::closest(k, SCHEMA_KEYWORDS.iter().copied());
            let hint = hint
                .first()
                .map(|h| format!(": did you mean {h:?}?"))
                .unwrap_or_default();
            bad(out, format!("unknown $jsonSchema keyword {k:?}{hint}"));
            continue;
        }
        let sub = |v: &Bson, path: &str, out: &mut Vec<Finding>| match v {
            Bson::Document(d) => schema_rules(d, path, out),
            _ => out.push(Finding::error(path, "must be an object (a schema)")),
        };
        match k.as_str() {
            "bsonType" => {
                let names: Vec<&Bson> = match v {
                    Bson::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                for name in names {
                    match name.as_str() {
                        Some(n) if BSON_TYPES.contains(&n) => {}
                        Some(n) => {
                            let hint = crate::model::names::closest(n, BSON_TYPES.iter().copied());
                            let hint = hint
                                .first()
                                .map(|h| format!(": did you mean {h:?}?"))
                                .unwrap_or_default();
                            bad(out, format!("Unknown type name alias: {n}{hint}"));
                        }
                        None => bad(out, "a type name (a string) or a list of them".into()),
                    }
                }
            }
            "type" => {
                let names: Vec<&Bson> = match v {
                    Bson::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                for name in names {
                    match name.as_str() {
                        Some(n) if JSON_TYPES.contains(&n) => {}
                        Some("integer") => bad(
                            out,
                            "$jsonSchema type 'integer' is not currently supported: use bsonType \"int\" or \"long\"".into(),
                        ),
                        Some(n) => bad(out, format!("Unknown $jsonSchema type name: {n}")),
                        None => bad(out, "a type name (a string) or a list of them".into()),
                    }
                }
            }
            "minimum" | "maximum" | "multipleOf" if !number(v) => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a number"))
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties"
                if !number(v) =>
            {
                bad(out, format!("$jsonSchema keyword '{k}' must be a number"))
            }
            "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" if v.as_bool().is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a boolean"))
            }
            "required" => match v.as_array() {
                Some(a) if a.is_empty() => bad(
                    out,
                    "$jsonSchema keyword 'required' cannot be an empty array".into(),
                ),
                Some(a) if a.iter().all(|x| x.as_str().is_some()) => {}
                _ => bad(
                    out,
                    "$jsonSchema keyword 'required' must be an array of strings".into(),
                ),
            },
            "enum" => match v.as_array() {
                Some(a) if !a.is_empty() => {}
                _ => bad(
                    out,
                    "$jsonSchema keyword 'enum' must be a non-empty array".into(),
                ),
            },
            "properties" | "patternProperties" | "dependencies" => match v.as_document() {
                Some(props) => {
                    for (name, schema) in props {
                        if k == "dependencies" && schema.as_array().is_some() {
                            continue;
                        }
                        sub(schema, &format!("{path}.{name}"), out);
                    }
                }
                None => bad(out, format!("$jsonSchema keyword '{k}' must be an object")),
            },
            "items" | "additionalItems" | "additionalProperties" => match v {
                Bson::Boolean(_) if k != "items" => {}
                Bson::Array(a) if k == "items" => {
                    for (i, schema) in a.iter().enumerate() {
                        sub(schema, &format!("{path}[{i}]"), out);
                    }
                }
                other => sub(other, &path, out),
            },
            "allOf" | "anyOf" | "oneOf" => match v.as_array() {
                Some(a) if !a.is_empty() => {
                    for (i, schema) in a.iter().enumerate() {
                        sub(schema, &format!("{path}[{i}]"), out);
                    }
                }
                _ => bad(
                    out,
                    format!("$jsonSchema keyword '{k}' must be a non-empty array"),
                ),
            },
            "not" => sub(v, &path, out),
            "pattern" | "description" | "title" if v.as_str().is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a string"))
            }
            _ => {}
        }
    }
}

/// Stages a view can't have (`view_catalog.cpp`: a view's pipeline may not
/// write, and a change stream is not a view).
fn pipeline_rules(stages: &[Bson], out: &mut Vec<Finding>) {
    for (i, stage) in stages.iter().enumerate() {
        let Some(stage) = stage.as_document() else {
            continue;
        };
        let path = format!("pipeline[{i}]");
        if stage.len() != 1 || !stage.keys().all(|k| k.starts_with('$')) {
            out.push(Finding::error(
                &path,
                "a pipeline stage is a document with exactly one field, the stage's name ($match, $project, …)",
            ));
            continue;
        }
        let name = stage.keys().next().map(String::as_str).unwrap_or_default();
        match name {
            "$out" | "$merge" => out.push(Finding::error(
                &path,
                format!("the aggregation stage {name} cannot be used in a view definition because it writes to disk"),
            )),
            "$changeStream" => out.push(Finding::error(
                &path,
                "$changeStream cannot be used in a view definition",
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "collection_options_tests.rs"]
mod tests;
