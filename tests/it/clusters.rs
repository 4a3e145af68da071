//! Fleets across several clusters, on real servers: the suite's `mongod` is
//! cluster `main`, and each test starts the other replica sets it needs
//! (and stops them when it ends). Routing by the registry and by each
//! cluster's discovery, misrouted tenants refused and touched nowhere, a
//! cluster that is down, stopped mid-run or refuses the credentials failing
//! only its own tenants, a canary rollout across clusters, saved plans,
//! `pull` and `lint --live` reading every cluster.

use crate::support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mongodb::bson::{doc, Document};
use mongodb::Client;
use serde_json::Value;
use support::*;

const TENANT: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_conversation
        keys: { conversationId: 1, at: -1 }
";

const PUBLIC: &str = "scope: public
collections:
  - name: client_configs
    indexes:
      - name: idx_db
        keys: { db: 1 }
";

/// Runs `mig` in the project with `env` added (the suite's server is
/// `MONGODB_URI`, which `[clusters.main] uri_env` names).
fn mig(p: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
    p.mig_env(args, env)
}

/// `mig ... --format json`: the document and the whole output.
fn json(p: &Project, args: &[&str], env: &[(&str, &str)]) -> (Value, Output) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = mig(p, &all, env);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", show(&out)));
    (value, out)
}

/// The index names of `db.collection` on the server of `client`.
async fn indexes(client: &Client, db: &str, collection: &str) -> Vec<String> {
    let reply = client
        .database(db)
        .run_command(doc! {"listIndexes": collection})
        .await;
    // A collection not there has no indexes; any other failure is the test's.
    let reply = match reply {
        Ok(reply) => reply,
        Err(e)
            if e.to_string().contains("NamespaceNotFound")
                || e.to_string().contains("ns does not exist") =>
        {
            return Vec::new()
        }
        Err(e) => panic!("listIndexes {db}.{collection}: {e}"),
    };
    let mut names: Vec<String> = reply
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .iter()
        .filter_map(|d| d.as_document()?.get_str("name").ok().map(String::from))
        .collect();
    names.sort();
    names
}

async fn has_database(client: &Client, db: &str) -> bool {
    !client
        .list_database_names()
        .filter(doc! {"name": db})
        .await
        .unwrap()
        .is_empty()
}

async fn seed_one(client: &Client, db: &str) {
    client
        .database(db)
        .collection::<Document>("messages")
        .insert_one(doc! {"conversationId": 1, "at": 1})
        .await
        .unwrap();
}

/// The targets of a JSON report by database: (cluster, status, error).
fn by_database(report: &Value) -> Vec<(String, Value, String, String)> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(
                t.get("cluster").is_some(),
                "every target has a cluster: {t}"
            );
            (
                t["database"].as_str().unwrap().to_string(),
                t["cluster"].clone(),
                t["status"].as_str().unwrap().to_string(),
                t["error"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn target<'a>(
    targets: &'a [(String, Value, String, String)],
    db: &str,
) -> &'a (String, Value, String, String) {
    targets
        .iter()
        .find(|t| t.0 == db)
        .unwrap_or_else(|| panic!("{db} not among {targets:#?}"))
}

const BUILT: &str = "idx_conversation";

