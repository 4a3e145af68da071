//! `mig`'s state in each database (`mig.state`): the indexes it hid to retire
//! and drop later, read before planning and recorded by the executor.

use bson::{doc, Document};
use futures::TryStreamExt;
use mongodb::Database;

use crate::model::{Collection, DatabaseState, Retiring};
use crate::server::errors::{Failure, ReadError};
use crate::server::MIG_COLLECTION as STATE_COLLECTION;

/// The indexes `mig` is retiring in `db` (hidden, to be dropped later).
pub async fn read_retiring(db: &Database) -> Result<Vec<Retiring>, ReadError> {
    let docs: Vec<Document> = async {
        db.collection::<Document>(STATE_COLLECTION)
            .find(doc! {"kind": "retiring"})
            .await?
            .try_collect()
            .await
    }
    .await
    .map_err(|e| ReadError::server(&e))?;
    Ok(docs
        .iter()
        .filter_map(|d| {
            Some(Retiring {
                collection: d.get_str("collection").ok()?.to_string(),
                index: d.get_str("index").ok()?.to_string(),
                hidden_at: *d.get_datetime("hiddenAt").ok()?,
            })
        })
        .collect())
}

/// Records that `mig` hid an index to retire it (or forgets it, once dropped).
pub async fn record_retiring(
    db: &Database,
    collection: &str,
    index: &str,
    hidden: bool,
) -> Result<(), Failure> {
    let coll = db.collection::<Document>(STATE_COLLECTION);
    let id = format!("retiring/{collection}/{index}");
    let result = if hidden {
        coll.update_one(
            doc! {"_id": &id},
            doc! {"$set": {"kind": "retiring", "collection": collection, "index": index, "hiddenAt": bson::DateTime::now()}},
        )
        .upsert(true)
        .await
        .map(|_| ())
    } else {
        coll.delete_one(doc! {"_id": &id}).await.map(|_| ())
    };
    result.map_err(|e| Failure::of(&e))
}

/// True when some live index of a declared collection is hidden and not
/// declared: only then is `mig.state` worth a round trip.
pub fn may_be_retiring(live: &DatabaseState, declared: &[Collection]) -> bool {
    live.collections.iter().any(|c| {
        let names: Vec<&str> = declared
            .iter()
            .filter(|d| d.name == c.name)
            .flat_map(|d| d.indexes.iter().map(|i| i.name.as_str()))
            .collect();
        c.indexes
            .iter()
            .any(|i| i.hidden && !names.contains(&i.name.as_str()))
    })
}
