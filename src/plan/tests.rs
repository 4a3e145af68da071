use bson::{doc, Document};

use super::*;

fn index(name: &str, keys: Document) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys,
        ..Default::default()
    }
}

fn id_index() -> IndexSpec {
    index("_id_", doc! {"_id": 1})
}

fn declared(indexes: Vec<IndexSpec>) -> Vec<Collection> {
    vec![Collection {
        name: "messages".into(),
        indexes,
        ..Default::default()
    }]
}

fn live(indexes: Vec<IndexSpec>) -> DatabaseState {
    DatabaseState {
        name: "t1".into(),
        collections: vec![Collection {
            name: "messages".into(),
            exists: true,
            default_collation: None,
            indexes,
        }],
    }
}

fn plan(desired: Vec<IndexSpec>, current: Vec<IndexSpec>, prune: bool) -> DatabasePlan {
    plan_database(
        "t1",
        Scope::Tenant,
        &declared(desired),
        &live(current),
        PlanOptions { prune },
    )
}

fn actions(p: &DatabasePlan) -> Vec<(Action, &str)> {
    p.changes
        .iter()
        .map(|c| (c.action, c.index.as_str()))
        .collect()
}

#[test]
fn identical_state_plans_nothing() {
    let a = index("a_1", doc! {"a": 1});
    let p = plan(vec![a.clone()], vec![id_index(), a], false);
    assert!(p.is_empty());
    assert!(p.unmanaged.is_empty());
}

#[test]
fn missing_index_is_created() {
    let p = plan(vec![index("a_1", doc! {"a": 1})], vec![id_index()], false);
    assert_eq!(actions(&p), vec![(Action::Create, "a_1")]);
    assert!(!p.changes[0].creates_collection);
    assert_eq!(p.changes[0].desired.as_ref().unwrap().name, "a_1");
    assert!(p.changes[0].live.is_none());
}

#[test]
fn missing_collection_is_created_by_its_first_build() {
    let desired = declared(vec![index("a_1", doc! {"a": 1})]);
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &desired,
        &DatabaseState::default(),
        PlanOptions::default(),
    );
    assert_eq!(actions(&p), vec![(Action::Create, "a_1")]);
    assert!(p.changes[0].creates_collection);
}

#[test]
fn ttl_change_is_a_modify_with_the_new_value() {
    let mut want = index("ttl", doc! {"at": 1});
    want.expire_after_seconds = Some(60);
    let mut have = want.clone();
    have.expire_after_seconds = Some(30);
    let p = plan(vec![want], vec![id_index(), have], false);
    assert_eq!(actions(&p), vec![(Action::Modify, "ttl")]);
    let m = p.changes[0].modification.as_ref().unwrap();
    assert_eq!(m.expire_after_seconds, Some(60));
    assert_eq!(m.hidden, None);
    assert_eq!(p.changes[0].differences, vec!["expireAfterSeconds"]);
}

#[test]
fn changed_key_under_the_same_name_is_a_replace() {
    let want = index("x", doc! {"a": 1, "b": -1});
    let have = index("x", doc! {"a": 1});
    let p = plan(vec![want], vec![id_index(), have], false);
    assert_eq!(actions(&p), vec![(Action::Replace, "x")]);
    assert_eq!(p.changes[0].differences, vec!["key"]);
    assert_eq!(p.changes[0].renames(), None);
}

#[test]
fn undeclared_live_indexes_are_unmanaged_and_kept() {
    let p = plan(
        vec![],
        vec![id_index(), index("legacy", doc! {"z": 1})],
        false,
    );
    assert!(p.is_empty());
    assert_eq!(p.unmanaged.len(), 1);
    assert_eq!(p.unmanaged[0].index.name, "legacy");
    assert_eq!(p.unmanaged[0].equivalent_to, None);
}

#[test]
fn prune_drops_undeclared_indexes_but_never_id() {
    let p = plan(
        vec![],
        vec![id_index(), index("legacy", doc! {"z": 1})],
        true,
    );
    assert_eq!(actions(&p), vec![(Action::Drop, "legacy")]);
    assert!(p.unmanaged.is_empty());
}

#[test]
fn declared_id_index_is_never_planned() {
    let p = plan(vec![id_index()], vec![], false);
    assert!(p.is_empty());
}

#[test]
fn equivalent_index_under_another_name_is_reported_not_duplicated() {
    let want = index("idx_a", doc! {"a": 1});
    let have = index("a_1", doc! {"a": 1});
    let p = plan(vec![want.clone()], vec![id_index(), have.clone()], false);
    assert!(p.is_empty(), "creating it would fail with code 85");
    assert_eq!(p.unmanaged[0].index.name, "a_1");
    assert_eq!(p.unmanaged[0].equivalent_to.as_deref(), Some("idx_a"));

    let pruned = plan(vec![want], vec![id_index(), have], true);
    assert_eq!(actions(&pruned), vec![(Action::Replace, "idx_a")]);
    assert_eq!(pruned.changes[0].renames(), Some("a_1"));
    assert!(pruned.unmanaged.is_empty());
}

#[test]
fn same_key_with_other_options_is_a_separate_index() {
    let mut want = index("a_unique", doc! {"a": 1});
    want.unique = true;
    let p = plan(
        vec![want],
        vec![id_index(), index("a_1", doc! {"a": 1})],
        false,
    );
    assert_eq!(actions(&p), vec![(Action::Create, "a_unique")]);
    assert_eq!(p.unmanaged[0].equivalent_to, None);
}

#[test]
fn changes_are_ordered_modify_replace_create_drop() {
    let mut ttl = index("ttl", doc! {"at": 1});
    ttl.expire_after_seconds = Some(5);
    let mut ttl_live = ttl.clone();
    ttl_live.expire_after_seconds = Some(6);
    let p = plan(
        vec![index("new", doc! {"n": 1}), index("x", doc! {"x": -1}), ttl],
        vec![
            id_index(),
            index("old", doc! {"o": 1}),
            index("x", doc! {"x": 1}),
            ttl_live,
        ],
        true,
    );
    assert_eq!(
        actions(&p),
        vec![
            (Action::Modify, "ttl"),
            (Action::Replace, "x"),
            (Action::Create, "new"),
            (Action::Drop, "old")
        ]
    );
}

#[test]
fn indexes_inherit_the_collections_default_collation() {
    let mut state = live(vec![id_index(), {
        let mut i = index("name_1", doc! {"name": 1});
        i.collation = Some(doc! {"locale": "fr", "strength": 2, "caseLevel": false});
        i
    }]);
    state.collections[0].default_collation = Some(doc! {"locale": "fr", "strength": 2});
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![index("name_1", doc! {"name": 1})]),
        &state,
        PlanOptions::default(),
    );
    assert!(p.is_empty());
}

#[test]
fn other_collections_are_not_touched() {
    let mut state = live(vec![id_index()]);
    state.collections.push(Collection {
        name: "undeclared".into(),
        exists: true,
        default_collation: None,
        indexes: vec![id_index(), index("z_1", doc! {"z": 1})],
    });
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &state,
        PlanOptions { prune: true },
    );
    assert!(p.is_empty());
    assert!(p.unmanaged.is_empty());
}
