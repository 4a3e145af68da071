//! The `listCollections` path: one `listCollections` per database and one
//! `listIndexes` per collection, concurrently.

use std::time::Duration;

use bson::{doc, Document};
use mongodb::Database;

use crate::model::collection::options_from_list;
use crate::model::{Collection, DatabaseState, IndexSpec};
use crate::server::errors::{code, explain, Failure, ReadError};
use crate::server::{bounded, within};

pub(super) fn specs(
    database: &str,
    collection: &str,
    docs: &[Document],
) -> Result<Vec<IndexSpec>, ReadError> {
    let mut specs = docs
        .iter()
        .map(|d| {
            IndexSpec::from_server(d).map_err(|e| ReadError::Malformed {
                database: database.to_string(),
                collection: collection.to_string(),
                why: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(specs)
}

/// Reads `collections` of `db`: one `listCollections`, then one `listIndexes`
/// per existing collection, concurrently.
pub async fn read_database(
    db: Database,
    collections: &[String],
    timeout: Option<Duration>,
) -> Result<DatabaseState, ReadError> {
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
        states.push(Collection {
            name: name.clone(),
            exists: info.is_some(),
            options: info.map(options_from_list),
            ..Default::default()
        });
    }
    let reads = states
        .iter()
        .filter(|c| c.exists && !c.is_view())
        .map(|c| read_indexes(&db, &c.name, timeout));
    let indexes = futures::future::try_join_all(reads).await?;
    for (state, indexes) in states
        .iter_mut()
        .filter(|c| c.exists && !c.is_view())
        .zip(indexes)
    {
        state.indexes = indexes;
    }
    Ok(DatabaseState {
        name: db.name().to_string(),
        collections: states,
        retiring: Vec::new(),
    })
}

pub(super) async fn read_indexes(
    db: &Database,
    collection: &str,
    timeout: Option<Duration>,
) -> Result<Vec<IndexSpec>, ReadError> {
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
            return Err(ReadError::Server(Failure {
                code: code(&e),
                message: format!("listIndexes on {}.{collection}: {}", db.name(), explain(&e)),
            }))
        }
    };
    specs(db.name(), collection, &first_batch(&reply)?)
}

/// A collection has at most 64 indexes and `mig` filters collections by name,
/// so a reply always fits the first batch; a cursor left open would mean
/// something else is going on, and is reported rather than half-read.
pub(super) fn first_batch(reply: &Document) -> Result<Vec<Document>, ReadError> {
    let cursor = reply
        .get_document("cursor")
        .map_err(|_| ReadError::from("reply without a cursor"))?;
    if cursor.get_i64("id").unwrap_or(0) != 0 {
        return Err("the server returned more than one batch of catalog entries".into());
    }
    Ok(cursor
        .get_array("firstBatch")
        .map_err(|_| ReadError::from("reply without firstBatch"))?
        .iter()
        .filter_map(|b| b.as_document().cloned())
        .collect())
}
