//! The command line: flags, commands, output streams and exit codes.
//! The plan goes to stdout; logs, progress and errors to stderr.
//!
//! One file per command, its arguments beside it (`plan.rs`, `apply.rs` for
//! `apply` and `sync-indexes`, `status.rs`, `down.rs`, `list.rs`,
//! `validate.rs`, `lint.rs`, `history.rs`, `unlock.rs`, `new.rs`); this file parses,
//! resolves the settings, loads the files and dispatches. What is printed is
//! built by [`crate::render`] and written by `output.rs`; a failure becomes a
//! message and an exit code in one place, [`Failure`].

mod apply;
mod completions;
mod confirm;
mod down;
mod drift;
mod failure;
mod flags;
mod fleet;
mod history;
mod init;
mod lint;
mod list;
mod logging;
mod man;
mod new;
mod output;
mod pause;
mod plan;
mod printer;
mod pull;
mod schema;
mod setup;
mod status;
mod unlock;
mod validate;

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::config;
use crate::targets::{self, Selection};

pub use apply::{ApplyAndMigrateArgs, MigrateArgs};
pub use completions::CompletionsArgs;
pub use down::DownArgs;
pub use drift::DriftArgs;
pub use failure::{Failure, Outcome, Success};
pub use flags::{ApplyArgs, RunArgs};
pub use history::HistoryArgs;
pub use init::InitArgs;
pub use lint::LintArgs;
pub use list::ListArgs;
pub use man::ManArgs;
pub use new::NewArgs;
pub use pause::PauseArgs;
pub use plan::PlanArgs;
pub use pull::PullArgs;
pub use schema::SchemaArgs;
pub use status::StatusArgs;
pub use unlock::UnlockArgs;
pub use validate::ValidateArgs;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
/// `mig plan --detailed-exitcode`: changes are pending.
pub const EXIT_CHANGES: i32 = 2;
/// `mig apply`: databases were deferred by the rollout (interrupted, outside
/// its window); nothing failed, and the next run carries on.
pub const EXIT_DEFERRED: i32 = 3;
/// Tenant manifests, and tenant discovery found no tenant database (and
/// mig.toml doesn't say there may be none).
pub const EXIT_NO_TENANTS: i32 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "mig",
    version,
    about = "MongoDB indexes and data migrations as code, for a public database plus one database per tenant",
    after_help = "Examples:
  mig validate          check mig.toml, the manifests and the migrations, offline
  mig plan              what would change in every database
  mig apply             show the plan, ask, then apply it
  mig status            which databases are behind

`mig COMMAND --help` shows a command's options and examples."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Project file (default: ./mig.toml).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,
    /// Output: text for people, json for programs (one document on stdout,
    /// failures included), jsonl for programs that read line by line (`plan`,
    /// `apply`, `sync-indexes`), markdown for a pull-request comment (`plan`, `drift`).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text, help_heading = "Global options")]
    pub format: OutputFormat,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// No colours (also: NO_COLOR).
    #[arg(long = "no-color", global = true, help_heading = "Global options")]
    pub no_color: bool,
    // The command's own connection, project and target flags, gathered here
    // after parsing (see `Global::gather`): one place for the code to read them.
    #[arg(skip)]
    pub uri: Option<String>,
    #[arg(skip)]
    pub dev_uri: Option<String>,
    #[arg(skip)]
    pub server_version: Option<String>,
    #[arg(skip)]
    pub public_db: Option<String>,
    #[arg(skip)]
    pub manifests: Option<PathBuf>,
    #[arg(skip)]
    pub migrations: Option<PathBuf>,
    #[arg(skip)]
    pub public_only: bool,
    #[arg(skip)]
    pub tenants_only: bool,
    #[arg(skip)]
    pub tenant: Vec<String>,
    #[arg(skip)]
    pub cluster: Vec<String>,
    #[arg(skip)]
    pub collection: Vec<String>,
}

impl Global {
    /// `--public-only`, `--tenants-only`, `--tenant NAME`.
    fn selection(&self) -> Selection {
        Selection {
            public_only: self.public_only,
            tenants_only: self.tenants_only,
            tenants: self.tenant.clone(),
            clusters: self.cluster.clone(),
        }
    }

