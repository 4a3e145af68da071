//! Faults on real servers: `mig` killed at arbitrary points, the primary
//! stopped during an apply, the server gone mid-run, credentials that must
//! never show. Each test that needs its own servers starts and stops them.

use crate::support;

use std::time::Duration;

use mongodb::bson::{doc, Document};
use support::mongod::{self, Mongod};
use support::*;

const MANIFEST: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_x
        keys: { group: 1, i: -1 }
      - name: idx_i
        keys: { i: 1 }
        unique: true
      - name: idx_text
        keys: { text: 1 }
      - name: idx_group_text
        keys: { group: 1, text: 1 }
";

fn project_for(uri: &str, tenants: &[String]) -> Project {
    let p = Project::new();
    p.config_without_public(&format!(
        "[connection]\nuri = \"{uri}\"\n{}",
        listed_tenants(tenants)
    ));
    p.manifest("tenant.yaml", MANIFEST);
    p
}

/// A tiny deterministic generator for kill points.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

async fn names(uri: &str, db: &str, collection: &str) -> Vec<String> {
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    let reply = client
        .database(db)
        .run_command(doc! {"listIndexes": collection})
        .await
        .unwrap();
    let mut names: Vec<String> = reply
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .iter()
        .map(|d| {
            d.as_document()
                .unwrap()
                .get_str("name")
                .unwrap()
                .to_string()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn killed_at_random_points_the_next_run_converges_and_nothing_is_lost() {
    let uri = support::uri();
    let p0 = Project::new();
    let tenants: Vec<String> = (0..6).map(|_| p0.tenant()).collect();
    let c = client().await;
    for t in &tenants {
        seed(t, "messages", 30_000).await;
        // An index the manifest replaces, and one it doesn't know: neither may be lost.
        c.database(t)
            .run_command(doc! {"createIndexes": "messages", "indexes": [
                {"key": {"group": 1}, "name": "idx_x"},
                {"key": {"legacy": 1}, "name": "legacy_1"},
            ]})
            .await
            .unwrap();
    }
    let p = project_for(&uri, &tenants);
    let mut rng = Lcg(0x5eed);
    for round in 0..4 {
        let mut child = p
            .own_server(&[
                "apply",
                "--lock-lease",
                "2s",
                "--lock-wait",
                "10s",
                "--concurrency",
                "2",
            ])
            .spawn()
            .unwrap();
        let delay = 100 + rng.next(1500);
        // The fault injected: a SIGKILL after `delay` ms, wherever the run is.
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _ = child.kill();
        let _ = child.wait();
        for t in &tenants {
            let live = names(&uri, t, "messages").await;
            assert!(
                live.contains(&"legacy_1".to_string()),
                "round {round}: an unmanaged index was lost in {t}: {live:?}"
            );
            // idx_x is covered throughout: old, temporary or new form is there.
            assert!(
                live.iter().any(|n| n == "idx_x" || n == "idx_x__mig_tmp"),
                "round {round}: {t} lost idx_x coverage: {live:?}"
            );
        }
    }
    let out = p
        .own_server(&["apply", "--lock-wait", "30s"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the run after the kills converges: {}",
        show(&out)
    );
    // Nothing left to apply; the unmanaged `legacy_1` each tenant has is
    // kept, so the fleet is not "in sync" (as `drift` says): exit 2.
    let out = p
        .own_server(&["plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0 with changes to apply")
            && text.contains("Nothing to apply, but not in sync:"),
        "{}",
        show(&out)
    );
    for t in &tenants {
        assert_eq!(
            names(&uri, t, "messages").await,
            vec![
                "_id_",
                "idx_group_text",
                "idx_i",
                "idx_text",
                "idx_x",
                "legacy_1"
            ]
        );
        let locks = c
            .database(t)
            .collection::<Document>("mig")
            .count_documents(doc! {"_id": "lock"})
            .await
            .unwrap();
        assert_eq!(locks, 0, "{t}: the lock was recovered and released");
    }
}

#[tokio::test]
async fn the_server_going_away_mid_run_is_a_clear_error_per_database() {
    let dir = tempfile::tempdir().unwrap();
    let node = Mongod::start(dir.path(), "rsgone").unwrap();
    mongod::initiate(&[&node], "rsgone").await.unwrap();
    let uri = node.uri();
    let tenants: Vec<String> = (0..4).map(|i| format!("gone_{i}")).collect();
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    for t in &tenants {
        let coll = client.database(t).collection::<Document>("messages");
        for chunk in 0..6 {
            let docs: Vec<Document> = (0..10_000)
                .map(|k| doc! {"i": chunk * 10_000 + k, "group": k % 7, "text": "x"})
                .collect();
            coll.insert_many(docs).await.unwrap();
        }
    }
    let p = project_for(&uri, &tenants);
    // A server gone for good: each operation tries again for 2 s (failover
    // retries), then the run gives up and fails fast for the rest.
    let child = p
        .own_server(&["apply", "--concurrency", "1"])
        .env("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1000")
        .env("MIG_RETRY_FOR_MS", "2000")
        .spawn()
        .unwrap();
    journal_started(
        &client,
        &tenants[0],
        Duration::from_secs(30),
        "the first build to start",
    )
    .await;
    node.kill();
    let out = child.wait_with_output().unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    let text = stdout(&out);
    for t in &tenants[1..] {
        assert!(
            text.contains(&format!("{t} (tenant): failed:")),
            "a clear error per database: {all}"
        );
    }
}

/// How the primary goes away mid-apply.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Failover {
    /// SIGKILL of its process, as a crash.
    Killed,
    /// `replSetStepDown`, as maintenance does.
    SteppedDown,
}

#[tokio::test]
async fn killing_the_primary_mid_apply_fails_no_database_and_leaves_no_trace() {
    primary_lost_mid_apply(Failover::Killed, "rsfail").await;
}

#[tokio::test]
async fn stepping_the_primary_down_mid_apply_fails_no_database_and_leaves_no_trace() {
    primary_lost_mid_apply(Failover::SteppedDown, "rsdown").await;
}

/// A 4-tenant apply on a 3-member replica set whose primary goes away `how`
/// once the apply writes: no database fails, no lock or running journal
/// entry is left, and the next plan is empty.
async fn primary_lost_mid_apply(how: Failover, set: &str) {
    let dir = tempfile::tempdir().unwrap();
    let nodes: Vec<Mongod> = (0..3)
        .map(|_| Mongod::start(dir.path(), set).unwrap())
        .collect();
    let refs: Vec<&Mongod> = nodes.iter().collect();
    mongod::initiate_with(
        &refs,
        set,
        doc! {"electionTimeoutMillis": 2000, "heartbeatIntervalMillis": 500},
    )
    .await
    .unwrap();
    let hosts: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let uri = format!("mongodb://{}/?replicaSet={set}", hosts.join(","));
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let tenants: Vec<String> = (0..4).map(|i| format!("{set}_{i}")).collect();
    for t in &tenants {
        let coll = client.database(t).collection::<Document>("messages");
        let docs: Vec<Document> = (0..20_000)
            .map(|k| doc! {"i": k, "group": k % 7, "text": "x"})
            .collect();
        coll.insert_many(docs).await.unwrap();
    }
    let p = project_for(&uri, &tenants);
    // A majority commit quorum: the builds commit with the two members left.
    let child = p
        .own_server(&["apply", "--concurrency", "1", "--commit-quorum", "majority"])
        .spawn()
        .unwrap();
    journal_started(
        &client,
        &tenants[0],
        Duration::from_secs(60),
        "the apply to start writing",
    )
    .await;
    match how {
        Failover::Killed => nodes[0].kill(),
        Failover::SteppedDown => {
            let primary = mongodb::Client::with_uri_str(nodes[0].uri()).await.unwrap();
            // The connection is cut as the member steps down: an error is expected.
            let _ = primary
                .database("admin")
                .run_command(doc! {"replSetStepDown": 30, "force": true})
                .await;
        }
    }
    let out = child.wait_with_output().unwrap();
    let all = show(&out);
    // Transient errors (the connection cut, no primary, not primary) are
    // tried again once a new primary is elected: no database fails.
    assert!(out.status.success(), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    for t in &tenants {
        let db = client.database(t);
        let locks = db
            .collection::<Document>("mig")
            .count_documents(doc! {"_id": "lock"})
            .await
            .unwrap();
        assert_eq!(locks, 0, "{t}: no lock left behind\n{all}");
        let running = db
            .collection::<Document>("mig")
            .count_documents(doc! {"kind": "journal", "outcome": "running"})
            .await
            .unwrap();
        assert_eq!(running, 0, "{t}: no journal entry left running\n{all}");
    }
    let out = p
        .own_server(&["plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    let second = show(&out);
    for n in nodes.iter().filter(|n| mongod::is_running(n.pid)) {
        n.stop();
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "first run:\n{all}\nthe plan after it:\n{second}"
    );
}

#[tokio::test]
async fn credentials_never_show_in_output_logs_journal_or_saved_plans() {
    let dir = tempfile::tempdir().unwrap();
    let node = Mongod::start_with(dir.path(), &["--auth"]).unwrap();
    // The localhost exception lets the first user be created without auth.
    let bare = mongodb::Client::with_uri_str(node.uri()).await.unwrap();
    bare.database("admin")
        .run_command(doc! {"createUser": "operator", "pwd": "S3cretPassw0rd", "roles": ["root"]})
        .await
        .unwrap();
    let uri = format!(
        "mongodb://operator:S3cretPassw0rd@127.0.0.1:{}/?directConnection=true&authSource=admin",
        node.port
    );
    let tenants = vec!["secret_t1".to_string()];
    let p = project_for(&uri, &tenants);
    let saved = p.path().join("plan.json");
    let mut everything = String::new();
    for args in [
        vec!["plan", "-vv", "--out", saved.to_str().unwrap()],
        vec!["apply", "-vv", saved.to_str().unwrap()],
        vec!["history", "secret_t1", "--format", "json"],
        vec!["list", "-vv"],
    ] {
        let out = p.own_server(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", show(&out));
        everything.push_str(&show(&out));
    }
    everything.push_str(&std::fs::read_to_string(&saved).unwrap());
    let admin = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let journal: Vec<Document> = {
        use futures::TryStreamExt;
        admin
            .database("secret_t1")
            .collection::<Document>("mig")
            .find(doc! {"kind": "journal"})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    everything.push_str(&format!("{journal:?}"));
    // A failing run prints the URI in its error: redacted.
    let wrong = uri.replace("S3cretPassw0rd", "Wr0ngPassw0rdX");
    let out = p
        .own_server(&["plan", "--uri", &wrong, "-vv"])
        .output()
        .unwrap();
    everything.push_str(&show(&out));
    node.stop();
    assert!(!journal.is_empty());
    assert!(!everything.contains("S3cretPassw0rd"), "{everything}");
    assert!(!everything.contains("Wr0ngPassw0rdX"), "{everything}");
    assert!(
        everything.contains("operator:****@"),
        "the redacted form is shown: {everything}"
    );
}
