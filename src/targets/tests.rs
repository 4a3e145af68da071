//! Which names are targets, and what the selection flags select.

use bson::{doc, Bson};

use super::*;

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn reserved_invalid_excluded_and_public_names_are_not_targets() {
    let (kept, rejected) = filter_tenants(
        names(&[
            "tenant_a",
            "admin",
            "local",
            "config",
            "bad.name",
            "tenant_b",
            "tenant_sandbox",
            "chat_public",
            "tenant_a",
            "",
        ]),
        &names(&["tenant_sandbox"]),
        Some("chat_public"),
    );
    assert_eq!(kept, names(&["tenant_a", "tenant_b"]));
    let rejected: Vec<&str> = rejected.iter().map(|r| r.database.as_str()).collect();
    assert_eq!(
        rejected,
        vec!["admin", "local", "config", "bad.name", "chat_public", ""]
    );
}

#[test]
fn database_names_follow_mongodb_rules() {
    assert!(check_database_name("tenant_42").is_ok());
    for bad in ["", "a/b", "a b", "a$b", "a.b", &"x".repeat(64)] {
        assert!(check_database_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn registry_fields_may_be_paths() {
    let d = doc! {"billing": {"schema": "t1"}, "schema": "t2"};
    assert_eq!(
        get_path(&d, "billing.schema"),
        Some(&Bson::String("t1".into()))
    );
    assert_eq!(get_path(&d, "schema"), Some(&Bson::String("t2".into())));
    assert_eq!(get_path(&d, "missing.x"), None);
}

#[test]
fn selection_flags() {
    assert!(Selection::default().wants_public() && Selection::default().wants_tenants());
    let t = Selection {
        tenants: names(&["a"]),
        ..Default::default()
    };
    assert!(!t.wants_public() && t.wants_tenants());
    let p = Selection {
        public_only: true,
        ..Default::default()
    };
    assert!(p.wants_public() && !p.wants_tenants());
}
