//! `mig.toml`, the environment and the flags, resolved into one [`Settings`].
//! Precedence: flag > environment (including `.env`) > file > default. This
//! module has the file's format and the settings; [`resolve`] (in
//! `resolution.rs`) the precedence.

mod clusters;
mod read;
mod resolution;
pub mod rollout;
mod sections;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::lint::{self, Rule, Severity};
use crate::manifest::file::DocValue;

pub use clusters::{Cluster, ClusterConfig, ClusterTenantsConfig};
pub use resolution::resolve;

pub const DEFAULT_URI: &str = "mongodb://localhost:27017";
pub const DEFAULT_CONFIG: &str = "mig.toml";

/// The project file, `mig.toml`. The source of `schema/mig.schema.json`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "mig.toml")]
pub struct ConfigFile {
    /// The manifests directory, relative to this file. Default: `manifests`.
    pub manifests: Option<String>,
    /// A throw-away MongoDB of production's version that builds every declared
    /// index on empty collections (`mig validate`) and gives the server's form
    /// of each for comparison (`plan`, `apply`). `MIG_DEV_URI` wins over this.
    pub dev_uri: Option<String>,
    /// The MongoDB release whose rules check the manifests without a server
    /// (`"6.0"`, `"7.0"` or `"8.0"`); a live server's own version decides
    /// when `mig` connects (a different one is a warning). `--server-version`
    /// wins over this. Default: 6.0, and `validate` says so.
    pub server_version: Option<String>,
    #[serde(default)]
    pub connection: ConnectionConfig,
    /// Several clusters, each `[clusters.NAME]` with its own `uri` or
    /// `uri_env`; without it, `[connection]` is the one server.
    pub clusters: Option<indexmap::IndexMap<String, ClusterConfig>>,
    #[serde(default)]
    pub public: PublicConfig,
    pub tenants: Option<TenantsConfig>,
    /// How many databases are worked on at once. Default: 4.
    pub concurrency: Option<usize>,
    /// The migrations directory, relative to this file. Default: `migrations`.
    pub migrations: Option<String>,
    /// The collection, in each database, recording its migrations. Default: `mig.changelog`.
    pub changelog: Option<String>,
    /// `mig lint`: each rule's severity and the rules' thresholds.
    #[serde(default)]
    pub lint: LintConfig,
    /// `apply`'s bounds: a window, throttles, a disk margin. Flags win.
    #[serde(default)]
    pub rollout: RolloutConfig,
}

/// `[rollout]`: what `apply` and `sync-indexes` keep to unless a flag says
/// otherwise (each cluster may set its own `max_lag` and `max_builds`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutConfig {
    /// Start index builds only in this daily window: "22:00-06:00" (UTC) or
    /// "01:00-05:00 Europe/Paris".
    pub window: Option<String>,
    /// No new build while a secondary lags more than this ("2s").
    pub max_lag: Option<String>,
    /// No new build while the server has this many in progress, anyone's.
    pub max_builds: Option<usize>,
    /// Block builds that would leave less disk free than this ("5GiB").
    /// Default: 1GiB.
    pub min_free_disk: Option<String>,
}

/// `[lint]`: thresholds, and `[lint.rules]` the severity of each rule.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    #[serde(default)]
    pub rules: LintRules,
    /// too-many-indexes: more than this many indexes on a collection, `_id_`
    /// included (1 to 64). Default: 20.
    pub max_indexes: Option<usize>,
    /// unused-index: unused on at least this percentage of the databases
    /// that have the index (more than 0, at most 100). Default: 90.
    pub unused_percent: Option<f64>,
    /// unique-without-soft-delete-filter: the fields that mark a document
    /// deleted. Default: deletedAt, deleted, isDeleted, archivedAt.
    pub soft_delete_fields: Option<Vec<String>>,
    /// ttl-not-date: documents sampled per TTL index and database (1 to
    /// 10000). Default: 200.
    pub ttl_sample: Option<u32>,
}

