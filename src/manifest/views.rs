//! Checks across the declared views: none reads another in a circle, and a
//! view on a view keeps its collation, as the server's view catalog requires.

use bson::Document;

use super::DeclaredCollection;
use crate::diagnostics::Problem;
use crate::model::Scope;

/// Views that read each other in a circle: the server refuses the last one
/// ("View cycle detected"), so none is created.
pub(super) fn view_cycles(declared: &[DeclaredCollection]) -> Vec<Problem> {
    let view_on = |scope: Scope, name: &str| {
        declared
            .iter()
            .find(|d| d.scope == scope && d.name == name)
            .and_then(|d| d.options.as_ref())
            .and_then(|(o, _, _)| o.get_str("viewOn").ok())
    };
    let mut out = Vec::new();
    for d in declared {
        let Some((_, file, field)) = &d.options else {
            continue;
        };
        let mut seen = vec![d.name.as_str()];
        let mut at = d.name.as_str();
        while let Some(next) = view_on(d.scope, at) {
            if next == d.name {
                seen.push(next);
                out.push(Problem {
                    file: file.clone(),
                    position: None,
                    field: format!("{field}.viewOn"),
                    subject: d.name.clone(),
                    option: "viewOn".into(),
                    message: format!("views read each other in a circle: {}", seen.join(" → ")),
                });
                break;
            }
            if seen.contains(&next) {
                break;
            }
            seen.push(next);
            at = next;
        }
    }
    out
}

/// A view on a view has that view's collation: the server refuses another
/// ("has conflicting collation with view", `view_catalog.cpp`). A view on a
/// collection may have any.
pub(super) fn view_collations(declared: &[DeclaredCollection]) -> Vec<Problem> {
    let options = |scope: Scope, name: &str| {
        declared
            .iter()
            .find(|d| d.scope == scope && d.name == name)
            .and_then(|d| d.options.as_ref())
            .map(|(o, _, _)| o)
    };
    let collation = |o: &Document| {
        o.get_document("collation")
            .ok()
            .filter(|c| c.get_str("locale") != Ok("simple"))
            .map(crate::model::value::normalize_doc)
    };
    let mut out = Vec::new();
    for d in declared {
        let Some((mine, file, field)) = &d.options else {
            continue;
        };
        let Ok(on) = mine.get_str("viewOn") else {
            continue;
        };
        let Some(theirs) = options(d.scope, on).filter(|o| o.contains_key("viewOn")) else {
            continue;
        };
        if collation(mine) != collation(theirs) {
            let shown = |o: &Document| {
                collation(o).map_or("the simple collation".to_string(), |c| {
                    bson::Bson::Document(c).into_relaxed_extjson().to_string()
                })
            };
            out.push(Problem {
                file: file.clone(),
                position: None,
                field: format!("{field}.collation"),
                subject: d.name.clone(),
                option: "collation".into(),
                message: format!(
                    "a view on the view {on:?} must have its collation ({}), not {}: the server \
                     refuses a conflicting collation",
                    shown(theirs),
                    shown(mine)
                ),
            });
        }
    }
    out
}
