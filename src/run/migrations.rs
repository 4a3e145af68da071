//! Data migrations within a fleet run: what each database needs (plan,
//! status), running them before the index sync (apply), and `mig down`.

use std::sync::Mutex;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};

use super::{Context, MigrationStatus, TargetReport};
use crate::migrate::api::{Changelog, Migration, MigrationError, Options, Pending, Runner};
use crate::model::Scope;
use crate::plan::{steps, DatabasePlan};
use crate::server::bookkeeping::lock::{Lock, LockOptions};
use crate::server::execute::{ApplyError, Executor, Migrator};
use crate::targets::Target;

/// What happened to one migration in one database.
#[derive(Clone, Debug)]
pub struct MigrationOutcome {
    pub id: String,
    pub description: String,
    pub status: MigrationStatus,
    pub error: Option<String>,
    /// What it does, step by step (for dry runs).
    pub steps: Vec<String>,
}

/// The migration files and how to run them.
#[derive(Clone, Debug, Default)]
pub struct Migrations {
    pub list: Vec<Migration>,
    /// Files `mig new` wrote with no `up` step yet: left out of `list`;
    /// `apply` refuses to run while there is one.
    pub drafts: Vec<crate::diagnostics::Problem>,
    pub to: Option<String>,
    pub allow_changed: bool,
    pub retry_failed: bool,
}

impl Migrations {
    fn options(&self) -> Options<'_> {
        Options {
            to: self.to.as_deref(),
            allow_changed: self.allow_changed,
            retry_failed: self.retry_failed,
        }
    }

    pub(super) fn any_for(&self, scope: Scope) -> bool {
        self.list.iter().any(|m| m.scope.includes(scope))
    }
}

fn outcome(m: &Migration, status: MigrationStatus, error: Option<String>) -> MigrationOutcome {
    MigrationOutcome {
        id: m.id.clone(),
        description: m.description.clone(),
        status,
        error,
        steps: m.up.iter().map(|op| op.describe()).collect(),
    }
}

/// Reads a database's changelog and decides what it needs.
async fn read_pending<'m>(
    ctx: &Context<'m>,
    migrations: &'m Migrations,
    target: &Target,
) -> Result<(Changelog, Pending<'m>), MigrationError> {
    let db = ctx.client.database(&target.database);
    let log = Changelog::read(&db, &ctx.settings.changelog).await?;
    let need = log.pending(&migrations.list, target.scope, &migrations.options());
    Ok((log, need))
}

/// Migrations in the changelog whose files are missing on disk, as warnings.
fn warn_missing(need: &Pending<'_>, report: &mut TargetReport) {
    report.warnings.extend(
        need.missing
            .iter()
            .map(|id| format!("migration {id} is in the changelog but its file is missing")),
    );
}

/// What a database needs (plan, status).
pub(super) async fn migrations_pending(
    ctx: &Context<'_>,
    report: &mut TargetReport,
) -> Result<(), MigrationError> {
    let Some(migrations) = ctx.migrations else {
        return Ok(());
    };
    let (log, need) = read_pending(ctx, migrations, &report.target).await?;
    warn_missing(&need, report);
    report.migrations = need
        .run
        .iter()
        .map(|m| outcome(m, MigrationStatus::Pending, None))
        .collect();
    report.changelog = log.into_entries();
    match need.blocked {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// A locked database's pending migrations, its changelog read once: their
/// ids go in its plan (made before they run), then they run.
pub(super) struct Due<'m> {
    log: Changelog,
    need: Pending<'m>,
}

impl Due<'_> {
    /// The ids, in order.
    pub(super) fn ids(&self) -> Vec<String> {
        self.need.run.iter().map(|m| m.id.clone()).collect()
    }
}

/// What a database has pending (`None`: no migration is for its scope). A
/// changelog that blocks them is an error.
pub(super) async fn due<'m>(
    ctx: &Context<'m>,
    target: &Target,
) -> Result<Option<Due<'m>>, MigrationError> {
    let Some(migrations) = ctx.migrations.filter(|m| m.any_for(target.scope)) else {
        return Ok(None);
    };
    let (log, need) = read_pending(ctx, migrations, target).await?;
    if let Some(why) = need.blocked {
        return Err(why);
    }
    Ok(Some(Due { log, need }))
}

/// Runs the pending migrations of a locked database, as the first steps of
/// its plan, by the executor; `Err` stops its run. The steps and what they
/// did are left in `report.plan` and `report.applied`.
pub(super) async fn migrations_apply<'m>(
    ctx: &Context<'m>,
    report: &mut TargetReport,
    lock: &Lock,
    due: Due<'m>,
) -> Result<(), MigrationError> {
    let Due { log, need } = due;
    warn_missing(&need, report);
    let db = ctx.client.database(&report.target.database);
    let note = |line: &str| {
        if let Some(p) = ctx.progress {
            p.note(line);
        }
    };
    let ids: Vec<&str> = need.run.iter().map(|m| m.id.as_str()).collect();
    let mut plan = DatabasePlan::new(&report.target.database, report.target.scope, Vec::new());
    plan.steps = steps::migrations(&ids);
    let pass = Pass {
        runner: Runner {
            db: db.clone(),
            changelog: ctx.settings.changelog.clone(),
            fence: lock,
            batch: log.next_batch(),
            transactions: ctx.server.replica_set.is_some(),
            progress: &note,
        },
        log,
        run: need.run,
        outcomes: Mutex::new(Vec::new()),
        failure: Mutex::new(None),
    };
    let executor = Executor {
        db,
        fence: lock,
        // Each migration is recorded in the changelog, not the journal.
        journal: None,
        commit_quorum: None,
        progress: ctx.progress,
        migrator: Some(&pass),
        gate: None,
    };
    let applied = executor.apply(&plan).await;
    report.plan = Some(plan);
    report.applied = Some(applied);
    report
        .migrations
        .extend(pass.outcomes.into_inner().unwrap_or_default());
    match pass.failure.into_inner().unwrap_or_default() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One database's pending migrations in one apply, run by the executor's
/// migration steps.
struct Pass<'a> {
    runner: Runner<'a>,
    log: Changelog,
    run: Vec<&'a Migration>,
    outcomes: Mutex<Vec<MigrationOutcome>>,
    failure: Mutex<Option<MigrationError>>,
}

