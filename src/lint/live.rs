//! The rules that need the live fleet: unused indexes (`$indexStats`) and
//! TTL fields whose values are not dates (`$sample`). The server layer reads;
//! these only judge what it read.

use std::collections::BTreeMap;
use std::time::Duration;

use bson::DateTime;

use super::{Findings, Options, Raw, Rule};
use crate::manifest::Manifests;
use crate::model::Scope;

/// A declared index: its scope, collection and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadingKey {
    pub scope: Scope,
    pub collection: String,
    pub index: String,
}

/// How much one database used an index, from `$indexStats`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexUse {
    pub database: String,
    pub ops: i64,
    /// When the counting began: the server's start or the index's build.
    pub since: Option<DateTime>,
}

/// How many sampled documents hold each BSON type in a field (`date`,
/// `string`, `missing`, …).
pub type TypeCounts = BTreeMap<String, u64>;

/// What was read from the fleet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveReadings {
    /// When it was read.
    pub now: Option<DateTime>,
    /// Per declared index, one entry per database where it exists.
    pub usage: BTreeMap<ReadingKey, Vec<IndexUse>>,
    /// Per declared TTL index, per database: the types in its field.
    pub ttl_types: BTreeMap<ReadingKey, Vec<(String, TypeCounts)>>,
}

/// How many databases a finding names before `…`.
const SHOWN: usize = 3;

/// The live rules over what was read.
pub fn live(manifests: &Manifests, readings: &LiveReadings, options: &Options) -> Findings {
    let mut raw: Vec<(ReadingKey, Raw)> = Vec::new();
    unused_index(manifests, readings, options.unused_percent, &mut raw);
    ttl_not_date(readings, &mut raw);
    let mut findings = Findings::default();
    findings.extend(
        raw.into_iter()
            .filter_map(|(k, r)| r.finding(manifests, k.scope, &k.collection, options))
            .collect(),
    );
    findings
}

fn names(databases: &[&str]) -> String {
    let mut shown = databases
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if databases.len() > SHOWN {
        shown.push_str(&format!(", … +{}", databases.len() - SHOWN));
    }
    shown
}

/// A declared index with no operations on at least `percent` % of the
/// databases that have it. Unique and TTL indexes work without being read,
/// and a hidden one can't be, so they are left out.
fn unused_index(
    manifests: &Manifests,
    readings: &LiveReadings,
    percent: f64,
    out: &mut Vec<(ReadingKey, Raw)>,
) {
    for (key, uses) in &readings.usage {
        let Some(spec) = manifests
            .for_scope(key.scope)
            .iter()
            .find(|c| c.name == key.collection)
            .and_then(|c| c.indexes.iter().find(|i| i.name == key.index))
        else {
            continue;
        };
        if spec.unique
            || spec.expire_after_seconds.is_some()
            || spec.hidden
            || spec.is_id_index()
            || uses.is_empty()
        {
            continue;
        }
        let unused: Vec<&IndexUse> = uses.iter().filter(|u| u.ops == 0).collect();
        let share = unused.len() as f64 * 100.0 / uses.len() as f64;
        if unused.is_empty() || share < percent {
            continue;
        }
        // The shortest time any of them was watched: what the claim covers.
        let latest = unused.iter().filter_map(|u| u.since).max();
        let covers = match (latest, readings.now) {
            (Some(since), Some(now)) => {
                let seconds = (now.timestamp_millis() - since.timestamp_millis()).max(0) / 1000;
                format!(
                    "over at least {} (counting since {})",
                    humantime::format_duration(Duration::from_secs(seconds as u64)),
                    since.try_to_rfc3339_string().unwrap_or_default()
                )
            }
            _ => "since the server started".to_string(),
        };
        let databases: Vec<&str> = unused.iter().map(|u| u.database.as_str()).collect();
        out.push((
            key.clone(),
            Raw {
                rule: Rule::UnusedIndex,
                index: key.index.clone(),
                message: format!(
                    "no operations on {} of {} {} database(s) that have it ({share:.0}%, \
                     lint.unused_percent is {percent}), {covers}: {}; $indexStats counts the \
                     node read and restarts with it, so check the other members and a full \
                     business cycle before dropping it",
                    unused.len(),
                    uses.len(),
                    key.scope,
                    names(&databases)
                ),
            },
        ));
    }
}

/// The types a TTL index ignores without complaint: the document just never expires.
const NOT_DATES_OK: &[&str] = &["date", "missing", "null"];

/// A TTL index on a field whose sampled values are not dates: those
/// documents never expire.
fn ttl_not_date(readings: &LiveReadings, out: &mut Vec<(ReadingKey, Raw)>) {
    for (key, per_database) in &readings.ttl_types {
        let mut databases = Vec::new();
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        let mut sampled = 0;
        for (database, types) in per_database {
            let mut bad = false;
            for (t, n) in types {
                sampled += n;
                if !NOT_DATES_OK.contains(&t.as_str()) && *n > 0 {
                    *totals.entry(t).or_default() += n;
                    bad = true;
                }
            }
            if bad {
                databases.push(database.as_str());
            }
        }
        if databases.is_empty() {
            continue;
        }
        let kinds: Vec<String> = totals.iter().map(|(t, n)| format!("{n} {t}")).collect();
        out.push((
            key.clone(),
            Raw {
                rule: Rule::TtlNotDate,
                index: key.index.clone(),
                message: format!(
                    "TTL on a field whose sampled values are not dates in {} of {} database(s) \
                     ({}): {} of {sampled} sampled document(s); a document whose field is not a \
                     date (or an array of dates) never expires",
                    databases.len(),
                    per_database.len(),
                    names(&databases),
                    kinds.join(", ")
                ),
            },
        ));
    }
}
