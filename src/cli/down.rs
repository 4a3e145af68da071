//! `mig down`: reverts the last batch of migrations (or back to, not
//! including, `--to`) in every target.

use std::time::Duration;

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::run::{self, Migrations, Report};
use crate::server::bookkeeping::lock::LockOptions;

use super::failure::{Failure, Outcome, Success};
use super::flags::TargetFlags;
use super::fleet::{self, print_report};
use super::{output, Global, OutputFormat};

/// `mig down`'s arguments.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Revert every migration applied after this id (default: the last batch).
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Show what would be reverted, and its `down` steps; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait this long for a database locked by another run (default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lock_wait: Option<Duration>,
    /// Databases worked on at once (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub flags: TargetFlags,
}

pub const EXAMPLES: &str = "Examples:
  mig down --dry-run                      what the last batch's `down` steps would do
  mig down --tenant acme                  revert the last batch in one tenant
  mig down --to 20250101000000_seed       revert everything applied after that migration";

/// `mig down`: prints what was reverted; fails when a database failed.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
    args: &DownArgs,
) -> Outcome {
    let to = args.to.as_deref();
    if let Some(to) = to {
        if !migrations.list.iter().any(|m| m.id == to) {
            return Err(Failure::NoSuchMigration {
                to: to.to_string(),
                dir: settings.migrations.clone(),
            });
        }
    }
    let session = fleet::connect(global, settings, manifests).await?;
    let lock = LockOptions {
        lease: Duration::from_secs(60),
        wait: args.lock_wait,
        command: "mig down".into(),
        run_id: bson::oid::ObjectId::new().to_hex(),
    };
    let lock = (!args.dry_run).then_some(&lock);
    let mut reports = Vec::new();
    let work = run::Work::Down {
        to: to.map(String::from),
        lock: lock.cloned(),
    };
    session
        .each(manifests, Some(migrations), work, &mut |r| reports.push(r))
        .await;
    let fleet = &session.fleet;
    let report = Report {
        targets: reports,
        applied: !args.dry_run,
        clusters: fleet.infos(),
        discovery: fleet.discovery.clone(),
        ..Default::default()
    };
    let clusters = print_report(global, &report);
    if args.dry_run && global.format == OutputFormat::Text && !global.quiet {
        output::stderr("Dry run: nothing was written.\n");
    }
    if !clusters.is_empty() {
        Err(Failure::Clusters(clusters))
    } else if report.failed() {
        Err(Failure::Reported)
    } else {
        Ok(Success::Done)
    }
}
