//! A database's changes and steps as text: index specs on one line, diffs, the numbered steps, what an apply did, its migrations.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::super::json::spec as spec_json;
use super::Style;
use crate::model::declared_form::declared_form;
use crate::model::index::SERVER_ASSIGNED;
use crate::model::IndexSpec;
use crate::plan::{Action, Change, Command, DatabasePlan, Step};
use crate::run::{MigrationStatus, TargetReport};
use crate::server::execute::{Applied, StepOutcome};

/// `{"a": 1, "b": -1} unique sparse ...`: the key and the options on one line.
pub fn one_line(spec: &IndexSpec) -> String {
    let mut shown = spec.clone();
    shown.other = without_server_fields(&spec.other);
    let mut doc = shown.to_document();
    doc.remove("name");
    let key = doc.remove("key").unwrap_or(bson::Bson::Null);
    let mut out = key.into_relaxed_extjson().to_string();
    for (k, v) in doc {
        match v {
            bson::Bson::Boolean(true) => {
                let _ = write!(out, " {k}");
            }
            other => {
                let _ = write!(out, " {k}={}", other.into_relaxed_extjson());
            }
        }
    }
    out
}

fn without_server_fields(other: &bson::Document) -> bson::Document {
    other
        .iter()
        .filter(|(k, _)| !SERVER_ASSIGNED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Declared vs live, line by line.
fn diff(change: &Change, style: Style, indent: &str) -> String {
    let render = |s: Option<IndexSpec>| {
        s.map(|mut shown| {
            shown.other = without_server_fields(&shown.other);
            serde_json::to_string_pretty(&spec_json(&shown)).unwrap_or_default() + "\n"
        })
        .unwrap_or_default()
    };
    // The live index in the declaration's terms, not the server's rewritten form.
    let live = render(change.live().map(|l| declared_form(l, change.desired())));
    let desired = render(change.desired().cloned());
    text_diff(&live, &desired, style, indent)
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

/// Each collection option that differs: scalars as `live → declared`,
/// documents (a validator, a pipeline) as a diff; what the server can't
/// change, with the reason and the way.
fn option_lines(change: &Change, style: Style, indent: &str) -> String {
    let mut out = String::new();
    for o in change.option_changes() {
        let show = |v: &Option<bson::Bson>| match v {
            None => "(none)".to_string(),
            Some(v) => v.clone().into_relaxed_extjson().to_string(),
        };
        let is_doc = |v: &Option<bson::Bson>| {
            matches!(v, Some(bson::Bson::Document(_) | bson::Bson::Array(_)))
        };
        if is_doc(&o.declared) || is_doc(&o.live) {
            let pretty = |v: &Option<bson::Bson>| {
                v.clone()
                    .map(|v| {
                        serde_json::to_string_pretty(&v.into_relaxed_extjson()).unwrap_or_default()
                            + "\n"
                    })
                    .unwrap_or_default()
            };
            let _ = writeln!(out, "{indent}{}:", o.option);
            out.push_str(&text_diff(
                &pretty(&o.live),
                &pretty(&o.declared),
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
        if let Some(never) = &o.never {
            let _ = writeln!(
                out,
                "{indent}{}",
                style.red(&format!("not changed in place: {never}"))
            );
        }
    }
    out
}

/// One step as a line: the server command and what it is about.
pub fn step_line(step: &Step) -> String {
    match &step.command {
        Command::CollMod { index, set } => {
            let (option, value) = set.option();
            format!("collMod {index} {option}={}", value.into_relaxed_extjson())
        }
        Command::Hide { index } => format!("collMod {index} hidden=true"),
        Command::CreateIndexes { indexes, .. } => {
            let names: Vec<&str> = indexes.iter().map(|(_, s)| s.name.as_str()).collect();
            format!("createIndexes {}", names.join(", "))
        }
        Command::DropIndex { index, .. } => format!("dropIndexes {index}"),
        Command::Migration { id } => format!("migration {id}"),
        Command::Reread => "re-read the database and plan again".into(),
        Command::CreateCollection { options } => {
            let names: Vec<&str> = options.keys().map(String::as_str).collect();
            match names.is_empty() {
                true => format!("create {}", step.collection),
                false => format!("create {} {}", step.collection, names.join(", ")),
            }
        }
        Command::ModifyCollection { set } => {
            let names: Vec<&str> = set.keys().map(String::as_str).collect();
            format!("collMod {} {}", step.collection, names.join(", "))
        }
    }
}

/// Step `n` of a plan, numbered, with why it is there and, after an apply, how it went.
fn numbered_step(plan: &DatabasePlan, applied: Option<&Applied>, n: usize, style: Style) -> String {
    let status = match applied.and_then(|a| a.steps.get(n)) {
        Some(StepOutcome::Done) => format!("  {}", style.green("done")),
        Some(StepOutcome::Failed(_)) => format!("  {}", style.red("failed")),
        Some(StepOutcome::Skipped) => format!("  {}", style.yellow("skipped")),
        Some(StepOutcome::Deferred) => format!("  {}", style.yellow("deferred")),
        None => String::new(),
    };
    format!(
        "{}. {}  {}{status}",
        n + 1,
        step_line(&plan.steps[n]),
        style.dim(&format!("({})", explain(&plan.steps[n])))
    )
}

/// Why a step is at its place, and what is done where the server refuses it.
fn explain(step: &Step) -> String {
    match step.if_refused().explain() {
        Some(policy) => format!("{}; {policy}", step.why.explain()),
        None => step.why.explain().to_string(),
    }
}

/// A database read again after its migrations planned other index steps
/// than those shown: the plan shown against the new one (the next run's).
fn replanned_text(shown: &DatabasePlan, now: &DatabasePlan, style: Style, out: &mut String) {
    let plain = |plan: &DatabasePlan| {
        let mut text = String::new();
        plan_text(plan, None, Style { color: false }, &mut text);
        text
    };
    let _ = writeln!(
        out,
        "  {}",
        style.yellow(
            "read again after its migrations, it plans otherwise (not run; the next run's):"
        )
    );
    let shown = plain(&shown.clone().index_steps_only());
    let diff = text_diff(&shown, &plain(now), style, "  ");
    out.push_str(&diff.replacen("--- live   +++ declared", "--- shown   +++ now", 1));
}

/// The index a change is about, or the collection (or view) itself.
fn subject_name(change: &Change) -> String {
    match change {
        _ if change.is_view() => "view".into(),
        _ => change.index().unwrap_or("collection").to_string(),
    }
}

/// What the change does, after its name.
pub(super) fn what(change: &Change) -> String {
    let differences = change.differences().join(", ");
    match change {
        Change::CreateCollection { options, .. } => match options.get_str("viewOn") {
            Ok(on) => format!("on {on:?}, with its pipeline"),
            Err(_) if options.is_empty() => "with no options".into(),
            Err(_) => {
                let names: Vec<&str> = options.keys().map(String::as_str).collect();
                format!("with {}", names.join(", "))
            }
        },
        Change::ModifyCollection { .. } => format!("in place (collMod): {differences}"),
        Change::Unchangeable { .. } => format!(
            "not made: the server can't change {differences} in place (drift until done by hand)"
        ),
        Change::Rename { from, .. } if differences == "name" => format!(
            "renames {:?}, same key and options (leaves a gap)",
            from.name
        ),
        Change::Rename { from, .. } => format!(
            "renames {:?} and rebuilds it: {differences} changed (leaves a gap)",
            from.name
        ),
        Change::Conflict { live, .. } => {
            format!("not built: it can't stand beside the live {:?}", live.name)
        }
        Change::Create { index, .. } => one_line(index),
        Change::Drop { index, .. } | Change::Hide { index, .. } => one_line(index),
        Change::Modify { from, to, .. } if from.name != to.name => format!(
            "in place (collMod) on the live {:?}: {differences}",
            from.name
        ),
        Change::Modify { .. } => format!("in place (collMod): {differences}"),
        Change::Replace { gap: true, .. } => format!(
            "drop, then rebuild: {differences} changed (leaves a gap: old and new can't coexist)"
        ),
        Change::Replace { .. } => {
            format!("rebuild beside, then swap: {differences} changed (covered throughout)")
        }
    }
}

/// The plan of one database; after an apply, each change and step says how it went.
pub(super) fn plan_text(
    plan: &DatabasePlan,
    applied: Option<&Applied>,
    style: Style,
    out: &mut String,
) {
    let mut current: Option<&str> = None;
    let by_change = plan.steps_by_change();
    let mut shown = vec![false; plan.steps.len()];
    for (i, change) in plan.changes.iter().enumerate() {
        if current != Some(change.collection()) {
            current = Some(change.collection());
            let created = matches!(change, Change::CreateCollection { .. });
            let note = if created && change.is_view() {
                style.dim(" (does not exist yet)")
            } else if created {
                style.dim(" (does not exist yet: created with its options, then its indexes)")
            } else if change.new_collection() {
                style.dim(" (does not exist yet: its first index build creates it)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {}{note}", change.collection());
        }
        let mut extra = String::new();
        if let Some(note) = change.note() {
            let _ = write!(extra, "\n        {}", style.dim(note));
        }
        if let Some(impact) = plan.findings.impact.get(&i) {
            let words = super::super::impact_words(impact.documents, impact.bytes, impact.seconds);
            let _ = write!(extra, "\n        {}", style.dim(&words));
        }
        if let Some(u) = plan.findings.usage.get(&i) {
            let since = u
                .since
                .and_then(|s| s.try_to_rfc3339_string().ok())
                .unwrap_or_default();
            let _ = write!(
                extra,
                "\n        {}",
                style.dim(&format!("used {} time(s) since {since}", u.ops))
            );
        }
        if let Some(why) = plan.blocked(i) {
            let _ = write!(extra, "\n        {}", style.red(&format!("BLOCKED: {why}")));
        }
        if let Some(note) = plan.findings.notes.get(&i) {
            let _ = write!(
                extra,
                "\n        {}",
                style.yellow(&format!("NOTE: {note}"))
            );
        }
        let outcome = match applied {
            Some(a) if a.done(i) => format!("  {}", style.green("done")),
            Some(a) => a
                .error(i)
                .map(|e| format!("\n        {}", style.red(&format!("FAILED: {e}"))))
                .unwrap_or_default(),
            None => String::new(),
        };
        // A step shared with a change above (one build for many) is named, not repeated.
        let mine = by_change.get(&i).map_or(&[][..], Vec::as_slice);
        let (above, new): (Vec<usize>, Vec<usize>) = mine.iter().partition(|&&n| shown[n]);
        let above = match above.as_slice() {
            [] => String::new(),
            [n] => format!("  {}", style.dim(&format!("(step {})", n + 1))),
            many => {
                let list: Vec<String> = many.iter().map(|n| (n + 1).to_string()).collect();
                format!("  {}", style.dim(&format!("(steps {})", list.join(", "))))
            }
        };
        let _ = writeln!(
            out,
            "    {} {}  {}{above}{outcome}{extra}",
            symbol(change.action(), style),
            style.bold(&subject_name(change)),
            what(change)
        );
        if matches!(change, Change::Modify { .. } | Change::Replace { .. }) {
            out.push_str(&diff(change, style, "        "));
        }
        out.push_str(&option_lines(change, style, "        "));
        for n in new {
            shown[n] = true;
            let _ = writeln!(out, "        {}", numbered_step(plan, applied, n, style));
        }
    }
    for u in &plan.unmanaged {
        let why = match (&u.equivalent_to, u.protected, u.retiring) {
            (Some(name), _, _) => {
                format!("same key and options as declared {name:?}; --prune renames it")
            }
            (None, true, _) => {
                "not in the manifests; protected (unmanaged pattern or time-series)".into()
            }
            (None, false, Some((_, at))) => format!(
                "hidden, retiring: dropped by a run after {}",
                at.try_to_rfc3339_string().unwrap_or_default()
            ),
            (None, false, None) => "not in the manifests; kept (--prune retires it)".into(),
        };
        let _ = writeln!(
            out,
            "    {} {}.{}  {}  {}",
            style.dim("? unmanaged"),
            u.collection,
            u.index.name,
            one_line(&u.index),
            style.dim(&why)
        );
    }
}

/// One database's part of a plan or an apply, as `report` prints it (the
/// markdown details carry it).
pub fn target_plain(t: &TargetReport, applied: bool, style: Style) -> String {
    let mut out = String::new();
    target_text(t, applied, style, &mut out);
    out
}

pub(super) fn target_text(t: &TargetReport, applied: bool, style: Style, out: &mut String) {
    let header = format!("{} ({})", t.target.database, t.target.scope);
    if let Some(why) = t.skipped() {
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&header),
            style.yellow(&format!("skipped: {why}"))
        );
        return;
    }
    if let (Some(why), None) = (t.deferred(), &t.plan) {
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&header),
            style.yellow(&format!("deferred: {why}"))
        );
        return;
    }
    if let Some(e) = t.error() {
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&header),
            style.red(&format!("failed: {e}"))
        );
        migrations_text(t, style, out);
        return;
    }
    let Some(plan) = &t.plan else {
        if !t.migrations.is_empty() {
            let _ = writeln!(out, "{}:", style.bold(&header));
            migrations_text(t, style, out);
        }
        return;
    };
    if plan.is_empty() && plan.unmanaged.is_empty() && t.migrations.is_empty() && !t.failed() {
        let _ = writeln!(out, "{}: {}", style.bold(&header), style.dim("no changes"));
        for w in &t.warnings {
            let _ = writeln!(out, "  {}", style.yellow(w));
        }
        return;
    }
    let pending = t.migrations_with(MigrationStatus::Pending);
    let state = if plan.is_empty() && pending == 0 && !t.failed() {
        if t.migrations.is_empty() {
            style.dim("no changes")
        } else {
            style.green("migrated; no index changes")
        }
    } else if !applied {
        crate::run::pending_words(pending, plan.changes.len()).unwrap_or_default()
    } else if let (Some(why), false) = (t.deferred(), t.failed()) {
        style.yellow(&format!("deferred: {why}"))
    } else if t.failed() {
        style.red("failed")
    } else {
        style.green("applied")
    };
    let _ = writeln!(out, "{}: {state}", style.bold(&header));
    migrations_text(t, style, out);
    plan_text(plan, t.applied.as_ref(), style, out);
    if let Some(now) = &t.replanned {
        replanned_text(plan, now, style, out);
    }
}

fn migrations_text(t: &TargetReport, style: Style, out: &mut String) {
    for m in &t.migrations {
        let status = m.status.as_str();
        let mark = match m.status {
            MigrationStatus::Applied | MigrationStatus::Reverted => style.green(status),
            MigrationStatus::Failed => style.red(status),
            MigrationStatus::Pending | MigrationStatus::ToRevert => style.yellow(status),
        };
        let _ = writeln!(out, "  migration {}  {mark}  {}", m.id, m.description);
        // Its place among the database's steps.
        let step = t
            .plan
            .iter()
            .flat_map(|p| p.steps.iter().enumerate())
            .find(|(_, s)| matches!(&s.command, Command::Migration { id } if *id == m.id));
        if let Some((n, s)) = step.filter(|_| m.status == MigrationStatus::Pending) {
            let _ = writeln!(
                out,
                "    {}. {}  {}",
                n + 1,
                step_line(s),
                style.dim(&format!("({})", s.why.explain()))
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
    let reread = t.plan.as_ref().and_then(|p| {
        let n = p.steps.iter().position(|s| s.command == Command::Reread)?;
        Some((p, n))
    });
    if let Some((plan, n)) = reread {
        let _ = writeln!(
            out,
            "  {}",
            numbered_step(plan, t.applied.as_ref(), n, style)
        );
    }
    for w in &t.warnings {
        let _ = writeln!(out, "  {}", style.yellow(w));
    }
}
