//! `[clusters.NAME]`: several clusters in one project, each with its own
//! connection string (or the variable holding it), its own concurrency and,
//! without a registry, its own tenant discovery. Checked here, every problem
//! naming its key; resolved into [`Cluster`]s for [`super::Settings`].
//! Without `[clusters]`, `[connection]` is the one server, as it always was.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ConfigFile, Discovery, TenantSource, UriSource};
use crate::diagnostics::{Problem, SourceFile};

/// `[clusters.NAME]`: one cluster (a replica set, reached by its own URI).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// The connection string. Secret: prefer `uri_env`.
    pub uri: Option<String>,
    /// The environment variable (or `.env` entry) holding the connection string.
    pub uri_env: Option<String>,
    /// How many databases are worked on at once on this cluster. Default:
    /// `--concurrency`, then the top-level `concurrency`, then 4.
    pub concurrency: Option<usize>,
    /// Without a registry: how this cluster's tenant databases are found.
    pub tenants: Option<ClusterTenantsConfig>,
    /// This cluster's `[rollout] max_lag` ("2s").
    pub max_lag: Option<String>,
    /// This cluster's `[rollout] max_builds`.
    pub max_builds: Option<usize>,
}

/// `[clusters.NAME.tenants]`: exactly one of `databases`, `prefix`, `regex`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterTenantsConfig {
    /// The tenant databases on this cluster; `[]` means none.
    pub databases: Option<Vec<String>>,
    /// Matched against this cluster's `listDatabases`.
    pub prefix: Option<String>,
    /// Matched against this cluster's `listDatabases`.
    pub regex: Option<String>,
}

/// One cluster, resolved.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    /// Secret: print only through `redact::redact_uri`.
    pub uri: String,
    /// Where `uri` came from.
    pub uri_source: UriSource,
    /// Databases worked on at once on this cluster.
    pub concurrency: usize,
    /// How this cluster's tenants are found: its own `[clusters.NAME.tenants]`,
    /// else the top-level prefix or regex; `None` when the registry routes
    /// them (or there are none).
    pub discovery: Discovery,
    /// This cluster's own `max_lag` and `max_builds`, over `[rollout]`'s.
    pub max_lag: Option<std::time::Duration>,
    pub max_builds: Option<usize>,
}

/// What `[clusters]` resolves to: the clusters in the file's order and the
/// one the public database lives on.
#[derive(Debug, Default)]
pub struct Resolved {
    pub clusters: Vec<Cluster>,
    pub public_cluster: Option<String>,
}

/// What the cluster checks need besides the file.
pub struct Inputs<'a> {
    /// `--concurrency`, then the top-level `concurrency`, then 4.
    pub concurrency: usize,
    /// `--uri` was given (it names one server).
    pub uri_flag: bool,
    /// The top-level discovery, already checked.
    pub discovery: &'a Discovery,
    /// Looks up an environment variable; whether `.env` set it.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub from_dotenv: &'a [String],
    pub path: std::path::PathBuf,
}

