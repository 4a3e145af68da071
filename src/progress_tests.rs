use super::*;

#[test]
fn a_large_fleet_gets_a_line_with_the_rate_and_the_time_left() {
    assert_eq!(
        rate_line(1200, 10_000, Duration::from_secs(3)),
        "[1200/10000] databases done, 400/s, about 22s left"
    );
    assert_eq!(
        rate_line(10_000, 10_000, Duration::from_secs(20)),
        "[10000/10000] databases done, 500/s"
    );
}

#[test]
fn lines_come_every_few_seconds_and_at_the_end_not_per_database() {
    let p = Progress::new(1000, false, false);
    assert_eq!(p.periodic_line(1), None, "just started");
    assert!(
        p.periodic_line(1000).is_some(),
        "the last one is always shown"
    );
    *p.last_line.lock().unwrap() -= LINE_EVERY;
    assert!(p.periodic_line(500).is_some(), "due");
    assert_eq!(p.periodic_line(501), None, "not due again yet");
}
