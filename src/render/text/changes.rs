//! A database's changes and steps as text, projected from its report model
//! (`render/model.rs`, built by `render/json`): diffs, the numbered steps,
//! what an apply did, its migrations.

use std::fmt::Write;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::Style;
use crate::plan::{Action, CommandName, IfRefused};
use crate::render::model::{self, ChangeOptions, TargetStatus};
use crate::render::words::one_line_of;
use crate::run::MigrationStatus;

pub use crate::render::words::{one_line, step_line};

/// A JSON value pretty, one field a line, as the diffs show it.
fn pretty(value: Option<&Value>) -> String {
    value
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_default() + "\n")
        .unwrap_or_default()
}

/// Two texts, line by line, under a `--- live   +++ declared` header.
fn text_diff(live: &str, desired: &str, style: Style, indent: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{indent}{}", style.dim("--- live   +++ declared"));
    for line in TextDiff::from_lines(live, desired).iter_all_changes() {
        let text = line.value().trim_end_matches('\n');
        let _ = match line.tag() {
            ChangeTag::Equal => writeln!(out, "{indent}  {text}"),
            ChangeTag::Delete => writeln!(out, "{indent}{}", style.red(&format!("- {text}"))),
            ChangeTag::Insert => writeln!(out, "{indent}{}", style.green(&format!("+ {text}"))),
        };
    }
    out
}

fn symbol(action: Action, style: Style) -> String {
    match action {
        Action::Create => style.green("+ create "),
        Action::Drop => style.red("- drop   "),
        Action::Modify => style.yellow("~ modify "),
        Action::Replace => style.yellow("± replace"),
        Action::Hide => style.yellow("- hide   "),
        Action::Manual => style.red("! manual "),
    }
}

/// The wrappers relaxed Extended JSON puts a BSON scalar in (a date, an
/// ObjectId): an object in JSON, not a document in BSON.
const EXTENDED_JSON: &[&str] = &[
    "$oid",
    "$date",
    "$binary",
    "$uuid",
    "$regularExpression",
    "$code",
    "$timestamp",
    "$numberDecimal",
    "$numberDouble",
    "$numberLong",
    "$numberInt",
    "$minKey",
    "$maxKey",
    "$dbPointer",
    "$symbol",
    "$undefined",
];

/// A document or an array (a validator, a pipeline): shown as a diff.
fn is_document(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(_)) => true,
        Some(Value::Object(fields)) => fields
            .keys()
            .next()
            .is_none_or(|k| !EXTENDED_JSON.contains(&k.as_str())),
        _ => false,
    }
}

/// Each collection option that differs: scalars as `live → declared`,
/// documents (a validator, a pipeline) as a diff; what the server can't
/// change, with the reason and the way.
fn option_lines(change: &model::Change, style: Style, indent: &str) -> String {
    let mut out = String::new();
    let Some(ChangeOptions::Changed(options)) = &change.options else {
        return out;
    };
    for o in options {
        let show = |v: &Option<Value>| match v {
            None => "(none)".to_string(),
            Some(v) => v.to_string(),
        };
        if is_document(o.declared.as_ref()) || is_document(o.live.as_ref()) {
            let _ = writeln!(out, "{indent}{}:", o.option);
            out.push_str(&text_diff(
                &pretty(o.live.as_ref()),
                &pretty(o.declared.as_ref()),
                style,
                indent,
            ));
        } else {
            let _ = writeln!(
                out,
                "{indent}{}: {} → {}",
                o.option,
                show(&o.live),
                show(&o.declared)
            );
        }
        if let Some(never) = &o.reason {
            let _ = writeln!(
                out,
                "{indent}{}",
                style.red(&format!("not changed in place: {never}"))
            );
        }
    }
    out
}

