//! `mig` accepts, refuses and compares index specs as MongoDB does: each
//! example of the "server parity" report is asked of the real server (a build
//! on an empty collection) and of `mig validate`, and the two must agree;
//! each accepted one is applied and planned again (nothing left to do).
//! `tests/it/differential.rs` does the same for random specs.

use crate::support;

use futures::StreamExt;
use mongodb::bson::{doc, Document};
use support::*;

/// The server's verdict on one spec: built on a fresh empty collection.
async fn server_accepts(spec: &Document) -> Result<(), String> {
    let db = client().await.database(&unique("parity"));
    db.create_collection("c").await.unwrap();
    let mut spec = spec.clone();
    spec.insert("name", "ix");
    let reply = db
        .run_command(doc! {"createIndexes": "c", "indexes": [spec]})
        .await;
    db.drop().await.unwrap();
    reply.map(|_| ()).map_err(|e| e.to_string())
}

/// `mig validate` on a manifest with this one index (YAML flow mapping).
fn mig_validate(options: &str) -> (bool, String) {
    let p = Project::new();
    p.manifest(
        "m.yaml",
        &format!("scope: public\ncollections:\n  - name: c\n    indexes:\n      - {{ name: ix, {options} }}\n"),
    );
    let out = p.mig_env(&["validate"], &[("MONGODB_URI", "mongodb://127.0.0.1:1")]);
    (out.status.success(), stderr(&out))
}

/// The server refuses it, and so does `validate`, naming the index and
/// saying why (`needle`).
async fn refused(options: &str, spec: Document, needle: &str) {
    let server = server_accepts(&spec).await;
    assert!(server.is_err(), "the server took {spec}; the test is wrong");
    let (ok, err) = mig_validate(options);
    assert!(
        !ok,
        "mig validate accepted {options}; the server said {server:?}"
    );
    assert!(
        err.contains("m.yaml:5:") && err.contains("c.ix: ") && err.contains(needle),
        "{options}: expected {needle:?} in:\n{err}"
    );
}

/// The server accepts it, and so does `validate` (with `warning` on stderr
/// when given); applied by `mig`, a second plan finds nothing to do.
async fn accepted(options: &str, spec: Document, warning: Option<&str>) {
    server_accepts(&spec)
        .await
        .unwrap_or_else(|e| panic!("the server refused {spec}: {e}; the test is wrong"));
    let (ok, err) = mig_validate(options);
    assert!(ok, "mig validate refused {options}:\n{err}");
    if let Some(w) = warning {
        assert!(
            err.contains("warning: ") && err.contains(w),
            "{options}: expected warning {w:?} in:\n{err}"
        );
    }
    let p = Project::new();
    p.manifest(
        "m.yaml",
        &format!("scope: public\ncollections:\n  - name: c\n    indexes:\n      - {{ name: ix, {options} }}\n"),
    );
    let out = p.mig(&["apply"]);
    assert!(out.status.success(), "{options}: {}", show(&out));
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{options}: planned again after apply: {plan:#}");
    if let Some(w) = warning {
        assert!(
            plan["warnings"]
                .as_array()
                .is_some_and(|ws| ws.iter().any(|x| {
                    let said = format!(
                        "{}: {}",
                        x["option"].as_str().unwrap_or(""),
                        x["message"].as_str().unwrap_or("")
                    );
                    said.contains(w)
                })),
            "plan JSON carries the warning: {plan:#}"
        );
    }
}

macro_rules! refused {
    ($($name:ident: $options:expr, $spec:expr, $needle:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            refused($options, $spec, $needle).await;
        }
    )*};
}

macro_rules! accepted {
    ($($name:ident: $options:expr, $spec:expr, $warning:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            accepted($options, $spec, $warning).await;
        }
    )*};
}

