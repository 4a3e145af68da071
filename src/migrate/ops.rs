//! The steps of a migration as raw commands, so the same code runs inside a
//! transaction or not; every write is fenced by the run's lock.

use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use mongodb::{ClientSession, Database};

use super::runner::Runner;
use super::{Migration, MigrationError, Op, Update};
use crate::server::errors::Failure;

impl Runner<'_> {
    /// Runs a command, in the session if there is one; write errors become errors.
    async fn command(
        &self,
        db: &Database,
        command: Document,
        session: &mut Option<&mut ClientSession>,
    ) -> Result<Document, MigrationError> {
        self.fence()?;
        let reply = match session {
            Some(s) => db.run_command(command).session(&mut **s).await,
            None => db.run_command(command).await,
        }
        .map_err(|e| MigrationError::server(&e))?;
        if let Ok(errors) = reply.get_array("writeErrors") {
            let first = errors
                .first()
                .and_then(Bson::as_document)
                .cloned()
                .unwrap_or_default();
            let code = first.get_i32("code").unwrap_or(0);
            return Err(MigrationError::Server(Failure {
                code: Some(code),
                message: format!(
                    "write error {code}: {}",
                    first.get_str("errmsg").unwrap_or("?")
                ),
            }));
        }
        Ok(reply)
    }

    pub(super) async fn op(
        &self,
        m: &Migration,
        index: usize,
        op: &Op,
        session: Option<&mut ClientSession>,
        resume_after: Option<Bson>,
    ) -> Result<(), MigrationError> {
        let mut session = session;
        let db = &self.db;
        match op {
            Op::UpdateMany {
                collection,
                filter,
                update,
                batch_size: Some(size),
            } if session.is_none() => {
                self.batched_update(m, index, collection, filter, update, *size, resume_after)
                    .await
            }
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
                    Err(MigrationError::Server(f)) if f.code == Some(48) => {
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
                    Err(MigrationError::Server(f)) if f.code == Some(26) => Ok(()),
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
    ) -> Result<(), MigrationError> {
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
    ) -> Result<(), MigrationError> {
        let coll = self.db.collection::<Document>(collection);
        let total = coll
            .count_documents(filter.clone())
            .await
            .map_err(|e| MigrationError::server(&e))?;
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
            .map_err(|e| MigrationError::server(&e))?
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
}

fn update_bson(u: &Update) -> Bson {
    match u {
        Update::Document(d) => Bson::Document(d.clone()),
        Update::Pipeline(p) => Bson::Array(p.iter().cloned().map(Bson::Document).collect()),
    }
}
