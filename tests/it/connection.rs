//! Connecting, and failing to: a server that isn't there is one sentence
//! naming the URI (redacted) and where it came from, said at once rather
//! than after the server selection wait; `--format json` prints every failure
//! as `{"error": {kind, message}}`; a directory without mig.toml says so.

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::*;

/// A refused port: nothing listens on port 1.
const REFUSED: &str = "mongodb://admin:hunter2secret@127.0.0.1:1/";
const SHOWN: &str = "mongodb://admin:****@127.0.0.1:1/";

/// The server selection wait every run here gets: a refused port must not
/// wait it out. Not a timing: [`GUARD`] only tells a hang from an answer.
const WAIT_MS: &str = "60000";
const GUARD: Duration = Duration::from_secs(40);

const MANIFEST: &str =
    "scope: public\ncollections:\n  - name: c\n    indexes:\n      - { keys: { a: 1 } }\n";

/// `mig` in `dir` with `env` only (no MONGODB_URI of the suite's), killed
/// if it is still running after [`GUARD`]: the fast path is gone then.
fn mig_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mig"));
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1");
    for var in [
        "MONGODB_URI",
        "MIG_DEV_URI",
        "MONGODB_PUBLIC_DATABASE",
        "MIGRATION_DRY_RUN",
        "MIGRATION_LOG_LEVEL",
        "MONGODB_MAX_POOL_SIZE",
        "MONGODB_MIN_POOL_SIZE",
        "MONGODB_SOCKET_TIMEOUT_MS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("MONGODB_SERVER_SELECTION_TIMEOUT_MS", WAIT_MS);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mig");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(GUARD) {
        Ok(out) => out.expect("mig's output"),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("mig {args:?} was still waiting after {GUARD:?}: a refused port waited out the server selection wait ({WAIT_MS} ms)")
        }
    }
}

/// The one `error:` line of stderr.
fn one_sentence(out: &Output) -> String {
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {}", show(out));
    assert!(lines[0].starts_with("error: "), "{}", show(out));
    lines[0].to_string()
}

/// Refused at once, said in words: no driver topology, no server selection.
fn assert_refused(out: &Output, who: &str, uri: &str, from: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", show(out));
    let line = one_sentence(out);
    let all = show(out);
    assert!(
        !all.contains("hunter2secret"),
        "the password is shown: {all}"
    );
    assert!(
        line.contains(&format!(
            "cannot reach {who} at {uri} ({from}): connection refused"
        )),
        "{all}"
    );
    for driver in [
        "Topology",
        "SystemOverloaded",
        "server selection",
        "Server selection",
    ] {
        assert!(
            !line.contains(driver),
            "driver detail {driver:?} without -v: {all}"
        );
    }
}

#[test]
fn a_refused_port_names_the_uri_and_where_it_came_from() {
    let p = Project::new();
    p.manifest("m.yaml", MANIFEST);

    let out = mig_in(p.path(), &["plan", "--uri", REFUSED], &[]);
    assert_refused(&out, "MongoDB", SHOWN, "from --uri");
    assert!(stdout(&out).is_empty(), "{}", show(&out));

    let out = mig_in(p.path(), &["plan"], &[("MONGODB_URI", REFUSED)]);
    assert_refused(&out, "MongoDB", SHOWN, "from MONGODB_URI");

    std::fs::write(p.path().join(".env"), format!("MONGODB_URI={REFUSED}\n")).unwrap();
    let out = mig_in(p.path(), &["status"], &[]);
    assert_refused(&out, "MongoDB", SHOWN, "from MONGODB_URI in .env");
    std::fs::remove_file(p.path().join(".env")).unwrap();

    p.config(&format!("[connection]\nuri = \"{REFUSED}\"\n"));
    let config = p.path().canonicalize().unwrap().join("mig.toml");
    let from = format!("from [connection] uri in {}", config.display());
    for command in ["plan", "apply", "list", "status"] {
        let out = mig_in(p.path(), &[command], &[]);
        assert_refused(&out, "MongoDB", SHOWN, &from);
    }
    // These need no manifests, and say the same.
    for args in [&["history", "x"][..], &["unlock", "x"]] {
        let out = mig_in(p.path(), args, &[]);
        assert_refused(&out, "MongoDB", SHOWN, &from);
    }
}

#[test]
fn the_driver_detail_is_for_verbose() {
    let p = Project::new();
    p.manifest("m.yaml", MANIFEST);
    let out = mig_in(p.path(), &["plan", "-v", "--uri", REFUSED], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("Connection refused (os error"), "{err}");
    assert!(!err.contains("hunter2secret"), "{err}");
    assert!(
        err.lines().last().unwrap().contains("connection refused;"),
        "the sentence is last: {err}"
    );
}

