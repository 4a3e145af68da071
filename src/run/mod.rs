//! One run over the fleet: resolve the targets, then per database inspect →
//! plan → preflight (→ lock → apply). Databases are worked on concurrently,
//! bounded; one that fails is reported and, unless told to stop, the others go on.

mod migrations;

pub use migrations::{down, MigrationOutcome, Migrations};
use migrations::{migrations_apply, migrations_pending};

use std::sync::atomic::{AtomicBool, Ordering};

use bson::Bson;
use futures::stream::{self, StreamExt};
use mongodb::Client;

use crate::config::{Discovery, Settings};
use crate::manifest::Manifests;
use crate::migrate::api::Entry;
use crate::model::{DatabaseState, Scope};
use crate::plan::saved::{fingerprint, SavedPlan, SavedTarget};
use crate::plan::{plan_database, Change, DatabasePlan, PlanOptions};
use crate::progress::Progress;
use crate::server::execute::{Applied, Executor, StepOutcome};
use crate::server::inspect::{self, ReadPath, Request, ServerInfo};
use crate::server::journal::Journal;
use crate::server::lock::{Lock, LockError, LockOptions};
use crate::server::{errors, preflight};
use crate::targets::{self, Rejected, Selection, Target};

/// What happened to one database.
#[derive(Clone, Debug)]
pub struct TargetReport {
    pub target: Target,
    pub plan: Option<DatabasePlan>,
    /// What the steps did, when the plan was applied.
    pub applied: Option<Applied>,
    /// The database could not be read (or vanished); nothing was changed.
    pub error: Option<String>,
    /// Not worked on, and why (lock held, an earlier failure, a drifted saved plan).
    pub skipped: Option<String>,
    /// The collections read and the fingerprint of what was read (for saved plans).
    pub read: Option<(Vec<String>, String)>,
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
            plan: None,
            applied: None,
            error: None,
            skipped: None,
            read: None,
            migrations: Vec::new(),
            changelog: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Failed, or not done: either way the database did not converge.
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || self.skipped.is_some()
            || self.migrations.iter().any(|m| m.status == "failed")
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

    /// How many steps of an apply failed.
    pub fn failed_steps(&self) -> usize {
        self.applied.as_ref().map_or(0, Applied::failed_steps)
    }

