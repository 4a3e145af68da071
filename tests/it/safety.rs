//! Safe apply on the real server: locks, the journal, preflights, replaces
//! that keep coverage, staged drops, rollout controls.

use crate::support;

use std::process::{Command, Stdio};
use std::time::Duration;

use mongodb::bson::{doc, Document};
use support::*;

const MESSAGES: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_group_i
        keys: { group: 1, i: -1 }
      - name: idx_i
        keys: { i: 1 }
        unique: true
      - name: idx_text
        keys: { text: 1 }
";

/// A project whose only targets are tenants listed in mig.toml.
fn tenants_project(n: usize) -> (Project, Vec<String>) {
    let p = Project::new();
    let names: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    p.config_without_public(&listed_tenants(&names));
    (p, names)
}

fn spawn(p: &Project, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mig"))
        .current_dir(p.path())
        .args(args)
        .env("MONGODB_URI", uri())
        .env("NO_COLOR", "1")
        .env_remove("MONGODB_PUBLIC_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mig")
}

fn runs_that_wrote(journal: &[Document]) -> Vec<String> {
    let mut runs: Vec<String> = journal
        .iter()
        .map(|e| e.get_str("run").unwrap().to_string())
        .collect();
    runs.sort();
    runs.dedup();
    runs
}

#[tokio::test]
async fn two_concurrent_applies_never_both_write_a_database() {
    let (p, tenants) = tenants_project(4);
    for t in &tenants {
        seed(t, "messages", 20_000).await;
    }
    p.manifest("tenant.yaml", MESSAGES);
    let args = ["apply", "--tenants-only", "--concurrency", "1"];
    let a = spawn(&p, &args);
    let b = spawn(&p, &args);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for t in &tenants {
        let entries = journal(t).await;
        assert!(!entries.is_empty(), "{t} was applied by one of them");
        assert_eq!(
            runs_that_wrote(&entries).len(),
            1,
            "{t} was written by two runs: {entries:#?}"
        );
    }
    let both = format!("{}\n{}", show(&a), show(&b));
    // Whoever found a database locked said who held it and failed.
    if both.contains("skipped: lock held by `mig apply`") {
        assert!(!(a.status.success() && b.status.success()), "{both}");
    }
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0, "{both}");
}

#[tokio::test]
async fn a_killed_runs_lock_is_taken_over_after_its_lease() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    seed(t, "messages", 150_000).await;
    p.manifest("tenant.yaml", MESSAGES);
    let mut run = spawn(&p, &["apply", "--lock-lease", "2s"]);
    let pid = run.id();
    let locks = client().await.database(t).collection::<Document>("mig");
    eventually(Duration::from_secs(30), "the run to take its lock", || {
        let locks = locks.clone();
        async move { locks.count_documents(doc! {"_id": "lock"}).await.unwrap() == 1 }
    })
    .await;
    run.kill().unwrap();
    run.wait().unwrap();

    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains(&format!("pid {pid}")),
        "names the holder: {}",
        show(&out)
    );
    assert!(
        stdout(&out).contains("skipped: lock held by `mig apply`"),
        "{}",
        show(&out)
    );

    let out = p.mig(&["apply", "--lock-wait", "20s"]);
    assert!(
        out.status.success(),
        "took the lock over after its lease: {}",
        show(&out)
    );
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
    assert_eq!(
        locks.count_documents(doc! {"_id": "lock"}).await.unwrap(),
        0,
        "released"
    );
}

