//! The JSON shape of a plan or an apply (`--format json`). Documented in the
//! README; change it only by adding fields. Secrets are scrubbed where the
//! output is printed (`cli`), once, for every format.

use serde_json::{json, Map, Value};

use crate::model::IndexSpec;
use crate::plan::drift::{Deviation, Drift, SAMPLES};
use crate::plan::{Action, Change, Command, DatabasePlan};
use crate::run::{Report, Tally};
use crate::server::execute::{Applied, StepOutcome};
use crate::server::inspect::ReadPath;
use crate::targets::Rejected;

/// A JSON document as printed: pretty, with a final newline.
pub fn document(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

fn bson_document(d: &bson::Document) -> Value {
    bson::Bson::Document(d.clone()).into_relaxed_extjson()
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
    if let Some(note) = plan.findings.notes.get(&i) {
        m.insert("note_from_preflight".into(), json!(note));
    }
    if let Some(old) = c.renames() {
        m.insert("renamed_from".into(), json!(old));
    }
    if let Some(note) = c.note() {
        m.insert("note".into(), json!(note));
    }
    if let Change::Conflict { .. } = c {
        // Refused in the plan: the live index it can't stand beside is `live`.
        m.insert("refused".into(), json!(true));
    }
    // A collection's own options: created with, changed in place, or not made.
    match c {
        Change::CreateCollection { options, .. } => {
            m.insert("options".into(), bson_document(options));
        }
        Change::ModifyCollection { .. } | Change::Unchangeable { .. } => {
            let options: Vec<Value> = c
                .option_changes()
                .iter()
                .map(|o| {
                    let value = |v: &Option<bson::Bson>| {
                        v.clone()
                            .map_or(Value::Null, bson::Bson::into_relaxed_extjson)
                    };
                    json!({
                        "option": o.option,
                        "declared": value(&o.declared),
                        "live": value(&o.live),
                        "in_place": o.in_place(),
                        "reason": o.never,
                    })
                })
                .collect();
            m.insert("options".into(), json!(options));
        }
        _ => {}
    }
    if let Some(impact) = plan.findings.impact.get(&i) {
        m.insert(
            "impact".into(),
            json!({"documents": impact.documents, "bytes": impact.bytes, "seconds": impact.seconds}),
        );
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
            match &step.command {
                Command::CollMod { set, .. } => {
                    let (option, value) = set.option();
                    m.insert(
                        "set".into(),
                        json!({ option: value.into_relaxed_extjson() }),
                    );
                }
                Command::ModifyCollection { set } => {
                    m.insert("set".into(), bson_document(set));
                }
                Command::CreateCollection { options } => {
                    m.insert("options".into(), bson_document(options));
                }
                _ => {}
            }
            m.insert(
                "serves".into(),
                json!(step
                    .serves
                    .iter()
                    .map(|&i| plan.changes[i].subject())
                    .collect::<Vec<_>>()),
            );
            m.insert("why".into(), json!(step.why.as_str()));
            m.insert("explain".into(), json!(step.why.explain()));
            if let Some(outcome) = applied.and_then(|a| a.steps.get(n)) {
                let (ok, error, skipped) = match outcome {
                    StepOutcome::Done => (true, None, false),
                    StepOutcome::Failed(e) => (false, Some(e.to_string()), false),
                    StepOutcome::Skipped | StepOutcome::Deferred => (false, None, true),
                };
                m.insert("ok".into(), json!(ok));
                m.insert("error".into(), json!(error));
                m.insert("skipped".into(), json!(skipped));
                if *outcome == StepOutcome::Deferred {
                    m.insert("deferred".into(), json!(true));
                }
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
            "status": m.status.as_str(),
            "error": m.error,
            "steps": m.steps,
        }))
        .collect::<Vec<_>>())
}

