//! Test harness: a project directory with manifests, the `mig` binary run
//! against the real `mongod` at `$MIG_TEST_URI` (scripts/test starts one and
//! sets it), and databases of its own that are dropped afterwards.

#![allow(dead_code)]

pub mod mongod;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mongodb::bson::{doc, Document};
use mongodb::Client;
use serde_json::Value;

/// The server under test: `$MIG_TEST_URI`, never `$MONGODB_URI`, which may be
/// left in a shell pointing anywhere (production too). The tests pass this URI
/// to the `mig` processes they run as their `MONGODB_URI`.
pub fn uri() -> String {
    match std::env::var("MIG_TEST_URI") {
        Ok(uri) if !uri.is_empty() => uri,
        _ => panic!(
            "MIG_TEST_URI is not set: run the suite with scripts/test, which starts a mongod \
             of its own and sets it; or set MIG_TEST_URI to a MongoDB whose test databases \
             may be created and dropped (see the README). MONGODB_URI is deliberately \
             not used by the tests."
        ),
    }
}

pub async fn client() -> Client {
    Client::with_uri_str(uri())
        .await
        .expect("connect to MIG_TEST_URI")
}

/// A database name no other test uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A project: `mig.toml`, a manifests directory, and the databases it uses.
pub struct Project {
    dir: tempfile::TempDir,
    pub public: String,
    databases: Mutex<Vec<String>>,
}

impl Project {
    /// A project whose public database is fresh and which has no tenants.
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("manifests")).unwrap();
        let p = Project {
            dir,
            public: unique("pub"),
            databases: Mutex::new(Vec::new()),
        };
        p.track(&p.public.clone());
        p.config("");
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `mig.toml`: the public database, then `extra`.
    pub fn config(&self, extra: &str) {
        let text = format!("[public]\ndatabase = \"{}\"\n{extra}", self.public);
        std::fs::write(self.path().join("mig.toml"), text).unwrap();
    }

    /// Writes `mig.toml` as given, without a public database.
    pub fn config_without_public(&self, text: &str) {
        std::fs::write(self.path().join("mig.toml"), text).unwrap();
    }

    pub fn manifest(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join("manifests").join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Remembers a database to drop when the project goes away.
    pub fn track(&self, db: &str) -> String {
        self.databases.lock().unwrap().push(db.to_string());
        db.to_string()
    }

    /// A fresh tenant database name, dropped afterwards.
    pub fn tenant(&self) -> String {
        self.track(&unique("ten"))
    }

    /// Runs `mig` in the project directory against the server under test.
    pub fn mig(&self, args: &[&str]) -> Output {
        self.mig_env(args, &[])
    }

    pub fn mig_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mig"));
        cmd.current_dir(self.path()).args(args).env("NO_COLOR", "1");
        for var in [
            "MONGODB_PUBLIC_DATABASE",
            "MIGRATION_DRY_RUN",
            "MIGRATION_LOG_LEVEL",
            "MONGODB_MAX_POOL_SIZE",
            "MONGODB_MIN_POOL_SIZE",
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS",
            "MONGODB_SOCKET_TIMEOUT_MS",
            // A dev server of the shell's is not the tests' to write to.
            "MIG_DEV_URI",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("MONGODB_URI", uri());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run mig")
    }

    /// `mig` on the project's own server (mig.toml's URI, not the suite's),
    /// its output piped, to run or spawn.
    pub fn own_server(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mig"));
        cmd.current_dir(self.path())
            .args(args)
            .env_remove("MONGODB_URI")
            .env_remove("MONGODB_PUBLIC_DATABASE")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `mig ... --format json`; the parsed stdout and the exit code.
    pub fn json(&self, args: &[&str]) -> (Value, i32) {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.mig(&all);
        let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "mig {args:?} printed no JSON ({e}):\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (value, out.status.code().unwrap_or(-1))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let dbs = std::mem::take(&mut *self.databases.lock().unwrap());
        // Drop runs outside any runtime the test may have; use a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = client().await;
                for db in dbs {
                    let _ = client.database(&db).drop().await;
                }
            });
        })
        .join();
    }
}

/// Names as the items of a TOML array: `"a", "b"`.
pub fn toml_strings<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("\"{}\"", n.as_ref()))
        .collect();
    quoted.join(", ")
}

/// mig.toml's `[tenants]`, listing `names`.
pub fn listed_tenants<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "[tenants]\nsource = \"list\"\ndatabases = [{}]\n",
        toml_strings(names)
    )
}

