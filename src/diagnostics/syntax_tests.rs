use super::*;

fn yaml_message(source: &str) -> (Option<Position>, String) {
    let error = serde_yaml::from_str::<serde_yaml::Value>(source).unwrap_err();
    yaml(&error, source)
}

#[test]
fn a_key_one_column_short_of_its_list_item_is_indented_under_the_items_key() {
    let source = "collections:\n  - name: messages\n   indexes: []\n";
    let (at, message) = yaml_message(source);
    assert_eq!(at.map(|p| (p.line, p.column)), Some((3, 4)));
    assert_eq!(
        message,
        "bad indentation: this line starts in column 4, but the keys of the list item on \
             line 2 start in column 5, after its `-`; indent this key to column 5, under `name` \
             (YAML nests by indentation)"
    );
    // An item out of line is still told to line its `-` up.
    let source = "collections:\n  - name: a\n   - name: b\n";
    assert!(yaml_message(source).1.contains("line the `-` up"));
}

#[test]
fn a_toml_null_becomes_an_extended_json_string() {
    assert_eq!(
        null_as_json_string("partialFilterExpression = { deletedAt = null }").as_deref(),
        Some(r#"partialFilterExpression = '{"deletedAt": null}'"#)
    );
    assert_eq!(
        null_as_json_string(r#"f = { a = null, "b.c" = { "$in" = [1, null] }, s = "null" }"#)
            .as_deref(),
        Some(r#"f = '{"a": null, "b.c": {"$in": [1, null]}, "s": "null"}'"#)
    );
    assert_eq!(
        null_as_json_string(r#"f = { a = null, s = "it's" }"#).as_deref(),
        Some(r#"f = "{\"a\": null, \"s\": \"it's\"}""#)
    );
    assert_eq!(null_as_json_string("f = null"), None);
    assert_eq!(null_as_json_string("[table]"), None);
}
