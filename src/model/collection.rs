//! A collection's own options (validator, collation, capped, time-series,
//! clustered, pre-images, a view's definition), in the form `create` takes
//! and `listCollections` reports them, and the one comparison of declared
//! options with live ones: what is the same, what `collMod` changes in
//! place, and what the server can't change at all.
//!
//! What the server accepts and changes comes from the 6.0 server's
//! `src/mongo/db/catalog/coll_mod.cpp` and `collection_options.cpp`, and from
//! what a real `mongod` 6.0.5 does (tests/it/collections.rs).

use bson::{doc, Bson, Document};

use super::compare::collation_matches;
use super::value::normalize;

/// Collection options a manifest may declare, as MongoDB names them.
pub const OPTIONS: &[&str] = &[
    "validator",
    "validationLevel",
    "validationAction",
    "collation",
    "capped",
    "size",
    "max",
    "timeseries",
    "expireAfterSeconds",
    "clusteredIndex",
    "changeStreamPreAndPostImages",
    "viewOn",
    "pipeline",
];

/// The "option" a change of kind (collection, time-series, view) is about,
/// as `listCollections` names it.
pub const KIND: &str = "type";

/// A time-series collection `ts` keeps its measurements in `system.buckets.ts`.
pub const BUCKETS_PREFIX: &str = "system.buckets.";

/// Every name an [`OptionChange`] may have, to read saved plans back.
pub const COMPARED: &[&str] = &[
    KIND,
    "viewOn",
    "pipeline",
    "collation",
    "validator",
    "validationLevel",
    "validationAction",
    "capped",
    "size",
    "max",
    "timeseries.timeField",
    "timeseries.metaField",
    "timeseries.granularity",
    "timeseries.bucketMaxSpanSeconds",
    "timeseries.bucketRoundingSeconds",
    "expireAfterSeconds",
    "clusteredIndex",
    "changeStreamPreAndPostImages",
];

/// The options a view takes; any other is ignored by the server on a view.
pub const VIEW_OPTIONS: &[&str] = &["viewOn", "pipeline", "collation"];

/// The time-series granularities, coarsest last: `collMod` may only move right.
pub const GRANULARITIES: &[&str] = &["seconds", "minutes", "hours"];

/// A validator's level and action when not declared: the server's defaults.
const VALIDATION_DEFAULTS: [(&str, &str); 2] =
    [("validationLevel", "strict"), ("validationAction", "error")];

/// A capped collection's size is rounded up to a multiple of 256 bytes
/// (`collection_options.cpp`, `cappedSize`); 6.0.5 reports the rounded size.
pub fn capped_size(size: i64) -> i64 {
    if size <= 0 {
        return size;
    }
    (size + 255) / 256 * 256
}

/// A capped collection's maximum number of documents as the server keeps it:
/// none (zero or less) is stored as 2^31 - 1 (`collection_options.cpp`,
/// `validMaxCappedDocs`; 6.0.5 reports `max: 2147483647` for `max: 0`).
pub fn capped_max(max: i64) -> i64 {
    if max <= 0 {
        0x7fff_ffff
    } else {
        max
    }
}

/// The options of a plain collection that a time-series collection also
/// has: declaring any other says the collection is not a time-series one.
const TIME_SERIES_TAKES: &[&str] = &["collation", "expireAfterSeconds"];

/// What a collection is, by its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Collection,
    TimeSeries,
    View,
}

impl Kind {
    pub fn of(options: &Document) -> Kind {
        if options.contains_key("viewOn") {
            Kind::View
        } else if options.contains_key("timeseries") {
            Kind::TimeSeries
        } else {
            Kind::Collection
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Collection => "collection",
            Kind::TimeSeries => "time-series collection",
            Kind::View => "view",
        }
    }
}

/// One option that differs between the declaration and the server.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionChange {
    /// The option, as declared (`validator`, `timeseries.granularity`).
    pub option: &'static str,
    pub declared: Option<Bson>,
    pub live: Option<Bson>,
    /// `None`: `collMod` changes it. `Some`: why the server can't, and the way to do it.
    pub never: Option<String>,
}

impl OptionChange {
    pub fn in_place(&self) -> bool {
        self.never.is_none()
    }
}

