//! The planner: declared collections + live state → the changes for one
//! database ([`change`]) and the steps that carry them out ([`steps`]). Pure:
//! no I/O, so every decision is unit-tested. What needs the data (duplicate
//! keys, index usage) is found by `server::preflight` and comes back as
//! [`Findings`], which leave the blocked changes without steps.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bson::DateTime;

use crate::model::collection::{coll_mod, compare_options, create_options, KIND};
use crate::model::release::Release;
use crate::model::{Collection, DatabaseState, IndexSpec, Scope};

pub mod change;
pub mod drift;
mod findings;
mod indexes;
pub mod saved;
mod step;
pub mod steps;

pub use change::{Action, Change, ChangeKind, TEMP_FIELD, TEMP_SUFFIX};
pub use findings::{human_bytes, limits, short_of_disk, Findings, Impact, Usage};
pub use step::{Command, CommandName, IfRefused, IndexMod, Step, Why};

/// The names of steps and changes are their serde names, written the same in
/// saved plans, the journal and JSON; messages print them the same way.
macro_rules! display_by_serde_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::String(name)) => f.write_str(&name),
                    _ => Err(std::fmt::Error),
                }
            }
        }
    )*};
}

display_by_serde_name!(Action, ChangeKind, CommandName, IfRefused, Why);

use indexes::plan_collection;

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

/// One database's plan: what differs, and the steps that change it, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct DatabasePlan {
    pub database: String,
    pub scope: Scope,
    pub changes: Vec<Change>,
    pub unmanaged: Vec<Unmanaged>,
    /// What the preflight found (blocked changes, index usage).
    pub findings: Findings,
    /// The steps, in the order they run; blocked changes have none.
    pub steps: Vec<Step>,
}

impl DatabasePlan {
    /// A plan of `changes`, scheduled, before any preflight. The changes the
    /// planner itself refuses (conflicts) are blocked from the start.
    pub fn new(database: &str, scope: Scope, changes: Vec<Change>) -> DatabasePlan {
        let findings = Findings {
            blocked: refusals(&changes),
            ..Findings::default()
        };
        DatabasePlan {
            database: database.to_string(),
            scope,
            steps: steps::schedule(&changes),
            changes,
            unmanaged: Vec::new(),
            findings,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The preflight's findings: a blocked change loses exactly its steps.
    /// The planner's own refusals stay blocked, with their reasons.
    pub fn with_findings(mut self, mut findings: Findings) -> DatabasePlan {
        findings.blocked.extend(refusals(&self.changes));
        let blocked: BTreeSet<usize> = findings.blocked.keys().copied().collect();
        self.steps = steps::without(&self.steps, &blocked);
        self.findings = findings;
        self
    }

    /// Data migrations to run before the index steps (see [`steps::migrations`]).
    pub fn with_migrations_first(mut self, ids: &[&str]) -> DatabasePlan {
        let mut lead = steps::migrations(ids);
        if !lead.is_empty() {
            lead.push(steps::reread());
        }
        self.steps.splice(0..0, lead);
        self
    }

    /// The ids of the data migrations it runs first, in order.
    pub fn migration_ids(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match &s.command {
                Command::Migration { id } => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The plan without its migrations and re-read: the index steps alone.
    pub fn index_steps_only(mut self) -> DatabasePlan {
        let lead = steps::after_migrations(&self.steps);
        self.steps.drain(..lead);
        self
    }

    /// Whether `other` makes the same changes by the same steps (findings
    /// aside: the data they count may differ while the steps stay the same),
    /// as a saved plan keeps them: what the server is sent.
    pub fn same_steps(&self, other: &DatabasePlan) -> bool {
        saved::sent(self) == saved::sent(other)
    }

    /// Why the change at `i` is blocked, if it is.
    pub fn blocked(&self, i: usize) -> Option<&str> {
        self.findings.blocked.get(&i).map(String::as_str)
    }

    /// The steps serving each change.
    pub fn steps_by_change(&self) -> BTreeMap<usize, Vec<usize>> {
        steps::by_change(&self.steps)
    }
}

/// The changes the planner refuses, by position, and why.
fn refusals(changes: &[Change]) -> BTreeMap<usize, String> {
    changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.refused().map(|why| (i, format!("refused: {why}"))))
        .collect()
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
    /// The release whose comparison and abilities apply (the server's).
    pub release: Release,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            prune: false,
            drop_now: false,
            drop_after: Duration::from_secs(7 * 24 * 3600),
            now: DateTime::now(),
            unique_conversion: true,
            release: Release::DEFAULT,
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
    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    for declared in desired {
        let current = live.collection(&declared.name);
        let own = plan_options(declared, current);
        // A view has no indexes; a collection that is not what was declared
        // (a view, a time-series) gets none built until it is.
        let kind_differs = own
            .iter()
            .flat_map(Change::option_changes)
            .any(|o| o.option == KIND);
        changes.extend(own);
        if declared.is_view() || kind_differs {
            continue;
        }
        let (c, u) = plan_collection(declared, current, &live.retiring, options);
        changes.extend(c);
        unmanaged.extend(u);
    }
    DatabasePlan {
        unmanaged,
        ..DatabasePlan::new(database, scope, changes)
    }
}

/// The changes to a collection's own options: created with them when it is
/// missing, else what `collMod` changes and what the server can't.
fn plan_options(declared: &Collection, live: Option<&Collection>) -> Vec<Change> {
    let Some(want) = &declared.options else {
        return Vec::new();
    };
    let collection = declared.name.clone();
    let Some(have) = live.filter(|c| c.exists) else {
        return vec![Change::CreateCollection {
            collection,
            options: create_options(want),
        }];
    };
    let empty = bson::Document::new();
    let differs = compare_options(want, have.options.as_ref().unwrap_or(&empty));
    let (in_place, never): (Vec<_>, Vec<_>) = differs.into_iter().partition(|c| c.in_place());
    let mut out = Vec::new();
    if !never.is_empty() {
        out.push(Change::Unchangeable {
            collection: collection.clone(),
            changes: never,
        });
    }
    if !in_place.is_empty() {
        out.push(Change::ModifyCollection {
            collection,
            set: coll_mod(&in_place, want),
            changes: in_place,
            view: declared.is_view(),
        });
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod schedule_tests;

#[cfg(test)]
mod release_tests;

#[cfg(test)]
mod collection_tests;
