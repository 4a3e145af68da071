//! Collection options and views as code, end to end against the real server:
//! each option created with, changed in place where `collMod` can, and
//! reported (never made) where the server can't; convergence from every
//! starting state; the order of creates, views and index builds; a refused
//! `collMod`; both read paths; saved plans; a tenant fleet.
//!
//! Every check of the server reads `listCollections` itself, not `mig`.

use crate::support;

use mongodb::bson::{doc, Bson, Document};
use serde_json::Value;
use support::*;

// ---------------------------------------------------------------------------
// The server's view, read directly.

/// The `listCollections` entry of `db.name`, if it exists.
async fn entry(db: &str, name: &str) -> Option<Document> {
    let reply = client()
        .await
        .database(db)
        .run_command(doc! {"listCollections": 1, "filter": {"name": name}})
        .await
        .expect("listCollections");
    reply
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .first()
        .map(|d| d.as_document().unwrap().clone())
}

/// Its options as the server reports them; panics when it doesn't exist.
async fn options(db: &str, name: &str) -> Document {
    entry(db, name)
        .await
        .unwrap_or_else(|| panic!("{db}.{name} does not exist"))
        .get_document("options")
        .cloned()
        .unwrap_or_default()
}

/// `collection`, `view` or `timeseries`.
async fn kind(db: &str, name: &str) -> String {
    entry(db, name)
        .await
        .unwrap_or_else(|| panic!("{db}.{name} does not exist"))
        .get_str("type")
        .unwrap()
        .to_string()
}

async fn run(db: &str, command: Document) -> Document {
    client()
        .await
        .database(db)
        .run_command(command.clone())
        .await
        .unwrap_or_else(|e| panic!("{command}: {e}"))
}

fn int(d: &Document, key: &str) -> Option<i64> {
    match d.get(key)? {
        Bson::Int32(i) => Some(*i as i64),
        Bson::Int64(i) => Some(*i),
        Bson::Double(f) => Some(*f as i64),
        other => panic!("{key} is not a number: {other}"),
    }
}

/// A document from JSON (what a manifest says), to compare with the server's.
fn bson(v: Value) -> Bson {
    Bson::try_from(v).unwrap()
}

/// The same document, whatever the integer types (YAML numbers are 64-bit).
fn same(a: &Bson, b: &Bson) -> bool {
    a.clone().into_relaxed_extjson() == b.clone().into_relaxed_extjson()
}

// ---------------------------------------------------------------------------
// What `mig` says.

/// `mig apply`, which must succeed with nothing failed; its JSON report.
fn apply(p: &Project) -> Value {
    let (report, code) = p.json(&["apply"]);
    assert_eq!(code, 0, "apply: {report:#}");
    assert_eq!(report["summary"]["failed_steps"], 0, "{report:#}");
    report
}

/// `mig plan --detailed-exitcode`: nothing to do.
fn converged(p: &Project) {
    let out = p.mig(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "not converged: {}", show(&out));
    assert!(stdout(&out).contains("Nothing to do"), "{}", show(&out));
}

/// `mig plan --detailed-exitcode --format json`: changes pending (exit 2).
fn pending(p: &Project) -> Value {
    let (plan, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "changes pending: {plan:#}");
    plan
}

/// Every change of every database of a JSON plan or report.
fn changes(plan: &Value) -> Vec<&Value> {
    plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["changes"].as_array().unwrap())
        .collect()
}

/// The one change to `collection`'s own options (no index) with `action`.
fn collection_change<'a>(plan: &'a Value, collection: &str, action: &str) -> &'a Value {
    let found: Vec<&Value> = changes(plan)
        .into_iter()
        .filter(|c| c["collection"] == collection && c["index"].is_null() && c["action"] == action)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {action} of {collection}'s options in {plan:#}"
    );
    found[0]
}

/// The names of the options a change lists, in order.
fn option_names(change: &Value) -> Vec<&str> {
    change["options"]
        .as_array()
        .unwrap_or_else(|| panic!("no option list in {change:#}"))
        .iter()
        .map(|o| o["option"].as_str().unwrap())
        .collect()
}

