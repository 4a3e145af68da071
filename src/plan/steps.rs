//! Changes → steps: the server commands that carry a database's changes out,
//! in the order they run. Pure. Collections come first: each missing one is
//! created with its options, and options are changed in place (`collMod`);
//! then views, each after the views it reads. Then, per collection, the order
//! keeps indexes in place as long as it can:
//! 1. in-place changes (`collMod`: TTL, hidden, unique conversion);
//! 2. the drops of replacements that can't coexist with their new form, then
//!    one `createIndexes` (one collection scan) with every new index, the
//!    twins of the other replacements, and the rebuilt ones;
//! 3. replacements with a twin: the old forms go, the final forms are built
//!    in one `createIndexes`, the twins go: the collection is covered all along;
//! 4. hides and drops, last, each requiring every build of the collection:
//!    nothing goes before what may replace it stands.
//!
//! A step names the changes it serves. When one of its steps fails, a change
//! gets no further steps, and a step that `requires` a change that failed is
//! skipped: the executor follows that rule and has no ordering policy of its own.

use std::collections::{BTreeMap, BTreeSet};

use super::change::{twin_name, Change};
use super::step::{Command, IndexMod, Step, Why};
use crate::model::compare::same_identity;
use crate::model::IndexSpec;

/// The steps that carry `changes` out, collection by collection, in the
/// order the collections first appear.
pub fn schedule(changes: &[Change]) -> Vec<Step> {
    let mut collections: Vec<&str> = Vec::new();
    for c in changes.iter().filter(|c| !c.is_collection_change()) {
        if !collections.contains(&c.collection()) {
            collections.push(c.collection());
        }
    }
    let mut steps = schedule_collections(changes);
    for collection in collections {
        let mine: Vec<(usize, &Change)> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.collection() == collection)
            .collect();
        schedule_collection(collection, changes, &mine, &mut steps);
    }
    steps
}

/// The steps of collection changes: collections created or changed in the
/// order declared, then views, each after every view it reads that this plan
/// also creates or changes (a view may read a view).
fn schedule_collections(changes: &[Change]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut views: Vec<(usize, &str, Command, Option<&str>)> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let (command, view_on) = match change {
            Change::CreateCollection { options, .. } => (
                Command::CreateCollection {
                    options: options.clone(),
                },
                options.get_str("viewOn").ok(),
            ),
            Change::ModifyCollection { set, view, .. } => (
                Command::ModifyCollection { set: set.clone() },
                view.then(|| set.get_str("viewOn").ok()).flatten(),
            ),
            _ => continue,
        };
        let is_view =
            view_on.is_some() || matches!(change, Change::ModifyCollection { view: true, .. });
        if is_view {
            views.push((i, change.collection(), command, view_on));
        } else {
            steps.push(Step {
                collection: change.collection().to_string(),
                command,
                serves: vec![i],
                requires: Vec::new(),
                why: Why::Collection,
            });
        }
    }
    // Views in dependency order: a view goes once none it reads is still to
    // come. A cycle (which the manifests refuse) is broken at its first view.
    while !views.is_empty() {
        let ready = views
            .iter()
            .position(|(_, _, _, on)| !views.iter().any(|(_, name, _, _)| Some(*name) == *on))
            .unwrap_or(0);
        let (i, name, command, on) = views.remove(ready);
        // Created only once what it reads is: a failed change to that one's
        // options holds nothing back.
        let requires = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                Some(c.collection()) == on && matches!(c, Change::CreateCollection { .. })
            })
            .map(|(j, _)| j)
            .collect();
        steps.push(Step {
            collection: name.to_string(),
            command,
            serves: vec![i],
            requires,
            why: Why::View,
        });
    }
    steps
}

