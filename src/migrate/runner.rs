//! Runs migrations against one database and keeps its changelog, with the
//! run's lock held (every write is fenced). The steps themselves are in
//! [`super::ops`].

use std::time::Instant;

use bson::{doc, Bson, DateTime, Document};
use futures::TryStreamExt;
use mongodb::Database;

use super::pending::{Entry, State};
use super::{Migration, MigrationError, Op};
use crate::server::errors::Failure;
use crate::server::execute::Fence;

pub struct Runner<'a> {
    pub db: Database,
    pub changelog: String,
    pub fence: &'a dyn Fence,
    /// This run's batch number in this database.
    pub batch: i64,
    /// The deployment runs transactions (a replica set).
    pub transactions: bool,
    /// Progress lines for long batched steps.
    pub progress: &'a (dyn Fn(&str) + Send + Sync),
}

/// Reads a database's changelog.
pub async fn read_changelog(db: &Database, collection: &str) -> Result<Vec<Entry>, MigrationError> {
    let docs: Vec<Document> = async {
        db.collection::<Document>(collection)
            .find(doc! {})
            .await?
            .try_collect()
            .await
    }
    .await
    .map_err(|e| MigrationError::ReadChangelog {
        database: db.name().to_string(),
        collection: collection.to_string(),
        failure: Failure::of(&e),
    })?;
    Ok(docs
        .iter()
        .filter_map(|d| {
            Some(Entry {
                id: d.get_str("_id").ok()?.to_string(),
                checksum: d.get_str("checksum").unwrap_or_default().to_string(),
                state: State::parse(d.get_str("state").ok()?)?,
                batch: d.get_i64("batch").unwrap_or(0),
                applied_at: d.get_datetime("applied_at").ok().copied(),
                duration_ms: d.get_i64("duration_ms").ok(),
                error: d.get_str("error").ok().map(String::from),
                checkpoint: d.get_document("checkpoint").ok().cloned(),
            })
        })
        .collect())
}

/// The next batch number: one more than the highest recorded.
pub fn next_batch(log: &[Entry]) -> i64 {
    log.iter().map(|e| e.batch).max().unwrap_or(0) + 1
}

enum Direction {
    Up,
    Down,
}

