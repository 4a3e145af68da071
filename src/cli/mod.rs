//! The command line: flags, commands, output streams and exit codes.
//! The plan goes to stdout; logs, progress and errors to stderr.
//!
//! One file per command, its arguments beside it (`plan.rs`, `apply.rs` for
//! `apply` and `sync-indexes`, `status.rs`, `down.rs`, `list.rs`,
//! `validate.rs`, `history.rs`, `unlock.rs`, `new.rs`); this file parses,
//! resolves the settings, loads the files and dispatches. What is printed is
//! built by [`crate::render`] and written by `output.rs`; a failure becomes a
//! message and an exit code in one place, [`Failure`].

mod apply;
mod confirm;
mod down;
mod failure;
mod fleet;
mod history;
mod list;
mod logging;
mod new;
mod output;
mod plan;
mod schema;
mod setup;
mod status;
mod unlock;
mod validate;

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::targets::{self, Selection};

pub use apply::{ApplyAndMigrateArgs, ApplyArgs, MigrateArgs};
pub use down::DownArgs;
pub use failure::{Failure, Outcome, Success};
pub use history::HistoryArgs;
pub use new::NewArgs;
pub use plan::{PlanArgs, RunArgs};
pub use schema::SchemaArgs;
pub use status::StatusArgs;
pub use unlock::UnlockArgs;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
/// `mig plan --detailed-exitcode`: changes are pending.
pub const EXIT_CHANGES: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "mig",
    version,
    about = "MongoDB indexes and data migrations as code, for a public database plus one database per tenant"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Project file (default: ./mig.toml if present).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// MongoDB connection string (default: $MONGODB_URI, then mig.toml, then mongodb://localhost:27017).
    #[arg(long, global = true, value_name = "URI", hide_env_values = true)]
    pub uri: Option<String>,
    /// A throw-away MongoDB of production's version: `validate` builds every
    /// declared index there; `plan`/`apply`/`sync-indexes` compare in its form
    /// (default: $MIG_DEV_URI, then mig.toml's `dev_uri`; none: offline).
    #[arg(long = "dev-uri", global = true, value_name = "URI")]
    pub dev_uri: Option<String>,
    /// The public database (default: $MONGODB_PUBLIC_DATABASE, then mig.toml).
    #[arg(long = "public-db", global = true, value_name = "NAME")]
    pub public_db: Option<String>,
    /// The manifests directory (default: mig.toml's `manifests`, then ./manifests).
    #[arg(long, global = true, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
    /// The migrations directory (default: mig.toml's `migrations`, then ./migrations).
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// No colours (also: NO_COLOR).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Only the public database.
    #[arg(long, global = true, conflicts_with_all = ["tenants_only", "tenant"])]
    pub public_only: bool,
    /// Only tenant databases.
    #[arg(long, global = true)]
    pub tenants_only: bool,
    /// Only this tenant database (repeatable).
    #[arg(long = "tenant", global = true, value_name = "NAME")]
    pub tenant: Vec<String>,
    /// Only this collection (repeatable).
    #[arg(long = "collection", global = true, value_name = "NAME")]
    pub collection: Vec<String>,
}

impl Global {
    /// `--public-only`, `--tenants-only`, `--tenant NAME`.
    fn selection(&self) -> Selection {
        Selection {
            public_only: self.public_only,
            tenants_only: self.tenants_only,
            tenants: self.tenant.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what differs between the manifests and the live databases.
    Plan(PlanArgs),
    /// Apply the index plan to every target database.
    SyncIndexes(ApplyArgs),
    /// Apply everything pending: data migrations, then the index sync.
    Apply(ApplyAndMigrateArgs),
    /// Create a migration file from a template.
    New(NewArgs),
    /// Write the JSON Schemas of manifests, migrations and mig.toml, for editors.
    Schema(SchemaArgs),
    /// Per database: each migration applied, pending or failed, and whether the index sync is clean.
    Status(StatusArgs),
    /// Revert the last batch of migrations (or back to, not including, --to) in every target.
    Down(DownArgs),
    /// What the manifests declare, and which databases tenant discovery finds.
    List,
    /// Check mig.toml and the manifests offline.
    Validate,
    /// The journal of a database: every step `mig` ran there, newest first.
    History(HistoryArgs),
    /// Remove a database's lock, whoever holds it (after a crashed run, if
    /// you can't wait for its lease to lapse).
    Unlock(UnlockArgs),
}

impl Command {
    /// `--concurrency`, for the commands that have it.
    fn concurrency(&self) -> Option<usize> {
        match self {
            Command::Plan(a) => a.run.concurrency,
            Command::SyncIndexes(a) => a.run.concurrency,
            Command::Apply(a) => a.args.run.concurrency,
            Command::Status(a) => a.concurrency,
            Command::Down(a) => a.concurrency,
            _ => None,
        }
    }
}

/// Parses the command line and runs it; returns the exit code.
pub async fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    let format = cli.global.format;
    failure::exit_code(run(cli).await, format)
}

/// Settings, files, then the command.
async fn run(cli: Cli) -> Outcome {
    // Needs no project: works before there is a mig.toml.
    if let Command::Schema(args) = &cli.command {
        return schema::run(args);
    }
    setup::load_dotenv()?;
    let settings = setup::settings(&cli)?;
    let global = &cli.global;
    // These read only the server, or write a file: no manifests needed.
    match &cli.command {
        Command::History(args) => return history::run(global, &settings, args).await,
        Command::Unlock(args) => return unlock::run(&settings, args).await,
        Command::New(args) => return new::run(&settings, args),
        _ => {}
    }
    let (mut manifests, migrations) = setup::load_files(global, &settings)?;
    // A flag or a file that would make the run quietly do nothing is an error.
    targets::check_collections(&manifests, &global.collection).map_err(Failure::other)?;
    manifests.retain_collections(&global.collection);
    let untargeted = targets::untargeted_scopes(&settings, &manifests, &global.selection());
    if !untargeted.is_empty() {
        return Err(Failure::Problems(untargeted));
    }
    let (settings, manifests, migrations) = (&settings, &manifests, &migrations);
    match &cli.command {
        Command::Validate => validate::run(global, settings, manifests, migrations).await,
        Command::List => list::run(global, settings, manifests, migrations).await,
        Command::Status(args) => status::run(global, settings, manifests, migrations, args).await,
        Command::Down(args) => down::run(global, settings, manifests, migrations, args).await,
        Command::Plan(args) => plan::run(global, settings, manifests, migrations, args).await,
        Command::SyncIndexes(args) => apply::sync_indexes(global, settings, manifests, args).await,
        Command::Apply(args) => apply::run(global, settings, manifests, migrations, args).await,
        Command::History(_) | Command::Unlock(_) | Command::New(_) | Command::Schema(_) => {
            unreachable!("handled above")
        }
    }
}
