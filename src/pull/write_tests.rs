use super::*;

#[test]
fn thousands_and_samples() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1987), "1,987");
    assert_eq!(thousands(1234567), "1,234,567");
    let names: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
    assert_eq!(sample(&names[..2]), "a, b");
    assert_eq!(sample(&names), "a, b, c, … (+2)");
}

#[test]
fn yaml_strings_that_would_read_back_as_something_else_are_quoted() {
    assert_eq!(yaml_scalar("text"), "text");
    assert_eq!(yaml_scalar("2dsphere"), "\"2dsphere\"");
    assert_eq!(yaml_scalar("yes"), "\"yes\"");
    assert_eq!(yaml_scalar("a b"), "\"a b\"");
    assert_eq!(yaml_key("billing.status"), "billing.status");
    assert_eq!(yaml_key("$**"), "\"$**\"");
    assert_eq!(yaml_key("$gte"), "$gte");
    assert_eq!(yaml_key("a.$**"), "\"a.$**\"");
}

#[test]
fn toml_keys_and_strings() {
    assert_eq!(toml_key("a_b-1"), "a_b-1");
    assert_eq!(toml_key("a.b"), "\"a.b\"");
    assert_eq!(toml_string("x"), "'x'");
    assert_eq!(toml_string("it's"), "\"it's\"");
}
