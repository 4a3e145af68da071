//! The one comparison of two indexes. Both sides go through the same
//! normalization, mirroring what the server itself does (see the server's
//! `IndexDescriptor::compareIndexOptions`):
//! - numbers compare by value (`1` == `1.0` == `NumberLong(1)`), order matters;
//! - `unique`, `sparse`, `hidden` are booleans where absent means false;
//! - text indexes are compared in the server's rewritten form
//!   (`_fts`/`_ftsx` key, a full weights map, default languages);
//! - collations compare resolved in full, as the server stores them
//!   ([`super::collation`]); an index declared without one inherits the
//!   collection's, and `locale: "simple"` is no collation;
//! - partial filters compare as the server's parser normalizes them
//!   ([`super::filter`]);
//! - server-assigned fields (`v`, `textIndexVersion`, …) are never compared.
//!
//! Two indexes are the *same index* to the server when their identity
//! ([`IDENTITY`]) is equal: the server won't hold both (code 85), whatever
//! their names. Their other options then either change in place (`collMod`:
//! a TTL value, a TTL added to a single-field index, `hidden`) or need a new
//! build that can't stand beside the old one (text weights and languages,
//! 2d bits and bounds, 2dsphere cell levels, a TTL removed).

use std::collections::BTreeMap;

use bson::Document;

use super::index::{as_f64, IndexSpec};
use super::value::{normalize, normalize_doc};
use super::{collation, filter};

/// What differs between a declared index and a live one of the same name.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Same,
    /// Only options `collMod` changes in place differ.
    Modify(Modification),
    /// Something only a new build can change; the differing fields.
    Rebuild(Vec<&'static str>),
}

/// An in-place change made with `collMod`; `None` leaves that option alone.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Modification {
    pub expire_after_seconds: Option<i64>,
    pub hidden: Option<bool>,
    /// Non-unique → unique: `prepareUnique`, then `unique` (MongoDB 6.0+).
    pub unique: bool,
}

/// The fields that make two indexes the same index to the server: two indexes
/// equal in all of them cannot coexist (code 85), whatever their names.
const IDENTITY: &[&str] = &[
    "key",
    "unique",
    "sparse",
    "partialFilterExpression",
    "collation",
    "wildcardProjection",
];

/// Compares a declared index with a live one, on a collection whose default
/// collation is `collection_collation`.
pub fn compare(
    desired: &IndexSpec,
    live: &IndexSpec,
    collection_collation: Option<&Document>,
) -> Verdict {
    let diffs = differences(desired, live, collection_collation);
    if diffs.is_empty() {
        return Verdict::Same;
    }
    let in_place = diffs.iter().all(|f| match *f {
        "hidden" => true,
        // collMod converts to unique (never back), after a duplicate check.
        "unique" => desired.unique && !live.unique,
        // collMod changes a TTL value, and (5.1+) turns a single-field
        // index other than `_id` into a TTL index; it can't remove one
        // (`coll_mod.cpp`; mongod 6.0.5 answers `expireAfterSeconds_new`).
        "expireAfterSeconds" => {
            desired.expire_after_seconds.is_some()
                && (live.expire_after_seconds.is_some() || can_become_ttl(live))
        }
        _ => false,
    });
    if !in_place {
        return Verdict::Rebuild(diffs);
    }
    Verdict::Modify(Modification {
        expire_after_seconds: diffs
            .contains(&"expireAfterSeconds")
            .then_some(desired.expire_after_seconds)
            .flatten(),
        hidden: diffs.contains(&"hidden").then_some(desired.hidden),
        unique: diffs.contains(&"unique"),
    })
}

/// `collMod` adds a TTL to an index of one key field, `_id` aside (mongod
/// 6.0.5: ascending, 2dsphere, hashed, unique; a compound index is refused
/// with code 72).
fn can_become_ttl(live: &IndexSpec) -> bool {
    live.keys.len() == 1 && !live.has_id_key() && !live.is_wildcard() && !live.is_text()
}

/// True when the server would take `desired` and `live` for the same index
/// (so one can't be built while the other exists), names aside.
pub fn same_identity(
    desired: &IndexSpec,
    live: &IndexSpec,
    collection_collation: Option<&Document>,
) -> bool {
    differences(desired, live, collection_collation)
        .iter()
        .all(|f| !IDENTITY.contains(f))
}

/// Same identity between two declared indexes (collations compared both ways).
pub fn same_declared_identity(a: &IndexSpec, b: &IndexSpec) -> bool {
    same_identity(a, b, None) && same_identity(b, a, None)
}

