//! Collations as the server stores them. `mongod` resolves a declared
//! collation in full: every field it leaves out gets the default ICU gives
//! its locale, and those defaults differ by locale (`fr_CA` sorts accents
//! backwards, `th` ignores punctuation, `da` puts upper case first). Two
//! collations are the same when their resolved forms are; `{locale: "en"}`
//! is strength 3, never "whatever strength the live one has".
//!
//! The defaults are data, `collations.tsv`, captured from the real server
//! (`cargo run --example devdb -- collations`), and `tests/it/server_parity.rs`
//! checks the file against it. The resolution itself is the server's
//! `CollatorFactoryICU::makeFromBSON` (`src/mongo/db/query/collation/
//! collator_factory_icu.cpp`, r6.0.5): the locale's defaults, each declared
//! field over them, `locale: "simple"` meaning no collation at all.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bson::{Bson, Document};

use super::value::normalize;

/// Every locale the server accepts, with its resolved defaults.
const DATA: &str = include_str!("collations.tsv");

/// The resolved fields, in the order the server lists them after `locale`.
pub const FIELDS: &[&str] = &[
    "caseLevel",
    "caseFirst",
    "strength",
    "numericOrdering",
    "alternate",
    "maxVariable",
    "normalization",
    "backwards",
    "version",
];

/// Each locale's defaults, read once from [`DATA`].
static DEFAULTS: LazyLock<BTreeMap<&'static str, Document>> = LazyLock::new(|| {
    let mut header: Vec<&str> = Vec::new();
    let mut out = BTreeMap::new();
    for line in DATA
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells[0] == "locale" {
            header = cells;
            continue;
        }
        let mut resolved = Document::new();
        resolved.insert("locale", cells[0]);
        for (column, cell) in header.iter().zip(&cells).skip(1) {
            resolved.insert(*column, cell_value(cell));
        }
        out.insert(cells[0], resolved);
    }
    out
});

fn cell_value(cell: &str) -> Bson {
    match cell {
        "true" => Bson::Boolean(true),
        "false" => Bson::Boolean(false),
        _ => cell
            .parse::<i32>()
            .map(Bson::Int32)
            .unwrap_or_else(|_| Bson::String(cell.to_string())),
    }
}

/// The locales the server accepts (`simple` aside), sorted.
pub fn locales() -> impl Iterator<Item = &'static str> {
    DEFAULTS.keys().copied()
}

/// Whether `locale` is one the server accepts (`simple` included).
pub fn is_known_locale(locale: &str) -> bool {
    locale == "simple" || DEFAULTS.contains_key(locale)
}

pub fn is_simple(collation: &Document) -> bool {
    collation.get_str("locale") == Ok("simple")
}

/// The collation the server stores for `declared`: `None` for the simple
/// locale, else the locale's defaults with each declared field over them.
/// An unknown locale (which the manifest rules refuse) is kept as declared.
pub fn resolve(declared: &Document) -> Option<Document> {
    if is_simple(declared) {
        return None;
    }
    let locale = declared.get_str("locale").ok()?;
    let Some(defaults) = DEFAULTS.get(locale) else {
        return Some(declared.clone());
    };
    let mut resolved = defaults.clone();
    for (field, value) in declared {
        resolved.insert(field.clone(), value.clone());
    }
    Some(resolved)
}

/// Whether two collations, declared or reported, are the same to the server:
/// equal once both are resolved (field order and number types aside).
/// `None` is the simple collation.
pub fn same(a: Option<&Document>, b: Option<&Document>) -> bool {
    let a = a.and_then(resolve);
    let b = b.and_then(resolve);
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).map(normalize) == Some(normalize(v)))
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "collation_tests.rs"]
mod tests;
