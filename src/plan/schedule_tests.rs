//! The step order, for every kind of change alone and for every pair of kinds
//! on one collection: each change gets exactly its sequence of commands, the
//! phases never interleave (in place, gap drops, one build, swaps, retires),
//! and no index goes before what covers for it stands.

use std::collections::BTreeSet;

use bson::doc;

use super::steps::{schedule, without, Admission};
use super::*;
use crate::model::compare::Modification;

fn spec(name: &str, field: &str) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys: doc! {field: 1},
        ..Default::default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Create,
    CreateInNewCollection,
    ModifyTtl,
    ModifyHiddenAndUnique,
    ReplaceCovered,
    ReplaceGap,
    Rename,
    Hide,
    Drop,
    DropHidden,
    DropLeftoverTwin,
    CreateCollection,
    CreateView,
    ModifyCollection,
    ModifyView,
    Unchangeable,
    Conflict,
    ModifyOtherName,
}

const KINDS: [Kind; 18] = [
    Kind::Create,
    Kind::CreateInNewCollection,
    Kind::ModifyTtl,
    Kind::ModifyHiddenAndUnique,
    Kind::ReplaceCovered,
    Kind::ReplaceGap,
    Kind::Rename,
    Kind::Hide,
    Kind::Drop,
    Kind::DropHidden,
    Kind::DropLeftoverTwin,
    Kind::CreateCollection,
    Kind::CreateView,
    Kind::ModifyCollection,
    Kind::ModifyView,
    Kind::Unchangeable,
    Kind::Conflict,
    Kind::ModifyOtherName,
];

/// A change of `kind` on collection `c`, its names made unique by `tag`.
fn change(kind: Kind, tag: &str) -> Change {
    let c = "c".to_string();
    let name = format!("{tag}{kind:?}");
    let field = format!("f{tag}{kind:?}");
    let index = spec(&name, &field);
    match kind {
        Kind::Create | Kind::CreateInNewCollection => Change::Create {
            collection: c,
            index,
            new_collection: kind == Kind::CreateInNewCollection,
        },
        Kind::ModifyTtl | Kind::ModifyHiddenAndUnique => Change::Modify {
            collection: c,
            from: index.clone(),
            to: index,
            set: if kind == Kind::ModifyTtl {
                Modification {
                    expire_after_seconds: Some(60),
                    ..Default::default()
                }
            } else {
                Modification {
                    hidden: Some(false),
                    unique: true,
                    ..Default::default()
                }
            },
            differences: vec!["expireAfterSeconds"],
        },
        Kind::ReplaceCovered | Kind::ReplaceGap => Change::Replace {
            collection: c,
            from: index.clone(),
            to: spec(&name, &format!("{field}_new")),
            differences: vec!["key"],
            gap: kind == Kind::ReplaceGap,
            note: None,
        },
        Kind::Rename => Change::Rename {
            collection: c,
            from: spec(&format!("{name}_old"), &field),
            to: index,
            differences: vec!["name"],
        },
        Kind::ModifyOtherName => Change::Modify {
            collection: c,
            from: spec(&format!("{name}_live"), &field),
            to: index,
            set: Modification {
                expire_after_seconds: Some(60),
                ..Default::default()
            },
            differences: vec!["name", "expireAfterSeconds"],
        },
        Kind::Conflict => Change::Conflict {
            collection: c,
            index,
            live: spec(&format!("{name}_live"), "text"),
            why: "refused".into(),
        },
        Kind::Hide => Change::Hide {
            collection: c,
            index,
            note: String::new(),
        },
        Kind::Drop | Kind::DropHidden => Change::Drop {
            collection: c,
            index: IndexSpec {
                hidden: kind == Kind::DropHidden,
                ..index
            },
            note: None,
        },
        Kind::DropLeftoverTwin => Change::Drop {
            collection: c,
            index: change::twin_of(&index),
            note: None,
        },
        Kind::CreateCollection => Change::CreateCollection {
            collection: c,
            options: doc! {"validator": {field: {"$exists": true}}},
        },
        Kind::CreateView => Change::CreateCollection {
            collection: c,
            options: doc! {"viewOn": "src", "pipeline": [{"$match": {field: 1}}]},
        },
        Kind::ModifyCollection | Kind::ModifyView => {
            let view = kind == Kind::ModifyView;
            let set = if view {
                doc! {"viewOn": "src", "pipeline": []}
            } else {
                doc! {"validator": {field: 1}}
            };
            Change::ModifyCollection {
                collection: c,
                changes: Vec::new(),
                set,
                view,
            }
        }
        Kind::Unchangeable => Change::Unchangeable {
            collection: c,
            changes: Vec::new(),
        },
    }
}

