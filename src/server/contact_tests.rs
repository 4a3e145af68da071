use super::*;

fn at(port: u16) -> ServerAddress {
    ServerAddress::Tcp {
        host: "127.0.0.1".into(),
        port: Some(port),
    }
}

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn every_seed_refused_is_hopeless_at_once() {
    let mut heard = Heard::new(vec![at(1), at(2)]);
    heard.failed(at(1), Reason::Refused);
    assert_eq!(heard.hopeless(), None, "one seed not heard yet");
    heard.failed(at(2), Reason::HostNotFound("h:2".into()));
    assert_eq!(heard.hopeless(), Some(Reason::Refused));
}

#[test]
fn a_timeout_or_an_answer_gets_the_whole_wait() {
    let mut heard = Heard::new(vec![at(1), at(2)]);
    heard.failed(at(1), Reason::Refused);
    heard.failed(at(2), Reason::TimedOut(WAIT));
    assert_eq!(heard.hopeless(), None);
    assert_eq!(heard.after_wait(WAIT), Reason::Refused);

    // A replica set whose one member answers but has no primary: wait, then say so.
    let mut heard = Heard::new(vec![at(1), at(2)]);
    heard.failed(at(1), Reason::Refused);
    heard.failed(at(2), Reason::Refused);
    heard.answered = true;
    assert_eq!(heard.hopeless(), None);
    assert_eq!(heard.after_wait(WAIT), Reason::NoPrimary(WAIT));

    assert_eq!(
        Heard::new(vec![at(1)]).after_wait(WAIT),
        Reason::TimedOut(WAIT)
    );
}

#[test]
fn the_latest_failure_of_a_server_counts() {
    let mut heard = Heard::new(vec![at(1)]);
    heard.failed(at(1), Reason::TimedOut(WAIT));
    heard.failed(at(1), Reason::Refused);
    assert_eq!(heard.hopeless(), Some(Reason::Refused));
}

#[test]
fn an_srv_name_is_shown_without_credentials() {
    assert_eq!(
        hosts_of("mongodb+srv://u:secret@cluster0.example.net/db?tls=true"),
        "cluster0.example.net"
    );
    assert_eq!(hosts_of("mongodb://a:1,b:2"), "a:1,b:2");
}
