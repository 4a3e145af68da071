//! A collection's own options: the declaration read into `create`'s form,
//! and the server's rules for it. Each rule names the server source it comes
//! from (`mongodb/mongo` at r6.0.5) and was checked against `mongod` 6.0.5:
//! `db/catalog/collection_options.cpp` (what `create` takes together),
//! `db/matcher/schema/json_schema_parser.cpp` (`$jsonSchema`),
//! `db/views/view_catalog.cpp` and `db/pipeline/*` (a view's pipeline).

use bson::{doc, Bson, Document};

use super::options::collation_rules;
use super::Finding;
use crate::manifest::extjson::to_document;
use crate::manifest::file::{CollectionDecl, Expiry, Number};
use crate::manifest::Invalid;
use crate::model::collection::VIEW_OPTIONS;
use crate::model::names::MIG_COLLECTION;
use crate::model::release::{Feature, Release};

/// The declared options in `create`'s form (`None` when none is declared),
/// and what is wrong with them.
pub fn collection_options_for(
    decl: &CollectionDecl,
    release: Release,
) -> (Option<Document>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut o = Document::new();
    let document =
        |option: &str, v: &serde_json::Value, out: &mut Vec<Finding>| match to_document(v) {
            Ok(d) => Some(d),
            Err(e) => {
                out.push(Finding::error(option, e.0));
                None
            }
        };
    if let Some(v) = &decl.validator {
        if let Some(d) = document("validator", &v.0, &mut out) {
            validator_rules(&d, &mut out);
            o.insert("validator", d);
        }
    }
    if let Some(level) = decl.validation_level {
        o.insert("validationLevel", word(level));
    }
    if let Some(action) = decl.validation_action {
        o.insert("validationAction", word(action));
    }
    if let Some(v) = &decl.collation {
        if let Some(d) = document("collation", &v.0, &mut out) {
            collation_rules(&d, super::keys::Plugin::Btree, &mut out);
            o.insert("collation", d);
        }
    }
    if let Some(capped) = decl.capped {
        o.insert("capped", capped);
    }
    for (option, value) in [("size", decl.size), ("max", decl.max)] {
        if let Some(n) = value {
            o.insert(option, whole(n));
        }
    }
    if let Some(ts) = &decl.timeseries {
        let mut t = doc! {"timeField": &ts.time_field};
        if let Some(meta) = &ts.meta_field {
            t.insert("metaField", meta);
        }
        if let Some(g) = ts.granularity {
            t.insert("granularity", word(g));
        }
        for (field, value) in [
            ("bucketMaxSpanSeconds", ts.bucket_max_span_seconds),
            ("bucketRoundingSeconds", ts.bucket_rounding_seconds),
        ] {
            if let Some(n) = value {
                t.insert(field, whole(n));
            }
        }
        o.insert("timeseries", t);
    }
    if let Some(e) = decl.expire_after_seconds {
        o.insert(
            "expireAfterSeconds",
            match e {
                Expiry::Seconds(n) => whole(n),
                Expiry::Off => Bson::String("off".into()),
            },
        );
    }
    if let Some(v) = &decl.clustered_index {
        if let Some(d) = document("clusteredIndex", &v.0, &mut out) {
            o.insert("clusteredIndex", d);
        }
    }
    if let Some(p) = &decl.change_stream_pre_and_post_images {
        o.insert("changeStreamPreAndPostImages", doc! {"enabled": p.enabled});
    }
    if let Some(on) = &decl.view_on {
        o.insert("viewOn", on);
    }
    if let Some(p) = &decl.pipeline {
        match pipeline(&p.0) {
            Ok(stages) => {
                pipeline_rules(&stages, &mut out);
                o.insert("pipeline", stages);
            }
            Err(why) => out.push(Finding::error("pipeline", why.0)),
        }
    }
    if o.is_empty() {
        return (None, out);
    }
    combination_rules(&decl.name, &o, !decl.indexes.is_empty(), release, &mut out);
    (Some(o), out)
}

