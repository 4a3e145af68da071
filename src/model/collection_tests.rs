use bson::doc;

use super::*;

#[test]
fn undeclared_options_are_not_managed() {
    let live = doc! {"validator": {"a": 1}, "capped": true, "size": 1024};
    assert!(compare_options(&doc! {}, &live).is_empty());
}
