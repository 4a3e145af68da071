//! `mig plan` / `sync-indexes` / `apply` / `list` / `validate` end to end,
//! against the real server.

use crate::support;

use mongodb::bson::{doc, Document};
use support::mongod;
use support::*;

const MESSAGES: &str = "scope: tenant
collections:
  - name: messages
    indexes:
      - name: idx_messages_conversation_timestamp_desc
        keys: { conversationId: 1, timestamp: -1 }
      - name: idx_messages_message_id
        keys: { messageId: 1 }
        unique: true
";

const CLIENT_CONFIGS: &str = "scope: public
collections:
  - name: client_configs
    indexes:
      - name: idx_config_schema
        keys: { schema: 1 }
        unique: true
";

/// A project with a registry of tenants in its public database.
async fn fleet(tenants: usize) -> (Project, Vec<String>) {
    let p = Project::new();
    let names: Vec<String> = (0..tenants).map(|_| p.tenant()).collect();
    let mut entries: Vec<Document> = names
        .iter()
        .map(|n| doc! {"schema": n, "billing": {"status": "active"}})
        .collect();
    entries
        .push(doc! {"schema": p.track("suspended_tenant_db"), "billing": {"status": "suspended"}});
    entries.push(doc! {"schema": "admin", "billing": {"status": "active"}});
    entries.push(doc! {"schema": "bad.name", "billing": {"status": "active"}});
    insert(&p.public, "client_configs", entries).await;
    p.config(
        "[tenants]\nsource = \"registry\"\ncollection = \"client_configs\"\nfield = \"schema\"\nfilter = { \"billing.status\" = \"active\" }\n",
    );
    p.manifest("public.yaml", CLIENT_CONFIGS);
    p.manifest("tenant.yaml", MESSAGES);
    (p, names)
}

