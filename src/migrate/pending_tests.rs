use super::*;
use crate::migrate::file::MigrationScope;
use crate::migrate::Op;

fn m(id: &str, scope: MigrationScope, down: bool) -> Migration {
    Migration {
        id: id.into(),
        file: format!("{id}.yaml").into(),
        description: id.into(),
        scope,
        transactional: false,
        checksum: format!("sum-{id}"),
        up: vec![Op::CollectionExists("x".into())],
        down: if down {
            vec![Op::CollectionExists("x".into())]
        } else {
            vec![]
        },
    }
}

fn e(id: &str, state: State, batch: i64) -> Entry {
    Entry {
        id: id.into(),
        checksum: format!("sum-{id}"),
        state,
        batch,
        applied_at: None,
        duration_ms: None,
        error: Some("boom".into()),
        checkpoint: None,
    }
}

fn ids(p: &[&Migration]) -> Vec<String> {
    p.iter().map(|m| m.id.clone()).collect()
}

#[test]
fn runs_what_is_not_applied_in_order_for_its_scope() {
    let ms = vec![
        m("1_a", MigrationScope::Tenant, true),
        m("2_b", MigrationScope::Public, true),
        m("3_c", MigrationScope::Both, true),
        m("4_d", MigrationScope::Tenant, true),
    ];
    let log = vec![e("1_a", State::Applied, 1), e("4_d", State::Reverted, 1)];
    let p = pending(&ms, Scope::Tenant, &log, &Options::default());
    assert_eq!(ids(&p.run), vec!["3_c", "4_d"]);
    let p = pending(&ms, Scope::Public, &[], &Options::default());
    assert_eq!(ids(&p.run), vec!["2_b", "3_c"]);
}

#[test]
fn to_stops_after_that_migration() {
    let ms = vec![
        m("1_a", MigrationScope::Tenant, true),
        m("2_b", MigrationScope::Tenant, true),
    ];
    let p = pending(
        &ms,
        Scope::Tenant,
        &[],
        &Options {
            to: Some("1_a"),
            ..Default::default()
        },
    );
    assert_eq!(ids(&p.run), vec!["1_a"]);
}

#[test]
fn a_changed_applied_migration_blocks_unless_allowed() {
    let ms = vec![
        m("1_a", MigrationScope::Tenant, true),
        m("2_b", MigrationScope::Tenant, true),
    ];
    let mut log = vec![e("1_a", State::Applied, 1)];
    log[0].checksum = "different".into();
    let p = pending(&ms, Scope::Tenant, &log, &Options::default());
    assert!(p.run.is_empty());
    assert!(p
        .blocked
        .unwrap()
        .to_string()
        .contains("changed since it was applied"));
    let p = pending(
        &ms,
        Scope::Tenant,
        &log,
        &Options {
            allow_changed: true,
            ..Default::default()
        },
    );
    assert_eq!(ids(&p.run), vec!["2_b"]);
}

#[test]
fn a_failed_migration_blocks_until_retried() {
    let ms = vec![m("1_a", MigrationScope::Tenant, true)];
    let log = vec![e("1_a", State::Failed, 1)];
    let p = pending(&ms, Scope::Tenant, &log, &Options::default());
    assert!(p.blocked.unwrap().to_string().contains("boom"));
    let p = pending(
        &ms,
        Scope::Tenant,
        &log,
        &Options {
            retry_failed: true,
            ..Default::default()
        },
    );
    assert_eq!(ids(&p.run), vec!["1_a"]);
}

#[test]
fn an_interrupted_migration_runs_again() {
    let ms = vec![m("1_a", MigrationScope::Tenant, true)];
    let p = pending(
        &ms,
        Scope::Tenant,
        &[e("1_a", State::Running, 1)],
        &Options::default(),
    );
    assert_eq!(ids(&p.run), vec!["1_a"]);
}

#[test]
fn files_missing_on_disk_are_reported() {
    let p = pending(
        &[],
        Scope::Tenant,
        &[e("9_gone", State::Applied, 1)],
        &Options::default(),
    );
    assert_eq!(p.missing, vec!["9_gone"]);
}

#[test]
fn down_reverts_the_last_batch_newest_first_or_back_to_an_id() {
    let ms = vec![
        m("1_a", MigrationScope::Tenant, true),
        m("2_b", MigrationScope::Tenant, true),
        m("3_c", MigrationScope::Tenant, true),
    ];
    let log = vec![
        e("1_a", State::Applied, 1),
        e("2_b", State::Applied, 2),
        e("3_c", State::Applied, 2),
    ];
    assert_eq!(
        ids(&to_revert(&ms, &log, None).unwrap()),
        vec!["3_c", "2_b"]
    );
    assert_eq!(
        ids(&to_revert(&ms, &log, Some("1_a")).unwrap()),
        vec!["3_c", "2_b"]
    );
    assert_eq!(
        ids(&to_revert(&ms, &log, Some("0")).unwrap()),
        vec!["3_c", "2_b", "1_a"]
    );
}

#[test]
fn down_refuses_a_migration_without_down_steps_before_anything() {
    let ms = vec![
        m("1_a", MigrationScope::Tenant, true),
        m("2_b", MigrationScope::Tenant, false),
    ];
    let log = vec![e("1_a", State::Applied, 1), e("2_b", State::Applied, 1)];
    let err = to_revert(&ms, &log, None).unwrap_err();
    assert!(err.to_string().contains("2_b has no `down` steps"), "{err}");
}
