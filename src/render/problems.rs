//! Problems with settings and files, warnings and failures: what `mig` says
//! when it stops before touching a database, or when something fails.

use std::fmt::Display;

use super::documents::{ErrorBody, ErrorDocument};
use crate::diagnostics::Problem;
use crate::targets::Looked;

/// `--format json`, for stdout: `{"error": {"kind", "message"}, "valid": false,
/// "problems": [...]}`; `kind` is `config` or `manifest`.
pub fn json(kind: &str, problems: &[Problem]) -> String {
    written(ErrorDocument {
        valid: Some(false),
        problems: Some(problems.iter().map(super::json::problem_model).collect()),
        ..error_document(kind, &summary(problems))
    })
}

/// `--format json`, for stdout: a failure as `{"error": {"kind", "message"}}`.
pub fn json_error(kind: &str, message: &dyn Display) -> String {
    written(error_document(kind, message))
}

/// [`json_error`] with how tenant discovery went, as `discovery`.
pub fn json_error_with(kind: &str, message: &dyn Display, looked: &Looked) -> String {
    written(ErrorDocument {
        discovery: Some(super::json::discovery_model(looked)),
        ..error_document(kind, message)
    })
}

fn error_document(kind: &str, message: &dyn Display) -> ErrorDocument {
    ErrorDocument {
        error: ErrorBody {
            kind: kind.to_string(),
            message: message.to_string(),
        },
        valid: None,
        problems: None,
        discovery: None,
    }
}

fn written(document: ErrorDocument) -> String {
    super::json::document(&super::model::value(&document))
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
