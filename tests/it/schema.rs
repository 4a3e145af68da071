//! `schema/*.json` must match the types that read manifests and mig.toml.
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
