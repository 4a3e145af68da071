//! What a run reports: per database and for the whole fleet.

use crate::diagnostics::Problem;
use crate::migrate::api::Entry;
use crate::plan::{Action, Change, DatabasePlan};
use crate::server::execute::Applied;
use crate::server::inspect::ReadPath;
use crate::targets::{Rejected, Target};

use super::{
    DatabaseError, DatabaseOutcome, Deferral, MigrationOutcome, MigrationStatus, SkipReason,
};

/// What happened to one database.
#[derive(Clone, Debug)]
pub struct TargetReport {
    pub target: Target,
    /// With `[clusters]`: the cluster the database is on (`None` when the
    /// routing refused it, or without clusters).
    pub cluster: Option<String>,
    pub plan: Option<DatabasePlan>,
    /// What the steps did, when the plan was applied.
    pub applied: Option<Applied>,
    /// How its run ended: planned, applied, deferred, skipped or failed.
    pub outcome: DatabaseOutcome,
    /// The collections read and the fingerprint of what was read (for saved plans).
    pub read: Option<(Vec<String>, String)>,
    /// Read again after its migrations, the database planned other index
    /// steps than those shown: that plan (not run; the next run's).
    pub replanned: Option<DatabasePlan>,
    /// Data migrations: pending (plan), run (apply) or reverted (down).
    pub migrations: Vec<MigrationOutcome>,
    /// The database's changelog, when it was read.
    pub changelog: Vec<Entry>,
    /// Things to know that are not failures (a changelog entry without a file).
    pub warnings: Vec<String>,
}