/// `[lint.rules]`: `"error"` (fails `mig lint` and `mig plan`), `"warn"` or `"off"`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintRules {
    /// A prefix of another index with the same documents. Default: warn.
    #[serde(rename = "redundant-index")]
    pub redundant_index: Option<Severity>,
    /// The same index under two names. Default: error.
    #[serde(rename = "duplicate-spec")]
    pub duplicate_spec: Option<Severity>,
    /// A unique index without the soft-delete filter its neighbours have. Default: warn.
    #[serde(rename = "unique-without-soft-delete-filter")]
    pub unique_without_soft_delete_filter: Option<Severity>,
    /// TTL on a field whose sampled values are not dates (`--live`). Default: error.
    #[serde(rename = "ttl-not-date")]
    pub ttl_not_date: Option<Severity>,
    /// No operations on most databases (`--live`). Default: warn.
    #[serde(rename = "unused-index")]
    pub unused_index: Option<Severity>,
    /// More indexes on a collection than `max_indexes`. Default: warn.
    #[serde(rename = "too-many-indexes")]
    pub too_many_indexes: Option<Severity>,
    /// A single-field index a `$**` index beside it makes redundant. Default: warn.
    #[serde(rename = "wildcard-makes-redundant")]
    pub wildcard_makes_redundant: Option<Severity>,
    /// A time-series collection with a metaField and no index on it. Default: warn.
    #[serde(rename = "timeseries-without-meta-index")]
    pub timeseries_without_meta_index: Option<Severity>,
}

