//! `mig history DATABASE`: the journal of a database, every step `mig` ran
//! there, newest first.

use clap::Args;

use crate::config::Settings;
use crate::render;
use crate::server::journal;

use super::failure::{Failure, Outcome, Success};
use super::{output, Global, OutputFormat};

/// `mig history`'s arguments.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    pub database: String,
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
}

/// `mig history`: reads only the server.
pub async fn run(global: &Global, settings: &Settings, args: &HistoryArgs) -> Outcome {
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::other)?;
    let entries = journal::history(&client.database(&args.database), args.limit)
        .await
        .map_err(Failure::other)?;
    output::stdout(&match global.format {
        OutputFormat::Json => render::history::json(&entries),
        OutputFormat::Text => render::history::text(&args.database, &entries),
    });
    Ok(Success::Done)
}
