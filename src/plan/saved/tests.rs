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
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    std::fs::write(
        &old,
        r#"{"format": 1, "mig_version": "0.1.0", "created_at": "", "targets": []}"#,
    )
    .unwrap();
    let e = SavedPlan::read(&old).unwrap_err().to_string();
    assert!(
        e.contains("format 1") && e.contains("mig plan --out"),
        "{e}"
    );

    let mut saved = SavedTarget::new(&every_kind(), vec![], String::new());
    saved.steps[0].serves = vec![99];
    let e = saved.plan().unwrap_err().to_string();
    assert!(e.contains("change 99"), "{e}");
}
