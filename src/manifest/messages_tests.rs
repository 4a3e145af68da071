//! The words of manifest problems, exactly as printed: the mistakes a new
//! user makes, in YAML and in TOML.

use std::path::PathBuf;

use bson::{doc, Bson};

use super::*;

fn problems(name: &str, source: &str) -> Vec<String> {
    let sources = vec![(PathBuf::from(name), source.to_string())];
    load_sources(&sources)
        .1
        .iter()
        .map(|p| p.to_string())
        .collect()
}

const YAML_HEAD: &str = "scope: tenant\ncollections:\n  - name: users\n    indexes:\n";
const TOML_HEAD: &str = "scope = \"tenant\"\n[[collections]]\nname = \"users\"\n";

#[test]
fn a_key_indented_too_far_is_an_indentation_problem() {
    let yaml = format!(
        "{YAML_HEAD}      - name: a\n        keys: {{ a: 1 }}\n      - name: c\n        keys: {{ c: 1 }}\n         unique: true\n"
    );
    assert_eq!(
        problems("m.yaml", &yaml),
        [
            "m.yaml:9:10: bad indentation: this line starts in column 10, but the keys of the \
          mapping on line 7 start in column 9; YAML nests by indentation, so the keys of one \
          mapping must start in the same column"
        ]
    );
}

#[test]
fn a_key_indented_too_little_names_the_columns_around_it() {
    let yaml = format!("{YAML_HEAD}      - name: a\n        keys: {{ a: 1 }}\n     unique: true\n");
    assert_eq!(
        problems("m.yaml", &yaml),
        ["m.yaml:7:6: bad indentation: this line starts in column 6, but the keys of the mapping \
          on line 3 start in column 5, and line 6 in column 9; YAML nests by indentation, so the \
          keys of one mapping must start in the same column"]
    );
}

#[test]
fn a_key_deeper_than_the_one_above_is_read_as_its_value() {
    let yaml = format!("{YAML_HEAD}      - name: a\n          keys: {{ a: 1 }}\n");
    assert_eq!(
        problems("m.yaml", &yaml),
        [
            "m.yaml:6:11: bad indentation: this line starts in column 11, deeper than line 5 \
          (column 7), so YAML reads it as more of the value on line 5; line its key up with the \
          key above"
        ]
    );
}

#[test]
fn a_list_item_out_of_line_is_an_indentation_problem() {
    let yaml = format!("{YAML_HEAD}    - name: a\n      keys: {{ a: 1 }}\n   - name: b\n");
    assert_eq!(
        problems("m.yaml", &yaml),
        [
            "m.yaml:7:4: bad indentation: this line starts in column 4, but the items of the list \
          on line 3 start with `-` in column 3; line the `-` up with the other items (YAML nests \
          by indentation)"
        ]
    );
}

#[test]
fn a_tab_is_said_to_be_a_tab() {
    const TAB: &str = "m.yaml:{}:1: a tab where YAML needs spaces: YAML indents with spaces only, \
                       never tabs (replace the tab with spaces)";
    // Where libyaml says "found a tab character that violates indentation"...
    let yaml = format!("{YAML_HEAD}      - name: a\n\tkeys: {{ a: 1 }}\n");
    assert_eq!(problems("m.yaml", &yaml), [TAB.replace("{}", "6")]);
    // ... and "found character that cannot start any token".
    let yaml = format!("{YAML_HEAD}      - name: a\n        keys:\n\t  a: 1\n");
    assert_eq!(problems("m.yaml", &yaml), [TAB.replace("{}", "7")]);
    let yaml = "scope: tenant\ncollections:\n\t- name: users\n";
    assert_eq!(problems("m.yaml", yaml), [TAB.replace("{}", "3")]);
}

#[test]
fn a_toml_null_in_a_filter_gets_its_extended_json_spelling() {
    let toml = |filter: &str| {
        format!(
            "{TOML_HEAD}[[collections.indexes]]\nname = \"ix\"\nkeys = {{ email = 1 }}\n{filter}\n"
        )
    };
    let p = problems(
        "m.toml",
        &toml("partialFilterExpression = { deletedAt = null }"),
    );
    let fix = r#"partialFilterExpression = '{"deletedAt": null}'"#;
    assert_eq!(
        p,
        [format!(
            "m.toml:7:41: TOML has no null: write this option as an Extended JSON string, which \
             has null: {fix}"
        )]
    );
    // The suggested spelling is read, as the filter that was meant.
    let sources = vec![(PathBuf::from("m.toml"), toml(fix))];
    let (m, p) = load_sources(&sources);
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(
        m.tenant[0].indexes[0].partial_filter_expression,
        Some(doc! {"deletedAt": Bson::Null})
    );
    // Nested and beside other values, too.
    let p = problems(
        "m.toml",
        &toml(
            r#"partialFilterExpression = { status = "active", "owner.deletedAt" = { "$in" = [null, 0] } }"#,
        ),
    );
    let fix = r#"partialFilterExpression = '{"status": "active", "owner.deletedAt": {"$in": [null, 0]}}'"#;
    assert!(p[0].ends_with(fix), "{p:?}");
    let sources = vec![(PathBuf::from("m.toml"), toml(fix))];
    let (m, p) = load_sources(&sources);
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(
        m.tenant[0].indexes[0].partial_filter_expression,
        Some(doc! {"status": "active", "owner.deletedAt": {"$in": [Bson::Null, 0]}})
    );
}

