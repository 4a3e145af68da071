//! `mig status` and `mig drift` as text.

use std::fmt::Write;

use super::super::model::StatusDatabase;
use super::super::{deviation, group_heading, thousands, DatabaseStatus, RowState};
use super::{rejected, skipped, Style};
use crate::plan::drift::Drift;
use crate::run::ByCluster;
use crate::server::load::Pause;
use crate::targets::{Looked, Rejected};

/// One database's lines in `mig status`, projected from its model.
pub fn status_database(t: &StatusDatabase, style: Style) -> String {
    let mut out = String::new();
    let pending = t
        .migrations
        .iter()
        .filter(|r| r.state != RowState::Applied)
        .count();
    let mut behind = Vec::new();
    if pending > 0 {
        behind.push(format!("{pending} migration(s) not applied"));
    }
    let indexes = t.index_changes - t.collection_changes;
    if indexes > 0 {
        behind.push(format!("{indexes} index change(s) pending"));
    }
    if t.collection_changes > 0 {
        behind.push(format!(
            "{} collection change(s) pending",
            t.collection_changes
        ));
    }
    if !t.indexes_read {
        behind.push("indexes not read".to_string());
    }
    // "Up to date" only when nothing at all is pending.
    let head = match (&t.error, t.status) {
        (Some(e), _) => style.red(&format!("failed: {e}")),
        (None, DatabaseStatus::Migrated) => style.green("up to date"),
        (None, DatabaseStatus::Behind) => style.yellow(&format!("behind: {}", behind.join(", "))),
        (None, DatabaseStatus::Failed) => style.red(&format!("failed: {}", behind.join(", "))),
    };
    let _ = writeln!(out, "{} ({}): {head}", style.bold(&t.database), t.scope);
    for r in &t.migrations {
        let detail = match r.state {
            RowState::Applied if r.batch.is_some() => format!(
                "{} ({} ms, batch {})",
                r.applied_at.as_deref().unwrap_or_default(),
                r.duration_ms.unwrap_or(0),
                r.batch.unwrap_or_default()
            ),
            RowState::Failed if r.batch.is_some() => style.red(r.error.as_deref().unwrap_or("")),
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

/// `mig status`'s closing lines: over `[clusters]` (`by`) one line per
/// cluster, the summary (`counts` by [`super::DatabaseStatus`]), the tenant
/// names discovery skipped (`rejected`), and the pause.
pub fn status_closing(
    counts: &[usize; 3],
    by: Option<&ByCluster<[usize; 3]>>,
    rejected: usize,
    pause: Option<&Pause>,
    style: Style,
) -> String {
    let failed = DatabaseStatus::Failed as usize;
    let mut out = by.map_or(String::new(), |by| {
        super::clusters_section(by, |c| (status_counts(c), c[failed] > 0), style)
    });
    out.push_str(&status_summary(counts, style));
    out.push_str(&super::skipped_line(rejected, style));
    if let Some(p) = pause {
        let _ = writeln!(
            out,
            "Paused by {p}: running applies wait before their next step (mig resume goes on)."
        );
    }
    out
}

/// `mig drift` as printed: how discovery went when it is news, then
/// [`drift_with`] the lines per cluster over `[clusters]` (`by`: in sync,
/// drifted, failed).
pub fn drift_report(
    drift: &Drift,
    rejected: &[Rejected],
    discovery: Option<&Looked>,
    by: Option<&ByCluster<[usize; 3]>>,
    style: Style,
) -> String {
    let clusters = by.map_or(String::new(), |by| {
        super::clusters_section(by, |c| (drift_counts(c), c[2] > 0), style)
    });
    super::discovery(discovery, style) + &drift_with(drift, rejected, &clusters, style)
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
