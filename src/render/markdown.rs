//! `--format markdown`: a plan or the fleet's drift as a pull-request
//! comment. A summary table first, then collapsible details
//! (`<details><summary>…</summary> … </details>`) per database (plan) or per
//! group of databases (drift). Databases with nothing to say get no row: a
//! fleet of thousands still fits in a comment.

use std::fmt::Write;

use super::text::{failed, target, Style};
use super::{deviation_as, group_heading_as, model, thousands};
use crate::plan::drift::{Drift, SAMPLES};
use crate::plan::Action;
use crate::run::Report;
use crate::targets::Rejected;

/// Inline code, safe in a table cell: a backtick inside lengthens the
/// delimiters, a `|` is escaped (GitHub splits cells on it even in code).
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    let longest = longest_run(&text, '`');
    if longest == 0 {
        return format!("`{text}`");
    }
    let ticks = "`".repeat(longest + 1);
    format!("{ticks} {text} {ticks}")
}

/// Text inside HTML (`<summary>`).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A fenced block that no run of backticks inside can close early.
fn fenced(text: &str) -> String {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", text.trim_end())
}

fn details(out: &mut String, summary: &str, body: &str) {
    // The blank lines let GitHub render markdown inside the HTML block.
    let _ = write!(
        out,
        "<details><summary>{summary}</summary>\n\n{body}\n</details>\n\n"
    );
}

fn rejected_list(out: &mut String, rejected: &[Rejected]) {
    if rejected.is_empty() {
        return;
    }
    out.push_str("Tenants skipped by discovery:\n\n");
    for r in rejected {
        let _ = writeln!(out, "- {}: {}", code(&r.database), r.reason);
    }
    out.push('\n');
}