    /// Takes the flags the command was given.
    fn gather(&mut self, command: &Command) {
        let flags = command.flags();
        if let Some(c) = flags.connection {
            self.uri = c.uri.clone();
        }
        if let Some(d) = flags.dev {
            self.dev_uri = d.dev_uri.clone();
            self.server_version = d.server_version.clone();
        }
        if let Some(p) = flags.project {
            self.public_db = p.public_db.clone();
            self.manifests = p.manifests.clone();
            self.migrations = p.migrations.clone();
        }
        if let Some(m) = flags.migrations {
            self.migrations = m.migrations.clone();
        }
        if let Some(d) = flags.databases {
            self.public_only = d.public_only;
            self.tenants_only = d.tenants_only;
            self.tenant = d.tenant.clone();
            self.cluster = d.cluster.clone();
        }
        if let Some(c) = flags.collection {
            self.collection = c.collection.clone();
        }
    }
}

impl OutputFormat {
    /// JSON of either kind: failures are JSON documents too.
    pub fn is_json(self) -> bool {
        matches!(self, OutputFormat::Json | OutputFormat::Jsonl)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// JSON Lines: one object per database as it is done, then one with the
    /// rest (`plan`, `apply`, `sync-indexes`).
    Jsonl,
    /// For a pull-request comment (`plan`, `drift`).
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what differs between the manifests and the live databases.
    #[command(after_help = plan::EXAMPLES)]
    Plan(PlanArgs),
    /// The fleet at a glance: every database compared with the manifests,
    /// grouped by identical deviation (missing, different, extra indexes).
    #[command(after_help = drift::EXAMPLES)]
    Drift(DriftArgs),
    /// Apply the index plan to every target database.
    #[command(after_help = apply::SYNC_EXAMPLES)]
    SyncIndexes(ApplyArgs),
    /// Apply everything pending: data migrations, then the index sync.
    #[command(after_help = apply::APPLY_EXAMPLES)]
    Apply(ApplyAndMigrateArgs),
    /// Start a project here: a commented mig.toml, manifests/, the JSON
    /// Schemas, and the manifests pulled from the server when one answers.
    /// Never overwrites a file.
    #[command(after_help = init::EXAMPLES)]
    Init(InitArgs),
    /// Write manifests from the live indexes: the public database's as they
    /// are, the tenant databases' by consensus (what most of them have), with
    /// comments on where tenants differ. Reads only.
    #[command(after_help = pull::EXAMPLES)]
    Pull(PullArgs),
    /// Create a migration file from a template.
    #[command(after_help = new::EXAMPLES)]
    New(NewArgs),
    /// Write the JSON Schemas of manifests, migrations and mig.toml, for editors.
    #[command(after_help = schema::EXAMPLES)]
    Schema(SchemaArgs),
    /// Per database: each migration applied, pending or failed, and whether the index sync is clean.
    #[command(after_help = status::EXAMPLES)]
    Status(StatusArgs),
    /// Revert the last batch of migrations (or back to, not including, --to) in every target.
    #[command(after_help = down::EXAMPLES)]
    Down(DownArgs),
    /// What the manifests declare, and which databases tenant discovery finds.
    #[command(after_help = list::EXAMPLES)]
    List(ListArgs),
    /// Check mig.toml and the manifests offline.
    #[command(after_help = validate::EXAMPLES)]
    Validate(ValidateArgs),
    /// Advice on the declared indexes (redundant, duplicate, too many, …) and,
    /// with --live, on the fleet (unused indexes, TTL fields without dates).
    #[command(after_help = lint::EXAMPLES)]
    Lint(LintArgs),
    /// What `mig` did in a database, newest first: every step it ran there, and every migration.
    #[command(after_help = history::EXAMPLES)]
    History(HistoryArgs),
    /// Remove a database's lock, whoever holds it (after a crashed run, if
    /// you can't wait for its lease to lapse).
    #[command(after_help = unlock::EXAMPLES)]
    Unlock(UnlockArgs),
    /// Hold every running apply on the cluster before its next step, from
    /// another terminal (until `mig resume`).
    #[command(after_help = pause::PAUSE_EXAMPLES)]
    Pause(PauseArgs),
    /// Let the applies that `mig pause` holds go on.
    #[command(after_help = pause::RESUME_EXAMPLES)]
    Resume(PauseArgs),
    /// Print a completion script for bash, zsh, fish or powershell.
    #[command(after_help = completions::EXAMPLES)]
    Completions(CompletionsArgs),
    /// The manual pages: `mig.1` on stdout, or every page written into a directory.
    #[command(after_help = man::EXAMPLES)]
    Man(ManArgs),
}

impl Command {
    /// The command's name, as typed.
    fn name(&self) -> &'static str {
        match self {
            Command::Plan(_) => "plan",
            Command::Drift(_) => "drift",
            Command::SyncIndexes(_) => "sync-indexes",
            Command::Apply(_) => "apply",
            Command::New(_) => "new",
            Command::Schema(_) => "schema",
            Command::Status(_) => "status",
            Command::Down(_) => "down",
            Command::List(_) => "list",
            Command::Validate(_) => "validate",
            Command::History(_) => "history",
            Command::Unlock(_) => "unlock",
            Command::Pause(_) => "pause",
            Command::Resume(_) => "resume",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::Init(_) => "init",
            Command::Pull(_) => "pull",
            Command::Lint(_) => "lint",
        }
    }

