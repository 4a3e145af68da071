//! Apply, then plan again: nothing left to do, for every kind of index, on
//! the real server. This is what proves the one comparison right.

use crate::support;

use mongodb::bson::{doc, Bson, Document};
use support::*;

/// Syncs a one-collection manifest, checks the live index with `check`, then
/// checks that a second plan is empty and a second sync changes nothing.
async fn converges(indexes: &str, name: &str, check: impl Fn(&Document)) {
    let p = Project::new();
    p.manifest(
        "m.yaml",
        &format!("scope: public\ncollections:\n  - name: things\n    indexes:\n{indexes}"),
    );
    let out = p.mig(&["sync-indexes"]);
    assert!(out.status.success(), "{}", show(&out));
    let live = live_index(&p.public, "things", name)
        .await
        .unwrap_or_else(|| panic!("{name} was not built:\n{}", show(&out)));
    check(&live);

    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "plan after apply is not empty: {plan:#}");
    assert_eq!(summary(&plan), (0, 0, 0, 0, 0), "{plan:#}");

    let (again, code) = p.json(&["sync-indexes"]);
    assert_eq!(code, 0);
    assert_eq!(again["targets"][0]["status"], "unchanged", "{again:#}");
}

#[tokio::test]
async fn compound_with_descending_fields() {
    converges(
        "      - name: idx_conv_ts\n        keys: { conversationId: 1, timestamp: -1, messageId: 1 }\n",
        "idx_conv_ts",
        |d| {
            let keys: Vec<_> = d.get_document("key").unwrap().keys().cloned().collect();
            assert_eq!(keys, vec!["conversationId", "timestamp", "messageId"]);
        },
    )
    .await;
}

#[tokio::test]
async fn unique() {
    converges(
        "      - name: u\n        keys: { messageId: 1 }\n        unique: true\n",
        "u",
        |d| assert_eq!(d.get_bool("unique"), Ok(true)),
    )
    .await;
}

#[tokio::test]
async fn sparse() {
    converges(
        "      - name: s\n        keys: { readAt: 1 }\n        sparse: true\n",
        "s",
        |d| assert_eq!(d.get_bool("sparse"), Ok(true)),
    )
    .await;
}

#[tokio::test]
async fn partial_unique_soft_delete() {
    converges(
        "      - name: p\n        keys: { email: 1 }\n        unique: true\n        partialFilterExpression: { deletedAt: null }\n",
        "p",
        |d| assert_eq!(d.get_document("partialFilterExpression").unwrap(), &doc! {"deletedAt": Bson::Null}),
    )
    .await;
}

#[tokio::test]
async fn partial_with_operators_and_extended_json() {
    converges(
        "      - name: p2\n        keys: { createdAt: 1 }\n        partialFilterExpression: { createdAt: { $gte: { $date: \"2024-01-01T00:00:00Z\" } }, amount: { $gt: 0.5 }, kind: { $type: \"string\" } }\n",
        "p2",
        |d| {
            let f = d.get_document("partialFilterExpression").unwrap();
            assert!(matches!(f.get_document("createdAt").unwrap().get("$gte"), Some(Bson::DateTime(_))));
        },
    )
    .await;
}

#[tokio::test]
async fn ttl() {
    converges(
        "      - name: t\n        keys: { expiresAt: 1 }\n        expireAfterSeconds: 3600\n",
        "t",
        |d| assert_eq!(d.get_i32("expireAfterSeconds"), Ok(3600)),
    )
    .await;
}

#[tokio::test]
async fn collation() {
    converges(
        "      - name: c\n        keys: { name: 1 }\n        collation: { locale: fr, strength: 2 }\n",
        "c",
        |d| {
            let c = d.get_document("collation").unwrap();
            assert_eq!(c.get_str("locale"), Ok("fr"));
            assert!(c.contains_key("caseLevel"), "the server resolves every field: {c}");
        },
    )
    .await;
}

#[tokio::test]
async fn text_with_weights_and_languages() {
    converges(
        "      - name: search\n        keys: { tenant: 1, title: text, body: text }\n        weights: { title: 10 }\n        default_language: french\n        language_override: lang\n",
        "search",
        |d| {
            assert!(d.get_document("key").unwrap().contains_key("_fts"), "server rewrites text keys: {d}");
            assert_eq!(d.get_str("default_language"), Ok("french"));
        },
    )
    .await;
}

#[tokio::test]
async fn text_with_defaults() {
    converges("      - keys: { subject: text }\n", "subject_text", |d| {
        assert_eq!(d.get_str("default_language"), Ok("english"))
    })
    .await;
}

#[tokio::test]
async fn geo_2d() {
    converges("      - name: g\n        keys: { loc: 2d }\n        bits: 28\n        min: -90\n        max: 90\n", "g", |d| {
        assert_eq!(d.get_i32("bits"), Ok(28))
    })
    .await;
}

#[tokio::test]
async fn geo_2dsphere() {
    converges(
        "      - name: g\n        keys: { location: 2dsphere, kind: 1 }\n",
        "g",
        |d| assert!(d.contains_key("2dsphereIndexVersion"), "{d}"),
    )
    .await;
}

#[tokio::test]
async fn hashed() {
    converges(
        "      - keys: { tenantKey: hashed }\n",
        "tenantKey_hashed",
        |d| {
            assert_eq!(
                d.get_document("key").unwrap().get_str("tenantKey"),
                Ok("hashed")
            )
        },
    )
    .await;
}

#[tokio::test]
async fn wildcard_with_projection() {
    converges(
        "      - name: w\n        keys: { $**: 1 }\n        wildcardProjection: { attributes: 1, tags: 1 }\n",
        "w",
        |d| assert!(d.contains_key("wildcardProjection"), "{d}"),
    )
    .await;
}

#[tokio::test]
async fn wildcard_on_a_path() {
    converges(
        "      - keys: { attributes.$**: 1 }\n",
        "attributes.$**_1",
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn hidden() {
    converges(
        "      - name: h\n        keys: { archivedAt: 1 }\n        hidden: true\n",
        "h",
        |d| assert_eq!(d.get_bool("hidden"), Ok(true)),
    )
    .await;
}

#[tokio::test]
async fn toml_manifest_with_extended_json_filter() {
    let p = Project::new();
    p.manifest(
        "m.toml",
        "scope = \"public\"\n[[collections]]\nname = \"things\"\n[[collections.indexes]]\nname = \"p\"\nkeys = { \"billing.status\" = 1, updatedAt = -1 }\nunique = true\npartialFilterExpression = '{\"deletedAt\": null}'\n",
    );
    assert!(p.mig(&["sync-indexes"]).status.success());
    let live = live_index(&p.public, "things", "p").await.unwrap();
    assert_eq!(
        live.get_document("key").unwrap(),
        &doc! {"billing.status": 1, "updatedAt": -1}
    );
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{plan:#}");
}

#[tokio::test]
async fn index_without_collation_on_a_collection_with_a_default_collation() {
    let p = Project::new();
    client()
        .await
        .database(&p.public)
        .run_command(doc! {"create": "things", "collation": {"locale": "de", "strength": 1}})
        .await
        .unwrap();
    p.manifest(
        "m.yaml",
        "scope: public\ncollections:\n  - name: things\n    indexes:\n      - keys: { name: 1 }\n",
    );
    assert!(p.mig(&["sync-indexes"]).status.success());
    let live = live_index(&p.public, "things", "name_1").await.unwrap();
    assert_eq!(
        live.get_document("collation").unwrap().get_str("locale"),
        Ok("de"),
        "inherited"
    );
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{plan:#}");
}
