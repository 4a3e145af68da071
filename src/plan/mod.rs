//! The planner: declared collections + live state → the changes for one
//! database. Pure: no I/O, so every decision is unit-tested. The server-side
//! checks that need data (duplicate keys, index usage) are added afterwards by
//! `server::preflight`, which only annotates the changes.

use std::collections::HashSet;
use std::time::Duration;

use bson::DateTime;

use crate::model::compare::{compare, differences, same_identity, Modification, Verdict};
use crate::model::index::ID_INDEX;
use crate::model::{Collection, DatabaseState, IndexSpec, Scope};

/// Suffix of the temporary index a coverage-keeping replace builds first.
pub const TEMP_SUFFIX: &str = "__mig_tmp";
/// The key field appended to a temporary index: no document has it, so the
/// temporary index enforces exactly what the final one will, yet the server
/// sees a different key and lets both exist.
pub const TEMP_FIELD: &str = "__mig_tmp";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// `collMod` in place (TTL value, hidden, unique conversion).
    Modify,
    /// Build the new form, then remove the old one (see [`Change::gap`]).
    Replace,
    Create,
    /// First stage of a staged drop: hide the index, drop it on a later run.
    Hide,
    Drop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Drop => "drop",
            Action::Hide => "hide",
            Action::Modify => "modify",
            Action::Replace => "replace",
        }
    }

    pub const ALL: [Action; 5] = [
        Action::Create,
        Action::Modify,
        Action::Replace,
        Action::Hide,
        Action::Drop,
    ];
}

/// How often an index was used since the server (re)started, from `$indexStats`.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub ops: i64,
    pub since: Option<DateTime>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub collection: String,
    pub action: Action,
    /// The index's name after the change (before it, for a drop or hide).
    pub index: String,
    /// As it will be sent to the server (create, modify, replace).
    pub desired: Option<IndexSpec>,
    /// As the server reports it (modify, replace, hide, drop).
    pub live: Option<IndexSpec>,
    /// Modify: what `collMod` sets.
    pub modification: Option<Modification>,
    /// Modify and replace: the fields that differ.
    pub differences: Vec<&'static str>,
    /// The collection does not exist; its first index build creates it.
    pub creates_collection: bool,
    /// Replace: the old and new index can't coexist, so the old one is dropped
    /// before the new one is built and the collection goes without for that time.
    pub gap: bool,
    /// Why this change is there when the reason isn't obvious.
    pub note: Option<String>,
    /// Set by the preflight: why this change must not be applied.
    pub blocked: Option<String>,
    /// Set by the preflight for hides and drops.
    pub usage: Option<Usage>,
}

impl Change {
    pub fn new(collection: &str, action: Action, index: &str) -> Change {
        Change {
            collection: collection.to_string(),
            action,
            index: index.to_string(),
            desired: None,
            live: None,
            modification: None,
            differences: Vec::new(),
            creates_collection: false,
            gap: false,
            note: None,
            blocked: None,
            usage: None,
        }
    }

    /// A replace that converges an index found under another name.
    pub fn renames(&self) -> Option<&str> {
        self.live
            .as_ref()
            .map(|l| l.name.as_str())
            .filter(|n| *n != self.index)
    }

    /// The temporary index a coverage-keeping replace builds first.
    pub fn temporary(&self) -> Option<IndexSpec> {
        if self.action != Action::Replace || self.gap {
            return None;
        }
        let mut temp = self.desired.clone()?;
        temp.name = format!("{}{TEMP_SUFFIX}", self.index);
        temp.server_form = None;
        temp.keys.insert(TEMP_FIELD, 1);
        Some(temp)
    }

    /// True if the change builds a unique index over existing documents.
    pub fn builds_unique(&self) -> bool {
        let unique_build = matches!(self.action, Action::Create | Action::Replace)
            && self.desired.as_ref().is_some_and(|d| d.unique)
            && !self.creates_collection;
        let conversion = self.modification.as_ref().is_some_and(|m| m.unique);
        unique_build || conversion
    }
}

