//! How the server reads a value in an option, a query or a schema, and the
//! near-miss hint its messages get here; a leaf the other rules share.

use bson::Bson;

pub(super) fn number(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(*i as f64),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(f) => Some(*f),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

/// Truthy as the server reads a flag (`unique: 1`).
pub(super) fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        other => number(other).is_some_and(|n| n != 0.0),
    }
}

/// `bsonType` aliases (`db/matcher/matcher_type_set.cpp`, `typeAliasMap`).
pub(super) const BSON_TYPES: &[&str] = &[
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

/// ": did you mean \"x\"?", when a near miss of a known name.
pub(super) fn hint(name: &str, known: &[&str]) -> String {
    crate::model::names::closest(name, known.iter().copied())
        .first()
        .map(|h| format!(": did you mean {h:?}?"))
        .unwrap_or_default()
}