refused! {
    partial_filter_ne: "keys: { a: 1 }, partialFilterExpression: { b: { $ne: 0 } }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"b": {"$ne": 0}}}, "$ne is not supported";
    partial_filter_exists_and_ne: "keys: { a: 1 }, partialFilterExpression: { attributes: { $exists: true, $ne: [] } }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"attributes": {"$exists": true, "$ne": []}}}, "$ne is not supported";
    partial_filter_nin: "keys: { a: 1 }, partialFilterExpression: { b: { $nin: [1, 2] } }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"b": {"$nin": [1, 2]}}}, "$nin is not supported";
    partial_filter_not: "keys: { a: 1 }, partialFilterExpression: { b: { $not: { $gt: 1 } } }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"b": {"$not": {"$gt": 1}}}}, "$not is not supported";
    partial_filter_regex: "keys: { a: 1 }, partialFilterExpression: { b: { $regex: x } }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"b": {"$regex": "x"}}}, "$regex is not supported";
    partial_filter_mod: "keys: { a: 1 }, partialFilterExpression: { b: { $mod: [2, 0] } }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"b": {"$mod": [2, 0]}}}, "$mod is not supported";
    partial_filter_nor: "keys: { a: 1 }, partialFilterExpression: { $nor: [ { b: 1 } ] }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"$nor": [{"b": 1}]}}, "$nor is not supported";
    partial_filter_too_deep: "keys: { a: 1 }, partialFilterExpression: { $and: [ { $or: [ { $and: [ { b: 1, c: 1 } ] } ] } ] }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"$and": [{"$or": [{"$and": [{"b": 1, "c": 1}]}]}]}}, "MongoDB allows 4";
    text_language_klingon: "keys: { a: text }, default_language: klingon",
        doc! {"key": {"a": "text"}, "default_language": "klingon"}, "not a text search language";
    text_language_override_dotted: "keys: { a: text }, language_override: a.b",
        doc! {"key": {"a": "text"}, "language_override": "a.b"}, "must be a top-level field name";
    text_weight_zero: "keys: { a: text }, weights: { a: 0 }",
        doc! {"key": {"a": "text"}, "weights": {"a": 0}}, "from 1 to 99999";
    text_weight_negative: "keys: { a: text }, weights: { a: -1 }",
        doc! {"key": {"a": "text"}, "weights": {"a": -1}}, "from 1 to 99999";
    text_weight_too_big: "keys: { a: text }, weights: { a: 100000 }",
        doc! {"key": {"a": "text"}, "weights": {"a": 100000}}, "from 1 to 99999";
    text_with_collation: "keys: { a: text }, collation: { locale: fr }",
        doc! {"key": {"a": "text"}, "collation": {"locale": "fr"}}, "text index cannot have a collation";
    hashed_with_2dsphere: "keys: { h: hashed, loc: 2dsphere }",
        doc! {"key": {"h": "hashed", "loc": "2dsphere"}}, "cannot mix index types";
    empty_path_part: "keys: { a..b: 1 }",
        doc! {"key": {"a..b": 1}}, "empty field name";
    wildcard_in_the_middle: "keys: { a.$**.b: 1 }",
        doc! {"key": {"a.$**.b": 1}}, "may only end a path";
    compound_wildcard_on_6_0: "keys: { $**: 1, b: 1 }",
        doc! {"key": {"$**": 1, "b": 1}}, "cannot be compound on MongoDB 6.0";
    descending_wildcard: "keys: { $**: -1 }",
        doc! {"key": {"$**": -1}}, "must be positive";
    empty_wildcard_projection: "keys: { $**: 1 }, wildcardProjection: {}",
        doc! {"key": {"$**": 1}, "wildcardProjection": {}}, "cannot be empty";
    two_d_not_first: "keys: { r: -1, s: 2d }",
        doc! {"key": {"r": -1, "s": "2d"}}, "must be the first field";
    two_2d_fields: "keys: { s: 2d, r: 2d }",
        doc! {"key": {"s": "2d", "r": "2d"}}, "only one 2d field";
    two_d_zero_bits: "keys: { s: 2d }, bits: 0",
        doc! {"key": {"s": "2d"}, "bits": 0}, "from 1 to 32";
    two_d_min_not_below_max: "keys: { s: 2d }, min: 10, max: 10",
        doc! {"key": {"s": "2d"}, "min": 10, "max": 10}, "must be less than max";
    hidden_id_index: "keys: { _id: 1 }, hidden: true",
        doc! {"key": {"_id": 1}, "hidden": true}, "takes no hidden";
    sparse_id_index: "keys: { _id: 1 }, sparse: true",
        doc! {"key": {"_id": 1}, "sparse": true}, "takes no sparse";
    invalid_collation_locale: "keys: { a: 1 }, collation: { locale: xx }",
        doc! {"key": {"a": 1}, "collation": {"locale": "xx"}}, "not a locale MongoDB supports";
    hidden_as_a_number: "keys: { a: 1 }, hidden: 1",
        doc! {"key": {"a": 1}, "hidden": 1}, "hidden: must be true or false, not 1";
    sphere_finest_above_30: "keys: { loc: 2dsphere }, finestIndexedLevel: 31, coarsestIndexedLevel: 5",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 31, "coarsestIndexedLevel": 5}, "finestIndexedLevel: must be from 0 to 30, found 31";
    sphere_coarsest_below_0: "keys: { loc: 2dsphere }, finestIndexedLevel: 30, coarsestIndexedLevel: -1",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 30, "coarsestIndexedLevel": -1}, "coarsestIndexedLevel: must be from 0 to 30, found -1";
    sphere_finest_below_coarsest: "keys: { loc: 2dsphere }, finestIndexedLevel: 5, coarsestIndexedLevel: 17",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 5, "coarsestIndexedLevel": 17}, "5 must not be below coarsestIndexedLevel (17)";
    sphere_finest_below_the_default_coarsest: "keys: { loc: 2dsphere }, finestIndexedLevel: 1",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 1}, "1 must not be below coarsestIndexedLevel (2, the default)";
    sphere_coarsest_above_the_default_finest: "keys: { loc: 2dsphere }, coarsestIndexedLevel: 17",
        doc! {"key": {"loc": "2dsphere"}, "coarsestIndexedLevel": 17}, "17 must not be above finestIndexedLevel (16, the default)";
    sphere_v2_finest_below_its_default_coarsest: "keys: { loc: 2dsphere }, 2dsphereIndexVersion: 2, finestIndexedLevel: 6",
        doc! {"key": {"loc": "2dsphere"}, "2dsphereIndexVersion": 2, "finestIndexedLevel": 6}, "6 must not be below coarsestIndexedLevel (7, the default)";
    sphere_v1_coarsest_above_its_default_finest: "keys: { loc: 2dsphere }, 2dsphereIndexVersion: 1, coarsestIndexedLevel: 15",
        doc! {"key": {"loc": "2dsphere"}, "2dsphereIndexVersion": 1, "coarsestIndexedLevel": 15}, "15 must not be above finestIndexedLevel (14, the default)";
    sphere_fractional_level: "keys: { loc: 2dsphere }, finestIndexedLevel: 17.5",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 17.5}, "must be a whole number from 0 to 30, found 17.5";
    sphere_level_as_text: "keys: { loc: 2dsphere }, coarsestIndexedLevel: five",
        doc! {"key": {"loc": "2dsphere"}, "coarsestIndexedLevel": "five"}, "coarsestIndexedLevel: must be a whole number from 0 to 30";
}

