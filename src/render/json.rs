//! The JSON shape of a plan or an apply (`--format json`). Documented in the
//! README; change it only by adding fields.

use serde_json::{json, Map, Value};

use crate::model::IndexSpec;
use crate::plan::{Action, Change};
use crate::run::Report;

pub fn spec(spec: &IndexSpec) -> Value {
    bson::Bson::Document(spec.to_document()).into_relaxed_extjson()
}

fn change(c: &Change) -> Value {
    let mut m = Map::new();
    m.insert("collection".into(), json!(c.collection));
    m.insert("action".into(), json!(c.action.as_str()));
    m.insert("index".into(), json!(c.index));
    m.insert(
        "desired".into(),
        c.desired.as_ref().map(spec).unwrap_or(Value::Null),
    );
    m.insert(
        "live".into(),
        c.live.as_ref().map(spec).unwrap_or(Value::Null),
    );
    m.insert("differences".into(), json!(c.differences));
    m.insert("creates_collection".into(), json!(c.creates_collection));
    if let Some(old) = c.renames() {
        m.insert("renamed_from".into(), json!(old));
    }
    Value::Object(m)
}

pub fn report(report: &Report) -> Value {
    let mut summary = [0usize; 4];
    let mut unmanaged = 0;
    let mut failed = 0;
    let targets: Vec<Value> = report
        .targets
        .iter()
        .map(|t| {
            let mut m = Map::new();
            m.insert("database".into(), json!(t.target.database));
            m.insert("scope".into(), json!(t.target.scope.to_string()));
            let (changes, left) = match &t.plan {
                Some(p) => {
                    for c in &p.changes {
                        summary[c.action as usize] += 1;
                    }
                    unmanaged += p.unmanaged.len();
                    (
                        p.changes.iter().map(change).collect::<Vec<_>>(),
                        p.unmanaged
                            .iter()
                            .map(|u| {
                                let mut m = Map::new();
                                m.insert("collection".into(), json!(u.collection));
                                m.insert("index".into(), json!(u.index.name));
                                m.insert("live".into(), spec(&u.index));
                                if let Some(e) = &u.equivalent_to {
                                    m.insert("equivalent_to".into(), json!(e));
                                }
                                Value::Object(m)
                            })
                            .collect::<Vec<_>>(),
                    )
                }
                None => (Vec::new(), Vec::new()),
            };
            m.insert("changes".into(), json!(changes));
            m.insert("unmanaged".into(), json!(left));
            if t.failed() {
                failed += 1;
            }
            let status = if t.failed() {
                "failed"
            } else if t.plan.as_ref().is_none_or(|p| p.is_empty()) {
                "unchanged"
            } else if report.applied {
                "applied"
            } else {
                "pending"
            };
            m.insert("status".into(), json!(status));
            if let Some(e) = &t.error {
                m.insert("error".into(), json!(crate::redact::scrub(e)));
            }
            if report.applied {
                let steps: Vec<Value> = t
                    .steps
                    .iter()
                    .map(|s| {
                        json!({
                            "collection": s.collection,
                            "action": s.action.as_str(),
                            "index": s.index,
                            "ok": s.error.is_none(),
                            "error": s.error.as_deref().map(crate::redact::scrub),
                        })
                    })
                    .collect();
                m.insert("steps".into(), json!(steps));
            }
            Value::Object(m)
        })
        .collect();
    let rejected: Vec<Value> = report
        .rejected
        .iter()
        .map(|r| json!({"database": r.database, "reason": r.reason}))
        .collect();
    json!({
        "targets": targets,
        "rejected": rejected,
        "summary": {
            "create": summary[Action::Create as usize],
            "drop": summary[Action::Drop as usize],
            "modify": summary[Action::Modify as usize],
            "replace": summary[Action::Replace as usize],
            "unmanaged": unmanaged,
            "databases": report.targets.len(),
            "failed": failed,
        },
    })
}