/// An option's value as the manifest spells it (`strict`, `minutes`).
fn word(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A number as the server stores a whole one.
fn whole(n: Number) -> Bson {
    match n {
        Number::Int(i) => Bson::Int64(i),
        Number::Float(f) if f.fract() == 0.0 => Bson::Int64(f as i64),
        Number::Float(f) => Bson::Double(f),
    }
}

/// A pipeline as written (a list, or the same as an Extended JSON string).
fn pipeline(value: &serde_json::Value) -> Result<Vec<Bson>, Invalid> {
    let value = match value {
        serde_json::Value::String(s) => {
            serde_json::from_str(s).map_err(|e| invalid!("not a valid Extended JSON list: {e}"))?
        }
        other => other.clone(),
    };
    let serde_json::Value::Array(stages) = value else {
        return Err("a pipeline is a list of stages".into());
    };
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            serde_json::Value::Object(_) => to_document(s)
                .map(Bson::Document)
                .map_err(|e| invalid!("stage {i}: {}", e.0)),
            _ => Err(invalid!("stage {i} is not a document")),
        })
        .collect()
}

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

fn number(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(*i as f64),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(f) => Some(*f),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

/// Truthy as the server reads a flag (`unique: 1`).
fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        other => number(other).is_some_and(|n| n != 0.0),
    }
}

/// Options that go together, or don't, and where options may be declared.
/// From `db/commands/create_command.cpp` (r6.0.5) unless said otherwise.
fn combination_rules(
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

/// `$jsonSchema` keywords the 6.0 server reads (`json_schema_parser.cpp`).
const SCHEMA_KEYWORDS: &[&str] = &[
    "additionalItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "bsonType",
    "dependencies",
    "description",
    "encrypt",
    "encryptMetadata",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "multipleOf",
    "not",
    "oneOf",
    "pattern",
    "patternProperties",
    "properties",
    "required",
    "title",
    "type",
    "uniqueItems",
];

/// JSON Schema keywords the server knows and refuses: "not currently supported".
const UNSUPPORTED_KEYWORDS: &[&str] =
    &["$ref", "$schema", "default", "definitions", "format", "id"];

/// `bsonType` aliases (`db/matcher/matcher_type_set.cpp`, `typeAliasMap`).
const BSON_TYPES: &[&str] = &[
    "double",
    "string",
    "object",
    "array",
    "binData",
    "undefined",
    "objectId",
    "bool",
    "date",
    "null",
    "regex",
    "dbPointer",
    "javascript",
    "symbol",
    "javascriptWithScope",
    "int",
    "timestamp",
    "long",
    "decimal",
    "minKey",
    "maxKey",
    "number",
];

/// JSON types `type` takes (`integer` is JSON Schema's, not supported).
const JSON_TYPES: &[&str] = &["object", "array", "number", "boolean", "string", "null"];

/// Query operators at the top of a query document (`db/matcher/expression_parser.cpp`,
/// `parseTopLevel`'s table); `$text` and `$where` are known but not allowed
/// in a validator or a view.
const TOP_LEVEL_OPERATORS: &[&str] = &[
    "$and",
    "$or",
    "$nor",
    "$expr",
    "$jsonSchema",
    "$comment",
    "$alwaysFalse",
    "$alwaysTrue",
    "$sampleRate",
    "$text",
    "$where",
];

/// Operators on a field (`db/matcher/expression_parser.cpp`, `parseSubField`).
const FIELD_OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$type",
    "$mod",
    "$regex",
    "$options",
    "$elemMatch",
    "$size",
    "$all",
    "$not",
    "$bitsAllSet",
    "$bitsAllClear",
    "$bitsAnySet",
    "$bitsAnyClear",
    "$geoWithin",
    "$within",
    "$geoIntersects",
    "$near",
    "$nearSphere",
    "$geoNear",
    "$minDistance",
    "$maxDistance",
    "$comment",
];

/// Where a query is: a validator, a `$match` of a view, or under an `$elemMatch`.
#[derive(Clone, Copy, PartialEq)]
enum QueryIn {
    Validator,
    View,
    Element,
}

fn validator_rules(v: &Document, out: &mut Vec<Finding>) {
    query_rules(v, "validator", QueryIn::Validator, out);
}

