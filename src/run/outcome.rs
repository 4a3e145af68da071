//! How one database's run ended, as typed values: the report carries these,
//! and every renderer words them the same way (their `Display`).

use std::fmt;

use crate::config::rollout::Window;
use crate::migrate::api::MigrationError;
use crate::server::bookkeeping::lock::{Holder, LockError};
use crate::server::errors::ReadError;

use super::RunError;

/// How a database's run ended, besides what each of its steps did.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum DatabaseOutcome {
    /// Read and planned (`plan`, `status`, `drift`, `down --dry-run`).
    #[default]
    Planned,
    /// Its steps ran (the report's `applied` says how each went).
    Applied,
    /// Not started, or stopped at a step where its collections are whole,
    /// by the rollout (interrupted, outside its window): the next run goes on.
    Deferred(Deferral),
    /// Not worked on.
    Skipped(SkipReason),
    /// It could not be read (or vanished, or its lock not taken): nothing was changed.
    Failed(DatabaseError),
}

/// Why a database was not worked on.
#[derive(Clone, Debug, PartialEq)]
pub enum SkipReason {
    /// Another run holds its lock.
    Locked(Box<Holder>),
    /// `--on-error stop`, and an earlier database failed.
    EarlierFailed,
    /// A canary database failed: the rest of the fleet waits.
    CanaryFailed,
    /// A saved plan's database changed since the plan was made.
    Drifted { now: String, planned: String },
    /// A saved plan's pending migrations are not those pending now.
    MigrationsChanged {
        now: Vec<String>,
        planned: Vec<String>,
    },
    /// A saved plan with migrations, given to a command that runs none.
    MigrationsNotRun(Vec<String>),
    /// A saved plan's database is not where the plan was made: made
    /// without `[clusters]` (`planned_on: None`), or on a cluster this run
    /// (`clusters`: one with `[clusters]`) doesn't route it to.
    Elsewhere {
        planned_on: Option<String>,
        clusters: bool,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Locked(holder) => write!(f, "{holder}"),
            SkipReason::EarlierFailed => {
                f.write_str("not started: an earlier database failed (--on-error stop)")
            }
            SkipReason::CanaryFailed => f.write_str("not started: a canary database failed"),
            SkipReason::Drifted { now, planned } => write!(
                f,
                "{}",
                RunError::Drifted {
                    now: now.clone(),
                    planned: planned.clone()
                }
            ),
            SkipReason::MigrationsChanged { now, planned } => write!(
                f,
                "{}",
                RunError::MigrationsChanged {
                    now: now.clone(),
                    planned: planned.clone()
                }
            ),
            SkipReason::MigrationsNotRun(ids) => {
                write!(f, "{}", RunError::MigrationsNotRun(ids.clone()))
            }
            SkipReason::Elsewhere {
                planned_on: None, ..
            } => f.write_str("the plan was made without [clusters]; plan again"),
            SkipReason::Elsewhere {
                planned_on: Some(c),
                clusters: false,
            } => write!(
                f,
                "planned on cluster {c}, and this run has no [clusters]; plan again"
            ),
            SkipReason::Elsewhere {
                planned_on: Some(c),
                clusters: true,
            } => write!(
                f,
                "planned on cluster {c}, where the routing no longer puts it (or the cluster is \
                 not part of this run); plan again"
            ),
        }
    }
}

/// Why the rollout left a database for the next run, which carries on
/// from the live state.
#[derive(Clone, Debug, PartialEq)]
pub enum Deferral {
    /// Not started at all.
    NotStarted(Halt),
    /// Stopped before a step where its collections are whole (mid-swap, the
    /// swap finishes first).
    BeforeStep(Halt),
    /// A second interrupt aborted its index build in flight: the database is
    /// as it was before that step.
    BuildAborted,
    /// Read again after its migrations, it planned other index steps than
    /// those shown: none of them ran (the report carries the new plan).
    Replanned,
}

/// What keeps a rollout from starting anything new.
#[derive(Clone, Debug, PartialEq)]
pub enum Halt {
    /// The first SIGINT or SIGTERM.
    Interrupted,
    /// The rollout's window is closed now.
    OutsideWindow(Window),
}

/// A deferral's cause, in one machine-readable word (JSON `deferred_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeferralKind {
    /// Interrupted (SIGINT/SIGTERM): not started, or stopped before a step.
    Interrupted,
    /// Outside the rollout's window: not started, or stopped before a step.
    OutsideWindow,
    /// Its index build was aborted by a second interrupt.
    BuildAborted,
    /// Stopped after its migrations: read again, it plans other index steps.
    Replanned,
}

impl Deferral {
    pub fn kind(&self) -> DeferralKind {
        match self {
            Deferral::NotStarted(halt) | Deferral::BeforeStep(halt) => match halt {
                Halt::Interrupted => DeferralKind::Interrupted,
                Halt::OutsideWindow(_) => DeferralKind::OutsideWindow,
            },
            Deferral::BuildAborted => DeferralKind::BuildAborted,
            Deferral::Replanned => DeferralKind::Replanned,
        }
    }
}

impl fmt::Display for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Halt::Interrupted => f.write_str("the run was interrupted (SIGINT/SIGTERM)"),
            Halt::OutsideWindow(w) => write!(f, "outside the window {w}"),
        }
    }
}

