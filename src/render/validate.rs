//! `mig validate`: what was checked, when everything is valid.

use serde_json::json;

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
    let mut out = json!({"valid": true, "problems": [], "files": manifests.files.len(), "collections": collections,
           "indexes": indexes, "migrations": migrations,
           "warnings": manifests.warnings.iter().map(super::json::problem).collect::<Vec<_>>()});
    if let Some(d) = dev {
        out["dev_server"] = json!({"version": d.version, "built": d.built()});
    }
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
