//! Runs a database's steps, in the order the planner gave them: for each,
//! fence, journal, run, record the outcome. It decides no order. It follows
//! two rules: a change that failed at one step gets no further steps (and a
//! step that requires a change that failed is skipped), and a data migration
//! runs only while every one before it succeeded. Migrations are run through
//! [`Migrator`], fenced by the same lock and recorded in their changelog.
//!
//! A failed step is reported and the rest go on, so a run leaves a database
//! as it was or further along, and the next run plans again from the live
//! state and converges.

use bson::{doc, Bson, Document};
use futures::future::BoxFuture;
use mongodb::Database;

use super::bookkeeping::journal::Journal;
use super::bookkeeping::lock::LockError;
use super::bookkeeping::state::record_retiring;
use super::errors::Failure;
use super::retry;
use crate::plan::steps::{safe_point, Admission};
use crate::plan::{Command, DatabasePlan, IfRefused, Step, Why};
use crate::progress::Progress;

pub use super::outcome::{Applied, ApplyError, ChangeOutcome, StepError, StepOutcome, Stopped};

/// What the rollout's [`Gate`] says of a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Admit {
    Go,
    /// This step and the rest wait for another run (the gate keeps why).
    Defer,
}

/// Asked before each step: it may hold the step (a pause, a throttle) and
/// answer when it may go, or defer it and every step after. `safe` says the
/// collection is whole before this step (see `plan::steps::safe_point`):
/// only there may it defer.
pub trait Gate: Send + Sync {
    fn before<'a>(&'a self, database: &'a str, step: &'a Step, safe: bool) -> BoxFuture<'a, Admit>;
    /// Resolves once the rollout is aborted (a second interrupt): the
    /// builds in flight are then dropped, which aborts them on the server.
    fn aborted(&self) -> BoxFuture<'_, ()>;
    fn is_aborted(&self) -> bool;
    /// A build that scanned `bytes` took `took`: the cluster's build rate.
    fn built(&self, bytes: u64, took: std::time::Duration) -> BoxFuture<'_, ()>;
}

/// `IndexBuildAborted`: the build was aborted (by a drop of its indexes).
const INDEX_BUILD_ABORTED: i32 = 276;
/// IndexNotFound: a drop whose index is already gone.
const INDEX_NOT_FOUND: i32 = 27;

/// Runs one data migration by id: the migrations live outside `server`,
/// which reports a failure as [`ApplyError::Migration`].
pub trait Migrator: Send + Sync {
    fn up<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), ApplyError>>;
}

/// Checked before every write: `Err` stops the run before it writes.
pub trait Fence: Send + Sync {
    fn check(&self) -> Result<(), LockError>;
}

impl Fence for super::bookkeeping::lock::Lock {
    fn check(&self) -> Result<(), LockError> {
        super::bookkeeping::lock::Lock::check(self)
    }
}

pub struct Executor<'a> {
    pub db: Database,
    pub fence: &'a dyn Fence,
    pub journal: Option<Journal>,
    /// `commitQuorum` passed to `createIndexes` as given.
    pub commit_quorum: Option<Bson>,
    pub progress: Option<&'a Progress>,
    /// Runs the plan's migration steps (none without it).
    pub migrator: Option<&'a dyn Migrator>,
    /// Holds or defers steps (a rollout's window, throttles, pause, stop).
    pub gate: Option<&'a dyn Gate>,
}

