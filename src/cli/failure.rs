//! The one place where a command's failure becomes a message and an exit code.
//!
//! Every command returns an [`Outcome`]. A failure of a layer below (connecting,
//! reading a server, a lock, a saved plan) is carried as it is, in a variant
//! of its own type: errors come in by `From`, and [`Failure::kind`] matches
//! every variant, so a new error type does not compile until it is classified.

use std::path::PathBuf;

use crate::diagnostics::Problem;
use crate::render::problems;
use crate::run::RunError;
use crate::server::bookkeeping::lock::{Holder, LockError};
use crate::server::dev::DevError;
use crate::server::errors::ReadError;

use super::output;
use super::{OutputFormat, EXIT_CHANGES, EXIT_DEFERRED, EXIT_ERROR, EXIT_NO_TENANTS, EXIT_OK};

/// The user did not answer `yes`.
#[derive(Debug, thiserror::Error)]
#[error("mig {0} cancelled: nothing was written")]
pub struct Cancelled(pub String);

/// Files that exist and differ: nothing was written.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} exist{} and differ{}; nothing was written (the diff is above; --force overwrites)",
    list(.0), if .0.len() == 1 { "s" } else { "" }, if .0.len() == 1 { "s" } else { "" }
)]
pub struct WouldOverwrite(pub Vec<PathBuf>);

fn list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// Neither a public database nor tenant discovery: nothing to read.
#[derive(Debug, thiserror::Error)]
#[error(
    "nothing to pull: no public database ([public] database in mig.toml, MONGODB_PUBLIC_DATABASE or \
     --public-db) and no tenant discovery ([tenants] in mig.toml)"
)]
pub struct NothingToPull;

/// A flag (kept here, beside the other errors of commands) `mig init` can't write into mig.toml.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("--tenants-registry {0}: expected COLLECTION.FIELD, e.g. client_configs.schema")]
    Registry(String),
    #[error(
        "--tenants-registry needs the public database the registry is in: add --public-db NAME"
    )]
    RegistryWithoutPublic,
    #[error("--tenants-regex {pattern}: {why}")]
    Regex { pattern: String, why: String },
}

/// Why a pause needs the public database.
#[derive(Debug, thiserror::Error)]
#[error("the pause is kept in the public database: set [public] database in mig.toml (or MONGODB_PUBLIC_DATABASE)")]
pub struct NoPublicDatabase;

/// What a command ends with.
pub type Outcome = Result<Success, Failure>;

/// A command that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    Done,
    /// `mig plan --detailed-exitcode`, and changes are pending; `mig drift`,
    /// and a database drifted.
    ChangesPending,
    /// `mig apply`, and the rollout deferred databases (nothing failed).
    Deferred,
}

