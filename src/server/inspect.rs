//! Reads the live state of databases into the shared model: which of the
//! managed collections exist, their default collation, and their indexes.
//!
//! Two paths give the same model (a test proves it):
//! - `$listCatalog` (MongoDB 6.0+): one aggregation on `admin` returns the
//!   catalog of every target database at once;
//! - otherwise one `listCollections` per database and one `listIndexes` per
//!   collection, concurrently.

use std::collections::HashMap;
use std::time::Duration;

use bson::{doc, Document};
use futures::stream::{self, StreamExt};
use futures::TryStreamExt;
use mongodb::{Client, Database};

use super::errors::{code, explain, Failure, ReadError};
use super::{bounded, within};
use crate::model::collection::{options_from_catalog, options_from_list, BUCKETS_PREFIX};
use crate::model::{Collection, DatabaseState, IndexSpec};

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

/// Reads the catalog of many databases as one stream, in the order of their
/// names: one `$listCatalog` cursor sorted by database, each database handed
/// on once all its entries have arrived, so only one database's entries are
/// held at a time. A database with no entries is one whose collections don't
/// exist (yet). If the cursor fails half-way (the server steps down), the
/// databases already handed on stand, and each of the rest gets the error.
pub fn catalog_each(
    client: &Client,
    mut requests: Vec<Request>,
    timeout: Option<Duration>,
) -> impl futures::Stream<Item = (Request, Result<DatabaseState, ReadError>)> + '_ {
    requests.sort_by(|a, b| a.database.cmp(&b.database));
    let state = CatalogStream {
        requests: requests.into(),
        ..CatalogStream::default()
    };
    stream::unfold(state, move |mut state| async move {
        let item = state.next(client, timeout).await?;
        Some((item, state))
    })
}

/// Catalog entries per batch of the streamed read.
const CATALOG_BATCH: u32 = 256;

#[derive(Default)]
struct CatalogStream {
    /// Not handed on yet, by name.
    requests: std::collections::VecDeque<Request>,
    cursor: Option<mongodb::Cursor<Document>>,
    /// Opened, and read to its end.
    exhausted: bool,
    /// The first entry of the next database, read ahead.
    held: Option<Document>,
    /// The cursor failed: every database not handed on fails with this.
    failed: Option<ReadError>,
}

impl CatalogStream {
    async fn next(
        &mut self,
        client: &Client,
        timeout: Option<Duration>,
    ) -> Option<(Request, Result<DatabaseState, ReadError>)> {
        if self.requests.is_empty() {
            return None;
        }
        // Opened on the first call, over every database still to come.
        if self.cursor.is_none() && !self.exhausted && self.failed.is_none() {
            if let Err(e) = self.open(client, timeout).await {
                self.failed = Some(e);
            }
        }
        let request = self.requests.pop_front()?;
        // The pipeline matches only requested databases, so none before this
        // one should come; skip any that do.
        while let Some(entry) = self.peek(timeout).await {
            let before = entry.get_str("db").unwrap_or_default() < request.database.as_str();
            if !before {
                break;
            }
            self.held = None;
        }
        // This database's entries, up to the first of the next one.
        let mut entries = Vec::new();
        while let Some(entry) = self.peek(timeout).await {
            if entry.get_str("db") != Ok(request.database.as_str()) {
                break;
            }
            entries.extend(self.held.take());
        }
        if let Some(e) = &self.failed {
            return Some((request, Err(e.clone())));
        }
        let found: Vec<&Document> = entries.iter().collect();
        let state = state_from_catalog(client, &request, &found, timeout).await;
        Some((request, state))
    }

    async fn open(&mut self, client: &Client, timeout: Option<Duration>) -> Result<(), ReadError> {
        let databases: Vec<&str> = self.requests.iter().map(|r| r.database.as_str()).collect();
        let mut pipeline = catalog_pipeline(&databases, self.requests.iter());
        pipeline.push(doc! {"$sort": {"db": 1}});
        let admin = client.database("admin");
        // Small batches: the driver holds a whole batch, and a default one
        // (up to 16 MB) would hold a large part of the fleet's catalog at once.
        let cursor = bounded(
            timeout,
            "$listCatalog",
            admin.aggregate(pipeline).batch_size(CATALOG_BATCH),
        )
        .await?;
        self.cursor = Some(cursor);
        Ok(())
    }

    /// The next entry, read ahead into `held`; None at the end or on a failure.
    async fn peek(&mut self, timeout: Option<Duration>) -> Option<&Document> {
        if self.held.is_none() && !self.exhausted && self.failed.is_none() {
            let cursor = self.cursor.as_mut()?;
            match bounded(timeout, "$listCatalog", cursor.try_next()).await {
                Ok(Some(entry)) => self.held = Some(entry),
                Ok(None) => {
                    self.exhausted = true;
                    self.cursor = None;
                }
                Err(e) => {
                    self.failed = Some(e);
                    self.cursor = None;
                }
            }
        }
        self.held.as_ref()
    }
}