#[tokio::test]
async fn unlock_needs_force_and_names_the_holder() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    client()
        .await
        .database(t)
        .collection::<Document>("mig")
        .insert_one(doc! {
            "_id": "lock",
            "owner": {"host": "elsewhere", "pid": 4242_i64, "command": "mig apply", "run": "r1"},
            "expiresAt": mongodb::bson::DateTime::from_millis(i64::MAX / 2),
        })
        .await
        .unwrap();
    let out = p.mig(&["unlock", t]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("host elsewhere, pid 4242"),
        "{}",
        show(&out)
    );
    let out = p.mig(&["unlock", t, "--force"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stdout(&out).contains("removed the lock held by `mig apply`"),
        "{}",
        show(&out)
    );
    let left = client()
        .await
        .database(t)
        .collection::<Document>("mig")
        .count_documents(doc! {"_id": "lock"})
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_run_that_lost_its_lease_stops_before_its_next_write() {
    use mig::server::bookkeeping::lock::{Lock, LockOptions};
    let db = client().await.database(&unique("fence"));
    let options = LockOptions {
        lease: Duration::from_millis(900),
        wait: None,
        command: "test".into(),
        run_id: "mine".into(),
    };
    let lock = Lock::acquire(&db, &options).await.unwrap();
    assert!(lock.check().is_ok());
    // Another run takes the lock (as if ours had lapsed).
    db.collection::<Document>("mig")
        .update_one(doc! {"_id": "lock"}, doc! {"$set": {"owner.run": "theirs"}})
        .await
        .unwrap();
    eventually(Duration::from_secs(10), "the renewal to notice", || async {
        lock.check().is_err()
    })
    .await;
    assert!(lock
        .check()
        .unwrap_err()
        .to_string()
        .contains("lost the lock"));
    lock.release().await;
    let holder = mig::server::bookkeeping::lock::holder(&db).await.unwrap();
    assert_eq!(
        holder.run_id, "theirs",
        "releasing never removes someone else's lock"
    );
    db.drop().await.unwrap();
}

#[tokio::test]
async fn duplicate_keys_block_the_unique_build_with_samples_and_the_rest_proceeds() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    let users = client().await.database(t).collection::<Document>("users");
    users
        .insert_many(vec![
            doc! {"_id": 1, "email": "a@x.io"},
            doc! {"_id": 2, "email": "A@x.io"},
            doc! {"_id": 3, "email": "b@x.io"},
            doc! {"_id": 4, "email": "b@x.io"},
            doc! {"_id": 5, "email": "c@x.io", "deletedAt": mongodb::bson::DateTime::now()},
            doc! {"_id": 6, "email": "c@x.io"},
        ])
        .await
        .unwrap();
    p.manifest(
        "tenant.yaml",
        "scope: tenant
collections:
  - name: users
    indexes:
      - name: idx_email_active
        keys: { email: 1 }
        unique: true
        partialFilterExpression: { deletedAt: null }
        collation: { locale: en, strength: 2 }
      - name: idx_created
        keys: { createdAt: -1 }
",
    );
    let (plan, code) = p.json(&["plan"]);
    assert_eq!(code, 1, "a blocked change is an error: {plan:#}");
    let change = &plan["targets"][0]["changes"][0];
    assert_eq!(change["index"], "idx_email_active");
    let blocked = change["blocked"].as_str().expect("blocked");
    // a@x.io and A@x.io collide under the case-insensitive collation; b twice;
    // c@x.io once among the active documents only.
    assert!(blocked.starts_with("2 duplicate key(s)"), "{blocked}");
    assert!(
        blocked.contains("_id 1, 2") && blocked.contains("_id 3, 4"),
        "{blocked}"
    );

    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("BLOCKED"), "{}", show(&out));
    assert!(
        live_index(t, "users", "idx_created").await.is_some(),
        "the other change went on"
    );
    assert!(live_index(t, "users", "idx_email_active").await.is_none());
    let steps: Vec<String> = journal(t)
        .await
        .iter()
        .map(|e| e.get_str("index").unwrap().to_string())
        .collect();
    assert!(
        !steps.iter().any(|s| s.contains("idx_email_active")),
        "never attempted: {steps:?}"
    );
}

#[tokio::test]
async fn non_unique_to_unique_is_converted_in_place() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    seed(t, "messages", 1000).await;
    client()
        .await
        .database(t)
        .run_command(
            doc! {"createIndexes": "messages", "indexes": [{"key": {"i": 1}, "name": "idx_i"}]},
        )
        .await
        .unwrap();
    p.manifest(
        "tenant.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_i, keys: { i: 1 }, unique: true }\n",
    );
    let (plan, _) = p.json(&["plan"]);
    assert_eq!(
        plan["targets"][0]["changes"][0]["action"], "modify",
        "{plan:#}"
    );
    assert!(p.mig(&["apply"]).status.success());
    assert_eq!(
        live_index(t, "messages", "idx_i")
            .await
            .unwrap()
            .get_bool("unique"),
        Ok(true)
    );
    let steps: Vec<String> = journal(t)
        .await
        .iter()
        .map(|e| e.get_str("step").unwrap().to_string())
        .collect();
    assert_eq!(
        steps,
        vec!["collMod", "collMod"],
        "prepareUnique then unique, no rebuild"
    );
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
}

