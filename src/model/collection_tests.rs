//! Tests of the comparison of collection options with the server's form
//! (`listCollections`, as `mongod` 6.0.5 reports it), `collMod`, `create`'s
//! options and the `$listCatalog` read path. Pure: the live documents below
//! are the shapes a real `mongod` 6.0.5 reports.

use bson::{doc, Bson, Document};
use proptest::prelude::*;

use super::*;

/// `listCollections`' form of a collation declared with `locale` only.
fn resolved_collation(locale: &str) -> Document {
    doc! {
        "locale": locale, "caseLevel": false, "caseFirst": "off", "strength": 3,
        "numericOrdering": false, "alternate": "non-ignorable", "maxVariable": "punct",
        "normalization": false, "backwards": false, "version": "57.1",
    }
}

/// The options that differ, by name.
fn names(changes: &[OptionChange]) -> Vec<&'static str> {
    changes.iter().map(|c| c.option).collect()
}

/// The one change expected, checked to be in place.
fn in_place(declared: Document, live: Document) -> OptionChange {
    let changes = compare_options(&declared, &live);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(changes[0].in_place(), "{changes:#?}");
    changes[0].clone()
}

/// The one change expected, checked to be impossible in place, with a reason
/// that names the way to do it.
fn never(declared: Document, live: Document) -> OptionChange {
    let changes = compare_options(&declared, &live);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let why = changes[0].never.as_deref().expect("never in place");
    assert!(
        why.contains("data migration") || why.contains("copy"),
        "the reason says how: {why}"
    );
    changes[0].clone()
}

fn same(declared: Document, live: Document) {
    let changes = compare_options(&declared, &live);
    assert!(changes.is_empty(), "{declared} vs {live}: {changes:#?}");
}

#[test]
fn undeclared_options_are_not_managed() {
    let live = doc! {"validator": {"a": 1}, "capped": true, "size": 1024};
    assert!(compare_options(&doc! {}, &live).is_empty());
}

// Validator, level, action.

#[test]
fn the_same_validator_is_no_change() {
    same(
        doc! {"validator": {"$jsonSchema": {"required": ["a"]}}},
        doc! {"validator": {"$jsonSchema": {"required": ["a"]}}},
    );
}

#[test]
fn a_different_validator_is_changed_in_place() {
    let c = in_place(
        doc! {"validator": {"a": {"$exists": true}}},
        doc! {"validator": {"b": {"$exists": true}}},
    );
    assert_eq!(c.option, "validator");
    assert_eq!(c.declared, Some(doc! {"a": {"$exists": true}}.into()));
    assert_eq!(c.live, Some(doc! {"b": {"$exists": true}}.into()));
}

#[test]
fn a_validator_the_server_lacks_is_added_in_place_against_an_empty_one() {
    let c = in_place(doc! {"validator": {"a": 1}}, doc! {});
    assert_eq!(c.live, Some(doc! {}.into()));
}

#[test]
fn an_empty_validator_matches_none() {
    // `collMod` with `validator: {}` removes it: listCollections then shows none.
    same(
        doc! {"validator": {}},
        doc! {"validationLevel": "strict", "validationAction": "error"},
    );
}

#[test]
fn a_validators_field_order_is_ignored_at_every_depth() {
    same(
        doc! {"validator": {"$jsonSchema": {"required": ["a"], "properties": {"a": {"bsonType": "int", "minimum": 0}}}}},
        doc! {"validator": {"$jsonSchema": {"properties": {"a": {"minimum": 0, "bsonType": "int"}}, "required": ["a"]}}},
    );
    same(
        doc! {"validator": {"a": 1, "b": {"$gt": 1, "$lt": 5}}},
        doc! {"validator": {"b": {"$lt": 5, "$gt": 1}, "a": 1}},
    );
}

#[test]
fn a_validators_array_order_is_kept() {
    let c = in_place(
        doc! {"validator": {"$jsonSchema": {"required": ["a", "b"]}}},
        doc! {"validator": {"$jsonSchema": {"required": ["b", "a"]}}},
    );
    assert_eq!(c.option, "validator");
}

#[test]
fn a_validators_numbers_compare_by_value() {
    for live in [Bson::Int32(1), Bson::Int64(1), Bson::Double(1.0)] {
        same(
            doc! {"validator": {"$jsonSchema": {"minimum": 1, "maxLength": Bson::Int64(5)}}},
            doc! {"validator": {"$jsonSchema": {"minimum": live.clone(), "maxLength": 5.0}}},
        );
    }
    let c = in_place(
        doc! {"validator": {"$jsonSchema": {"minimum": 1}}},
        doc! {"validator": {"$jsonSchema": {"minimum": 1.5}}},
    );
    assert_eq!(c.option, "validator");
}

