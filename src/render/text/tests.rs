//! Tests of the text renderer.

use super::*;
use crate::model::{IndexSpec, Scope};
use crate::plan::Unmanaged;
use crate::plan::{Change, DatabasePlan};
use crate::run::TargetReport;
use crate::targets::Target;
use bson::doc;

fn spec(name: &str, keys: bson::Document) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys,
        ..Default::default()
    }
}

/// `ttl` on `m`, its expireAfterSeconds from 30 to 60 in place.
fn ttl_from_30_to_60() -> Change {
    let mut live = spec("ttl", doc! {"at": 1});
    live.expire_after_seconds = Some(30);
    let mut desired = live.clone();
    desired.expire_after_seconds = Some(60);
    Change::Modify {
        collection: "m".into(),
        from: live,
        to: desired,
        set: crate::model::compare::Modification {
            expire_after_seconds: Some(60),
            ..Default::default()
        },
        differences: vec!["expireAfterSeconds"],
    }
}

#[test]
fn plan_text_shows_changes_diffs_and_unmanaged() {
    let changes = vec![
        ttl_from_30_to_60(),
        Change::Create {
            collection: "m".into(),
            index: spec("a_1", doc! {"a": 1, "b": -1}),
            new_collection: false,
        },
    ];
    let plan = DatabasePlan {
        unmanaged: vec![Unmanaged {
            collection: "m".into(),
            index: spec("legacy", doc! {"z": 1}),
            equivalent_to: None,
            protected: false,
            retiring: None,
        }],
        ..DatabasePlan::new("t1", Scope::Tenant, changes)
    };
    let r = Report {
        targets: vec![TargetReport {
            plan: Some(plan),
            ..TargetReport::new(Target {
                database: "t1".into(),
                scope: Scope::Tenant,
            })
        }],
        rejected: vec![],
        discovery: None,
        applied: false,
        read_path: None,
        warnings: vec![],
        clusters: vec![],
    };
    let text = report(&r, Style { color: false });
    assert!(text.contains("t1 (tenant): 2 change(s)"), "{text}");
    assert!(
        text.contains("~ modify  ttl  in place (collMod): expireAfterSeconds"),
        "{text}"
    );
    assert!(text.contains("-   \"expireAfterSeconds\": 30"), "{text}");
    assert!(text.contains("+   \"expireAfterSeconds\": 60"), "{text}");
    assert!(text.contains("+ create  a_1  {\"a\":1,\"b\":-1}"), "{text}");
    assert!(text.contains("m.legacy"), "{text}");
    assert!(
        text.contains("1 create, 1 modify, 0 replace, 0 hide, 0 drop; 1 unmanaged"),
        "{text}"
    );
}

