//! `mig down`: reverts the last batch of migrations (or back to, not
//! including, `--to`) in every target.

use std::time::Duration;

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::run::{self, Migrations, Report};
use crate::server::lock::LockOptions;

use super::failure::{Failure, Outcome, Success};
use super::fleet::{print_report, Fleet};
use super::Global;

/// `mig down`'s arguments.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Revert every migration applied after this id.
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lock_wait: Option<Duration>,
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
}

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
    let fleet = Fleet::connect(global, settings).await?;
    let ctx = fleet.context(settings, manifests, migrations);
    let lock = LockOptions {
        lease: Duration::from_secs(60),
        wait: args.lock_wait,
        command: "mig down".into(),
        run_id: bson::oid::ObjectId::new().to_hex(),
    };
    let reports = run::down(&ctx, fleet.targets.clone(), to, &lock).await;
    fleet.progress.finish();
    let report = Report {
        targets: reports,
        applied: true,
        ..Default::default()
    };
    print_report(global, &report);
    if report.failed() {
        Err(Failure::Reported)
    } else {
        Ok(Success::Done)
    }
}
