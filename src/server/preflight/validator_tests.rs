use super::*;

#[test]
fn a_schema_is_split_into_rules_named_as_written() {
    let v = doc! {
        "$jsonSchema": {"bsonType": "object", "required": ["a", "b"], "properties": {"a": {"bsonType": "int"}}},
        "status": {"$in": ["x"]},
    };
    let names: Vec<String> = rules_of(&v).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "bsonType",
            "required: a",
            "required: b",
            "properties.a",
            "status"
        ]
    );
}
