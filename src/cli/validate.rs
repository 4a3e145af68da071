//! `mig validate`: checks mig.toml, the manifests and the migrations offline
//! (done before any command runs); with a dev server, builds every declared
//! index there.

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::render;
use crate::run::Migrations;
use crate::server::dev;

use super::failure::{Failure, Outcome, Success};
use super::flags::{DevFlags, ProjectFlags};
use super::{output, Global, OutputFormat};

/// `mig validate`'s arguments: offline, so no connection.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub dev: DevFlags,
    #[command(flatten)]
    pub project: ProjectFlags,
}

pub const EXAMPLES: &str = "Examples:
  mig validate                          mig.toml, the manifests and the migrations, offline
  mig validate --dev-uri mongodb://localhost:27018
                                        also build every declared index on a dev server
  mig validate --server-version 7.0      with MongoDB 7.0's rules (compound wildcard indexes)
  mig validate --format json            the problems as a JSON document";

/// `mig validate`: the offline checks passed when this runs.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
) -> Outcome {
    // Offline checks passed; a dev server, if any, builds every declaration.
    let dev = match &settings.dev_uri {
        None => None,
        Some(dev_uri) => {
            let outcome = dev::for_validate(dev_uri, settings, manifests)
                .await
                .map_err(Failure::from)?;
            let problems = outcome.problems();
            if !problems.is_empty() {
                return Err(Failure::Problems(problems));
            }
            Some(outcome)
        }
    };
    let n = migrations.list.len();
    if global.format == OutputFormat::Text && !global.quiet {
        output::stderr(&crate::render::problems::note(&super::setup::rules_used(
            settings,
        )));
    }
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            render::validate::json(manifests, n, dev.as_ref())
        }
        OutputFormat::Text | OutputFormat::Markdown => {
            render::validate::text(manifests, n, dev.as_ref())
        }
    });
    Ok(Success::Done)
}
