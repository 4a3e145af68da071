//! Progress on stderr: on a terminal, a bar for databases done / total with
//! the rate and the time left, and a line per long index build with the
//! server's own progress (from `currentOp`: "Index Build: scanning collection
//! n/N"); otherwise one plain line per database, or, for a fleet larger than
//! [`LINE_PER_DATABASE`], one line every [`LINE_EVERY`]. stdout (the plan, the
//! JSON) is never touched.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bson::{doc, Document};
use futures::TryStreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mongodb::Database;

/// Builds shorter than this show no line of their own.
const QUIET_BUILD: Duration = Duration::from_secs(2);

/// Without a terminal, a fleet up to this size gets a line per database…
pub const LINE_PER_DATABASE: usize = 200;
/// …and a larger one a line this often.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    multi: Option<MultiProgress>,
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    /// Plain lines (not a terminal), unless quiet.
    lines: bool,
    started: std::time::Instant,
    /// When the last plain line was printed (large fleets).
    last_line: std::sync::Mutex<std::time::Instant>,
}

impl Progress {
    /// `terminal`: stderr is a terminal; `quiet`: `-q`.
    pub fn new(total: usize, terminal: bool, quiet: bool) -> Progress {
        if terminal && !quiet {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bar = multi.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} databases · {per_sec} · {eta} left · {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Progress {
                multi: Some(multi),
                bar: Some(bar),
                total,
                done: AtomicUsize::new(0),
                lines: false,
                started: std::time::Instant::now(),
                last_line: std::sync::Mutex::new(std::time::Instant::now()),
            }
        } else {
            Progress {
                multi: None,
                bar: None,
                total,
                done: AtomicUsize::new(0),
                lines: !quiet,
                started: std::time::Instant::now(),
                last_line: std::sync::Mutex::new(std::time::Instant::now()),
            }
        }
    }

    /// A database is finished; `summary` is its one-word outcome.
    pub fn database_done(&self, database: &str, summary: &str) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{database}: {summary}"));
                bar.inc(1);
            }
            None if self.lines && self.total <= LINE_PER_DATABASE => {
                eprintln!("[{done}/{}] {database}: {summary}", self.total)
            }
            None if self.lines => {
                if let Some(line) = self.periodic_line(done) {
                    eprintln!("{line}");
                }
            }
            None => {}
        }
    }

    /// A large fleet's line, when one is due: done / total, rate, time left.
    fn periodic_line(&self, done: usize) -> Option<String> {
        let mut last = self.last_line.lock().ok()?;
        if done < self.total && last.elapsed() < LINE_EVERY {
            return None;
        }
        *last = std::time::Instant::now();
        Some(rate_line(done, self.total, self.started.elapsed()))
    }

    /// A line about work in progress (e.g. a batched migration step).
    pub fn note(&self, line: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(line);
            }
            None if self.lines => eprintln!("{line}"),
            None => {}
        }
    }

    /// Runs `f` (which prints) with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.multi {
            Some(multi) => multi.suspend(f),
            None => f(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Runs an index build; if it takes long, shows the server's progress of it.
    pub async fn watch_build<F, T>(&self, db: &Database, ns: &str, build: F) -> T
    where
        F: IntoFuture<Output = T>,
    {
        let Some(multi) = &self.multi else {
            return build.await;
        };
        let build = build.into_future();
        tokio::pin!(build);
        let mut line: Option<ProgressBar> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let started = tokio::time::Instant::now();
        loop {
            tokio::select! {
                out = &mut build => {
                    if let Some(l) = line { l.finish_and_clear(); }
                    return out;
                }
                _ = tick.tick() => {
                    if started.elapsed() < QUIET_BUILD { continue; }
                    let l = line.get_or_insert_with(|| {
                        let l = multi.add(ProgressBar::new_spinner());
                        l.enable_steady_tick(Duration::from_millis(200));
                        l
                    });
                    let status = build_status(db, ns).await.unwrap_or_else(|| "building".into());
                    l.set_message(format!("{ns}: {status}"));
                }
            }
        }
    }
}

/// "Index Build: scanning collection 1200/50000", from `currentOp`.
async fn build_status(db: &Database, ns: &str) -> Option<String> {
    let admin = db.client().database("admin");
    let ops: Vec<Document> = admin
        .aggregate(vec![
            doc! {"$currentOp": {"allUsers": true}},
            doc! {"$match": {"ns": ns, "msg": {"$regex": "^Index Build"}}},
            doc! {"$project": {"msg": 1, "progress": 1}},
        ])
        .await
        .ok()?
        .try_collect()
        .await
        .ok()?;
    let op = ops.first()?;
    let msg = op.get_str("msg").ok()?;
    match op.get_document("progress") {
        Ok(p) => {
            let num = |k: &str| {
                p.get_i64(k)
                    .or_else(|_| p.get_i32(k).map(i64::from))
                    .unwrap_or(0)
            };
            Some(format!("{msg} {}/{}", num("done"), num("total")))
        }
        Err(_) => Some(msg.to_string()),
    }
}

/// `[1200/10000] databases done, 410/s, about 21 s left`.
fn rate_line(done: usize, total: usize, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    let left = if done >= total || rate <= 0.0 {
        String::new()
    } else {
        let secs = ((total - done) as f64 / rate).ceil() as u64;
        format!(
            ", about {} left",
            humantime::format_duration(Duration::from_secs(secs))
        )
    };
    format!("[{done}/{total}] databases done, {rate:.0}/s{left}")
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