/// A step, numbered, with why it is there and (`outcomes`: after an apply)
/// how it went.
fn numbered_step(step: &model::Step, outcomes: bool, style: Style) -> String {
    let status = if !outcomes {
        String::new()
    } else if step.ok == Some(true) {
        format!("  {}", style.green("done"))
    } else if matches!(step.error, Some(Some(_))) {
        format!("  {}", style.red("failed"))
    } else if step.deferred {
        format!("  {}", style.yellow("deferred"))
    } else if step.skipped == Some(true) {
        format!("  {}", style.yellow("skipped"))
    } else {
        String::new()
    };
    format!(
        "{}. {}  {}{status}",
        step.n,
        step.line,
        style.dim(&format!("({})", explain(step)))
    )
}

/// Why a step is at its place, and what is done where the server refuses it.
fn explain(step: &model::Step) -> String {
    match step.if_refused.and_then(IfRefused::explain) {
        Some(policy) => format!("{}; {policy}", step.explain),
        None => step.explain.clone(),
    }
}

/// A database's plan in the model: its changes, the steps that carry them
/// out (step `n` at `steps[n - 1]`), the live indexes no manifest declares.
struct Plan<'a> {
    changes: &'a [model::Change],
    steps: &'a [model::Step],
    unmanaged: &'a [model::Unmanaged],
}

/// A database read again after its migrations planned other index steps
/// than those shown: the plan shown (its index steps) against the new one
/// (the next run's).
fn replanned_text(t: &model::Target, steps: &[model::Step], style: Style, out: &mut String) {
    let Some(now) = &t.replanned else {
        return;
    };
    let plain = |plan: Plan| {
        let mut text = String::new();
        plan_text(plan, false, Style { color: false }, &mut text);
        text
    };
    let _ = writeln!(
        out,
        "  {}",
        style.yellow(
            "read again after its migrations, it plans otherwise (not run; the next run's):"
        )
    );
    // The plan shown without the migrations and the re-read it starts with.
    let lead = steps
        .iter()
        .take_while(|s| {
            matches!(
                s.command.name(),
                CommandName::Migration | CommandName::Reread
            )
        })
        .count();
    let index_steps: Vec<model::Step> = steps[lead..]
        .iter()
        .map(|s| model::Step {
            n: s.n - lead,
            ..s.clone()
        })
        .collect();
    let changes: Vec<model::Change> = t
        .changes
        .iter()
        .map(|c| model::Change {
            steps: c
                .steps
                .iter()
                .filter(|&&n| n > lead)
                .map(|n| n - lead)
                .collect(),
            ..c.clone()
        })
        .collect();
    let shown = plain(Plan {
        changes: &changes,
        steps: &index_steps,
        unmanaged: &t.unmanaged,
    });
    let now = plain(Plan {
        changes: &now.changes,
        steps: &now.steps,
        unmanaged: &now.unmanaged,
    });
    let diff = text_diff(&shown, &now, style, "  ");
    out.push_str(&diff.replacen("--- live   +++ declared", "--- shown   +++ now", 1));
}

/// The index a change is about, or the collection (or view) itself.
fn subject_name(change: &model::Change) -> &str {
    match &change.index {
        _ if change.view => "view",
        Some(index) => index,
        None => "collection",
    }
}

/// The heading of a collection's changes, with what happens to it first.
fn collection_line(change: &model::Change, style: Style) -> String {
    let created = matches!(change.options, Some(ChangeOptions::Created(_)));
    let note = if created && change.view {
        style.dim(" (does not exist yet)")
    } else if created {
        style.dim(" (does not exist yet: created with its options, then its indexes)")
    } else if change.creates_collection {
        style.dim(" (does not exist yet: its first index build creates it)")
    } else {
        String::new()
    };
    format!("  {}{note}\n", change.collection)
}