/// The steps of every database, as (collection, command), in order.
fn steps(plan: &Value) -> Vec<(String, String)> {
    plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["steps"].as_array().unwrap())
        .map(|s| {
            (
                s["collection"].as_str().unwrap().to_string(),
                s["command"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The in-place changes (`collMod`) pending for `collection`: the options
/// named, each in place.
fn assert_in_place(plan: &Value, collection: &str, expected: &[&str]) {
    let change = collection_change(plan, collection, "modify");
    assert_eq!(option_names(change), expected, "{change:#}");
    for o in change["options"].as_array().unwrap() {
        assert_eq!(o["in_place"], true, "{o:#}");
        assert!(o["reason"].is_null(), "{o:#}");
    }
    assert!(
        steps(plan).contains(&(collection.to_string(), "collMod".to_string())),
        "a collMod step for {collection}: {plan:#}"
    );
}

/// The changes the server can't make to `collection`, and only those, are
/// reported and not made: the JSON plan says `manual`, each option not in
/// place with a reason containing its `why`; the text plan says "not made"
/// with each reason; `plan --detailed-exitcode` exits 2; `apply` leaves the
/// server's entry as it was, and the plan still reports them afterwards.
async fn assert_not_made(p: &Project, db: &str, collection: &str, expected: &[(&str, &str)]) {
    let before = entry(db, collection).await;
    let plan = pending(p);
    let change = collection_change(&plan, collection, "manual");
    let names: Vec<&str> = expected.iter().map(|(o, _)| *o).collect();
    assert_eq!(option_names(change), names, "{change:#}");
    assert!(
        change["steps"].as_array().unwrap().is_empty(),
        "no steps: {change:#}"
    );
    assert!(
        !changes(&plan)
            .iter()
            .any(|c| c["collection"] == collection && c["action"] != "manual"),
        "only the changes not made, for {collection}: {plan:#}"
    );
    assert!(
        !steps(&plan).iter().any(|(c, _)| c == collection),
        "no step touches {collection}: {plan:#}"
    );
    assert_eq!(plan["summary"]["manual"], 1, "{plan:#}");
    let text = p.mig(&["plan", "--detailed-exitcode"]);
    assert_eq!(text.status.code(), Some(2), "{}", show(&text));
    let shown = stdout(&text);
    assert!(shown.contains("not made"), "{}", show(&text));
    for (o, (option, why)) in change["options"].as_array().unwrap().iter().zip(expected) {
        assert_eq!(o["option"], *option);
        assert_eq!(o["in_place"], false, "{o:#}");
        let reason = o["reason"].as_str().unwrap_or_else(|| panic!("{o:#}"));
        assert!(reason.contains(why), "{option}: {reason:?} says {why:?}");
        assert!(
            shown.contains(reason),
            "the text plan gives the reason {reason:?}: {}",
            show(&text)
        );
    }
    let out = p.mig(&["apply"]);
    assert_ne!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        entry(db, collection).await,
        before,
        "apply changed what it can't: {}",
        show(&out)
    );
    let again = pending(p);
    assert_eq!(
        option_names(collection_change(&again, collection, "manual")),
        names,
        "still reported after apply"
    );
}

// ---------------------------------------------------------------------------
// Each option.

const PEOPLE_V1: &str = r#"scope: public
collections:
  - name: people
    validator:
      $jsonSchema:
        bsonType: object
        required: [name]
        properties:
          name: { bsonType: string }
"#;

const PEOPLE_V2: &str = r#"scope: public
collections:
  - name: people
    validator:
      $jsonSchema:
        bsonType: object
        required: [name, age]
        properties:
          name: { bsonType: string }
          age: { bsonType: [int, long], minimum: 0 }
    validationLevel: moderate
    validationAction: warn
"#;

#[tokio::test]
async fn a_json_schema_validator_is_created_with_then_changed_in_place_with_its_level_and_action() {
    let p = Project::new();
    let db = p.public.clone();
    p.manifest("public.yaml", PEOPLE_V1);
    let plan = pending(&p);
    let create = collection_change(&plan, "people", "create");
    assert!(create["options"]["validator"]["$jsonSchema"].is_object());
    apply(&p);
    let o = options(&db, "people").await;
    let schema = o.get_document("validator").unwrap();
    assert!(same(
        &Bson::Document(schema.clone()),
        &bson(serde_json::json!({"$jsonSchema": {
            "bsonType": "object", "required": ["name"],
            "properties": {"name": {"bsonType": "string"}}}}))
    ));
    // Enforced: the server refuses what the schema refuses.
    let people = client()
        .await
        .database(&db)
        .collection::<Document>("people");
    assert!(people.insert_one(doc! {"name": 5}).await.is_err());
    // Passes the next validator too.
    people
        .insert_one(doc! {"name": "Ada", "age": 36})
        .await
        .unwrap();
    converged(&p);

    p.manifest("public.yaml", PEOPLE_V2);
    let plan = pending(&p);
    assert_in_place(
        &plan,
        "people",
        &["validator", "validationLevel", "validationAction"],
    );
    apply(&p);
    let o = options(&db, "people").await;
    assert_eq!(
        o.get_document("validator")
            .unwrap()
            .get_document("$jsonSchema")
            .unwrap()
            .get_array("required")
            .unwrap(),
        &vec![Bson::from("name"), Bson::from("age")]
    );
    assert_eq!(o.get_str("validationLevel"), Ok("moderate"));
    assert_eq!(o.get_str("validationAction"), Ok("warn"));
    // Warn only: a document the schema refuses is written.
    people.insert_one(doc! {"name": "Bob"}).await.unwrap();
    converged(&p);

    // Back to the defaults: the validator implies strict and error.
    p.manifest("public.yaml", PEOPLE_V1);
    let plan = pending(&p);
    assert_in_place(
        &plan,
        "people",
        &["validator", "validationLevel", "validationAction"],
    );
    apply(&p);
    let o = options(&db, "people").await;
    assert_eq!(o.get_str("validationLevel"), Ok("strict"));
    assert_eq!(o.get_str("validationAction"), Ok("error"));
    converged(&p);
}

#[tokio::test]
async fn a_query_validator_is_created_with_changed_in_place_and_removed() {
    let p = Project::new();
    let db = p.public.clone();
    p.manifest(
        "public.yaml",
        r#"scope: public
collections:
  - name: orders
    validator:
      status: { $in: [open, closed] }
      qty: { $gte: 0 }
"#,
    );
    apply(&p);
    let v = options(&db, "orders")
        .await
        .get_document("validator")
        .unwrap()
        .clone();
    assert!(same(
        &Bson::Document(v),
        &bson(serde_json::json!({"status": {"$in": ["open", "closed"]}, "qty": {"$gte": 0}}))
    ));
    converged(&p);

    p.manifest(
        "public.yaml",
        r#"scope: public
collections:
  - name: orders
    validator:
      $or:
        - status: { $in: [open, closed, archived] }
        - status: { $exists: false }
"#,
    );
    let plan = pending(&p);
    assert_in_place(&plan, "orders", &["validator"]);
    apply(&p);
    let v = options(&db, "orders")
        .await
        .get_document("validator")
        .unwrap()
        .clone();
    assert!(v.contains_key("$or"), "{v}");
    assert!(!v.contains_key("qty"), "{v}");
    converged(&p);

    // An empty validator removes it.
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: orders\n    validator: {}\n",
    );
    let plan = pending(&p);
    assert_in_place(&plan, "orders", &["validator"]);
    apply(&p);
    assert!(
        !options(&db, "orders").await.contains_key("validator"),
        "{}",
        options(&db, "orders").await
    );
    converged(&p);
}

#[tokio::test]
async fn validation_level_and_action_alone_are_changed_in_place_and_the_validator_is_left() {
    let p = Project::new();
    let db = p.public.clone();
    run(
        &db,
        doc! {"create": "notes", "validator": {"text": {"$type": "string"}}},
    )
    .await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: notes\n    validationLevel: \"off\"\n    validationAction: warn\n",
    );
    let plan = pending(&p);
    assert_in_place(&plan, "notes", &["validationLevel", "validationAction"]);
    apply(&p);
    let o = options(&db, "notes").await;
    assert_eq!(o.get_str("validationLevel"), Ok("off"));
    assert_eq!(o.get_str("validationAction"), Ok("warn"));
    assert!(
        o.get_document("validator").is_ok(),
        "an undeclared validator is left: {o}"
    );
    converged(&p);
}

#[tokio::test]
async fn a_collation_is_created_with_and_never_changed() {
    let p = Project::new();
    let db = p.public.clone();
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: names\n    collation: { locale: fr, strength: 2 }\n",
    );
    apply(&p);
    let c = options(&db, "names")
        .await
        .get_document("collation")
        .unwrap()
        .clone();
    assert_eq!(c.get_str("locale"), Ok("fr"));
    assert_eq!(int(&c, "strength"), Some(2));
    converged(&p);

    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: names\n    collation: { locale: de }\n",
    );
    assert_not_made(&p, &db, "names", &[("collation", "collation")]).await;
    // On an existing collection without one, too.
    run(&db, doc! {"create": "plain"}).await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: plain\n    collation: { locale: fr }\n",
    );
    assert_not_made(&p, &db, "plain", &[("collation", "collation")]).await;
}

