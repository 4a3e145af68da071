//! Every JSON document a command prints, as one type ([`Document`]) whose
//! JSON Schema is `schema/report.schema.json`: the run report's model
//! (`model.rs`) and, here, the documents of the commands that are not runs
//! over databases: `list`, `validate`, `pull`, `init` and errors. Their
//! `Serialize` is the JSON printed.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::model::{
    DatabaseFailure, Discovery, DriftReport, LintReport, Problem, RunReport, StatusReport,
};

/// Every document a command prints with `--format json`: `plan`, `apply`
/// and the other runs, `status`, `drift`, `lint`, `list`, `validate`,
/// `pull`, `init`, and an error.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(title = "mig report")]
pub enum Document {
    Run(RunReport),
    Status(StatusReport),
    Drift(DriftReport),
    Lint(LintReport),
    List(ListDocument),
    Validate(ValidDocument),
    Pull(PullDocument),
    Init(InitDocument),
    Error(ErrorDocument),
}

/// `schema/report.schema.json`.
pub fn schema() -> String {
    let value = serde_json::to_value(schemars::schema_for!(Document)).unwrap_or_default();
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// `mig list --format json`.
#[derive(Serialize, JsonSchema)]
pub struct ListDocument {
    pub manifests: ListedScopes,
    pub migrations: Vec<ListedMigration>,
    /// The databases discovery found (empty when it failed: see `error`).
    pub targets: Vec<ListedTarget>,
    /// The names discovery skipped, and why.
    pub rejected: Vec<ListedRejected>,
    /// Why discovery could not look.
    pub error: Option<String>,
    /// Over `[clusters]` only: each cluster of the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<ListedCluster>>,
    /// Over `[clusters]` only: the tenants the routing refused, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_routed: Option<Vec<DatabaseFailure>>,
}

#[derive(Serialize, JsonSchema)]
pub struct ListedScopes {
    pub public: Vec<ListedCollection>,
    pub tenant: Vec<ListedCollection>,
}

/// A declared collection: its options (relaxed Extended JSON) and indexes.
#[derive(Serialize, JsonSchema)]
pub struct ListedCollection {
    pub name: String,
    pub options: Option<Value>,
    /// Each index as the server's spec, in relaxed Extended JSON.
    pub indexes: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct ListedMigration {
    pub id: String,
    pub scope: String,
    pub description: String,
    pub file: String,
}

#[derive(Serialize, JsonSchema)]
pub struct ListedTarget {
    pub database: String,
    pub scope: String,
    /// Over `[clusters]` only: its cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Option<String>>,
}

#[derive(Serialize, JsonSchema)]
pub struct ListedRejected {
    pub database: String,
    pub reason: String,
}

#[derive(Serialize, JsonSchema)]
pub struct ListedCluster {
    pub cluster: String,
    /// Redacted.
    pub uri: String,
    pub mongos: bool,
    pub error: Option<String>,
}

/// `mig validate --format json`, when everything is valid.
#[derive(Serialize, JsonSchema)]
pub struct ValidDocument {
    /// Always `true` here (an invalid run prints an [`ErrorDocument`]).
    pub valid: bool,
    /// Always empty here.
    pub problems: Vec<Problem>,
    pub files: usize,
    pub collections: usize,
    pub indexes: usize,
    pub migrations: usize,
    pub warnings: Vec<Problem>,
    /// What the dev server built, when one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev_server: Option<DevServer>,
}

#[derive(Serialize, JsonSchema)]
pub struct DevServer {
    pub version: String,
    pub built: usize,
}

/// What any command prints on stdout with `--format json` when it stops
/// with an error.
#[derive(Serialize, JsonSchema)]
pub struct ErrorDocument {
    pub error: ErrorBody,
    /// With problems in settings or manifests: `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    /// Each problem in settings or manifests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<Problem>>,
    /// No tenant found: how discovery went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
}

#[derive(Serialize, JsonSchema)]
pub struct ErrorBody {
    /// The failure's class, as the exit code is chosen (`config`,
    /// `manifest`, `unreachable`, ...).
    pub kind: String,
    pub message: String,
}

/// `mig pull --format json`.
#[derive(Serialize, JsonSchema)]
pub struct PullDocument {
    /// The share of the tenant databases an index must be on to be declared.
    pub threshold: f64,
    pub scopes: Vec<PulledScope>,
    /// The databases that could not be read, and why.
    pub failed: Vec<DatabaseFailure>,
    /// The databases with no collection at all.
    pub empty: Vec<String>,
    pub files: Vec<PulledFile>,
}

#[derive(Serialize, JsonSchema)]
pub struct PulledScope {
    pub scope: crate::model::Scope,
    /// The public database's name (public scope only).
    pub database: Option<String>,
    /// How many databases were read.
    pub databases: usize,
    pub collections: Vec<PulledCollection>,
}

#[derive(Serialize, JsonSchema)]
pub struct PulledCollection {
    pub name: String,
    /// On how many databases it exists.
    pub on: usize,
    /// Written as a collection of the manifest (else only a comment).
    pub declared: bool,
    /// The declared indexes, then those left out.
    pub indexes: Vec<PulledIndex>,
}

#[derive(Serialize, JsonSchema)]
pub struct PulledIndex {
    pub name: String,
    pub declared: bool,
    /// Why a left-out index is not declared.
    pub why_not: Option<String>,
    /// Databases with exactly this index.
    pub on: usize,
    /// Databases read.
    pub of: usize,
    /// Databases without an index of this name.
    pub missing: Vec<String>,
    /// Databases with an index of this name but another spec.
    pub different: Vec<String>,
    /// The most common form, as the server's spec in relaxed Extended JSON.
    pub spec: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct PulledFile {
    pub path: String,
    /// `created`, `unchanged`, `overwritten` or `refused`.
    pub status: String,
    /// Refused: the unified diff of what would change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// `mig init --format json`.
#[derive(Serialize, JsonSchema)]
pub struct InitDocument {
    /// The files written.
    pub created: Vec<String>,
    /// The files already there, left as they were.
    pub existing: Vec<String>,
    /// What was pulled from the server, when it could be reached.
    pub pull: Option<PullDocument>,
    /// Why nothing was pulled.
    pub note: Option<String>,
}
