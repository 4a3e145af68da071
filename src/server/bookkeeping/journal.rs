//! Every step the executor runs is journaled in that database's
//! `mig` collection (`kind: "journal"`): written as `running` before the step and closed
//! with its outcome after, so a crash leaves a visible trace. `mig history`
//! reads it back.
//!
//! A step is recorded by the names saved plans and JSON give it: `step`, its
//! command (`createIndexes`, `dropIndexes`, `collMod`, `hide`, `create`),
//! and `why`, its place (`build`, `swap_drop`, `retire`, ...). Entries
//! written before `why` existed have a label in `step` (`drop (replaced)`,
//! `collMod (hide)`, ...) and no `why`: they are read back as they are.

use bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use futures::TryStreamExt;
use mongodb::Database;

use crate::plan::Step;
use crate::redact::scrub;
use crate::server::errors::ReadError;
use crate::server::retry::retry;

use crate::server::MIG_COLLECTION as JOURNAL_COLLECTION;

/// Writes one database's journal for one run.
#[derive(Clone)]
pub struct Journal {
    db: Database,
    run_id: String,
    command: String,
}

impl Journal {
    pub fn new(db: &Database, run_id: &str, command: &str) -> Journal {
        Journal {
            db: db.clone(),
            run_id: run_id.to_string(),
            command: command.to_string(),
        }
    }

    /// The journal is a log of what this process did, read after the fact:
    /// acknowledged by the primary alone, so it doesn't wait on the durability
    /// machinery at every step (the lock and the index commands do).
    fn collection(&self) -> mongodb::Collection<Document> {
        let ack = mongodb::options::WriteConcern::builder()
            .w(mongodb::options::Acknowledgment::Nodes(1))
            .journal(false)
            .build();
        self.db.collection_with_options::<Document>(
            JOURNAL_COLLECTION,
            mongodb::options::CollectionOptions::builder()
                .write_concern(ack)
                .build(),
        )
    }

    /// Records that `step` starts (by its command and its place, `why`). A `quick` step (an index build on a
    /// collection that doesn't exist yet: milliseconds) is written once, when
    /// it finishes, to spare a round trip; any other is written now as
    /// `running`, so a crash mid-step leaves a trace.
    pub async fn start(
        &self,
        step: &Step,
        collection: &str,
        index: &str,
        spec: Option<&Document>,
        quick: bool,
    ) -> Entry {
        let id = ObjectId::new();
        let entry = doc! {
            "_id": id,
            "kind": "journal",
            "run": &self.run_id,
            "command": &self.command,
            "host": gethostname::gethostname().to_string_lossy().into_owned(),
            "pid": std::process::id() as i64,
            "step": name(step.command.name()),
            "why": name(step.why),
            "collection": collection,
            "index": index,
            "spec": spec.cloned().map(Bson::Document).unwrap_or(Bson::Null),
            "startedAt": DateTime::now(),
            "outcome": "running",
        };
        if quick {
            return Entry::Unwritten(entry);
        }
        // The journal is a record, not a gate: a failure to write it is
        // logged. An insert that failed ambiguously and landed after all
        // answers a duplicate `_id` when sent again: it is written.
        let inserted = retry(&format!("journal of {}", self.db.name()), || async {
            match self.collection().insert_one(entry.clone()).await {
                Err(e) if crate::server::errors::code(&e) == Some(11000) => Ok(()),
                other => other.map(|_| ()),
            }
        })
        .await;
        match inserted {
            Ok(()) => Entry::Written(id),
            Err(e) => {
                tracing::warn!(database = %self.db.name(), "cannot write the journal: {}", crate::server::errors::explain(&e));
                Entry::Lost
            }
        }
    }

    /// Closes an entry with its outcome.
    pub async fn finish(&self, entry: Entry, error: Option<&str>) {
        let outcome = doc! {
            "endedAt": DateTime::now(),
            "outcome": if error.is_some() { "failed" } else { "ok" },
            "error": error.map(scrub).map(Bson::String).unwrap_or(Bson::Null),
        };
        // Sent again through a failover, so an entry isn't left `running`.
        let what = format!("journal of {}", self.db.name());
        let closed = match entry {
            Entry::Written(id) => {
                let journal = self.collection();
                retry(&what, || {
                    journal.update_one(doc! {"_id": id}, doc! {"$set": outcome.clone()})
                })
                .await
                .map(|_| ())
            }
            Entry::Unwritten(mut doc) => {
                doc.extend(outcome);
                retry(&what, || async {
                    match self.collection().insert_one(doc.clone()).await {
                        Err(e) if crate::server::errors::code(&e) == Some(11000) => Ok(()),
                        other => other.map(|_| ()),
                    }
                })
                .await
            }
            Entry::Lost => Ok(()),
        };
        if let Err(e) = closed {
            tracing::warn!(database = %self.db.name(), "cannot close a journal entry: {}", crate::server::errors::explain(&e));
        }
    }
}

/// A step's name as the journal stores it: its serde name, as in saved plans and JSON.
fn name(value: impl serde::Serialize) -> Bson {
    bson::to_bson(&value).unwrap_or(Bson::Null)
}

/// A journal entry for a step in progress.
pub enum Entry {
    Written(ObjectId),
    /// A quick step's entry, written when it finishes.
    Unwritten(Document),
    /// The journal could not be written.
    Lost,
}

/// The newest `limit` journal entries of `db`, newest first.
pub async fn history(db: &Database, limit: i64) -> Result<Vec<Document>, ReadError> {
    let cursor = db
        .collection::<Document>(JOURNAL_COLLECTION)
        .find(doc! {"kind": "journal"})
        .sort(doc! {"startedAt": -1, "_id": -1})
        .limit(limit)
        .await
        .map_err(|e| ReadError::server(&e))?;
    cursor
        .try_collect()
        .await
        .map_err(|e| ReadError::server(&e))
}