#[tokio::test]
async fn a_replace_builds_the_new_index_before_dropping_the_old_one() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    seed(t, "messages", 1000).await;
    let manifest = |keys: &str| {
        format!("scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - {{ name: idx_x, keys: {keys} }}\n")
    };
    p.manifest("tenant.yaml", &manifest("{ group: 1 }"));
    assert!(p.mig(&["apply"]).status.success());
    p.manifest("tenant.yaml", &manifest("{ group: 1, i: -1 }"));
    let (plan, _) = p.json(&["plan"]);
    assert_eq!(plan["targets"][0]["changes"][0]["gap"], false, "{plan:#}");
    let before = journal(t).await.len();
    assert!(p.mig(&["apply"]).status.success());
    // Journaled by the names saved plans and JSON give a step: its command and its place.
    let steps: Vec<(String, String, String)> = journal(t).await[before..]
        .iter()
        .map(|e| {
            (
                e.get_str("step").unwrap().to_string(),
                e.get_str("why").unwrap().to_string(),
                e.get_str("index").unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("createIndexes", "build", "idx_x__mig_tmp"),
        ("dropIndexes", "swap_drop", "idx_x"),
        ("createIndexes", "swap_build", "idx_x"),
        ("dropIndexes", "twin_drop", "idx_x__mig_tmp"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(steps, expected);
    assert_eq!(
        live_index(t, "messages", "idx_x")
            .await
            .unwrap()
            .get_document("key")
            .unwrap(),
        &doc! {"group": 1, "i": -1}
    );
    assert_eq!(
        live_indexes(t, "messages").await.len(),
        2,
        "no temporary index left"
    );
}

#[tokio::test]
async fn a_replace_interrupted_after_dropping_the_old_index_converges() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    // What a crash between "drop old" and "build final" leaves: only the twin.
    client()
        .await
        .database(t)
        .run_command(doc! {"createIndexes": "messages", "indexes": [
            {"key": {"group": 1, "i": -1, "__mig_tmp": 1}, "name": "idx_x__mig_tmp"}
        ]})
        .await
        .unwrap();
    p.manifest(
        "tenant.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_x, keys: { group: 1, i: -1 } }\n",
    );
    let (plan, _) = p.json(&["plan"]);
    assert_eq!(plan["targets"][0]["unmanaged"].as_array().unwrap().len(), 0);
    assert!(p.mig(&["apply"]).status.success());
    let names: Vec<String> = live_indexes(t, "messages")
        .await
        .iter()
        .map(|d| d.get_str("name").unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["_id_", "idx_x"]);
}

#[tokio::test]
async fn prune_hides_first_then_drops_after_the_delay_and_shows_usage() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    let db = client().await.database(t);
    db.run_command(doc! {"createIndexes": "messages", "indexes": [
        {"key": {"legacy": 1}, "name": "legacy_1"},
        {"key": {"atlas": 1}, "name": "atlas_search_x"},
    ]})
    .await
    .unwrap();
    db.collection::<Document>("messages")
        .find_one(doc! {"legacy": 5})
        .hint(mongodb::options::Hint::Name("legacy_1".into()))
        .await
        .unwrap();
    p.manifest(
        "tenant.yaml",
        "scope: tenant\nunmanaged: ['^atlas_']\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_i, keys: { i: 1 } }\n",
    );
    let (plan, _) = p.json(&["plan", "--prune"]);
    let changes = plan["targets"][0]["changes"].as_array().unwrap();
    let hide = changes
        .iter()
        .find(|c| c["action"] == "hide")
        .expect("a hide");
    assert_eq!(hide["index"], "legacy_1");
    assert_eq!(hide["usage"]["ops"], 1, "{hide:#}");
    assert_eq!(plan["targets"][0]["unmanaged"][0]["protected"], true);

    assert!(p.mig(&["apply", "--prune"]).status.success());
    assert_eq!(
        live_index(t, "messages", "legacy_1")
            .await
            .unwrap()
            .get_bool("hidden"),
        Ok(true)
    );
    // Nothing to apply until the delay has passed; the hidden index is still
    // there, so not in sync (as `drift` says): exit 2.
    let (waiting, code) = p.json(&["plan", "--prune", "--detailed-exitcode"]);
    assert_eq!(summary(&waiting), (0, 0, 0, 0, 2), "{waiting:#}");
    assert_eq!(code, 2, "the retiring index still stands: {waiting:#}");
    let legacy = waiting["targets"][0]["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["index"] == "legacy_1")
        .unwrap()
        .clone();
    assert!(legacy["retiring"]["drops_after"].is_string(), "{waiting:#}");

    let out = p.mig(&["apply", "--prune", "--drop-after", "0s"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(live_index(t, "messages", "legacy_1").await.is_none());
    // The hide and the later drop, journaled as saved plans name them.
    let legacy: Vec<(String, String)> = journal(t)
        .await
        .iter()
        .filter(|e| e.get_str("index") == Ok("legacy_1"))
        .map(|e| {
            let name = |f: &str| e.get_str(f).unwrap().to_string();
            (name("step"), name("why"))
        })
        .collect();
    assert_eq!(
        legacy,
        [
            ("hide".to_string(), "retire".to_string()),
            ("dropIndexes".to_string(), "retire".to_string())
        ]
    );
    assert!(
        live_index(t, "messages", "atlas_search_x").await.is_some(),
        "protected"
    );
}

#[tokio::test]
async fn the_64_index_limit_and_the_text_rule_are_checked_against_the_live_collection() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    let specs: Vec<Document> = (0..62)
        .map(|i| doc! {"key": {format!("f{i}"): 1}, "name": format!("f{i}_1")})
        .collect();
    let db = client().await.database(t);
    db.run_command(doc! {"createIndexes": "wide", "indexes": specs})
        .await
        .unwrap();
    // Sparse, so not "the same index" as the declared one: only the one-text-index rule stops it.
    db.run_command(doc! {"createIndexes": "docs", "indexes": [{"key": {"body": "text"}, "name": "body_text", "sparse": true}]})
        .await
        .unwrap();
    p.manifest(
        "tenant.yaml",
        "scope: tenant
collections:
  - name: wide
    indexes:
      - { name: one_more, keys: { x: 1 } }
      - { name: one_too_many, keys: { y: 1 } }
  - name: docs
    indexes:
      - { name: title_search, keys: { title: text } }
",
    );
    let (plan, _) = p.json(&["plan"]);
    let changes = plan["targets"][0]["changes"].as_array().unwrap();
    let by = |n: &str| {
        changes
            .iter()
            .find(|c| c["index"] == n)
            .unwrap_or_else(|| panic!("{n} in {plan:#}"))
            .clone()
    };
    assert!(by("one_more")["blocked"].is_null());
    assert!(
        by("one_too_many")["blocked"]
            .as_str()
            .unwrap()
            .contains("65 indexes"),
        "{plan:#}"
    );
    assert!(
        by("title_search")["blocked"]
            .as_str()
            .unwrap()
            .contains("\"body_text\""),
        "{plan:#}"
    );
}

#[tokio::test]
async fn history_prints_the_journal() {
    let (p, tenants) = tenants_project(1);
    p.manifest("tenant.yaml", MESSAGES);
    assert!(p.mig(&["apply"]).status.success());
    let out = p.mig(&["history", &tenants[0]]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("ok      createIndexes  messages.idx_group_i, idx_i, idx_text"),
        "{text}"
    );
    assert!(text.contains(" ms  build  (mig apply, run "), "{text}");
}

#[tokio::test]
async fn a_failed_canary_stops_the_rollout() {
    let (p, tenants) = tenants_project(3);
    client()
        .await
        .database(&tenants[0])
        .collection::<Document>("messages")
        .insert_many(vec![doc! {"i": 1}, doc! {"i": 1}])
        .await
        .unwrap();
    p.manifest("tenant.yaml", MESSAGES);
    let (report, code) = p.json(&["apply", "--canary", "1"]);
    assert_eq!(code, 1);
    let status: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, vec!["failed", "skipped", "skipped"], "{report:#}");
    assert!(report["targets"][1]["skipped"]
        .as_str()
        .unwrap()
        .contains("canary"));
}

#[tokio::test]
async fn on_error_stop_starts_no_further_database() {
    let (p, tenants) = tenants_project(3);
    client()
        .await
        .database(&tenants[1])
        .collection::<Document>("messages")
        .insert_many(vec![doc! {"i": 1}, doc! {"i": 1}])
        .await
        .unwrap();
    p.manifest("tenant.yaml", MESSAGES);
    let (report, code) = p.json(&["apply", "--on-error", "stop", "--concurrency", "1"]);
    assert_eq!(code, 1);
    let status: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, vec!["applied", "failed", "skipped"], "{report:#}");
    let out = p.mig(&["apply", "--concurrency", "1"]);
    assert!(
        stdout(&out).contains(&format!("{}: changed 3", tenants[2])),
        "continue is the default: {}",
        show(&out)
    );
}

#[tokio::test]
async fn commit_quorum_is_passed_through() {
    let (p, tenants) = tenants_project(1);
    p.manifest("tenant.yaml", MESSAGES);
    let out = p.mig(&["apply", "--commit-quorum", "7"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a quorum of 7 on one node is refused: {}",
        show(&out)
    );
    assert!(
        stdout(&out).to_lowercase().contains("quorum"),
        "{}",
        show(&out)
    );
    assert!(p
        .mig(&["apply", "--commit-quorum", "majority"])
        .status
        .success());
    assert!(live_index(&tenants[0], "messages", "idx_i").await.is_some());
}

#[tokio::test]
async fn catalog_and_list_indexes_read_the_same_model() {
    use mig::server::inspect::{read, ReadPath, Request};
    let name = unique("paths");
    let c = client().await;
    let db = c.database(&name);
    db.run_command(doc! {"create": "coll_collated", "collation": {"locale": "fr", "strength": 2}})
        .await
        .unwrap();
    db.run_command(
        doc! {"create": "clustered", "clusteredIndex": {"key": {"_id": 1}, "unique": true}},
    )
    .await
    .unwrap();
    db.run_command(doc! {"create": "series", "timeseries": {"timeField": "t", "metaField": "m"}})
        .await
        .unwrap();
    db.run_command(
        doc! {"createIndexes": "series", "indexes": [{"key": {"m": 1, "t": -1}, "name": "m_t"}]},
    )
    .await
    .unwrap();
    db.run_command(doc! {"createIndexes": "plain", "indexes": [
        {"key": {"a": 1, "b": -1}, "name": "ab", "unique": true, "partialFilterExpression": {"deletedAt": null}},
        {"key": {"title": "text", "body": "text"}, "name": "search", "weights": {"title": 3}},
        {"key": {"loc": "2dsphere"}, "name": "geo"},
        {"key": {"$**": 1}, "name": "wild", "wildcardProjection": {"attrs": 1}},
        {"key": {"h": "hashed"}, "name": "h", "hidden": true},
        {"key": {"at": 1}, "name": "ttl", "expireAfterSeconds": 60},
    ]})
    .await
    .unwrap();
    db.run_command(
        doc! {"createIndexes": "coll_collated", "indexes": [{"key": {"n": 1}, "name": "n"}]},
    )
    .await
    .unwrap();
    let requests = vec![Request {
        database: name.clone(),
        collections: ["plain", "coll_collated", "clustered", "series", "missing"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }];
    let server = mig::server::inspect::server_info(&c).await.unwrap();
    assert_eq!(
        server.read_path,
        ReadPath::Catalog,
        "6.0 with full privileges reads the catalog"
    );
    let catalog = read(&c, ReadPath::Catalog, &requests, 4, None)
        .await
        .pop()
        .unwrap()
        .unwrap();
    let listed = read(&c, ReadPath::ListIndexes, &requests, 4, None)
        .await
        .pop()
        .unwrap()
        .unwrap();
    db.drop().await.unwrap();
    assert_eq!(catalog, listed);
    assert_eq!(catalog.collections[0].indexes.len(), 7);
    assert!(catalog.collections[1].default_collation().is_some());
    assert!(catalog.collections[3].is_timeseries());
    assert!(!catalog.collections[4].exists);
}

#[tokio::test]
async fn a_saved_plan_is_applied_exactly_and_drifted_databases_are_skipped() {
    let (p, tenants) = tenants_project(2);
    p.manifest("tenant.yaml", MESSAGES);
    let saved = p.path().join("plan.json");
    let out = p.mig(&["plan", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", show(&out));
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !text.contains("mongodb://"),
        "no connection string in a saved plan"
    );
    // The manifests change after the plan was made: the saved plan still applies as planned.
    p.manifest("tenant.yaml", "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: other, keys: { z: 1 } }\n");
    // The second tenant drifts: someone builds an index the plan didn't see.
    client()
        .await
        .database(&tenants[1])
        .run_command(doc! {"createIndexes": "messages", "indexes": [{"key": {"manual": 1}, "name": "manual_1"}]})
        .await
        .unwrap();
    let (report, code) = p.json(&["apply", saved.to_str().unwrap()]);
    assert_eq!(code, 1, "a skipped database fails the run: {report:#}");
    assert_eq!(report["targets"][0]["status"], "applied", "{report:#}");
    assert!(report["targets"][1]["skipped"]
        .as_str()
        .unwrap()
        .contains("drifted since the plan was made"));
    let names: Vec<String> = live_indexes(&tenants[0], "messages")
        .await
        .iter()
        .map(|d| d.get_str("name").unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        vec!["_id_", "idx_group_i", "idx_i", "idx_text"],
        "the saved plan, not the new manifests"
    );
    assert!(
        live_index(&tenants[1], "messages", "idx_i").await.is_none(),
        "nothing done where it drifted"
    );
    // Applied once, the saved plan has drifted everywhere: nothing happens twice.
    let (again, _) = p.json(&["apply", saved.to_str().unwrap()]);
    assert!(
        again["targets"][0]["skipped"]
            .as_str()
            .unwrap()
            .contains("drifted"),
        "{again:#}"
    );
}

/// What is done where the server refuses a step is the plan's, and shown: a
/// batch of builds the server refuses together (one index would cover two
/// array fields, "cannot index parallel arrays", which no preflight checks)
/// is tried again one index at a time, so the other index is built; a drop
/// says that an index already gone counts as dropped.
#[tokio::test]
async fn a_refused_batch_builds_each_index_on_its_own_as_its_step_says() {
    let (p, tenants) = tenants_project(1);
    let t = &tenants[0];
    let db = client().await.database(t);
    db.collection::<Document>("events")
        .insert_one(doc! {"a": [1, 2], "b": [3, 4], "c": 1, "old": 1})
        .await
        .unwrap();
    db.run_command(
        doc! {"createIndexes": "events", "indexes": [{"key": {"old": 1}, "name": "old_1"}]},
    )
    .await
    .unwrap();
    p.manifest(
        "tenant.yaml",
        "scope: tenant
collections:
  - name: events
    indexes:
      - { name: idx_ab, keys: { a: 1, b: 1 } }
      - { name: idx_c, keys: { c: 1 } }
",
    );
    let (plan, _) = p.json(&["plan", "--prune", "--drop-now"]);
    let steps = plan["targets"][0]["steps"].as_array().unwrap().clone();
    let policy = |command: &str| -> Vec<String> {
        steps
            .iter()
            .filter(|s| s["command"] == command)
            .map(|s| s["if_refused"].as_str().unwrap_or("fail").to_string())
            .collect()
    };
    assert_eq!(policy("createIndexes"), ["each_on_its_own"], "{plan:#}");
    assert_eq!(policy("dropIndexes"), ["gone_is_done"], "{plan:#}");
    let text = stdout(&p.mig(&["plan", "--prune", "--drop-now"]));
    assert!(
        text.contains("refused together, each is built on its own"),
        "{text}"
    );
    assert!(text.contains("already gone counts as done"), "{text}");

    // Applied: the batch is refused, then idx_c is built on its own and
    // only idx_ab fails, with the server's reason (old_1 stays: a drop
    // waits for every build on its collection).
    let (applied, code) = p.json(&["apply", "--yes", "--prune", "--drop-now"]);
    assert_eq!(code, 1, "idx_ab fails: {applied:#}");
    assert!(
        applied.to_string().contains("parallel arrays"),
        "{applied:#}"
    );
    assert!(
        live_index(t, "events", "idx_c").await.is_some(),
        "{applied:#}"
    );
    assert!(live_index(t, "events", "idx_ab").await.is_none());
    assert!(live_index(t, "events", "old_1").await.is_some());
}
