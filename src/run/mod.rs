//! One run over the fleet: resolve the targets, then per database inspect →
//! plan → preflight (→ lock → execute the steps). Databases are worked on
//! concurrently, bounded; one that fails is reported and, unless told to
//! stop, the others go on. Planning is in [`plan`], applying in [`apply`].

mod apply;
mod error;
mod fleet;
mod migrations;
mod open;
mod outcome;
mod plan;
mod report;
pub mod rollout;
mod session;

pub use apply::apply_saved;
pub use error::RunError;
pub use fleet::{canaries, ClusterInfo, Fleet, Member, Reachable, Shared, Work};
pub use migrations::{down, MigrationOutcome, Migrations};
pub use open::open;
pub use outcome::{
    DatabaseError, DatabaseOutcome, Deferral, DeferralKind, ErrorKind, Halt, MigrationStatus,
    SkipReason,
};
pub use report::{pending_words, ByCluster, Report, Tally, TargetReport};
pub use session::{DevForms, Head, Job, Listener, Session};

use bson::Bson;
use mongodb::Client;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::PlanOptions;
use crate::progress::Progress;
use crate::server::bookkeeping::lock::{Lock, LockError, LockOptions};
use crate::server::inspect::{Request, ServerInfo};
use crate::targets::Target;

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
    /// Check the data before writes (duplicate keys, usage). `drift` only
    /// compares, so it skips these reads; an apply always makes them.
    pub preflight: bool,
    /// A validator that documents already there fail is applied anyway
    /// (they are shown); without it the change is blocked.
    pub allow_invalid_documents: bool,
    /// Builds are blocked where they would leave less disk free than this
    /// (`--min-free-disk`; else mig.toml's, else 1 GiB).
    pub min_free_disk: Option<u64>,
    /// `--on-error stop`: set once a database failed; shared by every
    /// cluster of the run (and both phases of a canary rollout).
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The rollout's window, throttles and graceful stop.
    pub controls: rollout::Controls,
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
    let mut reports = Vec::new();
    run_each(ctx, targets, options, &mut |r| reports.push(r)).await;
    reports
}

/// [`run`], handing each database's report to `each` as soon as it is done,
/// in the targets' order, and keeping none: what the fleet holds at once is
/// bounded by the concurrency, not by the number of databases.
pub async fn run_each(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    options: &RunOptions,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    match &options.apply {
        Some(_) if ctx.server.mongos => refuse_on_mongos(ctx, targets, each),
        None if ctx.server.mongos => {
            plan::plan_each(ctx, targets, options, &mut |mut report| {
                report.warnings.push(MONGOS_PLAN.into());
                each(report)
            })
            .await
        }
        None => plan::plan_each(ctx, targets, options, each).await,
        Some(lock) => apply::apply_each(ctx, targets, options, lock, each).await,
    }
}

/// What a plan read through `mongos` says of itself.
pub const MONGOS_PLAN: &str = "read through mongos (a sharded cluster): listIndexes answers for \
     one shard, so shards that differ are not seen; apply is refused here for now";

/// Writes through `mongos` are refused, before any: each database fails,
/// saying why (see the README's "Sharded clusters").
fn refuse_on_mongos(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    for target in targets {
        let report = TargetReport {
            outcome: DatabaseOutcome::Failed(RunError::Mongos.into()),
            ..TargetReport::new(target)
        };
        if let Some(p) = ctx.progress {
            p.database_done(&report.target.database, &report.brief(true));
        }
        each(report);
    }
}

/// Databases finish in any order; reports follow the order of `databases`.
fn in_order(reports: &mut [TargetReport], databases: &[String]) {
    reports.sort_by_key(|r| databases.iter().position(|d| *d == r.target.database));
}

/// Takes a database's lock, or says in its report why not: held by another
/// run (skipped) or not to be taken (failed).
async fn take_lock(
    db: &mongodb::Database,
    options: &LockOptions,
    report: &mut TargetReport,
) -> Option<Lock> {
    match Lock::acquire(db, options).await {
        Ok(lock) => Some(lock),
        Err(LockError::Held(holder)) => {
            report.outcome = DatabaseOutcome::Skipped(SkipReason::Locked(Box::new(holder)));
            None
        }
        Err(e) => {
            report.outcome = DatabaseOutcome::Failed(e.into());
            None
        }
    }
}

#[cfg(test)]
mod tests;
