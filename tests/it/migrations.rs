//! Data migrations end to end, against the real server.

use crate::support;

use std::time::Duration;

use mongodb::bson::{doc, Document};
use support::*;

/// A project with a public database and `n` listed tenants, one manifest, and
/// the migrations given as (file name, text).
fn project(n: usize, migrations: &[(&str, &str)]) -> (Project, Vec<String>) {
    let p = Project::new();
    let tenants: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    p.config(&listed_tenants(&tenants));
    p.manifest(
        "tenant.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_status, keys: { status: 1 } }\n",
    );
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    for (name, text) in migrations {
        std::fs::write(p.path().join("migrations").join(name), text).unwrap();
    }
    (p, tenants)
}

/// A project whose tenants (`n`) hold `msgs` with documents and `idx_day`,
/// whose manifest declares `messages` with `idx_status` and `idx_day`, and
/// whose one migration renames `msgs` to `messages`: planned before it, both
/// indexes are to build; after it, only `idx_status`.
pub(crate) async fn renaming_project(n: usize) -> (Project, Vec<String>) {
    let rename = "description: rename msgs\nscope: tenant\nup:\n  - rename_collection: { from: msgs, to: messages }\n";
    let p = Project::new();
    let tenants: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    p.config(&listed_tenants(&tenants));
    p.manifest(
        "tenant.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_status, keys: { status: 1 } }\n      - { name: idx_day, keys: { day: 1 } }\n",
    );
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(
        p.path().join("migrations/20250101000000_rename.yaml"),
        rename,
    )
    .unwrap();
    for name in &tenants {
        let db = client().await.database(name);
        db.collection::<Document>("msgs")
            .insert_many(vec![
                doc! {"status": "new", "day": 1},
                doc! {"status": "old", "day": 2},
            ])
            .await
            .unwrap();
        db.run_command(
            doc! {"createIndexes": "msgs", "indexes": [{"key": {"day": 1}, "name": "idx_day"}]},
        )
        .await
        .unwrap();
    }
    (p, tenants)
}

