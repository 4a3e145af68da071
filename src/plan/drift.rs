//! Drift: how each database deviates from the manifests, and the fleet
//! grouped by identical deviation (`mig drift`). Pure: a plan in, groups out.
//!
//! Memory is bounded by the number of distinct deviations, not of databases:
//! a group keeps its count and the first [`SAMPLES`] names in name order,
//! never the full list, so the fleet can be fed one database at a time.

use std::collections::{BTreeMap, BTreeSet};

use super::{Change, DatabasePlan};

/// Database names a group (and the failures) keep: the first ones by name.
pub const SAMPLES: usize = 10;

/// One way a database differs from its manifests. The order (missing,
/// different, extra; then collection, index) is the order they are listed in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Deviation {
    /// Declared, not live.
    Missing { collection: String, index: String },
    /// Live, but not as declared: `fields` name what differs. `live_name`
    /// is set when the declared index is live under another name.
    Different {
        collection: String,
        index: String,
        fields: Vec<&'static str>,
        live_name: Option<String>,
    },
    /// Live, not declared.
    Extra { collection: String, index: String },
}

impl Deviation {
    /// `missing`, `different` or `extra`: stable, for JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Deviation::Missing { .. } => "missing",
            Deviation::Different { .. } => "different",
            Deviation::Extra { .. } => "extra",
        }
    }

    pub fn collection(&self) -> &str {
        match self {
            Deviation::Missing { collection, .. }
            | Deviation::Different { collection, .. }
            | Deviation::Extra { collection, .. } => collection,
        }
    }

    /// `collection.index`, or `collection` for the collection's own options.
    pub fn subject(&self) -> String {
        match self.index() {
            "" => self.collection().to_string(),
            index => format!("{}.{index}", self.collection()),
        }
    }

    /// The declared name (missing, different), or the live one (extra);
    /// empty for the collection itself (created, or its options).
    pub fn index(&self) -> &str {
        match self {
            Deviation::Missing { index, .. }
            | Deviation::Different { index, .. }
            | Deviation::Extra { index, .. } => index,
        }
    }
}

/// A database's deviations, sorted and without repeats: the key it is
/// grouped by. Indexes the manifests protect (`unmanaged` patterns,
/// time-series) are not drift: they were declared as not `mig`'s.
pub fn deviations(plan: &DatabasePlan) -> Vec<Deviation> {
    let mut out: BTreeSet<Deviation> = BTreeSet::new();
    for change in &plan.changes {
        let collection = change.collection().to_string();
        out.insert(match change {
            Change::CreateCollection { .. } => Deviation::Missing {
                collection,
                index: String::new(),
            },
            Change::ModifyCollection { .. } | Change::Unchangeable { .. } => Deviation::Different {
                collection,
                index: String::new(),
                fields: change.differences(),
                live_name: None,
            },
            Change::Create { index, .. } => Deviation::Missing {
                collection,
                index: index.name.clone(),
            },
            Change::Modify { to, .. } | Change::Replace { to, .. } => Deviation::Different {
                collection,
                index: to.name.clone(),
                fields: change.differences(),
                live_name: None,
            },
            Change::Rename { from, to, .. } => Deviation::Different {
                collection,
                index: to.name.clone(),
                fields: change.differences(),
                live_name: Some(from.name.clone()),
            },
            // A live index under another name that the declared one can't stand beside.
            Change::Conflict { index, live, .. } => Deviation::Different {
                collection,
                index: index.name.clone(),
                fields: change.differences(),
                live_name: Some(live.name.clone()),
            },
            // Undeclared indexes a manifest retires (`drop: staged`), and
            // twins left by an interrupted replace.
            Change::Hide { index, .. } | Change::Drop { index, .. } => Deviation::Extra {
                collection,
                index: index.name.clone(),
            },
        });
    }
    for u in plan.unmanaged.iter().filter(|u| !u.protected) {
        let collection = u.collection.clone();
        out.insert(match &u.equivalent_to {
            Some(declared) => Deviation::Different {
                collection,
                index: declared.clone(),
                fields: vec!["name"],
                live_name: Some(u.index.name.clone()),
            },
            None => Deviation::Extra {
                collection,
                index: u.index.name.clone(),
            },
        });
    }
    out.into_iter().collect()
}

/// The first `SAMPLES` names by name order, whatever order they come in.
#[derive(Clone, Debug)]
struct Samples<T: Ord>(BTreeSet<T>);

impl<T: Ord> Default for Samples<T> {
    fn default() -> Self {
        Samples(BTreeSet::new())
    }
}

impl<T: Ord> Samples<T> {
    fn add(&mut self, item: T) {
        self.0.insert(item);
        if self.0.len() > SAMPLES {
            self.0.pop_last();
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Tally {
    count: usize,
    samples: Samples<String>,
}

/// Databases that deviate in the same way (or not at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group<'a> {
    /// Empty: in sync.
    pub deviations: &'a [Deviation],
    pub count: usize,
    /// The first [`SAMPLES`] databases of the group, by name.
    pub samples: Vec<&'a str>,
}

impl Group<'_> {
    pub fn in_sync(&self) -> bool {
        self.deviations.is_empty()
    }
}

/// A database that could not be compared, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Failed {
    pub database: String,
    pub why: String,
}

/// The fleet, one database at a time.
#[derive(Clone, Debug, Default)]
pub struct Drift {
    groups: BTreeMap<Vec<Deviation>, Tally>,
    failed: usize,
    failures: Samples<Failed>,
}

impl Drift {
    /// A database compared: `deviations` as [`deviations`] makes them.
    pub fn add(&mut self, database: &str, deviations: Vec<Deviation>) {
        let tally = self.groups.entry(deviations).or_default();
        tally.count += 1;
        tally.samples.add(database.to_string());
    }

    /// A database that could not be read.
    pub fn add_failure(&mut self, database: &str, why: &str) {
        self.failed += 1;
        self.failures.add(Failed {
            database: database.to_string(),
            why: why.to_string(),
        });
    }

    /// Largest group first; among equals, in sync first, then by deviation.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group> = self
            .groups
            .iter()
            .map(|(deviations, tally)| Group {
                deviations,
                count: tally.count,
                samples: tally.samples.0.iter().map(String::as_str).collect(),
            })
            .collect();
        // Stable: the map's order (in sync, the empty key, first) breaks ties.
        groups.sort_by_key(|g| std::cmp::Reverse(g.count));
        groups
    }

    /// Databases compared or failed.
    pub fn databases(&self) -> usize {
        self.compared() + self.failed
    }

    fn compared(&self) -> usize {
        self.groups.values().map(|t| t.count).sum()
    }

    pub fn in_sync(&self) -> usize {
        self.groups.get(&Vec::new()).map_or(0, |t| t.count)
    }

    /// Databases that deviate, in any way.
    pub fn drifted(&self) -> usize {
        self.compared() - self.in_sync()
    }

    /// Distinct ways of deviating.
    pub fn kinds_of_drift(&self) -> usize {
        self.groups.keys().filter(|k| !k.is_empty()).count()
    }

    pub fn failed(&self) -> usize {
        self.failed
    }

    /// The first [`SAMPLES`] failures by database name.
    pub fn failures(&self) -> impl Iterator<Item = &Failed> {
        self.failures.0.iter()
    }
}

#[cfg(test)]
#[path = "drift_tests.rs"]
mod tests;