#[test]
fn a_declared_validator_implies_level_strict_and_action_error() {
    // The server's defaults: not reported at creation, reported after a collMod.
    same(doc! {"validator": {"a": 1}}, doc! {"validator": {"a": 1}});
    same(
        doc! {"validator": {"a": 1}},
        doc! {"validator": {"a": 1}, "validationLevel": "strict", "validationAction": "error"},
    );
    let changes = compare_options(
        &doc! {"validator": {"a": 1}},
        &doc! {"validator": {"a": 1}, "validationLevel": "moderate", "validationAction": "warn"},
    );
    assert_eq!(names(&changes), ["validationLevel", "validationAction"]);
    assert!(changes.iter().all(OptionChange::in_place));
    assert_eq!(changes[0].declared, Some("strict".into()));
    assert_eq!(changes[0].live, Some("moderate".into()));
    assert_eq!(changes[1].declared, Some("error".into()));
    assert_eq!(changes[1].live, Some("warn".into()));
}

#[test]
fn a_declared_level_or_action_is_compared_with_the_servers_default() {
    let c = in_place(doc! {"validationLevel": "moderate"}, doc! {});
    assert_eq!(
        (c.option, c.declared, c.live),
        (
            "validationLevel",
            Some("moderate".into()),
            Some("strict".into())
        )
    );
    let c = in_place(doc! {"validationAction": "warn"}, doc! {});
    assert_eq!(
        (c.option, c.declared, c.live),
        (
            "validationAction",
            Some("warn".into()),
            Some("error".into())
        )
    );
    same(doc! {"validationLevel": "strict"}, doc! {});
    same(doc! {"validationAction": "error"}, doc! {});
    same(
        doc! {"validationLevel": "off"},
        doc! {"validationLevel": "off", "validationAction": "error"},
    );
}

#[test]
fn without_a_declared_validator_an_undeclared_level_is_not_managed() {
    same(
        doc! {"validationAction": "warn"},
        doc! {"validator": {"a": 1}, "validationLevel": "moderate", "validationAction": "warn"},
    );
}

#[test]
fn validator_changes_make_one_coll_mod_with_the_servers_fields() {
    let declared = doc! {"validator": {"a": 1}, "validationAction": "warn"};
    let live = doc! {"validator": {"b": 1}, "validationLevel": "off"};
    let changes = compare_options(&declared, &live);
    assert_eq!(
        names(&changes),
        ["validator", "validationLevel", "validationAction"]
    );
    assert_eq!(
        coll_mod(&changes, &declared),
        doc! {"validator": {"a": 1}, "validationLevel": "strict", "validationAction": "warn"}
    );
}

#[test]
fn a_new_or_stricter_validator_is_said_to_tighten() {
    let tightens = |d: Document, l: Document| validator_tightens(&compare_options(&d, &l));
    assert!(tightens(doc! {"validator": {"a": 1}}, doc! {}));
    assert!(tightens(
        doc! {"validationLevel": "strict"},
        doc! {"validationLevel": "moderate"}
    ));
    assert!(tightens(
        doc! {"validationAction": "error"},
        doc! {"validationAction": "warn"}
    ));
    assert!(!tightens(
        doc! {"validator": {}},
        doc! {"validator": {"a": 1}}
    ));
    assert!(!tightens(doc! {"validationAction": "warn"}, doc! {}));
    assert!(!tightens(doc! {"validationLevel": "off"}, doc! {}));
}

// Collation.

#[test]
fn a_collation_is_compared_by_its_declared_fields_against_the_resolved_form() {
    let live = doc! {"collation": resolved_collation("fr")};
    same(doc! {"collation": {"locale": "fr"}}, live.clone());
    same(
        doc! {"collation": {"locale": "fr", "strength": 3}},
        live.clone(),
    );
    same(
        doc! {"collation": {"locale": "fr", "strength": 3.0, "caseLevel": false}},
        live.clone(),
    );
    let c = never(
        doc! {"collation": {"locale": "fr", "strength": 2}},
        live.clone(),
    );
    assert_eq!(c.option, "collation");
    assert!(c
        .never
        .unwrap()
        .contains("fixed when the collection is created"));
    // The live one is shown by the fields declared, not all ten.
    assert_eq!(
        c.live,
        Some(doc! {"locale": "fr", "strength": 3}.into()),
        "the live collation shown by the declared fields"
    );
    never(doc! {"collation": {"locale": "de"}}, live);
}

#[test]
fn a_declared_collation_the_server_lacks_is_never_changed() {
    let c = never(doc! {"collation": {"locale": "fr"}}, doc! {});
    assert_eq!(c.live, None);
}

#[test]
fn the_simple_collation_is_no_collation() {
    // `create` with `{locale: "simple"}`: listCollections reports none.
    same(doc! {"collation": {"locale": "simple"}}, doc! {});
    never(
        doc! {"collation": {"locale": "simple"}},
        doc! {"collation": resolved_collation("fr")},
    );
}

// Capped.

#[test]
fn a_capped_size_is_compared_rounded_up_to_256() {
    assert_eq!(capped_size(1), 256);
    assert_eq!(capped_size(256), 256);
    assert_eq!(capped_size(257), 512);
    assert_eq!(capped_size(1000), 1024);
    assert_eq!(capped_size(0), 0);
    assert_eq!(capped_size(-5), -5);
    same(
        doc! {"capped": true, "size": 1000},
        doc! {"capped": true, "size": 1024},
    );
    same(
        doc! {"capped": true, "size": Bson::Int64(1024)},
        doc! {"capped": true, "size": 1024},
    );
    same(
        doc! {"capped": true, "size": 1000.5},
        doc! {"capped": true, "size": 1024},
    );
}

