//! Before a command runs: `.env`, the settings, logging, and the manifest and
//! migration files.

use crate::config::{self, Overrides, Settings};
use crate::manifest::{self, Manifests};
use crate::migrate;
use crate::render::problems;
use crate::run::Migrations;

use super::failure::Failure;
use super::output;
use super::{Cli, Global, OutputFormat};

/// Reads `.env` in the working directory; real environment variables win.
pub fn load_dotenv() -> Result<(), Failure> {
    match dotenvy::from_path(".env") {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // The offending line may hold a secret: say where, not what.
        Err(dotenvy::Error::LineParse(_, at)) => Err(Failure::EnvFileLine(at)),
        Err(e) => Err(Failure::EnvFile(crate::redact::scrub(&e.to_string()))),
    }
}

/// mig.toml, the environment and the flags; starts logging at the level they
/// ask for, and registers the URIs' secrets for scrubbing.
pub fn settings(cli: &Cli) -> Result<Settings, Failure> {
    let global = &cli.global;
    let overrides = Overrides {
        config: global.config.clone(),
        uri: global.uri.clone(),
        public_db: global.public_db.clone(),
        manifests: global.manifests.clone(),
        migrations: global.migrations.clone(),
        concurrency: cli.command.concurrency(),
        dev_uri: global.dev_uri.clone(),
    };
    let settings = config::resolve(&overrides, &|k| std::env::var(k).ok());
    super::logging::init(
        global,
        settings.as_ref().ok().and_then(|s| s.log_level.as_deref()),
    );
    let settings = settings.map_err(Failure::Problems)?;
    crate::redact::register(&settings.uri);
    if let Some(dev_uri) = &settings.dev_uri {
        crate::redact::register(dev_uri);
    }
    Ok(settings)
}

/// Every manifest and migration file; every problem of every file in one report.
pub fn load_files(
    global: &Global,
    settings: &Settings,
) -> Result<(Manifests, Migrations), Failure> {
    match (
        manifest::load_dir(&settings.manifests),
        migrate::load_dir(&settings.migrations),
    ) {
        (Ok(m), Ok(list)) => {
            // JSON carries them in its document; text shows them here, once.
            if global.format == OutputFormat::Text {
                output::stderr(&problems::warnings(&m.warnings));
            }
            let migrations = Migrations {
                list,
                ..Default::default()
            };
            Ok((m, migrations))
        }
        (m, list) => {
            let mut problems = m.err().unwrap_or_default();
            problems.extend(list.err().unwrap_or_default());
            Err(Failure::Problems(problems))
        }
    }
}
