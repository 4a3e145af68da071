//! Which databases a command works on: the public database and the tenant
//! databases that discovery finds, narrowed by the target-selection flags.

use crate::config::{Discovery, Settings};
use crate::diagnostics::Problem;
use crate::manifest::Manifests;
use crate::model::names::{check_database_name, closest};
use crate::model::Scope;

mod discovery;
pub mod routing;

pub use discovery::{check_found, get_path, matching, registry, Discovered, Looked, NoTenants};

/// Never targets, whatever a registry says.
const RESERVED: &[&str] = &["admin", "local", "config"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub database: String,
    pub scope: Scope,
}

/// A tenant name discovery found but `mig` will not use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub database: String,
    pub reason: String,
}

/// `--public-only`, `--tenants-only`, `--tenant NAME`, `--cluster NAME`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub public_only: bool,
    pub tenants_only: bool,
    /// Only these tenants (and not the public database).
    pub tenants: Vec<String>,
    /// Only the databases on these clusters (`[clusters]`); none: all.
    pub clusters: Vec<String>,
}

impl Selection {
    pub fn wants_public(&self) -> bool {
        !self.tenants_only && self.tenants.is_empty()
    }

    pub fn wants_tenants(&self) -> bool {
        !self.public_only
    }

    /// Whether the run works on this cluster's databases.
    pub fn wants_cluster(&self, name: &str) -> bool {
        self.clusters.is_empty() || self.clusters.iter().any(|c| c == name)
    }
}

/// A `--collection` or `--tenant` that names nothing: the run would do
/// nothing and say "nothing to do", so it is an error, with the near misses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.lines())]
pub struct Unmatched {
    /// `--collection`, `--tenant`.
    pub flag: &'static str,
    /// Where the names were looked for: "no manifest declares it".
    pub looked: &'static str,
    /// Each name that matched nothing, with the known names closest to it.
    pub misses: Vec<(String, Vec<String>)>,
}

impl Unmatched {
    /// The names of `wanted` not in `known`, if any.
    pub fn check<'a>(
        flag: &'static str,
        looked: &'static str,
        wanted: &[String],
        known: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<(), Unmatched> {
        let misses: Vec<(String, Vec<String>)> = wanted
            .iter()
            .filter(|w| !known.clone().any(|k| k == w.as_str()))
            .map(|w| {
                let near = closest(w, known.clone()).into_iter().map(String::from);
                (w.clone(), near.collect())
            })
            .collect();
        if misses.is_empty() {
            Ok(())
        } else {
            Err(Unmatched {
                flag,
                looked,
                misses,
            })
        }
    }

    fn lines(&self) -> String {
        let lines: Vec<String> = self
            .misses
            .iter()
            .map(|(name, near)| {
                let hint = if near.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", near.join(", "))
                };
                format!("{} {name}: {}{hint}", self.flag, self.looked)
            })
            .collect();
        lines.join("\n")
    }
}

/// `--collection` names only collections the manifests declare.
pub fn check_collections(manifests: &Manifests, wanted: &[String]) -> Result<(), Unmatched> {
    let known = manifests
        .public
        .iter()
        .chain(&manifests.tenant)
        .map(|c| c.name.as_str());
    Unmatched::check(
        "--collection",
        "no manifest declares this collection; nothing was done",
        wanted,
        known,
    )
}

/// `--cluster` names only clusters of mig.toml's `[clusters]`.
pub fn check_clusters(settings: &Settings, wanted: &[String]) -> Result<(), Unmatched> {
    let looked = if settings.has_clusters() {
        "no such cluster in mig.toml's [clusters]; nothing was done"
    } else {
        "mig.toml has no [clusters] (one server, [connection]); nothing was done"
    };
    Unmatched::check(
        "--cluster",
        looked,
        wanted,
        settings.clusters.iter().map(|c| c.name.as_str()),
    )
}

/// Whether tenant databases are configured at all: a `[tenants]` section,
/// or a cluster's own `[clusters.NAME.tenants]`.
pub fn has_tenants(settings: &Settings) -> bool {
    settings.discovery != Discovery::None
        || settings
            .clusters
            .iter()
            .any(|c| c.discovery != Discovery::None)
}

/// Manifests of a scope that the configuration doesn't target would be
/// planned nowhere, and `plan` would say "nothing to do": one problem per such
/// scope, naming its files and the mig.toml section that is missing. A scope
/// the selection leaves out (`--tenants-only`, `--public-only`) is not asked for.
pub fn untargeted_scopes(
    settings: &Settings,
    manifests: &Manifests,
    selection: &Selection,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut check = |scope: Scope, targeted: bool, missing: &str| {
        if targeted || manifests.for_scope(scope).is_empty() {
            return;
        }
        let mut files: Vec<&std::path::Path> = Vec::new();
        for o in manifests.origins.iter().filter(|o| o.scope == scope) {
            if !files.contains(&o.file.as_path()) {
                files.push(&o.file);
            }
        }
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        problems.push(Problem {
            file: files
                .first()
                .map(|f| f.to_path_buf())
                .unwrap_or_else(|| settings.manifests.clone()),
            message: format!(
                "{scope} manifests ({}) but no {scope} database is configured, so they would apply nowhere: {missing}",
                names.join(", ")
            ),
            ..Default::default()
        });
    };
    check(
        Scope::Public,
        !selection.wants_public() || settings.public_database.is_some(),
        "add `[public] database = \"NAME\"` to mig.toml (or set MONGODB_PUBLIC_DATABASE, or pass --public-db), or run with --tenants-only",
    );
    check(
        Scope::Tenant,
        !selection.wants_tenants() || has_tenants(settings),
        "add a [tenants] section to mig.toml (source = \"list\", \"prefix\", \"regex\" or \"registry\"; `source = \"list\"` with `databases = []` says there are none yet), or run with --public-only",
    );
    problems
}

/// Drops reserved, invalid, excluded and duplicate names, saying why for
/// the ones a user would wonder about. Keeps the order found.
pub fn filter_tenants(
    candidates: Vec<String>,
    exclude: &[String],
    public: Option<&str>,
) -> (Vec<String>, Vec<Rejected>) {
    let mut kept: Vec<String> = Vec::new();
    let mut rejected = Vec::new();
    for name in candidates {
        let reason = if RESERVED.contains(&name.as_str()) {
            Some(format!(
                "{name:?} is a system database and is never a target"
            ))
        } else if let Err(why) = check_database_name(&name) {
            Some(why.to_string())
        } else if Some(name.as_str()) == public {
            Some(format!("{name:?} is the public database, not a tenant"))
        } else {
            None
        };
        match reason {
            Some(reason) => rejected.push(Rejected {
                database: name,
                reason,
            }),
            None if exclude.contains(&name) || kept.contains(&name) => {}
            None => kept.push(name),
        }
    }
    (kept, rejected)
}

#[cfg(test)]
mod tests;
