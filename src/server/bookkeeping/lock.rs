//! One lock per managed database: the document `_id: "lock"` in its `mig` collection,
//! taken with a single conditional upsert (never find-then-insert), holding
//! who has it and a lease that a live run renews. Expiry is judged by the
//! server's clock (`$$NOW`), so the clocks of the machines running `mig` don't
//! matter. Every write the executor makes first checks [`Lock::check`]: a run
//! that lost its lease stops before its next write.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bson::{doc, Bson, DateTime, Document};
use mongodb::options::UpdateModifications;
use mongodb::Database;

use crate::server::errors::{code, explain, Failure};
use crate::server::retry::retry;

use crate::server::MIG_COLLECTION as LOCK_COLLECTION;
const LOCK_ID: &str = "lock";

/// How a run takes its locks.
#[derive(Clone, Debug)]
pub struct LockOptions {
    /// How long a lock lasts without renewal; a run renews it every third of this.
    pub lease: Duration,
    /// Wait this long for a held lock instead of failing at once.
    pub wait: Option<Duration>,
    /// What the holder is doing, e.g. `mig apply`.
    pub command: String,
    /// This run, as recorded in locks and the journal.
    pub run_id: String,
}

/// Who holds a lock.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    pub host: String,
    pub pid: i64,
    pub command: String,
    pub run_id: String,
    pub since: Option<DateTime>,
    pub expires: Option<DateTime>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lock held by `{}` (host {}, pid {}",
            self.command, self.host, self.pid
        )?;
        if let Some(since) = self.since {
            write!(
                f,
                ", since {}",
                since.try_to_rfc3339_string().unwrap_or_default()
            )?;
        }
        if let Some(expires) = self.expires {
            write!(
                f,
                ", lease until {}",
                expires.try_to_rfc3339_string().unwrap_or_default()
            )?;
        }
        write!(f, ")")
    }
}

impl Holder {
    fn unknown() -> Holder {
        Holder {
            host: "?".into(),
            pid: 0,
            command: "?".into(),
            run_id: "?".into(),
            since: None,
            expires: None,
        }
    }

    fn from_doc(d: &Document) -> Holder {
        let owner = d.get_document("owner").cloned().unwrap_or_default();
        Holder {
            host: owner.get_str("host").unwrap_or("?").to_string(),
            pid: owner
                .get_i64("pid")
                .or_else(|_| owner.get_i32("pid").map(i64::from))
                .unwrap_or(0),
            command: owner.get_str("command").unwrap_or("?").to_string(),
            run_id: owner.get_str("run").unwrap_or("?").to_string(),
            since: d.get_datetime("acquiredAt").ok().copied(),
            expires: d.get_datetime("expiresAt").ok().copied(),
        }
    }
}

/// Why a lock could not be taken, kept or removed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("{0}")]
    Held(Holder),
    /// Taking it failed on the server.
    #[error("cannot take the lock: {0}")]
    Server(String),
    /// The fence: another run took the lock over; nothing more is written.
    #[error("lost the lock of {database} to another run; stopped before writing")]
    Lost { database: String },
    /// The fence: the lease could not be renewed in time; nothing more is written.
    #[error("the lock lease of {database} could not be renewed in time; stopped before writing")]
    Lapsed { database: String },
    /// `mig unlock --force` could not remove it.
    #[error("{0}")]
    Unlock(Failure),
}

/// A held lock, renewed in the background until released.
pub struct Lock {
    db: Database,
    run_id: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
    renewed: Arc<Mutex<Instant>>,
    renewer: tokio::task::JoinHandle<()>,
}

impl Lock {
    /// Takes the lock of `db`, waiting up to `options.wait` for a holder to let go.
    pub async fn acquire(db: &Database, options: &LockOptions) -> Result<Lock, LockError> {
        let deadline = options.wait.map(|w| Instant::now() + w);
        loop {
            let started = Instant::now();
            match try_acquire(db, options).await {
                Ok(()) => return Ok(Lock::start(db, options, started)),
                Err(LockError::Held(holder)) => match deadline {
                    Some(d) if Instant::now() < d => {
                        // The holder may finish or its lease may lapse: look again soon.
                        let pause = (d - Instant::now()).min(Duration::from_millis(250));
                        tokio::time::sleep(pause).await;
                    }
                    _ => return Err(LockError::Held(holder)),
                },
                Err(e) => return Err(e),
            }
        }
    }

    fn start(db: &Database, options: &LockOptions, taken_at: Instant) -> Lock {
        let lost = Arc::new(AtomicBool::new(false));
        let renewed = Arc::new(Mutex::new(taken_at));
        let renewer = tokio::spawn(renew(
            db.clone(),
            options.run_id.clone(),
            options.lease,
            lost.clone(),
            renewed.clone(),
        ));
        Lock {
            db: db.clone(),
            run_id: options.run_id.clone(),
            lease: options.lease,
            lost,
            renewed,
            renewer,
        }
    }

