//! The plan (and the outcome of an apply) for a person to read.

use std::fmt::Write;

use super::{discovery_line, model};
use crate::run::{ByCluster, ClusterInfo, MigrationStatus, Report};

mod changes;
mod status;

pub(crate) use changes::failed;
#[cfg(test)]
use changes::plan_text_of as plan_text;
use changes::target_text;
pub use changes::{one_line, step_line};
pub use status::{drift, drift_report, drift_with, status_closing, status_database};

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

/// The whole report: what [`rejected`], [`target`], [`result_line`] and
/// [`summary`] give, in that order (a streamed run prints the same pieces as
/// each database is done), each database projected from its model.
pub fn report(report: &Report, style: Style) -> String {
    let mut out = rejected(&report.rejected, style);
    let mut heading = None;
    let clusters = !report.clusters.is_empty();
    let targets: Vec<model::Target> = report
        .targets
        .iter()
        .map(|t| super::json::target_model(t, report.applied, clusters))
        .collect();
    for t in &targets {
        let cluster = t.cluster.as_ref().and_then(Option::as_deref);
        if clusters && heading != Some(cluster) {
            heading = Some(cluster);
            out.push_str(&cluster_heading(cluster, &report.clusters, style));
        }
        target_text(t, report.applied, style, &mut out);
    }
    let results: Vec<String> = targets.iter().map(|t| result_line(t, style)).collect();
    let tail = super::json::tail_model(
        &report.rejected,
        report.discovery.as_ref(),
        &report.tally(),
        report.by_cluster().as_ref(),
        report.applied,
    );
    out.push_str(&summary(
        &tail,
        report.applied.then_some(results.as_slice()),
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

/// One database's section, projected from its model.
pub fn target(t: &model::Target, applied: bool, style: Style) -> String {
    let mut out = String::new();
    target_text(t, applied, style, &mut out);
    out
}

/// One database's line in the Result list after an apply: the outcome in a
/// few words (the section above says why).
pub fn result_line(t: &model::Target, style: Style) -> String {
    let line = &t.brief;
    let line = if failed(t) {
        style.red(line)
    } else if line == "ok" {
        style.dim(line)
    } else {
        style.green(line)
    };
    format!("  {}: {line}\n", t.database)
}

/// The closing lines, a projection of the report's tail (the model JSON
/// writes after `targets`): after an apply the Result list (`results`),
/// the line per cluster over `[clusters]`, then the summary line, which is
/// the total, and "Nothing to do" when nothing is.
pub fn summary(tail: &model::Tail, results: Option<&[String]>, style: Style) -> String {
    let mut out = String::new();
    if let Some(results) = results {
        let _ = writeln!(out, "\n{}", style.bold("Result:"));
        for line in results {
            out.push_str(line);
        }
    }
    if let Some(clusters) = &tail.clusters {
        out.push_str(&run_clusters(clusters, style));
    }
    let s = &tail.summary;
    let applied = results.is_some();
    let verb = if applied { "applied" } else { "to apply" };
    let _ = write!(
        out,
        "\n{} {} database(s), {} with changes {verb}: {} create, {} modify, {} replace, {} hide, {} drop",
        style.bold("Summary:"),
        s.databases,
        s.changed,
        s.create,
        s.modify,
        s.replace,
        s.hide,
        s.drop,
    );
    let impact = &s.impact;
    if impact.builds > 0 && !applied {
        let words = super::impact_words(impact.documents, impact.bytes, impact.seconds);
        let _ = write!(out, "; {} build(s) {words}", impact.builds);
    }
    if s.manual > 0 && !applied {
        let _ = write!(
            out,
            "; {}",
            style.red(&format!(
                "{} collection change(s) mig will not make (see above)",
                s.manual
            ))
        );
    }
    for status in MigrationStatus::ALL {
        let n = s.migration_runs(status);
        if n > 0 {
            let _ = write!(out, "; {n} migration run(s) {status}");
        }
    }
    if s.failed_steps > 0 {
        let _ = write!(
            out,
            "; {}",
            style.red(&format!("{} change(s) failed", s.failed_steps))
        );
    }
    if s.unmanaged > 0 {
        let _ = write!(out, "; {} unmanaged index(es) left alone", s.unmanaged);
    }
    if s.failed > 0 {
        let _ = write!(
            out,
            "; {}",
            style.red(&format!("{} database(s) failed or skipped", s.failed))
        );
    }
    if s.deferred > 0 {
        let _ = write!(
            out,
            "; {}",
            style.yellow(&format!(
                "{} database(s) deferred: the next run carries on",
                s.deferred
            ))
        );
    }
    let rejected = tail.rejected.len();
    out.push_str(skipped(rejected, style).trim_end());
    out.push('\n');
    // A cluster that failed with no database to show is not "nothing to do".
    let cluster_failed = tail
        .clusters
        .iter()
        .flatten()
        .any(|c| matches!(c, model::Cluster::Cluster { error: Some(_), .. }));
    if !applied && s.changed == 0 && s.failed == 0 && !cluster_failed {
        out.push_str(&nothing_to_do(s.unmanaged_unprotected, rejected));
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
    let rows = by.clusters.iter().map(|(info, t)| {
        let (words, failed) = counts(t);
        (info.name.as_str(), words, failed, info.error.as_deref())
    });
    cluster_lines(rows, by.refused.0, style)
}

/// The lines per cluster of a plan or an apply, from the report's `clusters`.
fn run_clusters(clusters: &[model::Cluster<model::RunCounts>], style: Style) -> String {
    let mut refused = 0;
    let mut rows = Vec::new();
    for c in clusters {
        match c {
            model::Cluster::Cluster {
                cluster,
                counts,
                error,
                ..
            } => {
                let (words, failed) = run_counts(counts);
                rows.push((cluster.as_str(), words, failed, error.as_deref()));
            }
            model::Cluster::Refused { refused: n, .. } => refused = *n,
        }
    }
    cluster_lines(rows.into_iter(), refused, style)
}

/// `  name: words[; cluster failed: why]` per cluster (red where it or a
/// database of it failed), then the tenants the routing refused.
fn cluster_lines<'a>(
    rows: impl Iterator<Item = (&'a str, String, bool, Option<&'a str>)>,
    refused: usize,
    style: Style,
) -> String {
    let mut out = format!("\n{}\n", style.bold("Clusters:"));
    for (name, words, failed, error) in rows {
        let mut line = words;
        if let Some(why) = error {
            let _ = write!(line, "; {CLUSTER_FAILED}{why}");
        }
        let line = if failed || error.is_some() {
            style.red(&line)
        } else {
            line
        };
        let _ = writeln!(out, "  {name}: {line}");
    }
    if refused > 0 {
        let _ = writeln!(
            out,
            "  {}",
            style.red(&format!(
                "not routed: {refused} tenant(s) refused, touched on no cluster"
            ))
        );
    }
    out
}

/// A cluster's counts in a plan (`pending`) or an apply (`applied`).
fn run_counts(c: &model::RunCounts) -> (String, bool) {
    let (verb, changed) = match c.applied {
        Some(n) => ("applied", n),
        None => ("to apply", c.pending.unwrap_or(0)),
    };
    let mut words = format!("{} database(s), {changed} with changes {verb}", c.databases);
    if c.failed > 0 {
        let _ = write!(words, ", {} failed or skipped", c.failed);
    }
    (words, c.failed > 0)
}

#[cfg(test)]
mod tests;
