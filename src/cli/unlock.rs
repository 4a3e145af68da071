//! `mig unlock DATABASE --force`: removes a database's lock, whoever holds it.

use clap::Args;

use crate::config::Settings;
use crate::render::messages;
use crate::server::bookkeeping::lock;

use super::failure::{Failure, Outcome, Success};
use super::flags::{ClusterFlag, ConnectionFlags};
use super::output;

/// `mig unlock`'s arguments.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The locked database.
    #[arg(value_name = "DATABASE")]
    pub database: String,
    /// Required: this can let two runs write at once if the holder is alive.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub connection: ConnectionFlags,
    #[command(flatten)]
    pub cluster: ClusterFlag,
}

pub const EXAMPLES: &str = "Examples:
  mig unlock tenant_acme             who holds the lock, and since when
  mig unlock tenant_acme --force     remove it (after a crashed run)
  mig unlock tenant_acme --cluster eu --force";

/// `mig unlock`: without `--force`, only says who holds the lock (and fails if someone does).
pub async fn run(settings: &Settings, args: &UnlockArgs) -> Outcome {
    let database = &args.database;
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::from)?;
    let db = client.database(database);
    let removed = if args.force {
        lock::force_unlock(&db).await.map_err(Failure::from)?
    } else if let Some(holder) = lock::holder(&db).await {
        return Err(Failure::Locked {
            database: database.clone(),
            holder: Box::new(holder),
        });
    } else {
        None
    };
    output::stdout(&match removed {
        Some(holder) => messages::unlocked(database, &holder),
        None => messages::not_locked(database),
    });
    Ok(Success::Done)
}
