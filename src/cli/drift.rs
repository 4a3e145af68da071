//! `mig drift`: the fleet at a glance. Every target is compared with the
//! manifests, and the databases are grouped by identical deviation, largest
//! group first. It only reads: no preflight, no lock, no journal.

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::drift::{deviations, Drift};
use crate::plan::PlanOptions;
use crate::render;
use crate::run::{ByCluster, TargetReport};

use super::failure::{Failure, Outcome, Success};
use super::flags::CompareFlags;
use super::flags::RunArgs;
use super::fleet::{run_fleet, Job};
use super::{output, Global, OutputFormat};
use crate::run::{Head, Listener};

pub const EXAMPLES: &str = "Examples:
  mig drift                          every database compared with the manifests, grouped by how it differs
  mig drift --tenants-only --collection messages
  mig drift --format json            groups with counts and sample databases, for scripts
  mig drift --format markdown        a summary table and details, for a pull-request comment

Exit code: 0 every database is in sync, 2 some drifted (or a tenant was skipped), 1 a database
could not be read, 3 no tenant database was found.";

/// `mig drift`'s arguments.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Databases read at once (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub flags: CompareFlags,
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
        allow_invalid_documents: false,
        min_free_disk: None,
    };
    let mut fold = Fold::default();
    run_fleet(
        global,
        settings,
        manifests,
        None,
        Job::plan(&compare),
        &mut fold,
    )
    .await?;
    let Fold {
        drift,
        head,
        by_cluster,
    } = fold;
    let Some(head) = head else {
        return Ok(Success::Done);
    };
    let rejected = &head.rejected;
    let style = output::style(global);
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => render::json::document(&render::json::drift(
            &drift,
            rejected,
            head.read_path,
            &head.warnings,
            head.discovery.as_ref(),
            by_cluster.as_ref(),
        )),
        OutputFormat::Text => render::text::drift_report(
            &drift,
            rejected,
            head.discovery.as_ref(),
            by_cluster.as_ref(),
            style,
        ),
        OutputFormat::Markdown => render::markdown::drift(&drift, rejected),
    });
    let clusters = by_cluster.map_or(Vec::new(), |by| by.failures(|c| c[2]));
    if !clusters.is_empty() {
        Err(Failure::Clusters(clusters))
    } else if drift.failed() > 0 {
        Err(Failure::Reported)
    } else if drift.drifted() > 0 || !rejected.is_empty() {
        Ok(Success::ChangesPending)
    } else {
        Ok(Success::Done)
    }
}

/// Folds each database into its group as it is done and lets it go: what is
/// kept grows with the distinct deviations, not with the fleet.
#[derive(Default)]
struct Fold {
    drift: Drift,
    head: Option<Head>,
    /// With `[clusters]`: per cluster, how many in sync, drifted, failed.
    by_cluster: Option<ByCluster<[usize; 3]>>,
}

impl Listener for Fold {
    fn start(&mut self, head: Head) {
        if !head.clusters.is_empty() {
            self.by_cluster = Some(ByCluster::new(&head.clusters));
        }
        self.head = Some(head);
    }

    fn target(&mut self, t: TargetReport) {
        if let Some(by) = &mut self.by_cluster {
            let state = match (t.error(), &t.plan) {
                (None, Some(plan)) if deviations(plan).is_empty() => 0,
                (None, Some(_)) => 1,
                _ => 2,
            };
            by.of(t.cluster.as_deref())[state] += 1;
        }
        let error = t.error().map(|e| e.message.clone());
        match (error, t.plan) {
            (Some(why), _) => self.drift.add_failure(&t.target.database, &why),
            (None, Some(plan)) => self.drift.add(&t.target.database, deviations(&plan)),
            (None, None) => self.drift.add_failure(&t.target.database, "not read"),
        }
    }
}