/// A query document: its operators, the ones not allowed where it is
/// (`expression_parser.cpp`: "not allowed in this context"), and the
/// `$jsonSchema` under any `$and`/`$or`/`$nor`.
fn query_rules(d: &Document, at: &str, context: QueryIn, out: &mut Vec<Finding>) {
    for (k, v) in d {
        let path = format!("{at}.{k}");
        if !k.starts_with('$') {
            field_rules(v, &path, context, out);
            continue;
        }
        match k.as_str() {
            "$and" | "$or" | "$nor" => match v.as_array() {
                Some(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Bson::Document(inner) => {
                                query_rules(inner, &format!("{path}[{i}]"), context, out)
                            }
                            _ => out.push(Finding::error(
                                &format!("{path}[{i}]"),
                                "$or/$and/$nor entries need to be full objects",
                            )),
                        }
                    }
                }
                _ => out.push(Finding::error(
                    &path,
                    "$and/$or/$nor must be a nonempty array",
                )),
            },
            "$jsonSchema" => match v {
                Bson::Document(s) => schema_rules(s, &path, out),
                _ => out.push(Finding::error(&path, "$jsonSchema must be an object")),
            },
            "$where" => out.push(Finding::error(
                &path,
                "$where is not allowed in this context",
            )),
            "$text" if context == QueryIn::Validator => out.push(Finding::error(
                &path,
                "$text is not allowed in this context",
            )),
            "$text" if context == QueryIn::Element => out.push(Finding::error(
                &path,
                "$text can only be applied to the top-level document",
            )),
            known if TOP_LEVEL_OPERATORS.contains(&known) => {}
            other => out.push(Finding::error(
                &path,
                format!(
                    "unknown top level operator: {other}. If you have a field name that starts \
                     with a '$' symbol, consider using $getField or $setField."
                ),
            )),
        }
    }
}

/// Whether a query searches text: `$text` at its top, or under `$and`/`$or`/`$nor`.
fn has_text(query: &Document) -> bool {
    query.iter().any(|(k, v)| match k.as_str() {
        "$text" => true,
        "$and" | "$or" | "$nor" => v
            .as_array()
            .is_some_and(|items| items.iter().filter_map(Bson::as_document).any(has_text)),
        _ => false,
    })
}

/// The value of a field in a query: a value to equal, or operators.
fn field_rules(v: &Bson, path: &str, context: QueryIn, out: &mut Vec<Finding>) {
    let Bson::Document(ops) = v else {
        return;
    };
    // A document whose first field is not an operator is a value to equal.
    if !ops.keys().next().is_some_and(|k| k.starts_with('$')) {
        return;
    }
    for (op, arg) in ops {
        let path = format!("{path}.{op}");
        match op.as_str() {
            "$near" | "$nearSphere" | "$geoNear" => out.push(Finding::error(
                &path,
                "$geoNear, $near, and $nearSphere are not allowed in this context",
            )),
            "$not" => field_rules(arg, &path, context, out),
            "$elemMatch" => {
                if let Bson::Document(inner) = arg {
                    let operators = inner
                        .keys()
                        .next()
                        .is_some_and(|k| FIELD_OPERATORS.contains(&k.as_str()));
                    if operators {
                        field_rules(arg, &path, context, out);
                    } else if context == QueryIn::Validator {
                        query_rules(inner, &path, context, out);
                    } else {
                        query_rules(inner, &path, QueryIn::Element, out);
                    }
                }
            }
            "$type" => {
                let names: Vec<&Bson> = match arg {
                    Bson::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                for name in names.iter().filter_map(|n| n.as_str()) {
                    if !BSON_TYPES.contains(&name) {
                        out.push(Finding::error(
                            &path,
                            format!("Unknown type name alias: {name}{}", hint(name, BSON_TYPES)),
                        ));
                    }
                }
            }
            known if FIELD_OPERATORS.contains(&known) => {}
            other => out.push(Finding::error(
                &path,
                format!("unknown operator: {other}{}", hint(other, FIELD_OPERATORS)),
            )),
        }
    }
}

/// ": did you mean \"x\"?", when a near miss of a known name.
fn hint(name: &str, known: &[&str]) -> String {
    crate::model::names::closest(name, known.iter().copied())
        .first()
        .map(|h| format!(": did you mean {h:?}?"))
        .unwrap_or_default()
}

/// The type of a value, as the server names it in messages.
fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Int32(_) => "int",
        Bson::Int64(_) => "long",
        Bson::Double(_) => "double",
        Bson::Decimal128(_) => "decimal",
        Bson::String(_) => "string",
        Bson::Boolean(_) => "bool",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Null => "null",
        _ => "another type",
    }
}

