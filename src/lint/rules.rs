//! The rules that need only the declarations of one collection. Each thinks
//! like the query planner: an index is redundant only when another one
//! answers every query it answers, with the same documents in it.

use bson::{Bson, Document};

use super::{Options, Raw, Rule};
use crate::model::compare::{differences, same_declared_identity};
use crate::model::index::as_f64;
use crate::model::{Collection, IndexSpec};

/// Every offline rule over one declared collection.
pub(crate) fn collection(collection: &Collection, options: &Options) -> Vec<Raw> {
    let indexes: Vec<&IndexSpec> = collection
        .indexes
        .iter()
        .filter(|i| !i.is_id_index() && !i.has_id_key())
        .collect();
    let mut out = Vec::new();
    duplicate_spec(&indexes, &mut out);
    redundant_index(&indexes, &mut out);
    wildcard_makes_redundant(&indexes, &mut out);
    unique_without_soft_delete_filter(&indexes, &options.soft_delete_fields, &mut out);
    too_many_indexes(collection, options.max_indexes, &mut out);
    timeseries_without_meta_index(collection, &mut out);
    out
}

/// A time-series collection is queried by series: by its metaField (and
/// time). Without an index that starts with the metaField, each such query
/// scans every bucket (MongoDB 6.0 creates none by itself).
fn timeseries_without_meta_index(collection: &Collection, out: &mut Vec<Raw>) {
    let meta = collection
        .options
        .as_ref()
        .and_then(|o| o.get_document("timeseries").ok())
        .and_then(|t| t.get_str("metaField").ok());
    let Some(meta) = meta else {
        return;
    };
    let indexed = collection.indexes.iter().any(|i| {
        i.keys
            .keys()
            .next()
            .is_some_and(|k| k == meta || k.starts_with(&format!("{meta}.")))
    });
    if !indexed {
        out.push(Raw {
            rule: Rule::TimeseriesWithoutMetaIndex,
            index: String::new(),
            message: format!(
                "time-series collection {} has no index on its metaField {meta:?}: queries by \
                 series scan every bucket; declare one, e.g. keys: {{ {meta}: 1, <timeField>: -1 }}",
                collection.name
            ),
        });
    }
}

/// The key as (field, ascending) pairs, when every value is a plain direction.
fn directions(keys: &Document) -> Option<Vec<(&str, bool)>> {
    keys.iter()
        .map(|(field, v)| match v {
            Bson::String(_) => None,
            other => as_f64(other).map(|n| (field.as_str(), n > 0.0)),
        })
        .collect()
}

/// Whether `short`'s key is the start of `long`'s, as the planner reads it:
/// the same fields in order, directions all the same or all reversed (an
/// index is walked either way, so `{a: 1, b: -1}` sorts as `{a: -1, b: 1}`).
fn key_prefix(short: &[(&str, bool)], long: &[(&str, bool)]) -> bool {
    if short.len() > long.len() || short.is_empty() {
        return false;
    }
    let pairs = short.iter().zip(long);
    if pairs.clone().any(|(s, l)| s.0 != l.0) {
        return false;
    }
    pairs.clone().all(|(s, l)| s.1 == l.1) || pairs.clone().all(|(s, l)| s.1 != l.1)
}

/// Whether the two hold the same documents in the same order of strings:
/// the same collation, partial filter and sparseness (compared as the
/// server compares them, both ways, since declared collations may name fewer fields).
fn same_documents(a: &IndexSpec, b: &IndexSpec) -> bool {
    const COVERAGE: &[&str] = &["sparse", "partialFilterExpression", "collation"];
    differences(a, b, None)
        .iter()
        .chain(&differences(b, a, None))
        .all(|f| !COVERAGE.contains(f))
}

