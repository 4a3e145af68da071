//! Rollouts that watch the cluster: a window that excludes now, the
//! throttles (`--max-builds` held by a build of someone else's, `--max-lag`
//! refused where the server won't say its replication status), a pause and a
//! resume from another process, and a graceful stop on SIGINT. Builds are
//! held in flight with the server's own failpoint (`hangAfterStartingIndexBuild`,
//! on a mongod of the test's own started with `enableTestCommands`).

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command};
use std::time::Duration;

use mongodb::bson::{doc, Document};
use support::mongod::{self, Mongod};
use support::*;

const MANIFEST: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_group
        keys: { group: 1, i: -1 }
";

/// A project over `tenants` on `uri`, each with a few documents.
async fn fleet(uri: &str, public: &str, tenants: &[String]) -> Project {
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    for t in tenants {
        let docs: Vec<Document> = (0..100).map(|i| doc! {"i": i, "group": i % 3}).collect();
        client
            .database(t)
            .collection::<Document>("messages")
            .insert_many(docs)
            .await
            .unwrap();
    }
    let p = Project::new();
    p.config_without_public(&format!(
        "[connection]\nuri = \"{uri}\"\n[public]\ndatabase = \"{public}\"\n{}",
        listed_tenants(tenants)
    ));
    p.manifest("tenant.yaml", MANIFEST);
    p
}

/// Reads `child`'s stderr until a line contains `needle`; the lines read.
fn stderr_until(child: &mut Child, needle: &str) -> String {
    let stderr = child.stderr.as_mut().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            return seen;
        }
    }
    panic!("mig ended without saying {needle:?}:\n{seen}");
}

/// A single-node replica set whose failpoints the test may set.
async fn node_with_failpoints(dir: &std::path::Path, name: &str) -> Mongod {
    let node = Mongod::start_with(
        dir,
        &[
            "--replSet",
            name,
            "--setParameter",
            "enableTestCommands=1",
            "--wiredTigerEngineConfigString",
            mongod::FILE_MANAGER,
        ],
    )
    .unwrap();
    mongod::initiate(&[&node], name).await.unwrap();
    node
}

async fn failpoint(client: &mongodb::Client, name: &str, on: bool) {
    let mode = if on { "alwaysOn" } else { "off" };
    client
        .database("admin")
        .run_command(doc! {"configureFailPoint": name, "mode": mode})
        .await
        .unwrap();
}

async fn builds_in_progress(client: &mongodb::Client) -> i64 {
    let status = client
        .database("admin")
        .run_command(doc! {"serverStatus": 1})
        .await
        .unwrap();
    let total = status
        .get_document("activeIndexBuilds")
        .ok()
        .and_then(|b| b.get("total").cloned());
    match total {
        Some(mongodb::bson::Bson::Int32(n)) => n as i64,
        Some(mongodb::bson::Bson::Int64(n)) => n,
        _ => 0,
    }
}

/// No lock left, no journal entry `running`, in each of `dbs`.
async fn no_trace(client: &mongodb::Client, dbs: &[String], context: &str) {
    for db in dbs {
        let mig = client.database(db).collection::<Document>("mig");
        let locks = mig.count_documents(doc! {"_id": "lock"}).await.unwrap();
        assert_eq!(locks, 0, "{db}: a lock left behind\n{context}");
        let running = mig
            .count_documents(doc! {"kind": "journal", "outcome": "running"})
            .await
            .unwrap();
        assert_eq!(running, 0, "{db}: a journal entry left running\n{context}");
    }
}

async fn has_index(client: &mongodb::Client, db: &str, name: &str) -> bool {
    live_indexes_on(client, db)
        .await
        .iter()
        .any(|i| i.get_str("name") == Ok(name))
}