/// Whether a list has a value twice (numbers compared by value).
fn duplicate(items: &[Bson]) -> Option<&Bson> {
    let norm = |v: &Bson| crate::model::value::normalize(v);
    items
        .iter()
        .enumerate()
        .find(|(i, a)| items[..*i].iter().any(|b| norm(a) == norm(b)))
        .map(|(_, v)| v)
}

/// One `$jsonSchema` (`db/matcher/schema/json_schema_parser.cpp`, r6.0.5).
fn schema_rules(s: &Document, at: &str, out: &mut Vec<Finding>) {
    if s.contains_key("type") && s.contains_key("bsonType") {
        out.push(Finding::error(
            at,
            "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'",
        ));
    }
    for (bound, exclusive) in [
        ("minimum", "exclusiveMinimum"),
        ("maximum", "exclusiveMaximum"),
    ] {
        if s.contains_key(exclusive) && !s.contains_key(bound) {
            out.push(Finding::error(
                &format!("{at}.{exclusive}"),
                format!(
                    "$jsonSchema keyword '{bound}' must be a present if {exclusive} is present"
                ),
            ));
        }
    }
    for (k, v) in s {
        let path = format!("{at}.{k}");
        let bad =
            |out: &mut Vec<Finding>, message: String| out.push(Finding::error(&path, message));
        if UNSUPPORTED_KEYWORDS.contains(&k.as_str()) {
            bad(
                out,
                format!("$jsonSchema keyword '{k}' is not currently supported"),
            );
            continue;
        }
        if !SCHEMA_KEYWORDS.contains(&k.as_str()) {
            bad(
                out,
                format!(
                    "Unknown $jsonSchema keyword: {k}{}",
                    hint(k, SCHEMA_KEYWORDS)
                ),
            );
            continue;
        }
        let sub = |v: &Bson, path: &str, out: &mut Vec<Finding>, what: &str| match v {
            Bson::Document(d) => schema_rules(d, path, out),
            other => out.push(Finding::error(
                path,
                format!("{what}, but found an element of type {}", type_name(other)),
            )),
        };
        match k.as_str() {
            "bsonType" | "type" => {
                let names: Vec<&Bson> = match v {
                    Bson::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                if names.is_empty() {
                    bad(
                        out,
                        format!("$jsonSchema keyword '{k}' must name at least one type"),
                    );
                }
                let known = if k == "bsonType" { BSON_TYPES } else { JSON_TYPES };
                let mut seen = Vec::new();
                for name in names {
                    match name.as_str() {
                        Some(n) if seen.contains(&n) => {
                            bad(out, format!("$jsonSchema keyword '{k}' has duplicate value: {n}"))
                        }
                        Some(n) if known.contains(&n) => seen.push(n),
                        Some("integer") => bad(
                            out,
                            "$jsonSchema type 'integer' is not currently supported.: use bsonType \"int\" or \"long\"".into(),
                        ),
                        Some(n) => {
                            bad(out, format!("Unknown type name alias: {n}{}", hint(n, known)))
                        }
                        None => bad(
                            out,
                            format!("$jsonSchema keyword '{k}' must be either a string or an array of strings"),
                        ),
                    }
                }
            }
            "minimum" | "maximum" if number(v).is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a number"))
            }
            "multipleOf" => match number(v) {
                None => bad(out, format!("$jsonSchema keyword '{k}' must be a number")),
                Some(n) if n <= 0.0 => bad(
                    out,
                    "$jsonSchema keyword 'multipleOf' must have a positive value".into(),
                ),
                _ => {}
            },
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties" => match number(v) {
                None => bad(out, format!("Expected a number in: {k}: {v}")),
                Some(n) if n.fract() != 0.0 => bad(out, format!("Expected an integer: {k}: {v}")),
                Some(n) if n < 0.0 => bad(out, format!("Expected a non-negative number in: {k}: {v}")),
                _ => {}
            },
            "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" if v.as_bool().is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a boolean"))
            }
            "required" => match v.as_array() {
                None => bad(
                    out,
                    format!(
                        "$jsonSchema keyword 'required' must be an array, but found an element of type {}",
                        type_name(v)
                    ),
                ),
                Some(a) if a.is_empty() => bad(
                    out,
                    "$jsonSchema keyword 'required' cannot be an empty array".into(),
                ),
                Some(a) => {
                    if let Some(x) = a.iter().find(|x| x.as_str().is_none()) {
                        bad(
                            out,
                            format!(
                                "$jsonSchema keyword 'required' must be an array of strings, but found an element of type: {}",
                                type_name(x)
                            ),
                        );
                    } else if duplicate(a).is_some() {
                        bad(
                            out,
                            "$jsonSchema keyword 'required' array cannot contain duplicate values"
                                .into(),
                        );
                    }
                }
            },
            "enum" => match v.as_array() {
                None => bad(
                    out,
                    format!(
                        "$jsonSchema keyword 'enum' must be an array, but found an element of type {}",
                        type_name(v)
                    ),
                ),
                Some(a) if a.is_empty() => bad(
                    out,
                    "$jsonSchema keyword 'enum' cannot be an empty array".into(),
                ),
                Some(a) if duplicate(a).is_some() => bad(
                    out,
                    "$jsonSchema keyword 'enum' array cannot contain duplicate values.".into(),
                ),
                _ => {}
            },
            "properties" | "patternProperties" => match v.as_document() {
                Some(props) => {
                    for (name, schema) in props {
                        let what = format!("Nested schema for $jsonSchema property '{name}' must be an object");
                        sub(schema, &format!("{path}.{name}"), out, &what);
                    }
                }
                None => bad(out, format!("$jsonSchema keyword '{k}' must be an object")),
            },
            "dependencies" => match v.as_document() {
                Some(deps) => {
                    for (name, dep) in deps {
                        let dpath = format!("{path}.{name}");
                        match dep {
                            Bson::Document(d) => schema_rules(d, &dpath, out),
                            Bson::Array(a) if a.is_empty() => out.push(Finding::error(
                                &dpath,
                                format!("property '{name}' in $jsonSchema keyword 'dependencies' cannot be an empty array"),
                            )),
                            Bson::Array(a) => {
                                if let Some(x) = a.iter().find(|x| x.as_str().is_none()) {
                                    out.push(Finding::error(
                                        &dpath,
                                        format!("array '{name}' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: {}", type_name(x)),
                                    ));
                                } else if let Some(x) = duplicate(a) {
                                    out.push(Finding::error(
                                        &dpath,
                                        format!("array '{name}' in $jsonSchema keyword 'dependencies' contains duplicate element: {}", x.as_str().unwrap_or_default()),
                                    ));
                                }
                            }
                            _ => out.push(Finding::error(
                                &dpath,
                                format!("property '{name}' in $jsonSchema keyword 'dependencies' must be either an object or an array"),
                            )),
                        }
                    }
                }
                None => bad(out, format!("$jsonSchema keyword '{k}' must be an object")),
            },
            "items" => match v {
                Bson::Array(a) => {
                    for (i, schema) in a.iter().enumerate() {
                        let what = format!("$jsonSchema keyword '{k}' requires that every element of the array is an object");
                        sub(schema, &format!("{path}[{i}]"), out, &what);
                    }
                }
                Bson::Document(d) => schema_rules(d, &path, out),
                other => bad(
                    out,
                    format!(
                        "$jsonSchema keyword 'items' must be an array or an object, not {}",
                        type_name(other)
                    ),
                ),
            },
            "additionalItems" | "additionalProperties" => match v {
                Bson::Boolean(_) => {}
                Bson::Document(d) => schema_rules(d, &path, out),
                _ => bad(
                    out,
                    format!("$jsonSchema keyword '{k}' must be an object or a boolean"),
                ),
            },
            "allOf" | "anyOf" | "oneOf" => match v.as_array() {
                Some(a) if !a.is_empty() => {
                    for (i, schema) in a.iter().enumerate() {
                        let what = format!("$jsonSchema keyword '{k}' must be an array of objects");
                        sub(schema, &format!("{path}[{i}]"), out, &what);
                    }
                }
                _ => bad(
                    out,
                    format!("$jsonSchema keyword '{k}' must be a non-empty array"),
                ),
            },
            "not" => sub(
                v,
                &path,
                out,
                "$jsonSchema keyword 'not' must be an object",
            ),
            "pattern" | "description" | "title" if v.as_str().is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be of type string"))
            }
            _ => {}
        }
    }
}

