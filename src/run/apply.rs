//! Applying: per database lock → migrations → read → plan → preflight →
//! execute the steps → unlock.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{FuturesOrdered, StreamExt};

use crate::model::DatabaseState;
use crate::plan::saved::{fingerprint, SavedPlan, SavedTarget};
use crate::plan::DatabasePlan;
use crate::server::bookkeeping::journal::Journal;
use crate::server::bookkeeping::lock::LockOptions;
use crate::server::execute::{Applied, Executor, StepOutcome};
use crate::server::inspect::{self, Request};
use crate::server::preflight;
use crate::targets::Target;

use super::migrations::migrations_apply;
use super::plan::{finish_plan, vanished_check};
use super::rollout::ClusterGate;
use super::{
    request, take_lock, Context, DatabaseOutcome, OnError, RunError, RunOptions, SkipReason,
    TargetReport,
};

pub(super) async fn apply_each(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    options: &RunOptions,
    lock: &LockOptions,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    let targets = targets.into_iter().map(|t| (t, None)).collect();
    apply_targets(ctx, targets, options, lock, each).await
}

/// Applies a saved plan: each database's saved changes, where its live state
/// still has the fingerprint the plan was made from; reports in the plan's order.
pub async fn apply_saved(
    ctx: &Context<'_>,
    saved: &SavedPlan,
    options: &RunOptions,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    let Some(lock) = &options.apply else {
        return;
    };
    if ctx.server.mongos {
        let targets = saved.targets.iter().map(|t| Target {
            database: t.database.clone(),
            scope: t.scope,
        });
        return super::refuse_on_mongos(ctx, targets.collect(), each);
    }
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
    apply_targets(ctx, targets, options, lock, each).await
}

/// Applies, each report handed to `each` in the targets' order (canaries
/// are split off before, by the fleet: `super::fleet`).
async fn apply_targets(
    ctx: &Context<'_>,
    targets: Vec<(Target, Option<&SavedTarget>)>,
    options: &RunOptions,
    lock: &LockOptions,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    apply_phase(ctx, targets, options, lock, &options.stop, each).await
}

async fn apply_phase(
    ctx: &Context<'_>,
    targets: Vec<(Target, Option<&SavedTarget>)>,
    options: &RunOptions,
    lock: &LockOptions,
    stop: &AtomicBool,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    // At most `concurrency` at once, reports in order: `buffered`, written
    // out without a closure over the targets' lifetimes (see below).
    let mut targets = targets.into_iter();
    let mut running = FuturesOrdered::new();
    loop {
        while running.len() < ctx.settings.concurrency.max(1) {
            let Some((target, saved)) = targets.next() else {
                break;
            };
            running.push_back(apply_unless_stopped(
                ctx, target, saved, options, lock, stop,
            ));
        }
        match running.next().await {
            Some(report) => each(report),
            None => break,
        }
    }
}

/// One database of a phase, unless `--on-error stop` stopped the rollout.
/// (A named function, not a closure's async block: a cluster's run is a
/// task of its own, and the compiler proves such a future `Send` only so.)
async fn apply_unless_stopped(
    ctx: &Context<'_>,
    target: Target,
    saved: Option<&SavedTarget>,
    options: &RunOptions,
    lock: &LockOptions,
    stop: &AtomicBool,
) -> TargetReport {
    let report = if stop.load(Ordering::SeqCst) {
        TargetReport::skipping(target, SkipReason::EarlierFailed)
    } else if let Some(why) = options.controls.with(&ctx.settings.rollout).not_now() {
        TargetReport {
            outcome: DatabaseOutcome::Deferred(why),
            ..TargetReport::new(target)
        }
    } else {
        apply_one(ctx, target, saved, options, lock).await
    };
    if report.failed() && options.on_error == OnError::Stop {
        stop.store(true, Ordering::SeqCst);
    }
    if let Some(p) = ctx.progress {
        p.database_done(&report.target.database, &report.brief(true));
    }
    report
}

/// The saved plan of one database, if its live state is still the one the
/// plan was computed from; the preflight runs again (the data may have changed).
async fn saved_plan(
    ctx: &Context<'_>,
    db: &mongodb::Database,
    live: DatabaseState,
    saved: &SavedTarget,
    options: &RunOptions,
) -> Result<DatabasePlan, RunError> {
    let now = fingerprint(&live);
    if now != saved.fingerprint {
        return Err(RunError::Drifted {
            now: now[..12].to_string(),
            planned: saved.fingerprint[..12.min(saved.fingerprint.len())].to_string(),
        });
    }
    let plan = saved.plan()?;
    let rate = super::plan::build_rate(ctx, &plan).await;
    let findings = preflight::check(
        db,
        &plan.changes,
        &live,
        options.allow_invalid_documents,
        rate,
        super::plan::min_free_disk(ctx, options),
    )
    .await?;
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
        report.outcome = DatabaseOutcome::Failed(e.into());
        return report;
    }
    let Some(lock) = take_lock(&db, lock_options, &mut report).await else {
        return report;
    };
    if saved.is_none() {
        if let Err(e) = migrations_apply(ctx, &mut report, &lock).await {
            report.outcome = DatabaseOutcome::Failed(e.into());
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
    let db_read = ctx.client.database(&request.database);
    let read =
        inspect::read_database(db_read, &request.collections, ctx.settings.socket_timeout).await;
    let plan = match (read, saved) {
        (Ok(live), None) => finish_plan(ctx, &report.target, live, options, false)
            .await
            .map(|(p, _)| p),
        (Ok(live), Some(saved)) => saved_plan(ctx, &db, live, saved, options).await,
        (Err(e), _) => Err(e.into()),
    };
    // The migrations ran first: their steps lead the database's steps.
    let (migration_steps, migration_outcomes) = match (report.plan.take(), report.applied.take()) {
        (Some(p), Some(a)) => (p.steps, a.steps),
        _ => (Vec::new(), Vec::new()),
    };
    match plan {
        Err(RunError::Drifted { now, planned }) => {
            report.outcome = DatabaseOutcome::Skipped(SkipReason::Drifted { now, planned })
        }
        Ok(mut plan) => {
            let mut applied = Applied::default();
            let gate = ClusterGate {
                client: ctx.client,
                cluster: &ctx.settings.uri,
                public: ctx.settings.public_database.clone(),
                controls: options.controls.with(&ctx.settings.rollout),
                progress: ctx.progress,
            };
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
                    migrator: None,
                    gate: Some(&gate),
                };
                applied = executor.apply(&plan).await;
                for (step, outcome) in plan.steps.iter().zip(&applied.steps) {
                    if let StepOutcome::Failed(e) = outcome {
                        // The report says it, once; this is for -v.
                        tracing::info!(
                            database = %report.target.database, collection = %step.collection,
                            index = %step.command.indexes().join(", "), "failed: {e}"
                        );
                    }
                }
            }
            plan.steps.splice(0..0, migration_steps);
            applied.steps.splice(0..0, migration_outcomes);
            report.outcome = match &applied.deferred {
                Some(why) => DatabaseOutcome::Deferred(why.clone()),
                None => DatabaseOutcome::Applied,
            };
            report.plan = Some(plan);
            report.applied = Some(applied);
        }
        Err(e) => report.outcome = DatabaseOutcome::Failed(e.into()),
    }
    lock.release().await;
    report
}
