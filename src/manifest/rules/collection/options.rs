//! The options alone and together, and where they may be declared: capped,
//! time-series, clustered, a collection TTL, and what a view takes.

use bson::Document;

use super::values::{number, truthy};
use crate::manifest::rules::Finding;
use crate::model::collection::VIEW_OPTIONS;
use crate::model::names::MIG_COLLECTION;
use crate::model::release::{Feature, Release};

/// The largest capped size (`db/commands/create.idl`, `size`: `lte: 1125899906842624`, 1 PB).
const MAX_CAPPED_SIZE: i64 = 1 << 50;

/// Options the server ignores on a view (`create` accepts and drops them):
/// `mig` refuses them, since they say the declaration is not what was meant.
pub const IGNORED_ON_A_VIEW: &[&str] = &[
    "validator",
    "validationLevel",
    "validationAction",
    "capped",
    "size",
    "max",
];

/// The message of an option the server ignores on a view; the differential
/// test knows it as an intended difference.
pub fn ignored_on_a_view(option: &str) -> String {
    format!(
        "a view takes only viewOn, pipeline and collation: the server ignores {option} on a view"
    )
}

/// What a time-series collection takes besides `timeseries`
/// (`db/timeseries/timeseries_constants.h`, `kAllowedCollectionCreationOptions`);
/// `capped: false` is accepted too (`db/commands/create_command.cpp`).
const WITH_TIMESERIES: &[&str] = &["timeseries", "expireAfterSeconds", "collation"];

/// A time-series collection's bucket span for each granularity: 6.0 takes
/// `bucketMaxSpanSeconds` only with this value (`db/timeseries/timeseries_options.cpp`).
fn default_span(granularity: &str) -> i64 {
    match granularity {
        "minutes" => 86_400,
        "hours" => 2_592_000,
        _ => 3600,
    }
}

/// Options that go together, or don't, and where options may be declared.
/// From `db/commands/create_command.cpp` (r6.0.5) unless said otherwise.
pub(super) fn combination_rules(
    name: &str,
    o: &Document,
    has_indexes: bool,
    release: Release,
    out: &mut Vec<Finding>,
) {
    use crate::model::collection::as_i64;
    let has = |k: &str| o.contains_key(k);
    if name == MIG_COLLECTION || name.starts_with(&format!("{MIG_COLLECTION}.")) {
        out.push(Finding::error(
            "name",
            format!("{name:?} is mig's own collection: its options are not declared"),
        ));
    }
    if has("viewOn") {
        view_rules(o, has_indexes, out);
        return;
    }
    if has("pipeline") {
        out.push(Finding::error(
            "pipeline",
            "'pipeline' requires 'viewOn' to also be specified",
        ));
    }
    let capped = o.get("capped").is_some_and(truthy);
    if has("clusteredIndex") {
        // A clustered collection: its own rules for capped, size and max.
        if capped {
            out.push(Finding::error(
                "capped",
                "Clustered capped collection only available with 'enableTestCommands' server parameter",
            ));
        }
        for (option, code) in [("size", 6049200), ("max", 6049204)] {
            if has(option) {
                out.push(Finding::error(
                    option,
                    format!(
                        "'{option}' field for capped collections is not allowed on clustered \
                         collections (code {code}). Did you mean 'capped: true' with 'expireAfterSeconds'?"
                    ),
                ));
            }
        }
    } else {
        if capped && !has("size") {
            out.push(Finding::error(
                "capped",
                "the 'size' field is required when 'capped' is true",
            ));
        }
        if !capped && (has("size") || has("max")) {
            out.push(Finding::error(
                if has("size") { "size" } else { "max" },
                "the 'capped' field needs to be true when either the 'size' or 'max' fields are present",
            ));
        }
    }
    // The bounds are the create command's (`db/commands/create.idl`).
    if let Some(size) = o.get("size").and_then(as_i64) {
        if size < 1 {
            out.push(Finding::error(
                "size",
                format!("BSON field 'size' value must be >= 1, actual value '{size}'"),
            ));
        } else if size > MAX_CAPPED_SIZE {
            out.push(Finding::error(
                "size",
                format!(
                    "BSON field 'size' value must be <= {MAX_CAPPED_SIZE}, actual value '{size}' (1 PB)"
                ),
            ));
        }
    }
    if let Some(max) = o.get("max").and_then(as_i64) {
        if max >= 1 << 31 {
            out.push(Finding::error(
                "max",
                format!("BSON field 'max' value must be < 2147483648, actual value '{max}'"),
            ));
        } else if max <= 0 {
            // `db/catalog/collection_options.cpp`, `validMaxCappedDocs`: no limit.
            out.push(Finding::warning(
                "max",
                format!(
                    "max {max} means no limit on the number of documents: the server stores \
                     2147483647 (leave max out to say so)"
                ),
            ));
        }
    }
    if let Ok(ts) = o.get_document("timeseries") {
        timeseries_rules(ts, o, release, out);
    }
    if has("expireAfterSeconds") && !has("timeseries") && !has("clusteredIndex") {
        out.push(Finding::error(
            "expireAfterSeconds",
            "'expireAfterSeconds' is only supported on time-series collections or when the \
             'clusteredIndex' option is specified",
        ));
    }
    if let Some(ttl) = o.get("expireAfterSeconds").and_then(as_i64) {
        ttl_rules(ttl, out);
    }
    if let Ok(c) = o.get_document("clusteredIndex") {
        clustered_rules(c, out);
    }
}