#[test]
fn a_capped_size_or_max_is_changed_in_place() {
    let declared = doc! {"capped": true, "size": 2000, "max": 10};
    let live = doc! {"capped": true, "size": 1024, "max": 5};
    let changes = compare_options(&declared, &live);
    assert_eq!(names(&changes), ["size", "max"]);
    assert!(changes.iter().all(OptionChange::in_place));
    assert_eq!(changes[0].declared, Some(Bson::Int64(2048)), "rounded");
    assert_eq!(changes[0].live, Some(Bson::Int64(1024)));
    assert_eq!(
        coll_mod(&changes, &declared),
        doc! {"cappedSize": Bson::Int64(2048), "cappedMax": Bson::Int64(10)}
    );
    // A max the server lacks is added.
    let c = in_place(
        doc! {"capped": true, "size": 1024, "max": 7},
        doc! {"capped": true, "size": 1024},
    );
    assert_eq!((c.option, c.live), ("max", None));
}

#[test]
fn a_capped_max_of_zero_or_less_is_the_servers_no_limit() {
    // `create` and `collMod` store a max <= 0 as 2^31 - 1 (6.0.5).
    let live = doc! {"capped": true, "size": 1024, "max": 2_147_483_647};
    same(doc! {"capped": true, "size": 1024, "max": 0}, live.clone());
    same(doc! {"capped": true, "size": 1024, "max": -1}, live.clone());
    let c = in_place(
        doc! {"capped": true, "size": 1024, "max": 0},
        doc! {"capped": true, "size": 1024, "max": 5},
    );
    assert_eq!(c.declared, Some(Bson::Int64(2_147_483_647)));
}

#[test]
fn capped_or_not_is_never_changed_in_place() {
    let c = never(doc! {"capped": true, "size": 1024}, doc! {});
    assert_eq!(
        (c.option, c.declared, c.live),
        ("capped", Some(true.into()), Some(false.into()))
    );
    assert!(c.never.unwrap().contains("convertToCapped"));
    let c = never(doc! {"capped": false}, doc! {"capped": true, "size": 1024});
    assert_eq!(
        (c.declared, c.live),
        (Some(false.into()), Some(true.into()))
    );
    same(doc! {"capped": false}, doc! {});
    // The server takes `capped: 1`.
    same(
        doc! {"capped": 1, "size": 1024},
        doc! {"capped": true, "size": 1024},
    );
}

// Time-series.

fn ts(granularity: &str, span: i32) -> Document {
    doc! {"timeseries": {"timeField": "t", "metaField": "m", "granularity": granularity, "bucketMaxSpanSeconds": span}}
}

#[test]
fn a_time_series_granularity_defaults_to_seconds() {
    same(
        doc! {"timeseries": {"timeField": "t", "metaField": "m"}},
        ts("seconds", 3600),
    );
    let c = never(
        doc! {"timeseries": {"timeField": "t", "metaField": "m"}},
        ts("minutes", 86400),
    );
    assert_eq!(
        (c.option, c.declared, c.live),
        (
            "timeseries.granularity",
            Some("seconds".into()),
            Some("minutes".into())
        )
    );
}

#[test]
fn a_granularity_grows_in_place_but_never_shrinks() {
    let declared =
        |g: &str| doc! {"timeseries": {"timeField": "t", "metaField": "m", "granularity": g}};
    for (from, to) in [
        ("seconds", "minutes"),
        ("minutes", "hours"),
        ("seconds", "hours"),
    ] {
        let c = in_place(declared(to), ts(from, 3600));
        assert_eq!(c.option, "timeseries.granularity");
        let changes = [c];
        assert_eq!(
            coll_mod(&changes, &declared(to)),
            doc! {"timeseries": {"granularity": to}}
        );
        let c = never(declared(from), ts(to, 3600));
        assert!(c.never.unwrap().contains("only grows"));
    }
    same(declared("hours"), ts("hours", 2_592_000));
}

#[test]
fn a_time_series_time_and_meta_fields_are_never_changed() {
    let c = never(
        doc! {"timeseries": {"timeField": "at", "metaField": "m"}},
        ts("seconds", 3600),
    );
    assert_eq!(c.option, "timeseries.timeField");
    let c = never(
        doc! {"timeseries": {"timeField": "t", "metaField": "sensor"}},
        ts("seconds", 3600),
    );
    assert_eq!(c.option, "timeseries.metaField");
    // Declared without a metaField: the server's one is a difference.
    let c = never(doc! {"timeseries": {"timeField": "t"}}, ts("seconds", 3600));
    assert_eq!(
        (c.option, c.declared, c.live),
        ("timeseries.metaField", None, Some("m".into()))
    );
}

#[test]
fn a_declared_bucket_span_is_compared_and_never_changed() {
    same(
        doc! {"timeseries": {"timeField": "t", "metaField": "m", "bucketMaxSpanSeconds": 3600}},
        ts("seconds", 3600),
    );
    let c = never(
        doc! {"timeseries": {"timeField": "t", "metaField": "m", "bucketMaxSpanSeconds": 60}},
        ts("seconds", 3600),
    );
    assert_eq!(c.option, "timeseries.bucketMaxSpanSeconds");
}

