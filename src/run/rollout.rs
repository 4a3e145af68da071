//! Rollouts that watch the cluster they run on: a window outside which no
//! build starts, throttles that hold new builds while the secondaries lag or
//! the server already builds enough, a fleet-wide pause (`mig pause`), and a
//! graceful stop on the first SIGINT/SIGTERM. The executor asks the [`Gate`]
//! before each step; a step it may not start yet waits, and one it must not
//! start at all (stopping, outside the window) leaves the database
//! `deferred`: the next run carries on from the live state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use mongodb::Client;

use crate::config::rollout::{Rollout, Window};
use crate::plan::{Command, Step};
use crate::progress::Progress;
use crate::run::{Deferral, Halt};
use crate::server::execute::{Admit, Gate};
use crate::server::load;

/// What bounds a rollout, shared by every database (and cluster) of a run.
#[derive(Clone, Debug, Default)]
pub struct Controls {
    pub window: Option<Window>,
    /// No new build while a secondary lags more than this.
    pub max_lag: Option<Duration>,
    /// No new build while the server has this many in progress, anyone's.
    pub max_builds: Option<usize>,
    /// Set by the first SIGINT or SIGTERM: nothing new starts.
    pub stopping: Arc<AtomicBool>,
    /// Set by the second: the builds in flight are aborted too.
    pub aborting: Arc<Abort>,
    /// The pause as last read, per cluster: read at most once per
    /// [`PAUSE_READ_EVERY`], not once per step of every database.
    pub pause_seen: Arc<std::sync::Mutex<std::collections::HashMap<String, PauseSeen>>>,
}

/// When the pause of one cluster was read, and what it said.
pub type PauseSeen = (std::time::Instant, Option<load::Pause>);

/// How stale a read of the pause may be: a pause takes hold within it.
pub const PAUSE_READ_EVERY: Duration = Duration::from_millis(500);

/// The abort of a rollout: a flag, and a wake-up for the builds waiting on it.
#[derive(Debug, Default)]
pub struct Abort {
    set: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Abort {
    pub fn abort(&self) {
        self.set.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    /// Resolves once aborted (at once if it already is).
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        if self.is_set() {
            return;
        }
        notified.await
    }
}

/// The disk margin without `--min-free-disk` or `[rollout] min_free_disk`.
pub const DEFAULT_MIN_FREE_DISK: u64 = 1 << 30;

impl Controls {
    /// The flags' bounds over mig.toml's (`[rollout]`, a cluster's own):
    /// the stop and the abort stay shared.
    pub fn with(&self, file: &Rollout) -> Controls {
        Controls {
            window: self.window.clone().or_else(|| file.window.clone()),
            max_lag: self.max_lag.or(file.max_lag),
            max_builds: self.max_builds.or(file.max_builds),
            stopping: self.stopping.clone(),
            aborting: self.aborting.clone(),
            pause_seen: self.pause_seen.clone(),
        }
    }

    /// Why nothing new may start now (stopping, outside the window).
    pub fn not_now(&self) -> Option<Halt> {
        if self.stopping.load(Ordering::SeqCst) {
            return Some(Halt::Interrupted);
        }
        match &self.window {
            Some(w) if !w.contains(jiff::Timestamp::now()) => Some(Halt::OutsideWindow(w.clone())),
            _ => None,
        }
    }

    pub fn is_set(&self) -> bool {
        self.window.is_some() || self.max_lag.is_some() || self.max_builds.is_some()
    }
}

/// How often a held step looks again at what holds it.
const POLL: Duration = Duration::from_millis(500);

/// The gate of one cluster: its client for the throttles' readings, the
/// public database holding the pause, and the run's controls.
pub struct ClusterGate<'a> {
    pub client: &'a Client,
    /// Which cluster (its URI: kept in memory only, never shown).
    pub cluster: &'a str,
    pub public: Option<String>,
    /// The run's controls over the cluster's own `[rollout]`.
    pub controls: Controls,
    pub progress: Option<&'a Progress>,
    /// Why it deferred the database, once it has (the executor keeps only
    /// the words).
    pub deferred: OnceLock<Deferral>,
}

impl ClusterGate<'_> {
    /// The cluster's pause, read again once the last read is stale.
    async fn pause(&self) -> Option<load::Pause> {
        let public = self.public.as_ref()?;
        let key = format!("{}/{public}", self.cluster);
        let fresh = {
            let seen = self
                .controls
                .pause_seen
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            seen.get(&key)
                .filter(|(at, _)| at.elapsed() < PAUSE_READ_EVERY)
                .map(|(_, pause)| pause.clone())
        };
        if let Some(pause) = fresh {
            return pause;
        }
        let pause = load::paused(&self.client.database(public)).await;
        self.controls
            .pause_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (std::time::Instant::now(), pause.clone()));
        pause
    }

    /// What holds a step now, if anything: each reason in words.
    async fn holds(&self, step: &Step) -> Vec<String> {
        let mut holds = Vec::new();
        if let Some(pause) = self.pause().await {
            holds.push(format!("paused by {pause} (mig resume goes on)"));
        }
        if !matches!(step.command, Command::CreateIndexes { .. }) {
            return holds;
        }
        if let Some(max) = self.controls.max_builds {
            match load::builds_in_progress(self.client).await {
                Ok(n) if n >= max => holds.push(format!(
                    "{n} index build(s) in progress (--max-builds {max})"
                )),
                Ok(_) => {}
                Err(e) => holds.push(format!("cannot count the builds in progress: {e}")),
            }
        }
        if let Some(max) = self.controls.max_lag {
            match load::replication_lag(self.client).await {
                Ok(lag) if lag > max => holds.push(format!(
                    "a secondary lags {} (--max-lag {})",
                    humantime::format_duration(round(lag)),
                    humantime::format_duration(max)
                )),
                Ok(_) => {}
                Err(e) => holds.push(format!("cannot read the replication lag: {e}")),
            }
        }
        holds
    }
}

fn round(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64 / 100 * 100)
}

impl Gate for ClusterGate<'_> {
    fn aborted(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.controls.aborting.wait())
    }

    fn is_aborted(&self) -> bool {
        self.controls.aborting.is_set()
    }

    fn built(&self, bytes: u64, took: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(public) = &self.public {
                // A record, not a gate: a failure to keep it is logged.
                if let Err(e) = load::record_build(&self.client.database(public), bytes, took).await
                {
                    tracing::info!("cannot record the build rate: {e}");
                }
            }
        })
    }

    fn before<'a>(&'a self, database: &'a str, step: &'a Step, safe: bool) -> BoxFuture<'a, Admit> {
        Box::pin(async move {
            let mut said = String::new();
            loop {
                // Where the collection is whole, a stop or a closed window
                // leaves the database here; mid-swap, the swap finishes.
                if safe {
                    if let Some(halt) = self.controls.not_now() {
                        self.deferred.get_or_init(|| Deferral::BeforeStep(halt));
                        return Admit::Defer;
                    }
                }
                let holds = self.holds(step).await;
                if holds.is_empty() {
                    return Admit::Go;
                }
                let line = holds.join("; ");
                if line != said {
                    match self.progress {
                        Some(p) => p.note(&format!("{database}: waiting: {line}")),
                        None => tracing::warn!("{database}: waiting: {line}"),
                    }
                    said = line;
                }
                tokio::time::sleep(POLL).await;
            }
        })
    }
}
