//! The mistakes a new user makes in a manifest, end to end: `plan` and
//! `apply` say each one in words, with file, line and column, report every
//! problem of every file in one run, exit 1, and touch no database.

use crate::support;

use mongodb::bson::{doc, Bson};
use support::*;

const TENANT_OK: &str = "scope = \"tenant\"\n[[collections]]\nname = \"orders\"\n[[collections.indexes]]\nkeys = { placedAt = -1 }\n";

/// A project with one tenant that already has a collection and an index of
/// its own, so that "nothing changed" can be checked, not only "nothing created".
async fn project() -> (Project, String) {
    let p = Project::new();
    let tenant = p.tenant();
    p.config(&format!(
        "[tenants]\nsource = \"list\"\ndatabases = [\"{tenant}\"]\n"
    ));
    p.manifest("orders.toml", TENANT_OK);
    client()
        .await
        .database(&tenant)
        .run_command(
            doc! {"createIndexes": "orders", "indexes": [{"key": {"old": 1}, "name": "old_1"}]},
        )
        .await
        .unwrap();
    (p, tenant)
}

/// Runs `plan` and `apply`: each exits 1 and says every one of `expected` on
/// stderr; afterwards the public database does not exist and the tenant's
/// indexes are as they were.
async fn refused(p: &Project, tenant: &str, expected: &[&str]) {
    let before = live_indexes(tenant, "orders").await;
    for command in ["plan", "apply"] {
        let out = p.mig(&[command]);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", show(&out));
        let err = stderr(&out);
        for line in expected {
            assert!(err.contains(line), "{command}: expected {line:?} in\n{err}");
        }
        assert!(
            err.contains(&format!("{} problem(s) found", expected.len())),
            "{command}: {err}"
        );
    }
    let dbs = client().await.list_database_names().await.unwrap();
    assert!(!dbs.contains(&p.public), "the public database was created");
    assert_eq!(
        live_indexes(tenant, "orders").await,
        before,
        "the tenant changed"
    );
}

