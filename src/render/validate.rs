//! `mig validate`: what was checked, when everything is valid.

use super::documents::{DevServer, ValidDocument};
use super::model;
use crate::manifest::Manifests;
use crate::server::dev::DevOutcome;

/// Collections and indexes declared in both scopes.
fn counts(manifests: &Manifests) -> (usize, usize) {
    let collections = manifests.public.len() + manifests.tenant.len();
    let indexes = manifests
        .public
        .iter()
        .chain(&manifests.tenant)
        .map(|c| c.indexes.len())
        .sum();
    (collections, indexes)
}

/// `--format json`, on one line. `dev`: what the dev server built, if one was used.
pub fn json(manifests: &Manifests, migrations: usize, dev: Option<&DevOutcome>) -> String {
    let (collections, indexes) = counts(manifests);
    let out = ValidDocument {
        valid: true,
        problems: Vec::new(),
        files: manifests.files.len(),
        collections,
        indexes,
        migrations,
        warnings: manifests
            .warnings
            .iter()
            .map(super::json::problem_model)
            .collect(),
        dev_server: dev.map(|d| DevServer {
            version: d.version.clone(),
            built: d.built(),
        }),
    };
    let out = model::value(&out);
    format!("{out}\n")
}

/// For people: one `ok:` line.
pub fn text(manifests: &Manifests, migrations: usize, dev: Option<&DevOutcome>) -> String {
    let (collections, indexes) = counts(manifests);
    format!(
        "ok: {} manifest file(s), {collections} collection(s), {indexes} index(es); {migrations} migration(s){}\n",
        manifests.files.len(),
        dev.map(|d| format!(
            "; the dev server (MongoDB {}) built all {} index(es)",
            d.version,
            d.built()
        ))
        .unwrap_or_default()
    )
}
