//! `mig lint` on a real server: the live rules (TTL fields that hold no
//! dates, indexes unused across tenants), severities from mig.toml and exit
//! codes, `plan` failing on lint errors, and that lint writes nothing.

use crate::support;

use futures::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::Hint;
use serde_json::Value;
use support::*;

const REDUNDANT: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: by_group
        keys: { group: 1 }
      - name: by_group_i
        keys: { group: 1, i: 1 }
";

/// A project whose only targets are `n` fresh tenants listed in mig.toml, plus `extra`.
fn tenants_project(n: usize, extra: &str) -> (Project, Vec<String>) {
    let p = Project::new();
    let names: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    configure(&p, &names, extra);
    (p, names)
}

fn configure(p: &Project, tenants: &[String], extra: &str) {
    p.config_without_public(&format!("{}{extra}", listed_tenants(tenants)));
}

/// (rule, collection.index, severity) of each finding.
fn found(lint: &Value) -> Vec<(String, String, String)> {
    lint["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {lint}"))
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                format!(
                    "{}.{}",
                    f["collection"].as_str().unwrap(),
                    f["index"].as_str().unwrap()
                ),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn finding(rule: &str, subject: &str, severity: &str) -> (String, String, String) {
    (rule.into(), subject.into(), severity.into())
}