/// A live index the manifests don't declare: left alone unless pruned.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmanaged {
    pub collection: String,
    pub index: IndexSpec,
    /// The declared index it is equivalent to (same key and options, other name).
    pub equivalent_to: Option<String>,
    /// Matches an `unmanaged` pattern of the manifest: never pruned.
    pub protected: bool,
    /// Hidden by `mig` on the way to a drop: when, and when it may be dropped.
    pub retiring: Option<(DateTime, DateTime)>,
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

#[derive(Clone, Copy, Debug)]
pub struct PlanOptions {
    /// Retire live indexes the manifests don't declare.
    pub prune: bool,
    /// Drop them at once instead of hiding them first.
    pub drop_now: bool,
    /// How long an index stays hidden before a run drops it.
    pub drop_after: Duration,
    /// The time the plan is made, for staged drops.
    pub now: DateTime,
    /// The server converts indexes to unique in place (`prepareUnique`, 6.0+).
    pub unique_conversion: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            prune: false,
            drop_now: false,
            drop_after: Duration::from_secs(7 * 24 * 3600),
            now: DateTime::now(),
            unique_conversion: true,
        }
    }
}

/// The server's limit, `_id_` included.
pub const MAX_INDEXES: usize = 64;

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
        let (changes, unmanaged) = plan_collection(declared, current, &live.retiring, options);
        plan.changes.extend(changes);
        plan.unmanaged.extend(unmanaged);
    }
    plan
}

