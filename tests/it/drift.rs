//! `mig drift` against the real server: a fleet built with deliberate
//! irregularities is grouped and counted exactly, with sample names, exit
//! codes 0/2/1 and its JSON shape; nothing is written. Also the markdown
//! output of `plan` and `drift`.

use crate::support;

use std::collections::BTreeMap;

use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use support::*;

const PUBLIC: &str = "scope: public
collections:
  - name: client_configs
    indexes:
      - name: idx_config_schema
        keys: { schema: 1 }
        unique: true
";

const TENANT: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_messages_conversation
        keys: { conversationId: 1, timestamp: -1 }
      - name: idx_messages_message_id
        keys: { messageId: 1 }
        unique: true
      - name: idx_messages_read_at
        keys: { readAt: 1 }
        sparse: true
";

/// The declared indexes as the driver builds them.
fn declared() -> Vec<Document> {
    vec![
        doc! {"key": {"conversationId": 1, "timestamp": -1}, "name": "idx_messages_conversation"},
        doc! {"key": {"messageId": 1}, "name": "idx_messages_message_id", "unique": true},
        doc! {"key": {"readAt": 1}, "name": "idx_messages_read_at", "sparse": true},
    ]
}

fn legacy() -> Document {
    doc! {"key": {"legacyField": 1}, "name": "legacy_field_1"}
}

async fn build(db: &str, collection: &str, indexes: Vec<Document>) {
    client()
        .await
        .database(db)
        .run_command(doc! {"createIndexes": collection, "indexes": indexes})
        .await
        .unwrap_or_else(|e| panic!("{db}.{collection}: {e}"));
}

/// A tenant's `messages` as declared, less `without`, with `with` replacing
/// (same name) or adding.
async fn tenant(db: &str, without: &[&str], with: Vec<Document>) {
    let mut indexes = declared();
    indexes.retain(|d| !without.contains(&d.get_str("name").unwrap()));
    for spec in with {
        indexes.retain(|d| d.get_str("name") != spec.get_str("name"));
        indexes.push(spec);
    }
    build(db, "messages", indexes).await;
}

/// A project of `n` tenant databases listed in mig.toml, its public
/// database built as declared; the tenants are left to the test.
async fn project(n: usize) -> (Project, Vec<String>) {
    let p = Project::new();
    let names: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    p.config(&listed_tenants(&names));
    p.manifest("public.yaml", PUBLIC);
    p.manifest("tenant.yaml", TENANT);
    build(
        &p.public,
        "client_configs",
        vec![doc! {"key": {"schema": 1}, "name": "idx_config_schema", "unique": true}],
    )
    .await;
    (p, names)
}

/// Every collection and index of `databases`, as the server lists them.
async fn snapshot(databases: &[String]) -> BTreeMap<String, Vec<String>> {
    let client = client().await;
    let mut out = BTreeMap::new();
    for db in databases {
        let mut collections = client.database(db).list_collection_names().await.unwrap();
        collections.sort();
        for c in collections {
            let mut indexes: Vec<String> = live_indexes(db, &c)
                .await
                .iter()
                .map(|d| format!("{d}"))
                .collect();
            indexes.sort();
            out.insert(format!("{db}.{c}"), indexes);
        }
    }
    out
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names
}

