//! Saved plans: `mig plan --out plan.json` writes the exact changes per
//! database with a fingerprint of the live state they were computed from;
//! `mig apply plan.json` applies those changes only where the live state still
//! has that fingerprint. Index specs are canonical Extended JSON, so every
//! BSON type survives the round trip. No connection string is ever written.

use bson::{Bson, Document};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Action, Change, DatabasePlan};
use crate::model::compare::Modification;
use crate::model::{DatabaseState, IndexSpec, Scope};

pub const FORMAT: u32 = 1;

/// The names `Change::differences` uses, to read them back.
const FIELDS: &[&str] = &[
    "key",
    "name",
    "unique",
    "sparse",
    "partialFilterExpression",
    "collation",
    "wildcardProjection",
    "weights",
    "default_language",
    "language_override",
    "bits",
    "min",
    "max",
    "expireAfterSeconds",
    "hidden",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedPlan {
    pub format: u32,
    pub mig_version: String,
    pub created_at: String,
    pub targets: Vec<SavedTarget>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedTarget {
    pub database: String,
    pub scope: Scope,
    /// The collections read to make the plan: read again to check the fingerprint.
    pub collections: Vec<String>,
    /// sha256 of the live state the plan was computed from.
    pub fingerprint: String,
    pub changes: Vec<SavedChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedChange {
    pub collection: String,
    pub action: String,
    pub index: String,
    pub desired: Option<serde_json::Value>,
    pub live: Option<serde_json::Value>,
    #[serde(default)]
    pub expire_after_seconds: Option<i64>,
    #[serde(default)]
    pub hidden: Option<bool>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub differences: Vec<String>,
    #[serde(default)]
    pub creates_collection: bool,
    #[serde(default)]
    pub gap: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// A stable digest of what the planner saw: every managed collection and its
/// indexes (sorted by name, as BSON).
pub fn fingerprint(live: &DatabaseState) -> String {
    let mut hash = Sha256::new();
    for c in &live.collections {
        hash.update(c.name.as_bytes());
        hash.update([u8::from(c.exists), u8::from(c.timeseries)]);
        if let Some(collation) = &c.default_collation {
            hash.update(bson::to_vec(collation).unwrap_or_default());
        }
        let mut indexes: Vec<&IndexSpec> = c.indexes.iter().collect();
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
        for index in indexes {
            hash.update(bson::to_vec(&index.to_document()).unwrap_or_default());
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn spec_json(spec: &IndexSpec) -> serde_json::Value {
    Bson::Document(spec.to_document()).into_canonical_extjson()
}

fn spec_from(value: &serde_json::Value) -> Result<IndexSpec, String> {
    let doc = Document::try_from(
        value
            .as_object()
            .cloned()
            .ok_or("an index spec must be a document")?,
    )
    .map_err(|e| format!("invalid index spec: {e}"))?;
    IndexSpec::from_server(&doc).map_err(|e| e.to_string())
}

impl SavedTarget {
    /// `collections` were read and had `fingerprint` when `plan` was made.
    pub fn new(plan: &DatabasePlan, collections: Vec<String>, fingerprint: String) -> SavedTarget {
        SavedTarget {
            database: plan.database.clone(),
            scope: plan.scope,
            collections,
            fingerprint,
            changes: plan
                .changes
                .iter()
                .map(|c| SavedChange {
                    collection: c.collection.clone(),
                    action: c.action.as_str().to_string(),
                    index: c.index.clone(),
                    desired: c.desired.as_ref().map(spec_json),
                    live: c.live.as_ref().map(spec_json),
                    expire_after_seconds: c
                        .modification
                        .as_ref()
                        .and_then(|m| m.expire_after_seconds),
                    hidden: c.modification.as_ref().and_then(|m| m.hidden),
                    unique: c.modification.as_ref().is_some_and(|m| m.unique),
                    differences: c.differences.iter().map(|d| d.to_string()).collect(),
                    creates_collection: c.creates_collection,
                    gap: c.gap,
                    note: c.note.clone(),
                })
                .collect(),
        }
    }

    /// The plan as saved, ready for the preflight and the executor.
    pub fn plan(&self) -> Result<DatabasePlan, String> {
        let mut changes = Vec::new();
        for c in &self.changes {
            let action = Action::ALL
                .into_iter()
                .find(|a| a.as_str() == c.action)
                .ok_or_else(|| format!("unknown action {:?}", c.action))?;
            let modification = (action == Action::Modify).then_some(Modification {
                expire_after_seconds: c.expire_after_seconds,
                hidden: c.hidden,
                unique: c.unique,
            });
            changes.push(Change {
                desired: c.desired.as_ref().map(spec_from).transpose()?,
                live: c.live.as_ref().map(spec_from).transpose()?,
                modification,
                differences: c
                    .differences
                    .iter()
                    .filter_map(|d| FIELDS.iter().find(|f| **f == d.as_str()).copied())
                    .collect(),
                creates_collection: c.creates_collection,
                gap: c.gap,
                note: c.note.clone(),
                ..Change::new(&c.collection, action, &c.index)
            });
        }
        Ok(DatabasePlan {
            database: self.database.clone(),
            scope: self.scope,
            changes,
            unmanaged: Vec::new(),
        })
    }
}

impl SavedPlan {
    pub fn read(path: &std::path::Path) -> Result<SavedPlan, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let plan: SavedPlan = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a saved plan: {e}", path.display()))?;
        if plan.format != FORMAT {
            return Err(format!(
                "{}: saved plan format {} (this mig reads {FORMAT})",
                path.display(),
                plan.format
            ));
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Collection;
    use bson::doc;

    fn state(ttl: i32) -> DatabaseState {
        DatabaseState {
            name: "t".into(),
            collections: vec![Collection {
                name: "c".into(),
                exists: true,
                indexes: vec![IndexSpec::from_server(
                    &doc! {"v": 2, "key": {"at": 1}, "name": "at_1", "expireAfterSeconds": ttl},
                )
                .unwrap()],
                ..Default::default()
            }],
            retiring: vec![],
        }
    }

    #[test]
    fn fingerprints_change_with_the_live_state_only() {
        assert_eq!(fingerprint(&state(5)), fingerprint(&state(5)));
        assert_ne!(fingerprint(&state(5)), fingerprint(&state(6)));
    }

    #[test]
    fn a_plan_survives_the_round_trip_exactly() {
        let mut desired = IndexSpec::from_server(&doc! {"key": {"at": 1, "n": Bson::Int64(-1)}, "name": "x", "unique": true,
            "partialFilterExpression": {"deletedAt": null, "d": {"$gt": bson::DateTime::from_millis(5)}, "f": 1.5}})
        .unwrap();
        desired.collation = Some(doc! {"locale": "en", "strength": 2});
        let plan = DatabasePlan {
            database: "t".into(),
            scope: Scope::Tenant,
            changes: vec![
                Change {
                    desired: Some(desired),
                    live: state(5).collections[0].indexes.first().cloned(),
                    differences: vec!["key", "unique"],
                    gap: true,
                    ..Change::new("c", Action::Replace, "x")
                },
                Change {
                    modification: Some(Modification {
                        expire_after_seconds: Some(9),
                        hidden: Some(false),
                        unique: true,
                    }),
                    ..Change::new("c", Action::Modify, "y")
                },
            ],
            unmanaged: vec![],
        };
        let live = state(5);
        let saved = SavedTarget::new(&plan, vec!["c".into()], fingerprint(&live));
        let text = serde_json::to_string(&saved).unwrap();
        let back: SavedTarget = serde_json::from_str(&text).unwrap();
        assert_eq!(back.plan().unwrap(), plan);
        assert_eq!(back.collections, vec!["c"]);
    }
}
