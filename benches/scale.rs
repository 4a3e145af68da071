//! Fleet scale: N tenant databases, each with the tenant indexes of
//! `manifests/`, built once and kept between runs (creating 10,000 takes about
//! half an hour here), then for each N:
//! - one bare `$listCatalog` read of those databases (what `mig` can't beat);
//! - `mig plan` with nothing to change, `mig status`, `mig drift` (when this
//!   build has it), and `mig sync-indexes` of one new index across the fleet;
//!   each with its wall time, the peak resident memory of the `mig` process,
//!   and the time per tenant.
//!
//! Run: `scripts/bench --scale [N ...]` (default 1000 2000; add 10000 on
//! request). Uses $MONGODB_URI (scripts/bench starts a mongod whose data is
//! kept in ~/.cache/mig/bench-scale, or passes MIG_TEST_URI on). Figures are
//! printed, never asserted.

#[path = "support/sizes.rs"]
mod sizes;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::Client;

const PREFIX: &str = "scale_";

fn name(i: usize) -> String {
    format!("{PREFIX}{i:05}")
}

/// A finished `mig` run: how long, and its peak resident memory.
struct Measured {
    wall: Duration,
    peak_kb: u64,
}

/// Runs `mig` with stdout discarded (what is measured is `mig`, not a pipe),
/// watching its peak resident memory (`VmHWM`) until it exits. (`wait4`'s
/// `ru_maxrss` would not do: it counts the parent's memory at the fork.)
fn measure(dir: &Path, uri: &str, args: &[&str]) -> Measured {
    let log = dir.join("stderr.log");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mig"))
        .current_dir(dir)
        .args(args)
        .env("MONGODB_URI", uri)
        .env_remove("MIG_DEV_URI")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("stderr log"))
        .spawn()
        .expect("run mig");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for mig") {
            break status;
        }
        // VmHWM only grows; read often, so the last reading is near the end.
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            peak_kb = peak_kb.max(vm_hwm(&text));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = started.elapsed();
    let code = status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "mig {args:?} exited {code}: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    Measured { wall, peak_kb }
}

/// `VmHWM:   32372 kB` in /proc/PID/status.
fn vm_hwm(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A project listing the first `n` tenants, with the repository's manifests
/// (or `manifests`).
fn project(n: usize, manifests: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let names: Vec<String> = (0..n).map(|i| format!("\"{}\"", name(i))).collect();
    std::fs::write(
        dir.path().join("mig.toml"),
        format!(
            "manifests = {:?}\n[tenants]\nsource = \"list\"\ndatabases = [{}]\n",
            manifests.display().to_string(),
            names.join(", ")
        ),
    )
    .unwrap();
    dir
}

/// Builds the tenants that are not there yet, with `mig` itself; tenants
/// kept from an earlier run are brought to the manifests as they are now
/// (a collection or an index declared since), so `plan` measures a fleet in sync.
async fn build_fleet(client: &Client, uri: &str, n: usize, manifests: &Path) {
    let existing = client
        .list_database_names()
        .filter(doc! {"name": {"$regex": format!("^{PREFIX}")}})
        .await
        .unwrap()
        .len();
    if existing >= n {
        println!("bringing the kept tenants to manifests/ ...");
    } else {
        println!("building tenants {existing}..{n} (once; kept for the next run) ...",);
    }
    let p = project(n, manifests);
    let m = measure(
        p.path(),
        uri,
        &[
            "sync-indexes",
            "--tenants-only",
            "--yes",
            "-q",
            "--concurrency",
            "4",
        ],
    );
    println!(
        "built {} tenants, the others brought in sync, in {:.0}s",
        n.saturating_sub(existing),
        m.wall.as_secs_f64()
    );
}

/// One bare `$listCatalog` read of the first `n` tenants, all entries fetched.
async fn list_catalog(client: &Client, n: usize) -> Duration {
    let names: Vec<String> = (0..n).map(name).collect();
    let started = Instant::now();
    let entries: Vec<Document> = client
        .database("admin")
        .aggregate(vec![
            doc! {"$listCatalog": {}},
            doc! {"$match": {"db": {"$in": &names}}},
        ])
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(!entries.is_empty());
    started.elapsed()
}

/// The repository's tenant manifests plus one index on `messages` that no
/// tenant has yet.
fn with_one_more_index(root: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(root.join("manifests")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path().join("zz_bench.yaml"),
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_bench_extra, keys: { benchExtra: 1 } }\n",
    )
    .unwrap();
    dir
}

