//! What `mig lint --live` reads about a collection: how much each index is
//! used (`$indexStats`) and the types of a field's values in a sample of
//! documents (`$sample`). Aggregations only: nothing here writes, and a
//! missing collection reads as empty, never created.

use std::collections::BTreeMap;
use std::time::Duration;

use bson::{doc, Bson, DateTime, Document};
use futures::TryStreamExt;
use mongodb::Database;

use super::bounded;
use super::errors::ReadError;

/// One index's counter from `$indexStats`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexStat {
    pub name: String,
    /// Operations that used the index since `since`.
    pub ops: i64,
    /// When counting began: the server's start, or the index's build.
    pub since: Option<DateTime>,
}

async fn aggregate(
    db: &Database,
    collection: &str,
    pipeline: Vec<Document>,
    timeout: Option<Duration>,
    what: &str,
) -> Result<Vec<Document>, ReadError> {
    let coll = db.collection::<Document>(collection);
    bounded(timeout, what, async {
        coll.aggregate(pipeline).await?.try_collect().await
    })
    .await
}

/// The usage counter of every index of a collection (of the node read).
pub async fn index_stats(
    db: &Database,
    collection: &str,
    timeout: Option<Duration>,
) -> Result<Vec<IndexStat>, ReadError> {
    let what = format!("$indexStats on {}.{collection}", db.name());
    let stats = aggregate(
        db,
        collection,
        vec![doc! {"$indexStats": {}}],
        timeout,
        &what,
    )
    .await?;
    Ok(stats
        .iter()
        .filter_map(|s| {
            let accesses = s.get_document("accesses").ok();
            Some(IndexStat {
                name: s.get_str("name").ok()?.to_string(),
                ops: accesses
                    .and_then(|a| match a.get("ops")? {
                        Bson::Int64(n) => Some(*n),
                        Bson::Int32(n) => Some(i64::from(*n)),
                        _ => None,
                    })
                    .unwrap_or(0),
                since: accesses.and_then(|a| a.get_datetime("since").ok().copied()),
            })
        })
        .collect())
}

/// How many of `size` sampled documents hold each BSON type at `field`
/// (`date`, `string`, `missing`, …); an array counts as `date` when it holds
/// a date, as a TTL index reads it.
pub async fn field_types(
    db: &Database,
    collection: &str,
    field: &str,
    size: u32,
    timeout: Option<Duration>,
) -> Result<BTreeMap<String, u64>, ReadError> {
    let path = format!("${field}");
    let type_of = doc! {"$cond": [
        {"$isArray": &path},
        {"$cond": [
            {"$in": ["date", {"$map": {"input": &path, "in": {"$type": "$$this"}}}]},
            "date",
            "array",
        ]},
        {"$type": &path},
    ]};
    let pipeline = vec![
        doc! {"$sample": {"size": i64::from(size)}},
        doc! {"$group": {"_id": type_of, "n": {"$sum": 1}}},
    ];
    let what = format!("$sample of {}.{collection}", db.name());
    let groups = aggregate(db, collection, pipeline, timeout, &what).await?;
    Ok(groups
        .iter()
        .filter_map(|g| {
            let n = match g.get("n")? {
                Bson::Int32(n) => u64::try_from(*n).ok()?,
                Bson::Int64(n) => u64::try_from(*n).ok()?,
                _ => return None,
            };
            Some((g.get_str("_id").ok()?.to_string(), n))
        })
        .collect())
}
