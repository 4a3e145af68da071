use super::*;

#[test]
fn a_collections_options_are_listed_and_no_migrations_say_none() {
    let manifests = Manifests {
        public: vec![Collection {
            name: "messages".into(),
            options: Some(bson::doc! {
                "validator": {"$jsonSchema": {"required": ["at"]}},
                "validationLevel": "strict",
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let discovered: Discovered = Ok((&[], &[]));
    let out = text(&manifests, &[], &discovered, None);
    assert!(
            out.contains(
                "  messages  validator={\"$jsonSchema\":{\"required\":[\"at\"]}}  validationLevel=\"strict\"\n"
            ),
            "{out}"
        );
    assert!(out.contains("migrations: none\n"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&json(&manifests, &[], &discovered, None)).unwrap();
    let listed = &doc["manifests"]["public"][0]["options"];
    assert_eq!(listed["validationLevel"], "strict", "{doc}");
}
