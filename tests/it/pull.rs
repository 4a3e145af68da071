//! `mig pull` (and `mig init`) against a real `mongod`: a fleet built with
//! deliberate irregularities is pulled, and `mig plan` then shows exactly the
//! irregular tenants; a uniform fleet round-trips to an empty plan in YAML and
//! TOML; nothing is ever written to a database; files are never overwritten
//! unless told.

use crate::support;

use std::collections::BTreeMap;

use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use serde_json::Value;
use support::{client, show, stderr, stdout, Project};

async fn create(db: &str, collection: &str, indexes: Vec<Document>) {
    client()
        .await
        .database(db)
        .run_command(doc! {"createIndexes": collection, "indexes": indexes})
        .await
        .unwrap_or_else(|e| panic!("createIndexes on {db}.{collection}: {e}"));
}

fn date() -> Bson {
    Bson::DateTime(mongodb::bson::DateTime::from_millis(1_704_067_200_000))
}

fn conv_ts() -> Document {
    doc! {"key": {"conversationId": 1, "timestamp": -1}, "name": "conv_ts"}
}
fn search() -> Document {
    doc! {"key": {"title": "text", "body": "text"}, "name": "search", "weights": {"title": 5}}
}
fn ttl(seconds: i32) -> Document {
    doc! {"key": {"createdAt": 1}, "name": "ttl", "expireAfterSeconds": seconds}
}
fn meta_wildcard() -> Document {
    doc! {"key": {"meta.$**": 1}, "name": "meta_wild"}
}
fn all_wildcard() -> Document {
    doc! {"key": {"$**": 1}, "name": "all_wild", "wildcardProjection": {"tags": 1, "attrs.k": 1}}
}
fn email_ci(strength: i32) -> Document {
    doc! {"key": {"email": 1}, "name": "email_ci", "unique": true, "collation": {"locale": "en", "strength": strength}}
}
fn mobile_active() -> Document {
    doc! {"key": {"mobile": 1}, "name": "mobile_active", "unique": true, "partialFilterExpression": {"deletedAt": null}}
}
fn recent() -> Document {
    doc! {"key": {"at": 1, "kind": 1}, "name": "recent", "partialFilterExpression": {"at": {"$gte": date()}, "kind": {"$in": ["a", "b"]}}}
}
fn geo() -> Document {
    doc! {"key": {"loc": "2dsphere"}, "name": "loc_geo"}
}

/// The regular tenant: every kind of index.
async fn regular(db: &str, except: &[&str]) {
    let keep = |indexes: Vec<Document>| -> Vec<Document> {
        indexes
            .into_iter()
            .filter(|i| !except.contains(&i.get_str("name").unwrap()))
            .collect()
    };
    create(db, "messages", keep(vec![conv_ts(), search(), ttl(3600)])).await;
    create(db, "docs", keep(vec![meta_wildcard(), geo()])).await;
    create(db, "things", keep(vec![all_wildcard()])).await;
    create(
        db,
        "users",
        keep(vec![email_ci(2), mobile_active(), recent()]),
    )
    .await;
}

/// A project whose tenants are found by a prefix of its own.
fn prefixed(p: &Project, n: usize) -> Vec<String> {
    let prefix = support::unique("pf");
    p.config(&format!(
        "[tenants]\nsource = \"prefix\"\nprefix = \"{prefix}_\"\n"
    ));
    (0..n).map(|i| p.track(&format!("{prefix}_t{i}"))).collect()
}

