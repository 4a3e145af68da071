//! `mig pull`'s report: per scope what is declared and where the tenants
//! differ, the databases left out, and the files; for people and machines.

use std::fmt::Write;

use super::documents::{self, PullDocument, PulledFile};
use super::model;
use crate::model::Scope;
use crate::pull::write::{sample, spread_line, thousands, where_left_out};
use crate::pull::{percent, FileStatus, Pulled, PulledIndex, Summary};

/// The report for people.
pub fn text(summary: &Summary) -> String {
    let mut out = String::new();
    for pulled in &summary.scopes {
        let declared: usize = pulled.collections.iter().map(|c| c.indexes.len()).sum();
        let collections = pulled.collections.iter().filter(|c| c.declared).count();
        let _ = match pulled.scope {
            Scope::Public => writeln!(
                out,
                "public database {}: {collections} collection(s), {declared} index(es)",
                summary.public.as_deref().unwrap_or("?")
            ),
            Scope::Tenant => writeln!(
                out,
                "tenant databases: {} read; {collections} collection(s), {declared} index(es) declared (on at least {}% of them)",
                thousands(pulled.databases),
                percent(summary.threshold)
            ),
        };
        for c in &pulled.collections {
            for index in c.indexes.iter().chain(&c.left_out) {
                if let Some(line) = index_line(pulled, index) {
                    let _ = writeln!(out, "  {}.{}: {line}", c.name, index.spec.name);
                }
            }
        }
    }
    if !summary.empty.is_empty() {
        let _ = writeln!(
            out,
            "left out, no collections (not created yet, or dropped after discovery): {}",
            sample(&summary.empty)
        );
    }
    for (database, why) in &summary.failed {
        let _ = writeln!(out, "failed: {database}: {why}");
    }
    for file in &summary.files {
        let path = file.path.display();
        let _ = match &file.status {
            FileStatus::Refused { diff } => writeln!(
                out,
                "{path} exists and differs; not written (--force overwrites it):\n{diff}"
            ),
            status => writeln!(out, "{} {path}", status.word()),
        };
    }
    if summary.files.is_empty() {
        let _ = writeln!(
            out,
            "nothing to declare: no index but _id_ was found; no file written"
        );
    }
    out
}

/// Where an index is not the same on every database, or why it is not declared.
fn index_line(pulled: &Pulled, index: &PulledIndex) -> Option<String> {
    match &index.why_left_out {
        Some(why) => Some(format!(
            "not declared, {why}; {}",
            where_left_out(pulled, &index.spread)
        )),
        None => spread_line(pulled, &index.spread),
    }
}

/// The report for programs.
pub fn json(summary: &Summary) -> PullDocument {
    let index = |i: &PulledIndex| documents::PulledIndex {
        name: i.spec.name.clone(),
        declared: i.why_left_out.is_none(),
        why_not: i.why_left_out.clone(),
        on: i.spread.on,
        of: i.spread.of,
        missing: i.spread.missing.clone(),
        different: i.spread.different.clone(),
        spec: super::json::spec(&i.spec),
    };
    let scopes = summary.scopes.iter().map(|p| documents::PulledScope {
        scope: p.scope,
        database: match p.scope {
            Scope::Public => summary.public.clone(),
            Scope::Tenant => None,
        },
        databases: p.databases,
        collections: p
            .collections
            .iter()
            .map(|c| documents::PulledCollection {
                name: c.name.clone(),
                on: c.on,
                declared: c.declared,
                indexes: c.indexes.iter().chain(&c.left_out).map(index).collect(),
            })
            .collect(),
    });
    PullDocument {
        threshold: summary.threshold,
        scopes: scopes.collect(),
        failed: summary
            .failed
            .iter()
            .map(|(d, e)| model::DatabaseFailure {
                database: d.clone(),
                error: e.clone(),
            })
            .collect(),
        empty: summary.empty.clone(),
        files: summary
            .files
            .iter()
            .map(|f| PulledFile {
                path: f.path.display().to_string(),
                status: f.status.word().to_string(),
                diff: match &f.status {
                    FileStatus::Refused { diff } => Some(diff.clone()),
                    _ => None,
                },
            })
            .collect(),
    }
}
