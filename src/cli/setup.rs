//! Before a command runs: `.env`, the settings, logging, and the manifest and
//! migration files.

use std::collections::HashSet;
use std::ffi::OsString;
use std::sync::OnceLock;

use crate::config::{self, Overrides, Settings};
use crate::manifest::{self, Manifests};
use crate::migrate;
use crate::render::problems;
use crate::run::Migrations;

use super::failure::Failure;
use super::output;
use super::{Cli, Global, OutputFormat};

/// The variables `.env` set, for [`settings`] to say where a URI came from.
static FROM_DOTENV: OnceLock<Vec<String>> = OnceLock::new();

/// Reads `.env` in the working directory; real environment variables win.
pub fn load_dotenv() -> Result<(), Failure> {
    let before: HashSet<OsString> = std::env::vars_os().map(|(k, _)| k).collect();
    let loaded = dotenvy::from_path(".env");
    let set = std::env::vars_os()
        .filter(|(k, _)| !before.contains(k))
        .filter_map(|(k, _)| k.into_string().ok())
        .collect();
    let _ = FROM_DOTENV.set(set);
    match loaded {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // The offending line may hold a secret: say where, not what.
        Err(dotenvy::Error::LineParse(_, at)) => Err(Failure::EnvFileLine(at)),
        Err(e) => Err(Failure::EnvFile(crate::redact::scrub(&e.to_string()))),
    }
}

/// The variables `.env` set (those the real environment lacked).
pub fn dotenv_vars() -> Vec<String> {
    FROM_DOTENV.get().cloned().unwrap_or_default()
}

/// mig.toml, the environment and the flags; starts logging at the level they
/// ask for, and registers the URIs' secrets for scrubbing.
pub fn settings(cli: &Cli) -> Result<Settings, Failure> {
    let global = &cli.global;
    let overrides = Overrides {
        // `mig init --config PATH` writes that file: it isn't there to read yet.
        config: global
            .config
            .clone()
            .filter(|_| !matches!(cli.command, super::Command::Init(_))),
        uri: global.uri.clone(),
        public_db: global.public_db.clone(),
        manifests: global.manifests.clone(),
        migrations: global.migrations.clone(),
        concurrency: cli.command.concurrency(),
        dev_uri: global.dev_uri.clone(),
        server_version: global.server_version.clone(),
        from_dotenv: FROM_DOTENV.get().cloned().unwrap_or_default(),
    };
    let settings = config::resolve(&overrides, &|k| std::env::var(k).ok());
    super::logging::init(
        global,
        settings.as_ref().ok().and_then(|s| s.log_level.as_deref()),
    );
    let settings = settings.map_err(Failure::Config)?;
    crate::redact::register(&settings.uri);
    for cluster in &settings.clusters {
        crate::redact::register(&cluster.uri);
    }
    if let Some(dev_uri) = &settings.dev_uri {
        crate::redact::register(dev_uri);
    }
    Ok(settings)
}

/// Every manifest and migration file; every problem of every file in one
/// report. `deferred`: the command will learn the server's release, and no
/// release is configured: only what every release refuses is refused here,
/// the rest once the server has said its version (`fleet::live_rules`).
pub fn load_files(
    global: &Global,
    settings: &Settings,
    deferred: bool,
) -> Result<(Manifests, Migrations), Failure> {
    check_project(global, settings)?;
    let manifests = if deferred {
        manifest::load_dir_deferred(&settings.manifests)
    } else {
        manifest::load_dir_for(&settings.manifests, settings.offline_release())
    };
    match (manifests, migrate::api::load_dir(&settings.migrations)) {
        (Ok(m), Ok(loaded)) => {
            // JSON carries them in its document; text shows them here, once.
            if global.format != OutputFormat::Json {
                output::stderr(&problems::warnings(&m.warnings));
            }
            if !global.quiet {
                for draft in &loaded.drafts {
                    output::stderr(&problems::note(&format_args!(
                        "{}: no `up` step yet, so it runs nothing and is left out until its steps are written (`mig apply` waits for it)",
                        draft.file.display()
                    )));
                }
            }
            let migrations = Migrations {
                list: loaded.list,
                drafts: loaded.drafts,
                ..Default::default()
            };
            Ok((m, migrations))
        }
        (m, list) => {
            if m.is_err() && global.format != OutputFormat::Json && !global.quiet {
                output::stderr(&problems::note(&if deferred {
                    "the manifests were checked with the rules every release mig knows shares; \
                     those that differ by release wait for the server's version"
                        .to_string()
                } else {
                    rules_used(settings)
                }));
            }
            let mut problems = m.err().unwrap_or_default();
            problems.extend(list.err().unwrap_or_default());
            Err(Failure::Problems(problems))
        }
    }
}

/// Which release's rules checked the manifests, and what chose it.
pub fn rules_used(settings: &Settings) -> String {
    match settings.server_version {
        Some((release, from)) => format!(
            "the manifests were checked with {release}'s rules ({from} {})",
            release.name()
        ),
        None => format!(
            "the manifests were checked with {}'s rules, the default: set server_version in \
             mig.toml or --server-version to your servers' release ({})",
            crate::model::release::Release::DEFAULT,
            crate::model::release::Release::known()
        ),
    }
}

/// Without a mig.toml, a manifests directory makes a project of defaults (a
/// note says so); without either, this is not a project and nothing is read.
fn check_project(global: &Global, settings: &Settings) -> Result<(), Failure> {
    if settings.config.is_some() {
        return Ok(());
    }
    let dir = std::env::current_dir().unwrap_or_default();
    if !settings.manifests.is_dir() {
        return Err(Failure::NoProject {
            manifests: dir.join(&settings.manifests),
            dir,
        });
    }
    if !global.quiet {
        output::stderr(&problems::note(&format_args!(
            "no mig.toml in {}; using the defaults and the manifests in {}",
            dir.display(),
            dir.join(&settings.manifests).display()
        )));
    }
    Ok(())
}
