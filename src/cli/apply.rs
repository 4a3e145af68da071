//! `mig apply` (data migrations, then the index sync) and `mig sync-indexes`
//! (the index sync alone); the run itself is [`super::fleet::plan_or_apply`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::run::{Migrations, OnError};

use super::failure::{Failure, Outcome, Success};
use super::fleet::plan_or_apply;
use super::plan::RunArgs;
use super::Global;

/// `mig apply`'s arguments: those of `sync-indexes`, and which migrations.
#[derive(Debug, Args)]
pub struct ApplyAndMigrateArgs {
    #[command(flatten)]
    pub args: ApplyArgs,
    #[command(flatten)]
    pub migrate: MigrateArgs,
}

/// `mig sync-indexes`'s arguments, and `mig apply`'s.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `mig plan --out`: apply exactly it, to the databases
    /// whose live indexes are still as they were when it was made.
    #[arg(value_name = "PLAN")]
    pub saved: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the plan and change nothing (also: MIGRATION_DRY_RUN=true).
    #[arg(long)]
    pub dry_run: bool,
    /// Wait this long for a database locked by another run (default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lock_wait: Option<Duration>,
    /// How long a lock lasts unless renewed; a killed run's lock is free after it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub lock_lease: Duration,
    /// After a database fails: go on with the others, or start no more.
    #[arg(long, value_enum, default_value_t = OnError::Continue)]
    pub on_error: OnError,
    /// Apply to the public database and N tenants first; stop if any of them fails.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub canary: usize,
    /// `commitQuorum` for index builds: votingMembers, majority, a number or a tag.
    #[arg(long, value_name = "QUORUM")]
    pub commit_quorum: Option<String>,
}

/// Which data migrations `mig apply` runs.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Stop after this migration.
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Run although an applied migration's file changed since.
    #[arg(long)]
    pub allow_changed: bool,
    /// Run a failed migration again.
    #[arg(long)]
    pub retry_failed: bool,
}

/// `mig apply`: pending data migrations, then the index sync.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
    args: &ApplyAndMigrateArgs,
) -> Outcome {
    let migrate = &args.migrate;
    if let Some(to) = &migrate.to {
        if !migrations.list.iter().any(|m| &m.id == to) {
            return Err(Failure::NoSuchMigration {
                to: to.clone(),
                dir: settings.migrations.clone(),
            });
        }
    }
    let migrations = Migrations {
        to: migrate.to.clone(),
        allow_changed: migrate.allow_changed,
        retry_failed: migrate.retry_failed,
        ..migrations.clone()
    };
    apply(
        global,
        settings,
        manifests,
        Some(&migrations),
        &args.args,
        "apply",
    )
    .await
}

/// `mig sync-indexes`: the index sync alone.
pub async fn sync_indexes(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    args: &ApplyArgs,
) -> Outcome {
    apply(global, settings, manifests, None, args, "sync-indexes").await
}

/// Applies, unless it is a dry run: then only plans.
async fn apply(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    args: &ApplyArgs,
    name: &str,
) -> Outcome {
    let apply = (!(args.dry_run || settings.dry_run)).then_some((args, name));
    plan_or_apply(global, settings, manifests, migrations, &args.run, apply).await?;
    Ok(Success::Done)
}
