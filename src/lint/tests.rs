//! Each rule fires on its case and not on its near miss.

use std::path::PathBuf;

use bson::DateTime;

use super::*;
use crate::manifest::load_sources;

/// Manifests from one tenant-scope YAML file of `messages`' indexes.
fn manifests(indexes: &str) -> Manifests {
    let text = format!("scope: tenant\ncollections:\n  - name: messages\n    indexes:\n{indexes}");
    let (m, problems) = load_sources(&[(PathBuf::from("m.yaml"), text)]);
    assert!(problems.is_empty(), "{problems:#?}");
    m
}

/// The (rule, index) of each finding with default options.
fn fired(indexes: &str) -> Vec<(&'static str, String)> {
    fired_with(indexes, &Options::default())
}

fn fired_with(indexes: &str, options: &Options) -> Vec<(&'static str, String)> {
    declarations(&manifests(indexes), options)
        .list
        .into_iter()
        .map(|f| (f.rule.id(), f.index))
        .collect()
}

fn one(rule: &'static str, index: &str) -> Vec<(&'static str, String)> {
    vec![(rule, index.to_string())]
}

#[test]
fn redundant_index_a_prefix_with_the_same_documents() {
    let case = "      - { name: a, keys: { a: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n";
    assert_eq!(fired(case), one("redundant-index", "a"));
    // One field: either direction is a prefix; reversed throughout too.
    let reversed =
        "      - { name: ab, keys: { a: -1, b: 1 } }\n      - { name: abc, keys: { a: 1, b: -1, c: 1 } }\n";
    assert_eq!(fired(reversed), one("redundant-index", "ab"));
}

#[test]
fn redundant_index_near_misses() {
    let near = [
        // A sort the longer can't give: {a: 1, b: 1} against {a: 1, b: -1, …}.
        "      - { name: ab, keys: { a: 1, b: 1 } }\n      - { name: abc, keys: { a: 1, b: -1, c: 1 } }\n",
        // Not a prefix.
        "      - { name: b, keys: { b: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
        // Unique enforces something.
        "      - { name: a, keys: { a: 1 }, unique: true }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
        // TTL expires documents.
        "      - { name: a, keys: { a: 1 }, expireAfterSeconds: 60 }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
        // Other documents in it.
        "      - { name: a, keys: { a: 1 }, sparse: true }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
        "      - { name: a, keys: { a: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 }, partialFilterExpression: { b: { $exists: true } } }\n",
        // Another order of strings.
        "      - { name: a, keys: { a: 1 }, collation: { locale: en } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
        // The longer one is hidden: it answers nothing.
        "      - { name: a, keys: { a: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 }, hidden: true }\n",
        // A compound 2dsphere index leaves out documents without the point.
        "      - { name: a, keys: { a: 1 } }\n      - { name: al, keys: { a: 1, loc: 2dsphere } }\n",
        // A hashed prefix.
        "      - { name: a, keys: { a: hashed } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
    ];
    for case in near {
        assert_eq!(fired(case), vec![], "{case}");
    }
}

#[test]
fn duplicate_spec_the_same_key_read_the_other_way() {
    let case =
        "      - { name: x, keys: { a: 1, b: -1 } }\n      - { name: y, keys: { a: -1, b: 1 } }\n";
    assert_eq!(fired(case), one("duplicate-spec", "y"));
    let numbers = "      - { name: x, keys: { a: 1 } }\n      - { name: y, keys: { a: 2 } }\n";
    assert_eq!(fired(numbers), one("duplicate-spec", "y"));
}

#[test]
fn duplicate_spec_near_misses() {
    let near = [
        // Not all reversed: another sort order.
        "      - { name: x, keys: { a: 1, b: -1 } }\n      - { name: y, keys: { a: 1, b: 1 } }\n",
        // One is unique, one expires documents, one has another collation.
        "      - { name: x, keys: { a: 1 } }\n      - { name: y, keys: { a: -1 }, unique: true }\n",
        "      - { name: x, keys: { a: 1 } }\n      - { name: y, keys: { a: -1 }, expireAfterSeconds: 5 }\n",
        "      - { name: x, keys: { a: 1 } }\n      - { name: y, keys: { a: -1 }, collation: { locale: fr } }\n",
        // Hidden: on its way out.
        "      - { name: x, keys: { a: 1 } }\n      - { name: y, keys: { a: -1 }, hidden: true }\n",
    ];
    for case in near {
        assert_eq!(fired(case), vec![], "{case}");
    }
}

