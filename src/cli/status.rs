//! `mig status`: per database, each migration applied, pending or failed,
//! and whether the index sync is clean.

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::PlanOptions;
use crate::render;
use crate::run::{self, Migrations, OnError, RunOptions};

use super::failure::{Failure, Outcome, Success};
use super::flags::ReadFlags;
use super::fleet::Fleet;
use super::{output, Global};

/// `mig status`'s arguments.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Databases read at once (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Exit 0 when every database is up to date, 2 when any is behind, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub flags: ReadFlags,
}

pub const EXAMPLES: &str = "Examples:
  mig status                         every database: migrations applied or pending, indexes clean or not
  mig status --tenant acme
  mig status --detailed-exitcode     exit 2 when any database is behind";

/// `mig status`: fails when a database could not be read.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
    args: &StatusArgs,
) -> Outcome {
    let fleet = Fleet::connect(global, settings).await?;
    let ctx = fleet.context(settings, manifests, migrations);
    let options = RunOptions {
        plan: PlanOptions::default(),
        apply: None,
        on_error: OnError::Continue,
        canary: 0,
        commit_quorum: None,
        preflight: true,
        allow_invalid_documents: false,
    };
    // Each database printed as it is done, then let go; the counts remain.
    let style = output::style(global);
    let mut json = render::json::ReportWriter::of(false, "databases");
    let mut counts = [0usize; 3];
    if global.format.is_json() {
        output::stdout(&json.head(&Default::default()));
    }
    let mut each = |t: run::TargetReport| {
        let state = render::status_of(&t, &render::status_rows(&t, &migrations.list));
        counts[state as usize] += 1;
        let text = match global.format.is_json() {
            true => json.target(&render::json::status_database(&t, &migrations.list)),
            false => render::text::status_database(&t, &migrations.list, style),
        };
        fleet.progress.suspend(|| output::stdout(&text));
    };
    run::run_each(&ctx, fleet.targets.clone(), &options, &mut each).await;
    fleet.progress.finish();
    output::stdout(&match global.format.is_json() {
        true => json.tail(render::json::status_tail(&counts), Default::default()),
        false => render::text::status_summary(&counts, style),
    });
    if counts[render::DatabaseStatus::Failed as usize] > 0 {
        Err(Failure::Reported)
    } else if args.detailed_exitcode && counts[render::DatabaseStatus::Behind as usize] > 0 {
        Ok(Success::ChangesPending)
    } else {
        Ok(Success::Done)
    }
}
