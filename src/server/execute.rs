//! Applies a database's plan, collection by collection, in an order that keeps
//! indexes in place as long as it can:
//! 1. in-place changes (`collMod`: TTL, hidden, unique conversion);
//! 2. the drops of replacements that can't coexist with their new form, then
//!    one `createIndexes` (one collection scan) with every new index, the
//!    temporary twins of the other replacements, and the rebuilt ones;
//! 3. for each replacement with a temporary twin: drop the old index, build
//!    the final one, drop the twin: the collection is covered all along;
//! 4. hides and drops.
//!
//! Every write is fenced by the run's lock and journaled. A failed step is
//! reported and the rest go on, so a run leaves a database as it was or further
//! along, and the next run converges.

use bson::{doc, Bson, Document};
use mongodb::Database;

use super::errors::Failure;
use super::inspect::record_retiring;
use super::journal::Journal;
use super::preflight::refusal;
use crate::plan::{Action, Change, DatabasePlan, TEMP_SUFFIX};
use crate::progress::Progress;

/// What happened to one change.
#[derive(Clone, Debug, PartialEq)]
pub struct StepResult {
    pub collection: String,
    pub action: Action,
    pub index: String,
    pub error: Option<String>,
}

/// Checked before every write: `Err` stops the run before it writes.
pub trait Fence: Send + Sync {
    fn check(&self) -> Result<(), String>;
}

impl Fence for super::lock::Lock {
    fn check(&self) -> Result<(), String> {
        super::lock::Lock::check(self).map_err(|e| e.to_string())
    }
}

pub struct Executor<'a> {
    pub db: Database,
    pub fence: &'a dyn Fence,
    pub journal: Option<Journal>,
    /// `commitQuorum` passed to `createIndexes` as given.
    pub commit_quorum: Option<Bson>,
    pub progress: Option<&'a Progress>,
}