async fn changelog(db: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    client()
        .await
        .database(db)
        .collection::<Document>("mig.changelog")
        .find(doc! {})
        .sort(doc! {"_id": 1})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

const CREATE_PLANS: &str = r#"description: create plans with a validator and seed it
scope: tenant
up:
  - create_collection:
      name: plans
      validator: { $jsonSchema: { bsonType: object, required: [code] } }
  - upsert_many:
      collection: plans
      key: [code]
      documents:
        - { code: free, price: 0 }
        - { code: pro, price: { $numberDecimal: "9.90" } }
down:
  - precondition: { collection_exists: plans }
  - run_command: { command: { drop: plans } }
"#;

#[tokio::test]
async fn new_up_status_down_up_again() {
    let (p, tenants) = project(1, &[]);
    let out = p.mig(&["new", "create_plans"]);
    assert!(out.status.success(), "{}", show(&out));
    let path = stdout(&out).trim().to_string();
    let file = std::path::Path::new(&path)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        file.ends_with("_create_plans.yaml")
            && file.len() == "20250101000000_create_plans.yaml".len(),
        "{file}"
    );
    std::fs::write(p.path().join(&path), CREATE_PLANS).unwrap();
    let id = file.trim_end_matches(".yaml").to_string();
    let t = &tenants[0];

    assert!(p.mig(&["apply"]).status.success());
    let plans = client().await.database(t).collection::<Document>("plans");
    assert_eq!(plans.count_documents(doc! {}).await.unwrap(), 2);
    let bad = plans.insert_one(doc! {"price": 1}).await;
    assert!(bad.is_err(), "the validator is there");
    assert!(
        live_index(t, "messages", "idx_status").await.is_some(),
        "then the index sync ran"
    );

    let (status, code) = p.json(&["status"]);
    assert_eq!(code, 0);
    let row = &status["databases"][1]["migrations"][0];
    assert_eq!(
        (
            row["id"].as_str().unwrap(),
            row["state"].as_str().unwrap(),
            row["batch"].as_i64()
        ),
        (id.as_str(), "applied", Some(1))
    );
    assert!(
        row["applied_at"].is_string() && row["duration_ms"].is_i64(),
        "{row:#}"
    );
    assert_eq!(status["summary"]["migrated"], 2, "{status:#}");

    let out = p.mig(&["down"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(!client()
        .await
        .database(t)
        .list_collection_names()
        .await
        .unwrap()
        .contains(&"plans".to_string()));
    let (status, _) = p.json(&["status"]);
    assert_eq!(status["databases"][1]["migrations"][0]["state"], "pending");
    assert_eq!(status["summary"]["behind"], 1);

    assert!(p.mig(&["apply"]).status.success());
    let log = changelog(t).await;
    assert_eq!(log[0].get_str("state"), Ok("applied"));
    assert_eq!(log[0].get_i64("batch"), Ok(2), "a new batch");
    assert_eq!(plans.count_documents(doc! {}).await.unwrap(), 2);
}

#[tokio::test]
async fn scopes_decide_where_a_migration_runs_and_a_second_apply_does_nothing() {
    let public = "description: public only\nscope: public\nup:\n  - insert_many: { collection: marks, documents: [{ m: public }] }\n";
    let tenant = "description: tenants only\nscope: tenant\nup:\n  - insert_many: { collection: marks, documents: [{ m: tenant }] }\n";
    let both = "description: everywhere\nscope: both\nup:\n  - insert_many: { collection: marks, documents: [{ m: both }] }\n";
    let (p, tenants) = project(
        2,
        &[
            ("20250101000000_p.yaml", public),
            ("20250101000001_t.yaml", tenant),
            ("20250101000002_b.yaml", both),
        ],
    );
    assert!(p.mig(&["apply"]).status.success());
    let marks = |db: String| async move {
        let mut m: Vec<String> = {
            use futures::TryStreamExt;
            let docs: Vec<Document> = client()
                .await
                .database(&db)
                .collection::<Document>("marks")
                .find(doc! {})
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            docs.iter()
                .map(|d| d.get_str("m").unwrap().to_string())
                .collect()
        };
        m.sort();
        m
    };
    assert_eq!(marks(p.public.clone()).await, vec!["both", "public"]);
    for t in &tenants {
        assert_eq!(marks(t.clone()).await, vec!["both", "tenant"]);
    }
    let (again, code) = p.json(&["apply"]);
    assert_eq!(code, 0);
    assert!(
        again["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["migrations"].as_array().unwrap().is_empty() && t["status"] == "unchanged"),
        "{again:#}"
    );
    for t in &tenants {
        assert_eq!(
            marks(t.clone()).await,
            vec!["both", "tenant"],
            "nothing ran twice"
        );
    }
}

#[tokio::test]
async fn a_failing_step_stops_that_database_only_and_is_recorded() {
    let first = "description: first\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 1 }] }\n";
    let failing = "description: fails in the second\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 2 }] }\n  - run_command: { command: { collMod: no_such_collection, validator: {} } }\n";
    let later = "description: later\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 3 }] }\n";
    let (p, tenants) = project(
        2,
        &[
            ("20250101000000_first.yaml", first),
            ("20250101000001_failing.yaml", failing),
            ("20250101000002_later.yaml", later),
        ],
    );
    // Only the first tenant fails: the second already has the collection.
    client()
        .await
        .database(&tenants[1])
        .run_command(doc! {"create": "no_such_collection"})
        .await
        .unwrap();
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let log = changelog(&tenants[0]).await;
    let states: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.get_str("_id").unwrap(), e.get_str("state").unwrap()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("20250101000000_first", "applied"),
            ("20250101000001_failing", "failed")
        ]
    );
    assert!(
        log[1]
            .get_str("error")
            .unwrap()
            .contains("step 2 (run_command)"),
        "{log:#?}"
    );
    assert!(
        live_index(&tenants[0], "messages", "idx_status")
            .await
            .is_none(),
        "its index sync did not run"
    );
    assert_eq!(
        changelog(&tenants[1]).await.len(),
        3,
        "the other database went on"
    );
    assert!(live_index(&tenants[1], "messages", "idx_status")
        .await
        .is_some());

    // Blocked until retried.
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("--retry-failed"), "{}", show(&out));
    client()
        .await
        .database(&tenants[0])
        .run_command(doc! {"create": "no_such_collection"})
        .await
        .unwrap();
    let out = p.mig(&["apply", "--retry-failed"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        changelog(&tenants[0])
            .await
            .iter()
            .filter(|e| e.get_str("state") == Ok("applied"))
            .count(),
        3
    );
}

#[tokio::test]
async fn a_transactional_migration_that_fails_midway_leaves_no_partial_writes() {
    let tx = "description: all or nothing\nscope: tenant\ntransactional: true\nup:\n  - insert_many: { collection: ledger, documents: [{ _id: 1 }, { _id: 2 }] }\n  - insert_many: { collection: ledger, documents: [{ _id: 3 }, { _id: 1 }] }\n";
    let (p, tenants) = project(1, &[("20250101000000_tx.yaml", tx)]);
    client()
        .await
        .database(&tenants[0])
        .run_command(doc! {"create": "ledger"})
        .await
        .unwrap();
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("rolled back"), "{}", show(&out));
    let n = client()
        .await
        .database(&tenants[0])
        .collection::<Document>("ledger")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(n, 0, "no partial writes");
    assert_eq!(
        changelog(&tenants[0]).await[0].get_str("state"),
        Ok("failed")
    );
}