/// The same index under two names. The server refuses two indexes of the
/// same identity (code 85), which validation already reports; what it
/// accepts is the same key with other numbers or reversed
/// (`{a: 1, b: -1}` beside `{a: -1, b: 1}`), which answers the same queries
/// and sorts twice over.
fn duplicate_spec(indexes: &[&IndexSpec], out: &mut Vec<Raw>) {
    const SAME_OPTIONS: &[&str] = &[
        "unique",
        "expireAfterSeconds",
        "sparse",
        "partialFilterExpression",
        "collation",
        "wildcardProjection",
    ];
    for (i, later) in indexes.iter().enumerate() {
        let Some(earlier) = indexes[..i].iter().find(|earlier| {
            if earlier.hidden || later.hidden || (earlier.is_text() && later.is_text()) {
                return false;
            }
            let same_key = match (directions(&earlier.keys), directions(&later.keys)) {
                (Some(a), Some(b)) => a.len() == b.len() && key_prefix(&a, &b),
                _ => same_declared_identity(earlier, later),
            };
            same_key
                && differences(earlier, later, None)
                    .iter()
                    .chain(&differences(later, earlier, None))
                    .all(|f| !SAME_OPTIONS.contains(f))
        }) else {
            continue;
        };
        out.push(Raw {
            rule: Rule::DuplicateSpec,
            index: later.name.clone(),
            message: format!(
                "the same index as {} ({} here, {} there): it answers the same queries and sorts \
                 (an index is read in either direction), so every write updates both for nothing; \
                 remove one",
                earlier.name,
                key_text(&later.keys),
                key_text(&earlier.keys)
            ),
        });
    }
}

/// A plain index whose key starts another plain one that holds the same
/// documents: the longer answers every query and sort the shorter does.
/// Unique and TTL indexes do more than answer queries, and a hidden one
/// answers none, so they are never redundant (nor is a hidden one the cover).
fn redundant_index(indexes: &[&IndexSpec], out: &mut Vec<Raw>) {
    for short in indexes {
        if short.unique || short.expire_after_seconds.is_some() || short.hidden {
            continue;
        }
        // Text, geo, hashed and wildcard keys index other things than values
        // (and a compound 2dsphere or text index leaves documents out).
        let Some(short_key) = directions(&short.keys) else {
            continue;
        };
        let cover = indexes.iter().find(|long| {
            !long.hidden
                && long.keys.len() > short.keys.len()
                && directions(&long.keys).is_some_and(|l| key_prefix(&short_key, &l))
                && same_documents(short, long)
        });
        if let Some(long) = cover {
            out.push(Raw {
                rule: Rule::RedundantIndex,
                index: short.name.clone(),
                message: format!(
                    "{} is a prefix of {} {}, which has the same collation, partial filter and \
                     sparseness and so answers every query and sort this one does; drop it to \
                     save a write on every insert and update",
                    key_text(&short.keys),
                    long.name,
                    key_text(&long.keys)
                ),
            });
        }
    }
}

/// Whether a `$**` (or `path.$**`) index holds `field`'s values.
fn wildcard_covers(wildcard: &IndexSpec, field: &str) -> bool {
    let Some((path, _)) = wildcard.keys.iter().next() else {
        return false;
    };
    let under = |root: &str| field == root || field.starts_with(&format!("{root}."));
    if let Some(root) = path.strip_suffix(".$**") {
        return under(root);
    }
    if field == "_id" || under("_id") {
        return false;
    }
    match &wildcard.wildcard_projection {
        None => true,
        Some(projection) => {
            let named: Vec<(&str, bool)> = projection
                .iter()
                .filter(|(k, _)| k.as_str() != "_id")
                .map(|(k, v)| (k.as_str(), crate::model::index::truthy(v)))
                .collect();
            let inclusion = named.iter().any(|(_, included)| *included);
            let listed = named.iter().any(|(k, _)| under(k));
            if inclusion {
                listed
            } else {
                !listed
            }
        }
    }
}