/// How declared options differ from live ones. Only declared options are
/// managed: one the manifest doesn't name is left as it is. A declared
/// validator implies the server's defaults for its level (`strict`) and
/// action (`error`), since they say whether it is enforced at all.
pub fn compare_options(declared: &Document, live: &Document) -> Vec<OptionChange> {
    let mut out = Vec::new();
    let (want, have) = (Kind::of(declared), Kind::of(live));
    let view_or_not = want == Kind::View || have == Kind::View;
    // A validator, capped, clustered, pre-images: not a time-series collection
    // (collMod refuses them on one: "option not supported on a time-series collection").
    let not_time_series = have == Kind::TimeSeries
        && declared
            .keys()
            .any(|k| !TIME_SERIES_TAKES.contains(&k.as_str()));
    if want != have && (view_or_not || declared.contains_key("timeseries") || not_time_series) {
        out.push(OptionChange {
            option: KIND,
            declared: Some(want.as_str().into()),
            live: Some(have.as_str().into()),
            never: Some(format!(
                "a {} can't become a {}: create a new one with a data migration \
                 (create, copy the documents, rename), then declare it",
                have.as_str(),
                want.as_str()
            )),
        });
        return out;
    }
    let get = |d: &Document, k: &str| d.get(k).cloned();
    let mut push = |option: &'static str, d: Option<Bson>, l: Option<Bson>, never: Option<&str>| {
        out.push(OptionChange {
            option,
            declared: d,
            live: l,
            never: never.map(str::to_string),
        })
    };

    if want == Kind::View {
        let on = (get(declared, "viewOn"), get(live, "viewOn"));
        if on.0 != on.1 {
            push("viewOn", on.0, on.1, None);
        }
        let empty = Bson::Array(Vec::new());
        let (dp, lp) = (
            declared.get("pipeline").unwrap_or(&empty),
            live.get("pipeline").unwrap_or(&empty),
        );
        if !same_in_order(dp, lp) {
            push("pipeline", Some(dp.clone()), Some(lp.clone()), None);
        }
    }

    if let Ok(d) = declared.get_document("collation") {
        let l = live.get_document("collation").ok();
        if !collation_matches(Some(d), l, None) {
            // The live collation is shown by the fields declared: the
            // server reports every field resolved.
            let shown = l.map(|l| {
                l.iter()
                    .filter(|(k, _)| d.contains_key(k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Document>()
            });
            push(
                "collation",
                Some(d.clone().into()),
                shown.map(Bson::from),
                Some(
                    "the default collation is fixed when the collection is created: \
                     create a new collection with it and copy the documents (a data migration)",
                ),
            );
        }
    }

    if let Some(d) = declared.get("validator") {
        let l = live.get("validator").cloned().unwrap_or(doc! {}.into());
        if normalize(&sorted(d)) != normalize(&sorted(&l)) {
            push("validator", Some(d.clone()), Some(l), None);
        }
    }
    // Declared, or implied by a declared validator.
    let implied = declared.contains_key("validator");
    for (option, default) in VALIDATION_DEFAULTS {
        let d = declared.get_str(option).ok().or(implied.then_some(default));
        let l = live.get_str(option).unwrap_or(default);
        if d.is_some_and(|d| d != l) {
            push(option, d.map(Bson::from), Some(l.into()), None);
        }
    }

    if let Some(d) = declared.get("capped") {
        let want_capped = truthy(d);
        let live_capped = live.get("capped").is_some_and(truthy);
        if want_capped != live_capped {
            push(
                "capped",
                Some(want_capped.into()),
                Some(live_capped.into()),
                Some(
                    "a collection can't be capped or uncapped in place: convertToCapped \
                     rewrites it under a lock, so do it with a data migration",
                ),
            );
        } else if want_capped {
            for option in ["size", "max"] {
                let Some(d) = declared.get(option).and_then(as_i64) else {
                    continue;
                };
                let d = if option == "size" {
                    capped_size(d)
                } else {
                    capped_max(d)
                };
                let l = live.get(option).and_then(as_i64);
                if Some(d) != l {
                    push(option, Some(d.into()), l.map(Bson::from), None);
                }
            }
        }
    }

    if let Ok(d) = declared.get_document("timeseries") {
        let l = live.get_document("timeseries").cloned().unwrap_or_default();
        for (field, option) in [
            ("timeField", "timeseries.timeField"),
            ("metaField", "timeseries.metaField"),
        ] {
            let (dv, lv) = (d.get(field).cloned(), l.get(field).cloned());
            if dv != lv {
                push(
                    option,
                    dv,
                    lv,
                    Some(
                        "a time-series collection's time and meta fields are fixed when it is \
                         created: create a new one and copy the measurements (a data migration)",
                    ),
                );
            }
        }
        // A declared bucket span says the granularity is not the default.
        let explicit_span = d.contains_key("bucketMaxSpanSeconds");
        let dg = d
            .get_str("granularity")
            .ok()
            .or((!explicit_span).then_some("seconds"));
        let lg = l.get_str("granularity").ok();
        if let Some(dg) = dg {
            if Some(dg) != lg {
                let rank =
                    |g: Option<&str>| g.and_then(|g| GRANULARITIES.iter().position(|x| *x == g));
                let never = match (rank(Some(dg)), rank(lg)) {
                    (Some(a), Some(b)) if a > b => None,
                    _ => Some(
                        "a time-series granularity only grows (seconds → minutes → hours): \
                         a finer one needs a new collection and a copy (a data migration)",
                    ),
                };
                push(
                    "timeseries.granularity",
                    Some(dg.into()),
                    lg.map(Bson::from),
                    never,
                );
            }
        }
        for (field, option) in [
            ("bucketMaxSpanSeconds", "timeseries.bucketMaxSpanSeconds"),
            ("bucketRoundingSeconds", "timeseries.bucketRoundingSeconds"),
        ] {
            let Some(dv) = d.get(field).and_then(as_i64) else {
                continue;
            };
            // The span a granularity implies moves with it: a granularity
            // change above sets it (seconds 3600, minutes 86400, hours 2592000).
            let implied = d
                .get_str("granularity")
                .ok()
                .and_then(|g| GRANULARITIES.iter().position(|x| *x == g))
                .map(|i| [3600, 86400, 2_592_000][i]);
            if field == "bucketMaxSpanSeconds" && implied == Some(dv) {
                continue;
            }
            let lv = l.get(field).and_then(as_i64);
            if Some(dv) != lv {
                push(
                    option,
                    Some(dv.into()),
                    lv.map(Bson::from),
                    Some(
                        "the bucketing of a time-series collection can't be changed in place \
                         before MongoDB 6.3: create a new one and copy the measurements",
                    ),
                );
            }
        }
    }

    if let Some(d) = declared.get("expireAfterSeconds") {
        let d = ttl(Some(d));
        let l = ttl(live.get("expireAfterSeconds"));
        if d != l {
            push(
                "expireAfterSeconds",
                Some(ttl_bson(d)),
                Some(ttl_bson(l)),
                None,
            );
        }
    }

    if let Ok(d) = declared.get_document("clusteredIndex") {
        let l = live.get_document("clusteredIndex").ok();
        // The server takes `unique: 1` and reports `unique: true`.
        let same = l.is_some_and(|l| {
            d.iter()
                .filter(|(k, _)| *k != "v")
                .all(|(k, v)| match k.as_str() {
                    "unique" => l.get(k).is_some_and(truthy) == truthy(v),
                    _ => l.get(k).map(normalize) == Some(normalize(v)),
                })
        });
        if !same {
            push(
                "clusteredIndex",
                Some(d.clone().into()),
                l.cloned().map(Bson::from),
                Some(
                    "a collection is clustered, or not, from its creation: create a new \
                     clustered collection and copy the documents (a data migration)",
                ),
            );
        }
    }

    if let Some(d) = declared.get("changeStreamPreAndPostImages") {
        let enabled = |v: Option<&Bson>| {
            v.and_then(Bson::as_document)
                .and_then(|e| e.get("enabled"))
                .is_some_and(truthy)
        };
        let (dv, lv) = (
            enabled(Some(d)),
            enabled(live.get("changeStreamPreAndPostImages")),
        );
        if dv != lv {
            push(
                "changeStreamPreAndPostImages",
                Some(doc! {"enabled": dv}.into()),
                Some(doc! {"enabled": lv}.into()),
                None,
            );
        }
    }
    out
}

/// The `collMod` that makes the in-place changes, in the server's fields.
pub fn coll_mod(changes: &[OptionChange], declared: &Document) -> Document {
    let mut set = Document::new();
    for change in changes.iter().filter(|c| c.in_place()) {
        let value = change.declared.clone().unwrap_or(Bson::Null);
        match change.option {
            "viewOn" | "pipeline" => {
                // The server takes a view's definition whole.
                set.insert(
                    "viewOn",
                    declared.get("viewOn").cloned().unwrap_or(Bson::Null),
                );
                set.insert(
                    "pipeline",
                    declared
                        .get("pipeline")
                        .cloned()
                        .unwrap_or(Bson::Array(vec![])),
                );
            }
            "size" => {
                set.insert("cappedSize", value);
            }
            "max" => {
                set.insert("cappedMax", value);
            }
            "timeseries.granularity" => {
                set.insert("timeseries", doc! {"granularity": value});
            }
            option => {
                set.insert(option, value);
            }
        }
    }
    set
}

/// The `create` command's options for a declared collection.
pub fn create_options(declared: &Document) -> Document {
    let mut options = declared.clone();
    if let Some(size) = options.get("size").and_then(as_i64) {
        options.insert("size", size);
    }
    if options.get("expireAfterSeconds").and_then(Bson::as_str) == Some("off") {
        options.remove("expireAfterSeconds");
    }
    options
}

/// Whether a change to the validator (or its level or action) may make
/// documents already there fail it: the preflight counts them.
pub fn validator_tightens(changes: &[OptionChange]) -> bool {
    changes.iter().any(|c| {
        c.in_place()
            && match c.option {
                "validator" => c
                    .declared
                    .as_ref()
                    .and_then(Bson::as_document)
                    .is_some_and(|d| !d.is_empty()),
                "validationLevel" => c.declared.as_ref().and_then(Bson::as_str) == Some("strict"),
                "validationAction" => c.declared.as_ref().and_then(Bson::as_str) == Some("error"),
                _ => false,
            }
    })
}

fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        other => as_i64(other).is_some_and(|n| n != 0),
    }
}