/// Aggregation stages of 6.0 (`db/pipeline/document_source_*.cpp`,
/// `REGISTER_DOCUMENT_SOURCE`), without internal ones.
const STAGES: &[&str] = &[
    "$addFields",
    "$bucket",
    "$bucketAuto",
    "$changeStream",
    "$collStats",
    "$count",
    "$currentOp",
    "$densify",
    "$documents",
    "$facet",
    "$fill",
    "$geoNear",
    "$graphLookup",
    "$group",
    "$indexStats",
    "$limit",
    "$listCachedAndActiveUsers",
    "$listCatalog",
    "$listLocalSessions",
    "$listSessions",
    "$lookup",
    "$match",
    "$merge",
    "$out",
    "$planCacheStats",
    "$project",
    "$redact",
    "$replaceRoot",
    "$replaceWith",
    "$sample",
    "$set",
    "$setWindowFields",
    "$shardedDataDistribution",
    "$skip",
    "$sort",
    "$sortByCount",
    "$unionWith",
    "$unset",
    "$unwind",
];

/// Atlas Search's stages: a `mongod` without it doesn't know them.
const ATLAS_STAGES: &[&str] = &["$search", "$searchMeta", "$vectorSearch"];

/// Stages that read the server, not a collection: not in a view.
const NOT_ON_A_COLLECTION: &[&str] = &[
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$listCachedAndActiveUsers",
    "$shardedDataDistribution",
];

