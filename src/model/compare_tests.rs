//! Tests of the one comparison, including property tests.

use super::*;
use bson::doc;
use bson::Bson;
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
fn a_ttl_is_added_in_place_and_removed_by_a_rebuild() {
    // mongod 6.0.5: `collMod {index: {name, expireAfterSeconds}}` on a plain
    // single-field index answers `expireAfterSeconds_new`; nothing removes one.
    let plain = spec(doc! {"createdAt": 1});
    let mut ttl = plain.clone();
    ttl.expire_after_seconds = Some(3600);
    assert_eq!(
        compare(&ttl, &plain, None),
        Verdict::Modify(Modification {
            expire_after_seconds: Some(3600),
            ..Default::default()
        })
    );
    assert_eq!(
        compare(&plain, &ttl, None),
        Verdict::Rebuild(vec!["expireAfterSeconds"])
    );
    // A compound index can't become a TTL index (code 72).
    let compound = spec(doc! {"a": 1, "b": 1});
    let mut compound_ttl = compound.clone();
    compound_ttl.expire_after_seconds = Some(5);
    assert_eq!(
        compare(&compound_ttl, &compound, None),
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
    prop::collection::vec(("[a-z]{1,6}", prop_oneof![Just(1), Just(-1)]), 1..5).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|(k, _)| seen.insert(k.clone()));
        v
    })
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

/// A 2dsphere index as `listIndexes` reports it, with these extra fields.
fn live_sphere(extra: Document) -> IndexSpec {
    let mut d = doc! {
        "v": 2, "key": {"loc": "2dsphere"}, "name": "loc_2dsphere",
        "2dsphereIndexVersion": 3,
    };
    d.extend(extra);
    IndexSpec::from_server(&d).unwrap()
}

fn declared_sphere(finest: Option<i32>, coarsest: Option<i32>) -> IndexSpec {
    let mut d = spec(doc! {"loc": "2dsphere"});
    d.finest_level = finest;
    d.coarsest_level = coarsest;
    d
}

#[test]
fn equal_sphere_levels_are_no_change() {
    assert_eq!(
        compare(&declared_sphere(None, None), &live_sphere(doc! {}), None),
        Verdict::Same
    );
    // The server reports an int; a number of another type compares by value.
    for live in [
        doc! {"finestIndexedLevel": 17, "coarsestIndexedLevel": 5},
        doc! {"finestIndexedLevel": 17.0, "coarsestIndexedLevel": Bson::Int64(5)},
    ] {
        assert_eq!(
            compare(
                &declared_sphere(Some(17), Some(5)),
                &live_sphere(live.clone()),
                None
            ),
            Verdict::Same,
            "{live}"
        );
    }
}

/// Levels are not changed by `collMod` and an index differing only in them
/// can't be built beside the other (code 85, mongod 6.0.5): a rebuild.
#[test]
fn different_sphere_levels_are_a_rebuild() {
    let live = live_sphere(doc! {"finestIndexedLevel": 17, "coarsestIndexedLevel": 5});
    // Declared without them, on a live index with them.
    assert_eq!(
        compare(&declared_sphere(None, None), &live, None),
        Verdict::Rebuild(vec!["finestIndexedLevel", "coarsestIndexedLevel"])
    );
    // Declared with them, on a live index without them.
    assert_eq!(
        compare(
            &declared_sphere(Some(17), Some(5)),
            &live_sphere(doc! {}),
            None
        ),
        Verdict::Rebuild(vec!["finestIndexedLevel", "coarsestIndexedLevel"])
    );
    // One level changed.
    assert_eq!(
        compare(&declared_sphere(Some(18), Some(5)), &live, None),
        Verdict::Rebuild(vec!["finestIndexedLevel"])
    );
    // With an in-place change beside it, still a rebuild.
    let mut hidden = declared_sphere(Some(17), Some(4));
    hidden.hidden = true;
    assert_eq!(
        compare(&hidden, &live, None),
        Verdict::Rebuild(vec!["coarsestIndexedLevel", "hidden"])
    );
    // The same index to the server all the same: not to be built beside it.
    assert!(same_identity(&declared_sphere(Some(18), None), &live, None));
}

/// An unset level is not its default: the server takes `{finestIndexedLevel:
/// 16}` and no level for different options (code 85), so declaring the
/// default on an index built without it is a rebuild, and the plan after it
/// is empty (the server then reports 16).
#[test]
fn a_declared_default_level_is_not_an_unset_one() {
    assert_eq!(
        compare(
            &declared_sphere(Some(16), None),
            &live_sphere(doc! {}),
            None
        ),
        Verdict::Rebuild(vec!["finestIndexedLevel"])
    );
    assert_eq!(
        compare(
            &declared_sphere(Some(16), None),
            &live_sphere(doc! {"finestIndexedLevel": 16}),
            None
        ),
        Verdict::Same
    );
}
