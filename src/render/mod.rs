//! Renderers of a plan and its outcome: for people ([`text`]) and machines ([`json`]).

pub mod history;
pub mod json;
pub mod lint;
pub mod list;
pub mod messages;
pub mod problems;
pub mod pull;
pub mod text;
pub mod validate;

use crate::migrate::api::{Entry, State};
use crate::migrate::Migration;
use crate::run::TargetReport;

/// One migration's state in one database, for `mig status`.
pub(crate) struct StatusRow<'a> {
    pub id: &'a str,
    /// applied, pending, failed, running (interrupted)
    pub state: &'static str,
    pub entry: Option<&'a Entry>,
}

/// Every migration of the database's scope, with its changelog entry.
pub(crate) fn status_rows<'a>(t: &'a TargetReport, all: &'a [Migration]) -> Vec<StatusRow<'a>> {
    all.iter()
        .filter(|m| m.scope.includes(t.target.scope))
        .map(|m| {
            let entry = t.changelog.iter().find(|e| e.id == m.id);
            let state = match entry.map(|e| e.state) {
                Some(State::Applied) => "applied",
                Some(State::Failed) => "failed",
                Some(State::Running) => "running",
                Some(State::Reverted) | None => "pending",
            };
            StatusRow {
                id: &m.id,
                state,
                entry,
            }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatabaseStatus {
    Migrated = 0,
    Behind = 1,
    Failed = 2,
}

impl DatabaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseStatus::Migrated => "migrated",
            DatabaseStatus::Behind => "behind",
            DatabaseStatus::Failed => "failed",
        }
    }
}

/// Fully migrated (nothing pending, indexes clean), behind, or failed.
pub(crate) fn status_of(t: &TargetReport, rows: &[StatusRow]) -> DatabaseStatus {
    if t.error.is_some() || rows.iter().any(|r| r.state == "failed") {
        DatabaseStatus::Failed
    } else if rows.iter().any(|r| r.state != "applied")
        || t.plan.as_ref().is_some_and(|p| !p.is_empty())
    {
        DatabaseStatus::Behind
    } else {
        DatabaseStatus::Migrated
    }
}
