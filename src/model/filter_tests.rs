use bson::Document;

use super::same;

/// Pairs of filters and whether mongod 6.0.5 took them for the same
/// index; `tests/it/server_parity.rs` asks the server about each again.
pub fn cases() -> Vec<(Document, Document, bool)> {
    let all: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../tests/data/partial_filters.json"))
            .expect("valid JSON");
    all.into_iter()
        .skip(1)
        .map(|case| {
            let doc = |v: &serde_json::Value| match bson::Bson::try_from(v.clone()) {
                Ok(bson::Bson::Document(d)) => d,
                other => panic!("not a document: {other:?}"),
            };
            (doc(&case[0]), doc(&case[1]), case[2] == true)
        })
        .collect()
}

#[test]
fn filters_are_the_same_where_mongod_says_so() {
    let cases = cases();
    assert!(cases.len() > 30);
    for (a, b, expected) in cases {
        assert_eq!(same(&a, &b), expected, "{a} vs {b}");
        assert_eq!(same(&b, &a), expected, "{b} vs {a}");
    }
}