#[test]
fn expire_after_seconds_is_changed_in_place_and_off_is_absent() {
    let live = |ttl: Option<i32>| {
        let mut d = ts("seconds", 3600);
        if let Some(ttl) = ttl {
            d.insert("expireAfterSeconds", ttl);
        }
        d
    };
    let declared = |ttl: Bson| {
        let mut d = doc! {"timeseries": {"timeField": "t", "metaField": "m"}};
        d.insert("expireAfterSeconds", ttl);
        d
    };
    same(declared(Bson::Int64(60)), live(Some(60)));
    same(declared(Bson::Double(60.5)), live(Some(60)));
    same(declared("off".into()), live(None));
    let c = in_place(declared("off".into()), live(Some(60)));
    assert_eq!(
        (c.option, c.declared.clone(), c.live.clone()),
        (
            "expireAfterSeconds",
            Some("off".into()),
            Some(Bson::Int64(60))
        )
    );
    assert_eq!(
        coll_mod(&[c], &declared("off".into())),
        doc! {"expireAfterSeconds": "off"}
    );
    let c = in_place(declared(Bson::Int64(30)), live(None));
    assert_eq!(
        (c.declared.clone(), c.live.clone()),
        (Some(Bson::Int64(30)), Some("off".into()))
    );
    assert_eq!(
        coll_mod(&[c], &declared(Bson::Int64(30))),
        doc! {"expireAfterSeconds": Bson::Int64(30)}
    );
}

// Clustered.

fn clustered(name: &str) -> Document {
    doc! {"clusteredIndex": {"v": 2, "key": {"_id": 1}, "name": name, "unique": true}}
}

#[test]
fn a_clustered_index_is_compared_by_its_declared_fields() {
    same(
        doc! {"clusteredIndex": {"key": {"_id": 1}, "unique": true}},
        clustered("_id_"),
    );
    same(
        doc! {"clusteredIndex": {"key": {"_id": 1.0}, "unique": true, "name": "k", "v": 2}},
        clustered("k"),
    );
    let c = never(
        doc! {"clusteredIndex": {"key": {"_id": 1}, "unique": true, "name": "k"}},
        clustered("_id_"),
    );
    assert_eq!(c.option, "clusteredIndex");
    let c = never(
        doc! {"clusteredIndex": {"key": {"_id": 1}, "unique": true}},
        doc! {},
    );
    assert_eq!(c.live, None);
}

#[test]
fn a_clustered_index_declared_unique_1_is_the_servers_unique_true() {
    // `create` takes `unique: 1` and reports `unique: true` (6.0.5).
    same(
        doc! {"clusteredIndex": {"key": {"_id": 1}, "unique": 1}},
        clustered("_id_"),
    );
}

#[test]
fn a_clustered_ttl_is_changed_in_place() {
    let mut declared = doc! {"clusteredIndex": {"key": {"_id": 1}, "unique": true}};
    declared.insert("expireAfterSeconds", 30);
    let mut live = clustered("_id_");
    live.insert("expireAfterSeconds", 60);
    let c = in_place(declared, live);
    assert_eq!(c.option, "expireAfterSeconds");
}

// Pre- and post-images.

#[test]
fn pre_and_post_images_absent_are_disabled() {
    same(
        doc! {"changeStreamPreAndPostImages": {"enabled": false}},
        doc! {},
    );
    same(
        doc! {"changeStreamPreAndPostImages": {"enabled": true}},
        doc! {"changeStreamPreAndPostImages": {"enabled": true}},
    );
    let declared = doc! {"changeStreamPreAndPostImages": {"enabled": true}};
    let c = in_place(declared.clone(), doc! {});
    assert_eq!(
        (c.declared.clone(), c.live.clone()),
        (
            Some(doc! {"enabled": true}.into()),
            Some(doc! {"enabled": false}.into())
        )
    );
    assert_eq!(coll_mod(&[c], &declared), declared);
    let c = in_place(
        doc! {"changeStreamPreAndPostImages": {"enabled": false}},
        doc! {"changeStreamPreAndPostImages": {"enabled": true}},
    );
    assert_eq!(c.declared, Some(doc! {"enabled": false}.into()));
}

// Views.

fn view(on: &str, pipeline: Vec<Bson>) -> Document {
    doc! {"viewOn": on, "pipeline": pipeline}
}

#[test]
fn a_views_definition_is_changed_in_place_and_sent_whole() {
    let stage = |n: i32| Bson::Document(doc! {"$match": {"a": n}});
    same(view("src", vec![stage(1)]), view("src", vec![stage(1)]));
    let declared = view("src", vec![stage(2)]);
    let c = in_place(declared.clone(), view("src", vec![stage(1)]));
    assert_eq!(c.option, "pipeline");
    assert_eq!(coll_mod(&[c], &declared), declared, "viewOn and pipeline");
    let declared = view("other", vec![stage(1)]);
    let c = in_place(declared.clone(), view("src", vec![stage(1)]));
    assert_eq!(
        (c.option, c.declared.clone(), c.live.clone()),
        ("viewOn", Some("other".into()), Some("src".into()))
    );
    assert_eq!(coll_mod(&[c], &declared), declared);
}