#[tokio::test]
async fn registry_fleet_converges_and_the_second_run_does_nothing() {
    let (p, tenants) = fleet(3).await;
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "changes pending: {plan:#}");
    let dbs: Vec<&str> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["database"].as_str().unwrap())
        .collect();
    let mut expected = vec![p.public.as_str()];
    expected.extend(tenants.iter().map(String::as_str));
    assert_eq!(dbs, expected, "public first, then the active tenants only");
    assert_eq!(summary(&plan), (1 + 2 * 3, 0, 0, 0, 0));
    let rejected: Vec<&str> = plan["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["database"].as_str().unwrap())
        .collect();
    assert_eq!(rejected, vec!["admin", "bad.name"]);
    let change = &plan["targets"][1]["changes"][0];
    assert_eq!(change["collection"], "messages");
    assert_eq!(change["action"], "create");
    assert_eq!(change["creates_collection"], true);
    assert_eq!(
        change["desired"]["key"],
        serde_json::json!({"conversationId": 1, "timestamp": -1})
    );
    assert!(change["live"].is_null());

    let (applied, code) = p.json(&["apply"]);
    assert_eq!(code, 0, "{applied:#}");
    assert!(applied["targets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "applied"));
    for t in &tenants {
        assert!(live_index(t, "messages", "idx_messages_message_id")
            .await
            .is_some());
    }

    let (again, code) = p.json(&["apply"]);
    assert_eq!(code, 0);
    assert_eq!(summary(&again), (0, 0, 0, 0, 0));
    assert!(
        again["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "unchanged"),
        "{again:#}"
    );
    // Nothing to apply; the registry's entries naming `admin` and `bad.name`
    // were skipped, so the fleet is not said to be in sync (exit 2).
    let out = p.mig(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stdout(&out).contains(
            "Nothing to apply, but not in sync: 2 tenant name(s) or registry entr(ies) skipped."
        ),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn unmanaged_indexes_are_kept_unless_pruned_and_id_is_never_touched() {
    let p = Project::new();
    p.manifest("public.yaml", CLIENT_CONFIGS);
    let coll = client()
        .await
        .database(&p.public)
        .collection::<Document>("client_configs");
    coll.create_index(
        mongodb::IndexModel::builder()
            .keys(doc! {"legacy": 1})
            .build(),
    )
    .await
    .unwrap();

    let (plan, _) = p.json(&["sync-indexes"]);
    assert_eq!(
        plan["targets"][0]["unmanaged"][0]["index"], "legacy_1",
        "{plan:#}"
    );
    assert!(
        live_index(&p.public, "client_configs", "legacy_1")
            .await
            .is_some(),
        "kept without --prune"
    );

    let (plan, code) = p.json(&["plan", "--prune", "--drop-now"]);
    assert_eq!(code, 0);
    assert_eq!(summary(&plan), (0, 0, 0, 1, 0));
    assert_eq!(
        plan["targets"][0]["changes"][0]["live"]["key"],
        serde_json::json!({"legacy": 1})
    );

    let (_, code) = p.json(&["sync-indexes", "--prune", "--drop-now"]);
    assert_eq!(code, 0);
    let names: Vec<String> = live_indexes(&p.public, "client_configs")
        .await
        .iter()
        .map(|d| d.get_str("name").unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["_id_", "idx_config_schema"]);
}

#[tokio::test]
async fn ttl_change_is_made_in_place_with_collmod() {
    let p = Project::new();
    let ttl = |secs: u32| {
        format!("scope: public\ncollections:\n  - name: sessions\n    indexes:\n      - name: ttl\n        keys: {{ at: 1 }}\n        expireAfterSeconds: {secs}\n")
    };
    p.manifest("m.yaml", &ttl(60));
    assert!(p.mig(&["sync-indexes"]).status.success());
    p.manifest("m.yaml", &ttl(120));
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2);
    let change = &plan["targets"][0]["changes"][0];
    assert_eq!(change["action"], "modify", "{plan:#}");
    assert_eq!(change["live"]["expireAfterSeconds"], 60);
    assert_eq!(change["desired"]["expireAfterSeconds"], 120);
    let out = p.mig(&["sync-indexes"]);
    assert!(out.status.success(), "{}", show(&out));
    let live = live_index(&p.public, "sessions", "ttl").await.unwrap();
    assert_eq!(
        live.get_i32("expireAfterSeconds")
            .ok()
            .map(i64::from)
            .or(live.get_i64("expireAfterSeconds").ok()),
        Some(120)
    );
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
}

#[tokio::test]
async fn changed_key_under_the_same_name_is_replaced() {
    let p = Project::new();
    let keys = |k: &str| {
        format!("scope: public\ncollections:\n  - name: c\n    indexes:\n      - name: x\n        keys: {k}\n")
    };
    p.manifest("m.yaml", &keys("{ a: 1 }"));
    assert!(p.mig(&["sync-indexes"]).status.success());
    p.manifest("m.yaml", &keys("{ a: 1, b: -1 }"));
    let out = p.mig(&["plan"]);
    let text = stdout(&out);
    assert!(
        text.contains("± replace x  rebuild beside, then swap: key changed (covered throughout)"),
        "{text}"
    );
    assert!(text.contains("+     \"b\": -1"), "diff shown: {text}");
    assert!(p.mig(&["sync-indexes"]).status.success());
    assert_eq!(
        live_index(&p.public, "c", "x")
            .await
            .unwrap()
            .get_document("key")
            .unwrap(),
        &doc! {"a": 1, "b": -1}
    );
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
}

#[tokio::test]
async fn same_index_under_another_name_is_reported_and_renamed_with_prune() {
    let p = Project::new();
    let coll = client()
        .await
        .database(&p.public)
        .collection::<Document>("client_configs");
    coll.create_index(
        mongodb::IndexModel::builder()
            .keys(doc! {"schema": 1})
            .options(
                mongodb::options::IndexOptions::builder()
                    .unique(true)
                    .build(),
            )
            .build(),
    )
    .await
    .unwrap();
    p.manifest("public.yaml", CLIENT_CONFIGS);
    let (plan, code) = p.json(&["sync-indexes"]);
    assert_eq!(code, 0, "no 85 conflict: {plan:#}");
    assert_eq!(summary(&plan), (0, 0, 0, 0, 1));
    assert_eq!(
        plan["targets"][0]["unmanaged"][0]["equivalent_to"],
        "idx_config_schema"
    );

    let (plan, code) = p.json(&["sync-indexes", "--prune"]);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(plan["targets"][0]["changes"][0]["renamed_from"], "schema_1");
    assert!(live_index(&p.public, "client_configs", "idx_config_schema")
        .await
        .is_some());
    assert!(live_index(&p.public, "client_configs", "schema_1")
        .await
        .is_none());
}

#[tokio::test]
async fn duplicate_keys_fail_that_index_only_and_say_where() {
    let (p, tenants) = fleet(2).await;
    // The first tenant has duplicate message ids; the second is clean.
    let bad = &tenants[0];
    client()
        .await
        .database(bad)
        .collection::<Document>("messages")
        .insert_many(vec![
            doc! {"messageId": "dup-1"},
            doc! {"messageId": "dup-1"},
        ])
        .await
        .unwrap();
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("{bad} (tenant): failed")), "{text}");
    assert!(
        text.contains("idx_messages_message_id") && text.contains("dup-1"),
        "index and key named: {text}"
    );
    assert!(text.contains("duplicate key"), "{text}");
    // The other index of the same collection was built; the other tenant is done.
    assert!(
        live_index(bad, "messages", "idx_messages_conversation_timestamp_desc")
            .await
            .is_some()
    );
    assert!(
        live_index(&tenants[1], "messages", "idx_messages_message_id")
            .await
            .is_some()
    );
    // Once the data is fixed, the next run converges.
    client()
        .await
        .database(bad)
        .collection::<Document>("messages")
        .delete_one(doc! {"messageId": "dup-1"})
        .await
        .unwrap();
    assert!(p.mig(&["apply"]).status.success());
    // Nothing left to apply; exit 2 only for the registry entries skipped.
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(summary(&plan), (0, 0, 0, 0, 0), "{plan:#}");
    assert_eq!(
        (code, &plan["discovery"]["skipped"]),
        (2, &2.into()),
        "{plan:#}"
    );
}

#[tokio::test]
async fn a_malformed_manifest_names_file_line_field_and_touches_nothing() {
    let p = Project::new();
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: c\n    indexes:\n      - keys: { a: 1 }\n        sparse: true\n        partialFilterExpression: { a: 1 }\n",
    );
    p.manifest(
        "other.toml",
        "scope = \"public\"\n[[collections]]\nname = \"d\"\nshards = 3\n",
    );
    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("public.yaml:6:") && err.contains("c.a_1: sparse: "),
        "{err}"
    );
    assert!(
        err.contains("other.toml:4:") && err.contains("d: shards: unknown field"),
        "{err}"
    );
    let dbs = client().await.list_database_names().await.unwrap();
    assert!(!dbs.contains(&p.public), "no database was created");
}