#[tokio::test]
async fn a_large_batched_backfill_shows_progress_and_resumes_when_interrupted() {
    let backfill = "description: backfill status\nscope: tenant\nup:\n  - update_many:\n      collection: messages\n      filter: { status: { $exists: false } }\n      update: { $set: { status: sent }, $inc: { touched: 1 } }\n      batch_size: 5000\n";
    let (p, tenants) = project(1, &[("20250101000000_backfill.yaml", backfill)]);
    let t = &tenants[0];
    seed(t, "messages", 200_000).await;
    let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_mig"))
        .current_dir(p.path())
        .args(["apply", "--tenants-only", "--lock-lease", "2s"])
        .env("MONGODB_URI", uri())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let messages = client()
        .await
        .database(t)
        .collection::<Document>("messages");
    eventually(
        Duration::from_secs(60),
        "the backfill to be under way",
        || {
            let messages = messages.clone();
            async move {
                messages
                    .count_documents(doc! {"status": "sent"})
                    .await
                    .unwrap()
                    >= 20_000
            }
        },
    )
    .await;
    run.kill().unwrap();
    run.wait().unwrap();
    let partial = messages
        .count_documents(doc! {"status": "sent"})
        .await
        .unwrap();
    assert_eq!(
        changelog(t).await[0].get_str("state"),
        Ok("running"),
        "interrupted: {partial} done"
    );

    let out = p.mig(&["apply", "--tenants-only", "--lock-wait", "20s"]);
    assert!(out.status.success(), "{}", show(&out));
    let progress = stderr(&out);
    assert!(
        progress.contains("step 1: 5000/") && progress.contains(" document(s)"),
        "progress is shown: {}",
        show(&out)
    );
    assert_eq!(
        messages
            .count_documents(doc! {"status": "sent"})
            .await
            .unwrap(),
        200_000
    );
    // Resumed from its checkpoint: at most the one batch in flight at the kill ran twice.
    let twice = messages
        .count_documents(doc! {"touched": {"$gt": 1}})
        .await
        .unwrap();
    assert!(twice <= 5000, "{twice} documents updated twice");
    assert_eq!(changelog(t).await[0].get_str("state"), Ok("applied"));
}

#[tokio::test]
async fn bad_migration_files_are_named_and_nothing_is_written() {
    let (p, _) = project(
        1,
        &[
            ("20250101000000_unknown.yaml", "description: x\nscope: tenant\nup:\n  - frobnicate: { collection: m }\n"),
            ("20250101000001_nocoll.yaml", "description: x\nscope: tenant\nup:\n  - update_many: { filter: {}, update: { $set: { a: 1 } } }\n"),
            ("20250101000002_json.yaml", "description: x\nscope: tenant\nup:\n  - delete_many: { collection: m, filter: '{\"a\": ' }\n"),
            ("not_a_migration.yaml", "description: x\nscope: tenant\nup: []\n"),
        ],
    );
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("20250101000000_unknown.yaml:4:")
            && err.contains("unknown variant `frobnicate`"),
        "{err}"
    );
    assert!(
        err.contains("20250101000001_nocoll.yaml:4:") && err.contains("missing field `collection`"),
        "{err}"
    );
    assert!(
        err.contains("20250101000002_json.yaml:4:") && err.contains("allow_destructive"),
        "{err}"
    );
    assert!(
        err.contains("up[0].delete_many.filter") && err.contains("invalid Extended JSON"),
        "{err}"
    );
    assert!(
        err.contains("not_a_migration.yaml") && err.contains("<YYYYMMDDHHMMSS>_<name>"),
        "{err}"
    );
    let dbs = client().await.list_database_names().await.unwrap();
    assert!(!dbs.contains(&p.public), "nothing written");
}