/// What is known about a change beyond what it does, a line each.
fn change_notes(change: &model::Change, style: Style) -> String {
    let mut extra = String::new();
    if let Some(note) = &change.note {
        let _ = write!(extra, "\n        {}", style.dim(note));
    }
    if let Some(impact) = &change.impact {
        let words = super::super::impact_words(impact.documents, impact.bytes, impact.seconds);
        let _ = write!(extra, "\n        {}", style.dim(&words));
    }
    if let Some(u) = &change.usage {
        let since = u.since.as_deref().unwrap_or_default();
        let _ = write!(
            extra,
            "\n        {}",
            style.dim(&format!("used {} time(s) since {since}", u.ops))
        );
    }
    if let Some(why) = &change.blocked {
        let _ = write!(extra, "\n        {}", style.red(&format!("BLOCKED: {why}")));
    }
    if let Some(note) = &change.note_from_preflight {
        let _ = write!(
            extra,
            "\n        {}",
            style.yellow(&format!("NOTE: {note}"))
        );
    }
    extra
}

/// The plan of one database; `outcomes` (after an apply): each change and
/// step says how it went.
fn plan_text(plan: Plan, outcomes: bool, style: Style, out: &mut String) {
    let mut current: Option<&str> = None;
    let mut shown = vec![false; plan.steps.len()];
    for change in plan.changes {
        if current != Some(change.collection.as_str()) {
            current = Some(change.collection.as_str());
            out.push_str(&collection_line(change, style));
        }
        let extra = change_notes(change, style);
        let outcome = match (&change.ok, &change.error) {
            _ if !outcomes => String::new(),
            (Some(true), _) => format!("  {}", style.green("done")),
            (_, Some(Some(e))) => format!("\n        {}", style.red(&format!("FAILED: {e}"))),
            _ => String::new(),
        };
        // A step shared with a change above (one build for many) is named, not repeated.
        let (above, new): (Vec<usize>, Vec<usize>) =
            change.steps.iter().partition(|&&n| shown[n - 1]);
        let above = match above.as_slice() {
            [] => String::new(),
            [n] => format!("  {}", style.dim(&format!("(step {n})"))),
            many => {
                let list: Vec<String> = many.iter().map(ToString::to_string).collect();
                format!("  {}", style.dim(&format!("(steps {})", list.join(", "))))
            }
        };
        let _ = writeln!(
            out,
            "    {} {}  {}{above}{outcome}{extra}",
            symbol(change.action, style),
            style.bold(subject_name(change)),
            change.what
        );
        if let Some(diff) = &change.diff {
            let (live, declared) = (pretty(Some(&diff.live)), pretty(Some(&diff.declared)));
            out.push_str(&text_diff(&live, &declared, style, "        "));
        }
        out.push_str(&option_lines(change, style, "        "));
        for n in new {
            shown[n - 1] = true;
            let step = numbered_step(&plan.steps[n - 1], outcomes, style);
            let _ = writeln!(out, "        {step}");
        }
    }
    for u in plan.unmanaged {
        let why = match (&u.equivalent_to, u.protected, &u.retiring) {
            (Some(name), _, _) => {
                format!("same key and options as declared {name:?}; --prune renames it")
            }
            (None, true, _) => {
                "not in the manifests; protected (unmanaged pattern or time-series)".into()
            }
            (None, false, Some(r)) => format!(
                "hidden, retiring: dropped by a run after {}",
                r.drops_after.as_deref().unwrap_or_default()
            ),
            (None, false, None) => "not in the manifests; kept (--prune retires it)".into(),
        };
        let _ = writeln!(
            out,
            "    {} {}.{}  {}  {}",
            style.dim("? unmanaged"),
            u.collection,
            u.index,
            one_line_of(&u.live),
            style.dim(&why)
        );
    }
}

/// A plan as [`plan_text`] shows it, its model built here (tests).
#[cfg(test)]
pub(super) fn plan_text_of(
    plan: &crate::plan::DatabasePlan,
    applied: Option<&crate::server::execute::Applied>,
    style: Style,
    out: &mut String,
) {
    let (steps, changes, unmanaged) = crate::render::json::plan_model(plan, applied);
    let plan = Plan {
        changes: &changes,
        steps: &steps,
        unmanaged: &unmanaged,
    };
    plan_text(plan, true, style, out);
}

/// Failed, or not done (skipped): either way the database did not converge.
pub(crate) fn failed(t: &model::Target) -> bool {
    matches!(t.status, TargetStatus::Skipped | TargetStatus::Failed)
}

