//! What a rollout watches on the cluster it runs on (all reads, cheap):
//! index builds in progress, anyone's (`serverStatus().activeIndexBuilds`),
//! how far the secondaries lag (`replSetGetStatus`, by `lastAppliedWallTime`:
//! the heartbeat `optimeDate`s are whole seconds and show lag where there is
//! none, mongod 6.0.5), and the fleet-wide pause, a control document
//! `_id: "pause"` in the public database's `mig` collection.

use std::time::Duration;

use bson::{doc, DateTime, Document};
use mongodb::{Client, Database};

use super::errors::{explain, Failure};
use super::MIG_COLLECTION;

const PAUSE_ID: &str = "pause";
const RATE_ID: &str = "build_rate";

/// Why a reading of the cluster's load could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Server(String),
    /// A standalone has no secondaries to lag (or `replSetGetStatus` is not
    /// allowed to this user): `--max-lag` can't be kept.
    #[error("the server won't say its replication status ({0}): --max-lag needs a replica set and a user allowed replSetGetStatus (clusterMonitor)")]
    NoReplication(String),
}

/// How many index builds the server has in progress, every client's.
pub async fn builds_in_progress(client: &Client) -> Result<usize, LoadError> {
    let status = client
        .database("admin")
        .run_command(doc! {"serverStatus": 1, "activeIndexBuilds": 1})
        .await
        .map_err(|e| LoadError::Server(explain(&e)))?;
    let total = status
        .get_document("activeIndexBuilds")
        .ok()
        .and_then(|b| b.get("total"))
        .and_then(crate::model::index::as_i64)
        .unwrap_or(0);
    Ok(total.max(0) as usize)
}

/// The largest lag of a secondary behind the primary.
pub async fn replication_lag(client: &Client) -> Result<Duration, LoadError> {
    let status = client
        .database("admin")
        .run_command(doc! {"replSetGetStatus": 1})
        .await
        .map_err(|e| LoadError::NoReplication(explain(&e)))?;
    let members = status
        .get_array("members")
        .map_err(|_| LoadError::NoReplication("no members in replSetGetStatus".into()))?;
    let applied = |m: &Document| m.get_datetime("lastAppliedWallTime").ok().copied();
    let state = |m: &Document| m.get_str("stateStr").unwrap_or_default().to_string();
    let members: Vec<&Document> = members.iter().filter_map(|m| m.as_document()).collect();
    let primary = members
        .iter()
        .find(|m| state(m) == "PRIMARY")
        .and_then(|m| applied(m));
    let Some(primary) = primary else {
        return Err(LoadError::Server("no primary in replSetGetStatus".into()));
    };
    Ok(members
        .iter()
        .filter(|m| state(m) == "SECONDARY")
        .filter_map(|m| applied(m))
        .map(|at| {
            let ms = primary.timestamp_millis() - at.timestamp_millis();
            Duration::from_millis(ms.max(0) as u64)
        })
        .max()
        .unwrap_or_default())
}

/// Whether `--max-lag` can be kept on this server: it says its replication
/// status. Asked before any write.
pub async fn check_lag_readable(client: &Client) -> Result<(), LoadError> {
    replication_lag(client).await.map(|_| ())
}

/// Who paused rollouts on this cluster, and since when, if anyone did.
#[derive(Clone, Debug, PartialEq)]
pub struct Pause {
    pub by: String,
    pub since: Option<DateTime>,
}

impl std::fmt::Display for Pause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.by)?;
        if let Some(since) = self.since.and_then(|s| s.try_to_rfc3339_string().ok()) {
            write!(f, " since {since}")?;
        }
        Ok(())
    }
}

/// The pause set in `public`, if any (a read that fails counts as none:
/// the pause is a brake, not a gate on reading).
pub async fn paused(public: &Database) -> Option<Pause> {
    let found = public
        .collection::<Document>(MIG_COLLECTION)
        .find_one(doc! {"_id": PAUSE_ID})
        .await
        .ok()
        .flatten()?;
    Some(Pause {
        by: found.get_str("by").unwrap_or("?").to_string(),
        since: found.get_datetime("since").ok().copied(),
    })
}

/// `mig pause`: every running apply on this cluster waits before its next step.
pub async fn pause(public: &Database, by: &str) -> Result<(), Failure> {
    public
        .collection::<Document>(MIG_COLLECTION)
        .update_one(
            doc! {"_id": PAUSE_ID},
            doc! {"$set": {"kind": "pause", "by": by, "since": DateTime::now()}},
        )
        .upsert(true)
        .await
        .map(|_| ())
        .map_err(|e| Failure::of(&e))
}

/// `mig resume`: the pause is lifted; whether there was one.
pub async fn resume(public: &Database) -> Result<bool, Failure> {
    public
        .collection::<Document>(MIG_COLLECTION)
        .delete_one(doc! {"_id": PAUSE_ID})
        .await
        .map(|r| r.deleted_count > 0)
        .map_err(|e| Failure::of(&e))
}

/// The build rate measured on this cluster (bytes scanned per second), if
/// any build was measured; kept beside the public database's journal.
pub async fn build_rate(public: &Database) -> Option<f64> {
    public
        .collection::<Document>(MIG_COLLECTION)
        .find_one(doc! {"_id": RATE_ID})
        .await
        .ok()
        .flatten()
        .and_then(|d| d.get_f64("bytesPerSecond").ok())
        .filter(|r| *r > 0.0)
}

/// Folds one measured build into the cluster's rate (an even moving
/// average, so the estimate follows the cluster as its load changes).
pub async fn record_build(public: &Database, bytes: u64, took: Duration) -> Result<(), Failure> {
    let seconds = took.as_secs_f64().max(0.001);
    let rate = bytes as f64 / seconds;
    let update = vec![doc! {"$set": {
        "kind": "build_rate",
        "bytesPerSecond": {"$cond": [
            {"$gt": [{"$ifNull": ["$bytesPerSecond", 0.0]}, 0.0]},
            {"$add": [{"$multiply": ["$bytesPerSecond", 0.5]}, rate * 0.5]},
            rate,
        ]},
        "builds": {"$add": [{"$ifNull": ["$builds", 0]}, 1]},
        "updatedAt": "$$NOW",
    }}];
    public
        .collection::<Document>(MIG_COLLECTION)
        .update_one(doc! {"_id": RATE_ID}, update)
        .upsert(true)
        .await
        .map(|_| ())
        .map_err(|e| Failure::of(&e))
}
