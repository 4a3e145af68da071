use bson::{doc, Document};

use super::*;

/// An index declared (or reported) under `name`, as a manifest naming it.
fn index(name: &str, keys: Document) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys,
        explicit_name: true,
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
            indexes,
            ..Default::default()
        }],
        retiring: vec![],
    }
}

fn plan(desired: Vec<IndexSpec>, current: Vec<IndexSpec>, prune: bool) -> DatabasePlan {
    plan_database(
        "t1",
        Scope::Tenant,
        &declared(desired),
        &live(current),
        PlanOptions {
            prune,
            drop_now: true,
            ..Default::default()
        },
    )
}

fn actions(p: &DatabasePlan) -> Vec<(Action, &str)> {
    p.changes
        .iter()
        .map(|c| (c.action(), c.index().unwrap_or_default()))
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
    assert!(!p.changes[0].new_collection());
    assert_eq!(p.changes[0].desired().unwrap().name, "a_1");
    assert!(p.changes[0].live().is_none());
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
    assert!(p.changes[0].new_collection());
}

#[test]
fn ttl_change_is_a_modify_with_the_new_value() {
    let mut want = index("ttl", doc! {"at": 1});
    want.expire_after_seconds = Some(60);
    let mut have = want.clone();
    have.expire_after_seconds = Some(30);
    let p = plan(vec![want], vec![id_index(), have], false);
    assert_eq!(actions(&p), vec![(Action::Modify, "ttl")]);
    let Change::Modify { set: m, .. } = &p.changes[0] else {
        panic!("a modify")
    };
    assert_eq!(m.expire_after_seconds, Some(60));
    assert_eq!(m.hidden, None);
    assert!(!m.unique);
    assert_eq!(p.changes[0].differences(), vec!["expireAfterSeconds"]);
}

#[test]
fn changed_key_under_the_same_name_is_a_replace() {
    let want = index("x", doc! {"a": 1, "b": -1});
    let have = index("x", doc! {"a": 1});
    let p = plan(vec![want], vec![id_index(), have], false);
    assert_eq!(actions(&p), vec![(Action::Replace, "x")]);
    assert_eq!(p.changes[0].differences(), vec!["key"]);
    assert_eq!(p.changes[0].renames(), None);
    assert!(!p.changes[0].gap(), "old and new keys can coexist");
    let temp = p.changes[0].twin().unwrap();
    assert_eq!(temp.name, "x__mig_tmp");
    assert_eq!(temp.keys, doc! {"a": 1, "b": -1, "__mig_tmp": 1});
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
    state.collections[0].options = Some(doc! {"collation": {"locale": "fr", "strength": 2}});
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
        indexes: vec![id_index(), index("z_1", doc! {"z": 1})],
        ..Default::default()
    });
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &state,
        PlanOptions {
            prune: true,
            ..Default::default()
        },
    );
    assert!(p.is_empty());
    assert!(p.unmanaged.is_empty());
}

fn staged(prune: bool, now_ms: i64) -> PlanOptions {
    PlanOptions {
        prune,
        drop_now: false,
        drop_after: std::time::Duration::from_secs(60),
        now: bson::DateTime::from_millis(now_ms),
        unique_conversion: true,
        ..Default::default()
    }
}

#[test]
fn non_unique_to_unique_is_converted_in_place_on_6_0() {
    let mut want = index("e", doc! {"email": 1});
    want.unique = true;
    let have = index("e", doc! {"email": 1});
    let p = plan(vec![want.clone()], vec![id_index(), have.clone()], false);
    assert_eq!(actions(&p), vec![(Action::Modify, "e")]);
    assert!(matches!(&p.changes[0], Change::Modify { set, .. } if set.unique));
    assert!(
        p.changes[0].builds_unique(),
        "the duplicate preflight runs for it"
    );

    let old_server = PlanOptions {
        unique_conversion: false,
        ..Default::default()
    };
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![want]),
        &live(vec![id_index(), have]),
        old_server,
    );
    assert_eq!(actions(&p), vec![(Action::Replace, "e")]);
    assert!(p.changes[0].note().unwrap().contains("older than 6.0"));
}

