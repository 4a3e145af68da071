//! Long on purpose: many small tests of the manifest rules sharing a few
//! fixtures; they read best side by side.

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
    assert!(p[0].contains("c.indexes[0]: keys.billing: "), "{}", p[0]);
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
    // Named by collection and index (the default name), the field once.
    assert!(p[0].contains(": m.a_1: unique: "), "{}", p[0]);
    assert_eq!(p[0].matches("unique").count(), 1, "{}", p[0]);
}

#[test]
fn unknown_fields_are_all_reported_with_lines() {
    let yaml = "scope: tenant\nversion: 2\ncollections:\n  - name: m\n    shardKey: true\n    indexes:\n      - keys: { a: 1 }\n        uniqe: true\n        expireAfterSecond: 5\n";
    let p = problems(&[("m.yaml", yaml)]);
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p
        .iter()
        .any(|s| s.starts_with("m.yaml:2:") && s.contains("version")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("m.yaml:5:") && s.contains("m: shardKey: unknown field")));
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
        "takes no expireAfterSeconds",
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
        "wildcard index cannot be a TTL index",
    );
    assert_rejected(
        "{ keys: { a: 1 }, wildcardProjection: { a: 1 } }",
        "only allowed with the key",
    );
    assert_rejected(
        "{ keys: { a: 1 }, partialFilterExpression: { a: { $exists: false } } }",
        "$exists is not supported in a partial filter as false",
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
        "strength: must be 1 to 5",
    );
    assert_rejected(
        "{ keys: { a: 1 }, collation: { locale: en, colour: red } }",
        "unknown collation field",
    );
    assert_rejected(
        "{ keys: { _id: 1 }, name: _id_, unique: true }",
        "takes no unique",
    );
    assert_rejected("{ keys: { a: 0 } }", "cannot be 0");
    assert_rejected("{ keys: { a: geoHaystack } }", "unknown index type");
    assert_rejected("{ keys: {} }", "at least one key");
    assert_rejected("{ keys: { a: 1 }, name: '' }", "cannot be empty");
    assert_rejected(
        "{ keys: { a: 1 }, weights: { a: 2 } }",
        "only apply to a text index",
    );
    assert_rejected(
        "{ keys: { a: 1 }, partialFilterExpression: '{\"a\": ' }",
        "invalid Extended JSON",
    );
}

/// Problems and warnings of a one-index manifest, as printed.
fn findings(options: &str) -> (Vec<String>, Vec<String>) {
    let (m, p) = load(&[("m.yaml", &one_index(options))]);
    (
        p.iter().map(|p| p.to_string()).collect(),
        m.warnings.iter().map(|p| p.to_string()).collect(),
    )
}

