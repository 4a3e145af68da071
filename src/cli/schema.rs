//! `mig schema [DIR]`: writes the JSON Schemas of manifests, migrations and
//! mig.toml into a project, so the `$schema` modelines of the files `mig`
//! writes (`../schema/…`) let editors check them as `mig` does; and the
//! schema of the JSON reports `mig` prints (`report.schema.json`).

use std::path::PathBuf;

use clap::Args;

use crate::render::messages;

use super::failure::{Failure, Outcome, Success};
use super::output;

/// `mig schema`'s arguments.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Where to write them: the project's `schema` folder, beside `manifests`
    /// and `migrations`. Existing schema files there are replaced.
    #[arg(value_name = "DIR", default_value = "schema")]
    pub dir: PathBuf,
}

pub const EXAMPLES: &str = "Examples:
  mig schema              ./schema/manifest.schema.json, migration.schema.json, mig.schema.json, report.schema.json
  mig schema config/schema";

/// Writes the schemas; prints each path.
pub fn run(args: &SchemaArgs) -> Outcome {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).map_err(|source| Failure::File {
        path: dir.clone(),
        source,
    })?;
    let report = ("report.schema.json", crate::render::documents::schema());
    for (name, text) in crate::schema::files().into_iter().chain([report]) {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| Failure::File {
            path: path.clone(),
            source,
        })?;
        output::stdout(&messages::created(&path));
    }
    Ok(Success::Done)
}
