use std::collections::{BTreeMap, BTreeSet};

use bson::{doc, Document};
use proptest::prelude::*;

use super::*;
use crate::model::{Collection, DatabaseState, IndexSpec, Scope};
use crate::plan::{plan_database, PlanOptions};

/// An index declared (or reported) under `name`, as a manifest naming it.
fn index(name: &str, keys: Document) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys,
        explicit_name: true,
        ..Default::default()
    }
}

fn declared(indexes: Vec<IndexSpec>) -> Collection {
    Collection {
        name: "messages".into(),
        indexes,
        ..Default::default()
    }
}

fn live(indexes: Vec<IndexSpec>) -> DatabaseState {
    let mut all = vec![index("_id_", doc! {"_id": 1})];
    all.extend(indexes);
    DatabaseState {
        name: "t1".into(),
        collections: vec![Collection {
            name: "messages".into(),
            exists: true,
            indexes: all,
            ..Default::default()
        }],
        retiring: vec![],
    }
}

/// What drift sees of a database: planned as `mig drift` plans, without pruning.
fn drift_of(desired: Collection, current: DatabaseState) -> Vec<Deviation> {
    let plan = plan_database(
        "t1",
        Scope::Tenant,
        &[desired],
        &current,
        PlanOptions::default(),
    );
    deviations(&plan)
}

fn missing(index: &str) -> Deviation {
    Deviation::Missing {
        collection: "messages".into(),
        index: index.into(),
    }
}

fn extra(index: &str) -> Deviation {
    Deviation::Extra {
        collection: "messages".into(),
        index: index.into(),
    }
}

fn different(index: &str, fields: Vec<&'static str>) -> Deviation {
    Deviation::Different {
        collection: "messages".into(),
        index: index.into(),
        fields,
        live_name: None,
    }
}

#[test]
fn a_database_as_declared_has_no_deviation() {
    let a = index("a_1", doc! {"a": 1});
    assert_eq!(drift_of(declared(vec![a.clone()]), live(vec![a])), vec![]);
}

#[test]
fn missing_different_and_extra_are_told_apart_and_listed_in_that_order() {
    let a = index("a_1", doc! {"a": 1});
    let b = index("b_1", doc! {"b": 1});
    let unique_b = IndexSpec {
        unique: true,
        ..b.clone()
    };
    let ttl = |s| IndexSpec {
        expire_after_seconds: Some(s),
        ..index("t_1", doc! {"t": 1})
    };
    let legacy = index("legacy_1", doc! {"legacy": 1});
    let got = drift_of(
        declared(vec![a, unique_b, ttl(60)]),
        live(vec![legacy, b, ttl(120)]),
    );
    assert_eq!(
        got,
        vec![
            missing("a_1"),
            different("b_1", vec!["unique"]),
            different("t_1", vec!["expireAfterSeconds"]),
            extra("legacy_1"),
        ]
    );
    assert_eq!(
        got.iter().map(Deviation::kind).collect::<Vec<_>>(),
        vec!["missing", "different", "different", "extra"]
    );
}