/// Text of an output, both streams, for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The live indexes of a collection, as the server reports them.
pub async fn live_indexes(db: &str, collection: &str) -> Vec<Document> {
    let reply = match client()
        .await
        .database(db)
        .run_command(doc! {"listIndexes": collection})
        .await
    {
        Ok(r) => r,
        // No such collection: no indexes.
        Err(e) if matches!(*e.kind, mongodb::error::ErrorKind::Command(ref c) if c.code == 26) => {
            return Vec::new()
        }
        Err(e) => panic!("listIndexes: {e}"),
    };
    reply
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .iter()
        .map(|d| d.as_document().unwrap().clone())
        .collect()
}

pub async fn live_index(db: &str, collection: &str, name: &str) -> Option<Document> {
    live_indexes(db, collection)
        .await
        .into_iter()
        .find(|d| d.get_str("name") == Ok(name))
}

/// The summary counts of a JSON plan: (create, modify, replace, drop, unmanaged).
pub fn summary(plan: &Value) -> (u64, u64, u64, u64, u64) {
    let s = &plan["summary"];
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("summary.{k} missing in {plan}"))
    };
    (
        n("create"),
        n("modify"),
        n("replace"),
        n("drop"),
        n("unmanaged"),
    )
}

/// Inserts `n` documents `{i, group: i % 100, text}` into `db.collection`.
pub async fn seed(db: &str, collection: &str, n: usize) {
    let coll = client()
        .await
        .database(db)
        .collection::<Document>(collection);
    let mut i = 0;
    while i < n {
        let batch: Vec<Document> = (i..(i + 10_000).min(n))
            .map(|k| doc! {"i": k as i64, "group": (k % 100) as i64, "text": format!("message number {k}")})
            .collect();
        i += batch.len();
        coll.insert_many(batch).await.expect("seed");
    }
}

/// Inserts `docs` into `db.collection`.
pub async fn insert(db: &str, collection: &str, docs: Vec<Document>) {
    client()
        .await
        .database(db)
        .collection::<Document>(collection)
        .insert_many(docs)
        .await
        .expect("insert");
}

/// A database's journal, oldest first.
pub async fn journal(db: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    client()
        .await
        .database(db)
        .collection::<Document>("mig")
        .find(doc! {"kind": "journal"})
        .sort(doc! {"startedAt": 1, "_id": 1})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// The seed of a random test, from `var`: a number, or `random` for one picked
/// now (the test prints it); `default` when `var` is unset or empty.
pub fn random_seed(var: &str, default: u64) -> u64 {
    match std::env::var(var).ok().as_deref() {
        None | Some("") => default,
        Some("random") => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            t.as_nanos() as u64 ^ std::process::id() as u64
        }
        Some(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("{var}: a number or `random`")),
    }
}

/// A number a random test takes from `var` (how many cases, how many
/// seconds); `default` when `var` is unset or empty.
pub fn knob(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|n| n.parse().unwrap_or_else(|_| panic!("{var}: a number")))
        .unwrap_or(default)
}

/// Waits until `mig` has journaled a step in `db` (its first write has
/// begun), on the server of `client`; panics after `limit`.
pub async fn journal_started(client: &Client, db: &str, limit: std::time::Duration, what: &str) {
    let journal = client.database(db).collection::<Document>("mig");
    eventually(limit, what, || {
        let journal = journal.clone();
        async move {
            journal
                .count_documents(doc! {"kind": "journal"})
                .await
                .unwrap_or(0)
                > 0
        }
    })
    .await;
}

/// Waits until `check` holds, polling; panics after `limit`.
pub async fn eventually<F, Fut>(limit: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A single-node replica set of a test's own (a second or third cluster),
/// on a free port with its files in a temporary directory; stopped, by its
/// process id, when dropped (after a failed assertion too).
pub struct ReplicaSet {
    pub node: mongod::Mongod,
    _dir: tempfile::TempDir,
}

impl ReplicaSet {
    /// Starts `mongod --replSet NAME` and waits until it is a writable primary.
    pub async fn start(name: &str) -> ReplicaSet {
        let dir = tempfile::tempdir().unwrap();
        let node = mongod::Mongod::start(dir.path(), name).expect("start a mongod");
        let set = ReplicaSet { node, _dir: dir };
        mongod::initiate(&[&set.node], name)
            .await
            .expect("initiate the replica set");
        set
    }

    /// A standalone `mongod` started with `args` (e.g. `--auth`).
    pub fn standalone(args: &[&str]) -> ReplicaSet {
        let dir = tempfile::tempdir().unwrap();
        let node = mongod::Mongod::start_with(dir.path(), args).expect("start a mongod");
        ReplicaSet { node, _dir: dir }
    }

    pub fn uri(&self) -> String {
        self.node.uri()
    }

    pub async fn client(&self) -> Client {
        Client::with_uri_str(self.uri()).await.expect("connect")
    }
}

impl Drop for ReplicaSet {
    fn drop(&mut self) {
        // A test may have killed it already.
        if mongod::is_running(self.node.pid) {
            self.node.stop();
        }
    }
}