/// `mig status --format json`: `{"databases": [...], "summary": {...}}`,
/// written one database at a time. One database's object in `databases`:
pub fn status_database(
    t: &crate::run::TargetReport,
    all: &[crate::migrate::api::Migration],
) -> Value {
    let rows = super::status_rows(t, all);
    let state = super::status_of(t, &rows);
    json!({
        "database": t.target.database,
        "scope": t.target.scope.to_string(),
        "status": state.as_str(),
        "error": t.error().map(ToString::to_string),
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
}

/// `mig status`'s fields after `databases`; `counts` by `DatabaseStatus`.
pub fn status_tail(counts: &[usize; 3]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("summary".into(), Value::Object(status_counts(counts)));
    m
}

/// A cluster's counts in `mig drift --format json`: in sync, drifted, failed.
pub fn drift_counts(counts: &[usize; 3]) -> Map<String, Value> {
    three_counts(counts, ["in_sync", "drifted", "failed"])
}

/// A cluster's counts in `mig status --format json`; `counts` by `DatabaseStatus`.
pub fn status_counts(counts: &[usize; 3]) -> Map<String, Value> {
    three_counts(counts, ["migrated", "behind", "failed"])
}

/// `{databases, <names[0]>, <names[1]>, <names[2]>}`.
fn three_counts(counts: &[usize; 3], names: [&str; 3]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("databases".into(), json!(counts.iter().sum::<usize>()));
    for (name, n) in names.iter().zip(counts) {
        m.insert(name.to_string(), json!(n));
    }
    m
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

/// The whole document: what [`head`], [`target`] and [`tail`] give, as one
/// value (a streamed run writes the same pieces with [`ReportWriter`]).
pub fn report(report: &Report) -> Value {
    let mut doc = head(report.warnings.as_slice(), report.read_path);
    let clusters = !report.clusters.is_empty();
    doc.insert(
        "targets".into(),
        Value::Array(
            report
                .targets
                .iter()
                .map(|t| target_in(t, report.applied, clusters))
                .collect(),
        ),
    );
    let by = report.by_cluster();
    doc.extend(tail_in(
        &report.rejected,
        report.discovery.as_ref(),
        &report.tally(),
        by.as_ref(),
        report.applied,
    ));
    Value::Object(doc)
}

/// [`target`]; over `[clusters]` (`clusters`), with its `cluster`.
pub fn target_in(t: &crate::run::TargetReport, applied: bool, clusters: bool) -> Value {
    let value = target(t, applied);
    match clusters {
        true => with_cluster(value, t.cluster.as_deref()),
        false => value,
    }
}

/// [`tail`]; over `[clusters]` (`by`), then `clusters`: each cluster's counts.
pub fn tail_in(
    rejected: &[crate::targets::Rejected],
    discovery_: Option<&crate::targets::Looked>,
    tally: &Tally,
    by: Option<&crate::run::ByCluster<Tally>>,
    applied: bool,
) -> Map<String, Value> {
    let mut m = tail(rejected, tally);
    if let Some(looked) = discovery_ {
        m.insert("discovery".into(), discovery(looked));
    }
    if let Some(by) = by {
        m.insert(
            "clusters".into(),
            clusters_json(by, |t| tally_json(t, applied)),
        );
    }
    m
}

/// A database's object with `cluster` after `scope` (`null`: a tenant the
/// routing refused, on no cluster): every target of a run over `[clusters]`.
pub fn with_cluster(target: Value, cluster: Option<&str>) -> Value {
    let Value::Object(fields) = target else {
        return target;
    };
    let mut out = Map::new();
    for (k, v) in fields {
        let after_scope = k == "scope";
        out.insert(k, v);
        if after_scope {
            out.insert("cluster".into(), json!(cluster));
        }
    }
    out.entry("cluster").or_insert(json!(cluster));
    Value::Object(out)
}

/// `clusters`: per cluster of a run over `[clusters]`, what it is and its
/// counts (`counts`), in mig.toml's order, then the tenants the routing
/// refused (`{"cluster": null, "refused": n}`) when there are any.
pub fn clusters_json<T>(
    by: &crate::run::ByCluster<T>,
    counts: impl Fn(&T) -> Map<String, Value>,
) -> Value {
    let mut out: Vec<Value> = by
        .clusters
        .iter()
        .map(|(info, t)| {
            let mut m = Map::new();
            m.insert("cluster".into(), json!(info.name));
            m.insert("uri".into(), json!(info.uri));
            m.insert(
                "read_path".into(),
                json!(info.read_path.map(read_path_name)),
            );
            m.insert("mongos".into(), json!(info.mongos));
            m.extend(counts(t));
            m.insert("error".into(), json!(info.error));
            Value::Object(m)
        })
        .collect();
    if by.refused.0 > 0 {
        let mut m = Map::new();
        m.insert("cluster".into(), Value::Null);
        m.insert("refused".into(), json!(by.refused.0));
        m.extend(counts(&by.refused.1));
        out.push(Value::Object(m));
    }
    Value::Array(out)
}

/// A cluster's counts in a plan or an apply.
pub fn tally_json(tally: &Tally, applied: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("databases".into(), json!(tally.databases));
    let changed = if applied { "applied" } else { "pending" };
    m.insert(changed.into(), json!(tally.changed));
    m.insert("failed".into(), json!(tally.failed));
    m
}

/// The fields before `targets`.
pub fn head(
    warnings: &[crate::diagnostics::Problem],
    read_path: Option<crate::server::inspect::ReadPath>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "warnings".into(),
        Value::Array(warnings.iter().map(problem).collect()),
    );
    m.insert("read_path".into(), json!(read_path.map(read_path_name)));
    m
}

/// How tenant discovery went: `{source, looked_at, read, matched, skipped,
/// skipped_why, excluded, tenants, allow_empty, line}`.
pub fn discovery(looked: &crate::targets::Looked) -> Value {
    let why: Vec<Value> = looked
        .why
        .iter()
        .map(|(reason, count)| json!({"reason": reason, "count": count}))
        .collect();
    json!({
        "source": looked.source,
        "looked_at": looked.described,
        "read": looked.read,
        "matched": looked.matched,
        "skipped": looked.skipped,
        "skipped_why": why,
        "excluded": looked.excluded,
        "tenants": looked.tenants,
        "allow_empty": looked.allow_empty,
        "line": super::discovery_line(looked),
    })
}

/// The fields after `targets`: the tenants discovery left out, and the summary.
pub fn tail(rejected: &[crate::targets::Rejected], tally: &Tally) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "rejected".into(),
        Value::Array(
            rejected
                .iter()
                .map(|r| json!({"database": r.database, "reason": r.reason}))
                .collect(),
        ),
    );
    m.insert(
        "summary".into(),
        json!({
            "create": tally.action(Action::Create),
            "drop": tally.action(Action::Drop),
            "modify": tally.action(Action::Modify),
            "replace": tally.action(Action::Replace),
            "hide": tally.action(Action::Hide),
            "manual": tally.action(Action::Manual),
            "blocked": tally.blocked,
            "skipped": tally.skipped,
            "deferred": tally.deferred,
            "impact": {
                "builds": tally.impact.builds,
                "documents": tally.impact.documents,
                "bytes": tally.impact.bytes,
                "seconds": tally.impact.seconds,
            },
            "unmanaged": tally.unmanaged,
            "databases": tally.databases,
            "failed": tally.failed,
            "failed_steps": tally.failed_steps,
            "migrations_pending": tally.migration_runs(crate::run::MigrationStatus::Pending),
            "migrations_applied": tally.migration_runs(crate::run::MigrationStatus::Applied),
        }),
    );
    m
}