impl TargetReport {
    pub fn new(target: Target) -> TargetReport {
        TargetReport {
            target,
            cluster: None,
            plan: None,
            applied: None,
            outcome: DatabaseOutcome::Planned,
            read: None,
            replanned: None,
            migrations: Vec::new(),
            changelog: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// A report of a database that failed as a whole.
    pub fn failing(target: Target, error: impl Into<DatabaseError>) -> TargetReport {
        TargetReport {
            outcome: DatabaseOutcome::Failed(error.into()),
            ..TargetReport::new(target)
        }
    }

    /// A report of a database not worked on.
    pub fn skipping(target: Target, why: SkipReason) -> TargetReport {
        TargetReport {
            outcome: DatabaseOutcome::Skipped(why),
            ..TargetReport::new(target)
        }
    }

    /// The database could not be read (or vanished); nothing was changed.
    pub fn error(&self) -> Option<&DatabaseError> {
        match &self.outcome {
            DatabaseOutcome::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Not worked on, and why (lock held, an earlier failure, a drifted saved plan).
    pub fn skipped(&self) -> Option<&SkipReason> {
        match &self.outcome {
            DatabaseOutcome::Skipped(why) => Some(why),
            _ => None,
        }
    }

    /// Deferred by the rollout, and why.
    pub fn deferred(&self) -> Option<&Deferral> {
        match &self.outcome {
            DatabaseOutcome::Deferred(why) => Some(why),
            _ => None,
        }
    }

    /// Data migrations with this status.
    pub fn migrations_with(&self, status: MigrationStatus) -> usize {
        self.migrations
            .iter()
            .filter(|m| m.status == status)
            .count()
    }

    /// Failed, or not done: either way the database did not converge.
    pub fn failed(&self) -> bool {
        self.error().is_some()
            || self.skipped().is_some()
            || self.migrations_with(MigrationStatus::Failed) > 0
            || self.failed_steps() > 0
            || self
                .plan
                .as_ref()
                .is_some_and(|p| !p.findings.blocked.is_empty())
    }

    /// The changes to count: after an apply, only those whose steps all
    /// succeeded (a failed or blocked one is never counted as applied); in a plan, all.
    pub fn counted(&self, applied: bool) -> Vec<&Change> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        if !applied {
            return plan.changes.iter().collect();
        }
        let done = |i: usize| self.applied.as_ref().is_some_and(|a| a.done(i));
        (0..plan.changes.len())
            .filter(|&i| done(i))
            .map(|i| &plan.changes[i])
            .collect()
    }

    /// Whether this database has work to do (a plan) or had work done (an
    /// apply): index changes and data migrations alike.
    pub fn has_work(&self, applied: bool) -> bool {
        let work = |s: MigrationStatus| if applied { s.is_done() } else { s.is_to_do() };
        !self.counted(applied).is_empty() || self.migrations.iter().any(|m| work(m.status))
    }

    /// How many steps of an apply failed.
    pub fn failed_steps(&self) -> usize {
        self.applied.as_ref().map_or(0, Applied::failed_steps)
    }

    /// The outcome in a few words, for lines beside a report that already
    /// says why (the Result list, progress): each fact is told once.
    pub fn brief(&self, applied: bool) -> String {
        if self.skipped().is_some() {
            return "skipped".into();
        }
        if self.deferred().is_some() && !self.failed() {
            return "deferred".into();
        }
        if self.error().is_some() {
            return "failed".into();
        }
        let failed = self.applied.as_ref().map_or(0, |a| {
            (0..a.changes.len())
                .filter(|&i| a.error(i).is_some())
                .count()
        });
        let blocked = self.plan.as_ref().map_or(0, |p| p.findings.blocked.len());
        let migrations = self.migrations_with(MigrationStatus::Failed);
        let parts: Vec<String> = [
            (failed, "change(s) failed"),
            (blocked, "blocked"),
            (migrations, "migration(s) failed"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            return self.outcome(applied);
        }
        match self.done(applied) {
            0 => format!("failed: {}", parts.join(", ")),
            done => format!("partly applied: changed {done}; {}", parts.join(", ")),
        }
    }

    /// After an apply, how many changes and migrations were made (0 for a plan).
    fn done(&self, applied: bool) -> usize {
        if !applied {
            return 0;
        }
        let migrations = self.migrations.iter();
        self.counted(true).len() + migrations.filter(|m| m.status.is_done()).count()
    }

    /// One line: ok / changed n / failed: why / skipped: why.
    pub fn outcome(&self, applied: bool) -> String {
        if let Some(why) = self.skipped() {
            return format!("skipped: {why}");
        }
        if let (Some(why), false) = (self.deferred(), self.failed()) {
            return format!("deferred: {why}");
        }
        if let Some(e) = self.error() {
            return format!("failed: {e}");
        }
        let mut errors: Vec<String> = Vec::new();
        let mut blocked: Vec<String> = Vec::new();
        for (i, c) in self.plan.iter().flat_map(|p| p.changes.iter().enumerate()) {
            let subject = c.subject();
            if let Some(e) = self.applied.as_ref().and_then(|a| a.error(i)) {
                errors.push(format!("{subject}: {e}"));
            }
            if let Some(b) = self.plan.as_ref().and_then(|p| p.blocked(i)) {
                blocked.push(format!("{subject} blocked: {b}"));
            }
        }
        if let Some(first) = errors.first().or(blocked.first()) {
            let more = errors.len().max(blocked.len()) - 1;
            let more = match more {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            return match self.done(applied) {
                0 => format!("failed: {first}{more}"),
                done => format!("partly applied: changed {done}; {first}{more}"),
            };
        }
        if !applied {
            let pending = self.migrations_with(MigrationStatus::Pending);
            return pending_words(pending, self.counted(false).len())
                .unwrap_or_else(|| "ok".into());
        }
        match self.done(true) {
            0 => "ok".into(),
            n => format!("changed {n}"),
        }
    }
}

/// What a plan has pending, in the words of its database's header and of
/// its progress line alike: `1 migration(s) pending, 8 change(s)`; `None`
/// when nothing is.
pub fn pending_words(migrations: usize, changes: usize) -> Option<String> {
    match (migrations, changes) {
        (0, 0) => None,
        (0, n) => Some(format!("{n} change(s)")),
        (m, 0) => Some(format!("{m} migration(s) pending")),
        (m, n) => Some(format!("{m} migration(s) pending, {n} change(s)")),
    }
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub targets: Vec<TargetReport>,
    pub rejected: Vec<Rejected>,
    /// How tenant discovery went, when the run looked for tenants.
    pub discovery: Option<crate::targets::Looked>,
    pub applied: bool,
    /// How the live state was read.
    pub read_path: Option<ReadPath>,
    /// Declarations the server accepts but that deserve a second look.
    pub warnings: Vec<Problem>,
    /// With `[clusters]`: each cluster of the run, in mig.toml's order.
    pub clusters: Vec<super::ClusterInfo>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.targets.iter().any(TargetReport::failed)
            || self.clusters.iter().any(|c| c.error.is_some())
    }

    /// The summary's numbers per cluster, with `[clusters]`.
    pub fn by_cluster(&self) -> Option<ByCluster<Tally>> {
        if self.clusters.is_empty() {
            return None;
        }
        let mut by: ByCluster<Tally> = ByCluster::new(&self.clusters);
        for t in &self.targets {
            by.of(t.cluster.as_deref()).add(t, self.applied);
        }
        Some(by)
    }

    /// The summary's numbers over every database.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally {
            rejected: self.rejected.len(),
            ..Tally::default()
        };
        for t in &self.targets {
            tally.add(t, self.applied);
        }
        tally
    }
}

/// What a run's summary counts, added up one database at a time: a streamed
/// run keeps these numbers, not the databases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub databases: usize,
    /// Databases with work to do (a plan) or work done (an apply).
    pub changed: usize,
    /// Changes by [`Action`]: in a plan all, after an apply those whose steps all succeeded.
    pub actions: [usize; Action::ALL.len()],
    pub blocked: usize,
    pub skipped: usize,
    /// Databases the rollout deferred (not failed: the next run goes on).
    pub deferred: usize,
    /// What the builds scan, over the fleet (see [`crate::plan::Impact`]).
    pub impact: FleetImpact,
    pub unmanaged: usize,
    /// Unmanaged indexes no manifest protects: what `drift` counts as
    /// extra, so a database with one is not in sync.
    pub extra: usize,
    /// Databases that failed or were skipped.
    pub failed: usize,
    pub failed_steps: usize,
    /// Tenant names (or registry entries) discovery skipped, each said
    /// above the report: never "nothing to do".
    pub rejected: usize,
    /// Migration runs by status, as in [`MigrationStatus::ALL`].
    pub migrations: [usize; MigrationStatus::ALL.len()],
}

/// The builds of a run, totalled: how many, what they scan, and the
/// estimated seconds (`None` once any build has no estimate).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FleetImpact {
    pub builds: usize,
    pub documents: u64,
    pub bytes: u64,
    pub seconds: Option<f64>,
}

