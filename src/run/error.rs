//! Why a run could not resolve its targets, or work on one database.

use crate::migrate::api::MigrationError;
use crate::plan::saved::SavedPlanError;
use crate::server::bookkeeping::lock::LockError;
use crate::server::errors::ReadError;

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
    /// A saved plan's migrations are not those pending now (someone ran or
    /// added one since the plan was made).
    #[error("its pending migrations changed since the plan was made (now: {}; planned: {}); not applied: plan again", list(.now), list(.planned))]
    MigrationsChanged {
        now: Vec<String>,
        planned: Vec<String>,
    },
    /// A saved plan with migrations, given to a command that runs none.
    #[error("the saved plan runs data migrations first ({}): apply it with `mig apply`, not `sync-indexes`", .0.join(", "))]
    MigrationsNotRun(Vec<String>),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Saved(#[from] SavedPlanError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A write through `mongos`: not done yet (see the README's "Sharded clusters").
    #[error(
        "refused: the server is a mongos (a sharded cluster), where mig does not write yet: it \
         does not yet keep shard-key indexes from being hidden or dropped, check that every \
         shard built the same indexes (listIndexes answers for one shard), or pass commitQuorum \
         per shard; nothing was written"
    )]
    Mongos,
    /// The routing refused the tenant (see `targets::routing`).
    #[error("not routed: {0}; nothing was done on any cluster")]
    Misrouted(crate::targets::routing::Misrouted),
    /// `--max-lag` on a server (a cluster, named) that won't say its
    /// replication status: refused before any write.
    #[error("{}{why}", on_cluster(.cluster))]
    LagUnreadable {
        cluster: Option<String>,
        why: crate::server::load::LoadError,
    },
    /// The cluster could not be used at all.
    #[error("cluster {cluster}: {why}")]
    Cluster { cluster: String, why: String },
}

/// Migration ids in a message.
fn list(ids: &[String]) -> String {
    match ids.is_empty() {
        true => "none".into(),
        false => ids.join(", "),
    }
}

/// "cluster NAME: ", over `[clusters]`; nothing on one server.
fn on_cluster(cluster: &Option<String>) -> String {
    cluster
        .as_deref()
        .map(|c| format!("cluster {c}: "))
        .unwrap_or_default()
}
