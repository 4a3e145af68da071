//! The migration file format, as written in YAML or TOML; the source of
//! `schema/migration.schema.json`. Values inside steps are MongoDB Extended
//! JSON (documents may also be given as Extended JSON strings, as in manifests).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::manifest::file::DocValue;

/// A data migration: ordered steps to apply (`up`) and to revert (`down`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "mig migration")]
pub struct MigrationFile {
    pub description: String,
    /// Which databases it runs in.
    pub scope: MigrationScope,
    /// Run all `up` (or `down`) steps in one transaction (needs a replica set).
    #[serde(default)]
    pub transactional: bool,
    /// Allow `delete_many` and `drop_collection` steps.
    #[serde(default)]
    pub allow_destructive: bool,
    pub up: Vec<StepEntry>,
    #[serde(default)]
    pub down: Vec<StepEntry>,
}

/// A step as written: a one-key mapping `{update_many: {...}}`. serde_yaml
/// reads enums from YAML tags only, so the step goes through a JSON value,
/// whose enum form is the one-key mapping, in both YAML and TOML.
#[derive(Debug, Clone)]
pub struct StepEntry(pub Step);

impl<'de> Deserialize<'de> for StepEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        serde_json::from_value(value)
            .map(StepEntry)
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for StepEntry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Step::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Step::json_schema(generator)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum MigrationScope {
    Public,
    Tenant,
    Both,
}

impl MigrationScope {
    pub fn includes(self, scope: crate::model::Scope) -> bool {
        matches!(
            (self, scope),
            (MigrationScope::Both, _)
                | (MigrationScope::Public, crate::model::Scope::Public)
                | (MigrationScope::Tenant, crate::model::Scope::Tenant)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MigrationScope::Public => "public",
            MigrationScope::Tenant => "tenant",
            MigrationScope::Both => "both",
        }
    }
}

/// One step: a single key naming what it does.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    UpdateMany(UpdateStep),
    UpdateOne(UpdateStep),
    InsertMany(InsertMany),
    UpsertMany(UpsertMany),
    RenameCollection(RenameCollection),
    CreateCollection(CreateCollection),
    ModifyCollection(ModifyCollection),
    DeleteMany(DeleteMany),
    DropCollection(DropCollection),
    RunCommand(RunCommand),
    Precondition(Precondition),
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::UpdateMany(_) => "update_many",
            Step::UpdateOne(_) => "update_one",
            Step::InsertMany(_) => "insert_many",
            Step::UpsertMany(_) => "upsert_many",
            Step::RenameCollection(_) => "rename_collection",
            Step::CreateCollection(_) => "create_collection",
            Step::ModifyCollection(_) => "modify_collection",
            Step::DeleteMany(_) => "delete_many",
            Step::DropCollection(_) => "drop_collection",
            Step::RunCommand(_) => "run_command",
            Step::Precondition(_) => "precondition",
        }
    }

    pub fn destructive(&self) -> bool {
        matches!(self, Step::DeleteMany(_) | Step::DropCollection(_))
            || matches!(self, Step::RenameCollection(r) if r.drop_target)
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStep {
    pub collection: String,
    pub filter: DocValue,
    /// An update document (`{$set: …}`).
    pub update: Option<DocValue>,
    /// An aggregation pipeline update, instead of `update`.
    pub pipeline: Option<Vec<DocValue>>,
    /// update_many: update in batches of this many documents, by `_id` range,
    /// with progress; an interrupted run resumes where it stopped.
    pub batch_size: Option<u32>,
    /// update_one: insert when nothing matches.
    #[serde(default)]
    pub upsert: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsertMany {
    pub collection: String,
    pub documents: Vec<DocValue>,
}

/// Idempotent seeding: each document replaces (or inserts) the one with the same `key` fields.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsertMany {
    pub collection: String,
    pub key: Vec<String>,
    pub documents: Vec<DocValue>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameCollection {
    pub from: String,
    pub to: String,
    /// Replace an existing `to` collection (destructive).
    #[serde(default)]
    pub drop_target: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    pub name: String,
    pub validator: Option<DocValue>,
    #[serde(rename = "validationLevel")]
    pub validation_level: Option<String>,
    #[serde(rename = "validationAction")]
    pub validation_action: Option<String>,
    pub collation: Option<DocValue>,
    pub capped: Option<bool>,
    pub size: Option<i64>,
    pub max: Option<i64>,
    pub timeseries: Option<DocValue>,
    #[serde(rename = "clusteredIndex")]
    pub clustered_index: Option<DocValue>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyCollection {
    pub name: String,
    pub validator: Option<DocValue>,
    #[serde(rename = "validationLevel")]
    pub validation_level: Option<String>,
    #[serde(rename = "validationAction")]
    pub validation_action: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMany {
    pub collection: String,
    pub filter: DocValue,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DropCollection {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCommand {
    pub command: DocValue,
}

/// When false, the migration fails before doing anything, with the reason.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Precondition {
    CollectionExists(String),
    DocumentCount(DocumentCount),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentCount {
    pub collection: String,
    #[serde(default)]
    pub filter: Option<DocValue>,
    pub equals: Option<u64>,
    pub max: Option<u64>,
}
