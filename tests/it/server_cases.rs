//! The server's own 6.0 cases (tests/server_cases/index_specs.yaml, from
//! `mongodb/mongo`'s jstests) asked of the real `mongod` 6.0.5: each spec
//! built on a fresh empty collection must be accepted or refused as the
//! server's test says. The same rows run through `mig`'s 6.0 rules in
//! `src/manifest/rules/server_cases_tests.rs`, so the two agree with each other.
//! And the release the rules are those of, end to end: chosen by the server
//! when nothing is configured, by `server_version` offline.

use crate::support;

use mongodb::bson::{doc, Bson, Document};
use serde::Deserialize;
use support::*;

#[derive(Debug, Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    release: String,
    file: String,
    line: u32,
    keys: String,
    options: String,
    verdict: String,
    exclusion: Option<String>,
}

fn document(json: &str) -> Document {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    match Bson::try_from(value).unwrap() {
        Bson::Document(d) => d,
        other => panic!("not a document: {other}"),
    }
}

#[tokio::test]
async fn the_6_0_cases_are_decided_by_mongod_6_0_5_as_the_server_s_tests_say() {
    let text = std::fs::read_to_string("tests/server_cases/index_specs.yaml").unwrap();
    let cases: Cases = serde_yaml::from_str(&text).unwrap();
    let rows: Vec<&Case> = cases
        .cases
        .iter()
        .filter(|c| c.release == "6.0" && c.exclusion.is_none())
        .collect();
    assert!(rows.len() >= 80, "{} rows", rows.len());
    let db = client().await.database(&unique("cases"));
    let mut disagreements = Vec::new();
    for (i, case) in rows.iter().enumerate() {
        let collection = format!("c{i}");
        db.create_collection(&collection).await.unwrap();
        let mut spec = doc! {"key": document(&case.keys), "name": "ix"};
        spec.extend(document(&case.options));
        let reply = db
            .run_command(doc! {"createIndexes": &collection, "indexes": [spec]})
            .await;
        let refused = reply.is_err();
        if refused != (case.verdict == "refuse") {
            disagreements.push(format!(
                "{}:{} keys {} options {}: the test says {}, mongod {}",
                case.file,
                case.line,
                case.keys,
                case.options,
                case.verdict,
                match &reply {
                    Ok(_) => "accepts".to_string(),
                    Err(e) => format!("refuses: {e}"),
                }
            ));
        }
    }
    db.drop().await.unwrap();
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The 6.0 side of the `hidden` row of `DIFFERENCES` (src/model/release.rs),
/// on the real server: the same spec with another `hidden` is the index that
/// is there ("all indexes already exist", still hidden), not a conflict.
#[tokio::test]
async fn on_6_0_the_same_spec_with_another_hidden_is_the_index_that_is_there() {
    let db = client().await.database(&unique("cases"));
    db.create_collection("c").await.unwrap();
    let create = |hidden: bool| {
        doc! {"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "hidden": hidden}]}
    };
    db.run_command(create(true)).await.unwrap();
    let reply = db.run_command(create(false)).await.unwrap();
    assert_eq!(
        reply.get_str("note"),
        Ok("all indexes already exist"),
        "{reply}"
    );
    let listed = db.run_command(doc! {"listIndexes": "c"}).await.unwrap();
    let batch = listed
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap();
    let a = batch
        .iter()
        .filter_map(Bson::as_document)
        .find(|ix| ix.get_str("name") == Ok("a_1"))
        .unwrap();
    assert_eq!(a.get_bool("hidden"), Ok(true), "{a}");
    db.drop().await.unwrap();
}

const COMPOUND_WILDCARD: &str = r#"scope: public
collections:
  - name: events
    indexes:
      - {name: by_tenant_attrs, keys: {tenant: 1, "attrs.$**": 1}}
"#;

/// Without `server_version`, a command that connects leaves the rules that
/// differ by release until the server has said its version: a compound
/// wildcard index (7.0+) gets the live 6.0 server's refusal, naming the
/// server's version; `validate` alone uses 6.0's rules and says so.
#[tokio::test]
async fn without_server_version_the_release_rules_wait_for_the_server_s_version() {
    let version = client()
        .await
        .database("admin")
        .run_command(doc! {"buildInfo": 1})
        .await
        .unwrap()
        .get_str("version")
        .unwrap()
        .to_string();
    let p = Project::new();
    p.manifest("events.yaml", COMPOUND_WILDCARD);

    let out = p.mig(&["plan"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        err.contains("cannot be compound on MongoDB 6.0")
            && err.contains("need 7.0")
            && err.contains("declare the wildcard key alone")
            && err.contains(&format!(
                "the server is MongoDB {version}: the manifests were checked with MongoDB 6.0's rules"
            )),
        "{err}"
    );
    // Refused after connecting, not before: the offline note is not there.
    assert!(!err.contains("every release mig knows shares"), "{err}");
    assert!(
        live_indexes(&p.public, "events").await.is_empty(),
        "{}",
        show(&out)
    );

    let out = p.mig(&["validate"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        err.contains("cannot be compound on MongoDB 6.0")
            && err.contains("checked with MongoDB 6.0's rules, the default"),
        "{err}"
    );
}

/// `server_version = "7.0"`: offline, 7.0's rules accept the compound
/// wildcard index; against the 6.0 server, a warning names both, and the
/// server's rules decide.
#[tokio::test]
async fn server_version_7_0_accepts_offline_and_is_told_apart_from_a_6_0_server() {
    let p = Project::new();
    p.config_without_public(&format!(
        "server_version = \"7.0\"\n[public]\ndatabase = \"{}\"\n",
        p.public
    ));
    p.manifest("events.yaml", COMPOUND_WILDCARD);

    let out = p.mig(&["validate"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("checked with MongoDB 7.0's rules (server_version 7.0)"),
        "{}",
        show(&out)
    );

    let out = p.mig(&["plan"]);
    let err = stderr(&out);
    assert!(
        err.contains("warning: server_version is 7.0 but the server is MongoDB 6.0"),
        "{err}"
    );
    assert!(!out.status.success(), "{}", show(&out));
    assert!(err.contains("cannot be compound on MongoDB 6.0"), "{err}");
}