/// One database's section, from its model.
pub(super) fn target_text(t: &model::Target, applied: bool, style: Style, out: &mut String) {
    let header = format!("{} ({})", t.database, t.scope);
    if let Some(why) = &t.skipped {
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&header),
            style.yellow(&format!("skipped: {why}"))
        );
        return;
    }
    if let (Some(why), None) = (&t.deferred, &t.steps) {
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&header),
            style.yellow(&format!("deferred: {why}"))
        );
        return;
    }
    if let Some(e) = &t.error {
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&header),
            style.red(&format!("failed: {e}"))
        );
        migrations_text(t, style, out);
        return;
    }
    let Some(steps) = &t.steps else {
        if !t.migrations.is_empty() {
            let _ = writeln!(out, "{}:", style.bold(&header));
            migrations_text(t, style, out);
        }
        return;
    };
    let failed = failed(t);
    if t.changes.is_empty() && t.unmanaged.is_empty() && t.migrations.is_empty() && !failed {
        let _ = writeln!(out, "{}: {}", style.bold(&header), style.dim("no changes"));
        for w in &t.warnings {
            let _ = writeln!(out, "  {}", style.yellow(w));
        }
        return;
    }
    let pending = t
        .migrations
        .iter()
        .filter(|m| m.status == MigrationStatus::Pending)
        .count();
    let state = if t.changes.is_empty() && pending == 0 && !failed {
        if t.migrations.is_empty() {
            style.dim("no changes")
        } else {
            style.green("migrated; no index changes")
        }
    } else if !applied {
        crate::run::pending_words(pending, t.changes.len()).unwrap_or_default()
    } else if let (Some(why), false) = (&t.deferred, failed) {
        style.yellow(&format!("deferred: {why}"))
    } else if failed {
        style.red("failed")
    } else {
        style.green("applied")
    };
    let _ = writeln!(out, "{}: {state}", style.bold(&header));
    migrations_text(t, style, out);
    let plan = Plan {
        changes: &t.changes,
        steps,
        unmanaged: &t.unmanaged,
    };
    plan_text(plan, true, style, out);
    replanned_text(t, steps, style, out);
}

fn migrations_text(t: &model::Target, style: Style, out: &mut String) {
    let steps = t.steps.iter().flatten();
    for m in &t.migrations {
        let status = m.status.as_str();
        let mark = match m.status {
            MigrationStatus::Applied | MigrationStatus::Reverted => style.green(status),
            MigrationStatus::Failed => style.red(status),
            MigrationStatus::Pending | MigrationStatus::ToRevert => style.yellow(status),
        };
        let _ = writeln!(out, "  migration {}  {mark}  {}", m.id, m.description);
        // Its place among the database's steps.
        let step = steps
            .clone()
            .find(|s| s.command.name() == CommandName::Migration && s.index == m.id);
        if let Some(s) = step.filter(|_| m.status == MigrationStatus::Pending) {
            let _ = writeln!(
                out,
                "    {}. {}  {}",
                s.n,
                s.line,
                style.dim(&format!("({})", s.explain))
            );
            // What it does, in its own order.
            for (i, op) in m.steps.iter().enumerate() {
                let _ = writeln!(out, "         {}. {op}", i + 1);
            }
        }
        if m.status == MigrationStatus::ToRevert {
            for (i, op) in m.steps.iter().enumerate() {
                let _ = writeln!(out, "    {}. {op}", i + 1);
            }
        }
        if let Some(e) = &m.error {
            let _ = writeln!(out, "    {}", style.red(e));
        }
    }
    // After the migrations, the database is read again.
    let mut steps = steps;
    if let Some(reread) = steps.find(|s| s.command.name() == CommandName::Reread) {
        let _ = writeln!(out, "  {}", numbered_step(reread, true, style));
    }
    for w in &t.warnings {
        let _ = writeln!(out, "  {}", style.yellow(w));
    }
}
