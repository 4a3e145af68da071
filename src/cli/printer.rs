//! A run's report printed as it goes: the head once the targets are known,
//! each database's section as soon as it is done (then let go), and the
//! summary from counts. The same text and JSON as a report printed whole
//! (`render::text::report`, `render::json::report`; a unit test checks the
//! JSON byte for byte).

use crate::plan::saved::SavedTarget;
use crate::render;
use crate::render::json::ReportWriter;
use crate::render::text::Style;
use crate::run::{ByCluster, Head, Listener, Report, Tally, TargetReport};

use super::output;
use super::{Global, OutputFormat};

/// Prints as it goes and keeps only counts (and, for `plan --out`, each
/// database's saved plan; after an apply, its one-line result).
pub struct Printer {
    format: OutputFormat,
    style: Style,
    json: ReportWriter,
    head: Option<Head>,
    pub tally: Tally,
    /// `plan --out`: the plan of each database, to save.
    pub saved: Option<Vec<SavedTarget>>,
    /// After an apply: the databases that, read again after their
    /// migrations, planned other index steps than those shown, with that plan.
    pub replanned: Vec<SavedTarget>,
    results: Vec<String>,
    /// What the command adds after the summary: JSON fields, and text.
    pub after_json: serde_json::Map<String, serde_json::Value>,
    pub after_text: String,
    /// `--format markdown` is one comment with a table first: the report is
    /// kept and written whole at the end.
    markdown: Option<Report>,
    /// With `[clusters]`: the counts per cluster, and the cluster whose
    /// databases are being printed (its heading is out).
    by_cluster: Option<ByCluster<Tally>>,
    heading: Option<Option<String>>,
}

impl Printer {
    pub fn new(global: &Global, keep_saved: bool) -> Printer {
        Printer {
            format: global.format,
            style: output::style(global),
            json: ReportWriter::new(global.format == OutputFormat::Jsonl),
            head: None,
            tally: Tally::default(),
            saved: keep_saved.then(Vec::new),
            replanned: Vec::new(),
            results: Vec::new(),
            after_json: Default::default(),
            after_text: String::new(),
            markdown: (global.format == OutputFormat::Markdown).then(Report::default),
            by_cluster: None,
            heading: None,
        }
    }

    /// Whether a database failed (or was skipped), or a cluster could not be used.
    /// Databases the rollout deferred.
    pub fn deferred(&self) -> bool {
        self.tally.deferred > 0
    }

    pub fn failed(&self) -> bool {
        self.tally.failed > 0
            || self
                .by_cluster
                .as_ref()
                .is_some_and(ByCluster::any_cluster_failed)
    }

    /// With `[clusters]`: each cluster that failed, or where a database
    /// failed, in a few words (what stderr names when the run fails).
    pub fn cluster_failures(&self) -> Vec<String> {
        self.by_cluster
            .as_ref()
            .map_or(Vec::new(), |by| by.failures(|t| t.failed))
    }

    /// The summary; the run is over.
    pub fn finish(&mut self) {
        let Some(head) = self.head.take() else {
            return;
        };
        if let Some(mut report) = self.markdown.take() {
            report.rejected = head.rejected;
            report.discovery = head.discovery;
            report.read_path = head.read_path;
            report.warnings = head.warnings;
            report.applied = head.applied;
            report.clusters = head.clusters;
            output::stdout(&render::markdown::plan(&report));
            return;
        }
        let tail = render::json::tail_model(
            &head.rejected,
            head.discovery.as_ref(),
            &self.tally,
            self.by_cluster.as_ref(),
            head.applied,
        );
        output::stdout(&match self.format {
            OutputFormat::Text | OutputFormat::Markdown => {
                render::text::summary(
                    &tail,
                    head.applied.then_some(self.results.as_slice()),
                    self.style,
                ) + &self.after_text
            }
            OutputFormat::Json | OutputFormat::Jsonl => {
                let mut tail = render::json::tail_fields(&tail);
                tail.append(&mut self.after_json);
                self.json
                    .tail(tail, render::json::head(&head.warnings, head.read_path))
            }
        });
    }
}

impl Listener for Printer {
    fn start(&mut self, head: Head) {
        if !head.clusters.is_empty() {
            self.by_cluster = Some(ByCluster::new(&head.clusters));
        }
        self.tally.rejected = head.rejected.len();
        output::stdout(&match self.format {
            OutputFormat::Markdown => String::new(),
            OutputFormat::Text => {
                render::text::discovery(head.discovery.as_ref(), self.style)
                    + &render::text::rejected(&head.rejected, self.style)
            }
            OutputFormat::Json | OutputFormat::Jsonl => self
                .json
                .head(&render::json::head(&head.warnings, head.read_path)),
        });
        self.head = Some(head);
    }

    fn target(&mut self, report: TargetReport) {
        let applied = self.head.as_ref().is_some_and(|h| h.applied);
        self.tally.add(&report, applied);
        if let Some(by) = &mut self.by_cluster {
            by.of(report.cluster.as_deref()).add(&report, applied);
        }
        if let Some(saved) = &mut self.saved {
            saved.extend(saved_target(&report));
        }
        if let (Some(now), Some((collections, fingerprint))) = (&report.replanned, &report.read) {
            let mut saved = SavedTarget::new(now, collections.clone(), fingerprint.clone());
            saved.cluster = report.cluster.clone();
            self.replanned.push(saved);
        }
        if let Some(kept) = &mut self.markdown {
            kept.targets.push(report);
            return;
        }
        // Over clusters, a heading where a cluster's databases begin.
        let mut heading = String::new();
        if let (Some(head), OutputFormat::Text) = (&self.head, self.format) {
            let cluster = report.cluster.clone();
            if !head.clusters.is_empty() && self.heading.as_ref() != Some(&cluster) {
                heading =
                    render::text::cluster_heading(cluster.as_deref(), &head.clusters, self.style);
                self.heading = Some(cluster);
            }
        }
        // One model of the database: the JSON writes it, the text projects it.
        let clusters = self.by_cluster.is_some();
        let model = render::json::target_model(&report, applied, clusters);
        output::stdout(&match self.format {
            OutputFormat::Markdown => String::new(),
            OutputFormat::Text => heading + &render::text::target(&model, applied, self.style),
            OutputFormat::Json | OutputFormat::Jsonl => {
                self.json.target(&render::model::value(&model))
            }
        });
        if applied {
            self.results
                .push(render::text::result_line(&model, self.style));
        }
    }
}

/// Keeps the whole report (the plan to confirm before an apply).
#[derive(Default)]
pub struct Collector {
    pub report: Report,
}

impl Listener for Collector {
    fn start(&mut self, head: Head) {
        self.report.rejected = head.rejected;
        self.report.discovery = head.discovery;
        self.report.read_path = head.read_path;
        self.report.warnings = head.warnings;
        self.report.applied = head.applied;
        self.report.clusters = head.clusters;
    }

    fn target(&mut self, report: TargetReport) {
        self.report.targets.push(report);
    }
}

/// A database's plan with the fingerprint of what was read (and, with
/// `[clusters]`, its cluster), for `mig apply FILE`.
pub fn saved_target(t: &TargetReport) -> Option<SavedTarget> {
    let (collections, fingerprint) = t.read.clone()?;
    let mut saved = SavedTarget::new(t.plan.as_ref()?, collections, fingerprint);
    saved.cluster = t.cluster.clone();
    Some(saved)
}
