//! `mig` accepts, refuses and compares index specs as MongoDB does: each
//! example of the "server parity" report is asked of the real server (a build
//! on an empty collection) and of `mig validate`, and the two must agree;
//! each accepted one is applied and planned again (nothing left to do).
//! `tests/differential.rs` does the same for random specs.

mod support;

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