#[test]
fn severities_from_mig_toml_decide_the_exit_code() {
    let (p, tenants) = tenants_project(1, "");
    p.manifest("tenant.yaml", REDUNDANT);
    // Default: a warning, exit 0, with where it is declared.
    let (lint, code) = p.json(&["lint"]);
    assert_eq!(code, 0, "{lint}");
    assert_eq!(
        found(&lint),
        vec![finding("redundant-index", "messages.by_group", "warn")]
    );
    let f = &lint["findings"][0];
    assert_eq!(f["file"], "manifests/tenant.yaml");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(5), Some(13))
    );
    assert!(f["message"].as_str().unwrap().contains("by_group_i"), "{f}");

    configure(&p, &tenants, "[lint.rules]\nredundant-index = \"error\"\n");
    let out = p.mig(&["lint"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("tenant.yaml:5:13: error[redundant-index]: messages.by_group: "),
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("1 lint finding(s) at error level"),
        "{}",
        show(&out)
    );

    configure(&p, &tenants, "[lint.rules]\nredundant-index = \"off\"\n");
    let (lint, code) = p.json(&["lint"]);
    assert_eq!((found(&lint), code), (vec![], 0));

    // A misspelt rule is a config error, by name.
    configure(&p, &tenants, "[lint.rules]\nredundant-indexes = \"off\"\n");
    let out = p.mig(&["lint"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("redundant-indexes"), "{}", show(&out));
}

#[test]
fn plan_shows_lint_errors_and_fails_on_them() {
    let (p, tenants) = tenants_project(1, "[lint.rules]\nredundant-index = \"error\"\n");
    p.manifest("tenant.yaml", REDUNDANT);
    let (plan, code) = p.json(&["plan"]);
    assert_eq!(code, 1, "{plan}");
    assert_eq!(plan["targets"][0]["database"], tenants[0].as_str());
    assert_eq!(
        found(&serde_json::json!({"findings": plan["lint"]})),
        vec![finding("redundant-index", "messages.by_group", "error")]
    );
    let out = p.mig(&["plan"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("Lint: 1 lint error(s)"),
        "{}",
        show(&out)
    );

    // Warnings don't fail a plan, nor show in it.
    configure(&p, &tenants, "");
    let (plan, code) = p.json(&["plan"]);
    assert_eq!((code, plan["lint"].clone()), (0, serde_json::json!([])));
}

const TTL: &str = "scope: tenant
collections:
  - name: sessions
    indexes:
      - name: sessions_expire
        keys: { expiresAt: 1 }
        expireAfterSeconds: 3600
  - name: tokens
    indexes:
      - name: tokens_expire
        keys: { expiresAt: 1 }
        expireAfterSeconds: 3600
";

#[tokio::test]
async fn ttl_not_date_fires_on_strings_and_not_on_dates() {
    let (p, tenants) = tenants_project(2, "");
    p.manifest("tenant.yaml", TTL);
    // Far in the future: nothing expires while the test runs.
    let later = DateTime::from_millis(DateTime::now().timestamp_millis() + 86_400_000 * 365);
    // sessions: strings in the first tenant, dates in the second.
    insert(
        &tenants[0],
        "sessions",
        (0..30)
            .map(|i| doc! {"i": i, "expiresAt": "2030-01-01T00:00:00Z"})
            .collect(),
    )
    .await;
    insert(
        &tenants[1],
        "sessions",
        (0..30).map(|i| doc! {"i": i, "expiresAt": later}).collect(),
    )
    .await;
    // tokens: dates, arrays of dates, and documents without the field.
    for t in &tenants {
        insert(
            t,
            "tokens",
            vec![
                doc! {"expiresAt": later},
                doc! {"expiresAt": [later, later]},
                doc! {"other": 1},
                doc! {"expiresAt": null},
            ],
        )
        .await;
    }
    // Offline, the TTL rule has nothing to read.
    let (offline, code) = p.json(&["lint"]);
    assert_eq!((found(&offline), code), (vec![], 0));

    let (lint, code) = p.json(&["lint", "--live"]);
    assert_eq!(code, 1, "ttl-not-date is an error by default: {lint}");
    assert_eq!(
        found(&lint),
        vec![finding("ttl-not-date", "sessions.sessions_expire", "error")]
    );
    let message = lint["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("1 of 2 database(s)")
            && message.contains(tenants[0].as_str())
            && !message.contains(tenants[1].as_str())
            && message.contains("30 string"),
        "{message}"
    );
    assert_eq!(lint["live"], true);
}

const USAGE: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: by_group
        keys: { group: 1 }
      - name: by_i
        keys: { i: 1 }
      - name: by_text
        keys: { text: 1 }
        unique: true
";

/// Uses `index` once on `db.messages`.
async fn use_index(db: &str, index: &str, filter: Document) {
    let found: Vec<Document> = client()
        .await
        .database(db)
        .collection::<Document>("messages")
        .find(filter)
        .hint(Hint::Name(index.to_string()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(!found.is_empty());
}

/// The write counters (`top`) of every collection of `databases`, and the
/// collections themselves: what a read-only command must leave as they are.
async fn writes(databases: &[String]) -> Vec<(String, i64)> {
    let top = client()
        .await
        .database("admin")
        .run_command(doc! {"top": 1})
        .await
        .unwrap();
    let totals = top.get_document("totals").unwrap();
    let mut out = Vec::new();
    for db in databases {
        let names = client()
            .await
            .database(db)
            .list_collection_names()
            .await
            .unwrap();
        for name in names {
            let ns = format!("{db}.{name}");
            let counters = totals.get_document(&ns).ok();
            for op in ["insert", "update", "remove"] {
                let count = counters
                    .and_then(|c| c.get_document(op).ok())
                    .and_then(|c| match c.get("count")? {
                        mongodb::bson::Bson::Int32(n) => Some(i64::from(*n)),
                        mongodb::bson::Bson::Int64(n) => Some(*n),
                        other => panic!("top count: {other:?}"),
                    })
                    .unwrap_or_else(|| panic!("no {op} counter for {ns} in {totals:?}"));
                out.push((format!("{ns} {op}"), count));
            }
        }
    }
    out
}

#[tokio::test]
async fn unused_index_across_tenants_and_lint_writes_nothing() {
    let (p, tenants) = tenants_project(3, "[lint]\nunused_percent = 60\n");
    p.manifest("tenant.yaml", USAGE);
    for t in &tenants {
        seed(t, "messages", 50).await;
    }
    let out = p.mig(&["apply", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    // by_i is used everywhere; by_group on one tenant of three.
    for t in &tenants {
        use_index(t, "by_i", doc! {"i": 3}).await;
    }
    use_index(&tenants[0], "by_group", doc! {"group": 3}).await;

    let before = writes(&tenants).await;
    // The counters are live: the seed's inserts and apply's journal are in them.
    assert!(
        before
            .iter()
            .any(|(k, n)| k.ends_with(".messages insert") && *n > 0)
            && before
                .iter()
                .any(|(k, n)| k.ends_with(".mig update") && *n > 0),
        "{before:?}"
    );
    let (lint, code) = p.json(&["lint", "--live"]);
    assert_eq!(writes(&tenants).await, before, "mig lint --live wrote");

    assert_eq!(code, 0, "unused-index is a warning by default: {lint}");
    assert_eq!(
        found(&lint),
        vec![finding("unused-index", "messages.by_group", "warn")],
        "by_i is used, by_text is unique"
    );
    let message = lint["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("2 of 3 tenant database(s)")
            && message.contains(tenants[1].as_str())
            && message.contains(tenants[2].as_str())
            && !message.contains(tenants[0].as_str())
            && message.contains("counting since"),
        "{message}"
    );

    // Unused on 2 of 3 is under 90 %, the default.
    configure(&p, &tenants, "");
    let (lint, _) = p.json(&["lint", "--live"]);
    assert_eq!(found(&lint), vec![]);
}