accepted! {
    background_is_a_no_op: "keys: { a: 1 }, background: true",
        doc! {"key": {"a": 1}, "background": true}, Some("background: ignored");
    sphere_index_version: "keys: { s: 2dsphere }, 2dsphereIndexVersion: 2",
        doc! {"key": {"s": "2dsphere"}, "2dsphereIndexVersion": 2}, None;
    all_fields_text_is_unique_text: "keys: { $**: text }, unique: true",
        doc! {"key": {"$**": "text"}, "unique": true}, None;
    float_ttl: "keys: { a: 1 }, expireAfterSeconds: 3600.0",
        doc! {"key": {"a": 1}, "expireAfterSeconds": 3600.0}, None;
    fractional_ttl: "keys: { a: 1 }, expireAfterSeconds: 3600.5",
        doc! {"key": {"a": 1}, "expireAfterSeconds": 3600.5}, Some("stored as 3600");
    direction_two: "keys: { a: 2 }",
        doc! {"key": {"a": 2}}, None;
    direction_half: "keys: { a: 0.5, b: -3 }",
        doc! {"key": {"a": 0.5, "b": -3}}, None;
    unique_as_a_number: "keys: { a: 1 }, unique: 1",
        doc! {"key": {"a": 1}, "unique": 1}, Some("1 is read as true");
    fractional_text_weight: "keys: { content: text }, weights: { content: 2.5 }",
        doc! {"key": {"content": "text"}, "weights": {"content": 2.5}}, Some("2.5 is stored as 2");
    id_index_under_another_name: "keys: { _id: 1 }",
        doc! {"key": {"_id": 1}}, Some("treats this declaration as _id_");
    partial_filter_in_and_or: "keys: { a: 1 }, partialFilterExpression: { $or: [ { b: { $in: [1, 2] } }, { c: { $gt: 1 } } ] }",
        doc! {"key": {"a": 1}, "partialFilterExpression": {"$or": [{"b": {"$in": [1, 2]}}, {"c": {"$gt": 1}}]}}, None;
    collation_fractional_strength: "keys: { a: 1 }, collation: { locale: en, strength: 2.5 }",
        doc! {"key": {"a": 1}, "collation": {"locale": "en", "strength": 2.5}}, None;
    sphere_levels: "keys: { loc: 2dsphere }, finestIndexedLevel: 17, coarsestIndexedLevel: 5",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 17, "coarsestIndexedLevel": 5}, None;
    sphere_levels_at_the_bounds: "keys: { loc: 2dsphere }, finestIndexedLevel: 30, coarsestIndexedLevel: 0",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 30, "coarsestIndexedLevel": 0}, None;
    sphere_levels_equal: "keys: { loc: 2dsphere, kind: 1 }, finestIndexedLevel: 12, coarsestIndexedLevel: 12",
        doc! {"key": {"loc": "2dsphere", "kind": 1}, "finestIndexedLevel": 12, "coarsestIndexedLevel": 12}, None;
    sphere_levels_as_floats: "keys: { loc: 2dsphere }, finestIndexedLevel: 17.0, coarsestIndexedLevel: 5.0",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 17.0, "coarsestIndexedLevel": 5.0}, None;
    sphere_finest_at_the_default_coarsest: "keys: { loc: 2dsphere }, finestIndexedLevel: 2",
        doc! {"key": {"loc": "2dsphere"}, "finestIndexedLevel": 2}, None;
    sphere_coarsest_at_the_default_finest: "keys: { loc: 2dsphere }, coarsestIndexedLevel: 16",
        doc! {"key": {"loc": "2dsphere"}, "coarsestIndexedLevel": 16}, None;
    sphere_v2_finest_at_its_default_coarsest: "keys: { loc: 2dsphere }, 2dsphereIndexVersion: 2, finestIndexedLevel: 7",
        doc! {"key": {"loc": "2dsphere"}, "2dsphereIndexVersion": 2, "finestIndexedLevel": 7}, None;
    sphere_v1_coarsest_at_its_default_finest: "keys: { loc: 2dsphere }, 2dsphereIndexVersion: 1, coarsestIndexedLevel: 14",
        doc! {"key": {"loc": "2dsphere"}, "2dsphereIndexVersion": 1, "coarsestIndexedLevel": 14}, None;
    sphere_levels_on_a_plain_index: "keys: { a: 1 }, finestIndexedLevel: 40, coarsestIndexedLevel: -3",
        doc! {"key": {"a": 1}, "finestIndexedLevel": 40, "coarsestIndexedLevel": -3}, Some("finestIndexedLevel: has no effect on an index that is not a 2dsphere index");
    sphere_levels_on_a_2d_index: "keys: { a: 2d }, coarsestIndexedLevel: 20",
        doc! {"key": {"a": "2d"}, "coarsestIndexedLevel": 20}, Some("coarsestIndexedLevel: has no effect on an index that is not a 2dsphere index");
}