/// Specs MongoDB 6.0 refuses at build time (each checked against mongod 6.0.5):
/// `validate` refuses them too, naming the index and the option.
#[test]
fn what_the_server_refuses_is_refused() {
    for (options, needle) in [
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $ne: 0 } } }", "m.ix: partialFilterExpression: b: $ne is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { attributes: { $exists: true, $ne: [] } } }", "$ne is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $nin: [1] } } }", "$nin is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $not: { $gt: 1 } } } }", "$not is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $regex: x } } }", "$regex is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $mod: [2, 0] } } }", "$mod is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { $nor: [ { b: 1 } ] } }", "$nor is not supported"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { $and: [ { $and: [ { $and: [ { $and: [ { c: 1 } ] } ] } ] } ] } }", "MongoDB allows 4"),
        ("{ name: ix, keys: { a: text }, default_language: klingon }", "m.ix: default_language: \"klingon\" is not a text search language"),
        ("{ name: ix, keys: { a: text }, language_override: a.b }", "m.ix: language_override: \"a.b\" must be a top-level field name"),
        ("{ name: ix, keys: { a: text }, weights: { a: 0 } }", "m.ix: weights.a: a weight must be from 1 to 99999"),
        ("{ name: ix, keys: { a: text }, weights: { a: -1 } }", "weight must be from 1 to 99999"),
        ("{ name: ix, keys: { a: text }, weights: { a: 100000 } }", "weight must be from 1 to 99999"),
        ("{ name: ix, keys: { a: text }, weights: { a: 0.5 } }", "weight must be from 1 to 99999"),
        ("{ name: ix, keys: { a: text }, collation: { locale: fr } }", "a text index cannot have a collation"),
        ("{ name: ix, keys: { h: hashed, loc: 2dsphere } }", "cannot mix index types (2dsphere and hashed)"),
        ("{ name: ix, keys: { a..b: 1 } }", "m.ix: keys.a..b: \"a..b\" has an empty field name"),
        ("{ name: ix, keys: { a.$**.b: 1 } }", "may only end a path of a wildcard index"),
        ("{ name: ix, keys: { $**: 1, b: 1 } }", "cannot be compound on MongoDB 6.0"),
        ("{ name: ix, keys: { $**: -1 } }", "a wildcard key must be positive"),
        ("{ name: ix, keys: { $**: 1 }, wildcardProjection: {} }", "wildcardProjection: cannot be empty"),
        ("{ name: ix, keys: { $**: 1 }, wildcardProjection: { a: 1, b: 0 } }", "cannot mix inclusions"),
        ("{ name: ix, keys: { r: -1, s: 2d } }", "the 2d field must be the first field"),
        ("{ name: ix, keys: { s: 2d, r: 2d } }", "only one 2d field"),
        ("{ name: ix, keys: { s: 2d }, bits: 0 }", "bits: must be from 1 to 32"),
        ("{ name: ix, keys: { s: 2d }, min: 10, max: 10 }", "must be less than max"),
        ("{ name: ix, keys: { s: 2d }, min: 200 }", "must be less than max"),
        ("{ name: ix, keys: { _id: 1 }, hidden: true }", "m.ix: hidden: the _id index ({ _id: 1 }) takes no hidden"),
        ("{ name: ix, keys: { _id: 1 }, sparse: true }", "takes no sparse"),
        ("{ name: ix, keys: { a: 1 }, collation: { locale: xx } }", "m.ix: collation.locale: \"xx\" is not a locale MongoDB supports"),
        ("{ name: ix, keys: { a: 1 }, collation: { locale: en_us } }", "did you mean \"en_US\""),
        ("{ name: ix, keys: { a: 1 }, hidden: 1 }", "hidden: must be true or false, not 1"),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: -1 }", "must be 0 or more"),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: -1.5 }", "must be 0 or more"),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: 2147483648 }", "must be at most 2147483647"),
        ("{ name: ix, keys: { a: foo } }", "unknown index type \"foo\""),
        ("{ name: ix, keys: { a: 1, $b: 1 } }", "a field name cannot start with '$'"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $type: foo } } }", "unknown type name"),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { $and: [] } }", "non-empty list"),
        ("{ name: '*', keys: { a: 1 } }", "not a valid index name"),
        ("{ name: _id_, keys: { a: 1 } }", "reserved for the _id index"),
        ("{ name: ix, keys: { a: text, b: 1, c: text } }", "must be next to each other"),
        ("{ name: ix, keys: { h: hashed, x: hashed } }", "only one field of an index can be hashed"),
        ("{ name: ix, keys: { h: hashed, x: 1 }, unique: true }", "hashed index cannot be unique"),
        ("{ name: ix, keys: { a: 1 }, collation: {} }", "cannot be empty"),
    ] {
        let (p, _) = findings(options);
        assert!(
            p.iter().any(|s| s.contains(needle) && s.starts_with("m.yaml:5:")),
            "expected {needle:?} for {options}, got {p:#?}"
        );
        // The position is said once, and never as collections[0]...
        assert!(p.iter().all(|s| !s.contains("collections[")), "{p:#?}");
    }
}

