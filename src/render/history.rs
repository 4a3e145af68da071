//! `mig history`: the journal and the data migrations of a database, newest first.

use bson::Document;

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
        out.push_str(&format!(
            "{time}  {:<7} {:<14} {}.{}  {took}  ({}, run {}){error}\n",
            e.get_str("outcome").unwrap_or("?"),
            e.get_str("step").unwrap_or("?"),
            e.get_str("collection").unwrap_or("?"),
            e.get_str("index").unwrap_or("?"),
            e.get_str("command").unwrap_or("?"),
            e.get_str("run").unwrap_or("?"),
        ));
    }
    out
}
