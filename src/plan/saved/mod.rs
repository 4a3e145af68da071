//! Saved plans: `mig plan --out plan.json` writes, per database, the changes
//! and the exact steps that carry them out, with a fingerprint of the live
//! state they were computed from; `mig apply plan.json` runs those steps, and
//! nothing else, only where the live state still has that fingerprint. Index
//! specs are canonical Extended JSON, so every BSON type survives the round
//! trip. No connection string is ever written.

use bson::{doc, Bson};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::DatabasePlan;
use crate::model::collection::sorted;
use crate::model::{DatabaseState, IndexSpec, Scope};

mod encoding;

use encoding::{change_from, saved_change, saved_step, step_from};
pub use encoding::{Malformed, SavedChange, SavedOption, SavedStep};

/// 2: the steps are saved (1 saved the changes only).
pub const FORMAT: u32 = 2;

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
    /// Every step, blocked or not: the preflight runs again at apply time.
    pub steps: Vec<SavedStep>,
    /// With `[clusters]`: the cluster the database was planned on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// A saved plan that can't be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// Not JSON, or not shaped as a saved plan: where (`targets[0].steps[2].command`), and what.
    #[error("{path}: not a saved plan: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}: saved plan format {found}; this mig reads format {FORMAT} (plans with their steps): make it again with `mig plan --out`")]
    Format { path: String, found: u32 },
    #[error("{database}: {what}")]
    Invalid { database: String, what: Malformed },
}

/// A stable digest of what the planner saw: every managed collection and its
/// indexes (sorted by name, as BSON).
pub fn fingerprint(live: &DatabaseState) -> String {
    let mut hash = Sha256::new();
    for c in &live.collections {
        hash.update(c.name.as_bytes());
        hash.update([u8::from(c.exists), u8::from(c.is_timeseries())]);
        if let Some(collation) = c.default_collation() {
            hash.update(bson::to_vec(collation).unwrap_or_default());
        }
        // A validator or view changed since the plan was made changes it too.
        // Fields sorted: the two read paths report them in different orders.
        if let Some(options) = &c.options {
            let canonical = doc! {"o": sorted(&Bson::Document(options.clone()))};
            hash.update(bson::to_vec(&canonical).unwrap_or_default());
        }
        let mut indexes: Vec<&IndexSpec> = c.indexes.iter().collect();
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
        for index in indexes {
            hash.update(bson::to_vec(&index.to_document()).unwrap_or_default());
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A plan's changes and steps as saved, less whether a build creates its
/// collection: what it sends the server. A plan made now and one read from a
/// file compare alike (the file keeps no planning detail, such as whether an
/// index's name was declared), and a migration that creates (and seeds) the
/// collection leaves the same commands to send.
pub(super) fn sent(plan: &DatabasePlan) -> serde_json::Value {
    let mut changes: Vec<SavedChange> = plan.changes.iter().map(saved_change).collect();
    let mut steps: Vec<SavedStep> = plan.steps.iter().map(saved_step).collect();
    for change in &mut changes {
        change.new_collection = false;
    }
    for step in &mut steps {
        step.new_collection = false;
    }
    serde_json::json!({"changes": changes, "steps": steps})
}

impl SavedTarget {
    /// `collections` were read and had `fingerprint` when `plan` was made.
    pub fn new(plan: &DatabasePlan, collections: Vec<String>, fingerprint: String) -> SavedTarget {
        // The migrations and the re-read that lead, then every index step: a
        // change blocked now may not be blocked at apply time.
        let lead = super::steps::after_migrations(&plan.steps);
        let mut steps = plan.steps[..lead].to_vec();
        steps.extend(super::steps::schedule(&plan.changes));
        SavedTarget {
            database: plan.database.clone(),
            scope: plan.scope,
            collections,
            fingerprint,
            changes: plan.changes.iter().map(saved_change).collect(),
            steps: steps.iter().map(saved_step).collect(),
            cluster: None,
        }
    }

    /// The plan as saved, with its steps, ready for the preflight and the executor.
    pub fn plan(&self) -> Result<DatabasePlan, SavedPlanError> {
        let invalid = |what: Malformed| SavedPlanError::Invalid {
            database: self.database.clone(),
            what,
        };
        let changes = self
            .changes
            .iter()
            .map(change_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let steps = self
            .steps
            .iter()
            .map(|s| step_from(s, changes.len()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        Ok(DatabasePlan {
            steps,
            ..DatabasePlan::new(&self.database, self.scope, changes)
        })
    }
}

impl SavedPlan {
    /// A saved plan from the text of the file named `shown` (read by the
    /// command line: the planner does no I/O).
    pub fn parse(text: &str, shown: &str) -> Result<SavedPlan, SavedPlanError> {
        let shown = shown.to_string();
        // The format first, so an older plan gets the message that says so.
        let format = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("format").and_then(|f| f.as_u64()));
        if let Some(found) = format.filter(|f| *f != u64::from(FORMAT)) {
            return Err(SavedPlanError::Format {
                path: shown,
                found: found as u32,
            });
        }
        // Each name (a step's command and reason, a change's kind) is read by
        // serde: an unknown one is refused, with where it is.
        let mut json = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut json)
            .map_err(|e| match e.path().to_string() {
                at if at == "." => e.into_inner(),
                at => serde::de::Error::custom(format!("{at}: {}", e.into_inner())),
            })
            .and_then(|plan| json.end().map(|()| plan))
            .map_err(|source| SavedPlanError::Parse {
                path: shown,
                source,
            })
    }
}

#[cfg(test)]
mod tests;