#[test]
fn a_different_key_under_the_declared_name_is_different_not_missing_and_extra() {
    let got = drift_of(
        declared(vec![index("ix", doc! {"a": 1})]),
        live(vec![index("ix", doc! {"a": -1})]),
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(matches!(&got[0], Deviation::Different { index, .. } if index == "ix"));
}

#[test]
fn the_declared_index_under_another_name_is_one_difference_naming_both() {
    let got = drift_of(
        declared(vec![index("ix_a", doc! {"a": 1})]),
        live(vec![index("a_1", doc! {"a": 1})]),
    );
    assert_eq!(
        got,
        vec![Deviation::Different {
            collection: "messages".into(),
            index: "ix_a".into(),
            fields: vec!["name"],
            live_name: Some("a_1".into()),
        }]
    );
    // Where the manifest retires undeclared indexes, it is a rename: the same deviation.
    let staged = Collection {
        drop_undeclared: true,
        ..declared(vec![index("ix_a", doc! {"a": 1})])
    };
    assert_eq!(
        drift_of(staged, live(vec![index("a_1", doc! {"a": 1})])),
        got
    );
}

#[test]
fn protected_indexes_are_not_drift_but_retired_ones_still_are() {
    let protected = Collection {
        protected: vec!["^atlas_".into()],
        ..declared(vec![])
    };
    assert_eq!(
        drift_of(protected, live(vec![index("atlas_search", doc! {"s": 1})])),
        vec![]
    );
    // `drop: staged`: the plan hides it instead of listing it; still an extra index.
    let staged = Collection {
        drop_undeclared: true,
        ..declared(vec![])
    };
    assert_eq!(
        drift_of(staged, live(vec![index("legacy_1", doc! {"legacy": 1})])),
        vec![extra("legacy_1")]
    );
}

#[test]
fn a_missing_collection_is_every_declared_index_missing() {
    let plan = plan_database(
        "t1",
        Scope::Tenant,
        &[declared(vec![
            index("b_1", doc! {"b": 1}),
            index("a_1", doc! {"a": 1}),
        ])],
        &DatabaseState::default(),
        PlanOptions::default(),
    );
    assert_eq!(deviations(&plan), vec![missing("a_1"), missing("b_1")]);
}

#[test]
fn the_fleet_is_grouped_by_identical_deviation_largest_first() {
    let mut drift = Drift::default();
    for n in 0..20 {
        drift.add(&format!("tenant_{n:02}"), vec![]);
    }
    for n in ["tenant_b", "tenant_a", "tenant_c"] {
        drift.add(n, vec![missing("read_at_1")]);
    }
    drift.add("tenant_z", vec![extra("legacy_1")]);
    drift.add("tenant_q", vec![missing("read_at_1"), extra("legacy_1")]);
    drift.add_failure("tenant_x", "messages is a view");

    let groups = drift.groups();
    let shape: Vec<(usize, &[Deviation])> =
        groups.iter().map(|g| (g.count, g.deviations)).collect();
    assert_eq!(
        shape,
        vec![
            (20, &[][..]),
            (3, &[missing("read_at_1")][..]),
            // Ties: by deviation (missing sorts before extra).
            (1, &[missing("read_at_1"), extra("legacy_1")][..]),
            (1, &[extra("legacy_1")][..]),
        ]
    );
    assert!(groups[0].in_sync() && !groups[1].in_sync());
    assert_eq!(groups[1].samples, vec!["tenant_a", "tenant_b", "tenant_c"]);
    assert_eq!(
        groups[0].samples.len(),
        SAMPLES,
        "only the first names are kept"
    );
    assert_eq!(groups[0].samples[0], "tenant_00");
    assert_eq!(groups[0].samples[SAMPLES - 1], "tenant_09");
    assert_eq!(
        (
            drift.databases(),
            drift.in_sync(),
            drift.drifted(),
            drift.failed()
        ),
        (26, 20, 5, 1)
    );
    assert_eq!(drift.kinds_of_drift(), 3);
    let failures: Vec<&Failed> = drift.failures().collect();
    assert_eq!(failures[0].database, "tenant_x");
}

#[test]
fn an_in_sync_group_that_is_not_the_largest_is_ordered_by_its_size() {
    let mut drift = Drift::default();
    drift.add("a", vec![]);
    drift.add("b", vec![missing("x")]);
    drift.add("c", vec![missing("x")]);
    let groups = drift.groups();
    assert_eq!(groups[0].count, 2);
    assert!(groups[1].in_sync());
    assert_eq!(drift.in_sync(), 1);
}

#[test]
fn only_the_first_failures_by_name_are_kept_but_all_are_counted() {
    let mut drift = Drift::default();
    for n in (0..25).rev() {
        drift.add_failure(&format!("t{n:02}"), "gone");
    }
    let kept: Vec<&str> = drift.failures().map(|f| f.database.as_str()).collect();
    assert_eq!(kept.len(), SAMPLES);
    assert_eq!(kept[0], "t00");
    assert_eq!(drift.failed(), 25);
    assert_eq!(drift.databases(), 25);
    assert!(drift.groups().is_empty());
}

/// A small universe of deviations, so that random databases share some.
fn any_deviation() -> impl Strategy<Value = Deviation> {
    let name = prop::sample::select(vec!["a", "b", "c"]);
    prop_oneof![
        name.clone().prop_map(missing),
        name.clone().prop_map(extra),
        name.prop_map(|n| different(n, vec!["unique"])),
    ]
}

/// Databases by name (unique names), each with a set of deviations.
fn any_fleet() -> impl Strategy<Value = Vec<(String, Vec<Deviation>)>> {
    prop::collection::btree_map(
        "[a-z]{1,6}",
        prop::collection::btree_set(any_deviation(), 0..3),
        0..60,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(name, set)| (name, set.into_iter().collect()))
            .collect()
    })
}

fn drift_of_fleet(fleet: &[(String, Vec<Deviation>)]) -> Drift {
    let mut drift = Drift::default();
    for (name, deviations) in fleet {
        drift.add(name, deviations.clone());
    }
    drift
}

/// The groups as owned values, to compare two runs.
fn owned(drift: &Drift) -> Vec<(Vec<Deviation>, usize, Vec<String>)> {
    drift
        .groups()
        .iter()
        .map(|g| {
            (
                g.deviations.to_vec(),
                g.count,
                g.samples.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn counts_add_up_to_the_databases_and_groups_are_largest_first(fleet in any_fleet()) {
        let drift = drift_of_fleet(&fleet);
        let groups = drift.groups();
        prop_assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), fleet.len());
        prop_assert_eq!(drift.databases(), fleet.len());
        prop_assert_eq!(drift.in_sync() + drift.drifted(), fleet.len());
        prop_assert!(groups.windows(2).all(|w| w[0].count >= w[1].count));
        prop_assert_eq!(drift.kinds_of_drift(), groups.iter().filter(|g| !g.in_sync()).count());
    }

    #[test]
    fn identical_deviations_are_always_in_one_group_with_the_first_names(fleet in any_fleet()) {
        let drift = drift_of_fleet(&fleet);
        let mut expected: BTreeMap<&[Deviation], BTreeSet<&str>> = BTreeMap::new();
        for (name, deviations) in &fleet {
            expected.entry(deviations.as_slice()).or_default().insert(name);
        }
        let groups = drift.groups();
        prop_assert_eq!(groups.len(), expected.len());
        for g in &groups {
            let members = &expected[g.deviations];
            prop_assert_eq!(g.count, members.len());
            let first: Vec<&str> = members.iter().copied().take(SAMPLES).collect();
            prop_assert_eq!(&g.samples, &first);
        }
    }

    #[test]
    fn the_order_databases_come_in_changes_nothing(
        fleet in any_fleet(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = fleet.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(owned(&drift_of_fleet(&fleet)), owned(&drift_of_fleet(&shuffled)));
    }
}
