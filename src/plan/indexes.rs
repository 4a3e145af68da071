//! A collection's indexes, declared against live: what to create, change in
//! place, replace (beside a temporary twin where the server allows two forms),
//! rename, retire or leave alone, and the builds the server would refuse.

use std::collections::HashSet;
use std::time::Duration;

use bson::DateTime;

use super::{change, Change, PlanOptions, Unmanaged, MAX_INDEXES, TEMP_SUFFIX};
use crate::model::compare::{compare, differences, same_identity, Verdict};
use crate::model::index::ID_INDEX;
use crate::model::release::{Feature, Release};
use crate::model::{Collection, IndexSpec};

pub(super) fn plan_collection(
    declared: &Collection,
    live: Option<&Collection>,
    retiring: &[crate::model::Retiring],
    options: PlanOptions,
) -> (Vec<Change>, Vec<Unmanaged>) {
    let exists = live.is_some_and(|c| c.exists);
    let live_indexes: &[IndexSpec] = live.map(|c| c.indexes.as_slice()).unwrap_or_default();
    let default_collation = live.and_then(Collection::default_collation);
    let declared_names: HashSet<&str> = declared.indexes.iter().map(|i| i.name.as_str()).collect();
    let collection = declared.name.clone();

    let timeseries = live.is_some_and(Collection::is_timeseries);
    // Never retired: a time-series collection's, and those an `unmanaged` pattern names.
    let protected = |name: &str| {
        timeseries
            || declared
                .protected
                .iter()
                .any(|p| regex::Regex::new(p).is_ok_and(|re| re.is_match(name)))
    };
    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    // Live indexes accounted for: by name, or as an equivalent under another name.
    let mut claimed: HashSet<&str> = HashSet::new();
    // `{_id: 1}` under any name is the `_id_` index every collection has.
    for want in declared
        .indexes
        .iter()
        .filter(|i| !i.is_id_index() && !i.has_id_key())
    {
        // A live index the server takes for `want`, under a name no
        // declaration claims.
        let twin_elsewhere = |want: &IndexSpec, have: &IndexSpec| {
            live_indexes.iter().find(|l| {
                l.name != have.name
                    && l.name != ID_INDEX
                    && !declared_names.contains(l.name.as_str())
                    && !change::is_twin(l)
                    && same_identity(want, l, default_collation)
            })
        };
        if let Some(have) = live_indexes.iter().find(|l| l.name == want.name) {
            claimed.insert(&have.name);
            let twin = twin_elsewhere(want, have);
            let verdict = match compare(want, have, default_collation) {
                Verdict::Modify(m) if m.unique && !options.unique_conversion => {
                    Verdict::Rebuild(differences(want, have, default_collation))
                }
                v => v,
            };
            match verdict {
                Verdict::Same => {}
                Verdict::Modify(set) => changes.push(Change::Modify {
                    collection: collection.clone(),
                    from: have.clone(),
                    to: want.clone(),
                    set,
                    differences: differences(want, have, default_collation),
                }),
                // The declared index is live under another name while this
                // name holds another index: a rebuild under this name would
                // be refused (code 85) with the temporary index left behind.
                Verdict::Rebuild(_) if twin.is_some() => {
                    let other = twin.expect("matched above");
                    claimed.insert(&other.name);
                    changes.push(Change::Conflict {
                        collection: collection.clone(),
                        index: want.clone(),
                        live: other.clone(),
                        why: format!(
                            "the name {:?} holds another index, and the declared one is live as \
                             {:?}: the server won't build it twice; drop {:?} (or declare it \
                             under its own name) and declare {:?}, or drop both by hand",
                            have.name, other.name, have.name, other.name
                        ),
                    })
                }
                Verdict::Rebuild(differences) => changes.push(Change::Replace {
                    collection: collection.clone(),
                    from: have.clone(),
                    to: want.clone(),
                    differences,
                    gap: !can_coexist(want, have, live_indexes.len(), default_collation, options.release),
                    note: (!options.unique_conversion && want.unique && !have.unique)
                        .then(|| "the server is older than 6.0: no in-place unique conversion, so it is rebuilt".into()),
                }),
            }
            continue;
        }
        // Not live under its name. The server may hold it under another name
        // (the same index to it: building it would answer code 85), or hold
        // an index it can't stand beside (one text index per collection, code 67).
        let mut unclaimed = live_indexes.iter().filter(|l| {
            l.name != ID_INDEX
                && !declared_names.contains(l.name.as_str())
                && !claimed.contains(l.name.as_str())
                && !change::is_twin(l)
        });
        let same = unclaimed
            .clone()
            .find(|l| same_identity(want, l, default_collation));
        let clash = same.or_else(|| {
            want.is_text()
                .then(|| unclaimed.find(|l| l.is_text()))
                .flatten()
        });
        let Some(live) = clash else {
            changes.push(Change::Create {
                collection: collection.clone(),
                index: want.clone(),
                new_collection: !exists,
            });
            continue;
        };
        let retire = (options.prune || declared.drop_undeclared) && !protected(&live.name);
        // Declared without a name, the same index under any name is it: kept.
        let rename = retire && want.explicit_name;
        let named = |mut differences: Vec<&'static str>| {
            differences.insert(0, "name");
            differences
        };
        let verdict = match same {
            Some(_) => compare(want, live, default_collation),
            None => Verdict::Rebuild(differences(want, live, default_collation)),
        };
        match verdict {
            // The same index under another name: renamed when pruning
            // (dropped, then built as declared), else reported.
            Verdict::Same | Verdict::Modify(_) if rename => {
                claimed.insert(&live.name);
                changes.push(Change::Rename {
                    collection: collection.clone(),
                    from: live.clone(),
                    to: want.clone(),
                    differences: named(differences(want, live, default_collation)),
                })
            }
            Verdict::Same if !want.explicit_name => {
                claimed.insert(&live.name);
            }
            Verdict::Same => {
                claimed.insert(&live.name);
                unmanaged.push(Unmanaged {
                    collection: collection.clone(),
                    index: live.clone(),
                    equivalent_to: Some(want.name.clone()),
                    protected: false,
                    retiring: None,
                });
            }
            // Options collMod changes: changed on the live index, whatever its name.
            Verdict::Modify(set) => {
                claimed.insert(&live.name);
                let differences = differences(want, live, default_collation);
                changes.push(Change::Modify {
                    collection: collection.clone(),
                    from: live.clone(),
                    to: want.clone(),
                    set,
                    differences: match want.explicit_name {
                        true => named(differences),
                        false => differences,
                    },
                })
            }
            // The server won't hold both: the live one goes first (a gap)
            // when it is being dropped in this run, else the plan refuses.
            Verdict::Rebuild(diffs) => {
                let why = match same {
                    Some(_) => format!(
                        "the server takes it for the live {:?} (the same index to it, other {}), \
                         and won't hold both",
                        live.name,
                        diffs.join(", ")
                    ),
                    None => format!(
                        "the server holds one text index per collection, and {:?} is live",
                        live.name
                    ),
                };
                let due = live.hidden
                    && retiring
                        .iter()
                        .find(|r| r.collection == declared.name && r.index == live.name)
                        .is_some_and(|r| add(r.hidden_at, options.drop_after) <= options.now);
                if retire && (options.drop_now || due) {
                    claimed.insert(&live.name);
                    changes.push(Change::Replace {
                        collection: collection.clone(),
                        from: live.clone(),
                        to: want.clone(),
                        differences: named(diffs),
                        gap: true,
                        note: Some(format!("{why}: it is dropped first")),
                    });
                    continue;
                }
                // Staged, the live one is hidden below and the build waits for its drop.
                let way_out = if retire {
                    "the build waits until it is dropped (its staged drop), or \
                     --drop-now replaces it at once (a gap)"
                        .to_string()
                } else {
                    if !protected(&live.name) {
                        claimed.insert(&live.name);
                    }
                    format!(
                        "--prune --drop-now replaces it (a gap), or declare {:?} to keep it",
                        live.name
                    )
                };
                changes.push(Change::Conflict {
                    collection: collection.clone(),
                    index: want.clone(),
                    live: live.clone(),
                    why: format!("{why}; {way_out}"),
                });
            }
        }
    }
    let replaced: HashSet<String> = changes
        .iter()
        .filter(|c| matches!(c, Change::Replace { .. }))
        .filter_map(|c| c.index().map(str::to_string))
        .collect();
    let drop = |index: &IndexSpec, note: Option<String>| Change::Drop {
        collection: collection.clone(),
        index: index.clone(),
        note,
    };
    for have in live_indexes {
        let iname = have.name.as_str();
        if iname == ID_INDEX
            || declared_names.contains(iname)
            || claimed.contains(iname)
            || is_clustered(have)
        {
            continue;
        }
        if change::is_twin(have) {
            // Left over from an interrupted replace; a replace of its index drops it itself.
            let base = iname.trim_end_matches(TEMP_SUFFIX);
            if !replaced.contains(base) {
                let note = format!("temporary index left by an interrupted replace of {base:?}");
                changes.push(drop(have, Some(note)));
            }
            continue;
        }
        let protected = protected(iname);
        let retire = (options.prune || declared.drop_undeclared) && !protected;
        let record = retiring
            .iter()
            .find(|r| r.collection == declared.name && r.index == iname);
        let drops_at = record.map(|r| add(r.hidden_at, options.drop_after));
        let entry = Unmanaged {
            collection: collection.clone(),
            index: have.clone(),
            equivalent_to: None,
            protected,
            retiring: None,
        };
        if !retire {
            unmanaged.push(entry);
        } else if options.drop_now {
            changes.push(drop(have, None));
        } else if !have.hidden || record.is_none() {
            changes.push(Change::Hide {
                collection: collection.clone(),
                index: have.clone(),
                note: format!(
                    "staged drop: hidden now, dropped by a run after {}",
                    humantime::format_duration(options.drop_after)
                ),
            });
        } else if drops_at.is_some_and(|at| at <= options.now) {
            let note = record.map(|r| {
                format!(
                    "hidden since {}",
                    r.hidden_at.try_to_rfc3339_string().unwrap_or_default()
                )
            });
            changes.push(drop(have, note));
        } else {
            unmanaged.push(Unmanaged {
                retiring: record.zip(drops_at).map(|(r, at)| (r.hidden_at, at)),
                ..entry
            });
        }
    }
    // To a fixed point: a replace refused keeps its old form, which may
    // stand in the way of another build.
    let mut changes = changes;
    loop {
        let before = changes.len();
        let refusals = changes.iter().filter(|c| c.refused().is_some()).count();
        changes = refuse_builds_blocked_by_what_stays(changes, live_indexes, default_collation);
        let now = changes.iter().filter(|c| c.refused().is_some()).count();
        if changes.len() == before && now == refusals {
            break;
        }
    }
    changes.sort_by_key(Change::action);
    (changes, unmanaged)
}

