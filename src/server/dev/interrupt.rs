//! A best effort when the process is interrupted (SIGINT, SIGTERM) while
//! throw-away databases exist: drop them, then exit 130. Once a listener is
//! installed the signal no longer ends the process by itself, so the listener
//! stays for the whole run and always exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use mongodb::Client;

use super::MAX_WAIT;

static PENDING: Mutex<Vec<(Client, String)>> = Mutex::new(Vec::new());
static LISTENER: Once = Once::new();
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub(super) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn pending() -> std::sync::MutexGuard<'static, Vec<(Client, String)>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn guard(client: &Client, names: &[String]) {
    pending().extend(names.iter().map(|n| (client.clone(), n.clone())));
    LISTENER.call_once(|| {
        tokio::spawn(async {
            crate::signals::interrupted().await;
            INTERRUPTED.store(true, Ordering::SeqCst);
            // `normalize` stops before its next command, drops its
            // databases and exits; wait for it a while, then drop them here.
            let deadline = tokio::time::Instant::now() + 2 * MAX_WAIT;
            while !pending().is_empty() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let left = std::mem::take(&mut *pending());
            for (client, name) in &left {
                let _ = tokio::time::timeout(MAX_WAIT, client.database(name).drop()).await;
            }
            eprintln!("interrupted");
            std::process::exit(130);
        });
    });
}

pub(super) fn release(names: &[String]) {
    pending().retain(|(_, n)| !names.contains(n));
}
