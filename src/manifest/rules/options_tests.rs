//! The index option rules on their own. Each verdict here is the server's
//! (mongod 6.0.5; tests/it/server_parity.rs asks it the same questions).

use super::*;

/// An index declaration as a manifest would give it (JSON flow syntax).
fn decl(json: &str) -> IndexDecl {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// `sphere_levels` over one declaration: `(option, message, warning)` each.
fn levels(json: &str) -> Vec<(String, String, bool)> {
    let d = decl(json);
    let (spec, _) = crate::manifest::convert::convert_index(&d, crate::diagnostics::Format::Yaml);
    let mut out = Vec::new();
    sphere_levels(&d, plugin_of(&spec.keys), &mut out);
    out.into_iter()
        .map(|f| (f.option, f.message, f.warning))
        .collect()
}

fn errors(json: &str) -> Vec<(String, String)> {
    levels(json)
        .into_iter()
        .filter(|(_, _, warning)| !warning)
        .map(|(o, m, _)| (o, m))
        .collect()
}

const SPHERE: &str = r#""keys": {"loc": "2dsphere"}"#;

fn sphere(options: &str) -> String {
    if options.is_empty() {
        format!("{{{SPHERE}}}")
    } else {
        format!("{{{SPHERE}, {options}}}")
    }
}

#[test]
fn levels_within_bounds_are_accepted() {
    for options in [
        "",
        r#""finestIndexedLevel": 17, "coarsestIndexedLevel": 5"#,
        r#""finestIndexedLevel": 30, "coarsestIndexedLevel": 0"#,
        r#""finestIndexedLevel": 12, "coarsestIndexedLevel": 12"#,
        // A whole number written as a float is a whole number.
        r#""finestIndexedLevel": 17.0, "coarsestIndexedLevel": 5.0"#,
    ] {
        assert_eq!(levels(&sphere(options)), vec![], "{options}");
    }
}

#[test]
fn each_level_is_from_0_to_30() {
    assert_eq!(
        errors(&sphere(
            r#""finestIndexedLevel": 31, "coarsestIndexedLevel": 5"#
        )),
        vec![(
            "finestIndexedLevel".into(),
            "must be from 0 to 30, found 31".into()
        )]
    );
    assert_eq!(
        errors(&sphere(
            r#""finestIndexedLevel": 30, "coarsestIndexedLevel": -1"#
        )),
        vec![(
            "coarsestIndexedLevel".into(),
            "must be from 0 to 30, found -1".into()
        )]
    );
    // The server keeps a level in an int: 2^32 + 17 wraps to 17 there and is
    // built, but reported clamped (2147483647), never equal to what was
    // declared; mig refuses it as out of range.
    assert_eq!(
        errors(&sphere(r#""finestIndexedLevel": 4294967313"#)),
        vec![(
            "finestIndexedLevel".into(),
            "must be from 0 to 30, found 4294967313".into()
        )]
    );
    // Out of range, the order is not also reported.
    assert_eq!(
        errors(&sphere(
            r#""finestIndexedLevel": -1, "coarsestIndexedLevel": 31"#
        ))
        .len(),
        2
    );
}

#[test]
fn a_level_is_a_whole_number() {
    assert_eq!(
        errors(&sphere(r#""finestIndexedLevel": 17.5"#)),
        vec![(
            "finestIndexedLevel".into(),
            "must be a whole number from 0 to 30, found 17.5".into()
        )]
    );
    assert_eq!(
        errors(&sphere(r#""coarsestIndexedLevel": 0.5"#)),
        vec![(
            "coarsestIndexedLevel".into(),
            "must be a whole number from 0 to 30, found 0.5".into()
        )]
    );
    // A number that is not one is refused before the rules, by the reader.
    assert!(serde_json::from_str::<IndexDecl>(&sphere(r#""finestIndexedLevel": true"#)).is_err());
    assert!(serde_json::from_str::<IndexDecl>(&sphere(r#""finestIndexedLevel": "x""#)).is_err());
}

#[test]
fn finest_must_not_be_below_coarsest() {
    assert_eq!(
        errors(&sphere(
            r#""finestIndexedLevel": 5, "coarsestIndexedLevel": 17"#
        )),
        vec![(
            "finestIndexedLevel".into(),
            "5 must not be below coarsestIndexedLevel (17)".into()
        )]
    );
}

/// An unset level is the server's default for the index's
/// `2dsphereIndexVersion`: 16 and 2 under 3 (what a new index gets when none
/// is declared), 14 and 7 under 1 or 2.
#[test]
fn an_unset_level_is_its_default_by_2dsphere_index_version() {
    for version in ["", r#", "2dsphereIndexVersion": 3"#] {
        // finest alone against the default coarsest 2.
        assert_eq!(
            errors(&sphere(&format!(r#""finestIndexedLevel": 1{version}"#))),
            vec![(
                "finestIndexedLevel".into(),
                "1 must not be below coarsestIndexedLevel (2, the default)".into()
            )],
            "{version}"
        );
        assert_eq!(
            errors(&sphere(&format!(r#""finestIndexedLevel": 2{version}"#))),
            vec![],
            "{version}"
        );
        // coarsest alone against the default finest 16.
        assert_eq!(
            errors(&sphere(&format!(r#""coarsestIndexedLevel": 17{version}"#))),
            vec![(
                "coarsestIndexedLevel".into(),
                "17 must not be above finestIndexedLevel (16, the default)".into()
            )],
            "{version}"
        );
        assert_eq!(
            errors(&sphere(&format!(r#""coarsestIndexedLevel": 16{version}"#))),
            vec![],
            "{version}"
        );
    }
    for version in [1, 2] {
        let v = format!(r#", "2dsphereIndexVersion": {version}"#);
        assert_eq!(
            errors(&sphere(&format!(r#""finestIndexedLevel": 6{v}"#))),
            vec![(
                "finestIndexedLevel".into(),
                "6 must not be below coarsestIndexedLevel (7, the default)".into()
            )],
            "version {version}"
        );
        assert_eq!(
            errors(&sphere(&format!(r#""finestIndexedLevel": 7{v}"#))),
            vec![]
        );
        assert_eq!(
            errors(&sphere(&format!(r#""coarsestIndexedLevel": 15{v}"#))),
            vec![(
                "coarsestIndexedLevel".into(),
                "15 must not be above finestIndexedLevel (14, the default)".into()
            )],
            "version {version}"
        );
        assert_eq!(
            errors(&sphere(&format!(r#""coarsestIndexedLevel": 14{v}"#))),
            vec![]
        );
    }
}

/// On any other index the server stores the levels, whatever their value,
/// and ignores them: a warning, never an error.
#[test]
fn on_another_index_type_the_levels_are_a_warning() {
    for keys in [
        r#"{"a": 1}"#,
        r#"{"a": "hashed"}"#,
        r#"{"a": "2d"}"#,
        r#"{"a": "text"}"#,
        r#"{"$**": 1}"#,
    ] {
        let found = levels(&format!(
            r#"{{"keys": {keys}, "finestIndexedLevel": 1.5, "coarsestIndexedLevel": -3}}"#
        ));
        assert_eq!(
            found,
            vec![
                (
                    "finestIndexedLevel".into(),
                    "has no effect on an index that is not a 2dsphere index".into(),
                    true
                ),
                (
                    "coarsestIndexedLevel".into(),
                    "has no effect on an index that is not a 2dsphere index".into(),
                    true
                ),
            ],
            "{keys}"
        );
    }
    assert_eq!(levels(r#"{"keys": {"a": 1}}"#), vec![]);
}