async fn live_indexes_on(client: &mongodb::Client, db: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    match client
        .database(db)
        .collection::<Document>("messages")
        .list_indexes()
        .await
    {
        Ok(cursor) => cursor
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .into_iter()
            .map(|m| mongodb::bson::to_document(&m).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A fleet of `n` tenants named `name_N` on a mongod of its own whose
/// first build is held in flight (`hangAfterStartingIndexBuild`), and an
/// `apply --concurrency 1 --format json` that has started it.
struct HeldBuild {
    node: Mongod,
    client: mongodb::Client,
    p: Project,
    tenants: Vec<String>,
    apply: Child,
    _dir: tempfile::TempDir,
}

async fn held_build(name: &str, n: usize) -> HeldBuild {
    let dir = tempfile::tempdir().unwrap();
    let node = node_with_failpoints(dir.path(), &format!("rs{name}")).await;
    let client = mongodb::Client::with_uri_str(node.uri()).await.unwrap();
    let tenants: Vec<String> = (0..n).map(|i| format!("{name}_{i}")).collect();
    let p = fleet(&node.uri(), &format!("{name}_pub"), &tenants).await;
    failpoint(&client, "hangAfterStartingIndexBuild", true).await;
    let apply = p
        .own_server(&["apply", "--yes", "--concurrency", "1", "--format", "json"])
        .spawn()
        .unwrap();
    eventually(Duration::from_secs(30), "the first build to start", || {
        let client = client.clone();
        async move { builds_in_progress(&client).await == 1 }
    })
    .await;
    HeldBuild {
        node,
        client,
        p,
        tenants,
        apply,
        _dir: dir,
    }
}

/// SIGINT to `child`, as Ctrl-C would send it.
fn interrupt(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// A one-minute window twelve hours from now: it excludes now.
fn closed_window() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let minute = (now / 60 + 12 * 60) % (24 * 60);
    let (h, m) = (minute / 60, minute % 60);
    let end = (minute + 1) % (24 * 60);
    format!("{h:02}:{m:02}-{:02}:{:02}", end / 60, end % 60)
}

#[tokio::test]
async fn a_window_that_excludes_now_builds_nothing_and_exits_3() {
    let tenants = vec![unique("win_a"), unique("win_b")];
    let public = unique("win_pub");
    let p = fleet(&uri(), &public, &tenants).await;
    for t in &tenants {
        p.track(t);
    }
    let window = closed_window();
    let out = p
        .own_server(&["apply", "--yes", "--window", &window, "--format", "json"])
        .output()
        .unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["status"], "deferred", "{all}");
        assert!(
            t["deferred"]
                .as_str()
                .unwrap()
                .contains("outside the window"),
            "{all}"
        );
        assert_eq!(t["deferred_kind"], "outside_window", "{all}");
    }
    // The public database and both tenants.
    assert_eq!(doc["summary"]["deferred"], 3, "{all}");
    let client = client().await;
    for t in &tenants {
        assert!(
            !has_index(&client, t, "idx_group").await,
            "{t} built: {all}"
        );
    }
    no_trace(&client, &tenants, &all).await;
    // The same window from mig.toml's [rollout].
    let toml = p.path().join("mig.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}[rollout]\nwindow = \"{window}\"\n")).unwrap();
    let out = p.own_server(&["apply", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(
        stdout(&out).contains("outside the window"),
        "{}",
        show(&out)
    );
    std::fs::write(&toml, text).unwrap();
    // The next run, in its window (none given), carries on.
    let out = p.own_server(&["apply", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    for t in &tenants {
        assert!(has_index(&client, t, "idx_group").await);
    }
}

#[tokio::test]
async fn bad_rollout_flags_are_refused_naming_the_flag_before_anything_is_read() {
    let p = Project::new();
    p.manifest("m.yaml", MANIFEST);
    for (flag, value, says) in [
        ("--window", "25:00-03:00", "\"25:00\" is not a time of day"),
        ("--window", "22:00-06:00 Mars/Olympus", "unknown time zone"),
        ("--max-lag", "0s", "must be more than 0"),
        ("--max-builds", "0", "must be more than 0"),
    ] {
        // An unreachable server: nothing may be read before the refusal.
        let out = p.mig_env(
            &["apply", "--yes", flag, value],
            &[(
                "MONGODB_URI",
                "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200",
            )],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{flag} {value}: {err}");
        assert!(
            err.contains(flag) && err.contains(says),
            "{flag} {value}: {err}"
        );
        assert!(!err.contains("127.0.0.1:1"), "nothing was read: {err}");
    }
}

#[tokio::test]
async fn max_lag_on_a_server_without_replication_is_refused_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let node = Mongod::start_with(dir.path(), &[]).unwrap();
    let tenants = vec!["lag_standalone".to_string()];
    let p = fleet(&node.uri(), "lag_pub", &tenants).await;
    let out = p
        .own_server(&["apply", "--yes", "--max-lag", "2s"])
        .output()
        .unwrap();
    let all = show(&out);
    let client = mongodb::Client::with_uri_str(node.uri()).await.unwrap();
    let touched = has_index(&client, &tenants[0], "idx_group").await;
    let locks = client
        .database(&tenants[0])
        .collection::<Document>("mig")
        .count_documents(doc! {})
        .await
        .unwrap();
    node.stop();
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("replication status") && all.contains("--max-lag"),
        "{all}"
    );
    assert!(!touched && locks == 0, "nothing written: {all}");
}

/// The same refusal over `[clusters]`: one cluster (a standalone) that
/// won't say its replication status refuses the whole run, naming itself,
/// before any write on any cluster; `max_lag` set on that cluster alone.
#[tokio::test]
async fn max_lag_over_clusters_is_refused_naming_the_cluster_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let node = Mongod::start_with(dir.path(), &[]).unwrap();
    let (on_main, on_solo) = (unique("lagc_main"), unique("lagc_solo"));
    let main = mongodb::Client::with_uri_str(uri()).await.unwrap();
    let solo = mongodb::Client::with_uri_str(node.uri()).await.unwrap();
    for (client, db) in [(&main, &on_main), (&solo, &on_solo)] {
        client
            .database(db)
            .collection::<Document>("messages")
            .insert_one(doc! {"group": 1})
            .await
            .unwrap();
    }
    let p = Project::new();
    p.track(&on_main);
    p.config_without_public(&format!(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\n\
         databases = [\"{on_main}\"]\n\
         [clusters.solo]\nuri = \"{}\"\nmax_lag = \"2s\"\n[clusters.solo.tenants]\n\
         databases = [\"{on_solo}\"]\n",
        node.uri()
    ));
    p.manifest("tenant.yaml", MANIFEST);
    let out = p.mig(&["apply", "--yes"]);
    let all = show(&out);
    let mut written = Vec::new();
    for (client, db) in [(&main, &on_main), (&solo, &on_solo)] {
        let locks = client
            .database(db)
            .collection::<Document>("mig")
            .count_documents(doc! {})
            .await
            .unwrap();
        written.push((has_index(client, db, "idx_group").await, locks));
    }
    node.stop();
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("cluster solo") && all.contains("replication status"),
        "{all}"
    );
    assert_eq!(written, [(false, 0), (false, 0)], "nothing written: {all}");
}

#[tokio::test]
async fn pause_and_resume_from_another_process_hold_and_release_a_running_apply() {
    let tenants = vec![unique("pause_a")];
    let public = unique("pause_pub");
    let p = fleet(&uri(), &public, &tenants).await;
    p.track(&tenants[0]);
    p.track(&public);
    let paused = p.own_server(&["pause"]).output().unwrap();
    assert!(paused.status.success(), "{}", show(&paused));
    assert!(stdout(&paused).contains("Paused by"), "{}", show(&paused));
    let status = p.own_server(&["status"]).output().unwrap();
    assert!(
        stdout(&status).contains("Paused by"),
        "status shows the pause: {}",
        show(&status)
    );
    let mut apply = p.own_server(&["apply", "--yes"]).spawn().unwrap();
    let said = stderr_until(&mut apply, "waiting: paused by");
    let client = client().await;
    assert!(
        !has_index(&client, &tenants[0], "idx_group").await,
        "built while paused: {said}"
    );
    let resumed = p.own_server(&["resume"]).output().unwrap();
    assert!(stdout(&resumed).contains("Resumed"), "{}", show(&resumed));
    let out = apply.wait_with_output().unwrap();
    assert!(out.status.success(), "{said}{}", show(&out));
    assert!(has_index(&client, &tenants[0], "idx_group").await);
    no_trace(&client, &tenants, &said).await;
}

#[tokio::test]
async fn max_builds_holds_new_builds_while_the_server_builds_someone_elses() {
    let dir = tempfile::tempdir().unwrap();
    let node = node_with_failpoints(dir.path(), "rsbuilds").await;
    let client = mongodb::Client::with_uri_str(node.uri()).await.unwrap();
    let tenants = vec!["builds_a".to_string()];
    let p = fleet(&node.uri(), "builds_pub", &tenants).await;
    // Someone else's build, held in flight.
    client
        .database("other")
        .collection::<Document>("c")
        .insert_one(doc! {"x": 1})
        .await
        .unwrap();
    failpoint(&client, "hangAfterStartingIndexBuild", true).await;
    let other = {
        let db = client.database("other");
        tokio::spawn(async move {
            db.run_command(
                doc! {"createIndexes": "c", "indexes": [{"key": {"x": 1}, "name": "x_1"}]},
            )
            .await
        })
    };
    eventually(Duration::from_secs(30), "the other build to start", || {
        let client = client.clone();
        async move { builds_in_progress(&client).await == 1 }
    })
    .await;
    let mut apply = p
        .own_server(&["apply", "--yes", "--max-builds", "1"])
        .spawn()
        .unwrap();
    let said = stderr_until(&mut apply, "1 index build(s) in progress (--max-builds 1)");
    assert!(!has_index(&client, "builds_a", "idx_group").await, "{said}");
    failpoint(&client, "hangAfterStartingIndexBuild", false).await;
    other.await.unwrap().unwrap();
    let out = apply.wait_with_output().unwrap();
    let has = has_index(&client, "builds_a", "idx_group").await;
    node.stop();
    assert!(out.status.success(), "{said}{}", show(&out));
    assert!(has);
}

#[tokio::test]
async fn one_sigint_lets_the_build_in_flight_finish_and_defers_the_rest() {
    let HeldBuild {
        node,
        client,
        p,
        tenants,
        mut apply,
        _dir,
    } = held_build("stop", 3).await;
    interrupt(&apply);
    let said = stderr_until(&mut apply, "interrupted: no new step starts");
    failpoint(&client, "hangAfterStartingIndexBuild", false).await;
    let out = apply.wait_with_output().unwrap();
    let all = format!("{said}{}", show(&out));
    assert_eq!(out.status.code(), Some(3), "{all}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status: Vec<&str> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    // The public database (nothing to do) went first; the build in flight
    // finished; the databases not reached wait for the next run.
    assert_eq!(
        status,
        vec!["unchanged", "applied", "deferred", "deferred"],
        "{all}"
    );
    let kinds: Vec<&serde_json::Value> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["deferred_kind"])
        .collect();
    assert_eq!(
        kinds,
        [
            &serde_json::Value::Null,
            &serde_json::Value::Null,
            &"interrupted".into(),
            &"interrupted".into()
        ],
        "{all}"
    );
    assert!(has_index(&client, "stop_0", "idx_group").await, "{all}");
    assert!(!has_index(&client, "stop_1", "idx_group").await, "{all}");
    no_trace(&client, &tenants, &all).await;
    let again = p.own_server(&["apply", "--yes"]).output().unwrap();
    let converged = has_index(&client, "stop_2", "idx_group").await;
    node.stop();
    assert!(again.status.success(), "{}", show(&again));
    assert!(converged);
}

#[tokio::test]
async fn max_lag_holds_builds_while_a_secondary_lags_then_completes() {
    let dir = tempfile::tempdir().unwrap();
    let nodes: Vec<Mongod> = (0..3)
        .map(|_| {
            Mongod::start_with(
                dir.path(),
                &[
                    "--replSet",
                    "rslag",
                    "--setParameter",
                    "enableTestCommands=1",
                    "--wiredTigerEngineConfigString",
                    mongod::FILE_MANAGER,
                ],
            )
            .unwrap()
        })
        .collect();
    let refs: Vec<&Mongod> = nodes.iter().collect();
    mongod::initiate(&refs, "rslag").await.unwrap();
    let hosts: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let uri = format!("mongodb://{}/?replicaSet=rslag", hosts.join(","));
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let tenants = vec!["lag_a".to_string()];
    let p = fleet(&uri, "lag_pub", &tenants).await;
    // A secondary stops applying while the primary keeps writing: it lags.
    let secondary = mongodb::Client::with_uri_str(nodes[2].uri()).await.unwrap();
    failpoint(&secondary, "rsSyncApplyStop", true).await;
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (coll, writing) = (
            client.database("lag_writes").collection::<Document>("w"),
            writing.clone(),
        );
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(100));
            while writing.load(std::sync::atomic::Ordering::SeqCst) {
                ticks.tick().await;
                let _ = coll
                    .insert_one(doc! {"at": mongodb::bson::DateTime::now()})
                    .await;
            }
        })
    };
    // Lag past the bound before the apply starts (else its build would
    // start, and wait on the stopped secondary's vote).
    eventually(Duration::from_secs(60), "a secondary to lag 3 s", || {
        let client = client.clone();
        async move {
            mig::server::load::replication_lag(&client)
                .await
                .is_ok_and(|lag| lag > Duration::from_secs(3))
        }
    })
    .await;
    let mut apply = p
        .own_server(&["apply", "--yes", "--max-lag", "2s"])
        .spawn()
        .unwrap();
    let said = stderr_until(&mut apply, "(--max-lag 2s)");
    assert!(!has_index(&client, "lag_a", "idx_group").await, "{said}");
    failpoint(&secondary, "rsSyncApplyStop", false).await;
    let out = apply.wait_with_output().unwrap();
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    let has = has_index(&client, "lag_a", "idx_group").await;
    for n in &nodes {
        n.stop();
    }
    assert!(out.status.success(), "{said}{}", show(&out));
    assert!(has);
}