fn schedule_collection(
    collection: &str,
    all: &[Change],
    changes: &[(usize, &Change)],
    steps: &mut Vec<Step>,
) {
    let step = |command, serves: Vec<usize>, why| Step {
        collection: collection.to_string(),
        command,
        serves,
        requires: Vec::new(),
        why,
    };
    // The collection is created with its options first: its builds wait for it.
    let created: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.collection() == collection && matches!(c, Change::CreateCollection { .. })
        })
        .map(|(i, _)| i)
        .collect();
    // 1. In place: one collMod per option, in the order collMod needs them.
    for &(i, change) in changes {
        if let Change::Modify { from, set, .. } = change {
            let mut mods = Vec::new();
            if let Some(ttl) = set.expire_after_seconds {
                mods.push(IndexMod::ExpireAfterSeconds(ttl));
            }
            if let Some(hidden) = set.hidden {
                mods.push(IndexMod::Hidden(hidden));
            }
            if set.unique {
                mods.extend([IndexMod::PrepareUnique, IndexMod::Unique]);
            }
            // On the live index, by its name (which may differ from the declared one).
            for set in mods {
                let index = from.name.clone();
                steps.push(step(Command::CollMod { index, set }, vec![i], Why::InPlace));
            }
        }
    }
    // 2. Drops that leave a gap, then one build of everything new.
    for &(i, change) in changes {
        if change.gap() {
            steps.push(step(drop_old(change), vec![i], Why::GapDrop));
        }
    }
    // A new index (or the new form of a gap or a rename) the server won't
    // hold beside the old form of a swap (the same index to it, code 85; or
    // a second text index, code 67) waits for that form's drop: built in the
    // swap's final build instead.
    let after_swap = |index: &IndexSpec| {
        changes.iter().any(|(_, c)| {
            matches!(c, Change::Replace { gap: false, .. })
                && c.live().is_some_and(|old| {
                    same_identity(index, old, None) || (index.is_text() && old.is_text())
                })
        })
    };
    let mut builds = Vec::new();
    let mut late = Vec::new();
    for &(i, change) in changes {
        match change {
            Change::Create { index: to, .. }
            | Change::Replace { gap: true, to, .. }
            | Change::Rename { to, .. } => match after_swap(to) {
                true => late.push((i, to.clone())),
                false => builds.push((i, to.clone())),
            },
            Change::Replace { .. } => builds.push((i, change.twin().expect("covered replace"))),
            _ => {}
        }
    }
    if !builds.is_empty() {
        let new_collection = builds.iter().all(|(i, _)| all[*i].new_collection());
        let serves = builds.iter().map(|(i, _)| *i).collect();
        let command = Command::CreateIndexes {
            indexes: builds,
            new_collection,
        };
        let mut build = step(command, serves, Why::Build);
        build.requires = created;
        steps.push(build);
    }
    // 3. Swaps: every old form goes once its twin stands, the final forms are
    // built in one scan, then the twins go.
    let swaps: Vec<(usize, &Change)> = changes
        .iter()
        .copied()
        .filter(|(_, c)| matches!(c, Change::Replace { gap: false, .. }))
        .collect();
    for &(i, change) in &swaps {
        steps.push(step(drop_old(change), vec![i], Why::SwapDrop));
    }
    if !swaps.is_empty() {
        let mut finals: Vec<(usize, IndexSpec)> = swaps
            .iter()
            .map(|(i, c)| (*i, c.desired().expect("a replace has a spec").clone()))
            .collect();
        finals.extend(late);
        let serves = finals.iter().map(|(i, _)| *i).collect();
        let command = Command::CreateIndexes {
            indexes: finals,
            new_collection: false,
        };
        steps.push(step(command, serves, Why::SwapBuild));
    }
    for &(i, change) in &swaps {
        let command = Command::DropIndex {
            index: twin_name(change.index().expect("a replace has an index")),
            forget_retiring: false,
        };
        steps.push(step(command, vec![i], Why::TwinDrop));
    }
    // 4. Hides and drops: each waits for every build on the collection, so
    // when one fails nothing is retired that it may have been meant to replace.
    let builds: Vec<usize> = changes
        .iter()
        .filter(|(_, c)| {
            matches!(
                c,
                Change::Create { .. } | Change::Replace { .. } | Change::Rename { .. }
            )
        })
        .map(|(i, _)| *i)
        .collect();
    for &(i, change) in changes {
        match change {
            Change::Hide { index, .. } => {
                let command = Command::Hide {
                    index: index.name.clone(),
                };
                let mut hide = step(command, vec![i], Why::Retire);
                hide.requires = builds.clone();
                steps.push(hide);
            }
            Change::Drop { index, .. } => {
                let command = Command::DropIndex {
                    index: index.name.clone(),
                    forget_retiring: index.hidden,
                };
                let mut drop = step(command, vec![i], Why::Retire);
                drop.requires = builds.clone();
                steps.push(drop);
            }
            _ => {}
        }
    }
}

