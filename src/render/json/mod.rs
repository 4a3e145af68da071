//! The JSON shape of a plan or an apply (`--format json`). Documented in the
//! README; change it only by adding fields. Secrets are scrubbed where the
//! output is printed (`cli`), once, for every format.

use serde_json::{Map, Value};

use crate::model::IndexSpec;
use crate::plan::drift::{Deviation, Drift, SAMPLES};
use crate::plan::{Action, Change, Command, DatabasePlan, IfRefused};
use crate::run::{MigrationStatus, Report, Tally};
use crate::server::execute::{Applied, StepOutcome};
use crate::server::inspect::ReadPath;
use crate::targets::Rejected;

use super::model;
use super::words;

mod status;
mod writer;

pub use status::{drift, status_model, status_tail};
pub use writer::ReportWriter;

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

fn change(
    plan: &DatabasePlan,
    applied: Option<&Applied>,
    i: usize,
    steps: &[usize],
) -> model::Change {
    let c = &plan.changes[i];
    // A collection's own options: created with, changed in place, or not made.
    let options = match c {
        Change::CreateCollection { options, .. } => {
            Some(model::ChangeOptions::Created(bson_document(options)))
        }
        Change::ModifyCollection { .. } | Change::Unchangeable { .. } => {
            let value = |v: &Option<bson::Bson>| v.clone().map(bson::Bson::into_relaxed_extjson);
            Some(model::ChangeOptions::Changed(
                c.option_changes()
                    .iter()
                    .map(|o| model::OptionChange {
                        option: o.option.to_string(),
                        declared: value(&o.declared),
                        live: value(&o.live),
                        in_place: o.in_place(),
                        reason: o.never.clone(),
                    })
                    .collect(),
            ))
        }
        _ => None,
    };
    model::Change {
        collection: c.collection().to_string(),
        action: c.action(),
        index: c.index().map(String::from),
        desired: c.desired().map(spec),
        live: c.live().map(spec),
        differences: c.differences().into_iter().map(String::from).collect(),
        creates_collection: c.new_collection(),
        gap: c.gap(),
        blocked: plan.blocked(i).map(String::from),
        note_from_preflight: plan.findings.notes.get(&i).cloned(),
        renamed_from: c.renames().map(String::from),
        note: c.note().map(String::from),
        // Refused in the plan: the live index it can't stand beside is `live`.
        refused: matches!(c, Change::Conflict { .. }),
        options,
        impact: plan.findings.impact.get(&i).map(|impact| model::Impact {
            documents: impact.documents,
            bytes: impact.bytes,
            seconds: impact.seconds,
        }),
        usage: plan.findings.usage.get(&i).map(|u| model::Usage {
            ops: u.ops,
            since: u.since.and_then(|s| s.try_to_rfc3339_string().ok()),
        }),
        // The steps that carry it out, by their number in the target's `steps`.
        steps: steps.iter().map(|n| n + 1).collect(),
        view: c.is_view(),
        what: words::what(c),
        diff: matches!(c, Change::Modify { .. } | Change::Replace { .. })
            .then(|| spec_diff(c))
            .flatten(),
        ok: applied.map(|a| a.done(i)),
        error: applied.map(|a| a.error(i).map(ToString::to_string)),
    }
}

/// The live index in the declaration's terms against the declared one.
fn spec_diff(c: &Change) -> Option<model::SpecDiff> {
    let (live, declared) = (c.live()?, c.desired()?);
    let live = crate::model::declared_form::declared_form(live, Some(declared));
    Some(model::SpecDiff {
        live: spec(&words::without_server_fields(&live)),
        declared: spec(&words::without_server_fields(declared)),
    })
}

