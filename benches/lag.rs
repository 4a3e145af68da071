//! Lag benchmark: a fleet's index builds on a 3-member replica set (started
//! here), under a steady write load, three ways:
//! - `server`: the driver sends each tenant's `createIndexes`, one tenant at
//!   a time: the server's own build throughput, nothing held back;
//! - `mig`: `mig apply --concurrency 1`, no bound;
//! - `mig --max-lag`: the same holding `--max-lag 2s`.
//!
//! For each it prints the seconds, the documents indexed per second, that
//! throughput as a share of the server's, and the largest secondary lag
//! sampled during the run (`replSetGetStatus`, by `lastAppliedWallTime`).
//! The indexes are dropped between runs. Figures are printed, never asserted.
//!
//! Run: `scripts/bench --lag [TENANTS [DOCUMENTS]]` (default 10 tenants of
//! 50,000 documents). The three `mongod`s share this machine's cores, where
//! a real replica set would not: the lag they show is this machine's.

#[path = "../tests/it/support/mongod.rs"]
mod mongod;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{doc, DateTime, Document};

const SET: &str = "rsbenchlag";
const MANIFEST: &str = "scope: tenant
collections:
  - name: events
    indexes:
      - name: by_group
        keys: { group: 1, at: -1 }
      - name: by_user
        keys: { user: 1 }
";

fn tenant(i: usize) -> String {
    format!("bench_lag_{i:04}")
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let tenants = args.first().copied().unwrap_or(10);
    let documents = args.get(1).copied().unwrap_or(50_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let nodes: Vec<mongod::Mongod> = (0..3)
        .map(|_| mongod::Mongod::start(dir.path(), SET).expect("start a mongod"))
        .collect();
    let refs: Vec<&mongod::Mongod> = nodes.iter().collect();
    mongod::initiate(&refs, SET).await.expect("initiate");
    let hosts: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let uri = format!("mongodb://{}/?replicaSet={SET}", hosts.join(","));
    let client = mongodb::Client::with_uri_str(&uri).await.expect("connect");
    eprintln!("lag bench: {tenants} tenants x {documents} documents on a 3-member replica set…");
    for i in 0..tenants {
        let coll = client.database(&tenant(i)).collection::<Document>("events");
        for chunk in (0..documents).step_by(10_000) {
            let docs: Vec<Document> = (chunk..(chunk + 10_000).min(documents))
                .map(|k| doc! {"group": (k % 97) as i64, "user": (k % 5_000) as i64, "at": DateTime::now(), "pad": "x".repeat(40)})
                .collect();
            coll.insert_many(docs).await.expect("seed");
        }
    }
    let project = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(project.path().join("manifests")).unwrap();
    std::fs::write(project.path().join("manifests/tenant.yaml"), MANIFEST).unwrap();
    let list: Vec<String> = (0..tenants).map(|i| format!("\"{}\"", tenant(i))).collect();
    std::fs::write(
        project.path().join("mig.toml"),
        format!(
            "[connection]\nuri = \"{uri}\"\n[tenants]\nsource = \"list\"\ndatabases = [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
    let total = (tenants * documents) as f64;
    println!(
        "\n{:<16} {:>9} {:>14} {:>10} {:>12}",
        "run", "seconds", "documents/s", "of server", "max lag"
    );
    let mut server_rate = None;
    for run in ["server", "mig", "mig --max-lag"] {
        drop_indexes(&client, tenants).await;
        let (writing, writer) = write_load(&client);
        let (sampling, max_lag, sampler) = sample_lag(&client);
        let started = Instant::now();
        match run {
            "server" => {
                for i in 0..tenants {
                    client
                        .database(&tenant(i))
                        .run_command(doc! {"createIndexes": "events", "indexes": [
                            {"key": {"group": 1, "at": -1}, "name": "by_group"},
                            {"key": {"user": 1}, "name": "by_user"},
                        ]})
                        .await
                        .expect("build");
                }
            }
            _ => {
                let mut args = vec!["apply", "--yes", "--concurrency", "1"];
                if run == "mig --max-lag" {
                    args.extend(["--max-lag", "2s"]);
                }
                let out = Command::new(env!("CARGO_BIN_EXE_mig"))
                    .current_dir(project.path())
                    .args(&args)
                    .env_remove("MONGODB_URI")
                    .env("NO_COLOR", "1")
                    .output()
                    .expect("run mig");
                if !out.status.success() {
                    eprintln!("{run} failed: {}", String::from_utf8_lossy(&out.stderr));
                }
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        writing.store(false, Ordering::SeqCst);
        sampling.store(false, Ordering::SeqCst);
        let _ = writer.await;
        let _ = sampler.await;
        let rate = total / seconds;
        let server = *server_rate.get_or_insert(rate);
        println!(
            "{:<16} {:>9.1} {:>14.0} {:>9.0}% {:>11.1}s",
            run,
            seconds,
            rate,
            100.0 * rate / server,
            max_lag.load(Ordering::SeqCst) as f64 / 1000.0
        );
    }
    for n in &nodes {
        n.stop();
    }
}

async fn drop_indexes(client: &mongodb::Client, tenants: usize) {
    for i in 0..tenants {
        let _ = client
            .database(&tenant(i))
            .run_command(doc! {"dropIndexes": "events", "index": ["by_group", "by_user"]})
            .await;
        let _ = client
            .database(&tenant(i))
            .collection::<Document>("mig")
            .drop()
            .await;
    }
}

/// Inserts every 20 ms (about 50 a second) until told to stop.
fn write_load(client: &mongodb::Client) -> (Arc<AtomicBool>, tokio::task::JoinHandle<()>) {
    let on = Arc::new(AtomicBool::new(true));
    let (coll, flag) = (
        client
            .database("bench_lag_writes")
            .collection::<Document>("w"),
        on.clone(),
    );
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while flag.load(Ordering::SeqCst) {
            tick.tick().await;
            let _ = coll
                .insert_one(doc! {"at": DateTime::now(), "pad": "y".repeat(200)})
                .await;
        }
    });
    (on, task)
}

/// Samples the largest secondary lag, in milliseconds, every 250 ms.
fn sample_lag(
    client: &mongodb::Client,
) -> (Arc<AtomicBool>, Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let on = Arc::new(AtomicBool::new(true));
    let max = Arc::new(AtomicU64::new(0));
    let (client, flag, seen) = (client.clone(), on.clone(), max.clone());
    let task = tokio::spawn(async move {
        while flag.load(Ordering::SeqCst) {
            if let Ok(lag) = mig::server::load::replication_lag(&client).await {
                seen.fetch_max(lag.as_millis() as u64, Ordering::SeqCst);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    (on, max, task)
}