#[tokio::test]
async fn the_registry_routes_tenants_to_their_clusters_and_refuses_the_misrouted() {
    let eu = ReplicaSet::start("rs_eu").await;
    let us = ReplicaSet::start("rs_us").await;
    let (main_c, eu_c, us_c) = (client().await, eu.client().await, us.client().await);
    let p = Project::new();
    // On main (the suite's server): dropped with the project.
    let on_main = p.tenant();
    let on_two = p.tenant();
    let elsewhere = p.tenant();
    let (on_eu, on_us_new) = (unique("ten"), unique("ten"));
    let (on_apac, no_field) = (p.tenant(), p.tenant());
    for db in [&on_main, &on_two, &elsewhere] {
        seed_one(&main_c, db).await;
    }
    for db in [&on_eu, &on_two] {
        seed_one(&eu_c, db).await;
    }
    let region = |db: &str, r: Option<&str>| match r {
        Some(r) => doc! {"db": db, "placement": {"region": r}},
        None => doc! {"db": db, "placement": {}},
    };
    let registry = main_c
        .database(&p.public)
        .collection::<Document>("client_configs");
    registry
        .insert_many([
            region(&on_main, Some("main")),
            region(&on_eu, Some("eu")),
            region(&on_us_new, Some("us")),
            region(&on_two, Some("main")),
            region(&elsewhere, Some("eu")),
            region(&on_apac, Some("apac")),
            region(&no_field, None),
        ])
        .await
        .unwrap();
    p.config_without_public(&format!(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n\
         [clusters.eu]\nuri_env = \"MIG_URI_EU\"\n\
         [clusters.us]\nuri_env = \"MIG_URI_US\"\nconcurrency = 1\n\
         [public]\ndatabase = \"{}\"\ncluster = \"main\"\n\
         [tenants]\nsource = \"registry\"\ncollection = \"client_configs\"\nfield = \"db\"\n\
         cluster_field = \"placement.region\"\n",
        p.public
    ));
    p.manifest("tenant.yaml", TENANT);
    p.manifest("public.yaml", PUBLIC);
    let (eu_uri, us_uri) = (eu.uri(), us.uri());
    let env = [
        ("MIG_URI_EU", eu_uri.as_str()),
        ("MIG_URI_US", us_uri.as_str()),
    ];

    let (report, out) = json(&p, &["apply", "--yes"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let targets = by_database(&report);
    for (db, cluster) in [
        (&p.public, "main"),
        (&on_main, "main"),
        (&on_eu, "eu"),
        (&on_us_new, "us"),
    ] {
        let t = target(&targets, db);
        assert_eq!(
            (&t.1, t.2.as_str()),
            (&Value::from(cluster), "applied"),
            "{t:?}"
        );
    }
    for (db, why) in [
        (&on_two, "on several clusters (main, eu)"),
        (&elsewhere, "should be on cluster eu but is on cluster main"),
        (
            &on_apac,
            "\"apac\", which mig.toml's [clusters] doesn't have",
        ),
        (&no_field, "has no \"placement.region\" field"),
    ] {
        let t = target(&targets, db);
        assert_eq!((&t.1, t.2.as_str()), (&Value::Null, "failed"), "{t:?}");
        assert!(t.3.contains(why), "{db}: {t:?}");
    }
    // Each routed tenant was built on its own cluster, and only there.
    assert!(indexes(&main_c, &on_main, "messages")
        .await
        .contains(&BUILT.to_string()));
    assert!(indexes(&eu_c, &on_eu, "messages")
        .await
        .contains(&BUILT.to_string()));
    assert!(indexes(&us_c, &on_us_new, "messages")
        .await
        .contains(&BUILT.to_string()));
    assert!(!has_database(&main_c, &on_eu).await && !has_database(&us_c, &on_eu).await);
    assert!(!has_database(&main_c, &on_us_new).await);
    assert!(indexes(&main_c, &p.public, "client_configs")
        .await
        .contains(&"idx_db".to_string()));
    // The refused ones were touched nowhere: no index, no lock, no journal.
    for c in [&main_c, &eu_c, &us_c] {
        for db in [&on_two, &elsewhere, &on_apac, &no_field] {
            assert!(!indexes(c, db, "messages")
                .await
                .contains(&BUILT.to_string()));
            assert!(
                indexes(c, db, "mig").await.is_empty(),
                "{db} has a mig collection"
            );
        }
        assert!(!has_database(c, &on_apac).await && !has_database(c, &no_field).await);
    }
    assert!(!has_database(&eu_c, &elsewhere).await);
    // The summary per cluster, and stderr naming what was refused.
    let clusters = report["clusters"].as_array().unwrap();
    let line = |name: Value| clusters.iter().find(|c| c["cluster"] == name).unwrap();
    assert_eq!(line("main".into())["databases"], 2);
    assert_eq!(line("eu".into())["databases"], 1);
    assert_eq!(line("us".into())["applied"], 1);
    assert_eq!(line(Value::Null)["refused"], 4);
    assert_eq!(report["summary"]["databases"], 8);
    assert!(
        stderr(&out).contains("4 tenant(s) not routed"),
        "{}",
        show(&out)
    );

    // The registry put right: the same manifests are in place everywhere.
    registry
        .delete_many(doc! {"db": {"$in": [&on_two, &elsewhere, &on_apac, &no_field]}})
        .await
        .unwrap();
    let out = mig(&p, &["plan", "--detailed-exitcode"], &env);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text.contains("Nothing to do"), "{text}");
    // Grouped by cluster in mig.toml's order, a line per cluster, then the total.
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}: {text}"));
    assert!(
        at("== cluster main (") < at("== cluster eu (")
            && at("== cluster eu (") < at("== cluster us (")
    );
    assert!(
        at("\nClusters:\n") < at("\nSummary: 4 database(s)"),
        "{text}"
    );
    assert!(
        text.contains("  eu: 1 database(s), 0 with changes to apply\n"),
        "{text}"
    );
    for args in [&["status"][..], &["drift"][..]] {
        let out = mig(&p, args, &env);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", show(&out));
    }
}

