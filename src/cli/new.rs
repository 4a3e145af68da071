//! `mig new NAME`: `migrations/<YYYYMMDDHHMMSS>_<name>.yaml` from the template.

use clap::Args;

use crate::config::Settings;
use crate::migrate::api::{self as migrate, MigrationScope};
use crate::render::messages;

use super::failure::{Failure, Outcome, Success};
use super::flags::MigrationsDirFlag;
use super::output;

/// `mig new`'s arguments.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// What it does, in lowercase letters, digits and `_`: `backfill_status`.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Which databases it runs in.
    #[arg(long, value_enum, default_value_t = MigrationScope::Tenant)]
    pub scope: MigrationScope,
    /// Write TOML instead of YAML.
    #[arg(long)]
    pub toml: bool,
    #[command(flatten)]
    pub migrations: MigrationsDirFlag,
}

pub const EXAMPLES: &str = "Examples:
  mig new backfill_status                   migrations/<timestamp>_backfill_status.yaml, for tenants
  mig new seed_plans --scope public
  mig new rename_field --toml";

/// `mig new`: writes the file and prints its path.
pub fn run(settings: &Settings, args: &NewArgs) -> Outcome {
    let name = &args.name;
    let stamp: String = bson::DateTime::now()
        .try_to_rfc3339_string()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let id = format!("{stamp}_{name}");
    if !migrate::valid_id(&id) {
        return Err(Failure::MigrationName { name: name.clone() });
    }
    let dir = &settings.migrations;
    std::fs::create_dir_all(dir).map_err(|source| Failure::File {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(format!("{id}.{}", if args.toml { "toml" } else { "yaml" }));
    if path.exists() {
        return Err(Failure::Exists(path));
    }
    std::fs::write(&path, migrate::template(name, args.scope, args.toml)).map_err(|source| {
        Failure::File {
            path: path.clone(),
            source,
        }
    })?;
    output::stdout(&messages::created(&path));
    // The template's modeline points at the project's schema folder.
    let schema = dir.join("../schema/migration.schema.json");
    if !args.toml && !schema.exists() {
        output::stderr(&messages::no_schema(&schema));
    }
    Ok(Success::Done)
}
