//! Clusters benchmark: three clusters (single-node replica sets started
//! here), N tenant databases on each with the tenant indexes of
//! `manifests/`, and then, with nothing to change:
//! - `mig plan` over the three clusters at once (one mig.toml with
//!   `[clusters]`, each cluster listing its tenants);
//! - `mig plan` of each cluster alone (`[connection]`, its tenants only);
//!
//! each the median of a few runs. The aim: the three at once within 1.2x of
//! the slowest alone (`ratio`); `vs serial` compares them with the three
//! planned one after another, and the last column the CPU time of `mig`
//! itself, the three at once next to the sum of the three alone. Figures
//! are printed, never asserted.
//!
//! Run: `scripts/bench --clusters [N ...]` (default 200). The three
//! `mongod`s are this benchmark's own, on free ports, stopped at the end;
//! they share this machine's cores, where real clusters would not.

#[path = "../tests/it/support/mongod.rs"]
mod mongod;
#[path = "support/sizes.rs"]
mod sizes;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLUSTERS: [&str; 3] = ["main", "eu", "us"];
const RUNS: usize = 5;

fn tenant(cluster: &str, i: usize) -> String {
    format!("bench_{cluster}_{i:05}")
}

fn quoted(names: impl Iterator<Item = String>) -> String {
    names
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A project over the three clusters, each listing its `n` tenants.
fn over_clusters(uris: &[String], n: usize, manifests: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = format!("manifests = {:?}\n", manifests.display().to_string());
    for (name, uri) in CLUSTERS.iter().zip(uris) {
        text.push_str(&format!(
            "[clusters.{name}]\nuri = \"{uri}\"\n[clusters.{name}.tenants]\ndatabases = [{}]\n",
            quoted((0..n).map(|i| tenant(name, i)))
        ));
    }
    std::fs::write(dir.path().join("mig.toml"), text).unwrap();
    dir
}

/// A project of one cluster alone, as before `[clusters]`.
fn alone(name: &str, uri: &str, n: usize, manifests: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("mig.toml"),
        format!(
            "manifests = {:?}\n[connection]\nuri = \"{uri}\"\n[tenants]\nsource = \"list\"\ndatabases = [{}]\n",
            manifests.display().to_string(),
            quoted((0..n).map(|i| tenant(name, i)))
        ),
    )
    .unwrap();
    dir
}

/// The CPU time (user + system) of this process's children that have been
/// waited for: `cutime` + `cstime` of /proc/self/stat, in clock ticks (100 Hz).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (in parentheses): cutime and cstime
    // are the 16th and 17th of the line, the 14th and 15th after it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(13).copied().unwrap_or(0) + fields.get(14).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// A finished `mig` run: its wall time and its own CPU time.
#[derive(Clone, Copy)]
struct Measured {
    wall: Duration,
    cpu: Duration,
}

/// Runs `mig` in `dir` (stdout discarded).
fn mig(dir: &Path, args: &[&str]) -> Measured {
    let cpu = children_cpu();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_mig"))
        .current_dir(dir)
        .args(args)
        .env_remove("MONGODB_URI")
        .env_remove("MIG_DEV_URI")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run mig");
    let wall = started.elapsed();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0,
        "mig {args:?} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Measured {
        wall,
        cpu: children_cpu().saturating_sub(cpu),
    }
}

/// `RUNS` plans with nothing to change: the median wall time, and `mig`'s
/// CPU time on average.
fn plan(dir: &Path) -> Measured {
    let args = [
        "plan",
        "--tenants-only",
        "--detailed-exitcode",
        "-q",
        "--format",
        "json",
    ];
    let mut runs: Vec<Measured> = (0..RUNS).map(|_| mig(dir, &args)).collect();
    let cpu = runs.iter().map(|m| m.cpu).sum::<Duration>() / RUNS as u32;
    runs.sort_by_key(|m| m.wall);
    Measured {
        wall: runs[RUNS / 2].wall,
        cpu,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let sizes = sizes::sizes(&[200]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = Vec::new();
    for name in CLUSTERS {
        let set = format!("rs_bench_{name}");
        let node = mongod::Mongod::start(dir.path(), &set).expect("start mongod");
        mongod::initiate(&[&node], &set).await.expect("initiate");
        nodes.push(node);
    }
    let uris: Vec<String> = nodes.iter().map(|n| n.uri()).collect();
    let manifests = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests");
    println!(
        "clusters benchmark: {} clusters (single-node replica sets, mongod 6.0.5, all on this machine's {} cores), \
         N tenants on each with manifests/'s tenant indexes; mig plan with nothing to change, median of {RUNS} runs",
        CLUSTERS.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:>6} | {:>8} | {:>20} | {:>27} | {:>7} | {:>6} | {:>9} | {:>22}",
        "N",
        "build",
        "3 clusters, one plan",
        "each alone (main / eu / us)",
        "slowest",
        "ratio",
        "vs serial",
        "mig CPU: 3 at once/sum"
    );
    for n in sizes {
        // Built (the tenants not there yet) by mig itself, the three clusters at once.
        let all = over_clusters(&uris, n, &manifests);
        let args = ["sync-indexes", "--tenants-only", "--yes", "-q"];
        let build = mig(all.path(), &args).wall;
        let together = plan(all.path());
        let each: Vec<Measured> = CLUSTERS
            .iter()
            .zip(&uris)
            .map(|(name, uri)| plan(alone(name, uri, n, &manifests).path()))
            .collect();
        let slowest = each.iter().map(|m| m.wall).max().unwrap();
        let serial: Duration = each.iter().map(|m| m.wall).sum();
        let cpu: Duration = each.iter().map(|m| m.cpu).sum();
        let alone: Vec<String> = each.iter().map(|m| secs(m.wall)).collect();
        println!(
            "{n:>6} | {:>8} | {:>20} | {:>27} | {:>7} | {:>5.2}x | {:>8.2}x | {:>22}",
            secs(build),
            secs(together.wall),
            alone.join(" / "),
            secs(slowest),
            together.wall.as_secs_f64() / slowest.as_secs_f64(),
            together.wall.as_secs_f64() / serial.as_secs_f64(),
            format!("{} / {}", secs(together.cpu), secs(cpu))
        );
    }
    for node in &nodes {
        node.stop();
    }
}
