use super::*;
use crate::model::{Collection, IndexSpec};
use bson::doc;

fn spec(name: &str, keys: bson::Document) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        keys,
        ..Default::default()
    }
}

fn state(indexes: Vec<IndexSpec>) -> DatabaseState {
    DatabaseState {
        name: "t".into(),
        collections: vec![Collection {
            name: "c".into(),
            exists: true,
            indexes,
            ..Default::default()
        }],
        retiring: vec![],
    }
}

fn create(name: &str, keys: bson::Document) -> Change {
    Change::Create {
        collection: "c".into(),
        index: spec(name, keys),
        new_collection: false,
    }
}

#[test]
fn the_65th_index_is_blocked_unless_a_drop_makes_room() {
    let live: Vec<IndexSpec> = (0..64)
        .map(|i| spec(&format!("i{i}"), doc! {format!("f{i}"): 1}))
        .collect();
    let changes = vec![create("new", doc! {"n": 1})];
    let blocked = limits(&changes, &state(live.clone()), &BTreeMap::new());
    assert!(blocked[&0].contains("would have 65 indexes"), "{blocked:?}");

    let with_drop = vec![
        create("new", doc! {"n": 1}),
        Change::Drop {
            collection: "c".into(),
            index: live[3].clone(),
            note: None,
        },
    ];
    assert!(limits(&with_drop, &state(live), &BTreeMap::new()).is_empty());
}

#[test]
fn a_second_text_index_is_blocked_unless_the_first_is_replaced() {
    let text = spec("search", doc! {"_fts": "text", "_ftsx": 1});
    let live = state(vec![spec("_id_", doc! {"_id": 1}), text.clone()]);
    let other = create("other", doc! {"_fts": "text", "_ftsx": 1});
    let blocked = limits(std::slice::from_ref(&other), &live, &BTreeMap::new());
    assert!(blocked[&0].contains("already has the text index \"search\""));
    let replace = Change::Replace {
        collection: "c".into(),
        from: text.clone(),
        to: spec("search", doc! {"_fts": "text", "_ftsx": 1, "a": 1}),
        differences: vec!["key"],
        gap: true,
        note: None,
    };
    assert!(limits(&[replace], &live, &BTreeMap::new()).is_empty());
}
