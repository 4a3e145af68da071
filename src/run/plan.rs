//! Planning every target: the live state of all of them read in one stream
//! where the server allows it, then per database plan → preflight, each
//! database handed on as soon as it is done.

use futures::future;
use futures::stream::{self, BoxStream, StreamExt};

use crate::config::Discovery;
use crate::model::{DatabaseState, Scope};
use crate::plan::saved::fingerprint;
use crate::plan::{plan_database, DatabasePlan};
use crate::server::bookkeeping::state;
use crate::server::errors::ReadError;
use crate::server::inspect::{self, ReadPath};
use crate::server::preflight;
use crate::targets::Target;

use super::migrations::migrations_pending;
use super::{
    request, Context, DatabaseOutcome, MigrationStatus, RunError, RunOptions, TargetReport,
};

/// Plans every target, handing each report to `each` in the targets' order as
/// soon as it is done; at most `concurrency` databases are held at once. The
/// live state comes from one catalog cursor when the server has one (the
/// tenants arrive sorted by name, the order `resolve_targets` gives them),
/// else from concurrent per-database reads.
pub(super) async fn plan_each(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    options: &RunOptions,
    each: &mut (dyn FnMut(TargetReport) + Send),
) {
    read_each(ctx, targets)
        .map(|(target, read)| plan_one(ctx, target, read, options))
        .buffered(ctx.settings.concurrency.max(1))
        .for_each(|report| {
            each(report);
            future::ready(())
        })
        .await;
}

/// Each target with its live state, in the targets' order.
fn read_each<'a>(
    ctx: &'a Context<'_>,
    targets: Vec<Target>,
) -> BoxStream<'a, (Target, Result<DatabaseState, ReadError>)> {
    let one_by_one = |targets: Vec<Target>| {
        stream::iter(targets)
            .map(move |target| async move {
                let r = request(ctx, &target);
                let db = ctx.client.database(&r.database);
                let read = inspect::read_database(db, &r.collections, ctx.settings.socket_timeout);
                (target, read.await)
            })
            .buffered(ctx.settings.concurrency.max(1))
    };
    if ctx.server.read_path == ReadPath::ListIndexes {
        return one_by_one(targets).boxed();
    }
    // The public database on its own (a few collections), the tenants from
    // one cursor over the catalog, sorted by database name.
    let (public, tenants): (Vec<Target>, Vec<Target>) =
        targets.into_iter().partition(|t| t.scope == Scope::Public);
    let requests = tenants.iter().map(|t| request(ctx, t)).collect();
    let tenants = inspect::catalog_each(ctx.client, requests, ctx.settings.socket_timeout).map(
        |(r, read)| {
            let target = Target {
                database: r.database,
                scope: Scope::Tenant,
            };
            (target, read)
        },
    );
    one_by_one(public).chain(tenants).boxed()
}

/// One database: its plan, pending migrations first.
async fn plan_one(
    ctx: &Context<'_>,
    target: Target,
    read: Result<DatabaseState, ReadError>,
    options: &RunOptions,
) -> TargetReport {
    let mut report = TargetReport::new(target);
    match read {
        Ok(live) => match finish_plan(ctx, &report.target, live, options, true).await {
            Ok((plan, read)) => {
                report.plan = Some(plan);
                report.read = Some(read);
            }
            Err(e) => report.outcome = DatabaseOutcome::Failed(e.into()),
        },
        Err(e) => report.outcome = DatabaseOutcome::Failed(e.into()),
    }
    if report.error().is_none()
        && ctx
            .migrations
            .is_some_and(|m| m.any_for(report.target.scope))
    {
        if let Err(e) = migrations_pending(ctx, &mut report).await {
            report.outcome = DatabaseOutcome::Failed(e.into());
        }
    }
    // Pending migrations run first: their steps lead the database's.
    let pending: Vec<&str> = report
        .migrations
        .iter()
        .filter(|m| m.status == MigrationStatus::Pending)
        .map(|m| m.id.as_str())
        .collect();
    if let Some(plan) = report.plan.take() {
        report.plan = Some(plan.with_migrations_first(&pending));
    }
    if let Some(p) = ctx.progress {
        p.database_done(&report.target.database, &report.brief(false));
    }
    report
}

/// Live state → plan → preflight, for one database.
pub(super) async fn finish_plan(
    ctx: &Context<'_>,
    target: &Target,
    mut live: DatabaseState,
    options: &RunOptions,
    check_vanished: bool,
) -> Result<(DatabasePlan, (Vec<String>, String)), RunError> {
    let declared = ctx.manifests.for_scope(target.scope);
    let db = ctx.client.database(&target.database);
    inspect::check_views(&live, declared)?;
    if check_vanished && !live.collections.iter().any(|c| c.exists) {
        vanished_check(ctx, target).await?;
    }
    if state::may_be_retiring(&live, declared) {
        live.retiring = state::read_retiring(&db).await?;
    }
    let plan = plan_database(
        &target.database,
        target.scope,
        declared,
        &live,
        options.plan,
    );
    let plan = if options.preflight || options.apply.is_some() {
        let rate = build_rate(ctx, &plan).await;
        let findings = preflight::check(
            &db,
            &plan.changes,
            &live,
            options.allow_invalid_documents,
            rate,
            min_free_disk(ctx, options),
        )
        .await?;
        plan.with_findings(findings)
    } else {
        plan
    };
    let read = (
        live.collections.iter().map(|c| c.name.clone()).collect(),
        fingerprint(&live),
    );
    Ok((plan, read))
}

/// The disk a database's builds must leave free: the flag, mig.toml's, or 1 GiB.
pub(super) fn min_free_disk(ctx: &Context<'_>, options: &RunOptions) -> u64 {
    options
        .min_free_disk
        .or(ctx.settings.rollout.min_free_disk)
        .unwrap_or(super::rollout::DEFAULT_MIN_FREE_DISK)
}

/// The cluster's measured build rate, read only for a plan that builds.
pub(super) async fn build_rate(ctx: &Context<'_>, plan: &crate::plan::DatabasePlan) -> Option<f64> {
    let builds = plan
        .changes
        .iter()
        .any(|c| c.desired().is_some() && !matches!(c, crate::plan::Change::Modify { .. }));
    match (&ctx.settings.public_database, builds) {
        (Some(public), true) => crate::server::load::build_rate(&ctx.client.database(public)).await,
        _ => None,
    }
}

/// Discovery by prefix or regex found this database in `listDatabases`;
/// check it still exists rather than recreate a database someone just dropped.
pub(super) async fn vanished_check(ctx: &Context<'_>, target: &Target) -> Result<(), RunError> {
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
        .map_err(|e| ReadError::server(&e))?;
    if found.is_empty() {
        return Err(RunError::Vanished(target.database.clone()));
    }
    Ok(())
}