fn plan_collection(
    declared: &Collection,
    live: Option<&Collection>,
    retiring: &[crate::model::Retiring],
    options: PlanOptions,
) -> (Vec<Change>, Vec<Unmanaged>) {
    let exists = live.is_some_and(|c| c.exists);
    let live_indexes: &[IndexSpec] = live.map(|c| c.indexes.as_slice()).unwrap_or_default();
    let default_collation = live.and_then(|c| c.default_collation.as_ref());
    let declared_names: HashSet<&str> = declared.indexes.iter().map(|i| i.name.as_str()).collect();
    let name = declared.name.as_str();
    let change = |action, index: &str| Change {
        creates_collection: !exists,
        ..Change::new(name, action, index)
    };

    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    // Live indexes accounted for: by name, or as an equivalent under another name.
    let mut claimed: HashSet<&str> = HashSet::new();
    // `{_id: 1}` under any name is the `_id_` index every collection has.
    for want in declared
        .indexes
        .iter()
        .filter(|i| !i.is_id_index() && !i.has_id_key())
    {
        if let Some(have) = live_indexes.iter().find(|l| l.name == want.name) {
            claimed.insert(&have.name);
            let verdict = match compare(want, have, default_collation) {
                Verdict::Modify(m) if m.unique && !options.unique_conversion => {
                    Verdict::Rebuild(differences(want, have, default_collation))
                }
                v => v,
            };
            match verdict {
                Verdict::Same => {}
                Verdict::Modify(m) => changes.push(Change {
                    desired: Some(want.clone()),
                    live: Some(have.clone()),
                    modification: Some(m),
                    differences: differences(want, have, default_collation),
                    ..change(Action::Modify, &want.name)
                }),
                Verdict::Rebuild(diffs) => changes.push(Change {
                    desired: Some(want.clone()),
                    live: Some(have.clone()),
                    differences: diffs,
                    gap: !can_coexist(want, have, live_indexes.len(), default_collation),
                    note: (!options.unique_conversion && want.unique && !have.unique)
                        .then(|| "the server is older than 6.0: no in-place unique conversion, so it is rebuilt".into()),
                    ..change(Action::Replace, &want.name)
                }),
            }
            continue;
        }
        // Same key and options under another name: the server would refuse to
        // build it (code 85), so it is reported, and renamed only when pruning.
        let twin = live_indexes.iter().find(|l| {
            l.name != ID_INDEX
                && !declared_names.contains(l.name.as_str())
                && !claimed.contains(l.name.as_str())
                && !is_temporary(l)
                && same_identity(want, l, default_collation)
        });
        match twin {
            Some(twin) => {
                claimed.insert(&twin.name);
                if options.prune || declared.drop_undeclared {
                    changes.push(Change {
                        desired: Some(want.clone()),
                        live: Some(twin.clone()),
                        differences: vec!["name"],
                        gap: true,
                        ..change(Action::Replace, &want.name)
                    });
                } else {
                    unmanaged.push(Unmanaged {
                        collection: declared.name.clone(),
                        index: twin.clone(),
                        equivalent_to: Some(want.name.clone()),
                        protected: false,
                        retiring: None,
                    });
                }
            }
            None => changes.push(Change {
                desired: Some(want.clone()),
                ..change(Action::Create, &want.name)
            }),
        }
    }
    let replaced: HashSet<String> = changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .map(|c| c.index.clone())
        .collect();
    let timeseries = live.is_some_and(|c| c.timeseries);
    for have in live_indexes {
        let iname = have.name.as_str();
        if iname == ID_INDEX
            || declared_names.contains(iname)
            || claimed.contains(iname)
            || is_clustered(have)
        {
            continue;
        }
        if is_temporary(have) {
            // Left over from an interrupted replace; a replace of its index drops it itself.
            let base = iname.trim_end_matches(TEMP_SUFFIX);
            if !replaced.contains(base) {
                changes.push(Change {
                    live: Some(have.clone()),
                    note: Some(format!(
                        "temporary index left by an interrupted replace of {base:?}"
                    )),
                    ..change(Action::Drop, iname)
                });
            }
            continue;
        }
        let protected = timeseries
            || declared
                .protected
                .iter()
                .any(|p| regex::Regex::new(p).is_ok_and(|re| re.is_match(iname)));
        let retire = (options.prune || declared.drop_undeclared) && !protected;
        let record = retiring
            .iter()
            .find(|r| r.collection == declared.name && r.index == iname);
        let drops_at = record.map(|r| add(r.hidden_at, options.drop_after));
        let entry = Unmanaged {
            collection: declared.name.clone(),
            index: have.clone(),
            equivalent_to: None,
            protected,
            retiring: None,
        };
        if !retire {
            unmanaged.push(entry);
        } else if options.drop_now {
            changes.push(Change {
                live: Some(have.clone()),
                ..change(Action::Drop, iname)
            });
        } else if !have.hidden || record.is_none() {
            changes.push(Change {
                live: Some(have.clone()),
                note: Some(format!(
                    "staged drop: hidden now, dropped by a run after {}",
                    humantime::format_duration(options.drop_after)
                )),
                ..change(Action::Hide, iname)
            });
        } else if drops_at.is_some_and(|at| at <= options.now) {
            changes.push(Change {
                live: Some(have.clone()),
                note: record.map(|r| {
                    format!(
                        "hidden since {}",
                        r.hidden_at.try_to_rfc3339_string().unwrap_or_default()
                    )
                }),
                ..change(Action::Drop, iname)
            });
        } else {
            unmanaged.push(Unmanaged {
                retiring: record.zip(drops_at).map(|(r, at)| (r.hidden_at, at)),
                ..entry
            });
        }
    }
    changes.sort_by_key(|c| c.action);
    (changes, unmanaged)
}

/// Whether a replace can build the new form next to the old one (under a
/// temporary name and key) before dropping it, keeping the collection covered.
fn can_coexist(
    want: &IndexSpec,
    have: &IndexSpec,
    live_count: usize,
    collation: Option<&bson::Document>,
) -> bool {
    !same_identity(want, have, collation)
        // A TTL index has one field and a wildcard can't be compounded (6.0),
        // so no temporary variant of them exists.
        && want.expire_after_seconds.is_none()
        && !want.is_wildcard()
        // One text index per collection.
        && (!want.is_text() || !have.is_text())
        // The temporary index needs a free slot.
        && live_count < MAX_INDEXES
}

fn is_temporary(spec: &IndexSpec) -> bool {
    spec.name.ends_with(TEMP_SUFFIX) && spec.keys.contains_key(TEMP_FIELD)
}

/// The clustered index of a clustered collection is part of the collection.
fn is_clustered(spec: &IndexSpec) -> bool {
    spec.other.get_bool("clustered").unwrap_or(false)
}

fn add(t: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(t.timestamp_millis().saturating_add(d.as_millis() as i64))
}

pub mod saved;

#[cfg(test)]
mod tests;
