//! `mig lint`: advice on the declared indexes (offline, [`declarations`]) and
//! on the live fleet ([`live()`], from readings the server layer made). Pure:
//! every rule takes the manifests and what was read, and returns findings;
//! nothing here talks to a server or reads a file.

mod live;
mod rules;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::manifest::Manifests;
use crate::model::Scope;

pub use live::{live, IndexUse, LiveReadings, ReadingKey};

/// A lint rule, by its stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    RedundantIndex,
    DuplicateSpec,
    UniqueWithoutSoftDeleteFilter,
    TtlNotDate,
    UnusedIndex,
    TooManyIndexes,
    WildcardMakesRedundant,
    TimeseriesWithoutMetaIndex,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::RedundantIndex,
        Rule::DuplicateSpec,
        Rule::UniqueWithoutSoftDeleteFilter,
        Rule::TtlNotDate,
        Rule::UnusedIndex,
        Rule::TooManyIndexes,
        Rule::WildcardMakesRedundant,
        Rule::TimeseriesWithoutMetaIndex,
    ];

    /// The id users write in `[lint.rules]` and see in findings.
    pub fn id(self) -> &'static str {
        match self {
            Rule::RedundantIndex => "redundant-index",
            Rule::DuplicateSpec => "duplicate-spec",
            Rule::UniqueWithoutSoftDeleteFilter => "unique-without-soft-delete-filter",
            Rule::TtlNotDate => "ttl-not-date",
            Rule::UnusedIndex => "unused-index",
            Rule::TooManyIndexes => "too-many-indexes",
            Rule::WildcardMakesRedundant => "wildcard-makes-redundant",
            Rule::TimeseriesWithoutMetaIndex => "timeseries-without-meta-index",
        }
    }

    /// Without a `[lint.rules]` entry. Errors are the rules whose finding is
    /// a bug (documents that never expire, an index built twice); the rest
    /// are costs worth a look.
    pub fn default_severity(self) -> Severity {
        match self {
            Rule::DuplicateSpec | Rule::TtlNotDate => Severity::Error,
            _ => Severity::Warn,
        }
    }

    /// Whether the rule needs a server (`mig lint --live`).
    pub fn is_live(self) -> bool {
        matches!(self, Rule::TtlNotDate | Rule::UnusedIndex)
    }
}

/// How much a rule's finding matters: an `error` fails `mig lint` and `mig plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Off,
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// Severities and thresholds, from `mig.toml`'s `[lint]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Only the rules set otherwise than their default.
    pub severities: BTreeMap<Rule, Severity>,
    /// too-many-indexes: more than this per collection, `_id_` included.
    pub max_indexes: usize,
    /// unused-index: unused on at least this percentage of the databases
    /// that have the index.
    pub unused_percent: f64,
    /// unique-without-soft-delete-filter: the fields that mark a document deleted.
    pub soft_delete_fields: Vec<String>,
    /// ttl-not-date: documents sampled per collection and database.
    pub ttl_sample: u32,
}

pub const DEFAULT_MAX_INDEXES: usize = 20;
pub const DEFAULT_UNUSED_PERCENT: f64 = 90.0;
pub const DEFAULT_TTL_SAMPLE: u32 = 200;
pub const DEFAULT_SOFT_DELETE_FIELDS: &[&str] =
    &["deletedAt", "deleted", "isDeleted", "archivedAt"];

impl Default for Options {
    fn default() -> Self {
        Options {
            severities: BTreeMap::new(),
            max_indexes: DEFAULT_MAX_INDEXES,
            unused_percent: DEFAULT_UNUSED_PERCENT,
            soft_delete_fields: DEFAULT_SOFT_DELETE_FIELDS
                .iter()
                .map(|f| f.to_string())
                .collect(),
            ttl_sample: DEFAULT_TTL_SAMPLE,
        }
    }
}

impl Options {
    pub fn severity(&self, rule: Rule) -> Severity {
        self.severities
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_severity())
    }
}

/// One piece of advice about one declared index.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub collection: String,
    pub index: String,
    /// Where the index is declared (none for an index no manifest declares).
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// All findings of one lint, in file and line order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    pub list: Vec<Finding>,
}

impl Findings {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warn)
    }

    fn count(&self, severity: Severity) -> usize {
        self.list.iter().filter(|f| f.severity == severity).count()
    }

    /// Only the error-level findings (what `mig plan` shows).
    pub fn only_errors(&self) -> Findings {
        Findings {
            list: self
                .list
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .cloned()
                .collect(),
        }
    }

    /// Adds more findings, keeping file and line order; a file declared for
    /// both scopes says each thing once.
    pub fn extend(&mut self, more: Vec<Finding>) {
        for f in more {
            if !self.list.contains(&f) {
                self.list.push(f);
            }
        }
        self.list.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
        });
    }
}

/// The rules that need only the declarations, over both scopes.
pub fn declarations(manifests: &Manifests, options: &Options) -> Findings {
    let mut findings = Findings::default();
    for scope in [Scope::Public, Scope::Tenant] {
        for collection in manifests.for_scope(scope) {
            let raw = rules::collection(collection, options);
            findings.extend(
                raw.into_iter()
                    .filter_map(|r| r.finding(manifests, scope, &collection.name, options))
                    .collect(),
            );
        }
    }
    findings
}

/// What a rule found before its severity and place are looked up.
pub(crate) struct Raw {
    pub rule: Rule,
    pub index: String,
    pub message: String,
}

impl Raw {
    fn finding(
        self,
        manifests: &Manifests,
        scope: Scope,
        collection: &str,
        options: &Options,
    ) -> Option<Finding> {
        let severity = options.severity(self.rule);
        if severity == Severity::Off {
            return None;
        }
        let origin = manifests.origin(scope, collection, &self.index);
        Some(Finding {
            rule: self.rule,
            severity,
            collection: collection.to_string(),
            index: self.index,
            file: origin.map(|o| o.file.clone()),
            line: origin.and_then(|o| o.position).map(|p| p.line),
            column: origin.and_then(|o| o.position).map(|p| p.column),
            message: self.message,
        })
    }
}

#[cfg(test)]
mod tests;
