//! The fleet streamed, against real servers: the JSON document written piece
//! by piece is the document, JSON Lines carry one object per database, and a
//! catalog read that fails half-way (the server steps down) leaves the
//! databases already read reported as planned and the rest as failed, and the
//! next run converges.

use crate::support;

use std::process::{Command, Stdio};

use mongodb::bson::{doc, Document};
use serde_json::Value;
use support::mongod::{self, Mongod};
use support::*;

const MANIFEST: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - { name: idx_status, keys: { status: 1 } }
  - name: users
    indexes:
      - { name: idx_email, keys: { email: 1 }, unique: true }
";

/// A project whose tenants are listed out of name order, some planned
/// already, one with an index the manifests don't declare.
async fn mixed_fleet(n: usize) -> (Project, Vec<String>) {
    let p = Project::new();
    let mut tenants: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    tenants.reverse();
    p.config(&listed_tenants(&tenants));
    p.manifest("tenant.yaml", MANIFEST);
    let c = client().await;
    for (i, t) in tenants.iter().enumerate() {
        if i % 2 == 0 {
            c.database(t)
                .run_command(doc! {"createIndexes": "messages", "indexes": [{"key": {"status": 1}, "name": "idx_status"}]})
                .await
                .unwrap();
        }
    }
    c.database(&tenants[0])
        .run_command(doc! {"createIndexes": "users", "indexes": [{"key": {"legacy": 1}, "name": "legacy_1"}]})
        .await
        .unwrap();
    (p, tenants)
}

#[tokio::test]
async fn json_lines_have_one_object_per_database_and_agree_with_the_document() {
    let (p, tenants) = mixed_fleet(5).await;
    let (doc, code) = p.json(&["plan", "--tenants-only"]);
    assert_eq!(code, 0);
    let out = p.mig(&["plan", "--tenants-only", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(
        lines.len(),
        tenants.len() + 1,
        "one per database, then the rest"
    );
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(&lines[..tenants.len()], targets.as_slice());
    let last = &lines[tenants.len()];
    assert_eq!(last["summary"], doc["summary"]);
    assert_eq!(last["rejected"], doc["rejected"]);
    // Tenants come by name, whatever the order mig.toml lists them in.
    let mut sorted = tenants.clone();
    sorted.sort();
    let order: Vec<&str> = targets
        .iter()
        .map(|t| t["database"].as_str().unwrap())
        .collect();
    assert_eq!(order, sorted);
    assert_eq!(doc["summary"]["databases"], tenants.len());
    assert_eq!(doc["summary"]["unmanaged"], 1);
    // The streamed text has the same databases, in the same order.
    let text = String::from_utf8_lossy(&p.mig(&["plan", "--tenants-only"]).stdout).into_owned();
    let positions: Vec<usize> = sorted
        .iter()
        .map(|t| text.find(&format!("{t} (tenant)")).expect("each database"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn jsonl_is_only_for_the_commands_that_stream() {
    let (p, _) = mixed_fleet(1).await;
    let out = p.mig(&["status", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let line = String::from_utf8_lossy(&out.stdout);
    let err: Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(err["error"]["kind"], "usage");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--format jsonl is for plan, apply and sync-indexes"),
        "{err}"
    );
}

/// `mig` against a server of the test's own.
fn mig_at(p: &Project, uri: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mig"))
        .current_dir(p.path())
        .args(args)
        .env("MONGODB_URI", uri)
        .env_remove("MIG_DEV_URI")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_step_down_during_the_catalog_read_fails_only_the_databases_not_yet_read() {
    // A server of its own: the fail point would hit every other test's reads.
    let dir = tempfile::tempdir().unwrap();
    let node = Mongod::start_with(
        dir.path(),
        &[
            "--replSet",
            "rsstream",
            "--setParameter",
            "enableTestCommands=1",
        ],
    )
    .unwrap();
    mongod::initiate(&[&node], "rsstream").await.unwrap();
    let uri = node.uri();
    let c = mongodb::Client::with_uri_str(&uri).await.unwrap();
    // Enough catalog entries that the cursor needs a getMore after its first
    // batch (256 entries, see server/inspect.rs): 100 tenants x 3 collections.
    let tenants: Vec<String> = (0..100).map(|i| format!("stream_{i:03}")).collect();
    for t in &tenants {
        for coll in ["messages", "users", "other"] {
            c.database(t)
                .collection::<Document>(coll)
                .insert_one(doc! {"x": 1})
                .await
                .unwrap();
        }
    }
    let p = Project::new();
    p.config_without_public(&listed_tenants(&tenants));
    p.manifest(
        "tenant.yaml",
        &MANIFEST.replace(
            "      - { name: idx_email, keys: { email: 1 }, unique: true }\n",
            "      - { name: idx_email, keys: { email: 1 }, unique: true }\n  - name: other\n    indexes:\n      - { name: idx_o, keys: { o: 1 } }\n",
        ),
    );
    // The server steps down while the catalog is being read: its next getMore fails.
    c.database("admin")
        .run_command(doc! {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": ["getMore"], "errorCode": 189, "errorLabels": []},
        })
        .await
        .unwrap();
    let out = mig_at(&p, &uri, &["plan", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the report is still one document");
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), tenants.len(), "every database is reported");
    let failed: Vec<bool> = targets.iter().map(|t| t["status"] == "failed").collect();
    let first_failed = failed.iter().position(|f| *f).expect("the rest failed");
    assert!(
        first_failed > 0,
        "the databases read before the step-down are planned"
    );
    assert!(
        failed[first_failed..].iter().all(|f| *f),
        "after the failure, every database not read fails: {failed:?}"
    );
    let why = targets[first_failed]["error"].as_str().unwrap();
    assert!(
        why.contains("189") || why.to_lowercase().contains("stepped down"),
        "{why}"
    );
    for t in &targets[..first_failed] {
        assert_eq!(t["status"], "pending", "{t}");
        assert_eq!(t["changes"].as_array().unwrap().len(), 3, "{t}");
    }
    assert_eq!(doc["summary"]["failed"], tenants.len() - first_failed);
    // Nothing was written, and the next run reads everything.
    let out = mig_at(&p, &uri, &["plan", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["failed"], 0);
    assert_eq!(doc["summary"]["create"], 3 * tenants.len());
    // And an apply after it converges.
    let out = mig_at(&p, &uri, &["apply", "--yes", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = mig_at(&p, &uri, &["plan", "--detailed-exitcode", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    node.stop();
}
