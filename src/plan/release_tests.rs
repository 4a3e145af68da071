//! What the server's release changes in a plan (`model::release`).

use bson::{doc, Document};

use super::*;

fn index(name: &str, keys: Document) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys,
        ..Default::default()
    }
}

fn plan_on(release: Release, want: IndexSpec, have: IndexSpec) -> DatabasePlan {
    let declared = vec![Collection {
        name: "events".into(),
        indexes: vec![want],
        ..Default::default()
    }];
    let live = DatabaseState {
        name: "t1".into(),
        collections: vec![Collection {
            name: "events".into(),
            exists: true,
            indexes: vec![index("_id_", doc! {"_id": 1}), have],
            ..Default::default()
        }],
        retiring: vec![],
    };
    let options = PlanOptions {
        release,
        ..Default::default()
    };
    plan_database("t1", Scope::Tenant, &declared, &live, options)
}

fn gap(p: &DatabasePlan) -> bool {
    match p.changes.as_slice() {
        [Change::Replace { gap, .. }] => *gap,
        other => panic!("expected one replace, found {other:?}"),
    }
}

/// A wildcard index on a path rebuilt with another partial filter: 6.0 has
/// no compound wildcard, so no temporary twin, and the collection is
/// uncovered between the drop and the build; 7.0 and 8.0 build the twin
/// (`{"attrs.$**": 1, __mig_tmp: 1}`) first.
#[test]
fn a_wildcard_replace_keeps_a_twin_from_7_0() {
    let mut want = index("w", doc! {"attrs.$**": 1});
    want.partial_filter_expression = Some(doc! {"kind": "a"});
    let mut have = want.clone();
    have.partial_filter_expression = Some(doc! {"kind": "b"});
    assert!(gap(&plan_on(Release::V6_0, want.clone(), have.clone())));
    assert!(!gap(&plan_on(Release::V7_0, want.clone(), have.clone())));
    assert!(!gap(&plan_on(Release::V8_0, want, have)));
}

/// On `"$**"` a twin would need its projection changed too: a gap on every release.
#[test]
fn an_all_fields_wildcard_replace_leaves_a_gap_on_every_release() {
    let mut want = index("w", doc! {"$**": 1});
    want.partial_filter_expression = Some(doc! {"kind": "a"});
    let mut have = want.clone();
    have.partial_filter_expression = Some(doc! {"kind": "b"});
    for release in crate::model::release::RELEASES {
        assert!(
            gap(&plan_on(release, want.clone(), have.clone())),
            "{release}"
        );
    }
}

/// The twin is the wildcard on its path with the extra key field: a compound
/// wildcard index of the form 7.0's rules accept (`{a: 1, "b.$**": 1}`).
#[test]
fn the_wildcard_twin_is_a_compound_wildcard_on_the_same_path() {
    let mut want = index("w", doc! {"attrs.$**": 1});
    want.partial_filter_expression = Some(doc! {"kind": "a"});
    let mut have = want.clone();
    have.partial_filter_expression = Some(doc! {"kind": "b"});
    let p = plan_on(Release::V7_0, want, have);
    let twin_keys: Vec<Document> = p
        .steps
        .iter()
        .flat_map(|s| match &s.command {
            Command::CreateIndexes { indexes, .. } => indexes.clone(),
            _ => Vec::new(),
        })
        .filter(|(_, i)| i.name.ends_with(TEMP_SUFFIX))
        .map(|(_, i)| i.keys)
        .collect();
    assert_eq!(twin_keys, vec![doc! {"attrs.$**": 1, TEMP_FIELD: 1}]);
}