/// The steps of a database, in order; after an apply, with how each went.
fn steps(plan: &DatabasePlan, applied: Option<&Applied>) -> Vec<model::Step> {
    plan.steps
        .iter()
        .enumerate()
        .map(|(n, step)| {
            let (set, options) = match &step.command {
                Command::CollMod { set, .. } => {
                    let (option, value) = set.option();
                    (Some(bson_document(&bson::doc! { option: value })), None)
                }
                Command::ModifyCollection { set } => (Some(bson_document(set)), None),
                Command::CreateCollection { options } => (None, Some(bson_document(options))),
                _ => (None, None),
            };
            let outcome = applied.and_then(|a| a.steps.get(n));
            let (ok, error, skipped) = match outcome {
                None => (None, None, None),
                Some(StepOutcome::Done) => (Some(true), Some(None), Some(false)),
                Some(StepOutcome::Failed(e)) => {
                    (Some(false), Some(Some(e.to_string())), Some(false))
                }
                Some(StepOutcome::Skipped | StepOutcome::Deferred) => {
                    (Some(false), Some(None), Some(true))
                }
            };
            let first = step.serves.first().map(|&i| &plan.changes[i]);
            model::Step {
                n: n + 1,
                // A migration is about no one collection.
                collection: Some(step.collection.clone()).filter(|c| !c.is_empty()),
                command: model::SentCommand::of(step.command.name()),
                action: first.map(Change::action),
                index: match &step.command {
                    Command::Migration { id } => id.clone(),
                    other => other.indexes().join(", "),
                },
                indexes: step
                    .command
                    .indexes()
                    .into_iter()
                    .map(String::from)
                    .collect(),
                set,
                options,
                serves: step
                    .serves
                    .iter()
                    .map(|&i| plan.changes[i].subject())
                    .collect(),
                why: step.why,
                explain: step.why.explain().to_string(),
                if_refused: Some(step.if_refused()).filter(|p| *p != IfRefused::Fail),
                ok,
                error,
                skipped,
                deferred: outcome == Some(&StepOutcome::Deferred),
                line: words::step_line(step),
            }
        })
        .collect()
}

fn migrations(t: &crate::run::TargetReport) -> Vec<model::Migration> {
    t.migrations
        .iter()
        .map(|m| model::Migration {
            id: m.id.clone(),
            description: m.description.clone(),
            status: m.status,
            error: m.error.clone(),
            steps: m.steps.clone(),
        })
        .collect()
}

/// A problem (or warning) in a file the user wrote: where, what it is about, what is wrong.
pub fn problem(p: &crate::diagnostics::Problem) -> Value {
    model::value(&problem_model(p))
}

pub(super) fn problem_model(p: &crate::diagnostics::Problem) -> model::Problem {
    let about = (!p.subject.is_empty()).then_some(p);
    model::Problem {
        file: p.file.display().to_string(),
        line: p.position.map(|p| p.line),
        column: p.position.map(|p| p.column),
        field: p.field.clone(),
        subject: about.map(|p| p.subject.clone()),
        option: about.map(|p| p.option.clone()),
        message: p.message.clone(),
    }
}

/// The whole document: what [`head`], [`target`] and [`tail`] give, as one
/// value (a streamed run writes the same pieces with [`ReportWriter`]).
pub fn report(report: &Report) -> Value {
    let clusters = !report.clusters.is_empty();
    let by = report.by_cluster();
    model::value(&model::RunReport {
        head: head_model(report.warnings.as_slice(), report.read_path),
        targets: report
            .targets
            .iter()
            .map(|t| target_model(t, report.applied, clusters))
            .collect(),
        tail: tail_model(
            &report.rejected,
            report.discovery.as_ref(),
            &report.tally(),
            by.as_ref(),
            report.applied,
        ),
    })
}

/// [`target`]; over `[clusters]` (`clusters`), with its `cluster`.
pub fn target_in(t: &crate::run::TargetReport, applied: bool, clusters: bool) -> Value {
    model::value(&target_model(t, applied, clusters))
}

/// [`tail`]; over `[clusters]` (`by`), then `clusters`: each cluster's counts.
pub fn tail_in(
    rejected: &[crate::targets::Rejected],
    discovery_: Option<&crate::targets::Looked>,
    tally: &Tally,
    by: Option<&crate::run::ByCluster<Tally>>,
    applied: bool,
) -> Map<String, Value> {
    tail_fields(&tail_model(rejected, discovery_, tally, by, applied))
}

/// The fields of a [`tail_model`], as written after `targets`.
pub fn tail_fields(tail: &model::Tail) -> Map<String, Value> {
    object(model::value(tail))
}

/// The model of what comes after `targets`: the JSON tail, and what the
/// text and markdown summaries project.
pub fn tail_model(
    rejected: &[crate::targets::Rejected],
    discovery_: Option<&crate::targets::Looked>,
    tally: &Tally,
    by: Option<&crate::run::ByCluster<Tally>>,
    applied: bool,
) -> model::Tail {
    model::Tail {
        rejected: rejected.iter().map(rejected_model).collect(),
        summary: summary(tally),
        discovery: discovery_.map(discovery_model),
        clusters: by.map(|by| clusters_model(by, |t| tally_json(t, applied))),
    }
}