/// A build whose index the server takes for a live one that this plan
/// leaves in place (neither replaced nor dropped) would be refused (code 85,
/// or 67 for a second text index) after the steps before it ran, leaving a
/// temporary index behind: such a create or replace is refused in the plan
/// instead, naming the live index that stands in its way.
fn refuse_builds_blocked_by_what_stays(
    changes: Vec<Change>,
    live_indexes: &[IndexSpec],
    collation: Option<&bson::Document>,
) -> Vec<Change> {
    let leaving: HashSet<String> = changes
        .iter()
        .filter(|c| {
            matches!(
                c,
                Change::Replace { .. } | Change::Rename { .. } | Change::Drop { .. }
            )
        })
        .filter_map(|c| c.live().map(|l| l.name.clone()))
        .collect();
    changes
        .into_iter()
        .filter_map(|change| {
            let (want, own) = match &change {
                Change::Create { index, .. } => (index, None),
                Change::Replace { to, from, .. } => (to, Some(from.name.as_str())),
                _ => return Some(change),
            };
            let blocking = live_indexes.iter().find(|l| {
                l.name != ID_INDEX
                    && Some(l.name.as_str()) != own
                    && !leaving.contains(&l.name)
                    && !change::is_twin(l)
                    && (same_identity(want, l, collation) || (want.is_text() && l.is_text()))
            });
            match blocking {
                // Declared without a name, it is that live index already.
                Some(live)
                    if matches!(change, Change::Create { .. })
                        && !want.explicit_name
                        && same_identity(want, live, collation) =>
                {
                    None
                }
                Some(live) => Some(Change::Conflict {
                    collection: change.collection().to_string(),
                    index: want.clone(),
                    live: live.clone(),
                    why: format!(
                        "the server won't build it beside the live {:?}, which this plan \
                         leaves in place (its name is declared for another index that can't \
                         be built yet, or it is protected): resolve that one first, or drop \
                         {:?} by hand",
                        live.name, live.name
                    ),
                }),
                None => Some(change),
            }
        })
        .collect()
}

