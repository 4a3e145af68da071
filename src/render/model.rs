//! The JSON report as one model: the types `--format json` and `jsonl`
//! write out (serde); with the other commands' documents, their JSON Schema
//! is `schema/report.schema.json` (`documents::schema`, written by `mig schema`). The README's JSON section is the contract: a
//! field is only ever added. Field order here is the order printed.
//!
//! BSON documents (index specs, collection options) are relaxed Extended
//! JSON: typed as any JSON value.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::plan::{Action, CommandName, IfRefused, Why};
use crate::run::{DeferralKind, MigrationStatus};

fn is_false(b: &bool) -> bool {
    !*b
}

/// `plan`, `apply`, `sync-indexes`, `down`: the fields before the
/// databases, each database, then the summary.
#[derive(Serialize, JsonSchema)]
pub struct RunReport {
    #[serde(flatten)]
    pub head: Head,
    pub targets: Vec<Target>,
    #[serde(flatten)]
    pub tail: Tail,
}

/// The fields before `targets`.
#[derive(Serialize, JsonSchema)]
pub struct Head {
    pub warnings: Vec<Problem>,
    /// How live indexes were read: `listCatalog` or `listIndexes`.
    pub read_path: Option<ReadPathName>,
}

#[derive(Clone, Copy, Serialize, JsonSchema)]
pub enum ReadPathName {
    #[serde(rename = "listCatalog")]
    ListCatalog,
    #[serde(rename = "listIndexes")]
    ListIndexes,
}

/// A problem (or warning) in a file the user wrote.
#[derive(Serialize, JsonSchema)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    pub message: String,
}

/// One database of a run.
#[derive(Serialize, JsonSchema)]
pub struct Target {
    pub database: String,
    pub scope: String,
    /// Over `[clusters]` only: its cluster (`null`: the routing refused it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Option<String>>,
    /// When it was read and planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Step>>,
    pub changes: Vec<Change>,
    pub migrations: Vec<Migration>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    pub unmanaged: Vec<Unmanaged>,
    pub status: TargetStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<String>,
    /// Beside `deferred`, its cause in one word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred_kind: Option<DeferralKind>,
    /// Read again after its migrations, it planned other index steps: those
    /// (not run), beside the plan shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replanned: Option<Replanned>,
    pub outcome: String,
    /// The outcome in a few words, for a line beside a report that already
    /// says why (the Result list after an apply, a progress line, the
    /// markdown table): each fact is told once.
    pub brief: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    Skipped,
    Failed,
    Deferred,
    Unchanged,
    Applied,
    Pending,
}

#[derive(Serialize, JsonSchema)]
pub struct Replanned {
    pub steps: Vec<Step>,
    pub changes: Vec<Change>,
    /// The live indexes no manifest declares, as read again.
    pub unmanaged: Vec<Unmanaged>,
}

/// One step of a database's plan; after an apply, with how it went.
#[derive(Clone, Serialize, JsonSchema)]
pub struct Step {
    pub n: usize,
    /// `null` for a step about no one collection (a migration, the re-read).
    pub collection: Option<String>,
    pub command: SentCommand,
    pub action: Option<Action>,
    pub index: String,
    pub indexes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    pub serves: Vec<String>,
    pub why: Why,
    pub explain: String,
    /// What is done where the server refuses the step, as the plan decided:
    /// `each_on_its_own` (a batch of builds: each index on its own) or
    /// `gone_is_done` (a drop of an index already gone); absent: it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_refused: Option<IfRefused>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<bool>,
    #[serde(skip_serializing_if = "is_false", default)]
    pub deferred: bool,
    /// The step in one line, as the text shows it: the server command and
    /// what it is about (`createIndexes a_1, b_1`, `migration ID`).
    pub line: String,
}

/// A step's command as sent to the server: [`CommandName::sent`], so a hide
/// is a `collMod` here (its `action` says `hide`). Its schema lists only the
/// names sent, drawn from [`CommandName::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SentCommand(CommandName);

impl SentCommand {
    pub fn of(name: CommandName) -> SentCommand {
        SentCommand(name.sent())
    }

    pub fn name(self) -> CommandName {
        self.0
    }
}

impl JsonSchema for SentCommand {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SentCommand".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut sent: Vec<String> = Vec::new();
        for name in CommandName::ALL.map(|c| c.sent().to_string()) {
            if !sent.contains(&name) {
                sent.push(name);
            }
        }
        schemars::json_schema!({
            "description": "The command sent to the server (a hide is a `collMod`).",
            "type": "string",
            "enum": sent,
        })
    }
}

