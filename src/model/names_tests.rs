use super::*;

#[test]
fn messages_name_the_rule() {
    assert_eq!(
        check_database_name("a.b").unwrap_err().to_string(),
        "invalid database name \"a.b\": it contains '.'"
    );
    assert_eq!(
        check_collection_name("system.x").unwrap_err().to_string(),
        "invalid collection name \"system.x\": the system. prefix is reserved"
    );
    assert!(check_collection_name("users").is_ok());
}

#[test]
fn closest_names_are_the_near_misses_best_first() {
    let known = ["customers", "conversations", "messages", "users"];
    assert_eq!(closest("custmers", known), ["customers"]);
    assert_eq!(closest("Message", known), ["messages"]);
    assert!(closest("invoices", known).is_empty());
    assert_eq!(
        closest("tenant_c", ["tenant_a", "tenant_b", "other"]),
        ["tenant_a", "tenant_b"]
    );
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}
