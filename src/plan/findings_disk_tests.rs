use super::*;

fn build(index_bytes: u64) -> Impact {
    Impact::estimated(10, 1_000, index_bytes, None)
}

#[test]
fn builds_that_would_leave_less_than_the_margin_are_refused_with_the_sizes() {
    let two = BTreeMap::from([(0, build(600)), (3, build(400))]);
    assert_eq!(short_of_disk(&two, 10_000, 9_000), None);
    let why = short_of_disk(&two, 10_000, 9_001).unwrap();
    assert!(
        why.contains("1000 B") && why.contains("9.8 KiB free"),
        "{why}"
    );
    assert_eq!(
        short_of_disk(&BTreeMap::new(), 0, 1),
        None,
        "nothing to build"
    );
    assert!(short_of_disk(&two, 500, 0).is_some(), "more than is free");
}