const SOFT: &str = "      - { name: live_by_date, keys: { createdAt: 1 }, partialFilterExpression: { deletedAt: null } }\n";

#[test]
fn unique_without_soft_delete_filter_fires_beside_a_soft_delete_filter() {
    let case = format!("{SOFT}      - {{ name: email, keys: {{ email: 1 }}, unique: true }}\n");
    assert_eq!(
        fired(&case),
        one("unique-without-soft-delete-filter", "email")
    );
    // Through $and, and a configured field.
    let and = "      - { name: f, keys: { c: 1 }, partialFilterExpression: { $and: [ { removed: { $eq: false } }, { c: { $gt: 1 } } ] } }\n      - { name: email, keys: { email: 1 }, unique: true }\n";
    let options = Options {
        soft_delete_fields: vec!["removed".into()],
        ..Options::default()
    };
    assert_eq!(
        fired_with(and, &options),
        one("unique-without-soft-delete-filter", "email")
    );
    assert_eq!(fired(and), vec![], "removed is not a default field");
}

#[test]
fn unique_without_soft_delete_filter_near_misses() {
    let filtered = format!(
        "{SOFT}      - {{ name: email, keys: {{ email: 1 }}, unique: true, partialFilterExpression: {{ deletedAt: null }} }}\n"
    );
    assert_eq!(fired(&filtered), vec![]);
    let no_soft_delete = "      - { name: f, keys: { c: 1 }, partialFilterExpression: { status: { $eq: 1 } } }\n      - { name: email, keys: { email: 1 }, unique: true }\n";
    assert_eq!(fired(no_soft_delete), vec![]);
    let keyed = format!(
        "{SOFT}      - {{ name: email, keys: {{ email: 1, deletedAt: 1 }}, unique: true }}\n"
    );
    assert_eq!(fired(&keyed), vec![]);
}

#[test]
fn too_many_indexes_counts_id_and_names_the_first_past_the_limit() {
    let indexes: String = (0..4)
        .map(|i| format!("      - {{ name: i{i}, keys: {{ f{i}: 1 }} }}\n"))
        .collect();
    let options = |max| Options {
        max_indexes: max,
        ..Options::default()
    };
    // 4 declared + _id_ = 5.
    assert_eq!(
        fired_with(&indexes, &options(4)),
        one("too-many-indexes", "i3")
    );
    assert_eq!(fired_with(&indexes, &options(5)), vec![]);
    assert_eq!(fired(&indexes), vec![], "the default is 20");
}

#[test]
fn wildcard_makes_redundant_plain_single_field_indexes_it_holds() {
    let case = "      - { name: all, keys: { $**: 1 } }\n      - { name: a, keys: { a: 1 } }\n";
    assert_eq!(fired(case), one("wildcard-makes-redundant", "a"));
    let path = "      - { name: attrs, keys: { attrs.$**: 1 } }\n      - { name: color, keys: { attrs.color: -1 } }\n";
    assert_eq!(fired(path), one("wildcard-makes-redundant", "color"));
    let projected = "      - { name: all, keys: { $**: 1 }, wildcardProjection: { a: 1, b: 1 } }\n      - { name: b, keys: { b: 1 } }\n";
    assert_eq!(fired(projected), one("wildcard-makes-redundant", "b"));
}

#[test]
fn wildcard_makes_redundant_near_misses() {
    let near = [
        // Options the wildcard doesn't have.
        "      - { name: all, keys: { $**: 1 } }\n      - { name: a, keys: { a: 1 }, unique: true }\n",
        "      - { name: all, keys: { $**: 1 } }\n      - { name: a, keys: { a: 1 }, sparse: true }\n",
        "      - { name: all, keys: { $**: 1 } }\n      - { name: a, keys: { a: 1 }, expireAfterSeconds: 9 }\n",
        "      - { name: all, keys: { $**: 1 } }\n      - { name: a, keys: { a: 1 }, collation: { locale: en } }\n",
        // Compound: the wildcard gives no compound sort.
        "      - { name: all, keys: { $**: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n",
        // Not under the wildcard's path, or projected out.
        "      - { name: attrs, keys: { attrs.$**: 1 } }\n      - { name: a, keys: { a: 1 } }\n",
        "      - { name: all, keys: { $**: 1 }, wildcardProjection: { a: 0 } }\n      - { name: a, keys: { a: 1 } }\n",
        "      - { name: all, keys: { $**: 1 }, wildcardProjection: { b: 1 } }\n      - { name: a, keys: { a: 1 } }\n",
        // A wildcard text index is a text index.
        "      - { name: all, keys: { $**: text } }\n      - { name: a, keys: { a: 1 } }\n",
        // A partial wildcard leaves documents out.
        "      - { name: all, keys: { $**: 1 }, partialFilterExpression: { a: { $exists: true } } }\n      - { name: a, keys: { a: 1 } }\n",
    ];
    for case in near {
        assert_eq!(fired(case), vec![], "{case}");
    }
}

