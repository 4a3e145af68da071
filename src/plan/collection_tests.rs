//! The planner for collections' own options and views: what changes, the
//! steps that make them and their order, and the saved plan's round trip.

use bson::{doc, Bson, Document};

use super::saved::SavedTarget;
use super::*;
use crate::model::collection::OptionChange;

fn index(name: &str, field: &str) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys: doc! {field: 1},
        ..Default::default()
    }
}

fn id_index() -> IndexSpec {
    index("_id_", "_id")
}

fn declared(name: &str, options: Option<Document>, indexes: Vec<IndexSpec>) -> Collection {
    Collection {
        name: name.into(),
        indexes,
        options,
        ..Default::default()
    }
}

fn live(name: &str, options: Document, indexes: Vec<IndexSpec>) -> Collection {
    Collection {
        name: name.into(),
        exists: true,
        indexes,
        options: Some(options),
        ..Default::default()
    }
}

fn state(collections: Vec<Collection>) -> DatabaseState {
    DatabaseState {
        name: "t1".into(),
        collections,
        retiring: vec![],
    }
}

fn plan(desired: &[Collection], live: Vec<Collection>) -> DatabasePlan {
    plan_database(
        "t1",
        Scope::Tenant,
        desired,
        &state(live),
        PlanOptions::default(),
    )
}

fn view(on: &str) -> Document {
    doc! {"viewOn": on, "pipeline": [{"$match": {"a": 1}}]}
}

/// The steps' collections and reasons, in order.
fn order(p: &DatabasePlan) -> Vec<(&str, Why)> {
    p.steps
        .iter()
        .map(|s| (s.collection.as_str(), s.why))
        .collect()
}

#[test]
fn a_missing_collection_is_created_with_its_options_before_its_indexes() {
    let options = doc! {"validator": {"a": {"$exists": true}}, "capped": true, "size": 4096};
    let p = plan(
        &[declared(
            "events",
            Some(options.clone()),
            vec![index("a_1", "a"), index("b_1", "b")],
        )],
        vec![],
    );
    assert_eq!(
        p.changes[0],
        Change::CreateCollection {
            collection: "events".into(),
            options: doc! {"validator": {"a": {"$exists": true}}, "capped": true, "size": Bson::Int64(4096)},
        }
    );
    assert!(p.changes[1..].iter().all(|c| matches!(
        c,
        Change::Create {
            new_collection: true,
            ..
        }
    )));
    assert_eq!(p.changes.len(), 3);
    assert_eq!(
        order(&p),
        [("events", Why::Collection), ("events", Why::Build)]
    );
    assert_eq!(
        p.steps[0].command,
        Command::CreateCollection {
            options: doc! {"validator": {"a": {"$exists": true}}, "capped": true, "size": Bson::Int64(4096)},
        }
    );
    assert_eq!(p.steps[0].serves, vec![0]);
    // The build waits for the create: if it fails, the build is skipped.
    assert_eq!(p.steps[1].requires, vec![0]);
    assert_eq!(p.steps[1].serves, vec![1, 2]);
    let blocked = p.with_findings(Findings {
        blocked: [(0, "refused".to_string())].into(),
        ..Default::default()
    });
    assert!(blocked.steps.is_empty(), "{:#?}", blocked.steps);
}

#[test]
fn a_missing_collection_without_declared_options_is_left_to_its_first_build() {
    let p = plan(&[declared("events", None, vec![index("a_1", "a")])], vec![]);
    assert_eq!(p.changes.len(), 1);
    assert!(p.changes[0].new_collection());
    assert_eq!(order(&p), [("events", Why::Build)]);
    assert!(p.steps[0].requires.is_empty());
}

