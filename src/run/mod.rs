//! One run over the fleet: resolve the targets, then per database inspect →
//! plan → preflight (→ lock → execute the steps). Databases are worked on
//! concurrently, bounded; one that fails is reported and, unless told to
//! stop, the others go on. Planning is in [`plan`], applying in [`apply`].

mod apply;
mod clusters;
mod error;
mod fleet;
mod migrations;
mod outcome;
mod plan;
mod report;
pub mod rollout;

pub use apply::apply_saved;
pub use error::RunError;
pub use fleet::{canaries, ClusterInfo, Fleet, Member, Shared, Work};
pub use migrations::{down, MigrationOutcome, Migrations};
pub use outcome::{
    DatabaseError, DatabaseOutcome, Deferral, DeferralKind, ErrorKind, Halt, MigrationStatus,
    SkipReason,
};
pub use report::{pending_words, ByCluster, Report, Tally, TargetReport};

use bson::Bson;
use mongodb::Client;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::model::Scope;
use crate::plan::saved::SavedPlan;
use crate::plan::PlanOptions;
use crate::progress::Progress;
use crate::server::bookkeeping::lock::{Lock, LockError, LockOptions};
use crate::server::errors;
use crate::server::inspect::{Request, ServerInfo};
use crate::targets::{self, Looked, Rejected, Selection, Target};

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

/// A run's databases, the tenant names discovery left out, and how
/// discovery went (`None`: the run wants no tenants).
#[derive(Debug, Default)]
pub struct Resolved {
    pub targets: Vec<Target>,
    pub rejected: Vec<Rejected>,
    pub discovery: Option<Looked>,
}

/// Opens the run's fleet: with `[clusters]`, every cluster it needs
/// connected and listed and the tenants routed (a cluster that can't be used
/// fails its own databases later, not this); otherwise the one server,
/// connected (failing here when it can't be) and its targets resolved. A
/// saved plan's databases are its own on one server.
pub async fn open(
    settings: &Settings,
    selection: &Selection,
    saved: Option<&SavedPlan>,
) -> Result<Fleet, RunError> {
    if settings.has_clusters() {
        let members = clusters::connect(settings, selection).await;
        let mut fleet = clusters::resolve(settings, members, selection).await?;
        // A saved plan's databases are its own, as on one server: how
        // discovery went (read only to route them) is not its report's.
        if saved.is_some() {
            fleet.discovery = None;
        }
        return Ok(fleet);
    }
    let client = crate::server::connect(settings).await?;
    let server = crate::server::inspect::server_info(&client).await?;
    let resolved = match saved {
        Some(saved) => Resolved {
            targets: saved
                .targets
                .iter()
                .map(|t| Target {
                    database: t.database.clone(),
                    scope: t.scope,
                })
                .collect(),
            ..Default::default()
        },
        None => resolve_targets(&client, settings, selection).await?,
    };
    Ok(Fleet::one(settings, client, server, resolved))
}

/// The databases to work on, in order: the public one, then the tenants by
/// name (whatever the discovery's own order: the catalog is read sorted by
/// database, and a report follows the same order on every run).
pub async fn resolve_targets(
    client: &Client,
    settings: &Settings,
    selection: &Selection,
) -> Result<Resolved, RunError> {
    check_selection(settings, selection)?;
    let mut out = Vec::new();
    if selection.wants_public() {
        if let Some(db) = &settings.public_database {
            out.push(Target {
                database: db.clone(),
                scope: Scope::Public,
            });
        }
    }
    let (mut rejected, mut discovery) = (Vec::new(), None);
    if selection.wants_tenants() {
        let found = targets::discover(client, settings)
            .await
            .map_err(|e| RunError::Discovery(errors::explain(&e)))?;
        let tenants = found.tenants;
        rejected = found.rejected;
        discovery = Some(found.looked);
        targets::Unmatched::check(
            "--tenant",
            "not among the tenant databases discovery found; nothing was done",
            &selection.tenants,
            tenants.iter().map(String::as_str),
        )?;
        let mut tenants = tenants;
        tenants.sort();
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
    Ok(Resolved {
        targets: out,
        rejected,
        discovery,
    })
}

/// What a selection asks that the configuration can't give: only the public
/// database, with none configured; only tenants, or some by name, with no
/// discovery. One server and `[clusters]` alike.
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
