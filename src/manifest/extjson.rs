//! Document values a manifest gives as a mapping or as an Extended JSON
//! string (TOML has no null and no typed numbers): read into BSON. A leaf:
//! the conversion of declarations and the rules both use it.

use bson::Document;

use super::Invalid;
use crate::diagnostics::Format;

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

/// [`to_document`] for the option `option` of a file in `format`, where
/// plain text (not an Extended JSON document) is said as such, with what the
/// option looks like: `collation: "en"` is told that a collation is a
/// document, `{locale: "en"}` (`{ locale = "en" }` in TOML).
pub fn option_document(
    option: &str,
    value: &serde_json::Value,
    format: Format,
) -> Result<Document, Invalid> {
    match value {
        serde_json::Value::String(s) if !s.trim_start().starts_with('{') => Err(match option {
            "collation" => {
                let word = s.trim();
                let locale = if !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-@=;".contains(c))
                {
                    word
                } else {
                    "en"
                };
                let example = match format {
                    Format::Yaml => format!("{{locale: {locale:?}}}"),
                    Format::Toml => format!("{{ locale = {locale:?} }}"),
                };
                invalid!(
                    "must be a document such as {example}, not the text {s:?}: \
                         a collation is a document that names its locale (and any other \
                         collation fields), not a locale name alone"
                )
            }
            _ => invalid!(
                "must be a document, not the text {s:?} (a document written as text is \
                     Extended JSON and starts with {{)"
            ),
        }),
        _ => to_document(value),
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
