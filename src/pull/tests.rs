use std::path::PathBuf;

use bson::{doc, Document};
use proptest::prelude::*;

use super::write::{manifest, Syntax};
use super::*;
use crate::model::compare::{compare, Verdict};
use crate::model::Collection;

/// An index as `listIndexes` reports it.
fn live(reported: Document) -> IndexSpec {
    let mut d = doc! {"v": 2};
    d.extend(reported);
    IndexSpec::from_server(&d).unwrap()
}

fn id() -> IndexSpec {
    live(doc! {"key": {"_id": 1}, "name": "_id_"})
}

fn db(name: &str, collections: Vec<(&str, Vec<IndexSpec>)>) -> DatabaseState {
    DatabaseState {
        name: name.into(),
        collections: collections
            .into_iter()
            .map(|(c, mut indexes)| {
                indexes.insert(0, id());
                Collection {
                    name: c.into(),
                    indexes,
                    exists: true,
                    ..Default::default()
                }
            })
            .collect(),
        retiring: Vec::new(),
    }
}

fn a() -> IndexSpec {
    live(doc! {"key": {"a": 1}, "name": "a_1"})
}
fn b() -> IndexSpec {
    live(doc! {"key": {"b": 1, "c": -1}, "name": "b_1_c_-1"})
}
fn b_unique() -> IndexSpec {
    live(doc! {"key": {"b": 1, "c": -1}, "name": "b_1_c_-1", "unique": true})
}
fn legacy() -> IndexSpec {
    live(doc! {"key": {"legacy": 1}, "name": "legacy_1"})
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_threshold_is_a_share_more_than_0_and_at_most_1() {
    assert!(Threshold::new(0.5).is_ok());
    assert!(Threshold::new(1.0).is_ok());
    assert!(Threshold::new(0.001).is_ok());
    for bad in [0.0, -0.5, 1.01, 50.0, f64::NAN] {
        let e = Threshold::new(bad).unwrap_err();
        assert!(e.to_string().contains("more than 0 and at most 1"), "{e}");
    }
}

#[test]
fn what_most_tenants_have_is_declared_and_the_rest_is_said_where() {
    let fleet = vec![
        db("t1", vec![("m", vec![a(), b(), legacy()])]),
        db("t2", vec![("m", vec![a(), b()])]),
        db("t3", vec![("m", vec![a(), b_unique()])]),
        db("t4", vec![("m", vec![b()])]),
    ];
    let pulled = consensus(Scope::Tenant, &fleet, Threshold::default());
    assert_eq!(pulled.databases, 4);
    let m = &pulled.collections[0];
    assert!(m.declared);
    let declared: Vec<&str> = m.indexes.iter().map(|i| i.spec.name.as_str()).collect();
    assert_eq!(declared, ["a_1", "b_1_c_-1"]);
    assert_eq!(
        m.indexes[0].spread,
        Spread {
            on: 3,
            of: 4,
            with: names(&["t1", "t2", "t3"]),
            missing: names(&["t4"]),
            different: vec![]
        }
    );
    assert_eq!(
        m.indexes[1].spread,
        Spread {
            on: 3,
            of: 4,
            with: names(&["t1", "t2", "t4"]),
            missing: vec![],
            different: names(&["t3"])
        }
    );
    assert!(!m.indexes[1].spec.unique, "the common form is declared");
    assert_eq!(m.left_out.len(), 1);
    assert_eq!(m.left_out[0].spec.name, "legacy_1");
    assert_eq!(m.left_out[0].spread.on, 1);
    assert!(m.left_out[0]
        .why_left_out
        .as_deref()
        .unwrap()
        .contains("threshold"));
    // At 100%, only what every tenant has the same.
    let strict = consensus(Scope::Tenant, &fleet, Threshold::new(1.0).unwrap());
    assert!(strict.collections[0].indexes.is_empty());
}

#[test]
fn id_and_clustered_indexes_and_bare_collections_are_never_pulled() {
    let clustered =
        live(doc! {"key": {"_id": 1}, "name": "by_id", "unique": true, "clustered": true});
    let fleet = vec![db(
        "p",
        vec![("only_id", vec![]), ("clustered", vec![clustered])],
    )];
    let pulled = consensus(Scope::Public, &fleet, Threshold::default());
    assert!(pulled.collections.is_empty(), "{pulled:?}");
}

#[test]
fn the_same_spec_under_two_names_or_two_text_indexes_keep_only_the_more_common() {
    let x = live(doc! {"key": {"a": 1}, "name": "x"});
    let y = live(doc! {"key": {"a": 1}, "name": "y"});
    let t1 = live(
        doc! {"key": {"_fts": "text", "_ftsx": 1}, "name": "t1", "weights": {"a": 1}, "default_language": "english", "language_override": "language", "textIndexVersion": 3},
    );
    let t2 = live(
        doc! {"key": {"_fts": "text", "_ftsx": 1}, "name": "t2", "weights": {"b": 1}, "default_language": "english", "language_override": "language", "textIndexVersion": 3},
    );
    let fleet = vec![
        db("t1", vec![("m", vec![x.clone(), t1.clone()])]),
        db("t2", vec![("m", vec![x, t1])]),
        db("t3", vec![("m", vec![y.clone(), t2.clone()])]),
        db("t4", vec![("m", vec![y, t2])]),
    ];
    // Equal counts: the first name in order wins, deterministically.
    let pulled = consensus(Scope::Tenant, &fleet, Threshold::default());
    let m = &pulled.collections[0];
    let declared: Vec<&str> = m.indexes.iter().map(|i| i.spec.name.as_str()).collect();
    assert_eq!(declared, ["t1", "x"]);
    let left: Vec<&str> = m.left_out.iter().map(|i| i.spec.name.as_str()).collect();
    assert_eq!(left, ["t2", "y"]);
}

/// Every kind of index, as the server reports it.
fn every_kind() -> Vec<IndexSpec> {
    vec![
        live(doc! {"key": {"conversationId": 1, "timestamp": -1}, "name": "conv_ts"}),
        live(doc! {"key": {"billing.status": 1, "updatedAt": -1.0}, "name": "dotted"}),
        live(
            doc! {"key": {"tenant": 1, "_fts": "text", "_ftsx": 1}, "name": "search",
            "weights": {"body": 1, "title": 5}, "default_language": "french",
            "language_override": "lang", "textIndexVersion": 3},
        ),
        live(doc! {"key": {"$**": 1}, "name": "wild", "wildcardProjection": {"a": 1, "b.c": 1}}),
        live(doc! {"key": {"meta.$**": 1}, "name": "wild_meta"}),
        live(
            doc! {"key": {"email": 1}, "name": "email_ci", "unique": true,
            "collation": {"locale": "en", "caseLevel": false, "caseFirst": "off", "strength": 2,
                "numericOrdering": false, "alternate": "non-ignorable", "maxVariable": "punct",
                "normalization": false, "backwards": false, "version": "57.1"}},
        ),
        live(
            doc! {"key": {"mobile": 1}, "name": "mobile_active", "unique": true,
            "partialFilterExpression": {"deletedAt": null}},
        ),
        live(doc! {"key": {"at": 1}, "name": "recent",
        "partialFilterExpression": {"at": {"$gte": bson::DateTime::from_millis(1_704_067_200_000)}, "kind": {"$in": ["a", "b"]}}}),
        live(doc! {"key": {"createdAt": 1}, "name": "ttl", "expireAfterSeconds": 3600}),
        live(doc! {"key": {"loc": "2dsphere"}, "name": "loc_2dsphere", "2dsphereIndexVersion": 3}),
        live(
            doc! {"key": {"place": "2dsphere"}, "name": "place_levels", "2dsphereIndexVersion": 3,
            "finestIndexedLevel": 17, "coarsestIndexedLevel": 5},
        ),
        live(doc! {"key": {"pos": "2d"}, "name": "pos_2d", "bits": 20, "min": -90.0, "max": 90.0}),
        live(doc! {"key": {"h": "hashed"}, "name": "h_hashed"}),
        live(doc! {"key": {"old": 1}, "name": "hidden_one", "hidden": true, "sparse": true}),
        live(
            doc! {"key": {"$**": "text"}, "name": "everything_text_elsewhere",
            "weights": {"$**": 1}, "default_language": "english", "language_override": "language", "textIndexVersion": 3},
        ),
    ]
}

fn round_trip(syntax: Syntax, specs: Vec<IndexSpec>) {
    // Two text indexes can't share a collection: one collection per index.
    let collections: Vec<(String, Vec<IndexSpec>)> = specs
        .iter()
        .map(|s| (format!("c_{}", s.name), vec![s.clone()]))
        .collect();
    let state = db(
        "p",
        collections
            .iter()
            .map(|(n, i)| (n.as_str(), i.clone()))
            .collect(),
    );
    let pulled = consensus(
        Scope::Public,
        std::slice::from_ref(&state),
        Threshold::default(),
    );
    let all: Vec<&PulledCollection> = pulled.collections.iter().collect();
    let text = manifest(&pulled, &all, syntax, "../schema/manifest.schema.json", &[]);
    let path = PathBuf::from(format!("public.{}", syntax.extension()));
    let (loaded, problems) = crate::manifest::load_sources(&[(path, text.clone())]);
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    assert_eq!(loaded.public.len(), collections.len(), "{text}");
    for declared in &loaded.public {
        let live = state.collection(&declared.name).unwrap();
        let live_index = &live.indexes[1];
        assert_eq!(declared.indexes.len(), 1, "{text}");
        assert_eq!(
            compare(&declared.indexes[0], live_index, None),
            Verdict::Same,
            "{}:\n{text}",
            declared.name
        );
        assert_eq!(declared.indexes[0].keys.len(), {
            let k = &crate::model::declared_form::as_a_person_declares(live_index).keys;
            k.len()
        });
    }
}

#[test]
fn every_kind_of_index_reads_back_as_the_same_index_in_yaml() {
    round_trip(Syntax::Yaml, every_kind());
}

#[test]
fn every_kind_of_index_reads_back_as_the_same_index_in_toml() {
    round_trip(Syntax::Toml, every_kind());
}

#[test]
fn a_declaration_is_written_as_a_person_writes_it() {
    let fleet = vec![db("p", vec![("users", every_kind()[5..7].to_vec())])];
    let pulled = consensus(Scope::Public, &fleet, Threshold::default());
    let all: Vec<&PulledCollection> = pulled.collections.iter().collect();
    let yaml = manifest(
        &pulled,
        &all,
        Syntax::Yaml,
        "../schema/manifest.schema.json",
        &[],
    );
    assert_eq!(
        yaml,
        "# yaml-language-server: $schema=../schema/manifest.schema.json
scope: public
collections:
  - name: users
    indexes:
      - name: email_ci
        keys: { email: 1 }
        unique: true
        collation: { locale: en, strength: 2 }
      - name: mobile_active
        keys: { mobile: 1 }
        unique: true
        partialFilterExpression: { deletedAt: null }
"
    );
    let toml = manifest(
        &pulled,
        &all,
        Syntax::Toml,
        "../schema/manifest.schema.json",
        &[],
    );
    assert!(
        toml.contains("partialFilterExpression = '{\"deletedAt\": null}'"),
        "{toml}"
    );
    assert!(
        toml.contains("collation = { locale = 'en', strength = 2 }"),
        "{toml}"
    );
}

#[test]
fn tenant_differences_are_comments_and_the_left_out_ones_commented_out() {
    let fleet = vec![
        db("t1", vec![("m", vec![a(), legacy()])]),
        db("t2", vec![("m", vec![a()])]),
        db("t3", vec![("m", vec![])]),
        db("t4", vec![("m", vec![a()]), ("rare", vec![legacy()])]),
    ];
    let pulled = consensus(Scope::Tenant, &fleet, Threshold::default());
    let all: Vec<&PulledCollection> = pulled.collections.iter().collect();
    for syntax in [Syntax::Yaml, Syntax::Toml] {
        let text = manifest(&pulled, &all, syntax, "../schema/manifest.schema.json", &[]);
        assert!(
            text.contains("# on 3 of 4 tenants; missing on t3\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "# not declared, below the threshold (50% of 4): legacy_1; on 1 of 4 tenants: t1"
            ),
            "{text}"
        );
        assert!(
            text.contains("# rare: on 1 of 4 tenants, not declared"),
            "{text}"
        );
        let path = PathBuf::from(format!("tenant.{}", syntax.extension()));
        let (loaded, problems) = crate::manifest::load_sources(&[(path, text.clone())]);
        assert!(problems.is_empty(), "{problems:?}\n{text}");
        assert_eq!(loaded.tenant.len(), 1, "only m is declared:\n{text}");
        assert_eq!(loaded.tenant[0].indexes.len(), 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any key pattern of ordinary fields and directions, with any of the
    /// simple options, reads back as the same index in either syntax.
    #[test]
    fn simple_indexes_round_trip(
        fields in proptest::collection::vec(("[a-z]{1,6}(\\.[a-z]{1,4})?", prop_oneof![Just(1), Just(-1)]), 1..4),
        unique in any::<bool>(),
        hidden in any::<bool>(),
        ttl in proptest::option::of(0i64..2_000_000),
        filter_value in proptest::option::of(prop_oneof![Just(bson::Bson::Null), any::<i32>().prop_map(bson::Bson::Int32), "[a-z ']{0,8}".prop_map(bson::Bson::String)]),
    ) {
        let mut keys = Document::new();
        for (f, d) in &fields {
            keys.insert(f.clone(), *d);
        }
        let keys_len = keys.len();
        let mut reported = doc! {"key": keys, "name": "ix"};
        if unique { reported.insert("unique", true); }
        if hidden { reported.insert("hidden", true); }
        // TTL is for single-field indexes only.
        if let Some(t) = ttl.filter(|_| keys_len == 1) { reported.insert("expireAfterSeconds", t); }
        if let Some(v) = filter_value { reported.insert("partialFilterExpression", doc! {"state": v}); }
        let spec = live(reported);
        for syntax in [Syntax::Yaml, Syntax::Toml] {
            let state = db("p", vec![("c", vec![spec.clone()])]);
            let pulled = consensus(Scope::Public, &[state], Threshold::default());
            let all: Vec<&PulledCollection> = pulled.collections.iter().collect();
            let text = manifest(&pulled, &all, syntax, "s.json", &[]);
            let path = PathBuf::from(format!("public.{}", syntax.extension()));
            let (loaded, problems) = crate::manifest::load_sources(&[(path, text.clone())]);
            prop_assert!(problems.is_empty(), "{:?}\n{}", problems, text);
            prop_assert_eq!(compare(&loaded.public[0].indexes[0], &spec, None), Verdict::Same, "{}", text);
        }
    }
}
