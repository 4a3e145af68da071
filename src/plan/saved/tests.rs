//! Tests of saved plans: the round trip of changes and steps, and refusals.

use super::*;
use crate::model::compare::Modification;
use crate::model::Collection;
use crate::plan::Change;
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

fn spec(d: bson::Document) -> IndexSpec {
    IndexSpec::from_server(&d).unwrap()
}

/// One change of every kind, on two collections.
fn every_kind() -> DatabasePlan {
    let mut desired = spec(
        doc! {"key": {"at": 1, "n": Bson::Int64(-1)}, "name": "x", "unique": true,
        "partialFilterExpression": {"deletedAt": null, "d": {"$gt": bson::DateTime::from_millis(5)}, "f": 1.5}},
    );
    desired.collation = Some(doc! {"locale": "en", "strength": 2});
    let live = state(5).collections[0].indexes[0].clone();
    let changes = vec![
        Change::Modify {
            collection: "c".into(),
            from: spec(doc! {"key": {"y": 1}, "name": "y"}),
            to: spec(doc! {"key": {"y": 1}, "name": "y", "unique": true, "expireAfterSeconds": 9}),
            set: Modification {
                expire_after_seconds: Some(9),
                hidden: Some(false),
                unique: true,
            },
            differences: vec!["unique", "expireAfterSeconds"],
        },
        Change::Replace {
            collection: "c".into(),
            from: live.clone(),
            to: desired.clone(),
            differences: vec!["key", "unique"],
            gap: false,
            note: Some("why".into()),
        },
        Change::Replace {
            collection: "c".into(),
            from: spec(doc! {"key": {"g": 1}, "name": "g"}),
            to: spec(doc! {"key": {"g": 1}, "name": "g", "expireAfterSeconds": 3}),
            differences: vec!["expireAfterSeconds"],
            gap: true,
            note: None,
        },
        Change::Rename {
            collection: "c".into(),
            from: spec(doc! {"key": {"r": 1}, "name": "r_1"}),
            to: spec(doc! {"key": {"r": 1}, "name": "r"}),
            differences: vec!["name", "expireAfterSeconds"],
        },
        Change::Create {
            collection: "d".into(),
            index: spec(doc! {"key": {"a": "text"}, "name": "a", "weights": {"a": 2}}),
            new_collection: true,
        },
        Change::Hide {
            collection: "c".into(),
            index: spec(doc! {"key": {"h": 1}, "name": "h"}),
            note: "staged".into(),
        },
        Change::Drop {
            collection: "c".into(),
            index: spec(doc! {"key": {"o": 1}, "name": "o", "hidden": true}),
            note: None,
        },
    ];
    DatabasePlan::new("t", Scope::Tenant, changes)
}

#[test]
fn a_plan_and_its_steps_survive_the_round_trip_exactly() {
    let plan = every_kind();
    let live = state(5);
    let saved = SavedTarget::new(&plan, vec!["c".into()], fingerprint(&live));
    let text = serde_json::to_string(&saved).unwrap();
    let back: SavedTarget = serde_json::from_str(&text).unwrap();
    let read = back.plan().unwrap();
    assert_eq!(read, plan);
    assert_eq!(read.steps, plan.steps, "the same steps run");
    assert!(read.steps.len() >= 10, "{:#?}", read.steps);
    assert_eq!(back.collections, vec!["c"]);
}

#[test]
fn migrations_and_the_reread_are_saved_ahead_of_the_index_steps() {
    let plan = every_kind().with_migrations_first(&["2025_a", "2025_b"]);
    let saved = SavedTarget::new(&plan, vec![], String::new());
    let text = serde_json::to_string(&saved).unwrap();
    let back: SavedTarget = serde_json::from_str(&text).unwrap();
    let read = back.plan().unwrap();
    assert_eq!(
        read.steps, plan.steps,
        "the same steps run, migrations first"
    );
    assert_eq!(read.migration_ids(), ["2025_a", "2025_b"]);
    assert_eq!(crate::plan::steps::after_migrations(&read.steps), 3);
}

