//! The words of a manifest's problems: a field named by its collection and
//! index, TOML's missing null explained, each problem reported once.

use bson::Document;

use crate::diagnostics::syntax::{null_as_json_string, TOML_HAS_NO_NULL};
use crate::diagnostics::{Format, Problem};
use crate::model::IndexSpec;

/// A parse error names its field by position (`collections[0].indexes[2].unique`);
/// people are told the collection and the index by name (`users.ix_email: unique`).
pub(super) fn by_name(tree: Option<&serde_json::Value>, mut problem: Problem) -> Problem {
    let Some(tree) = tree else {
        return problem;
    };
    let Some(rest) = problem.field.strip_prefix("collections[") else {
        return problem;
    };
    let Some((ci, rest)) = rest.split_once(']') else {
        return problem;
    };
    let Some(coll) = ci
        .parse::<usize>()
        .ok()
        .and_then(|i| tree["collections"].get(i))
    else {
        return problem;
    };
    let Some(cname) = coll["name"].as_str() else {
        return problem;
    };
    let rest = rest.trim_start_matches('.');
    let index = rest
        .strip_prefix("indexes[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(ii, tail)| Some((coll["indexes"].get(ii.parse::<usize>().ok()?)?, tail)));
    match index {
        Some((index, tail)) => {
            // Unnamed: MongoDB's default name, when the keys are plain values.
            let default_name = || {
                let keys = index["keys"].as_object()?;
                let plain = keys.values().all(|v| v.is_string() || v.is_number());
                let keys = Document::try_from(keys.clone()).ok()?;
                plain.then(|| IndexSpec::default_name(&keys))
            };
            let name = match index["name"].as_str() {
                Some(n) => n.to_string(),
                None => default_name().unwrap_or_else(|| {
                    rest.split(']').next().unwrap_or_default().to_string() + "]"
                }),
            };
            problem.subject = format!("{cname}.{name}");
            problem.option = tail.trim_start_matches('.').to_string();
        }
        None => {
            problem.subject = cname.to_string();
            problem.option = rest.to_string();
        }
    }
    problem
}

/// TOML has no null, but a document option may be an Extended JSON string,
/// which has: a null in one says how to write it.
pub(super) fn with_extended_json(format: Format, source: &str, mut problem: Problem) -> Problem {
    const DOCUMENTS: &[&str] = &[
        "partialFilterExpression",
        "collation",
        "weights",
        "wildcardProjection",
    ];
    if format != Format::Toml || !problem.message.starts_with(TOML_HAS_NO_NULL) {
        return problem;
    }
    let line = problem
        .position
        .and_then(|p| source.lines().nth(p.line - 1))
        .unwrap_or_default();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'));
    match null_as_json_string(line) {
        Some(fix) if key.is_some_and(|k| DOCUMENTS.contains(&k)) => {
            problem.message = format!(
                "{TOML_HAS_NO_NULL}: write this option as an Extended JSON string, which \
                 has null: {fix}"
            );
        }
        _ => {}
    }
    problem
}

/// A file declared for both scopes reports its own problems once.
pub(super) fn dedup_problems(problems: &mut Vec<Problem>) {
    let mut seen = Vec::new();
    problems.retain(|p| {
        if seen.contains(p) {
            false
        } else {
            seen.push(p.clone());
            true
        }
    });
}
