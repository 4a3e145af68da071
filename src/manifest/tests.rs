use std::path::PathBuf;

use bson::{doc, Bson};
use proptest::prelude::*;

use super::*;

fn load(files: &[(&str, &str)]) -> (Manifests, Vec<Problem>) {
    let sources: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, s)| (PathBuf::from(p), s.to_string()))
        .collect();
    load_sources(&sources)
}

fn problems(files: &[(&str, &str)]) -> Vec<String> {
    load(files).1.iter().map(|p| p.to_string()).collect()
}

const YAML: &str = r#"scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_messages_conversation_timestamp_desc
        keys: { conversationId: 1, timestamp: -1 }
      - name: idx_messages_message_id
        keys: { messageId: 1 }
        unique: true
      - keys: { readAt: 1 }
        sparse: true
  - name: users
    indexes:
      - name: idx_users_email
        keys: { email: 1 }
        unique: true
        partialFilterExpression: { deletedAt: null }
"#;

const TOML: &str = r#"scope = "tenant"

[[collections]]
name = "messages"

[[collections.indexes]]
name = "idx_messages_conversation_timestamp_desc"
keys = { conversationId = 1, timestamp = -1 }

[[collections.indexes]]
name = "idx_messages_message_id"
keys = { messageId = 1 }
unique = true

[[collections.indexes]]
keys = { readAt = 1 }
sparse = true

[[collections]]
name = "users"

[[collections.indexes]]
name = "idx_users_email"
keys = { email = 1 }
unique = true
partialFilterExpression = '{"deletedAt": null}'
"#;

#[test]
fn yaml_and_toml_yield_the_same_model() {
    let (y, py) = load(&[("m.yaml", YAML)]);
    let (t, pt) = load(&[("m.toml", TOML)]);
    assert!(py.is_empty() && pt.is_empty(), "{py:?} {pt:?}");
    assert_eq!(y.tenant, t.tenant);
    assert!(y.public.is_empty());
    let messages = &y.tenant[0];
    assert_eq!(
        messages.indexes[0].keys,
        doc! {"conversationId": 1, "timestamp": -1}
    );
    assert_eq!(messages.indexes[2].name, "readAt_1", "default name");
    assert!(messages.indexes[2].sparse);
    assert_eq!(
        y.tenant[1].indexes[0].partial_filter_expression,
        Some(doc! {"deletedAt": Bson::Null})
    );
}

#[test]
fn key_order_is_kept_as_written() {
    let (m, p) = load(&[(
        "m.toml",
        "scope = \"public\"\n[[collections]]\nname = \"c\"\n[[collections.indexes]]\nkeys = { z = 1, a = -1, m = 1 }\n",
    )]);
    assert!(p.is_empty(), "{p:?}");
    let keys: Vec<_> = m.public[0].indexes[0].keys.keys().cloned().collect();
    assert_eq!(keys, vec!["z", "a", "m"]);
}

#[test]
fn quoted_dotted_toml_keys_are_paths() {
    let (m, p) = load(&[(
        "m.toml",
        "scope = \"public\"\n[[collections]]\nname = \"c\"\n[[collections.indexes]]\nkeys = { \"billing.status\" = 1, updatedAt = -1 }\n",
    )]);
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(
        m.public[0].indexes[0].keys,
        doc! {"billing.status": 1, "updatedAt": -1}
    );
    assert_eq!(m.public[0].indexes[0].name, "billing.status_1_updatedAt_-1");
}

#[test]
fn unquoted_dotted_toml_keys_get_a_hint() {
    let p = problems(&[(
        "m.toml",
        "scope = \"public\"\n[[collections]]\nname = \"c\"\n[[collections.indexes]]\nkeys = { billing.status = 1 }\n",
    )]);
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("m.toml:5:"), "{}", p[0]);
    assert!(
        p[0].contains("collections[0].indexes[0].keys.billing"),
        "{}",
        p[0]
    );
    assert!(p[0].contains("must be quoted"), "{}", p[0]);
}

