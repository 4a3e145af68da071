//! A run over an opened fleet, the one way every command runs one: a
//! progress display over its databases, what they share built once, and
//! each database's report handed on as it is done. `plan`, `apply` and
//! `sync-indexes` go through [`Session::plan_or_apply`], told to a
//! [`Listener`]; `status`, `drift` and `down` through [`Session::each`].

use std::io::IsTerminal;
use std::sync::Arc;

use super::{Fleet, Migrations, RunError, RunOptions, Shared, TargetReport, Work};
use crate::config::Settings;
use crate::diagnostics::Problem;
use crate::manifest::{Manifests, Release};
use crate::plan::saved::SavedPlan;
use crate::progress::Progress;
use crate::server::dev::{self, DevError};
use crate::server::inspect::ReadPath;
use crate::targets::{Looked, Rejected};

/// What is known of a run before its first database.
pub struct Head {
    pub rejected: Vec<Rejected>,
    /// How tenant discovery went, when the run looked for tenants.
    pub discovery: Option<Looked>,
    pub read_path: Option<ReadPath>,
    pub warnings: Vec<Problem>,
    pub applied: bool,
    /// With `[clusters]`: each cluster of the run, in mig.toml's order.
    pub clusters: Vec<super::ClusterInfo>,
}

/// Receives a run as it goes: its head once the targets are known, then
/// each database's report as soon as it is done.
pub trait Listener: Send {
    fn start(&mut self, head: Head);
    fn target(&mut self, report: TargetReport);
}

/// An opened fleet and the progress display over its databases.
pub struct Session {
    pub fleet: Fleet,
    pub progress: Arc<Progress>,
}

/// What a plan (or apply) run is given.
pub struct Job<'a> {
    pub manifests: &'a Manifests,
    pub migrations: Option<&'a Migrations>,
    /// Apply this plan (a plan file, or the plan the user just confirmed)
    /// rather than plan the live state.
    pub saved: Option<SavedPlan>,
    /// The command's options; the fleet fills in what its servers decide
    /// (the release, `collMod` unique conversions).
    pub options: RunOptions,
}

/// The declarations in a dev server's form (`server::dev`).
pub enum DevForms {
    /// No server of the fleet answered: nothing to compare with.
    NoServer,
    Normalized(Manifests),
    /// The dev server refused declarations: nothing is read or written in production.
    Refused(Vec<Problem>),
}

impl Session {
    /// A progress display on stderr (drawn on a terminal, unless `quiet`).
    pub fn new(fleet: Fleet, quiet: bool) -> Session {
        let terminal = std::io::stderr().is_terminal();
        let progress = Arc::new(Progress::new(fleet.len(), terminal, quiet));
        Session { fleet, progress }
    }

    /// With a dev server: the declarations in its form, checked against the
    /// first server that answered; a cluster of another release than that
    /// one fails (its databases say why).
    pub async fn dev_forms(
        &mut self,
        dev_uri: &str,
        settings: &Settings,
        manifests: &Manifests,
    ) -> Result<DevForms, DevError> {
        let Some(first) = self.fleet.servers().next().map(|(_, _, s)| s.clone()) else {
            return Ok(DevForms::NoServer);
        };
        match dev::for_run(dev_uri, settings, &first, manifests).await? {
            Ok(normalized) => {
                for m in self.fleet.members.iter_mut() {
                    let mismatch = m
                        .server()
                        .and_then(|s| dev::check_versions(&first.version, &s.version).err());
                    if let Some(e) = mismatch {
                        m.fail(e.to_string());
                    }
                }
                Ok(DevForms::Normalized(normalized))
            }
            Err(problems) => Ok(DevForms::Refused(problems)),
        }
    }

    /// Plans (and, with `job.options.apply`, applies) every database: the
    /// live plan, or `job.saved`; `listener` told as it goes. Refused before
    /// any database when `--max-lag` can't be watched.
    pub async fn plan_or_apply(
        &self,
        offline: Release,
        job: Job<'_>,
        listener: &mut dyn Listener,
    ) -> Result<(), RunError> {
        let Job {
            manifests,
            migrations,
            saved,
            mut options,
        } = job;
        let fleet = &self.fleet;
        tracing::info!(
            databases = fleet.len(),
            clusters = fleet.members.len(),
            apply = options.apply.is_some(),
            "starting"
        );
        // `collMod` unique conversions where every server that answered has them.
        options.plan.unique_conversion = fleet.servers().all(|(_, _, s)| s.unique_conversion());
        // Each cluster plans with its own server's release (`Runner`); the
        // manifests were checked under each of them.
        options.plan.release = fleet
            .servers()
            .next()
            .map_or(offline, |(_, _, s)| Release::of_server(&s.version).release);
        fleet.check_lag_readable(&options).await?;
        listener.start(Head {
            rejected: fleet.rejected.clone(),
            discovery: fleet.discovery.clone(),
            applied: options.apply.is_some(),
            read_path: fleet.read_path(),
            warnings: manifests.warnings.clone(),
            clusters: fleet.infos(),
        });
        let work = match saved {
            Some(saved) => Work::Saved(Arc::new(saved), options),
            None => Work::Run(options),
        };
        // Each database is told (then let go) as it is done, above the progress bar.
        let progress = self.progress.clone();
        let each = &mut |report| progress.suspend(|| listener.target(report));
        self.each(manifests, migrations, work, each).await;
        Ok(())
    }

    /// Runs `work` over every target, handing each report to `each` (over
    /// clusters: grouped by cluster, each stamped with its own); the
    /// progress display finished at the end.
    pub async fn each(
        &self,
        manifests: &Manifests,
        migrations: Option<&Migrations>,
        work: Work,
        each: &mut (dyn FnMut(TargetReport) + Send),
    ) {
        let shared = Shared {
            manifests: Arc::new(manifests.clone()),
            progress: Some(self.progress.clone()),
            migrations: migrations.cloned().map(Arc::new),
        };
        self.fleet.run_each(&shared, work, each).await;
        self.progress.finish();
    }

    /// The pause `mig pause` set on this server, if any (one server; with
    /// `[clusters]`, `mig status --cluster NAME` asks one cluster).
    pub async fn pause(&self, settings: &Settings) -> Option<crate::server::load::Pause> {
        let public = settings.public_database.as_ref()?;
        match self.fleet.servers().next() {
            Some((None, client, _)) => crate::server::load::paused(&client.database(public)).await,
            _ => None,
        }
    }
}
