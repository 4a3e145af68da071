//! The sections of `mig.toml` with rules of their own, `[rollout]`, `[lint]`
//! and `[tenants]`, read into their values; a bad value is a problem naming
//! its key and line.

use super::{Discovery, LintConfig, TenantSource, TenantsConfig};
use crate::diagnostics::{Problem, SourceFile};
use crate::lint;

/// `[rollout]`, each value read as its flag reads it; a bad one is a problem
/// naming its key and line.
pub(super) fn rollout_options(
    file: &super::RolloutConfig,
    src: &SourceFile,
    problems: &mut Vec<Problem>,
) -> super::rollout::Rollout {
    use super::rollout::{max_lag_arg, size_arg, ThrottleError, Window};
    // A value read as its flag reads it, or a problem at its key.
    fn read<T, E: std::fmt::Display>(
        key: &str,
        found: Result<T, E>,
        src: &SourceFile,
        problems: &mut Vec<Problem>,
    ) -> Option<T> {
        found
            .map_err(|why| problems.push(src.problem(format!("rollout.{key}"), why.to_string())))
            .ok()
    }
    // In the file's order, so the problems are too.
    let window = file
        .window
        .as_deref()
        .and_then(|t| read("window", Window::parse(t), src, problems));
    let max_lag = file
        .max_lag
        .as_deref()
        .and_then(|t| read("max_lag", max_lag_arg(t), src, problems));
    let max_builds = match file.max_builds {
        Some(0) => read("max_builds", Err(ThrottleError::Zero), src, problems),
        n => n,
    };
    let min_free_disk = file
        .min_free_disk
        .as_deref()
        .and_then(|t| read("min_free_disk", size_arg(t), src, problems));
    super::rollout::Rollout {
        window,
        max_lag,
        max_builds,
        min_free_disk,
    }
}

/// `[lint]` with its defaults; a threshold out of range is a problem at its line.
pub(super) fn lint_options(
    file: &LintConfig,
    src: &SourceFile,
    problems: &mut Vec<Problem>,
) -> lint::Options {
    let defaults = lint::Options::default();
    let mut out = lint::Options {
        severities: file.rules.set().into_iter().collect(),
        ..defaults.clone()
    };
    if let Some(max) = file.max_indexes {
        if (1..=64).contains(&max) {
            out.max_indexes = max;
        } else {
            problems.push(src.problem(
                "lint.max_indexes",
                format!("must be 1 to 64 (the server's limit), found {max}"),
            ));
        }
    }
    if let Some(percent) = file.unused_percent {
        if percent > 0.0 && percent <= 100.0 {
            out.unused_percent = percent;
        } else {
            problems.push(src.problem(
                "lint.unused_percent",
                format!("must be more than 0 and at most 100, found {percent}"),
            ));
        }
    }
    if let Some(fields) = &file.soft_delete_fields {
        out.soft_delete_fields = fields.clone();
    }
    if let Some(n) = file.ttl_sample {
        if (1..=10_000).contains(&n) {
            out.ttl_sample = n;
        } else {
            problems.push(src.problem(
                "lint.ttl_sample",
                format!("must be 1 to 10000 documents, found {n}"),
            ));
        }
    }
    out
}

pub(super) fn tenant_discovery(
    t: &TenantsConfig,
    src: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Discovery {
    let mut missing = |field: &str| {
        problems.push(src.problem(
            format!("tenants.{field}"),
            format!(
                "tenants.source = \"{}\" needs `{field}`",
                source_name(t.source)
            ),
        ));
    };
    match t.source {
        TenantSource::List => match &t.databases {
            Some(names) => Discovery::List(names.clone()),
            None => {
                missing("databases");
                Discovery::None
            }
        },
        TenantSource::Prefix => match &t.prefix {
            Some(p) if !p.is_empty() => Discovery::Prefix(p.clone()),
            _ => {
                missing("prefix");
                Discovery::None
            }
        },
        TenantSource::Regex => match &t.regex {
            Some(r) => match regex::Regex::new(r) {
                Ok(_) => Discovery::Regex(r.clone()),
                Err(e) => {
                    problems.push(src.problem("tenants.regex", format!("invalid regex: {e}")));
                    Discovery::None
                }
            },
            None => {
                missing("regex");
                Discovery::None
            }
        },
        TenantSource::Registry => {
            let (Some(collection), Some(field)) = (&t.collection, &t.field) else {
                if t.collection.is_none() {
                    missing("collection");
                }
                if t.field.is_none() {
                    missing("field");
                }
                return Discovery::None;
            };
            let filter = match &t.filter {
                None => bson::Document::new(),
                Some(f) => crate::manifest::to_document(&f.0).unwrap_or_else(|why| {
                    problems.push(src.problem("tenants.filter", why.to_string()));
                    bson::Document::new()
                }),
            };
            Discovery::Registry {
                collection: collection.clone(),
                field: field.clone(),
                filter,
                cluster_field: t.cluster_field.clone(),
            }
        }
    }
}

fn source_name(s: TenantSource) -> &'static str {
    match s {
        TenantSource::List => "list",
        TenantSource::Prefix => "prefix",
        TenantSource::Regex => "regex",
        TenantSource::Registry => "registry",
    }
}