#[test]
fn replacements_that_cannot_coexist_are_marked_as_leaving_a_gap() {
    // Only the text weights differ: same identity, so the old one must go first.
    let mut want = index("search", doc! {"title": "text"});
    want.weights = Some(doc! {"title": 5});
    let have = index("search", doc! {"title": "text"});
    let p = plan(vec![want], vec![id_index(), have], false);
    assert_eq!(actions(&p), vec![(Action::Replace, "search")]);
    assert!(p.changes[0].gap());
    assert!(p.changes[0].twin().is_none());

    // Removing a TTL: a TTL index can't get an extra key field.
    let mut have = index("at", doc! {"at": 1});
    have.expire_after_seconds = Some(5);
    let p = plan(
        vec![index("at", doc! {"at": 1})],
        vec![id_index(), have],
        false,
    );
    assert!(p.changes[0].gap());
}

#[test]
fn a_temporary_index_left_by_an_interrupted_replace_is_cleaned_up() {
    let want = index("x", doc! {"a": 1, "b": 1});
    let temp = index("x__mig_tmp", doc! {"a": 1, "b": 1, "__mig_tmp": 1});
    // Crashed after dropping the old index: build the final one, then drop the temporary.
    let p = plan(vec![want.clone()], vec![id_index(), temp.clone()], false);
    assert_eq!(
        actions(&p),
        vec![(Action::Create, "x"), (Action::Drop, "x__mig_tmp")]
    );
    assert!(p.unmanaged.is_empty(), "never reported as unmanaged");
    // Crashed before dropping the old one: the replace runs again and drops it itself.
    let p = plan(
        vec![want],
        vec![id_index(), index("x", doc! {"a": 1}), temp],
        false,
    );
    assert_eq!(actions(&p), vec![(Action::Replace, "x")]);
}

#[test]
fn pruning_is_staged_hide_wait_then_drop() {
    let legacy = index("legacy", doc! {"z": 1});
    let options = staged(true, 1_000_000);
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &live(vec![id_index(), legacy.clone()]),
        options,
    );
    assert_eq!(actions(&p), vec![(Action::Hide, "legacy")]);

    let mut hidden = legacy.clone();
    hidden.hidden = true;
    let mut state = live(vec![id_index(), hidden]);
    state.retiring.push(crate::model::Retiring {
        collection: "messages".into(),
        index: "legacy".into(),
        hidden_at: bson::DateTime::from_millis(1_000_000),
    });
    let waiting = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &state,
        staged(true, 1_030_000),
    );
    assert!(waiting.is_empty(), "hidden 30 s of the 60 s");
    let (hidden_at, drops_at) = waiting.unmanaged[0].retiring.unwrap();
    assert_eq!(
        (hidden_at.timestamp_millis(), drops_at.timestamp_millis()),
        (1_000_000, 1_060_000)
    );

    let due = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &state,
        staged(true, 1_060_000),
    );
    assert_eq!(actions(&due), vec![(Action::Drop, "legacy")]);
}

#[test]
fn an_index_hidden_by_someone_else_is_hidden_again_to_start_its_clock() {
    let mut hidden = index("legacy", doc! {"z": 1});
    hidden.hidden = true;
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &live(vec![id_index(), hidden]),
        staged(true, 0),
    );
    assert_eq!(actions(&p), vec![(Action::Hide, "legacy")]);
}

#[test]
fn protected_patterns_are_never_pruned() {
    let mut coll = declared(vec![]);
    coll[0].protected = vec!["^atlas_".into(), "^tmp_".into()];
    let state = live(vec![
        id_index(),
        index("atlas_search_1", doc! {"s": 1}),
        index("old", doc! {"o": 1}),
    ]);
    let p = plan_database("t1", Scope::Tenant, &coll, &state, staged(true, 0));
    assert_eq!(actions(&p), vec![(Action::Hide, "old")]);
    assert_eq!(p.unmanaged.len(), 1);
    assert!(p.unmanaged[0].protected);
}

#[test]
fn staged_drop_policy_retires_without_prune() {
    let mut coll = declared(vec![]);
    coll[0].drop_undeclared = true;
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &coll,
        &live(vec![id_index(), index("old", doc! {"o": 1})]),
        staged(false, 0),
    );
    assert_eq!(actions(&p), vec![(Action::Hide, "old")]);
}

