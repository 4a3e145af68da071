//! Reads the live state of databases into the shared model: which of the
//! managed collections exist, their default collation, and their indexes.
//!
//! Two paths give the same model (a test proves it):
//! - `$listCatalog` (MongoDB 6.0+): one aggregation on `admin` returns the
//!   catalog of every target database at once (`catalog.rs`);
//! - otherwise one `listCollections` per database and one `listIndexes` per
//!   collection, concurrently (`listing.rs`).
//!
//! It only reads: `mig`'s own records are `server::bookkeeping`'s.

use std::collections::HashMap;
use std::time::Duration;

use bson::{doc, Document};
use futures::stream::{self, StreamExt};
use futures::TryStreamExt;
use mongodb::Client;

mod catalog;
mod listing;

use super::bounded;
use super::errors::{explain, ReadError};
use crate::model::{Collection, DatabaseState};
pub use catalog::catalog_each;
use catalog::{catalog_projection, read_catalog, states_from_catalog};
use listing::first_batch;
pub use listing::read_database;

/// How live indexes are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadPath {
    Catalog,
    ListIndexes,
}

/// What `mig` needs to know about the server.
#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub version: String,
    pub major: u32,
    pub minor: u32,
    pub read_path: ReadPath,
    /// Replica set name, when the deployment is one.
    pub replica_set: Option<String>,
    /// Reached through `mongos`: a sharded cluster (see [`is_mongos`]).
    pub mongos: bool,
}

/// A `hello` reply from `mongos` says `msg: "isdbgrid"`.
pub fn is_mongos(hello: &Document) -> bool {
    hello.get_str("msg") == Ok("isdbgrid")
}

impl ServerInfo {
    /// `collMod` converts an index to unique (`prepareUnique`) from 6.0.
    pub fn unique_conversion(&self) -> bool {
        self.major >= 6
    }
}

/// Asks the server its version and whether `$listCatalog` may be used.
pub async fn server_info(client: &Client) -> Result<ServerInfo, ReadError> {
    let admin = client.database("admin");
    let build = admin
        .run_command(doc! {"buildInfo": 1})
        .await
        .map_err(|e| ReadError::server(&e))?;
    let version = build.get_str("version").unwrap_or("0.0").to_string();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let hello = admin
        .run_command(doc! {"hello": 1})
        .await
        .map_err(|e| ReadError::server(&e))?;
    let replica_set = hello.get_str("setName").ok().map(String::from);
    let mongos = is_mongos(&hello);
    let read_path = if mongos {
        // Through mongos, $listCatalog answers for every shard (an entry per
        // shard, shards without chunks included): one shard's listIndexes it is.
        tracing::info!("reading indexes with listIndexes: the server is a mongos");
        ReadPath::ListIndexes
    } else if major < 6 {
        tracing::info!("reading indexes with listIndexes: $listCatalog needs MongoDB 6.0 (server is {version})");
        ReadPath::ListIndexes
    } else {
        match admin
            .aggregate(vec![doc! {"$listCatalog": {}}, doc! {"$limit": 1}])
            .await
        {
            Ok(_) => {
                tracing::info!(
                    "reading indexes with one $listCatalog aggregation (server {version})"
                );
                ReadPath::Catalog
            }
            Err(e) => {
                tracing::info!("reading indexes with listIndexes: $listCatalog is not available to this user ({})", explain(&e));
                ReadPath::ListIndexes
            }
        }
    };
    Ok(ServerInfo {
        version,
        major,
        minor,
        read_path,
        replica_set,
        mongos,
    })
}

/// What to read: a database and the collections `mig` manages in it.
#[derive(Clone, Debug)]
pub struct Request {
    pub database: String,
    pub collections: Vec<String>,
}

/// Reads every requested database, by the given path; one result per request, in order.
pub async fn read(
    client: &Client,
    path: ReadPath,
    requests: &[Request],
    concurrency: usize,
    timeout: Option<Duration>,
) -> Vec<Result<DatabaseState, ReadError>> {
    match path {
        ReadPath::Catalog => match read_catalog(client, requests, timeout).await {
            Ok(states) => states,
            Err(e) => requests.iter().map(|_| Err(e.clone())).collect(),
        },
        ReadPath::ListIndexes => {
            stream::iter(requests)
                .map(|r| read_database(client.database(&r.database), &r.collections, timeout))
                .buffered(concurrency.max(1))
                .collect()
                .await
        }
    }
}

/// Every collection of each database, for `mig pull`: one result per
/// database, in order. System collections, views, time-series collections
/// and the `skip` ones (`mig`'s own) are left out. Reads only.
pub async fn read_everything(
    client: &Client,
    path: ReadPath,
    databases: &[String],
    skip: &[String],
    concurrency: usize,
    timeout: Option<Duration>,
) -> Vec<Result<DatabaseState, ReadError>> {
    let ordinary = doc! {"$not": bson::Regex { pattern: "^system\\.".into(), options: String::new() }, "$nin": skip};
    match path {
        ReadPath::Catalog => {
            // One scan of the catalog: which collections there are, and their indexes.
            let pipeline = vec![
                doc! {"$listCatalog": {}},
                doc! {"$match": {"db": {"$in": databases}, "type": "collection", "name": ordinary}},
                catalog_projection(),
            ];
            let admin = client.database("admin");
            let listed: Result<Vec<Document>, ReadError> =
                bounded(timeout, "$listCatalog", async {
                    admin.aggregate(pipeline).await?.try_collect().await
                })
                .await;
            let listed = match listed {
                Ok(l) => l,
                Err(e) => return databases.iter().map(|_| Err(e.clone())).collect(),
            };
            let mut names: HashMap<&str, Vec<String>> = HashMap::new();
            for e in &listed {
                if let (Ok(db), Ok(name)) = (e.get_str("db"), e.get_str("name")) {
                    names.entry(db).or_default().push(name.to_string());
                }
            }
            let requests: Vec<Request> = databases
                .iter()
                .map(|db| {
                    let mut collections = names.remove(db.as_str()).unwrap_or_default();
                    collections.sort();
                    Request {
                        database: db.clone(),
                        collections,
                    }
                })
                .collect();
            states_from_catalog(client, &requests, &listed, timeout).await
        }
        ReadPath::ListIndexes => {
            stream::iter(databases)
                .map(|name| {
                    let db = client.database(name);
                    let filter = doc! {"type": "collection", "name": ordinary.clone()};
                    async move {
                        let reply = bounded(
                            timeout,
                            "listCollections",
                            db.run_command(doc! {
                                "listCollections": 1,
                                "filter": filter,
                                "nameOnly": true,
                                "authorizedCollections": true,
                            }),
                        )
                        .await?;
                        let mut collections: Vec<String> = first_batch(&reply)?
                            .iter()
                            .filter_map(|c| c.get_str("name").ok().map(String::from))
                            .collect();
                        collections.sort();
                        read_database(db, &collections, timeout).await
                    }
                })
                .buffered(concurrency.max(1))
                .collect()
                .await
        }
    }
}

/// A collection declared for its indexes only that is a view on the server:
/// there are no indexes to read or build (a view declared with `viewOn` is
/// compared as a view).
pub fn check_views(live: &DatabaseState, declared: &[Collection]) -> Result<(), ReadError> {
    for d in declared.iter().filter(|d| d.options.is_none()) {
        if live.collection(&d.name).is_some_and(Collection::is_view) {
            return Err(ReadError::View {
                database: live.name.clone(),
                collection: d.name.clone(),
            });
        }
    }
    Ok(())
}