impl Success {
    pub fn exit_code(self) -> i32 {
        match self {
            Success::Done => EXIT_OK,
            Success::ChangesPending => EXIT_CHANGES,
            Success::Deferred => EXIT_DEFERRED,
        }
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Problems in mig.toml, the manifests or the migrations (or declarations
    /// the dev server refused): reported all at once, before any database is touched.
    #[error("{} problem(s) found; no database was touched", .0.len())]
    Problems(Vec<Problem>),
    /// Problems in mig.toml or the environment: reported like [`Failure::Problems`].
    #[error("{} problem(s) found; no database was touched", .0.len())]
    Config(Vec<Problem>),
    /// No mig.toml and no manifests directory: not a project.
    #[error(
        "no mig.toml in {} and no manifests directory ({}); run `mig init` to start a project \
         here, or point --config PATH at a project's mig.toml",
        dir.display(), manifests.display()
    )]
    NoProject { dir: PathBuf, manifests: PathBuf },
    /// The output already says what failed (a database failed in a report).
    #[error("a database failed; the report says which")]
    Reported,
    /// A run over `[clusters]` in which clusters (or their databases)
    /// failed: the report says which databases; stderr names the clusters.
    #[error("{}", .0.join("\n"))]
    Clusters(Vec<String>),
    #[error(".env: cannot parse a line (at character {0})")]
    EnvFileLine(usize),
    #[error(".env: {0}")]
    EnvFile(String),
    #[error("--to {to}: no such migration in {}", dir.display())]
    NoSuchMigration { to: String, dir: PathBuf },
    #[error("{name:?}: a migration name is lowercase letters, digits and _")]
    MigrationName { name: String },
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{database}: {holder}; run `mig unlock {database} --force` to remove it")]
    Locked {
        database: String,
        holder: Box<Holder>,
    },
    /// `mig lint` or `mig plan`: rules set to `error` fired (the output lists them).
    #[error(
        "{0} lint finding(s) at error level; fix them, or set the rule to \"warn\" or \"off\" \
         in mig.toml's [lint.rules]"
    )]
    LintErrors(usize),
    /// Tenant manifests, and tenant discovery found no tenant database
    /// where mig.toml doesn't say there may be none.
    #[error("{0}")]
    NoTenants(crate::targets::NoTenants),
    /// `--format markdown` on a command that has no markdown form.
    #[error(
        "--format markdown is for `mig plan`, `mig drift` and `mig lint`; `mig {command}` prints text or json"
    )]
    NoMarkdown { command: &'static str },
    /// A layer below could not read a server.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The dev server could not be started or used.
    #[error(transparent)]
    Dev(#[from] DevError),
    /// A run could not resolve its targets.
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Unmatched(#[from] crate::targets::Unmatched),
    #[error(transparent)]
    FormatNotSupported(#[from] super::FormatNotSupported),
    #[error(transparent)]
    WhichCluster(#[from] super::WhichCluster),
    #[error(transparent)]
    NotOverClusters(#[from] super::NotOverClusters),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
    #[error(transparent)]
    BadThreshold(#[from] crate::pull::BadThreshold),
    #[error(transparent)]
    WouldOverwrite(#[from] WouldOverwrite),
    #[error(transparent)]
    NothingToPull(#[from] NothingToPull),
    #[error(transparent)]
    Init(#[from] InitError),
    #[error(transparent)]
    PauseWithoutPublic(#[from] NoPublicDatabase),
    #[error(transparent)]
    SavedPlan(#[from] crate::plan::saved::SavedPlanError),
    #[error(transparent)]
    Migration(#[from] crate::migrate::api::MigrationError),
    /// The server refused a command.
    #[error(transparent)]
    Server(#[from] crate::server::errors::Failure),
    /// Writing a file or stdout, or reading a file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A document could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::NoTenants(_) => EXIT_NO_TENANTS,
            _ => EXIT_ERROR,
        }
    }

    /// `--format json`'s `error.kind`: what a script may branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Problems(_) => "manifest",
            Failure::Config(_)
            | Failure::NoProject { .. }
            | Failure::EnvFileLine(_)
            | Failure::EnvFile(_) => "config",
            Failure::Reported | Failure::Clusters(_) => "failed",
            Failure::NoSuchMigration { .. }
            | Failure::MigrationName { .. }
            | Failure::NoMarkdown { .. } => "usage",
            Failure::Exists(_) | Failure::File { .. } => "file",
            Failure::Locked { .. } => "locked",
            Failure::LintErrors(_) => "lint",
            Failure::NoTenants(_) => "no_tenants",
            Failure::Read(e) => read_kind(e),
            Failure::Dev(e) => match e {
                DevError::Connect(c) => c.kind(),
                DevError::InvalidUri { .. } | DevError::WrongVersion { .. } => "config",
                DevError::Command { .. } | DevError::Stopped => "failed",
            },
            Failure::Run(e) => match e {
                RunError::Read(e) => read_kind(e),
                RunError::NoPublicDatabase | RunError::NoDiscovery => "config",
                RunError::UnknownTenants(_) => "usage",
                RunError::Lock(LockError::Held(_)) => "locked",
                RunError::Discovery(_)
                | RunError::Vanished(_)
                | RunError::Drifted { .. }
                | RunError::MigrationsChanged { .. }
                | RunError::MigrationsNotRun(_)
                | RunError::Saved(_)
                | RunError::Migration(_)
                | RunError::Lock(_)
                | RunError::Mongos
                | RunError::Misrouted(_)
                | RunError::LagUnreadable { .. }
                | RunError::Cluster { .. } => "failed",
            },
            Failure::Lock(LockError::Held(_)) => "locked",
            Failure::Lock(_) => "failed",
            Failure::Unmatched(_)
            | Failure::FormatNotSupported(_)
            | Failure::WhichCluster(_)
            | Failure::NotOverClusters(_)
            | Failure::BadThreshold(_) => "usage",
            Failure::Cancelled(_) => "cancelled",
            Failure::WouldOverwrite(_) => "file",
            Failure::NothingToPull(_) => "config",
            Failure::Init(_)
            | Failure::PauseWithoutPublic(_)
            | Failure::SavedPlan(_)
            | Failure::Migration(_)
            | Failure::Server(_)
            | Failure::Io(_)
            | Failure::Json(_) => "failed",
        }
    }

    /// Says what failed on stderr and returns the exit code. With `--format
    /// json`, also one document on stdout, `{"error": {"kind", "message"}}`
    /// (problems add `valid` and `problems`), unless a document is already there.
    pub fn report(&self, format: OutputFormat) -> i32 {
        let document = format.is_json() && !output::stdout_written();
        match self {
            Failure::Problems(list) | Failure::Config(list) => {
                if document {
                    output::stdout(&problems::json(self.kind(), list));
                }
                output::stderr(&problems::errors(list));
            }
            // The report on stdout says what failed.
            Failure::Reported => {}
            // The report says which databases; stderr names the clusters.
            Failure::Clusters(lines) => {
                for line in lines {
                    output::stderr(&problems::error(line));
                }
            }
            Failure::NoTenants(e) => {
                if document {
                    output::stdout(&problems::json_error_with(self.kind(), e, &e.looked));
                }
                output::stderr(&problems::error(e));
            }
            other => {
                if document {
                    output::stdout(&problems::json_error(self.kind(), other));
                }
                output::stderr(&problems::error(other));
            }
        }
        self.exit_code()
    }
}

/// The kind of a failed read: a server that won't answer (or let us in),
/// a URI that can't be used, or a read that failed.
fn read_kind(e: &ReadError) -> &'static str {
    match e {
        ReadError::Connect(c) => c.kind(),
        ReadError::InvalidUri { .. } | ReadError::Client { .. } => "config",
        ReadError::Unusable { .. }
        | ReadError::Timeout { .. }
        | ReadError::Server(_)
        | ReadError::View { .. }
        | ReadError::Malformed { .. }
        | ReadError::Unexpected(_) => "failed",
    }
}

/// The exit code of an outcome, after saying what failed.
pub fn exit_code(outcome: Outcome, format: OutputFormat) -> i32 {
    match outcome {
        Ok(success) => success.exit_code(),
        Err(failure) => failure.report(format),
    }
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;
