//! The plan (and the outcome of an apply) for a person to read.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::json::spec as spec_json;
use super::{deviation, discovery_line, group_heading, thousands};
use crate::model::declared_form::declared_form;
use crate::model::index::SERVER_ASSIGNED;
use crate::model::IndexSpec;
use crate::plan::drift::Drift;
use crate::plan::{Action, Change, Command, DatabasePlan, Step};
use crate::run::{ByCluster, ClusterInfo, MigrationStatus, Report, Tally, TargetReport};
use crate::server::execute::{Applied, StepOutcome};
use crate::targets::Rejected;

/// ANSI colours, or none.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub(crate) fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    pub(crate) fn red(self, t: &str) -> String {
        self.paint("31", t)
    }
    pub(crate) fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    pub(crate) fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    pub(crate) fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
}

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
        style.dim(&format!("({})", plan.steps[n].why.explain()))
    )
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
fn what(change: &Change) -> String {
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
fn plan_text(plan: &DatabasePlan, applied: Option<&Applied>, style: Style, out: &mut String) {
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
            let words = super::impact_words(impact.documents, impact.bytes, impact.seconds);
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

fn target_text(t: &TargetReport, applied: bool, style: Style, out: &mut String) {
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

/// One database's lines in `mig status`.
pub fn status_database(
    t: &TargetReport,
    all: &[crate::migrate::api::Migration],
    style: Style,
) -> String {
    let mut out = String::new();
    let rows = super::status_rows(t, all);
    let state = super::status_of(t, &rows);
    let pending = rows
        .iter()
        .filter(|r| r.state != super::RowState::Applied)
        .count();
    let mut behind = Vec::new();
    if pending > 0 {
        behind.push(format!("{pending} migration(s) not applied"));
    }
    match &t.plan {
        Some(p) if !p.is_empty() => {
            let own = p
                .changes
                .iter()
                .filter(|c| c.is_collection_change())
                .count();
            let indexes = p.changes.len() - own;
            if indexes > 0 {
                behind.push(format!("{indexes} index change(s) pending"));
            }
            if own > 0 {
                behind.push(format!("{own} collection change(s) pending"));
            }
        }
        Some(_) => {}
        None => behind.push("indexes not read".to_string()),
    }
    // "Up to date" only when nothing at all is pending.
    let head = match (t.error(), state) {
        (Some(e), _) => style.red(&format!("failed: {e}")),
        (None, super::DatabaseStatus::Migrated) => style.green("up to date"),
        (None, super::DatabaseStatus::Behind) => {
            style.yellow(&format!("behind: {}", behind.join(", ")))
        }
        (None, super::DatabaseStatus::Failed) => {
            style.red(&format!("failed: {}", behind.join(", ")))
        }
    };
    let _ = writeln!(
        out,
        "{} ({}): {head}",
        style.bold(&t.target.database),
        t.target.scope
    );
    for r in rows {
        let detail = match (r.state, r.entry) {
            (super::RowState::Applied, Some(e)) => format!(
                "{} ({} ms, batch {})",
                e.applied_at
                    .and_then(|d| d.try_to_rfc3339_string().ok())
                    .unwrap_or_default(),
                e.duration_ms.unwrap_or(0),
                e.batch
            ),
            (super::RowState::Failed, Some(e)) => style.red(e.error.as_deref().unwrap_or("")),
            _ => String::new(),
        };
        let _ = writeln!(out, "  {}  {:<8} {detail}", r.id, r.state.as_str());
    }
    for w in &t.warnings {
        let _ = writeln!(out, "  {}", style.yellow(w));
    }
    out
}

/// A cluster's counts in `mig drift`: in sync, drifted, failed.
pub fn drift_counts(counts: &[usize; 3]) -> String {
    three_counts(counts, ["in sync", "drifted", "failed"])
}

/// A cluster's counts in `mig status`; `counts` by [`super::DatabaseStatus`].
pub fn status_counts(counts: &[usize; 3]) -> String {
    three_counts(counts, ["fully migrated", "behind", "failed"])
}

/// `N database(s): a <names[0]>, b <names[1]>, c <names[2]>`.
fn three_counts(counts: &[usize; 3], names: [&str; 3]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(counts)
        .map(|(name, n)| format!("{} {name}", thousands(*n)))
        .collect();
    format!(
        "{} database(s): {}",
        thousands(counts.iter().sum::<usize>()),
        parts.join(", ")
    )
}

/// `mig status`'s last line; `counts` by [`super::DatabaseStatus`].
pub fn status_summary(counts: &[usize; 3], style: Style) -> String {
    format!(
        "\n{} {} database(s): {} fully migrated, {} behind, {} failed\n",
        style.bold("Summary:"),
        counts.iter().sum::<usize>(),
        counts[0],
        counts[1],
        counts[2]
    )
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

/// The whole report: what [`rejected`], [`target`], [`result_line`] and
/// [`summary`] give, in that order (a streamed run prints the same pieces as
/// each database is done).
pub fn report(report: &Report, style: Style) -> String {
    let mut out = rejected(&report.rejected, style);
    let mut heading = None;
    for t in &report.targets {
        if !report.clusters.is_empty() && heading != Some(t.cluster.as_deref()) {
            heading = Some(t.cluster.as_deref());
            out.push_str(&cluster_heading(
                t.cluster.as_deref(),
                &report.clusters,
                style,
            ));
        }
        out.push_str(&target(t, report.applied, style));
    }
    let results: Vec<String> = report
        .targets
        .iter()
        .map(|t| result_line(t, style))
        .collect();
    let clusters = report.by_cluster().map_or(String::new(), |by| {
        clusters_section(&by, |t| cluster_tally(t, report.applied), style)
    });
    out.push_str(&summary_after(
        &report.tally(),
        report.applied.then_some(results.as_slice()),
        &clusters,
        style,
    ));
    out
}

/// [`discovery_line`] above a report, when it is news: no tenants, as
/// declared, or names discovery skipped.
pub fn discovery(looked: Option<&crate::targets::Looked>, style: Style) -> String {
    match looked {
        Some(l) if l.declared_empty() => format!("{}\n", discovery_line(l)),
        Some(l) if l.skipped > 0 => format!("{}\n", style.yellow(&discovery_line(l))),
        _ => String::new(),
    }
}

/// `; N tenant name(s) or registry entr(ies) skipped (see above)` after a
/// summary, when discovery skipped any.
fn skipped(n: usize, style: Style) -> String {
    match n {
        0 => String::new(),
        n => format!(
            "; {}\n",
            style.yellow(&format!(
                "{n} tenant name(s) or registry entr(ies) skipped (see above)"
            ))
        ),
    }
}

/// A line after a summary that has no room for [`skipped`].
pub fn skipped_line(n: usize, style: Style) -> String {
    skipped(n, style).trim_start_matches("; ").to_string()
}

/// Tenant names discovery found but `mig` will not use.
pub fn rejected(rejected: &[crate::targets::Rejected], style: Style) -> String {
    let mut out = String::new();
    for r in rejected {
        let _ = writeln!(
            out,
            "{} {}: {}",
            style.yellow("skipped tenant"),
            r.database,
            r.reason
        );
    }
    out
}

/// One database's section.
pub fn target(t: &TargetReport, applied: bool, style: Style) -> String {
    let mut out = String::new();
    target_text(t, applied, style, &mut out);
    out
}

/// One database's line in the Result list after an apply: the outcome in a
/// few words (the section above says why).
pub fn result_line(t: &TargetReport, style: Style) -> String {
    let line = t.brief(true);
    let line = if t.failed() {
        style.red(&line)
    } else if line == "ok" {
        style.dim(&line)
    } else {
        style.green(&line)
    };
    format!("  {}: {line}\n", t.target.database)
}

/// The closing lines: after an apply the Result list (`results`), then the
/// summary line, and "Nothing to do" when nothing is.
pub fn summary(tally: &Tally, results: Option<&[String]>, style: Style) -> String {
    summary_after(tally, results, "", style)
}

/// [`summary`] with `clusters` (the lines per cluster of a run over
/// `[clusters]`) before the summary line, which is the total.
pub fn summary_after(
    tally: &Tally,
    results: Option<&[String]>,
    clusters: &str,
    style: Style,
) -> String {
    let mut out = String::new();
    if let Some(results) = results {
        let _ = writeln!(out, "\n{}", style.bold("Result:"));
        for line in results {
            out.push_str(line);
        }
    }
    out.push_str(clusters);
    let applied = results.is_some();
    let verb = if applied { "applied" } else { "to apply" };
    let _ = write!(
        out,
        "\n{} {} database(s), {} with changes {verb}: {} create, {} modify, {} replace, {} hide, {} drop",
        style.bold("Summary:"),
        tally.databases,
        tally.changed,
        tally.action(Action::Create),
        tally.action(Action::Modify),
        tally.action(Action::Replace),
        tally.action(Action::Hide),
        tally.action(Action::Drop),
    );
    let impact = tally.impact;
    if impact.builds > 0 && !applied {
        let words = super::impact_words(impact.documents, impact.bytes, impact.seconds);
        let _ = write!(out, "; {} build(s) {words}", impact.builds);
    }
    let manual = tally.action(Action::Manual);
    if manual > 0 && !applied {
        let _ = write!(
            out,
            "; {}",
            style.red(&format!(
                "{manual} collection change(s) mig will not make (see above)"
            ))
        );
    }
    for status in MigrationStatus::ALL {
        let n = tally.migration_runs(status);
        if n > 0 {
            let _ = write!(out, "; {n} migration run(s) {status}");
        }
    }
    if tally.failed_steps > 0 {
        let _ = write!(
            out,
            "; {}",
            style.red(&format!("{} change(s) failed", tally.failed_steps))
        );
    }
    if tally.unmanaged > 0 {
        let _ = write!(out, "; {} unmanaged index(es) left alone", tally.unmanaged);
    }
    if tally.failed > 0 {
        let _ = write!(
            out,
            "; {}",
            style.red(&format!("{} database(s) failed or skipped", tally.failed))
        );
    }
    if tally.deferred > 0 {
        let _ = write!(
            out,
            "; {}",
            style.yellow(&format!(
                "{} database(s) deferred: the next run carries on",
                tally.deferred
            ))
        );
    }
    out.push_str(skipped(tally.rejected, style).trim_end());
    out.push('\n');
    // A cluster that failed with no database to show is not "nothing to do".
    let cluster_failed = clusters.contains(CLUSTER_FAILED);
    if !applied && tally.changed == 0 && tally.failed == 0 && !cluster_failed {
        out.push_str(&nothing_to_do(tally.extra, tally.rejected));
    }
    out
}

/// The closing line of a plan with nothing to apply: "in sync" only when
/// no database deviates from the manifests at all (what `drift` calls in
/// sync: no `unmanaged` index no manifest protects) and discovery skipped nothing.
pub fn nothing_to_do(unmanaged: usize, rejected: usize) -> String {
    let mut left = Vec::new();
    if unmanaged > 0 {
        left.push(format!(
            "{unmanaged} unmanaged index(es) the manifests don't declare (`--prune` retires them)"
        ));
    }
    if rejected > 0 {
        left.push(format!(
            "{rejected} tenant name(s) or registry entr(ies) skipped"
        ));
    }
    match left.is_empty() {
        true => "Nothing to do: every database is in sync with the manifests.\n".into(),
        false => format!("Nothing to apply, but not in sync: {}.\n", left.join("; ")),
    }
}

/// How a cluster that could not be used is told in its line.
const CLUSTER_FAILED: &str = "cluster failed: ";

/// The heading over a cluster's databases in a run over `[clusters]`
/// (`None`: the tenants the routing refused, on no cluster).
pub fn cluster_heading(cluster: Option<&str>, clusters: &[ClusterInfo], style: Style) -> String {
    let title = match cluster {
        Some(name) => {
            let uri = clusters
                .iter()
                .find(|c| c.name == name)
                .map_or("", |c| c.uri.as_str());
            format!("== cluster {name} ({uri}) ==")
        }
        None => "== not routed (on no cluster; nothing was done) ==".to_string(),
    };
    format!("{}\n", style.bold(&title))
}

/// One line per cluster after a run over `[clusters]`, and one for the
/// tenants the routing refused; `counts` puts a cluster's counts in words
/// and says whether any of its databases failed.
pub fn clusters_section<T>(
    by: &ByCluster<T>,
    counts: impl Fn(&T) -> (String, bool),
    style: Style,
) -> String {
    let mut out = format!("\n{}\n", style.bold("Clusters:"));
    for (info, t) in &by.clusters {
        let (words, failed) = counts(t);
        let mut line = words;
        if let Some(why) = &info.error {
            let _ = write!(line, "; {CLUSTER_FAILED}{why}");
        }
        let line = if failed || info.error.is_some() {
            style.red(&line)
        } else {
            line
        };
        let _ = writeln!(out, "  {}: {line}", info.name);
    }
    if by.refused.0 > 0 {
        let _ = writeln!(
            out,
            "  {}",
            style.red(&format!(
                "not routed: {} tenant(s) refused, touched on no cluster",
                by.refused.0
            ))
        );
    }
    out
}

/// A cluster's counts in a plan or an apply.
pub fn cluster_tally(tally: &Tally, applied: bool) -> (String, bool) {
    let verb = if applied { "applied" } else { "to apply" };
    let mut words = format!(
        "{} database(s), {} with changes {verb}",
        tally.databases, tally.changed
    );
    if tally.failed > 0 {
        let _ = write!(words, ", {} failed or skipped", tally.failed);
    }
    (words, tally.failed > 0)
}

/// How many sample names a drift line shows; the JSON and markdown carry all kept.
const NAMES_IN_A_LINE: usize = 3;

/// `mig drift`: one line per group, largest first, then the failures.
pub fn drift(drift: &Drift, rejected: &[Rejected], style: Style) -> String {
    drift_with(drift, rejected, "", style)
}

/// [`drift`] with `clusters` (a line per cluster, over `[clusters]`) before
/// the summary line.
pub fn drift_with(drift: &Drift, rejected: &[Rejected], clusters: &str, style: Style) -> String {
    let mut out = self::rejected(rejected, style);
    let groups = drift.groups();
    let width = groups
        .iter()
        .map(|g| thousands(g.count).len())
        .chain([thousands(drift.failed()).len()])
        .max()
        .unwrap_or(1);
    for g in &groups {
        let count = format!("{:>width$}", thousands(g.count));
        let heading = group_heading(g.deviations);
        let heading = if g.in_sync() {
            style.green(&heading)
        } else {
            style.yellow(&heading)
        };
        let names = if g.in_sync() {
            String::new()
        } else {
            let shown: Vec<&str> = g.samples.iter().take(NAMES_IN_A_LINE).copied().collect();
            let more = g.count - shown.len();
            let more = if more > 0 {
                format!(", … +{}", thousands(more))
            } else {
                String::new()
            };
            format!("  ({}{more})", shown.join(", "))
        };
        let _ = writeln!(out, "  {}  {heading}{names}", style.bold(&count));
        if g.deviations.len() > 1 {
            for d in g.deviations {
                let _ = writeln!(out, "  {:width$}      {}", "", deviation(d));
            }
        }
    }
    if drift.failed() > 0 {
        let count = format!("{:>width$}", thousands(drift.failed()));
        let _ = writeln!(
            out,
            "  {}  {}",
            style.bold(&count),
            style.red("could not be read")
        );
        let mut shown = 0;
        for f in drift.failures() {
            shown += 1;
            let _ = writeln!(out, "  {:width$}      {}: {}", "", f.database, f.why);
        }
        if drift.failed() > shown {
            let _ = writeln!(
                out,
                "  {:width$}      … and {} more",
                "",
                thousands(drift.failed() - shown)
            );
        }
    }
    out.push_str(clusters);
    let _ = write!(
        out,
        "\n{} {} database(s) compared with the manifests: {} in sync, {} drifted",
        style.bold("Summary:"),
        thousands(drift.databases()),
        thousands(drift.in_sync()),
        thousands(drift.drifted()),
    );
    if drift.drifted() > 0 {
        let _ = write!(out, " in {} way(s)", thousands(drift.kinds_of_drift()));
    }
    if drift.failed() > 0 {
        let _ = write!(
            out,
            ", {}",
            style.red(&format!("{} failed", thousands(drift.failed())))
        );
    }
    out.push_str(skipped(rejected.len(), style).trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