#[test]
fn a_toml_null_elsewhere_is_said_plainly() {
    let toml = format!("{TOML_HEAD}[[collections.indexes]]\nkeys = {{ email = null }}\n");
    assert_eq!(
        problems("m.toml", &toml),
        ["m.toml:5:18: TOML has no null value: leave the field out, or give a value"]
    );
}

#[test]
fn key_for_keys_is_a_near_miss() {
    let yaml = format!("{YAML_HEAD}      - name: ix\n        key: {{ a: 1 }}\n");
    assert_eq!(
        problems("m.yaml", &yaml),
        [
            "m.yaml:6:9: users.ix: key: unknown field \"key\": did you mean \"keys\"? (an index \
          needs keys: its fields in order, such as { createdAt: -1 })"
        ]
    );
    let toml = format!("{TOML_HEAD}[[collections.indexes]]\nname = \"ix\"\nkey = {{ a = 1 }}\n");
    assert_eq!(
        problems("m.toml", &toml),
        [
            "m.toml:6:1: users.ix: key: unknown field \"key\": did you mean \"keys\"? (an index \
          needs keys: its fields in order, such as { createdAt = -1 })"
        ]
    );
}

#[test]
fn near_misses_are_named_at_every_level() {
    let yaml = "scope: tenant\ncolections: []\nunmanged: []\ncollections:\n  - nme: users\n  - name: m\n    indexs: []\n    shardKey: true\n";
    assert_eq!(
        problems("m.yaml", yaml),
        [
            "m.yaml:2:1: colections: unknown field \"colections\": did you mean \"collections\"?",
            "m.yaml:3:1: unmanged: unknown field \"unmanged\": did you mean \"unmanaged\"?",
            "m.yaml:5:5: collections[0].nme: unknown field \"nme\": did you mean \"name\"? (a \
             collection needs a name)",
            "m.yaml:7:5: m: indexs: unknown field \"indexs\": did you mean \"indexes\"?",
            "m.yaml:8:5: m: shardKey: unknown field \"shardKey\" (a collection has name, indexes, and MongoDB's collection options: validator, collation, timeseries, viewOn, …)",
        ]
    );
    // Missing with nothing like it: what is needed.
    assert_eq!(
        problems("m.yaml", "collections: []\n"),
        ["m.yaml: a manifest needs a scope: public, tenant, or [public, tenant]"]
    );
}

#[test]
fn words_for_a_direction_suggest_the_number() {
    let yaml = format!(
        "{YAML_HEAD}      - name: ix\n        keys: {{ createdAt: desc, a: ascending, b: \"-1\", c: ASC }}\n"
    );
    assert_eq!(
        problems("m.yaml", &yaml),
        [
            "m.yaml:6:17: users.ix: keys.createdAt: a direction is a number: write -1 for \
             descending, not \"desc\" (or 1 for ascending)",
            "m.yaml:6:34: users.ix: keys.a: a direction is a number: write 1 for ascending, not \
             \"ascending\" (or -1 for descending)",
            "m.yaml:6:48: users.ix: keys.b: \"-1\" is text, not a number: write -1 without quotes \
             (descending)",
            "m.yaml:6:57: users.ix: keys.c: a direction is a number: write 1 for ascending, not \
             \"ASC\" (or -1 for descending)",
        ]
    );
    let toml = format!(
        "{TOML_HEAD}[[collections.indexes]]\nname = \"ix\"\nkeys = {{ createdAt = \"descending\", b = \"1\" }}\n"
    );
    assert_eq!(
        problems("m.toml", &toml),
        [
            "m.toml:6:10: users.ix: keys.createdAt: a direction is a number: write -1 for \
             descending, not \"descending\" (or 1 for ascending)",
            "m.toml:6:36: users.ix: keys.b: \"1\" is text, not a number: write 1 without quotes \
             (ascending)",
        ]
    );
}