#[test]
fn an_existing_collection_with_in_place_differences_gets_one_modify() {
    let want = doc! {
        "validator": {"a": 1},
        "validationAction": "warn",
        "changeStreamPreAndPostImages": {"enabled": true},
    };
    let have = doc! {"validator": {"b": 1}};
    let p = plan(
        &[declared(
            "events",
            Some(want.clone()),
            vec![index("a_1", "a")],
        )],
        vec![live("events", have, vec![id_index(), index("a_1", "a")])],
    );
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    let Change::ModifyCollection {
        collection,
        changes,
        set,
        view,
    } = &p.changes[0]
    else {
        panic!("{:#?}", p.changes)
    };
    assert_eq!(collection, "events");
    assert!(!view);
    assert_eq!(
        changes.iter().map(|c| c.option).collect::<Vec<_>>(),
        [
            "validator",
            "validationAction",
            "changeStreamPreAndPostImages"
        ]
    );
    assert_eq!(
        set,
        &doc! {"validator": {"a": 1}, "validationAction": "warn", "changeStreamPreAndPostImages": {"enabled": true}}
    );
    assert_eq!(p.changes[0].action(), Action::Modify);
    assert_eq!(
        p.steps,
        vec![Step {
            collection: "events".into(),
            command: Command::ModifyCollection { set: set.clone() },
            serves: vec![0],
            requires: vec![],
            why: Why::Collection,
        }]
    );
}

#[test]
fn options_the_server_cant_change_are_unchangeable_with_no_steps() {
    let want = doc! {"collation": {"locale": "de"}, "capped": true, "size": 1024};
    let have = doc! {"collation": {"locale": "fr", "strength": 3}};
    let p = plan(
        &[declared("events", Some(want), vec![])],
        vec![live("events", have, vec![id_index()])],
    );
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    let Change::Unchangeable {
        collection,
        changes,
    } = &p.changes[0]
    else {
        panic!("{:#?}", p.changes)
    };
    assert_eq!(collection, "events");
    assert_eq!(
        changes.iter().map(|c| c.option).collect::<Vec<_>>(),
        ["collation", "capped"]
    );
    assert!(changes.iter().all(|c| c.never.is_some()));
    assert_eq!(p.changes[0].action(), Action::Manual);
    assert!(p.steps.is_empty(), "{:#?}", p.steps);
}

#[test]
fn in_place_and_unchangeable_differences_are_split_and_indexes_still_planned() {
    let want = doc! {"collation": {"locale": "de"}, "validator": {"a": 1}};
    let have = doc! {"collation": {"locale": "fr"}};
    let p = plan(
        &[declared("events", Some(want), vec![index("a_1", "a")])],
        vec![live("events", have, vec![id_index()])],
    );
    let kinds: Vec<Action> = p.changes.iter().map(Change::action).collect();
    assert_eq!(kinds, [Action::Manual, Action::Modify, Action::Create]);
    assert_eq!(p.changes[0].option_changes()[0].option, "collation");
    assert_eq!(p.changes[1].option_changes()[0].option, "validator");
    assert_eq!(
        order(&p),
        [("events", Why::Collection), ("events", Why::Build)]
    );
    // The collection exists: its build waits for nothing.
    assert!(p.steps[1].requires.is_empty());
}

#[test]
fn a_declared_view_gets_no_index_planning() {
    // The manifests refuse a view with indexes; the planner plans none either.
    let p = plan(
        &[declared(
            "recent",
            Some(view("events")),
            vec![index("a_1", "a")],
        )],
        vec![],
    );
    assert_eq!(
        p.changes,
        vec![Change::CreateCollection {
            collection: "recent".into(),
            options: view("events"),
        }]
    );
    assert_eq!(order(&p), [("recent", Why::View)]);
    // Existing and the same: nothing at all.
    let p = plan(
        &[declared(
            "recent",
            Some(view("events")),
            vec![index("a_1", "a")],
        )],
        vec![live("recent", view("events"), vec![])],
    );
    assert!(p.is_empty(), "{:#?}", p.changes);
}

#[test]
fn a_changed_view_definition_is_one_modify_of_the_view() {
    let p = plan(
        &[declared("recent", Some(view("events")), vec![])],
        vec![live("recent", view("archive"), vec![])],
    );
    let Change::ModifyCollection { set, view: v, .. } = &p.changes[0] else {
        panic!("{:#?}", p.changes)
    };
    assert!(v);
    assert!(p.changes[0].is_view());
    assert_eq!(set, &view("events"));
    assert_eq!(order(&p), [("recent", Why::View)]);
}

