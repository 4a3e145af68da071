//! The validator preflight: before a new or stricter validator is switched
//! on (and during `plan`), the documents already there that don't satisfy
//! it are counted, and a few are shown with the first rule they fail.
//! `collMod` itself never checks them: they stay, and every later update of
//! one fails (under `strict` and `error`), which is what this catches first.

use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use mongodb::Database;

use super::super::errors::{Failure, ReadError};
use super::SAMPLES;
use crate::model::collection::validator_tightens;
use crate::model::Collection;
use crate::plan::Change;

/// Most rules tried per sample to name the first it fails.
const MAX_RULES: usize = 50;

/// What the check found about one validator change.
pub struct Invalid {
    pub message: String,
    /// `strict` + `error`: every later update of these documents would fail.
    pub blocks: bool,
}

/// Counts the documents of `change`'s collection that fail the validator it
/// switches on; `None` when there are none or it tightens nothing.
pub async fn invalid_documents(
    db: &Database,
    change: &Change,
    live: Option<&Collection>,
) -> Result<Option<Invalid>, ReadError> {
    let Change::ModifyCollection { changes, set, .. } = change else {
        return Ok(None);
    };
    if !validator_tightens(changes) {
        return Ok(None);
    }
    let empty = Document::new();
    let live_options = live.and_then(|c| c.options.as_ref()).unwrap_or(&empty);
    // What will hold after the collMod: what it sets, else what is there.
    let effective = |field: &str| set.get(field).or(live_options.get(field)).cloned();
    let validator = match effective("validator") {
        Some(Bson::Document(v)) if !v.is_empty() => v,
        _ => return Ok(None),
    };
    let level = effective("validationLevel");
    let level = level.as_ref().and_then(Bson::as_str).unwrap_or("strict");
    let action = effective("validationAction");
    let action = action.as_ref().and_then(Bson::as_str).unwrap_or("error");
    if level == "off" {
        return Ok(None);
    }
    let collection = db.collection::<Document>(change.collection());
    let failing = doc! {"$nor": [validator.clone()]};
    let checked = |e: mongodb::error::Error| {
        let mut failure = Failure::of(&e);
        failure.message = format!(
            "validator check of {}.{}: {}",
            db.name(),
            change.collection(),
            failure.message
        );
        ReadError::Server(failure)
    };
    let count = match collection.count_documents(failing.clone()).await {
        Ok(n) => n,
        // The server refuses the validator as a query: the collMod will say
        // why as it fails; the plan shows it now, and holds nothing back.
        Err(e) => {
            return Ok(Some(Invalid {
                message: format!(
                    "the documents already there could not be checked: the server refuses \
                     the validator as a query ({})",
                    Failure::of(&e).message
                ),
                blocks: false,
            }))
        }
    };
    if count == 0 {
        return Ok(None);
    }
    let samples: Vec<Document> = async {
        collection
            .find(failing)
            .projection(doc! {"_id": 1})
            .limit(SAMPLES as i64)
            .await?
            .try_collect()
            .await
    }
    .await
    .map_err(checked)?;
    let ids: Vec<Bson> = samples
        .iter()
        .map(|s| s.get("_id").cloned().unwrap_or(Bson::Null))
        .collect();
    // Rule by rule, one query for all the samples still without a failing
    // rule: at most one round trip per rule, not per sample and rule.
    let rules = rules_of(&validator);
    let mut first: Vec<Option<&str>> = vec![None; ids.len()];
    for (name, rule) in rules.iter().take(MAX_RULES) {
        let open: Vec<Bson> = ids
            .iter()
            .zip(&first)
            .filter(|(_, f)| f.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if open.is_empty() {
            break;
        }
        let failing: Vec<Document> = async {
            collection
                .find(doc! {"_id": {"$in": open}, "$nor": [rule.clone()]})
                .projection(doc! {"_id": 1})
                .await?
                .try_collect()
                .await
        }
        .await
        .map_err(checked)?;
        for f in &failing {
            if let Some(at) = ids.iter().position(|id| f.get("_id") == Some(id)) {
                first[at].get_or_insert(name.as_str());
            }
        }
    }
    let shown: Vec<String> = ids
        .iter()
        .zip(&first)
        .map(|(id, rule)| {
            let id = super::sample_id(id);
            match rule {
                Some(rule) => format!("_id {id} (fails {rule})"),
                None => format!("_id {id}"),
            }
        })
        .collect();
    let what = format!(
        "{count} document(s) in {}.{} don't satisfy the validator; e.g. {}",
        db.name(),
        change.collection(),
        shown.join(", ")
    );
    let (message, blocks) = match (level, action) {
        ("moderate", _) => (
            format!(
                "{what}. Under validationLevel moderate their updates are not validated: \
                 only inserts and updates of valid documents are"
            ),
            false,
        ),
        (_, "warn") => (
            format!("{what}. With validationAction warn their updates are logged, not refused"),
            false,
        ),
        _ => (
            format!("{what}: every later update of them would be refused"),
            true,
        ),
    };
    Ok(Some(Invalid { message, blocks }))
}

/// The validator's rules one by one, each as a query a document satisfies
/// when it keeps that rule, named as a person would: `required: body`,
/// `properties.status`, or a top-level query field.
fn rules_of(validator: &Document) -> Vec<(String, Document)> {
    let mut out = Vec::new();
    for (key, value) in validator {
        if key != "$jsonSchema" {
            out.push((key.clone(), doc! {key: value.clone()}));
            continue;
        }
        let Some(schema) = value.as_document() else {
            continue;
        };
        for (keyword, rule) in schema {
            match (keyword.as_str(), rule) {
                ("required", Bson::Array(fields)) => {
                    for field in fields.iter().filter_map(Bson::as_str) {
                        out.push((
                            format!("required: {field}"),
                            doc! {"$jsonSchema": {"required": [field]}},
                        ));
                    }
                }
                ("properties", Bson::Document(props)) => {
                    for (field, schema) in props {
                        out.push((
                            format!("properties.{field}"),
                            doc! {"$jsonSchema": {"properties": {field: schema.clone()}}},
                        ));
                    }
                }
                _ => out.push((
                    keyword.clone(),
                    doc! {"$jsonSchema": {keyword: rule.clone()}},
                )),
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "validator_tests.rs"]
mod tests;