#[tokio::test]
async fn capped_size_and_max_are_created_with_and_changed_in_place_but_never_capped_or_uncapped() {
    let p = Project::new();
    let db = p.public.clone();
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: log\n    capped: true\n    size: 1000\n    max: 100\n",
    );
    apply(&p);
    let o = options(&db, "log").await;
    assert_eq!(o.get_bool("capped"), Ok(true));
    assert_eq!(int(&o, "size"), Some(1024), "rounded up to 256 bytes");
    assert_eq!(int(&o, "max"), Some(100));
    converged(&p);

    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: log\n    capped: true\n    size: 4096\n    max: 50\n",
    );
    let plan = pending(&p);
    assert_in_place(&plan, "log", &["size", "max"]);
    apply(&p);
    let o = options(&db, "log").await;
    assert_eq!(int(&o, "size"), Some(4096));
    assert_eq!(int(&o, "max"), Some(50));
    converged(&p);

    // Uncapped: not in place.
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: log\n    capped: false\n",
    );
    assert_not_made(&p, &db, "log", &[("capped", "capped")]).await;
    assert_eq!(options(&db, "log").await.get_bool("capped"), Ok(true));

    // Capped, an existing plain collection: not in place.
    run(&db, doc! {"create": "plain"}).await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: plain\n    capped: true\n    size: 4096\n",
    );
    assert_not_made(&p, &db, "plain", &[("capped", "capped")]).await;
    assert!(!options(&db, "plain").await.contains_key("capped"));
}

#[tokio::test]
async fn a_time_series_is_created_with_its_fields_its_granularity_grows_and_its_ttl_changes_in_place(
) {
    let p = Project::new();
    let db = p.public.clone();
    let declare = |time: &str, meta: &str, granularity: &str, ttl: &str| {
        p.manifest(
            "public.yaml",
            &format!(
                "scope: public\ncollections:\n  - name: metrics\n    timeseries: {{ timeField: {time}, metaField: {meta}, granularity: {granularity} }}\n    expireAfterSeconds: {ttl}\n"
            ),
        );
    };
    declare("at", "sensor", "seconds", "3600");
    apply(&p);
    assert_eq!(kind(&db, "metrics").await, "timeseries");
    let o = options(&db, "metrics").await;
    let ts = o.get_document("timeseries").unwrap();
    assert_eq!(ts.get_str("timeField"), Ok("at"));
    assert_eq!(ts.get_str("metaField"), Ok("sensor"));
    assert_eq!(ts.get_str("granularity"), Ok("seconds"));
    assert_eq!(int(&o, "expireAfterSeconds"), Some(3600));
    converged(&p);

    declare("at", "sensor", "minutes", "7200");
    let plan = pending(&p);
    assert_in_place(
        &plan,
        "metrics",
        &["timeseries.granularity", "expireAfterSeconds"],
    );
    apply(&p);
    let o = options(&db, "metrics").await;
    assert_eq!(
        o.get_document("timeseries").unwrap().get_str("granularity"),
        Ok("minutes")
    );
    assert_eq!(int(&o, "expireAfterSeconds"), Some(7200));
    converged(&p);

    declare("at", "sensor", "hours", "\"off\"");
    let plan = pending(&p);
    assert_in_place(
        &plan,
        "metrics",
        &["timeseries.granularity", "expireAfterSeconds"],
    );
    apply(&p);
    let o = options(&db, "metrics").await;
    assert_eq!(
        o.get_document("timeseries").unwrap().get_str("granularity"),
        Ok("hours")
    );
    assert!(!o.contains_key("expireAfterSeconds"), "{o}");
    converged(&p);

    // A finer granularity, another time or meta field: not in place.
    declare("at", "sensor", "minutes", "\"off\"");
    assert_not_made(
        &p,
        &db,
        "metrics",
        &[("timeseries.granularity", "granularity only grows")],
    )
    .await;
    declare("time", "device", "hours", "\"off\"");
    assert_not_made(
        &p,
        &db,
        "metrics",
        &[
            ("timeseries.timeField", "fixed when it is created"),
            ("timeseries.metaField", "fixed when it is created"),
        ],
    )
    .await;
}

#[tokio::test]
async fn time_series_on_an_existing_plain_collection_is_not_made_and_no_index_is_built() {
    let p = Project::new();
    let db = p.public.clone();
    run(&db, doc! {"create": "metrics"}).await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: metrics\n    timeseries: { timeField: at }\n    indexes:\n      - { name: by_at, keys: { at: 1 } }\n",
    );
    assert_not_made(&p, &db, "metrics", &[("type", "can't become")]).await;
    let plan = pending(&p);
    let o = &collection_change(&plan, "metrics", "manual")["options"][0];
    assert_eq!(o["declared"], "time-series collection");
    assert_eq!(o["live"], "collection");
    assert_eq!(kind(&db, "metrics").await, "collection");
    assert!(live_index(&db, "metrics", "by_at").await.is_none());
}

#[tokio::test]
async fn options_only_a_plain_collection_takes_on_a_time_series_are_not_made() {
    let p = Project::new();
    let db = p.public.clone();
    // Someone made it a time-series collection; the manifests say plain.
    run(
        &db,
        doc! {"create": "events", "timeseries": {"timeField": "at"}},
    )
    .await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: events\n    changeStreamPreAndPostImages: { enabled: true }\n    validationAction: warn\n",
    );
    // collMod would be refused ("option not supported on a time-series
    // collection") at every run: the plan says why instead.
    assert_not_made(&p, &db, "events", &[("type", "can't become")]).await;
    let plan = pending(&p);
    let o = &collection_change(&plan, "events", "manual")["options"][0];
    assert_eq!(o["declared"], "collection");
    assert_eq!(o["live"], "time-series collection");
}

#[tokio::test]
async fn a_clustered_collection_is_created_with_its_ttl_changed_in_place_and_never_reclustered() {
    let p = Project::new();
    let db = p.public.clone();
    let declare = |name: &str, ttl: &str| {
        p.manifest(
            "public.yaml",
            &format!(
                "scope: public\ncollections:\n  - name: sessions\n    clusteredIndex: {{ key: {{ _id: 1 }}, unique: true, name: {name} }}\n    expireAfterSeconds: {ttl}\n"
            ),
        );
    };
    declare("by_id", "60");
    apply(&p);
    let o = options(&db, "sessions").await;
    let ci = o.get_document("clusteredIndex").unwrap();
    assert_eq!(ci.get_document("key").unwrap(), &doc! {"_id": 1});
    assert_eq!(ci.get_bool("unique"), Ok(true));
    assert_eq!(ci.get_str("name"), Ok("by_id"));
    assert_eq!(int(&o, "expireAfterSeconds"), Some(60));
    converged(&p);

    declare("by_id", "120");
    let plan = pending(&p);
    assert_in_place(&plan, "sessions", &["expireAfterSeconds"]);
    apply(&p);
    assert_eq!(
        int(&options(&db, "sessions").await, "expireAfterSeconds"),
        Some(120)
    );
    converged(&p);

    declare("by_id", "\"off\"");
    let plan = pending(&p);
    assert_in_place(&plan, "sessions", &["expireAfterSeconds"]);
    apply(&p);
    assert!(!options(&db, "sessions")
        .await
        .contains_key("expireAfterSeconds"));
    converged(&p);

    // Another clustered index: not in place.
    declare("by_key", "\"off\"");
    assert_not_made(&p, &db, "sessions", &[("clusteredIndex", "clustered")]).await;
    // Clustered, an existing collection that isn't: not in place.
    run(&db, doc! {"create": "plain"}).await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: plain\n    clusteredIndex: { key: { _id: 1 }, unique: true }\n",
    );
    assert_not_made(&p, &db, "plain", &[("clusteredIndex", "clustered")]).await;
    assert!(!options(&db, "plain").await.contains_key("clusteredIndex"));
}