    /// What a command that only works on one server says when mig.toml has `[clusters]`.
    fn not_over_clusters(&self) -> Option<&'static str> {
        match self {
            Command::Init(_) => Some("mig init"),
            _ => None,
        }
    }

    /// Whether the command reads the manifests' target servers before it
    /// acts on the manifests: without `server_version`, the rules that differ
    /// by release wait for the server's version (`fleet::live_rules`).
    fn checks_under_the_server_s_release(&self) -> bool {
        matches!(
            self,
            Command::Plan(_)
                | Command::Apply(_)
                | Command::Drift(_)
                | Command::SyncIndexes(_)
                | Command::Status(_)
                | Command::Down(_)
                | Command::List(_)
        )
    }

    /// `--format markdown` is a pull-request comment: only reports worth
    /// posting have one; the others refuse it rather than print text.
    fn supports_markdown(&self) -> bool {
        matches!(
            self,
            Command::Plan(_) | Command::Drift(_) | Command::Lint(_)
        )
    }

    /// `--concurrency`, for the commands that have it.
    fn concurrency(&self) -> Option<usize> {
        match self {
            Command::Plan(a) => a.run.concurrency,
            Command::SyncIndexes(a) => a.run.concurrency,
            Command::Apply(a) => a.args.run.concurrency,
            Command::Status(a) => a.concurrency,
            Command::Drift(a) => a.concurrency,
            Command::Down(a) => a.concurrency,
            Command::Pull(a) => a.concurrency,
            _ => None,
        }
    }

    fn flags(&self) -> flags::Used<'_> {
        match self {
            Command::Plan(a) => a.flags.used(),
            Command::Drift(a) => a.flags.used(),
            Command::SyncIndexes(a) | Command::Apply(ApplyAndMigrateArgs { args: a, .. }) => {
                a.flags.used()
            }
            Command::Status(a) => a.flags.used(),
            Command::Down(a) => a.flags.used(),
            Command::List(a) => a.flags.used(),
            Command::Lint(a) => a.flags.used(),
            Command::Validate(a) => flags::Used {
                dev: Some(&a.dev),
                project: Some(&a.project),
                ..flags::Used::default()
            },
            Command::History(a) => flags::Used {
                connection: Some(&a.connection),
                ..flags::Used::default()
            },
            Command::Unlock(a) => flags::Used {
                connection: Some(&a.connection),
                ..flags::Used::default()
            },
            Command::Pause(a) | Command::Resume(a) => flags::Used {
                connection: Some(&a.connection),
                ..flags::Used::default()
            },
            Command::New(a) => flags::Used {
                migrations: Some(&a.migrations),
                ..flags::Used::default()
            },
            Command::Init(a) => flags::Used {
                connection: Some(&a.connection),
                ..flags::Used::default()
            },
            Command::Pull(a) => a.flags.used(),
            Command::Schema(_) | Command::Completions(_) | Command::Man(_) => {
                flags::Used::default()
            }
        }
    }
}

/// A command `mig` does not run over `[clusters]` yet.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} writes a project for one server, and mig.toml has [clusters]: it does not work \
     across clusters (every other command does)"
)]
pub struct NotOverClusters(&'static str);

/// A command about one database, over `[clusters]`, without saying which cluster.
#[derive(Debug, thiserror::Error)]
#[error(
    "mig.toml has several [clusters] ({0}): say which one the database is on with --cluster NAME"
)]
pub struct WhichCluster(String);

/// The settings of the one cluster `--cluster` names (or the only one), for
/// a command about one database; as they are without `[clusters]`.
fn one_cluster(
    settings: &config::Settings,
    name: &Option<String>,
) -> Result<config::Settings, Failure> {
    if !settings.has_clusters() {
        targets::check_clusters(settings, name.as_slice()).map_err(Failure::from)?;
        return Ok(settings.clone());
    }
    let cluster = match (name, settings.clusters.as_slice()) {
        (Some(name), _) => {
            targets::check_clusters(settings, std::slice::from_ref(name)).map_err(Failure::from)?;
            settings.cluster(name)
        }
        (None, [only]) => Some(only),
        (None, all) => {
            let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
            return Err(Failure::from(WhichCluster(names.join(", "))));
        }
    };
    Ok(cluster.map_or_else(|| settings.clone(), |c| settings.for_cluster(c)))
}

