//! The server's own 6.0 cases (tests/server_cases/index_specs.yaml, from
//! `mongodb/mongo`'s jstests) asked of the real `mongod` 6.0.5: each spec
//! built on a fresh empty collection must be accepted or refused as the
//! server's test says. The same rows run through `mig`'s 6.0 rules in
//! `src/manifest/rules/server_cases_tests.rs`, so the two agree with each other.

mod support;

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
    assert!(rows.len() >= 30, "{} rows", rows.len());
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
