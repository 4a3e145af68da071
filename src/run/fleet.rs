//! A run over a fleet: one server, or every cluster of `[clusters]`, run
//! the same way. The fleet is opened (each cluster connected and its
//! databases listed, the tenants found and routed: `open`, `clusters`), then
//! every cluster runs at once, each with its own client, its own catalog
//! read and its own concurrency, through the same per-database run. The
//! reports are handed on grouped by cluster, in mig.toml's order (a
//! cluster's reports wait until the clusters before it are done). A cluster
//! that can't be reached, refuses the credentials or goes away midway fails
//! only its own databases, saying why. One server is a fleet of one cluster
//! without a name: its reports carry none.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::channel::mpsc;
use futures::StreamExt;
use mongodb::Client;

use super::{Context, DatabaseError, Migrations, RunError, RunOptions, SkipReason, TargetReport};
use crate::config::Settings;
use crate::manifest::Manifests;
use crate::model::Scope;
use crate::plan::saved::SavedPlan;
use crate::progress::Progress;
use crate::redact::redact_uri;
use crate::server::bookkeeping::lock::LockOptions;
use crate::server::inspect::{ReadPath, ServerInfo};
use crate::targets::{Looked, Rejected, Target};

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
    pub(super) conn: Result<Conn, Unusable>,
}

/// Why a cluster (or its list of databases) can't be used, in words.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub(super) String);

pub(super) struct Conn {
    pub(super) client: Client,
    pub(super) server: ServerInfo,
    /// Its databases (`listDatabases`), or why they could not be listed.
    pub(super) listed: Result<Vec<String>, Unusable>,
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
#[derive(Default)]
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
    /// How tenant discovery went, on one server (`None`: the run wants no
    /// tenants, or the fleet is `[clusters]`).
    pub discovery: Option<Looked>,
    /// `[clusters]`: its members are named in reports; one server's is not.
    pub named: bool,
}

/// A cluster of the run, for a command that reads its databases itself.
pub struct Reachable<'a> {
    pub settings: &'a Settings,
    pub conn: Result<(&'a Client, &'a ServerInfo), &'a Unusable>,
    pub targets: &'a [Target],
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

impl Work {
    /// The same work with no canaries: each phase of a canary rollout.
    fn without_canary(self) -> Work {
        match self {
            Work::Run(o) => Work::Run(RunOptions { canary: 0, ..o }),
            Work::Saved(s, o) => Work::Saved(s, RunOptions { canary: 0, ..o }),
            down => down,
        }
    }
}

