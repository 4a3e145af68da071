//! `mig list`: what the manifests declare, the migrations, and which
//! databases tenant discovery finds.

use super::documents::{
    ListDocument, ListedCluster, ListedCollection, ListedMigration, ListedRejected, ListedScopes,
    ListedTarget,
};
use super::model;
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
        collections
            .iter()
            .map(|c| ListedCollection {
                name: c.name.clone(),
                options: c
                    .options
                    .as_ref()
                    .map(|o| bson::Bson::Document(o.clone()).into_relaxed_extjson()),
                indexes: c.indexes.iter().map(super::json::spec).collect(),
            })
            .collect()
    };
    let (targets, rejected, error) = match discovered {
        Ok((t, r)) => (
            t.iter()
                .enumerate()
                .map(|(i, t)| ListedTarget {
                    database: t.database.clone(),
                    scope: t.scope.to_string(),
                    cluster: placed.map(|p| p.cluster_of.get(i).map(|c| c.to_string())),
                })
                .collect(),
            r.iter()
                .map(|r| ListedRejected {
                    database: r.database.clone(),
                    reason: r.reason.to_string(),
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Vec::new(), Some(scrub(&e.to_string()))),
    };
    let document = ListDocument {
        manifests: ListedScopes {
            public: scope(&manifests.public),
            tenant: scope(&manifests.tenant),
        },
        migrations: migrations
            .iter()
            .map(|m| ListedMigration {
                id: m.id.clone(),
                scope: m.scope.as_str().to_string(),
                description: m.description.clone(),
                file: m.file.display().to_string(),
            })
            .collect(),
        targets,
        rejected,
        error,
        clusters: placed.map(|p| {
            p.clusters
                .iter()
                .map(|c| ListedCluster {
                    cluster: c.name.clone(),
                    uri: c.uri.clone(),
                    mongos: c.mongos,
                    error: c.error.clone(),
                })
                .collect()
        }),
        not_routed: placed.map(|p| {
            p.refused
                .iter()
                .map(|(db, why)| model::DatabaseFailure {
                    database: db.to_string(),
                    error: why.clone(),
                })
                .collect()
        }),
    };
    super::json::document(&model::value(&document))
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