/// The fields of an object value (none for any other value).
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `clusters`: per cluster of a run over `[clusters]`, what it is and its
/// counts (`counts`), in mig.toml's order, then the tenants the routing
/// refused (`{"cluster": null, "refused": n}`) when there are any.
fn clusters_model<T, C>(
    by: &crate::run::ByCluster<T>,
    counts: impl Fn(&T) -> C,
) -> Vec<model::Cluster<C>> {
    let mut out: Vec<model::Cluster<C>> = by
        .clusters
        .iter()
        .map(|(info, t)| model::Cluster::Cluster {
            cluster: info.name.clone(),
            uri: info.uri.clone(),
            read_path: info.read_path.map(read_path_name),
            mongos: info.mongos,
            counts: counts(t),
            error: info.error.clone(),
        })
        .collect();
    if by.refused.0 > 0 {
        out.push(model::Cluster::Refused {
            cluster: (),
            refused: by.refused.0,
            counts: counts(&by.refused.1),
        });
    }
    out
}

/// A cluster's counts in a plan or an apply.
pub fn tally_json(tally: &Tally, applied: bool) -> model::RunCounts {
    model::RunCounts {
        databases: tally.databases,
        applied: applied.then_some(tally.changed),
        pending: (!applied).then_some(tally.changed),
        failed: tally.failed,
    }
}

/// The fields before `targets`.
pub fn head(
    warnings: &[crate::diagnostics::Problem],
    read_path: Option<crate::server::inspect::ReadPath>,
) -> Map<String, Value> {
    object(model::value(&head_model(warnings, read_path)))
}

fn head_model(
    warnings: &[crate::diagnostics::Problem],
    read_path: Option<crate::server::inspect::ReadPath>,
) -> model::Head {
    model::Head {
        warnings: warnings.iter().map(problem_model).collect(),
        read_path: read_path.map(read_path_name),
    }
}

/// How tenant discovery went: `{source, looked_at, read, matched, skipped,
/// skipped_why, excluded, tenants, allow_empty, line}`.
pub fn discovery(looked: &crate::targets::Looked) -> Value {
    model::value(&discovery_model(looked))
}

pub(super) fn discovery_model(looked: &crate::targets::Looked) -> model::Discovery {
    model::Discovery {
        source: looked.source.to_string(),
        looked_at: looked.described.clone(),
        read: looked.read,
        matched: looked.matched,
        skipped: looked.skipped,
        skipped_why: looked
            .why
            .iter()
            .map(|(reason, count)| model::SkippedWhy {
                reason: reason.clone(),
                count: *count,
            })
            .collect(),
        excluded: looked.excluded,
        tenants: looked.tenants,
        allow_empty: looked.allow_empty,
        line: super::discovery_line(looked),
    }
}

fn rejected_model(r: &Rejected) -> model::Rejected {
    model::Rejected {
        database: r.database.clone(),
        reason: r.reason.clone(),
    }
}

/// The fields after `targets`: the tenants discovery left out, and the summary.
pub fn tail(rejected: &[crate::targets::Rejected], tally: &Tally) -> Map<String, Value> {
    object(model::value(&tail_model(
        rejected, None, tally, None, false,
    )))
}

fn summary(tally: &Tally) -> model::Summary {
    model::Summary {
        create: tally.action(Action::Create),
        drop: tally.action(Action::Drop),
        modify: tally.action(Action::Modify),
        replace: tally.action(Action::Replace),
        hide: tally.action(Action::Hide),
        manual: tally.action(Action::Manual),
        blocked: tally.blocked,
        skipped: tally.skipped,
        deferred: tally.deferred,
        impact: model::FleetImpact {
            builds: tally.impact.builds,
            documents: tally.impact.documents,
            bytes: tally.impact.bytes,
            seconds: tally.impact.seconds,
        },
        unmanaged: tally.unmanaged,
        databases: tally.databases,
        failed: tally.failed,
        failed_steps: tally.failed_steps,
        migrations_pending: tally.migration_runs(MigrationStatus::Pending),
        migrations_applied: tally.migration_runs(MigrationStatus::Applied),
        changed: tally.changed,
        unmanaged_unprotected: tally.extra,
        migrations_to_revert: tally.migration_runs(MigrationStatus::ToRevert),
        migrations_reverted: tally.migration_runs(MigrationStatus::Reverted),
        migrations_failed: tally.migration_runs(MigrationStatus::Failed),
    }
}