/// `$listCatalog`, narrowed to the requested databases and collections, and
/// to the fields the model reads.
fn catalog_pipeline<'a>(
    databases: &[&str],
    requests: impl Iterator<Item = &'a Request>,
) -> Vec<Document> {
    // A time-series collection's options are on its buckets' entry.
    let mut names: Vec<String> = requests
        .flat_map(|r| r.collections.iter())
        .flat_map(|c| [c.clone(), format!("{BUCKETS_PREFIX}{c}")])
        .collect();
    names.sort();
    names.dedup();
    vec![
        doc! {"$listCatalog": {}},
        doc! {"$match": {"db": {"$in": databases}, "name": {"$in": &names}}},
        catalog_projection(),
    ]
}

/// The fields of a catalog entry the model reads.
fn catalog_projection() -> Document {
    doc! {"$project": {
        "db": 1, "name": 1, "type": 1,
        "md.options": 1, "md.indexes.spec": 1,
        // A view's definition is the entry itself.
        "viewOn": 1, "pipeline": 1, "collation": 1,
    }}
}

async fn read_catalog(
    client: &Client,
    requests: &[Request],
    timeout: Option<Duration>,
) -> Result<Vec<Result<DatabaseState, ReadError>>, ReadError> {
    let databases: Vec<&str> = requests.iter().map(|r| r.database.as_str()).collect();
    let pipeline = catalog_pipeline(&databases, requests.iter());
    let admin = client.database("admin");
    let entries: Vec<Document> = bounded(timeout, "$listCatalog", async {
        admin.aggregate(pipeline).await?.try_collect().await
    })
    .await?;
    Ok(states_from_catalog(client, requests, &entries, timeout).await)
}

/// Each request's state from catalog entries read already, in order.
async fn states_from_catalog(
    client: &Client,
    requests: &[Request],
    entries: &[Document],
    timeout: Option<Duration>,
) -> Vec<Result<DatabaseState, ReadError>> {
    let mut by_db: HashMap<&str, Vec<&Document>> = HashMap::new();
    for e in entries {
        if let Ok(db) = e.get_str("db") {
            by_db.entry(db).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for request in requests {
        let found = by_db
            .get(request.database.as_str())
            .cloned()
            .unwrap_or_default();
        out.push(state_from_catalog(client, request, &found, timeout).await);
    }
    out
}

async fn state_from_catalog(
    client: &Client,
    request: &Request,
    found: &[&Document],
    timeout: Option<Duration>,
) -> Result<DatabaseState, ReadError> {
    let db = client.database(&request.database);
    let mut collections = Vec::new();
    for name in &request.collections {
        let entry = found
            .iter()
            .find(|e| e.get_str("name") == Ok(name.as_str()));
        let Some(entry) = entry else {
            collections.push(Collection {
                name: name.clone(),
                ..Default::default()
            });
            continue;
        };
        let kind = entry.get_str("type").unwrap_or("collection");
        if kind == "view" {
            collections.push(Collection {
                name: name.clone(),
                exists: true,
                options: Some(options_from_catalog(entry, None)),
                ..Default::default()
            });
            continue;
        }
        if kind == "timeseries" {
            let buckets = format!("{BUCKETS_PREFIX}{name}");
            let buckets = found
                .iter()
                .find(|e| e.get_str("name") == Ok(buckets.as_str()));
            // The catalog lists a time-series collection's indexes on its
            // buckets, in internal form; listIndexes translates them.
            collections.push(Collection {
                name: name.clone(),
                exists: true,
                indexes: read_indexes(&db, name, timeout).await?,
                options: Some(options_from_catalog(entry, buckets.copied())),
                ..Default::default()
            });
            continue;
        }
        // Read in place: only the index specs are copied (a fleet's catalog
        // is mostly these documents).
        let empty = Document::new();
        let md = entry.get_document("md").unwrap_or(&empty);
        let options = md.get_document("options").unwrap_or(&empty);
        let mut indexes = Vec::new();
        if let Ok(clustered) = options.get_document("clusteredIndex") {
            let mut spec = clustered.clone();
            spec.insert("clustered", true);
            indexes.push(spec);
        }
        for index in md
            .get_array("indexes")
            .map(|a| a.as_slice())
            .unwrap_or_default()
        {
            if let Some(spec) = index
                .as_document()
                .and_then(|d| d.get_document("spec").ok())
            {
                indexes.push(spec.clone());
            }
        }
        collections.push(Collection {
            name: name.clone(),
            exists: true,
            indexes: specs(&request.database, name, &indexes)?,
            options: Some(options_from_catalog(entry, None)),
            ..Default::default()
        });
    }
    Ok(DatabaseState {
        name: request.database.clone(),
        collections,
        retiring: Vec::new(),
    })
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

fn specs(database: &str, collection: &str, docs: &[Document]) -> Result<Vec<IndexSpec>, ReadError> {
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

async fn read_indexes(
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
fn first_batch(reply: &Document) -> Result<Vec<Document>, ReadError> {
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