    /// One line: ok / changed n / failed: why / skipped: why.
    pub fn outcome(&self, applied: bool) -> String {
        if let Some(why) = &self.skipped {
            return format!("skipped: {why}");
        }
        if let Some(e) = &self.error {
            return format!("failed: {e}");
        }
        let mut errors: Vec<String> = Vec::new();
        let mut blocked: Vec<String> = Vec::new();
        for (i, c) in self.plan.iter().flat_map(|p| p.changes.iter().enumerate()) {
            let (collection, index) = (c.collection(), c.index());
            if let Some(e) = self.applied.as_ref().and_then(|a| a.error(i)) {
                errors.push(format!("{collection}.{index}: {e}"));
            }
            if let Some(b) = self.plan.as_ref().and_then(|p| p.blocked(i)) {
                blocked.push(format!("{collection}.{index} blocked: {b}"));
            }
        }
        if let Some(first) = errors.first().or(blocked.first()) {
            let more = errors.len().max(blocked.len()) - 1;
            return if more > 0 {
                format!("failed: {first} (and {more} more)")
            } else {
                format!("failed: {first}")
            };
        }
        let n = self.counted(applied).len()
            + self
                .migrations
                .iter()
                .filter(|m| matches!(m.status, "pending" | "applied" | "reverted"))
                .count();
        match (n, applied) {
            (0, _) => "ok".into(),
            (n, true) => format!("changed {n}"),
            (n, false) => format!("{n} pending"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub targets: Vec<TargetReport>,
    pub rejected: Vec<Rejected>,
    pub applied: bool,
    /// How the live state was read.
    pub read_path: Option<ReadPath>,
    /// Declarations the server accepts but that deserve a second look.
    pub warnings: Vec<crate::diagnostics::Problem>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.targets.iter().any(TargetReport::failed)
    }

    pub fn has_changes(&self) -> bool {
        self.targets
            .iter()
            .any(|t| t.plan.as_ref().is_some_and(|p| !p.is_empty()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Go on with the other databases.
    #[default]
    Continue,
    /// Start no further database after a failure.
    Stop,
}

/// How a run plans and applies.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub plan: PlanOptions,
    /// Lock, then apply; without it the run only plans.
    pub apply: Option<LockOptions>,
    pub on_error: OnError,
    /// Apply to the public database and this many tenants first; stop if any fails.
    pub canary: usize,
    pub commit_quorum: Option<Bson>,
}

/// What every database of a run shares.
pub struct Context<'a> {
    pub client: &'a Client,
    pub settings: &'a Settings,
    pub manifests: &'a Manifests,
    pub server: &'a ServerInfo,
    pub progress: Option<&'a Progress>,
    /// Data migrations to run before the index sync (`apply`), if any.
    pub migrations: Option<&'a Migrations>,
}

/// The databases to work on, in order: the public one, then the tenants.
pub async fn resolve_targets(
    client: &Client,
    settings: &Settings,
    selection: &Selection,
) -> Result<(Vec<Target>, Vec<Rejected>), String> {
    let mut out = Vec::new();
    if selection.wants_public() {
        match &settings.public_database {
            Some(db) => out.push(Target {
                database: db.clone(),
                scope: Scope::Public,
            }),
            None if selection.public_only => {
                return Err("no public database configured ([public].database in mig.toml, MONGODB_PUBLIC_DATABASE or --public-db)".into())
            }
            None => {}
        }
    }
    let mut rejected = Vec::new();
    if selection.wants_tenants() {
        if settings.discovery == Discovery::None
            && (selection.tenants_only || !selection.tenants.is_empty())
        {
            return Err("no tenant discovery configured (a [tenants] section in mig.toml)".into());
        }
        let (tenants, why) = targets::discover(client, settings)
            .await
            .map_err(|e| format!("tenant discovery failed: {}", errors::explain(&e)))?;
        rejected = why;
        let unknown: Vec<&str> = selection
            .tenants
            .iter()
            .filter(|t| !tenants.contains(t))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "not among the tenant databases discovery found: {}",
                unknown.join(", ")
            ));
        }
        out.extend(
            tenants
                .into_iter()
                .filter(|t| selection.tenants.is_empty() || selection.tenants.contains(t))
                .map(|database| Target {
                    database,
                    scope: Scope::Tenant,
                }),
        );
    }
    Ok((out, rejected))
}

fn request(ctx: &Context, target: &Target) -> Request {
    Request {
        database: target.database.clone(),
        collections: ctx
            .manifests
            .for_scope(target.scope)
            .iter()
            .map(|c| c.name.clone())
            .collect(),
    }
}

/// Plans every target (and applies, with `options.apply`); one report per target, in order.
pub async fn run(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    options: &RunOptions,
) -> Vec<TargetReport> {
    let order: Vec<String> = targets.iter().map(|t| t.database.clone()).collect();
    let mut reports = match &options.apply {
        None => plan_all(ctx, targets, options).await,
        Some(lock) => apply_all(ctx, targets, options, lock).await,
    };
    in_order(&mut reports, &order);
    reports
}

/// Databases finish in any order; reports follow the order of `databases`.
fn in_order(reports: &mut [TargetReport], databases: &[String]) {
    reports.sort_by_key(|r| databases.iter().position(|d| *d == r.target.database));
}

/// Plans: the live state of every target comes from one catalog read when the
/// server allows it, else from concurrent per-database reads.
async fn plan_all(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    options: &RunOptions,
) -> Vec<TargetReport> {
    let requests: Vec<Request> = targets.iter().map(|t| request(ctx, t)).collect();
    let reads = inspect::read(
        ctx.client,
        ctx.server.read_path,
        &requests,
        ctx.settings.concurrency,
        ctx.settings.socket_timeout,
    )
    .await;
    stream::iter(targets.into_iter().zip(reads))
        .map(|(target, read)| async move {
            let mut report = TargetReport::new(target);
            match read {
                Ok(live) => match finish_plan(ctx, &report.target, live, options, true).await {
                    Ok((plan, read)) => {
                        report.plan = Some(plan);
                        report.read = Some(read);
                    }
                    Err(e) => report.error = Some(e),
                },
                Err(e) => report.error = Some(e.to_string()),
            }
            if report.error.is_none()
                && ctx
                    .migrations
                    .is_some_and(|m| m.any_for(report.target.scope))
            {
                if let Err(e) = migrations_pending(ctx, &mut report).await {
                    report.error = Some(e.to_string());
                }
            }
            if let Some(p) = ctx.progress {
                p.database_done(&report.target.database, &report.outcome(false));
            }
            report
        })
        .buffer_unordered(ctx.settings.concurrency)
        .collect()
        .await
}

