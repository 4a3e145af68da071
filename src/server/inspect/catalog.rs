//! The `$listCatalog` path (MongoDB 6.0+): one aggregation on `admin` for
//! the catalog of every target database, as one list or as a stream sorted
//! by database.

use std::collections::HashMap;
use std::time::Duration;

use bson::{doc, Document};
use futures::stream;
use futures::TryStreamExt;
use mongodb::Client;

use super::listing::{read_indexes, specs};
use super::Request;
use crate::model::collection::{options_from_catalog, BUCKETS_PREFIX};
use crate::model::{Collection, DatabaseState};
use crate::server::bounded;
use crate::server::errors::ReadError;

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
pub(super) fn catalog_pipeline<'a>(
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
pub(super) fn catalog_projection() -> Document {
    doc! {"$project": {
        "db": 1, "name": 1, "type": 1,
        "md.options": 1, "md.indexes.spec": 1,
        // A view's definition is the entry itself.
        "viewOn": 1, "pipeline": 1, "collation": 1,
    }}
}

pub(super) async fn read_catalog(
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
pub(super) async fn states_from_catalog(
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