impl Executor<'_> {
    /// Runs every step of `plan`.
    pub async fn apply(&self, plan: &DatabasePlan) -> Applied {
        let mut changes = vec![ChangeOutcome::NotRun; plan.changes.len()];
        let mut outcomes = Vec::with_capacity(plan.steps.len());
        // Which steps run once some have failed is the planner's rule.
        let mut admission = Admission::default();
        let mut deferred = None;
        for (n, step) in plan.steps.iter().enumerate() {
            if deferred.is_some() {
                outcomes.push(StepOutcome::Deferred);
                continue;
            }
            let Some(live) = admission.admit(step) else {
                outcomes.push(StepOutcome::Skipped);
                continue;
            };
            if let Some(gate) = self.gate {
                let safe = safe_point(&plan.steps, n);
                if gate.before(self.db.name(), step, safe).await == Admit::Defer {
                    deferred = Some(Stopped::ByGate);
                    outcomes.push(StepOutcome::Deferred);
                    continue;
                }
            }
            // The run reads the database again between its migrations and
            // its index steps (`run::apply`): no plan reaches here with one.
            if matches!(step.command, Command::Reread) {
                outcomes.push(StepOutcome::Skipped);
                continue;
            }
            if let Command::Migration { id } = &step.command {
                let Some(migrator) = self.migrator else {
                    outcomes.push(StepOutcome::Skipped);
                    continue;
                };
                let outcome = match migrator.up(id).await {
                    Ok(()) => StepOutcome::Done,
                    Err(error) => {
                        admission.record_migration_failed();
                        StepOutcome::Failed(StepError(vec![error]))
                    }
                };
                outcomes.push(outcome);
                continue;
            }
            let started = std::time::Instant::now();
            let errors: Vec<(usize, ApplyError)> = self
                .run(step, &live)
                .await
                .into_iter()
                .map(|(i, e)| (i, e.untwinned()))
                .collect();
            // A build over existing documents that stood: measured, so later
            // plans can say how long theirs will take.
            let scanned = step
                .serves
                .iter()
                .find_map(|i| plan.findings.impact.get(i))
                .map(|impact| impact.bytes);
            if let (Some(gate), Some(bytes), true) = (self.gate, scanned, errors.is_empty()) {
                if matches!(step.command, Command::CreateIndexes { .. }) && bytes > 0 {
                    gate.built(bytes, started.elapsed()).await;
                }
            }
            // Builds aborted on purpose (a second interrupt): the database is
            // as it was before this step, and waits for the next run.
            let aborted = self.gate.is_some_and(|g| g.is_aborted())
                && !errors.is_empty()
                && errors
                    .iter()
                    .all(|(_, e)| e.code() == Some(INDEX_BUILD_ABORTED));
            if aborted {
                deferred = Some(Stopped::BuildAborted);
                outcomes.push(StepOutcome::Deferred);
                continue;
            }
            let failed: Vec<usize> = errors.iter().map(|(i, _)| *i).collect();
            admission.record(&failed);
            for &i in &live {
                changes[i] = match errors.iter().find(|(j, _)| *j == i) {
                    Some((_, e)) => ChangeOutcome::Failed(e.clone()),
                    None => ChangeOutcome::Done,
                };
            }
            outcomes.push(match errors.is_empty() {
                true => StepOutcome::Done,
                false => {
                    StepOutcome::Failed(StepError(errors.into_iter().map(|(_, e)| e).collect()))
                }
            });
        }
        Applied {
            steps: outcomes,
            changes,
            deferred,
        }
    }

    /// Runs one step for the changes in `live` (those of its changes that
    /// have not failed); returns the error of each change it failed.
    async fn run(&self, step: &Step, live: &[usize]) -> Vec<(usize, ApplyError)> {
        let collection = step.collection.as_str();
        let all = |e: ApplyError| live.iter().map(|&i| (i, e.clone())).collect();
        match &step.command {
            Command::CollMod { index, set } => {
                let (option, value) = set.option();
                let spec = doc! {"name": index, option: value};
                let command = doc! {"collMod": collection, "index": spec.clone()};
                match self
                    .write(step, collection, index, Some(&spec), command, false)
                    .await
                {
                    Ok(_) => Vec::new(),
                    Err(e) => all(e),
                }
            }
            Command::Hide { index } => {
                let command =
                    doc! {"collMod": collection, "index": {"name": index, "hidden": true}};
                let hidden = self
                    .write(step, collection, index, None, command, false)
                    .await;
                match hidden {
                    Ok(_) => match record_retiring(&self.db, collection, index, true).await {
                        Ok(()) => Vec::new(),
                        Err(e) => all(e.into()),
                    },
                    Err(e) => all(e),
                }
            }
            Command::DropIndex {
                index,
                forget_retiring,
            } => match self
                .drop_index(step, collection, index, step.if_refused())
                .await
            {
                Ok(()) => {
                    if *forget_retiring {
                        let _ = record_retiring(&self.db, collection, index, false).await;
                    }
                    Vec::new()
                }
                Err(e) => {
                    let (index, source) = (index.clone(), Box::new(e));
                    all(match step.why {
                        Why::GapDrop => ApplyError::GapDrop { index, source },
                        Why::SwapDrop => ApplyError::SwapDrop { index, source },
                        _ => *source,
                    })
                }
            },
            Command::CreateIndexes {
                indexes,
                new_collection,
            } => {
                let specs: Vec<(usize, Document)> = indexes
                    .iter()
                    .filter(|(i, _)| live.contains(i))
                    .map(|(i, s)| (*i, s.to_document()))
                    .collect();
                self.build(step, &specs, *new_collection, step.if_refused())
                    .await
            }
            // Run by `apply` above: they serve no index change.
            Command::Migration { .. } | Command::Reread => Vec::new(),
            // A collection's own options: the journal records them as the
            // step's spec, with no index. Creating one is quick: it is empty.
            Command::CreateCollection { options } => {
                let created = self.on_collection(step, options, true).await;
                created.err().map(all).unwrap_or_default()
            }
            Command::ModifyCollection { set } => {
                let changed = self.on_collection(step, set, false).await;
                changed.err().map(all).unwrap_or_default()
            }
        }
    }

    /// The step's command (`create` or `collMod`, by its one name) of the
    /// step's collection with `fields`.
    async fn on_collection(
        &self,
        step: &Step,
        fields: &Document,
        quick: bool,
    ) -> Result<Document, ApplyError> {
        let collection = step.collection.as_str();
        let mut run = doc! {step.command.name().sent().to_string(): collection};
        run.extend(fields.clone());
        self.write(step, collection, "", Some(fields), run, quick)
            .await
    }

    /// Runs one write of `step`, fenced and journaled.
    async fn write(
        &self,
        step: &Step,
        collection: &str,
        index: &str,
        spec: Option<&Document>,
        command: Document,
        quick: bool,
    ) -> Result<Document, ApplyError> {
        self.fence.check()?;
        let entry = match &self.journal {
            Some(j) => Some(j.start(step, collection, index, spec, quick).await),
            None => None,
        };
        let ns = format!("{}.{collection}", self.db.name());
        // Sent again while a failover lasts (each of these commands may be:
        // see `retry`), the fence checked before every attempt.
        let started = std::time::Instant::now();
        let mut attempt = 0;
        let result = loop {
            if let Err(lost) = self.fence.check() {
                break Err(ApplyError::Fenced(lost));
            }
            let run = self.db.run_command(command.clone());
            let build = matches!(step.command, Command::CreateIndexes { .. });
            let run = async {
                match (self.progress, build) {
                    (Some(p), true) => p.watch_build(&self.db, &ns, run).await,
                    _ => run.await,
                }
            };
            let sent = match (self.gate, build) {
                (Some(gate), true) => self.abortable(gate, collection, &command, run).await,
                _ => run.await,
            };
            match sent {
                Err(e) if retry::is_transient(&e) && retry::again(started.elapsed()) => {
                    attempt += 1;
                    tracing::info!(
                        database = %self.db.name(),
                        attempt,
                        "{} on {collection}: {}; trying again",
                        step.command.name(),
                        super::errors::explain(&e)
                    );
                    tokio::time::sleep(retry::backoff(attempt)).await;
                }
                other => break other.map_err(|e| ApplyError::Server(Failure::of(&e))),
            }
        };
        // Closed whatever happened, so no entry is left `running` by an error seen here.
        if let (Some(j), Some(entry)) = (&self.journal, entry) {
            let error = result.as_ref().err().map(ToString::to_string);
            j.finish(entry, error.as_deref()).await;
        }
        result
    }

    /// Runs a build until it ends or the rollout is aborted; then drops every
    /// index of the batch at once (naming some only would not abort it), and
    /// the build ends with `IndexBuildAborted`, leaving nothing behind.
    async fn abortable(
        &self,
        gate: &dyn Gate,
        collection: &str,
        command: &Document,
        run: impl std::future::Future<Output = mongodb::error::Result<Document>>,
    ) -> mongodb::error::Result<Document> {
        tokio::pin!(run);
        tokio::select! {
            done = &mut run => done,
            () = gate.aborted() => {
                let names: Vec<Bson> = command
                    .get_array("indexes")
                    .map(|specs| {
                        specs
                            .iter()
                            .filter_map(|s| s.as_document()?.get_str("name").ok())
                            .map(Bson::from)
                            .collect()
                    })
                    .unwrap_or_default();
                let drop = doc! {"dropIndexes": collection, "index": names};
                if let Err(e) = self.db.run_command(drop).await {
                    tracing::warn!(database = %self.db.name(), "cannot abort the build on {collection}: {}", super::errors::explain(&e));
                }
                run.await
            }
        }
    }

    /// `dropIndexes`; where the index is already gone (IndexNotFound), what
    /// the step says to do ([`IfRefused::GoneIsDone`]: done).
    async fn drop_index(
        &self,
        step: &Step,
        collection: &str,
        name: &str,
        if_refused: IfRefused,
    ) -> Result<(), ApplyError> {
        let command = doc! {"dropIndexes": collection, "index": name};
        match self
            .write(step, collection, name, None, command, false)
            .await
        {
            Ok(_) => Ok(()),
            Err(ApplyError::Server(f))
                if f.code == Some(INDEX_NOT_FOUND) && if_refused == IfRefused::GoneIsDone =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// One `createIndexes` for all `specs`; where the server refuses it,
    /// what the step says ([`IfRefused::EachOnItsOwn`]: each on its own).
    /// Returns the error of each change whose index was not built.
    async fn build(
        &self,
        step: &Step,
        specs: &[(usize, Document)],
        new_collection: bool,
        if_refused: IfRefused,
    ) -> Vec<(usize, ApplyError)> {
        if specs.is_empty() {
            return Vec::new();
        }
        let all: Vec<Document> = specs.iter().map(|(_, s)| s.clone()).collect();
        match self.create_indexes(step, all, new_collection).await {
            Ok(()) => Vec::new(),
            // The batch failed as one: each of its changes with its error.
            Err(e) if specs.len() == 1 || if_refused != IfRefused::EachOnItsOwn => {
                specs.iter().map(|(i, _)| (*i, e.clone())).collect()
            }
            Err(_) => {
                let mut errors = Vec::new();
                for (i, spec) in specs {
                    let one = vec![spec.clone()];
                    if let Err(e) = self.create_indexes(step, one, new_collection).await {
                        errors.push((*i, e));
                    }
                }
                errors
            }
        }
    }

    async fn create_indexes(
        &self,
        step: &Step,
        specs: Vec<Document>,
        expect_new_collection: bool,
    ) -> Result<(), ApplyError> {
        let collection = step.collection.as_str();
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
                step,
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
            return Err(ApplyError::CollectionVanished {
                database: self.db.name().to_string(),
                collection: collection.to_string(),
            });
        }
        Ok(())
    }
}
