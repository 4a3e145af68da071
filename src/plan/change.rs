//! What differs between the declared and the live indexes of one collection:
//! a sum type whose variants carry exactly their data. How each change is
//! carried out, and in which order, is the job of [`super::steps`].

use bson::Document;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::collection::OptionChange;
use crate::model::compare::Modification;
use crate::model::IndexSpec;

/// Suffix of the temporary twin a coverage-keeping replace builds first.
pub const TEMP_SUFFIX: &str = "__mig_tmp";
/// The key field appended to a twin: no document has it, so the twin enforces
/// exactly what the final index will, yet the server sees a different key and
/// lets both exist (two indexes of the same spec are refused, code 85).
pub const TEMP_FIELD: &str = "__mig_tmp";

/// One change to one index, or to a collection's own options.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A declared collection (or view) the database lacks: created with its
    /// options, explicitly, before any of its indexes is built.
    CreateCollection {
        collection: String,
        /// `create`'s options (a view's `viewOn` and `pipeline` among them).
        options: Document,
    },
    /// Collection options `collMod` changes in place.
    ModifyCollection {
        collection: String,
        /// The options that differ, each changeable in place.
        changes: Vec<OptionChange>,
        /// What `collMod` sets.
        set: Document,
        /// A view: its steps wait for the collections it reads.
        view: bool,
    },
    /// Collection options the server can't change in place: shown with the
    /// reason and the way to do it, never made. It has no steps, and counts
    /// as drift.
    Unchangeable {
        collection: String,
        changes: Vec<OptionChange>,
    },
    /// A declared index the collection lacks.
    Create {
        collection: String,
        index: IndexSpec,
        /// The collection does not exist: this build creates it.
        new_collection: bool,
    },
    /// Changed in place by `collMod`.
    Modify {
        collection: String,
        from: IndexSpec,
        to: IndexSpec,
        /// What `collMod` sets.
        set: Modification,
        differences: Vec<&'static str>,
    },
    /// Built in its new form, the old one removed.
    Replace {
        collection: String,
        from: IndexSpec,
        to: IndexSpec,
        differences: Vec<&'static str>,
        /// Old and new can't coexist: the old one is dropped before the new one
        /// is built, and the collection goes without it meanwhile. Otherwise a
        /// twin covers the collection throughout.
        gap: bool,
        /// Why it is a replace when the reason isn't obvious.
        note: Option<String>,
    },
    /// A live index the server takes for a declared one (the same index to
    /// it) under another name, renamed to the declared name (`--prune`):
    /// dropped, then built with the declared options, so it leaves a gap.
    Rename {
        collection: String,
        from: IndexSpec,
        to: IndexSpec,
        /// `name`, and any option the build changes on the way.
        differences: Vec<&'static str>,
    },
    /// A declared index the server won't build beside a live, undeclared one
    /// (the same index with options `collMod` can't change, or a second text
    /// index), and replacing the live one wasn't asked for. Refused in the
    /// plan: a create that is blocked from the start (no steps; the
    /// database fails), counted as drift until resolved.
    Conflict {
        collection: String,
        /// The declared index.
        index: IndexSpec,
        /// The live index it can't stand beside.
        live: IndexSpec,
        /// Why, and the way out: the plan's reason for blocking it.
        why: String,
    },
    /// First stage of a staged drop: hidden now, dropped by a later run.
    Hide {
        collection: String,
        index: IndexSpec,
        note: String,
    },
    Drop {
        collection: String,
        index: IndexSpec,
        /// Why it goes when the reason isn't obvious (a leftover twin, hidden since).
        note: Option<String>,
    },
}

/// The kinds of change, in the order the summary counts them: a change's
/// `action` in JSON.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Modify,
    Replace,
    Create,
    Hide,
    Drop,
    /// A change `mig` will not make (collection options fixed at creation).
    Manual,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Modify,
        Action::Replace,
        Action::Create,
        Action::Hide,
        Action::Drop,
        Action::Manual,
    ];
}

/// Which [`Change`] it is, by name: a saved change's `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    CreateCollection,
    ModifyCollection,
    Unchangeable,
    Create,
    Modify,
    Replace,
    Rename,
    Conflict,
    Hide,
    Drop,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 10] = [
        ChangeKind::CreateCollection,
        ChangeKind::ModifyCollection,
        ChangeKind::Unchangeable,
        ChangeKind::Create,
        ChangeKind::Modify,
        ChangeKind::Replace,
        ChangeKind::Rename,
        ChangeKind::Conflict,
        ChangeKind::Hide,
        ChangeKind::Drop,
    ];
}

impl Change {
    pub fn collection(&self) -> &str {
        match self {
            Change::Create { collection, .. }
            | Change::CreateCollection { collection, .. }
            | Change::ModifyCollection { collection, .. }
            | Change::Unchangeable { collection, .. }
            | Change::Modify { collection, .. }
            | Change::Replace { collection, .. }
            | Change::Rename { collection, .. }
            | Change::Conflict { collection, .. }
            | Change::Hide { collection, .. }
            | Change::Drop { collection, .. } => collection,
        }
    }

    /// The index's name after the change (before it, for a hide or drop);
    /// none for a change to the collection itself.
    pub fn index(&self) -> Option<&str> {
        let spec = self.desired().or(self.live());
        spec.map(|s| s.name.as_str())
    }

    /// What it is about, for messages: `collection.index`, or `collection`.
    pub fn subject(&self) -> String {
        match self.index() {
            Some(index) => format!("{}.{index}", self.collection()),
            None => self.collection().to_string(),
        }
    }

    /// A change to a view (creating it, or its definition).
    pub fn is_view(&self) -> bool {
        match self {
            Change::CreateCollection { options, .. } => options.contains_key("viewOn"),
            Change::ModifyCollection { view, .. } => *view,
            _ => false,
        }
    }

