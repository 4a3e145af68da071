//! Fleet benchmark: builds N tenant databases with the indexes of
//! `manifests/` (tenant scope) on a local mongod, and times
//! - `mig apply` from empty, against a naive sequential baseline (one
//!   database, one collection, one `createIndexes` per index at a time);
//! - `mig plan` with nothing to change, against the bare round trips of the
//!   naive way to read the same state (one `listIndexes` per collection,
//!   one after the other).
//!
//! Run: `scripts/bench [N ...]` (default 10 100 1000). Figures are printed,
//! never asserted. Uses $MONGODB_URI, or starts a mongod like the tests do.

#[path = "../tests/it/support/mongod.rs"]
mod mongod;

use mig::model::collection::Kind;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use mongodb::bson::{doc, Document};
use mongodb::Client;

/// Mongoose's bench, if `npm install` ran in benches/mongoose and node is here.
fn mongoose() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/mongoose");
    let ok = dir.join("node_modules/mongoose").exists()
        && Command::new("node").arg("--version").output().is_ok();
    ok.then_some(dir)
}

/// Runs benches/mongoose/bench.mjs; its own timing, without node's start-up.
fn run_mongoose(
    dir: &Path,
    uri: &str,
    prefix: &str,
    n: usize,
    mode: &str,
    spec: &Path,
) -> Duration {
    let out = Command::new("node")
        .current_dir(dir)
        .args(["bench.mjs", uri, prefix, &n.to_string(), mode])
        .arg(spec)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "mongoose {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("mongoose output");
    Duration::from_secs_f64(v["seconds"].as_f64().unwrap_or(0.0))
}

