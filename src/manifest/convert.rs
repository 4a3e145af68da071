//! A declaration as written into the shared model, normalized the way the
//! server stores it; document-valued options read from YAML, TOML or
//! Extended JSON.

use bson::{Bson, Document};

use super::extjson::option_document;
use super::file::{DocValue, Flag, IndexDecl, KeyValue, Number};
use super::rules;
use crate::diagnostics::Format;
use crate::model::IndexSpec;

/// The model of one declaration, normalized the way the server stores it
/// (a fractional TTL, `bits` or text weight is truncated; `unique: 1` is
/// true). Problems reading a document-valued option come back as findings.
pub(super) fn convert_index(decl: &IndexDecl, format: Format) -> (IndexSpec, Vec<rules::Finding>) {
    let mut findings = Vec::new();
    let mut keys = Document::new();
    for (field, value) in &decl.keys {
        let bson = match value {
            KeyValue::Number(n) if n.fract() == 0.0 && n.abs() <= i32::MAX as f64 => {
                Bson::Int32(*n as i32)
            }
            KeyValue::Number(n) => Bson::Double(*n),
            KeyValue::Kind(k) => Bson::String(k.clone()),
        };
        keys.insert(field.clone(), bson);
    }
    let mut doc = |value: &Option<DocValue>, field: &str| -> Option<Document> {
        let value = value.as_ref()?;
        match option_document(field, &value.0, format) {
            Ok(d) => Some(d),
            Err(why) => {
                findings.push(rules::Finding {
                    option: field.to_string(),
                    message: why.0,
                    warning: false,
                });
                None
            }
        }
    };
    let partial_filter_expression = doc(&decl.partial_filter_expression, "partialFilterExpression");
    // The server keeps a whole strength (2.5 is stored as 2).
    let collation = doc(&decl.collation, "collation").map(|mut c| {
        if let Some(Bson::Double(f)) = c.get("strength") {
            if f.is_finite() {
                let whole = f.trunc() as i32;
                c.insert("strength", whole);
            }
        }
        c
    });
    // Weights are whole numbers on the server: 2.5 is stored as 2.
    let weights = doc(&decl.weights, "weights").map(|w| {
        w.into_iter()
            .map(|(k, v)| match v {
                Bson::Double(f) if f.is_finite() && f.trunc().abs() <= i32::MAX as f64 => {
                    (k, Bson::Int32(f.trunc() as i32))
                }
                other => (k, other),
            })
            .collect()
    });
    let wildcard_projection = doc(&decl.wildcard_projection, "wildcardProjection");
    let mut other = Document::new();
    if let Some(v) = decl.sphere_version {
        other.insert("2dsphereIndexVersion", whole(v));
    }
    if let Some(v) = decl.text_version {
        other.insert("textIndexVersion", whole(v));
    }
    let spec = IndexSpec {
        name: decl
            .name
            .clone()
            .unwrap_or_else(|| IndexSpec::default_name(&keys)),
        unique: decl.unique.is_some_and(Flag::value),
        sparse: decl.sparse.is_some_and(Flag::value),
        hidden: decl.hidden.unwrap_or(false),
        partial_filter_expression,
        // The server truncates toward zero; the range is checked on the value as written.
        expire_after_seconds: decl.expire_after_seconds.map(|n| match n {
            Number::Int(i) => i,
            Number::Float(f) if f.is_nan() => i32::MAX as i64,
            Number::Float(f) => f.trunc() as i64,
        }),
        collation,
        weights,
        default_language: decl.default_language.clone(),
        language_override: decl.language_override.clone(),
        wildcard_projection,
        bits: decl.bits.map(|b| b.as_f64().trunc() as i32),
        min: decl.min,
        max: decl.max,
        // Sent as the int the server reports back (`listIndexes`), so that
        // what it keeps is what it shows.
        finest_level: decl.finest_level.map(|n| n.as_f64() as i32),
        coarsest_level: decl.coarsest_level.map(|n| n.as_f64() as i32),
        keys,
        other,
        server_form: None,
        explicit_name: decl.name.is_some(),
    };
    (spec, findings)
}

/// A version number as the server stores it.
fn whole(n: Number) -> Bson {
    match n {
        Number::Int(i) => i32::try_from(i).map(Bson::Int32).unwrap_or(Bson::Int64(i)),
        Number::Float(f) => Bson::Double(f),
    }
}
