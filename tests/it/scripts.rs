//! The scripts touch no server they did not start unless told to
//! (`MIG_TEST_URI`), and the test harness does not take a shell's
//! `MONGODB_URI` for the server under test.
//!
//! The scripts are run with `MIG_NO_BUILD=1`: `cargo test` holds the build
//! directory, so they use the binaries already built (scripts/test builds all
//! targets first; after `cargo test --test it scripts::` alone, build the examples
//! with `cargo build --all-targets`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use mongodb::bson::{doc, Document};
use support::{show, stderr, stdout, uri, Project};

/// `target/debug` (or `$CARGO_TARGET_DIR/debug`): where this test's `mig` is.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_mig"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `scripts/NAME` with the binaries as built, and none of the knobs of the
/// shell this test runs in.
fn script(name: &str) -> Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let devdb = bin_dir().join("examples/devdb");
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    let built = modified(&devdb).unwrap_or_else(|| {
        panic!(
            "{} is not built: run cargo build --all-targets (scripts/test does)",
            devdb.display()
        )
    });
    for source in ["examples/devdb.rs", "tests/it/support/mongod.rs"] {
        assert!(
            modified(&root.join(source)).is_none_or(|m| m <= built),
            "{} is older than {source}: run cargo build --all-targets (scripts/test does)",
            devdb.display()
        );
    }
    let mut cmd = Command::new(root.join("scripts").join(name));
    cmd.current_dir(root)
        .env("MIG_NO_BUILD", "1")
        .env("CARGO_TARGET_DIR", bin_dir().parent().unwrap())
        .env("NO_COLOR", "1");
    for var in [
        "MIG_TEST_URI",
        "MIG_DEVDB_DIR",
        "MIG_DEVDB_PORT",
        "MONGODB_PUBLIC_DATABASE",
        "MIGRATION_DRY_RUN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Whether a server answers `ping` at `uri` within two seconds.
async fn answers(uri: &str) -> bool {
    let Ok(mut options) = mongodb::options::ClientOptions::parse(uri).await else {
        return false;
    };
    options.server_selection_timeout = Some(Duration::from_secs(2));
    let Ok(client) = mongodb::Client::with_options(options) else {
        return false;
    };
    client
        .database("admin")
        .run_command(doc! {"ping": 1})
        .await
        .is_ok()
}

async fn demo_databases() -> Vec<String> {
    support::client()
        .await
        .list_database_names()
        .await
        .unwrap()
        .into_iter()
        .filter(|name| name.starts_with("mig_demo_"))
        .collect()
}

#[tokio::test]
async fn demo_ignores_mongodb_uri_and_stops_the_server_it_started() {
    // What a demo run with MIG_TEST_URI at this server would have left.
    let client = support::client().await;
    for name in demo_databases().await {
        client.database(&name).drop().await.unwrap();
    }
    // MONGODB_URI (and MIG_DEV_URI) at the server under test, as a shell
    // pointing at production would have them.
    let out = script("demo")
        .env("MONGODB_URI", uri())
        .env("MIG_DEV_URI", uri())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        demo_databases().await,
        Vec::<String>::new(),
        "the demo wrote to $MONGODB_URI\n{}",
        show(&out)
    );
    // It ran mig for real, on a server of its own, which is gone now.
    let text = stdout(&out);
    assert!(text.contains("$ mig apply"), "{}", show(&out));
    assert!(
        text.contains("cargo install --locked --path .") && text.contains("scripts/devdb start"),
        "the demo says how to go on: {}",
        show(&out)
    );
    let own = stderr(&out)
        .lines()
        .find_map(|line| line.strip_prefix("scripts/demo: mongod started at "))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no started mongod in {}", show(&out)));
    assert_ne!(own, uri());
    assert!(!answers(&own).await, "the demo's mongod still runs: {own}");
}

/// Stops the dev server under a directory when the test ends, passed or not.
struct DevdbGuard(PathBuf);

impl Drop for DevdbGuard {
    fn drop(&mut self) {
        let _ = script("devdb")
            .arg("stop")
            .env("MIG_DEVDB_DIR", &self.0)
            .output();
    }
}

fn devdb(dir: &Path, command: &str) -> Output {
    script("devdb")
        .arg(command)
        .env("MIG_DEVDB_DIR", dir)
        // Not 27017: a developer's own dev server may want it.
        .env("MIG_DEVDB_PORT", "0")
        // Nothing of the shell's is used.
        .env("MONGODB_URI", "mongodb://127.0.0.1:1")
        .output()
        .unwrap()
}

/// The URI of the one line `export MONGODB_URI='...'` on stdout.
fn exported(out: &Output) -> String {
    let text = stdout(out);
    let lines: Vec<&str> = text.lines().collect();
    match lines.as_slice() {
        [line] => line
            .strip_prefix("export MONGODB_URI='")
            .and_then(|rest| rest.strip_suffix('\''))
            .unwrap_or_else(|| panic!("not an export line: {}", show(out)))
            .to_string(),
        _ => panic!("stdout is not one export line: {}", show(out)),
    }
}

