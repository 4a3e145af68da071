//! The one comparison of two indexes. Both sides go through the same
//! normalization, mirroring what the server itself does (see the server's
//! `IndexDescriptor::compareIndexOptions`):
//! - numbers compare by value (`1` == `1.0` == `NumberLong(1)`), order matters;
//! - `unique`, `sparse`, `hidden` are booleans where absent means false;
//! - text indexes are compared in the server's rewritten form
//!   (`_fts`/`_ftsx` key, a full weights map, default languages);
//! - a reported collation is fully resolved, so only the declared fields are
//!   compared, and an index without collation inherits the collection's;
//! - server-assigned fields (`v`, `textIndexVersion`, …) are never compared.

use std::collections::BTreeMap;

use bson::{Bson, Document};

use super::index::{as_f64, IndexSpec};

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
        // collMod changes a TTL value; it can't remove one, and adding one
        // is left to a rebuild so older servers behave the same.
        "expireAfterSeconds" => {
            desired.expire_after_seconds.is_some() && live.expire_after_seconds.is_some()
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
        desired
            .partial_filter_expression
            .as_ref()
            .map(canonical_bytes)
            == live.partial_filter_expression.as_ref().map(canonical_bytes),
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

fn is_simple(collation: &Document) -> bool {
    collation.get_str("locale") == Ok("simple")
}

/// The server reports a collation with every field resolved, so a declared
/// collation matches when each field it names has the same value. An index
/// declared without one inherits the collection's default collation.
fn collation_matches(
    declared: Option<&Document>,
    reported: Option<&Document>,
    collection_default: Option<&Document>,
) -> bool {
    let declared = declared
        .filter(|c| !is_simple(c))
        .or(collection_default.filter(|c| !is_simple(c)));
    let reported = reported.filter(|c| !is_simple(c));
    match (declared, reported) {
        (None, None) => true,
        (Some(d), Some(r)) => d
            .iter()
            .all(|(k, v)| r.get(k).map(normalize) == Some(normalize(v))),
        _ => false,
    }
}

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

/// The normalized document as BSON bytes: equal bytes means equal values in
/// the same field order, at every depth, as the server compares specs
/// (`Document`'s own equality ignores field order).
fn canonical_bytes(d: &Document) -> Vec<u8> {
    bson::to_vec(&normalize_doc(d)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;
    use proptest::prelude::*;

    fn spec(keys: Document) -> IndexSpec {
        IndexSpec {
            name: IndexSpec::default_name(&keys),
            keys,
            ..Default::default()
        }
    }

    #[test]
    fn numeric_types_compare_by_value() {
        let declared = spec(doc! {"a": 1, "b": -1});
        let mut live = spec(doc! {"a": 1.0, "b": Bson::Int64(-1)});
        live.expire_after_seconds = None;
        assert_eq!(compare(&declared, &live, None), Verdict::Same);
    }

    #[test]
    fn key_order_matters() {
        assert_eq!(
            compare(
                &spec(doc! {"a": 1, "b": 1}),
                &spec(doc! {"b": 1, "a": 1}),
                None
            ),
            Verdict::Rebuild(vec!["key"])
        );
    }

    #[test]
    fn direction_matters() {
        assert_eq!(
            compare(&spec(doc! {"a": 1}), &spec(doc! {"a": -1}), None),
            Verdict::Rebuild(vec!["key"])
        );
    }

    #[test]
    fn ttl_change_is_in_place() {
        let mut d = spec(doc! {"createdAt": 1});
        let mut l = d.clone();
        d.expire_after_seconds = Some(7200);
        l.expire_after_seconds = Some(3600);
        assert_eq!(
            compare(&d, &l, None),
            Verdict::Modify(Modification {
                expire_after_seconds: Some(7200),
                hidden: None,
                unique: false,
            })
        );
    }

    #[test]
    fn adding_or_removing_ttl_rebuilds() {
        let d = spec(doc! {"createdAt": 1});
        let mut l = d.clone();
        l.expire_after_seconds = Some(3600);
        assert_eq!(
            compare(&d, &l, None),
            Verdict::Rebuild(vec!["expireAfterSeconds"])
        );
        assert_eq!(
            compare(&l, &d, None),
            Verdict::Rebuild(vec!["expireAfterSeconds"])
        );
    }

    #[test]
    fn hiding_is_in_place() {
        let mut d = spec(doc! {"a": 1});
        let l = d.clone();
        d.hidden = true;
        assert_eq!(
            compare(&d, &l, None),
            Verdict::Modify(Modification {
                expire_after_seconds: None,
                hidden: Some(true),
                unique: false,
            })
        );
        assert!(same_identity(&d, &l, None));
    }

    #[test]
    fn unique_sparse_partial_and_collation_are_identity() {
        let base = spec(doc! {"email": 1});
        let mut unique = base.clone();
        unique.unique = true;
        let mut sparse = base.clone();
        sparse.sparse = true;
        let mut partial = base.clone();
        partial.partial_filter_expression = Some(doc! {"deletedAt": null});
        let mut collated = base.clone();
        collated.collation = Some(doc! {"locale": "en", "strength": 2});
        assert_eq!(
            compare(&unique, &base, None),
            Verdict::Modify(Modification {
                unique: true,
                ..Default::default()
            }),
            "non-unique to unique is a collMod conversion"
        );
        assert_eq!(
            compare(&base, &unique, None),
            Verdict::Rebuild(vec!["unique"]),
            "unique can't be undone in place"
        );
        assert!(!same_identity(&unique, &base, None));
        for (other, field) in [
            (sparse, "sparse"),
            (partial, "partialFilterExpression"),
            (collated, "collation"),
        ] {
            assert_eq!(compare(&other, &base, None), Verdict::Rebuild(vec![field]));
            assert!(!same_identity(&other, &base, None));
        }
    }

    #[test]
    fn resolved_collation_matches_declared_fields() {
        let mut d = spec(doc! {"name": 1});
        d.collation = Some(doc! {"locale": "en", "strength": 2});
        let mut l = d.clone();
        l.collation = Some(doc! {
            "locale": "en", "caseLevel": false, "caseFirst": "off", "strength": 2,
            "numericOrdering": false, "alternate": "non-ignorable", "maxVariable": "punct",
            "normalization": false, "backwards": false, "version": "57.1",
        });
        assert_eq!(compare(&d, &l, None), Verdict::Same);
        l.collation.as_mut().unwrap().insert("strength", 3);
        assert_eq!(compare(&d, &l, None), Verdict::Rebuild(vec!["collation"]));
    }

    #[test]
    fn simple_collation_is_no_collation() {
        let mut d = spec(doc! {"name": 1});
        d.collation = Some(doc! {"locale": "simple"});
        assert_eq!(compare(&d, &spec(doc! {"name": 1}), None), Verdict::Same);
    }

    #[test]
    fn index_without_collation_inherits_the_collections() {
        let d = spec(doc! {"name": 1});
        let mut l = d.clone();
        let default = doc! {"locale": "fr", "strength": 1};
        l.collation = Some(doc! {"locale": "fr", "strength": 1, "caseLevel": false});
        assert_eq!(compare(&d, &l, Some(&default)), Verdict::Same);
        assert_eq!(compare(&d, &l, None), Verdict::Rebuild(vec!["collation"]));
    }

    #[test]
    fn text_index_compares_in_rewritten_form() {
        let mut d = spec(doc! {"tenant": 1, "title": "text", "body": "text"});
        d.weights = Some(doc! {"title": 10});
        let live = IndexSpec::from_server(&doc! {
            "v": 2, "key": {"tenant": 1, "_fts": "text", "_ftsx": 1}, "name": "x",
            "weights": {"body": 1, "title": 10}, "default_language": "english",
            "language_override": "language", "textIndexVersion": 3,
        })
        .unwrap();
        assert_eq!(compare(&d, &live, None), Verdict::Same);
        d.weights = Some(doc! {"title": 5});
        assert_eq!(compare(&d, &live, None), Verdict::Rebuild(vec!["weights"]));
        d.weights = Some(doc! {"title": 10});
        d.default_language = Some("french".into());
        assert_eq!(
            compare(&d, &live, None),
            Verdict::Rebuild(vec!["default_language"])
        );
    }

    #[test]
    fn geo_2d_defaults_are_implied() {
        let d = spec(doc! {"loc": "2d"});
        let mut l = d.clone();
        l.bits = Some(26);
        l.min = Some(-180.0);
        l.max = Some(180.0);
        assert_eq!(compare(&d, &l, None), Verdict::Same);
        l.bits = Some(32);
        assert_eq!(compare(&d, &l, None), Verdict::Rebuild(vec!["bits"]));
    }

    #[test]
    fn server_assigned_and_unknown_fields_are_ignored() {
        let d = spec(doc! {"loc": "2dsphere"});
        let l = IndexSpec::from_server(&doc! {
            "v": 2, "key": {"loc": "2dsphere"}, "name": "loc_2dsphere",
            "2dsphereIndexVersion": 3, "storageEngine": {},
        })
        .unwrap();
        assert_eq!(compare(&d, &l, None), Verdict::Same);
    }

    #[test]
    fn ttl_difference_is_not_identity() {
        let mut a = spec(doc! {"at": 1});
        let mut b = a.clone();
        a.expire_after_seconds = Some(1);
        b.expire_after_seconds = Some(2);
        b.name = "other".into();
        assert!(same_identity(&a, &b, None));
        assert!(same_declared_identity(&a, &b));
    }

    fn arb_keys() -> impl Strategy<Value = Vec<(String, i32)>> {
        prop::collection::vec(("[a-z]{1,6}", prop_oneof![Just(1), Just(-1)]), 1..5).prop_map(
            |mut v| {
                let mut seen = std::collections::HashSet::new();
                v.retain(|(k, _)| seen.insert(k.clone()));
                v
            },
        )
    }

    proptest! {
        /// Whatever numeric type either side uses, an index equals itself.
        #[test]
        fn an_index_equals_itself_under_any_numeric_encoding(
            keys in arb_keys(),
            encodings in prop::collection::vec(0usize..3, 5),
            ttl in prop::option::of(0i64..100_000),
            unique: bool, sparse: bool, hidden: bool,
        ) {
            let declared: Document = keys.iter().map(|(k, v)| (k.clone(), Bson::Int32(*v))).collect();
            let reported: Document = keys.iter().zip(encodings.iter().cycle()).map(|((k, v), e)| {
                (k.clone(), match e { 0 => Bson::Int32(*v), 1 => Bson::Int64(*v as i64), _ => Bson::Double(*v as f64) })
            }).collect();
            let mut d = spec(declared);
            d.unique = unique; d.sparse = sparse; d.hidden = hidden; d.expire_after_seconds = ttl;
            let mut l = d.clone();
            l.keys = reported;
            prop_assert_eq!(compare(&d, &l, None), Verdict::Same);
        }

        /// Swapping two distinct key fields is always a rebuild.
        #[test]
        fn reordering_keys_is_always_a_rebuild(keys in arb_keys().prop_filter("two fields", |k| k.len() >= 2)) {
            let d = spec(keys.iter().map(|(k, v)| (k.clone(), Bson::Int32(*v))).collect());
            let mut swapped = keys.clone();
            swapped.swap(0, 1);
            let l = spec(swapped.iter().map(|(k, v)| (k.clone(), Bson::Int32(*v))).collect());
            prop_assert_eq!(compare(&d, &l, None), Verdict::Rebuild(vec!["key"]));
        }

        /// Comparison is symmetric in what it calls a difference.
        #[test]
        fn differences_are_symmetric(a in arb_keys(), b in arb_keys(), ua: bool, ub: bool, n in -3i32..3) {
            let mut x = spec(a.iter().map(|(k, v)| (k.clone(), Bson::Int32(*v))).collect());
            let mut y = spec(b.iter().map(|(k, v)| (k.clone(), Bson::Int32(*v))).collect());
            x.unique = ua; y.unique = ub;
            x.partial_filter_expression = Some(bson::doc! {"n": {"$gt": Bson::Int32(n)}});
            y.partial_filter_expression = Some(bson::doc! {"n": {"$gt": Bson::Double(n as f64)}});
            prop_assert_eq!(differences(&x, &y, None), differences(&y, &x, None));
        }
    }
}