/// One database's object in `targets`.
pub fn target(t: &crate::run::TargetReport, applied: bool) -> Value {
    model::value(&target_model(t, applied, false))
}

/// The changes of a plan, each with the steps that carry it out; after an
/// apply (`applied`), with how each went.
fn changes(p: &DatabasePlan, applied: Option<&Applied>) -> Vec<model::Change> {
    let by_change = p.steps_by_change();
    (0..p.changes.len())
        .map(|i| change(p, applied, i, by_change.get(&i).map_or(&[], Vec::as_slice)))
        .collect()
}

/// A plan's steps, changes and unmanaged indexes in the model; after an
/// apply (`applied`), with how each went.
#[cfg(test)]
pub(crate) fn plan_model(
    p: &DatabasePlan,
    applied: Option<&Applied>,
) -> (Vec<model::Step>, Vec<model::Change>, Vec<model::Unmanaged>) {
    (
        steps(p, applied),
        changes(p, applied),
        p.unmanaged.iter().map(unmanaged).collect(),
    )
}

fn unmanaged(u: &crate::plan::Unmanaged) -> model::Unmanaged {
    model::Unmanaged {
        collection: u.collection.clone(),
        index: u.index.name.clone(),
        live: spec(&u.index),
        equivalent_to: u.equivalent_to.clone(),
        protected: u.protected,
        retiring: u.retiring.map(|(hidden_at, drops_at)| model::Retiring {
            hidden_at: hidden_at.try_to_rfc3339_string().ok(),
            drops_after: drops_at.try_to_rfc3339_string().ok(),
        }),
    }
}

/// How a database's run ended, in the one word of `status`.
fn status(t: &crate::run::TargetReport, applied: bool) -> model::TargetStatus {
    use model::TargetStatus;
    if t.skipped().is_some() {
        TargetStatus::Skipped
    } else if t.failed() {
        TargetStatus::Failed
    } else if t.deferred().is_some() {
        TargetStatus::Deferred
    } else if !t.has_work(applied) {
        TargetStatus::Unchanged
    } else if applied {
        TargetStatus::Applied
    } else {
        TargetStatus::Pending
    }
}

/// One database's model, what JSON writes and text and markdown project;
/// over `[clusters]` (`clusters`), with its `cluster`.
pub fn target_model(t: &crate::run::TargetReport, applied: bool, clusters: bool) -> model::Target {
    model::Target {
        database: t.target.database.clone(),
        scope: t.target.scope.to_string(),
        cluster: clusters.then(|| t.cluster.clone()),
        steps: t.plan.as_ref().map(|p| steps(p, t.applied.as_ref())),
        changes: t
            .plan
            .as_ref()
            .map(|p| changes(p, t.applied.as_ref()))
            .unwrap_or_default(),
        migrations: migrations(t),
        warnings: t.warnings.clone(),
        unmanaged: t
            .plan
            .as_ref()
            .map(|p| p.unmanaged.iter().map(unmanaged).collect())
            .unwrap_or_default(),
        status: status(t, applied),
        error: t.error().map(|e| e.message.clone()),
        skipped: t.skipped().map(ToString::to_string),
        deferred: t.deferred().map(ToString::to_string),
        deferred_kind: t.deferred().map(crate::run::Deferral::kind),
        // Read again after its migrations, it planned other index steps: those
        // (not run; the next run's), beside the plan shown above.
        replanned: t.replanned.as_ref().map(|now| model::Replanned {
            steps: steps(now, None),
            changes: changes(now, None),
            unmanaged: now.unmanaged.iter().map(unmanaged).collect(),
        }),
        outcome: t.outcome(applied),
        brief: t.brief(applied),
    }
}

fn read_path_name(path: ReadPath) -> model::ReadPathName {
    match path {
        ReadPath::Catalog => model::ReadPathName::ListCatalog,
        ReadPath::ListIndexes => model::ReadPathName::ListIndexes,
    }
}

#[cfg(test)]
mod tests;