/// A view takes `viewOn`, `pipeline` and `collation`. What else the server
/// refuses on a view is refused with its message; what it ignores (drops
/// without a word) `mig` refuses on purpose.
fn view_rules(o: &Document, has_indexes: bool, out: &mut Vec<Finding>) {
    if has_indexes {
        out.push(Finding::error(
            "indexes",
            "a view has no indexes of its own: index the collection it reads",
        ));
    }
    for key in o.keys().filter(|k| !VIEW_OPTIONS.contains(&k.as_str())) {
        let message = match key.as_str() {
            "timeseries" => "'timeseries' is not allowed with 'viewOn'".to_string(),
            "clusteredIndex" => "The 'clusteredIndex' option is not supported with views".into(),
            "expireAfterSeconds" => "'expireAfterSeconds' is only supported on time-series \
                                     collections or when the 'clusteredIndex' option is specified"
                .into(),
            // Pre-images not enabled: the server takes it, and ignores it.
            "changeStreamPreAndPostImages"
                if !o
                    .get_document(key)
                    .ok()
                    .and_then(|p| p.get("enabled"))
                    .is_some_and(truthy) =>
            {
                ignored_on_a_view(key)
            }
            // `db/catalog/create_collection.cpp`: "option not supported on a view".
            other if !IGNORED_ON_A_VIEW.contains(&other) => {
                format!("option not supported on a view: {other}")
            }
            other => ignored_on_a_view(other),
        };
        out.push(Finding::error(key, message));
    }
    match o.get_str("viewOn") {
        Ok("") => out.push(Finding::error("viewOn", "'viewOn' cannot be empty")),
        // `db/catalog/create_collection.cpp`: NamespaceString::validCollectionName.
        Ok(on) if on.contains('$') || on.contains('\0') => out.push(Finding::error(
            "viewOn",
            format!("invalid name for 'viewOn': {on}"),
        )),
        _ => {}
    }
}

/// `timeseries` and what goes with it (`db/commands/create_command.cpp`,
/// `db/timeseries/timeseries_options.cpp`).
fn timeseries_rules(ts: &Document, o: &Document, release: Release, out: &mut Vec<Finding>) {
    for other in o.keys().filter(|k| !WITH_TIMESERIES.contains(&k.as_str())) {
        if other == "capped" && !o.get("capped").is_some_and(truthy) {
            continue;
        }
        // A pipeline without viewOn has its own finding.
        if other == "pipeline" {
            continue;
        }
        out.push(Finding::error(
            other,
            format!("'timeseries' is not allowed with '{other}'"),
        ));
    }
    let time = ts.get_str("timeField").unwrap_or_default();
    if time.contains('.') {
        out.push(Finding::error(
            "timeseries.timeField",
            "'timeField' must be a top-level field and not contain a '.'",
        ));
    }
    if let Ok(meta) = ts.get_str("metaField") {
        if meta == "_id" {
            out.push(Finding::error(
                "timeseries.metaField",
                "'metaField' cannot be \"_id\"",
            ));
        }
        if meta == time {
            out.push(Finding::error(
                "timeseries.metaField",
                "'metaField' cannot be the same as 'timeField'",
            ));
        }
        if meta.contains('.') {
            out.push(Finding::error(
                "timeseries.metaField",
                "'metaField' must be a top-level field and not contain a '.'",
            ));
        }
    }
    if release.has(Feature::CustomBucketing) {
        custom_bucketing(ts, out);
        return;
    }
    // Custom bucketing came with 6.3: 6.0.5 refuses the field (code 40415).
    if ts.contains_key("bucketRoundingSeconds") {
        out.push(Finding::error(
            "timeseries.bucketRoundingSeconds",
            "BSON field 'create.timeseries.bucketRoundingSeconds' is an unknown field \
             (custom bucketing needs MongoDB 6.3)",
        ));
    }
    if let Some(span) = ts.get("bucketMaxSpanSeconds").and_then(number) {
        let default = default_span(ts.get_str("granularity").unwrap_or("seconds"));
        if span.trunc() != default as f64 {
            out.push(Finding::error(
                "timeseries.bucketMaxSpanSeconds",
                format!(
                    "Timeseries 'bucketMaxSpanSeconds' is not configurable to a value other than \
                     the default of {default} for the provided granularity (custom bucketing \
                     needs MongoDB 6.3)"
                ),
            ));
        }
    }
}

