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
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const CLUSTERS: &[&str] = &["main", "eu", "us"];

    fn entry(db: &str, cluster: Option<&str>) -> Entry {
        Entry {
            database: db.into(),
            cluster: match cluster {
                Some(c) => Placement::Cluster(c.into()),
                None => Placement::Invalid(format!("entry {db} has no \"region\"")),
            },
            entry: format!("pub.registry _id {db}"),
        }
    }

    fn present(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        v.iter()
            .map(|(c, dbs)| (c.to_string(), names(dbs)))
            .collect()
    }

    fn registry(entries: Vec<Entry>, on: &[(&str, &[&str])]) -> Routing {
        route(&names(CLUSTERS), &Claims::Registry(entries), &present(on))
    }

    fn per_cluster(claims: &[(&str, &[&str])], on: &[(&str, &[&str])]) -> Routing {
        let claims = claims
            .iter()
            .map(|(c, dbs)| (c.to_string(), names(dbs)))
            .collect();
        route(&names(CLUSTERS), &Claims::PerCluster(claims), &present(on))
    }

    fn refused(r: &Routing) -> Vec<(&str, &Misrouted)> {
        r.refused
            .iter()
            .map(|x| (x.database.as_str(), &x.why))
            .collect()
    }

    /// `t_a` alone is refused, its cluster unknown.
    fn no_cluster_for_t_a(r: &Routing) -> bool {
        matches!(refused(r)[..], [("t_a", Misrouted::NoCluster(_))])
    }

    #[test]
    fn the_registry_routes_each_tenant_to_its_cluster_new_tenants_too() {
        let r = registry(
            vec![
                entry("t_b", Some("eu")),
                entry("t_a", Some("main")),
                entry("t_new", Some("us")),
                entry("t_c", Some("eu")),
            ],
            &[
                ("main", &["t_a", "other"]),
                ("eu", &["t_b", "t_c"]),
                ("us", &[]),
            ],
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        assert_eq!(r.on("eu"), names(&["t_b", "t_c"]), "by name");
        assert_eq!(
            r.on("us"),
            names(&["t_new"]),
            "exists nowhere yet: a new tenant"
        );
        assert!(r.refused.is_empty());
        // Every cluster is listed, in mig.toml's order, with or without tenants.
        let order: Vec<&str> = r.routed.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(order, CLUSTERS);
    }

    #[test]
    fn an_unknown_or_missing_cluster_is_refused_by_name_and_the_rest_go_on() {
        let r = registry(
            vec![
                entry("t_a", Some("main")),
                entry("t_x", Some("apac")),
                entry("t_y", None),
            ],
            &[("main", &["t_a", "t_x"]), ("eu", &[])],
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        assert_eq!(
            refused(&r),
            vec![
                (
                    "t_x",
                    &Misrouted::UnknownCluster {
                        cluster: "apac".into(),
                        known: names(CLUSTERS)
                    }
                ),
                (
                    "t_y",
                    &Misrouted::NoCluster("entry t_y has no \"region\"".into())
                ),
            ]
        );
        let text = r.refused[0].why.to_string();
        assert!(
            text.contains("\"apac\"") && text.contains("main, eu, us"),
            "{text}"
        );
        assert!(r.refused[1].why.to_string().contains("region"));
    }

    #[test]
    fn a_database_on_two_clusters_is_refused_whatever_the_registry_says() {
        let r = registry(
            vec![entry("t_a", Some("main")), entry("t_b", Some("eu"))],
            &[
                ("main", &["t_a", "t_b"]),
                ("eu", &["t_b"]),
                ("us", &["t_b"]),
            ],
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        assert!(r.on("eu").is_empty());
        assert_eq!(
            refused(&r),
            vec![("t_b", &Misrouted::OnSeveral(names(&["main", "eu", "us"])))]
        );
    }

    #[test]
    fn a_database_on_another_cluster_than_the_registry_says_is_refused() {
        let r = registry(
            vec![entry("t_a", Some("eu"))],
            &[("main", &["t_a"]), ("eu", &[])],
        );
        assert_eq!(
            refused(&r),
            vec![(
                "t_a",
                &Misrouted::Elsewhere {
                    claimed: "eu".into(),
                    found: "main".into()
                }
            )]
        );
        assert!(r.routed.iter().all(|(_, dbs)| dbs.is_empty()));
        assert_eq!(
            r.refused[0].why.to_string(),
            "it should be on cluster eu but is on cluster main"
        );
    }

    #[test]
    fn registry_entries_that_disagree_refuse_the_tenant_and_repeats_are_one() {
        let r = registry(
            vec![
                entry("t_a", Some("main")),
                entry("t_a", Some("eu")),
                entry("t_b", Some("eu")),
                entry("t_b", Some("eu")),
            ],
            &[],
        );
        assert_eq!(
            refused(&r),
            vec![("t_a", &Misrouted::Conflicting(names(&["main", "eu"])))]
        );
        assert_eq!(r.on("eu"), names(&["t_b"]));
        // A bad entry beside a good one still refuses the tenant.
        let r = registry(vec![entry("t_a", Some("main")), entry("t_a", None)], &[]);
        assert!(no_cluster_for_t_a(&r), "{r:?}");
        let r = registry(vec![entry("t_a", None), entry("t_a", Some("main"))], &[]);
        assert!(no_cluster_for_t_a(&r), "{r:?}");
    }

    #[test]
    fn a_cluster_that_did_not_answer_is_not_checked_and_keeps_its_tenants() {
        // eu is down: its tenant is routed there (and fails when reached);
        // a main tenant can't be checked against eu.
        let r = registry(
            vec![entry("t_a", Some("main")), entry("t_b", Some("eu"))],
            &[("main", &["t_a"])],
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        assert_eq!(r.on("eu"), names(&["t_b"]));
        assert!(r.refused.is_empty());
    }

    #[test]
    fn without_a_cluster_field_there_is_one_cluster() {
        let one = names(&["main"]);
        let e = Entry {
            database: "t_a".into(),
            cluster: Placement::Unsaid,
            entry: "x".into(),
        };
        let r = route(
            &one,
            &Claims::Registry(vec![e.clone()]),
            &present(&[("main", &[])]),
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        let r = route(&[], &Claims::Registry(vec![e]), &[]);
        assert!(no_cluster_for_t_a(&r), "{r:?}");
    }

    #[test]
    fn per_cluster_discovery_routes_to_the_cluster_that_found_the_tenant() {
        let r = per_cluster(
            &[("main", &["t_a", "t_b"]), ("eu", &["t_c"])],
            &[("main", &["t_a", "t_b"]), ("eu", &["t_c"])],
        );
        assert_eq!(r.on("main"), names(&["t_a", "t_b"]));
        assert_eq!(r.on("eu"), names(&["t_c"]));
        assert!(r.on("us").is_empty());
        assert!(r.refused.is_empty());
        // A listed tenant that exists nowhere yet is new on its cluster.
        let r = per_cluster(&[("us", &["t_new"])], &[("us", &[])]);
        assert_eq!(r.on("us"), names(&["t_new"]));
    }

    #[test]
    fn per_cluster_a_tenant_found_by_two_clusters_or_present_on_another_is_refused() {
        // Both prefixes match it.
        let r = per_cluster(
            &[("main", &["t_a", "t_b"]), ("eu", &["t_b"])],
            &[("main", &["t_a", "t_b"]), ("eu", &["t_b"])],
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        assert_eq!(
            refused(&r),
            vec![("t_b", &Misrouted::OnSeveral(names(&["main", "eu"])))]
        );
        // Found by main's discovery, also on us (whose discovery doesn't match it).
        let r = per_cluster(
            &[("main", &["t_a"])],
            &[("main", &["t_a"]), ("us", &["t_a"])],
        );
        assert_eq!(
            refused(&r),
            vec![("t_a", &Misrouted::OnSeveral(names(&["main", "us"])))]
        );
        // Listed for eu, present only on main.
        let r = per_cluster(&[("eu", &["t_a"])], &[("main", &["t_a"]), ("eu", &[])]);
        assert_eq!(
            refused(&r),
            vec![(
                "t_a",
                &Misrouted::Elsewhere {
                    claimed: "eu".into(),
                    found: "main".into()
                }
            )]
        );
        // Two lists name it, and it exists nowhere: still refused, naming both.
        let r = per_cluster(&[("us", &["t_z"]), ("main", &["t_z"])], &[]);
        assert_eq!(
            refused(&r),
            vec![("t_z", &Misrouted::OnSeveral(names(&["main", "us"])))]
        );
    }

    #[test]
    fn databases_nobody_claims_are_not_tenants() {
        let r = per_cluster(
            &[("main", &["t_a"])],
            &[("main", &["t_a", "x"]), ("eu", &["x"])],
        );
        assert_eq!(r.on("main"), names(&["t_a"]));
        assert!(
            r.refused.is_empty(),
            "x is on two clusters but no tenant: {r:?}"
        );
    }

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            Misrouted::OnSeveral(names(&["main", "eu"])).to_string(),
            "it is on several clusters (main, eu)"
        );
        assert_eq!(
            Misrouted::Conflicting(names(&["main", "eu"])).to_string(),
            "registry entries put it on different clusters (main, eu)"
        );
    }
}
