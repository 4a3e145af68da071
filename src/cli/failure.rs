//! The one place where a command's failure becomes a message and an exit code.
//!
//! Every command returns an [`Outcome`]. A failure of a layer below (connecting,
//! reading a server, a lock, a saved plan) is carried as it is, whatever its
//! error type: [`Failure::other`] takes a `String` as well as any
//! `std::error::Error`, so a callee switching to a typed error changes nothing here.

use std::error::Error;
use std::path::PathBuf;

use crate::diagnostics::Problem;
use crate::render::{self, problems};
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
    /// A failure of a layer below, in its own words.
    #[error("{0}")]
    Other(Box<dyn Error + Send + Sync>),
}

impl Failure {
    /// A failure of a layer below: a message, or any error.
    pub fn other(error: impl Into<Box<dyn Error + Send + Sync>>) -> Failure {
        Failure::Other(error.into())
    }

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
            Failure::Other(e) => kind_below(e.as_ref()),
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
                    let discovery = render::json::discovery(&e.looked);
                    output::stdout(&problems::json_error_with(self.kind(), e, discovery));
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

/// The kind of a failure of a layer below, by its type.
fn kind_below(e: &(dyn Error + Send + Sync + 'static)) -> &'static str {
    let read = |e: &ReadError| match e {
        ReadError::Connect(c) => c.kind(),
        ReadError::InvalidUri { .. } | ReadError::Client { .. } => "config",
        _ => "failed",
    };
    if let Some(e) = e.downcast_ref::<ReadError>() {
        return read(e);
    }
    if let Some(e) = e.downcast_ref::<DevError>() {
        return match e {
            DevError::Connect(c) => c.kind(),
            DevError::InvalidUri { .. } | DevError::WrongVersion { .. } => "config",
            _ => "failed",
        };
    }
    match e.downcast_ref::<RunError>() {
        Some(RunError::Read(e)) => read(e),
        Some(RunError::NoPublicDatabase | RunError::NoDiscovery) => "config",
        Some(RunError::UnknownTenants(_)) => "usage",
        Some(RunError::Lock(LockError::Held(_))) => "locked",
        _ if matches!(e.downcast_ref::<LockError>(), Some(LockError::Held(_))) => "locked",
        _ if e.downcast_ref::<crate::targets::Unmatched>().is_some() => "usage",
        _ if e.downcast_ref::<super::FormatNotSupported>().is_some() => "usage",
        _ if e.downcast_ref::<super::WhichCluster>().is_some() => "usage",
        _ if e.downcast_ref::<super::NotOverClusters>().is_some() => "usage",
        _ if e.downcast_ref::<Cancelled>().is_some() => "cancelled",
        _ if e.downcast_ref::<crate::pull::BadThreshold>().is_some() => "usage",
        _ if e.downcast_ref::<WouldOverwrite>().is_some() => "file",
        _ if e.downcast_ref::<NothingToPull>().is_some() => "config",
        _ => "failed",
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
mod tests {
    use super::*;

    #[test]
    fn a_failure_below_is_shown_in_its_own_words_whatever_its_type() {
        let message = Failure::other("cannot reach mongodb://h:1".to_string());
        let typed = Failure::other(std::io::Error::other("cannot reach mongodb://h:1"));
        assert_eq!(message.to_string(), "cannot reach mongodb://h:1");
        assert_eq!(typed.to_string(), message.to_string());
    }

    #[test]
    fn a_failure_below_has_the_kind_of_its_type() {
        use crate::config::UriSource;
        use crate::server::errors::{ConnectError, Reason, Server};
        let connect = |reason| ConnectError {
            server: Server::Production,
            uri: "mongodb://h:1".into(),
            from: UriSource::Default,
            reason,
        };
        let read = |reason| Failure::other(ReadError::Connect(connect(reason)));
        assert_eq!(read(Reason::Refused).kind(), "unreachable");
        assert_eq!(read(Reason::Auth("x".into())).kind(), "auth");
        let through_run =
            Failure::other(RunError::Read(ReadError::Connect(connect(Reason::Refused))));
        assert_eq!(through_run.kind(), "unreachable");
        assert_eq!(Failure::other(RunError::NoPublicDatabase).kind(), "config");
        assert_eq!(
            Failure::other(DevError::Connect(connect(Reason::Refused))).kind(),
            "unreachable"
        );
        assert_eq!(Failure::other("anything").kind(), "failed");
        assert_eq!(Failure::Problems(Vec::new()).kind(), "manifest");
        assert_eq!(Failure::Config(Vec::new()).kind(), "config");
    }

    #[test]
    fn every_failure_exits_1_and_pending_changes_2() {
        assert_eq!(Failure::Reported.exit_code(), EXIT_ERROR);
        assert_eq!(Failure::Problems(Vec::new()).exit_code(), EXIT_ERROR);
        assert_eq!(Failure::other("x").exit_code(), EXIT_ERROR);
        assert_eq!(Success::Done.exit_code(), EXIT_OK);
        assert_eq!(Success::ChangesPending.exit_code(), EXIT_CHANGES);
    }
}