/// A `$**` index beside single-field indexes on the fields it holds: it
/// answers their queries and single-field sorts. Only indexes without
/// options: a unique, sparse, partial, TTL, hidden or otherwise collated one
/// does something the wildcard doesn't.
fn wildcard_makes_redundant(indexes: &[&IndexSpec], out: &mut Vec<Raw>) {
    let wildcards: Vec<&&IndexSpec> = indexes
        .iter()
        .filter(|w| {
            w.is_wildcard()
                && w.keys.len() == 1
                && w.keys.values().all(|v| v.as_str().is_none())
                && !w.hidden
                && w.partial_filter_expression.is_none()
        })
        .collect();
    for single in indexes {
        let plain = !single.is_wildcard()
            && single.keys.len() == 1
            && directions(&single.keys).is_some()
            && !single.unique
            && !single.sparse
            && !single.hidden
            && single.partial_filter_expression.is_none()
            && single.expire_after_seconds.is_none();
        if !plain {
            continue;
        }
        let Some(field) = single.keys.keys().next() else {
            continue;
        };
        if let Some(w) = wildcards
            .iter()
            .find(|w| wildcard_covers(w, field) && same_documents(single, w))
        {
            out.push(Raw {
                rule: Rule::WildcardMakesRedundant,
                index: single.name.clone(),
                message: format!(
                    "the wildcard index {} {} holds {field:?} too and answers its queries and \
                     sorts; drop this one unless queries need {field}: null or a covered read",
                    w.name,
                    key_text(&w.keys)
                ),
            });
        }
    }
}

/// The paths a partial filter tests, through `$and` / `$or`.
fn filter_paths(filter: &Document, out: &mut Vec<String>) {
    for (k, v) in filter {
        if k.starts_with('$') {
            for clause in v.as_array().into_iter().flatten() {
                if let Some(d) = clause.as_document() {
                    filter_paths(d, out);
                }
            }
        } else {
            out.push(k.clone());
        }
    }
}

/// A unique index on a collection whose other indexes filter out
/// soft-deleted documents: a deleted document still holds its key, so a new
/// one with the same key is refused.
fn unique_without_soft_delete_filter(
    indexes: &[&IndexSpec],
    soft_delete_fields: &[String],
    out: &mut Vec<Raw>,
) {
    let is_soft = |path: &str| {
        soft_delete_fields
            .iter()
            .any(|f| path == f || path.starts_with(&format!("{f}.")))
    };
    let filtering: Vec<(&IndexSpec, String)> = indexes
        .iter()
        .filter_map(|i| {
            let mut paths = Vec::new();
            filter_paths(i.partial_filter_expression.as_ref()?, &mut paths);
            let soft = paths.into_iter().find(|p| is_soft(p))?;
            Some((*i, soft))
        })
        .collect();
    let Some((other, field)) = filtering.first() else {
        return;
    };
    for unique in indexes {
        if !unique.unique
            || unique.partial_filter_expression.is_some()
            || unique.keys.keys().any(|k| is_soft(k))
        {
            continue;
        }
        let filter = other
            .partial_filter_expression
            .clone()
            .map(|f| Bson::Document(f).into_relaxed_extjson().to_string())
            .unwrap_or_default();
        out.push(Raw {
            rule: Rule::UniqueWithoutSoftDeleteFilter,
            index: unique.name.clone(),
            message: format!(
                "unique without a partial filter, while {} filters on the soft-delete field \
                 {field:?}: a deleted document keeps its key, so a new one with the same key is \
                 refused; filter this one as {} does (partialFilterExpression: {filter})",
                other.name, other.name
            ),
        });
    }
}

/// More indexes than `max` on one collection (`_id_` counted): each one
/// costs every write, and the server stops at 64.
fn too_many_indexes(collection: &Collection, max: usize, out: &mut Vec<Raw>) {
    let declares_id = collection
        .indexes
        .iter()
        .any(|i| i.is_id_index() || i.has_id_key());
    let count = collection.indexes.len() + usize::from(!declares_id);
    if count <= max {
        return;
    }
    // Found at the first index past the limit.
    let first_over = max.saturating_sub(usize::from(!declares_id));
    let Some(at) = collection.indexes.get(first_over) else {
        return;
    };
    out.push(Raw {
        rule: Rule::TooManyIndexes,
        index: at.name.clone(),
        message: format!(
            "{} has {count} indexes with _id_, more than lint.max_indexes ({max}; the server \
             allows 64): every insert and update writes each of them; this is the first past the \
             limit",
            collection.name
        ),
    });
}

/// `{"a": 1, "b": -1}`: a key as people read it.
pub(crate) fn key_text(keys: &Document) -> String {
    Bson::Document(keys.clone())
        .into_relaxed_extjson()
        .to_string()
}
