//! `mig pause` and `mig resume`: hold and release every running apply on a
//! cluster between steps, from another terminal. The pause is a control
//! document in the public database (`mig` collection, `_id: "pause"`): a
//! running apply looks at it before each step (`run::rollout`).

use clap::Args;

use crate::config::Settings;
use crate::server::load;

use super::failure::{Failure, NoPublicDatabase, Outcome, Success};
use super::flags::{ClusterFlag, ConnectionFlags};
use super::output;

/// `mig pause`'s and `mig resume`'s arguments.
#[derive(Debug, Args)]
pub struct PauseArgs {
    #[command(flatten)]
    pub connection: ConnectionFlags,
    #[command(flatten)]
    pub cluster: ClusterFlag,
}

pub const PAUSE_EXAMPLES: &str = "Examples:
  mig pause                  every running apply waits before its next step
  mig pause --cluster eu     only those on cluster eu
  mig resume                 they go on

A step in flight (an index build) finishes; none starts while paused.
`mig status` shows the pause and who set it.";

pub const RESUME_EXAMPLES: &str = "Examples:
  mig resume
  mig resume --cluster eu";

/// Who pauses: the user and host, as a lock names its holder.
fn who() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "?".into());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("{user}@{host} (pid {})", std::process::id())
}

/// The public database of the cluster, where the pause is kept.
async fn public(settings: &Settings) -> Result<mongodb::Database, Failure> {
    let public = settings
        .public_database
        .as_deref()
        .ok_or_else(|| Failure::from(NoPublicDatabase))?;
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::from)?;
    Ok(client.database(public))
}

pub async fn pause(settings: &Settings) -> Outcome {
    let by = who();
    load::pause(&public(settings).await?, &by)
        .await
        .map_err(Failure::from)?;
    output::stdout(&format!(
        "Paused by {by}: running applies wait before their next step (mig resume goes on).\n"
    ));
    Ok(Success::Done)
}

pub async fn resume(settings: &Settings) -> Outcome {
    let was = load::resume(&public(settings).await?)
        .await
        .map_err(Failure::from)?;
    output::stdout(match was {
        true => "Resumed: running applies go on.\n",
        false => "Not paused: nothing to resume.\n",
    });
    Ok(Success::Done)
}