#[test]
fn a_replace_shows_its_twin_build_drop_build_and_twin_drop_in_order() {
    let changes = vec![
        Change::Replace {
            collection: "m".into(),
            from: spec("x", doc! {"a": 1}),
            to: spec("x", doc! {"a": 1, "b": 1}),
            differences: vec!["key"],
            gap: false,
            note: None,
        },
        Change::Create {
            collection: "m".into(),
            index: spec("y", doc! {"y": 1}),
            new_collection: false,
        },
    ];
    let mut out = String::new();
    let plan = DatabasePlan::new("t1", Scope::Tenant, changes);
    plan_text(&plan, None, Style { color: false }, &mut out);
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in\n{out}"))
    };
    let order = [
        at("1. createIndexes x__mig_tmp, y"),
        at("2. dropIndexes x  (the twin covers meanwhile; already gone counts as done)"),
        at("3. createIndexes x  "),
        at("4. dropIndexes x__mig_tmp"),
        at("+ create  y  {\"y\":1}  (step 1)"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{out}");
}

#[test]
fn drift_text_aligns_fleet_sized_counts_and_lists_a_groups_deviations_under_it() {
    use crate::plan::drift::{Deviation, Drift};
    let missing = Deviation::Missing {
        collection: "messages".into(),
        index: "idx_messages_read_at".into(),
    };
    let extra = Deviation::Extra {
        collection: "messages".into(),
        index: "legacy_field_1".into(),
    };
    let mut drift = Drift::default();
    for n in 0..1987 {
        drift.add(&format!("tenant_{n:04}"), vec![]);
    }
    for n in ["tenant_a", "tenant_b", "tenant_c", "tenant_d"] {
        drift.add(n, vec![missing.clone()]);
    }
    drift.add("tenant_q", vec![missing, extra]);
    drift.add_failure("tenant_v", "gone");
    let text = super::drift(&drift, &[], Style { color: false });
    assert_eq!(
        text,
        "  1,987  in sync
      4  missing messages.idx_messages_read_at  (tenant_a, tenant_b, tenant_c, … +1)
      1  with 2 deviations  (tenant_q)
             missing messages.idx_messages_read_at
             extra messages.legacy_field_1
      1  could not be read
             tenant_v: gone

Summary: 1,993 database(s) compared with the manifests: 1,987 in sync, 5 drifted in 2 way(s), 1 failed
"
    );
}

#[test]
fn over_clusters_databases_are_grouped_and_each_cluster_has_a_line_before_the_total() {
    let db = |name: &str, cluster: Option<&str>, error: Option<&str>| TargetReport {
        cluster: cluster.map(String::from),
        outcome: match error {
            Some(message) => crate::run::DatabaseOutcome::Failed(crate::run::DatabaseError {
                kind: crate::run::ErrorKind::Read,
                message: message.into(),
            }),
            None => Default::default(),
        },
        plan: error
            .is_none()
            .then(|| DatabasePlan::new(name, Scope::Tenant, vec![])),
        ..TargetReport::new(Target {
            database: name.into(),
            scope: Scope::Tenant,
        })
    };
    let cluster = |name: &str, error: Option<&str>| ClusterInfo {
        name: name.into(),
        uri: format!("mongodb://{name}-host"),
        error: error.map(String::from),
        ..Default::default()
    };
    let r = Report {
        targets: vec![
            db(
                "t_x",
                None,
                Some("not routed: it is on several clusters (main, eu)"),
            ),
            db("t_a", Some("main"), None),
            db("t_b", Some("main"), None),
            db("t_c", Some("eu"), None),
        ],
        clusters: vec![
            cluster("main", None),
            cluster("eu", None),
            cluster("us", Some("cannot reach")),
        ],
        ..Default::default()
    };
    assert_eq!(
        report(&r, Style { color: false }),
        "== not routed (on no cluster; nothing was done) ==
t_x (tenant): failed: not routed: it is on several clusters (main, eu)
== cluster main (mongodb://main-host) ==
t_a (tenant): no changes
t_b (tenant): no changes
== cluster eu (mongodb://eu-host) ==
t_c (tenant): no changes

Clusters:
  main: 2 database(s), 0 with changes to apply
  eu: 1 database(s), 0 with changes to apply
  us: 0 database(s), 0 with changes to apply; cluster failed: cannot reach
  not routed: 1 tenant(s) refused, touched on no cluster

Summary: 4 database(s), 0 with changes to apply: 0 create, 0 modify, 0 replace, 0 hide, 0 drop; 1 database(s) failed or skipped
"
    );
    // A cluster that failed with no database to show is not "nothing to do".
    let r = Report {
        targets: vec![db("t_a", Some("main"), None)],
        clusters: vec![cluster("main", None), cluster("us", Some("cannot reach"))],
        ..Default::default()
    };
    assert!(!report(&r, Style { color: false }).contains("Nothing to do"));
}

#[test]
fn an_in_place_step_after_others_does_not_say_it_comes_first() {
    let changes = vec![
        ttl_from_30_to_60(),
        Change::CreateCollection {
            collection: "n".into(),
            options: doc! {},
        },
    ];
    let mut out = String::new();
    let plan = DatabasePlan::new("t1", Scope::Tenant, changes);
    plan_text(&plan, None, Style { color: false }, &mut out);
    let line = out
        .lines()
        .find(|l| l.contains("2. collMod"))
        .unwrap_or_else(|| panic!("step 2 is the collMod:\n{out}"));
    assert!(
        line.ends_with("(in place, before any index is built or dropped)"),
        "{out}"
    );
}

#[test]
fn a_plan_header_and_its_progress_line_count_alike() {
    let changes = vec![Change::Create {
        collection: "m".into(),
        index: spec("a_1", doc! {"a": 1}),
        new_collection: false,
    }];
    let t = TargetReport {
        plan: Some(DatabasePlan::new("t1", Scope::Tenant, changes)),
        migrations: vec![crate::run::MigrationOutcome {
            id: "20250101000000_x".into(),
            description: "x".into(),
            status: crate::run::MigrationStatus::Pending,
            error: None,
            steps: Vec::new(),
        }],
        ..TargetReport::new(Target {
            database: "t1".into(),
            scope: Scope::Tenant,
        })
    };
    let text = target(
        &crate::render::json::target_model(&t, false, false),
        false,
        Style { color: false },
    );
    let words = "1 migration(s) pending, 1 change(s)";
    assert!(
        text.starts_with(&format!("t1 (tenant): {words}\n")),
        "{text}"
    );
    assert_eq!(t.brief(false), words);
}

#[test]
fn the_closing_lines_are_the_json_tail_in_words() {
    let tally = crate::run::Tally {
        databases: 3,
        changed: 0,
        unmanaged: 2,
        extra: 1,
        migrations: [0, 0, 0, 2, 1],
        ..Default::default()
    };
    let tail = crate::render::json::tail_model(&[], None, &tally, None, false);
    // Every number the text says is one the JSON carries.
    assert_eq!(tail.summary.unmanaged_unprotected, 1);
    assert_eq!(tail.summary.migrations_reverted, 2);
    assert_eq!(tail.summary.migrations_failed, 1);
    assert_eq!(
        summary(&tail, None, Style { color: false }),
        "
Summary: 3 database(s), 0 with changes to apply: 0 create, 0 modify, 0 replace, 0 hide, 0 drop; \
2 migration run(s) reverted; 1 migration run(s) failed; 2 unmanaged index(es) left alone
Nothing to apply, but not in sync: 1 unmanaged index(es) the manifests don't declare (`--prune` retires them).
"
    );
}
