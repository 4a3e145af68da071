//! `mig lint`'s findings, and the lint errors section of `mig plan`: for
//! people (text), machines (JSON) and pull requests (Markdown).

use std::fmt::Write;

use serde_json::Value;

use super::text::Style;
use crate::lint::{Finding, Findings, Severity};

/// A database that could not be read, and why (`--live`).
pub struct Unread {
    pub database: String,
    pub error: String,
}

/// `file:line:column`, or what is known of it.
fn place(f: &Finding) -> String {
    let mut out = f
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(undeclared)".to_string());
    if let Some(line) = f.line {
        let _ = write!(out, ":{line}");
        if let Some(column) = f.column {
            let _ = write!(out, ":{column}");
        }
    }
    out
}

fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        _ => "warning",
    }
}

/// One line per finding: `file:line:col: warning[rule]: coll.index: why`.
fn lines(findings: &Findings, style: Style, out: &mut String) {
    for f in &findings.list {
        let tag = format!("{}[{}]", label(f.severity), f.rule.id());
        let tag = if f.severity == Severity::Error {
            style.red(&tag)
        } else {
            style.yellow(&tag)
        };
        let _ = writeln!(
            out,
            "{}: {tag}: {}.{}: {}",
            place(f),
            f.collection,
            f.index,
            f.message
        );
    }
}

fn counts(findings: &Findings) -> String {
    format!(
        "{} error(s), {} warning(s)",
        findings.errors(),
        findings.warnings()
    )
}

/// `mig lint` for people.
pub fn text(findings: &Findings, live: bool, unread: &[Unread], style: Style) -> String {
    let mut out = String::new();
    lines(findings, style, &mut out);
    for u in unread {
        let _ = writeln!(
            out,
            "{}: {} could not be read: {}",
            style.yellow("warning"),
            u.database,
            u.error
        );
    }
    let what = if live {
        "the declarations and the live fleet"
    } else {
        "the declarations (--live also reads the fleet: ttl-not-date, unused-index)"
    };
    if findings.list.is_empty() {
        let _ = writeln!(out, "{} no findings in {what}", style.green("ok:"));
    } else {
        let _ = writeln!(
            out,
            "\n{} {} in {what}",
            style.bold("Lint:"),
            counts(findings)
        );
    }
    out
}

fn finding_model(f: &Finding) -> super::model::LintFinding {
    super::model::LintFinding {
        rule: f.rule.id().to_string(),
        severity: f.severity.as_str().to_string(),
        file: f.file.as_ref().map(|p| p.display().to_string()),
        line: f.line,
        column: f.column,
        collection: f.collection.clone(),
        index: f.index.clone(),
        message: f.message.clone(),
    }
}

/// The findings as a JSON array (also `mig plan`'s `lint`).
pub fn findings_json(findings: &Findings) -> Value {
    super::model::value(&findings.list.iter().map(finding_model).collect::<Vec<_>>())
}

/// `mig lint --format json`.
pub fn json(findings: &Findings, live: bool, unread: &[Unread]) -> Value {
    super::model::value(&super::model::LintReport {
        findings: findings.list.iter().map(finding_model).collect(),
        summary: super::model::LintSummary {
            errors: findings.errors(),
            warnings: findings.warnings(),
        },
        live,
        unread: unread
            .iter()
            .map(|u| super::model::DatabaseFailure {
                database: u.database.clone(),
                error: u.error.clone(),
            })
            .collect(),
    })
}

/// `mig plan`'s section: the error-level findings only, briefly.
pub fn plan_section(errors: &Findings, style: Style) -> String {
    if errors.list.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{} {} lint error(s) (`mig lint` says more):\n",
        style.bold("Lint:"),
        errors.list.len()
    );
    lines(errors, style, &mut out);
    out
}

/// `mig lint --format markdown`: a summary table and the findings in a
/// collapsible section, fit for a pull-request comment.
pub fn markdown(findings: &Findings, live: bool, unread: &[Unread]) -> String {
    let mut out = String::from("### mig lint\n\n");
    if findings.list.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str("| rule | errors | warnings |\n|---|---:|---:|\n");
        let mut rules: Vec<_> = findings.list.iter().map(|f| f.rule).collect();
        rules.sort();
        rules.dedup();
        for rule in rules {
            let n = |s: Severity| {
                findings
                    .list
                    .iter()
                    .filter(|f| f.rule == rule && f.severity == s)
                    .count()
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                rule.id(),
                n(Severity::Error),
                n(Severity::Warn)
            );
        }
        let _ = write!(
            out,
            "\n<details><summary>{}</summary>\n\n",
            counts(findings)
        );
        for f in &findings.list {
            let _ = writeln!(
                out,
                "- **{}** `{}` `{}` `{}.{}`: {}",
                label(f.severity),
                f.rule.id(),
                place(f),
                f.collection,
                f.index,
                f.message.replace('|', "\\|")
            );
        }
        out.push_str("\n</details>\n");
    }
    for u in unread {
        let _ = writeln!(out, "\n> `{}` could not be read: {}", u.database, u.error);
    }
    if !live {
        out.push_str("\n_Offline: the declarations only._\n");
    }
    out
}

#[cfg(test)]
#[path = "lint_tests.rs"]
mod tests;