/// Specs MongoDB 6.0 accepts (each checked against mongod 6.0.5): no
/// problem; unusual ones get a warning, and are normalized as the server does.
#[test]
fn what_the_server_accepts_is_accepted_and_normalized() {
    for (options, warning) in [
        ("{ name: ix, keys: { a: 1 }, background: true }", Some("background: ignored")),
        ("{ name: ix, keys: { s: 2dsphere }, 2dsphereIndexVersion: 3 }", None),
        ("{ name: ix, keys: { $**: text }, unique: true }", None),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: 3600.0 }", None),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: 3600.5 }", Some("3600.5 is stored as 3600")),
        // Truncated toward zero before the range is checked (mongod 6.0.5).
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: -0.5 }", Some("-0.5 is stored as 0")),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: -0.9 }", Some("-0.9 is stored as 0")),
        ("{ name: ix, keys: { a: 1 }, expireAfterSeconds: 2147483647.5 }", Some("is stored as 2147483647")),
        ("{ name: ix, keys: { a: 2 } }", None),
        ("{ name: ix, keys: { a: 0.5, b: -3 } }", None),
        ("{ name: ix, keys: { a: 1 }, unique: 1 }", Some("unique: 1 is read as true")),
        ("{ name: ix, keys: { content: text }, weights: { content: 2.5 } }", Some("2.5 is stored as 2")),
        ("{ name: my_id, keys: { _id: 1 } }", Some("mig treats this declaration as _id_")),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $in: [1, 2] } } }", None),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { $or: [ { b: 1 }, { c: { $gt: 1 } } ] } }", None),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { $and: [ { $and: [ { $and: [ { c: 1 }, { d: 1 } ] } ] } ] } }", None),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $exists: true, $gt: 1 } } }", None),
        ("{ name: ix, keys: { a: 1 }, partialFilterExpression: { b: { $all: [1, 2] } } }", None),
        ("{ name: ix, keys: { a: 1 }, collation: { locale: de@collation=phonebook, strength: 2 } }", None),
        ("{ name: ix, keys: { a.$id: 1 } }", None),
        ("{ name: ix, keys: { a.$**: 1 } }", None),
        ("{ name: ix, keys: { $**: 1 }, wildcardProjection: { a: 0, _id: 1 } }", None),
        ("{ name: ix, keys: { s: 2d, r: -1 }, bits: 32, min: -1000, max: 1000 }", None),
        ("{ name: ix, keys: { x: -1, h: hashed } }", None),
        ("{ name: ix, keys: { a: text }, default_language: French }", None),
        ("{ name: ix, keys: { a: 1 }, default_language: french }", Some("has no effect")),
        ("{ name: ix, keys: { a: hashed }, expireAfterSeconds: 60 }", None),
    ] {
        let (p, w) = findings(options);
        assert!(p.is_empty(), "{options} was refused: {p:#?}");
        match warning {
            Some(needle) => assert!(
                w.iter().any(|s| s.contains(needle) && s.starts_with("m.yaml:5:") && s.contains("m.")),
                "expected warning {needle:?} for {options}, got {w:#?}"
            ),
            None => assert!(w.is_empty(), "{options}: {w:#?}"),
        }
    }
    let (m, _) = load(&[(
        "m.yaml",
        &one_index("{ name: ix, keys: { a: text }, weights: { a: 2.5 } }"),
    )]);
    assert_eq!(m.tenant[0].indexes[0].weights, Some(doc! {"a": 2}));
    let (m, _) = load(&[(
        "m.yaml",
        &one_index("{ name: ix, keys: { a: 1 }, expireAfterSeconds: 3600.9, unique: 1 }"),
    )]);
    assert_eq!(m.tenant[0].indexes[0].expire_after_seconds, Some(3600));
    assert!(m.tenant[0].indexes[0].unique);
}

#[test]
fn a_bad_scope_says_what_is_expected() {
    let p = problems(&[("a.yaml", "scope: nowhere\n")]);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].contains("unknown scope \"nowhere\": expected public, tenant"),
        "{}",
        p[0]
    );
    assert!(
        !p[0].contains("variant") && !p[0].contains("untagged"),
        "{}",
        p[0]
    );
}

#[test]
fn toml_type_errors_name_the_field_once() {
    let toml = "scope = \"tenant\"\n[[collections]]\nname = \"users\"\n[[collections.indexes]]\nname = \"ix_ttl\"\nkeys = { a = 1 }\nexpireAfterSeconds = \"soon\"\n";
    let p = problems(&[("m.toml", toml)]);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("m.toml:7:"), "{}", p[0]);
    assert!(
        p[0].contains("users.ix_ttl: expireAfterSeconds: "),
        "{}",
        p[0]
    );
    assert_eq!(p[0].matches("expireAfterSeconds").count(), 1, "{}", p[0]);
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
        && s.contains("m.x: name: the name is used twice")
        && s.contains("a.yaml:5")));
    assert!(p
        .iter()
        .any(|s| s.starts_with("b.yaml:6:") && s.contains("same key and options as m.x")));
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
    // A bad `drop` hides nothing else of the file.
    let p = problems(&[("c.yaml", "scope: tenant\nunmanaged: ['(']\ndrop: always\n")]);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[0].starts_with("c.yaml:2:13: unmanaged[0]: invalid regular expression"),
        "{p:?}"
    );
    assert_eq!(
        p[1],
        "c.yaml:3:1: drop: must be keep or staged, not \"always\""
    );
    let p = problems(&[("c.yaml", "scope: tenant\nunmanaged: ['(']\n")]);
    assert!(
        p[0].starts_with("c.yaml:2:") && p[0].contains("invalid regular expression"),
        "{p:?}"
    );
}