/// Live state → plan → preflight, for one database.
async fn finish_plan(
    ctx: &Context<'_>,
    target: &Target,
    mut live: DatabaseState,
    options: &RunOptions,
    check_vanished: bool,
) -> Result<(DatabasePlan, (Vec<String>, String)), String> {
    let declared = ctx.manifests.for_scope(target.scope);
    let db = ctx.client.database(&target.database);
    if check_vanished && !live.collections.iter().any(|c| c.exists) {
        vanished_check(ctx, target).await?;
    }
    if inspect::may_be_retiring(&live, declared) {
        live.retiring = inspect::read_retiring(&db)
            .await
            .map_err(|e| e.to_string())?;
    }
    let plan = plan_database(
        &target.database,
        target.scope,
        declared,
        &live,
        options.plan,
    );
    let findings = preflight::check(&db, &plan.changes, &live).await?;
    let plan = plan.with_findings(findings);
    let read = (
        live.collections.iter().map(|c| c.name.clone()).collect(),
        fingerprint(&live),
    );
    Ok((plan, read))
}

/// Discovery by prefix or regex found this database in `listDatabases`;
/// check it still exists rather than recreate a database someone just dropped.
async fn vanished_check(ctx: &Context<'_>, target: &Target) -> Result<(), String> {
    let listed = matches!(
        ctx.settings.discovery,
        Discovery::Prefix(_) | Discovery::Regex(_)
    ) && target.scope == Scope::Tenant;
    if !listed {
        return Ok(());
    }
    let found = ctx
        .client
        .list_database_names()
        .filter(bson::doc! {"name": &target.database})
        .await
        .map_err(|e| errors::explain(&e))?;
    if found.is_empty() {
        return Err(format!(
            "database {} no longer exists (dropped after discovery); nothing was done",
            target.database
        ));
    }
    Ok(())
}

async fn apply_all(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    options: &RunOptions,
    lock: &LockOptions,
) -> Vec<TargetReport> {
    let targets = targets.into_iter().map(|t| (t, None)).collect();
    apply_targets(ctx, targets, options, lock).await
}

/// Applies a saved plan: each database's saved changes, where its live state
/// still has the fingerprint the plan was made from.
pub async fn apply_saved(
    ctx: &Context<'_>,
    saved: &SavedPlan,
    options: &RunOptions,
) -> Vec<TargetReport> {
    let Some(lock) = &options.apply else {
        return Vec::new();
    };
    let targets = saved
        .targets
        .iter()
        .map(|t| {
            let target = Target {
                database: t.database.clone(),
                scope: t.scope,
            };
            (target, Some(t))
        })
        .collect();
    let mut reports = apply_targets(ctx, targets, options, lock).await;
    let order: Vec<String> = saved.targets.iter().map(|t| t.database.clone()).collect();
    in_order(&mut reports, &order);
    reports
}

/// Applies: the public database and the canaries first, then the rest.
async fn apply_targets(
    ctx: &Context<'_>,
    targets: Vec<(Target, Option<&SavedTarget>)>,
    options: &RunOptions,
    lock: &LockOptions,
) -> Vec<TargetReport> {
    let stop = AtomicBool::new(false);
    let first = if options.canary > 0 {
        targets
            .iter()
            .filter(|(t, _)| t.scope == Scope::Public)
            .count()
            + options.canary
    } else {
        0
    };
    let mut rest = targets;
    let canaries: Vec<_> = rest.drain(..first.min(rest.len())).collect();
    let mut reports = apply_phase(ctx, canaries, options, lock, &stop).await;
    if options.canary > 0 && reports.iter().any(TargetReport::failed) {
        for (target, _) in rest {
            reports.push(TargetReport {
                skipped: Some("not started: a canary database failed".into()),
                ..TargetReport::new(target)
            });
        }
        return reports;
    }
    reports.extend(apply_phase(ctx, rest, options, lock, &stop).await);
    reports
}

