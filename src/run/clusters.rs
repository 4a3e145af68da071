//! One run over several clusters (`[clusters]` in mig.toml). Each cluster is
//! connected and its databases listed, concurrently; the tenants are routed
//! to their cluster (`targets::routing`, checked before anything is
//! written); then every cluster runs at once, each with its own client, its
//! own catalog read and its own concurrency, through the same per-database
//! run as one server. The reports are handed on grouped by cluster, in
//! mig.toml's order (a cluster's reports wait until the clusters before it
//! are done). A cluster that can't be reached, refuses the credentials or
//! goes away midway fails only its own databases, saying why.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::channel::mpsc;
use futures::StreamExt;
use mongodb::Client;

use super::{Context, Migrations, RunError, RunOptions, TargetReport};
use crate::config::{Discovery, Settings};
use crate::manifest::Manifests;
use crate::model::Scope;
use crate::plan::saved::SavedPlan;
use crate::progress::Progress;
use crate::redact::redact_uri;
use crate::server::bookkeeping::lock::LockOptions;
use crate::server::inspect::{self, ReadPath, ServerInfo};
use crate::server::{self, errors};
use crate::targets::routing::{self, Claims, Misrouted};
use crate::targets::{self, Rejected, Selection, Target, Unmatched};

/// What a report says of a cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterInfo {
    pub name: String,
    /// Redacted.
    pub uri: String,
    /// Why the cluster could not be used at all (not reached, credentials
    /// refused, its tenants not found); its databases fail with it.
    pub error: Option<String>,
    /// How its live indexes are read, when it answered.
    pub read_path: Option<ReadPath>,
    /// Reached through `mongos`.
    pub mongos: bool,
}

/// A cluster the run contacted.
pub struct Member {
    pub name: String,
    /// This cluster's settings: its URI, concurrency and discovery.
    pub settings: Settings,
    /// Whether the run works on its databases (`--cluster`); a cluster can
    /// be contacted only to read the registry.
    pub selected: bool,
    conn: Result<Conn, Unusable>,
}

/// Why a cluster (or its list of databases) can't be used, in words.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(String);

struct Conn {
    client: Client,
    server: ServerInfo,
    /// Its databases (`listDatabases`), or why they could not be listed.
    listed: Result<Vec<String>, Unusable>,
}

impl Member {
    pub fn info(&self) -> ClusterInfo {
        let (read_path, mongos) = match &self.conn {
            Ok(c) => (Some(c.server.read_path), c.server.mongos),
            Err(_) => (None, false),
        };
        ClusterInfo {
            name: self.name.clone(),
            uri: redact_uri(&self.settings.uri),
            error: self.conn.as_ref().err().map(|e| e.0.clone()),
            read_path,
            mongos,
        }
    }

    /// The server it answered as.
    pub fn server(&self) -> Option<&ServerInfo> {
        self.conn.as_ref().ok().map(|c| &c.server)
    }

    /// Fails the whole cluster (a dev server of another version, say).
    pub fn fail(&mut self, why: String) {
        self.conn = Err(Unusable(why));
    }
}

/// The clusters of a run and which databases are on each, routed.
pub struct Fleet {
    /// The clusters contacted, in mig.toml's order.
    pub members: Vec<Member>,
    /// Per member (same index), its targets: the public database first,
    /// then its tenants by name. Empty for a member not selected.
    pub targets: Vec<Vec<Target>>,
    /// Tenants the routing refused: failed, touched nowhere.
    pub refused: Vec<TargetReport>,
    /// Names discovery found but `mig` will not use.
    pub rejected: Vec<Rejected>,
}

/// What every cluster of a run shares. Each cluster runs as a task of its
/// own (on its own worker thread, when one is free), so what they share is
/// owned and shared by reference count.
#[derive(Clone)]
pub struct Shared {
    pub manifests: Arc<Manifests>,
    pub progress: Option<Arc<Progress>>,
    pub migrations: Option<Arc<Migrations>>,
}

