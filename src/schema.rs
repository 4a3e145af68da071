//! JSON Schemas of the manifest and of `mig.toml`, generated from the Rust
//! types that read them, so editors check files the way `mig` does.
//! `schema/*.json` are these, written out; a test fails when they are stale.

use schemars::schema_for;

use crate::config::ConfigFile;
use crate::manifest::file::ManifestFile;

/// Every schema, by the file name the modelines point at: `mig schema DIR`
/// writes them, and `schema/` in this repository holds them.
pub fn files() -> [(&'static str, String); 3] {
    [
        ("manifest.schema.json", manifest()),
        ("migration.schema.json", migration()),
        ("mig.schema.json", config()),
    ]
}

pub fn manifest() -> String {
    pretty(serde_json::to_value(schema_for!(ManifestFile)).unwrap_or_default())
}

pub fn migration() -> String {
    pretty(
        serde_json::to_value(schema_for!(crate::migrate::api::MigrationFile)).unwrap_or_default(),
    )
}

pub fn config() -> String {
    pretty(serde_json::to_value(schema_for!(ConfigFile)).unwrap_or_default())
}

fn pretty(value: serde_json::Value) -> String {
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}
