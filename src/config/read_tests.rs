//! An unknown key of mig.toml and the closest one.

use super::*;

#[test]
fn an_unknown_key_names_the_closest_one() {
    let serde = "unknown field `sorce`, expected one of `source`, `databases`, `prefix`";
    assert_eq!(
        did_you_mean(serde).as_deref(),
        Some(
            "unknown field `sorce` (did you mean `source`?), expected one of `source`, \
             `databases`, `prefix`"
        )
    );
    let one = "unknown field `databse`, expected `database` or `cluster`";
    assert!(did_you_mean(one)
        .unwrap()
        .contains("(did you mean `database`?)"));
    assert_eq!(
        did_you_mean("unknown field `zzzzzz`, expected `source`"),
        None
    );
    assert_eq!(did_you_mean("invalid type: string"), None);
}
