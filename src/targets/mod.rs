//! Which databases a command works on: the public database and the tenant
//! databases that discovery finds, narrowed by the target-selection flags.

use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use mongodb::Client;

use crate::config::{Discovery, Settings};
use crate::diagnostics::Problem;
use crate::manifest::Manifests;
use crate::model::names::{check_database_name, closest};
use crate::model::Scope;

pub mod routing;

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

/// The value at a dotted path of a document (`billing.schema`).
pub fn get_path<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut value = doc.get(parts.next()?)?;
    for part in parts {
        value = value.as_document()?.get(part)?;
    }
    Some(value)
}

/// Finds the tenant databases the settings describe.
pub async fn discover(
    client: &Client,
    settings: &Settings,
) -> mongodb::error::Result<(Vec<String>, Vec<Rejected>)> {
    let public = settings.public_database.as_deref();
    let mut rejected = Vec::new();
    let candidates = match &settings.discovery {
        Discovery::None => Vec::new(),
        Discovery::List(names) => names.clone(),
        Discovery::Prefix(_) | Discovery::Regex(_) => {
            matching(&settings.discovery, client.list_database_names().await?)
        }
        Discovery::Registry { .. } => {
            let (entries, why) = read_registry(client, settings).await?;
            rejected = why;
            entries.into_iter().map(|e| e.database).collect()
        }
    };
    let (tenants, more) = filter_tenants(candidates, &settings.exclude, public);
    rejected.extend(more);
    Ok((tenants, rejected))
}

/// The databases of `listed` a prefix or regex discovery matches, sorted;
/// none for the other kinds.
pub fn matching(discovery: &Discovery, mut listed: Vec<String>) -> Vec<String> {
    match discovery {
        Discovery::Prefix(prefix) => listed.retain(|n| n.starts_with(prefix.as_str())),
        Discovery::Regex(pattern) => {
            let re = regex::Regex::new(pattern).expect("checked when the config was read");
            listed.retain(|n| re.is_match(n));
        }
        _ => listed.clear(),
    }
    listed.sort();
    listed
}

/// Reads the registry (`Discovery::Registry`) in the public database: each
/// entry's tenant database and, with a `cluster_field`, its cluster. An
/// entry without a database name is rejected, saying why.
pub async fn read_registry(
    client: &Client,
    settings: &Settings,
) -> mongodb::error::Result<(Vec<routing::Entry>, Vec<Rejected>)> {
    let Discovery::Registry {
        collection,
        field,
        filter,
        cluster_field,
    } = &settings.discovery
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let Some(public) = settings.public_database.as_deref() else {
        return Err(mongodb::error::Error::custom(
            "tenants.source = \"registry\" needs the public database ([public].database or MONGODB_PUBLIC_DATABASE)",
        ));
    };
    let mut projection = doc! { field.as_str(): 1 };
    if let Some(c) = cluster_field {
        projection.insert(c.as_str(), 1);
    }
    let mut cursor = client
        .database(public)
        .collection::<Document>(collection)
        .find(filter.clone())
        .projection(projection)
        .sort(doc! {"_id": 1})
        .await?;
    let (mut entries, mut rejected) = (Vec::new(), Vec::new());
    while let Some(entry) = cursor.try_next().await? {
        let label = format!(
            "{public}.{collection} _id {}",
            entry.get("_id").map(Bson::to_string).unwrap_or_default()
        );
        let database = match get_path(&entry, field) {
            Some(Bson::String(name)) => name.clone(),
            other => {
                rejected.push(Rejected {
                    database: label,
                    reason: match other {
                        None => format!("the registry entry has no {field:?} field"),
                        Some(v) => format!("{field:?} is not a string: {v}"),
                    },
                });
                continue;
            }
        };
        let cluster = match cluster_field.as_ref().map(|c| (c, get_path(&entry, c))) {
            None => routing::Placement::Unsaid,
            Some((_, Some(Bson::String(name)))) => routing::Placement::Cluster(name.clone()),
            Some((c, None)) => routing::Placement::Invalid(format!(
                "the registry entry ({label}) has no {c:?} field"
            )),
            Some((c, Some(v))) => routing::Placement::Invalid(format!(
                "the registry entry's {c:?} is not a string ({label}: {v})"
            )),
        };
        entries.push(routing::Entry {
            database,
            cluster,
            entry: label,
        });
    }
    Ok((entries, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reserved_invalid_excluded_and_public_names_are_not_targets() {
        let (kept, rejected) = filter_tenants(
            names(&[
                "tenant_a",
                "admin",
                "local",
                "config",
                "bad.name",
                "tenant_b",
                "tenant_sandbox",
                "chat_public",
                "tenant_a",
                "",
            ]),
            &names(&["tenant_sandbox"]),
            Some("chat_public"),
        );
        assert_eq!(kept, names(&["tenant_a", "tenant_b"]));
        let rejected: Vec<&str> = rejected.iter().map(|r| r.database.as_str()).collect();
        assert_eq!(
            rejected,
            vec!["admin", "local", "config", "bad.name", "chat_public", ""]
        );
    }

    #[test]
    fn database_names_follow_mongodb_rules() {
        assert!(check_database_name("tenant_42").is_ok());
        for bad in ["", "a/b", "a b", "a$b", "a.b", &"x".repeat(64)] {
            assert!(check_database_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn registry_fields_may_be_paths() {
        let d = doc! {"billing": {"schema": "t1"}, "schema": "t2"};
        assert_eq!(
            get_path(&d, "billing.schema"),
            Some(&Bson::String("t1".into()))
        );
        assert_eq!(get_path(&d, "schema"), Some(&Bson::String("t2".into())));
        assert_eq!(get_path(&d, "missing.x"), None);
    }

    #[test]
    fn selection_flags() {
        assert!(Selection::default().wants_public() && Selection::default().wants_tenants());
        let t = Selection {
            tenants: names(&["a"]),
            ..Default::default()
        };
        assert!(!t.wants_public() && t.wants_tenants());
        let p = Selection {
            public_only: true,
            ..Default::default()
        };
        assert!(p.wants_public() && !p.wants_tenants());
    }
}