#[test]
fn a_plan_read_from_its_file_plans_the_same_steps_as_made_now() {
    let mut plan = every_kind();
    for change in &mut plan.changes {
        if let Change::Create { index, .. } = change {
            // Planning detail the file doesn't keep: the commands are the same.
            index.explicit_name = true;
        }
    }
    plan.steps = crate::plan::steps::schedule(&plan.changes);
    let saved = SavedTarget::new(&plan, vec![], String::new());
    let back = saved.plan().unwrap();
    assert_ne!(back, plan);
    assert!(back.same_steps(&plan));
    assert!(!back.same_steps(&every_kind().with_migrations_first(&["2025_a"])));
}

#[test]
fn the_saved_steps_are_the_ones_that_run_not_a_new_schedule() {
    let plan = every_kind();
    let mut saved = SavedTarget::new(&plan, vec![], String::new());
    // What the file says runs, even where a fresh schedule would differ.
    saved.steps.truncate(1);
    let read = saved.plan().unwrap();
    assert_eq!(read.steps, plan.steps[..1]);
}

#[test]
fn blocked_changes_saved_with_their_steps_lose_them_at_apply_time() {
    let plan = every_kind();
    let saved = SavedTarget::new(&plan, vec![], String::new());
    let mut findings = crate::plan::Findings::default();
    findings.blocked.insert(1, "duplicates".into());
    let read = saved.plan().unwrap().with_findings(findings);
    assert!(read.steps.iter().all(|s| !s.serves.contains(&1)));
    assert_eq!(
        read.steps.len(),
        plan.steps.len() - 5,
        "the twin leaves the shared build; its swap drop, final build and twin drop go, \
         and so do the collection's hide and drop, which wait for every build"
    );
}

#[test]
fn plans_of_another_format_or_broken_are_refused_clearly() {
    let old = r#"{"format": 1, "mig_version": "0.1.0", "created_at": "", "targets": []}"#;
    let e = SavedPlan::parse(old, "old.json").unwrap_err().to_string();
    assert!(
        e.contains("old.json") && e.contains("format 1") && e.contains("mig plan --out"),
        "{e}"
    );

    let mut saved = SavedTarget::new(&every_kind(), vec![], String::new());
    saved.steps[0].serves = vec![99];
    let e = saved.plan().unwrap_err().to_string();
    assert!(e.contains("change 99"), "{e}");
}

/// Every kind of change: [`every_kind`] with a collection created, a view
/// changed, options that can't change, and a conflict.
fn every_change_kind() -> DatabasePlan {
    use crate::model::collection::OptionChange;
    let mut plan = every_kind();
    let mut changes = vec![
        Change::CreateCollection {
            collection: "d".into(),
            options: doc! {"validationLevel": "moderate"},
        },
        Change::ModifyCollection {
            collection: "v".into(),
            changes: vec![OptionChange {
                option: "pipeline",
                declared: Some(Bson::Array(vec![doc! {"$match": {"a": 1}}.into()])),
                live: Some(Bson::Array(vec![])),
                never: None,
            }],
            set: doc! {"viewOn": "c", "pipeline": [{"$match": {"a": 1}}]},
            view: true,
        },
        Change::Unchangeable {
            collection: "c".into(),
            changes: vec![OptionChange {
                option: "capped",
                declared: Some(true.into()),
                live: None,
                never: Some("fixed at creation".into()),
            }],
        },
    ];
    changes.append(&mut plan.changes);
    changes.push(Change::Conflict {
        collection: "c".into(),
        index: spec(doc! {"key": {"t": "text"}, "name": "t"}),
        live: spec(doc! {"key": {"u": "text"}, "name": "u"}),
        why: "one text index".into(),
    });
    DatabasePlan::new("t", Scope::Tenant, changes).with_migrations_first(&["2025_a"])
}

