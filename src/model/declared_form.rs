//! A live index in the terms a person declares it. The server rewrites what
//! it is given: a text index's fields become `_fts`/`_ftsx` plus `weights`,
//! and a collation is resolved into every one of its fields. A diff that shows
//! that form lists fields the user never wrote as "removed"; this gives the
//! live index back the way the declaration (or, without one, a person) says it.

use bson::{Bson, Document};

use super::index::{as_f64, IndexSpec};

/// Whether a resolved collation field is at its ICU default, as
/// `listIndexes` reports it (`strength` 3 is the default of almost every
/// locale). `version`, the ICU version the server picked, is never declared.
fn is_default(field: &str, value: &Bson) -> bool {
    match field {
        "caseLevel" | "numericOrdering" | "normalization" | "backwards" => {
            value.as_bool() == Some(false)
        }
        "strength" => as_f64(value) == Some(3.0),
        "caseFirst" => value.as_str() == Some("off"),
        "alternate" => value.as_str() == Some("non-ignorable"),
        "maxVariable" => value.as_str() == Some("punct"),
        _ => false,
    }
}

/// `live` as `declared` would say it: the fields it declares are kept as the
/// server reports them, what the server filled in by default is left out.
pub fn declared_form(live: &IndexSpec, declared: Option<&IndexSpec>) -> IndexSpec {
    let mut shown = live.clone();
    shown.server_form = None;
    if live.keys.contains_key("_fts") {
        text_form(&mut shown, declared);
    }
    if let Some(collation) = &live.collation {
        let wanted = declared.and_then(|d| d.collation.as_ref());
        shown.collation = Some(collation_form(collation, wanted));
    }
    shown
}

/// `live` as a person declares it with no declaration to follow (`mig pull`):
/// [`declared_form`], and nothing the server keeps for itself (`v`,
/// `textIndexVersion`, `2dsphereIndexVersion`, `storageEngine`, …), which a
/// declaration leaves to the server.
pub fn as_a_person_declares(live: &IndexSpec) -> IndexSpec {
    let mut declared = declared_form(live, None);
    declared.other = Document::new();
    declared
}

/// `{_fts: "text", _ftsx: 1}` + weights → the text fields in the declared
/// order; weights of 1 and the default language fields left out unless declared.
fn text_form(shown: &mut IndexSpec, declared: Option<&IndexSpec>) {
    let weights = shown.weights.clone().unwrap_or_default();
    // The declared order first (the server reports weights sorted by name).
    let mut fields: Vec<&str> = declared
        .map(|d| {
            d.keys
                .iter()
                .filter(|(k, v)| v.as_str() == Some("text") && weights.contains_key(k.as_str()))
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default();
    for field in weights.keys() {
        if !fields.contains(&field.as_str()) {
            fields.push(field);
        }
    }
    let mut keys = Document::new();
    for (k, v) in &shown.keys {
        match k.as_str() {
            "_fts" => {
                for field in &fields {
                    keys.insert(*field, "text");
                }
            }
            "_ftsx" => {}
            _ => {
                keys.insert(k.clone(), v.clone());
            }
        }
    }
    shown.keys = keys;
    let declared_weights = declared.and_then(|d| d.weights.as_ref());
    let kept: Document = weights
        .iter()
        .filter(|(k, w)| {
            as_f64(w) != Some(1.0) || declared_weights.is_some_and(|d| d.contains_key(k.as_str()))
        })
        .map(|(k, w)| (k.clone(), w.clone()))
        .collect();
    shown.weights = (!kept.is_empty()).then_some(kept);
    let declares = |f: fn(&IndexSpec) -> bool| declared.is_some_and(f);
    if shown.default_language.as_deref() == Some("english")
        && !declares(|d| d.default_language.is_some())
    {
        shown.default_language = None;
    }
    if shown.language_override.as_deref() == Some("language")
        && !declares(|d| d.language_override.is_some())
    {
        shown.language_override = None;
    }
}

/// The locale, the declared fields, and those not at their default.
fn collation_form(live: &Document, declared: Option<&Document>) -> Document {
    live.iter()
        .filter(|(k, v)| {
            let k = k.as_str();
            k == "locale"
                || declared.is_some_and(|d| d.contains_key(k))
                || (k != "version" && !is_default(k, v))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
#[path = "declared_form_tests.rs"]
mod tests;
