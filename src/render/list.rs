//! `mig list`: what the manifests declare, the migrations, and which
//! databases tenant discovery finds.

use serde_json::json;

use crate::manifest::Manifests;
use crate::migrate::api::Migration;
use crate::model::Collection;
use crate::redact::scrub;
use crate::run::ClusterInfo;
use crate::targets::{Rejected, Target};

/// The databases discovery found and the names it skipped, or why it could
/// not look.
pub type Discovered<'a> = Result<(&'a [Target], &'a [Rejected]), &'a dyn std::fmt::Display>;

/// With `[clusters]`: the cluster of each target (in the order of the
/// targets), each cluster of the run, and the tenants the routing refused.
#[derive(Default)]
pub struct Placed<'a> {
    pub cluster_of: Vec<&'a str>,
    pub clusters: Vec<ClusterInfo>,
    /// Each refused tenant and why.
    pub refused: Vec<(&'a str, String)>,
}

/// `--format json`.
pub fn json(
    manifests: &Manifests,
    migrations: &[Migration],
    discovered: &Discovered,
    placed: Option<&Placed>,
) -> String {
    let scope = |collections: &[Collection]| {
        json!(collections
            .iter()
            .map(|c| {
                let options = c.options.as_ref().map_or(serde_json::Value::Null, |o| {
                    bson::Bson::Document(o.clone()).into_relaxed_extjson()
                });
                let indexes: Vec<_> = c.indexes.iter().map(super::json::spec).collect();
                json!({"name": c.name, "options": options, "indexes": indexes})
            })
            .collect::<Vec<_>>())
    };
    let (targets, rejected, error) = match discovered {
        Ok((t, r)) => (
            t.iter()
                .enumerate()
                .map(|(i, t)| {
                    let target = json!({"database": t.database, "scope": t.scope.to_string()});
                    match placed {
                        Some(p) => super::json::with_cluster(target, p.cluster_of.get(i).copied()),
                        None => target,
                    }
                })
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
    let mut out = json!({
        "manifests": {"public": scope(&manifests.public), "tenant": scope(&manifests.tenant)},
        "migrations": list,
        "targets": targets,
        "rejected": rejected,
        "error": error,
    });
    if let (Some(p), Some(fields)) = (placed, out.as_object_mut()) {
        let clusters = p.clusters.iter().map(
            |c| json!({"cluster": c.name, "uri": c.uri, "mongos": c.mongos, "error": c.error}),
        );
        fields.insert("clusters".into(), json!(clusters.collect::<Vec<_>>()));
        let refused = p
            .refused
            .iter()
            .map(|(db, why)| json!({"database": db, "error": why}));
        fields.insert("not_routed".into(), json!(refused.collect::<Vec<_>>()));
    }
    super::json::document(&out)
}

/// The targets under their cluster, then the tenants the routing refused.
fn by_cluster(out: &mut String, targets: &[Target], placed: &Placed) {
    for c in &placed.clusters {
        let failed = c
            .error
            .as_ref()
            .map_or(String::new(), |e| format!(": failed: {e}"));
        out.push_str(&format!("  cluster {} ({}){failed}\n", c.name, c.uri));
        for (t, _) in targets
            .iter()
            .zip(&placed.cluster_of)
            .filter(|(_, on)| **on == c.name)
        {
            out.push_str(&format!("    {} ({})\n", t.database, t.scope));
        }
    }
    if !placed.refused.is_empty() {
        out.push_str("  not routed (on no cluster; nothing is done there):\n");
        for (db, why) in &placed.refused {
            out.push_str(&format!("    {db}: {why}\n"));
        }
    }
}

/// A collection's declared options after its name, each as
/// `option=value` (values in compact relaxed Extended JSON, a view's
/// `viewOn` and `pipeline` among them); nothing when it declares none.
fn options_text(c: &Collection) -> String {
    let Some(options) = &c.options else {
        return String::new();
    };
    options
        .iter()
        .map(|(k, v)| format!("  {k}={}", v.clone().into_relaxed_extjson()))
        .collect()
}

/// For people. Without discovery (it failed), no `databases:` section.
pub fn text(
    manifests: &Manifests,
    migrations: &[Migration],
    discovered: &Discovered,
    placed: Option<&Placed>,
) -> String {
    let mut out = String::new();
    for (scope, collections) in [("public", &manifests.public), ("tenant", &manifests.tenant)] {
        out.push_str(&format!("{scope} scope:\n"));
        for c in collections.iter() {
            out.push_str(&format!("  {}{}\n", c.name, options_text(c)));
            for i in &c.indexes {
                out.push_str(&format!("    {}  {}\n", i.name, super::text::one_line(i)));
            }
        }
    }
    out.push_str(match migrations.is_empty() {
        true => "migrations: none\n",
        false => "migrations:\n",
    });
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
        match placed {
            None => {
                for t in targets.iter() {
                    out.push_str(&format!("  {} ({})\n", t.database, t.scope));
                }
            }
            Some(p) => by_cluster(&mut out, targets, p),
        }
        for r in rejected.iter() {
            out.push_str(&format!("  skipped {}: {}\n", r.database, r.reason));
        }
    }
    out
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
