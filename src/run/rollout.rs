//! Rollouts that watch the cluster they run on: a window outside which no
//! build starts, throttles that hold new builds while the secondaries lag or
//! the server already builds enough, a fleet-wide pause (`mig pause`), and a
//! graceful stop on the first SIGINT/SIGTERM. The executor asks the [`Gate`]
//! before each step; a step it may not start yet waits, and one it must not
//! start at all (stopping, outside the window) leaves the database
//! `deferred`: the next run carries on from the live state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use mongodb::Client;

use crate::plan::{Command, Step};
use crate::progress::Progress;
use crate::server::execute::{Admit, Gate};
use crate::server::load;

/// A daily window, `HH:MM-HH:MM` in a time zone (UTC unless named): a
/// window whose end is before its start runs past midnight.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    start: u16,
    end: u16,
    zone: jiff::tz::TimeZone,
    text: String,
}

/// Why a `--window` could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WindowError {
    #[error("expected HH:MM-HH:MM, optionally followed by a time zone (22:00-06:00 Europe/Paris), found {0:?}")]
    Shape(String),
    #[error("{0:?} is not a time of day (00:00 to 23:59)")]
    Time(String),
    #[error("unknown time zone {0:?} (an IANA name such as Europe/Paris, or UTC)")]
    Zone(String),
    #[error("the window starts and ends at {0}: it would be empty")]
    Empty(String),
}

impl Window {
    pub fn parse(text: &str) -> Result<Window, WindowError> {
        let mut parts = text.split_whitespace();
        let range = parts.next().unwrap_or_default();
        let zone_name = parts.next();
        if parts.next().is_some() {
            return Err(WindowError::Shape(text.into()));
        }
        let (start, end) = range
            .split_once('-')
            .ok_or_else(|| WindowError::Shape(text.into()))?;
        let minutes = |hhmm: &str| -> Result<u16, WindowError> {
            let bad = || WindowError::Time(hhmm.to_string());
            let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
            if h.len() != 2 || m.len() != 2 {
                return Err(bad());
            }
            let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let (start, end) = (minutes(start)?, minutes(end)?);
        if start == end {
            return Err(WindowError::Empty(range.to_string()));
        }
        let zone = match zone_name {
            None => jiff::tz::TimeZone::UTC,
            Some(name) => {
                jiff::tz::TimeZone::get(name).map_err(|_| WindowError::Zone(name.to_string()))?
            }
        };
        Ok(Window {
            start,
            end,
            zone,
            text: match zone_name {
                Some(_) => text.trim().to_string(),
                None => format!("{range} UTC"),
            },
        })
    }

    /// Whether `now` falls in the window, in its time zone.
    pub fn contains(&self, now: jiff::Timestamp) -> bool {
        let local = now.to_zoned(self.zone.clone());
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `--window` on the command line.
pub fn window_arg(text: &str) -> Result<Window, WindowError> {
    Window::parse(text)
}

/// Why a throttle flag was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThrottleError {
    #[error("{0}")]
    Duration(#[from] humantime::DurationError),
    #[error("must be more than 0: 0 would hold every build forever")]
    Zero,
    #[error("must be a whole number of builds, 1 or more")]
    Count,
}

/// `--max-lag`: a duration above zero.
pub fn max_lag_arg(text: &str) -> Result<Duration, ThrottleError> {
    match humantime::parse_duration(text)? {
        d if d.is_zero() => Err(ThrottleError::Zero),
        d => Ok(d),
    }
}

/// `--max-builds`: a count above zero.
pub fn max_builds_arg(text: &str) -> Result<usize, ThrottleError> {
    match text.parse::<usize>() {
        Ok(0) => Err(ThrottleError::Zero),
        Ok(n) => Ok(n),
        Err(_) => Err(ThrottleError::Count),
    }
}

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
}

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

impl Controls {
    /// Why a database may not start now (stopping, outside the window).
    pub fn not_now(&self) -> Option<String> {
        if self.stopping.load(Ordering::SeqCst) {
            return Some("not started: the run was interrupted (SIGINT/SIGTERM)".into());
        }
        match &self.window {
            Some(w) if !w.contains(jiff::Timestamp::now()) => {
                Some(format!("not started: outside the window {w}"))
            }
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
    pub public: Option<String>,
    pub controls: &'a Controls,
    pub progress: Option<&'a Progress>,
}

impl ClusterGate<'_> {
    /// What holds a step now, if anything: each reason in words.
    async fn holds(&self, step: &Step) -> Vec<String> {
        let mut holds = Vec::new();
        if let Some(public) = &self.public {
            if let Some(pause) = load::paused(&self.client.database(public)).await {
                holds.push(format!("paused by {pause} (mig resume goes on)"));
            }
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
                    if let Some(why) = self.controls.not_now() {
                        return Admit::Defer(
                            why.replace("not started", "stopped before this step"),
                        );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hhmm: &str) -> jiff::Timestamp {
        format!("2026-12-04T{hhmm}:00Z").parse().unwrap()
    }

    #[test]
    fn a_window_holds_its_start_not_its_end_and_may_run_past_midnight() {
        let day = Window::parse("09:00-17:30").unwrap();
        assert!(day.contains(at("09:00")) && day.contains(at("17:29")));
        assert!(!day.contains(at("17:30")) && !day.contains(at("08:59")));
        let night = Window::parse("22:00-06:00").unwrap();
        assert!(night.contains(at("23:00")) && night.contains(at("05:59")));
        assert!(!night.contains(at("12:00")));
        assert_eq!(night.to_string(), "22:00-06:00 UTC");
    }

    #[test]
    fn a_window_in_a_zone_is_read_in_that_zone() {
        // 22:00 UTC on 4 December is 23:00 in Paris (UTC+1 in winter).
        let paris = Window::parse("22:30-23:30 Europe/Paris").unwrap();
        assert!(paris.contains(at("22:00")));
        assert!(!paris.contains(at("22:45")));
    }

    #[test]
    fn bad_windows_and_throttles_are_refused_with_why() {
        assert_eq!(
            Window::parse("25:00-03:00"),
            Err(WindowError::Time("25:00".into()))
        );
        assert_eq!(
            Window::parse("22:00-06:00 Mars/Olympus"),
            Err(WindowError::Zone("Mars/Olympus".into()))
        );
        assert!(matches!(Window::parse("22:00"), Err(WindowError::Shape(_))));
        assert!(matches!(
            Window::parse("9:00-10:00"),
            Err(WindowError::Time(_))
        ));
        assert!(matches!(
            Window::parse("10:00-10:00"),
            Err(WindowError::Empty(_))
        ));
        assert_eq!(max_lag_arg("0s"), Err(ThrottleError::Zero));
        assert_eq!(max_lag_arg("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(max_builds_arg("0"), Err(ThrottleError::Zero));
        assert_eq!(max_builds_arg("x"), Err(ThrottleError::Count));
        assert_eq!(max_builds_arg("2"), Ok(2));
    }
}
