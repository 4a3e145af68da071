//! `schema/*.json` must match the types that read manifests and mig.toml, and
//! that write the JSON reports (which real outputs are checked against).
//! Regenerate with: MIG_UPDATE_SCHEMAS=1 cargo test --test it schema:: (or `mig schema`).

use std::path::Path;

fn check(file: &str, generated: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(file);
    if std::env::var_os("MIG_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale; regenerate it with: MIG_UPDATE_SCHEMAS=1 cargo test --test it schema::",
        path.display()
    );
}

#[test]
fn manifest_schema_is_current() {
    check("manifest.schema.json", mig::schema::manifest());
}

#[test]
fn migration_schema_is_current() {
    check("migration.schema.json", mig::schema::migration());
}

#[test]
fn config_schema_is_current() {
    check("mig.schema.json", mig::schema::config());
}

#[test]
fn schemas_reject_unknown_fields_like_mig_does() {
    let manifest: serde_json::Value = serde_json::from_str(&mig::schema::manifest()).unwrap();
    assert_eq!(manifest["additionalProperties"], false);
    let index = &manifest["$defs"]["IndexDecl"];
    assert_eq!(index["additionalProperties"], false, "{index:#}");
    assert!(index["properties"]["partialFilterExpression"].is_object());
    assert_eq!(index["required"], serde_json::json!(["keys"]));
}

#[test]
fn report_schema_is_current() {
    check("report.schema.json", mig::render::documents::schema());
}

/// The committed report schema, checking against one of its documents
/// (`RunReport`, `StatusReport`, `DriftReport`, `LintReport`, `ListDocument`,
/// ...), or `Target`.
fn report_validator(def: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let root = schema.as_object_mut().unwrap();
    root.remove("anyOf");
    root.insert("$ref".into(), format!("#/$defs/{def}").into());
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(def: &str, what: &str, doc: &serde_json::Value) {
    let errors: Vec<String> = report_validator(def)
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{doc:#}");
}

/// `plan`, `apply`, `status`, `drift`, `lint`, `list`, `validate`, `pull` and
/// an error print, with `--format json`, what `schema/report.schema.json`
/// says: a database with a data migration, an index to build, an unmanaged
/// index and a blocked unique build; a database that can't be read; a pulled
/// file refused; a broken manifest; JSON Lines too.
#[tokio::test]
async fn real_reports_are_what_the_report_schema_says() {
    use crate::support::*;
    use mongodb::bson::doc;

    let p = Project::new();
    let tenant = p.tenant();
    let view = p.tenant();
    p.config(&listed_tenants(&[&tenant, &view]));
    p.manifest(
        "tenant.yaml",
        "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_status, keys: { status: 1 } }\n      - { name: idx_day, keys: { day: 1 }, unique: true }\n      - { name: idx_a, keys: { a: 1 } }\n      - { name: idx_a_b, keys: { a: 1, b: 1 } }\n",
    );
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(
        p.path().join("migrations/20250101000000_log.yaml"),
        "description: a log\nscope: tenant\nup:\n  - insert_many: { collection: log, documents: [{ n: 1 }] }\n",
    )
    .unwrap();
    insert(
        &tenant,
        "messages",
        vec![
            doc! {"status": "a", "day": 1},
            doc! {"status": "b", "day": 1},
        ],
    )
    .await;
    client()
        .await
        .database(&tenant)
        .run_command(
            doc! {"createIndexes": "messages", "indexes": [{"key": {"x": 1}, "name": "stray"}]},
        )
        .await
        .unwrap();
    // `messages` a view in the other tenant: it can't be read as a collection.
    client()
        .await
        .database(&view)
        .run_command(doc! {"create": "messages", "viewOn": "other", "pipeline": []})
        .await
        .unwrap();

    let (plan, _) = p.json(&["plan", "--tenants-only"]);
    assert_valid("RunReport", "plan", &plan);
    let changes = plan["targets"].as_array().unwrap();
    assert!(
        changes.iter().any(|t| t["status"] == "failed"),
        "a database that failed: {plan:#}"
    );
    let lines = stdout(&p.mig(&["plan", "--tenants-only", "--format", "jsonl"]));
    let lines: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for line in &lines[..lines.len() - 1] {
        assert_valid("Target", "a line of plan --format jsonl", line);
    }
    let (apply, _) = p.json(&["apply", "--yes", "--tenants-only"]);
    assert_valid("RunReport", "apply", &apply);
    assert!(
        apply["targets"][0]["steps"][0]["ok"].is_boolean(),
        "steps with their outcomes: {apply:#}"
    );
    let (status, _) = p.json(&["status", "--tenants-only"]);
    assert_valid("StatusReport", "status", &status);
    let (drift, _) = p.json(&["drift", "--tenants-only"]);
    assert_valid("DriftReport", "drift", &drift);
    let (lint, _) = p.json(&["lint"]);
    assert_valid("LintReport", "lint", &lint);
    assert!(
        !lint["findings"].as_array().unwrap().is_empty(),
        "idx_a is redundant beside idx_a_b: {lint:#}"
    );
    let (list, _) = p.json(&["list"]);
    assert_valid("ListDocument", "list", &list);
    let (valid, _) = p.json(&["validate"]);
    assert_valid("ValidDocument", "validate", &valid);
    let (pull, _) = p.json(&["pull"]);
    assert_valid("PullDocument", "pull", &pull);
    assert!(
        pull["files"][0]["diff"].is_string(),
        "tenant.yaml exists and differs: refused, with its diff: {pull:#}"
    );
    p.manifest("broken.yaml", "scope: tenant\ncollections:\n  - name: x\n    indexes:\n      - { name: i, keys: { a: 1 }, uniqe: true }\n");
    let (error, code) = p.json(&["validate"]);
    assert_ne!(code, 0);
    assert_valid("ErrorDocument", "validate of a broken manifest", &error);
    assert!(
        !error["problems"].as_array().unwrap().is_empty(),
        "{error:#}"
    );
    // And each against the whole schema, whatever command printed it.
    for doc in [
        &plan, &apply, &status, &drift, &lint, &list, &valid, &pull, &error,
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert!(validator.is_valid(doc), "{doc:#}");
    }
}
