use super::*;

#[test]
fn settings_name_a_known_release_or_are_refused_with_the_known_ones() {
    assert_eq!(Release::parse("7.0"), Ok(Release::V7_0));
    assert_eq!(Release::parse(" 8.0 "), Ok(Release::V8_0));
    assert_eq!(Release::parse("6.0.5"), Ok(Release::V6_0));
    for bad in ["6", "seven", "9.9", "7.1", "7.0.x", "", "7.0.1.2"] {
        let e = Release::parse(bad).unwrap_err().to_string();
        assert!(e.contains("6.0, 7.0, 8.0"), "{bad}: {e}");
    }
}

#[test]
fn a_server_version_picks_its_release_or_the_nearest_known_and_says_so() {
    let of = |v: &str| {
        let s = Release::of_server(v);
        (s.release, s.fit)
    };
    assert_eq!(of("6.0.5"), (Release::V6_0, Fit::Exact));
    assert_eq!(of("7.0.12"), (Release::V7_0, Fit::Exact));
    assert_eq!(of("8.0.0-rc1"), (Release::V8_0, Fit::Exact));
    assert_eq!(of("6.3.1"), (Release::V6_0, Fit::Between));
    assert_eq!(of("8.2.1"), (Release::V8_0, Fit::Between));
    assert_eq!(of("5.0.14"), (Release::V6_0, Fit::Older));
    assert_eq!(of("9.0.0"), (Release::V8_0, Fit::Newer));
    assert!(Release::of_server("7.0.2").note().is_none());
    let older = Release::of_server("5.0.14").note().unwrap();
    assert!(older.contains("5.0.14") && older.contains("oldest") && older.contains("6.0"));
    assert!(older.contains("--dev-uri"));
    let newer = Release::of_server("9.0.0").note().unwrap();
    assert!(newer.contains("newer than the newest") && newer.contains("8.0"));
}

#[test]
fn a_configured_release_other_than_the_server_s_is_named_with_it() {
    let live = Release::of_server("7.0.4");
    assert_eq!(live.mismatch(Some(Release::V7_0)), None);
    assert_eq!(live.mismatch(None), None);
    let w = live.mismatch(Some(Release::V6_0)).unwrap();
    assert!(w.contains("6.0") && w.contains("7.0.4"), "{w}");
}

#[test]
fn each_difference_is_data_with_its_sources_and_applies_from_its_release() {
    for d in DIFFERENCES {
        assert!(d.before.contains('@') && d.after.contains('@'), "{d:?}");
        for r in RELEASES {
            assert_eq!(r.has(d.feature), r >= d.since);
        }
    }
    assert!(!Release::V6_0.has(Feature::CompoundWildcard));
    assert!(Release::V7_0.has(Feature::CompoundWildcard));
    assert!(!Release::V7_0.has(Feature::HiddenComparedAmongOptions));
    assert!(Release::V8_0.has(Feature::HiddenComparedAmongOptions));
}
