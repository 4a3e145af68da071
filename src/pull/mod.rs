//! `mig pull`, the pure part: live indexes → what a manifest should declare.
//!
//! The public database is one database: its indexes are declared as they are.
//! Tenant databases are many and seldom alike: an index is declared when the
//! same name with the same spec (by the server's equivalence,
//! [`crate::model::compare`]) is on at least a threshold share of them; each
//! declaration keeps how far it spreads (on how many, missing where, different
//! where), and what no threshold reaches is kept aside, to be written as a
//! comment. [`write`] turns that into YAML or TOML text.

pub mod write;

use crate::model::collection::{compare_options, OPTIONS};
use crate::model::compare::{differences, same_declared_identity};
use crate::model::declared_form::as_a_person_declares;
use crate::model::{DatabaseState, IndexSpec, Scope};

/// The share of tenant databases an index must be on to be declared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold(f64);

/// A threshold outside (0, 1].
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error(
    "--threshold {0}: must be more than 0 and at most 1 (a share of the tenant databases: \
     0.5 declares what at least half of them have, 1 only what all of them have)"
)]
pub struct BadThreshold(pub f64);

impl Threshold {
    pub fn new(share: f64) -> Result<Threshold, BadThreshold> {
        if share > 0.0 && share <= 1.0 {
            Ok(Threshold(share))
        } else {
            Err(BadThreshold(share))
        }
    }

    pub fn share(self) -> f64 {
        self.0
    }

    fn reached(self, on: usize, of: usize) -> bool {
        of > 0 && on as f64 >= self.0 * of as f64
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold(0.5)
    }
}

/// What one scope's databases declare, by consensus.
#[derive(Clone, Debug, PartialEq)]
pub struct Pulled {
    pub scope: Scope,
    /// The databases read (those that failed or had no collections aside).
    pub databases: usize,
    pub collections: Vec<PulledCollection>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PulledCollection {
    pub name: String,
    /// On how many databases the collection exists.
    pub on: usize,
    /// Written as a collection of the manifest: it has a declared index, or
    /// is on enough databases that its minority indexes are worth a plan's
    /// mention. Otherwise it is only a comment.
    pub declared: bool,
    pub indexes: Vec<PulledIndex>,
    /// Indexes not declared: below the threshold, or in conflict with a more
    /// common one (the same spec under another name, a second text index).
    pub left_out: Vec<PulledIndex>,
    /// The collection's own options, when the same ones (by value, as
    /// `model::collection` compares them) are on at least the threshold
    /// share of the databases that have it; with on how many.
    pub options: Option<(bson::Document, usize)>,
}

/// One index as a person would declare it, and how far it spreads.
#[derive(Clone, Debug, PartialEq)]
pub struct PulledIndex {
    /// The most common form, in the declaration's terms.
    pub spec: IndexSpec,
    pub spread: Spread,
    /// Why a left-out index is not declared.
    pub why_left_out: Option<String>,
}

/// Where an index is, and where it isn't, or is otherwise.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Spread {
    /// Databases with exactly this index (name and spec).
    pub on: usize,
    /// Databases read.
    pub of: usize,
    /// Databases with exactly this index (for an index few have, where it is).
    pub with: Vec<String>,
    /// Databases without an index of this name.
    pub missing: Vec<String>,
    /// Databases with an index of this name but another spec.
    pub different: Vec<String>,
}

impl Spread {
    /// On every database, the same everywhere.
    pub fn everywhere(&self) -> bool {
        self.on == self.of
    }
}

/// What a pull did: the consensus of each scope read, the databases left
/// out and why, and the files written (or not).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// The public database's name, when it was read.
    pub public: Option<String>,
    pub scopes: Vec<Pulled>,
    pub threshold: f64,
    /// Databases that could not be read, and why.
    pub failed: Vec<(String, String)>,
    /// Databases with no collection at all (not created yet, or dropped since discovery).
    pub empty: Vec<String>,
    pub files: Vec<File>,
}

/// A manifest file `mig pull` would write, and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub path: std::path::PathBuf,
    pub status: FileStatus,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FileStatus {
    Created,
    /// It exists with exactly this text.
    Unchanged,
    /// It existed and differed; `--force` replaced it.
    Overwritten,
    /// It exists and differs; not written. The unified diff of what would change.
    Refused {
        diff: String,
    },
}

impl FileStatus {
    pub fn word(&self) -> &'static str {
        match self {
            FileStatus::Created => "created",
            FileStatus::Unchanged => "unchanged",
            FileStatus::Overwritten => "overwritten",
            FileStatus::Refused { .. } => "exists",
        }
    }
}

/// Indexes that are never pulled: `_id_` (every collection has it), and the
/// clustered index (part of the collection, not an index one declares).
fn pullable(index: &IndexSpec) -> bool {
    !index.is_id_index() && !index.has_id_key() && !index.other.contains_key("clustered")
}

/// The server's equivalence between two live indexes: it would take either
/// for the other (name aside), hidden and TTL included.
pub fn equivalent(a: &IndexSpec, b: &IndexSpec) -> bool {
    differences(a, b, None).is_empty() && differences(b, a, None).is_empty()
}