#[test]
fn timeseries_and_clustered_internals_are_never_touched() {
    let mut state = live(vec![index("meta_1_time_1", doc! {"meta": 1, "time": 1})]);
    state.collections[0].options =
        Some(doc! {"timeseries": {"timeField": "time", "metaField": "meta"}});
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &state,
        staged(true, 0),
    );
    assert!(p.is_empty());

    let mut clustered = index("_id_", doc! {"_id": 1});
    clustered.other.insert("clustered", true);
    let mut named = index("cluster_key", doc! {"_id": 1});
    named.other.insert("clustered", true);
    let p = plan_database(
        "t1",
        Scope::Tenant,
        &declared(vec![]),
        &live(vec![clustered, named]),
        staged(true, 0),
    );
    assert!(p.is_empty() && p.unmanaged.is_empty());
}

// The pairs of issue 20, each as mongod 6.0.5 settles it.

fn with<F: FnOnce(&mut IndexSpec)>(mut spec: IndexSpec, f: F) -> IndexSpec {
    f(&mut spec);
    spec
}

fn plan_with(desired: Vec<IndexSpec>, current: Vec<IndexSpec>, o: PlanOptions) -> DatabasePlan {
    plan_database("t1", Scope::Tenant, &declared(desired), &live(current), o)
}

#[test]
fn a_ttl_differing_under_another_name_is_changed_in_place_on_the_live_index() {
    let live_ttl = with(index("date_ttl", doc! {"date": 1}), |s| {
        s.expire_after_seconds = Some(10)
    });
    // Declared under its default name: not named by the manifest.
    let want = with(index("date_1", doc! {"date": 1}), |s| {
        s.expire_after_seconds = Some(20);
        s.explicit_name = false;
    });
    for prune in [false, true] {
        let p = plan(
            vec![want.clone()],
            vec![id_index(), live_ttl.clone()],
            prune,
        );
        assert_eq!(actions(&p), vec![(Action::Modify, "date_1")]);
        assert_eq!(p.changes[0].differences(), vec!["expireAfterSeconds"]);
        assert_eq!(
            p.steps,
            vec![Step {
                collection: "messages".into(),
                command: Command::CollMod {
                    index: "date_ttl".into(),
                    set: IndexMod::ExpireAfterSeconds(20)
                },
                serves: vec![0],
                requires: vec![],
                why: Why::InPlace,
            }],
            "never rebuilt, with --prune or without"
        );
        assert!(p.unmanaged.is_empty());
    }
    // Named otherwise by the manifest: the name differs too, and --prune
    // renames it, saying the TTL changes on the way.
    let named = with(want, |s| s.explicit_name = true);
    let p = plan(
        vec![named.clone()],
        vec![id_index(), live_ttl.clone()],
        false,
    );
    assert_eq!(
        p.changes[0].differences(),
        vec!["name", "expireAfterSeconds"]
    );
    assert_eq!(p.steps.len(), 1);
    let p = plan(vec![named], vec![id_index(), live_ttl], true);
    assert_eq!(actions(&p), vec![(Action::Replace, "date_1")]);
    assert_eq!(p.changes[0].renames(), Some("date_ttl"));
    assert_eq!(
        p.changes[0].differences(),
        vec!["name", "expireAfterSeconds"]
    );
}

#[test]
fn a_text_index_with_other_fields_is_never_equivalent() {
    let live_text = index("name_text", doc! {"name": "text"});
    let want = index(
        "name_text_otherProp_text",
        doc! {"name": "text", "otherProp": "text"},
    );
    // Not asked to replace the live one: refused, both named, with the way out.
    let p = plan(
        vec![want.clone()],
        vec![id_index(), live_text.clone()],
        false,
    );
    assert_eq!(
        actions(&p),
        vec![(Action::Create, "name_text_otherProp_text")]
    );
    assert!(p.steps.is_empty());
    let note = p.blocked(0).unwrap();
    assert!(
        note.contains("\"name_text\"") && note.contains("--prune --drop-now"),
        "{note}"
    );
    assert!(p.unmanaged.is_empty(), "{:?}", p.unmanaged);
    // --prune --drop-now: replaced, with the gap said.
    let p = plan(vec![want], vec![id_index(), live_text], true);
    assert_eq!(
        actions(&p),
        vec![(Action::Replace, "name_text_otherProp_text")]
    );
    assert!(p.changes[0].gap());
    assert_eq!(p.changes[0].differences(), vec!["name", "weights"]);
}