#[test]
fn extended_json_values_are_read() {
    let yaml = r#"scope: public
collections:
  - name: c
    indexes:
      - keys: { at: 1 }
        partialFilterExpression: { at: { $gt: { $date: "2024-01-01T00:00:00Z" } }, owner: { $oid: "65a1b2c3d4e5f60718293a4b" } }
"#;
    let (m, p) = load(&[("m.yaml", yaml)]);
    assert!(p.is_empty(), "{p:?}");
    let f = m.public[0].indexes[0]
        .partial_filter_expression
        .as_ref()
        .unwrap();
    assert!(matches!(
        f.get_document("at").unwrap().get("$gt"),
        Some(Bson::DateTime(_))
    ));
    assert!(matches!(f.get("owner"), Some(Bson::ObjectId(_))));
}

#[test]
fn both_scopes_share_a_file() {
    let yaml = "scope: [public, tenant]\ncollections:\n  - name: config\n    indexes:\n      - keys: { key: 1 }\n";
    let (m, p) = load(&[("m.yaml", yaml)]);
    assert!(p.is_empty());
    assert_eq!(m.public.len(), 1);
    assert_eq!(m.tenant.len(), 1);
}

#[test]
fn same_collection_in_two_scopes_can_differ() {
    let public =
        "scope: public\ncollections:\n  - name: config\n    indexes:\n      - keys: { a: 1 }\n";
    let tenant =
        "scope: tenant\ncollections:\n  - name: config\n    indexes:\n      - keys: { b: 1 }\n";
    let (m, p) = load(&[("p.yaml", public), ("t.yaml", tenant)]);
    assert!(p.is_empty());
    assert_eq!(m.public[0].indexes[0].name, "a_1");
    assert_eq!(m.tenant[0].indexes[0].name, "b_1");
}

#[test]
fn syntax_errors_name_file_and_line() {
    let p = problems(&[("bad.yaml", "scope: tenant\ncollections:\n  - name: [\n")]);
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("bad.yaml:"), "{}", p[0]);
    let p = problems(&[("bad.toml", "scope = \"tenant\"\n[[collections]\n")]);
    assert!(p[0].starts_with("bad.toml:2:"), "{}", p[0]);
}

#[test]
fn wrong_types_name_the_field() {
    let yaml = "scope: tenant\ncollections:\n  - name: m\n    indexes:\n      - keys: { a: 1 }\n        unique: yes\n";
    let p = problems(&[("m.yaml", yaml)]);
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("m.yaml:6:"), "{}", p[0]);
    assert!(
        p[0].contains("collections[0].indexes[0].unique"),
        "{}",
        p[0]
    );
}

#[test]
fn unknown_fields_are_all_reported_with_lines() {
    let yaml = "scope: tenant\nversion: 2\ncollections:\n  - name: m\n    capped: true\n    indexes:\n      - keys: { a: 1 }\n        uniqe: true\n        expireAfterSecond: 5\n";
    let p = problems(&[("m.yaml", yaml)]);
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p
        .iter()
        .any(|s| s.starts_with("m.yaml:2:") && s.contains("version")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("m.yaml:5:") && s.contains("collections[0].capped")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("m.yaml:8:") && s.contains("uniqe")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("m.yaml:9:") && s.contains("did you mean \"expireAfterSeconds\"")));
}

fn one_index(options: &str) -> String {
    format!("scope: tenant\ncollections:\n  - name: m\n    indexes:\n      - {options}\n")
}

fn assert_rejected(options: &str, needle: &str) {
    let p = problems(&[("m.yaml", &one_index(options))]);
    assert!(
        p.iter()
            .any(|s| s.contains(needle) && s.starts_with("m.yaml:5:")),
        "expected {needle:?} for {options}, got {p:#?}"
    );
}

