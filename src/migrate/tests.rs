use std::path::PathBuf;

use bson::doc;

use super::load::{load_sources, valid_id};
use super::template::template;
use super::*;

fn load(files: &[(&str, &str)]) -> (Vec<Migration>, Vec<String>) {
    let sources: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, s)| (PathBuf::from(p), s.to_string()))
        .collect();
    let (m, p) = load_sources(&sources);
    (m, p.iter().map(|p| p.to_string()).collect())
}

const BACKFILL: &str = r#"description: backfill status
scope: tenant
up:
  - precondition: { collection_exists: messages }
  - update_many:
      collection: messages
      filter: { status: { $exists: false } }
      update: { $set: { status: sent, at: { $date: "2025-01-01T00:00:00Z" } } }
      batch_size: 500
down:
  - update_many:
      collection: messages
      filter: { status: sent }
      update: { $unset: { status: "" } }
"#;

#[test]
fn a_migration_is_read_in_id_order_with_bson_values() {
    let (m, p) = load(&[
        ("20250102000000_second.yaml", BACKFILL),
        ("20250101000000_first.yaml", BACKFILL),
    ]);
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(m[0].id, "20250101000000_first");
    assert_eq!(m[0].up.len(), 2);
    match &m[0].up[1] {
        Op::UpdateMany {
            update: Update::Document(u),
            batch_size,
            ..
        } => {
            assert!(matches!(
                u.get_document("$set").unwrap().get("at"),
                Some(bson::Bson::DateTime(_))
            ));
            assert_eq!(*batch_size, Some(500));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn toml_reads_the_same() {
    let toml = r#"description = "backfill status"
scope = "tenant"
[[up]]
[up.precondition]
collection_exists = "messages"
[[up]]
[up.update_many]
collection = "messages"
filter = '{"status": {"$exists": false}}'
update = '{"$set": {"status": "sent", "at": {"$date": "2025-01-01T00:00:00Z"}}}'
batch_size = 500
[[down]]
[down.update_many]
collection = "messages"
filter = { status = "sent" }
update = '{"$unset": {"status": ""}}'
"#;
    let (y, _) = load(&[("20250101000000_a.yaml", BACKFILL)]);
    let (t, p) = load(&[("20250101000000_a.toml", toml)]);
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(y[0].up, t[0].up);
    assert_eq!(y[0].down, t[0].down);
}

#[test]
fn the_checksum_ignores_comments_and_layout_but_not_content() {
    let (a, _) = load(&[("20250101000000_a.yaml", BACKFILL)]);
    let commented = format!(
        "# a comment\n{}",
        BACKFILL.replace("scope: tenant", "scope:   tenant   # here")
    );
    let (b, _) = load(&[("20250101000000_a.yaml", &commented)]);
    let (c, _) = load(&[("20250101000000_a.yaml", &BACKFILL.replace("500", "501"))]);
    assert_eq!(a[0].checksum, b[0].checksum);
    assert_ne!(a[0].checksum, c[0].checksum);
}

#[test]
fn bad_file_names_and_duplicate_ids_are_named() {
    let (_, p) = load(&[
        ("backfill.yaml", BACKFILL),
        ("2025_x.yaml", BACKFILL),
        ("20250101000000_a.yaml", BACKFILL),
        (
            "20250101000000_a.toml",
            "description = \"x\"\nscope = \"tenant\"\nup = []\n",
        ),
    ]);
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(p[0].starts_with("backfill.yaml") && p[0].contains("<YYYYMMDDHHMMSS>_<name>"));
    assert!(p[2].contains("20250101000000_a is also"), "{p:#?}");
}

fn one_step(step: &str, destructive: bool) -> Vec<String> {
    let text = format!(
        "description: x\nscope: tenant\nallow_destructive: {destructive}\nup:\n  - {step}\n"
    );
    load(&[("20250101000000_x.yaml", &text)]).1
}

#[test]
fn bad_steps_are_named_with_file_line_and_field() {
    let p = one_step("frobnicate: { collection: m }", false);
    assert!(
        p[0].starts_with("20250101000000_x.yaml:5:")
            && p[0].contains("unknown variant `frobnicate`"),
        "{p:?}"
    );
    let p = one_step(
        "update_many: { filter: {}, update: { $set: { a: 1 } } }",
        false,
    );
    assert!(p[0].contains("missing field `collection`"), "{p:?}");
    let p = one_step(
        "update_many: { collection: m, filter: '{\"a\": ', update: { $set: { a: 1 } } }",
        false,
    );
    assert!(
        p[0].contains("up[0].update_many.filter") && p[0].contains("invalid Extended JSON"),
        "{p:?}"
    );
    let p = one_step("update_many: { collection: m, filter: { a: { $date: \"yesterday\" } }, update: { $set: { a: 1 } } }", false);
    assert!(p[0].contains("invalid Extended JSON"), "{p:?}");
}

#[test]
fn destructive_steps_need_allow_destructive() {
    let p = one_step("delete_many: { collection: m, filter: {} }", false);
    assert!(
        p[0].starts_with("20250101000000_x.yaml:5:") && p[0].contains("allow_destructive: true"),
        "{p:?}"
    );
    let p = one_step("drop_collection: { name: m }", false);
    assert!(p[0].contains("allow_destructive"), "{p:?}");
    assert!(one_step("delete_many: { collection: m, filter: {} }", true).is_empty());
}

#[test]
fn index_creation_is_refused_with_a_pointer_to_the_manifests() {
    let p = one_step("create_index: { collection: m, keys: { a: 1 } }", false);
    assert!(p[0].contains("declared in the manifests"), "{p:?}");
    let p = one_step(
        "run_command: { command: { createIndexes: m, indexes: [] } }",
        false,
    );
    assert!(
        p[0].contains("createIndexes") && p[0].contains("declared in the manifests"),
        "{p:?}"
    );
}

#[test]
fn upsert_documents_need_their_key() {
    let p = one_step(
        "upsert_many: { collection: plans, key: [code], documents: [{ code: a }, { name: b }] }",
        false,
    );
    assert!(
        p[0].contains("documents[1]") && p[0].contains("no key field \"code\""),
        "{p:?}"
    );
}

#[test]
fn ids_parse() {
    assert!(valid_id("20250101120000_backfill_status"));
    assert!(!valid_id("2025010112000_x"));
    assert!(!valid_id("20250101120000_"));
    assert!(!valid_id("20250101120000_Caps"));
}

#[test]
fn the_template_runs_nothing_until_its_commented_example_is_written() {
    for toml in [false, true] {
        let ext = if toml { "toml" } else { "yaml" };
        let name = format!("20250101000000_backfill_status.{ext}");
        let text = template("backfill_status", MigrationScope::Tenant, toml);
        let (_, p) = load(&[(&name, &text)]);
        assert_eq!(p.len(), 1, "{ext}: {p:?}");
        assert!(p[0].contains("no `up` step yet"), "{ext}: {p:?}");
        // The example, uncommented in place of the empty lists, is a valid migration.
        let example: String = text
            .lines()
            .skip_while(|l| !l.contains("for example:"))
            .skip(1)
            .filter(|l| !matches!(l.trim(), "up = []" | "down = []" | "up: []" | "down: []"))
            .map(|l| l.strip_prefix("# ").unwrap_or(l.trim_start_matches('#')))
            .collect::<Vec<_>>()
            .join("\n");
        let head: String = text
            .lines()
            .take_while(|l| !l.contains("for example:"))
            .collect::<Vec<_>>()
            .join("\n");
        let (m, p) = load(&[(&name, &format!("{head}\n{example}\n"))]);
        assert!(p.is_empty(), "{ext}: {p:?}");
        assert_eq!(m[0].up.len(), 1);
        assert_eq!(m[0].down.len(), 1);
        assert_eq!(m[0].scope, MigrationScope::Tenant);
    }
    let _ = doc! {};
}
