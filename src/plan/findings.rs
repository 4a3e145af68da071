//! What the preflight finds before anything is written, as a value the plan
//! takes in ([`super::DatabasePlan::with_findings`]): changes that must not be
//! applied, and how much the indexes about to go are used. The checks that
//! need data run on the server (`server::preflight`); the ones the live
//! catalog answers are here, pure.

use std::collections::BTreeMap;

use bson::DateTime;

use super::{Change, MAX_INDEXES};
use crate::model::DatabaseState;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    /// Changes (by position) that must not be applied, and why.
    pub blocked: BTreeMap<usize, String>,
    /// What the preflight found that doesn't block a change, but that one
    /// should know before it is made (documents a validator lets stay invalid).
    pub notes: BTreeMap<usize, String>,
    /// How much each index to be hidden or dropped is used (by change position).
    pub usage: BTreeMap<usize, Usage>,
    /// What each change that builds over existing documents will scan (by
    /// change position): its collection's documents and data size.
    pub impact: BTreeMap<usize, Impact>,
}

/// What one build scans, and how long it should take where `mig` has
/// measured builds on that cluster before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Impact {
    pub documents: u64,
    /// Uncompressed BSON bytes (`storageStats.size`): what the scan reads.
    pub bytes: u64,
    /// The new index's size, estimated as the collection's indexes'
    /// average (`totalIndexSize / nindexes`): the disk it will take.
    pub index_bytes: u64,
    /// Seconds, from the cluster's measured build rate; `None`: no estimate yet.
    pub seconds: Option<f64>,
}

impl Impact {
    /// The estimate at `bytes_per_second`, if one was measured.
    pub fn estimated(
        documents: u64,
        bytes: u64,
        index_bytes: u64,
        bytes_per_second: Option<f64>,
    ) -> Impact {
        Impact {
            documents,
            bytes,
            index_bytes,
            seconds: bytes_per_second
                .filter(|r| *r > 0.0)
                .map(|r| bytes as f64 / r),
        }
    }
}

/// How often an index was used since the server (re)started, from `$indexStats`.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub ops: i64,
    pub since: Option<DateTime>,
}

/// The 64-index limit and the one-text-index rule, against the live
/// collections: the changes (by position) that would break them, and why.
/// `skip` are changes already blocked for another reason.
pub fn limits(
    changes: &[Change],
    live: &DatabaseState,
    skip: &BTreeMap<usize, String>,
) -> BTreeMap<usize, String> {
    let mut blocked = BTreeMap::new();
    let mut collections: Vec<&str> = changes.iter().map(Change::collection).collect();
    collections.dedup();
    for name in collections {
        let live_indexes = live
            .collection(name)
            .map(|c| c.indexes.as_slice())
            .unwrap_or_default();
        let mine = || {
            changes
                .iter()
                .enumerate()
                .filter(move |(_, c)| c.collection() == name)
        };
        let leaving: Vec<&str> = mine()
            .filter(|(_, c)| {
                matches!(
                    c,
                    Change::Drop { .. } | Change::Replace { .. } | Change::Rename { .. }
                )
            })
            .filter_map(|(_, c)| c.live().map(|l| l.name.as_str()))
            .collect();
        let mut count = live_indexes.len().max(1);
        count -= mine()
            .filter(|(_, c)| matches!(c, Change::Drop { .. }))
            .count();
        let live_text = live_indexes
            .iter()
            .find(|i| i.is_text() && !leaving.contains(&i.name.as_str()))
            .map(|i| i.name.as_str());
        for (i, change) in mine().filter(|(i, _)| !skip.contains_key(i)) {
            let builds = match change {
                Change::Create { index, .. } => {
                    count += 1;
                    if count > MAX_INDEXES {
                        blocked.insert(i, format!(
                            "{}.{name} would have {count} indexes; MongoDB allows {MAX_INDEXES} (drop unused ones first)",
                            live.name
                        ));
                        continue;
                    }
                    index
                }
                Change::Replace { to, .. } | Change::Rename { to, .. } => to,
                _ => continue,
            };
            if let Some(other) = live_text.filter(|t| builds.is_text() && *t != builds.name) {
                blocked.insert(
                    i,
                    format!(
                        "{}.{name} already has the text index {other:?}; a collection has only one",
                        live.name
                    ),
                );
            }
        }
    }
    blocked
}

/// Why the builds of a database must not start for lack of disk: their
/// estimated index sizes would leave less than `margin` of the `free` bytes
/// the server reports on its data volume. `None`: they fit.
pub fn short_of_disk(impact: &BTreeMap<usize, Impact>, free: u64, margin: u64) -> Option<String> {
    let needed: u64 = impact.values().map(|i| i.index_bytes).sum();
    if impact.is_empty() || (needed <= free && free - needed >= margin) {
        return None;
    }
    Some(format!(
        "not enough disk: the new indexes need about {} (as large as the collections' indexes \
         are on average) and the server has {} free on its data volume, which would leave less \
         than the margin of {} (--min-free-disk)",
        human_bytes(needed),
        human_bytes(free),
        human_bytes(margin)
    ))
}

/// Bytes in words, binary units: `5.6 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "findings_disk_tests.rs"]
mod disk_tests;
