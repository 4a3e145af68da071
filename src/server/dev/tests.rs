use super::build::random_hex;
use super::*;
use crate::model::Collection;

#[test]
fn patch_releases_of_one_release_match() {
    assert!(check_versions("6.0.5", "6.0.14").is_ok());
    assert!(check_versions("7.0.2", "7.0.2").is_ok());
    assert!(check_versions("6.0.5-rc1", "6.0.5").is_ok());
}

#[test]
fn other_releases_do_not() {
    let e = check_versions("7.0.2", "6.0.5").unwrap_err();
    assert_eq!(
        e.to_string().split(':').next().unwrap(),
        "the dev server is MongoDB 7.0.2, production is 6.0.5"
    );
    assert!(e.to_string().contains("MongoDB 6.0"), "{e}");
    assert!(check_versions("7.1.0", "7.0.9").is_err());
    assert!(check_versions("4.4.1", "4.2.1").is_err());
    assert!(check_versions("garbage", "6.0.5").is_err());
    assert!(check_versions("6.0.5", "0").is_err());
}

#[test]
fn throw_away_names_are_short_and_distinct() {
    let a = random_hex();
    assert_eq!(a.len(), 8);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert!(format!("mig_dev_{a}_tenant").len() <= 63);
    assert_ne!(a, random_hex());
}

#[test]
fn server_forms_go_to_their_own_declaration() {
    let spec = |name: &str| IndexSpec {
        name: name.into(),
        keys: doc! {"a": 1},
        ..Default::default()
    };
    let collection = |indexes| Collection {
        name: "c".into(),
        indexes,
        ..Default::default()
    };
    let mut manifests = Manifests {
        public: vec![collection(vec![spec("x")])],
        tenant: vec![collection(vec![spec("x"), spec("y")])],
        ..Default::default()
    };
    let form = IndexSpec {
        other: doc! {"v": 2},
        ..spec("x")
    };
    let outcome = DevOutcome {
        version: "6.0.5".into(),
        declarations: vec![
            Declaration {
                scope: Scope::Tenant,
                collection: "c".into(),
                index: "x".into(),
                answer: Answer::Built(Some(Box::new(form.clone()))),
            },
            Declaration {
                scope: Scope::Tenant,
                collection: "c".into(),
                index: "y".into(),
                answer: Answer::Built(None),
            },
        ],
    };
    outcome.apply(&mut manifests);
    assert_eq!(
        manifests.tenant[0].indexes[0].server_form.as_deref(),
        Some(&form)
    );
    assert_eq!(manifests.tenant[0].indexes[1].server_form, None);
    assert_eq!(manifests.public[0].indexes[0].server_form, None);
    assert_eq!(outcome.built(), 2);
    assert!(outcome.problems().is_empty());
}