#[test]
fn a_refused_dev_server_names_its_uri_and_where_it_came_from() {
    let p = Project::new();
    p.manifest("m.yaml", MANIFEST);
    let production = uri();
    let out = mig_in(
        p.path(),
        &["validate", "--dev-uri", REFUSED],
        &[("MONGODB_URI", &production)],
    );
    assert_refused(&out, "the dev server", SHOWN, "from --dev-uri");
    let out = mig_in(
        p.path(),
        &["plan"],
        &[("MONGODB_URI", &production), ("MIG_DEV_URI", REFUSED)],
    );
    assert_refused(&out, "the dev server", SHOWN, "from MIG_DEV_URI");
}

#[test]
fn json_prints_every_failure_as_one_error_document() {
    let p = Project::new();
    p.manifest("m.yaml", MANIFEST);
    for command in ["plan", "apply", "status", "sync-indexes"] {
        let out = mig_in(
            p.path(),
            &[command, "--format", "json"],
            &[("MONGODB_URI", REFUSED)],
        );
        assert_refused(&out, "MongoDB", SHOWN, "from MONGODB_URI");
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{command}: no JSON on stdout ({e}): {}", show(&out)));
        assert_eq!(doc["error"]["kind"], "unreachable", "{command}: {doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            one_sentence(&out).ends_with(message),
            "{command}: the message is stderr's sentence: {}",
            show(&out)
        );
        assert_eq!(doc.as_object().unwrap().len(), 1, "{command}: {doc}");
    }
    // A problem keeps its document, with the error beside it.
    p.manifest("bad.yaml", "scope: nowhere\n");
    let (doc, code) = p.json(&["plan"]);
    assert_eq!(code, 1);
    assert_eq!(doc["error"]["kind"], "manifest", "{doc}");
    assert_eq!(doc["valid"], false, "{doc}");
    assert!(
        doc["problems"].as_array().is_some_and(|a| !a.is_empty()),
        "{doc}"
    );
}

#[test]
fn refused_credentials_are_said_with_the_password_hidden() {
    let p = Project::new();
    p.manifest("m.yaml", MANIFEST);
    let real = uri();
    let (scheme, rest) = real.split_once("://").unwrap();
    let with_user = format!("{scheme}://mig_nobody:hunter2secret@{rest}");
    let out = mig_in(
        p.path(),
        &["plan", "--format", "json"],
        &[("MONGODB_URI", &with_user)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let line = one_sentence(&out);
    assert!(!show(&out).contains("hunter2secret"), "{}", show(&out));
    assert!(
        line.contains("cannot log in to MongoDB at")
            && line.contains("mig_nobody:****@")
            && line.contains("(from MONGODB_URI): authentication failed"),
        "{}",
        show(&out)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "auth", "{doc}");
}

#[tokio::test]
async fn an_empty_directory_is_not_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().canonicalize().unwrap();
    let public = unique("pub");
    let env = [
        ("MONGODB_URI", uri()),
        ("MONGODB_PUBLIC_DATABASE", public.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for command in ["plan", "apply", "status", "validate", "list"] {
        let out = mig_in(&here, &[command], &env);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", show(&out));
        let line = one_sentence(&out);
        assert!(
            line.contains(&format!("no mig.toml in {}", here.display()))
                && line.contains(&format!(
                    "no manifests directory ({})",
                    here.join("manifests").display()
                ))
                && line.contains("mig init")
                && line.contains("--config PATH"),
            "{command}: {}",
            show(&out)
        );
        assert!(stdout(&out).is_empty(), "{command}: {}", show(&out));
    }
    let out = mig_in(&here, &["plan", "--format", "json"], &env);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "config", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no mig.toml"),
        "{doc}"
    );
    // --config naming a file that isn't there is an error naming it.
    let out = mig_in(&here, &["plan", "--config", "elsewhere.toml"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{}: no such config file (--config)",
            here.join("elsewhere.toml").display()
        )),
        "{}",
        show(&out)
    );
    let names = client().await.list_database_names().await.unwrap();
    assert!(!names.contains(&public), "nothing created: {names:?}");
    assert_eq!(
        std::fs::read_dir(&here).unwrap().count(),
        0,
        "nothing written in the directory"
    );
}

#[test]
fn manifests_without_mig_toml_are_a_project_of_defaults_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().canonicalize().unwrap();
    std::fs::create_dir(here.join("manifests")).unwrap();
    std::fs::write(here.join("manifests/m.yaml"), MANIFEST).unwrap();
    let public = unique("pub");
    let env = [
        ("MONGODB_URI", uri()),
        ("MONGODB_PUBLIC_DATABASE", public.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = mig_in(&here, &["plan"], &env);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!(
            "note: no mig.toml in {}; using the defaults and the manifests in {}",
            here.display(),
            here.join("manifests").display()
        )),
        "{}",
        show(&out)
    );
    assert!(stdout(&out).contains(&public), "{}", show(&out));
    let out = mig_in(&here, &["plan", "--quiet"], &env);
    assert!(out.status.success(), "{}", show(&out));
    assert!(!stderr(&out).contains("note:"), "{}", show(&out));
}
