//! The dev server (`--dev-uri`, `MIG_DEV_URI`, `dev_uri`), against the real
//! server: the test server (`$MIG_TEST_URI`) is both production and the dev server here.

use crate::support;

use support::*;

/// A partial filter offline validation lets through and MongoDB refuses (the
/// geometry of a `$geoWithin` is only checked by the server); line 7.
const REFUSED: &str = "scope: tenant
collections:
  - name: things
    indexes:
      - name: ok_one
        keys: { a: 1 }
      - name: bad_partial
        keys: { b: 1 }
        partialFilterExpression: { x: { $geoWithin: { $center: nowhere } } }
";

/// Indexes the server rewrites: a text index with weights (`_fts`/`_ftsx`,
/// the full weights map, default languages) and a 2dsphere index (its version).
const REWRITTEN: &str = "scope: [public, tenant]
collections:
  - name: places
    indexes:
      - name: search
        keys: { tenant: 1, title: text, body: text }
        weights: { title: 10 }
      - name: geo
        keys: { location: 2dsphere, kind: 1 }
      - name: email_ci
        keys: { email: 1 }
        unique: true
        partialFilterExpression: { deletedAt: null }
        collation: { locale: en, strength: 2 }
";

/// A loopback address where nothing listens.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The throw-away databases a run names in its `-v` log.
fn throwaway_names(stderr: &str) -> Vec<String> {
    let re = regex::Regex::new(r"mig_dev_[0-9a-f]{8}_(public|tenant)").unwrap();
    let mut names: Vec<String> = re
        .find_iter(stderr)
        .map(|m| m.as_str().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

async fn database_names() -> Vec<String> {
    client().await.list_database_names().await.unwrap()
}

/// A project with a public database and one listed tenant (neither exists yet).
fn project(manifest: &str) -> (Project, String) {
    let p = Project::new();
    let tenant = p.tenant();
    p.config(&format!(
        "[tenants]\nsource = \"list\"\ndatabases = [\"{tenant}\"]\n"
    ));
    p.manifest("m.yaml", manifest);
    (p, tenant)
}

#[tokio::test]
async fn a_refusal_names_file_line_collection_index_and_the_servers_words() {
    let (p, tenant) = project(REFUSED);
    // Offline validation lets it through: only the server knows.
    let offline = p.mig(&["validate"]);
    assert_eq!(offline.status.code(), Some(0), "{}", show(&offline));

    let out = p.mig(&["validate", "--dev-uri", &uri()]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains("bad_partial"))
        .unwrap_or_else(|| panic!("{}", show(&out)));
    assert!(line.contains("m.yaml:7:"), "file and line: {line}");
    assert!(
        line.contains("things.bad_partial"),
        "collection and index: {line}"
    );
    assert!(
        line.contains("the dev server refused it")
            && line.contains("unknown geo specifier")
            && line.contains("code 2"),
        "the server's words and code: {line}"
    );
    assert!(!err.contains("ok_one"), "only the refused index: {err}");

    let (json, code) = p.json(&["validate", "--dev-uri", &uri()]);
    assert_eq!(code, 1);
    assert_eq!(json["valid"], false);
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{json:#}");
    assert!(problems[0]["file"].as_str().unwrap().ends_with("m.yaml"));
    assert_eq!(problems[0]["line"], 7);
    assert_eq!(problems[0]["field"], "collections[0].indexes[1]");
    assert!(problems[0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown geo specifier"));

    // plan and apply stop on the same problem, before any database is touched.
    for command in ["plan", "apply"] {
        let out = p.mig(&[command, "--dev-uri", &uri()]);
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(stderr(&out).contains("m.yaml:7:"), "{}", show(&out));
    }
    let names = database_names().await;
    assert!(
        !names.contains(&p.public) && !names.contains(&tenant),
        "nothing created in production: {names:?}"
    );
}

#[tokio::test]
async fn no_throwaway_database_is_left_behind() {
    let (p, _tenant) = project(REWRITTEN);
    let ok = p.mig(&["validate", "-v", "--dev-uri", &uri()]);
    assert_eq!(ok.status.code(), Some(0), "{}", show(&ok));
    let plan = p.mig_env(&["plan", "-v"], &[("MIG_DEV_URI", &uri())]);
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
    p.manifest("refused.yaml", REFUSED);
    let failed = p.mig(&["validate", "-v", "--dev-uri", &uri()]);
    assert_eq!(failed.status.code(), Some(1), "{}", show(&failed));

    let mut used = Vec::new();
    for (run, out) in [
        ("validate", &ok),
        ("plan", &plan),
        ("failed validate", &failed),
    ] {
        let names = throwaway_names(&stderr(out));
        // One per scope with declarations: both scopes here.
        assert_eq!(names.len(), 2, "{run}: {}", show(out));
        used.extend(names);
    }
    let left = database_names().await;
    for name in &used {
        assert!(!left.contains(name), "{name} is left behind: {left:?}");
    }
}

#[tokio::test]
async fn an_unreachable_dev_server_stops_every_command_before_production() {
    let (p, tenant) = project(REWRITTEN);
    let dev = format!(
        "mongodb://127.0.0.1:{}/?directConnection=true",
        closed_port()
    );
    for command in ["validate", "plan", "apply", "sync-indexes"] {
        let out = p.mig_env(
            &[command, "--dev-uri", &dev],
            &[("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1000")],
        );
        assert_eq!(out.status.code(), Some(1), "{command}: {}", show(&out));
        assert!(
            stderr(&out).contains(&format!("cannot reach the dev server at {dev}")),
            "{command}: {}",
            show(&out)
        );
        assert!(
            stdout(&out).is_empty(),
            "{command}: no plan: {}",
            show(&out)
        );
    }
    let names = database_names().await;
    assert!(
        !names.contains(&p.public) && !names.contains(&tenant),
        "production untouched: {names:?}"
    );
}

#[tokio::test]
async fn with_a_dev_server_apply_converges_and_the_plan_reads_the_same() {
    let (p, _tenant) = project(REWRITTEN);
    let (offline, code) = p.json(&["plan"]);
    assert_eq!(code, 0, "{offline:#}");
    let (with_dev, code) = p.json(&["plan", "--dev-uri", &uri()]);
    assert_eq!(code, 0, "{with_dev:#}");
    assert_eq!(summary(&with_dev), (6, 0, 0, 0, 0), "{with_dev:#}");
    assert_eq!(offline, with_dev, "the plan is the same with a dev server");

    let out = p.mig_env(&["apply"], &[("MIG_DEV_URI", &uri())]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // Compared in the dev server's form: nothing left to do.
    let out = p.mig_env(
        &["plan", "-v", "--detailed-exitcode", "--format", "json"],
        &[("MIG_DEV_URI", &uri())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stderr(&out).contains("comparing in its form"),
        "{}",
        show(&out)
    );
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary(&after), (0, 0, 0, 0, 0), "{after:#}");
    // And without one (mig's own normalization) it agrees.
    let (offline, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{offline:#}");
    assert_eq!(offline, after);
}

#[tokio::test]
async fn credentials_in_the_dev_uri_are_never_printed() {
    let (p, tenant) = project(REWRITTEN);
    let port = closed_port();
    let dev = format!("mongodb://devuser:s3cretpw@127.0.0.1:{port}/?directConnection=true");
    let runs = [
        p.mig_env(
            &["validate", "-vv", "--dev-uri", &dev],
            &[("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1000")],
        ),
        p.mig_env(
            &["plan", "-vv", "--format", "json"],
            &[
                ("MIG_DEV_URI", &dev),
                ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1000"),
            ],
        ),
    ];
    p.config_without_public(&format!(
        "dev_uri = \"{dev}\"\n[public]\ndatabase = \"{}\"\n[tenants]\nsource = \"list\"\ndatabases = [\"{tenant}\"]\n",
        p.public
    ));
    let from_file = p.mig_env(
        &["apply", "-vv"],
        &[("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1000")],
    );
    for out in runs.iter().chain([&from_file]) {
        assert_eq!(out.status.code(), Some(1), "{}", show(out));
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(
            !all.contains("s3cretpw"),
            "the password leaked: {}",
            show(out)
        );
        assert!(
            all.contains(&format!("devuser:****@127.0.0.1:{port}")),
            "the URI is shown redacted: {}",
            show(out)
        );
    }
}

#[tokio::test]
async fn the_id_index_declared_under_another_name_is_left_to_the_planner() {
    // The server answers "all indexes already exist" and lists no `by_id`:
    // no server form, no error.
    let p = Project::new();
    p.manifest(
        "m.yaml",
        "scope: public\ncollections:\n  - name: c\n    indexes:\n      - name: by_id\n        keys: { _id: 1 }\n",
    );
    let out = p.mig(&["validate", "--dev-uri", &uri()]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains("the dev server (MongoDB ")
            && stdout(&out).contains("built all 1 index(es)"),
        "{}",
        show(&out)
    );
}