/// N empty tenant databases `PREFIX00000`..: registered, as a real onboarding does.
async fn make_fleet(client: &Client, prefix: &str, n: usize) {
    stream::iter(0..n)
        .for_each_concurrent(8, |i| async move {
            client
                .database(&format!("{prefix}{i:05}"))
                .collection::<Document>("seed")
                .insert_one(doc! {"_id": 1})
                .await
                .unwrap();
        })
        .await;
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10, 100, 1000]
    } else {
        sizes
    };
    let (uri, server) = match std::env::var("MONGODB_URI") {
        Ok(uri) => (uri, None),
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let node = mongod::Mongod::start(dir.path(), "rsbench").expect("start mongod");
            mongod::initiate(&[&node], "rsbench")
                .await
                .expect("initiate");
            (node.uri(), Some((node, dir)))
        }
    };
    let client = Client::with_uri_str(&uri).await.expect("connect");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifests = mig::manifest::load_dir(&root.join("manifests")).expect("manifests");
    // The collections with indexes: a view has none, and `listIndexes` or
    // `createIndexes` on it is an error (the script and the bare reads skip it).
    let declared: Vec<mig::model::Collection> = manifests
        .tenant
        .iter()
        .filter(|c| c.options.as_ref().is_none_or(|o| Kind::of(o) != Kind::View))
        .cloned()
        .collect();
    let index_count: usize = declared.iter().map(|c| c.indexes.len()).sum();
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("mig.toml"),
        "[tenants]\nsource = \"prefix\"\nprefix = \"bench_mig_\"\n",
    )
    .unwrap();
    let mig = |args: &[&str]| {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_mig"))
            .current_dir(work.path())
            .args(args)
            .arg("--manifests")
            .arg(root.join("manifests"))
            .args(["--tenants-only", "-q", "--format", "json"])
            .env("MONGODB_URI", &uri)
            .output()
            .expect("run mig");
        assert!(
            out.status.success(),
            "mig {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (started.elapsed(), out.stdout)
    };
    let node_bench = mongoose();
    println!(
        "fleet benchmark: {} collections, {index_count} indexes per tenant (manifests/, tenant scope); mongod at {}{}",
        declared.len(),
        mig::redact::redact_uri(&uri),
        if node_bench.is_some() { "" } else { " (no Mongoose: run `npm install` in benches/mongoose)" }
    );
    println!(
        "{:>5} | {:>9} {:>9} {:>6} {:>9} {:>6} | {:>8} {:>9} {:>6} {:>9} {:>6}",
        "N",
        "mig apply",
        "naive",
        "ratio",
        "mongoose",
        "ratio",
        "mig plan",
        "listIdx",
        "ratio",
        "mongoose",
        "ratio"
    );
    for n in sizes {
        drop_bench(&client).await;
        // mig: apply from empty, then plan (nothing to change), against the bare reads.
        make_fleet(&client, "bench_mig_", n).await;
        let (mig_apply, _) = mig(&["apply", "--concurrency", "4"]);
        let (mig_plan, _) = mig(&["plan", "--detailed-exitcode", "--concurrency", "4"]);
        let naive_read = naive_list_indexes(&client, n, &declared).await;
        let (_, list) = mig(&["list"]);
        let spec = work.path().join("spec.json");
        std::fs::write(&spec, list).unwrap();
        let mongoose_diff = node_bench
            .as_deref()
            .map(|d| run_mongoose(d, &uri, "bench_mig_", n, "diff", &spec));
        drop_bench(&client).await;
        make_fleet(&client, "bench_naive_", n).await;
        let naive_apply = naive_apply(&client, n, &declared).await;
        drop_bench(&client).await;
        let mut mongoose_sync = None;
        if let Some(dir) = node_bench.as_deref() {
            make_fleet(&client, "bench_mongoose_", n).await;
            mongoose_sync = Some(run_mongoose(dir, &uri, "bench_mongoose_", n, "sync", &spec));
        }
        let ratio = |theirs: Duration, ours: Duration| {
            format!("{:.1}x", theirs.as_secs_f64() / ours.as_secs_f64())
        };
        let opt = |d: Option<Duration>| d.map(secs).unwrap_or_else(|| "-".into());
        let opt_ratio = |d: Option<Duration>, ours: Duration| {
            d.map(|d| ratio(d, ours)).unwrap_or_else(|| "-".into())
        };
        println!(
            "{n:>5} | {:>9} {:>9} {:>6} {:>9} {:>6} | {:>8} {:>9} {:>6} {:>9} {:>6}",
            secs(mig_apply),
            secs(naive_apply),
            ratio(naive_apply, mig_apply),
            opt(mongoose_sync),
            opt_ratio(mongoose_sync, mig_apply),
            secs(mig_plan),
            secs(naive_read),
            ratio(naive_read, mig_plan),
            opt(mongoose_diff),
            opt_ratio(mongoose_diff, mig_plan),
        );
    }
    drop_bench(&client).await;
    if let Some((node, _dir)) = server {
        node.stop();
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}
async fn drop_bench(client: &Client) {
    let names = client.list_database_names().await.unwrap();
    stream::iter(names.into_iter().filter(|n| n.starts_with("bench_")))
        .for_each_concurrent(8, |n| async move {
            client.database(&n).drop().await.unwrap();
        })
        .await;
}

/// The hand-written script: every tenant, every collection, every index, one at a time.
async fn naive_apply(client: &Client, n: usize, declared: &[mig::model::Collection]) -> Duration {
    let started = Instant::now();
    for i in 0..n {
        let db = client.database(&format!("bench_naive_{i:05}"));
        for c in declared {
            for index in &c.indexes {
                db.run_command(doc! {"createIndexes": &c.name, "indexes": [index.to_document()]})
                    .await
                    .unwrap();
            }
        }
    }
    started.elapsed()
}

/// The bare round trips of reading the state one collection at a time.
async fn naive_list_indexes(
    client: &Client,
    n: usize,
    declared: &[mig::model::Collection],
) -> Duration {
    let started = Instant::now();
    for i in 0..n {
        let db = client.database(&format!("bench_mig_{i:05}"));
        for c in declared {
            db.run_command(doc! {"listIndexes": &c.name}).await.unwrap();
        }
    }
    started.elapsed()
}