/// What a run does on each cluster.
#[derive(Clone)]
pub enum Work {
    /// Plan (and, with `apply`, apply) the live state.
    Run(RunOptions),
    /// Apply a saved plan, each database on the cluster it was planned on.
    Saved(Arc<SavedPlan>, RunOptions),
    /// `mig down` (without a lock: what it would revert).
    Down {
        to: Option<String>,
        lock: Option<LockOptions>,
    },
}

/// Connects to every cluster the run needs, at once: the selected ones,
/// and the public one when the registry is read there. Never fails: a
/// cluster that can't be used carries why.
pub async fn connect(settings: &Settings, selection: &Selection) -> Vec<Member> {
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
pub async fn resolve(
    settings: &Settings,
    mut members: Vec<Member>,
    selection: &Selection,
) -> Result<Fleet, RunError> {
    let mut targets: Vec<Vec<Target>> = vec![Vec::new(); members.len()];
    let position = |name: &str| members.iter().position(|m| m.name == name);
    if selection.wants_public() {
        match (&settings.public_database, &settings.public_cluster) {
            (Some(db), Some(cluster)) => {
                if let Some(i) = position(cluster).filter(|&i| members[i].selected) {
                    targets[i].push(Target {
                        database: db.clone(),
                        scope: Scope::Public,
                    });
                }
            }
            (None, _) if selection.public_only => return Err(RunError::NoPublicDatabase),
            _ => {}
        }
    }
    let mut fleet = Fleet {
        members: Vec::new(),
        targets: Vec::new(),
        refused: Vec::new(),
        rejected: Vec::new(),
    };
    if selection.wants_tenants() {
        if !targets::has_tenants(settings)
            && (selection.tenants_only || !selection.tenants.is_empty())
        {
            return Err(RunError::NoDiscovery);
        }
        let (claims, rejected) = claims(settings, &mut members).await?;
        fleet.rejected = rejected;
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
            .map(|r| TargetReport {
                error: Some(RunError::Misrouted(r.why).to_string()),
                ..TargetReport::new(Target {
                    database: r.database,
                    scope: Scope::Tenant,
                })
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
/// cluster's own discovery finds. A cluster whose tenants can't be found
/// (down, or its databases not listed, with a prefix or regex) is failed.
async fn claims(
    settings: &Settings,
    members: &mut [Member],
) -> Result<(Claims, Vec<Rejected>), RunError> {
    let public = settings.public_database.as_deref();
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
        let (entries, mut rejected) = targets::read_registry(&conn.client, settings)
            .await
            .map_err(|e| RunError::Discovery(errors::explain(&e)))?;
        let names = entries.iter().map(|e| e.database.clone()).collect();
        let (kept, more) = targets::filter_tenants(names, &settings.exclude, public);
        rejected.extend(more);
        let entries = entries
            .into_iter()
            .filter(|e| kept.contains(&e.database))
            .collect();
        return Ok((Claims::Registry(entries), rejected));
    }
    let mut lists = Vec::new();
    let mut rejected = Vec::new();
    for m in members.iter_mut() {
        let found = match (&m.settings.discovery, &m.conn) {
            (Discovery::None, _) => continue,
            (Discovery::List(names), _) => names.clone(),
            (discovery, Ok(conn)) => match &conn.listed {
                Ok(listed) => targets::matching(discovery, listed.clone()),
                Err(why) => {
                    let why = format!("its tenants could not be found: {why}");
                    m.fail(why);
                    continue;
                }
            },
            // Down: its tenants are unknown; the cluster fails with why.
            (_, Err(_)) => continue,
        };
        let (kept, more) = targets::filter_tenants(found, &settings.exclude, public);
        rejected.extend(more);
        lists.push((m.name.clone(), kept));
    }
    Ok((Claims::PerCluster(lists), rejected))
}

impl Fleet {
    /// Every target, for the progress display.
    pub fn len(&self) -> usize {
        self.targets.iter().map(Vec::len).sum::<usize>() + self.refused.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the report says of each cluster the run works on.
    pub fn infos(&self) -> Vec<ClusterInfo> {
        self.members
            .iter()
            .filter(|m| m.selected)
            .map(Member::info)
            .collect()
    }

    /// How the fleet's indexes are read: by `$listCatalog` when every
    /// cluster that answered reads them so.
    pub fn read_path(&self) -> Option<ReadPath> {
        let paths: Vec<ReadPath> = self
            .members
            .iter()
            .filter(|m| m.selected)
            .filter_map(|m| m.server().map(|s| s.read_path))
            .collect();
        if paths.is_empty() {
            None
        } else if paths.iter().all(|p| *p == ReadPath::Catalog) {
            Some(ReadPath::Catalog)
        } else {
            Some(ReadPath::ListIndexes)
        }
    }

    /// Runs `work` on every cluster at once and hands each database's report
    /// to `each`, stamped with its cluster: first the tenants the routing
    /// refused, then cluster by cluster in mig.toml's order.
    pub async fn run_each(
        &self,
        shared: &Shared,
        work: Work,
        each: &mut (dyn FnMut(TargetReport) + Send),
    ) {
        // A saved plan names its databases: those the routing refuses now
        // fail among them (`saved_targets`), the others are not its business.
        if !matches!(work, Work::Saved(..)) {
            for report in &self.refused {
                if let Some(p) = &shared.progress {
                    p.database_done(&report.target.database, &report.brief(true));
                }
                each(report.clone());
            }
        }
        match work {
            Work::Run(options) if options.apply.is_some() && options.canary > 0 => {
                self.canary_first(shared, &options, each).await
            }
            Work::Saved(saved, options) => {
                let targets = self.saved_targets(&saved, shared, each);
                self.each_cluster(shared, targets, Work::Saved(saved, options), each)
                    .await
            }
            work => {
                self.each_cluster(shared, self.targets.clone(), work, each)
                    .await
            }
        }
    }

    /// `--canary N` over the clusters: the public database and N tenants
    /// taken in turn from each cluster first, then, if none failed, the rest.
    async fn canary_first(
        &self,
        shared: &Shared,
        options: &RunOptions,
        each: &mut (dyn FnMut(TargetReport) + Send),
    ) {
        let (first, rest) = canaries(&self.targets, options.canary);
        let plain = RunOptions {
            canary: 0,
            ..options.clone()
        };
        let mut failed = false;
        let work = Work::Run(plain);
        self.each_cluster(shared, first, work.clone(), &mut |r| {
            failed |= r.failed();
            each(r)
        })
        .await;
        if !failed {
            return self.each_cluster(shared, rest, work, each).await;
        }
        for (i, targets) in rest.into_iter().enumerate() {
            for target in targets {
                each(TargetReport {
                    cluster: Some(self.members[i].name.clone()),
                    skipped: Some("not started: a canary database failed".into()),
                    ..TargetReport::new(target)
                });
            }
        }
    }

    /// The saved plan's databases by the cluster they were planned on, where
    /// the routing still puts them there; the others fail now, saying why.
    fn saved_targets(
        &self,
        saved: &SavedPlan,
        shared: &Shared,
        each: &mut (dyn FnMut(TargetReport) + Send),
    ) -> Vec<Vec<Target>> {
        let mut out = vec![Vec::new(); self.members.len()];
        for t in &saved.targets {
            let target = Target {
                database: t.database.clone(),
                scope: t.scope,
            };
            let at = t.cluster.as_deref().and_then(|c| {
                let i = self.members.iter().position(|m| m.name == c)?;
                self.targets[i].contains(&target).then_some(i)
            });
            let refused = self.refused.iter().find(|r| r.target == target);
            match (at, refused) {
                (Some(i), _) => out[i].push(target),
                (None, Some(refused)) => {
                    if let Some(p) = &shared.progress {
                        p.database_done(&target.database, &refused.brief(true));
                    }
                    each(refused.clone());
                }
                (None, None) => {
                    let why = match &t.cluster {
                        None => "the plan was made without [clusters]; plan again".to_string(),
                        Some(c) => format!(
                            "planned on cluster {c}, where the routing no longer puts it (or \
                             the cluster is not part of this run); plan again"
                        ),
                    };
                    let report = TargetReport {
                        cluster: t.cluster.clone(),
                        skipped: Some(why),
                        ..TargetReport::new(target)
                    };
                    if let Some(p) = &shared.progress {
                        p.database_done(&report.target.database, &report.brief(true));
                    }
                    each(report);
                }
            }
        }
        out
    }

    /// Runs `work` on each cluster's `targets` at once, each cluster a task
    /// of its own; reports handed on cluster by cluster.
    async fn each_cluster(
        &self,
        shared: &Shared,
        targets: Vec<Vec<Target>>,
        work: Work,
        each: &mut (dyn FnMut(TargetReport) + Send),
    ) {
        let mut receivers = Vec::new();
        let mut tasks = Vec::new();
        for (member, targets) in self.members.iter().zip(targets) {
            let (tx, rx) = mpsc::unbounded();
            receivers.push(rx);
            if targets.is_empty() {
                continue;
            }
            let run = member
                .runner()
                .run(shared.clone(), targets, work.clone(), tx);
            tasks.push(tokio::spawn(run));
        }
        for mut rx in receivers {
            while let Some(report) = rx.next().await {
                each(report);
            }
        }
        for task in tasks {
            if let Err(e) = task.await {
                if e.is_panic() {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
    }
}

impl Member {
    /// What a cluster's task takes with it.
    fn runner(&self) -> Runner {
        Runner {
            name: self.name.clone(),
            settings: self.settings.clone(),
            conn: self
                .conn
                .as_ref()
                .map(|c| (c.client.clone(), c.server.clone()))
                .map_err(Clone::clone),
        }
    }
}

/// One cluster's run, owned, for a task of its own.
struct Runner {
    name: String,
    settings: Settings,
    conn: Result<(Client, ServerInfo), Unusable>,
}

impl Runner {
    /// Runs `work` on this cluster's `targets`, as on one server, each report
    /// sent to `tx` with the cluster's name; a cluster that can't be used
    /// fails each of them, saying why.
    async fn run(
        self,
        shared: Shared,
        targets: Vec<Target>,
        work: Work,
        tx: mpsc::UnboundedSender<TargetReport>,
    ) {
        let name = self.name.clone();
        let mut sink = move |mut report: TargetReport| {
            report.cluster = Some(name.clone());
            let _ = tx.unbounded_send(report);
        };
        let each: &mut (dyn FnMut(TargetReport) + Send) = &mut sink;
        let (client, server) = match &self.conn {
            Ok(conn) => conn,
            Err(why) => {
                let why = RunError::Cluster {
                    cluster: self.name.clone(),
                    why: why.to_string(),
                };
                if let Work::Run(o) | Work::Saved(_, o) = &work {
                    if o.on_error == super::OnError::Stop {
                        o.stop.store(true, Ordering::SeqCst);
                    }
                }
                for target in targets {
                    let report = TargetReport {
                        error: Some(why.to_string()),
                        ..TargetReport::new(target)
                    };
                    if let Some(p) = &shared.progress {
                        p.database_done(&report.target.database, &report.brief(true));
                    }
                    each(report);
                }
                return;
            }
        };
        let ctx = Context {
            client,
            settings: &self.settings,
            manifests: &shared.manifests,
            server,
            progress: shared.progress.as_deref(),
            migrations: shared.migrations.as_deref(),
        };
        match work {
            Work::Run(mut options) => {
                // The cluster's own release decides its comparison.
                options.plan.release =
                    crate::model::release::Release::of_server(&server.version).release;
                super::run_each(&ctx, targets, &options, each).await
            }
            Work::Saved(saved, options) => {
                let here = SavedPlan {
                    targets: saved
                        .targets
                        .iter()
                        .filter(|t| t.cluster.as_deref() == Some(self.name.as_str()))
                        .filter(|t| targets.iter().any(|x| x.database == t.database))
                        .cloned()
                        .collect(),
                    ..(*saved).clone()
                };
                super::apply_saved(&ctx, &here, &options, each).await
            }
            Work::Down { to, lock } => {
                let down = super::down(&ctx, targets, to.as_deref(), lock.as_ref());
                for report in down.await {
                    each(report);
                }
            }
        }
    }
}

/// The canaries of a rollout over clusters: each cluster's public database,
/// then `n` tenants taken in turn from each cluster (its first ones by
/// name); and the rest. Per cluster, like `targets`.
pub fn canaries(targets: &[Vec<Target>], n: usize) -> (Vec<Vec<Target>>, Vec<Vec<Target>>) {
    let mut first: Vec<Vec<Target>> = targets
        .iter()
        .map(|ts| {
            ts.iter()
                .filter(|t| t.scope == Scope::Public)
                .cloned()
                .collect()
        })
        .collect();
    let tenants: Vec<Vec<&Target>> = targets
        .iter()
        .map(|ts| ts.iter().filter(|t| t.scope == Scope::Tenant).collect())
        .collect();
    let mut taken = vec![0usize; targets.len()];
    let mut left = n;
    while left > 0 {
        let mut any = false;
        for (i, ts) in tenants.iter().enumerate() {
            if left > 0 && taken[i] < ts.len() {
                first[i].push(ts[taken[i]].clone());
                taken[i] += 1;
                left -= 1;
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    let rest = targets
        .iter()
        .zip(&first)
        .map(|(ts, f)| ts.iter().filter(|t| !f.contains(t)).cloned().collect())
        .collect();
    (first, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(public: bool, tenants: &[&str]) -> Vec<Target> {
        let mut out = Vec::new();
        if public {
            out.push(Target {
                database: "pub".into(),
                scope: Scope::Public,
            });
        }
        out.extend(tenants.iter().map(|t| Target {
            database: t.to_string(),
            scope: Scope::Tenant,
        }));
        out
    }

    fn names(groups: &[Vec<Target>]) -> Vec<Vec<&str>> {
        groups
            .iter()
            .map(|g| g.iter().map(|t| t.database.as_str()).collect())
            .collect()
    }

    #[test]
    fn canaries_are_taken_in_turn_across_clusters_after_the_public_database() {
        let targets = vec![
            group(true, &["a1", "a2", "a3"]),
            group(false, &["b1"]),
            group(false, &["c1", "c2"]),
        ];
        let (first, rest) = canaries(&targets, 4);
        assert_eq!(
            names(&first),
            [vec!["pub", "a1", "a2"], vec!["b1"], vec!["c1"]]
        );
        assert_eq!(names(&rest), [vec!["a3"], vec![], vec!["c2"]]);
        // More canaries than tenants: all of them, nothing left.
        let (first, rest) = canaries(&targets, 50);
        assert_eq!(first.iter().map(Vec::len).sum::<usize>(), 7);
        assert!(rest.iter().all(Vec::is_empty));
        // One canary: the first cluster's first tenant.
        let (first, _) = canaries(&targets, 1);
        assert_eq!(names(&first), [vec!["pub", "a1"], vec![], vec![]]);
    }

    #[test]
    fn with_cluster_a_refusal_about_other_clusters_is_theirs() {
        let selection = Selection {
            clusters: vec!["eu".into()],
            ..Default::default()
        };
        let selected = |c: &str| c == "eu";
        let elsewhere = |claimed: &str, found: &str| Misrouted::Elsewhere {
            claimed: claimed.into(),
            found: found.into(),
        };
        assert!(concerns(&elsewhere("eu", "main"), &selected, &selection));
        assert!(concerns(&elsewhere("main", "eu"), &selected, &selection));
        assert!(!concerns(&elsewhere("main", "us"), &selected, &selection));
        let several = Misrouted::OnSeveral(vec!["main".into(), "us".into()]);
        assert!(!concerns(&several, &selected, &selection));
        assert!(concerns(&several, &selected, &Selection::default()));
        assert!(concerns(
            &Misrouted::NoCluster("x".into()),
            &selected,
            &selection
        ));
    }
}