/// `mig drift --format markdown`: one row per group, largest first; each
/// drifted group's deviations and sample databases in its details.
pub fn drift(drift: &Drift, rejected: &[Rejected]) -> String {
    let mut out = String::from("### mig drift\n\n");
    let _ = write!(
        out,
        "**{}** database(s) compared with the manifests: **{}** in sync, **{}** drifted",
        thousands(drift.databases()),
        thousands(drift.in_sync()),
        thousands(drift.drifted())
    );
    if drift.drifted() > 0 {
        let _ = write!(out, " in {} way(s)", thousands(drift.kinds_of_drift()));
    }
    let _ = writeln!(out, ", **{}** failed.\n", thousands(drift.failed()));
    let groups = drift.groups();
    if !groups.is_empty() {
        out.push_str("| databases | deviation | databases (first by name) |\n|---:|---|---|\n");
    }
    for g in &groups {
        let heading = match g.deviations {
            [] | [_] => group_heading_as(g.deviations, &code),
            many => many
                .iter()
                .map(|d| deviation_as(d, &code))
                .collect::<Vec<_>>()
                .join("; "),
        };
        let names = if g.in_sync() {
            String::new()
        } else {
            names_with_more(&g.samples, g.count)
        };
        let _ = writeln!(out, "| {} | {heading} | {names} |", thousands(g.count),);
    }
    out.push('\n');
    for g in groups.iter().filter(|g| !g.in_sync()) {
        let summary = format!(
            "{} {}",
            thousands(g.count),
            group_heading_as(g.deviations, &|n| format!("<code>{}</code>", html(n)))
        );
        let mut body = String::new();
        for d in g.deviations {
            let _ = writeln!(body, "- {}", deviation_as(d, &code));
        }
        let _ = writeln!(
            body,
            "\nDatabases (the first {SAMPLES} by name): {}",
            names_with_more(&g.samples, g.count)
        );
        details(&mut out, &summary, &body);
    }
    if drift.failed() > 0 {
        let mut body = String::new();
        let mut shown = 0;
        for f in drift.failures() {
            shown += 1;
            let _ = writeln!(body, "- {}: {}", code(&f.database), f.why);
        }
        if drift.failed() > shown {
            let _ = writeln!(body, "- … and {} more", thousands(drift.failed() - shown));
        }
        let summary = format!("{} could not be read", thousands(drift.failed()));
        details(&mut out, &summary, &body);
    }
    rejected_list(&mut out, rejected);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// `a`, `b`, … +9: the names kept, and how many more the group has.
fn names_with_more(samples: &[&str], count: usize) -> String {
    let mut names: Vec<String> = samples.iter().map(|n| code(n)).collect();
    if count > samples.len() {
        names.push(format!("… +{}", thousands(count - samples.len())));
    }
    names.join(", ")
}

/// The changes to count: after an apply, only those whose steps all
/// succeeded; in a plan, all.
fn counted(t: &model::Target, applied: bool) -> impl Iterator<Item = &model::Change> {
    t.changes
        .iter()
        .filter(move |c| !applied || c.ok == Some(true))
}

/// Whether a database has work to do (a plan) or had work done (an apply):
/// index changes and data migrations alike.
fn has_work(t: &model::Target, applied: bool) -> bool {
    let work = |s: crate::run::MigrationStatus| if applied { s.is_done() } else { s.is_to_do() };
    counted(t, applied).next().is_some() || t.migrations.iter().any(|m| work(m.status))
}

/// `mig plan --format markdown`: a row per database with changes (or a
/// failure), counted by action; each one's plan, as `mig plan` prints it,
/// in its details. Each database is projected from its model.
pub fn plan(report: &Report) -> String {
    let mut out = String::from("### mig plan\n\n");
    let count =
        |t: &model::Target, a: Action| counted(t, report.applied).filter(|c| c.action == a).count();
    let clusters = !report.clusters.is_empty();
    let targets: Vec<model::Target> = report
        .targets
        .iter()
        .map(|t| super::json::target_model(t, report.applied, clusters))
        .collect();
    let shown: Vec<&model::Target> = targets
        .iter()
        .filter(|t| has_work(t, report.applied) || failed(t))
        .collect();
    // The counts are the report's summary, as JSON writes it.
    let tail = super::json::tail_model(
        &report.rejected,
        report.discovery.as_ref(),
        &report.tally(),
        None,
        report.applied,
    );
    let s = &tail.summary;
    let _ = write!(
        out,
        "**{}** database(s), **{}** with changes to apply: {} create, {} modify, {} replace, {} hide, {} drop",
        thousands(s.databases),
        thousands(s.changed),
        thousands(s.create),
        thousands(s.modify),
        thousands(s.replace),
        thousands(s.hide),
        thousands(s.drop),
    );
    if s.manual > 0 {
        let _ = write!(
            out,
            "; **{}** collection change(s) mig will not make",
            thousands(s.manual)
        );
    }
    if s.unmanaged > 0 {
        let _ = write!(
            out,
            "; {} unmanaged index(es) left alone",
            thousands(s.unmanaged)
        );
    }
    if s.failed > 0 {
        let _ = write!(out, "; **{}** failed", thousands(s.failed));
    }
    let impact = &s.impact;
    if impact.builds > 0 && !report.applied {
        let words = super::impact_words(impact.documents, impact.bytes, impact.seconds);
        let _ = write!(out, "; {} build(s) {words}", thousands(impact.builds));
    }
    out.push_str(".\n\n");
    if shown.is_empty() {
        out.push_str(&super::text::nothing_to_do(
            s.unmanaged_unprotected,
            tail.rejected.len(),
        ));
        rejected_list(&mut out, &report.rejected);
        return out;
    }
    out.push_str(
        "| database | scope | status | create | modify | replace | hide | drop | unmanaged |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for t in &shown {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            match t.cluster.as_ref().and_then(Option::as_ref) {
                Some(cluster) => format!("{} on {}", code(&t.database), code(cluster)),
                None => code(&t.database),
            },
            t.scope,
            t.brief.replace('|', "\\|"),
            count(t, Action::Create),
            count(t, Action::Modify),
            count(t, Action::Replace),
            count(t, Action::Hide),
            count(t, Action::Drop),
            t.unmanaged.len(),
        );
    }
    let quiet = targets.len() - shown.len();
    if quiet > 0 {
        let _ = writeln!(out, "\n{} other database(s): no changes.", thousands(quiet));
    }
    out.push('\n');
    for t in &shown {
        let summary = format!(
            "<code>{}</code> ({}): {}",
            html(&t.database),
            t.scope,
            html(&t.brief)
        );
        let body = target(t, report.applied, Style { color: false });
        details(&mut out, &summary, &fenced(&body));
    }
    rejected_list(&mut out, &report.rejected);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