/// The executor's rules, as a pure value fed each step's outcome: a change
/// that failed at one step gets no further steps, a step that requires a
/// change that failed is skipped, and a migration runs only while every one
/// before it succeeded. `server::execute` asks it before each step;
/// `schedule_tests.rs` feeds it a failure at every step of every pair.
#[derive(Clone, Debug, Default)]
pub struct Admission {
    failed: BTreeSet<usize>,
    migration_failed: bool,
}

impl Admission {
    /// The changes `step` runs for (those not failed yet), or `None` when it
    /// is skipped. A migration serves no change: `Some(vec![])` runs it.
    pub fn admit(&self, step: &Step) -> Option<Vec<usize>> {
        if matches!(step.command, Command::Migration { .. } | Command::Reread) {
            return (!self.migration_failed).then(Vec::new);
        }
        let live: Vec<usize> = step
            .serves
            .iter()
            .copied()
            .filter(|i| !self.failed.contains(i))
            .collect();
        let waits = step.requires.iter().any(|r| self.failed.contains(r));
        (!live.is_empty() && !waits).then_some(live)
    }

    /// A step ran, and these of its changes failed.
    pub fn record(&mut self, failed: &[usize]) {
        self.failed.extend(failed);
    }

    /// A migration failed: no later one runs.
    pub fn record_migration_failed(&mut self) {
        self.migration_failed = true;
    }

    pub fn failed(&self, change: usize) -> bool {
        self.failed.contains(&change)
    }
}

/// Whether the run may stop before step `n` and leave the collection whole:
/// not mid-swap (the old form dropped, the final one not yet built, the twin
/// still to go), nor between a gap's drop and its build. A rollout that must
/// stop (interrupted, its window closed) stops at the next such point.
pub fn safe_point(steps: &[Step], n: usize) -> bool {
    let step = &steps[n];
    match step.why {
        Why::SwapDrop | Why::SwapBuild | Why::TwinDrop => false,
        Why::Build => !steps[..n]
            .iter()
            .any(|s| s.collection == step.collection && s.why == Why::GapDrop),
        _ => true,
    }
}

/// The steps that run data migrations `ids`, in that order, before the
/// index steps. They serve no index change; the executor runs a migration
/// only while every one before it succeeded.
pub fn migrations(ids: &[&str]) -> Vec<Step> {
    ids.iter()
        .map(|id| lead(Command::Migration { id: id.to_string() }, Why::Migration))
        .collect()
}

/// The step after a database's migrations: the index steps were planned on
/// the data before them, and run only if the data after them plans the same.
pub fn reread() -> Step {
    lead(Command::Reread, Why::Reread)
}

/// A step that leads a database's plan, about no one collection or change.
fn lead(command: Command, why: Why) -> Step {
    Step {
        collection: String::new(),
        command,
        serves: Vec::new(),
        requires: Vec::new(),
        why,
    }
}

/// Where a plan's migration steps and its re-read end: its index steps start there.
pub fn after_migrations(steps: &[Step]) -> usize {
    steps
        .iter()
        .take_while(|s| matches!(s.command, Command::Migration { .. } | Command::Reread))
        .count()
}

/// Drops the live form of a replace or rename.
fn drop_old(change: &Change) -> Command {
    let old = change.live().expect("a replace has a live index");
    Command::DropIndex {
        index: old.name.clone(),
        forget_retiring: false,
    }
}

/// The steps without those of `blocked` changes: a step serving only blocked
/// changes goes, a build leaves their indexes out, and a step that requires
/// a blocked change goes too (it would wait for a change that never comes).
pub fn without(steps: &[Step], blocked: &BTreeSet<usize>) -> Vec<Step> {
    steps
        .iter()
        .filter(|s| !s.requires.iter().any(|r| blocked.contains(r)))
        .filter_map(|s| {
            let serves: Vec<usize> = s
                .serves
                .iter()
                .copied()
                .filter(|i| !blocked.contains(i))
                .collect();
            // A step that served no change (a migration, the re-read) stays.
            if serves.is_empty() && !s.serves.is_empty() {
                return None;
            }
            let mut step = s.clone();
            if let Command::CreateIndexes { indexes, .. } = &mut step.command {
                indexes.retain(|(i, _)| !blocked.contains(i));
            }
            step.serves = serves;
            Some(step)
        })
        .collect()
}

/// The steps serving each change, by position in `steps`.
pub fn by_change(steps: &[Step]) -> BTreeMap<usize, Vec<usize>> {
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (n, step) in steps.iter().enumerate() {
        for &i in &step.serves {
            out.entry(i).or_default().push(n);
        }
    }
    out
}
