//! What applying a plan came to: per step, per change, and why a step
//! failed. Written by the executor ([`super::execute`]), read by `run/` and
//! the report.

use super::bookkeeping::lock::LockError;
use super::errors::Failure;
use crate::plan::change::{TEMP_FIELD, TEMP_SUFFIX};

/// What happened to one step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepOutcome {
    Done,
    /// Failed, in whole or (a build's batch) in part: what went wrong.
    Failed(StepError),
    /// Not run: a change it serves or requires had failed.
    Skipped,
    /// Not run: the rollout stopped before it (interrupted, or its window
    /// closed); the next run carries on from the live state.
    Deferred,
}

/// Why a step failed: the error of each change it failed for (a batch
/// of builds may fail for some of its indexes only), or of its migration.
#[derive(Clone, Debug, PartialEq)]
pub struct StepError(pub Vec<ApplyError>);

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, e) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Why a step failed for a change.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// The run's lock was lost or lapsed: nothing more is written.
    #[error(transparent)]
    Fenced(#[from] LockError),
    /// The server refused the command.
    #[error(transparent)]
    Server(#[from] Failure),
    #[error(
        "collection {database}.{collection} disappeared during the run (dropped concurrently?); \
         the index was built on a new, empty collection"
    )]
    CollectionVanished {
        database: String,
        collection: String,
    },
    #[error("dropping {index:?} before rebuilding it: {source}")]
    GapDrop {
        index: String,
        source: Box<ApplyError>,
    },
    #[error("dropping the old {index:?}: {source}")]
    SwapDrop {
        index: String,
        source: Box<ApplyError>,
    },
    /// A data migration failed (its changelog entry says how).
    #[error("migration {id} failed: {message}")]
    Migration { id: String, message: String },
}

impl ApplyError {
    /// The server's code, when the server refused the command.
    pub(super) fn code(&self) -> Option<i32> {
        match self {
            ApplyError::Server(f) => f.code,
            _ => None,
        }
    }

    /// The server names a coverage twin by its own name (`NAME__mig_tmp`, key
    /// field `__mig_tmp`); the user declared `NAME`, so messages say that.
    pub(super) fn untwinned(self) -> ApplyError {
        match self {
            ApplyError::Server(f) => ApplyError::Server(Failure {
                code: f.code,
                message: untwin(&f.message),
            }),
            ApplyError::GapDrop { index, source } => ApplyError::GapDrop {
                index,
                source: Box::new(source.untwinned()),
            },
            ApplyError::SwapDrop { index, source } => ApplyError::SwapDrop {
                index,
                source: Box::new(source.untwinned()),
            },
            other => other,
        }
    }
}

/// `idx__mig_tmp` → `idx`; `{ a: 1, __mig_tmp: null }` → `{ a: 1 }`.
fn untwin(message: &str) -> String {
    use std::sync::LazyLock;
    static NAME: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(&format!("([^\\s\"'{{,:]){}", TEMP_SUFFIX)).expect("a valid pattern")
    });
    static FIELD: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(&format!(",\\s*\"?{}\"?\\s*:\\s*[^,}}\\s]*", TEMP_FIELD))
            .expect("a valid pattern")
    });
    let named = NAME.replace_all(message, "$1");
    FIELD.replace_all(&named, "").into_owned()
}

/// What happened to one change: the outcome of its steps together.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeOutcome {
    /// No step of it ran (blocked by the preflight).
    NotRun,
    /// Every step of it ran so far succeeded.
    Done,
    Failed(ApplyError),
}

/// Why the executor stopped before some steps (marked `Deferred`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The rollout's [`super::execute::Gate`] deferred a step; it knows why.
    ByGate,
    /// A second interrupt aborted the build in flight: the database is as
    /// it was before that step.
    BuildAborted,
}

/// What happened to a database's steps and to the changes they serve.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// One per step of the plan, in order.
    pub steps: Vec<StepOutcome>,
    /// One per change of the plan.
    pub changes: Vec<ChangeOutcome>,
    /// The executor stopped before the steps marked `Deferred`, and how.
    pub deferred: Option<Stopped>,
}

impl Applied {
    /// The change at `i` was carried out completely.
    pub fn done(&self, i: usize) -> bool {
        self.changes.get(i) == Some(&ChangeOutcome::Done)
    }

    /// Why the change at `i` failed, if it did.
    pub fn error(&self, i: usize) -> Option<&ApplyError> {
        match self.changes.get(i) {
            Some(ChangeOutcome::Failed(e)) => Some(e),
            _ => None,
        }
    }

    pub fn failed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, StepOutcome::Failed(_)))
            .count()
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