async fn drop_extra_index(client: &Client, n: usize) {
    stream::iter(0..n)
        .for_each_concurrent(8, |i| async move {
            let _ = client
                .database(&name(i))
                .run_command(doc! {"dropIndexes": "messages", "index": "idx_bench_extra"})
                .await;
        })
        .await;
}

fn cell(m: &Measured, n: usize) -> String {
    format!(
        "{:>7.2}s {:>6.0} MB {:>6.2} ms",
        m.wall.as_secs_f64(),
        m.peak_kb as f64 / 1024.0,
        m.wall.as_secs_f64() * 1000.0 / n as f64
    )
}

#[tokio::main]
async fn main() {
    let sizes = sizes::sizes(&[1000, 2000]);
    let uri = std::env::var("MONGODB_URI").expect("scripts/bench --scale sets MONGODB_URI");
    let client = Client::with_uri_str(&uri).await.expect("connect");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let manifests = root.join("manifests");
    build_fleet(&client, &uri, *sizes.last().unwrap(), &manifests).await;
    println!(
        "\nfleet scale: tenant databases with manifests/'s tenant indexes; mongod at {}",
        mig::redact::redact_uri(&uri)
    );
    println!("each cell: wall time, peak RSS of mig, time per tenant");
    let columns = [
        "mig plan (in sync)",
        "mig status",
        "mig drift",
        "mig pull",
        "apply, 1 new index",
    ];
    let heads: Vec<String> = columns.iter().map(|c| format!("{c:^27}")).collect();
    println!(
        "{:>6} | {:>12} | {}",
        "N",
        "$listCatalog",
        heads.join(" | ")
    );
    let extra = with_one_more_index(&root);
    let mut plans: Vec<(usize, Measured)> = Vec::new();
    for &n in &sizes {
        let p = project(n, &manifests);
        let catalog = list_catalog(&client, n).await;
        let run = |args: &[&str]| measure(p.path(), &uri, args);
        let plan = run(&[
            "plan",
            "--tenants-only",
            "--detailed-exitcode",
            "-q",
            "--format",
            "json",
        ]);
        let status = run(&["status", "--tenants-only", "-q"]);
        let drift = run(&["drift", "--tenants-only", "-q"]);
        let pulled = p.path().join("pulled").display().to_string();
        let pull = run(&["pull", "--tenants-only", "-q", "--out", &pulled]);
        let with_extra = project(n, extra.path());
        let apply = measure(
            with_extra.path(),
            &uri,
            &["apply", "--tenants-only", "--yes", "-q"],
        );
        drop_extra_index(&client, n).await;
        let cells: Vec<String> = [&plan, &status, &drift, &pull, &apply]
            .iter()
            .map(|m| cell(m, n))
            .collect();
        println!(
            "{n:>6} | {:>11.2}s | {}",
            catalog.as_secs_f64(),
            cells.join(" | ")
        );
        plans.push((n, plan));
    }
    for pair in plans.windows(2) {
        let ((a, pa), (b, pb)) = (&pair[0], &pair[1]);
        let growth = (pb.peak_kb as f64 - pa.peak_kb as f64) / (*b - *a) as f64;
        println!(
            "mig plan peak memory from {a} to {b} tenants: {:+.1} KB per tenant",
            growth
        );
    }
}