#[tokio::test]
async fn change_stream_pre_and_post_images_are_created_with_and_turned_on_and_off_in_place() {
    let p = Project::new();
    let db = p.public.clone();
    let declare = |enabled: bool| {
        p.manifest(
            "public.yaml",
            &format!(
                "scope: public\ncollections:\n  - name: audited\n    changeStreamPreAndPostImages: {{ enabled: {enabled} }}\n  - name: existing\n    changeStreamPreAndPostImages: {{ enabled: {enabled} }}\n"
            ),
        );
    };
    run(&db, doc! {"create": "existing"}).await;
    declare(true);
    let plan = pending(&p);
    collection_change(&plan, "audited", "create");
    assert_in_place(&plan, "existing", &["changeStreamPreAndPostImages"]);
    apply(&p);
    for c in ["audited", "existing"] {
        assert_eq!(
            options(&db, c)
                .await
                .get_document("changeStreamPreAndPostImages")
                .unwrap(),
            &doc! {"enabled": true},
            "{c}"
        );
    }
    converged(&p);

    declare(false);
    let plan = pending(&p);
    assert_in_place(&plan, "audited", &["changeStreamPreAndPostImages"]);
    assert_in_place(&plan, "existing", &["changeStreamPreAndPostImages"]);
    apply(&p);
    for c in ["audited", "existing"] {
        let o = options(&db, c).await;
        let enabled = o
            .get_document("changeStreamPreAndPostImages")
            .ok()
            .and_then(|d| d.get_bool("enabled").ok());
        assert_ne!(enabled, Some(true), "{c}: {o}");
    }
    converged(&p);
}

#[tokio::test]
async fn a_view_is_created_with_its_collation_its_definition_changed_in_place_its_collation_never()
{
    let p = Project::new();
    let db = p.public.clone();
    let declare = |on: &str, status: &str, locale: &str| {
        p.manifest(
            "public.yaml",
            &format!(
                "scope: public\ncollections:\n  - name: orders\n    indexes:\n      - {{ name: by_status, keys: {{ status: 1 }} }}\n  - name: archive\n    indexes:\n      - {{ name: by_status, keys: {{ status: 1 }} }}\n  - name: open_orders\n    viewOn: {on}\n    pipeline:\n      - $match: {{ status: {status} }}\n      - $project: {{ _id: 1, status: 1 }}\n    collation: {{ locale: {locale} }}\n"
            ),
        );
    };
    declare("orders", "open", "fr");
    apply(&p);
    assert_eq!(kind(&db, "open_orders").await, "view");
    let o = options(&db, "open_orders").await;
    assert_eq!(o.get_str("viewOn"), Ok("orders"));
    assert_eq!(
        o.get_array("pipeline").unwrap(),
        &vec![
            Bson::Document(doc! {"$match": {"status": "open"}}),
            Bson::Document(doc! {"$project": {"_id": 1, "status": 1}}),
        ]
    );
    assert_eq!(
        o.get_document("collation").unwrap().get_str("locale"),
        Ok("fr")
    );
    converged(&p);

    // Another pipeline, on another collection: in place.
    declare("archive", "closed", "fr");
    let plan = pending(&p);
    assert_in_place(&plan, "open_orders", &["viewOn", "pipeline"]);
    apply(&p);
    let o = options(&db, "open_orders").await;
    assert_eq!(o.get_str("viewOn"), Ok("archive"));
    assert_eq!(
        o.get_array("pipeline").unwrap()[0],
        Bson::Document(doc! {"$match": {"status": "closed"}})
    );
    converged(&p);

    // A view's collation: not in place.
    declare("archive", "closed", "de");
    assert_not_made(&p, &db, "open_orders", &[("collation", "collation")]).await;
}

#[tokio::test]
async fn a_collection_never_becomes_a_view_nor_a_view_a_collection() {
    let p = Project::new();
    let db = p.public.clone();
    run(&db, doc! {"create": "base"}).await;
    run(&db, doc! {"create": "was_collection"}).await;
    run(
        &db,
        doc! {"create": "was_view", "viewOn": "base", "pipeline": []},
    )
    .await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: was_collection\n    viewOn: base\n    pipeline: []\n",
    );
    assert_not_made(&p, &db, "was_collection", &[("type", "can't become")]).await;
    assert_eq!(kind(&db, "was_collection").await, "collection");
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: was_view\n    validator: { a: { $exists: true } }\n",
    );
    assert_not_made(&p, &db, "was_view", &[("type", "can't become")]).await;
    assert_eq!(kind(&db, "was_view").await, "view");
}

// ---------------------------------------------------------------------------
// Convergence, order, failures.

#[tokio::test]
async fn every_starting_state_converges_where_the_server_can_change_it() {
    let p = Project::new();
    let db = p.public.clone();
    // The same declaration over every starting state.
    let declared = |name: &str| {
        format!(
            "  - name: {name}\n    validator: {{ $jsonSchema: {{ required: [kind] }} }}\n    validationAction: warn\n    changeStreamPreAndPostImages: {{ enabled: true }}\n    indexes:\n      - {{ name: by_kind, keys: {{ kind: 1 }} }}\n"
        )
    };
    // Existing, with no options, and documents (that pass the validator).
    client()
        .await
        .database(&db)
        .collection::<Document>("plain")
        .insert_many((0..10).map(|i| doc! {"kind": "note", "i": i}))
        .await
        .unwrap();
    // Existing, with other options.
    run(
        &db,
        doc! {"create": "other", "validator": {"x": {"$exists": true}}, "validationLevel": "moderate",
        "changeStreamPreAndPostImages": {"enabled": false}},
    )
    .await;
    // Existing, a view.
    run(
        &db,
        doc! {"create": "was_view", "viewOn": "plain", "pipeline": []},
    )
    .await;
    let names = ["missing", "plain", "other", "was_view"];
    let text: String = names.iter().map(|n| declared(n)).collect();
    p.manifest(
        "public.yaml",
        &format!("scope: public\ncollections:\n{text}"),
    );

    let plan = pending(&p);
    collection_change(&plan, "missing", "create");
    assert_in_place(
        &plan,
        "plain",
        &[
            "validator",
            "validationAction",
            "changeStreamPreAndPostImages",
        ],
    );
    assert_in_place(
        &plan,
        "other",
        &[
            "validator",
            "validationLevel",
            "validationAction",
            "changeStreamPreAndPostImages",
        ],
    );
    collection_change(&plan, "was_view", "manual");
    let (report, code) = p.json(&["apply"]);
    assert_eq!(code, 0, "{report:#}");
    for name in ["missing", "plain", "other"] {
        let o = options(&db, name).await;
        assert!(
            same(
                o.get("validator").unwrap(),
                &bson(serde_json::json!({"$jsonSchema": {"required": ["kind"]}}))
            ),
            "{name}: {o}"
        );
        assert_eq!(o.get_str("validationAction"), Ok("warn"), "{name}: {o}");
        assert_ne!(o.get_str("validationLevel"), Ok("moderate"), "{name}: {o}");
        assert_eq!(
            o.get_document("changeStreamPreAndPostImages").unwrap(),
            &doc! {"enabled": true},
            "{name}"
        );
        assert!(
            live_index(&db, name, "by_kind").await.is_some(),
            "{name}: by_kind"
        );
    }
    assert_eq!(kind(&db, "was_view").await, "view");
    // What remains is what the server can't do.
    let plan = pending(&p);
    let left: Vec<(&str, &str)> = changes(&plan)
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(left, vec![("was_view", "manual")], "{plan:#}");
    // Declared without the view: nothing to do.
    let text: String = names[..3].iter().map(|n| declared(n)).collect();
    p.manifest(
        "public.yaml",
        &format!("scope: public\ncollections:\n{text}"),
    );
    converged(&p);
}

