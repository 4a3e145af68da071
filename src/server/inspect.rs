//! Reads the live state of a database into the shared model: which of the
//! managed collections exist, their default collation, and their indexes.

use std::time::Duration;

use bson::{doc, Document};
use futures::future::try_join_all;
use mongodb::Database;

use super::errors::{code, explain};
use super::{bounded, within};
use crate::model::{Collection, DatabaseState, IndexSpec};

/// Reads `collections` of `db`: one `listCollections`, then one `listIndexes`
/// per existing collection, concurrently.
pub async fn read_database(
    db: &Database,
    collections: &[String],
    timeout: Option<Duration>,
) -> Result<DatabaseState, String> {
    let reply = bounded(
        timeout,
        "listCollections",
        db.run_command(doc! {
            "listCollections": 1,
            "filter": {"name": {"$in": collections}},
            "authorizedCollections": true,
        }),
    )
    .await?;
    let found = first_batch(&reply)?;
    let mut states = Vec::new();
    for name in collections {
        let info = found
            .iter()
            .find(|c| c.get_str("name") == Ok(name.as_str()));
        if let Some(info) = info {
            let kind = info.get_str("type").unwrap_or("collection");
            if kind == "view" {
                return Err(format!(
                    "{}.{name} is a view, not a collection; views have no indexes",
                    db.name()
                ));
            }
        }
        let default_collation = info
            .and_then(|i| i.get_document("options").ok())
            .and_then(|o| o.get_document("collation").ok())
            .cloned();
        states.push(Collection {
            name: name.clone(),
            exists: info.is_some(),
            default_collation,
            indexes: Vec::new(),
        });
    }
    let reads = states
        .iter()
        .filter(|c| c.exists)
        .map(|c| read_indexes(db, &c.name, timeout));
    let indexes = try_join_all(reads).await?;
    for (state, indexes) in states.iter_mut().filter(|c| c.exists).zip(indexes) {
        state.indexes = indexes;
    }
    Ok(DatabaseState {
        name: db.name().to_string(),
        collections: states,
    })
}

async fn read_indexes(
    db: &Database,
    collection: &str,
    timeout: Option<Duration>,
) -> Result<Vec<IndexSpec>, String> {
    let reply = within(
        timeout,
        "listIndexes",
        db.run_command(doc! {"listIndexes": collection}),
    )
    .await?;
    let reply = match reply {
        Ok(r) => r,
        // Dropped between listCollections and now: it has no indexes.
        Err(e) if code(&e) == Some(26) => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "listIndexes on {}.{collection}: {}",
                db.name(),
                explain(&e)
            ))
        }
    };
    first_batch(&reply)?
        .iter()
        .map(|d| IndexSpec::from_server(d).map_err(|e| format!("{}.{collection}: {e}", db.name())))
        .collect()
}

/// A collection has at most 64 indexes and `mig` filters collections by name,
/// so a reply always fits the first batch; a cursor left open would mean
/// something else is going on, and is reported rather than half-read.
fn first_batch(reply: &Document) -> Result<Vec<Document>, String> {
    let cursor = reply
        .get_document("cursor")
        .map_err(|_| "reply without a cursor".to_string())?;
    if cursor.get_i64("id").unwrap_or(0) != 0 {
        return Err("the server returned more than one batch of catalog entries".into());
    }
    Ok(cursor
        .get_array("firstBatch")
        .map_err(|_| "reply without firstBatch".to_string())?
        .iter()
        .filter_map(|b| b.as_document().cloned())
        .collect())
}
