//! The JSON shape of a plan or an apply (`--format json`). Documented in the
//! README; change it only by adding fields. Secrets are scrubbed where the
//! output is printed (`cli`), once, for every format.

use serde_json::{json, Map, Value};

use crate::model::IndexSpec;
use crate::plan::drift::{Deviation, Drift, SAMPLES};
use crate::plan::{Action, Command, DatabasePlan};
use crate::run::Report;
use crate::server::execute::{Applied, StepOutcome};
use crate::server::inspect::ReadPath;
use crate::targets::Rejected;

/// A JSON document as printed: pretty, with a final newline.
pub fn document(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

pub fn spec(spec: &IndexSpec) -> Value {
    bson::Bson::Document(spec.to_document()).into_relaxed_extjson()
}

fn change(plan: &DatabasePlan, i: usize, steps: &[usize]) -> Value {
    let c = &plan.changes[i];
    let mut m = Map::new();
    m.insert("collection".into(), json!(c.collection()));
    m.insert("action".into(), json!(c.action().as_str()));
    m.insert("index".into(), json!(c.index()));
    m.insert(
        "desired".into(),
        c.desired().map(spec).unwrap_or(Value::Null),
    );
    m.insert("live".into(), c.live().map(spec).unwrap_or(Value::Null));
    m.insert("differences".into(), json!(c.differences()));
    m.insert("creates_collection".into(), json!(c.new_collection()));
    m.insert("gap".into(), json!(c.gap()));
    m.insert("blocked".into(), json!(plan.blocked(i)));
    if let Some(old) = c.renames() {
        m.insert("renamed_from".into(), json!(old));
    }
    if let Some(note) = c.note() {
        m.insert("note".into(), json!(note));
    }
    if let Some(u) = plan.findings.usage.get(&i) {
        m.insert(
            "usage".into(),
            json!({"ops": u.ops, "since": u.since.and_then(|s| s.try_to_rfc3339_string().ok())}),
        );
    }
    // The steps that carry it out, by their number in the target's `steps`.
    m.insert(
        "steps".into(),
        json!(steps.iter().map(|n| n + 1).collect::<Vec<_>>()),
    );
    Value::Object(m)
}

/// The steps of a database, in order; after an apply, with how each went.
fn steps(plan: &DatabasePlan, applied: Option<&Applied>) -> Value {
    let steps: Vec<Value> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(n, step)| {
            let mut m = Map::new();
            m.insert("n".into(), json!(n + 1));
            // A migration is about no one collection.
            let collection = Some(&step.collection).filter(|c| !c.is_empty());
            m.insert("collection".into(), json!(collection));
            m.insert("command".into(), json!(step.command.name()));
            let first = step.serves.first().map(|&i| &plan.changes[i]);
            m.insert("action".into(), json!(first.map(|c| c.action().as_str())));
            let index = match &step.command {
                Command::Migration { id } => id.clone(),
                other => other.indexes().join(", "),
            };
            m.insert("index".into(), json!(index));
            m.insert("indexes".into(), json!(step.command.indexes()));
            if let Command::CollMod { set, .. } = &step.command {
                let (option, value) = set.option();
                m.insert(
                    "set".into(),
                    json!({ option: value.into_relaxed_extjson() }),
                );
            }
            m.insert(
                "serves".into(),
                json!(step
                    .serves
                    .iter()
                    .map(|&i| format!(
                        "{}.{}",
                        plan.changes[i].collection(),
                        plan.changes[i].index()
                    ))
                    .collect::<Vec<_>>()),
            );
            m.insert("why".into(), json!(step.why.as_str()));
            m.insert("explain".into(), json!(step.why.explain()));
            if let Some(outcome) = applied.and_then(|a| a.steps.get(n)) {
                let (ok, error, skipped) = match outcome {
                    StepOutcome::Done => (true, None, false),
                    StepOutcome::Failed(e) => (false, Some(e.as_str()), false),
                    StepOutcome::Skipped => (false, None, true),
                };
                m.insert("ok".into(), json!(ok));
                m.insert("error".into(), json!(error));
                m.insert("skipped".into(), json!(skipped));
            }
            Value::Object(m)
        })
        .collect();
    json!(steps)
}

