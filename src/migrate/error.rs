//! [`MigrationError`]: why a migration could not be decided on, run or reverted.

use crate::server::errors::Failure;

/// Why migrations could not run in a database, or one of them failed. The
/// texts are what `mig` prints and records in the changelog.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MigrationError {
    #[error("reading the changelog {database}.{collection}: {failure}")]
    ReadChangelog {
        database: String,
        collection: String,
        failure: Failure,
    },
    #[error("writing the changelog: {0}")]
    WriteChangelog(Failure),
    /// A command or read the server refused (or a write error in its reply).
    #[error("{0}")]
    Server(Failure),
    /// The run's lock fence stopped it before a write.
    #[error(transparent)]
    Fenced(#[from] crate::server::bookkeeping::lock::LockError),
    #[error(
        "transactional: true needs a deployment with transactions (a replica set); nothing was run"
    )]
    NoTransactions,
    #[error("precondition failed: collection {0} does not exist; nothing was run")]
    NoCollection(String),
    #[error("precondition failed: {collection} has {count} matching document(s), expected {expected}; nothing was run")]
    Count {
        collection: String,
        count: u64,
        expected: String,
    },
    /// Step `number` (from 1) failed.
    #[error("step {number} ({name}): {source}")]
    Step {
        number: usize,
        name: &'static str,
        source: Box<MigrationError>,
    },
    /// Step `number` of a transactional migration failed; nothing of it stays.
    #[error("step {number} ({name}), transaction rolled back: {source}")]
    RolledBack {
        number: usize,
        name: &'static str,
        source: Box<MigrationError>,
    },
    /// Migration `id` failed (as recorded in its changelog entry).
    #[error("{id}: {source}")]
    Failed {
        id: String,
        source: Box<MigrationError>,
    },
    #[error("migration {id} changed since it was applied (checksum then {then}, now {now}); restore it, or run with --allow-changed")]
    Changed {
        id: String,
        then: String,
        now: String,
    },
    #[error("migration {id} failed ({error}); fix the cause and run with --retry-failed")]
    FailedBefore { id: String, error: String },
    #[error("migration {0} is applied but its file is missing: it can't be reverted")]
    FileMissing(String),
    #[error("migration {0} has no `down` steps: it can't be reverted (nothing was changed)")]
    NoDown(String),
    /// `apply`: a migration failed, so the database's index sync did not run.
    #[error("migration {id} failed; the index sync was not run: {source}")]
    Apply {
        id: String,
        source: Box<MigrationError>,
    },
    /// `mig down`: reverting a migration failed.
    #[error("reverting {id} failed: {source}")]
    Revert {
        id: String,
        source: Box<MigrationError>,
    },
}

impl MigrationError {
    pub(super) fn server(err: &mongodb::error::Error) -> MigrationError {
        MigrationError::Server(Failure::of(err))
    }
}