#[test]
fn a_view_declared_without_a_pipeline_has_the_empty_one() {
    same(doc! {"viewOn": "src"}, view("src", vec![]));
    let c = in_place(
        doc! {"viewOn": "src"},
        view("src", vec![doc! {"$match": {}}.into()]),
    );
    assert_eq!(c.declared, Some(Bson::Array(vec![])));
    assert_eq!(
        coll_mod(&[c], &doc! {"viewOn": "src"}),
        doc! {"viewOn": "src", "pipeline": []}
    );
}

#[test]
fn a_pipelines_order_is_significant_at_every_depth() {
    let m = Bson::Document(doc! {"$match": {"a": 1}});
    let p = Bson::Document(doc! {"$project": {"a": 1}});
    in_place(
        view("src", vec![m.clone(), p.clone()]),
        view("src", vec![p, m]),
    );
    // `$sort` sorts by its fields in order.
    in_place(
        view("src", vec![doc! {"$sort": {"a": 1, "b": 1}}.into()]),
        view("src", vec![doc! {"$sort": {"b": 1, "a": 1}}.into()]),
    );
    // Numbers still compare by value.
    same(
        view("src", vec![doc! {"$limit": 5}.into()]),
        view("src", vec![doc! {"$limit": 5.0}.into()]),
    );
}

#[test]
fn a_views_collation_is_never_changed() {
    let live = doc! {"viewOn": "src", "pipeline": [], "collation": resolved_collation("fr")};
    same(
        doc! {"viewOn": "src", "collation": {"locale": "fr"}},
        live.clone(),
    );
    let c = never(doc! {"viewOn": "src", "collation": {"locale": "de"}}, live);
    assert_eq!(c.option, "collation");
}

// Kind.

#[test]
fn a_kind_change_is_never_made_and_is_the_only_change_reported() {
    let collection = doc! {"validator": {"a": 1}, "capped": true, "size": 1024};
    let series = ts("seconds", 3600);
    let a_view = view("src", vec![]);
    for (declared, live, want, have) in [
        (&a_view, &collection, "view", "collection"),
        (&collection, &a_view, "collection", "view"),
        (&series, &collection, "time-series collection", "collection"),
        (&series, &a_view, "time-series collection", "view"),
        (&a_view, &series, "view", "time-series collection"),
        (&collection, &series, "collection", "time-series collection"),
    ] {
        let changes = compare_options(declared, live);
        assert_eq!(names(&changes), [KIND], "{declared} vs {live}");
        let c = &changes[0];
        assert_eq!(
            (c.declared.clone(), c.live.clone()),
            (Some(want.into()), Some(have.into()))
        );
        let why = c.never.as_deref().unwrap();
        assert!(
            why.contains(&format!("a {have} can't become a {want}")) && why.contains("migration"),
            "{why}"
        );
    }
}

#[test]
fn a_collection_declared_with_options_a_time_series_takes_is_not_a_kind_change() {
    // A time-series collection has a collation and a TTL: declaring only
    // those does not say it is a plain collection.
    let mut live = ts("seconds", 3600);
    live.insert("collation", resolved_collation("fr"));
    live.insert("expireAfterSeconds", 60);
    same(doc! {"collation": {"locale": "fr"}}, live.clone());
    let c = in_place(doc! {"expireAfterSeconds": 30}, live);
    assert_eq!(c.option, "expireAfterSeconds");
}

#[test]
fn kind_of_reads_the_options() {
    assert_eq!(Kind::of(&doc! {}), Kind::Collection);
    assert_eq!(Kind::of(&doc! {"capped": true}), Kind::Collection);
    assert_eq!(Kind::of(&ts("seconds", 3600)), Kind::TimeSeries);
    assert_eq!(Kind::of(&view("s", vec![])), Kind::View);
}

// coll_mod leaves out what the server can't change.

#[test]
fn coll_mod_sets_only_the_in_place_changes() {
    let declared = doc! {
        "collation": {"locale": "de"},
        "validator": {"a": 1},
        "capped": true, "size": 4096,
    };
    let live = doc! {"collation": resolved_collation("fr"), "capped": true, "size": 1024};
    let changes = compare_options(&declared, &live);
    assert_eq!(names(&changes), ["collation", "validator", "size"]);
    assert_eq!(
        coll_mod(&changes, &declared),
        doc! {"validator": {"a": 1}, "cappedSize": Bson::Int64(4096)}
    );
}

// create's options.

#[test]
fn create_options_leave_out_an_expiry_that_is_off_and_send_a_whole_size() {
    let declared = doc! {"timeseries": {"timeField": "t"}, "expireAfterSeconds": "off"};
    assert_eq!(
        create_options(&declared),
        doc! {"timeseries": {"timeField": "t"}}
    );
    // A size is sent whole, as a long: the server truncates a fraction anyway.
    let declared = doc! {"capped": true, "size": 1000.5, "validator": {"a": 1}};
    assert_eq!(
        create_options(&declared),
        doc! {"capped": true, "size": Bson::Int64(1000), "validator": {"a": 1}}
    );
}

