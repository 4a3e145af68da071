//! `mig history`: the journal and the data migrations of a database, newest first.

use bson::Document;

use crate::plan::{CommandName, Why};

/// What a journal entry says its step was.
#[derive(Debug, PartialEq)]
enum Recorded {
    /// Its command and its place, by the names saved plans and JSON use.
    Step(CommandName, Why),
    /// A label, as entries written before `why` was recorded have it
    /// (`drop (replaced)`, `collMod (hide)`, ...), or a name this mig doesn't
    /// know: shown as stored.
    Label(String),
}

fn recorded(entry: &Document) -> Recorded {
    let command = entry
        .get("step")
        .cloned()
        .map(bson::from_bson::<CommandName>);
    let why = entry.get("why").cloned().map(bson::from_bson::<Why>);
    match (command, why) {
        (Some(Ok(command)), Some(Ok(why))) => Recorded::Step(command, why),
        _ => Recorded::Label(entry.get_str("step").unwrap_or("?").to_string()),
    }
}

/// `--format json`: the entries as relaxed extended JSON.
pub fn json(entries: &[Document]) -> String {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|d| bson::Bson::Document(d.clone()).into_relaxed_extjson())
        .collect();
    super::json::document(&serde_json::Value::Array(items))
}

/// For people: one line per step or migration.
pub fn text(database: &str, entries: &[Document]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str(&format!("{database}: nothing recorded yet\n"));
    }
    for e in entries {
        let time = e
            .get_datetime("startedAt")
            .ok()
            .and_then(|t| t.try_to_rfc3339_string().ok())
            .unwrap_or_default();
        let took = match (e.get_datetime("startedAt"), e.get_datetime("endedAt")) {
            (Ok(a), Ok(b)) => format!("{} ms", b.timestamp_millis() - a.timestamp_millis()),
            _ => e
                .get_i64("durationMs")
                .map_or("-".into(), |ms| format!("{ms} ms")),
        };
        let error = e
            .get_str("error")
            .map(|m| format!("  {m}"))
            .unwrap_or_default();
        if e.get_str("kind") == Ok("migration") {
            out.push_str(&format!(
                "{time}  {:<7} {:<14} {}  {took}  (batch {}){error}\n",
                e.get_str("outcome").unwrap_or("?"),
                "migration",
                e.get_str("id").unwrap_or("?"),
                e.get_i64("batch").unwrap_or(0),
            ));
            continue;
        }
        // The step's place, when recorded, after how long it took.
        let (step, why) = match recorded(e) {
            Recorded::Step(command, why) => (command.to_string(), format!("{why}  ")),
            Recorded::Label(label) => (label, String::new()),
        };
        out.push_str(&format!(
            "{time}  {:<7} {step:<14} {}.{}  {took}  {why}({}, run {}){error}\n",
            e.get_str("outcome").unwrap_or("?"),
            e.get_str("collection").unwrap_or("?"),
            e.get_str("index").unwrap_or("?"),
            e.get_str("command").unwrap_or("?"),
            e.get_str("run").unwrap_or("?"),
        ));
    }
    out
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
