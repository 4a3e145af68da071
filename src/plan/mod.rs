//! The planner: declared collections + live state → the changes for one
//! database. Pure: no I/O, so every decision is unit-tested.

use std::collections::HashSet;

use crate::model::compare::{compare, same_identity, Modification, Verdict};
use crate::model::index::ID_INDEX;
use crate::model::{Collection, DatabaseState, IndexSpec, Scope};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// `collMod` in place (TTL value, hidden).
    Modify,
    /// Drop, then build again: anything `collMod` can't change, or a rename.
    Replace,
    Create,
    /// Only with `--prune`.
    Drop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Drop => "drop",
            Action::Modify => "modify",
            Action::Replace => "replace",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub collection: String,
    pub action: Action,
    /// The index's name after the change (before it, for a drop).
    pub index: String,
    /// As it will be sent to the server (create, modify, replace).
    pub desired: Option<IndexSpec>,
    /// As the server reports it (drop, modify, replace).
    pub live: Option<IndexSpec>,
    /// Modify: what `collMod` sets.
    pub modification: Option<Modification>,
    /// Modify and replace: the fields that differ.
    pub differences: Vec<&'static str>,
    /// The collection does not exist; its first index build creates it.
    pub creates_collection: bool,
}

impl Change {
    /// A replace that converges an index found under another name.
    pub fn renames(&self) -> Option<&str> {
        self.live
            .as_ref()
            .map(|l| l.name.as_str())
            .filter(|n| *n != self.index)
    }
}

/// A live index the manifests don't declare: left alone unless `--prune`.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmanaged {
    pub collection: String,
    pub index: IndexSpec,
    /// The declared index it is equivalent to (same key and options, other name).
    pub equivalent_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DatabasePlan {
    pub database: String,
    pub scope: Scope,
    pub changes: Vec<Change>,
    pub unmanaged: Vec<Unmanaged>,
}

impl DatabasePlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PlanOptions {
    /// Drop live indexes the manifests don't declare.
    pub prune: bool,
}

/// Plans one database: `desired` are the declared collections for its scope.
pub fn plan_database(
    database: &str,
    scope: Scope,
    desired: &[Collection],
    live: &DatabaseState,
    options: PlanOptions,
) -> DatabasePlan {
    let mut plan = DatabasePlan {
        database: database.to_string(),
        scope,
        changes: Vec::new(),
        unmanaged: Vec::new(),
    };
    for declared in desired {
        let current = live.collection(&declared.name);
        let (changes, unmanaged) = plan_collection(declared, current, options);
        plan.changes.extend(changes);
        plan.unmanaged.extend(unmanaged);
    }
    plan
}

fn plan_collection(
    declared: &Collection,
    live: Option<&Collection>,
    options: PlanOptions,
) -> (Vec<Change>, Vec<Unmanaged>) {
    let exists = live.is_some_and(|c| c.exists);
    let live_indexes: &[IndexSpec] = live.map(|c| c.indexes.as_slice()).unwrap_or_default();
    let default_collation = live.and_then(|c| c.default_collation.as_ref());
    let declared_names: HashSet<&str> = declared.indexes.iter().map(|i| i.name.as_str()).collect();
    let change =
        |action, index: &str, desired: Option<&IndexSpec>, live: Option<&IndexSpec>| Change {
            collection: declared.name.clone(),
            action,
            index: index.to_string(),
            desired: desired.cloned(),
            live: live.cloned(),
            modification: None,
            differences: Vec::new(),
            creates_collection: !exists,
        };

    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    // Live indexes accounted for: by name, or as an equivalent under another name.
    let mut claimed: HashSet<&str> = HashSet::new();
    for want in declared.indexes.iter().filter(|i| !i.is_id_index()) {
        if let Some(have) = live_indexes.iter().find(|l| l.name == want.name) {
            claimed.insert(&have.name);
            match compare(want, have, default_collation) {
                Verdict::Same => {}
                Verdict::Modify(m) => changes.push(Change {
                    modification: Some(m),
                    differences: crate::model::compare::differences(want, have, default_collation),
                    ..change(Action::Modify, &want.name, Some(want), Some(have))
                }),
                Verdict::Rebuild(differences) => changes.push(Change {
                    differences,
                    ..change(Action::Replace, &want.name, Some(want), Some(have))
                }),
            }
            continue;
        }
        // Same key and options under another name: the server would refuse to
        // build it (code 85), so it is reported, and renamed only with --prune.
        let twin = live_indexes.iter().find(|l| {
            l.name != ID_INDEX
                && !declared_names.contains(l.name.as_str())
                && !claimed.contains(l.name.as_str())
                && same_identity(want, l, default_collation)
        });
        match twin {
            Some(twin) => {
                claimed.insert(&twin.name);
                if options.prune {
                    changes.push(Change {
                        differences: vec!["name"],
                        ..change(Action::Replace, &want.name, Some(want), Some(twin))
                    });
                } else {
                    unmanaged.push(Unmanaged {
                        collection: declared.name.clone(),
                        index: twin.clone(),
                        equivalent_to: Some(want.name.clone()),
                    });
                }
            }
            None => changes.push(change(Action::Create, &want.name, Some(want), None)),
        }
    }
    for have in live_indexes {
        let name = have.name.as_str();
        if name == ID_INDEX || declared_names.contains(name) || claimed.contains(name) {
            continue;
        }
        if options.prune {
            changes.push(change(Action::Drop, name, None, Some(have)));
        } else {
            unmanaged.push(Unmanaged {
                collection: declared.name.clone(),
                index: have.clone(),
                equivalent_to: None,
            });
        }
    }
    changes.sort_by_key(|c| c.action);
    (changes, unmanaged)
}

#[cfg(test)]
mod tests;
