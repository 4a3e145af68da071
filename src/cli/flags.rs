//! The options a command may take besides its own, in groups, so that each
//! command's `--help` lists only those it uses, under a heading. Parsed per
//! command, then gathered into [`super::Global`] for the code that reads them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::rollout;
use crate::config::rollout::size_arg;
use crate::run::OnError;

/// Where the server is.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionFlags {
    /// MongoDB connection string (default: $MONGODB_URI, then mig.toml's
    /// [connection] uri, then mongodb://localhost:27017). Never printed unredacted.
    #[arg(long, value_name = "URI", hide_env_values = true)]
    pub uri: Option<String>,
}

/// Which cluster, for a command about one database (`history`, `unlock`).
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ClusterFlag {
    /// With mig.toml's [clusters]: the cluster the database is on (needed
    /// when there are several; default: the only one).
    #[arg(long = "cluster", value_name = "NAME")]
    pub cluster: Option<String>,
}

/// A dev server to compare in its form.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct DevFlags {
    /// A throw-away MongoDB of production's version: `validate` builds every
    /// declared index there; `plan`/`drift`/`apply`/`sync-indexes` compare in its form
    /// (default: $MIG_DEV_URI, then mig.toml's `dev_uri`; none: offline).
    #[arg(long = "dev-uri", value_name = "URI")]
    pub dev_uri: Option<String>,
    /// The MongoDB release whose rules check the manifests offline: 6.0,
    /// 7.0 or 8.0 (default: mig.toml's `server_version`, else 6.0); a live
    /// server's own version decides when mig connects.
    #[arg(long = "server-version", value_name = "RELEASE")]
    pub server_version: Option<String>,
}

/// Where the project's files and public database are.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Project")]
pub struct ProjectFlags {
    /// The public database (default: $MONGODB_PUBLIC_DATABASE, then mig.toml's [public] database).
    #[arg(long = "public-db", value_name = "NAME")]
    pub public_db: Option<String>,
    /// The manifests directory (default: mig.toml's `manifests`, then ./manifests).
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
    /// The migrations directory (default: mig.toml's `migrations`, then ./migrations).
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

/// `mig new`: only where migrations go.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Project")]
pub struct MigrationsDirFlag {
    /// The migrations directory (default: mig.toml's `migrations`, then ./migrations).
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

/// Which databases.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Targets")]
pub struct DatabaseFlags {
    /// Only the public database.
    #[arg(long, conflicts_with_all = ["tenants_only", "tenant"])]
    pub public_only: bool,
    /// Only tenant databases.
    #[arg(long)]
    pub tenants_only: bool,
    /// Only this tenant database (repeatable); the public database is left out.
    #[arg(long = "tenant", value_name = "NAME")]
    pub tenant: Vec<String>,
    /// Only the databases on this cluster of mig.toml's [clusters] (repeatable);
    /// the other clusters are not contacted.
    #[arg(long = "cluster", value_name = "NAME")]
    pub cluster: Vec<String>,
}

/// Which collections.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Targets")]
pub struct CollectionFlag {
    /// Only this collection of the manifests (repeatable).
    #[arg(long = "collection", value_name = "NAME")]
    pub collection: Vec<String>,
}

/// What a command that works on databases takes: where the server and the
/// project are, and which databases (`down`, `pull`).
#[derive(Debug, Default, Clone, Args)]
pub struct TargetFlags {
    #[command(flatten)]
    pub connection: ConnectionFlags,
    #[command(flatten)]
    pub project: ProjectFlags,
    #[command(flatten)]
    pub databases: DatabaseFlags,
}

/// What a command that reads the fleet's indexes takes: those of
/// [`TargetFlags`] and which collections (`status`, `list`, `lint`).
#[derive(Debug, Default, Clone, Args)]
pub struct ReadFlags {
    #[command(flatten)]
    pub targets: TargetFlags,
    #[command(flatten)]
    pub collection: CollectionFlag,
}

/// What a command that compares the fleet with the manifests takes: those of
/// [`ReadFlags`] and a dev server (`plan`, `apply`, `sync-indexes`, `drift`).
#[derive(Debug, Default, Clone, Args)]
pub struct CompareFlags {
    #[command(flatten)]
    pub read: ReadFlags,
    #[command(flatten)]
    pub dev: DevFlags,
}

/// The flag groups a command took, for [`super::Global::gather`].
#[derive(Default)]
pub struct Used<'a> {
    pub connection: Option<&'a ConnectionFlags>,
    pub dev: Option<&'a DevFlags>,
    pub project: Option<&'a ProjectFlags>,
    pub migrations: Option<&'a MigrationsDirFlag>,
    pub databases: Option<&'a DatabaseFlags>,
    pub collection: Option<&'a CollectionFlag>,
}

impl TargetFlags {
    pub fn used(&self) -> Used<'_> {
        Used {
            connection: Some(&self.connection),
            project: Some(&self.project),
            databases: Some(&self.databases),
            ..Used::default()
        }
    }
}