impl fmt::Display for Deferral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deferral::NotStarted(halt) => write!(f, "not started: {halt}"),
            Deferral::BeforeStep(halt) => write!(f, "stopped before this step: {halt}"),
            Deferral::BuildAborted => {
                f.write_str("stopped: its index build was aborted (interrupted twice)")
            }
            Deferral::Replanned => f.write_str(
                "stopped after its migrations: read again, it plans other index steps than \
                 those shown (the new plan is below); the next run applies it",
            ),
        }
    }
}

/// Why a database failed: what kind of failure, and the error's own words.
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseError {
    pub kind: ErrorKind,
    pub message: String,
}

/// The kinds of failure a database's report carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// No server answered, or it refused the credentials.
    Unreachable,
    /// Reading the database failed (a refused read, a timeout, a view).
    Read,
    /// Dropped after discovery, before the run reached it.
    Vanished,
    /// Its lock could not be taken, or was lost.
    Lock,
    /// Its data migrations could not run.
    Migration,
    /// A saved plan could not be used.
    SavedPlan,
    /// Written through `mongos`: refused for now.
    Mongos,
    /// The routing put the tenant on no cluster.
    Misrouted,
    /// Its cluster could not be used at all, or won't say its lag.
    Cluster,
    /// What mig.toml or the command line asked can't be done.
    Config,
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl DatabaseError {
    fn new(kind: ErrorKind, error: &dyn fmt::Display) -> DatabaseError {
        DatabaseError {
            kind,
            message: error.to_string(),
        }
    }
}

impl From<&ReadError> for ErrorKind {
    fn from(e: &ReadError) -> ErrorKind {
        match e {
            ReadError::Connect(_) => ErrorKind::Unreachable,
            ReadError::InvalidUri { .. } | ReadError::Client { .. } => ErrorKind::Config,
            ReadError::Unusable { .. }
            | ReadError::Timeout { .. }
            | ReadError::Server(_)
            | ReadError::View { .. }
            | ReadError::Malformed { .. }
            | ReadError::Unexpected(_) => ErrorKind::Read,
        }
    }
}

impl From<RunError> for DatabaseError {
    fn from(e: RunError) -> DatabaseError {
        let kind = match &e {
            RunError::NoPublicDatabase
            | RunError::NoDiscovery
            | RunError::Discovery(_)
            | RunError::UnknownTenants(_) => ErrorKind::Config,
            RunError::Vanished(_) => ErrorKind::Vanished,
            // A saved plan that drifted is a skip, not a failure; here only
            // as a run error some caller did not unwrap.
            RunError::Drifted { .. }
            | RunError::MigrationsChanged { .. }
            | RunError::MigrationsNotRun(_)
            | RunError::Saved(_) => ErrorKind::SavedPlan,
            RunError::Read(read) => read.into(),
            RunError::Migration(_) => ErrorKind::Migration,
            RunError::Lock(_) => ErrorKind::Lock,
            RunError::Mongos => ErrorKind::Mongos,
            RunError::Misrouted(_) => ErrorKind::Misrouted,
            RunError::LagUnreadable { .. } | RunError::Cluster { .. } => ErrorKind::Cluster,
        };
        DatabaseError::new(kind, &e)
    }
}

/// A run error as a database's outcome: a saved plan that no longer fits
/// the database (drifted, other migrations pending) is a skip, anything
/// else a failure.
impl From<RunError> for DatabaseOutcome {
    fn from(e: RunError) -> DatabaseOutcome {
        match e {
            RunError::Drifted { now, planned } => {
                DatabaseOutcome::Skipped(SkipReason::Drifted { now, planned })
            }
            RunError::MigrationsChanged { now, planned } => {
                DatabaseOutcome::Skipped(SkipReason::MigrationsChanged { now, planned })
            }
            RunError::MigrationsNotRun(ids) => {
                DatabaseOutcome::Skipped(SkipReason::MigrationsNotRun(ids))
            }
            e => DatabaseOutcome::Failed(e.into()),
        }
    }
}

impl From<ReadError> for DatabaseError {
    fn from(e: ReadError) -> DatabaseError {
        DatabaseError::new((&e).into(), &e)
    }
}

impl From<MigrationError> for DatabaseError {
    fn from(e: MigrationError) -> DatabaseError {
        DatabaseError::new(ErrorKind::Migration, &e)
    }
}

impl From<LockError> for DatabaseError {
    fn from(e: LockError) -> DatabaseError {
        DatabaseError::new(ErrorKind::Lock, &e)
    }
}

/// What happened to one data migration in one database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MigrationStatus {
    /// To run (`plan`).
    Pending,
    /// Run (`apply`).
    Applied,
    /// `down --dry-run` would revert it.
    #[serde(rename = "to revert")]
    ToRevert,
    /// Reverted (`down`).
    Reverted,
    Failed,
}

impl MigrationStatus {
    /// Every status, in the order a summary names them.
    pub const ALL: [MigrationStatus; 5] = [
        MigrationStatus::Pending,
        MigrationStatus::Applied,
        MigrationStatus::ToRevert,
        MigrationStatus::Reverted,
        MigrationStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MigrationStatus::Pending => "pending",
            MigrationStatus::Applied => "applied",
            MigrationStatus::ToRevert => "to revert",
            MigrationStatus::Reverted => "reverted",
            MigrationStatus::Failed => "failed",
        }
    }

    /// Work to do: in a plan (`pending`, `to revert`).
    pub fn is_to_do(self) -> bool {
        matches!(self, MigrationStatus::Pending | MigrationStatus::ToRevert)
    }

    /// Work done: after an apply or a `down` (`applied`, `reverted`).
    pub fn is_done(self) -> bool {
        matches!(self, MigrationStatus::Applied | MigrationStatus::Reverted)
    }
}

impl fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