/// One change of a database's plan.
#[derive(Clone, Serialize, JsonSchema)]
pub struct Change {
    pub collection: String,
    pub action: Action,
    pub index: Option<String>,
    pub desired: Option<Value>,
    pub live: Option<Value>,
    pub differences: Vec<String>,
    pub creates_collection: bool,
    pub gap: bool,
    pub blocked: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_from_preflight: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "is_false", default)]
    pub refused: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<ChangeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The steps that carry it out, by their `n`.
    pub steps: Vec<usize>,
    /// A change to a view (creating it, or its definition).
    pub view: bool,
    /// What the change does, in words, as the text shows it after its name:
    /// the index on one line (a create, a drop), or how it is made.
    pub what: String,
    /// A modify or a replace: the live index in the declaration's terms (not
    /// the server's rewritten form) against the declared one, both without
    /// the fields the server assigns; the text shows them as a diff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<SpecDiff>,
    /// After an apply: whether every step of it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// After an apply: why it failed (`null` when it did not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Option<String>>,
}

/// An index as it is live and as it is declared, in the same terms.
#[derive(Clone, Serialize, JsonSchema)]
pub struct SpecDiff {
    /// The live index, in the declaration's terms.
    pub live: Value,
    /// The declared index.
    pub declared: Value,
}

/// A collection's own options: created with (a document), or changed.
#[derive(Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ChangeOptions {
    Created(Value),
    Changed(Vec<OptionChange>),
}

#[derive(Clone, Serialize, JsonSchema)]
pub struct OptionChange {
    pub option: String,
    pub declared: Option<Value>,
    pub live: Option<Value>,
    pub in_place: bool,
    pub reason: Option<String>,
}

#[derive(Clone, Serialize, JsonSchema)]
pub struct Impact {
    pub documents: u64,
    pub bytes: u64,
    pub seconds: Option<f64>,
}

#[derive(Clone, Serialize, JsonSchema)]
pub struct Usage {
    pub ops: i64,
    pub since: Option<String>,
}

/// A data migration in one database.
#[derive(Serialize, JsonSchema)]
pub struct Migration {
    pub id: String,
    pub description: String,
    pub status: MigrationStatus,
    pub error: Option<String>,
    pub steps: Vec<String>,
}

/// A live index no manifest declares.
#[derive(Serialize, JsonSchema)]
pub struct Unmanaged {
    pub collection: String,
    pub index: String,
    pub live: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalent_to: Option<String>,
    #[serde(skip_serializing_if = "is_false", default)]
    pub protected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring: Option<Retiring>,
}

#[derive(Serialize, JsonSchema)]
pub struct Retiring {
    pub hidden_at: Option<String>,
    pub drops_after: Option<String>,
}

/// The fields after `targets`.
#[derive(Serialize, JsonSchema)]
pub struct Tail {
    pub rejected: Vec<Rejected>,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<Cluster<RunCounts>>>,
}

/// A name discovery left out, and why.
#[derive(Serialize, JsonSchema)]
pub struct Rejected {
    pub database: String,
    pub reason: String,
}

/// A run's counts.
#[derive(Serialize, JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub drop: usize,
    pub modify: usize,
    pub replace: usize,
    pub hide: usize,
    pub manual: usize,
    pub blocked: usize,
    pub skipped: usize,
    pub deferred: usize,
    pub impact: FleetImpact,
    pub unmanaged: usize,
    pub databases: usize,
    pub failed: usize,
    pub failed_steps: usize,
    pub migrations_pending: usize,
    pub migrations_applied: usize,
    /// Databases with changes to apply (a plan) or changes applied (an apply).
    pub changed: usize,
    /// Of `unmanaged`, those no manifest protects: a database with one is
    /// not in sync (what `drift` calls extra).
    pub unmanaged_unprotected: usize,
    pub migrations_to_revert: usize,
    pub migrations_reverted: usize,
    pub migrations_failed: usize,
}

