//! The options a command may take besides its own, in groups, so that each
//! command's `--help` lists only those it uses, under a heading. Parsed per
//! command, then gathered into [`super::Global`] for the code that reads them.

use std::path::PathBuf;

use clap::Args;

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