/// Per database of a JSON plan: its changes as `collection.index action`,
/// and its unmanaged indexes as `collection.index`.
fn plan_by_database(plan: &Value) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let changes = t["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    format!(
                        "{}.{} {}",
                        c["collection"].as_str().unwrap(),
                        c["index"].as_str().unwrap(),
                        c["action"].as_str().unwrap()
                    )
                })
                .collect();
            let unmanaged = t["unmanaged"]
                .as_array()
                .map(|u| {
                    u.iter()
                        .map(|c| {
                            format!(
                                "{}.{}",
                                c["collection"].as_str().unwrap(),
                                c["index"].as_str().unwrap()
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                t["database"].as_str().unwrap().to_string(),
                (changes, unmanaged),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_mixed_fleet_is_pulled_and_plan_shows_exactly_the_irregular_tenants() {
    let p = Project::new();
    let t = prefixed(&p, 6);
    create(
        &p.public,
        "client_configs",
        vec![doc! {"key": {"schema": 1}, "name": "schema_1", "unique": true}],
    )
    .await;
    regular(&t[0], &[]).await;
    regular(&t[1], &["conv_ts"]).await; // missing
    regular(&t[2], &[]).await;
    create(
        &t[2],
        "messages",
        vec![doc! {"key": {"legacy": 1}, "name": "legacy_1"}],
    )
    .await; // extra
    regular(&t[3], &["ttl"]).await;
    create(&t[3], "messages", vec![ttl(60)]).await; // differently-optioned
    regular(&t[4], &["email_ci"]).await;
    create(&t[4], "users", vec![email_ci(1)]).await; // another collation
    regular(&t[5], &[]).await;

    let out = p.mig(&["pull"]);
    assert!(out.status.success(), "{}", show(&out));
    let report = stdout(&out);
    for expected in [
        "tenant databases: 6 read",
        "messages.conv_ts: on 5 of 6 tenants; missing on ",
        "messages.ttl: on 5 of 6 tenants; different on ",
        "users.email_ci: on 5 of 6 tenants; different on ",
        "messages.legacy_1: not declared, below the threshold (50% of 6); on 1 of 6 tenants: ",
        "created ",
    ] {
        assert!(report.contains(expected), "{expected:?} in:\n{report}");
    }
    assert!(report.contains(&t[1]) && report.contains(&t[3]) && report.contains(&t[4]));
    let tenant = std::fs::read_to_string(p.path().join("manifests/tenant.yaml")).unwrap();
    assert!(
        tenant.starts_with("# yaml-language-server: $schema=../schema/manifest.schema.json\n"),
        "{tenant}"
    );
    assert!(
        tenant.contains(&format!("# on 5 of 6 tenants; missing on {}\n", t[1])),
        "{tenant}"
    );
    // The server keeps text fields by name, not in the order created.
    assert!(
        tenant.contains("keys: { body: text, title: text }"),
        "{tenant}"
    );
    assert!(
        tenant.contains("collation: { locale: en, strength: 2 }"),
        "{tenant}"
    );
    assert!(
        tenant.contains("partialFilterExpression: { at: { $gte: { $date: "),
        "{tenant}"
    );
    assert!(
        !tenant.contains("_id_") && !tenant.contains("_fts"),
        "{tenant}"
    );

    let (plan, code) = p.json(&["plan"]);
    assert_eq!(code, 0, "{plan}");
    let by_db = plan_by_database(&plan);
    let expect = |db: &str, changes: &[&str], unmanaged: &[&str]| {
        let (c, u) = &by_db[db];
        assert_eq!(
            c,
            &changes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{db}: {plan}"
        );
        assert_eq!(
            u,
            &unmanaged.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{db}: {plan}"
        );
    };
    expect(&p.public, &[], &[]);
    expect(&t[0], &[], &[]);
    expect(&t[1], &["messages.conv_ts create"], &[]);
    expect(&t[2], &[], &["messages.legacy_1"]);
    expect(&t[3], &["messages.ttl modify"], &[]);
    expect(&t[4], &["users.email_ci replace"], &[]);
    expect(&t[5], &[], &[]);
}

/// Every database's collections, indexes and document counts.
async fn snapshot(databases: &[String]) -> Vec<(String, String, Vec<Document>, u64)> {
    let client = client().await;
    let mut all = Vec::new();
    for db in databases {
        let mut names = client.database(db).list_collection_names().await.unwrap();
        names.sort();
        for name in names {
            let coll = client.database(db).collection::<Document>(&name);
            let indexes: Vec<Document> = coll
                .list_indexes()
                .await
                .unwrap()
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
                .into_iter()
                .map(|m| mongodb::bson::to_document(&m).unwrap())
                .collect();
            let count = coll.count_documents(doc! {}).await.unwrap();
            all.push((db.clone(), name, indexes, count));
        }
    }
    all
}

#[tokio::test]
async fn a_uniform_fleet_round_trips_to_an_empty_plan_in_yaml_and_toml_and_nothing_is_written_to_it(
) {
    let p = Project::new();
    let t = prefixed(&p, 3);
    create(
        &p.public,
        "client_configs",
        vec![doc! {"key": {"billing.status": 1, "updatedAt": -1}, "name": "billing"}],
    )
    .await;
    for db in &t {
        regular(db, &[]).await;
        // mig's own collections are never pulled.
        create(db, "mig", vec![doc! {"key": {"kind": 1}, "name": "kind_1"}]).await;
    }
    let mut all = t.clone();
    all.push(p.public.clone());
    let before = snapshot(&all).await;
    for syntax in ["yaml", "toml"] {
        let _ = std::fs::remove_dir_all(p.path().join("manifests"));
        let out = p.mig(&["pull", "--as", syntax]);
        assert!(out.status.success(), "{}", show(&out));
        let file = p.path().join(format!("manifests/tenant.{syntax}"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("# on "),
            "a uniform fleet has no differences:\n{text}"
        );
        assert!(
            !text.contains("name = 'mig'") && !text.contains("name: mig\n"),
            "{text}"
        );
        let (plan, code) = p.json(&["plan"]);
        assert_eq!(code, 0, "{plan}");
        assert_eq!(
            support::summary(&plan),
            (0, 0, 0, 0, 0),
            "{syntax}: {plan}\n{text}"
        );
        // Split, one file per collection, is the same declaration.
        let _ = std::fs::remove_dir_all(p.path().join("manifests"));
        let out = p.mig(&["pull", "--as", syntax, "--split"]);
        assert!(out.status.success(), "{}", show(&out));
        assert!(p
            .path()
            .join(format!("manifests/tenant/messages.{syntax}"))
            .is_file());
        let (plan, _) = p.json(&["plan"]);
        assert_eq!(
            support::summary(&plan),
            (0, 0, 0, 0, 0),
            "{syntax} split: {plan}"
        );
    }
    assert_eq!(before, snapshot(&all).await, "pull wrote to a database");
}

#[tokio::test]
async fn existing_files_are_never_overwritten_without_force_and_the_diff_is_shown() {
    let p = Project::new();
    create(
        &p.public,
        "client_configs",
        vec![doc! {"key": {"schema": 1}, "name": "schema_1"}],
    )
    .await;
    let file = p.path().join("manifests/public.yaml");
    std::fs::write(&file, "scope: public\ncollections: []\n").unwrap();
    let out = p.mig(&["pull"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("+      - name: schema_1"),
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("--force overwrites"),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "scope: public\ncollections: []\n"
    );
    let (doc, code) = p.json(&["pull"]);
    assert_eq!(code, 1);
    assert_eq!(doc["files"][0]["status"], "exists", "{doc}");
    let out = p.mig(&["pull", "--force"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(std::fs::read_to_string(&file).unwrap().contains("schema_1"));
    // Pulling again changes nothing.
    let out = p.mig(&["pull"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("unchanged"), "{}", show(&out));
}

#[tokio::test]
async fn a_threshold_outside_0_to_1_is_refused() {
    let p = Project::new();
    for bad in ["0", "1.5", "-1"] {
        let out = p.mig(&["pull", &format!("--threshold={bad}")]);
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(
            stderr(&out).contains("must be more than 0 and at most 1"),
            "{}",
            show(&out)
        );
    }
    let (doc, _) = p.json(&["pull", "--threshold", "2"]);
    assert_eq!(doc["error"]["kind"], "usage", "{doc}");
    assert!(!p.path().join("manifests/public.yaml").exists());
}

#[tokio::test]
async fn a_tenant_that_is_not_there_is_left_out_and_the_rest_is_pulled() {
    let p = Project::new();
    let present = p.tenant();
    let gone = p.tenant();
    p.config(&format!(
        "[tenants]\nsource = \"list\"\ndatabases = [\"{present}\", \"{gone}\"]\n"
    ));
    create(&present, "messages", vec![conv_ts()]).await;
    let out = p.mig(&["pull", "--tenants-only"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stdout(&out).contains(&format!(
            "left out, no collections (not created yet, or dropped after discovery): {gone}"
        )),
        "{}",
        show(&out)
    );
    let text = std::fs::read_to_string(p.path().join("manifests/tenant.yaml")).unwrap();
    assert!(text.contains("name: conv_ts"), "{text}");
    assert!(
        text.contains("from 1 tenant databases") || text.contains("from 1 tenant"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_one_sentence_and_nothing_is_written() {
    let p = Project::new();
    let out = p.mig(&[
        "pull",
        "--uri",
        "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("127.0.0.1:1"), "{}", show(&out));
    assert!(!p.path().join("manifests/public.yaml").exists());
}

#[tokio::test]
async fn collection_narrows_the_pull_and_a_typo_is_an_error() {
    let p = Project::new();
    create(
        &p.public,
        "alpha",
        vec![doc! {"key": {"a": 1}, "name": "a_1"}],
    )
    .await;
    create(
        &p.public,
        "beta",
        vec![doc! {"key": {"b": 1}, "name": "b_1"}],
    )
    .await;
    let out = p.mig(&["pull", "--collection", "alpha"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = std::fs::read_to_string(p.path().join("manifests/public.yaml")).unwrap();
    assert!(text.contains("alpha") && !text.contains("beta"), "{text}");
    let out = p.mig(&["pull", "--collection", "alpah", "--force"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("did you mean alpha"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn init_writes_a_project_pulls_into_it_and_never_overwrites() {
    let p = Project::new();
    std::fs::remove_file(p.path().join("mig.toml")).unwrap();
    std::fs::remove_dir(p.path().join("manifests")).unwrap();
    let prefix = support::unique("in");
    let tenants: Vec<String> = (0..2).map(|i| p.track(&format!("{prefix}_t{i}"))).collect();
    create(
        &p.public,
        "client_configs",
        vec![doc! {"key": {"schema": 1}, "name": "schema_1", "unique": true}],
    )
    .await;
    for t in &tenants {
        create(t, "messages", vec![conv_ts(), search()]).await;
    }
    let public = p.public.clone();
    let tenants_prefix = format!("{prefix}_");
    let out = p.mig(&[
        "init",
        "--public-db",
        &public,
        "--tenants-prefix",
        &tenants_prefix,
    ]);
    assert!(out.status.success(), "{}", show(&out));
    for file in [
        "mig.toml",
        "schema/manifest.schema.json",
        "schema/mig.schema.json",
        "manifests/public.yaml",
        "manifests/tenant.yaml",
    ] {
        assert!(p.path().join(file).is_file(), "{file}: {}", show(&out));
    }
    let config = std::fs::read_to_string(p.path().join("mig.toml")).unwrap();
    assert!(
        config.contains(&format!("prefix = \"{prefix}_\"")),
        "{config}"
    );
    let out = p.mig(&["validate"]);
    assert!(out.status.success(), "{}", show(&out));
    let (plan, code) = p.json(&["plan"]);
    assert_eq!(code, 0, "{plan}");
    assert_eq!(support::summary(&plan), (0, 0, 0, 0, 0), "{plan}");

    // Again, with other flags: every file is left as it was, and said so.
    let manifest = std::fs::read_to_string(p.path().join("manifests/tenant.yaml")).unwrap();
    let out = p.mig(&["init", "--tenants-list", "a,b"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stdout(&out).contains("mig.toml exists; left as it is"),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("mig.toml")).unwrap(),
        config
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("manifests/tenant.yaml")).unwrap(),
        manifest
    );
}

#[tokio::test]
async fn init_never_writes_credentials_and_goes_on_without_a_server() {
    let p = Project::new();
    std::fs::remove_file(p.path().join("mig.toml")).unwrap();
    let out = p.mig(&[
        "init",
        "--uri",
        "mongodb://admin:s3cret@127.0.0.1:1/",
        "--tenants-regex",
        "^t_",
    ]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("not pulled"), "{}", show(&out));
    let config = std::fs::read_to_string(p.path().join("mig.toml")).unwrap();
    assert!(!config.contains("s3cret"), "{config}");
    assert!(config.contains("keep it in MONGODB_URI"), "{config}");
    let out = p.mig(&["init", "--tenants-regex", "(", "--config", "other/mig.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(!p.path().join("other/mig.toml").exists());
}