/// Stages that must start their pipeline (the first stage of a view's or
/// of a sub-pipeline).
const FIRST_ONLY: &[&str] = &[
    "$collStats",
    "$indexStats",
    "$planCacheStats",
    "$listCatalog",
    "$changeStream",
    "$documents",
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$shardedDataDistribution",
    "$listCachedAndActiveUsers",
];

/// Stages a `$facet` can't hold (their `facetRequirement` is `kNotAllowed`).
const NOT_IN_FACET: &[&str] = &[
    "$collStats",
    "$indexStats",
    "$planCacheStats",
    "$listCatalog",
    "$geoNear",
    "$facet",
    "$out",
    "$merge",
    "$changeStream",
    "$documents",
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$shardedDataDistribution",
    "$listCachedAndActiveUsers",
];

/// A `$project`: inclusion or exclusion, not both (`_id` aside), and not
/// empty (`db/query/projection_parser.cpp`, codes 51272, 31253, 31254, 31310).
/// The first field other than `_id` says which it is; nested projections
/// are not looked into.
fn projection_rules(p: &Document, at: &str, out: &mut Vec<Finding>) {
    if p.is_empty() {
        out.push(Finding::error(
            at,
            "Invalid $project :: caused by :: projection specification must have at least one field",
        ));
        return;
    }
    // Some(true): included, Some(false): excluded, None: an expression (or nested).
    let kind = |v: &Bson| match v {
        Bson::Boolean(b) => Some(*b),
        other => number(other).map(|n| n != 0.0),
    };
    let mut exclusion: Option<bool> = None;
    for (field, v) in p.iter().filter(|(f, _)| *f != "_id") {
        let this = kind(v);
        let Some(mode) = exclusion else {
            exclusion = Some(this == Some(false));
            continue;
        };
        let message = match (mode, this) {
            (false, Some(false)) => {
                format!("Cannot do exclusion on field {field} in inclusion projection")
            }
            (true, Some(true)) => {
                format!("Cannot do inclusion on field {field} in exclusion projection")
            }
            (true, None) if v.as_document().is_none() => {
                format!("Cannot use an expression {field}: {v} in an exclusion projection")
            }
            _ => continue,
        };
        out.push(Finding::error(
            &format!("{at}.{field}"),
            format!("Invalid $project :: caused by :: {message}"),
        ));
    }
}