#[tokio::test]
async fn per_cluster_discovery_narrowing_saved_plans_and_a_cluster_that_is_down() {
    let eu = ReplicaSet::start("rs_pereu").await;
    let (main_c, eu_c) = (client().await, eu.client().await);
    let p = Project::new();
    let prefix = unique("pfx") + "_";
    let name = |s: &str| p.track(&format!("{prefix}{s}"));
    let (a, b, dup) = (name("a"), name("b"), name("dup"));
    let (c, d_new) = (format!("{prefix}c"), format!("{prefix}d_new"));
    for db in [&a, &b, &dup] {
        seed_one(&main_c, db).await;
    }
    for db in [&c, &dup] {
        seed_one(&eu_c, db).await;
    }
    let config = |main_uri: &str| {
        format!(
            "[clusters.main]\n{main_uri}\n[clusters.main.tenants]\nprefix = \"{prefix}\"\n\
             [clusters.eu]\nuri_env = \"MIG_URI_EU\"\n[clusters.eu.tenants]\n\
             databases = [\"{c}\", \"{d_new}\"]\n"
        )
    };
    p.config_without_public(&config("uri_env = \"MONGODB_URI\""));
    p.manifest("tenant.yaml", TENANT);
    let eu_uri = eu.uri();
    let env = [("MIG_URI_EU", eu_uri.as_str())];

    let (report, out) = json(&p, &["apply", "--yes"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let targets = by_database(&report);
    assert_eq!(target(&targets, &a).1, "main");
    assert_eq!(target(&targets, &c).1, "eu");
    assert_eq!(target(&targets, &d_new).2, "applied");
    let refused = target(&targets, &dup);
    assert!(
        refused.3.contains("on several clusters (main, eu)"),
        "{refused:?}"
    );
    for (client, db) in [(&main_c, &a), (&main_c, &b), (&eu_c, &c), (&eu_c, &d_new)] {
        assert!(
            indexes(client, db, "messages")
                .await
                .contains(&BUILT.to_string()),
            "{db}"
        );
    }
    for client in [&main_c, &eu_c] {
        assert_eq!(indexes(client, &dup, "messages").await, ["_id_"]);
    }

    // --cluster narrows the run (main's databases are not even listed); an
    // unknown one is named, with the near miss.
    let (report, out) = json(&p, &["plan", "--cluster", "eu"], &env);
    let names: Vec<String> = by_database(&report).into_iter().map(|t| t.0).collect();
    assert_eq!(names, [c.clone(), d_new.clone()], "{}", show(&out));
    let (report, out) = json(&p, &["plan", "--cluster", "euu"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["error"]["kind"], "usage");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("--cluster euu") && message.contains("did you mean eu?"),
        "{message}"
    );

    // A saved plan is applied on the cluster each database was planned on.
    eu_c.database(&dup).drop().await.unwrap();
    p.manifest(
        "more.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_at, keys: { at: 1 } }\n",
    );
    let saved = p.path().join("plan.json");
    let out = mig(&p, &["plan", "--out", saved.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let eu_planned = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["database"] == *c);
    assert_eq!(eu_planned.unwrap()["cluster"], "eu");
    let out = mig(&p, &["apply", saved.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for (client, db) in [(&main_c, &dup), (&main_c, &b), (&eu_c, &c), (&eu_c, &d_new)] {
        assert!(
            indexes(client, db, "messages")
                .await
                .contains(&"idx_at".to_string()),
            "{db}"
        );
    }
    let out = mig(&p, &["plan", "--detailed-exitcode"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // Data migrations run, and are reverted, on every cluster.
    std::fs::create_dir(p.path().join("migrations")).unwrap();
    std::fs::write(
        p.path().join("migrations/20250101000000_mark.yaml"),
        "description: mark\nscope: tenant\nup:\n  \
         - update_many: { collection: messages, filter: {}, update: { $set: { marked: true } } }\n\
         down:\n  - update_many: { collection: messages, filter: {}, update: { $unset: { marked: \"\" } } }\n",
    )
    .unwrap();
    let marked = |client: &Client, db: &str| {
        let coll = client.database(db).collection::<Document>("messages");
        async move { coll.count_documents(doc! {"marked": true}).await.unwrap() }
    };
    let out = mig(&p, &["apply", "--yes"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!((marked(&main_c, &a).await, marked(&eu_c, &c).await), (1, 1));
    let out = mig(&p, &["down"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains("== cluster eu ("), "{}", show(&out));
    assert_eq!((marked(&main_c, &a).await, marked(&eu_c, &c).await), (0, 0));
    // A command about one database says which cluster it is on.
    let out = mig(&p, &["history", &c, "--cluster", "eu"], &env);
    assert!(
        stdout(&out).contains("20250101000000_mark"),
        "{}",
        show(&out)
    );
    let out = mig(&p, &["history", &c], &env);
    assert!(
        stderr(&out).contains("say which one the database is on with --cluster NAME"),
        "{}",
        show(&out)
    );
    let out = mig(&p, &["apply", "--yes"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // main down: its tenants can't be found, and it alone fails; eu is read.
    p.config_without_public(&config(
        "uri = \"mongodb://127.0.0.1:1/?directConnection=true\"",
    ));
    let (report, out) = json(&p, &["plan"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let targets = by_database(&report);
    assert!(
        targets.iter().all(|t| t.1 == "eu" && t.2 == "unchanged"),
        "{targets:#?}"
    );
    let main = &report["clusters"][0];
    assert_eq!(main["cluster"], "main");
    assert!(
        main["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{main}"
    );
    assert!(
        stderr(&out)
            .contains("error: cluster main failed: cannot reach MongoDB at mongodb://127.0.0.1:1"),
        "{}",
        show(&out)
    );
    // ... and, with --cluster eu, it is not contacted at all.
    let out = mig(
        &p,
        &["plan", "--cluster", "eu", "--detailed-exitcode"],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!stdout(&out).contains("cluster main"), "{}", show(&out));
}

/// `mig` with mig.toml's URIs only (the suite's server is not in the environment).
fn mig_cmd(p: &Project, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mig"));
    cmd.current_dir(p.path())
        .args(args)
        .env("MONGODB_URI", uri())
        .env("NO_COLOR", "1")
        .env("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `mig pull` finds the consensus over every cluster's tenants, and `mig
/// lint --live` reads every cluster's databases; a tenant the routing
/// refused is reported as not read by both.
#[tokio::test]
async fn pull_and_the_live_lint_read_every_cluster() {
    let eu = ReplicaSet::start("rs_pulleu").await;
    let (main_c, eu_c) = (client().await, eu.client().await);
    let p = Project::new();
    let prefix = unique("pl") + "_";
    let name = |s: &str| p.track(&format!("{prefix}{s}"));
    let (a, c, dup) = (name("a"), name("c"), name("dup"));
    let index = doc! {"createIndexes": "messages", "indexes": [{"key": {"x": 1}, "name": "x_1"}]};
    for (client, db) in [(&main_c, &a), (&eu_c, &c), (&main_c, &dup), (&eu_c, &dup)] {
        seed_one(client, db).await;
        client
            .database(db)
            .run_command(index.clone())
            .await
            .unwrap();
    }
    // Only eu's tenant has this one.
    eu_c.database(&c)
        .run_command(
            doc! {"createIndexes": "messages", "indexes": [{"key": {"y": 1}, "name": "y_1"}]},
        )
        .await
        .unwrap();
    p.config_without_public(&format!(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\nprefix = \"{prefix}\"\n\
         [clusters.eu]\nuri_env = \"MIG_URI_EU\"\n[clusters.eu.tenants]\ndatabases = [\"{c}\", \"{dup}\"]\n"
    ));
    let eu_uri = eu.uri();
    let env = [("MIG_URI_EU", eu_uri.as_str())];

    // Exit 1: a database was not read (the refused tenant); the files are written.
    let (pulled, out) = json(&p, &["pull"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(pulled["files"][0]["status"], "created", "{pulled:#}");
    let tenant = &pulled["scopes"][0];
    assert_eq!(tenant["databases"], 2, "a on main and c on eu: {pulled:#}");
    let indexes = tenant["collections"][0]["indexes"].as_array().unwrap();
    let by_name = |n: &str| indexes.iter().find(|i| i["name"] == n).cloned();
    let x = by_name("x_1").expect("x_1 pulled");
    assert_eq!(
        (x["declared"].clone(), x["on"].clone()),
        (true.into(), 2.into()),
        "{x:#}"
    );
    // Half the fleet has y_1 (the threshold is half): declared, and the
    // tenant without it, on the other cluster, named.
    let y = by_name("y_1").expect("y_1 reported");
    assert_eq!(
        (y["declared"].clone(), y["on"].clone()),
        (true.into(), 1.into()),
        "{y:#}"
    );
    assert_eq!(y["missing"], serde_json::json!([a]), "{y:#}");
    let failed = pulled["failed"].as_array().unwrap();
    assert!(
        failed.iter().any(|f| f["database"] == dup.as_str()
            && f["error"].as_str().unwrap().contains("several clusters")),
        "the tenant on both clusters is refused, not read: {pulled:#}"
    );

    // The manifest pulled declares x_1: used nowhere, on both clusters.
    let (lint, _) = json(&p, &["lint", "--live"], &env);
    let unused = lint["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "unused-index" && f["index"] == "x_1")
        .cloned()
        .unwrap_or_else(|| panic!("x_1 unused: {lint:#}"));
    let message = unused["message"].as_str().unwrap();
    assert!(message.contains("2 of 2 tenant database(s)"), "{message}");
    assert!(message.contains(&a) && message.contains(&c), "{message}");
    let unread = lint["unread"].as_array().unwrap();
    assert_eq!(unread.len(), 1, "{lint:#}");
    assert_eq!(unread[0]["database"], dup.as_str());
}

#[tokio::test]
async fn a_cluster_stopped_mid_run_fails_only_its_own_tenants() {
    let eu = ReplicaSet::start("rs_stop").await;
    let (main_c, eu_c) = (client().await, eu.client().await);
    let p = Project::new();
    let main_tenants: Vec<String> = (0..3).map(|_| p.tenant()).collect();
    let eu_tenants: Vec<String> = (0..3).map(|i| format!("stop_eu_{i}")).collect();
    for db in &main_tenants {
        seed_one(&main_c, db).await;
    }
    // Enough data that eu's builds, one at a time, are still going when it stops.
    for db in &eu_tenants {
        let coll = eu_c.database(db).collection::<Document>("messages");
        for chunk in 0..6 {
            let docs: Vec<Document> = (0..10_000)
                .map(|k| doc! {"conversationId": chunk * 10_000 + k, "at": k % 7})
                .collect();
            coll.insert_many(docs).await.unwrap();
        }
    }
    p.config_without_public(&format!(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\ndatabases = [{}]\n\
         [clusters.eu]\nuri_env = \"MIG_URI_EU\"\nconcurrency = 1\n[clusters.eu.tenants]\ndatabases = [{}]\n",
        toml_strings(&main_tenants),
        toml_strings(&eu_tenants)
    ));
    p.manifest("tenant.yaml", TENANT);
    let eu_uri = eu.uri();
    let env = [("MIG_URI_EU", eu_uri.as_str())];
    let child = mig_cmd(&p, &["apply", "--yes"], &env).spawn().unwrap();
    journal_started(
        &eu_c,
        &eu_tenants[0],
        Duration::from_secs(60),
        "eu's first build to start",
    )
    .await;
    eu.node.kill();
    let out = child.wait_with_output().unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    // A client of its own: the wait above blocked this test's runtime, so
    // main_c's monitor could not answer and its connections may be closed.
    let main_c = client().await;
    // main converged, whatever became of eu.
    for db in &main_tenants {
        assert!(
            indexes(&main_c, db, "messages")
                .await
                .contains(&BUILT.to_string()),
            "{db}: {all}"
        );
    }
    let text = stdout(&out);
    let eu_part = &text[text.find("== cluster eu (").expect("eu's heading")..];
    assert!(
        eu_part.contains(&format!("{} (tenant): failed:", eu_tenants[2])),
        "{all}"
    );
    assert!(
        text.contains("  main: 3 database(s), 3 with changes applied\n"),
        "{all}"
    );
    assert!(stderr(&out).contains("error: cluster eu:"), "{all}");

    // Still down: the next plan fails eu's tenants, saying why, and reads main.
    let out = mig_cmd(&p, &["plan"], &env).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    for db in &main_tenants {
        assert!(
            text.contains(&format!("{db} (tenant): no changes")),
            "{text}"
        );
    }
    for db in &eu_tenants {
        assert!(
            text.contains(&format!(
                "{db} (tenant): failed: cluster eu: cannot reach MongoDB at {eu_uri}"
            )),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_cluster_refusing_the_credentials_fails_alone_and_the_password_never_shows() {
    let eu = ReplicaSet::standalone(&["--auth"]);
    let bare = eu.client().await;
    bare.database("admin")
        .run_command(doc! {"createUser": "ops", "pwd": "Cl5sterSecret9", "roles": ["root"]})
        .await
        .unwrap();
    let p = Project::new();
    let on_main = p.tenant();
    p.config_without_public(&format!(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\ndatabases = [\"{on_main}\"]\n\
         [clusters.eu]\nuri_env = \"MIG_URI_EU\"\n[clusters.eu.tenants]\ndatabases = [\"cred_eu_t\"]\n"
    ));
    p.manifest("tenant.yaml", TENANT);
    let wrong = format!(
        "mongodb://ops:Wr0ngClusterPw@127.0.0.1:{}/?directConnection=true&authSource=admin",
        eu.node.port
    );
    let out = mig(&p, &["apply", "--yes", "-vv"], &[("MIG_URI_EU", &wrong)]);
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        stdout(&out).contains("cred_eu_t (tenant): failed: cluster eu: cannot log in to MongoDB at mongodb://ops:****@127.0.0.1"),
        "{all}"
    );
    assert!(indexes(&client().await, &on_main, "messages")
        .await
        .contains(&BUILT.to_string()));
    assert!(!all.contains("Wr0ngClusterPw"), "{all}");
    // Right credentials: eu is applied too.
    let right = wrong.replace("Wr0ngClusterPw", "Cl5sterSecret9");
    let out = mig(&p, &["apply", "--yes"], &[("MIG_URI_EU", &right)]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!show(&out).contains("Cl5sterSecret9"));
}

#[tokio::test]
async fn a_canary_rollout_takes_its_tenants_across_clusters_and_stops_them_all() {
    let eu = ReplicaSet::start("rs_canary").await;
    let (main_c, eu_c) = (client().await, eu.client().await);
    let p = Project::new();
    let main_tenants = [p.tenant(), p.tenant()];
    let mut main_sorted = main_tenants.to_vec();
    main_sorted.sort();
    // eu's first tenant has duplicate keys for a unique index: it fails.
    let eu_tenants = ["canary_eu_a", "canary_eu_b"];
    for db in &main_sorted {
        seed_one(&main_c, db).await;
    }
    for db in eu_tenants {
        seed_one(&eu_c, db).await;
    }
    seed_one(&eu_c, eu_tenants[0]).await;
    let main_list: Vec<&str> = main_sorted.iter().map(String::as_str).collect();
    p.config(&format!(
        "cluster = \"main\"\n\
         [clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\ndatabases = [{}]\n\
         [clusters.eu]\nuri_env = \"MIG_URI_EU\"\n[clusters.eu.tenants]\ndatabases = [{}]\n",
        toml_strings(&main_list),
        toml_strings(&eu_tenants)
    ));
    p.manifest(
        "tenant.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_unique, keys: { conversationId: 1 }, unique: true }\n",
    );
    let eu_uri = eu.uri();
    let env = [("MIG_URI_EU", eu_uri.as_str())];
    let (report, out) = json(&p, &["apply", "--yes", "--canary", "2"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let targets = by_database(&report);
    // Canaries: the public database, main's first tenant and eu's first.
    assert_eq!(target(&targets, &p.public).2, "unchanged");
    assert_eq!(target(&targets, &main_sorted[0]).2, "applied");
    assert_eq!(target(&targets, eu_tenants[0]).2, "failed");
    // The rest, on both clusters, not started.
    for db in [main_sorted[1].as_str(), eu_tenants[1]] {
        let t = target(&targets, db);
        assert_eq!(t.2, "skipped", "{t:?}");
    }
    assert!(indexes(&main_c, &main_sorted[1], "messages").await == ["_id_"]);
    assert!(indexes(&eu_c, eu_tenants[1], "messages").await == ["_id_"]);
}

#[test]
fn bad_cluster_input_is_an_error_naming_the_key_before_any_server_is_asked() {
    let p = Project::new();
    p.manifest("tenant.yaml", TENANT);
    p.config_without_public(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.eu]\nuri_env = \"MIG_URI_EU_UNSET\"\n\
         [clusters.us]\nconcurrency = 2\n[clusters.main.tenants]\nprefix = \"x_\"\n",
    );
    let (report, out) = json(&p, &["plan"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["error"]["kind"], "config");
    let text = stderr(&out);
    assert!(
        text.contains("clusters.eu.uri_env: MIG_URI_EU_UNSET is not set"),
        "{text}"
    );
    assert!(text.contains("clusters.us: needs uri or uri_env"), "{text}");
    // What does not work across clusters yet says so.
    p.config_without_public(
        "[clusters.main]\nuri_env = \"MONGODB_URI\"\n[clusters.main.tenants]\nprefix = \"x_\"\n",
    );
    let (report, _) = json(&p, &["init"], &[]);
    assert_eq!(report["error"]["kind"], "usage");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains("mig init writes a project for one server"));
    // Without [clusters], --cluster names nothing.
    p.config("[tenants]\nsource = \"list\"\ndatabases = []\n");
    let (report, _) = json(&p, &["plan", "--cluster", "eu"], &[]);
    assert_eq!(report["error"]["kind"], "usage");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains("mig.toml has no [clusters]"));
}