fn migrations(t: &crate::run::TargetReport) -> Value {
    json!(t
        .migrations
        .iter()
        .map(|m| json!({
            "id": m.id,
            "description": m.description,
            "status": m.status,
            "error": m.error,
            "steps": m.steps,
        }))
        .collect::<Vec<_>>())
}

/// `mig status --format json`.
pub fn status(reports: &[crate::run::TargetReport], all: &[crate::migrate::Migration]) -> Value {
    let mut summary = [0usize; 3];
    let databases: Vec<Value> = reports
        .iter()
        .map(|t| {
            let rows = super::status_rows(t, all);
            let state = super::status_of(t, &rows);
            summary[state as usize] += 1;
            json!({
                "database": t.target.database,
                "scope": t.target.scope.to_string(),
                "status": state.as_str(),
                "error": t.error,
                "index_changes": t.plan.as_ref().map_or(0, |p| p.changes.len()),
                "indexes_clean": t.plan.as_ref().is_some_and(|p| p.is_empty()),
                "warnings": t.warnings,
                "migrations": rows.iter().map(|r| json!({
                    "id": r.id,
                    "state": r.state,
                    "batch": r.entry.map(|e| e.batch),
                    "applied_at": r.entry.and_then(|e| e.applied_at).and_then(|d| d.try_to_rfc3339_string().ok()),
                    "duration_ms": r.entry.and_then(|e| e.duration_ms),
                    "error": r.entry.and_then(|e| e.error.as_deref()),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "databases": databases,
        "summary": {"databases": reports.len(), "migrated": summary[0], "behind": summary[1], "failed": summary[2]},
    })
}

/// A problem (or warning) in a file the user wrote: where, what it is about, what is wrong.
pub fn problem(p: &crate::diagnostics::Problem) -> Value {
    let mut m = Map::new();
    m.insert("file".into(), json!(p.file.display().to_string()));
    m.insert("line".into(), json!(p.position.map(|p| p.line)));
    m.insert("column".into(), json!(p.position.map(|p| p.column)));
    m.insert("field".into(), json!(p.field));
    if !p.subject.is_empty() {
        m.insert("subject".into(), json!(p.subject));
        m.insert("option".into(), json!(p.option));
    }
    m.insert("message".into(), json!(p.message));
    Value::Object(m)
}

pub fn report(report: &Report) -> Value {
    let mut summary = [0usize; Action::ALL.len()];
    let mut unmanaged = 0;
    let mut failed = 0;
    let mut failed_steps = 0;
    let targets: Vec<Value> = report
        .targets
        .iter()
        .map(|t| {
            let mut m = Map::new();
            m.insert("database".into(), json!(t.target.database));
            m.insert("scope".into(), json!(t.target.scope.to_string()));
            for c in t.counted(report.applied) {
                summary[c.action() as usize] += 1;
            }
            failed_steps += t.failed_steps();
            let (changes, left) = match &t.plan {
                Some(p) => {
                    unmanaged += p.unmanaged.len();
                    let by_change = p.steps_by_change();
                    m.insert("steps".into(), steps(p, t.applied.as_ref()));
                    (
                        (0..p.changes.len())
                            .map(|i| change(p, i, by_change.get(&i).map_or(&[], Vec::as_slice)))
                            .collect::<Vec<_>>(),
                        p.unmanaged
                            .iter()
                            .map(|u| {
                                let mut m = Map::new();
                                m.insert("collection".into(), json!(u.collection));
                                m.insert("index".into(), json!(u.index.name));
                                m.insert("live".into(), spec(&u.index));
                                if let Some(e) = &u.equivalent_to {
                                    m.insert("equivalent_to".into(), json!(e));
                                }
                                if u.protected {
                                    m.insert("protected".into(), json!(true));
                                }
                                if let Some((hidden_at, drops_at)) = u.retiring {
                                    m.insert(
                                        "retiring".into(),
                                        json!({
                                            "hidden_at": hidden_at.try_to_rfc3339_string().ok(),
                                            "drops_after": drops_at.try_to_rfc3339_string().ok(),
                                        }),
                                    );
                                }
                                Value::Object(m)
                            })
                            .collect::<Vec<_>>(),
                    )
                }
                None => (Vec::new(), Vec::new()),
            };
            m.insert("changes".into(), json!(changes));
            m.insert("migrations".into(), migrations(t));
            if !t.warnings.is_empty() {
                m.insert("warnings".into(), json!(t.warnings));
            }
            m.insert("unmanaged".into(), json!(left));
            if t.failed() {
                failed += 1;
            }
            let status = if t.skipped.is_some() {
                "skipped"
            } else if t.failed() {
                "failed"
            } else if !t.has_work(report.applied) {
                "unchanged"
            } else if report.applied {
                "applied"
            } else {
                "pending"
            };
            m.insert("status".into(), json!(status));
            if let Some(e) = &t.error {
                m.insert("error".into(), json!(e));
            }
            if let Some(why) = &t.skipped {
                m.insert("skipped".into(), json!(why));
            }
            m.insert("outcome".into(), json!(t.outcome(report.applied)));
            Value::Object(m)
        })
        .collect();
    let migration_runs = |status: &str| {
        report
            .targets
            .iter()
            .flat_map(|t| &t.migrations)
            .filter(|m| m.status == status)
            .count()
    };
    let rejected: Vec<Value> = report
        .rejected
        .iter()
        .map(|r| json!({"database": r.database, "reason": r.reason}))
        .collect();
    json!({
        "warnings": report.warnings.iter().map(problem).collect::<Vec<_>>(),
        "read_path": report.read_path.map(read_path_name),
        "targets": targets,
        "rejected": rejected,
        "summary": {
            "create": summary[Action::Create as usize],
            "drop": summary[Action::Drop as usize],
            "modify": summary[Action::Modify as usize],
            "replace": summary[Action::Replace as usize],
            "hide": summary[Action::Hide as usize],
            "blocked": report.targets.iter().filter_map(|t| t.plan.as_ref()).map(|p| p.findings.blocked.len()).sum::<usize>(),
            "skipped": report.targets.iter().filter(|t| t.skipped.is_some()).count(),
            "unmanaged": unmanaged,
            "databases": report.targets.len(),
            "failed": failed,
            "failed_steps": failed_steps,
            "migrations_pending": migration_runs("pending"),
            "migrations_applied": migration_runs("applied"),
        },
    })
}

/// One deviation: `{kind, collection, index}`, plus `differences` (and
/// `live_name`, for the declared index live under another name) when different.
fn deviation(d: &Deviation) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!(d.kind()));
    m.insert("collection".into(), json!(d.collection()));
    m.insert("index".into(), json!(d.index()));
    if let Deviation::Different {
        fields, live_name, ..
    } = d
    {
        m.insert("differences".into(), json!(fields));
        if let Some(live) = live_name {
            m.insert("live_name".into(), json!(live));
        }
    }
    Value::Object(m)
}

/// `mig drift --format json`: the groups, largest first, each with its
/// count, its deviations and the first database names; the failures; a summary.
pub fn drift(
    drift: &Drift,
    rejected: &[Rejected],
    read_path: Option<ReadPath>,
    warnings: &[crate::diagnostics::Problem],
) -> Value {
    let groups: Vec<Value> = drift
        .groups()
        .iter()
        .map(|g| {
            json!({
                "count": g.count,
                "in_sync": g.in_sync(),
                "deviations": g.deviations.iter().map(deviation).collect::<Vec<_>>(),
                "samples": g.samples,
            })
        })
        .collect();
    let failed: Vec<Value> = drift
        .failures()
        .map(|f| json!({"database": f.database, "error": f.why}))
        .collect();
    json!({
        "groups": groups,
        "failed": failed,
        "rejected": rejected.iter().map(|r| json!({"database": r.database, "reason": r.reason})).collect::<Vec<_>>(),
        "summary": {
            "databases": drift.databases(),
            "in_sync": drift.in_sync(),
            "drifted": drift.drifted(),
            "groups": drift.kinds_of_drift(),
            "failed": drift.failed(),
        },
        "samples_kept": SAMPLES,
        "read_path": read_path.map(read_path_name),
        "warnings": warnings.iter().map(problem).collect::<Vec<_>>(),
    })
}

fn read_path_name(path: ReadPath) -> &'static str {
    match path {
        ReadPath::Catalog => "listCatalog",
        ReadPath::ListIndexes => "listIndexes",
    }
}