/// A declared `{_id: 1}` under another name is never "created" again: the
/// apply says nothing to do, and the collection keeps only `_id_`.
#[tokio::test]
async fn id_index_under_another_name_is_never_created() {
    let p = Project::new();
    p.manifest(
        "m.yaml",
        "scope: public\ncollections:\n  - name: c\n    indexes:\n      - { name: pk, keys: { _id: 1 } }\n      - { name: b_1, keys: { b: 1 } }\n",
    );
    let (first, code) = p.json(&["apply"]);
    assert_eq!(code, 0, "{first:#}");
    let creates: Vec<_> = first["targets"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(creates, vec!["b_1"], "{first:#}");
    let (again, _) = p.json(&["apply"]);
    assert_eq!(again["targets"][0]["status"], "unchanged", "{again:#}");
    let names: Vec<String> = live_indexes(&p.public, "c")
        .await
        .iter()
        .map(|d| d.get_str("name").unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["_id_", "b_1"]);
}

/// A build the server refuses during an apply is reported as failed and never
/// counted as applied, in text and in JSON; the other change still lands.
#[tokio::test]
async fn a_failed_build_is_not_counted_as_applied() {
    let p = Project::new();
    // The geometry of a $geoWithin is the server's to check: this one passes
    // `validate` offline and fails at build time.
    p.manifest(
        "m.yaml",
        "scope: public\ncollections:\n  - name: c\n    indexes:\n      - { name: good, keys: { b: 1 } }\n      - { name: bad, keys: { c: 1 }, partialFilterExpression: { x: { $geoWithin: { $center: nowhere } } } }\n",
    );
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 with changes applied: 1 create,") && text.contains("1 change(s) failed"),
        "{text}"
    );
    assert!(live_index(&p.public, "c", "good").await.is_some());
    let (json, code) = p.json(&["apply"]);
    assert_eq!(code, 1);
    assert_eq!(json["summary"]["create"], 0, "{json:#}");
    assert_eq!(json["summary"]["failed_steps"], 1, "{json:#}");
    assert_eq!(json["targets"][0]["status"], "failed");
    assert_eq!(json["targets"][0]["steps"][0]["ok"], false);
    let text = stdout(&p.mig(&["apply"]));
    assert!(text.contains("0 with changes applied: 0 create,"), "{text}");
}