impl ReadFlags {
    pub fn used(&self) -> Used<'_> {
        Used {
            collection: Some(&self.collection),
            ..self.targets.used()
        }
    }
}

impl CompareFlags {
    pub fn used(&self) -> Used<'_> {
        Used {
            dev: Some(&self.dev),
            ..self.read.used()
        }
    }
}

/// How a plan is made, for `plan`, `apply` and `sync-indexes`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Retire live indexes the manifests don't declare (never `_id_`): hide
    /// them now, drop them on a run after --drop-after.
    #[arg(long)]
    pub prune: bool,
    /// With --prune: drop at once instead of hiding first.
    #[arg(long)]
    pub drop_now: bool,
    /// How long a retired index stays hidden before it is dropped.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub drop_after: Duration,
    /// Databases worked on at once (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Switch on a validator even where documents already there fail it
    /// (they are counted and shown either way); without it such a change
    /// is blocked under validationLevel strict and validationAction error.
    #[arg(long)]
    pub allow_invalid_documents: bool,
    /// Block the builds of a database where their estimated size would leave
    /// less disk than this free on the server's data volume (e.g. 5GiB, 500MB).
    /// Default: mig.toml's `[rollout] min_free_disk`, then 1GiB.
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub min_free_disk: Option<u64>,
    /// Not a flag: whether the plan checks the data before writes (duplicate
    /// keys, index usage). `drift` only compares, so it makes none of these reads.
    #[arg(skip = true)]
    pub preflight: bool,
}

/// `mig sync-indexes`'s arguments, and `mig apply`'s.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `mig plan --out`: apply exactly it, to the databases
    /// whose live indexes are still as they were when it was made.
    #[arg(value_name = "PLAN")]
    pub saved: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the plan and change nothing (also: MIGRATION_DRY_RUN=true).
    #[arg(long)]
    pub dry_run: bool,
    /// Wait this long for a database locked by another run (default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lock_wait: Option<Duration>,
    /// How long a lock lasts unless renewed; a killed run's lock is free after it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub lock_lease: Duration,
    /// After a database fails: go on with the others, or start no more.
    #[arg(long, value_enum, default_value_t = OnError::Continue)]
    pub on_error: OnError,
    /// Apply to the public database and N tenants first; stop if any of them fails.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub canary: usize,
    /// `commitQuorum` for index builds: votingMembers, majority, a number or a tag.
    #[arg(long, value_name = "QUORUM")]
    pub commit_quorum: Option<String>,
    /// Don't ask before writing. Without a terminal `mig` never asks.
    #[arg(long, short = 'y', visible_alias = "auto-approve")]
    pub yes: bool,
    /// Start index builds only in this daily window, UTC or in a zone
    /// ("22:00-06:00", "01:00-05:00 Europe/Paris"); outside it nothing new
    /// starts and the databases not done are deferred (exit 3).
    #[arg(long, value_name = "HH:MM-HH:MM [ZONE]", value_parser = rollout::window_arg)]
    pub window: Option<rollout::Window>,
    /// Start no index build while a secondary lags more than this (e.g. 2s).
    #[arg(long, value_name = "DURATION", value_parser = rollout::max_lag_arg)]
    pub max_lag: Option<Duration>,
    /// Start no index build while the server has N in progress, anyone's.
    #[arg(long, value_name = "N", value_parser = rollout::max_builds_arg)]
    pub max_builds: Option<usize>,
    #[command(flatten)]
    pub flags: CompareFlags,
}