/// Whether a replace can build the new form next to the old one (under a
/// temporary name and key) before dropping it, keeping the collection covered.
fn can_coexist(
    want: &IndexSpec,
    have: &IndexSpec,
    live_count: usize,
    collation: Option<&bson::Document>,
    release: Release,
) -> bool {
    !same_identity(want, have, collation)
        // A TTL index has one field, so no temporary variant of it exists.
        && want.expire_after_seconds.is_none()
        && (!want.is_wildcard() || wildcard_twin(want, release))
        // One text index per collection: a text twin would stand in the way
        // of its own final form (and of any live text index).
        && !want.is_text()
        // The temporary index needs a free slot.
        && live_count < MAX_INDEXES
}

/// Whether a wildcard index has a temporary variant: an extra key field makes
/// it a compound wildcard index, which 6.0 refuses; 7.0 takes it on a path
/// (`"a.$**"`), while on `"$**"` the projection would have to change too, so
/// that stays a gap (`model::release::Feature::CompoundWildcard`).
fn wildcard_twin(want: &IndexSpec, release: Release) -> bool {
    release.has(Feature::CompoundWildcard) && !want.keys.contains_key("$**")
}

/// The clustered index of a clustered collection is part of the collection.
fn is_clustered(spec: &IndexSpec) -> bool {
    spec.other.get_bool("clustered").unwrap_or(false)
}

fn add(t: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(t.timestamp_millis().saturating_add(d.as_millis() as i64))
}