#[test]
fn a_live_view_declared_as_a_collection_is_unchangeable_only() {
    let p = plan(
        &[declared(
            "events",
            Some(doc! {"validator": {"a": 1}}),
            vec![index("a_1", "a")],
        )],
        vec![live("events", view("src"), vec![])],
    );
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    let Change::Unchangeable { changes, .. } = &p.changes[0] else {
        panic!("{:#?}", p.changes)
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].option, KIND);
    assert_eq!(changes[0].declared, Some("collection".into()));
    assert_eq!(changes[0].live, Some("view".into()));
    assert!(p.steps.is_empty());
}

#[test]
fn a_live_collection_declared_as_a_time_series_gets_no_index_builds() {
    let p = plan(
        &[declared(
            "metrics",
            Some(doc! {"timeseries": {"timeField": "t"}}),
            vec![index("a_1", "a")],
        )],
        vec![live("metrics", doc! {}, vec![id_index()])],
    );
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    assert_eq!(p.changes[0].option_changes()[0].option, KIND);
    assert!(p.steps.is_empty());
}

#[test]
fn a_collection_declared_without_options_leaves_the_live_ones_alone() {
    let p = plan(
        &[declared("events", None, vec![])],
        vec![live(
            "events",
            doc! {"validator": {"a": 1}, "capped": true, "size": 1024},
            vec![id_index()],
        )],
    );
    assert!(p.is_empty(), "{:#?}", p.changes);
}

#[test]
fn views_come_after_collections_and_after_the_views_they_read() {
    // v3 reads v2, v2 reads v1, v1 reads events: declared the other way round.
    let desired = [
        declared("v3", Some(view("v2")), vec![]),
        declared("v2", Some(view("v1")), vec![]),
        declared("v1", Some(view("events")), vec![]),
        declared(
            "events",
            Some(doc! {"validator": {"a": 1}}),
            vec![index("a_1", "a")],
        ),
    ];
    let p = plan(&desired, vec![]);
    let position = |name: &str| {
        p.changes
            .iter()
            .position(|c| c.collection() == name && c.is_collection_change())
            .unwrap()
    };
    assert_eq!(
        order(&p),
        [
            ("events", Why::Collection),
            ("v1", Why::View),
            ("v2", Why::View),
            ("v3", Why::View),
            ("events", Why::Build),
        ]
    );
    // Each view waits for what it reads: a failed create skips the views on it.
    assert_eq!(p.steps[1].requires, vec![position("events")]);
    assert_eq!(p.steps[2].requires, vec![position("v1")]);
    assert_eq!(p.steps[3].requires, vec![position("v2")]);
    assert_eq!(p.steps[4].requires, vec![position("events")]);
}

#[test]
fn a_view_on_a_collection_that_already_exists_waits_for_nothing() {
    let p = plan(
        &[
            declared("recent", Some(view("events")), vec![]),
            declared("events", Some(doc! {"validator": {"a": 1}}), vec![]),
        ],
        vec![live(
            "events",
            doc! {"validator": {"a": 1}},
            vec![id_index()],
        )],
    );
    assert_eq!(order(&p), [("recent", Why::View)]);
    assert!(p.steps[0].requires.is_empty());
}

#[test]
fn a_cycle_of_views_keeps_the_declared_order_without_panicking() {
    // The manifests refuse a cycle (`view_cycles`); the schedule still ends.
    let p = plan(
        &[
            declared("va", Some(view("vb")), vec![]),
            declared("vb", Some(view("va")), vec![]),
        ],
        vec![],
    );
    assert_eq!(order(&p), [("va", Why::View), ("vb", Why::View)]);
    let p = plan(
        &[
            declared("vb", Some(view("va")), vec![]),
            declared("va", Some(view("vb")), vec![]),
        ],
        vec![],
    );
    assert_eq!(order(&p), [("vb", Why::View), ("va", Why::View)]);
    // A view on itself, too.
    let p = plan(&[declared("self", Some(view("self")), vec![])], vec![]);
    assert_eq!(order(&p), [("self", Why::View)]);
}

