//! The server's rules for collection options, each with the message
//! `mongod` 6.0.5 gives (checked by tests/it/differential.rs against a real one).

use super::options::ignored_on_a_view;
use super::*;

/// A collection declaration read from YAML (one mapping, as in a manifest).
fn decl(yaml: &str) -> CollectionDecl {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn findings(yaml: &str) -> (Option<Document>, Vec<Finding>) {
    collection_options_for(
        &decl(yaml),
        crate::model::release::Release::DEFAULT,
        crate::diagnostics::Format::Yaml,
    )
}

/// The errors, as `option: message`.
fn errors(yaml: &str) -> Vec<String> {
    findings(yaml)
        .1
        .into_iter()
        .filter(|f| !f.warning)
        .map(|f| format!("{}: {}", f.option, f.message))
        .collect()
}

fn warnings(yaml: &str) -> Vec<String> {
    findings(yaml)
        .1
        .into_iter()
        .filter(|f| f.warning)
        .map(|f| format!("{}: {}", f.option, f.message))
        .collect()
}

fn accepted(yaml: &str) {
    assert_eq!(errors(yaml), Vec::<String>::new(), "{yaml}");
}

fn schema_problems(schema: bson::Document) -> Vec<String> {
    let mut out = Vec::new();
    validator_rules(&doc! {"$jsonSchema": schema}, &mut out);
    out.into_iter()
        .map(|f| format!("{}: {}", f.option, f.message))
        .collect()
}

fn validator_problems(validator: bson::Document) -> Vec<String> {
    let mut out = Vec::new();
    validator_rules(&validator, &mut out);
    out.into_iter()
        .map(|f| format!("{}: {}", f.option, f.message))
        .collect()
}

fn pipeline_problems(stages: Vec<bson::Document>) -> Vec<String> {
    let mut out = Vec::new();
    let stages: Vec<Bson> = stages.into_iter().map(Bson::Document).collect();
    pipeline_rules(&stages, &mut out);
    out.into_iter()
        .filter(|f| !f.warning)
        .map(|f| format!("{}: {}", f.option, f.message))
        .collect()
}

// The declaration in create's form.

#[test]
fn the_options_are_read_into_creates_form() {
    let (o, f) = findings(
        "name: events\nvalidator: { $jsonSchema: { required: [a] } }\nvalidationLevel: moderate\n\
         validationAction: warn\ncollation: { locale: fr, strength: 2 }\ncapped: true\nsize: 1000\nmax: 5\n\
         changeStreamPreAndPostImages: { enabled: true }\n",
    );
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(
        o.unwrap(),
        doc! {
            "validator": {"$jsonSchema": {"required": ["a"]}},
            "validationLevel": "moderate",
            "validationAction": "warn",
            "collation": {"locale": "fr", "strength": 2},
            "capped": true,
            "size": Bson::Int64(1000),
            "max": Bson::Int64(5),
            "changeStreamPreAndPostImages": {"enabled": true},
        }
    );
    let (o, _) = findings(
        "name: m\ntimeseries: { timeField: t, metaField: m, granularity: minutes }\nexpireAfterSeconds: off\n",
    );
    assert_eq!(
        o.unwrap(),
        doc! {"timeseries": {"timeField": "t", "metaField": "m", "granularity": "minutes"}, "expireAfterSeconds": "off"}
    );
    let (o, _) = findings("name: v\nviewOn: events\npipeline: [{ $match: { a: 1 } }]\n");
    assert_eq!(
        o.unwrap(),
        doc! {"viewOn": "events", "pipeline": [{"$match": {"a": 1}}]}
    );
}

#[test]
fn a_collection_with_no_options_has_none() {
    let (o, f) = findings("name: events\nindexes: []\n");
    assert_eq!(o, None);
    assert!(f.is_empty());
}

#[test]
fn a_fractional_size_is_kept_as_written() {
    // The server truncates it; compare_options compares it rounded up to 256.
    let (o, _) = findings("name: c\ncapped: true\nsize: 1000.5\n");
    assert_eq!(o.unwrap().get("size"), Some(&Bson::Double(1000.5)));
    let (o, _) = findings("name: c\ncapped: true\nsize: 2048.0\n");
    assert_eq!(o.unwrap().get("size"), Some(&Bson::Int64(2048)));
}

// $jsonSchema.

#[test]
fn a_bson_type_typo_names_the_alias_it_meant() {
    let p = schema_problems(doc! {"properties": {"a": {"bsonType": "strin"}}});
    assert_eq!(
        p,
        ["validator.$jsonSchema.properties.a.bsonType: Unknown type name alias: strin: did you mean \"string\"?"]
    );
}

#[test]
fn an_unknown_schema_keyword_is_the_servers_error_with_a_did_you_mean() {
    assert_eq!(
        schema_problems(doc! {"requird": ["a"]}),
        ["validator.$jsonSchema.requird: Unknown $jsonSchema keyword: requird: did you mean \"required\"?"]
    );
    assert_eq!(
        schema_problems(doc! {"foo": 1}),
        ["validator.$jsonSchema.foo: Unknown $jsonSchema keyword: foo"]
    );
    // At any depth.
    assert_eq!(
        schema_problems(doc! {"properties": {"a": {"maxLenght": 3}}}),
        ["validator.$jsonSchema.properties.a.maxLenght: Unknown $jsonSchema keyword: maxLenght: did you mean \"maxLength\"?"]
    );
}

#[test]
fn json_schema_keywords_the_server_does_not_support_are_refused() {
    for k in ["format", "$ref", "$schema", "default", "definitions", "id"] {
        let mut s = bson::Document::new();
        s.insert(k, "x");
        assert_eq!(
            schema_problems(s),
            [format!(
                "validator.$jsonSchema.{k}: $jsonSchema keyword '{k}' is not currently supported"
            )]
        );
    }
}

#[test]
fn type_integer_is_not_supported_and_unknown_types_are_aliases() {
    assert_eq!(
        schema_problems(doc! {"type": "integer"}),
        ["validator.$jsonSchema.type: $jsonSchema type 'integer' is not currently supported.: use bsonType \"int\" or \"long\""]
    );
    assert_eq!(
        schema_problems(doc! {"bsonType": "integer"}),
        ["validator.$jsonSchema.bsonType: $jsonSchema type 'integer' is not currently supported.: use bsonType \"int\" or \"long\""]
    );
    // `type` takes JSON's names: "int" and "date" are bsonType's.
    assert_eq!(
        schema_problems(doc! {"type": "date"}),
        ["validator.$jsonSchema.type: Unknown type name alias: date"]
    );
    assert_eq!(
        schema_problems(doc! {"bsonType": "boolean"}),
        ["validator.$jsonSchema.bsonType: Unknown type name alias: boolean: did you mean \"bool\"?"]
    );
    assert!(schema_problems(doc! {"type": "boolean"}).is_empty());
    assert!(schema_problems(doc! {"bsonType": ["bool", "null", "number", "decimal"]}).is_empty());
}

#[test]
fn type_lists_name_a_type_once_at_least_once_and_not_both_keywords() {
    assert_eq!(
        schema_problems(doc! {"bsonType": []}),
        ["validator.$jsonSchema.bsonType: $jsonSchema keyword 'bsonType' must name at least one type"]
    );
    assert_eq!(
        schema_problems(doc! {"type": ["string", "string"]}),
        ["validator.$jsonSchema.type: $jsonSchema keyword 'type' has duplicate value: string"]
    );
    assert_eq!(
        schema_problems(doc! {"bsonType": 2}),
        ["validator.$jsonSchema.bsonType: $jsonSchema keyword 'bsonType' must be either a string or an array of strings"]
    );
    assert_eq!(
        schema_problems(doc! {"type": "object", "bsonType": "object"}),
        ["validator.$jsonSchema: Cannot specify both $jsonSchema keywords 'type' and 'bsonType'"]
    );
}

#[test]
fn numeric_keywords_take_numbers() {
    assert_eq!(
        schema_problems(doc! {"minimum": "x"}),
        ["validator.$jsonSchema.minimum: $jsonSchema keyword 'minimum' must be a number"]
    );
    assert!(schema_problems(doc! {"maximum": bson::Decimal128::from_bytes([0; 16])}).is_empty());
    assert_eq!(
        schema_problems(doc! {"multipleOf": 0}),
        ["validator.$jsonSchema.multipleOf: $jsonSchema keyword 'multipleOf' must have a positive value"]
    );
    assert_eq!(
        schema_problems(doc! {"multipleOf": -1.5}),
        ["validator.$jsonSchema.multipleOf: $jsonSchema keyword 'multipleOf' must have a positive value"]
    );
}

#[test]
fn length_and_count_keywords_take_whole_non_negative_numbers() {
    assert_eq!(
        schema_problems(doc! {"minLength": -1}),
        ["validator.$jsonSchema.minLength: Expected a non-negative number in: minLength: -1"]
    );
    assert_eq!(
        schema_problems(doc! {"maxItems": 1.5}),
        ["validator.$jsonSchema.maxItems: Expected an integer: maxItems: 1.5"]
    );
    assert_eq!(
        schema_problems(doc! {"maxProperties": "x"}),
        ["validator.$jsonSchema.maxProperties: Expected a number in: maxProperties: \"x\""]
    );
    assert!(schema_problems(
        doc! {"minLength": 1.0, "maxLength": Bson::Int64(5), "minItems": 0, "maxProperties": 0}
    )
    .is_empty());
}

#[test]
fn exclusive_bounds_are_booleans_next_to_their_bound() {
    assert_eq!(
        schema_problems(doc! {"exclusiveMinimum": true}),
        ["validator.$jsonSchema.exclusiveMinimum: $jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present"]
    );
    assert_eq!(
        schema_problems(doc! {"maximum": 5, "exclusiveMaximum": 5}),
        ["validator.$jsonSchema.exclusiveMaximum: $jsonSchema keyword 'exclusiveMaximum' must be a boolean"]
    );
    assert!(schema_problems(doc! {"minimum": 1, "exclusiveMinimum": true}).is_empty());
    assert_eq!(
        schema_problems(doc! {"uniqueItems": 1}),
        ["validator.$jsonSchema.uniqueItems: $jsonSchema keyword 'uniqueItems' must be a boolean"]
    );
}

#[test]
fn required_is_a_non_empty_list_of_distinct_strings() {
    assert_eq!(
        schema_problems(doc! {"required": []}),
        ["validator.$jsonSchema.required: $jsonSchema keyword 'required' cannot be an empty array"]
    );
    assert_eq!(
        schema_problems(doc! {"required": ["a", "a"]}),
        ["validator.$jsonSchema.required: $jsonSchema keyword 'required' array cannot contain duplicate values"]
    );
    assert_eq!(
        schema_problems(doc! {"required": [1]}),
        ["validator.$jsonSchema.required: $jsonSchema keyword 'required' must be an array of strings, but found an element of type: int"]
    );
    assert_eq!(
        schema_problems(doc! {"required": "a"}),
        ["validator.$jsonSchema.required: $jsonSchema keyword 'required' must be an array, but found an element of type string"]
    );
}

#[test]
fn enum_is_a_non_empty_list_of_distinct_values() {
    assert_eq!(
        schema_problems(doc! {"enum": []}),
        ["validator.$jsonSchema.enum: $jsonSchema keyword 'enum' cannot be an empty array"]
    );
    assert_eq!(
        schema_problems(doc! {"enum": [1, 1.0]}),
        ["validator.$jsonSchema.enum: $jsonSchema keyword 'enum' array cannot contain duplicate values."]
    );
    assert_eq!(
        schema_problems(doc! {"enum": 1}),
        ["validator.$jsonSchema.enum: $jsonSchema keyword 'enum' must be an array, but found an element of type int"]
    );
    assert!(schema_problems(doc! {"enum": [1, "1", null]}).is_empty());
}

#[test]
fn nested_schemas_are_objects() {
    assert_eq!(
        schema_problems(doc! {"properties": {"a": 1}}),
        ["validator.$jsonSchema.properties.a: Nested schema for $jsonSchema property 'a' must be an object, but found an element of type int"]
    );
    assert_eq!(
        schema_problems(doc! {"items": true}),
        ["validator.$jsonSchema.items: $jsonSchema keyword 'items' must be an array or an object, not bool"]
    );
    assert_eq!(
        schema_problems(doc! {"additionalProperties": 1}),
        ["validator.$jsonSchema.additionalProperties: $jsonSchema keyword 'additionalProperties' must be an object or a boolean"]
    );
    assert_eq!(
        schema_problems(doc! {"allOf": []}),
        ["validator.$jsonSchema.allOf: $jsonSchema keyword 'allOf' must be a non-empty array"]
    );
    assert_eq!(
        schema_problems(doc! {"anyOf": [1]}),
        ["validator.$jsonSchema.anyOf[0]: $jsonSchema keyword 'anyOf' must be an array of objects, but found an element of type int"]
    );
    assert_eq!(
        schema_problems(doc! {"not": 1}),
        ["validator.$jsonSchema.not: $jsonSchema keyword 'not' must be an object, but found an element of type int"]
    );
    assert_eq!(
        schema_problems(doc! {"title": 1}),
        ["validator.$jsonSchema.title: $jsonSchema keyword 'title' must be of type string"]
    );
    assert!(schema_problems(doc! {
        "items": [], "additionalItems": true, "not": {}, "oneOf": [{}],
        "properties": {"a": {"items": {"bsonType": "int"}}}, "description": "d"
    })
    .is_empty());
}

#[test]
fn dependencies_are_schemas_or_lists_of_distinct_property_names() {
    assert!(
        schema_problems(doc! {"dependencies": {"a": ["b"], "c": {"required": ["d"]}}}).is_empty()
    );
    assert_eq!(
        schema_problems(doc! {"dependencies": {"a": []}}),
        ["validator.$jsonSchema.dependencies.a: property 'a' in $jsonSchema keyword 'dependencies' cannot be an empty array"]
    );
    assert_eq!(
        schema_problems(doc! {"dependencies": {"a": ["b", "b"]}}),
        ["validator.$jsonSchema.dependencies.a: array 'a' in $jsonSchema keyword 'dependencies' contains duplicate element: b"]
    );
    assert_eq!(
        schema_problems(doc! {"dependencies": {"a": [1]}}),
        ["validator.$jsonSchema.dependencies.a: array 'a' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: int"]
    );
    assert_eq!(
        schema_problems(doc! {"dependencies": {"a": 1}}),
        ["validator.$jsonSchema.dependencies.a: property 'a' in $jsonSchema keyword 'dependencies' must be either an object or an array"]
    );
}

#[test]
fn a_json_schema_is_an_object() {
    assert_eq!(
        validator_problems(doc! {"$jsonSchema": "x"}),
        ["validator.$jsonSchema: $jsonSchema must be an object"]
    );
}

// Query validators.

#[test]
fn near_text_and_where_are_not_allowed_in_a_validator() {
    assert_eq!(
        validator_problems(doc! {"loc": {"$near": [0, 0]}}),
        ["validator.loc.$near: $geoNear, $near, and $nearSphere are not allowed in this context"]
    );
    assert_eq!(
        validator_problems(doc! {"$or": [{"loc": {"$nearSphere": [0, 0]}}]}),
        ["validator.$or[0].loc.$nearSphere: $geoNear, $near, and $nearSphere are not allowed in this context"]
    );
    assert_eq!(
        validator_problems(doc! {"$text": {"$search": "x"}}),
        ["validator.$text: $text is not allowed in this context"]
    );
    assert_eq!(
        validator_problems(doc! {"$where": "true"}),
        ["validator.$where: $where is not allowed in this context"]
    );
    // Under $not and $elemMatch too.
    assert_eq!(
        validator_problems(doc! {"a": {"$not": {"$near": [0, 0]}}}),
        ["validator.a.$not.$near: $geoNear, $near, and $nearSphere are not allowed in this context"]
    );
    assert_eq!(
        validator_problems(doc! {"a": {"$elemMatch": {"$where": "1"}}}),
        ["validator.a.$elemMatch.$where: $where is not allowed in this context"]
    );
}

#[test]
fn a_json_schema_under_and_or_nor_is_checked_too() {
    assert_eq!(
        validator_problems(doc! {"$nor": [{"$jsonSchema": {"bsonType": "strin"}}]}),
        ["validator.$nor[0].$jsonSchema.bsonType: Unknown type name alias: strin: did you mean \"string\"?"]
    );
    assert_eq!(
        validator_problems(doc! {"$and": [{"$jsonSchema": {"foo": 1}}]}),
        ["validator.$and[0].$jsonSchema.foo: Unknown $jsonSchema keyword: foo"]
    );
}

#[test]
fn unknown_query_operators_are_refused() {
    assert_eq!(
        validator_problems(doc! {"a": {"$unknownOp": 1}}),
        ["validator.a.$unknownOp: unknown operator: $unknownOp"]
    );
    assert_eq!(
        validator_problems(doc! {"a": {"$exist": true}}),
        ["validator.a.$exist: unknown operator: $exist: did you mean \"$exists\"?"]
    );
    assert_eq!(
        validator_problems(doc! {"$foo": 1}),
        ["validator.$foo: unknown top level operator: $foo. If you have a field name that starts with a '$' symbol, consider using $getField or $setField."]
    );
    assert_eq!(
        validator_problems(doc! {"a": {"$jsonSchema": {}}}),
        ["validator.a.$jsonSchema: unknown operator: $jsonSchema"]
    );
    assert_eq!(
        validator_problems(doc! {"a": 1, "$and": []}),
        ["validator.$and: $and/$or/$nor must be a nonempty array"]
    );
    assert_eq!(
        validator_problems(doc! {"a": {"$type": "strin"}}),
        ["validator.a.$type: Unknown type name alias: strin: did you mean \"string\"?"]
    );
}

#[test]
fn the_query_language_a_validator_may_use_is_accepted() {
    assert!(validator_problems(doc! {
        "$jsonSchema": {"required": ["a"]},
        "a": {"$exists": true, "$type": ["string", "null"]},
        "b": {"$gt": 1, "$lt": 5},
        "c": {"$in": [1, 2]},
        "d": {"x": 1},
        "e": {"$elemMatch": {"x": {"$gte": 1}}},
        "f": {"$elemMatch": {"$gte": 1}},
        "g": {"$geoWithin": {"$center": [[0, 0], 1]}},
        "h": {"$regex": "^x", "$options": "i"},
        "$expr": {"$eq": ["$a", 1]},
        "$comment": "why",
        "$or": [{"i": 1}, {"j": {"$not": {"$size": 0}}}],
    })
    .is_empty());
}

// Views.

#[test]
fn stages_that_write_or_stream_are_not_allowed_in_a_view() {
    assert_eq!(
        pipeline_problems(vec![doc! {"$match": {"a": 1}}, doc! {"$out": "x"}]),
        ["pipeline[1].$out: The aggregation stage $out in location 1 of the pipeline cannot be used in the view definition because it writes to disk"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$merge": {"into": "x"}}]),
        ["pipeline[0].$merge: The aggregation stage $merge in location 0 of the pipeline cannot be used in the view definition because it writes to disk"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$changeStream": {}}]),
        ["pipeline[0].$changeStream: $changeStream cannot be used in a view definition"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$documents": [{"a": 1}]}]),
        ["pipeline[0].$documents: '$documents' cannot be used in a view definition"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$currentOp": {}}]),
        ["pipeline[0].$currentOp: $currentOp reads the server, not a collection: it must be run against the 'admin' database with {aggregate: 1}, not in a view"]
    );
}

#[test]
fn sub_pipelines_may_not_write_either() {
    assert_eq!(
        pipeline_problems(vec![
            doc! {"$lookup": {"from": "x", "pipeline": [{"$out": "y"}], "as": "c"}}
        ]),
        ["pipeline[0].$lookup.pipeline[0].$out: $out is not allowed within a $lookup's sub-pipeline"]
    );
    assert_eq!(
        pipeline_problems(vec![
            doc! {"$unionWith": {"coll": "x", "pipeline": [{"$merge": {"into": "y"}}]}}
        ]),
        ["pipeline[0].$unionWith.pipeline[0].$merge: $merge is not allowed within a $unionWith's sub-pipeline"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$facet": {"a": [{"$out": "y"}]}}]),
        ["pipeline[0].$facet.a[0].$out: $out is not allowed to be used within a $facet stage"]
    );
    // $documents may start a $lookup's sub-pipeline.
    assert!(pipeline_problems(vec![
        doc! {"$lookup": {"from": "x", "pipeline": [{"$documents": [{"a": 1}]}], "as": "c"}}
    ])
    .is_empty());
}

#[test]
fn unknown_stages_are_refused_and_atlas_search_is_a_warning() {
    assert_eq!(
        pipeline_problems(vec![doc! {"$foo": 1}]),
        ["pipeline[0].$foo: Unrecognized pipeline stage name: '$foo'"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$projet": {"a": 1}}]),
        ["pipeline[0].$projet: Unrecognized pipeline stage name: '$projet': did you mean \"$project\"?"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"match": {"a": 1}}]),
        ["pipeline[0].match: Unrecognized pipeline stage name: 'match': did you mean \"$match\"?"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$match": {"a": 1}, "$project": {"a": 1}}]),
        ["pipeline[0]: A pipeline stage specification object must contain exactly one field."]
    );
    let mut out = Vec::new();
    pipeline_rules(&[Bson::Document(doc! {"$search": {}})], &mut out);
    assert_eq!(out.len(), 1);
    assert!(out[0].warning && out[0].message.contains("Atlas Search"));
}

#[test]
fn a_views_match_refuses_near_and_where_but_takes_text() {
    assert_eq!(
        pipeline_problems(vec![doc! {"$match": {"$where": "1"}}]),
        ["pipeline[0].$match.$where: $where is not allowed in this context"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$match": {"loc": {"$near": [0, 0]}}}]),
        ["pipeline[0].$match.loc.$near: $geoNear, $near, and $nearSphere are not allowed in this context"]
    );
    assert!(pipeline_problems(vec![doc! {"$match": {"$text": {"$search": "x"}}}]).is_empty());
    assert_eq!(
        pipeline_problems(vec![
            doc! {"$lookup": {"from": "x", "pipeline": [{"$match": {"$where": "1"}}], "as": "c"}}
        ]),
        ["pipeline[0].$lookup.pipeline[0].$match.$where: $where is not allowed in this context"]
    );
}

#[test]
fn text_search_is_the_first_stage_of_its_pipeline_and_on_the_top_level_document() {
    let text = doc! {"$match": {"$text": {"$search": "x"}}};
    assert_eq!(
        pipeline_problems(vec![doc! {"$limit": 1}, text.clone()]),
        ["pipeline[1].$match: $match with $text is only allowed as the first pipeline stage"]
    );
    assert_eq!(
        pipeline_problems(vec![
            doc! {"$limit": 1},
            doc! {"$match": {"$or": [{"$text": {"$search": "x"}}, {"a": 1}]}}
        ]),
        ["pipeline[1].$match: $match with $text is only allowed as the first pipeline stage"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$lookup": {"from": "o", "pipeline": [{"$limit": 1}, text.clone()], "as": "c"}}]),
        ["pipeline[0].$lookup.pipeline[1].$match: $match with $text is only allowed as the first pipeline stage"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$match": {"a": {"$elemMatch": {"$text": {"$search": "x"}}}}}]),
        ["pipeline[0].$match.a.$elemMatch.$text: $text can only be applied to the top-level document"]
    );
    assert!(pipeline_problems(vec![
        text.clone(),
        doc! {"$lookup": {"from": "o", "pipeline": [text.clone()], "as": "c"}},
        doc! {"$facet": {"a": [text]}},
    ])
    .is_empty());
}

#[test]
fn some_stages_only_start_a_pipeline_and_some_are_not_in_a_facet() {
    assert_eq!(
        pipeline_problems(vec![doc! {"$count": "n"}, doc! {"$collStats": {}}]),
        ["pipeline[1].$collStats: $collStats is only valid as the first stage in a pipeline"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$lookup": {"from": "o", "pipeline": [{"$limit": 1}, {"$indexStats": {}}], "as": "c"}}]),
        ["pipeline[0].$lookup.pipeline[1].$indexStats: $indexStats is only valid as the first stage in a pipeline"]
    );
    assert_eq!(
        pipeline_problems(vec![doc! {"$facet": {"a": [{"$geoNear": {"near": [0, 0], "distanceField": "d"}}], "b": [{"$facet": {}}]}}]),
        [
            "pipeline[0].$facet.a[0].$geoNear: $geoNear is not allowed to be used within a $facet stage",
            "pipeline[0].$facet.b[0].$facet: $facet is not allowed to be used within a $facet stage",
        ]
    );
    // The server takes these.
    assert!(pipeline_problems(vec![
        doc! {"$collStats": {}},
        doc! {"$geoNear": {"near": [0, 0], "distanceField": "d"}},
        doc! {"$lookup": {"from": "o", "pipeline": [{"$collStats": {}}], "as": "c"}},
        doc! {"$facet": {"a": [{"$unionWith": "o"}], "b": []}},
    ])
    .is_empty());
}

#[test]
fn geo_near_comes_first_in_a_union_with_s_pipeline_which_is_optimized() {
    let geo = doc! {"$geoNear": {"near": [0, 0], "distanceField": "d"}};
    let sort = doc! {"$sort": {"a": 1}};
    let union = |inner: Vec<bson::Document>| doc! {"$unionWith": {"coll": "o", "pipeline": inner}};
    assert_eq!(
        pipeline_problems(vec![union(vec![sort.clone(), geo.clone()])]),
        ["pipeline[0].$unionWith.pipeline[1].$geoNear: $geoNear is only valid as the first stage in an optimized pipeline"]
    );
    // Under a $lookup, or in $facet's own pipelines, the $unionWith's still is.
    let lookup = doc! {"$lookup": {"from": "o", "pipeline": [union(vec![sort.clone(), geo.clone()])], "as": "x"}};
    assert_eq!(pipeline_problems(vec![lookup]).len(), 1);
    // First in it; or after another stage in the view's own pipeline or a
    // $lookup's, which mongod does not optimize when the view is created.
    assert!(pipeline_problems(vec![union(vec![geo.clone(), sort.clone()])]).is_empty());
    assert!(pipeline_problems(vec![sort.clone(), geo.clone()]).is_empty());
    let lookup = doc! {"$lookup": {"from": "o", "pipeline": [sort, geo], "as": "x"}};
    assert!(pipeline_problems(vec![lookup]).is_empty());
}

#[test]
fn a_projection_includes_or_excludes_but_not_both() {
    let project = |p: bson::Document| pipeline_problems(vec![doc! {"$project": p}]);
    assert_eq!(
        project(doc! {"a": 1, "b": 0}),
        ["pipeline[0].$project.b: Invalid $project :: caused by :: Cannot do exclusion on field b in inclusion projection"]
    );
    assert_eq!(
        project(doc! {"a": false, "b": true}),
        ["pipeline[0].$project.b: Invalid $project :: caused by :: Cannot do inclusion on field b in exclusion projection"]
    );
    assert_eq!(
        project(doc! {"a": 0, "b": "$c"}),
        ["pipeline[0].$project.b: Invalid $project :: caused by :: Cannot use an expression b: \"$c\" in an exclusion projection"]
    );
    assert_eq!(
        project(doc! {}),
        ["pipeline[0].$project: Invalid $project :: caused by :: projection specification must have at least one field"]
    );
    assert!(project(doc! {"_id": 0, "b": 1}).is_empty());
    assert!(project(doc! {"b": 1, "_id": 0, "c": "$d"}).is_empty());
    assert!(project(doc! {"a": 0, "_id": 1, "b": 0}).is_empty());
}

#[test]
fn the_stages_a_view_may_use_are_accepted() {
    assert!(pipeline_problems(vec![
        doc! {"$collStats": {}},
        doc! {"$match": {"a": 1}},
        doc! {"$geoNear": {"near": [0, 0], "distanceField": "d"}},
        doc! {"$lookup": {"from": "x", "localField": "a", "foreignField": "b", "as": "c"}},
        doc! {"$unionWith": "x"},
        doc! {"$set": {"a": 1}},
        doc! {"$unset": "b"},
        doc! {"$group": {"_id": "$a"}},
        doc! {"$sort": {"a": 1}},
        doc! {"$limit": 5},
        doc! {"$facet": {"a": [{"$count": "n"}]}},
    ])
    .is_empty());
}

#[test]
fn a_view_takes_only_its_own_options() {
    // What the server ignores on a view, mig refuses (on purpose).
    for option in [
        "validator: { a: 1 }",
        "validationLevel: moderate",
        "validationAction: warn",
    ] {
        let e = errors(&format!("name: v\nviewOn: src\n{option}\n"));
        let key = option.split(':').next().unwrap();
        assert_eq!(e, [format!("{key}: {}", ignored_on_a_view(key))]);
    }
    assert_eq!(
        errors("name: v\nviewOn: src\ncapped: true\nsize: 1000\n"),
        [
            format!("capped: {}", ignored_on_a_view("capped")),
            format!("size: {}", ignored_on_a_view("size")),
        ]
    );
    // What the server refuses on a view, with its message.
    assert_eq!(
        errors("name: v\nviewOn: src\ntimeseries: { timeField: t }\n"),
        ["timeseries: 'timeseries' is not allowed with 'viewOn'"]
    );
    assert_eq!(
        errors("name: v\nviewOn: src\nclusteredIndex: { key: { _id: 1 }, unique: true }\n"),
        ["clusteredIndex: The 'clusteredIndex' option is not supported with views"]
    );
    assert_eq!(
        errors("name: v\nviewOn: src\nchangeStreamPreAndPostImages: { enabled: true }\n"),
        ["changeStreamPreAndPostImages: option not supported on a view: changeStreamPreAndPostImages"]
    );
    // Not enabled, the server takes it and ignores it.
    assert_eq!(
        errors("name: v\nviewOn: src\nchangeStreamPreAndPostImages: { enabled: false }\n"),
        [format!(
            "changeStreamPreAndPostImages: {}",
            ignored_on_a_view("changeStreamPreAndPostImages")
        )]
    );
    accepted("name: v\nviewOn: src\ncollation: { locale: fr }\npipeline: []\n");
}

#[test]
fn a_view_has_no_indexes() {
    assert_eq!(
        errors("name: v\nviewOn: src\nindexes: [{ keys: { a: 1 } }]\n"),
        ["indexes: a view has no indexes of its own: index the collection it reads"]
    );
}

#[test]
fn a_view_reads_a_named_collection() {
    assert_eq!(
        errors("name: v\nviewOn: ''\n"),
        ["viewOn: 'viewOn' cannot be empty"]
    );
    assert_eq!(
        errors("name: v\nviewOn: a$b\n"),
        ["viewOn: invalid name for 'viewOn': a$b"]
    );
    assert_eq!(
        errors("name: c\npipeline: []\n"),
        ["pipeline: 'pipeline' requires 'viewOn' to also be specified"]
    );
}

// Capped.

#[test]
fn capped_needs_a_size_and_a_size_needs_capped() {
    assert_eq!(
        errors("name: c\ncapped: true\n"),
        ["capped: the 'size' field is required when 'capped' is true"]
    );
    let both =
        "the 'capped' field needs to be true when either the 'size' or 'max' fields are present";
    assert_eq!(errors("name: c\nsize: 1000\n"), [format!("size: {both}")]);
    assert_eq!(errors("name: c\nmax: 10\n"), [format!("max: {both}")]);
    assert_eq!(
        errors("name: c\ncapped: false\nsize: 1000\n"),
        [format!("size: {both}")]
    );
    accepted("name: c\ncapped: true\nsize: 1000\nmax: 10\n");
    accepted("name: c\ncapped: false\n");
}

#[test]
fn a_capped_size_is_between_1_byte_and_1_pb() {
    assert_eq!(
        errors("name: c\ncapped: true\nsize: 0\n"),
        ["size: BSON field 'size' value must be >= 1, actual value '0'"]
    );
    assert_eq!(
        errors("name: c\ncapped: true\nsize: -1\n"),
        ["size: BSON field 'size' value must be >= 1, actual value '-1'"]
    );
    assert_eq!(
        errors("name: c\ncapped: true\nsize: 1125899906842625\n"),
        ["size: BSON field 'size' value must be <= 1125899906842624, actual value '1125899906842625' (1 PB)"]
    );
    accepted("name: c\ncapped: true\nsize: 1125899906842624\n");
    accepted("name: c\ncapped: true\nsize: 1\n");
}

#[test]
fn a_capped_max_is_below_2_to_the_31_and_zero_or_less_means_none() {
    assert_eq!(
        errors("name: c\ncapped: true\nsize: 1000\nmax: 2147483648\n"),
        ["max: BSON field 'max' value must be < 2147483648, actual value '2147483648'"]
    );
    accepted("name: c\ncapped: true\nsize: 1000\nmax: 2147483647\n");
    for max in ["0", "-1"] {
        let yaml = format!("name: c\ncapped: true\nsize: 1000\nmax: {max}\n");
        accepted(&yaml);
        assert_eq!(
            warnings(&yaml),
            [format!("max: max {max} means no limit on the number of documents: the server stores 2147483647 (leave max out to say so)")]
        );
    }
}

// Time-series.

#[test]
fn timeseries_goes_with_a_collation_and_a_ttl_only() {
    for (option, yaml) in [
        ("capped", "capped: true\nsize: 1000"),
        (
            "changeStreamPreAndPostImages",
            "changeStreamPreAndPostImages: { enabled: false }",
        ),
        (
            "clusteredIndex",
            "clusteredIndex: { key: { _id: 1 }, unique: true }",
        ),
        ("validator", "validator: { a: 1 }"),
        ("validationLevel", "validationLevel: moderate"),
        ("validationAction", "validationAction: warn"),
    ] {
        let e = errors(&format!(
            "name: m\ntimeseries: {{ timeField: t }}\n{yaml}\n"
        ));
        assert!(
            e.contains(&format!(
                "{option}: 'timeseries' is not allowed with '{option}'"
            )),
            "{option}: {e:?}"
        );
    }
    accepted("name: m\ntimeseries: { timeField: t }\ncollation: { locale: fr }\nexpireAfterSeconds: 60\n");
    // `capped: false` is the default: the server takes it.
    accepted("name: m\ntimeseries: { timeField: t }\ncapped: false\n");
}

#[test]
fn time_and_meta_fields_are_top_level_distinct_and_meta_is_not_id() {
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: a.b }\n"),
        ["timeseries.timeField: 'timeField' must be a top-level field and not contain a '.'"]
    );
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t, metaField: a.b }\n"),
        ["timeseries.metaField: 'metaField' must be a top-level field and not contain a '.'"]
    );
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t, metaField: _id }\n"),
        ["timeseries.metaField: 'metaField' cannot be \"_id\""]
    );
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t, metaField: t }\n"),
        ["timeseries.metaField: 'metaField' cannot be the same as 'timeField'"]
    );
    // The server takes these (6.0.5).
    accepted("name: m\ntimeseries: { timeField: '' }\n");
    accepted("name: m\ntimeseries: { timeField: _id, metaField: '' }\n");
}

#[test]
fn custom_bucketing_is_refused_before_6_3() {
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t, bucketMaxSpanSeconds: 3600, bucketRoundingSeconds: 3600 }\n"),
        ["timeseries.bucketRoundingSeconds: BSON field 'create.timeseries.bucketRoundingSeconds' is an unknown field (custom bucketing needs MongoDB 6.3)"]
    );
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t, bucketMaxSpanSeconds: 60 }\n"),
        ["timeseries.bucketMaxSpanSeconds: Timeseries 'bucketMaxSpanSeconds' is not configurable to a value other than the default of 3600 for the provided granularity (custom bucketing needs MongoDB 6.3)"]
    );
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t, granularity: hours, bucketMaxSpanSeconds: 3600 }\n"),
        ["timeseries.bucketMaxSpanSeconds: Timeseries 'bucketMaxSpanSeconds' is not configurable to a value other than the default of 2592000 for the provided granularity (custom bucketing needs MongoDB 6.3)"]
    );
    // The granularity's own span is taken.
    accepted("name: m\ntimeseries: { timeField: t, bucketMaxSpanSeconds: 3600 }\n");
    accepted("name: m\ntimeseries: { timeField: t, granularity: minutes, bucketMaxSpanSeconds: 86400 }\n");
}

