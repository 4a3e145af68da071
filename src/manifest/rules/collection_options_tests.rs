use super::*;

fn schema_problems(schema: bson::Document) -> Vec<String> {
    let mut out = Vec::new();
    validator_rules(&doc! {"$jsonSchema": schema}, &mut out);
    out.into_iter()
        .map(|f| format!("{}: {}", f.option, f.message))
        .collect()
}

#[test]
fn a_bson_type_typo_names_the_alias_it_meant() {
    let p = schema_problems(doc! {"properties": {"a": {"bsonType": "strin"}}});
    assert_eq!(
        p,
        ["validator.$jsonSchema.properties.a.bsonType: Unknown type name alias: strin: did you mean \"string\"?"]
    );
}
