//! `mig list`: what the manifests declare, the migrations, and which
//! databases tenant discovery finds.

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::render;
use crate::run::{self, Migrations};

use super::failure::{Failure, Outcome, Success};
use super::flags::ReadFlags;
use super::{output, Global, OutputFormat};

/// `mig list`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub flags: ReadFlags,
}

pub const EXAMPLES: &str = "Examples:
  mig list                      the declared indexes, the migrations, the target databases
  mig list --tenants-only --format json";

/// `mig list`: prints the declarations even when discovery fails, then fails.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
) -> Outcome {
    let discovered = match crate::server::connect(settings).await {
        Ok(client) => run::resolve_targets(&client, settings, &global.selection())
            .await
            .map_err(Failure::other),
        Err(e) => Err(Failure::other(e)),
    };
    let shown: render::list::Discovered = match &discovered {
        Ok((targets, rejected)) => Ok((targets, rejected)),
        Err(e) => Err(e),
    };
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            render::list::json(manifests, &migrations.list, &shown)
        }
        OutputFormat::Text | OutputFormat::Markdown => {
            render::list::text(manifests, &migrations.list, &shown)
        }
    });
    discovered.map(|_| Success::Done)
}