/// Warnings are shown by validate, plan and apply, and carried in their JSON.
#[tokio::test]
async fn warnings_are_shown_and_carried_in_json() {
    let p = Project::new();
    p.manifest(
        "m.yaml",
        "scope: public\ncollections:\n  - name: users\n    indexes:\n      - { name: ix_old, keys: { a: 1 }, background: true }\n",
    );
    let needle = "m.yaml:5:";
    for command in ["validate", "plan", "apply"] {
        let out = p.mig(&[command]);
        assert!(out.status.success(), "{}", show(&out));
        let err = stderr(&out);
        assert!(
            err.contains("warning: ")
                && err.contains(needle)
                && err.contains("users.ix_old: background: ignored"),
            "{command}: {err}"
        );
        let (json, _) = p.json(&[command]);
        let w = &json["warnings"][0];
        assert_eq!(w["subject"], "users.ix_old", "{command}: {json:#}");
        assert_eq!(w["option"], "background");
        assert_eq!(w["line"], 5);
    }
}

// The comparison's data, asked of the server: collations as it resolves
// them, and partial filters it takes for the same.

/// Builds `a`, then `b` beside it on the same key: `true` when the server
/// refuses `b` as the same index (code 85), `false` when it holds both.
async fn same_to_the_server(db: &mongodb::Database, coll: &str, a: Document, b: Document) -> bool {
    let mut one = a;
    one.insert("name", "one");
    let mut two = b;
    two.insert("name", "two");
    db.run_command(doc! {"createIndexes": coll, "indexes": [one]})
        .await
        .unwrap();
    match db
        .run_command(doc! {"createIndexes": coll, "indexes": [two]})
        .await
    {
        Ok(_) => false,
        Err(e) => match *e.kind {
            mongodb::error::ErrorKind::Command(ref c) if c.code == 85 => true,
            _ => panic!("{coll}: neither built nor refused as the same: {e}"),
        },
    }
}

/// `mig validate`'s verdict on one index with this collation, offline.
fn mig_accepts_collation(collation: &Document) -> Result<(), String> {
    let yaml = format!(
        "scope: public\ncollections:\n  - name: c\n    indexes:\n      - {{ name: ix, keys: {{ a: 1 }}, collation: {} }}\n",
        mongodb::bson::Bson::Document(collation.clone()).into_relaxed_extjson()
    );
    let (_, problems) = mig::manifest::load_sources(&[("m.yaml".into(), yaml)]);
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!("{problems:?}")),
    }
}

