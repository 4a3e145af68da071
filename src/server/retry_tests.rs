use super::*;

#[test]
fn failover_codes_are_transient_and_refusals_are_not() {
    for code in [10107, 11602, 189, 91, 13435, 6, 9001] {
        assert!(is_transient_code(code), "{code}");
    }
    // Duplicate key, index options conflict, not found, bad value: final.
    for code in [11000, 85, 86, 27, 2, 67] {
        assert!(!is_transient_code(code), "{code}");
    }
}

#[test]
fn network_errors_are_transient() {
    let io = Error::from(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "unexpected end of file",
    ));
    assert!(is_transient(&io));
}

/// A cluster that gave up on its server leaves another cluster's
/// budget whole.
#[tokio::test]
async fn giving_up_is_per_cluster() {
    let spent = budget() + Duration::from_millis(1);
    let first = own_budget(async { (again(spent), again(Duration::ZERO)) }).await;
    assert_eq!(first, (false, false), "gone for the rest of its run");
    let other = own_budget(async { again(Duration::ZERO) }).await;
    assert!(other, "another cluster still rides out a failover");
}

#[test]
fn backoff_grows_to_a_ceiling() {
    assert_eq!(backoff(1), Duration::from_millis(200));
    assert!(backoff(2) > backoff(1));
    assert_eq!(backoff(30), Duration::from_secs(2));
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_a_final_one_is_not() {
    let mut calls = 0;
    let out: Result<u32, Error> = retry("test", || {
        calls += 1;
        let n = calls;
        async move {
            match n {
                1 => Err(Error::from(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset",
                ))),
                _ => Ok(n),
            }
        }
    })
    .await;
    assert_eq!(out.unwrap(), 2);
    let mut calls = 0;
    let out: Result<(), Error> = retry("test", || {
        calls += 1;
        async { Err(Error::custom("final")) }
    })
    .await;
    assert!(out.is_err());
    assert_eq!(calls, 1);
}