#[tokio::test]
async fn devdb_starts_a_server_that_outlives_it_and_stops_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devdb");
    let _guard = DevdbGuard(dir.clone());

    let out = devdb(&dir, "start");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let dev = exported(&out);
    assert!(answers(&dev).await, "nothing answers at {dev}");
    let client = mongodb::Client::with_uri_str(&dev).await.unwrap();
    client
        .database("devdb_kept")
        .collection::<Document>("notes")
        .insert_one(doc! {"_id": 1})
        .await
        .unwrap();

    // Twice: it says so, and prints the same line.
    let again = devdb(&dir, "start");
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert!(
        stderr(&again).contains("already running"),
        "{}",
        show(&again)
    );
    assert_eq!(exported(&again), dev);
    let status = devdb(&dir, "status");
    assert_eq!(status.status.code(), Some(0), "{}", show(&status));
    assert_eq!(exported(&status), dev);

    let stop = devdb(&dir, "stop");
    assert_eq!(stop.status.code(), Some(0), "{}", show(&stop));
    assert!(!answers(&dev).await, "still answering at {dev}");
    let status = devdb(&dir, "status");
    assert_ne!(status.status.code(), Some(0), "{}", show(&status));
    assert!(stderr(&status).contains("not running"), "{}", show(&status));

    // Started again: the same port, the same data, a writable primary.
    let out = devdb(&dir, "start");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(exported(&out), dev);
    let client = mongodb::Client::with_uri_str(&dev).await.unwrap();
    let notes = client
        .database("devdb_kept")
        .collection::<Document>("notes");
    assert_eq!(notes.count_documents(doc! {}).await.unwrap(), 1);
    notes.insert_one(doc! {"_id": 2}).await.unwrap();
    let stop = devdb(&dir, "stop");
    assert_eq!(stop.status.code(), Some(0), "{}", show(&stop));
}

/// Runs [`harness_probe`] in a child process of this test binary with `env`.
fn probe(env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    // Its full name in the one test binary: module, then function.
    cmd.args([
        "--exact",
        "scripts::harness_probe",
        "--ignored",
        "--nocapture",
    ])
    .env_remove("MIG_TEST_URI")
    .env_remove("MONGODB_URI");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// What the harness uses, run by the next test in a process of its own.
#[test]
#[ignore = "run by harness_takes_mig_test_uri_and_never_mongodb_uri with the environment it sets"]
fn harness_probe() {
    println!("probe: the server under test is {}", uri());
    let p = Project::new();
    p.manifest(
        "m.yaml",
        "scope: public\ncollections:\n  - name: notes\n    indexes:\n      - keys: { at: 1 }\n",
    );
    let out = p.mig(&["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

#[test]
fn harness_takes_mig_test_uri_and_never_mongodb_uri() {
    // A working server in MONGODB_URI alone: the harness refuses it.
    let out = probe(&[("MONGODB_URI", &uri())]);
    assert_ne!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains("1 failed") && stderr(&out).contains("MIG_TEST_URI is not set"),
        "{}",
        show(&out)
    );
    assert!(!stdout(&out).contains("probe: the server under test"));

    // Both set: the harness, and the mig it runs, use MIG_TEST_URI's server,
    // while the shell's MONGODB_URI answers nowhere.
    let out = probe(&[
        ("MIG_TEST_URI", &uri()),
        ("MONGODB_URI", "mongodb://127.0.0.1:1"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains(&format!("probe: the server under test is {}", uri()))
            && stdout(&out).contains("1 passed"),
        "{}",
        show(&out)
    );
}

/// The scripts' `build`, with a `cargo` of the test's own on `PATH` that
/// says `says` on stderr and exits with `code`.
fn build_with_cargo(says: &str, code: i32) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let cargo = tmp.path().join("cargo");
    std::fs::write(
        &cargo,
        format!("#!/bin/sh\nprintf '%s' '{says}' >&2\nexit {code}\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = format!(
        "{}:{}",
        tmp.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg("-c")
        .arg("set -euo pipefail; . scripts/lib.sh; build --example devdb; echo built")
        .current_dir(root)
        .env("PATH", path)
        .env_remove("MIG_NO_BUILD")
        .output()
        .unwrap()
}

#[test]
fn the_scripts_say_they_are_building_only_when_cargo_compiles() {
    let fresh = build_with_cargo("    Finished `dev` profile target(s) in 0.10s\n", 0);
    assert_eq!(stdout(&fresh), "built\n", "{}", show(&fresh));
    assert_eq!(
        stderr(&fresh),
        "",
        "nothing built, nothing said: {}",
        show(&fresh)
    );

    let compiling = build_with_cargo(
        "   Compiling mig v0.1.0\n   Compiling other v1.0.0\n    Finished `dev` profile\n",
        0,
    );
    assert_eq!(stdout(&compiling), "built\n", "{}", show(&compiling));
    assert_eq!(
        stderr(&compiling),
        "building mig (first time takes a couple of minutes)…\n",
        "{}",
        show(&compiling)
    );

    let failing = build_with_cargo("   Compiling mig v0.1.0\nerror: expected one of\n", 101);
    assert_ne!(failing.status.code(), Some(0), "{}", show(&failing));
    assert!(!stdout(&failing).contains("built"), "{}", show(&failing));
    assert!(
        stderr(&failing).contains("error: expected one of"),
        "{}",
        show(&failing)
    );
}