// expireAfterSeconds.

#[test]
fn expire_after_seconds_needs_a_time_series_or_clustered_collection() {
    let only = "expireAfterSeconds: 'expireAfterSeconds' is only supported on time-series collections or when the 'clusteredIndex' option is specified";
    assert_eq!(errors("name: c\nexpireAfterSeconds: 60\n"), [only]);
    assert_eq!(errors("name: c\nexpireAfterSeconds: off\n"), [only]);
    accepted("name: c\nclusteredIndex: { key: { _id: 1 }, unique: true }\nexpireAfterSeconds: 0\n");
    accepted("name: c\ntimeseries: { timeField: t }\nexpireAfterSeconds: off\n");
}

#[test]
fn expire_after_seconds_is_between_0_and_the_seconds_since_1970() {
    assert_eq!(
        errors("name: m\ntimeseries: { timeField: t }\nexpireAfterSeconds: -1\n"),
        ["expireAfterSeconds: TTL index 'expireAfterSeconds' option cannot be less than 0 (or \"off\")"]
    );
    // Not the 2^31 of a TTL index: the clock (1.79e9 in late 2026).
    let e = errors("name: m\ntimeseries: { timeField: t }\nexpireAfterSeconds: 4294967296\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("expireAfterSeconds: TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number"),
        "{e:?}"
    );
    accepted("name: m\ntimeseries: { timeField: t }\nexpireAfterSeconds: 1000000000\n");
}