/// What a step does to which index, in a form easy to compare.
fn shape(step: &Step) -> (&'static str, Vec<String>) {
    let what = match &step.command {
        Command::CollMod { set, .. } => set.option().0,
        Command::Hide { .. } => "hide",
        Command::CreateIndexes { .. } => "create",
        Command::DropIndex { .. } => "drop",
        Command::Migration { .. } => "migration",
        Command::Reread => "reread",
        Command::CreateCollection { .. } => "create_collection",
        Command::ModifyCollection { .. } => "modify_collection",
    };
    let names = step
        .command
        .indexes()
        .into_iter()
        .map(str::to_string)
        .collect();
    (what, names)
}

/// The commands one change of `kind` needs, in order, on the index names it involves.
fn expected(change: &Change) -> Vec<(&'static str, String)> {
    let name = change.index().unwrap_or_default().to_string();
    let old = change.live().map(|l| l.name.clone()).unwrap_or_default();
    match change {
        Change::Create { .. } => vec![("create", name)],
        Change::Modify { set, .. } if set.unique => vec![
            ("hidden", name.clone()),
            ("prepareUnique", name.clone()),
            ("unique", name),
        ],
        // On the live index, by its live name.
        Change::Modify { .. } => vec![("expireAfterSeconds", old)],
        Change::Replace { gap: false, .. } => vec![
            ("create", change::twin_name(&name)),
            ("drop", old),
            ("create", name.clone()),
            ("drop", change::twin_name(&name)),
        ],
        Change::Replace { .. } | Change::Rename { .. } => vec![("drop", old), ("create", name)],
        Change::Hide { .. } => vec![("hide", name)],
        Change::Drop { .. } => vec![("drop", name)],
        Change::CreateCollection { .. } => vec![("create_collection", name)],
        Change::ModifyCollection { .. } => vec![("modify_collection", name)],
        Change::Unchangeable { .. } | Change::Conflict { .. } => vec![],
    }
}

/// The phase of a step: they must come in this order.
fn phase(step: &Step) -> usize {
    match step.why {
        Why::Migration => 0,
        Why::Reread => 1,
        Why::Collection => 2,
        Why::View => 3,
        Why::InPlace => 4,
        Why::GapDrop => 5,
        Why::Build => 6,
        Why::SwapDrop => 7,
        Why::SwapBuild => 8,
        Why::TwinDrop => 9,
        Why::Retire => 10,
    }
}

