//! Applies a database's plan. Per collection, in an order that keeps as much
//! coverage as it can: in-place changes, then the drops that replacements need,
//! then every build in one `createIndexes` (one collection scan), then prunes.
//! A failed step is reported and the rest go on, so a run leaves a database
//! as it was or further along, and the next run converges.

use bson::{doc, Bson, Document};
use mongodb::Database;

use super::errors::explain;
use crate::plan::{Action, Change, DatabasePlan};

/// What happened to one change.
#[derive(Clone, Debug, PartialEq)]
pub struct StepResult {
    pub collection: String,
    pub action: Action,
    pub index: String,
    pub error: Option<String>,
}

/// Applies every change of `plan` to `db`.
pub async fn apply(db: &Database, plan: &DatabasePlan) -> Vec<StepResult> {
    let mut results = Vec::new();
    let mut collections: Vec<&str> = plan.changes.iter().map(|c| c.collection.as_str()).collect();
    collections.dedup();
    for collection in collections {
        let changes: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| c.collection == collection)
            .collect();
        results.extend(apply_collection(db, collection, &changes).await);
    }
    results
}

async fn apply_collection(db: &Database, collection: &str, changes: &[&Change]) -> Vec<StepResult> {
    let mut results = Vec::new();
    let mut record = |change: &Change, error: Option<String>| {
        results.push(StepResult {
            collection: collection.to_string(),
            action: change.action,
            index: change.index.clone(),
            error,
        })
    };
    let mut builds: Vec<&Change> = Vec::new();
    for change in changes {
        match change.action {
            Action::Modify => {
                let error = modify(db, collection, change).await.err();
                record(change, error);
            }
            Action::Replace => {
                let old = change
                    .live
                    .as_ref()
                    .map(|l| l.name.as_str())
                    .unwrap_or(&change.index);
                match drop_index(db, collection, old).await {
                    Ok(()) => builds.push(change),
                    Err(e) => record(
                        change,
                        Some(format!("dropping {old:?} before rebuilding: {e}")),
                    ),
                }
            }
            Action::Create => builds.push(change),
            Action::Drop => {}
        }
    }
    for (change, error) in build(db, collection, &builds).await {
        record(change, error);
    }
    for change in changes.iter().filter(|c| c.action == Action::Drop) {
        let error = drop_index(db, collection, &change.index).await.err();
        record(change, error);
    }
    results
}

async fn modify(db: &Database, collection: &str, change: &Change) -> Result<(), String> {
    let m = change.modification.clone().unwrap_or_default();
    let mut index = doc! {"name": &change.index};
    if let Some(ttl) = m.expire_after_seconds {
        index.insert("expireAfterSeconds", ttl);
    }
    if let Some(hidden) = m.hidden {
        index.insert("hidden", hidden);
    }
    db.run_command(doc! {"collMod": collection, "index": index})
        .await
        .map(|_| ())
        .map_err(|e| explain(&e))
}

async fn drop_index(db: &Database, collection: &str, name: &str) -> Result<(), String> {
    match db
        .run_command(doc! {"dropIndexes": collection, "index": name})
        .await
    {
        Ok(_) => Ok(()),
        // Already gone: the goal of a drop is reached.
        Err(e) if super::errors::code(&e) == Some(27) => Ok(()),
        Err(e) => Err(explain(&e)),
    }
}

/// Builds all of a collection's new indexes with one `createIndexes`. If that
/// fails, each is built on its own, so one bad index doesn't hold back the rest.
async fn build<'a>(
    db: &Database,
    collection: &str,
    builds: &[&'a Change],
) -> Vec<(&'a Change, Option<String>)> {
    if builds.is_empty() {
        return Vec::new();
    }
    let specs: Vec<Document> = builds
        .iter()
        .filter_map(|c| c.desired.as_ref().map(|d| d.to_document()))
        .collect();
    match create_indexes(db, collection, specs, builds[0].creates_collection).await {
        Ok(()) => builds.iter().map(|c| (*c, None)).collect(),
        Err(e) if builds.len() == 1 => vec![(builds[0], Some(e))],
        Err(_) => {
            let mut out = Vec::new();
            for change in builds {
                let spec = change
                    .desired
                    .as_ref()
                    .map(|d| d.to_document())
                    .unwrap_or_default();
                let result =
                    create_indexes(db, collection, vec![spec], change.creates_collection).await;
                out.push((*change, result.err()));
            }
            out
        }
    }
}

async fn create_indexes(
    db: &Database,
    collection: &str,
    specs: Vec<Document>,
    expect_new_collection: bool,
) -> Result<(), String> {
    let reply = db
        .run_command(doc! {"createIndexes": collection, "indexes": specs})
        .await
        .map_err(|e| explain(&e))?;
    let created = matches!(
        reply.get("createdCollectionAutomatically"),
        Some(Bson::Boolean(true))
    );
    if created && !expect_new_collection {
        return Err(format!(
            "collection {}.{collection} disappeared during the run (dropped concurrently?); \
             the index was built on a new, empty collection",
            db.name()
        ));
    }
    Ok(())
}
