use super::*;
use crate::lint::Rule;

fn findings() -> Findings {
    Findings {
        list: vec![Finding {
            rule: Rule::RedundantIndex,
            severity: Severity::Error,
            collection: "messages".into(),
            index: "a".into(),
            file: Some("manifests/t.yaml".into()),
            line: Some(5),
            column: Some(9),
            message: "why".into(),
        }],
    }
}

#[test]
fn a_finding_names_its_place_rule_and_index() {
    let text = text(&findings(), false, &[], Style { color: false });
    assert!(
        text.starts_with("manifests/t.yaml:5:9: error[redundant-index]: messages.a: why\n"),
        "{text}"
    );
    assert!(text.contains("1 error(s), 0 warning(s)"), "{text}");
    let json = json(&findings(), false, &[]);
    assert_eq!(
        json["findings"][0],
        serde_json::json!({"rule": "redundant-index", "severity": "error", "file": "manifests/t.yaml",
                   "line": 5, "column": 9, "collection": "messages", "index": "a", "message": "why"})
    );
    let md = markdown(&findings(), false, &[]);
    assert!(md.contains("| `redundant-index` | 1 | 0 |"), "{md}");
    assert!(md.contains("<details>"), "{md}");
}