#[tokio::test]
async fn every_locale_resolves_as_the_data_file_says() {
    use mig::model::collation;
    let db = client().await.database(&unique("collations"));
    let locales: Vec<&'static str> = collation::locales().collect();
    // Each locale alone, and with fields declared over its defaults.
    let overrides = [
        doc! {},
        doc! {"strength": 1},
        doc! {"strength": 2, "caseLevel": true},
        doc! {"caseFirst": "upper"},
        doc! {"numericOrdering": true, "alternate": "shifted", "maxVariable": "space"},
        doc! {"backwards": true, "normalization": true},
    ];
    // A collection per locale, several locales at once.
    let one_locale = |n: usize, locale: &'static str| {
        let (db, overrides) = (&db, &overrides);
        async move {
            let coll = format!("c{n}");
            for (k, o) in overrides.iter().enumerate() {
                let mut declared = doc! {"locale": locale};
                declared.extend(o.clone());
                let name = format!("i{k}");
                let spec =
                    doc! {"key": {format!("f{k}"): 1}, "name": &name, "collation": &declared};
                // Some fields don't go with a locale's defaults (da's caseFirst
                // with strength 1): mig refuses exactly what the server refuses.
                let server = db
                    .run_command(doc! {"createIndexes": &coll, "indexes": [spec]})
                    .await;
                let mig = mig_accepts_collation(&declared);
                assert_eq!(
                    server.is_ok(),
                    mig.is_ok(),
                    "{declared}: server {server:?}, mig {mig:?}"
                );
                if server.is_err() {
                    continue;
                }
                let live = live_index(db.name(), &coll, &name).await.unwrap();
                assert_eq!(
                    collation::resolve(&declared).as_ref(),
                    Some(live.get_document("collation").unwrap()),
                    "{declared} resolves otherwise on the server"
                );
            }
        }
    };
    futures::stream::iter(locales.into_iter().enumerate())
        .for_each_concurrent(8, |(n, locale)| one_locale(n, locale))
        .await;
    db.drop().await.unwrap();
}

#[tokio::test]
async fn collations_are_the_same_index_exactly_when_mig_says_so() {
    use mig::model::collation;
    let db = client().await.database(&unique("collation_pairs"));
    let pairs = [
        (doc! {"locale": "en"}, doc! {"locale": "en", "strength": 2}),
        (doc! {"locale": "en"}, doc! {"locale": "en", "strength": 3}),
        (
            doc! {"locale": "th"},
            doc! {"locale": "th", "alternate": "shifted"},
        ),
        (
            doc! {"locale": "fr_CA"},
            doc! {"locale": "fr_CA", "backwards": false},
        ),
        (doc! {"locale": "fr"}, doc! {"locale": "fr_CA"}),
        (
            doc! {"locale": "da"},
            doc! {"locale": "da", "caseFirst": "upper"},
        ),
        (
            doc! {"locale": "en", "strength": 2.0},
            doc! {"locale": "en", "strength": 2},
        ),
    ];
    for (n, (a, b)) in pairs.into_iter().enumerate() {
        let server = same_to_the_server(
            &db,
            &format!("c{n}"),
            doc! {"key": {"a": 1}, "collation": a.clone()},
            doc! {"key": {"a": 1}, "collation": b.clone()},
        )
        .await;
        assert_eq!(collation::same(Some(&a), Some(&b)), server, "{a} vs {b}");
    }
    db.drop().await.unwrap();
}

#[tokio::test]
async fn partial_filters_are_the_same_index_exactly_when_mig_says_so() {
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../data/partial_filters.json")).unwrap();
    let db = client().await.database(&unique("filters"));
    for (n, case) in cases.iter().skip(1).enumerate() {
        let filter = |v: &serde_json::Value| match mongodb::bson::Bson::try_from(v.clone()) {
            Ok(mongodb::bson::Bson::Document(d)) => d,
            other => panic!("not a document: {other:?}"),
        };
        let (a, b, recorded) = (filter(&case[0]), filter(&case[1]), case[2] == true);
        let server = same_to_the_server(
            &db,
            &format!("c{n}"),
            doc! {"key": {"p": 1}, "partialFilterExpression": a.clone()},
            doc! {"key": {"p": 1}, "partialFilterExpression": b.clone()},
        )
        .await;
        assert_eq!(server, recorded, "the data file is wrong about {a} vs {b}");
        assert_eq!(mig::model::filter::same(&a, &b), server, "{a} vs {b}");
    }
    db.drop().await.unwrap();
}

// 2dsphere cell levels: where mig and the server part, and what a change of
// them takes.

