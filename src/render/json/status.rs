//! `mig status` and `mig drift` as JSON.

use serde_json::{Map, Value};

use super::super::{model, DatabaseStatus, RowState};
use super::*;
use crate::migrate::api::{Entry, Migration, State};
use crate::run::TargetReport;

/// `mig status --format json` is `{"databases": [...], "summary": {...}}`,
/// written one database at a time. One database of it, as the JSON prints
/// it and the text projects it; over `[clusters]` (`clusters`), with its
/// `cluster`.
pub fn status_model(t: &TargetReport, all: &[Migration], clusters: bool) -> model::StatusDatabase {
    let rows = status_rows(t, all);
    let state = status_of(t, &rows);
    model::StatusDatabase {
        database: t.target.database.clone(),
        scope: t.target.scope.to_string(),
        cluster: clusters.then(|| t.cluster.clone()),
        status: state,
        error: t.error().map(ToString::to_string),
        index_changes: t.plan.as_ref().map_or(0, |p| p.changes.len()),
        collection_changes: t.plan.as_ref().map_or(0, |p| {
            p.changes
                .iter()
                .filter(|c| c.is_collection_change())
                .count()
        }),
        indexes_read: t.plan.is_some(),
        indexes_clean: t.plan.as_ref().is_some_and(|p| p.is_empty()),
        warnings: t.warnings.clone(),
        migrations: rows
            .iter()
            .map(|r| model::StatusMigration {
                id: r.id.to_string(),
                state: r.state,
                batch: r.entry.map(|e| e.batch),
                applied_at: r
                    .entry
                    .and_then(|e| e.applied_at)
                    .and_then(|d| d.try_to_rfc3339_string().ok()),
                duration_ms: r.entry.and_then(|e| e.duration_ms),
                error: r.entry.and_then(|e| e.error.clone()),
            })
            .collect(),
    }
}

/// `mig status`'s fields after `databases`: the summary (`counts` by
/// `DatabaseStatus`), how discovery went, the pause, and over `[clusters]`
/// (`by`) each cluster's counts.
pub fn status_tail(
    counts: &[usize; 3],
    discovery: Option<&crate::targets::Looked>,
    pause: Option<&crate::server::load::Pause>,
    by: Option<&crate::run::ByCluster<[usize; 3]>>,
) -> Map<String, Value> {
    object(model::value(&model::StatusTail {
        summary: status_counts(counts),
        discovery: discovery.map(discovery_model),
        paused: pause.map(|p| model::Paused {
            by: p.by.clone(),
            since: p.since.and_then(|s| s.try_to_rfc3339_string().ok()),
        }),
        clusters: by.map(|by| clusters_model(by, status_counts)),
    }))
}

/// A cluster's counts in `mig drift --format json`: in sync, drifted, failed.
fn drift_counts(counts: &[usize; 3]) -> model::DriftCounts {
    model::DriftCounts {
        databases: counts.iter().sum(),
        in_sync: counts[0],
        drifted: counts[1],
        failed: counts[2],
    }
}

/// A cluster's counts in `mig status --format json`; `counts` by `DatabaseStatus`.
fn status_counts(counts: &[usize; 3]) -> model::StatusCounts {
    model::StatusCounts {
        databases: counts.iter().sum(),
        migrated: counts[0],
        behind: counts[1],
        failed: counts[2],
    }
}

/// One deviation: `{kind, collection, index}`, plus `differences` (and
/// `live_name`, for the declared index live under another name) when different.
fn deviation(d: &Deviation) -> model::Deviation {
    let (differences, live_name) = match d {
        Deviation::Different {
            fields, live_name, ..
        } => (
            Some(fields.iter().map(|f| f.to_string()).collect()),
            live_name.clone(),
        ),
        _ => (None, None),
    };
    model::Deviation {
        kind: d.kind().to_string(),
        collection: d.collection().to_string(),
        // A deviation of the collection itself (missing, its options) has no index.
        index: Some(d.index().to_string()).filter(|i| !i.is_empty()),
        differences,
        live_name,
    }
}

/// `mig drift --format json`: the groups, largest first, each with its
/// count, its deviations and the first database names; the failures; a
/// summary; how discovery went; over `[clusters]` (`by`), each cluster's counts.
pub fn drift(
    drift: &Drift,
    rejected: &[Rejected],
    read_path: Option<ReadPath>,
    warnings: &[crate::diagnostics::Problem],
    discovery: Option<&crate::targets::Looked>,
    by: Option<&crate::run::ByCluster<[usize; 3]>>,
) -> Value {
    model::value(&model::DriftReport {
        groups: drift
            .groups()
            .iter()
            .map(|g| model::DriftGroup {
                count: g.count,
                in_sync: g.in_sync(),
                deviations: g.deviations.iter().map(deviation).collect(),
                samples: g.samples.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
        failed: drift
            .failures()
            .map(|f| model::DatabaseFailure {
                database: f.database.to_string(),
                error: f.why.to_string(),
            })
            .collect(),
        rejected: rejected.iter().map(rejected_model).collect(),
        summary: model::DriftSummary {
            databases: drift.databases(),
            in_sync: drift.in_sync(),
            drifted: drift.drifted(),
            groups: drift.kinds_of_drift(),
            failed: drift.failed(),
        },
        samples_kept: SAMPLES,
        read_path: read_path.map(read_path_name),
        warnings: warnings.iter().map(problem_model).collect(),
        discovery: discovery.map(discovery_model),
        clusters: by.map(|by| clusters_model(by, drift_counts)),
    })
}

/// One migration's state in one database, for `mig status`.
struct StatusRow<'a> {
    id: &'a str,
    state: RowState,
    entry: Option<&'a Entry>,
}

/// Every migration of the database's scope, with its changelog entry.
fn status_rows<'a>(t: &'a TargetReport, all: &'a [Migration]) -> Vec<StatusRow<'a>> {
    all.iter()
        .filter(|m| m.scope.includes(t.target.scope))
        .map(|m| {
            let entry = t.changelog.iter().find(|e| e.id == m.id);
            let state = match entry.map(|e| e.state) {
                Some(State::Applied) => RowState::Applied,
                Some(State::Failed) => RowState::Failed,
                Some(State::Running) => RowState::Running,
                Some(State::Reverted) | None => RowState::Pending,
            };
            StatusRow {
                id: &m.id,
                state,
                entry,
            }
        })
        .collect()
}

/// Fully migrated (nothing pending, indexes clean), behind, or failed.
fn status_of(t: &TargetReport, rows: &[StatusRow]) -> DatabaseStatus {
    if t.error().is_some() || rows.iter().any(|r| r.state == RowState::Failed) {
        DatabaseStatus::Failed
    } else if rows.iter().any(|r| r.state != RowState::Applied)
        || t.plan.as_ref().is_some_and(|p| !p.is_empty())
    {
        DatabaseStatus::Behind
    } else {
        DatabaseStatus::Migrated
    }
}