#[test]
fn every_change_kind_command_and_reason_survives_a_saved_plan() {
    use crate::plan::{ChangeKind, CommandName, Why};
    let plan = every_change_kind();
    let saved = SavedTarget::new(&plan, vec![], String::new());
    let kinds: std::collections::BTreeSet<String> =
        saved.changes.iter().map(|c| c.kind.to_string()).collect();
    let commands: std::collections::BTreeSet<String> =
        saved.steps.iter().map(|s| s.command.to_string()).collect();
    let whys: std::collections::BTreeSet<String> =
        saved.steps.iter().map(|s| s.why.to_string()).collect();
    let all = |names: Vec<String>| names.into_iter().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(kinds, all(ChangeKind::ALL.map(|k| k.to_string()).to_vec()));
    assert_eq!(
        commands,
        all(CommandName::ALL.map(|c| c.to_string()).to_vec())
    );
    assert_eq!(whys, all(Why::ALL.map(|w| w.to_string()).to_vec()));

    let text = serde_json::to_string(&SavedPlan {
        format: FORMAT,
        mig_version: "0".into(),
        created_at: String::new(),
        targets: vec![saved],
    })
    .unwrap();
    let back = SavedPlan::parse(&text, "plan.json").unwrap();
    assert_eq!(back.targets[0].plan().unwrap(), plan);
}

#[test]
fn a_saved_plan_is_written_with_the_names_json_uses() {
    let saved = SavedTarget::new(&every_change_kind(), vec![], String::new());
    let json = serde_json::to_value(&saved).unwrap();
    let names = |list: &str, field: &str| -> Vec<String> {
        json[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v[field].as_str().unwrap().to_string())
            .collect()
    };
    let commands = names("steps", "command");
    assert!(commands.contains(&"hide".to_string()), "{commands:?}");
    assert!(
        commands.contains(&"createIndexes".to_string()),
        "{commands:?}"
    );
    assert!(names("steps", "why").contains(&"swap_drop".to_string()));
    assert!(names("changes", "kind").contains(&"modify_collection".to_string()));
}

/// A saved plan with one name replaced by `bad`, parsed.
fn parsed_with(list: &str, field: &str, bad: &str) -> String {
    let saved = SavedTarget::new(&every_kind(), vec![], String::new());
    let mut json = serde_json::to_value(SavedPlan {
        format: FORMAT,
        mig_version: "0".into(),
        created_at: String::new(),
        targets: vec![saved],
    })
    .unwrap();
    json["targets"][0][list][1][field] = bad.into();
    SavedPlan::parse(&json.to_string(), "plan.json")
        .unwrap_err()
        .to_string()
}

#[test]
fn an_unknown_name_in_a_saved_plan_is_refused_saying_where_and_what() {
    let e = parsed_with("steps", "command", "collMod (hide)");
    assert!(
        e.contains("plan.json")
            && e.contains("targets[0].steps[1].command")
            && e.contains("unknown variant `collMod (hide)`")
            && e.contains("`hide`"),
        "{e}"
    );
    let e = parsed_with("steps", "why", "sideways");
    assert!(
        e.contains("targets[0].steps[1].why") && e.contains("unknown variant `sideways`"),
        "{e}"
    );
    let e = parsed_with("changes", "kind", "teleport");
    assert!(
        e.contains("targets[0].changes[1].kind") && e.contains("unknown variant `teleport`"),
        "{e}"
    );
}

#[test]
fn a_saved_plan_with_text_after_it_is_refused() {
    let text = r#"{"format": 2, "mig_version": "0", "created_at": "", "targets": []} x"#;
    let e = SavedPlan::parse(text, "plan.json").unwrap_err().to_string();
    assert!(
        e.contains("plan.json: not a saved plan") && e.contains("trailing"),
        "{e}"
    );
}