/// The server keeps a level in an int: 2^32 + 17 wraps to 17 and is built,
/// but `listIndexes` then reports it clamped (2147483647), so a declaration
/// of it could never be in sync. mig refuses it as out of range: the one
/// level the server builds and mig refuses.
#[tokio::test]
async fn a_sphere_level_past_an_int32_is_built_by_the_server_but_refused() {
    let big = 4_294_967_313_i64;
    let db = client().await.database(&unique("levels"));
    db.run_command(doc! {"createIndexes": "c", "indexes": [
        {"key": {"loc": "2dsphere"}, "name": "ix", "finestIndexedLevel": big},
    ]})
    .await
    .unwrap();
    let live = live_index(db.name(), "c", "ix").await.unwrap();
    assert_eq!(live.get_i32("finestIndexedLevel"), Ok(i32::MAX), "{live}");
    db.drop().await.unwrap();
    let (ok, err) = mig_validate(&format!(
        "keys: {{ loc: 2dsphere }}, finestIndexedLevel: {big}"
    ));
    assert!(!ok, "mig validate accepted {big}");
    assert!(
        err.contains(&format!(
            "c.ix: finestIndexedLevel: must be from 0 to 30, found {big}"
        )),
        "{err}"
    );
}

/// mig's declared spec (what it sends) against the live index the driver
/// built: the server calls them identical (`createIndexes` under the live
/// name answers "all indexes already exist") exactly when mig plans nothing,
/// and otherwise refuses them as different options of the same index (code
/// 85), which mig plans as a rebuild. Either way the server won't build mig's
/// spec beside the live one under another name (code 85): levels are not
/// part of an index's identity.
#[tokio::test]
async fn sphere_levels_change_an_index_exactly_when_mig_says_so() {
    use mig::model::compare::{compare, same_identity, Verdict};
    let cases: &[(Document, &str)] = &[
        (doc! {}, ""),
        // The default, declared, is not the default unset.
        (doc! {}, "finestIndexedLevel: 16"),
        (doc! {"finestIndexedLevel": 16}, ""),
        (doc! {"finestIndexedLevel": 16}, "finestIndexedLevel: 16"),
        (
            doc! {"finestIndexedLevel": 17, "coarsestIndexedLevel": 5},
            "finestIndexedLevel: 17, coarsestIndexedLevel: 5",
        ),
        // Numbers by value, options in any order.
        (
            doc! {"finestIndexedLevel": 17.0, "coarsestIndexedLevel": 5_i64},
            "coarsestIndexedLevel: 5.0, finestIndexedLevel: 17",
        ),
        (
            doc! {"finestIndexedLevel": 17, "coarsestIndexedLevel": 5},
            "finestIndexedLevel: 18, coarsestIndexedLevel: 5",
        ),
        (
            doc! {"finestIndexedLevel": 17, "coarsestIndexedLevel": 5},
            "finestIndexedLevel: 17",
        ),
        (
            doc! {"finestIndexedLevel": 17, "coarsestIndexedLevel": 5},
            "",
        ),
        (
            doc! {"2dsphereIndexVersion": 2, "finestIndexedLevel": 14},
            "2dsphereIndexVersion: 2, finestIndexedLevel: 14",
        ),
        (
            doc! {"2dsphereIndexVersion": 2},
            "2dsphereIndexVersion: 2, finestIndexedLevel: 14",
        ),
    ];
    let db = client().await.database(&unique("levels"));
    let (mut same, mut rebuilt) = (0, 0);
    for (n, (live_options, declared_options)) in cases.iter().enumerate() {
        let coll = format!("c{n}");
        let mut live_spec = doc! {"key": {"loc": "2dsphere"}, "name": "ix"};
        live_spec.extend(live_options.clone());
        db.run_command(doc! {"createIndexes": &coll, "indexes": [live_spec]})
            .await
            .unwrap();
        let live =
            mig::model::IndexSpec::from_server(&live_index(db.name(), &coll, "ix").await.unwrap())
                .unwrap();
        let separator = if declared_options.is_empty() {
            ""
        } else {
            ", "
        };
        let yaml = format!(
            "scope: public\ncollections:\n  - name: c\n    indexes:\n      - {{ name: ix, keys: {{ loc: 2dsphere }}{separator}{declared_options} }}\n"
        );
        let (manifests, problems) = mig::manifest::load_sources(&[("m.yaml".into(), yaml)]);
        assert!(problems.is_empty(), "{declared_options}: {problems:?}");
        let declared = manifests.public[0].indexes[0].clone();
        let verdict = compare(&declared, &live, None);
        let said = format!("live {live_options}, declared {{{declared_options}}}: mig {verdict:?}");
        let identical = match db
            .run_command(doc! {"createIndexes": &coll, "indexes": [declared.to_document()]})
            .await
        {
            Ok(reply) => {
                assert_eq!(
                    reply.get_str("note"),
                    Ok("all indexes already exist"),
                    "{said}: {reply}"
                );
                true
            }
            Err(e) => match *e.kind {
                mongodb::error::ErrorKind::Command(ref c) if c.code == 85 => false,
                _ => panic!("{said}: neither the same nor a conflict: {e}"),
            },
        };
        if identical {
            same += 1;
            assert_eq!(verdict, Verdict::Same, "{said}; the server: identical");
        } else {
            rebuilt += 1;
            assert!(
                matches!(verdict, Verdict::Rebuild(ref d)
                    if d.iter().all(|f| f.ends_with("IndexedLevel"))),
                "{said}; the server: different options"
            );
        }
        assert!(same_identity(&declared, &live, None), "{said}");
        let mut beside = declared.to_document();
        beside.insert("name", "beside");
        let err = db
            .run_command(doc! {"createIndexes": &coll, "indexes": [beside]})
            .await
            .expect_err(&said);
        assert!(
            matches!(*err.kind, mongodb::error::ErrorKind::Command(ref c) if c.code == 85),
            "{said}: {err}"
        );
    }
    // Both verdicts were asked of the server.
    assert_eq!((same, rebuilt), (5, 6));
    db.drop().await.unwrap();
}

