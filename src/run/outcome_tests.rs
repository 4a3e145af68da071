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

#[test]
fn a_deferral_says_the_words_the_reports_have_always_said() {
    let window = Window::parse("22:00-06:00").unwrap();
    let words = [
        (
            Deferral::NotStarted(Halt::Interrupted),
            "not started: the run was interrupted (SIGINT/SIGTERM)".to_string(),
            DeferralKind::Interrupted,
        ),
        (
            Deferral::NotStarted(Halt::OutsideWindow(window.clone())),
            format!("not started: outside the window {window}"),
            DeferralKind::OutsideWindow,
        ),
        (
            Deferral::BeforeStep(Halt::Interrupted),
            "stopped before this step: the run was interrupted (SIGINT/SIGTERM)".to_string(),
            DeferralKind::Interrupted,
        ),
        (
            Deferral::BeforeStep(Halt::OutsideWindow(window.clone())),
            format!("stopped before this step: outside the window {window}"),
            DeferralKind::OutsideWindow,
        ),
        (
            // The executor's own words for it (`server::execute`).
            Deferral::BuildAborted,
            "stopped: its index build was aborted (interrupted twice)".to_string(),
            DeferralKind::BuildAborted,
        ),
        (
            Deferral::Replanned,
            "stopped after its migrations: read again, it plans other index steps than those \
             shown (the new plan is below); the next run applies it"
                .to_string(),
            DeferralKind::Replanned,
        ),
    ];
    for (deferral, said, kind) in words {
        assert_eq!(deferral.to_string(), said);
        assert_eq!(deferral.kind(), kind, "{said}");
    }
}
