//! `mig drift`: the fleet at a glance. Every target is compared with the
//! manifests, and the databases are grouped by identical deviation, largest
//! group first. It only reads: no preflight, no lock, no journal.

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::drift::{deviations, Drift};
use crate::plan::PlanOptions;
use crate::render;

use super::failure::{Failure, Outcome, Success};
use super::flags::{CollectionFlag, ConnectionFlags, DatabaseFlags, DevFlags, ProjectFlags};
use super::fleet::run_fleet;
use super::plan::RunArgs;
use super::{output, Global, OutputFormat};

pub const EXAMPLES: &str = "Examples:
  mig drift                          every database compared with the manifests, grouped by how it differs
  mig drift --tenants-only --collection messages
  mig drift --format json            groups with counts and sample databases, for scripts
  mig drift --format markdown        a summary table and details, for a pull-request comment

Exit code: 0 every database is in sync, 2 some drifted, 1 a database could not be read.";

/// `mig drift`'s arguments.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Databases read at once (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub connection: ConnectionFlags,
    #[command(flatten)]
    pub dev: DevFlags,
    #[command(flatten)]
    pub project: ProjectFlags,
    #[command(flatten)]
    pub databases: DatabaseFlags,
    #[command(flatten)]
    pub collection: CollectionFlag,
}

/// `mig drift`: exit 0 in sync, 2 drift, 1 when a database could not be read.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    args: &DriftArgs,
) -> Outcome {
    // Compared as `plan` compares, never pruning: an undeclared index is extra.
    let compare = RunArgs {
        prune: false,
        drop_now: false,
        drop_after: PlanOptions::default().drop_after,
        concurrency: args.concurrency,
        preflight: false,
    };
    let report = run_fleet(global, settings, manifests, None, &compare, None, None).await?;
    // Folded one database at a time: what is kept grows with the distinct
    // deviations, not with the fleet.
    let mut drift = Drift::default();
    for t in report.targets {
        match (t.error, t.plan) {
            (Some(why), _) => drift.add_failure(&t.target.database, &why),
            (None, Some(plan)) => drift.add(&t.target.database, deviations(&plan)),
            (None, None) => drift.add_failure(&t.target.database, "not read"),
        }
    }
    let rejected = &report.rejected;
    output::stdout(&match global.format {
        OutputFormat::Json => render::json::document(&render::json::drift(
            &drift,
            rejected,
            report.read_path,
            &report.warnings,
        )),
        OutputFormat::Text => render::text::drift(&drift, rejected, output::style(global)),
        OutputFormat::Markdown => render::markdown::drift(&drift, rejected),
    });
    if drift.failed() > 0 {
        Err(Failure::Reported)
    } else if drift.drifted() > 0 {
        Ok(Success::ChangesPending)
    } else {
        Ok(Success::Done)
    }
}