impl FleetImpact {
    fn add(&mut self, impact: &crate::plan::Impact) {
        self.seconds = match (self.builds, self.seconds, impact.seconds) {
            (0, _, s) => s,
            (_, Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.builds += 1;
        self.documents += impact.documents;
        self.bytes += impact.bytes;
    }
}

impl Eq for FleetImpact {}

impl Tally {
    pub fn add(&mut self, t: &TargetReport, applied: bool) {
        self.databases += 1;
        if t.has_work(applied) {
            self.changed += 1;
        }
        for c in t.counted(applied) {
            self.actions[c.action() as usize] += 1;
        }
        if let Some(p) = &t.plan {
            for impact in p.findings.impact.values() {
                self.impact.add(impact);
            }
            self.blocked += p.findings.blocked.len();
            self.unmanaged += p.unmanaged.len();
            self.extra += p.unmanaged.iter().filter(|u| !u.protected).count();
        }
        if t.skipped().is_some() {
            self.skipped += 1;
        }
        if t.deferred().is_some() {
            self.deferred += 1;
        }
        if t.failed() {
            self.failed += 1;
        }
        self.failed_steps += t.failed_steps();
        for m in &t.migrations {
            self.migrations[m.status as usize] += 1;
        }
    }

    /// Every database as the manifests declare it, as `drift` means it:
    /// nothing to apply, no unmanaged index but those a manifest protects,
    /// and no tenant name or registry entry skipped.
    pub fn in_sync(&self) -> bool {
        self.changed == 0 && self.extra == 0 && self.rejected == 0
    }

    pub fn action(&self, a: Action) -> usize {
        self.actions[a as usize]
    }

    /// Migration runs with this status.
    pub fn migration_runs(&self, status: MigrationStatus) -> usize {
        self.migrations[status as usize]
    }
}

/// A run's counts per cluster (`[clusters]`), kept one database at a time:
/// per cluster in mig.toml's order, and for the tenants the routing
/// refused (on no cluster). `T`: what a command counts (a [`Tally`] for a
/// plan or an apply; `status` and `drift` count their own states).
#[derive(Clone, Debug, Default)]
pub struct ByCluster<T> {
    pub clusters: Vec<(super::ClusterInfo, T)>,
    /// The tenants the routing refused, and how many.
    pub refused: (usize, T),
}

impl<T: Default> ByCluster<T> {
    pub fn new(clusters: &[super::ClusterInfo]) -> ByCluster<T> {
        ByCluster {
            clusters: clusters.iter().map(|c| (c.clone(), T::default())).collect(),
            refused: (0, T::default()),
        }
    }

    /// The counts of `cluster` (`None`: refused by the routing).
    pub fn of(&mut self, cluster: Option<&str>) -> &mut T {
        match cluster.and_then(|c| self.clusters.iter().position(|(i, _)| i.name == c)) {
            Some(i) => &mut self.clusters[i].1,
            None => {
                self.refused.0 += 1;
                &mut self.refused.1
            }
        }
    }

    /// A cluster could not be used at all.
    pub fn any_cluster_failed(&self) -> bool {
        self.clusters.iter().any(|(c, _)| c.error.is_some())
    }

    /// In a few words, each cluster that could not be used or where
    /// databases failed (`failed` counts them), and the tenants the routing
    /// refused: what stderr names when the run fails.
    pub fn failures(&self, failed: impl Fn(&T) -> usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .clusters
            .iter()
            .filter_map(|(info, t)| match (&info.error, failed(t)) {
                (Some(why), _) => Some(format!("cluster {} failed: {why}", info.name)),
                (None, 0) => None,
                (None, n) => Some(format!(
                    "cluster {}: {n} database(s) failed or skipped",
                    info.name
                )),
            })
            .collect();
        if self.refused.0 > 0 {
            out.push(format!(
                "{} tenant(s) not routed to a cluster, touched nowhere (the report says why)",
                self.refused.0
            ));
        }
        out
    }
}
