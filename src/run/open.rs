//! Opening a run's fleet, the same way for one server and for `[clusters]`
//! (one server is a fleet of one cluster without a name): every cluster the
//! run needs connected and its databases listed, concurrently; the tenants
//! found (the registry, or each cluster's own discovery) and routed to their
//! cluster (`targets::routing`, decided before anything is written).
//!
//! Where they differ, it is said here: one server that can't be used fails
//! the run at once, while a cluster that can't be used fails its own
//! databases later, not the run; a saved plan on one server names its
//! databases itself, while over clusters they are routed again.

use super::fleet::{Conn, Fleet, Member, Unusable};
use super::{RunError, TargetReport};
use crate::config::{Discovery, Settings};
use crate::model::Scope;
use crate::plan::saved::SavedPlan;
use crate::server::{self, errors, inspect};
use crate::targets::routing::{self, Claims, Misrouted};
use crate::targets::{self, Discovered, Looked, Rejected, Selection, Target, Unmatched};

/// Opens the run's fleet: connected, listed, its targets found and routed.
pub async fn open(
    settings: &Settings,
    selection: &Selection,
    saved: Option<&SavedPlan>,
) -> Result<Fleet, RunError> {
    check_selection(settings, selection)?;
    let named = settings.has_clusters();
    let members = match named {
        true => connect(settings, selection).await,
        false => vec![one(settings).await?],
    };
    if let (false, Some(saved)) = (named, saved) {
        // One server: a saved plan's databases are its own.
        let targets = saved.targets.iter().map(|t| Target {
            database: t.database.clone(),
            scope: t.scope,
        });
        return Ok(Fleet {
            members,
            targets: vec![targets.collect()],
            ..Default::default()
        });
    }
    let mut fleet = resolve(settings, members, selection, named).await?;
    // A saved plan's databases are its own: how discovery went (read only
    // to route them) is not its report's.
    if saved.is_some() {
        fleet.discovery = None;
    }
    Ok(fleet)
}

/// What a selection asks that the configuration can't give: only the public
/// database, with none configured; only tenants, or some by name, with no
/// discovery.
fn check_selection(settings: &Settings, selection: &Selection) -> Result<(), RunError> {
    if selection.public_only && settings.public_database.is_none() {
        return Err(RunError::NoPublicDatabase);
    }
    if selection.wants_tenants()
        && !targets::has_tenants(settings)
        && (selection.tenants_only || !selection.tenants.is_empty())
    {
        return Err(RunError::NoDiscovery);
    }
    Ok(())
}

/// One server, as the fleet's only member (no name): it must answer.
async fn one(settings: &Settings) -> Result<Member, RunError> {
    Ok(Member {
        name: String::new(),
        settings: settings.clone(),
        selected: true,
        conn: Ok(contact(settings).await?),
    })
}

/// Connects to every cluster the run needs, at once: the selected ones,
/// and the public one when the registry is read there. Never fails: a
/// cluster that can't be used carries why.
async fn connect(settings: &Settings, selection: &Selection) -> Vec<Member> {
    let registry = matches!(settings.discovery, Discovery::Registry { .. });
    let needed = settings.clusters.iter().filter_map(|c| {
        let selected = selection.wants_cluster(&c.name);
        let registry_here = registry
            && selection.wants_tenants()
            && settings.public_cluster.as_deref() == Some(c.name.as_str());
        (selected || registry_here).then_some((c, selected))
    });
    let members = needed.map(|(cluster, selected)| async move {
        let settings = settings.for_cluster(cluster);
        let conn = contact(&settings)
            .await
            .map_err(|e| Unusable(crate::redact::scrub(&e.to_string())));
        if let Err(why) = &conn {
            tracing::info!(cluster = %cluster.name, "cannot use the cluster: {why}");
        }
        Member {
            name: cluster.name.clone(),
            settings,
            selected,
            conn,
        }
    });
    futures::future::join_all(members).await
}

/// A server connected, what it is, and its databases.
async fn contact(settings: &Settings) -> Result<Conn, errors::ReadError> {
    let client = server::connect(settings).await?;
    let server = inspect::server_info(&client).await?;
    let listed = server::bounded(
        settings.socket_timeout,
        "listDatabases",
        client.list_database_names(),
    )
    .await
    .map_err(|e| Unusable(format!("cannot list its databases: {e}")));
    Ok(Conn {
        client,
        server,
        listed,
    })
}