/// A declared change of levels on an existing index: `plan` shows a
/// replacement that drops first (the two can't coexist), `apply` carries it
/// out on the server, the server reports the declared levels, and the plan
/// after it is empty.
#[tokio::test]
async fn a_changed_sphere_level_is_rebuilt_and_then_in_sync() {
    let p = Project::new();
    let manifest = |options: &str| {
        format!("scope: public\ncollections:\n  - name: places\n    indexes:\n      - {{ name: geo, keys: {{ loc: 2dsphere }}{options} }}\n")
    };
    // The declared options, the levels the server then reports (finest,
    // coarsest), and the differences the plan gives for getting there.
    type Step = (
        &'static str,
        Option<i32>,
        Option<i32>,
        &'static [&'static str],
    );
    let steps: &[Step] = &[
        ("", None, None, &[]),
        (
            ", finestIndexedLevel: 17, coarsestIndexedLevel: 5",
            Some(17),
            Some(5),
            &["finestIndexedLevel", "coarsestIndexedLevel"],
        ),
        (
            ", finestIndexedLevel: 18, coarsestIndexedLevel: 5",
            Some(18),
            Some(5),
            &["finestIndexedLevel"],
        ),
        (
            ", coarsestIndexedLevel: 5",
            None,
            Some(5),
            &["finestIndexedLevel"],
        ),
        ("", None, None, &["coarsestIndexedLevel"]),
    ];
    for (n, (options, finest, coarsest, differences)) in steps.iter().enumerate() {
        p.manifest("m.yaml", &manifest(options));
        if n > 0 {
            let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
            assert_eq!(code, 2, "{options}: {plan:#}");
            let change = &plan["targets"][0]["changes"][0];
            assert_eq!(change["action"], "replace", "{options}: {plan:#}");
            assert_eq!(change["gap"], true, "{options}: {plan:#}");
            assert_eq!(
                change["differences"],
                serde_json::json!(differences),
                "{options}: {plan:#}"
            );
            let commands: Vec<&str> = plan["targets"][0]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["command"].as_str().unwrap())
                .collect();
            assert_eq!(commands, ["dropIndexes", "createIndexes"], "{plan:#}");
        }
        let out = p.mig(&["apply"]);
        assert!(out.status.success(), "{options}: {}", show(&out));
        let live = live_index(&p.public, "places", "geo").await.unwrap();
        assert_eq!(live.get_i32("finestIndexedLevel").ok(), *finest, "{live}");
        assert_eq!(
            live.get_i32("coarsestIndexedLevel").ok(),
            *coarsest,
            "{live}"
        );
        let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
        assert_eq!(code, 0, "{options}: planned again after apply: {plan:#}");
    }
}
