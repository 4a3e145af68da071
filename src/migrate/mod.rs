//! Versioned data migrations: files in `migrations/`, named
//! `<YYYYMMDDHHMMSS>_<name>.yaml|.toml`, run once per database in id order and
//! recorded in that database's changelog.
//!
//! - [`file`]: the format; `load.rs` loads and validates it into [`Migration`]s,
//!   and `template.rs` is the file `mig new` writes;
//! - [`api`]: what the rest of `mig` uses to run them: a database's changelog,
//!   what it needs (`pending`, pure), and a runner (`runner`, `ops`);
//! - [`MigrationError`]: why they could not run.

pub mod api;
mod error;
mod file;
mod load;
mod ops;
mod pending;
mod runner;
mod template;

use error::MigrationError;

use std::path::PathBuf;

use bson::Document;

use file::MigrationScope;

/// A migration file, read and checked; values are BSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The file stem: `20250101120000_backfill_status`; ids sort in run order.
    pub id: String,
    pub file: PathBuf,
    pub description: String,
    pub scope: MigrationScope,
    pub transactional: bool,
    /// sha256 of the file's parsed content: comments and layout don't count.
    pub checksum: String,
    pub up: Vec<Op>,
    pub down: Vec<Op>,
}

/// An update: a document of operators, or a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Document(Document),
    Pipeline(Vec<Document>),
}

/// One step, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    UpdateMany {
        collection: String,
        filter: Document,
        update: Update,
        batch_size: Option<u32>,
    },
    UpdateOne {
        collection: String,
        filter: Document,
        update: Update,
        upsert: bool,
    },
    InsertMany {
        collection: String,
        documents: Vec<Document>,
    },
    UpsertMany {
        collection: String,
        key: Vec<String>,
        documents: Vec<Document>,
    },
    RenameCollection {
        from: String,
        to: String,
        drop_target: bool,
    },
    CreateCollection {
        name: String,
        options: Document,
    },
    ModifyCollection {
        name: String,
        options: Document,
    },
    DeleteMany {
        collection: String,
        filter: Document,
    },
    DropCollection {
        name: String,
    },
    RunCommand {
        command: Document,
    },
    CollectionExists(String),
    DocumentCount {
        collection: String,
        filter: Document,
        equals: Option<u64>,
        max: Option<u64>,
    },
}

impl Op {
    /// The operation's name in the changelog and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::UpdateMany { .. } => "update_many",
            Op::UpdateOne { .. } => "update_one",
            Op::InsertMany { .. } => "insert_many",
            Op::UpsertMany { .. } => "upsert_many",
            Op::RenameCollection { .. } => "rename_collection",
            Op::CreateCollection { .. } => "create_collection",
            Op::ModifyCollection { .. } => "modify_collection",
            Op::DeleteMany { .. } => "delete_many",
            Op::DropCollection { .. } => "drop_collection",
            Op::RunCommand { .. } => "run_command",
            Op::CollectionExists(_) | Op::DocumentCount { .. } => "precondition",
        }
    }

    /// A short description for dry runs and progress.
    pub fn describe(&self) -> String {
        match self {
            Op::UpdateMany {
                collection,
                filter,
                batch_size,
                ..
            } => format!(
                "update_many {collection} where {}{}",
                json(filter),
                batch_size
                    .map(|b| format!(" in batches of {b}"))
                    .unwrap_or_default()
            ),
            Op::UpdateOne {
                collection, filter, ..
            } => format!("update_one {collection} where {}", json(filter)),
            Op::InsertMany {
                collection,
                documents,
            } => format!("insert_many {collection}: {} document(s)", documents.len()),
            Op::UpsertMany {
                collection,
                key,
                documents,
            } => format!(
                "upsert_many {collection} by {}: {} document(s)",
                key.join(", "),
                documents.len()
            ),
            Op::RenameCollection { from, to, .. } => format!("rename_collection {from} → {to}"),
            Op::CreateCollection { name, .. } => format!("create_collection {name}"),
            Op::ModifyCollection { name, .. } => format!("modify_collection {name}"),
            Op::DeleteMany { collection, filter } => {
                format!("delete_many {collection} where {}", json(filter))
            }
            Op::DropCollection { name } => format!("drop_collection {name}"),
            Op::RunCommand { command } => format!("run_command {}", json(command)),
            Op::CollectionExists(c) => format!("precondition: collection {c} exists"),
            Op::DocumentCount {
                collection,
                filter,
                equals,
                max,
            } => format!(
                "precondition: count of {collection} where {} {}",
                json(filter),
                match (equals, max) {
                    (Some(e), _) => format!("= {e}"),
                    (_, Some(m)) => format!("<= {m}"),
                    _ => String::new(),
                }
            ),
        }
    }
}

fn json(d: &Document) -> String {
    bson::Bson::Document(d.clone())
        .into_relaxed_extjson()
        .to_string()
}

#[cfg(test)]
mod tests;