impl Migrator for Pass<'_> {
    fn up<'b>(&'b self, id: &'b str) -> BoxFuture<'b, Result<(), ApplyError>> {
        Box::pin(async move {
            let Some(m) = self.run.iter().find(|m| m.id == id) else {
                return Err(ApplyError::Migration {
                    id: id.to_string(),
                    message: "not among the pending migrations".into(),
                });
            };
            let result = self.runner.up(m, self.log.entry(id)).await;
            let message = result.as_ref().err().map(ToString::to_string);
            let status = match result {
                Ok(()) => MigrationStatus::Applied,
                Err(_) => MigrationStatus::Failed,
            };
            if let Ok(mut outcomes) = self.outcomes.lock() {
                outcomes.push(outcome(m, status, message.clone()));
            }
            let Err(e) = result else {
                return Ok(());
            };
            if let Ok(mut failure) = self.failure.lock() {
                *failure = Some(MigrationError::Apply {
                    id: m.id.clone(),
                    source: Box::new(e),
                });
            }
            Err(ApplyError::Migration {
                id: m.id.clone(),
                message: message.unwrap_or_default(),
            })
        })
    }
}

/// `mig down`: reverts the last batch (or back to `to`) in every target;
/// without a lock (`--dry-run`), only says what it would revert.
pub async fn down(
    ctx: &Context<'_>,
    targets: Vec<Target>,
    to: Option<&str>,
    lock: Option<&LockOptions>,
) -> Vec<TargetReport> {
    if lock.is_some() && ctx.server.mongos {
        let mut reports = Vec::new();
        super::refuse_on_mongos(ctx, targets, &mut |r| reports.push(r));
        return reports;
    }
    let order: Vec<String> = targets.iter().map(|t| t.database.clone()).collect();
    let mut reports: Vec<TargetReport> = stream::iter(targets)
        .map(|target| async move {
            let mut report = TargetReport::new(target);
            let db = ctx.client.database(&report.target.database);
            let result = match lock {
                None => would_revert(ctx, &mut report, to).await,
                Some(lock) => {
                    let Some(lock) = super::take_lock(&db, lock, &mut report).await else {
                        return report;
                    };
                    let result = down_one(ctx, &mut report, to, &lock).await;
                    lock.release().await;
                    result
                }
            };
            if let Err(e) = result {
                report.outcome = super::DatabaseOutcome::Failed(e.into());
            }
            if let Some(p) = ctx.progress {
                p.database_done(&report.target.database, &report.brief(true));
            }
            report
        })
        .buffer_unordered(ctx.settings.concurrency)
        .collect()
        .await;
    super::in_order(&mut reports, &order);
    reports
}

/// `mig down --dry-run`: what `down` would revert here, and its steps.
async fn would_revert(
    ctx: &Context<'_>,
    report: &mut TargetReport,
    to: Option<&str>,
) -> Result<(), MigrationError> {
    let Some(migrations) = ctx.migrations else {
        return Ok(());
    };
    let db = ctx.client.database(&report.target.database);
    let log = Changelog::read(&db, &ctx.settings.changelog).await?;
    for m in log.to_revert(&migrations.list, to)? {
        let mut o = outcome(m, MigrationStatus::ToRevert, None);
        o.steps = m.down.iter().map(|op| op.describe()).collect();
        report.migrations.push(o);
    }
    Ok(())
}

async fn down_one(
    ctx: &Context<'_>,
    report: &mut TargetReport,
    to: Option<&str>,
    lock: &Lock,
) -> Result<(), MigrationError> {
    let Some(migrations) = ctx.migrations else {
        return Ok(());
    };
    let db = ctx.client.database(&report.target.database);
    let log = Changelog::read(&db, &ctx.settings.changelog).await?;
    let revert = log.to_revert(&migrations.list, to)?;
    let runner = Runner {
        db: db.clone(),
        changelog: ctx.settings.changelog.clone(),
        fence: lock,
        batch: revert
            .first()
            .and_then(|m| log.entry(&m.id))
            .map_or(0, |e| e.batch),
        transactions: ctx.server.replica_set.is_some(),
        progress: &|_| {},
    };
    for m in revert {
        match runner.down(m).await {
            Ok(()) => report
                .migrations
                .push(outcome(m, MigrationStatus::Reverted, None)),
            Err(e) => {
                report
                    .migrations
                    .push(outcome(m, MigrationStatus::Failed, Some(e.to_string())));
                return Err(MigrationError::Revert {
                    id: m.id.clone(),
                    source: Box::new(e),
                });
            }
        }
    }
    Ok(())
}
