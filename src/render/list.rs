//! `mig list`: what the manifests declare, the migrations, and which
//! databases tenant discovery finds.

use serde_json::json;

use crate::manifest::Manifests;
use crate::migrate::Migration;
use crate::model::Collection;
use crate::redact::scrub;
use crate::targets::{Rejected, Target};

/// The databases discovery found and the names it skipped, or why it could
/// not look.
pub type Discovered<'a> = Result<(&'a [Target], &'a [Rejected]), &'a dyn std::fmt::Display>;

/// `--format json`.
pub fn json(manifests: &Manifests, migrations: &[Migration], discovered: &Discovered) -> String {
    let scope = |collections: &[Collection]| {
        json!(collections
            .iter()
            .map(|c| json!({"name": c.name, "indexes": c.indexes.iter().map(super::json::spec).collect::<Vec<_>>()}))
            .collect::<Vec<_>>())
    };
    let (targets, rejected, error) = match discovered {
        Ok((t, r)) => (
            t.iter()
                .map(|t| json!({"database": t.database, "scope": t.scope.to_string()}))
                .collect(),
            r.iter()
                .map(|r| json!({"database": r.database, "reason": r.reason}))
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Vec::new(), Some(scrub(&e.to_string()))),
    };
    let list: Vec<_> = migrations
        .iter()
        .map(|m| json!({"id": m.id, "scope": m.scope.as_str(), "description": m.description, "file": m.file.display().to_string()}))
        .collect();
    let out = json!({
        "manifests": {"public": scope(&manifests.public), "tenant": scope(&manifests.tenant)},
        "migrations": list,
        "targets": targets,
        "rejected": rejected,
        "error": error,
    });
    super::json::document(&out)
}

/// For people. Without discovery (it failed), no `databases:` section.
pub fn text(manifests: &Manifests, migrations: &[Migration], discovered: &Discovered) -> String {
    let mut out = String::new();
    for (scope, collections) in [("public", &manifests.public), ("tenant", &manifests.tenant)] {
        out.push_str(&format!("{scope} scope:\n"));
        for c in collections.iter() {
            out.push_str(&format!("  {}\n", c.name));
            for i in &c.indexes {
                out.push_str(&format!("    {}  {}\n", i.name, super::text::one_line(i)));
            }
        }
    }
    out.push_str("migrations:\n");
    for m in migrations {
        out.push_str(&format!(
            "  {}  {:<6}  {}\n",
            m.id,
            m.scope.as_str(),
            m.description
        ));
    }
    if let Ok((targets, rejected)) = discovered {
        out.push_str("databases:\n");
        for t in targets.iter() {
            out.push_str(&format!("  {} ({})\n", t.database, t.scope));
        }
        for r in rejected.iter() {
            out.push_str(&format!("  skipped {}: {}\n", r.database, r.reason));
        }
    }
    out
}
