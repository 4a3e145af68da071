//! Document values a manifest gives as a mapping or as an Extended JSON
//! string (TOML has no null and no typed numbers): read into BSON. A leaf:
//! the conversion of declarations and the rules both use it.

use bson::Document;

use super::Invalid;

/// A document option: a mapping, or an Extended JSON string of one.
pub fn to_document(value: &serde_json::Value) -> Result<Document, Invalid> {
    let object = match value {
        serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .map_err(|e| invalid!("invalid Extended JSON: {e}"))?,
        other => other.clone(),
    };
    match object {
        serde_json::Value::Object(map) => {
            Document::try_from(map).map_err(|e| invalid!("invalid Extended JSON: {e}"))
        }
        other => Err(invalid!("expected a document, found {}", json_kind(&other))),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "a document",
    }
}