/// The names of the fields that differ, in a stable order.
pub fn differences(
    desired: &IndexSpec,
    live: &IndexSpec,
    collection_collation: Option<&Document>,
) -> Vec<&'static str> {
    let desired = desired.server_form.as_deref().unwrap_or(desired);
    let mut diffs = Vec::new();
    let mut check = |field: &'static str, same: bool| {
        if !same {
            diffs.push(field);
        }
    };
    check(
        "key",
        canonical_bytes(&canonical_key(desired)) == canonical_bytes(&canonical_key(live)),
    );
    check("unique", desired.unique == live.unique);
    check("sparse", desired.sparse == live.sparse);
    check(
        "partialFilterExpression",
        match (
            &desired.partial_filter_expression,
            &live.partial_filter_expression,
        ) {
            (None, None) => true,
            (Some(d), Some(l)) => filter::same(d, l),
            _ => false,
        },
    );
    check(
        "collation",
        collation_matches(
            desired.collation.as_ref(),
            live.collation.as_ref(),
            collection_collation,
        ),
    );
    check(
        "wildcardProjection",
        desired.wildcard_projection.as_ref().map(canonical_bytes)
            == live.wildcard_projection.as_ref().map(canonical_bytes),
    );
    let text = desired.is_text() || live.is_text();
    check(
        "weights",
        !text || text_weights(desired) == text_weights(live),
    );
    check(
        "default_language",
        !text
            || language(&desired.default_language, "english")
                == language(&live.default_language, "english"),
    );
    check(
        "language_override",
        !text
            || language(&desired.language_override, "language")
                == language(&live.language_override, "language"),
    );
    let geo = desired.is_2d() || live.is_2d();
    let (db, lb) = (
        desired.bits.or(geo.then_some(26)),
        live.bits.or(geo.then_some(26)),
    );
    check("bits", db == lb);
    let (dmin, lmin) = (
        desired.min.or(geo.then_some(-180.0)),
        live.min.or(geo.then_some(-180.0)),
    );
    check("min", dmin == lmin);
    let (dmax, lmax) = (
        desired.max.or(geo.then_some(180.0)),
        live.max.or(geo.then_some(180.0)),
    );
    check("max", dmax == lmax);
    // Unlike `bits`, an unset level is not its default: the server takes
    // `{finestIndexedLevel: 16}` and none for another index (same key: code
    // 85, "equivalent ... different options", mongod 6.0.5), and its default
    // follows `2dsphereIndexVersion`. On any index type, as the server
    // compares them; not part of the identity, and `collMod` can't change them.
    check(
        "finestIndexedLevel",
        desired.finest_level == live.finest_level,
    );
    check(
        "coarsestIndexedLevel",
        desired.coarsest_level == live.coarsest_level,
    );
    check(
        "expireAfterSeconds",
        desired.expire_after_seconds == live.expire_after_seconds,
    );
    check("hidden", desired.hidden == live.hidden);
    diffs
}

/// The key pattern with numbers normalized and text fields rewritten the way
/// the server stores them: `{a: 1, title: "text", body: "text"}` becomes
/// `{a: 1, _fts: "text", _ftsx: 1}`.
fn canonical_key(spec: &IndexSpec) -> Document {
    let mut out = Document::new();
    for (field, value) in &spec.keys {
        if value.as_str() == Some("text") || field == "_fts" || field == "_ftsx" {
            if !out.contains_key("_fts") {
                out.insert("_fts", "text");
                out.insert("_ftsx", 1.0);
            }
            continue;
        }
        out.insert(field.clone(), normalize(value));
    }
    out
}

/// Every text field with its weight (1 unless declared), sorted by name.
fn text_weights(spec: &IndexSpec) -> BTreeMap<String, Option<f64>> {
    let mut weights = BTreeMap::new();
    for (field, value) in &spec.keys {
        if value.as_str() == Some("text") && field != "_fts" {
            weights.insert(field.clone(), Some(1.0));
        }
    }
    for (field, value) in spec.weights.iter().flatten() {
        weights.insert(field.clone(), as_f64(value));
    }
    weights
}

fn language<'a>(declared: &'a Option<String>, default: &'a str) -> &'a str {
    declared.as_deref().unwrap_or(default)
}

/// The collation an index declared with `declared` has on a collection whose
/// default is `collection_default` (`None`: simple), compared resolved: an
/// index declared without one inherits the collection's, `locale: "simple"`
/// is none (the server then reports no collation).
pub(crate) fn collation_matches(
    declared: Option<&Document>,
    reported: Option<&Document>,
    collection_default: Option<&Document>,
) -> bool {
    let declared = match declared {
        Some(d) => Some(d),
        None => collection_default,
    };
    collation::same(declared, reported)
}

/// The normalized document as BSON bytes: equal bytes means equal values in
/// the same field order, at every depth, as the server compares specs
/// (`Document`'s own equality ignores field order).
fn canonical_bytes(d: &Document) -> Vec<u8> {
    bson::to_vec(&normalize_doc(d)).unwrap_or_default()
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