// clusteredIndex.

#[test]
fn a_clustered_index_is_on_id_1_and_unique() {
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { a: 1 }, unique: true }\n"),
        ["clusteredIndex.key: The clusteredIndex option is only supported for key: {_id: 1}"]
    );
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { _id: -1 }, unique: true }\n"),
        ["clusteredIndex.key: The clusteredIndex option is only supported for key: {_id: 1}"]
    );
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { _id: 1 }, unique: false }\n"),
        ["clusteredIndex.unique: The clusteredIndex option requires unique: true to be specified"]
    );
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { _id: 1 } }\n"),
        ["clusteredIndex.unique: BSON field 'create.unique' is missing but a required field: unique: true"]
    );
    // The server takes `unique: 1` and `_id: 1.0`.
    accepted("name: c\nclusteredIndex: { key: { _id: 1.0 }, unique: 1, name: k, v: 2 }\n");
}

#[test]
fn a_clustered_index_has_v_2_a_string_name_and_no_other_field() {
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { _id: 1 }, unique: true, v: 1 }\n"),
        ["clusteredIndex.v: cannot create a clusteredIndex with v=1: v is 2 (or leave it out)"]
    );
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { _id: 1 }, unique: true, name: 5 }\n"),
        ["clusteredIndex.name: BSON field 'create.name' is the wrong type: a clustered index's name is a string"]
    );
    assert_eq!(
        errors("name: c\nclusteredIndex: { key: { _id: 1 }, unique: true, foo: 1 }\n"),
        ["clusteredIndex.foo: BSON field 'create.foo' is an unknown field (key, unique, name, v)"]
    );
}