/// Deviations of a JSON group, as `kind collection.index`.
fn deviations(group: &Value) -> Vec<String> {
    group["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}.{}",
                d["kind"].as_str().unwrap(),
                d["collection"].as_str().unwrap(),
                d["index"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn drift_groups_and_counts_an_irregular_fleet_exactly_and_writes_nothing() {
    let (p, names) = project(20).await;
    // 4 as declared (with the public database, 5 in sync); 12 without
    // read_at; 1 with an extra index; 2 with both; 1 with message_id not unique.
    let (in_sync, rest) = names.split_at(4);
    let (no_read_at, rest) = rest.split_at(12);
    let (extra, rest) = rest.split_at(1);
    let (both, not_unique) = rest.split_at(2);
    for t in in_sync {
        tenant(t, &[], vec![]).await;
    }
    for t in no_read_at {
        tenant(t, &["idx_messages_read_at"], vec![]).await;
    }
    for t in extra {
        tenant(t, &[], vec![legacy()]).await;
    }
    for t in both {
        tenant(t, &["idx_messages_read_at"], vec![legacy()]).await;
    }
    for t in not_unique {
        let plain = doc! {"key": {"messageId": 1}, "name": "idx_messages_message_id"};
        tenant(t, &[], vec![plain]).await;
    }
    let mut all = names.clone();
    all.push(p.public.clone());
    let before = snapshot(&all).await;

    let (report, code) = p.json(&["drift"]);
    assert_eq!(code, 2, "drift found: {report:#}");
    assert_eq!(
        report["summary"],
        json!({"databases": 21, "in_sync": 5, "drifted": 16, "groups": 4, "failed": 0}),
        "{report:#}"
    );
    let groups = report["groups"].as_array().unwrap();
    let shape: Vec<(u64, Vec<String>)> = groups
        .iter()
        .map(|g| (g["count"].as_u64().unwrap(), deviations(g)))
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                12,
                vec!["missing messages.idx_messages_read_at".to_string()]
            ),
            (5, vec![]),
            (
                2,
                vec![
                    "missing messages.idx_messages_read_at".to_string(),
                    "extra messages.legacy_field_1".to_string()
                ]
            ),
            // Ties by deviation: different sorts before extra.
            (
                1,
                vec!["different messages.idx_messages_message_id".to_string()]
            ),
            (1, vec!["extra messages.legacy_field_1".to_string()]),
        ],
        "{report:#}"
    );
    // The first 10 names of a group, in name order; the count says the rest.
    let first_ten: Vec<String> = sorted(no_read_at).into_iter().take(10).collect();
    assert_eq!(groups[0]["samples"], json!(first_ten));
    assert_eq!(groups[0]["in_sync"], false);
    assert_eq!(groups[1]["in_sync"], true);
    let mut synced = in_sync.to_vec();
    synced.push(p.public.clone());
    assert_eq!(groups[1]["samples"], json!(sorted(&synced)));
    assert_eq!(groups[2]["samples"], json!(sorted(both)));
    assert_eq!(groups[3]["deviations"][0]["differences"], json!(["unique"]));
    assert_eq!(groups[3]["samples"], json!(not_unique));
    assert_eq!(groups[4]["samples"], json!(extra));
    assert_eq!(report["failed"], json!([]));
    assert_eq!(report["samples_kept"], 10);

    let out = p.mig(&["drift"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let text = stdout(&out);
    let first: Vec<String> = sorted(no_read_at).into_iter().take(3).collect();
    assert!(
        text.contains(&format!(
            "12  missing messages.idx_messages_read_at  ({}, … +9)",
            first.join(", ")
        )),
        "{text}"
    );
    assert!(text.contains(" 5  in sync\n"), "{text}");
    assert!(
        text.contains(&format!(
            " 1  with extra messages.legacy_field_1  ({})",
            extra[0]
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            " 1  with different messages.idx_messages_message_id (unique)  ({})",
            not_unique[0]
        )),
        "{text}"
    );
    // Several deviations of one group are listed together under it.
    let both_names = sorted(both).join(", ");
    let head = format!(" 2  with 2 deviations  ({both_names})\n");
    let at = text.find(&head).unwrap_or_else(|| panic!("{text}"));
    let below: Vec<&str> = text[at + head.len()..]
        .lines()
        .take(2)
        .map(str::trim)
        .collect();
    assert_eq!(
        below,
        vec![
            "missing messages.idx_messages_read_at",
            "extra messages.legacy_field_1"
        ]
    );
    assert!(
        text.contains(
            "Summary: 21 database(s) compared with the manifests: 5 in sync, 16 drifted in 4 way(s)"
        ),
        "{text}"
    );

    // Drift reads and never writes: no index, collection or lock appeared or went.
    assert_eq!(snapshot(&all).await, before);
}

#[tokio::test]
async fn a_fleet_as_declared_is_in_sync_and_exits_0() {
    let (p, names) = project(2).await;
    for t in &names {
        tenant(t, &[], vec![]).await;
    }
    let (report, code) = p.json(&["drift"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["summary"],
        json!({"databases": 3, "in_sync": 3, "drifted": 0, "groups": 0, "failed": 0})
    );
    assert_eq!(report["groups"].as_array().unwrap().len(), 1);
    assert_eq!(report["groups"][0]["deviations"], json!([]));
    let out = p.mig(&["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains("3  in sync"), "{}", show(&out));
    assert!(
        stdout(&out).contains(": 3 in sync, 0 drifted\n"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_read_is_named_with_why_counted_and_exits_1() {
    let (p, names) = project(3).await;
    tenant(&names[0], &[], vec![]).await;
    tenant(&names[1], &["idx_messages_read_at"], vec![]).await;
    // `messages` is a view there: it has no indexes to read.
    let broken = &names[2];
    client()
        .await
        .database(broken)
        .run_command(doc! {"create": "messages", "viewOn": "elsewhere", "pipeline": []})
        .await
        .unwrap();

    let (report, code) = p.json(&["drift"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["failed"], 1, "{report:#}");
    assert_eq!(report["summary"]["databases"], 4);
    assert_eq!(
        report["summary"]["drifted"], 1,
        "the others are still compared"
    );
    assert_eq!(report["failed"][0]["database"], broken.as_str());
    let why = report["failed"][0]["error"].as_str().unwrap();
    assert!(why.contains("is a view"), "{why}");

    let out = p.mig(&["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("1  could not be read"), "{text}");
    assert!(text.contains(&format!("{broken}: ")), "{text}");
    assert!(text.contains(", 1 failed"), "{text}");
}

#[tokio::test]
async fn markdown_of_plan_and_drift_is_a_table_with_collapsible_details() {
    let (p, names) = project(3).await;
    tenant(&names[0], &[], vec![]).await;
    tenant(&names[1], &["idx_messages_read_at"], vec![legacy()]).await;
    tenant(&names[2], &["idx_messages_read_at"], vec![]).await;

    let out = p.mig(&["plan", "--format", "markdown", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let md = stdout(&out);
    assert!(md.starts_with("### mig plan\n"), "{md}");
    assert!(
        md.contains(
            "| database | scope | status | create | modify | replace | hide | drop | unmanaged |"
        ),
        "{md}"
    );
    // Only the databases with changes have a row, and details.
    assert!(
        md.contains(&format!(
            "| `{}` | tenant | 1 change(s) | 1 | 0 | 0 | 0 | 0 | 1 |",
            names[1]
        )),
        "{md}"
    );
    assert!(!md.contains(&format!("`{}`", names[0])), "{md}");
    assert!(md.contains("2 other database(s): no changes."), "{md}");
    assert_eq!(md.matches("<details><summary>").count(), 2, "{md}");
    assert_eq!(md.matches("</details>").count(), 2, "{md}");
    assert!(
        md.contains(&format!(
            "<details><summary><code>{}</code> (tenant): 1 change(s)</summary>",
            names[2]
        )),
        "{md}"
    );
    assert!(md.contains("+ create  idx_messages_read_at"), "{md}");

    let out = p.mig(&["drift", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let md = stdout(&out);
    assert!(md.starts_with("### mig drift\n"), "{md}");
    assert!(
        md.contains("**4** database(s) compared with the manifests: **2** in sync, **2** drifted in 2 way(s), **0** failed."),
        "{md}"
    );
    assert!(
        md.contains("| databases | deviation | databases (first by name) |"),
        "{md}"
    );
    assert!(md.contains("| 2 | in sync |  |"), "{md}");
    assert!(
        md.contains(&format!(
            "| 1 | missing `messages.idx_messages_read_at` | `{}` |",
            names[2]
        )),
        "{md}"
    );
    assert!(
        md.contains("<details><summary>1 with 2 deviations</summary>\n\n- missing `messages.idx_messages_read_at`\n- extra `messages.legacy_field_1`\n"),
        "{md}"
    );
    assert!(
        md.contains(&format!("<details><summary>1 missing <code>messages.idx_messages_read_at</code></summary>\n\n- missing `messages.idx_messages_read_at`\n\nDatabases (the first 10 by name): `{}`\n\n</details>", names[2])),
        "{md}"
    );
    assert_eq!(md.matches("</details>").count(), 2, "{md}");
    assert!(md.ends_with("</details>\n"), "{md}");
}

#[tokio::test]
async fn commands_without_a_markdown_form_refuse_it_as_a_usage_error() {
    let (p, _) = project(0).await;
    for command in [
        &["status"][..],
        &["apply", "--yes"],
        &["validate"],
        &["list"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--format", "markdown"]);
        let out = p.mig(&args);
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(stdout(&out).is_empty(), "{}", show(&out));
        assert!(
            stderr(&out).contains(&format!(
                "--format markdown is for `mig plan`, `mig drift` and `mig lint`; `mig {}` prints text or json",
                command[0]
            )),
            "{}",
            show(&out)
        );
    }
    // Nothing was applied.
    assert!(live_indexes(&p.public, "mig").await.is_empty());
}