#[tokio::test]
async fn a_changed_applied_migration_stops_the_database_unless_allowed() {
    let v1 = "description: seed\nscope: tenant\nup:\n  - upsert_many: { collection: plans, key: [code], documents: [{ code: a, v: 1 }] }\n";
    let (p, tenants) = project(1, &[("20250101000000_seed.yaml", v1)]);
    assert!(p.mig(&["apply", "--tenants-only"]).status.success());
    std::fs::write(
        p.path().join("migrations/20250101000000_seed.yaml"),
        v1.replace("v: 1", "v: 2"),
    )
    .unwrap();
    let out = p.mig(&["apply", "--tenants-only"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("changed since it was applied (checksum then"),
        "{}",
        show(&out)
    );
    assert!(p
        .mig(&["apply", "--tenants-only", "--allow-changed"])
        .status
        .success());
    let plan = client()
        .await
        .database(&tenants[0])
        .collection::<Document>("plans")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        plan.get_i32("v"),
        Ok(1),
        "an applied migration does not run again"
    );
}

#[tokio::test]
async fn to_and_dry_run_and_list() {
    let a = "description: first\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 1 }] }\n";
    let b = "description: second\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 2 }] }\n";
    let (p, tenants) = project(
        1,
        &[("20250101000000_a.yaml", a), ("20250101000001_b.yaml", b)],
    );
    let out = p.mig(&["apply", "--dry-run", "--tenants-only"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("migration 20250101000000_a  pending  first")
            && text.contains("1. insert_many log: 1 document(s)"),
        "{text}"
    );
    assert!(
        client()
            .await
            .database(&tenants[0])
            .list_collection_names()
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );

    assert!(p
        .mig(&["apply", "--tenants-only", "--to", "20250101000000_a"])
        .status
        .success());
    assert_eq!(changelog(&tenants[0]).await.len(), 1);
    let out = p.mig(&["list"]);
    assert!(
        stdout(&out).contains("20250101000001_b  tenant  second"),
        "{}",
        show(&out)
    );
    let out = p.mig(&["apply", "--to", "20990101000000_nope"]);
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn down_refuses_a_migration_without_down_steps_and_reports_missing_files() {
    let a = "description: reversible\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 1 }] }\ndown:\n  - run_command: { command: { drop: log } }\n";
    let b = "description: one way\nscope: tenant\nup:\n  - insert_many: { collection: other, documents: [{ n: 1 }] }\n";
    let (p, tenants) = project(
        1,
        &[("20250101000000_a.yaml", a), ("20250101000001_b.yaml", b)],
    );
    assert!(p.mig(&["apply", "--tenants-only"]).status.success());
    let out = p.mig(&["down", "--tenants-only"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("20250101000001_b has no `down` steps"),
        "{}",
        show(&out)
    );
    let names = client()
        .await
        .database(&tenants[0])
        .list_collection_names()
        .await
        .unwrap();
    assert!(names.contains(&"log".to_string()), "nothing was reverted");

    std::fs::remove_file(p.path().join("migrations/20250101000001_b.yaml")).unwrap();
    let out = p.mig(&["status", "--tenants-only"]);
    assert!(
        stdout(&out).contains("20250101000001_b is in the changelog but its file is missing"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn a_transactional_migration_is_refused_where_transactions_are_not_supported() {
    let dir = tempfile::tempdir().unwrap();
    // A standalone server: no replica set, no transactions.
    let node = support::mongod::Mongod::start_with(dir.path(), &[]).unwrap();
    let uri = format!("mongodb://127.0.0.1:{}/", node.port);
    let tx = "description: needs a transaction\nscope: tenant\ntransactional: true\nup:\n  - insert_many: { collection: ledger, documents: [{ _id: 1 }] }\n";
    let (p, tenants) = project(1, &[("20250101000000_tx.yaml", tx)]);
    let out = p.mig_env(&["apply", "--tenants-only"], &[("MONGODB_URI", &uri)]);
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let written = client
        .database(&tenants[0])
        .collection::<Document>("ledger")
        .count_documents(doc! {})
        .await
        .unwrap();
    let _ = client.database(&tenants[0]).drop().await;
    node.stop();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("needs a deployment with transactions"),
        "{}",
        show(&out)
    );
    assert_eq!(written, 0);
}

#[tokio::test]
async fn down_to_reverts_back_to_but_not_including_an_id() {
    let step = |n: u32| {
        format!("description: step {n}\nscope: tenant\nup:\n  - insert_many: {{ collection: log, documents: [{{ _id: {n} }}] }}\ndown:\n  - delete_many: {{ collection: log, filter: {{ _id: {n} }} }}\nallow_destructive: true\n")
    };
    let files: Vec<(String, String)> = (1..=3)
        .map(|n| (format!("2025010100000{n}_s{n}.yaml"), step(n)))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (p, tenants) = project(1, &refs);
    assert!(p.mig(&["apply", "--tenants-only"]).status.success());
    let out = p.mig(&["down", "--tenants-only", "--to", "20250101000001_s1"]);
    assert!(out.status.success(), "{}", show(&out));
    let log = changelog(&tenants[0]).await;
    let states: Vec<&str> = log.iter().map(|e| e.get_str("state").unwrap()).collect();
    assert_eq!(states, vec!["applied", "reverted", "reverted"]);
    let left = client()
        .await
        .database(&tenants[0])
        .collection::<Document>("log")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(left, 1);
}

/// Pending migrations are the database's first steps, in id order, before the
/// index steps, in the plan and in what the apply reports; once one fails,
/// the ones after it are not run.
#[tokio::test]
async fn migrations_are_the_first_steps_of_the_plan_and_stop_at_a_failure() {
    let ok = "description: ok\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 1 }] }\n";
    let failing = "description: fails\nscope: tenant\nup:\n  - run_command: { command: { collMod: no_such_collection, validator: {} } }\n";
    let (p, tenants) = project(
        1,
        &[
            ("20250101000000_ok.yaml", ok),
            ("20250101000001_failing.yaml", failing),
            ("20250101000002_never.yaml", ok),
        ],
    );
    let (plan, _) = p.json(&["plan", "--tenants-only"]);
    let steps = plan["targets"][0]["steps"].as_array().unwrap().clone();
    let commands: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s["command"].as_str().unwrap(), s["why"].as_str().unwrap()))
        .collect();
    assert_eq!(steps[0]["index"], "20250101000000_ok", "{plan:#}");
    assert!(steps[0]["collection"].is_null(), "{plan:#}");
    assert_eq!(
        commands,
        vec![
            ("migration", "migration"),
            ("migration", "migration"),
            ("migration", "migration"),
            ("reread", "reread"),
            ("createIndexes", "build")
        ],
        "{plan:#}"
    );
    let text = stdout(&p.mig(&["plan", "--tenants-only"]));
    let first = text.find("1. migration 20250101000000_ok").expect(&text);
    let reread = text.find("4. re-read the database").expect(&text);
    let build = text.find("5. createIndexes idx_status").expect(&text);
    assert!(first < reread && reread < build, "{text}");

    let (applied, code) = p.json(&["apply", "--tenants-only"]);
    assert_eq!(code, 1, "{applied:#}");
    let outcome: Vec<(bool, bool)> = applied["targets"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["ok"].as_bool().unwrap(), s["skipped"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        outcome,
        vec![
            (true, false),
            (false, false),
            (false, true),
            (false, true),
            (false, true)
        ],
        "ran, failed, then nothing run: the third migration, the re-read, the build: {applied:#}"
    );
    let log = changelog(&tenants[0]).await;
    assert_eq!(log.len(), 2, "the third never ran: {log:#?}");
    assert!(live_index(&tenants[0], "messages", "idx_status")
        .await
        .is_none());
}

/// A migration that renames a collection changes what the index plan is: the
/// plan shown (made before it) builds both indexes, the database read again
/// after it needs only one. That database stops after its migration, with the
/// new plan shown, and the next run converges.
#[tokio::test]
async fn a_migration_that_changes_the_index_plan_stops_the_database_and_the_next_run_converges() {
    let (p, names) = renaming_project(2).await;
    let (tenant, other) = (names[0].clone(), names[1].clone());

    // The plan: the migration, the re-read, then today's index steps; in text,
    // JSON and a saved plan alike.
    let (plan, code) = p.json(&["plan", "--tenant", &tenant, "--detailed-exitcode"]);
    assert_eq!(code, 2, "changes to make: {plan:#}");
    let commands = |steps: &serde_json::Value| -> Vec<String> {
        steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["command"].as_str().unwrap().to_string())
            .collect()
    };
    let shown = commands(&plan["targets"][0]["steps"]);
    assert_eq!(shown[..2], ["migration", "reread"], "{plan:#}");
    assert!(shown[2..].iter().all(|c| c == "createIndexes"), "{plan:#}");
    let text = stdout(&p.mig(&["plan", "--tenant", &tenant]));
    assert!(
        text.contains("1. migration 20250101000000_rename"),
        "{text}"
    );
    assert!(
        text.contains("2. re-read the database and plan again"),
        "{text}"
    );
    let saved = p.path().join("plan.json");
    let out = p.mig(&["plan", "--tenants-only", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", show(&out));
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let in_file = file.to_string();
    assert!(
        in_file.contains("\"reread\"") && in_file.contains("20250101000000_rename"),
        "{file:#}"
    );

    // Applied: the migration runs, the re-read plans other steps (idx_day came
    // with the collection), so nothing shown after it runs.
    let (applied, code) = p.json(&["apply", "--tenant", &tenant, "--yes"]);
    assert_eq!(code, 3, "a deferred database: {applied:#}");
    let target = &applied["targets"][0];
    assert_eq!(target["status"], "deferred", "{applied:#}");
    assert_eq!(target["deferred_kind"], "replanned", "{applied:#}");
    let replanned = commands(&target["replanned"]["steps"]);
    assert_eq!(
        replanned,
        ["createIndexes"],
        "only idx_status now: {applied:#}"
    );
    assert_eq!(changelog(&tenant).await.len(), 1, "the migration ran");
    assert!(live_index(&tenant, "messages", "idx_status")
        .await
        .is_none());
    assert!(live_index(&tenant, "messages", "idx_day").await.is_some());

    // In text, the database says why it stopped and where the new plan
    // differs from the one shown.
    let out = p.mig(&["apply", "--tenant", &other, "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains("stopped after its migrations"),
        "{}",
        show(&out)
    );
    assert!(
        text.contains("--- shown") && text.contains("+++ now"),
        "{}",
        show(&out)
    );
    assert!(live_index(&other, "messages", "idx_status").await.is_none());

    let out = p.mig(&["apply", "--tenants-only", "--yes"]);
    assert!(
        out.status.success(),
        "the next run converges: {}",
        show(&out)
    );
    for name in [&tenant, &other] {
        assert!(live_index(name, "messages", "idx_status").await.is_some());
    }
    let (again, code) = p.json(&["plan", "--tenants-only", "--detailed-exitcode"]);
    assert_eq!(code, 0, "nothing left: {again:#}");
}

/// The same, from a saved plan: its migration runs, and the index steps it
/// holds are run only where the database read again plans the same.
#[tokio::test]
async fn a_saved_plan_runs_its_migrations_then_its_index_steps() {
    let (p, tenants) = project(
        1,
        &[(
            "20250101000000_seed.yaml",
            "description: seed\nscope: tenant\nup:\n  - insert_many: { collection: messages, documents: [{ status: a }] }\n",
        )],
    );
    let saved = p.path().join("plan.json");
    let out = p.mig(&["plan", "--tenants-only", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", show(&out));
    // sync-indexes runs no migration: it leaves such a plan alone, saying why.
    let (refused, code) = p.json(&["sync-indexes", saved.to_str().unwrap()]);
    assert_eq!(code, 1, "{refused:#}");
    let skipped = refused["targets"][0]["skipped"]
        .as_str()
        .unwrap_or_default();
    assert!(skipped.contains("apply it with `mig apply`"), "{refused:#}");
    assert!(changelog(&tenants[0]).await.is_empty());
    let (applied, code) = p.json(&["apply", saved.to_str().unwrap()]);
    assert_eq!(code, 0, "{applied:#}");
    let steps: Vec<(String, bool)> = applied["targets"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["command"].as_str().unwrap().to_string(),
                s["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("migration".to_string(), true),
            ("reread".to_string(), true),
            ("createIndexes".to_string(), true)
        ],
        "{applied:#}"
    );
    assert_eq!(changelog(&tenants[0]).await.len(), 1);
    assert!(live_index(&tenants[0], "messages", "idx_status")
        .await
        .is_some());
}
