//! Problems with settings and files, warnings and failures: what `mig` says
//! when it stops before touching a database, or when something fails.

use std::fmt::Display;

use serde_json::json;

use crate::diagnostics::Problem;

/// `--format json`, for stdout: `{"valid": false, "problems": [...]}`.
pub fn json(problems: &[Problem]) -> String {
    let items: Vec<_> = problems.iter().map(super::json::problem).collect();
    serde_json::to_string_pretty(&json!({"valid": false, "problems": items})).unwrap_or_default()
        + "\n"
}

/// For stderr: one `error:` line per problem, then how many there are.
pub fn errors(problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems {
        out.push_str(&error(p));
    }
    out.push_str(&format!(
        "{} problem(s) found; no database was touched\n",
        problems.len()
    ));
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
