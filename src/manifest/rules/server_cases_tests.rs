//! The server's own accept / refuse cases (tests/server_cases/index_specs.yaml,
//! transcribed from `mongodb/mongo`'s jstests), each release's rules over
//! its own rows. No server: tests/it/server_cases.rs runs the 6.0 rows on one.

use std::path::PathBuf;

use serde::Deserialize;

use crate::manifest::load_sources_for;
use crate::model::release::{Release, RELEASES};

#[derive(Debug, Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    release: String,
    tag: String,
    file: String,
    line: u32,
    keys: String,
    options: String,
    verdict: String,
    exclusion: Option<String>,
}

impl Case {
    /// One index declared with the case's key and options, in a manifest;
    /// named `ix` unless the case gives a name (the `_id` index cases do).
    fn manifest(&self) -> String {
        let options = self.options.trim();
        let rest = options[1..options.len() - 1].trim();
        let named = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(options)
            .unwrap()
            .contains_key("name");
        let mut fields = Vec::new();
        if !named {
            fields.push("\"name\": \"ix\"".to_string());
        }
        fields.push(format!("\"keys\": {}", self.keys));
        if !rest.is_empty() {
            fields.push(rest.to_string());
        }
        format!(
            "scope: tenant\ncollections:\n  - name: c\n    indexes:\n      - {{{}}}\n",
            fields.join(", ")
        )
    }
}

fn cases() -> Vec<Case> {
    let text = include_str!("../../../tests/server_cases/index_specs.yaml");
    serde_yaml::from_str::<Cases>(text).unwrap().cases
}

#[test]
fn every_release_s_rules_agree_with_the_server_s_own_cases() {
    let all = cases();
    let mut disagreements = Vec::new();
    for release in RELEASES {
        let mine: Vec<&Case> = all
            .iter()
            .filter(|c| c.release == release.name() && c.exclusion.is_none())
            .collect();
        assert!(mine.len() >= 80, "{release}: {} cases", mine.len());
        // The counts the README's table gives (seen with --nocapture).
        let excluded = all
            .iter()
            .filter(|c| c.release == release.name() && c.exclusion.is_some())
            .count();
        eprintln!("{release}: {} cases run, {excluded} excluded", mine.len());
        for case in mine {
            assert_eq!(case.tag, release.tag());
            let (_, problems) =
                load_sources_for(&[(PathBuf::from("case.yaml"), case.manifest())], release);
            let refused = !problems.is_empty();
            if refused != (case.verdict == "refuse") {
                disagreements.push(format!(
                    "{release}: {}:{} keys {} options {}: the server's test says {}, mig {}: {:?}",
                    case.file,
                    case.line,
                    case.keys,
                    case.options,
                    case.verdict,
                    if refused { "refuses" } else { "accepts" },
                    problems
                        .iter()
                        .map(|p| p.message.as_str())
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The example: a compound wildcard index with its projection is
/// accepted under 7.0 and refused under 6.0, each with the reason.
#[test]
fn a_compound_wildcard_index_is_7_0_s_not_6_0_s() {
    let yaml = "scope: tenant\ncollections:\n  - name: c\n    indexes:\n      - {name: ix, keys: {\"$**\": 1, tenant: 1}, wildcardProjection: {tenant: 0}}\n";
    let load = |r| load_sources_for(&[(PathBuf::from("m.yaml"), yaml.to_string())], r).1;
    assert!(load(Release::V7_0).is_empty());
    assert!(load(Release::V8_0).is_empty());
    let refused = load(Release::V6_0);
    assert!(
        refused
            .iter()
            .any(|p| p.message.contains("cannot be compound on MongoDB 6.0")),
        "{refused:?}"
    );
    // And 7.0's reason when the projection would index the other key field.
    let bad = yaml.replace("tenant: 0", "tenant: 1");
    let refused = load_sources_for(&[(PathBuf::from("m.yaml"), bad)], Release::V7_0).1;
    assert!(
        refused
            .iter()
            .any(|p| p.message.contains("leave its other key fields out")),
        "{refused:?}"
    );
}

/// Every excluded row says why.
#[test]
fn exclusions_are_explained() {
    for c in cases().iter().filter(|c| c.exclusion.is_some()) {
        assert!(
            c.exclusion.as_deref().is_some_and(|e| e.len() > 20),
            "{c:?}"
        );
    }
}