#[test]
fn severities_come_from_options_and_off_silences() {
    let case = "      - { name: a, keys: { a: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n";
    let m = manifests(case);
    let found = declarations(&m, &Options::default());
    assert_eq!((found.errors(), found.warnings()), (0, 1));
    let f = &found.list[0];
    assert_eq!(
        (f.file.clone(), f.line, f.collection.as_str()),
        (Some(PathBuf::from("m.yaml")), Some(5), "messages")
    );
    let mut options = Options::default();
    options
        .severities
        .insert(Rule::RedundantIndex, Severity::Error);
    assert_eq!(declarations(&m, &options).errors(), 1);
    options
        .severities
        .insert(Rule::RedundantIndex, Severity::Off);
    assert!(declarations(&m, &options).list.is_empty());
}

#[test]
fn a_file_for_both_scopes_says_each_thing_once() {
    let text = "scope: [public, tenant]\ncollections:\n  - name: m\n    indexes:\n      - { name: a, keys: { a: 1 } }\n      - { name: ab, keys: { a: 1, b: 1 } }\n";
    let (m, _) = load_sources(&[(PathBuf::from("m.yaml"), text.to_string())]);
    assert_eq!(declarations(&m, &Options::default()).list.len(), 1);
}

fn key(index: &str) -> ReadingKey {
    ReadingKey {
        scope: Scope::Tenant,
        collection: "messages".into(),
        index: index.into(),
    }
}

fn uses(ops: &[i64]) -> Vec<IndexUse> {
    ops.iter()
        .enumerate()
        .map(|(i, ops)| IndexUse {
            database: format!("t{i}"),
            ops: *ops,
            since: Some(DateTime::from_millis(0)),
        })
        .collect()
}

#[test]
fn unused_index_on_at_least_the_share_of_tenants() {
    let m = manifests(
        "      - { name: a, keys: { a: 1 } }\n      - { name: u, keys: { u: 1 }, unique: true }\n",
    );
    let readings = |a: &[i64]| LiveReadings {
        now: Some(DateTime::from_millis(3_600_000)),
        usage: [(key("a"), uses(a)), (key("u"), uses(&[0, 0, 0]))].into(),
        ..Default::default()
    };
    let options = Options {
        unused_percent: 60.0,
        ..Options::default()
    };
    let found = live(&m, &readings(&[0, 0, 5]), &options);
    assert_eq!(found.list.len(), 1, "{found:#?}");
    let f = &found.list[0];
    assert_eq!((f.rule, f.index.as_str()), (Rule::UnusedIndex, "a"));
    assert!(
        f.message.contains("2 of 3") && f.message.contains("1h") && f.message.contains("t0, t1"),
        "{}",
        f.message
    );
    // 1 of 3 is under 60 %; a unique index is never "unused".
    assert!(live(&m, &readings(&[0, 5, 5]), &options).list.is_empty());
}

#[test]
fn ttl_not_date_when_sampled_values_are_not_dates() {
    let m = manifests("      - { name: ttl, keys: { at: 1 }, expireAfterSeconds: 60 }\n");
    let types = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    };
    let readings = |second: BTreeMap<String, u64>| LiveReadings {
        ttl_types: [(
            key("ttl"),
            vec![
                ("t0".to_string(), types(&[("date", 10), ("missing", 2)])),
                ("t1".to_string(), second),
            ],
        )]
        .into(),
        ..Default::default()
    };
    let bad = live(
        &m,
        &readings(types(&[("string", 7), ("date", 1)])),
        &Options::default(),
    );
    assert_eq!(bad.errors(), 1, "{bad:#?}");
    assert!(
        bad.list[0].message.contains("7 string"),
        "{}",
        bad.list[0].message
    );
    let good = live(
        &m,
        &readings(types(&[("date", 3), ("null", 1)])),
        &Options::default(),
    );
    assert!(good.list.is_empty(), "{good:#?}");
}