#[tokio::test]
async fn yaml_indentation_and_tabs_are_said_as_such() {
    let (p, tenant) = project().await;
    p.manifest(
        "indent.yaml",
        "scope: tenant\ncollections:\n  - name: users\n    indexes:\n      - name: ix_email\n        keys: { email: 1 }\n         unique: true\n",
    );
    p.manifest(
        "tab.yaml",
        "scope: tenant\ncollections:\n  - name: users\n    indexes:\n      - name: a\n\tkeys: { a: 1 }\n",
    );
    refused(
        &p,
        &tenant,
        &[
            "manifests/indent.yaml:7:10: bad indentation: this line starts in column 10, but the \
             keys of the mapping on line 5 start in column 9; YAML nests by indentation, so the \
             keys of one mapping must start in the same column",
            "manifests/tab.yaml:6:1: a tab where YAML needs spaces: YAML indents with spaces \
             only, never tabs (replace the tab with spaces)",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_toml_null_is_refused_with_a_spelling_the_server_then_builds() {
    let (p, tenant) = project().await;
    let manifest = |filter: &str| {
        format!("scope = \"tenant\"\n[[collections]]\nname = \"users\"\n[[collections.indexes]]\nname = \"ix_email\"\nkeys = {{ email = 1 }}\nunique = true\n{filter}\n")
    };
    p.manifest(
        "users.toml",
        &manifest("partialFilterExpression = { deletedAt = null }"),
    );
    let fix = r#"partialFilterExpression = '{"deletedAt": null}'"#;
    refused(
        &p,
        &tenant,
        &[&format!(
            "manifests/users.toml:8:41: TOML has no null: write this option as an Extended JSON \
             string, which has null: {fix}"
        )],
    )
    .await;
    // The spelling it suggests is the filter that was meant.
    p.manifest("users.toml", &manifest(fix));
    let out = p.mig(&["apply"]);
    assert!(out.status.success(), "{}", show(&out));
    let built = live_index(&tenant, "users", "ix_email").await.unwrap();
    assert_eq!(
        built.get_document("partialFilterExpression").unwrap(),
        &doc! {"deletedAt": Bson::Null}
    );
}

#[tokio::test]
async fn every_problem_of_every_file_in_one_run() {
    let (p, tenant) = project().await;
    // A type error in the first index hides neither the unknown field of
    // the third nor the problems of another file.
    p.manifest(
        "users.yaml",
        "scope: tenant\ncollections:\n  - name: users\n    indexes:\n      - name: ix_ttl\n        keys: { createdAt: 1 }\n        expireAfterSeconds: soon\n      - name: ix_email\n        keys: { email: 1 }\n      - name: ix_name\n        keys: { name: 1 }\n        uniqe: true\n",
    );
    p.manifest(
        "events.toml",
        "scope = \"tenant\"\n[[collections]]\nname = \"events\"\n[[collections.indexes]]\nname = \"ix_at\"\nkey = { at = -1 }\n[[collections.indexes]]\nname = \"ix_kind\"\nkeys = { kind = 1, at = \"desc\" }\n",
    );
    refused(
        &p,
        &tenant,
        &[
            "manifests/events.toml:6:1: events.ix_at: key: unknown field \"key\": did you mean \
             \"keys\"? (an index needs keys: its fields in order, such as { createdAt = -1 })",
            "manifests/events.toml:9:20: events.ix_kind: keys.at: a direction is a number: write \
             -1 for descending, not \"desc\" (or 1 for ascending)",
            "manifests/users.yaml:7:9: users.ix_ttl: expireAfterSeconds: must be a whole number \
             of seconds, not \"soon\"",
            "manifests/users.yaml:12:9: users.ix_name: uniqe: unknown index option \"uniqe\" \
             (did you mean \"unique\"?)",
        ],
    )
    .await;

    // The same problems as a JSON document on stdout.
    let (json, code) = p.json(&["plan"]);
    assert_eq!(code, 1);
    assert_eq!(json["valid"], false);
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 4, "{json:#}");
    let ttl = problems
        .iter()
        .find(|q| q["option"] == "expireAfterSeconds")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert!(
        ttl["file"]
            .as_str()
            .unwrap()
            .ends_with("manifests/users.yaml"),
        "{ttl}"
    );
    assert_eq!(ttl["line"], 7);
    assert_eq!(ttl["column"], 9);
    assert_eq!(ttl["subject"], "users.ix_ttl");
    assert_eq!(ttl["field"], "collections[0].indexes[0].expireAfterSeconds");
    assert_eq!(
        ttl["message"],
        "must be a whole number of seconds, not \"soon\""
    );
}

/// `collation: "en"` (a locale name where a document belongs), in YAML and
/// TOML, on an index and on a collection: each is said with file, line and
/// field, and with the document to write in that file's syntax, which the
/// server then builds.
#[tokio::test]
async fn a_collation_given_as_a_locale_name_is_told_it_is_a_document() {
    let (p, tenant) = project().await;
    let yaml = |collation: &str| {
        format!("scope: tenant\ncollections:\n  - name: users\n    indexes:\n      - name: ix_email\n        keys: {{ email: 1 }}\n        collation: {collation}\n")
    };
    p.manifest("users.yaml", &yaml("en"));
    p.manifest(
        "events.toml",
        "scope = \"tenant\"\n[[collections]]\nname = \"events\"\ncollation = \"fr\"\n",
    );
    let why = "a collation is a document that names its locale (and any other collation \
               fields), not a locale name alone";
    refused(
        &p,
        &tenant,
        &[
            &format!(
                "manifests/users.yaml:7:9: users.ix_email: collation: must be a document such \
                 as {{locale: \"en\"}}, not the text \"en\": {why}"
            ),
            &format!(
                "manifests/events.toml:4:1: events: collation: must be a document such as \
                 {{ locale = \"fr\" }}, not the text \"fr\": {why}"
            ),
        ],
    )
    .await;
    // The document it suggests is the collation that was meant.
    std::fs::remove_file(p.path().join("manifests/events.toml")).unwrap();
    p.manifest("users.yaml", &yaml("{locale: \"en\"}"));
    let out = p.mig(&["apply"]);
    assert!(out.status.success(), "{}", show(&out));
    let built = live_index(&tenant, "users", "ix_email").await.unwrap();
    assert_eq!(
        built.get_document("collation").unwrap().get_str("locale"),
        Ok("en")
    );
}