#[test]
fn a_clustered_collection_is_not_capped() {
    let clustered = "clusteredIndex: { key: { _id: 1 }, unique: true }";
    assert_eq!(
        errors(&format!("name: c\n{clustered}\ncapped: true\nsize: 1000\n")),
        [
            "capped: Clustered capped collection only available with 'enableTestCommands' server parameter",
            "size: 'size' field for capped collections is not allowed on clustered collections (code 6049200). Did you mean 'capped: true' with 'expireAfterSeconds'?",
        ]
    );
    assert_eq!(
        errors(&format!("name: c\n{clustered}\nmax: 5\n")),
        ["max: 'max' field for capped collections is not allowed on clustered collections (code 6049204). Did you mean 'capped: true' with 'expireAfterSeconds'?"]
    );
    accepted(&format!(
        "name: c\n{clustered}\nvalidator: {{ a: 1 }}\ncollation: {{ locale: fr }}\nchangeStreamPreAndPostImages: {{ enabled: true }}\n"
    ));
}

// Where options may be declared.

#[test]
fn migs_own_collection_has_no_declared_options() {
    for name in ["mig", "mig.changelog"] {
        assert_eq!(
            errors(&format!("name: {name}\nvalidator: {{ a: 1 }}\n")),
            [format!(
                "name: {name:?} is mig's own collection: its options are not declared"
            )]
        );
    }
    // Indexes only: no options, no finding here.
    assert!(errors("name: mig\nindexes: []\n").is_empty());
    accepted("name: migrations\nvalidator: { a: 1 }\n");
}

