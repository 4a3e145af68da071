//! Why a run could not resolve its targets, or work on one database.

use crate::migrate::MigrationError;
use crate::plan::saved::SavedPlanError;
use crate::server::errors::ReadError;
use crate::server::lock::LockError;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no public database configured ([public].database in mig.toml, MONGODB_PUBLIC_DATABASE or --public-db)")]
    NoPublicDatabase,
    #[error("no tenant discovery configured (a [tenants] section in mig.toml)")]
    NoDiscovery,
    #[error("tenant discovery failed: {0}")]
    Discovery(String),
    #[error(transparent)]
    UnknownTenants(#[from] crate::targets::Unmatched),
    /// Found by prefix or regex, then dropped before the run reached it.
    #[error("database {0} no longer exists (dropped after discovery); nothing was done")]
    Vanished(String),
    /// A saved plan's database changed since the plan was made.
    #[error("drifted since the plan was made (live indexes fingerprint {now} ≠ planned {planned}); not applied: plan again")]
    Drifted { now: String, planned: String },
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Saved(#[from] SavedPlanError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Lock(#[from] LockError),
}