#[test]
fn type_errors_say_what_the_field_must_be() {
    let yaml = format!(
        "{YAML_HEAD}      - name: ix\n        keys: {{ a: 1 }}\n        expireAfterSeconds: soon\n        unique: yes\n        hidden: \"true\"\n        min: x\n      - keys: [a]\n      - keys: {{ b: 1 }}\n        name: 5\n"
    );
    assert_eq!(
        problems("m.yaml", &yaml),
        [
            "m.yaml:7:9: users.ix: expireAfterSeconds: must be a whole number of seconds, not \"soon\"",
            "m.yaml:8:9: users.ix: unique: must be true or false, not \"yes\" (write true)",
            "m.yaml:9:9: users.ix: hidden: must be true or false, not \"true\" (write true without quotes)",
            "m.yaml:10:9: users.ix: min: must be a number, not \"x\"",
            "m.yaml:11:9: users.indexes[1]: keys: must be a mapping of fields to directions, such \
             as { createdAt: -1 }, not a list",
            "m.yaml:13:9: users.b_1: name: must be text, not 5",
        ]
    );
    let toml = format!(
        "{TOML_HEAD}[[collections.indexes]]\nname = \"ix\"\nkeys = {{ a = 1 }}\nexpireAfterSeconds = \"3600\"\nhidden = 1\n[[collections.indexes]]\nkeys = \"a\"\nbits = [1]\n"
    );
    assert_eq!(
        problems("m.toml", &toml),
        [
            "m.toml:7:1: users.ix: expireAfterSeconds: must be a whole number of seconds, not \
             \"3600\" (write 3600 without quotes)",
            "m.toml:8:1: users.ix: hidden: must be true or false, not 1",
            "m.toml:10:1: users.indexes[1]: keys: must be a table of fields to directions, such \
             as { createdAt = -1 }, not \"a\"",
            "m.toml:11:1: users.indexes[1]: bits: must be a number from 1 to 32, not a list",
        ]
    );
    let p = problems("m.yaml", "scope: tenant\ncollections: { name: users }\n");
    assert_eq!(
        p,
        ["m.yaml:2:1: collections: must be a list of collections, not a mapping"]
    );
}

#[test]
fn a_type_error_hides_no_other_problem_of_the_file() {
    // A type error in the first index, an unknown field in the third, a rule
    // broken in another collection, a bad scope: all four, in file order.
    let yaml = "scope: everywhere\ncollections:\n  - name: users\n    indexes:\n      - keys: { a: 1 }\n        unique: maybe\n      - keys: { b: 1 }\n      - keys: { c: 1 }\n        uniqe: true\n  - name: orders\n    indexes:\n      - keys: { d: hashed }\n        unique: true\n";
    assert_eq!(
        problems("m.yaml", yaml),
        [
            "m.yaml:1:1: scope: unknown scope \"everywhere\": expected public, tenant, or a list \
             of them ([public, tenant])",
            "m.yaml:6:9: users.a_1: unique: must be true or false, not \"maybe\"",
            "m.yaml:9:9: users.c_1: uniqe: unknown index option \"uniqe\" (did you mean \
             \"unique\"?); the options are MongoDB's own names",
            "m.yaml:13:9: orders.d_hashed: unique: a hashed index cannot be unique: add a \
             separate unique index on the field",
        ]
    );
    let toml = "scope = \"tenant\"\n[[collections]]\nname = \"users\"\n[[collections.indexes]]\nkeys = { a = 1 }\nexpireAfterSeconds = \"soon\"\n[[collections.indexes]]\nkeys = { b = 1 }\n[[collections.indexes]]\nkeys = { c = 1 }\nuniqe = true\n";
    assert_eq!(
        problems("m.toml", toml),
        [
            "m.toml:6:1: users.a_1: expireAfterSeconds: must be a whole number of seconds, not \"soon\"",
            "m.toml:11:1: users.c_1: uniqe: unknown index option \"uniqe\" (did you mean \
             \"unique\"?); the options are MongoDB's own names",
        ]
    );
}

#[test]
fn lines_and_columns_count_from_one() {
    // Parser errors, type errors and rule findings alike; in a flow mapping
    // each field has its own column.
    let yaml = "scope: tenant\ncollections:\n  - name: users\n    indexes:\n      - { keys: { a: 0 }, hidden: 2 }\n";
    assert_eq!(
        problems("m.yaml", yaml),
        [
            "m.yaml:5:19: users.a_0: keys.a: a key direction cannot be 0: use 1 (ascending) or -1 (descending)",
            "m.yaml:5:27: users.a_0: hidden: must be true or false, not 2",
        ]
    );
    let yaml =
        "scope: tenant\ncollections:\n  - name: users\n    indexes:\n      - keys: { a: 0 }\n";
    assert_eq!(
        problems("m.yaml", yaml),
        ["m.yaml:5:17: users.a_0: keys.a: a key direction cannot be 0: use 1 (ascending) or -1 (descending)"]
    );
    let p = problems("m.yaml", "scope: [\n");
    assert!(p[0].starts_with("m.yaml:2:1: "), "{p:?}");
    let p = problems("m.toml", "scope = \"tenant\"\n  [[collections]\n");
    // The second `]` is missing where the line ends, in column 17.
    assert_eq!(p, ["m.toml:2:17: unclosed array table, expected `]`"]);
}