impl Fleet {
    /// Each selected cluster (one server: the one) as the commands that
    /// read each database themselves see it (`pull`, `lint --live`): its
    /// client and server, or why it can't be used, with its settings and
    /// its targets, in mig.toml's order. The tenants the routing refused
    /// are in `refused`.
    pub fn reachable(&self) -> impl Iterator<Item = Reachable<'_>> {
        self.members
            .iter()
            .zip(&self.targets)
            .filter(|(m, _)| m.selected)
            .map(|(m, targets)| Reachable {
                settings: &m.settings,
                conn: m.conn.as_ref().map(|c| (&c.client, &c.server)),
                targets,
            })
    }

    /// Every target, for the progress display.
    pub fn len(&self) -> usize {
        self.targets.iter().map(Vec::len).sum::<usize>() + self.refused.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the report says of each cluster the run works on (none, on one server).
    pub fn infos(&self) -> Vec<ClusterInfo> {
        self.members
            .iter()
            .filter(|m| m.selected && self.named)
            .map(Member::info)
            .collect()
    }

    /// The clusters the run works on that answered, each with its name
    /// (`None` on one server) and what its server is.
    pub fn servers(&self) -> impl Iterator<Item = (Option<&str>, &Client, &ServerInfo)> {
        self.members.iter().filter(|m| m.selected).filter_map(|m| {
            let conn = m.conn.as_ref().ok()?;
            let name = self.named.then_some(m.name.as_str());
            Some((name, &conn.client, &conn.server))
        })
    }

    /// How the fleet's indexes are read: by `$listCatalog` when every
    /// cluster that answered reads them so.
    pub fn read_path(&self) -> Option<ReadPath> {
        let paths: Vec<ReadPath> = self.servers().map(|(_, _, s)| s.read_path).collect();
        if paths.is_empty() {
            None
        } else if paths.iter().all(|p| *p == ReadPath::Catalog) {
            Some(ReadPath::Catalog)
        } else {
            Some(ReadPath::ListIndexes)
        }
    }

    /// `--max-lag` (the flag's, or each cluster's own) needs the
    /// replication status: a cluster that won't say it refuses the run
    /// before any write, naming the cluster.
    pub async fn check_lag_readable(&self, options: &RunOptions) -> Result<(), RunError> {
        if options.apply.is_none() {
            return Ok(());
        }
        for m in self.members.iter().filter(|m| m.selected) {
            let Ok(conn) = &m.conn else { continue };
            if options.controls.with(&m.settings.rollout).max_lag.is_none() {
                continue;
            }
            if let Err(why) = crate::server::load::check_lag_readable(&conn.client).await {
                let cluster = self.named.then(|| m.name.clone());
                return Err(RunError::LagUnreadable { cluster, why });
            }
        }
        Ok(())
    }

    /// Runs `work` on every cluster at once and hands each database's report
    /// to `each`, stamped with its cluster: first the tenants the routing
    /// refused, then cluster by cluster in mig.toml's order. With
    /// `--canary N`, the public databases and N tenants first (`canaries`),
    /// the rest only when none of those failed.
    pub async fn run_each(
        &self,
        shared: &Shared,
        work: Work,
        each: &mut (dyn FnMut(TargetReport) + Send),
    ) {
        // A saved plan names its databases: those the routing refuses now
        // fail among them (`saved_targets`), the others are not its business.
        let targets = match &work {
            Work::Saved(saved, _) => self.saved_targets(saved, shared, each),
            _ => {
                for report in &self.refused {
                    if let Some(p) = &shared.progress {
                        p.database_done(&report.target.database, &report.brief(true));
                    }
                    each(report.clone());
                }
                self.targets.clone()
            }
        };
        let canary = match &work {
            Work::Run(o) | Work::Saved(_, o) if o.apply.is_some() => o.canary,
            _ => 0,
        };
        if canary == 0 {
            return self.each_cluster(shared, targets, work, each).await;
        }
        let (first, rest) = canaries(&targets, canary);
        let work = work.without_canary();
        let mut failed = false;
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
                    cluster: self.named.then(|| self.members[i].name.clone()),
                    ..TargetReport::skipping(target, SkipReason::CanaryFailed)
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
            // One server's plan names no cluster; `[clusters]`' names each.
            let at = match (self.named, t.cluster.as_deref()) {
                (false, None) => Some(0),
                (true, Some(c)) => self.members.iter().position(|m| m.name == c),
                _ => None,
            }
            .filter(|&i| self.targets[i].contains(&target));
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
                    let why = SkipReason::Elsewhere {
                        planned_on: t.cluster.clone(),
                        clusters: self.named,
                    };
                    let report = TargetReport {
                        cluster: t.cluster.clone(),
                        ..TargetReport::skipping(target, why)
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
                .runner(self.named)
                .run(shared.clone(), targets, work.clone(), tx);
            // Each cluster gives up on a server that is gone on its own.
            tasks.push(tokio::spawn(crate::server::retry::own_budget(run)));
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
    fn runner(&self, named: bool) -> Runner {
        Runner {
            name: named.then(|| self.name.clone()),
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
    /// Stamped on each report (`None`: one server).
    name: Option<String>,
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
            report.cluster.clone_from(&name);
            let _ = tx.unbounded_send(report);
        };
        let each: &mut (dyn FnMut(TargetReport) + Send) = &mut sink;
        let (client, server) = match &self.conn {
            Ok(conn) => conn,
            Err(why) => {
                let why = DatabaseError::from(RunError::Cluster {
                    cluster: self.name.clone().unwrap_or_default(),
                    why: why.to_string(),
                });
                if let Work::Run(o) | Work::Saved(_, o) = &work {
                    if o.on_error == super::OnError::Stop {
                        o.stop.store(true, Ordering::SeqCst);
                    }
                }
                for target in targets {
                    let report = TargetReport::failing(target, why.clone());
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
                        .filter(|t| t.cluster.as_deref() == self.name.as_deref())
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
#[path = "fleet_tests.rs"]
mod tests;
