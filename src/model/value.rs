//! Values as the server compares them: numbers by value, whatever their BSON
//! type (`1` == `1.0` == `NumberLong(1)`). A leaf of `model`: the comparison,
//! collations and filters all build on it.

use bson::{Bson, Document};

/// Numbers become doubles, recursively, so they compare by value.
pub fn normalize(value: &Bson) -> Bson {
    match value {
        Bson::Int32(i) => Bson::Double(*i as f64),
        Bson::Int64(i) => Bson::Double(*i as f64),
        Bson::Document(d) => Bson::Document(normalize_doc(d)),
        Bson::Array(a) => Bson::Array(a.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

pub fn normalize_doc(d: &Document) -> Document {
    d.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()
}