    /// The fence: `Err` when the lease may have lapsed, so no write follows.
    pub fn check(&self) -> Result<(), LockError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(LockError::Lost {
                database: self.db.name().to_string(),
            });
        }
        let renewed = *self.renewed.lock().unwrap_or_else(|e| e.into_inner());
        // A margin for the time a write takes to reach the server.
        if renewed.elapsed() + self.lease / 5 > self.lease {
            return Err(LockError::Lapsed {
                database: self.db.name().to_string(),
            });
        }
        Ok(())
    }

    pub async fn release(self) {
        self.renewer.abort();
        let what = format!("unlock of {}", self.db.name());
        let locks = self.db.collection::<Document>(LOCK_COLLECTION);
        let _ = retry(&what, || {
            locks.delete_one(doc! {"_id": LOCK_ID, "owner.run": &self.run_id})
        })
        .await;
    }
}

/// One atomic attempt: a single upsert whose pipeline takes the lock only if
/// it is free, expired or already this run's, and otherwise leaves it as it
/// is; the document it returns says who holds it now.
async fn try_acquire(db: &Database, options: &LockOptions) -> Result<(), LockError> {
    let lease_ms = options.lease.as_millis() as i64;
    let owner = doc! {
        "host": gethostname::gethostname().to_string_lossy().into_owned(),
        "pid": std::process::id() as i64,
        "command": &options.command,
        "run": &options.run_id,
    };
    let free = doc! {"$or": [
        {"$lte": [{"$ifNull": ["$expiresAt", DateTime::from_millis(0)]}, "$$NOW"]},
        {"$eq": ["$owner.run", &options.run_id]},
    ]};
    let take = |new: Bson, old: &str| Bson::Document(doc! {"$cond": [free.clone(), new, old]});
    let update = vec![doc! {"$set": {
        "kind": "lock",
        "owner": take(Bson::Document(doc! {"$literal": owner}), "$owner"),
        "acquiredAt": take(Bson::String("$$NOW".into()), "$acquiredAt"),
        "renewedAt": take(Bson::String("$$NOW".into()), "$renewedAt"),
        "expiresAt": take(Bson::Document(doc! {"$add": ["$$NOW", lease_ms]}), "$expiresAt"),
    }}];
    // Sent again through a failover: the upsert takes a lock this run holds,
    // so a take that landed though its reply was lost is found to be ours.
    let what = format!("lock of {}", db.name());
    let locks = db.collection::<Document>(LOCK_COLLECTION);
    let result = retry(&what, || {
        locks
            .find_one_and_update(
                doc! {"_id": LOCK_ID},
                UpdateModifications::Pipeline(update.clone()),
            )
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
    })
    .await;
    let now_held_by = match result {
        Ok(Some(d)) => Holder::from_doc(&d),
        Ok(None) => holder(db).await.unwrap_or_else(Holder::unknown),
        // Two runs inserted the first lock at once and this one lost.
        Err(e) if code(&e) == Some(11000) => holder(db).await.unwrap_or_else(Holder::unknown),
        Err(e) => {
            // Given up: a take that landed all the same must not outlive this run.
            let _ = db
                .collection::<Document>(LOCK_COLLECTION)
                .delete_one(doc! {"_id": LOCK_ID, "owner.run": &options.run_id})
                .await;
            return Err(LockError::Server(explain(&e)));
        }
    };
    if now_held_by.run_id == options.run_id {
        Ok(())
    } else {
        Err(LockError::Held(now_held_by))
    }
}

/// Who holds the lock of `db`, if anyone.
pub async fn holder(db: &Database) -> Option<Holder> {
    db.collection::<Document>(LOCK_COLLECTION)
        .find_one(doc! {"_id": LOCK_ID})
        .await
        .ok()
        .flatten()
        .map(|d| Holder::from_doc(&d))
}

/// `mig unlock DB --force`: removes the lock whoever holds it.
pub async fn force_unlock(db: &Database) -> Result<Option<Holder>, LockError> {
    let found = holder(db).await;
    db.collection::<Document>(LOCK_COLLECTION)
        .delete_one(doc! {"_id": LOCK_ID})
        .await
        .map_err(|e| LockError::Unlock(Failure::of(&e)))?;
    Ok(found)
}

async fn renew(
    db: Database,
    run_id: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
    renewed: Arc<Mutex<Instant>>,
) {
    let lease_ms = lease.as_millis() as i64;
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        let sent = Instant::now();
        let result = db
            .collection::<Document>(LOCK_COLLECTION)
            .update_one(
                doc! {"_id": LOCK_ID, "owner.run": &run_id},
                UpdateModifications::Pipeline(vec![doc! {"$set": {
                    "renewedAt": "$$NOW",
                    "expiresAt": {"$add": ["$$NOW", Bson::Int64(lease_ms)]},
                }}]),
            )
            .await;
        match result {
            Ok(r) if r.matched_count == 1 => {
                *renewed.lock().unwrap_or_else(|e| e.into_inner()) = sent
            }
            Ok(_) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // A network blip: the fence's deadline decides if it lasted too long.
            Err(_) => {}
        }
    }
}