#[test]
fn invalid_specs_are_rejected_offline() {
    assert_rejected(
        "{ keys: { a: 1 }, sparse: true, partialFilterExpression: { a: 1 } }",
        "sparse cannot be combined",
    );
    assert_rejected(
        "{ keys: { a: 1, b: 1 }, expireAfterSeconds: 10 }",
        "exactly one key field",
    );
    assert_rejected(
        "{ keys: { _id: 1 }, name: ttl, expireAfterSeconds: 10 }",
        "cannot be on _id",
    );
    assert_rejected(
        "{ keys: { a: hashed }, unique: true }",
        "hashed index cannot be unique",
    );
    assert_rejected(
        "{ keys: { $**: 1 }, unique: true }",
        "wildcard index cannot be unique",
    );
    assert_rejected(
        "{ keys: { $**: 1 }, sparse: true }",
        "wildcard index cannot be sparse",
    );
    assert_rejected(
        "{ keys: { $**: 1 }, expireAfterSeconds: 5 }",
        "wildcard index cannot be expireAfterSeconds",
    );
    assert_rejected(
        "{ keys: { a: 1 }, wildcardProjection: { a: 1 } }",
        "only allowed with a \"$**\" key",
    );
    assert_rejected(
        "{ keys: { a: 1 }, partialFilterExpression: { a: { $exists: false } } }",
        "$exists: false",
    );
    assert_rejected(
        "{ keys: { a: 1 }, partialFilterExpression: { $expr: { $gt: [1, 0] } } }",
        "$expr",
    );
    assert_rejected(
        "{ keys: { a: 1 }, partialFilterExpression: { $jsonSchema: {} } }",
        "$jsonSchema",
    );
    assert_rejected(
        "{ keys: { a: 1 }, collation: { strength: 2 } }",
        "needs a locale",
    );
    assert_rejected(
        "{ keys: { a: 1 }, collation: { locale: en, strength: 9 } }",
        "invalid collation strength",
    );
    assert_rejected(
        "{ keys: { a: 1 }, collation: { locale: en, colour: red } }",
        "unknown collation field",
    );
    assert_rejected(
        "{ keys: { _id: 1 }, name: _id_, unique: true }",
        "cannot be redefined",
    );
    assert_rejected("{ keys: { a: 2 } }", "must be 1 or -1");
    assert_rejected("{ keys: { a: geoHaystack } }", "unknown index type");
    assert_rejected("{ keys: {} }", "at least one key");
    assert_rejected("{ keys: { a: 1 }, name: '' }", "cannot be empty");
    assert_rejected(
        "{ keys: { a: 1 }, weights: { a: 2 } }",
        "only applies to a text index",
    );
    assert_rejected(
        "{ keys: { a: 1 }, partialFilterExpression: '{\"a\": ' }",
        "invalid Extended JSON",
    );
}

#[test]
fn plain_id_index_may_be_declared() {
    assert!(problems(&[("m.yaml", &one_index("{ keys: { _id: 1 }, name: _id_ }"))]).is_empty());
}

#[test]
fn collection_level_problems_are_reported_across_files() {
    let a = "scope: tenant\ncollections:\n  - name: m\n    indexes:\n      - { name: x, keys: { a: 1 } }\n      - { name: t1, keys: { title: text } }\n";
    let b = "scope: tenant\ncollections:\n  - name: m\n    indexes:\n      - { name: x, keys: { b: 1 } }\n      - { name: y, keys: { a: 1 }, expireAfterSeconds: 5 }\n      - { name: t2, keys: { body: text } }\n";
    let p = problems(&[("a.yaml", a), ("b.yaml", b)]);
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(p.iter().any(|s| s.starts_with("b.yaml:5:")
        && s.contains("duplicate index name \"x\"")
        && s.contains("a.yaml:5")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("b.yaml:6:") && s.contains("same key and options as index \"x\"")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("b.yaml:7:") && s.contains("only one text index")));
}

#[test]
fn too_many_indexes_are_rejected() {
    let mut yaml = String::from("scope: public\ncollections:\n  - name: m\n    indexes:\n");
    for i in 0..64 {
        yaml.push_str(&format!("      - keys: {{ f{i}: 1 }}\n"));
    }
    let p = problems(&[("m.yaml", &yaml)]);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].contains("65 indexes"), "{}", p[0]);
}