#[test]
fn a_validator_given_as_extended_json_is_read_and_checked() {
    let (o, f) = findings(
        "name: c\nvalidator: '{\"at\": {\"$gt\": {\"$date\": \"2024-01-01T00:00:00Z\"}}, \"n\": {\"$numberLong\": \"5\"}}'\n",
    );
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(
        o.unwrap(),
        doc! {"validator": {"at": {"$gt": bson::DateTime::from_millis(1_704_067_200_000)}, "n": Bson::Int64(5)}}
    );
    assert_eq!(
        errors("name: c\nvalidator: '{\"a\": {\"$near\": [0, 0]}}'\n"),
        ["validator.a.$near: $geoNear, $near, and $nearSphere are not allowed in this context"]
    );
    let e = errors("name: c\nvalidator: '{\"a\": '\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("validator: invalid Extended JSON"),
        "{e:?}"
    );
}

#[test]
fn a_pipeline_given_as_extended_json_is_read_and_checked() {
    let (o, f) = findings(
        "name: v\nviewOn: src\npipeline: '[{\"$match\": {\"n\": {\"$numberLong\": \"5\"}}}, {\"$limit\": 3}]'\n",
    );
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(
        o.unwrap().get_array("pipeline").unwrap(),
        &vec![
            Bson::Document(doc! {"$match": {"n": Bson::Int64(5)}}),
            Bson::Document(doc! {"$limit": 3})
        ]
    );
    assert_eq!(
        errors("name: v\nviewOn: src\npipeline: '[{\"$out\": \"x\"}]'\n"),
        ["pipeline[0].$out: The aggregation stage $out in location 0 of the pipeline cannot be used in the view definition because it writes to disk"]
    );
    let e = errors("name: v\nviewOn: src\npipeline: '{\"$match\": {}}'\n");
    assert_eq!(e, ["pipeline: a pipeline is a list of stages"]);
    let e = errors("name: v\nviewOn: src\npipeline: [1]\n");
    assert_eq!(e, ["pipeline: stage 0 is not a document"]);
}
