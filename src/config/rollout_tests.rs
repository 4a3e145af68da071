use super::*;

fn at(hhmm: &str) -> jiff::Timestamp {
    format!("2026-12-04T{hhmm}:00Z").parse().unwrap()
}

#[test]
fn a_window_holds_its_start_not_its_end_and_may_run_past_midnight() {
    let day = Window::parse("09:00-17:30").unwrap();
    assert!(day.contains(at("09:00")) && day.contains(at("17:29")));
    assert!(!day.contains(at("17:30")) && !day.contains(at("08:59")));
    let night = Window::parse("22:00-06:00").unwrap();
    assert!(night.contains(at("23:00")) && night.contains(at("05:59")));
    assert!(!night.contains(at("12:00")));
    assert_eq!(night.to_string(), "22:00-06:00 UTC");
}

#[test]
fn a_window_in_a_zone_is_read_in_that_zone() {
    // 22:00 UTC on 4 December is 23:00 in Paris (UTC+1 in winter).
    let paris = Window::parse("22:30-23:30 Europe/Paris").unwrap();
    assert!(paris.contains(at("22:00")));
    assert!(!paris.contains(at("22:45")));
}

#[test]
fn sizes_are_read_with_their_units() {
    assert_eq!(size_arg("0"), Ok(0));
    assert_eq!(size_arg("500MB"), Ok(500_000_000));
    assert_eq!(size_arg("1GiB"), Ok(1 << 30));
    assert_eq!(size_arg("1.5KiB"), Ok(1536));
    assert!(size_arg("5 parsecs").is_err() && size_arg("").is_err());
}

#[test]
fn bad_windows_and_throttles_are_refused_with_why() {
    assert_eq!(
        Window::parse("25:00-03:00"),
        Err(WindowError::Time("25:00".into()))
    );
    assert_eq!(
        Window::parse("22:00-06:00 Mars/Olympus"),
        Err(WindowError::Zone("Mars/Olympus".into()))
    );
    assert!(matches!(Window::parse("22:00"), Err(WindowError::Shape(_))));
    assert!(matches!(
        Window::parse("9:00-10:00"),
        Err(WindowError::Time(_))
    ));
    assert!(matches!(
        Window::parse("10:00-10:00"),
        Err(WindowError::Empty(_))
    ));
    assert_eq!(max_lag_arg("0s"), Err(ThrottleError::Zero));
    assert_eq!(max_lag_arg("2s"), Ok(Duration::from_secs(2)));
    assert_eq!(max_builds_arg("0"), Err(ThrottleError::Zero));
    assert_eq!(max_builds_arg("x"), Err(ThrottleError::Count));
    assert_eq!(max_builds_arg("2"), Ok(2));
}