pub fn as_i64(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(*i as i64),
        Bson::Int64(i) => Some(*i),
        Bson::Double(f) if f.is_finite() => Some(*f as i64),
        _ => None,
    }
}

/// A collection TTL: seconds, or none (`"off"` or absent).
fn ttl(v: Option<&Bson>) -> Option<i64> {
    v.and_then(as_i64)
}

fn ttl_bson(v: Option<i64>) -> Bson {
    v.map_or(Bson::String("off".into()), Bson::Int64)
}

/// Documents with their fields sorted, at every depth: a validator's
/// meaning doesn't depend on the order of its fields.
pub fn sorted(v: &Bson) -> Bson {
    match v {
        Bson::Document(d) => {
            let mut fields: Vec<(&String, &Bson)> = d.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            Bson::Document(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Bson::Array(a) => Bson::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Pipelines compare in order, field order included (`$sort` depends on it).
fn same_in_order(a: &Bson, b: &Bson) -> bool {
    let bytes = |v: &Bson| bson::to_vec(&doc! {"v": normalize(v)}).unwrap_or_default();
    bytes(a) == bytes(b)
}

/// The live options in the form `listCollections` reports them, from a
/// `$listCatalog` entry (and, for a time-series collection, its buckets'
/// entry), so that both read paths give the same model.
pub fn options_from_catalog(entry: &Document, buckets: Option<&Document>) -> Document {
    let mut options = Document::new();
    match entry.get_str("type").unwrap_or("collection") {
        "view" => {
            for field in VIEW_OPTIONS {
                if let Some(v) = entry.get(*field) {
                    options.insert(*field, v.clone());
                }
            }
        }
        "timeseries" => {
            let md = buckets.and_then(|b| b.get_document("md").ok());
            let o = md.and_then(|m| m.get_document("options").ok());
            // In the buckets' order, as listCollections gives them: saved
            // plans hash the options, and `apply` reads by listCollections.
            for (field, v) in o.into_iter().flatten() {
                if ["timeseries", "expireAfterSeconds", "collation"].contains(&field.as_str()) {
                    options.insert(field, v.clone());
                }
            }
        }
        _ => {
            let o = entry
                .get_document("md")
                .and_then(|m| m.get_document("options"));
            if let Ok(o) = o {
                for (k, v) in o {
                    if k != "uuid" {
                        options.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    options
}

/// The options as `listCollections` reports them, without `uuid`.
pub fn options_from_list(info: &Document) -> Document {
    let mut options = info.get_document("options").cloned().unwrap_or_default();
    options.remove("uuid");
    options
}

#[cfg(test)]
#[path = "collection_tests.rs"]
mod tests;
