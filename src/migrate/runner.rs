//! Runs migrations against one database and keeps its changelog, with the
//! run's lock held (every write is fenced). Steps run as raw commands so the
//! same code runs inside a transaction or not.

use std::time::Instant;

use bson::{doc, Bson, DateTime, Document};
use futures::TryStreamExt;
use mongodb::{ClientSession, Database};

use super::pending::{Entry, State};
use super::{Migration, Op, Update};
use crate::server::errors::{explain, Failure};
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
pub async fn read_changelog(db: &Database, collection: &str) -> Result<Vec<Entry>, String> {
    let docs: Vec<Document> = async {
        db.collection::<Document>(collection)
            .find(doc! {})
            .await?
            .try_collect()
            .await
    }
    .await
    .map_err(|e| {
        format!(
            "reading the changelog {}.{collection}: {}",
            db.name(),
            explain(&e)
        )
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
    pub async fn up(&self, m: &Migration, entry: Option<&Entry>) -> Result<(), String> {
        let checkpoint = entry
            .filter(|e| e.state == State::Running)
            .and_then(|e| e.checkpoint.clone());
        self.run(m, Direction::Up, checkpoint).await
    }

    /// Runs `m`'s `down` steps and records it as reverted.
    pub async fn down(&self, m: &Migration) -> Result<(), String> {
        self.run(m, Direction::Down, None).await
    }

    async fn run(
        &self,
        m: &Migration,
        direction: Direction,
        checkpoint: Option<Document>,
    ) -> Result<(), String> {
        let (ops, done) = match direction {
            Direction::Up => (&m.up, State::Applied),
            Direction::Down => (&m.down, State::Reverted),
        };
        if m.transactional && !self.transactions {
            let why = "transactional: true needs a deployment with transactions (a replica set); nothing was run".to_string();
            self.record(m, State::Failed, None, Some(&why)).await?;
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
                let e = format!("{}: {e}", m.id);
                let _ = self.record(m, State::Failed, Some(ms), Some(&e)).await;
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
    ) -> Result<(), String> {
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
                .map_err(|e| explain(&e))?;
            session.start_transaction().await.map_err(|e| explain(&e))?;
            for (i, op) in &actions {
                if let Err(e) = self.op(m, *i, op, Some(&mut session), None).await {
                    let _ = session.abort_transaction().await;
                    return Err(format!(
                        "step {} ({}), transaction rolled back: {e}",
                        i + 1,
                        op_name(op)
                    ));
                }
            }
            self.fence.check()?;
            return session.commit_transaction().await.map_err(|e| explain(&e));
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
            .map_err(|e| format!("step {} ({}): {e}", i + 1, op_name(op)))?;
        }
        Ok(())
    }

    async fn precondition(&self, op: &Op) -> Result<(), String> {
        match op {
            Op::CollectionExists(name) => {
                let names = self
                    .db
                    .list_collection_names()
                    .filter(doc! {"name": name})
                    .await
                    .map_err(|e| explain(&e))?;
                if names.is_empty() {
                    return Err(format!(
                        "precondition failed: collection {name} does not exist; nothing was run"
                    ));
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
                    .map_err(|e| explain(&e))?;
                let ok = equals.is_none_or(|e| n == e) && max.is_none_or(|m| n <= m);
                if !ok {
                    let want = equals
                        .map(|e| format!("= {e}"))
                        .or(max.map(|m| format!("<= {m}")))
                        .unwrap_or_default();
                    return Err(format!(
                        "precondition failed: {collection} has {n} matching document(s), expected {want}; nothing was run"
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs a command, in the session if there is one; write errors become errors.
    async fn command(
        &self,
        db: &Database,
        command: Document,
        session: &mut Option<&mut ClientSession>,
    ) -> Result<Document, Failure> {
        self.fence.check()?;
        let reply = match session {
            Some(s) => db.run_command(command).session(&mut **s).await,
            None => db.run_command(command).await,
        }
        .map_err(|e| Failure::of(&e))?;
        if let Ok(errors) = reply.get_array("writeErrors") {
            let first = errors
                .first()
                .and_then(Bson::as_document)
                .cloned()
                .unwrap_or_default();
            let code = first.get_i32("code").unwrap_or(0);
            return Err(Failure {
                code: Some(code),
                message: format!(
                    "write error {code}: {}",
                    first.get_str("errmsg").unwrap_or("?")
                ),
            });
        }
        Ok(reply)
    }

    async fn op(
        &self,
        m: &Migration,
        index: usize,
        op: &Op,
        session: Option<&mut ClientSession>,
        resume_after: Option<Bson>,
    ) -> Result<(), Failure> {
        let mut session = session;
        let db = &self.db;
        match op {
            Op::UpdateMany {
                collection,
                filter,
                update,
                batch_size: Some(size),
            } if session.is_none() => self
                .batched_update(m, index, collection, filter, update, *size, resume_after)
                .await
                .map_err(Failure::from),
            Op::UpdateMany {
                collection,
                filter,
                update,
                ..
            } => {
                self.update(collection, filter, update, true, false, &mut session)
                    .await
            }
            Op::UpdateOne {
                collection,
                filter,
                update,
                upsert,
            } => {
                self.update(collection, filter, update, false, *upsert, &mut session)
                    .await
            }
            Op::InsertMany {
                collection,
                documents,
            } => self
                .command(
                    db,
                    doc! {"insert": collection, "documents": documents.clone()},
                    &mut session,
                )
                .await
                .map(|_| ()),
            Op::UpsertMany {
                collection,
                key,
                documents,
            } => {
                let updates: Vec<Document> = documents
                    .iter()
                    .map(|d| {
                        let q: Document = key
                            .iter()
                            .map(|k| {
                                (
                                    k.clone(),
                                    crate::targets::get_path(d, k)
                                        .cloned()
                                        .unwrap_or(Bson::Null),
                                )
                            })
                            .collect();
                        let mut replacement = d.clone();
                        replacement.remove("_id");
                        doc! {"q": q, "u": replacement, "upsert": true, "multi": false}
                    })
                    .collect();
                self.command(
                    db,
                    doc! {"update": collection, "updates": updates},
                    &mut session,
                )
                .await
                .map(|_| ())
            }
            Op::RenameCollection {
                from,
                to,
                drop_target,
            } => {
                let admin = db.client().database("admin");
                let cmd = doc! {
                    "renameCollection": format!("{}.{from}", db.name()),
                    "to": format!("{}.{to}", db.name()),
                    "dropTarget": *drop_target,
                };
                self.command(&admin, cmd, &mut session).await.map(|_| ())
            }
            Op::CreateCollection { name, options } => {
                let mut cmd = doc! {"create": name};
                cmd.extend(options.clone());
                match self.command(db, cmd, &mut session).await {
                    // Already there (a re-run): the goal is reached when the options
                    // can be set; set them in place.
                    Err(f) if f.code == Some(48) => {
                        let settable: Document = options
                            .iter()
                            .filter(|(k, _)| {
                                ["validator", "validationLevel", "validationAction"]
                                    .contains(&k.as_str())
                            })
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        if settable.is_empty() {
                            return Ok(());
                        }
                        let mut cmd = doc! {"collMod": name};
                        cmd.extend(settable);
                        self.command(db, cmd, &mut session).await.map(|_| ())
                    }
                    other => other.map(|_| ()),
                }
            }
            Op::ModifyCollection { name, options } => {
                let mut cmd = doc! {"collMod": name};
                cmd.extend(options.clone());
                self.command(db, cmd, &mut session).await.map(|_| ())
            }
            Op::DeleteMany { collection, filter } => self
                .command(
                    db,
                    doc! {"delete": collection, "deletes": [{"q": filter.clone(), "limit": 0}]},
                    &mut session,
                )
                .await
                .map(|_| ()),
            Op::DropCollection { name } => {
                match self.command(db, doc! {"drop": name}, &mut session).await {
                    // Already gone (NamespaceNotFound).
                    Err(f) if f.code == Some(26) => Ok(()),
                    other => other.map(|_| ()),
                }
            }
            Op::RunCommand { command } => self
                .command(db, command.clone(), &mut session)
                .await
                .map(|_| ()),
            Op::CollectionExists(_) | Op::DocumentCount { .. } => Ok(()),
        }
    }

    async fn update(
        &self,
        collection: &str,
        filter: &Document,
        update: &Update,
        multi: bool,
        upsert: bool,
        session: &mut Option<&mut ClientSession>,
    ) -> Result<(), Failure> {
        let u =
            doc! {"q": filter.clone(), "u": update_bson(update), "multi": multi, "upsert": upsert};
        self.command(
            &self.db,
            doc! {"update": collection, "updates": [u]},
            session,
        )
        .await
        .map(|_| ())
    }

    /// Walks `_id` ranges so a large backfill never runs as one operation;
    /// checkpoints the last `_id` so an interrupted run resumes after it.
    #[allow(clippy::too_many_arguments)]
    async fn batched_update(
        &self,
        m: &Migration,
        index: usize,
        collection: &str,
        filter: &Document,
        update: &Update,
        size: u32,
        mut last: Option<Bson>,
    ) -> Result<(), String> {
        let coll = self.db.collection::<Document>(collection);
        let total = coll
            .count_documents(filter.clone())
            .await
            .map_err(|e| explain(&e))?;
        let mut done: u64 = 0;
        let mut none = None;
        loop {
            let mut range = vec![Bson::Document(filter.clone())];
            if let Some(l) = &last {
                range.push(Bson::Document(doc! {"_id": {"$gt": l.clone()}}));
            }
            let ids: Vec<Bson> = async {
                coll.find(doc! {"$and": range.clone()})
                    .projection(doc! {"_id": 1})
                    .sort(doc! {"_id": 1})
                    .limit(size as i64)
                    .await?
                    .try_collect::<Vec<Document>>()
                    .await
            }
            .await
            .map_err(|e| explain(&e))?
            .into_iter()
            .filter_map(|d| d.get("_id").cloned())
            .collect();
            let Some(next) = ids.last().cloned() else {
                break;
            };
            let q = doc! {"$and": [filter.clone(), {"_id": {"$in": ids.clone()}}]};
            let u = doc! {"q": q, "u": update_bson(update), "multi": true};
            self.command(
                &self.db,
                doc! {"update": collection, "updates": [u]},
                &mut none,
            )
            .await?;
            done += ids.len() as u64;
            last = Some(next.clone());
            self.checkpoint(m, index, &next).await?;
            (self.progress)(&format!(
                "{}: {} step {}: {done}/{total} document(s)",
                self.db.name(),
                m.id,
                index + 1
            ));
        }
        Ok(())
    }

    async fn checkpoint(&self, m: &Migration, step: usize, last_id: &Bson) -> Result<(), String> {
        self.fence.check()?;
        self.db
            .collection::<Document>(&self.changelog)
            .update_one(
                doc! {"_id": &m.id},
                doc! {"$set": {"checkpoint": {"step": step as i64, "last_id": last_id.clone()}}},
            )
            .await
            .map(|_| ())
            .map_err(|e| explain(&e))
    }

    /// Writes the migration's changelog entry.
    async fn record(
        &self,
        m: &Migration,
        state: State,
        duration_ms: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), String> {
        self.fence.check()?;
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
            .map_err(|e| format!("writing the changelog: {}", explain(&e)))
    }
}

fn update_bson(u: &Update) -> Bson {
    match u {
        Update::Document(d) => Bson::Document(d.clone()),
        Update::Pipeline(p) => Bson::Array(p.iter().cloned().map(Bson::Document).collect()),
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
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
