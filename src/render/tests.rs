#[test]
fn impact_is_said_in_words_with_or_without_an_estimate() {
    assert_eq!(
        super::impact_words(1234, 5 * 1024 * 1024 + 600 * 1024, Some(2.2)),
        "scans 1,234 documents (5.6 MiB); about 3s"
    );
    assert_eq!(
        super::impact_words(3, 300, None),
        "scans 3 documents (300 B); no estimate yet"
    );
}

#[test]
fn counts_are_grouped_by_thousands() {
    let shown: Vec<String> = [0, 7, 999, 1000, 1987, 12345, 1234567]
        .into_iter()
        .map(super::thousands)
        .collect();
    assert_eq!(
        shown,
        ["0", "7", "999", "1,000", "1,987", "12,345", "1,234,567"]
    );
}
