//! Problems with settings and files, warnings and failures: what `mig` says
//! when it stops before touching a database, or when something fails.

use std::fmt::Display;

use serde_json::json;

use crate::diagnostics::Problem;

/// `--format json`, for stdout: `{"error": {"kind", "message"}, "valid": false,
/// "problems": [...]}`; `kind` is `config` or `manifest`.
pub fn json(kind: &str, problems: &[Problem]) -> String {
    let items: Vec<_> = problems.iter().map(super::json::problem).collect();
    super::json::document(&json!({
        "error": {"kind": kind, "message": summary(problems)},
        "valid": false,
        "problems": items,
    }))
}

/// `--format json`, for stdout: a failure as `{"error": {"kind", "message"}}`.
pub fn json_error(kind: &str, message: &dyn Display) -> String {
    super::json::document(&json!({
        "error": {"kind": kind, "message": message.to_string()},
    }))
}

/// [`json_error`] with how tenant discovery went, as `discovery`.
pub fn json_error_with(kind: &str, message: &dyn Display, discovery: serde_json::Value) -> String {
    super::json::document(&json!({
        "error": {"kind": kind, "message": message.to_string()},
        "discovery": discovery,
    }))
}

fn summary(problems: &[Problem]) -> String {
    format!(
        "{} problem(s) found; no database was touched",
        problems.len()
    )
}

/// For stderr: one `error:` line per problem, then how many there are.
pub fn errors(problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems {
        out.push_str(&error(p));
    }
    out.push_str(&summary(problems));
    out.push('\n');
    out
}

/// For stderr: one `warning:` line per warning.
pub fn warnings(warnings: &[Problem]) -> String {
    warnings.iter().map(|w| format!("warning: {w}\n")).collect()
}

/// For stderr: one failure.
pub fn error(message: &dyn Display) -> String {
    format!("error: {message}\n")
}

/// For stderr: a note, such as defaults used for lack of a mig.toml.
pub fn note(message: &dyn Display) -> String {
    format!("note: {message}\n")
}

#[cfg(test)]
#[path = "problems_tests.rs"]
mod tests;