/// An output format the command doesn't have.
#[derive(Debug, thiserror::Error)]
#[error("--format {format} is for {supported}; use --format text or json here")]
pub struct FormatNotSupported {
    pub format: &'static str,
    pub supported: &'static str,
}

/// Parses the command line and runs it; returns the exit code.
pub async fn main() -> i32 {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    cli.global.gather(&cli.command);
    let format = cli.global.format;
    failure::exit_code(run(cli).await, format)
}

/// Settings, files, then the command.
async fn run(cli: Cli) -> Outcome {
    if cli.global.format == OutputFormat::Jsonl
        && !matches!(
            cli.command,
            Command::Plan(_) | Command::Apply(_) | Command::SyncIndexes(_)
        )
    {
        return Err(Failure::from(FormatNotSupported {
            format: "jsonl",
            supported: "plan, apply and sync-indexes",
        }));
    }
    if cli.global.format == OutputFormat::Markdown && !cli.command.supports_markdown() {
        return Err(Failure::NoMarkdown {
            command: cli.command.name(),
        });
    }
    // Need no project: work before there is a mig.toml.
    match &cli.command {
        Command::Schema(args) => return schema::run(args),
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(args),
        _ => {}
    }
    setup::load_dotenv()?;
    let settings = setup::settings(&cli)?;
    let global = &cli.global;
    targets::check_clusters(&settings, &global.cluster).map_err(Failure::from)?;
    if let Some(what) = cli
        .command
        .not_over_clusters()
        .filter(|_| settings.has_clusters())
    {
        return Err(Failure::from(NotOverClusters(what)));
    }
    // These read only the server, or write files: no manifests needed.
    match &cli.command {
        Command::History(args) => {
            let settings = one_cluster(&settings, &args.cluster.cluster)?;
            return history::run(global, &settings, args).await;
        }
        Command::Unlock(args) => {
            let settings = one_cluster(&settings, &args.cluster.cluster)?;
            return unlock::run(&settings, args).await;
        }
        Command::Pause(args) => {
            let settings = one_cluster(&settings, &args.cluster.cluster)?;
            return pause::pause(&settings).await;
        }
        Command::Resume(args) => {
            let settings = one_cluster(&settings, &args.cluster.cluster)?;
            return pause::resume(&settings).await;
        }
        Command::New(args) => return new::run(&settings, args),
        Command::Pull(args) => return pull::run(global, &settings, &args.into()).await,
        Command::Init(args) => return init::run(global, &settings, args).await,
        _ => {}
    }
    let deferred =
        settings.server_version.is_none() && cli.command.checks_under_the_server_s_release();
    let (mut manifests, migrations) = setup::load_files(global, &settings, deferred)?;
    // A flag or a file that would make the run quietly do nothing is an error.
    targets::check_collections(&manifests, &global.collection).map_err(Failure::from)?;
    manifests.retain_collections(&global.collection);
    let untargeted = targets::untargeted_scopes(&settings, &manifests, &global.selection());
    if !untargeted.is_empty() {
        return Err(Failure::Problems(untargeted));
    }
    let (settings, manifests, migrations) = (&settings, &manifests, &migrations);
    match &cli.command {
        Command::Validate(_) => validate::run(global, settings, manifests, migrations).await,
        Command::Lint(args) => lint::run(global, settings, manifests, args).await,
        Command::List(_) => list::run(global, settings, manifests, migrations).await,
        Command::Status(args) => status::run(global, settings, manifests, migrations, args).await,
        Command::Down(args) => down::run(global, settings, manifests, migrations, args).await,
        Command::Plan(args) => plan::run(global, settings, manifests, migrations, args).await,
        Command::Drift(args) => drift::run(global, settings, manifests, args).await,
        Command::SyncIndexes(args) => apply::sync_indexes(global, settings, manifests, args).await,
        Command::Apply(args) => apply::run(global, settings, manifests, migrations, args).await,
        Command::History(_)
        | Command::Unlock(_)
        | Command::Pause(_)
        | Command::Resume(_)
        | Command::New(_)
        | Command::Schema(_)
        | Command::Pull(_)
        | Command::Init(_)
        | Command::Completions(_)
        | Command::Man(_) => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests;