/// Custom bucketing (6.3+, so 7.0 and 8.0): `bucketMaxSpanSeconds` and
/// `bucketRoundingSeconds` together, equal, from 1 to 31536000 seconds, and
/// without `granularity` (`db/timeseries/timeseries_options.cpp` at r7.0.0,
/// `validateAndSetBucketingParameters`); `bucketMaxSpanSeconds` alone only
/// as the granularity's own span, as in 6.0.
fn custom_bucketing(ts: &Document, out: &mut Vec<Finding>) {
    let span = ts.get("bucketMaxSpanSeconds").and_then(number);
    let rounding = ts.get("bucketRoundingSeconds").and_then(number);
    let granularity = ts.get_str("granularity").ok();
    match (span, rounding) {
        (Some(s), Some(r)) => {
            if granularity.is_some() {
                out.push(Finding::error(
                    "timeseries.granularity",
                    "Time-series 'granularity' cannot be set with 'bucketMaxSpanSeconds' and \
                     'bucketRoundingSeconds': give either the granularity or both spans",
                ));
            }
            if s.trunc() != r.trunc() {
                out.push(Finding::error(
                    "timeseries.bucketRoundingSeconds",
                    format!("must equal bucketMaxSpanSeconds ({s}), found {r}"),
                ));
            }
            for (field, v) in [("bucketMaxSpanSeconds", s), ("bucketRoundingSeconds", r)] {
                if !(1.0..=31_536_000.0).contains(&v.trunc()) {
                    out.push(Finding::error(
                        &format!("timeseries.{field}"),
                        format!("must be from 1 to 31536000 seconds (one year), found {v}"),
                    ));
                }
            }
        }
        (None, Some(_)) => out.push(Finding::error(
            "timeseries.bucketRoundingSeconds",
            "needs bucketMaxSpanSeconds with the same value",
        )),
        (Some(s), None) => {
            let default = default_span(granularity.unwrap_or("seconds"));
            if s.trunc() != default as f64 {
                out.push(Finding::error(
                    "timeseries.bucketMaxSpanSeconds",
                    format!(
                        "needs bucketRoundingSeconds with the same value (custom bucketing), \
                         or the granularity's own span of {default}"
                    ),
                ));
            }
        }
        (None, None) => {}
    }
}

/// A collection TTL (time-series or clustered): `db/catalog/index_key_validate.cpp`,
/// `validateExpireAfterSeconds` (not a TTL index's mode: no 2^31 limit, but
/// at most the seconds since 1970, which grow with the clock).
fn ttl_rules(ttl: i64, out: &mut Vec<Finding>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(i64::MAX, |d| d.as_secs() as i64);
    if ttl < 0 {
        out.push(Finding::error(
            "expireAfterSeconds",
            "TTL index 'expireAfterSeconds' option cannot be less than 0 (or \"off\")",
        ));
    } else if ttl > now {
        out.push(Finding::error(
            "expireAfterSeconds",
            format!(
                "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a \
                 lower number (at most the seconds since 1970, {now} now)"
            ),
        ));
    }
}

/// `clusteredIndex` (`db/catalog/clustered_collection_util.cpp`,
/// `db/catalog/collection_options.cpp`, the `ClusteredIndexSpec` of
/// `db/catalog/clustered_collection_options.idl`).
fn clustered_rules(c: &Document, out: &mut Vec<Finding>) {
    let key_ok = c
        .get_document("key")
        .is_ok_and(|k| k.len() == 1 && k.get("_id").and_then(number) == Some(1.0));
    if !key_ok {
        out.push(Finding::error(
            "clusteredIndex.key",
            "The clusteredIndex option is only supported for key: {_id: 1}",
        ));
    }
    match c.get("unique") {
        None => out.push(Finding::error(
            "clusteredIndex.unique",
            "BSON field 'create.unique' is missing but a required field: unique: true",
        )),
        Some(u) if !truthy(u) => out.push(Finding::error(
            "clusteredIndex.unique",
            "The clusteredIndex option requires unique: true to be specified",
        )),
        _ => {}
    }
    if let Some(v) = c.get("v") {
        if number(v) != Some(2.0) {
            out.push(Finding::error(
                "clusteredIndex.v",
                format!("cannot create a clusteredIndex with v={v}: v is 2 (or leave it out)"),
            ));
        }
    }
    if let Some(name) = c.get("name") {
        if name.as_str().is_none() {
            out.push(Finding::error(
                "clusteredIndex.name",
                "BSON field 'create.name' is the wrong type: a clustered index's name is a string",
            ));
        }
    }
    for key in c
        .keys()
        .filter(|k| !["key", "unique", "name", "v"].contains(&k.as_str()))
    {
        out.push(Finding::error(
            &format!("clusteredIndex.{key}"),
            format!("BSON field 'create.{key}' is an unknown field (key, unique, name, v)"),
        ));
    }
}
