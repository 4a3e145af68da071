//! Applying: per database lock → read → plan (pending migrations first) →
//! migrations → read again: the same plan? → execute the index steps → unlock.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{FuturesOrdered, StreamExt};

use crate::model::DatabaseState;
use crate::plan::saved::{fingerprint, SavedPlan, SavedTarget};
use crate::plan::{steps, DatabasePlan};
use crate::server::bookkeeping::journal::Journal;
use crate::server::bookkeeping::lock::{Lock, LockOptions};
use crate::server::execute::{Applied, ChangeOutcome, Executor, StepOutcome, Stopped};
use crate::server::inspect::{self, Request};
use crate::server::preflight;
use crate::targets::Target;

use super::migrations::{due, migrations_apply};
use super::plan::{finish_plan, vanished_check};
use super::rollout::ClusterGate;
use super::{
    request, take_lock, Context, DatabaseOutcome, Deferral, OnError, RunError, RunOptions,
    SkipReason, TargetReport,
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
    } else if let Some(halt) = options.controls.with(&ctx.settings.rollout).not_now() {
        TargetReport {
            outcome: DatabaseOutcome::Deferred(Deferral::NotStarted(halt)),
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

/// Lock → read → plan → migrations → read again → apply → unlock, for one database.
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
    if let Err(e) = apply_locked(ctx, &mut report, saved, options, lock_options, &lock).await {
        // A saved plan that no longer fits is a skip; anything else a failure.
        report.outcome = e.into();
    }
    lock.release().await;
    report
}

/// The plan shown (saved, or made now from the live state, pending
/// migrations first), its migrations run, the database read again, and its
/// index steps run only if that read plans the same; otherwise the database
/// stops there, with the new plan in `report.replanned`.
async fn apply_locked(
    ctx: &Context<'_>,
    report: &mut TargetReport,
    saved: Option<&SavedTarget>,
    options: &RunOptions,
    lock_options: &LockOptions,
    lock: &Lock,
) -> Result<(), RunError> {
    let request = match saved {
        Some(s) => Request {
            database: s.database.clone(),
            collections: s.collections.clone(),
        },
        None => request(ctx, &report.target),
    };
    let due = due(ctx, &report.target).await?;
    let pending = due.as_ref().map(|d| d.ids()).unwrap_or_default();
    let live = read(ctx, &request).await?;
    let shown = match saved {
        Some(saved) => {
            let plan = saved_plan(
                ctx,
                &ctx.client.database(&request.database),
                live,
                saved,
                options,
            )
            .await?;
            let planned: Vec<String> = plan.migration_ids().into_iter().map(String::from).collect();
            if ctx.migrations.is_none() && !planned.is_empty() {
                return Err(RunError::MigrationsNotRun(planned));
            }
            if planned != pending {
                return Err(RunError::MigrationsChanged {
                    now: pending,
                    planned,
                });
            }
            plan
        }
        None => {
            let (plan, _) = finish_plan(ctx, &report.target, live, options, false).await?;
            let ids: Vec<&str> = pending.iter().map(String::as_str).collect();
            plan.with_migrations_first(&ids)
        }
    };
    let lead = steps::after_migrations(&shown.steps);
    let mut outcomes = Vec::new();
    let mut plan = shown.clone().index_steps_only();
    if let Some(due) = due.filter(|_| lead > 0) {
        // The migrations' own outcomes and changelog go in the report.
        let ran = migrations_apply(ctx, report, lock, due).await;
        outcomes = report.applied.take().map(|a| a.steps).unwrap_or_default();
        report.plan = None;
        if let Err(e) = ran {
            return stopped(report, shown, outcomes, StepOutcome::Skipped, Err(e.into()));
        }
        // Read again: the index steps shown were planned on the data before
        // the migrations, and run only if the data after them plans the same.
        let live = read(ctx, &request).await?;
        let (now, read) = finish_plan(ctx, &report.target, live, options, false).await?;
        if !now.same_steps(&plan) {
            report.outcome = DatabaseOutcome::Deferred(Deferral::Replanned);
            report.read = Some(read);
            report.replanned = Some(now);
            return stopped(report, shown, outcomes, StepOutcome::Deferred, Ok(()));
        }
        outcomes.push(StepOutcome::Done);
        // The same steps; the findings of the data as it is now.
        plan = now;
    }
    let mut applied = Applied::default();
    let mut deferral = None;
    if !plan.is_empty() {
        let db = ctx.client.database(&report.target.database);
        let gate = ClusterGate {
            client: ctx.client,
            cluster: &ctx.settings.uri,
            public: ctx.settings.public_database.clone(),
            controls: options.controls.with(&ctx.settings.rollout),
            progress: ctx.progress,
            deferred: Default::default(),
        };
        let executor = Executor {
            db: db.clone(),
            fence: lock,
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
        // The executor stops at a step the gate defers (the gate keeps
        // why), or at a build a second interrupt aborted.
        deferral = applied.deferred.and_then(|stopped| match stopped {
            Stopped::ByGate => gate.deferred.get().cloned(),
            Stopped::BuildAborted => Some(Deferral::BuildAborted),
        });
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
    // The migrations and the re-read lead the database's steps.
    plan.steps.splice(0..0, shown.steps[..lead].iter().cloned());
    applied.steps.splice(0..0, outcomes);
    report.outcome = match deferral {
        Some(why) => DatabaseOutcome::Deferred(why),
        None => DatabaseOutcome::Applied,
    };
    report.plan = Some(plan);
    report.applied = Some(applied);
    Ok(())
}

/// The database stopped after (or at) its migrations: the plan shown, what
/// its migrations did, and every later step marked `rest`.
fn stopped(
    report: &mut TargetReport,
    shown: DatabasePlan,
    mut outcomes: Vec<StepOutcome>,
    rest: StepOutcome,
    result: Result<(), RunError>,
) -> Result<(), RunError> {
    outcomes.resize(shown.steps.len(), rest);
    report.applied = Some(Applied {
        steps: outcomes,
        changes: vec![ChangeOutcome::NotRun; shown.changes.len()],
        // The executor did not stop them: the report's outcome says why.
        deferred: None,
    });
    report.plan = Some(shown);
    result
}

/// One database's live state: listCollections + listIndexes cost two round
/// trips, where a catalog read would scan the whole cluster's catalog each time.
async fn read(ctx: &Context<'_>, request: &Request) -> Result<DatabaseState, RunError> {
    let db = ctx.client.database(&request.database);
    Ok(inspect::read_database(db, &request.collections, ctx.settings.socket_timeout).await?)
}