/// A cluster's name, as `--cluster` takes it and reports print it: 1 to 64
/// letters, digits, `_` and `-`.
fn is_cluster_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks `[clusters]` and the keys that refer to it (`public.cluster`,
/// `tenants.cluster_field`, `[connection] uri`, `--uri`), every problem by
/// its key; the clusters resolved, when there is no problem.
pub fn resolve(
    file: &ConfigFile,
    inputs: &Inputs,
    src: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Resolved {
    let cluster_field = file.tenants.as_ref().and_then(|t| t.cluster_field.clone());
    let Some(configs) = &file.clusters else {
        if file.public.cluster.is_some() {
            problems.push(src.problem(
                "public.cluster",
                "needs [clusters] (a [clusters.NAME] table per cluster)",
            ));
        }
        if cluster_field.is_some() {
            problems.push(src.problem(
                "tenants.cluster_field",
                "needs [clusters] (a [clusters.NAME] table per cluster)",
            ));
        }
        return Resolved::default();
    };
    let before = problems.len();
    if configs.is_empty() {
        problems.push(src.problem(
            "clusters",
            "no cluster: add a [clusters.NAME] table with uri or uri_env per cluster",
        ));
    }
    if file.connection.uri.is_some() {
        problems.push(src.problem(
            "connection.uri",
            "with [clusters], each cluster has its own: clusters.NAME.uri or uri_env (remove this one)",
        ));
    }
    if inputs.uri_flag {
        problems.push(Problem {
            file: "--uri".into(),
            message: format!(
                "names one server, but {} has [clusters]: each cluster's URI comes from \
                 clusters.NAME.uri or uri_env",
                inputs.path.display()
            ),
            ..Default::default()
        });
    }
    let names: Vec<&str> = configs.keys().map(String::as_str).collect();
    let registry = file
        .tenants
        .as_ref()
        .is_some_and(|t| t.source == TenantSource::Registry);
    let mut clusters = Vec::new();
    for (name, config) in configs {
        let key = format!("clusters.{name}");
        if !is_cluster_name(name) {
            problems.push(src.problem(
                &key,
                format!("{name:?}: a cluster name is 1 to 64 letters, digits, _ and -"),
            ));
            continue;
        }
        let uri = cluster_uri(name, config, inputs, src, problems);
        if config.concurrency == Some(0) {
            problems.push(src.problem(
                format!("{key}.concurrency"),
                "must be at least 1 (databases at once on this cluster)",
            ));
        }
        let discovery = match &config.tenants {
            Some(_) if registry => {
                problems.push(src.problem(
                    format!("{key}.tenants"),
                    "tenants come from the registry (tenants.source = \"registry\", routed by \
                     tenants.cluster_field); remove this table, or use per-cluster discovery \
                     without a registry",
                ));
                Discovery::None
            }
            Some(t) => cluster_discovery(&key, t, src, problems),
            None if registry => Discovery::None,
            // The top-level prefix or regex, matched on each cluster.
            None => inputs.discovery.clone(),
        };
        let max_lag = config.max_lag.as_deref().and_then(|text| {
            super::rollout::max_lag_arg(text)
                .map_err(|e| problems.push(src.problem(format!("{key}.max_lag"), e.to_string())))
                .ok()
        });
        if config.max_builds == Some(0) {
            problems.push(src.problem(
                format!("{key}.max_builds"),
                super::rollout::ThrottleError::Zero.to_string(),
            ));
        }
        if let Some(uri) = uri {
            clusters.push(Cluster {
                name: name.clone(),
                uri: uri.0,
                uri_source: uri.1,
                concurrency: config.concurrency.unwrap_or(inputs.concurrency).max(1),
                discovery,
                max_lag,
                max_builds: config.max_builds,
            });
        }
    }
    // A top-level list names databases but not their clusters.
    if let (Discovery::List(listed), true) = (inputs.discovery, configs.len() > 1) {
        if !listed.is_empty() {
            problems.push(src.problem(
                "tenants.databases",
                "with several [clusters], a list doesn't say which cluster each tenant is on: \
                 list them per cluster ([clusters.NAME.tenants] databases = [...]), or use a \
                 registry with tenants.cluster_field",
            ));
        }
    }
    let public_cluster = match (&file.public.cluster, names.as_slice()) {
        (Some(c), _) if !names.contains(&c.as_str()) => {
            problems.push(src.problem(
                "public.cluster",
                format!("no cluster {c:?} in [clusters] ({})", names.join(", ")),
            ));
            None
        }
        (Some(c), _) => Some(c.clone()),
        (None, [only]) => Some(only.to_string()),
        (None, _) => {
            if file.public.database.is_some() || registry {
                problems.push(src.problem(
                    "public.cluster",
                    format!(
                        "with several [clusters], say which one the public database is on ({})",
                        names.join(", ")
                    ),
                ));
            }
            None
        }
    };
    match (&cluster_field, registry) {
        (Some(_), false) => problems.push(src.problem(
            "tenants.cluster_field",
            "is for tenants.source = \"registry\"; other sources find tenants per cluster \
             ([clusters.NAME.tenants])",
        )),
        (None, true) if names.len() > 1 => problems.push(src.problem(
            "tenants.cluster_field",
            "with several [clusters], the registry must say which cluster each tenant is on: \
             name the field, e.g. cluster_field = \"region\"",
        )),
        _ => {}
    }
    if problems.len() > before {
        return Resolved::default();
    }
    Resolved {
        clusters,
        public_cluster,
    }
}

/// A cluster's URI and where it came from: `uri`, or the variable `uri_env` names.
fn cluster_uri(
    name: &str,
    config: &ClusterConfig,
    inputs: &Inputs,
    src: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Option<(String, UriSource)> {
    let key = format!("clusters.{name}");
    match (&config.uri, &config.uri_env) {
        (None, None) => {
            problems.push(src.problem(&key, "needs uri or uri_env"));
            None
        }
        (Some(_), Some(_)) => {
            problems.push(src.problem(
                &key,
                "has both uri and uri_env; keep one (uri_env keeps the secret out of the file)",
            ));
            None
        }
        (Some(uri), None) if uri.trim().is_empty() => {
            problems.push(src.problem(format!("{key}.uri"), "is empty"));
            None
        }
        (Some(uri), None) => Some((
            uri.clone(),
            UriSource::ClusterFile {
                cluster: name.to_string(),
                path: inputs.path.clone(),
            },
        )),
        (None, Some(var)) => match (inputs.env)(var) {
            Some(uri) if !uri.trim().is_empty() => Some((
                uri,
                UriSource::ClusterEnv {
                    cluster: name.to_string(),
                    var: var.clone(),
                    dotenv: inputs.from_dotenv.contains(var),
                },
            )),
            Some(_) => {
                problems
                    .push(src.problem(format!("{key}.uri_env"), format!("{var} is set but empty")));
                None
            }
            None => {
                problems.push(src.problem(
                    format!("{key}.uri_env"),
                    format!("{var} is not set (in the environment or .env)"),
                ));
                None
            }
        },
    }
}

/// `[clusters.NAME.tenants]`: exactly one way to find the cluster's tenants.
fn cluster_discovery(
    key: &str,
    t: &ClusterTenantsConfig,
    src: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Discovery {
    let key = format!("{key}.tenants");
    match (&t.databases, &t.prefix, &t.regex) {
        (Some(names), None, None) => Discovery::List(names.clone()),
        (None, Some(p), None) if !p.is_empty() => Discovery::Prefix(p.clone()),
        (None, None, Some(r)) => match regex::Regex::new(r) {
            Ok(_) => Discovery::Regex(r.clone()),
            Err(e) => {
                problems.push(src.problem(format!("{key}.regex"), format!("invalid regex: {e}")));
                Discovery::None
            }
        },
        (None, Some(_), None) => {
            problems.push(src.problem(format!("{key}.prefix"), "is empty"));
            Discovery::None
        }
        _ => {
            problems.push(src.problem(key, "needs exactly one of databases, prefix or regex"));
            Discovery::None
        }
    }
}
