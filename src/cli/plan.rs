//! `mig plan`: what differs between the manifests and the live databases;
//! `--out` saves it for `mig apply FILE`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::Settings;
use crate::lint;
use crate::manifest::Manifests;
use crate::plan::saved::{self, SavedPlan, SavedTarget};
use crate::redact::scrub;
use crate::render;
use crate::run::Migrations;

use super::failure::{Failure, Outcome, Success};
use super::flags::CompareFlags;
use super::flags::RunArgs;
use super::fleet::{plan_or_apply, Job};
use super::output;
use super::printer::Printer;
use super::Global;

pub const EXAMPLES: &str = "Examples:
  mig plan                               every database: what would change
  mig plan --tenant acme --collection messages
  mig plan --detailed-exitcode           in CI: exit 2 when anything is pending
  mig plan --out plan.json               save it; `mig apply plan.json` applies exactly it
  mig plan --cluster eu                  with [clusters] in mig.toml: only the databases on cluster eu";

/// `mig plan`'s arguments.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Exit 0 when every database is in sync, 2 when not (changes or
    /// migrations pending, an unmanaged index, a tenant skipped), 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also write the exact plan to FILE, for `mig apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub flags: CompareFlags,
}

/// `mig plan`.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
    args: &PlanArgs,
) -> Outcome {
    // The lint rules set to `error` fail the plan too; it is shown all the same.
    let lint_errors = lint::declarations(manifests, &settings.lint).only_errors();
    let mut printer = Printer::new(global, args.out.is_some());
    printer
        .after_json
        .insert("lint".into(), render::lint::findings_json(&lint_errors));
    printer.after_text = render::lint::plan_section(&lint_errors, output::style(global));
    let job = Job::plan(&args.run);
    let printed =
        plan_or_apply(global, settings, manifests, Some(migrations), job, printer).await?;
    if let Some(path) = &args.out {
        save_plan(printed.saved.unwrap_or_default(), path)?;
    }
    super::lint::outcome(&lint_errors)?;
    // Exit 2 unless every database is in sync, as `drift` says it: nothing
    // to apply, no unmanaged index, no tenant name or registry entry skipped.
    Ok(if args.detailed_exitcode && !printed.tally.in_sync() {
        Success::ChangesPending
    } else {
        Success::Done
    })
}

/// Writes the plan of every database that has one, with the fingerprints of
/// what was read, for `mig apply FILE`.
fn save_plan(targets: Vec<SavedTarget>, path: &Path) -> Result<(), Failure> {
    let saved = saved_plan(targets);
    let text = scrub(&serde_json::to_string_pretty(&saved).map_err(Failure::from)?);
    std::fs::write(path, text + "\n").map_err(|source| Failure::File {
        path: path.to_path_buf(),
        source,
    })?;
    tracing::info!("plan saved to {}", path.display());
    Ok(())
}

/// The plan of every database that has one, with the fingerprints of what
/// was read: what `mig apply FILE` applies, and what a confirmed apply applies.
pub fn saved_plan(targets: Vec<SavedTarget>) -> SavedPlan {
    SavedPlan {
        format: saved::FORMAT,
        mig_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: bson::DateTime::now()
            .try_to_rfc3339_string()
            .unwrap_or_default(),
        targets,
    }
}