impl Summary {
    /// Migration runs with this status.
    pub fn migration_runs(&self, status: MigrationStatus) -> usize {
        match status {
            MigrationStatus::Pending => self.migrations_pending,
            MigrationStatus::Applied => self.migrations_applied,
            MigrationStatus::ToRevert => self.migrations_to_revert,
            MigrationStatus::Reverted => self.migrations_reverted,
            MigrationStatus::Failed => self.migrations_failed,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct FleetImpact {
    pub builds: usize,
    pub documents: u64,
    pub bytes: u64,
    pub seconds: Option<f64>,
}

/// How tenant discovery went.
#[derive(Serialize, JsonSchema)]
pub struct Discovery {
    pub source: String,
    pub looked_at: String,
    pub read: usize,
    pub matched: Option<usize>,
    pub skipped: usize,
    pub skipped_why: Vec<SkippedWhy>,
    pub excluded: usize,
    pub tenants: usize,
    pub allow_empty: bool,
    pub line: String,
}

#[derive(Serialize, JsonSchema)]
pub struct SkippedWhy {
    pub reason: String,
    pub count: usize,
}

/// A cluster of a run over `[clusters]` with its counts, or (`cluster`
/// `null`) the tenants the routing refused.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Cluster_{C}")]
pub enum Cluster<C> {
    Cluster {
        cluster: String,
        uri: String,
        read_path: Option<ReadPathName>,
        mongos: bool,
        #[serde(flatten)]
        counts: C,
        error: Option<String>,
    },
    Refused {
        cluster: (),
        refused: usize,
        #[serde(flatten)]
        counts: C,
    },
}

/// A cluster's counts in a plan (`pending`) or an apply (`applied`).
#[derive(Serialize, JsonSchema)]
pub struct RunCounts {
    pub databases: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<usize>,
    pub failed: usize,
}

/// A cluster's counts in `mig status`.
#[derive(Serialize, JsonSchema)]
pub struct StatusCounts {
    pub databases: usize,
    pub migrated: usize,
    pub behind: usize,
    pub failed: usize,
}

/// A cluster's counts in `mig drift`.
#[derive(Serialize, JsonSchema)]
pub struct DriftCounts {
    pub databases: usize,
    pub in_sync: usize,
    pub drifted: usize,
    pub failed: usize,
}

/// `mig status`.
#[derive(Serialize, JsonSchema)]
pub struct StatusReport {
    pub databases: Vec<StatusDatabase>,
    #[serde(flatten)]
    pub tail: StatusTail,
}

/// `mig status`'s fields after `databases`.
#[derive(Serialize, JsonSchema)]
pub struct StatusTail {
    pub summary: StatusCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<Paused>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<Cluster<StatusCounts>>>,
}

/// One database of `mig status`.
#[derive(Serialize, JsonSchema)]
pub struct StatusDatabase {
    pub database: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Option<String>>,
    pub status: super::DatabaseStatus,
    pub error: Option<String>,
    /// The changes pending, to indexes and to collections alike.
    pub index_changes: usize,
    /// Of `index_changes`, those to a collection's own options or a view.
    pub collection_changes: usize,
    /// Its indexes were read (`false`: see `error`).
    pub indexes_read: bool,
    pub indexes_clean: bool,
    pub warnings: Vec<String>,
    pub migrations: Vec<StatusMigration>,
}

#[derive(Serialize, JsonSchema)]
pub struct StatusMigration {
    pub id: String,
    pub state: super::RowState,
    pub batch: Option<i64>,
    pub applied_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
}

/// Rollouts paused.
#[derive(Serialize, JsonSchema)]
pub struct Paused {
    pub by: String,
    pub since: Option<String>,
}

/// `mig drift`.
#[derive(Serialize, JsonSchema)]
pub struct DriftReport {
    pub groups: Vec<DriftGroup>,
    pub failed: Vec<DatabaseFailure>,
    pub rejected: Vec<Rejected>,
    pub summary: DriftSummary,
    pub samples_kept: usize,
    pub read_path: Option<ReadPathName>,
    pub warnings: Vec<Problem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<Cluster<DriftCounts>>>,
}

#[derive(Serialize, JsonSchema)]
pub struct DriftGroup {
    pub count: usize,
    pub in_sync: bool,
    pub deviations: Vec<Deviation>,
    pub samples: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct Deviation {
    pub kind: String,
    pub collection: String,
    pub index: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differences: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_name: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct DatabaseFailure {
    pub database: String,
    pub error: String,
}

#[derive(Serialize, JsonSchema)]
pub struct DriftSummary {
    pub databases: usize,
    pub in_sync: usize,
    pub drifted: usize,
    pub groups: usize,
    pub failed: usize,
}

/// `mig lint`.
#[derive(Serialize, JsonSchema)]
pub struct LintReport {
    pub findings: Vec<LintFinding>,
    pub summary: LintSummary,
    pub live: bool,
    pub unread: Vec<DatabaseFailure>,
}

#[derive(Serialize, JsonSchema)]
pub struct LintFinding {
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub collection: String,
    pub index: String,
    pub message: String,
}

#[derive(Serialize, JsonSchema)]
pub struct LintSummary {
    pub errors: usize,
    pub warnings: usize,
}

/// A model as the JSON value printed.
pub fn value(model: &impl Serialize) -> Value {
    serde_json::to_value(model).unwrap_or(Value::Null)
}