#[tokio::test]
async fn a_collection_with_options_and_indexes_is_created_with_its_options_before_its_indexes() {
    let p = Project::new();
    let db = p.public.clone();
    p.manifest(
        "public.yaml",
        r#"scope: public
collections:
  - name: customers
    collation: { locale: fr, strength: 2 }
    validator: { $jsonSchema: { required: [email] } }
    indexes:
      - { name: by_email, keys: { email: 1 }, unique: true }
      - { name: by_name, keys: { name: 1 } }
"#,
    );
    let out = p.mig(&["plan"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    let create = text
        .find("create customers")
        .unwrap_or_else(|| panic!("a create step: {}", show(&out)));
    let build = text
        .find("createIndexes by_email, by_name")
        .unwrap_or_else(|| panic!("one build: {}", show(&out)));
    assert!(create < build, "create before createIndexes: {text}");
    let plan = pending(&p);
    assert_eq!(
        steps(&plan),
        vec![
            ("customers".to_string(), "create".to_string()),
            ("customers".to_string(), "createIndexes".to_string()),
        ],
        "{plan:#}"
    );
    apply(&p);
    let o = options(&db, "customers").await;
    assert_eq!(
        o.get_document("collation").unwrap().get_str("locale"),
        Ok("fr")
    );
    assert!(o.get_document("validator").is_ok(), "{o}");
    // Built after the collection had its collation: they inherit it.
    for name in ["by_email", "by_name"] {
        let index = live_index(&db, "customers", name)
            .await
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            index.get_document("collation").unwrap().get_str("locale"),
            Ok("fr"),
            "{name}: {index}"
        );
    }
    assert_eq!(
        live_index(&db, "customers", "by_email")
            .await
            .unwrap()
            .get_bool("unique"),
        Ok(true)
    );
    converged(&p);
}

#[tokio::test]
async fn a_refused_create_builds_no_index_and_creates_no_collection_and_the_next_run_converges() {
    let p = Project::new();
    let db = p.public.clone();
    // Passes mig's rules; the server refuses the regular expression (if the
    // rules learn to refuse it, pick another such validator).
    p.manifest(
        "public.yaml",
        r#"scope: public
collections:
  - name: people
    validator: { name: { $regex: "(" } }
    indexes:
      - { name: by_name, keys: { name: 1 } }
"#,
    );
    let (report, code) = p.json(&["apply"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["failed_steps"], 1, "{report:#}");
    let steps = report["targets"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["command"], "create", "{report:#}");
    assert_eq!(steps[0]["ok"], false, "{report:#}");
    assert_eq!(steps[1]["command"], "createIndexes", "{report:#}");
    assert_eq!(steps[1]["skipped"], true, "{report:#}");
    assert!(
        entry(&db, "people").await.is_none(),
        "no index build creates it without its options"
    );

    let fixed =
        format!("{PEOPLE_V1}    indexes:\n      - {{ name: by_name, keys: {{ name: 1 }} }}\n");
    p.manifest("public.yaml", &fixed);
    apply(&p);
    assert!(options(&db, "people")
        .await
        .get_document("validator")
        .is_ok());
    assert!(live_index(&db, "people", "by_name").await.is_some());
    converged(&p);
}

const REFUSED_VALIDATOR: &str = r#"scope: public
collections:
  - name: people
    validator: { name: { $regex: "(" } }
"#;

#[tokio::test]
async fn a_collmod_the_server_refuses_is_counted_failed_and_the_next_run_converges() {
    let p = Project::new();
    let db = p.public.clone();
    p.manifest("public.yaml", PEOPLE_V1);
    apply(&p);
    let before = options(&db, "people").await;
    // The server refuses the regular expression; mig's rules let it by
    // (if they learn to refuse it, pick another such validator).
    p.manifest("public.yaml", REFUSED_VALIDATOR);
    let out = p.mig(&["validate"]);
    assert!(
        out.status.success(),
        "mig's rules accept it: {}",
        show(&out)
    );
    let plan = pending(&p);
    assert_in_place(&plan, "people", &["validator"]);

    let out = p.mig(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("1 change(s) failed"),
        "{}",
        show(&out)
    );
    assert!(
        show(&out).contains("Regular expression is invalid"),
        "the server's reason: {}",
        show(&out)
    );
    let (report, code) = p.json(&["apply"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["failed_steps"], 1, "{report:#}");
    assert_eq!(report["targets"][0]["status"], "failed", "{report:#}");
    assert_eq!(options(&db, "people").await, before, "nothing changed");

    p.manifest("public.yaml", PEOPLE_V2);
    apply(&p);
    assert_eq!(
        options(&db, "people").await.get_str("validationAction"),
        Ok("warn")
    );
    converged(&p);
}

#[tokio::test]
async fn views_are_created_after_what_they_read_and_changed_in_place() {
    let p = Project::new();
    let db = p.public.clone();
    let declare = |mid_match: &str| {
        // Declared in reverse: the view on the view first, the collection last.
        p.manifest(
            "public.yaml",
            &format!(
                "scope: public\ncollections:\n  - name: top\n    viewOn: mid\n    pipeline: [ {{ $project: {{ _id: 0, n: 1 }} }} ]\n  - name: mid\n    viewOn: base\n    pipeline: [ {{ $match: {mid_match} }} ]\n  - name: base\n    validator: {{ n: {{ $type: number }} }}\n    indexes:\n      - {{ name: by_n, keys: {{ n: 1 }} }}\n"
            ),
        );
    };
    declare("{ n: { $gte: 2 } }");
    let plan = pending(&p);
    let order: Vec<String> = steps(&plan)
        .into_iter()
        .filter(|(_, c)| c == "create")
        .map(|(coll, _)| coll)
        .collect();
    assert_eq!(order, vec!["base", "mid", "top"], "{plan:#}");
    apply(&p);
    assert_eq!(kind(&db, "base").await, "collection");
    assert_eq!(kind(&db, "mid").await, "view");
    assert_eq!(kind(&db, "top").await, "view");
    assert_eq!(options(&db, "top").await.get_str("viewOn"), Ok("mid"));
    assert_eq!(options(&db, "mid").await.get_str("viewOn"), Ok("base"));
    let database = client().await.database(&db);
    database
        .collection::<Document>("base")
        .insert_many((1..=4).map(|n| doc! {"n": n}))
        .await
        .unwrap();
    let count = |db: mongodb::Database| async move {
        db.collection::<Document>("top")
            .count_documents(doc! {})
            .await
            .unwrap()
    };
    assert_eq!(count(database.clone()).await, 3, "top reads mid reads base");
    converged(&p);

    declare("{ n: { $gte: 4 } }");
    let plan = pending(&p);
    assert_in_place(&plan, "mid", &["pipeline"]);
    assert_eq!(
        steps(&plan),
        vec![("mid".to_string(), "collMod".to_string())],
        "{plan:#}"
    );
    apply(&p);
    assert!(same(
        &options(&db, "mid").await.get_array("pipeline").unwrap()[0],
        &Bson::Document(doc! {"$match": {"n": {"$gte": 4}}})
    ));
    assert_eq!(count(database).await, 1);
    converged(&p);
}

#[tokio::test]
async fn a_view_on_a_view_the_server_refused_is_not_created_and_the_next_run_converges() {
    let p = Project::new();
    let db = p.public.clone();
    let declare = |stage: &str| {
        p.manifest(
            "public.yaml",
            &format!(
                "scope: public\ncollections:\n  - name: top\n    viewOn: mid\n    pipeline: [ {{ $limit: 5 }} ]\n  - name: mid\n    viewOn: base\n    pipeline: [ {{ $match: {stage} }} ]\n  - name: base\n    validator: {{ n: {{ $exists: true }} }}\n"
            ),
        );
    };
    // A filter the server refuses (a negative $size): mig's rules let it by.
    declare("{ n: { $size: -1 } }");
    let (report, code) = p.json(&["apply"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["failed_steps"], 1, "{report:#}");
    let step = |name: &str| {
        report["targets"][0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["collection"] == name)
            .unwrap_or_else(|| panic!("a step for {name}: {report:#}"))
            .clone()
    };
    assert_eq!(step("base")["ok"], true, "{report:#}");
    assert_eq!(step("mid")["ok"], false, "{report:#}");
    assert_eq!(
        step("top")["skipped"],
        true,
        "the view on it waits: {report:#}"
    );
    assert_eq!(kind(&db, "base").await, "collection");
    assert!(entry(&db, "mid").await.is_none());
    assert!(entry(&db, "top").await.is_none(), "not created on nothing");

    declare("{ n: { $size: 1 } }");
    apply(&p);
    assert_eq!(kind(&db, "mid").await, "view");
    assert_eq!(kind(&db, "top").await, "view");
    converged(&p);
}

#[tokio::test]
async fn a_view_on_a_view_with_another_collation_is_refused_before_apply() {
    let p = Project::new();
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: base\n    validator: { n: { $exists: true } }\n  - name: mid\n    viewOn: base\n    pipeline: []\n    collation: { locale: fr }\n  - name: top\n    viewOn: mid\n    pipeline: []\n",
    );
    let out = p.mig(&["validate"]);
    assert!(!out.status.success(), "{}", show(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("top: collation: a view on the view \"mid\" must have its collation"),
        "{said}"
    );
}

#[tokio::test]
async fn a_view_changed_in_place_is_not_said_to_be_missing() {
    let p = Project::new();
    let db = p.public.clone();
    run(&db, doc! {"create": "base"}).await;
    run(
        &db,
        doc! {"create": "recent", "viewOn": "base", "pipeline": []},
    )
    .await;
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: recent\n    viewOn: base\n    pipeline: [ { $limit: 10 } ]\n",
    );
    let out = p.mig(&["plan"]);
    assert!(stdout(&out).contains("collMod recent"), "{}", show(&out));
    assert!(
        !stdout(&out).contains("does not exist yet"),
        "the view exists: {}",
        show(&out)
    );
}

// ---------------------------------------------------------------------------
// Read paths, saved plans, fleets.

/// Everything the manifests can declare, on one database.
const EVERYTHING: &str = r#"scope: public
collections:
  - name: validated
    validator: { $jsonSchema: { bsonType: object, required: [a] } }
    validationLevel: moderate
    validationAction: warn
    indexes:
      - { name: by_a, keys: { a: 1 } }
  - name: collated
    collation: { locale: fr, strength: 2 }
    indexes:
      - { name: by_b, keys: { b: 1 } }
  - name: capped
    capped: true
    size: 10000
    max: 10
  - name: series
    timeseries: { timeField: at, metaField: m, granularity: minutes }
    expireAfterSeconds: 600
    collation: { locale: fr }
    indexes:
      - { name: by_m, keys: { m: 1, at: -1 } }
  - name: clustered
    clusteredIndex: { key: { _id: 1 }, unique: true }
    expireAfterSeconds: 60
  - name: images
    changeStreamPreAndPostImages: { enabled: true }
  - name: view
    viewOn: validated
    pipeline: [ { $match: { a: 1 } } ]
    collation: { locale: de }
  - name: view_on_view
    viewOn: view
    pipeline: [ { $limit: 5 } ]
    collation: { locale: de }
"#;

/// Every option changed: some in place, some not.
const EVERYTHING_CHANGED: &str = r#"scope: public
collections:
  - name: validated
    validator: { $jsonSchema: { bsonType: object, required: [a, b] } }
    indexes:
      - { name: by_a, keys: { a: 1 } }
  - name: collated
    collation: { locale: en }
    indexes:
      - { name: by_b, keys: { b: 1 } }
  - name: capped
    capped: true
    size: 20000
    max: 20
  - name: series
    timeseries: { timeField: at, metaField: m, granularity: seconds }
    expireAfterSeconds: 1200
    collation: { locale: fr }
    indexes:
      - { name: by_m, keys: { m: 1, at: -1 } }
  - name: clustered
    clusteredIndex: { key: { _id: 1 }, unique: true }
    expireAfterSeconds: "off"
  - name: images
    changeStreamPreAndPostImages: { enabled: false }
  - name: view
    viewOn: validated
    pipeline: [ { $match: { a: 2 } } ]
    collation: { locale: de }
  - name: view_on_view
    viewOn: collated
    pipeline: [ { $limit: 5 } ]
    collation: { locale: de }
  - name: missing
    capped: true
    size: 4096
"#;

#[tokio::test]
async fn both_read_paths_read_the_same_options_and_give_the_same_plan() {
    use mig::model::Scope;
    use mig::plan::{plan_database, PlanOptions};
    use mig::server::inspect::{read, ReadPath, Request};

    let p = Project::new();
    let db = p.public.clone();
    p.manifest("public.yaml", EVERYTHING);
    apply(&p);
    converged(&p);

    let (changed, problems) = mig::manifest::load_sources(&[(
        p.path().join("manifests/public.yaml"),
        EVERYTHING_CHANGED.to_string(),
    )]);
    assert!(problems.is_empty(), "{problems:?}");
    let desired = changed.for_scope(Scope::Public);
    let requests = vec![Request {
        database: db.clone(),
        collections: desired.iter().map(|c| c.name.clone()).collect(),
    }];
    let c = client().await;
    let catalog = read(&c, ReadPath::Catalog, &requests, 4, None)
        .await
        .pop()
        .unwrap()
        .unwrap();
    let listed = read(&c, ReadPath::ListIndexes, &requests, 4, None)
        .await
        .pop()
        .unwrap()
        .unwrap();
    for (a, b) in catalog.collections.iter().zip(&listed.collections) {
        assert_eq!(a, b, "{}: $listCatalog vs listCollections", a.name);
    }
    assert_eq!(catalog, listed);
    let series = catalog.collection("series").unwrap();
    assert_eq!(
        series
            .options
            .as_ref()
            .and_then(|o| o.get_document("timeseries").ok())
            .and_then(|t| t.get_str("granularity").ok()),
        Some("minutes"),
        "{series:?}"
    );
    assert!(catalog.collection("view").unwrap().is_view());

    let now = mongodb::bson::DateTime::now();
    let options = || PlanOptions {
        now,
        ..PlanOptions::default()
    };
    let a = plan_database(&db, Scope::Public, desired, &catalog, options());
    let b = plan_database(&db, Scope::Public, desired, &listed, options());
    assert_eq!(a, b);
    let mut kinds: Vec<(String, String)> = a
        .changes
        .iter()
        .map(|c| (c.collection().to_string(), c.action().to_string()))
        .collect();
    kinds.sort();
    let mut expected: Vec<(String, String)> = [
        ("capped", "modify"),
        ("clustered", "modify"),
        ("collated", "manual"),
        ("images", "modify"),
        ("missing", "create"),
        ("series", "manual"),
        ("series", "modify"),
        ("validated", "modify"),
        ("view", "modify"),
        ("view_on_view", "modify"),
    ]
    .iter()
    .map(|(c, a)| (c.to_string(), a.to_string()))
    .collect();
    expected.sort();
    assert_eq!(kinds, expected, "{:#?}", a.changes);

    // And the CLI plans what the library planned.
    p.manifest("public.yaml", EVERYTHING_CHANGED);
    let plan = pending(&p);
    assert_eq!(plan["read_path"], "listCatalog");
    assert_eq!(changes(&plan).len(), a.changes.len(), "{plan:#}");
}

/// A `mongod` of the test's own, stopped when the test ends (or fails).
struct OwnServer(support::mongod::Mongod);

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[tokio::test]
async fn a_user_without_list_catalog_reads_by_list_collections_and_gets_the_same_plan() {
    // `mig` reads with listCollections/listIndexes when `$listCatalog` is not
    // allowed: a user with rights on its database only, on a server with auth.
    let dir = tempfile::tempdir().unwrap();
    let node = OwnServer(support::mongod::Mongod::start_with(dir.path(), &["--auth"]).unwrap());
    let port = node.0.port;
    let p = Project::new();
    let db = p.public.clone();
    // The localhost exception lets the first user be created without auth.
    let bare = mongodb::Client::with_uri_str(node.0.uri()).await.unwrap();
    bare.database("admin")
        .run_command(doc! {"createUser": "root", "pwd": "r00tPassw0rd", "roles": ["root"]})
        .await
        .unwrap();
    let uri = |user: &str, pwd: &str| {
        format!("mongodb://{user}:{pwd}@127.0.0.1:{port}/?directConnection=true&authSource=admin")
    };
    let root = uri("root", "r00tPassw0rd");
    let ops = uri("ops", "0psPassw0rd");
    mongodb::Client::with_uri_str(&root)
        .await
        .unwrap()
        .database("admin")
        .run_command(doc! {"createUser": "ops", "pwd": "0psPassw0rd", "roles": [
        {"role": "readWrite", "db": &db}, {"role": "dbAdmin", "db": &db}]})
        .await
        .unwrap();
    let plan_as = |uri: &str| {
        let out = p.mig_env(
            &["plan", "--detailed-exitcode", "--format", "json"],
            &[("MONGODB_URI", uri)],
        );
        let plan: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
        (plan, out.status.code())
    };

    p.manifest("public.yaml", EVERYTHING);
    let out = p.mig_env(&["apply"], &[("MONGODB_URI", &ops)]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for user in [&root, &ops] {
        let (plan, code) = plan_as(user);
        assert_eq!(code, Some(0), "converged on both paths: {plan:#}");
    }

    p.manifest("public.yaml", EVERYTHING_CHANGED);
    let (by_catalog, code) = plan_as(&root);
    assert_eq!(code, Some(2), "{by_catalog:#}");
    let (by_list, code) = plan_as(&ops);
    assert_eq!(code, Some(2), "{by_list:#}");
    assert_eq!(by_catalog["read_path"], "listCatalog");
    assert_eq!(by_list["read_path"], "listIndexes");
    assert_eq!(by_catalog["targets"], by_list["targets"]);
    assert_eq!(by_catalog["summary"], by_list["summary"]);
    assert_eq!(by_catalog["summary"]["manual"], 2, "{by_catalog:#}");
}

#[tokio::test]
async fn a_saved_plan_applies_collection_changes_and_a_changed_validator_skips_its_database() {
    let p = Project::new();
    let tenants: Vec<String> = (0..2).map(|_| p.tenant()).collect();
    p.config_without_public(&listed_tenants(&tenants));
    let adults = |age: u32| {
        format!(
            "  - name: adults\n    viewOn: people\n    pipeline: [ {{ $match: {{ age: {{ $gte: {age} }} }} }} ]\n"
        )
    };
    let v1 = PEOPLE_V1.replace("scope: public", "scope: tenant") + &adults(18);
    p.manifest("tenant.yaml", &v1);
    apply(&p);
    let v2 = PEOPLE_V2.replace("scope: public", "scope: tenant")
        + &adults(21)
        + "  - name: audit\n    capped: true\n    size: 4096\n";
    p.manifest("tenant.yaml", &v2);
    let saved = p.path().join("plan.json");
    let out = p.mig(&["plan", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", show(&out));
    // The manifests go back: the saved plan is what is applied.
    p.manifest("tenant.yaml", &v1);
    // Someone changes the second tenant's validator after the plan was made.
    run(
        &tenants[1],
        doc! {"collMod": "people", "validator": {"manual": {"$exists": true}}},
    )
    .await;
    let (report, code) = p.json(&["apply", saved.to_str().unwrap()]);
    assert_eq!(code, 1, "a skipped database fails the run: {report:#}");
    let target = |db: &str| {
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["database"] == db)
            .unwrap_or_else(|| panic!("{db} in {report:#}"))
    };
    assert_eq!(target(&tenants[0])["status"], "applied", "{report:#}");
    assert!(
        target(&tenants[1])["skipped"]
            .as_str()
            .unwrap_or_default()
            .contains("drifted since the plan was made"),
        "{report:#}"
    );
    let o = options(&tenants[0], "people").await;
    assert_eq!(o.get_str("validationLevel"), Ok("moderate"), "{o}");
    assert_eq!(o.get_str("validationAction"), Ok("warn"), "{o}");
    let audit = options(&tenants[0], "audit").await;
    assert_eq!(audit.get_bool("capped"), Ok(true));
    assert_eq!(int(&audit, "size"), Some(4096));
    // Nothing done where it drifted.
    let o = options(&tenants[1], "people").await;
    assert_eq!(
        o.get_document("validator").unwrap(),
        &doc! {"manual": {"$exists": true}}
    );
    assert_ne!(o.get_str("validationAction"), Ok("warn"));
    assert!(entry(&tenants[1], "audit").await.is_none());
    let pipeline = |o: Document| o.get_array("pipeline").unwrap()[0].clone();
    let age = |n: i32| Bson::Document(doc! {"$match": {"age": {"$gte": n}}});
    assert!(same(
        &pipeline(options(&tenants[0], "adults").await),
        &age(21)
    ));
    assert!(same(
        &pipeline(options(&tenants[1], "adults").await),
        &age(18)
    ));
}

#[tokio::test]
async fn a_tenant_fleet_gets_its_collection_options_everywhere() {
    let p = Project::new();
    let tenants: Vec<String> = (0..3).map(|_| p.tenant()).collect();
    p.config_without_public(&listed_tenants(&tenants));
    // One tenant already has the collection, without options.
    run(&tenants[1], doc! {"create": "messages"}).await;
    p.manifest(
        "tenant.yaml",
        r#"scope: tenant
collections:
  - name: messages
    validator: { $jsonSchema: { required: [conversationId] } }
    changeStreamPreAndPostImages: { enabled: true }
    indexes:
      - { name: by_conversation, keys: { conversationId: 1, at: -1 } }
  - name: events
    timeseries: { timeField: at, metaField: device, granularity: minutes }
    expireAfterSeconds: 86400
  - name: unread
    viewOn: messages
    pipeline: [ { $match: { read: false } } ]
"#,
    );
    let plan = pending(&p);
    assert_eq!(plan["targets"].as_array().unwrap().len(), 3, "{plan:#}");
    let report = apply(&p);
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "applied"),
        "{report:#}"
    );
    for t in &tenants {
        let o = options(t, "messages").await;
        assert!(o.get_document("validator").is_ok(), "{t}: {o}");
        assert_eq!(
            o.get_document("changeStreamPreAndPostImages").unwrap(),
            &doc! {"enabled": true},
            "{t}"
        );
        assert!(live_index(t, "messages", "by_conversation").await.is_some());
        assert_eq!(kind(t, "events").await, "timeseries", "{t}");
        let e = options(t, "events").await;
        assert_eq!(int(&e, "expireAfterSeconds"), Some(86400), "{t}: {e}");
        assert_eq!(kind(t, "unread").await, "view", "{t}");
        assert_eq!(options(t, "unread").await.get_str("viewOn"), Ok("messages"));
    }
    converged(&p);
}

// ---------------------------------------------------------------------------
// The validator preflight.

const TICKETS: &str = "scope: public\ncollections:\n  - name: tickets\n    validator:\n      $jsonSchema:\n        bsonType: object\n        required: [title]\n        properties:\n          title: { bsonType: string }\n";

/// `tickets` with 3 valid documents and 3 that fail the validator above:
/// two without a title (`_id` 1, 2), one with a number for a title (`_id` 3).
async fn tickets(db: &str) {
    run(db, doc! {"create": "tickets"}).await;
    let docs = vec![
        doc! {"_id": 1, "body": "no title"},
        doc! {"_id": 2},
        doc! {"_id": 3, "title": 42},
        doc! {"_id": 4, "title": "ok"},
        doc! {"_id": 5, "title": "ok"},
        doc! {"_id": 6, "title": "ok"},
    ];
    client()
        .await
        .database(db)
        .collection::<Document>("tickets")
        .insert_many(docs)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_validator_documents_already_fail_is_blocked_with_their_count_ids_and_first_failing_rule()
{
    let p = Project::new();
    let db = p.public.clone();
    tickets(&db).await;
    p.manifest("public.yaml", TICKETS);

    let (plan, _) = p.json(&["plan"]);
    let change = collection_change(&plan, "tickets", "modify");
    let why = change["blocked"].as_str().expect("blocked");
    assert!(why.starts_with("3 document(s) in "), "{why}");
    for sample in [
        "_id 1 (fails required: title)",
        "_id 2 (fails required: title)",
        "_id 3 (fails properties.title)",
    ] {
        assert!(why.contains(sample), "{sample:?} in {why}");
    }
    assert!(why.contains("--allow-invalid-documents"), "{why}");
    assert_eq!(
        change["steps"],
        serde_json::json!([]),
        "a blocked change has no steps"
    );

    // Blocked: apply leaves the collection without a validator.
    p.mig(&["apply", "--yes"]);
    assert!(!options(&db, "tickets").await.contains_key("validator"));

    // Allowed: applied, the same finding kept as a note.
    let (plan, _) = p.json(&["plan", "--allow-invalid-documents"]);
    let change = collection_change(&plan, "tickets", "modify");
    assert!(change["blocked"].is_null(), "{change:#}");
    let note = change["note_from_preflight"].as_str().expect("a note");
    assert!(
        note.starts_with("3 document(s) in ") && note.contains("applied anyway"),
        "{note}"
    );
    let out = p.mig(&["apply", "--yes", "--allow-invalid-documents"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(options(&db, "tickets").await.contains_key("validator"));
    converged(&p);
}

#[tokio::test]
async fn under_moderate_or_warn_invalid_documents_are_a_note_and_the_validator_is_applied() {
    for (extra, says) in [
        (
            "    validationLevel: moderate\n",
            "validationLevel moderate",
        ),
        ("    validationAction: warn\n", "validationAction warn"),
    ] {
        let p = Project::new();
        let db = p.public.clone();
        tickets(&db).await;
        p.manifest("public.yaml", &format!("{TICKETS}{extra}"));
        let (plan, _) = p.json(&["plan"]);
        let change = collection_change(&plan, "tickets", "modify");
        assert!(change["blocked"].is_null(), "{change:#}");
        let note = change["note_from_preflight"].as_str().expect("a note");
        assert!(
            note.starts_with("3 document(s)") && note.contains(says),
            "{note}"
        );
        let out = p.mig(&["apply", "--yes"]);
        assert!(out.status.success(), "{}", show(&out));
        assert!(options(&db, "tickets").await.contains_key("validator"));
        converged(&p);
    }
}

#[tokio::test]
async fn a_validator_every_document_satisfies_has_no_finding() {
    let p = Project::new();
    let db = p.public.clone();
    tickets(&db).await;
    client()
        .await
        .database(&db)
        .collection::<Document>("tickets")
        .delete_many(doc! {"_id": {"$lte": 3}})
        .await
        .unwrap();
    p.manifest("public.yaml", TICKETS);
    let (plan, _) = p.json(&["plan"]);
    let change = collection_change(&plan, "tickets", "modify");
    assert!(
        change["blocked"].is_null() && change.get("note_from_preflight").is_none(),
        "{change:#}"
    );
    apply(&p);
    converged(&p);
}