// The $listCatalog read path gives listCollections' form, field order too:
// a saved plan's fingerprint hashes the options (`plan` may read the
// catalog, `apply` reads listCollections).

/// The same document, byte for byte.
fn assert_same_bytes(a: &Document, b: &Document) {
    assert_eq!(
        bson::to_vec(a).unwrap(),
        bson::to_vec(b).unwrap(),
        "{a}\nvs {b}"
    );
}

fn list_info(name: &str, kind: &str, options: Document) -> Document {
    doc! {"name": name, "type": kind, "options": options, "info": {"readOnly": false}}
}

#[test]
fn a_regular_collection_reads_the_same_from_the_catalog_and_list_collections() {
    let uuid = bson::Binary {
        subtype: bson::spec::BinarySubtype::Uuid,
        bytes: vec![7; 16],
    };
    let options = doc! {
        "capped": true, "size": 1024, "max": 5,
        "changeStreamPreAndPostImages": {"enabled": true},
        "validator": {"$jsonSchema": {"required": ["a"]}},
        "validationLevel": "moderate",
        "collation": resolved_collation("fr"),
    };
    let mut catalog_options = doc! {"uuid": uuid.clone()};
    catalog_options.extend(options.clone());
    let entry = doc! {
        "db": "cat", "name": "plain", "type": "collection",
        "md": {"ns": "cat.plain", "options": catalog_options, "indexes": []},
    };
    let mut listed = options.clone();
    listed.insert("uuid", uuid);
    let from_list = options_from_list(&list_info("plain", "collection", listed));
    assert_eq!(from_list, options);
    assert_same_bytes(&options_from_catalog(&entry, None), &from_list);
}

#[test]
fn a_clustered_collection_reads_the_same_from_both() {
    let options = doc! {
        "clusteredIndex": {"v": 2, "key": {"_id": 1}, "name": "k", "unique": true},
        "expireAfterSeconds": 30,
    };
    let mut catalog_options = doc! {"uuid": bson::Binary {
        subtype: bson::spec::BinarySubtype::Uuid,
        bytes: vec![1; 16],
    }};
    catalog_options.extend(options.clone());
    let entry = doc! {"db": "cat", "name": "cl", "type": "collection",
    "md": {"ns": "cat.cl", "options": catalog_options, "indexes": []}};
    assert_same_bytes(
        &options_from_catalog(&entry, None),
        &options_from_list(&list_info("cl", "collection", options)),
    );
}

#[test]
fn a_view_reads_the_same_from_both() {
    let options = doc! {
        "viewOn": "plain",
        "pipeline": [{"$match": {"a": 1}}],
        "collation": resolved_collation("fr"),
    };
    let mut entry = doc! {"db": "cat", "name": "v", "type": "view", "ns": "cat.v", "_id": "cat.v"};
    entry.extend(options.clone());
    let from_list = options_from_list(&list_info("v", "view", options.clone()));
    assert_same_bytes(&options_from_catalog(&entry, None), &from_list);
    assert_eq!(from_list, options);
    // Without a collation.
    let entry = doc! {"db": "cat", "name": "v2", "type": "view", "viewOn": "plain", "pipeline": []};
    assert_eq!(
        options_from_catalog(&entry, None),
        doc! {"viewOn": "plain", "pipeline": []}
    );
}

#[test]
fn a_time_series_collection_reads_its_options_from_its_buckets() {
    let timeseries = doc! {"timeField": "t", "metaField": "m", "granularity": "minutes", "bucketMaxSpanSeconds": 86400};
    // The time-series entry is a view on its buckets: its definition is internal.
    let entry = doc! {
        "db": "cat", "name": "ts", "type": "timeseries", "ns": "cat.ts", "_id": "cat.ts",
        "viewOn": "system.buckets.ts",
        "pipeline": [{"$_internalUnpackBucket": {"timeField": "t", "metaField": "m", "bucketMaxSpanSeconds": 86400}}],
        "collation": resolved_collation("de"),
    };
    let buckets = doc! {
        "db": "cat", "name": "system.buckets.ts", "type": "collection",
        "md": {"ns": "cat.system.buckets.ts", "options": {
            "uuid": bson::Binary { subtype: bson::spec::BinarySubtype::Uuid, bytes: vec![2; 16] },
            "validator": {"$jsonSchema": {"bsonType": "object", "required": ["_id", "control", "data"]}},
            "collation": resolved_collation("de"),
            "clusteredIndex": true,
            "expireAfterSeconds": 60,
            "timeseries": timeseries.clone(),
        }, "indexes": []},
    };
    let listed = list_info(
        "ts",
        "timeseries",
        doc! {"collation": resolved_collation("de"), "expireAfterSeconds": 60, "timeseries": timeseries},
    );
    let from_catalog = options_from_catalog(&entry, Some(&buckets));
    assert_same_bytes(&from_catalog, &options_from_list(&listed));
    assert_eq!(Kind::of(&from_catalog), Kind::TimeSeries);
    assert!(!from_catalog.contains_key("viewOn") && !from_catalog.contains_key("validator"));
}

