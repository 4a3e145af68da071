use bson::doc;

use super::*;

#[test]
fn every_locale_has_every_field() {
    assert!(locales().count() > 150);
    for locale in locales() {
        let resolved = resolve(&doc! {"locale": locale}).unwrap();
        for field in FIELDS {
            assert!(resolved.contains_key(*field), "{locale}: no {field}");
        }
    }
}

#[test]
fn a_declared_collation_is_its_locale_defaults_under_its_own_fields() {
    let en = resolve(&doc! {"locale": "en"}).unwrap();
    assert_eq!(en.get_i32("strength"), Ok(3));
    assert_eq!(en.get_str("version"), Ok("57.1"));
    // fr_CA sorts accents backwards, th ignores punctuation.
    assert_eq!(
        resolve(&doc! {"locale": "fr_CA"})
            .unwrap()
            .get_bool("backwards"),
        Ok(true)
    );
    assert_eq!(
        resolve(&doc! {"locale": "th"})
            .unwrap()
            .get_str("alternate"),
        Ok("shifted")
    );
    let two = resolve(&doc! {"locale": "en", "strength": 2}).unwrap();
    assert_eq!(two.get_i32("strength"), Ok(2));
    assert_eq!(resolve(&doc! {"locale": "simple", "strength": 2}), None);
}

#[test]
fn collations_are_the_same_when_their_resolved_forms_are() {
    let reported_en2 = doc! {
        "locale": "en", "caseLevel": false, "caseFirst": "off", "strength": 2,
        "numericOrdering": false, "alternate": "non-ignorable", "maxVariable": "punct",
        "normalization": false, "backwards": false, "version": "57.1",
    };
    // The case: `{locale: "en"}` is strength 3, not the live 2.
    assert!(!same(Some(&doc! {"locale": "en"}), Some(&reported_en2)));
    assert!(same(
        Some(&doc! {"strength": 2.0, "locale": "en"}),
        Some(&reported_en2)
    ));
    assert!(same(Some(&doc! {"locale": "simple"}), None));
    assert!(!same(Some(&doc! {"locale": "fr"}), None));
    // th's default is `shifted`: declaring it changes nothing.
    assert!(same(
        Some(&doc! {"locale": "th"}),
        Some(&doc! {"locale": "th", "alternate": "shifted"})
    ));
}
