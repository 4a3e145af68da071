//! Checks before any write (and during `plan`), against the live data:
//! duplicate keys for unique builds and conversions, the 64-index limit, the
//! one-text-index rule, and how much each index to be dropped is used. They
//! only read, and return [`Findings`]: the plan leaves a blocked change
//! without steps.

use std::collections::{BTreeMap, HashMap};

use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use mongodb::Database;

use super::errors::{explain, Failure, ReadError};
use crate::model::{DatabaseState, IndexSpec};
use crate::plan::{limits, short_of_disk, Change, Findings, Usage};

mod validator;

/// A sample document's `_id` as a finding shows it: compact relaxed
/// Extended JSON (`{"$oid":"…"}`, `"a@x"`, `7`), the form the keys are in,
/// whichever check found it.
fn sample_id(id: &Bson) -> String {
    id.clone().into_relaxed_extjson().to_string()
}

/// How many duplicate keys (or invalid documents) a finding shows.
const SAMPLES: i32 = 5;

/// Everything the preflight finds about `changes`: it only reads.
/// `allow_invalid_documents`: a validator that documents already there fail
/// is a note, not a block (`--allow-invalid-documents`).
pub async fn check(
    db: &Database,
    changes: &[Change],
    live: &DatabaseState,
    allow_invalid_documents: bool,
    build_rate: Option<f64>,
    min_free_disk: u64,
) -> Result<Findings, ReadError> {
    let mut blocked = BTreeMap::new();
    let mut notes = BTreeMap::new();
    for (i, change) in changes.iter().enumerate() {
        if let Some(spec) = change.desired().filter(|_| change.builds_unique()) {
            if let Some(found) = duplicates(db, change.collection(), spec).await? {
                blocked.insert(i, found);
            }
        }
        let collection = live.collection(change.collection());
        if let Some(invalid) = validator::invalid_documents(db, change, collection).await? {
            match (invalid.blocks, allow_invalid_documents) {
                (true, false) => blocked.insert(
                    i,
                    format!(
                        "{}. Fix them first (a data migration), or apply with \
                         --allow-invalid-documents",
                        invalid.message
                    ),
                ),
                (true, true) => notes.insert(
                    i,
                    format!(
                        "{} (applied anyway: --allow-invalid-documents)",
                        invalid.message
                    ),
                ),
                (false, _) => notes.insert(i, invalid.message),
            };
        }
    }
    let over = limits(changes, live, &blocked);
    blocked.extend(over);
    let impact = impact(db, changes, build_rate).await?;
    // The builds' estimated sizes against the disk the server has free.
    if !impact.is_empty() {
        if let Some(why) = short_of_disk(&impact, free_disk(db).await?, min_free_disk) {
            for i in impact.keys() {
                blocked.entry(*i).or_insert_with(|| why.clone());
            }
        }
    }
    Ok(Findings {
        blocked,
        notes,
        usage: usage(db, changes).await?,
        impact,
    })
}

/// The bytes free on the server's data volume: `dbStats`' `fsTotalSize -
/// fsUsedSize`, what `df` says there (mongod 6.0.5).
async fn free_disk(db: &Database) -> Result<u64, ReadError> {
    let stats = db
        .run_command(doc! {"dbStats": 1})
        .await
        .map_err(|e| ReadError::server(&e))?;
    Ok(count(&stats, "fsTotalSize").saturating_sub(count(&stats, "fsUsedSize")))
}

/// A non-negative number a stats reply holds under `field` (0 when absent).
fn count(stats: &Document, field: &str) -> u64 {
    stats
        .get(field)
        .and_then(crate::model::index::as_f64)
        .unwrap_or(0.0)
        .max(0.0) as u64
}

/// What each build over existing documents scans: its collection's
/// `$collStats` storage stats (metadata, not the documents: 20 calls on
/// 200k documents took 91 ms on mongod 6.0.5), read once per collection and
/// only for collections with a build.
async fn impact(
    db: &Database,
    changes: &[Change],
    build_rate: Option<f64>,
) -> Result<BTreeMap<usize, crate::plan::Impact>, ReadError> {
    let mut sizes: HashMap<String, (u64, u64, u64)> = HashMap::new();
    let mut out = BTreeMap::new();
    for (i, change) in changes.iter().enumerate() {
        let builds = matches!(
            change,
            Change::Create {
                new_collection: false,
                ..
            } | Change::Replace { .. }
                | Change::Rename { .. }
        );
        if !builds {
            continue;
        }
        let collection = change.collection();
        if !sizes.contains_key(collection) {
            let stats = db
                .collection::<Document>(collection)
                .aggregate([doc! {"$collStats": {"storageStats": {}}}])
                .await
                .map_err(|e| ReadError::server(&e))?
                .try_collect::<Vec<Document>>()
                .await
                .map_err(|e| ReadError::server(&e))?;
            let storage = stats
                .first()
                .and_then(|s| s.get_document("storageStats").ok().cloned())
                .unwrap_or_default();
            let number = |field: &str| count(&storage, field);
            let per_index = number("totalIndexSize") / number("nindexes").max(1);
            sizes.insert(
                collection.to_string(),
                (number("count"), number("size"), per_index),
            );
        }
        let (documents, bytes, index_bytes) = sizes[collection];
        out.insert(
            i,
            crate::plan::Impact::estimated(documents, bytes, index_bytes, build_rate),
        );
    }
    Ok(out)
}