impl LintRules {
    /// Each rule set, by rule.
    pub fn set(&self) -> Vec<(Rule, Severity)> {
        [
            (Rule::RedundantIndex, self.redundant_index),
            (Rule::DuplicateSpec, self.duplicate_spec),
            (
                Rule::UniqueWithoutSoftDeleteFilter,
                self.unique_without_soft_delete_filter,
            ),
            (Rule::TtlNotDate, self.ttl_not_date),
            (Rule::UnusedIndex, self.unused_index),
            (Rule::TooManyIndexes, self.too_many_indexes),
            (Rule::WildcardMakesRedundant, self.wildcard_makes_redundant),
            (
                Rule::TimeseriesWithoutMetaIndex,
                self.timeseries_without_meta_index,
            ),
        ]
        .into_iter()
        .filter_map(|(rule, s)| Some((rule, s?)))
        .collect()
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    /// `MONGODB_URI` wins over this.
    pub uri: Option<String>,
    pub max_pool_size: Option<u32>,
    pub min_pool_size: Option<u32>,
    pub server_selection_timeout_ms: Option<u64>,
    pub socket_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicConfig {
    /// `MONGODB_PUBLIC_DATABASE` wins over this.
    pub database: Option<String>,
    /// With `[clusters]`: the cluster the public database (and the registry)
    /// lives on. Default: the only cluster.
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TenantSource {
    /// `databases`: explicit names.
    List,
    /// `prefix`: matched against `listDatabases`.
    Prefix,
    /// `regex`: matched against `listDatabases`.
    Regex,
    /// `collection` of the public database, `field` naming the tenant database, optional `filter`.
    Registry,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantsConfig {
    pub source: TenantSource,
    /// `source = "list"`: the tenant databases; `[]` means no tenants yet.
    pub databases: Option<Vec<String>>,
    /// Discovery finding no tenant database is expected (none yet): a run
    /// says so and goes on. Without it, finding none is an error (exit 3).
    #[serde(default)]
    pub allow_empty: bool,
    pub prefix: Option<String>,
    pub regex: Option<String>,
    pub collection: Option<String>,
    pub field: Option<String>,
    pub filter: Option<DocValue>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// With `[clusters]` and `source = "registry"`: the field of each registry
    /// entry naming the cluster its tenant lives on (a dotted path works).
    pub cluster_field: Option<String>,
}

/// How tenant databases are found.
#[derive(Debug, Clone, PartialEq)]
pub enum Discovery {
    /// No `[tenants]` section: there are no tenant databases.
    None,
    List(Vec<String>),
    Prefix(String),
    /// A pattern already checked to compile.
    Regex(String),
    Registry {
        collection: String,
        field: String,
        filter: bson::Document,
        /// With `[clusters]`: the field naming each tenant's cluster.
        cluster_field: Option<String>,
    },
}

/// Flags that override the file and the environment, and which variables of
/// the environment `.env` set (so a setting can say where it came from).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub uri: Option<String>,
    pub public_db: Option<String>,
    pub manifests: Option<PathBuf>,
    pub migrations: Option<PathBuf>,
    pub concurrency: Option<usize>,
    pub dev_uri: Option<String>,
    /// `--server-version`.
    pub server_version: Option<String>,
    /// Names of the variables `.env` set (those the real environment lacked).
    pub from_dotenv: Vec<String>,
}

/// Where a URI came from, so an error about it names the one place to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriSource {
    /// A flag: `--uri`, `--dev-uri`.
    Flag(&'static str),
    /// An environment variable: `MONGODB_URI`, `MIG_DEV_URI`.
    Env(&'static str),
    /// An environment variable set by `.env` in the working directory.
    DotEnv(&'static str),
    /// A key of the config file (`[connection] uri`, `dev_uri`), and the file.
    File { key: &'static str, path: PathBuf },
    /// `clusters.NAME.uri` in the config file.
    ClusterFile { cluster: String, path: PathBuf },
    /// The variable `clusters.NAME.uri_env` names; `dotenv`: `.env` set it.
    ClusterEnv {
        cluster: String,
        var: String,
        dotenv: bool,
    },
    /// Nothing set it: [`DEFAULT_URI`].
    Default,
}

impl fmt::Display for UriSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriSource::Flag(flag) => write!(f, "from {flag}"),
            UriSource::Env(name) => write!(f, "from {name}"),
            UriSource::DotEnv(name) => write!(f, "from {name} in .env"),
            UriSource::File { key, path } => write!(f, "from {key} in {}", path.display()),
            UriSource::ClusterFile { cluster, path } => {
                write!(f, "from clusters.{cluster}.uri in {}", path.display())
            }
            UriSource::ClusterEnv {
                cluster,
                var,
                dotenv,
            } => {
                let dotenv = if *dotenv { " in .env" } else { "" };
                write!(f, "from {var}{dotenv}, clusters.{cluster}.uri_env")
            }
            UriSource::Default => write!(
                f,
                "the default: neither --uri, MONGODB_URI nor mig.toml's [connection] uri is set"
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Secret: print only through `redact::redact_uri`. With `[clusters]`,
    /// the public cluster's (what a command about one server uses).
    pub uri: String,
    /// Where `uri` came from.
    pub uri_source: UriSource,
    /// The dev server (`--dev-uri`, `MIG_DEV_URI`, `dev_uri`); secret like `uri`.
    pub dev_uri: Option<String>,
    /// Where `dev_uri` came from (`Default` when there is none).
    pub dev_uri_source: UriSource,
    /// The release whose rules apply offline (`--server-version`, then
    /// `server_version`), and which of the two set it; `None`: neither.
    pub server_version: Option<(crate::model::release::Release, &'static str)>,
    /// The config file read, absolute; `None` when there was none.
    pub config: Option<PathBuf>,
    pub public_database: Option<String>,
    pub manifests: PathBuf,
    pub migrations: PathBuf,
    /// The changelog collection's name.
    pub changelog: String,
    pub discovery: Discovery,
    pub exclude: Vec<String>,
    /// `[tenants] allow_empty = true`, or `source = "list"` with
    /// `databases = []`: no tenant database yet is declared, not a mistake.
    pub allow_empty_tenants: bool,
    pub max_pool_size: Option<u32>,
    pub min_pool_size: Option<u32>,
    pub server_selection_timeout: Duration,
    /// The driver has no socket timeout; `mig` bounds each read with it.
    pub socket_timeout: Option<Duration>,
    pub concurrency: usize,
    /// `MIGRATION_DRY_RUN`: writing commands only print their plan.
    pub dry_run: bool,
    /// `MIGRATION_LOG_LEVEL`.
    pub log_level: Option<String>,
    /// `[lint]`: severities and thresholds.
    pub lint: lint::Options,
    /// `[clusters]`, in the file's order; empty: one server (`[connection]`).
    pub clusters: Vec<Cluster>,
    /// With `[clusters]`: the cluster of the public database and the registry.
    pub public_cluster: Option<String>,
    /// `[rollout]` (narrowed to a cluster's own throttles by `for_cluster`).
    pub rollout: rollout::Rollout,
}

impl Settings {
    /// Whether `mig.toml` has `[clusters]`: a run is one per cluster.
    pub fn has_clusters(&self) -> bool {
        !self.clusters.is_empty()
    }

    /// The settings of one cluster as if it were the only server: its URI,
    /// its concurrency, its discovery; no `[clusters]`.
    pub fn for_cluster(&self, cluster: &Cluster) -> Settings {
        Settings {
            rollout: rollout::Rollout {
                max_lag: cluster.max_lag.or(self.rollout.max_lag),
                max_builds: cluster.max_builds.or(self.rollout.max_builds),
                ..self.rollout.clone()
            },
            uri: cluster.uri.clone(),
            uri_source: cluster.uri_source.clone(),
            concurrency: cluster.concurrency,
            discovery: cluster.discovery.clone(),
            clusters: Vec::new(),
            public_cluster: None,
            ..self.clone()
        }
    }

    /// The release whose rules check the manifests before any server answers.
    pub fn offline_release(&self) -> crate::model::release::Release {
        self.server_version
            .map(|(r, _)| r)
            .unwrap_or(crate::model::release::Release::DEFAULT)
    }

    /// The cluster named `name`.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.name == name)
    }
}
