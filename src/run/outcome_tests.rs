use super::*;

#[test]
fn a_run_error_keeps_its_words_and_gets_its_kind() {
    let e = DatabaseError::from(RunError::Vanished("t1".into()));
    assert_eq!(e.kind, ErrorKind::Vanished);
    assert_eq!(
        e.to_string(),
        "database t1 no longer exists (dropped after discovery); nothing was done"
    );
    assert_eq!(
        DatabaseError::from(RunError::Mongos).kind,
        ErrorKind::Mongos
    );
}

#[test]
fn a_drifted_skip_says_what_the_run_error_says() {
    let skip = SkipReason::Drifted {
        now: "a".into(),
        planned: "b".into(),
    };
    let error = RunError::Drifted {
        now: "a".into(),
        planned: "b".into(),
    };
    assert_eq!(skip.to_string(), error.to_string());
}
