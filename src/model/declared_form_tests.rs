use super::*;
use bson::doc;

fn spec(keys: Document) -> IndexSpec {
    IndexSpec {
        name: "ix".into(),
        keys,
        ..Default::default()
    }
}

#[test]
fn a_text_index_is_shown_by_its_fields_and_the_weights_that_are_not_1() {
    let mut live = spec(doc! {"tenant": 1, "_fts": "text", "_ftsx": 1});
    live.weights = Some(doc! {"body": 1, "title": 5});
    live.default_language = Some("english".into());
    live.language_override = Some("language".into());
    let mut declared = spec(doc! {"tenant": 1, "title": "text", "body": "text"});
    declared.weights = Some(doc! {"title": 5});
    let shown = declared_form(&live, Some(&declared));
    assert_eq!(
        shown.keys,
        doc! {"tenant": 1, "title": "text", "body": "text"}
    );
    assert_eq!(shown.weights, Some(doc! {"title": 5}));
    assert_eq!(shown.default_language, None);
    assert_eq!(shown.language_override, None);
}

#[test]
fn without_a_declaration_text_fields_follow_the_servers_order() {
    let mut live = spec(doc! {"_fts": "text", "_ftsx": 1});
    live.weights = Some(doc! {"a": 1, "b": 1});
    live.default_language = Some("french".into());
    let shown = declared_form(&live, None);
    assert_eq!(shown.keys, doc! {"a": "text", "b": "text"});
    assert_eq!(shown.weights, None);
    assert_eq!(shown.default_language.as_deref(), Some("french"));
}

#[test]
fn declared_text_options_are_kept_even_at_their_default() {
    let mut live = spec(doc! {"_fts": "text", "_ftsx": 1});
    live.weights = Some(doc! {"a": 1});
    live.default_language = Some("english".into());
    let mut declared = spec(doc! {"a": "text"});
    declared.weights = Some(doc! {"a": 1});
    declared.default_language = Some("english".into());
    let shown = declared_form(&live, Some(&declared));
    assert_eq!(shown.weights, Some(doc! {"a": 1}));
    assert_eq!(shown.default_language.as_deref(), Some("english"));
}

#[test]
fn a_resolved_collation_keeps_its_locale_the_declared_fields_and_the_non_defaults() {
    let mut live = spec(doc! {"name": 1});
    live.collation = Some(doc! {
        "locale": "en", "caseLevel": false, "caseFirst": "off", "strength": 2,
        "numericOrdering": true, "alternate": "non-ignorable", "maxVariable": "punct",
        "normalization": false, "backwards": false, "version": "57.1",
    });
    let mut declared = spec(doc! {"name": 1});
    declared.collation = Some(doc! {"locale": "en", "strength": 1, "caseLevel": false});
    let shown = declared_form(&live, Some(&declared)).collation.unwrap();
    assert_eq!(
        shown,
        doc! {"locale": "en", "caseLevel": false, "strength": 2, "numericOrdering": true}
    );
    let undeclared = declared_form(&live, None).collation.unwrap();
    assert_eq!(
        undeclared,
        doc! {"locale": "en", "strength": 2, "numericOrdering": true}
    );
}

#[test]
fn as_a_person_declares_drops_what_the_server_keeps_for_itself() {
    let mut live = spec(doc! {"_fts": "text", "_ftsx": 1, "b": 1});
    live.weights = Some(doc! {"a": 3});
    live.default_language = Some("english".into());
    live.language_override = Some("language".into());
    live.other = doc! {"v": 2, "textIndexVersion": 3};
    let declared = as_a_person_declares(&live);
    assert_eq!(declared.keys, doc! {"a": "text", "b": 1});
    assert_eq!(declared.weights, Some(doc! {"a": 3}));
    assert_eq!(declared.other, Document::new());
    assert_eq!(declared.default_language, None);
}

#[test]
fn other_indexes_are_shown_as_they_are() {
    let mut live = spec(doc! {"a": 1, "b": -1});
    live.unique = true;
    live.partial_filter_expression = Some(doc! {"a": {"$exists": true}});
    assert_eq!(declared_form(&live, None), live);
}