/// One database's object in `targets`.
pub fn target(t: &crate::run::TargetReport, applied: bool) -> Value {
    let mut m = Map::new();
    m.insert("database".into(), json!(t.target.database));
    m.insert("scope".into(), json!(t.target.scope.to_string()));
    let (changes, left) = match &t.plan {
        Some(p) => {
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
    let status = if t.skipped().is_some() {
        "skipped"
    } else if t.failed() {
        "failed"
    } else if t.deferred().is_some() {
        "deferred"
    } else if t.failed() {
        "failed"
    } else if !t.has_work(applied) {
        "unchanged"
    } else if applied {
        "applied"
    } else {
        "pending"
    };
    m.insert("status".into(), json!(status));
    if let Some(e) = t.error() {
        m.insert("error".into(), json!(e.message));
    }
    if let Some(why) = t.skipped() {
        m.insert("skipped".into(), json!(why.to_string()));
    }
    if let Some(why) = t.deferred() {
        m.insert("deferred".into(), json!(why));
    }
    // Read again after its migrations, it planned other index steps: those
    // (not run; the next run's), beside the plan shown above.
    if let Some(now) = &t.replanned {
        let by_change = now.steps_by_change();
        let changes: Vec<Value> = (0..now.changes.len())
            .map(|i| change(now, i, by_change.get(&i).map_or(&[], Vec::as_slice)))
            .collect();
        m.insert(
            "replanned".into(),
            json!({ "steps": steps(now, None), "changes": changes }),
        );
    }
    m.insert("outcome".into(), json!(t.outcome(applied)));
    Value::Object(m)
}

/// Writes the report document piece by piece, byte for byte as [`document`]
/// of [`report`] would: the head, each target as it is done, then the tail.
/// `--format jsonl` instead writes one compact object per line.
#[derive(Debug, Default)]
pub struct ReportWriter {
    lines: bool,
    /// The array the databases go in: `targets` (a report), `databases` (status).
    array: &'static str,
    targets: usize,
}

impl ReportWriter {
    /// `lines`: JSON Lines (one object per database, then one for the rest).
    pub fn new(lines: bool) -> ReportWriter {
        ReportWriter::of(lines, "targets")
    }

    /// A document whose databases go in `array`.
    pub fn of(lines: bool, array: &'static str) -> ReportWriter {
        ReportWriter {
            lines,
            array,
            targets: 0,
        }
    }

    /// What comes before the first target.
    pub fn head(&self, head: &Map<String, Value>) -> String {
        if self.lines {
            return String::new();
        }
        // `{` and the head's fields at depth 1, then the open array.
        let mut out = String::from("{\n");
        for (k, v) in head {
            out.push_str(&field(k, v));
            out.push_str(",\n");
        }
        out.push_str(&format!("  \"{}\": [", self.array));
        out
    }

    /// One database.
    pub fn target(&mut self, value: &Value) -> String {
        self.targets += 1;
        if self.lines {
            return serde_json::to_string(value).unwrap_or_default() + "\n";
        }
        let sep = if self.targets == 1 { "\n" } else { ",\n" };
        format!("{sep}{}", indent(&pretty(value), "    "))
    }

    /// What comes after the last target.
    pub fn tail(&self, tail: Map<String, Value>, head: Map<String, Value>) -> String {
        if self.lines {
            let mut last = head;
            last.extend(tail);
            return serde_json::to_string(&Value::Object(last)).unwrap_or_default() + "\n";
        }
        let mut out = String::from(if self.targets == 0 { "]" } else { "\n  ]" });
        for (k, v) in &tail {
            out.push_str(",\n");
            out.push_str(&field(k, v));
        }
        out.push_str("\n}\n");
        out
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `"key": value` at depth 1 of a pretty document.
fn field(key: &str, value: &Value) -> String {
    let key = serde_json::to_string(key).unwrap_or_default();
    indent(&format!("{key}: {}", pretty(value)), "  ")
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One deviation: `{kind, collection, index}`, plus `differences` (and
/// `live_name`, for the declared index live under another name) when different.
fn deviation(d: &Deviation) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!(d.kind()));
    m.insert("collection".into(), json!(d.collection()));
    // A deviation of the collection itself (missing, its options) has no index.
    m.insert(
        "index".into(),
        json!(Some(d.index()).filter(|i| !i.is_empty())),
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;
    use crate::plan::{Change, DatabasePlan};
    use crate::run::TargetReport;
    use crate::targets::{Rejected, Target};
    use bson::doc;

    fn target(name: &str, changes: usize, error: bool) -> TargetReport {
        let changes = (0..changes)
            .map(|i| Change::Create {
                collection: "m".into(),
                index: IndexSpec {
                    name: format!("i{i}"),
                    keys: doc! {format!("f{i}"): 1},
                    ..Default::default()
                },
                new_collection: false,
            })
            .collect();
        TargetReport {
            plan: (!error).then(|| DatabasePlan::new(name, Scope::Tenant, changes)),
            outcome: match error {
                true => crate::run::DatabaseOutcome::Failed(crate::run::DatabaseError {
                    kind: crate::run::ErrorKind::Read,
                    message: "cannot read: \"x\"\nsecond line".into(),
                }),
                false => Default::default(),
            },
            ..TargetReport::new(Target {
                database: name.into(),
                scope: Scope::Tenant,
            })
        }
    }

    /// As `cli::printer::Printer` writes it, one database at a time.
    fn streamed(r: &Report, lines: bool) -> String {
        let mut w = ReportWriter::new(lines);
        let head = head(&r.warnings, r.read_path);
        let mut out = w.head(&head);
        let clusters = !r.clusters.is_empty();
        let mut by = r
            .by_cluster()
            .map(|_| crate::run::ByCluster::<Tally>::new(&r.clusters));
        let mut tally = Tally::default();
        for t in &r.targets {
            tally.add(t, r.applied);
            if let Some(by) = &mut by {
                by.of(t.cluster.as_deref()).add(t, r.applied);
            }
            out.push_str(&w.target(&target_in(t, r.applied, clusters)));
        }
        let tail = tail_in(
            &r.rejected,
            r.discovery.as_ref(),
            &tally,
            by.as_ref(),
            r.applied,
        );
        out + &w.tail(tail, head)
    }

    #[test]
    fn over_clusters_every_target_has_its_cluster_and_the_tail_each_clusters_counts() {
        let on = |cluster: Option<&str>, t: TargetReport| TargetReport {
            cluster: cluster.map(String::from),
            ..t
        };
        let clusters = vec![
            crate::run::ClusterInfo {
                name: "main".into(),
                uri: "mongodb://a".into(),
                ..Default::default()
            },
            crate::run::ClusterInfo {
                name: "eu".into(),
                uri: "mongodb://b".into(),
                error: Some("cannot reach".into()),
                ..Default::default()
            },
        ];
        for applied in [false, true] {
            let r = Report {
                targets: vec![
                    on(None, target("refused", 0, true)),
                    on(Some("main"), target("a", 2, false)),
                    on(Some("eu"), target("b", 0, true)),
                ],
                applied,
                clusters: clusters.clone(),
                ..Default::default()
            };
            let whole = report(&r);
            assert_eq!(streamed(&r, false), document(&whole));
            let targets = whole["targets"].as_array().unwrap();
            let keys: Vec<&str> = targets[1]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys[..3], ["database", "scope", "cluster"]);
            assert_eq!(targets[0]["cluster"], Value::Null);
            assert_eq!(targets[2]["cluster"], "eu");
            let per: Vec<(Value, Value, Value)> = whole["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["cluster"].clone(),
                        c["databases"].clone(),
                        c["failed"].clone(),
                    )
                })
                .collect();
            assert_eq!(
                per,
                [
                    ("main".into(), 1.into(), 0.into()),
                    ("eu".into(), 1.into(), 1.into()),
                    (Value::Null, 1.into(), 1.into())
                ]
            );
            assert_eq!(whole["clusters"][1]["error"], "cannot reach");
            assert_eq!(whole["clusters"][2]["refused"], 1);
        }
        // Without clusters, no field is added.
        let r = Report {
            targets: vec![target("a", 1, false)],
            ..Default::default()
        };
        let whole = report(&r);
        assert!(whole.get("clusters").is_none() && whole["targets"][0].get("cluster").is_none());
    }

    #[test]
    fn the_streamed_document_is_the_document_byte_for_byte() {
        let fleets = [
            vec![],
            vec![target("a", 0, false)],
            vec![
                target("a", 2, false),
                target("b", 0, true),
                target("c", 1, false),
            ],
        ];
        for (i, targets) in fleets.into_iter().enumerate() {
            for applied in [false, true] {
                let r = Report {
                    targets: targets.clone(),
                    rejected: (i == 2)
                        .then(|| Rejected {
                            database: "admin".into(),
                            reason: "system".into(),
                        })
                        .into_iter()
                        .collect(),
                    discovery: (i == 2).then(|| crate::targets::Looked {
                        source: "prefix",
                        described: "prefix \"t_\"".into(),
                        read: 5,
                        matched: Some(3),
                        skipped: 1,
                        why: vec![("system".into(), 1)],
                        excluded: 0,
                        tenants: 2,
                        allow_empty: false,
                    }),
                    applied,
                    read_path: Some(crate::server::inspect::ReadPath::Catalog),
                    warnings: Vec::new(),
                    clusters: Vec::new(),
                };
                assert_eq!(streamed(&r, false), document(&report(&r)), "fleet {i}");
            }
        }
    }

    #[test]
    fn json_lines_are_one_object_per_database_then_the_rest() {
        let r = Report {
            targets: vec![target("a", 1, false), target("b", 0, false)],
            ..Default::default()
        };
        let text = streamed(&r, true);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let whole = report(&r);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], whole["targets"][0]);
        assert_eq!(lines[1], whole["targets"][1]);
        assert_eq!(lines[2]["summary"], whole["summary"]);
        assert_eq!(lines[2]["rejected"], whole["rejected"]);
        assert!(lines[2].get("targets").is_none());
    }
}