// Property: declared options compare equal to the server's form of them.

/// A declared options document of one kind, with values a manifest can give.
fn declared_options() -> impl Strategy<Value = Document> {
    let number = |lo: i64, hi: i64| {
        (lo..hi, 0..3u8).prop_map(|(n, t)| match t {
            0 => Bson::Int32(n as i32),
            1 => Bson::Int64(n),
            _ => Bson::Double(n as f64),
        })
    };
    let validator = prop_oneof![
        Just(doc! {"a": {"$exists": true}}),
        Just(
            doc! {"$jsonSchema": {"required": ["a", "b"], "properties": {"a": {"bsonType": "int", "minimum": 0}}}}
        ),
        Just(doc! {"$or": [{"a": 1}, {"b": {"$gt": 2.5}}]}),
        Just(doc! {}),
    ];
    let level = prop::option::of(prop_oneof![Just("off"), Just("strict"), Just("moderate")]);
    let action = prop::option::of(prop_oneof![Just("error"), Just("warn")]);
    let collation = prop::option::of(prop_oneof![
        Just(doc! {"locale": "fr"}),
        Just(doc! {"locale": "en", "strength": 2}),
        Just(doc! {"locale": "de", "caseLevel": true, "numericOrdering": true}),
        Just(doc! {"locale": "simple"}),
    ]);
    let collection = (
        prop::option::of(validator),
        level,
        action,
        collation.clone(),
        prop::option::of((number(1, 1 << 40), prop::option::of(number(-3, 100_000)))),
        prop::option::of(any::<bool>()),
        prop::option::of((Just(true), prop::option::of(number(0, 1_000_000)))),
    )
        .prop_map(
            |(validator, level, action, collation, capped, pre, clustered)| {
                let mut d = Document::new();
                if let Some(v) = validator {
                    d.insert("validator", v);
                }
                if let Some(l) = level {
                    d.insert("validationLevel", l);
                }
                if let Some(a) = action {
                    d.insert("validationAction", a);
                }
                if let Some(c) = collation {
                    d.insert("collation", c);
                }
                if let Some((size, max)) = capped {
                    if clustered.is_none() {
                        d.insert("capped", true);
                        d.insert("size", size);
                        if let Some(max) = max {
                            d.insert("max", max);
                        }
                    }
                }
                if let Some(enabled) = pre {
                    d.insert("changeStreamPreAndPostImages", doc! {"enabled": enabled});
                }
                if let Some((_, ttl)) = clustered {
                    d.insert("clusteredIndex", doc! {"key": {"_id": 1}, "unique": true});
                    if let Some(ttl) = ttl {
                        d.insert("expireAfterSeconds", ttl);
                    }
                }
                d
            },
        );
    let series = (
        prop::option::of(Just("m")),
        prop::option::of(prop_oneof![Just("seconds"), Just("minutes"), Just("hours")]),
        any::<bool>(),
        prop::option::of(prop_oneof![
            number(0, 1_000_000),
            Just(Bson::String("off".into()))
        ]),
        collation.clone(),
    )
        .prop_map(|(meta, granularity, span, ttl, collation)| {
            let mut t = doc! {"timeField": "t"};
            if let Some(m) = meta {
                t.insert("metaField", m);
            }
            if let Some(g) = granularity {
                t.insert("granularity", g);
            }
            if span {
                t.insert(
                    "bucketMaxSpanSeconds",
                    default_span(granularity.unwrap_or("seconds")),
                );
            }
            let mut d = doc! {"timeseries": t};
            if let Some(ttl) = ttl {
                d.insert("expireAfterSeconds", ttl);
            }
            if let Some(c) = collation {
                d.insert("collation", c);
            }
            d
        });
    let views = (
        prop::option::of(prop::collection::vec(
            prop_oneof![
                Just(doc! {"$match": {"a": 1}}),
                Just(doc! {"$sort": {"b": -1, "a": 1}}),
                Just(doc! {"$project": {"a": 1, "b": 0}}),
                Just(doc! {"$limit": 10}),
            ],
            0..4,
        )),
        collation,
    )
        .prop_map(|(pipeline, collation)| {
            let mut d = doc! {"viewOn": "src"};
            if let Some(p) = pipeline {
                d.insert("pipeline", p);
            }
            if let Some(c) = collation {
                d.insert("collation", c);
            }
            d
        });
    prop_oneof![4 => collection, 2 => series, 2 => views]
}

fn default_span(granularity: &str) -> i64 {
    match granularity {
        "minutes" => 86_400,
        "hours" => 2_592_000,
        _ => 3600,
    }
}

