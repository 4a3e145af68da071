use super::*;

#[test]
fn default_name_follows_mongodb() {
    assert_eq!(
        IndexSpec::default_name(&doc! {"conversationId": 1, "timestamp": -1}),
        "conversationId_1_timestamp_-1"
    );
    assert_eq!(
        IndexSpec::default_name(&doc! {"title": "text", "loc": "2dsphere"}),
        "title_text_loc_2dsphere"
    );
    assert_eq!(IndexSpec::default_name(&doc! {"a": 1.0}), "a_1");
}

#[test]
fn server_document_round_trips_through_the_model() {
    let reported = doc! {
        "v": 2, "key": {"a": 1, "b": -1}, "name": "a_1_b_-1", "unique": true,
        "partialFilterExpression": {"deletedAt": null},
        "collation": {"locale": "en", "strength": 2},
        "storageEngine": {"wiredTiger": {}},
    };
    let spec = IndexSpec::from_server(&reported).unwrap();
    assert!(spec.unique && !spec.sparse);
    assert_eq!(
        spec.other,
        doc! {"v": 2, "storageEngine": {"wiredTiger": {}}}
    );
    let mut shown = spec.to_document();
    assert_eq!(shown.remove("v"), Some(Bson::Int32(2)));
    let mut expected = reported.clone();
    expected.remove("v");
    assert_eq!(shown, expected);
}

#[test]
fn server_fields_of_the_wrong_type_are_reported() {
    let e = IndexSpec::from_server(&doc! {"key": {"a": 1}, "name": "x", "weights": 3}).unwrap_err();
    assert_eq!(e.field, "weights");
}