#[tokio::test]
async fn validate_is_offline_and_reports_every_problem() {
    let p = Project::new();
    p.manifest("a.yaml", "scope: public\ncollections:\n  - name: c\n    indexes:\n      - { keys: { a: hashed }, unique: true }\n");
    p.manifest("b.yaml", "scope: tenant\ncollections:\n  - name: c\n    indexes:\n      - { keys: { a: 1, b: 1 }, expireAfterSeconds: 1 }\n");
    let out = p.mig_env(&["validate"], &[("MONGODB_URI", "mongodb://127.0.0.1:1")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("a.yaml:5:") && err.contains("cannot be unique"),
        "{err}"
    );
    assert!(
        err.contains("b.yaml:5:") && err.contains("exactly one key field"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");

    let good = Project::new();
    good.config("[tenants]\nsource = \"list\"\ndatabases = []\n");
    good.manifest("m.yaml", MESSAGES);
    let out = good.mig_env(&["validate"], &[("MONGODB_URI", "mongodb://127.0.0.1:1")]);
    assert!(out.status.success(), "{}", show(&out));
}

#[tokio::test]
async fn unreachable_server_is_one_clear_error_with_the_password_hidden() {
    let p = Project::new();
    p.manifest("m.yaml", CLIENT_CONFIGS);
    let out = p.mig_env(
        &[
            "plan",
            "--uri",
            "mongodb://admin:hunter2secret@127.0.0.1:1/?directConnection=true",
        ],
        &[
            ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "300"),
            ("MIGRATION_LOG_LEVEL", "debug"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let all = show(&out);
    assert!(!all.contains("hunter2secret"), "{all}");
    assert!(
        all.contains("cannot reach MongoDB at mongodb://admin:****@127.0.0.1:1"),
        "{all}"
    );
    // Refused at once: no wait to report, and where the URI came from.
    assert!(all.contains("(from --uri): connection refused"), "{all}");
}

#[tokio::test]
async fn target_selection_flags() {
    let (p, tenants) = fleet(2).await;
    let dbs = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["plan"];
        all.extend(args);
        let (plan, _) = p.json(&all);
        plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["database"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(dbs(&["--public-only"]), vec![p.public.clone()]);
    assert_eq!(dbs(&["--tenants-only"]), tenants);
    assert_eq!(dbs(&["--tenant", &tenants[1]]), vec![tenants[1].clone()]);
    // A collection no manifest declares would make an empty run: an error.
    let out = p.mig(&["plan", "--tenants-only", "--collection", "nothing_declared"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let out = p.mig(&["plan", "--tenant", "not_a_tenant"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not_a_tenant"), "{}", show(&out));
}

#[tokio::test]
async fn prefix_and_regex_discovery_with_exclude() {
    let p = Project::new();
    let stem = unique("pfx");
    let names: Vec<String> = ["a", "b", "sandbox"]
        .iter()
        .map(|s| p.track(&format!("{stem}_{s}")))
        .collect();
    let c = client().await;
    for n in &names {
        c.database(n)
            .collection::<Document>("seed")
            .insert_one(doc! {"x": 1})
            .await
            .unwrap();
    }
    p.manifest("m.yaml", MESSAGES);
    p.config(&format!(
        "[tenants]\nsource = \"prefix\"\nprefix = \"{stem}_\"\nexclude = [\"{stem}_sandbox\"]\n"
    ));
    let (plan, _) = p.json(&["plan", "--tenants-only"]);
    let found: Vec<&str> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["database"].as_str().unwrap())
        .collect();
    assert_eq!(found, vec![names[0].as_str(), names[1].as_str()]);

    p.config(&format!(
        "[tenants]\nsource = \"regex\"\nregex = \"^{stem}_(a|sandbox)$\"\n"
    ));
    let (plan, _) = p.json(&["plan", "--tenants-only"]);
    let found: Vec<&str> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["database"].as_str().unwrap())
        .collect();
    assert_eq!(found, vec![names[0].as_str(), names[2].as_str()]);
}

#[tokio::test]
async fn list_shows_manifests_and_discovered_databases() {
    let (p, tenants) = fleet(1).await;
    let out = p.mig(&["list"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains("idx_messages_message_id  {\"messageId\":1} unique"),
        "{text}"
    );
    assert!(text.contains(&format!("{} (tenant)", tenants[0])), "{text}");
    assert!(text.contains("skipped admin"), "{text}");
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let p = Project::new();
    p.manifest("public.yaml", CLIENT_CONFIGS);
    let out = p.mig(&["sync-indexes", "--dry-run"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("+ create  idx_config_schema"),
        "{}",
        show(&out)
    );
    let out = p.mig_env(&["apply"], &[("MIGRATION_DRY_RUN", "true")]);
    assert!(out.status.success());
    let dbs = client().await.list_database_names().await.unwrap();
    assert!(!dbs.contains(&p.public), "nothing written");
}

#[tokio::test]
async fn conflict_codes_from_the_real_server_are_explained() {
    let db = client().await.database(&unique("conflict"));
    let coll = "c";
    db.run_command(doc! {"createIndexes": coll, "indexes": [{"key": {"a": 1}, "name": "one"}]})
        .await
        .unwrap();
    let e85 = db
        .run_command(doc! {"createIndexes": coll, "indexes": [{"key": {"a": 1}, "name": "two"}]})
        .await
        .unwrap_err();
    let e86 = db
        .run_command(doc! {"createIndexes": coll, "indexes": [{"key": {"b": 1}, "name": "one"}]})
        .await
        .unwrap_err();
    let _ = db.drop().await;
    assert_eq!(mig::server::errors::code(&e85), Some(85));
    assert!(mig::server::errors::explain(&e85).contains("exists under another name"));
    assert_eq!(mig::server::errors::code(&e86), Some(86));
    assert!(mig::server::errors::explain(&e86).contains("different key"));
}

#[tokio::test]
async fn a_tenant_database_dropped_after_discovery_is_reported() {
    // Discovery by prefix sees the database; it is dropped before it is read.
    let p = Project::new();
    let name = p.tenant();
    p.manifest("m.yaml", MESSAGES);
    p.config(&format!(
        "[tenants]\nsource = \"list\"\ndatabases = [\"{name}\"]\n"
    ));
    // A listed tenant that does not exist yet is a new tenant: it is created.
    let (plan, _) = p.json(&["plan", "--tenants-only"]);
    assert_eq!(plan["targets"][0]["changes"][0]["creates_collection"], true);

    let settings = mig::config::Settings {
        discovery: mig::config::Discovery::Prefix(name.clone()),
        ..mig::config::resolve(&Default::default(), &|k| {
            if k == "MONGODB_URI" {
                Some(uri())
            } else {
                None
            }
        })
        .unwrap()
    };
    let manifests = mig::manifest::load_dir(&p.path().join("manifests")).unwrap();
    let client = client().await;
    let target = mig::targets::Target {
        database: name.clone(),
        scope: mig::model::Scope::Tenant,
    };
    let server = mig::server::inspect::server_info(&client).await.unwrap();
    let ctx = mig::run::Context {
        client: &client,
        settings: &settings,
        manifests: &manifests,
        server: &server,
        progress: None,
        migrations: None,
    };
    let options = mig::run::RunOptions {
        plan: Default::default(),
        apply: Some(mig::server::bookkeeping::lock::LockOptions {
            lease: std::time::Duration::from_secs(30),
            wait: None,
            command: "test".into(),
            run_id: "test-run".into(),
        }),
        on_error: Default::default(),
        canary: 0,
        commit_quorum: None,
        preflight: true,
        allow_invalid_documents: false,
        min_free_disk: None,
        stop: Default::default(),
        controls: Default::default(),
    };
    let reports = mig::run::run(&ctx, vec![target], &options).await;
    let error = reports[0].error().expect("reported as an error");
    assert_eq!(error.kind, mig::run::ErrorKind::Vanished);
    assert!(error.message.contains("no longer exists"), "{error}");
    assert!(
        !client.list_database_names().await.unwrap().contains(&name),
        "not recreated"
    );
}

#[tokio::test]
async fn authentication_failure_reads_well() {
    let dir = tempfile::tempdir().unwrap();
    let node =
        mongod::Mongod::start_with(dir.path(), &["--auth"]).expect("start a mongod with --auth");
    let p = Project::new();
    p.manifest("m.yaml", CLIENT_CONFIGS);
    let uri = format!(
        "mongodb://nobody:wrongpass123@127.0.0.1:{}/?directConnection=true",
        node.port
    );
    let out = p.mig(&["plan", "--uri", &uri]);
    node.stop();
    assert_eq!(out.status.code(), Some(1));
    let all = show(&out);
    assert!(all.contains("authentication failed"), "{all}");
    assert!(all.contains("nobody:****@127.0.0.1"), "{all}");
    assert!(!all.contains("wrongpass123"), "{all}");
}

#[tokio::test]
async fn dotenv_is_read_and_the_environment_wins_over_it() {
    let p = Project::new();
    p.manifest("public.yaml", CLIENT_CONFIGS);
    let from_dotenv = p.track(&unique("dotenv"));
    std::fs::write(
        p.path().join(".env"),
        format!("MONGODB_PUBLIC_DATABASE={from_dotenv}\n"),
    )
    .unwrap();
    let (plan, _) = p.json(&["plan"]);
    assert_eq!(
        plan["targets"][0]["database"],
        from_dotenv.as_str(),
        ".env beats mig.toml"
    );
    let out = p.mig_env(
        &["plan", "--format", "json"],
        &[("MONGODB_PUBLIC_DATABASE", "from_env")],
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["targets"][0]["database"], "from_env",
        "the environment beats .env"
    );
    let out = p.mig_env(
        &["plan", "--format", "json", "--public-db", "from_flag"],
        &[("MONGODB_PUBLIC_DATABASE", "from_env")],
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["targets"][0]["database"], "from_flag",
        "a flag beats the environment"
    );
}

// Pairs of a live index and a declared one, each ending where mongod puts it.

/// `keys` and `options` built by the driver on `public.c` (over a few documents).
async fn live(p: &Project, spec: Document) {
    let db = client().await.database(&p.public);
    db.collection::<Document>("c")
        .insert_many([doc! {"title": "a", "age": 1}, doc! {"title": "b", "age": 2}])
        .await
        .unwrap();
    db.run_command(doc! {"createIndexes": "c", "indexes": [spec]})
        .await
        .unwrap();
}

fn declare(p: &Project, index: &str) {
    p.manifest(
        "m.yaml",
        &format!("scope: public\ncollections:\n  - name: c\n    indexes:\n      - {index}\n"),
    );
}

fn ttl_of(index: &Document) -> Option<i64> {
    match index.get("expireAfterSeconds") {
        Some(mongodb::bson::Bson::Int32(i)) => Some(*i as i64),
        Some(mongodb::bson::Bson::Int64(i)) => Some(*i),
        _ => None,
    }
}

#[tokio::test]
async fn a_ttl_under_another_name_is_changed_in_place_on_the_live_index() {
    let p = Project::new();
    live(
        &p,
        doc! {"key": {"date": 1}, "name": "date_ttl", "expireAfterSeconds": 10},
    )
    .await;
    declare(&p, "{ keys: { date: 1 }, expireAfterSeconds: 20 }");
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "{plan:#}");
    let change = &plan["targets"][0]["changes"][0];
    assert_eq!(change["action"], "modify", "{plan:#}");
    // Declared without a name: the live one is it, whatever its name.
    assert_eq!(
        change["differences"],
        serde_json::json!(["expireAfterSeconds"])
    );
    let out = p.mig(&["apply", "--yes", "--prune", "--drop-now"]);
    assert!(out.status.success(), "{}", show(&out));
    let ttl = live_index(&p.public, "c", "date_ttl").await.unwrap();
    assert_eq!(
        ttl_of(&ttl),
        Some(20),
        "kept, changed in place, never renamed: {ttl}"
    );
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
    // Named otherwise by the manifest: the name differs too, and is reported.
    declare(
        &p,
        "{ name: date_1, keys: { date: 1 }, expireAfterSeconds: 30 }",
    );
    let (plan, _) = p.json(&["plan"]);
    assert_eq!(
        plan["targets"][0]["changes"][0]["differences"],
        serde_json::json!(["name", "expireAfterSeconds"])
    );
    assert!(p.mig(&["apply", "--yes"]).status.success());
    let (plan, _) = p.json(&["plan"]);
    assert_eq!(
        plan["targets"][0]["unmanaged"][0]["equivalent_to"], "date_1",
        "{plan:#}"
    );
}

#[tokio::test]
async fn a_ttl_turned_on_is_made_in_place_not_rebuilt() {
    let p = Project::new();
    live(&p, doc! {"key": {"expireAt": 1}, "name": "expireAt_1"}).await;
    declare(&p, "{ keys: { expireAt: 1 }, expireAfterSeconds: 172800 }");
    let (plan, _) = p.json(&["plan"]);
    let target = &plan["targets"][0];
    assert_eq!(target["changes"][0]["action"], "modify", "{plan:#}");
    assert_eq!(target["steps"].as_array().unwrap().len(), 1, "{plan:#}");
    assert_eq!(target["steps"][0]["command"], "collMod", "{plan:#}");
    let out = p.mig(&["apply", "--yes"]);
    assert!(out.status.success(), "{}", show(&out));
    let index = live_index(&p.public, "c", "expireAt_1").await.unwrap();
    assert_eq!(ttl_of(&index), Some(172_800));
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
}

#[tokio::test]
async fn a_second_text_index_is_refused_without_prune_and_replaced_with_a_gap_with_it() {
    let p = Project::new();
    live(
        &p,
        doc! {"key": {"title": "text", "age": 1}, "name": "title_text_age_1"},
    )
    .await;
    declare(&p, "{ keys: { age: 1, title: text } }");
    // Plain apply: refused before any write, both named, with the way out.
    let (plan, code) = p.json(&["apply", "--yes"]);
    let change = &plan["targets"][0]["changes"][0];
    assert_eq!(change["refused"], true, "{plan:#}");
    let note = change["blocked"].as_str().unwrap();
    assert!(
        note.contains("\"title_text_age_1\"") && note.contains("--prune --drop-now"),
        "{note}"
    );
    assert_ne!(code, 0, "a refused declaration is not success: {plan:#}");
    assert!(live_index(&p.public, "c", "title_text_age_1")
        .await
        .is_some());
    assert!(live_index(&p.public, "c", "age_1_title_text")
        .await
        .is_none());
    // --prune --drop-now: the old one goes first (the plan says so), then the new one.
    let out = p.mig(&["plan", "--prune", "--drop-now"]);
    assert!(stdout(&out).contains("leaves a gap"), "{}", show(&out));
    let out = p.mig(&["apply", "--yes", "--prune", "--drop-now"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(live_index(&p.public, "c", "title_text_age_1")
        .await
        .is_none());
    assert!(live_index(&p.public, "c", "age_1_title_text")
        .await
        .is_some());
    assert_eq!(p.json(&["plan", "--detailed-exitcode", "--prune"]).1, 0);
}

#[tokio::test]
async fn partial_filters_the_server_calls_the_same_are_never_rebuilt() {
    let p = Project::new();
    live(
        &p,
        doc! {"key": {"age": 1}, "name": "age_1",
        "partialFilterExpression": {"productPrice": {"$gt": 0}, "__t": "X"}},
    )
    .await;
    declare(
        &p,
        "{ keys: { age: 1 }, partialFilterExpression: { __t: { $eq: X }, productPrice: { $gt: 0.0 } } }",
    );
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{plan:#}");
    assert!(plan["targets"][0]["changes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_collation_declared_by_its_locale_is_its_full_default() {
    let p = Project::new();
    live(
        &p,
        doc! {"key": {"title": 1}, "name": "title_1", "unique": true,
        "collation": {"locale": "en", "strength": 2}},
    )
    .await;
    declare(
        &p,
        "{ keys: { title: 1 }, unique: true, collation: { locale: en } }",
    );
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "{plan:#}");
    assert_eq!(
        plan["targets"][0]["changes"][0]["differences"],
        serde_json::json!(["collation"])
    );
    let out = p.mig(&["apply", "--yes"]);
    assert!(out.status.success(), "{}", show(&out));
    let index = live_index(&p.public, "c", "title_1").await.unwrap();
    assert_eq!(
        index.get_document("collation").unwrap().get_i32("strength"),
        Ok(3)
    );
    assert_eq!(p.json(&["plan", "--detailed-exitcode"]).1, 0);
}
