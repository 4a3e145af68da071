//! One run path: each feature run on one server (`[public]` and `[tenants]`)
//! and on the same server as a fleet of one cluster (`[clusters.main]`) gives
//! the same report, database for database, once the names are the same and
//! the cluster stamps are set aside.

use crate::support;

use mongodb::bson::{doc, Document};
use serde_json::Value;
use support::*;

const TENANT: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - { name: idx_status, keys: { status: 1 } }
      - { name: idx_day, keys: { day: -1 }, unique: true }
";

const PUBLIC: &str = "scope: public
collections:
  - name: users
    indexes:
      - { name: email_1, keys: { email: 1 }, unique: true }
";

const SEED: &str = "description: seed
scope: tenant
up:
  - insert_many: { collection: messages, documents: [{ status: new, day: 1 }] }
";

/// A project of a public database and two tenants, one of them holding an
/// index the manifests don't declare; its mig.toml one server's or, with
/// `clusters`, a fleet of one cluster on the same server.
async fn project(clusters: bool) -> (Project, Vec<String>) {
    let p = Project::new();
    let tenants: Vec<String> = (0..2).map(|_| p.tenant()).collect();
    let listed = toml_strings(&tenants);
    if clusters {
        p.config_without_public(&format!(
            "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\ndatabases = [{listed}]\n\
             [public]\ndatabase = \"{}\"\ncluster = \"main\"\n",
            p.public
        ));
    } else {
        p.config(&listed_tenants(&tenants));
    }
    p.manifest("tenant.yaml", TENANT);
    p.manifest("public.yaml", PUBLIC);
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(p.path().join("migrations/20250101000000_seed.yaml"), SEED).unwrap();
    let db = client().await.database(&tenants[1]);
    db.collection::<Document>("messages")
        .insert_one(doc! {"status": "old", "day": 0, "legacy": 1})
        .await
        .unwrap();
    db.run_command(
        doc! {"createIndexes": "messages", "indexes": [{"key": {"legacy": 1}, "name": "legacy_1"}]},
    )
    .await
    .unwrap();
    (p, tenants)
}

/// `v` with the project's database names replaced by their parts
/// (`public`, `tenant0`, …), the fields that differ by run alone (times,
/// durations, and times inside messages) and what only a run over clusters has (`cluster`, `clusters`,
/// `not_routed`) removed.
fn normalized(v: &Value, p: &Project, tenants: &[String]) -> Value {
    let mut text = v.to_string();
    text = text.replace(&p.public, "public");
    for (i, t) in tenants.iter().enumerate() {
        text = text.replace(t, &format!("tenant{i}"));
    }
    // A time inside a message (`counting since …` of `lint --live`).
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z").unwrap();
    let text = time.replace_all(&text, "TIME");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    strip(&mut v);
    v
}

fn strip(v: &mut Value) {
    const VOLATILE: &[&str] = &[
        "cluster",
        "clusters",
        "not_routed",
        "created_at",
        "applied_at",
        "duration_ms",
        "elapsed_ms",
        "seconds",
        "run",
        "at",
        "started_at",
        "ended_at",
        "since",
    ];
    match v {
        Value::Object(m) => {
            for k in VOLATILE {
                m.shift_remove(*k);
            }
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Runs `args` (with `--format json`) on both projects: the two documents,
/// normalized, and both exit codes.
fn both(
    one: &(Project, Vec<String>),
    fleet: &(Project, Vec<String>),
    args: &[&str],
) -> ((Value, i32), (Value, i32)) {
    let (a, a_code) = one.0.json(args);
    let (b, b_code) = fleet.0.json(args);
    (
        (normalized(&a, &one.0, &one.1), a_code),
        (normalized(&b, &fleet.0, &fleet.1), b_code),
    )
}

fn assert_same(what: &str, (one, fleet): ((Value, i32), (Value, i32))) {
    if one != fleet {
        let (a, b) = (
            format!("exit {}\n{:#}", one.1, one.0),
            format!("exit {}\n{:#}", fleet.1, fleet.0),
        );
        let diff = similar::TextDiff::from_lines(&a, &b)
            .unified_diff()
            .header("one server", "fleet of one cluster")
            .to_string();
        panic!("{what}: the two runs differ\n{diff}");
    }
}

#[tokio::test]
async fn every_command_reports_the_same_on_one_server_and_on_a_fleet_of_one_cluster() {
    let one = project(false).await;
    let fleet = project(true).await;
    for args in [
        &["plan"][..],
        &["plan", "--tenants-only"],
        &["plan", "--tenant", "TENANT0"],
        &["status"],
        &["drift"],
        &["apply", "--dry-run"],
        &["list"],
    ] {
        let on = |p: &(Project, Vec<String>)| -> Vec<String> {
            args.iter().map(|a| a.replace("TENANT0", &p.1[0])).collect()
        };
        let (a, b) = (on(&one), on(&fleet));
        let (a, b): (Vec<&str>, Vec<&str>) = (
            a.iter().map(String::as_str).collect(),
            b.iter().map(String::as_str).collect(),
        );
        let (x, x_code) = one.0.json(&a);
        let (y, y_code) = fleet.0.json(&b);
        assert_same(
            &args.join(" "),
            (
                (normalized(&x, &one.0, &one.1), x_code),
                (normalized(&y, &fleet.0, &fleet.1), y_code),
            ),
        );
    }
    // Saved plans, made and applied both ways: migrations, re-read, builds.
    for p in [&one, &fleet] {
        let out = p.0.mig(&["plan", "--out", "plan.json"]);
        assert!(out.status.success(), "{}", show(&out));
    }
    let applied = both(&one, &fleet, &["apply", "plan.json"]);
    assert_eq!(applied.0 .1, 0, "{:#}", applied.0 .0);
    assert_same("apply plan.json", applied);
    // After it, nothing to do both ways; --prune retires the extra index alike.
    assert_same(
        "plan --detailed-exitcode",
        both(&one, &fleet, &["plan", "--detailed-exitcode"]),
    );
    assert_same(
        "apply --prune --drop-now --canary 1",
        both(
            &one,
            &fleet,
            &["apply", "--yes", "--prune", "--drop-now", "--canary", "1"],
        ),
    );
    assert_same("status after", both(&one, &fleet, &["status"]));
    assert_same("drift after", both(&one, &fleet, &["drift"]));
    // The other commands over the fleet: an index sync, the live lint, the
    // pull of the live indexes, and reverting the migrations, then the
    // status that shows it.
    for args in [
        &["sync-indexes", "--dry-run"][..],
        &["lint", "--live"],
        &["pull"],
        &["down", "--dry-run"],
        &["down"],
        &["status"],
    ] {
        assert_same(&args.join(" "), both(&one, &fleet, args));
    }
    for p in [&one, &fleet] {
        let names: Vec<String> = live_indexes(&p.1[1], "messages")
            .await
            .iter()
            .map(|d| d.get_str("name").unwrap().to_string())
            .collect();
        assert!(
            names.contains(&"idx_status".to_string()) && !names.contains(&"legacy_1".to_string()),
            "{names:?}"
        );
    }
}