impl Runner<'_> {
    /// Runs `m`'s `up` steps and records the outcome. `entry` is its changelog
    /// entry, if any (an interrupted run resumes from its checkpoint).
    pub async fn up(&self, m: &Migration, entry: Option<&Entry>) -> Result<(), MigrationError> {
        let checkpoint = entry
            .filter(|e| e.state == State::Running)
            .and_then(|e| e.checkpoint.clone());
        self.run(m, Direction::Up, checkpoint).await
    }

    /// Runs `m`'s `down` steps and records it as reverted.
    pub async fn down(&self, m: &Migration) -> Result<(), MigrationError> {
        self.run(m, Direction::Down, None).await
    }

    async fn run(
        &self,
        m: &Migration,
        direction: Direction,
        checkpoint: Option<Document>,
    ) -> Result<(), MigrationError> {
        let (ops, done) = match direction {
            Direction::Up => (&m.up, State::Applied),
            Direction::Down => (&m.down, State::Reverted),
        };
        if m.transactional && !self.transactions {
            let why = MigrationError::NoTransactions;
            self.record(m, State::Failed, None, Some(&why.to_string()))
                .await?;
            return Err(why);
        }
        self.record(m, State::Running, None, None).await?;
        let started = Instant::now();
        let result = self.steps(m, ops, checkpoint).await;
        let ms = started.elapsed().as_millis() as i64;
        match result {
            Ok(()) => {
                self.record(m, done, Some(ms), None).await?;
                Ok(())
            }
            Err(e) => {
                let e = MigrationError::Failed {
                    id: m.id.clone(),
                    source: Box::new(e),
                };
                let _ = self
                    .record(m, State::Failed, Some(ms), Some(&e.to_string()))
                    .await;
                Err(e)
            }
        }
    }

    /// Preconditions first (a false one fails before anything is done), then the steps.
    async fn steps(
        &self,
        m: &Migration,
        ops: &[Op],
        checkpoint: Option<Document>,
    ) -> Result<(), MigrationError> {
        for op in ops
            .iter()
            .filter(|o| matches!(o, Op::CollectionExists(_) | Op::DocumentCount { .. }))
        {
            self.precondition(op).await?;
        }
        let actions: Vec<(usize, &Op)> = ops
            .iter()
            .enumerate()
            .filter(|(_, o)| !matches!(o, Op::CollectionExists(_) | Op::DocumentCount { .. }))
            .collect();
        if m.transactional {
            let mut session = self
                .db
                .client()
                .start_session()
                .await
                .map_err(|e| MigrationError::server(&e))?;
            session
                .start_transaction()
                .await
                .map_err(|e| MigrationError::server(&e))?;
            for (i, op) in &actions {
                if let Err(e) = self.op(m, *i, op, Some(&mut session), None).await {
                    let _ = session.abort_transaction().await;
                    return Err(MigrationError::RolledBack {
                        number: i + 1,
                        name: op.name(),
                        source: Box::new(e),
                    });
                }
            }
            self.fence()?;
            return session
                .commit_transaction()
                .await
                .map_err(|e| MigrationError::server(&e));
        }
        for (i, op) in actions {
            // Resume an interrupted batched step where it stopped; skip the steps before it.
            let resume = checkpoint
                .as_ref()
                .filter(|c| c.get_i64("step").ok() == Some(i as i64));
            if let Some(c) = &checkpoint {
                if c.get_i64("step").map(|s| (i as i64) < s).unwrap_or(false) {
                    continue;
                }
            }
            self.op(
                m,
                i,
                op,
                None,
                resume.and_then(|c| c.get("last_id").cloned()),
            )
            .await
            .map_err(|e| MigrationError::Step {
                number: i + 1,
                name: op.name(),
                source: Box::new(e),
            })?;
        }
        Ok(())
    }

    async fn precondition(&self, op: &Op) -> Result<(), MigrationError> {
        match op {
            Op::CollectionExists(name) => {
                let names = self
                    .db
                    .list_collection_names()
                    .filter(doc! {"name": name})
                    .await
                    .map_err(|e| MigrationError::server(&e))?;
                if names.is_empty() {
                    return Err(MigrationError::NoCollection(name.clone()));
                }
            }
            Op::DocumentCount {
                collection,
                filter,
                equals,
                max,
            } => {
                let n = self
                    .db
                    .collection::<Document>(collection)
                    .count_documents(filter.clone())
                    .await
                    .map_err(|e| MigrationError::server(&e))?;
                let ok = equals.is_none_or(|e| n == e) && max.is_none_or(|m| n <= m);
                if !ok {
                    let want = equals
                        .map(|e| format!("= {e}"))
                        .or(max.map(|m| format!("<= {m}")))
                        .unwrap_or_default();
                    return Err(MigrationError::Count {
                        collection: collection.clone(),
                        count: n,
                        expected: want,
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The fence: `Err` when the run's lock may be lost, so no write follows.
    pub(super) fn fence(&self) -> Result<(), MigrationError> {
        self.fence.check().map_err(MigrationError::Fenced)
    }

    pub(super) async fn checkpoint(
        &self,
        m: &Migration,
        step: usize,
        last_id: &Bson,
    ) -> Result<(), MigrationError> {
        self.fence()?;
        self.db
            .collection::<Document>(&self.changelog)
            .update_one(
                doc! {"_id": &m.id},
                doc! {"$set": {"checkpoint": {"step": step as i64, "last_id": last_id.clone()}}},
            )
            .await
            .map(|_| ())
            .map_err(|e| MigrationError::server(&e))
    }

    /// Writes the migration's changelog entry.
    async fn record(
        &self,
        m: &Migration,
        state: State,
        duration_ms: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), MigrationError> {
        self.fence()?;
        let mut set = doc! {
            "checksum": &m.checksum,
            "scope": m.scope.as_str(),
            "description": &m.description,
            "state": state.as_str(),
            "batch": self.batch,
            "mig_version": env!("CARGO_PKG_VERSION"),
            "error": error.map(crate::redact::scrub).map(Bson::String).unwrap_or(Bson::Null),
        };
        match state {
            State::Running => {
                set.insert("started_at", DateTime::now());
            }
            State::Applied => {
                set.insert("applied_at", DateTime::now());
            }
            State::Reverted => {
                set.insert("reverted_at", DateTime::now());
            }
            State::Failed => {}
        }
        if let Some(ms) = duration_ms {
            set.insert("duration_ms", ms);
        }
        let mut update = doc! {"$set": set};
        if state != State::Running && state != State::Failed {
            update.insert("$unset", doc! {"checkpoint": ""});
        }
        self.db
            .collection::<Document>(&self.changelog)
            .update_one(doc! {"_id": &m.id}, update)
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(|e| MigrationError::WriteChangelog(Failure::of(&e)))
    }
}