#[test]
fn a_longer_cycle_is_broken_at_the_first_declared_view_then_follows_what_reads_what() {
    let p = plan(
        &[
            declared("va", Some(view("vb")), vec![]),
            declared("vb", Some(view("vc")), vec![]),
            declared("vc", Some(view("va")), vec![]),
        ],
        vec![],
    );
    // vc reads va, so it goes once va is scheduled; vb reads vc.
    assert_eq!(
        order(&p),
        [("va", Why::View), ("vc", Why::View), ("vb", Why::View)]
    );
}

/// One collection change of every kind, with the index build that waits for a create.
fn every_collection_change() -> DatabasePlan {
    let never = OptionChange {
        option: "collation",
        declared: Some(doc! {"locale": "de"}.into()),
        live: Some(doc! {"locale": "fr", "strength": 3}.into()),
        never: Some("fixed at creation: a data migration".into()),
    };
    let validator = OptionChange {
        option: "validator",
        declared: Some(
            doc! {"a": {"$gt": Bson::Int64(5)}, "d": bson::DateTime::from_millis(7)}.into(),
        ),
        live: None,
        never: None,
    };
    let ttl = OptionChange {
        option: "expireAfterSeconds",
        declared: Some("off".into()),
        live: Some(Bson::Int64(60)),
        never: None,
    };
    let pipeline = OptionChange {
        option: "pipeline",
        declared: Some(Bson::Array(vec![doc! {"$match": {"x": 1.5}}.into()])),
        live: Some(Bson::Array(vec![])),
        never: None,
    };
    let kind = OptionChange {
        option: KIND,
        declared: Some("view".into()),
        live: Some("collection".into()),
        never: Some("a collection can't become a view".into()),
    };
    let changes = vec![
        Change::CreateCollection {
            collection: "events".into(),
            options: doc! {"capped": true, "size": Bson::Int64(4096), "validator": {"n": Bson::Int32(1)}},
        },
        Change::CreateCollection {
            collection: "recent".into(),
            options: view("events"),
        },
        Change::ModifyCollection {
            collection: "logs".into(),
            changes: vec![validator.clone(), ttl],
            set: doc! {"validator": validator.declared.clone().unwrap(), "expireAfterSeconds": "off"},
            view: false,
        },
        Change::ModifyCollection {
            collection: "old".into(),
            changes: vec![pipeline],
            set: doc! {"viewOn": "logs", "pipeline": [{"$match": {"x": 1.5}}]},
            view: true,
        },
        Change::Unchangeable {
            collection: "logs".into(),
            changes: vec![never, kind],
        },
        Change::Create {
            collection: "events".into(),
            index: index("a_1", "a"),
            new_collection: true,
        },
    ];
    DatabasePlan::new("t1", Scope::Tenant, changes)
}

#[test]
fn every_collection_change_and_step_survives_the_saved_plan_round_trip() {
    let plan = every_collection_change();
    assert_eq!(
        order(&plan),
        [
            ("events", Why::Collection),
            ("logs", Why::Collection),
            ("recent", Why::View),
            ("old", Why::View),
            ("events", Why::Build),
        ]
    );
    let saved = SavedTarget::new(&plan, vec!["events".into()], "f".into());
    let text = serde_json::to_string(&saved).unwrap();
    let back: SavedTarget = serde_json::from_str(&text).unwrap();
    let read = back.plan().unwrap();
    assert_eq!(read.changes, plan.changes);
    assert_eq!(read.steps, plan.steps, "the same steps run");
    assert_eq!(read, plan);
}

#[test]
fn a_saved_collection_change_with_an_unknown_option_is_refused() {
    let plan = every_collection_change();
    let mut saved = SavedTarget::new(&plan, vec![], String::new());
    let text = serde_json::to_string(&saved.changes[2])
        .unwrap()
        .replace("\"validator\"", "\"validatr\"");
    saved.changes[2] = serde_json::from_str(&text).unwrap();
    let e = saved.plan().unwrap_err().to_string();
    assert!(e.contains("unknown collection option \"validatr\""), "{e}");
}