fn check(changes: &[Change]) {
    let steps = schedule(changes);
    let context = format!("{changes:#?}\n{steps:#?}");
    // Each change: exactly its commands, in its order.
    for (i, change) in changes.iter().enumerate() {
        let mine: Vec<(&'static str, String)> = steps
            .iter()
            .filter(|s| s.serves.contains(&i))
            .map(|s| {
                let (what, names) = shape(s);
                // Its own index in a shared build.
                let own = match &s.command {
                    Command::CreateIndexes { indexes, .. } => indexes
                        .iter()
                        .find(|(j, _)| *j == i)
                        .map(|(_, s)| s.name.clone())
                        .expect("a build serves its change with an index"),
                    // A collection's own step is about no index.
                    _ => names.first().cloned().unwrap_or_default(),
                };
                (what, own)
            })
            .collect();
        assert_eq!(mine, expected(change), "change {i}\n{context}");
    }
    // Phases in order, so in-place changes come first, nothing is dropped
    // before the build that covers for it, and retires come last.
    let phases: Vec<usize> = steps.iter().map(phase).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{context}");
    // One build for everything new: one collection scan.
    assert!(
        steps.iter().filter(|s| s.why == Why::Build).count() <= 1,
        "{context}"
    );
    // A covered replace drops its old form only after its twin stands.
    for (i, change) in changes.iter().enumerate() {
        if change.twin().is_some() {
            let at = |why| {
                steps
                    .iter()
                    .position(|s| s.why == why && s.serves.contains(&i))
            };
            assert!(at(Why::Build) < at(Why::SwapDrop), "{context}");
            assert!(at(Why::SwapBuild) < at(Why::TwinDrop), "{context}");
        }
    }
    // A build waits for the create of its collection, and for nothing else.
    let created: Vec<usize> = (0..changes.len())
        .filter(|&j| matches!(changes[j], Change::CreateCollection { .. }))
        .collect();
    for step in steps.iter().filter(|s| s.why == Why::Build) {
        assert_eq!(step.requires, created, "{context}");
    }
    // A hide or drop goes only once every build of its collection stands
    // (a leftover twin among them: it covers until its final index stands).
    let builds: Vec<usize> = (0..changes.len())
        .filter(|&j| {
            matches!(
                changes[j],
                Change::Create { .. } | Change::Replace { .. } | Change::Rename { .. }
            )
        })
        .collect();
    for (i, change) in changes.iter().enumerate() {
        let (Change::Drop { index, .. } | Change::Hide { index, .. }) = change else {
            continue;
        };
        let step = steps.iter().find(|s| s.serves.contains(&i)).unwrap();
        assert_eq!(step.requires, builds, "{context}");
        if let Change::Drop { .. } = change {
            assert_eq!(
                step.command,
                Command::DropIndex {
                    index: index.name.clone(),
                    forget_retiring: index.hidden
                },
                "a hidden index's retiring record is forgotten with it"
            );
        }
    }
}

#[test]
fn every_kind_of_change_alone_gets_exactly_its_steps() {
    for kind in KINDS {
        check(&[change(kind, "a")]);
    }
}

#[test]
fn every_pair_of_kinds_on_one_collection_keeps_the_order() {
    for a in KINDS {
        for b in KINDS {
            let mut pair = vec![change(a, "a"), change(b, "b")];
            check(&pair);
            // As the planner sorts them, too.
            pair.sort_by_key(Change::action);
            check(&pair);
        }
    }
}

#[test]
fn a_leftover_twin_waits_for_its_index_to_be_built() {
    let create = change(Kind::Create, "a");
    let leftover = Change::Drop {
        collection: "c".into(),
        index: change::twin_of(create.desired().unwrap()),
        note: None,
    };
    let steps = schedule(&[create, leftover]);
    assert_eq!(steps.last().unwrap().requires, vec![0]);
}

#[test]
fn collections_are_scheduled_one_after_the_other_in_order() {
    let mut other = change(Kind::Create, "z");
    if let Change::Create { collection, .. } = &mut other {
        *collection = "b".into();
    }
    let changes = vec![change(Kind::Drop, "a"), other, change(Kind::Create, "a")];
    let steps = schedule(&changes);
    let order: Vec<&str> = steps.iter().map(|s| s.collection.as_str()).collect();
    assert_eq!(order, vec!["c", "c", "b"]);
}

#[test]
fn a_blocked_change_loses_exactly_its_steps() {
    for a in KINDS {
        for b in KINDS {
            let changes = vec![change(a, "a"), change(b, "b")];
            let all = schedule(&changes);
            let blocked = BTreeSet::from([0]);
            let kept = without(&all, &blocked);
            let context = format!("{a:?} blocked, {b:?} kept\n{kept:#?}");
            assert!(kept.iter().all(|s| !s.serves.contains(&0)), "{context}");
            // The other change keeps its steps, unless it waits for the blocked one.
            let others: Vec<(&'static str, Vec<String>)> = all
                .iter()
                .filter(|s| s.serves.contains(&1) && !s.requires.contains(&0))
                .map(|s| {
                    let mut s = s.clone();
                    if let Command::CreateIndexes { indexes, .. } = &mut s.command {
                        indexes.retain(|(i, _)| *i == 1);
                    }
                    shape(&s)
                })
                .collect();
            assert_eq!(
                kept.iter().map(shape).collect::<Vec<_>>(),
                others,
                "{context}"
            );
        }
    }
}

#[test]
fn migrations_lead_then_a_reread_and_serve_no_index_change() {
    let plan = DatabasePlan::new("t", Scope::Tenant, vec![change(Kind::ReplaceCovered, "a")])
        .with_migrations_first(&["2025_a", "2025_b"]);
    let phases: Vec<usize> = plan.steps.iter().map(phase).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{:#?}", plan.steps);
    assert_eq!(
        plan.steps[..3]
            .iter()
            .map(|s| s.command.clone())
            .collect::<Vec<_>>(),
        vec![
            Command::Migration {
                id: "2025_a".into()
            },
            Command::Migration {
                id: "2025_b".into()
            },
            Command::Reread,
        ]
    );
    assert!(plan.steps[..3].iter().all(|s| s.serves.is_empty()));
    assert_eq!(plan.migration_ids(), vec!["2025_a", "2025_b"]);
    // The index steps still name their change, by position in the changes.
    assert_eq!(plan.steps_by_change()[&0], vec![3, 4, 5, 6]);
    // Without the lead, the plan the re-read is compared with.
    let alone = DatabasePlan::new("t", Scope::Tenant, vec![change(Kind::ReplaceCovered, "a")]);
    assert!(plan.clone().index_steps_only().same_steps(&alone));
    assert!(!plan.same_steps(&alone));
}

#[test]
fn a_blocked_change_leaves_the_migrations_and_the_reread() {
    let plan = DatabasePlan::new("t", Scope::Tenant, vec![change(Kind::Create, "a")])
        .with_migrations_first(&["2025_a"]);
    let kept = without(&plan.steps, &BTreeSet::from([0]));
    assert_eq!(
        kept.iter().map(|s| s.command.clone()).collect::<Vec<_>>(),
        vec![
            Command::Migration {
                id: "2025_a".into()
            },
            Command::Reread
        ]
    );
}

#[test]
fn a_build_that_no_longer_creates_its_collection_is_the_same_step() {
    let new = change(Kind::CreateInNewCollection, "a");
    let mut there = new.clone();
    if let Change::Create { new_collection, .. } = &mut there {
        *new_collection = false;
    }
    let before = DatabasePlan::new("t", Scope::Tenant, vec![new]);
    let after = DatabasePlan::new("t", Scope::Tenant, vec![there]);
    assert_ne!(before.steps, after.steps);
    assert!(
        before.same_steps(&after),
        "a migration created the collection"
    );
    let other = DatabasePlan::new("t", Scope::Tenant, vec![change(Kind::Create, "b")]);
    assert!(!before.same_steps(&other));
}

#[test]
fn no_migration_no_reread() {
    let plan = DatabasePlan::new("t", Scope::Tenant, vec![change(Kind::ReplaceCovered, "a")]);
    let steps = plan.steps.clone();
    assert_eq!(plan.with_migrations_first(&[]).steps, steps);
}

/// The indexes of one collection after running `steps` with the executor's
/// rules ([`Admission`]), the steps at `failing` failing for every change
/// they run for; and which steps ran.
fn simulate(changes: &[Change], steps: &[Step], failing: usize) -> (BTreeSet<String>, Vec<usize>) {
    let mut present: BTreeSet<String> = changes
        .iter()
        .filter_map(Change::live)
        .map(|l| l.name.clone())
        .collect();
    let mut admission = Admission::default();
    let mut ran = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let Some(live) = admission.admit(step) else {
            continue;
        };
        ran.push(n);
        if n == failing {
            admission.record(&live);
            continue;
        }
        match &step.command {
            Command::CreateIndexes { indexes, .. } => present.extend(
                indexes
                    .iter()
                    .filter(|(i, _)| live.contains(i))
                    .map(|(_, s)| s.name.clone()),
            ),
            Command::DropIndex { index, .. } => {
                present.remove(index);
            }
            _ => {}
        }
    }
    (present, ran)
}

#[test]
fn a_failure_at_any_step_of_any_pair_loses_nothing_the_plan_did_not_announce() {
    for a in KINDS {
        for b in KINDS {
            let mut changes = vec![change(a, "a"), change(b, "b")];
            changes.sort_by_key(Change::action);
            let steps = schedule(&changes);
            for failing in 0..steps.len() {
                let (present, ran) = simulate(&changes, &steps, failing);
                let context = format!("{a:?} + {b:?}, step {failing} fails\n{steps:#?}\nran {ran:?}, left {present:?}");
                let failed: BTreeSet<usize> = steps[failing].serves.iter().copied().collect();
                // A change that failed gets no further step.
                for &n in ran.iter().filter(|&&n| n > failing) {
                    assert!(
                        steps[n].serves.iter().any(|i| !failed.contains(i)),
                        "step {n} ran for a failed change\n{context}"
                    );
                }
                let a_build_failed = failed.iter().any(|&i| {
                    matches!(
                        changes[i],
                        Change::Create { .. } | Change::Replace { .. } | Change::Rename { .. }
                    )
                });
                for (i, change) in changes.iter().enumerate() {
                    let Some(old) = change.live() else { continue };
                    if present.contains(&old.name) || matches!(change, Change::Conflict { .. }) {
                        continue;
                    }
                    // Gone: announced as a gap, retired while every build
                    // stood, or replaced by what now stands in its place.
                    let announced = change.gap();
                    let retired = matches!(change, Change::Drop { .. } | Change::Hide { .. })
                        && !a_build_failed;
                    let replaced = change.desired().is_some_and(|d| {
                        present.contains(&d.name) || present.contains(&change::twin_name(&d.name))
                    });
                    assert!(
                        announced || retired || replaced,
                        "change {i} lost {:?}\n{context}",
                        old.name
                    );
                }
            }
        }
    }
}

#[test]
fn a_failed_build_holds_back_the_drops_that_would_retire_what_it_replaces() {
    // Issue case: a new text index declared, the old one pruned at once. The
    // build fails (code 67): the old text index must stay.
    let changes = vec![change(Kind::Create, "a"), change(Kind::Drop, "b")];
    let steps = schedule(&changes);
    let build = steps.iter().position(|s| s.why == Why::Build).unwrap();
    let (present, ran) = simulate(&changes, &steps, build);
    assert!(present.contains("bDrop"), "{ran:?} {steps:#?}");
}

#[test]
fn what_is_done_where_the_server_refuses_a_step_is_decided_with_it() {
    use crate::plan::IfRefused;
    for a in KINDS {
        for b in KINDS {
            let changes = vec![change(a, "a"), change(b, "b")];
            for step in schedule(&changes) {
                let expected = match &step.command {
                    Command::CreateIndexes { indexes, .. } if indexes.len() > 1 => {
                        IfRefused::EachOnItsOwn
                    }
                    Command::DropIndex { .. } => IfRefused::GoneIsDone,
                    _ => IfRefused::Fail,
                };
                assert_eq!(step.if_refused(), expected, "{a:?} {b:?}: {step:#?}");
            }
        }
    }
    // A batch of one fails as itself; a batch of two is tried again one by one.
    let one = schedule(&[change(Kind::Create, "a")]);
    assert_eq!(one[0].if_refused(), IfRefused::Fail);
    let two = schedule(&[change(Kind::Create, "a"), change(Kind::Create, "b")]);
    assert_eq!(two[0].if_refused(), IfRefused::EachOnItsOwn);
    assert!(IfRefused::EachOnItsOwn.explain().is_some() && IfRefused::Fail.explain().is_none());
}

#[test]
fn a_build_the_server_wont_hold_beside_a_swaps_old_form_waits_for_its_drop() {
    // Pairs seed 23: live `a` {date: 1} and `b` text, declared `a` text and
    // `b` {date: 1}. `a` is a gap (a text index has no twin), `b` a swap;
    // built before `b`'s old text form goes, `a` is refused (code 85/67).
    let text = |name: &str| IndexSpec {
        name: name.into(),
        keys: doc! {"_fts": "text", "_ftsx": 1},
        ..Default::default()
    };
    let swap = Change::Replace {
        collection: "c".into(),
        from: text("b"),
        to: spec("b", "date"),
        differences: vec!["key"],
        gap: false,
        note: None,
    };
    let clashing = [
        Change::Replace {
            collection: "c".into(),
            from: spec("a", "date"),
            to: text("a"),
            differences: vec!["key"],
            gap: true,
            note: None,
        },
        Change::Rename {
            collection: "c".into(),
            from: spec("a_old", "x"),
            to: text("a"),
            differences: vec!["name"],
        },
        Change::Create {
            collection: "c".into(),
            index: text("a"),
            new_collection: false,
        },
    ];
    for other in clashing {
        let changes = vec![other, swap.clone()];
        let steps = schedule(&changes);
        let at = |why: Why, i: usize| {
            steps
                .iter()
                .position(|s| s.why == why && s.serves.contains(&i))
        };
        let built = steps
            .iter()
            .position(|s| match &s.command {
                Command::CreateIndexes { indexes, .. } => indexes.iter().any(|(i, _)| *i == 0),
                _ => false,
            })
            .unwrap();
        assert!(at(Why::SwapDrop, 1).unwrap() < built, "{steps:#?}");
        assert_eq!(steps[built].why, Why::SwapBuild, "{steps:#?}");
        check(&changes);
    }
}