/// The consensus of `databases` (all of one scope; read without error and
/// not empty). Collections and indexes come sorted by name.
pub fn consensus(scope: Scope, databases: &[DatabaseState], threshold: Threshold) -> Pulled {
    let of = databases.len();
    let mut names: Vec<&str> = databases
        .iter()
        .flat_map(|d| d.collections.iter().filter(|c| c.exists))
        .map(|c| c.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let collections = names
        .into_iter()
        .map(|name| collection_consensus(name, databases, threshold))
        // A collection with no index but `_id_` anywhere has nothing to declare.
        .filter(|c| !c.indexes.is_empty() || !c.left_out.is_empty())
        .collect();
    Pulled {
        scope,
        databases: of,
        collections,
    }
}

/// One form of an index and the databases that have it.
struct Variant<'a> {
    spec: &'a IndexSpec,
    databases: Vec<&'a str>,
}

fn collection_consensus(
    name: &str,
    databases: &[DatabaseState],
    threshold: Threshold,
) -> PulledCollection {
    let of = databases.len();
    let mut on = 0;
    // Index name → its forms, in the order names are first seen.
    let mut by_name: Vec<(&str, Vec<Variant>)> = Vec::new();
    for db in databases {
        let Some(collection) = db.collection(name).filter(|c| c.exists) else {
            continue;
        };
        on += 1;
        for index in collection.indexes.iter().filter(|i| pullable(i)) {
            let at = match by_name.iter().position(|(n, _)| *n == index.name) {
                Some(at) => at,
                None => {
                    by_name.push((&index.name, Vec::new()));
                    by_name.len() - 1
                }
            };
            let variants = &mut by_name[at].1;
            match variants.iter_mut().find(|v| equivalent(v.spec, index)) {
                Some(v) => v.databases.push(&db.name),
                None => variants.push(Variant {
                    spec: index,
                    databases: vec![&db.name],
                }),
            }
        }
    }
    by_name.sort_by(|a, b| a.0.cmp(b.0));
    let mut candidates: Vec<PulledIndex> = by_name
        .iter()
        .map(|(_, variants)| {
            // The most common form; the first seen on a tie.
            let best = variants
                .iter()
                .enumerate()
                .max_by_key(|(i, v)| (v.databases.len(), std::cmp::Reverse(*i)))
                .map(|(_, v)| v)
                .expect("a name is recorded with its first form");
            let having: Vec<&str> = variants.iter().flat_map(|v| v.databases.clone()).collect();
            let spread = Spread {
                on: best.databases.len(),
                of,
                with: best.databases.iter().map(|d| d.to_string()).collect(),
                missing: databases
                    .iter()
                    .map(|d| d.name.as_str())
                    .filter(|d| !having.contains(d))
                    .map(String::from)
                    .collect(),
                different: variants
                    .iter()
                    .filter(|v| !std::ptr::eq(*v, best))
                    .flat_map(|v| v.databases.iter().map(|d| d.to_string()))
                    .collect(),
            };
            let why_left_out = (!threshold.reached(spread.on, of)).then(|| {
                format!(
                    "below the threshold ({}% of {of})",
                    percent(threshold.share())
                )
            });
            PulledIndex {
                spec: as_a_person_declares(best.spec),
                spread,
                why_left_out,
            }
        })
        .collect();
    // The more common first decides a conflict; then back to name order.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(candidates[i].spread.on));
    for (k, &i) in order.iter().enumerate() {
        if candidates[i].why_left_out.is_some() {
            continue;
        }
        let conflict = order[..k]
            .iter()
            .map(|&j| &candidates[j])
            .filter(|c| c.why_left_out.is_none())
            .find_map(|c| conflict(&c.spec, &candidates[i].spec));
        candidates[i].why_left_out = conflict;
    }
    let (indexes, left_out): (Vec<PulledIndex>, Vec<PulledIndex>) = candidates
        .into_iter()
        .partition(|c| c.why_left_out.is_none());
    let options = options_consensus(name, databases, threshold);
    PulledCollection {
        name: name.to_string(),
        on,
        declared: !indexes.is_empty() || threshold.reached(on, of) || options.is_some(),
        indexes,
        left_out,
        options,
    }
}

/// The most common set of a collection's own options, if it reaches the
/// threshold among the databases that have the collection (none: nothing
/// to declare). Only what a manifest declares is kept (no `uuid`).
fn options_consensus(
    name: &str,
    databases: &[DatabaseState],
    threshold: Threshold,
) -> Option<(bson::Document, usize)> {
    let mut forms: Vec<(bson::Document, usize)> = Vec::new();
    let mut on = 0;
    for db in databases {
        let Some(c) = db.collection(name).filter(|c| c.exists) else {
            continue;
        };
        on += 1;
        let declared: bson::Document = c
            .options
            .iter()
            .flat_map(|o| o.iter())
            .filter(|(k, _)| OPTIONS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if declared.is_empty() {
            continue;
        }
        match forms.iter_mut().find(|(f, _)| {
            compare_options(&declared, f).is_empty() && compare_options(f, &declared).is_empty()
        }) {
            Some((_, n)) => *n += 1,
            None => forms.push((declared, 1)),
        }
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.1));
    forms
        .into_iter()
        .next()
        .filter(|(_, n)| threshold.reached(*n, on))
}

/// Why `later` can't be declared beside `kept` in one collection.
fn conflict(kept: &IndexSpec, later: &IndexSpec) -> Option<String> {
    if same_declared_identity(kept, later) {
        Some(format!(
            "the same index as {}, under another name",
            kept.name
        ))
    } else if kept.is_text() && later.is_text() {
        Some(format!(
            "a collection has one text index, and {} is more common",
            kept.name
        ))
    } else {
        None
    }
}

/// `0.5` → `50`, `0.333` → `33.3`.
pub fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p}")
    }
}

#[cfg(test)]
mod tests;
