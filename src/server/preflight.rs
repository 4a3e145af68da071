//! Checks before any write (and during `plan`), against the live data:
//! duplicate keys for unique builds and conversions, the 64-index limit, the
//! one-text-index rule, and how much each index to be dropped is used. They
//! only annotate the plan's changes; a blocked change is refused by `apply`.

use std::collections::HashMap;

use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use mongodb::Database;

use super::errors::explain;
use crate::model::{DatabaseState, IndexSpec};
use crate::plan::{Action, Change, DatabasePlan, Usage, MAX_INDEXES};

/// How many duplicate keys a blocked change shows.
const SAMPLES: i32 = 5;

pub async fn check(
    db: &Database,
    plan: &mut DatabasePlan,
    live: &DatabaseState,
) -> Result<(), String> {
    for change in plan.changes.iter_mut().filter(|c| c.builds_unique()) {
        let spec = change.desired.clone().expect("a unique build has a spec");
        if let Some(found) = duplicates(db, &change.collection, &spec).await? {
            change.blocked = Some(found);
        }
    }
    limits(plan, live);
    usage(db, plan).await
}

/// Groups the documents the index would cover by its key; any group of two
/// or more is a duplicate the unique build would fail on.
async fn duplicates(
    db: &Database,
    collection: &str,
    spec: &IndexSpec,
) -> Result<Option<String>, String> {
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
            .map_err(|e| format!("collation of {}: {e}", spec.name))?;
        aggregate = aggregate.collation(collation);
    }
    let result: Vec<Document> = async { aggregate.await?.try_collect().await }
        .await
        .map_err(|e| {
            format!(
                "duplicate-key check for {}.{collection}: {}",
                spec.name,
                explain(&e)
            )
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
                .map(|a| a.iter().map(Bson::to_string).collect())
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

/// The 64-index limit and the one-text-index rule, against the live collection.
fn limits(plan: &mut DatabasePlan, live: &DatabaseState) {
    let mut collections: Vec<String> = plan.changes.iter().map(|c| c.collection.clone()).collect();
    collections.dedup();
    for name in collections {
        let live_indexes = live
            .collection(&name)
            .map(|c| c.indexes.clone())
            .unwrap_or_default();
        let dropped: Vec<&str> = plan
            .changes
            .iter()
            .filter(|c| c.collection == name && matches!(c.action, Action::Drop | Action::Replace))
            .filter_map(|c| c.live.as_ref().map(|l| l.name.as_str()))
            .collect();
        let mut count = live_indexes.len().max(1);
        count -= plan
            .changes
            .iter()
            .filter(|c| c.collection == name && c.action == Action::Drop)
            .count();
        let live_text: Option<String> = live_indexes
            .iter()
            .find(|i| i.is_text() && !dropped.contains(&i.name.as_str()))
            .map(|i| i.name.clone());
        for change in plan
            .changes
            .iter_mut()
            .filter(|c| c.collection == name && c.blocked.is_none())
        {
            let Some(desired) = change.desired.as_ref() else {
                continue;
            };
            if change.action == Action::Create {
                count += 1;
                if count > MAX_INDEXES {
                    change.blocked = Some(format!(
                        "{}.{name} would have {count} indexes; MongoDB allows {MAX_INDEXES} (drop unused ones first)",
                        live.name
                    ));
                    continue;
                }
            }
            if matches!(change.action, Action::Create | Action::Replace) && desired.is_text() {
                if let Some(other) = live_text.as_deref().filter(|t| *t != desired.name) {
                    change.blocked = Some(format!(
                        "{}.{name} already has the text index {other:?}; a collection has only one",
                        live.name
                    ));
                }
            }
        }
    }
}

/// `$indexStats` for the indexes about to be hidden or dropped.
async fn usage(db: &Database, plan: &mut DatabasePlan) -> Result<(), String> {
    let mut collections: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Drop | Action::Hide))
        .map(|c| c.collection.clone())
        .collect();
    collections.dedup();
    for name in collections {
        let stats: Vec<Document> = match async {
            db.collection::<Document>(&name)
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
        for change in plan
            .changes
            .iter_mut()
            .filter(|c| c.collection == name && matches!(c.action, Action::Drop | Action::Hide))
        {
            if let Some(accesses) = by_name
                .get(change.index.as_str())
                .and_then(|s| s.get_document("accesses").ok())
            {
                change.usage = Some(Usage {
                    ops: accesses
                        .get_i64("ops")
                        .or_else(|_| accesses.get_i32("ops").map(i64::from))
                        .unwrap_or(0),
                    since: accesses.get_datetime("since").ok().copied(),
                });
            }
        }
    }
    Ok(())
}

/// A change the preflight blocked, if any, for the executor's refusal.
pub fn refusal(change: &Change) -> Option<String> {
    change
        .blocked
        .as_ref()
        .map(|why| format!("refused by the preflight: {why}"))
}
