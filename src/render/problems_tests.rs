use super::*;
use serde_json::json;

#[test]
fn a_failure_is_one_json_error_document() {
    let doc: serde_json::Value =
        serde_json::from_str(&json_error("unreachable", &"cannot reach x")).unwrap();
    assert_eq!(
        doc,
        json!({"error": {"kind": "unreachable", "message": "cannot reach x"}})
    );
    let doc: serde_json::Value = serde_json::from_str(&json("config", &[])).unwrap();
    assert_eq!(doc["error"]["kind"], "config");
    assert_eq!(doc["valid"], false);
    assert_eq!(
        doc["error"]["message"],
        "0 problem(s) found; no database was touched"
    );
}
