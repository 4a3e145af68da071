//! How a run over `[clusters]` finds its databases: every cluster
//! connected and its databases listed, concurrently; the tenants routed to
//! their cluster (`targets::routing`, checked before anything is written).

use super::fleet::{Conn, Fleet, Member, Unusable};
use super::{RunError, TargetReport};
use crate::config::{Discovery, Settings};
use crate::model::Scope;
use crate::server::{self, errors, inspect};
use crate::targets::routing::{self, Claims, Misrouted};
use crate::targets::{self, Discovered, Looked, Rejected, Selection, Target, Unmatched};
use bson::{doc, Document};

/// Connects to every cluster the run needs, at once: the selected ones,
/// and the public one when the registry is read there. Never fails: a
/// cluster that can't be used carries why.
pub(super) async fn connect(settings: &Settings, selection: &Selection) -> Vec<Member> {
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

/// Routes the targets to the clusters: the public database to its cluster,
/// each tenant to the cluster its registry entry (or its cluster's
/// discovery) names, when that agrees with where the databases are.
pub(super) async fn resolve(
    settings: &Settings,
    mut members: Vec<Member>,
    selection: &Selection,
) -> Result<Fleet, RunError> {
    super::check_selection(settings, selection)?;
    let mut targets: Vec<Vec<Target>> = vec![Vec::new(); members.len()];
    let position = |name: &str| members.iter().position(|m| m.name == name);
    if selection.wants_public() {
        if let (Some(db), Some(cluster)) = (&settings.public_database, &settings.public_cluster) {
            if let Some(i) = position(cluster).filter(|&i| members[i].selected) {
                targets[i].push(Target {
                    database: db.clone(),
                    scope: Scope::Public,
                });
            }
        }
    }
    let mut fleet = Fleet {
        named: true,
        ..Default::default()
    };
    if selection.wants_tenants() {
        let (claims, rejected, looked) = claims(settings, &mut members).await?;
        fleet.rejected = rejected;
        fleet.discovery = looked;
        let names: Vec<String> = settings.clusters.iter().map(|c| c.name.clone()).collect();
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
/// with a prefix or regex) is failed.
async fn claims(
    settings: &Settings,
    members: &mut [Member],
) -> Result<(Claims, Vec<Rejected>, Option<Looked>), RunError> {
    if let Discovery::Registry { collection, .. } = &settings.discovery {
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
        let explain = |e: mongodb::error::Error| RunError::Discovery(errors::explain(&e));
        let (entries, why) = targets::read_registry(&conn.client, settings)
            .await
            .map_err(explain)?;
        let mut looked = Looked::start(settings);
        if let Some(public) = &settings.public_database {
            let all = conn
                .client
                .database(public)
                .collection::<Document>(collection)
                .count_documents(doc! {})
                .await
                .map_err(explain)?;
            looked.read = usize::try_from(all).unwrap_or(usize::MAX);
        }
        looked.matched = Some(entries.len() + why.len());
        let names = entries.iter().map(|e| e.database.clone()).collect();
        let found = Discovered::from(settings, looked, names, why);
        let entries = entries
            .into_iter()
            .filter(|e| found.tenants.contains(&e.database))
            .collect();
        return Ok((
            Claims::Registry(entries),
            found.rejected,
            Some(found.looked),
        ));
    }
    let mut lists = Vec::new();
    let mut rejected = Vec::new();
    let mut each = Vec::new();
    let mut complete = true;
    for m in members.iter_mut() {
        let mut looked = Looked::start(&m.settings);
        let found = match (&m.settings.discovery, &m.conn) {
            (Discovery::None, _) => continue,
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
#[path = "clusters_tests.rs"]
mod tests;