/// The same number as another numeric type, the way the server may store it.
fn renumber(v: &Bson, flip: bool) -> Bson {
    match v {
        Bson::Int32(n) if flip => Bson::Int64(*n as i64),
        Bson::Int32(n) => Bson::Double(*n as f64),
        Bson::Int64(n) if i32::try_from(*n).is_ok() => Bson::Int32(*n as i32),
        Bson::Int64(n) => Bson::Double(*n as f64),
        Bson::Double(x) if x.fract() == 0.0 && x.abs() < i32::MAX as f64 => Bson::Int32(*x as i32),
        Bson::Document(d) => Bson::Document(
            d.iter()
                .map(|(k, v)| (k.clone(), renumber(v, flip)))
                .collect(),
        ),
        Bson::Array(a) => Bson::Array(a.iter().map(|v| renumber(v, flip)).collect()),
        other => other.clone(),
    }
}

/// What `listCollections` reports for a collection created with `d`
/// (as `mongod` 6.0.5 does): sizes rounded, defaults filled, a simple
/// collation and disabled pre-images left out, a collation resolved, a
/// clustered index completed, numbers of another type, a validator's fields
/// in another order.
fn server_form(d: &Document, flip: bool) -> Document {
    let mut out = Document::new();
    for (k, v) in d {
        match k.as_str() {
            "size" => {
                out.insert(k, capped_size(as_i64(v).unwrap()));
            }
            "max" => {
                let max = as_i64(v).unwrap();
                out.insert(k, if max <= 0 { 2_147_483_647 } else { max });
            }
            "validator" if v.as_document().is_some_and(Document::is_empty) => {}
            "validator" => {
                let mut fields: Vec<_> = v.as_document().unwrap().iter().collect();
                fields.reverse();
                let reversed: Document = fields
                    .into_iter()
                    .map(|(k, v)| (k.clone(), renumber(v, flip)))
                    .collect();
                out.insert(k, reversed);
            }
            "collation" => {
                let c = v.as_document().unwrap();
                let locale = c.get_str("locale").unwrap();
                if locale != "simple" {
                    let mut resolved = resolved_collation(locale);
                    for (f, x) in c {
                        resolved.insert(f.clone(), renumber(x, flip));
                    }
                    out.insert(k, resolved);
                }
            }
            "changeStreamPreAndPostImages" => {
                if v.as_document().unwrap().get_bool("enabled").unwrap() {
                    out.insert(k, v.clone());
                }
            }
            "expireAfterSeconds" if v.as_str() == Some("off") => {}
            "clusteredIndex" => {
                out.insert(
                    k,
                    doc! {"v": 2, "key": {"_id": 1}, "name": "_id_", "unique": true},
                );
            }
            "timeseries" => {
                let t = v.as_document().unwrap();
                let g = t.get_str("granularity").unwrap_or("seconds");
                let mut s = doc! {"timeField": t.get_str("timeField").unwrap()};
                if let Ok(m) = t.get_str("metaField") {
                    s.insert("metaField", m);
                }
                s.insert("granularity", g);
                s.insert("bucketMaxSpanSeconds", default_span(g) as i32);
                out.insert(k, s);
            }
            _ => {
                out.insert(k, renumber(v, flip));
            }
        }
    }
    if d.contains_key("viewOn") && !d.contains_key("pipeline") {
        out.insert("pipeline", Bson::Array(vec![]));
    }
    // A collMod of the level alone adds the action, and the other way round.
    if d.contains_key("validationLevel") || d.contains_key("validationAction") {
        if !out.contains_key("validationLevel") {
            out.insert("validationLevel", "strict");
        }
        if !out.contains_key("validationAction") {
            out.insert("validationAction", "error");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn declared_options_match_the_servers_form_of_them(d in declared_options(), flip in any::<bool>()) {
        let live = server_form(&d, flip);
        let changes = compare_options(&d, &live);
        prop_assert!(changes.is_empty(), "{}\nvs {}\n{:#?}", d, live, changes);
        prop_assert_eq!(coll_mod(&changes, &d), Document::new());
    }

    /// And any one in-place change to the server's form is seen, and the
    /// collMod it makes sets exactly the declared values back.
    #[test]
    fn a_changed_server_form_is_found(d in declared_options()) {
        let mut live = server_form(&d, false);
        let changed = if live.contains_key("validator") {
            live.insert("validator", doc! {"other": 1});
            "validator"
        } else if live.contains_key("viewOn") {
            live.insert("viewOn", "elsewhere");
            "viewOn"
        } else if live.contains_key("size") {
            live.insert("size", 256);
            "size"
        } else {
            return Ok(());
        };
        let changes = compare_options(&d, &live);
        prop_assert!(changes.iter().any(|c| c.option == changed && c.in_place()), "{:#?}", changes);
        let set = coll_mod(&changes, &d);
        let field = if changed == "size" { "cappedSize" } else { changed };
        prop_assert!(set.contains_key(field), "{}", set);
    }
}

#[test]
fn a_bucket_span_its_granularity_implies_moves_with_the_granularity() {
    let declared = doc! {"timeseries": {"timeField": "t", "granularity": "minutes", "bucketMaxSpanSeconds": 86400}};
    let live = doc! {"timeseries": {"timeField": "t", "granularity": "seconds", "bucketMaxSpanSeconds": 3600}};
    let changes = compare_options(&declared, &live);
    let names: Vec<&str> = changes.iter().map(|c| c.option).collect();
    assert_eq!(names, ["timeseries.granularity"]);
    assert!(changes[0].in_place());
}