impl Executor<'_> {
    /// Applies every change of `plan` that the preflight didn't block.
    pub async fn apply(&self, plan: &DatabasePlan) -> Vec<StepResult> {
        let mut results = Vec::new();
        let mut collections: Vec<&str> =
            plan.changes.iter().map(|c| c.collection.as_str()).collect();
        collections.dedup();
        for collection in collections {
            let changes: Vec<&Change> = plan
                .changes
                .iter()
                .filter(|c| c.collection == collection)
                .collect();
            results.extend(self.apply_collection(collection, &changes).await);
        }
        results
    }

    async fn apply_collection(&self, collection: &str, changes: &[&Change]) -> Vec<StepResult> {
        let mut errors: Vec<Option<String>> = changes.iter().map(|c| refusal(c)).collect();
        let pending = |errors: &Vec<Option<String>>, i: usize| errors[i].is_none();

        // 1. In place.
        for (i, change) in changes.iter().enumerate() {
            if change.action == Action::Modify && pending(&errors, i) {
                errors[i] = self.modify(collection, change).await.err();
            }
        }
        // 2. Gap drops, then one build of everything new.
        for (i, change) in changes.iter().enumerate() {
            if change.action == Action::Replace && change.gap && pending(&errors, i) {
                let old = change
                    .live
                    .as_ref()
                    .map(|l| l.name.as_str())
                    .unwrap_or(&change.index);
                if let Err(e) = self.drop_index(collection, old, "drop (replaced)").await {
                    errors[i] = Some(format!("dropping {old:?} before rebuilding it: {e}"));
                }
            }
        }
        let mut builds: Vec<(usize, Document)> = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            if !pending(&errors, i) {
                continue;
            }
            let spec = match change.action {
                Action::Create => change.desired.as_ref().map(|d| d.to_document()),
                Action::Replace if change.gap => change.desired.as_ref().map(|d| d.to_document()),
                Action::Replace => change.temporary().map(|t| t.to_document()),
                _ => None,
            };
            if let Some(spec) = spec {
                builds.push((i, spec));
            }
        }
        for (i, error) in self.build(collection, &builds, changes).await {
            errors[i] = error;
        }
        // 3. Replacements with a temporary twin: the old goes only once the twin stands.
        let swaps: Vec<usize> = (0..changes.len())
            .filter(|&i| {
                changes[i].action == Action::Replace && !changes[i].gap && pending(&errors, i)
            })
            .collect();
        let mut finals = Vec::new();
        for &i in &swaps {
            let old = changes[i]
                .live
                .as_ref()
                .map(|l| l.name.clone())
                .unwrap_or_default();
            match self.drop_index(collection, &old, "drop (replaced)").await {
                Ok(()) => finals.push((
                    i,
                    changes[i]
                        .desired
                        .as_ref()
                        .map(|d| d.to_document())
                        .unwrap_or_default(),
                )),
                Err(e) => errors[i] = Some(format!("dropping the old {old:?}: {e}")),
            }
        }
        for (i, error) in self.build(collection, &finals, changes).await {
            errors[i] = error;
        }
        for &i in &swaps {
            if pending(&errors, i) {
                let temp = format!("{}{TEMP_SUFFIX}", changes[i].index);
                errors[i] = self
                    .drop_index(collection, &temp, "drop (temporary)")
                    .await
                    .err();
            }
        }
        // 4. Hides and drops, last.
        let failed_builds: Vec<&str> = changes
            .iter()
            .zip(&errors)
            .filter(|(c, e)| e.is_some() && matches!(c.action, Action::Create | Action::Replace))
            .map(|(c, _)| c.index.as_str())
            .collect();
        for (i, change) in changes.iter().enumerate() {
            if !pending(&errors, i) {
                continue;
            }
            match change.action {
                Action::Hide => errors[i] = self.hide(collection, &change.index).await.err(),
                Action::Drop => {
                    // A temporary twin keeps covering while its final index is missing.
                    let base = change.index.strip_suffix(TEMP_SUFFIX);
                    if base.is_some_and(|b| failed_builds.contains(&b)) {
                        continue;
                    }
                    errors[i] = self
                        .drop_index(collection, &change.index, "drop")
                        .await
                        .err();
                    if errors[i].is_none() && change.live.as_ref().is_some_and(|l| l.hidden) {
                        let _ = record_retiring(&self.db, collection, &change.index, false).await;
                    }
                }
                _ => {}
            }
        }
        changes
            .iter()
            .zip(errors)
            .map(|(c, error)| StepResult {
                collection: collection.to_string(),
                action: c.action,
                index: c.index.clone(),
                error,
            })
            .collect()
    }

    /// Runs one write, fenced and journaled.
    async fn write(
        &self,
        step: &str,
        collection: &str,
        index: &str,
        spec: Option<&Document>,
        command: Document,
        quick: bool,
    ) -> Result<Document, Failure> {
        self.fence.check()?;
        let entry = match &self.journal {
            Some(j) => Some(j.start(step, collection, index, spec, quick).await),
            None => None,
        };
        let ns = format!("{}.{collection}", self.db.name());
        let run = self.db.run_command(command);
        let result = match (self.progress, step.starts_with("create")) {
            (Some(p), true) => p.watch_build(&self.db, &ns, run).await,
            _ => run.await,
        };
        let result = result.map_err(|e| Failure::of(&e));
        if let (Some(j), Some(entry)) = (&self.journal, entry) {
            j.finish(entry, result.as_ref().err().map(|f| f.message.as_str()))
                .await;
        }
        result
    }

    async fn modify(&self, collection: &str, change: &Change) -> Result<(), String> {
        let m = change.modification.clone().unwrap_or_default();
        let mut steps: Vec<Document> = Vec::new();
        if let Some(ttl) = m.expire_after_seconds {
            steps.push(doc! {"name": &change.index, "expireAfterSeconds": ttl});
        }
        if let Some(hidden) = m.hidden {
            steps.push(doc! {"name": &change.index, "hidden": hidden});
        }
        if m.unique {
            // New duplicates are refused from here on, then the index is checked and converted.
            steps.push(doc! {"name": &change.index, "prepareUnique": true});
            steps.push(doc! {"name": &change.index, "unique": true});
        }
        for index in steps {
            let spec = index.clone();
            self.write(
                "collMod",
                collection,
                &change.index,
                Some(&spec),
                doc! {"collMod": collection, "index": index},
                false,
            )
            .await?;
        }
        Ok(())
    }

    async fn hide(&self, collection: &str, index: &str) -> Result<(), String> {
        let command = doc! {"collMod": collection, "index": {"name": index, "hidden": true}};
        self.write("collMod (hide)", collection, index, None, command, false)
            .await?;
        record_retiring(&self.db, collection, index, true)
            .await
            .map_err(String::from)
    }

    async fn drop_index(&self, collection: &str, name: &str, step: &str) -> Result<(), String> {
        match self
            .write(
                step,
                collection,
                name,
                None,
                doc! {"dropIndexes": collection, "index": name},
                false,
            )
            .await
        {
            Ok(_) => Ok(()),
            // Already gone (IndexNotFound): the goal of a drop is reached.
            Err(f) if f.code == Some(27) => Ok(()),
            Err(f) => Err(f.message),
        }
    }

    /// One `createIndexes` for all `specs`; if it fails, each on its own, so
    /// one bad index doesn't hold back the rest. Returns an error per change.
    async fn build(
        &self,
        collection: &str,
        specs: &[(usize, Document)],
        changes: &[&Change],
    ) -> Vec<(usize, Option<String>)> {
        if specs.is_empty() {
            return Vec::new();
        }
        let expect_new = specs.iter().all(|(i, _)| changes[*i].creates_collection);
        let all: Vec<Document> = specs.iter().map(|(_, s)| s.clone()).collect();
        match self.create_indexes(collection, all, expect_new).await {
            Ok(()) => specs.iter().map(|(i, _)| (*i, None)).collect(),
            Err(e) if specs.len() == 1 => vec![(specs[0].0, Some(e))],
            Err(_) => {
                let mut out = Vec::new();
                for (i, spec) in specs {
                    let result = self
                        .create_indexes(
                            collection,
                            vec![spec.clone()],
                            changes[*i].creates_collection,
                        )
                        .await;
                    out.push((*i, result.err()));
                }
                out
            }
        }
    }

    async fn create_indexes(
        &self,
        collection: &str,
        specs: Vec<Document>,
        expect_new_collection: bool,
    ) -> Result<(), String> {
        let names: Vec<&str> = specs
            .iter()
            .filter_map(|s| s.get_str("name").ok())
            .collect();
        let label = names.join(", ");
        let spec = (specs.len() == 1).then(|| specs[0].clone());
        let mut command = doc! {"createIndexes": collection, "indexes": specs.clone()};
        if let Some(q) = &self.commit_quorum {
            command.insert("commitQuorum", q.clone());
        }
        let reply = self
            .write(
                "createIndexes",
                collection,
                &label,
                spec.as_ref(),
                command,
                expect_new_collection,
            )
            .await?;
        let created = matches!(
            reply.get("createdCollectionAutomatically"),
            Some(Bson::Boolean(true))
        );
        if created && !expect_new_collection {
            return Err(format!(
                "collection {}.{collection} disappeared during the run (dropped concurrently?); \
                 the index was built on a new, empty collection",
                self.db.name()
            ));
        }
        Ok(())
    }
}
