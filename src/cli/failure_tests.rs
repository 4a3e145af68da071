use super::*;

#[test]
fn a_failure_below_is_shown_in_its_own_words() {
    let io = Failure::from(std::io::Error::other("disk full"));
    assert_eq!(io.to_string(), "disk full");
    let run = Failure::from(RunError::Vanished("t1".into()));
    assert_eq!(run.to_string(), RunError::Vanished("t1".into()).to_string());
}

#[test]
fn a_failure_below_has_the_kind_of_its_type() {
    use crate::config::UriSource;
    use crate::server::errors::{ConnectError, Reason, Server};
    let connect = |reason| ConnectError {
        server: Server::Production,
        uri: "mongodb://h:1".into(),
        from: UriSource::Default,
        reason,
    };
    let read = |reason| Failure::from(ReadError::Connect(connect(reason)));
    assert_eq!(read(Reason::Refused).kind(), "unreachable");
    assert_eq!(read(Reason::Auth("x".into())).kind(), "auth");
    let through_run = Failure::from(RunError::Read(ReadError::Connect(connect(Reason::Refused))));
    assert_eq!(through_run.kind(), "unreachable");
    assert_eq!(Failure::from(RunError::NoPublicDatabase).kind(), "config");
    assert_eq!(
        Failure::from(DevError::Connect(connect(Reason::Refused))).kind(),
        "unreachable"
    );
    assert_eq!(Failure::from(std::io::Error::other("x")).kind(), "failed");
    assert_eq!(
        Failure::from(LockError::Server("x".into())).kind(),
        "failed"
    );
    assert_eq!(Failure::from(Cancelled("apply".into())).kind(), "cancelled");
    assert_eq!(Failure::from(NothingToPull).kind(), "config");
    assert_eq!(Failure::Problems(Vec::new()).kind(), "manifest");
    assert_eq!(Failure::Config(Vec::new()).kind(), "config");
}

#[test]
fn every_failure_exits_1_and_pending_changes_2() {
    assert_eq!(Failure::Reported.exit_code(), EXIT_ERROR);
    assert_eq!(Failure::Problems(Vec::new()).exit_code(), EXIT_ERROR);
    assert_eq!(
        Failure::from(std::io::Error::other("x")).exit_code(),
        EXIT_ERROR
    );
    assert_eq!(Success::Done.exit_code(), EXIT_OK);
    assert_eq!(Success::ChangesPending.exit_code(), EXIT_CHANGES);
}