/// Routes the targets to the members: the public database to its cluster
/// (one server: the server), each tenant to the cluster its registry entry
/// (or its cluster's discovery) names, when that agrees with where the
/// databases are. The public database first, then the tenants by name.
async fn resolve(
    settings: &Settings,
    mut members: Vec<Member>,
    selection: &Selection,
    named: bool,
) -> Result<Fleet, RunError> {
    let mut targets: Vec<Vec<Target>> = vec![Vec::new(); members.len()];
    if selection.wants_public() {
        let cluster = settings.public_cluster.as_deref().unwrap_or_default();
        let at = members.iter().position(|m| m.name == cluster);
        if let (Some(db), Some(i)) = (&settings.public_database, at) {
            if members[i].selected {
                targets[i].push(Target {
                    database: db.clone(),
                    scope: Scope::Public,
                });
            }
        }
    }
    let mut fleet = Fleet {
        named,
        ..Default::default()
    };
    if selection.wants_tenants() {
        let (claims, rejected, looked) = claims(settings, &mut members, named).await?;
        fleet.rejected = rejected;
        fleet.discovery = looked;
        let names: Vec<String> = match named {
            true => settings.clusters.iter().map(|c| c.name.clone()).collect(),
            false => vec![String::new()],
        };
        let present: Vec<(String, Vec<String>)> = members
            .iter()
            .filter_map(|m| {
                let listed = m.conn.as_ref().ok()?.listed.as_ref().ok()?;
                Some((m.name.clone(), listed.clone()))
            })
            .collect();
        let mut routing = routing::route(&names, &claims, &present);
        let selected = |c: &str| members.iter().any(|m| m.selected && m.name == c);
        let refused: Vec<_> = std::mem::take(&mut routing.refused)
            .into_iter()
            .filter(|r| concerns(&r.why, &selected, selection))
            .collect();
        let known = members
            .iter()
            .filter(|m| m.selected)
            .flat_map(|m| routing.on(&m.name))
            .chain(refused.iter().map(|r| &r.database));
        Unmatched::check(
            "--tenant",
            "not among the tenant databases discovery found; nothing was done",
            &selection.tenants,
            known.map(String::as_str),
        )?;
        let wanted = |db: &String| selection.tenants.is_empty() || selection.tenants.contains(db);
        for (i, m) in members.iter().enumerate().filter(|(_, m)| m.selected) {
            targets[i].extend(
                routing
                    .on(&m.name)
                    .iter()
                    .filter(|d| wanted(d))
                    .map(|d| Target {
                        database: d.clone(),
                        scope: Scope::Tenant,
                    }),
            );
        }
        fleet.refused = refused
            .into_iter()
            .filter(|r| wanted(&r.database))
            .map(|r| {
                let target = Target {
                    database: r.database,
                    scope: Scope::Tenant,
                };
                TargetReport::failing(target, RunError::Misrouted(r.why))
            })
            .collect();
    }
    fleet.members = members;
    fleet.targets = targets;
    Ok(fleet)
}

/// Whether a refusal concerns the clusters the run works on: with
/// `--cluster`, one about other clusters only is left to their runs.
fn concerns(why: &Misrouted, selected: &dyn Fn(&str) -> bool, selection: &Selection) -> bool {
    if selection.clusters.is_empty() {
        return true;
    }
    match why {
        Misrouted::NoCluster(_) | Misrouted::UnknownCluster { .. } => true,
        Misrouted::Conflicting(clusters) | Misrouted::OnSeveral(clusters) => {
            clusters.iter().any(|c| selected(c))
        }
        Misrouted::Elsewhere { claimed, found } => selected(claimed) || selected(found),
    }
}

/// What says where each tenant lives: the registry's entries, or what each
/// cluster's own discovery finds, and how discovery went (none when a
/// cluster's tenants could not be found: then nobody can say none were). A
/// cluster whose tenants can't be found (down, or its databases not listed,
/// with a prefix or regex) is failed; on one server (`!named`) the run is.
async fn claims(
    settings: &Settings,
    members: &mut [Member],
    named: bool,
) -> Result<(Claims, Vec<Rejected>, Option<Looked>), RunError> {
    if let Discovery::Registry { .. } = &settings.discovery {
        let cluster = settings.public_cluster.as_deref().unwrap_or_default();
        let member = members.iter().find(|m| m.name == cluster);
        let conn = match member.map(|m| &m.conn) {
            Some(Ok(conn)) => conn,
            Some(Err(why)) => {
                return Err(RunError::Discovery(format!(
                    "the registry is on cluster {cluster}, which could not be used: {why}"
                )))
            }
            None => return Err(RunError::Discovery(format!("no cluster {cluster}"))),
        };
        let (entries, found) = targets::registry(&conn.client, settings)
            .await
            .map_err(|e| RunError::Discovery(errors::explain(&e)))?;
        let looked = Some(found.looked);
        return Ok((Claims::Registry(entries), found.rejected, looked));
    }
    let mut lists = Vec::new();
    let mut rejected = Vec::new();
    let mut each = Vec::new();
    let mut complete = true;
    for m in members.iter_mut() {
        let mut looked = Looked::start(&m.settings);
        let found = match (&m.settings.discovery, &m.conn) {
            // One server says how discovery went even when there is none.
            (Discovery::None, _) if named => continue,
            (Discovery::None, _) => Vec::new(),
            (Discovery::List(names), _) => {
                looked.read = names.len();
                names.clone()
            }
            (discovery, Ok(conn)) => match &conn.listed {
                Ok(listed) => {
                    looked.read = listed.len();
                    let found = targets::matching(discovery, listed.clone());
                    looked.matched = Some(found.len());
                    found
                }
                Err(why) if !named => return Err(RunError::Discovery(why.to_string())),
                Err(why) => {
                    let why = format!("its tenants could not be found: {why}");
                    m.fail(why);
                    complete = false;
                    continue;
                }
            },
            // Down: its tenants are unknown; the cluster fails with why.
            (_, Err(_)) => {
                complete = false;
                continue;
            }
        };
        let found = Discovered::from(&m.settings, looked, found, Vec::new());
        rejected.extend(found.rejected);
        each.push((m.name.clone(), found.looked));
        lists.push((m.name.clone(), found.tenants));
    }
    let looked = Looked::over_clusters(each).filter(|_| complete);
    Ok((Claims::PerCluster(lists), rejected, looked))
}

#[cfg(test)]
#[path = "open_tests.rs"]
mod tests;