#[tokio::test]
async fn two_sigints_abort_the_build_in_flight_and_leave_nothing_half_made() {
    let HeldBuild {
        node,
        client,
        p,
        tenants,
        mut apply,
        _dir,
    } = held_build("abort", 2).await;
    interrupt(&apply);
    let mut said = stderr_until(&mut apply, "interrupted: no new step starts");
    interrupt(&apply);
    said.push_str(&stderr_until(&mut apply, "aborting the builds in flight"));
    let out = apply.wait_with_output().unwrap();
    let all = format!("{said}{}", show(&out));
    let left = builds_in_progress(&client).await;
    failpoint(&client, "hangAfterStartingIndexBuild", false).await;
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert_eq!(left, 0, "the build was aborted on the server: {all}");
    // The database whose build was aborted, and the one never started.
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kind = |db: &str| {
        let targets = doc["targets"].as_array().unwrap();
        let t = targets.iter().find(|t| t["database"] == db).unwrap();
        t["deferred_kind"].clone()
    };
    assert_eq!(kind("abort_0"), "build_aborted", "{all}");
    assert_eq!(kind("abort_1"), "interrupted", "{all}");
    for t in &tenants {
        assert!(!has_index(&client, t, "idx_group").await, "{t}: {all}");
    }
    no_trace(&client, &tenants, &all).await;
    let again = p.own_server(&["apply", "--yes"]).output().unwrap();
    let converged = has_index(&client, "abort_0", "idx_group").await
        && has_index(&client, "abort_1", "idx_group").await;
    node.stop();
    assert!(again.status.success(), "{}", show(&again));
    assert!(converged);
}

