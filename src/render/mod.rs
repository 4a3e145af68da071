//! Renderers of a plan and its outcome: for people ([`text`]) and machines ([`json`]).

pub mod documents;
pub mod history;
pub mod json;
pub mod lint;
pub mod list;
pub mod markdown;
pub mod messages;
pub mod model;
pub mod problems;
pub mod pull;
pub mod text;
pub mod validate;
pub mod words;

use crate::plan::drift::Deviation;

/// A migration's state in one database, by its changelog entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RowState {
    Applied,
    Pending,
    Failed,
    /// Started and not finished: a run was interrupted.
    Running,
}

impl RowState {
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Pending => "pending",
            RowState::Failed => "failed",
            RowState::Running => "running",
        }
    }
}

/// A database in `mig status`: fully migrated (nothing pending, indexes
/// clean), behind, or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseStatus {
    Migrated = 0,
    Behind = 1,
    Failed = 2,
}

impl DatabaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseStatus::Migrated => "migrated",
            DatabaseStatus::Behind => "behind",
            DatabaseStatus::Failed => "failed",
        }
    }
}

/// `1987` → `1,987`: counts of a fleet, for people (one rule, shared with
/// the comments `pull` writes).
pub(crate) use crate::pull::write::thousands;

/// One deviation in words: `missing messages.ix`, `different messages.ix
/// (unique)`, `extra messages.legacy_1`.
pub(crate) fn deviation(d: &Deviation) -> String {
    deviation_as(d, &|name| name.to_string())
}

/// [`deviation`], each name shown by `name` (markdown puts it in code).
pub(crate) fn deviation_as(d: &Deviation, name: &dyn Fn(&str) -> String) -> String {
    let what = name(&d.subject());
    match d {
        Deviation::Missing { .. } => format!("missing {what}"),
        Deviation::Different {
            live_name: Some(live),
            ..
        } => format!("different {what} (live under the name {})", name(live)),
        Deviation::Different { fields, .. } => format!("different {what} ({})", fields.join(", ")),
        Deviation::Extra { .. } => format!("extra {what}"),
    }
}

/// What a group of databases has, after its count: `missing messages.ix`,
/// `with extra messages.legacy_1`, `with 3 deviations`, `in sync`.
pub(crate) fn group_heading(deviations: &[Deviation]) -> String {
    group_heading_as(deviations, &|name| name.to_string())
}

/// [`group_heading`], each name shown by `name`.
pub(crate) fn group_heading_as(deviations: &[Deviation], name: &dyn Fn(&str) -> String) -> String {
    match deviations {
        [] => "in sync".into(),
        [d @ Deviation::Missing { .. }] => deviation_as(d, name),
        [d] => format!("with {}", deviation_as(d, name)),
        many => format!("with {} deviations", many.len()),
    }
}

/// How tenant discovery went, in one line: "no tenants yet, as declared
/// (…)" when mig.toml says there are none yet, otherwise where it looked
/// and what it counted.
pub fn discovery_line(looked: &crate::targets::Looked) -> String {
    match looked.declared_empty() {
        true => format!("no tenants yet, as declared ({looked})"),
        false => format!("tenant discovery: {looked}"),
    }
}

/// What builds scan, in words: "scans 1,234 documents (5.6 MB); about 3 s",
/// or "…; no estimate yet" until a build was measured on the cluster.
pub fn impact_words(documents: u64, bytes: u64, seconds: Option<f64>) -> String {
    let size = crate::plan::human_bytes(bytes);
    let time = match seconds {
        Some(s) => format!(
            "about {}",
            humantime::format_duration(std::time::Duration::from_secs(s.ceil() as u64))
        ),
        None => "no estimate yet".to_string(),
    };
    format!(
        "scans {} documents ({size}); {time}",
        thousands(documents as usize)
    )
}

#[cfg(test)]
mod tests;