/// Groups the documents the index would cover by its key; any group of two
/// or more is a duplicate the unique build would fail on.
async fn duplicates(
    db: &Database,
    collection: &str,
    spec: &IndexSpec,
) -> Result<Option<String>, ReadError> {
    let fields: Vec<&String> = spec.keys.keys().collect();
    let mut group_key = Document::new();
    for (i, field) in fields.iter().enumerate() {
        group_key.insert(format!("k{i}"), format!("${field}"));
    }
    let mut pipeline = Vec::new();
    if let Some(filter) = &spec.partial_filter_expression {
        pipeline.push(doc! {"$match": filter.clone()});
    }
    if spec.sparse {
        // A sparse index leaves out documents that have none of its fields.
        let any: Vec<Document> = fields
            .iter()
            .map(|f| doc! {f.as_str(): {"$exists": true}})
            .collect();
        pipeline.push(doc! {"$match": {"$or": any}});
    }
    pipeline
        .push(doc! {"$group": {"_id": group_key, "count": {"$sum": 1}, "ids": {"$push": "$_id"}}});
    pipeline.push(doc! {"$match": {"count": {"$gt": 1}}});
    pipeline.push(doc! {"$facet": {
        "total": [{"$count": "n"}],
        "samples": [{"$limit": SAMPLES}, {"$project": {"count": 1, "ids": {"$slice": ["$ids", SAMPLES]}}}],
    }});
    let coll = db.collection::<Document>(collection);
    let mut aggregate = coll.aggregate(pipeline).allow_disk_use(true);
    if let Some(c) = &spec.collation {
        let collation: mongodb::options::Collation = bson::from_document(c.clone())
            .map_err(|e| ReadError::Unexpected(format!("collation of {}: {e}", spec.name)))?;
        aggregate = aggregate.collation(collation);
    }
    let result: Vec<Document> = async { aggregate.await?.try_collect().await }
        .await
        .map_err(|e| {
            let mut failure = Failure::of(&e);
            failure.message = format!(
                "duplicate-key check for {}.{collection}: {}",
                spec.name, failure.message
            );
            ReadError::Server(failure)
        })?;
    let Some(facet) = result.first() else {
        return Ok(None);
    };
    let total = facet
        .get_array("total")
        .ok()
        .and_then(|t| t.first())
        .and_then(Bson::as_document)
        .and_then(|d| d.get_i32("n").ok())
        .unwrap_or(0);
    if total == 0 {
        return Ok(None);
    }
    let samples: Vec<String> = facet
        .get_array("samples")
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(Bson::as_document)
        .map(|s| {
            let key: Document = s
                .get_document("_id")
                .map(|k| {
                    fields
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            (
                                f.to_string(),
                                k.get(format!("k{i}")).cloned().unwrap_or(Bson::Null),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let ids: Vec<String> = s
                .get_array("ids")
                .map(|a| a.iter().map(sample_id).collect())
                .unwrap_or_default();
            format!(
                "{} x{} (_id {})",
                Bson::Document(key).into_relaxed_extjson(),
                s.get_i32("count").unwrap_or(0),
                ids.join(", ")
            )
        })
        .collect();
    Ok(Some(format!(
        "{total} duplicate key(s) in {}.{collection} would fail the unique build; e.g. {}",
        db.name(),
        samples.join("; ")
    )))
}

/// `$indexStats` for the indexes about to be hidden or dropped.
async fn usage(db: &Database, changes: &[Change]) -> Result<BTreeMap<usize, Usage>, ReadError> {
    let mut found = BTreeMap::new();
    let mut collections: Vec<&str> = changes
        .iter()
        .filter(|c| matches!(c, Change::Drop { .. } | Change::Hide { .. }))
        .map(Change::collection)
        .collect();
    collections.dedup();
    for name in collections {
        let stats: Vec<Document> = match async {
            db.collection::<Document>(name)
                .aggregate(vec![doc! {"$indexStats": {}}])
                .await?
                .try_collect()
                .await
        }
        .await
        {
            Ok(s) => s,
            // Usage is information, not a gate: a user without the privilege still gets a plan.
            Err(e) => {
                tracing::info!(database = %db.name(), collection = %name, "no index usage: {}", explain(&e));
                continue;
            }
        };
        let by_name: HashMap<&str, &Document> = stats
            .iter()
            .filter_map(|s| Some((s.get_str("name").ok()?, s)))
            .collect();
        for (i, change) in changes.iter().enumerate().filter(|(_, c)| {
            c.collection() == name && matches!(c, Change::Drop { .. } | Change::Hide { .. })
        }) {
            if let Some(accesses) = by_name
                .get(change.index().unwrap_or_default())
                .and_then(|s| s.get_document("accesses").ok())
            {
                found.insert(
                    i,
                    Usage {
                        ops: accesses
                            .get_i64("ops")
                            .or_else(|_| accesses.get_i32("ops").map(i64::from))
                            .unwrap_or(0),
                        since: accesses.get_datetime("since").ok().copied(),
                    },
                );
            }
        }
    }
    Ok(found)
}
