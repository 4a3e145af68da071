#[test]
fn only_yes_agrees() {
    assert!(super::agrees("yes\n"));
    assert!(super::agrees("  yes "));
    for no in ["", "\n", "y", "YES", "no", "yes please"] {
        assert!(!super::agrees(no), "{no:?}");
    }
}
