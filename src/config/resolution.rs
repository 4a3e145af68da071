//! How [`Settings`] are resolved from flags, the environment, `mig.toml`
//! and defaults, with every problem collected.
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::read::read_config;
use super::sections::{lint_options, rollout_options, tenant_discovery};
use super::{Discovery, Overrides, Settings, UriSource, DEFAULT_CONFIG, DEFAULT_URI};
use crate::diagnostics::{Format, Problem, SourceFile};
use crate::model::names::{check_collection_name, check_database_name};
use crate::model::release::Release;

/// Resolves the settings; `env` looks up an environment variable.
pub fn resolve(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, Vec<Problem>> {
    let (file, path) = read_config(overrides.config.as_deref())?;
    let mut problems = Vec::new();
    let base_dir = path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let config_path = path
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let source = path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let locations = Format::Toml.locations(&source);
    let src = SourceFile {
        path: &config_path,
        locations: &locations,
    };

    let env_num = |name: &str, problems: &mut Vec<Problem>| -> Option<u64> {
        let raw = env(name)?;
        match raw.trim().parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(Problem {
                    file: PathBuf::from(format!("${name}")),
                    position: None,
                    field: String::new(),
                    message: format!("expected a whole number, found {raw:?}"),
                    ..Default::default()
                });
                None
            }
        }
    };

    // An error about a URI says where it came from: the file by its full path.
    let shown_config = path
        .as_deref()
        .map(|p| std::path::absolute(p).unwrap_or(p.into()));
    let pick = |flag: (&'static str, &Option<String>),
                var: &'static str,
                key: (&'static str, &Option<String>)| {
        if let Some(value) = flag.1 {
            return Some((value.clone(), UriSource::Flag(flag.0)));
        }
        if let Some(value) = env(var) {
            let source = if overrides.from_dotenv.iter().any(|n| n == var) {
                UriSource::DotEnv(var)
            } else {
                UriSource::Env(var)
            };
            return Some((value, source));
        }
        let value = key.1.clone()?;
        let path = shown_config.clone().unwrap_or_else(|| config_path.clone());
        Some((value, UriSource::File { key: key.0, path }))
    };
    let (uri, uri_source) = pick(
        ("--uri", &overrides.uri),
        "MONGODB_URI",
        ("[connection] uri", &file.connection.uri),
    )
    .unwrap_or_else(|| (DEFAULT_URI.to_string(), UriSource::Default));
    let (dev_uri, dev_uri_source) = match pick(
        ("--dev-uri", &overrides.dev_uri),
        "MIG_DEV_URI",
        ("dev_uri", &file.dev_uri),
    ) {
        Some((u, source)) if !u.trim().is_empty() => (Some(u), source),
        _ => (None, UriSource::Default),
    };
    let server_version = match (&overrides.server_version, &file.server_version) {
        (Some(flag), _) => match Release::parse(flag) {
            Ok(r) => Some((r, "--server-version")),
            Err(why) => {
                problems.push(Problem {
                    file: PathBuf::from("--server-version"),
                    position: None,
                    field: String::new(),
                    message: why.to_string(),
                    ..Default::default()
                });
                None
            }
        },
        (None, Some(value)) => match Release::parse(value) {
            Ok(r) => Some((r, "server_version")),
            Err(why) => {
                problems.push(src.problem("server_version", why.to_string()));
                None
            }
        },
        (None, None) => None,
    };
    let public_database = overrides
        .public_db
        .clone()
        .or_else(|| env("MONGODB_PUBLIC_DATABASE"))
        .or(file.public.database.clone());
    if let Some(db) = &public_database {
        if let Err(why) = check_database_name(db) {
            problems.push(src.problem("public.database", why.to_string()));
        }
    }
    let manifests = match (&overrides.manifests, &file.manifests) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => base_dir.join(dir),
        (None, None) => base_dir.join("manifests"),
    };
    let migrations = match (&overrides.migrations, &file.migrations) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => base_dir.join(dir),
        (None, None) => base_dir.join("migrations"),
    };
    let changelog = file
        .changelog
        .clone()
        .unwrap_or_else(|| "mig.changelog".to_string());
    if let Err(why) = check_collection_name(&changelog) {
        problems.push(src.problem("changelog", why.to_string()));
    }
    let max_pool_size = env_num("MONGODB_MAX_POOL_SIZE", &mut problems)
        .map(|n| n as u32)
        .or(file.connection.max_pool_size);
    let min_pool_size = env_num("MONGODB_MIN_POOL_SIZE", &mut problems)
        .map(|n| n as u32)
        .or(file.connection.min_pool_size);
    let server_selection_timeout = Duration::from_millis(
        env_num("MONGODB_SERVER_SELECTION_TIMEOUT_MS", &mut problems)
            .or(file.connection.server_selection_timeout_ms)
            .unwrap_or(10_000),
    );
    let socket_timeout = env_num("MONGODB_SOCKET_TIMEOUT_MS", &mut problems)
        .or(file.connection.socket_timeout_ms)
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);
    let dry_run = env("MIGRATION_DRY_RUN").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    });
    let concurrency = overrides
        .concurrency
        .or(file.concurrency)
        .unwrap_or(4)
        .max(1);

    let lint = lint_options(&file.lint, &src, &mut problems);
    let rollout = rollout_options(&file.rollout, &src, &mut problems);
    let (discovery, exclude) = match &file.tenants {
        None => (Discovery::None, Vec::new()),
        Some(t) => (tenant_discovery(t, &src, &mut problems), t.exclude.clone()),
    };
    let allow_empty_tenants = file.tenants.as_ref().is_some_and(|t| t.allow_empty)
        || discovery == Discovery::List(Vec::new());
    let clusters = super::clusters::resolve(
        &file,
        &super::clusters::Inputs {
            concurrency,
            uri_flag: overrides.uri.is_some(),
            discovery: &discovery,
            env,
            from_dotenv: &overrides.from_dotenv,
            path: shown_config.clone().unwrap_or_else(|| config_path.clone()),
        },
        &src,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    // With clusters, a command about one server uses the public cluster's
    // (`MONGODB_URI` is not read: each cluster names its own).
    let public_cluster = clusters
        .public_cluster
        .as_deref()
        .and_then(|name| clusters.clusters.iter().find(|c| c.name == name))
        .or(clusters.clusters.first());
    let (uri, uri_source) = match public_cluster {
        Some(c) => (c.uri.clone(), c.uri_source.clone()),
        None => (uri, uri_source),
    };
    Ok(Settings {
        uri,
        uri_source,
        dev_uri,
        dev_uri_source,
        server_version,
        config: shown_config,
        public_database,
        manifests,
        migrations,
        changelog,
        discovery,
        exclude,
        allow_empty_tenants,
        max_pool_size,
        min_pool_size,
        server_selection_timeout,
        socket_timeout,
        concurrency,
        dry_run,
        log_level: env("MIGRATION_LOG_LEVEL"),
        lint,
        rollout,
        clusters: clusters.clusters,
        public_cluster: clusters.public_cluster,
    })
}

#[cfg(test)]
#[path = "resolution_tests.rs"]
mod tests;
