//! `mig status`: per database, each migration applied, pending or failed,
//! and whether the index sync is clean.

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::PlanOptions;
use crate::render;
use crate::run::{self, ByCluster, Migrations, OnError, RunOptions};

use super::failure::{Failure, Outcome, Success};
use super::flags::ReadFlags;
use super::fleet;
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
    let session = fleet::connect(global, settings, manifests).await?;
    let fleet = &session.fleet;
    let options = RunOptions {
        plan: PlanOptions::default(),
        apply: None,
        on_error: OnError::Continue,
        canary: 0,
        commit_quorum: None,
        preflight: true,
        allow_invalid_documents: false,
        min_free_disk: None,
        stop: Default::default(),
        controls: Default::default(),
    };
    // Each database printed as it is done, then let go; the counts remain.
    let style = output::style(global);
    let mut json = render::json::ReportWriter::of(false, "databases");
    let mut counts = [0usize; 3];
    // With [clusters]: the counts per cluster, and a heading per cluster.
    let infos = fleet.infos();
    let mut by_cluster = (!infos.is_empty()).then(|| ByCluster::<[usize; 3]>::new(&infos));
    let mut heading = None;
    if global.format.is_json() {
        output::stdout(&json.head(&Default::default()));
    } else {
        output::stdout(
            &(render::text::discovery(fleet.discovery.as_ref(), style)
                + &render::text::rejected(&fleet.rejected, style)),
        );
    }
    let mut each = |t: run::TargetReport| {
        let database = render::json::status_model(&t, &migrations.list, by_cluster.is_some());
        let state = database.status;
        counts[state as usize] += 1;
        let mut text = String::new();
        if let Some(by) = &mut by_cluster {
            by.of(t.cluster.as_deref())[state as usize] += 1;
            if !global.format.is_json() && heading != Some(t.cluster.clone()) {
                heading = Some(t.cluster.clone());
                text = render::text::cluster_heading(t.cluster.as_deref(), &infos, style);
            }
        }
        text += &match global.format.is_json() {
            true => json.target(&render::model::value(&database)),
            false => render::text::status_database(&database, style),
        };
        session.progress.suspend(|| output::stdout(&text));
    };
    let work = run::Work::Run(options);
    session
        .each(manifests, Some(migrations), work, &mut each)
        .await;
    let pause = session.pause(settings).await;
    let failed = render::DatabaseStatus::Failed as usize;
    output::stdout(&match global.format.is_json() {
        true => json.tail(
            render::json::status_tail(
                &counts,
                fleet.discovery.as_ref(),
                pause.as_ref(),
                by_cluster.as_ref(),
            ),
            Default::default(),
        ),
        false => render::text::status_closing(
            &counts,
            by_cluster.as_ref(),
            fleet.rejected.len(),
            pause.as_ref(),
            style,
        ),
    });
    let clusters = by_cluster
        .as_ref()
        .map_or(Vec::new(), |by| by.failures(|c| c[failed]));
    if !clusters.is_empty() {
        Err(Failure::Clusters(clusters))
    } else if counts[failed] > 0 {
        Err(Failure::Reported)
    } else if args.detailed_exitcode
        && (counts[render::DatabaseStatus::Behind as usize] > 0 || !fleet.rejected.is_empty())
    {
        Ok(Success::ChangesPending)
    } else {
        Ok(Success::Done)
    }
}