#[test]
fn a_second_text_index_replaces_the_first_only_when_asked_and_with_a_gap() {
    let live_text = index("title_text_age_1", doc! {"title": "text", "age": 1});
    let want = index("age_1_title_text", doc! {"age": 1, "title": "text"});
    let p = plan(
        vec![want.clone()],
        vec![id_index(), live_text.clone()],
        false,
    );
    assert_eq!(actions(&p), vec![(Action::Create, "age_1_title_text")]);
    assert!(p.blocked(0).is_some());
    let p = plan(
        vec![want.clone()],
        vec![id_index(), live_text.clone()],
        true,
    );
    assert_eq!(actions(&p), vec![(Action::Replace, "age_1_title_text")]);
    let kinds: Vec<Why> = p.steps.iter().map(|s| s.why).collect();
    assert_eq!(kinds, vec![Why::GapDrop, Why::Build]);
    // A staged prune hides the old one and the new one waits for its drop.
    let p = plan_with(vec![want], vec![id_index(), live_text], staged(true, 0));
    assert_eq!(
        actions(&p),
        vec![
            (Action::Create, "age_1_title_text"),
            (Action::Hide, "title_text_age_1")
        ]
    );
    assert!(
        p.blocked(0).unwrap().contains("staged drop"),
        "{:?}",
        p.findings
    );
}

#[test]
fn partial_filters_the_server_calls_the_same_are_kept() {
    let live_p = with(index("p", doc! {"p": 1}), |s| {
        s.partial_filter_expression = Some(doc! {"productPrice": {"$gt": 0}, "__t": "X"})
    });
    let want = with(index("p", doc! {"p": 1}), |s| {
        s.partial_filter_expression = Some(doc! {"__t": "X", "productPrice": {"$gt": 0.0}})
    });
    assert!(plan(vec![want], vec![id_index(), live_p], false).is_empty());
    let live_k = with(index("kind_live", doc! {"k": 1}), |s| {
        s.partial_filter_expression = Some(doc! {"kind": "Device"})
    });
    let want = with(index("k_1", doc! {"k": 1}), |s| {
        s.partial_filter_expression = Some(doc! {"kind": {"$eq": "Device"}})
    });
    let p = plan(vec![want], vec![id_index(), live_k], false);
    assert!(p.is_empty());
    assert_eq!(p.unmanaged[0].equivalent_to.as_deref(), Some("k_1"));
}

#[test]
fn a_collation_is_compared_in_full_as_the_server_resolves_it() {
    let live_u = with(index("u", doc! {"u": 1}), |s| {
        s.unique = true;
        s.collation = Some(doc! {
            "locale": "en", "caseLevel": false, "caseFirst": "off", "strength": 2,
            "numericOrdering": false, "alternate": "non-ignorable", "maxVariable": "punct",
            "normalization": false, "backwards": false, "version": "57.1",
        });
    });
    let want = with(index("u", doc! {"u": 1}), |s| {
        s.unique = true;
        s.collation = Some(doc! {"locale": "en"});
    });
    let p = plan(vec![want], vec![id_index(), live_u], false);
    assert_eq!(actions(&p), vec![(Action::Replace, "u")]);
    assert_eq!(p.changes[0].differences(), vec!["collation"]);
}

#[test]
fn a_ttl_turned_on_is_made_in_place() {
    let want = with(index("expireAt_1", doc! {"expireAt": 1}), |s| {
        s.expire_after_seconds = Some(172_800)
    });
    let p = plan(
        vec![want],
        vec![id_index(), index("expireAt_1", doc! {"expireAt": 1})],
        false,
    );
    assert_eq!(actions(&p), vec![(Action::Modify, "expireAt_1")]);
    assert_eq!(
        p.steps[0].command,
        Command::CollMod {
            index: "expireAt_1".into(),
            set: IndexMod::ExpireAfterSeconds(172_800)
        }
    );
}