#[test]
fn views_reading_each_other_in_a_circle_are_refused_where_declared() {
    let yaml = "scope: tenant\ncollections:\n  - name: a\n    viewOn: b\n  - name: b\n    viewOn: c\n  - name: events\n";
    // The circle closes in another file: each view of it is named where declared.
    let other = "scope: tenant\ncollections:\n  - name: c\n    viewOn: a\n    pipeline: [{ $match: { x: 1 } }]\n  - name: d\n    viewOn: a\n";
    let (_, p) = load(&[("views.yaml", yaml), ("more.yaml", other)]);
    let found: Vec<(String, String, &str, &str)> = p
        .iter()
        .map(|p| {
            (
                p.file.display().to_string(),
                p.field.clone(),
                p.subject.as_str(),
                p.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "views.yaml".into(),
                "collections[0].viewOn".into(),
                "a",
                "views read each other in a circle: a → b → c → a"
            ),
            (
                "views.yaml".into(),
                "collections[1].viewOn".into(),
                "b",
                "views read each other in a circle: b → c → a → b"
            ),
            (
                "more.yaml".into(),
                "collections[0].viewOn".into(),
                "c",
                "views read each other in a circle: c → a → b → c"
            ),
        ],
        "d reads the circle without being part of it: {p:#?}"
    );
    assert!(p[0].to_string().starts_with("views.yaml"), "{}", p[0]);
}

#[test]
fn a_view_on_itself_is_a_circle_and_a_chain_is_not() {
    let (_, p) = load(&[(
        "v.yaml",
        "scope: public\ncollections:\n  - name: me\n    viewOn: me\n",
    )]);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].field, "collections[0].viewOn");
    assert_eq!(p[0].message, "views read each other in a circle: me → me");
    let chain = "scope: public\ncollections:\n  - name: v3\n    viewOn: v2\n  - name: v2\n    viewOn: v1\n  - name: v1\n    viewOn: events\n";
    let (m, p) = load(&[("v.yaml", chain)]);
    assert!(p.is_empty(), "{p:#?}");
    assert_eq!(m.public.len(), 3);
    assert!(m.public.iter().all(Collection::is_view));
}

#[test]
fn views_of_different_scopes_never_make_a_circle() {
    let public = "scope: public\ncollections:\n  - name: a\n    viewOn: b\n";
    let tenant = "scope: tenant\ncollections:\n  - name: b\n    viewOn: a\n";
    let (_, p) = load(&[("p.yaml", public), ("t.yaml", tenant)]);
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn toml_declares_a_validator_and_a_pipeline_as_extended_json_strings() {
    let toml = r#"scope = "tenant"

[[collections]]
name = "events"
validator = '{"at": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}, "deletedAt": null, "n": {"$numberLong": "7"}}'
validationAction = "warn"

[[collections]]
name = "recent"
viewOn = "events"
pipeline = '[{"$match": {"deletedAt": null}}, {"$sort": {"at": -1, "n": 1}}]'
"#;
    let (m, p) = load(&[("c.toml", toml)]);
    assert!(p.is_empty(), "{p:#?}");
    assert_eq!(
        m.tenant[0].options,
        Some(doc! {
            "validator": {
                "at": {"$gte": bson::DateTime::from_millis(1_704_067_200_000)},
                "deletedAt": Bson::Null,
                "n": Bson::Int64(7),
            },
            "validationAction": "warn",
        })
    );
    assert_eq!(
        m.tenant[1].options,
        Some(doc! {
            "viewOn": "events",
            "pipeline": [{"$match": {"deletedAt": Bson::Null}}, {"$sort": {"at": -1, "n": 1}}],
        })
    );
    // The rules read the strings too, and name the file and the field.
    let bad = toml
        .replace("\"$match\"", "\"$out\"")
        .replace("$gte", "$near");
    let p = problems(&[("c.toml", &bad)]);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(
        p[0].starts_with("c.toml") && p[0].contains("events: validator.at.$near: $geoNear, $near, and $nearSphere are not allowed in this context"),
        "{p:#?}"
    );
    assert!(
        p[1].contains("recent: pipeline[0].$out: The aggregation stage $out in location 0"),
        "{p:#?}"
    );
}

#[test]
fn before_the_server_s_release_is_known_only_what_every_release_refuses_is_refused() {
    let file = |keys: &str| {
        vec![(
            PathBuf::from("a.yaml"),
            format!("scope: tenant\ncollections:\n  - name: c\n    indexes:\n      - {{name: ix, keys: {keys}}}\n"),
        )]
    };
    // Compound wildcard: 6.0 refuses, 7.0 and 8.0 accept: left for the server.
    let compound = file(r#"{a: 1, "b.$**": 1}"#);
    assert!(!load_sources_for(&compound, Release::V6_0).1.is_empty());
    let (m, problems) = load_sources_deferred(&compound);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(m.tenant[0].indexes[0].name, "ix");
    // A zero wildcard direction: every release refuses it, so it is refused now.
    let (_, problems) = load_sources_deferred(&file(r#"{"$**": 0}"#));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("cannot be 0"), "{problems:?}");
}