    /// A change to the collection's own options, not to one of its indexes.
    pub fn is_collection_change(&self) -> bool {
        matches!(
            self,
            Change::CreateCollection { .. }
                | Change::ModifyCollection { .. }
                | Change::Unchangeable { .. }
        )
    }

    /// The collection options that differ (a collection change).
    pub fn option_changes(&self) -> &[OptionChange] {
        match self {
            Change::ModifyCollection { changes, .. } | Change::Unchangeable { changes, .. } => {
                changes
            }
            _ => &[],
        }
    }

    /// Which change it is.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::CreateCollection { .. } => ChangeKind::CreateCollection,
            Change::ModifyCollection { .. } => ChangeKind::ModifyCollection,
            Change::Unchangeable { .. } => ChangeKind::Unchangeable,
            Change::Create { .. } => ChangeKind::Create,
            Change::Modify { .. } => ChangeKind::Modify,
            Change::Replace { .. } => ChangeKind::Replace,
            Change::Rename { .. } => ChangeKind::Rename,
            Change::Conflict { .. } => ChangeKind::Conflict,
            Change::Hide { .. } => ChangeKind::Hide,
            Change::Drop { .. } => ChangeKind::Drop,
        }
    }

    /// What the summary counts it as: a rename is a replace.
    pub fn action(&self) -> Action {
        match self {
            Change::Create { .. } | Change::CreateCollection { .. } => Action::Create,
            Change::Modify { .. } | Change::ModifyCollection { .. } => Action::Modify,
            Change::Unchangeable { .. } => Action::Manual,
            Change::Conflict { .. } => Action::Create,
            Change::Replace { .. } | Change::Rename { .. } => Action::Replace,
            Change::Hide { .. } => Action::Hide,
            Change::Drop { .. } => Action::Drop,
        }
    }

    /// The index as it will be sent to the server (create, modify, replace, rename).
    pub fn desired(&self) -> Option<&IndexSpec> {
        match self {
            Change::Create { index, .. } | Change::Conflict { index, .. } => Some(index),
            Change::Modify { to, .. } | Change::Replace { to, .. } | Change::Rename { to, .. } => {
                Some(to)
            }
            _ => None,
        }
    }

    /// The index as the server reports it (all but a create).
    pub fn live(&self) -> Option<&IndexSpec> {
        match self {
            Change::Create { .. } => None,
            Change::CreateCollection { .. }
            | Change::ModifyCollection { .. }
            | Change::Unchangeable { .. } => None,
            Change::Modify { from, .. }
            | Change::Replace { from, .. }
            | Change::Rename { from, .. } => Some(from),
            Change::Hide { index, .. } | Change::Drop { index, .. } => Some(index),
            Change::Conflict { live, .. } => Some(live),
        }
    }

    /// The fields that differ (modify, replace, rename).
    pub fn differences(&self) -> Vec<&'static str> {
        match self {
            Change::Modify { differences, .. }
            | Change::Replace { differences, .. }
            | Change::Rename { differences, .. } => differences.clone(),
            Change::ModifyCollection { changes, .. } | Change::Unchangeable { changes, .. } => {
                changes.iter().map(|c| c.option).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Whether the collection goes without the index for a while.
    pub fn gap(&self) -> bool {
        match self {
            Change::Replace { gap, .. } => *gap,
            Change::Rename { .. } => true,
            _ => false,
        }
    }

    pub fn note(&self) -> Option<&str> {
        match self {
            Change::Replace { note, .. } | Change::Drop { note, .. } => note.as_deref(),
            Change::Hide { note, .. } => Some(note),
            _ => None,
        }
    }

    /// Why the plan itself refuses it (a conflict), before any preflight.
    pub fn refused(&self) -> Option<&str> {
        match self {
            Change::Conflict { why, .. } => Some(why),
            _ => None,
        }
    }

    /// The collection does not exist yet (this change, or its first build, creates it).
    pub fn new_collection(&self) -> bool {
        matches!(
            self,
            Change::Create {
                new_collection: true,
                ..
            } | Change::CreateCollection { .. }
        )
    }

    /// A rename: the live name it had.
    pub fn renames(&self) -> Option<&str> {
        match self {
            Change::Rename { from, .. } => Some(&from.name),
            _ => None,
        }
    }

    /// The twin a coverage-keeping replace builds first: the new form under
    /// a temporary name, with a key field no document has.
    pub fn twin(&self) -> Option<IndexSpec> {
        match self {
            Change::Replace { to, gap: false, .. } => Some(twin_of(to)),
            _ => None,
        }
    }

    /// True if the change builds a unique index over existing documents, so
    /// the duplicate-key preflight must check it.
    pub fn builds_unique(&self) -> bool {
        match self {
            Change::Create {
                index,
                new_collection,
                ..
            } => index.unique && !new_collection,
            Change::Replace { to, .. } | Change::Rename { to, .. } => to.unique,
            Change::Modify { set, .. } => set.unique,
            _ => false,
        }
    }
}

/// The twin of `index` (see [`TEMP_FIELD`]).
pub fn twin_of(index: &IndexSpec) -> IndexSpec {
    let mut twin = index.clone();
    twin.name = twin_name(&index.name);
    twin.server_form = None;
    twin.keys.insert(TEMP_FIELD, 1);
    twin
}

pub fn twin_name(index: &str) -> String {
    format!("{index}{TEMP_SUFFIX}")
}

/// A twin left by a replace, by its name and key.
pub fn is_twin(spec: &IndexSpec) -> bool {
    spec.name.ends_with(TEMP_SUFFIX) && spec.keys.contains_key(TEMP_FIELD)
}

#[cfg(test)]
#[path = "change_tests.rs"]
mod tests;