/// A view's pipeline (`db/views/view_catalog.cpp`, `db/pipeline/pipeline.cpp`):
/// known stages only, none that writes, no change stream, none that reads
/// the server rather than a collection, and the same in sub-pipelines
/// (`$lookup`, `$unionWith`, `$facet`).
fn pipeline_rules(stages: &[Bson], out: &mut Vec<Finding>) {
    stages_rules(stages, "pipeline", None, out);
}

fn stages_rules(stages: &[Bson], at: &str, within: Option<&str>, out: &mut Vec<Finding>) {
    for (i, stage) in stages.iter().enumerate() {
        let path = format!("{at}[{i}]");
        let Some(stage) = stage.as_document() else {
            out.push(Finding::error(&path, "a pipeline stage is a document"));
            continue;
        };
        if stage.len() != 1 {
            out.push(Finding::error(
                &path,
                "A pipeline stage specification object must contain exactly one field.",
            ));
            continue;
        }
        let (name, arg) = stage.iter().next().expect("one field");
        let path = format!("{path}.{name}");
        if ATLAS_STAGES.contains(&name.as_str()) {
            out.push(Finding::warning(
                &path,
                format!("{name} is Atlas Search's: a mongod without it refuses the view (Unrecognized pipeline stage name)"),
            ));
            continue;
        }
        if !STAGES.contains(&name.as_str()) {
            out.push(Finding::error(
                &path,
                format!(
                    "Unrecognized pipeline stage name: '{name}'{}",
                    hint(name, STAGES)
                ),
            ));
            continue;
        }
        let writes = name == "$out" || name == "$merge";
        // `db/pipeline/pipeline.cpp`, `validateCommon`: "only valid as the
        // first stage" (code 40602), in a sub-pipeline too.
        if i > 0 && FIRST_ONLY.contains(&name.as_str()) {
            out.push(Finding::error(
                &path,
                format!("{name} is only valid as the first stage in a pipeline"),
            ));
        }
        match within {
            // `db/pipeline/document_source_facet.cpp` (code 40600).
            Some("$facet") if NOT_IN_FACET.contains(&name.as_str()) => out.push(Finding::error(
                &path,
                format!("{name} is not allowed to be used within a $facet stage"),
            )),
            Some(outer) if writes || name == "$changeStream" => out.push(Finding::error(
                &path,
                format!("{name} is not allowed within a {outer}'s sub-pipeline"),
            )),
            None if writes => out.push(Finding::error(
                &path,
                format!(
                    "The aggregation stage {name} in location {i} of the pipeline cannot be used \
                     in the view definition because it writes to disk"
                ),
            )),
            None if name == "$changeStream" => out.push(Finding::error(
                &path,
                "$changeStream cannot be used in a view definition",
            )),
            None if name == "$documents" => out.push(Finding::error(
                &path,
                "'$documents' cannot be used in a view definition",
            )),
            _ if NOT_ON_A_COLLECTION.contains(&name.as_str()) => out.push(Finding::error(
                &path,
                format!("{name} reads the server, not a collection: it must be run against the 'admin' database with {{aggregate: 1}}, not in a view"),
            )),
            _ => {}
        }
        match (name.as_str(), arg) {
            ("$match", Bson::Document(query)) => {
                // `db/pipeline/document_source_match.cpp` (code 17313), in
                // any pipeline, a sub-pipeline's too.
                if i > 0 && has_text(query) {
                    out.push(Finding::error(
                        &path,
                        "$match with $text is only allowed as the first pipeline stage",
                    ));
                }
                query_rules(query, &path, QueryIn::View, out)
            }
            ("$project", Bson::Document(projection)) => projection_rules(projection, &path, out),
            ("$lookup" | "$unionWith", Bson::Document(spec)) => {
                if let Ok(inner) = spec.get_array("pipeline") {
                    stages_rules(inner, &format!("{path}.pipeline"), Some(name), out);
                }
            }
            ("$facet", Bson::Document(facets)) => {
                for (facet, inner) in facets {
                    if let Bson::Array(inner) = inner {
                        stages_rules(inner, &format!("{path}.{facet}"), Some("$facet"), out);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "collection_options_tests.rs"]
mod tests;
