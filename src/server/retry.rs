//! Riding out a failover. While a replica set elects a new primary (about
//! 10 s with the default `electionTimeoutMillis`), commands fail with state
//! change codes or network errors; the driver retries reads and retryable
//! writes once, and `createIndexes`, `dropIndexes`, `collMod` and every
//! `run_command` never. `mig` retries what it sends itself, with backoff, for
//! a bounded time. Each retried command is safe to send again: an identical
//! `createIndexes` joins (or finds) the build the old primary started, a
//! `dropIndexes` of an index already gone counts as done (code 27), `collMod`
//! sets a value, and the lock upsert takes a lock this run already holds.
//! (Verified on mongod 6.0.5; see the README's "Failover".)

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::error::{Error, ErrorKind};

/// How long one operation is retried by default: an election (about 10 s)
/// and the server selection that follows it, twice over.
const DEFAULT_BUDGET: Duration = Duration::from_secs(30);

/// How long one operation is retried: `MIG_RETRY_FOR_MS`, else 30 s.
pub fn budget() -> Duration {
    std::env::var("MIG_RETRY_FOR_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_BUDGET)
}

/// Set once an operation has been retried for its whole budget: the server
/// is gone, not failing over, and the rest of the run fails fast instead of
/// waiting that long again for every database. One per cluster of a run
/// ([`own_budget`]); this one for work outside any.
static GAVE_UP: AtomicBool = AtomicBool::new(false);

tokio::task_local! {
    static CLUSTER_GAVE_UP: Arc<AtomicBool>;
}

/// Runs `work` (one cluster's) with a "gave up" of its own: a cluster whose
/// server is gone doesn't stop another's failover from being ridden out.
pub async fn own_budget<F: std::future::Future>(work: F) -> F::Output {
    CLUSTER_GAVE_UP
        .scope(Arc::new(AtomicBool::new(false)), work)
        .await
}

/// Whether a transient failure `elapsed` after the first attempt is tried again.
pub fn again(elapsed: Duration) -> bool {
    let check = |gave_up: &AtomicBool| {
        if gave_up.load(Ordering::Relaxed) {
            return false;
        }
        if elapsed >= budget() {
            gave_up.store(true, Ordering::Relaxed);
            return false;
        }
        true
    };
    CLUSTER_GAVE_UP
        .try_with(|gave_up| check(gave_up))
        .unwrap_or_else(|_| check(&GAVE_UP))
}

/// The server's codes for a primary that went away or a member changing
/// state (`src/mongo/base/error_codes.yml`): `HostUnreachable` 6,
/// `HostNotFound` 7, `NetworkTimeout` 89, `ShutdownInProgress` 91,
/// `PrimarySteppedDown` 189, `SocketException` 9001, `NotWritablePrimary`
/// 10107, `InterruptedAtShutdown` 11600, `InterruptedDueToReplStateChange`
/// 11602, `NotPrimaryNoSecondaryOk` 13435, `NotPrimaryOrSecondary` 13436,
/// `ExceededTimeLimit` 262 as the driver's retryable reads have it.
const TRANSIENT_CODES: &[i32] = &[
    6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
];

/// Whether a server code says "try again once there is a primary".
pub fn is_transient_code(code: i32) -> bool {
    TRANSIENT_CODES.contains(&code)
}

/// Whether `error` is one a failover causes: a network error, no server
/// selectable yet, a state change code, or a label the server or the driver
/// puts on retryable errors.
pub fn is_transient(error: &Error) -> bool {
    if error.contains_label("RetryableWriteError")
        || error.contains_label("TransientTransactionError")
    {
        return true;
    }
    match error.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::ServerSelection { .. } => true,
        _ => super::errors::code(error).is_some_and(is_transient_code),
    }
}

/// The pause before attempt `n` (from 1): 100 ms doubling, at most 2 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.min(5)).min(2_000))
}

/// Runs `op` until it succeeds, fails for good, or [`budget`] has passed
/// since the first attempt; each transient failure is logged. `what` names
/// the operation in the log.
pub async fn retry<T, F, Fut>(what: &str, mut op: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: IntoFuture<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        match op().into_future().await {
            Err(e) if is_transient(&e) && again(started.elapsed()) => {
                attempt += 1;
                tracing::info!(
                    attempt,
                    "{what}: {}; trying again",
                    super::errors::explain(&e)
                );
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
