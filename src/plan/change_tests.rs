//! The names of changes: one serde encoding, each read back as itself, an
//! unknown one refused.

use super::*;

/// Every variant, by a `match` without a wildcard: a new variant fails to
/// compile here until it is listed in `ALL` (and so tested below).
fn listed_action(a: Action) -> bool {
    match a {
        Action::Modify
        | Action::Replace
        | Action::Create
        | Action::Hide
        | Action::Drop
        | Action::Manual => Action::ALL.contains(&a),
    }
}

fn listed_kind(k: ChangeKind) -> bool {
    match k {
        ChangeKind::CreateCollection
        | ChangeKind::ModifyCollection
        | ChangeKind::Unchangeable
        | ChangeKind::Create
        | ChangeKind::Modify
        | ChangeKind::Replace
        | ChangeKind::Rename
        | ChangeKind::Conflict
        | ChangeKind::Hide
        | ChangeKind::Drop => ChangeKind::ALL.contains(&k),
    }
}

fn round_trip<T>(value: T) -> (String, T)
where
    T: Serialize + for<'de> Deserialize<'de>,
{
    let json = serde_json::to_value(&value).unwrap();
    let name = json.as_str().expect("a name is a JSON string").to_string();
    (name, serde_json::from_value(json).unwrap())
}

#[test]
fn every_action_is_its_json_name_and_reads_back_as_itself() {
    let names: Vec<String> = Action::ALL
        .into_iter()
        .map(|a| {
            assert!(listed_action(a));
            let (name, back) = round_trip(a);
            assert_eq!(back, a, "{name}");
            assert_eq!(a.to_string(), name);
            name
        })
        .collect();
    assert_eq!(
        names,
        ["modify", "replace", "create", "hide", "drop", "manual"]
    );
}

#[test]
fn every_change_kind_is_its_saved_name_and_reads_back_as_itself() {
    let names: Vec<String> = ChangeKind::ALL
        .into_iter()
        .map(|k| {
            assert!(listed_kind(k));
            let (name, back) = round_trip(k);
            assert_eq!(back, k, "{name}");
            assert_eq!(k.to_string(), name);
            name
        })
        .collect();
    assert_eq!(
        names,
        [
            "create_collection",
            "modify_collection",
            "unchangeable",
            "create",
            "modify",
            "replace",
            "rename",
            "conflict",
            "hide",
            "drop"
        ]
    );
}

#[test]
fn unknown_names_are_refused_saying_which() {
    let e = serde_json::from_str::<Action>(r#""rebuild""#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `rebuild`") && e.contains("`replace`"),
        "{e}"
    );
    let e = serde_json::from_str::<ChangeKind>(r#""teleport""#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `teleport`") && e.contains("`create_collection`"),
        "{e}"
    );
}
