//! Which migrations a database needs, and which it would revert, from its
//! changelog. Pure: the runner reads the changelog, this decides.

use bson::{DateTime, Document};

use super::{Migration, MigrationError};
use crate::model::Scope;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Started and not finished: a run was interrupted; the next one resumes it.
    Running,
    Applied,
    Failed,
    Reverted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Applied => "applied",
            State::Failed => "failed",
            State::Reverted => "reverted",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [
            State::Running,
            State::Applied,
            State::Failed,
            State::Reverted,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// One document of a database's changelog.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: String,
    pub checksum: String,
    pub state: State,
    pub batch: i64,
    pub applied_at: Option<DateTime>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    /// Where an interrupted batched step stopped: `{step, last_id}`.
    pub checkpoint: Option<Document>,
}

#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    /// Stop after this migration.
    pub to: Option<&'a str>,
    /// Run even though an applied migration's file changed.
    pub allow_changed: bool,
    /// Run a failed migration again.
    pub retry_failed: bool,
}

/// What a database needs.
#[derive(Clone, Debug, Default)]
pub struct Pending<'a> {
    pub run: Vec<&'a Migration>,
    /// Why nothing may run here now (a changed or failed migration).
    pub blocked: Option<MigrationError>,
    /// Changelog entries with no file on disk.
    pub missing: Vec<String>,
}

/// The migrations of `scope` to run on a database with changelog `log`, in id order.
pub fn pending<'a>(
    migrations: &'a [Migration],
    scope: Scope,
    log: &[Entry],
    options: &Options,
) -> Pending<'a> {
    let mut out = Pending {
        missing: log
            .iter()
            .filter(|e| e.state != State::Reverted && !migrations.iter().any(|m| m.id == e.id))
            .map(|e| e.id.clone())
            .collect(),
        ..Default::default()
    };
    for m in migrations.iter().filter(|m| m.scope.includes(scope)) {
        let entry = log.iter().find(|e| e.id == m.id);
        let run = match entry.map(|e| e.state) {
            Some(State::Applied) => {
                let e = entry.expect("matched");
                if e.checksum != m.checksum && !options.allow_changed {
                    out.blocked = Some(MigrationError::Changed {
                        id: m.id.clone(),
                        then: short(&e.checksum).to_string(),
                        now: short(&m.checksum).to_string(),
                    });
                    return out;
                }
                false
            }
            Some(State::Failed) if !options.retry_failed => {
                out.blocked = Some(MigrationError::FailedBefore {
                    id: m.id.clone(),
                    error: entry
                        .and_then(|e| e.error.as_deref())
                        .unwrap_or("no error recorded")
                        .to_string(),
                });
                return out;
            }
            _ => true,
        };
        if run {
            out.run.push(m);
        }
        if options.to == Some(m.id.as_str()) {
            break;
        }
    }
    out
}

/// The migrations `mig down` reverts, newest first: the last batch, or every
/// applied one after `to`. Refuses, before anything runs, one that has no
/// `down` steps or no file.
pub fn to_revert<'a>(
    migrations: &'a [Migration],
    log: &[Entry],
    to: Option<&str>,
) -> Result<Vec<&'a Migration>, MigrationError> {
    let mut applied: Vec<&Entry> = log.iter().filter(|e| e.state == State::Applied).collect();
    applied.sort_by(|a, b| b.id.cmp(&a.id));
    let chosen: Vec<&Entry> = match to {
        Some(to) => applied.into_iter().filter(|e| e.id.as_str() > to).collect(),
        None => {
            let last = applied.iter().map(|e| e.batch).max();
            applied
                .into_iter()
                .filter(|e| Some(e.batch) == last)
                .collect()
        }
    };
    chosen
        .iter()
        .map(|e| {
            let m = migrations
                .iter()
                .find(|m| m.id == e.id)
                .ok_or_else(|| MigrationError::FileMissing(e.id.clone()))?;
            if m.down.is_empty() {
                return Err(MigrationError::NoDown(m.id.clone()));
            }
            Ok(m)
        })
        .collect()
}

fn short(checksum: &str) -> &str {
    &checksum[..12.min(checksum.len())]
}

#[cfg(test)]
#[path = "pending_tests.rs"]
mod tests;