async fn apply_phase(
    ctx: &Context<'_>,
    targets: Vec<(Target, Option<&SavedTarget>)>,
    options: &RunOptions,
    lock: &LockOptions,
    stop: &AtomicBool,
) -> Vec<TargetReport> {
    stream::iter(targets)
        .map(|(target, saved)| async move {
            let report = if stop.load(Ordering::SeqCst) {
                TargetReport {
                    skipped: Some(
                        "not started: an earlier database failed (--on-error stop)".into(),
                    ),
                    ..TargetReport::new(target)
                }
            } else {
                apply_one(ctx, target, saved, options, lock).await
            };
            if report.failed() && options.on_error == OnError::Stop {
                stop.store(true, Ordering::SeqCst);
            }
            if let Some(p) = ctx.progress {
                p.database_done(&report.target.database, &report.outcome(true));
            }
            report
        })
        .buffer_unordered(ctx.settings.concurrency)
        .collect()
        .await
}

const DRIFTED: &str = "drifted since the plan was made";

/// The saved plan of one database, if its live state is still the one the
/// plan was computed from; the preflight runs again (the data may have changed).
async fn saved_plan(
    db: &mongodb::Database,
    live: DatabaseState,
    saved: &SavedTarget,
) -> Result<DatabasePlan, String> {
    let now = fingerprint(&live);
    if now != saved.fingerprint {
        return Err(format!(
            "{DRIFTED} (live indexes fingerprint {} ≠ planned {}); not applied: plan again",
            &now[..12],
            &saved.fingerprint[..12.min(saved.fingerprint.len())]
        ));
    }
    let plan = saved.plan().map_err(|e| e.to_string())?;
    let findings = preflight::check(db, &plan.changes, &live).await?;
    Ok(plan.with_findings(findings))
}

/// Lock → read → plan → preflight → apply → unlock, for one database.
async fn apply_one(
    ctx: &Context<'_>,
    target: Target,
    saved: Option<&SavedTarget>,
    options: &RunOptions,
    lock_options: &LockOptions,
) -> TargetReport {
    let mut report = TargetReport::new(target);
    let db = ctx.client.database(&report.target.database);
    // Before the lock, whose document would bring a dropped database back.
    if let Err(e) = vanished_check(ctx, &report.target).await {
        report.error = Some(e);
        return report;
    }
    let lock = match Lock::acquire(&db, lock_options).await {
        Ok(lock) => lock,
        Err(LockError::Held(holder)) => {
            report.skipped = Some(holder.to_string());
            return report;
        }
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    if saved.is_none() {
        if let Err(e) = migrations_apply(ctx, &mut report, &lock).await {
            report.error = Some(e.to_string());
            lock.release().await;
            return report;
        }
    }
    let request = match saved {
        Some(s) => Request {
            database: s.database.clone(),
            collections: s.collections.clone(),
        },
        None => request(ctx, &report.target),
    };
    // One database: listCollections + listIndexes cost two round trips,
    // where a catalog read would scan the whole cluster's catalog each time.
    let read = inspect::read(
        ctx.client,
        ReadPath::ListIndexes,
        &[request],
        1,
        ctx.settings.socket_timeout,
    )
    .await
    .pop()
    .unwrap_or_else(|| Err("nothing read".into()));
    let plan = match (read, saved) {
        (Ok(live), None) => finish_plan(ctx, &report.target, live, options, false)
            .await
            .map(|(p, _)| p),
        (Ok(live), Some(saved)) => saved_plan(&db, live, saved).await,
        (Err(e), _) => Err(e.to_string()),
    };
    match plan {
        Err(e) if e.starts_with(DRIFTED) => report.skipped = Some(e),
        Ok(plan) => {
            if !plan.is_empty() {
                let executor = Executor {
                    db: db.clone(),
                    fence: &lock,
                    journal: Some(Journal::new(
                        &db,
                        &lock_options.run_id,
                        &lock_options.command,
                    )),
                    commit_quorum: options.commit_quorum.clone(),
                    progress: ctx.progress,
                };
                let applied = executor.apply(&plan).await;
                for (step, outcome) in plan.steps.iter().zip(&applied.steps) {
                    if let StepOutcome::Failed(e) = outcome {
                        tracing::warn!(
                            database = %report.target.database, collection = %step.collection,
                            index = %step.command.indexes().join(", "), "failed: {e}"
                        );
                    }
                }
                report.applied = Some(applied);
            }
            report.plan = Some(plan);
        }
        Err(e) => report.error = Some(e),
    }
    lock.release().await;
    report
}
