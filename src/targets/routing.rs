//! Which cluster each tenant database lives on. Pure: the run reads the
//! registry (or each cluster's discovery) and each cluster's
//! `listDatabases`; [`route`] decides, before anything is written, which
//! tenants go to which cluster and which are refused, and why.
//!
//! A tenant is routed to the cluster its claim names when the database
//! exists there, or exists nowhere yet (a new tenant). It is refused when
//! the registry names no cluster or one mig.toml doesn't have, when entries
//! disagree, when the database exists on two clusters (or two clusters'
//! discovery claim it), or when it exists on another cluster than the one
//! claimed. A refused tenant is not touched on any cluster.

use std::collections::BTreeMap;
use std::fmt;

/// One registry entry: its tenant database and the cluster it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub database: String,
    pub cluster: Placement,
    /// Which entry, for messages: `chat_public.client_configs _id 7`.
    pub entry: String,
}

/// What a registry entry says of its tenant's cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// No `cluster_field` (one cluster: every tenant is there).
    Unsaid,
    /// The cluster its `cluster_field` names.
    Cluster(String),
    /// Its `cluster_field` is missing or not a string: why.
    Invalid(String),
}

/// What says where a tenant lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claims {
    /// The registry, one entry per tenant.
    Registry(Vec<Entry>),
    /// Each cluster's own discovery: the cluster and the tenants it found (or lists).
    PerCluster(Vec<(String, Vec<String>)>),
}

/// Why a tenant is not routed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Misrouted {
    /// The registry entry names no cluster (missing field, not a string).
    NoCluster(String),
    /// The registry names a cluster mig.toml doesn't have.
    UnknownCluster { cluster: String, known: Vec<String> },
    /// Registry entries name different clusters for it.
    Conflicting(Vec<String>),
    /// The database exists on (or is claimed by) several clusters.
    OnSeveral(Vec<String>),
    /// Claimed for one cluster, found on another (and not there).
    Elsewhere { claimed: String, found: String },
}

impl fmt::Display for Misrouted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misrouted::NoCluster(why) => write!(f, "{why}: its cluster is unknown"),
            Misrouted::UnknownCluster { cluster, known } => write!(
                f,
                "the registry puts it on cluster {cluster:?}, which mig.toml's [clusters] doesn't have ({})",
                known.join(", ")
            ),
            Misrouted::Conflicting(clusters) => write!(
                f,
                "registry entries put it on different clusters ({})",
                clusters.join(", ")
            ),
            Misrouted::OnSeveral(clusters) => {
                write!(f, "it is on several clusters ({})", clusters.join(", "))
            }
            Misrouted::Elsewhere { claimed, found } => write!(
                f,
                "it should be on cluster {claimed} but is on cluster {found}"
            ),
        }
    }
}

/// A tenant refused, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub database: String,
    pub why: Misrouted,
}

/// The decision: each cluster's tenants, and the tenants refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routing {
    /// Per cluster, in the order of `clusters`, its tenant databases by name.
    pub routed: Vec<(String, Vec<String>)>,
    /// By name.
    pub refused: Vec<Refused>,
}

impl Routing {
    /// The tenants routed to `cluster`.
    pub fn on(&self, cluster: &str) -> &[String] {
        self.routed
            .iter()
            .find(|(c, _)| c == cluster)
            .map_or(&[], |(_, dbs)| dbs.as_slice())
    }
}

/// Routes the claimed tenants. `clusters`: every cluster of mig.toml, in
/// order; `present`: the databases on each cluster that answered
/// `listDatabases` (a cluster that did not answer is not in it: what is on
/// it can't be checked, and its claimed tenants fail when they are reached).
pub fn route(clusters: &[String], claims: &Claims, present: &[(String, Vec<String>)]) -> Routing {
    // Where each database is.
    let mut found: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for cluster in clusters {
        let listed = present.iter().find(|(c, _)| c == cluster);
        for db in listed.into_iter().flat_map(|(_, dbs)| dbs) {
            found.entry(db).or_default().push(cluster);
        }
    }
    // What is claimed for each database: the clusters, or why none can be.
    let mut claimed: BTreeMap<&str, Result<Vec<&str>, Misrouted>> = BTreeMap::new();
    fn add<'a>(
        claimed: &mut BTreeMap<&'a str, Result<Vec<&'a str>, Misrouted>>,
        db: &'a str,
        cluster: Result<&'a str, Misrouted>,
    ) {
        let slot = claimed.entry(db).or_insert_with(|| Ok(Vec::new()));
        match (slot, cluster) {
            (Err(_), _) => {}
            (slot @ Ok(_), Err(why)) => *slot = Err(why),
            (Ok(list), Ok(c)) => {
                if !list.contains(&c) {
                    list.push(c);
                }
            }
        }
    }
    match claims {
        Claims::Registry(entries) => {
            for e in entries {
                let cluster = match &e.cluster {
                    // Without a cluster field there is one cluster.
                    Placement::Unsaid => clusters
                        .first()
                        .map(String::as_str)
                        .ok_or_else(|| Misrouted::NoCluster(e.entry.clone())),
                    Placement::Invalid(why) => Err(Misrouted::NoCluster(why.clone())),
                    Placement::Cluster(c) => match clusters.iter().find(|k| *k == c) {
                        Some(known) => Ok(known.as_str()),
                        None => Err(Misrouted::UnknownCluster {
                            cluster: c.clone(),
                            known: clusters.to_vec(),
                        }),
                    },
                };
                add(&mut claimed, e.database.as_str(), cluster);
            }
        }
        Claims::PerCluster(lists) => {
            for cluster in clusters {
                let list = lists.iter().filter(|(c, _)| c == cluster);
                for db in list.flat_map(|(_, dbs)| dbs) {
                    add(&mut claimed, db.as_str(), Ok(cluster.as_str()));
                }
            }
        }
    }
    let registry = matches!(claims, Claims::Registry(_));
    let mut routing = Routing {
        routed: clusters.iter().map(|c| (c.clone(), Vec::new())).collect(),
        refused: Vec::new(),
    };
    for (db, claim) in claimed {
        let owned = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let on: &[&str] = found.get(db).map_or(&[], Vec::as_slice);
        let decision = match claim {
            Err(why) => Err(why),
            Ok(list) if list.len() > 1 && registry => Err(Misrouted::Conflicting(owned(&list))),
            Ok(list) if list.len() > 1 => {
                // Claimed by several clusters: name every cluster it is on or claimed by.
                let mut all = owned(on);
                for c in owned(&list) {
                    if !all.contains(&c) {
                        all.push(c);
                    }
                }
                all.sort_by_key(|c| clusters.iter().position(|k| k == c));
                Err(Misrouted::OnSeveral(all))
            }
            Ok(list) => {
                let cluster = list[0];
                match on {
                    [] => Ok(cluster),
                    [only] if *only == cluster => Ok(cluster),
                    [only] => Err(Misrouted::Elsewhere {
                        claimed: cluster.to_string(),
                        found: only.to_string(),
                    }),
                    several => Err(Misrouted::OnSeveral(owned(several))),
                }
            }
        };
        match decision {
            Ok(cluster) => {
                if let Some((_, dbs)) = routing.routed.iter_mut().find(|(c, _)| c == cluster) {
                    dbs.push(db.to_string());
                }
            }
            Err(why) => routing.refused.push(Refused {
                database: db.to_string(),
                why,
            }),
        }
    }
    routing
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