#[tokio::test]
async fn the_plan_says_what_each_build_scans_and_estimates_once_a_build_was_measured() {
    let tenants = vec![unique("impact_a"), unique("impact_b")];
    let public = unique("impact_pub");
    let p = fleet(&uri(), &public, &tenants).await;
    for t in &tenants {
        p.track(t);
    }
    p.track(&public);
    let plan = |args: &[&str]| {
        let out = p.own_server(args).output().unwrap();
        assert!(out.status.success(), "{}", show(&out));
        out
    };
    let out = plan(&["plan", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tenant = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["database"] == tenants[0].as_str())
        .unwrap();
    let impact = &tenant["changes"][0]["impact"];
    assert_eq!(impact["documents"], 100, "{doc:#}");
    assert!(impact["bytes"].as_u64().unwrap() > 100 * 10, "{doc:#}");
    assert!(
        impact["seconds"].is_null(),
        "no build measured yet: {doc:#}"
    );
    let total = &doc["summary"]["impact"];
    assert_eq!(total["builds"], 2, "{doc:#}");
    assert_eq!(total["documents"], 200, "{doc:#}");
    let text = stdout(&plan(&["plan"]));
    assert!(
        text.contains("scans 100 documents") && text.contains("no estimate yet"),
        "{text}"
    );
    plan(&["apply", "--yes"]);
    // Another index: the builds just measured give an estimate.
    p.manifest(
        "tenant.yaml",
        &format!("{MANIFEST}      - name: idx_i\n        keys: {{ i: 1 }}\n"),
    );
    let out = plan(&["plan", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["summary"]["impact"]["seconds"].as_f64().is_some(),
        "{doc:#}"
    );
    let text = stdout(&plan(&["plan"]));
    assert!(
        text.contains("scans 100 documents") && text.contains("about"),
        "{text}"
    );
    // Nothing to build: nothing to scan, and nothing said.
    plan(&["apply", "--yes"]);
    let out = plan(&["plan", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["impact"]["builds"], 0, "{doc:#}");
}

#[tokio::test]
async fn builds_that_would_leave_too_little_disk_are_blocked_naming_the_database() {
    let tenants = vec![unique("disk_a")];
    let public = unique("disk_pub");
    let p = fleet(&uri(), &public, &tenants).await;
    p.track(&tenants[0]);
    p.track(&public);
    // No server has a thousand terabytes free: the build is blocked.
    let out = p
        .own_server(&[
            "apply",
            "--yes",
            "--min-free-disk",
            "1000TB",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let target = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["database"] == tenants[0].as_str())
        .unwrap();
    let why = target["changes"][0]["blocked"].as_str().unwrap();
    assert!(
        why.contains("not enough disk") && why.contains("--min-free-disk"),
        "{all}"
    );
    let client = client().await;
    assert!(!has_index(&client, &tenants[0], "idx_group").await, "{all}");
    // With room to spare (the default margin), it goes.
    let out = p.own_server(&["apply", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(has_index(&client, &tenants[0], "idx_group").await);
}