#[test]
fn invalid_collection_names_are_rejected() {
    let p = problems(&[(
        "m.yaml",
        "scope: public\ncollections:\n  - name: system.users\n  - name: a$b\n",
    )]);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p[0].starts_with("m.yaml:3:") && p[0].contains("reserved"));
    assert!(p[1].starts_with("m.yaml:4:"));
}

#[test]
fn problems_in_several_files_are_all_reported() {
    let p = problems(&[
        ("a.yaml", "scope: nowhere\n"),
        ("b.toml", "scope = \"tenant\"\nextra = 1\n"),
        (
            "c.yaml",
            &one_index("{ keys: { a: hashed }, unique: true }"),
        ),
    ]);
    assert_eq!(p.len(), 3, "{p:#?}");
}

// Any manifest written in YAML and in TOML yields the same model.
fn arb_index() -> impl Strategy<Value = (Vec<(String, i32)>, bool, bool, Option<u32>)> {
    (
        prop::collection::vec(
            ("[a-z]{1,5}(\\.[a-z]{1,3})?", prop_oneof![Just(1), Just(-1)]),
            1..4,
        ),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0u32..100_000),
    )
        .prop_map(|(mut keys, unique, sparse, ttl)| {
            let mut seen = std::collections::HashSet::new();
            keys.retain(|(k, _)| seen.insert(k.clone()));
            let ttl = if keys.len() == 1 { ttl } else { None };
            (keys, unique, sparse, ttl)
        })
}

proptest! {
    #[test]
    fn yaml_and_toml_agree(indexes in prop::collection::vec(arb_index(), 1..6)) {
        let mut yaml = String::from("scope: tenant\ncollections:\n  - name: c\n    indexes:\n");
        let mut toml = String::from("scope = \"tenant\"\n[[collections]]\nname = \"c\"\n");
        for (i, (keys, unique, sparse, ttl)) in indexes.iter().enumerate() {
            let yk: Vec<String> = keys.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            let tk: Vec<String> = keys.iter().map(|(k, v)| format!("\"{k}\" = {v}")).collect();
            yaml.push_str(&format!("      - name: i{i}\n        keys: {{ {} }}\n        unique: {unique}\n        sparse: {sparse}\n", yk.join(", ")));
            toml.push_str(&format!("[[collections.indexes]]\nname = \"i{i}\"\nkeys = {{ {} }}\nunique = {unique}\nsparse = {sparse}\n", tk.join(", ")));
            if let Some(t) = ttl {
                yaml.push_str(&format!("        expireAfterSeconds: {t}\n"));
                toml.push_str(&format!("expireAfterSeconds = {t}\n"));
            }
        }
        let (y, _) = load(&[("m.yaml", &yaml)]);
        let (t, _) = load(&[("m.toml", &toml)]);
        prop_assert_eq!(&y.tenant, &t.tenant);
        prop_assert_eq!(y.tenant[0].indexes.len(), indexes.len());
    }
}

#[test]
fn drop_policy_and_unmanaged_patterns_apply_to_the_files_collections() {
    let a = "scope: tenant\ndrop: staged\nunmanaged: ['^atlas_', '^tmp_']\ncollections:\n  - name: m\n    indexes:\n      - keys: { a: 1 }\n";
    let b = "scope: tenant\ncollections:\n  - name: other\n";
    let (m, p) = load(&[("a.yaml", a), ("b.yaml", b)]);
    assert!(p.is_empty(), "{p:?}");
    assert!(m.tenant[0].drop_undeclared);
    assert_eq!(m.tenant[0].protected, vec!["^atlas_", "^tmp_"]);
    assert!(!m.tenant[1].drop_undeclared && m.tenant[1].protected.is_empty());
    let p = problems(&[("c.yaml", "scope: tenant\nunmanaged: ['(']\ndrop: always\n")]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("drop"), "{p:?}");
    let p = problems(&[("c.yaml", "scope: tenant\nunmanaged: ['(']\n")]);
    assert!(
        p[0].starts_with("c.yaml:2:") && p[0].contains("invalid regular expression"),
        "{p:?}"
    );
}
