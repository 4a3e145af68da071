//! MongoDB's own rules for an index spec, checked before anything is sent to a
//! server: what the server would refuse is an error, what it accepts but
//! ignores or rewrites is a warning. The rules model MongoDB 6.0 (the server
//! the tests run against); each cites the server source it comes from, in
//! `mongodb/mongo` at r6.0.5, and was checked against a real `mongod` 6.0.5.
//! Where a later release differs, the comment says so. A dev server
//! (`--dev-uri`) is the final word for any version.

use bson::{Bson, Document};

use super::file::{Flag, IndexDecl, Number};
use super::Declared;
use crate::diagnostics::Problem;
use crate::model::compare::same_declared_identity;
use crate::model::index::ID_INDEX;
use crate::model::{IndexSpec, Scope};

/// The server's limit, `_id_` included (`index_catalog_impl.cpp`, kMaxNumIndexesAllowed).
const MAX_INDEXES: usize = 64;

/// Index plugins a key value may name (`db/index_names.cpp`; `geoHaystack`
/// was removed in 5.0, `columnstore` is behind a feature flag in 6.0).
const KEY_KINDS: &[&str] = &["text", "2d", "2dsphere", "hashed"];

/// One thing wrong with (or worth knowing about) a declared index.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The option it is about (`unique`, `keys.a`, `collation.locale`), or empty.
    pub option: String,
    pub message: String,
    /// The server accepts it; the declaration is unusual.
    pub warning: bool,
}

impl Finding {
    fn error(option: &str, message: impl Into<String>) -> Finding {
        Finding {
            option: option.to_string(),
            message: message.into(),
            warning: false,
        }
    }
    fn warning(option: &str, message: impl Into<String>) -> Finding {
        Finding {
            option: option.to_string(),
            message: message.into(),
            warning: true,
        }
    }
}

pub fn collection_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("a collection name cannot be empty".into())
    } else if name.contains('$') || name.contains('\0') {
        Err(format!(
            "invalid collection name {name:?}: it cannot contain '$' or a null character"
        ))
    } else if name.starts_with("system.") {
        Err(format!(
            "invalid collection name {name:?}: the system. prefix is reserved"
        ))
    } else if name.len() > 235 {
        Err(format!(
            "invalid collection name {name:?}: longer than 235 bytes"
        ))
    } else {
        Ok(())
    }
}

/// What kind of index a key pattern makes (`IndexNames::findPluginName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plugin {
    Btree,
    Text,
    Geo2d,
    Geo2dSphere,
    Hashed,
    Wildcard,
}

fn plugin_of(keys: &Document) -> Plugin {
    for (field, value) in keys {
        match value.as_str() {
            Some("text") => return Plugin::Text,
            Some("2d") => return Plugin::Geo2d,
            Some("2dsphere") => return Plugin::Geo2dSphere,
            Some("hashed") => return Plugin::Hashed,
            _ if is_wildcard_field(field) => return Plugin::Wildcard,
            _ => {}
        }
    }
    if keys.contains_key("_fts") {
        Plugin::Text
    } else {
        Plugin::Btree
    }
}

fn is_wildcard_field(field: &str) -> bool {
    field == "$**" || field.ends_with(".$**")
}

/// Checks one declared index. `spec` is the normalized model of `decl`.
pub fn index(spec: &IndexSpec, decl: &IndexDecl) -> Vec<Finding> {
    let mut out = Vec::new();
    for key in decl.unknown.keys() {
        out.push(Finding::error(
            key,
            format!(
                "unknown index option {key:?}{}; the options are MongoDB's own names",
                suggestion(key)
            ),
        ));
    }
    name(spec, decl, &mut out);
    let key_ok = key_pattern(&spec.keys, &mut out);
    let plugin = plugin_of(&spec.keys);
    if spec.has_id_key() {
        id_index(spec, decl, &mut out);
        return out;
    }
    flags(spec, decl, plugin, &mut out);
    ttl(spec, decl, plugin, &mut out);
    if let Some(filter) = &spec.partial_filter_expression {
        if let Err(why) = partial_filter(filter) {
            out.push(Finding::error("partialFilterExpression", why));
        }
    }
    if let Some(collation) = &spec.collation {
        collation_rules(collation, plugin, &mut out);
    }
    text_options(spec, decl, plugin, &mut out);
    geo_options(spec, decl, plugin, key_ok, &mut out);
    wildcard_projection(spec, &mut out);
    if decl.background.is_some() {
        out.push(Finding::warning(
            "background",
            "ignored: index builds have not blocked the collection since MongoDB 4.2 (remove it)",
        ));
    }
    out
}

fn name(spec: &IndexSpec, decl: &IndexDecl, out: &mut Vec<Finding>) {
    // `index_catalog_impl.cpp` `_isSpecOk` and `index_key_validate.cpp`.
    if decl.name.as_deref() == Some("") {
        out.push(Finding::error("name", "an index name cannot be empty"));
    } else if spec.name == "*" {
        out.push(Finding::error(
            "name",
            "\"*\" is not a valid index name (dropIndexes reads it as \"all indexes\")",
        ));
    } else if spec.name.contains('\0') {
        out.push(Finding::error(
            "name",
            "an index name cannot contain a NUL byte",
        ));
    } else if spec.name == ID_INDEX && !spec.has_id_key() {
        out.push(Finding::error(
            "name",
            "the name _id_ is reserved for the _id index, whose key is { _id: 1 }",
        ));
    }
}

/// `index_key_validate.cpp` `validateKeyPattern` (v:2 indexes), plus the
/// per-plugin rules the index access methods enforce at build time
/// (`expression_keys_private.cpp` for 2d, `fts_spec.cpp` for text,
/// `hash_access_method.cpp` / `expression_keys_private.cpp` for hashed).
/// Returns false when the pattern is too broken for further checks.
fn key_pattern(keys: &Document, out: &mut Vec<Finding>) -> bool {
    let before = out.len();
    if keys.is_empty() {
        out.push(Finding::error(
            "keys",
            "an index needs at least one key field",
        ));
        return false;
    }
    if bson::to_vec(keys).map_or(0, |b| b.len()) > 2048 {
        out.push(Finding::error(
            "keys",
            "the key pattern is larger than 2048 bytes",
        ));
    }
    let mut plugins: Vec<&str> = Vec::new();
    for (field, value) in keys {
        let at = format!("keys.{field}");
        match value {
            Bson::String(kind) if kind.is_empty() => out.push(Finding::error(
                &at,
                "an index type cannot be an empty string",
            )),
            Bson::String(kind) if !KEY_KINDS.contains(&kind.as_str()) => {
                out.push(Finding::error(
                    &at,
                    format!(
                        "unknown index type {kind:?}: use a non-zero number for an ordinary key, or one of {}",
                        KEY_KINDS.join(", ")
                    ),
                ))
            }
            Bson::String(kind) => plugins.push(kind.as_str()),
            other => match number(other) {
                Some(n) if n.is_nan() => {
                    out.push(Finding::error(&at, "a key direction cannot be NaN"))
                }
                Some(n) if n == 0.0 => out.push(Finding::error(
                    &at,
                    "a key direction cannot be 0: use 1 (ascending) or -1 (descending)",
                )),
                Some(n) if n < 0.0 && is_wildcard_field(field) => out.push(Finding::error(
                    &at,
                    "a wildcard key must be positive: use 1",
                )),
                Some(_) => {
                    if is_wildcard_field(field) {
                        plugins.push("wildcard");
                    }
                }
                None => out.push(Finding::error(
                    &at,
                    format!("a key value must be a non-zero number or an index type, found {other}"),
                )),
            },
        }
        if let Err(why) = key_field(field, value) {
            out.push(Finding::error(&at, why));
        }
    }
    plugins.dedup();
    let mut distinct = plugins.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        out.push(Finding::error(
            "keys",
            format!(
                "one index cannot mix index types ({}): declare separate indexes",
                distinct.join(" and ")
            ),
        ));
        return false;
    }
    match distinct.first().copied() {
        Some("wildcard") if keys.len() > 1 => out.push(Finding::error(
            "keys",
            "a wildcard index cannot be compound on MongoDB 6.0 (compound wildcard indexes need 7.0)",
        )),
        Some("text") => {
            // The text fields must be one run (`fts_spec.cpp`).
            let positions: Vec<usize> = keys
                .values()
                .enumerate()
                .filter(|(_, v)| v.as_str() == Some("text"))
                .map(|(i, _)| i)
                .collect();
            if positions.windows(2).any(|w| w[1] != w[0] + 1) {
                out.push(Finding::error(
                    "keys",
                    "the \"text\" fields of an index must be next to each other",
                ));
            }
            let text_fields = keys
                .iter()
                .any(|(k, v)| k != "_fts" && v.as_str() == Some("text"));
            if text_fields && (keys.contains_key("_fts") || keys.contains_key("_ftsx")) {
                out.push(Finding::error(
                    "keys",
                    "_fts and _ftsx are the server's own text key fields: declare the text fields themselves",
                ));
            }
        }
        Some("2d") => {
            let geo: Vec<&String> = keys
                .iter()
                .filter(|(_, v)| v.as_str() == Some("2d"))
                .map(|(k, _)| k)
                .collect();
            if geo.len() > 1 {
                out.push(Finding::error(
                    "keys",
                    "a 2d index can have only one 2d field",
                ));
            } else if keys.values().next().and_then(Bson::as_str) != Some("2d") {
                out.push(Finding::error(
                    "keys",
                    "the 2d field must be the first field of the index",
                ));
            }
        }
        Some("hashed") => {
            if keys.values().filter(|v| v.as_str() == Some("hashed")).count() > 1 {
                out.push(Finding::error(
                    "keys",
                    "only one field of an index can be hashed",
                ));
            }
        }
        _ => {}
    }
    out.len() == before
}

/// One field path of a key pattern.
fn key_field(field: &str, value: &Bson) -> Result<(), String> {
    if field.contains('\0') {
        return Err("a key field cannot contain a NUL byte".into());
    }
    // "$**" on its own is a wildcard (number) or all-fields text index.
    if field == "$**" && (number(value).is_some() || value.as_str() == Some("text")) {
        return Ok(());
    }
    if field == "_fts" && value.as_str() != Some("text") {
        return Err("_fts is reserved for text indexes".into());
    }
    let parts: Vec<&str> = field.split('.').collect();
    let wildcard = number(value).is_some();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return Err(format!(
                "{field:?} has an empty field name (a leading, trailing or doubled dot)"
            ));
        }
        if !part.starts_with('$') {
            continue;
        }
        // DBRef fields may be indexed below the top level.
        let dbref = i > 0 && matches!(*part, "$id" | "$ref" | "$db");
        let wildcard_tail = *part == "$**" && i == parts.len() - 1 && wildcard;
        if !dbref && !wildcard_tail {
            return Err(if part.starts_with("$**") || *part == "$**" {
                format!("{field:?}: \"$**\" may only end a path of a wildcard index (\"a.$**\")")
            } else {
                format!("{field:?}: a field name cannot start with '$'")
            });
        }
    }
    Ok(())
}

/// The `_id` index (key `{_id: 1}`): only its name and a collation may be
/// given (`index_key_validate.cpp` `validateIdIndexSpec`, allowedIdIndexFieldNames).
/// It exists on every collection: under any other name the server answers
/// "all indexes already exist" and keeps `_id_`.
fn id_index(spec: &IndexSpec, decl: &IndexDecl, out: &mut Vec<Finding>) {
    let given: Vec<&str> = [
        ("unique", decl.unique.is_some()),
        ("sparse", decl.sparse.is_some()),
        ("hidden", decl.hidden.is_some()),
        (
            "partialFilterExpression",
            decl.partial_filter_expression.is_some(),
        ),
        ("expireAfterSeconds", decl.expire_after_seconds.is_some()),
        ("weights", decl.weights.is_some()),
        ("default_language", decl.default_language.is_some()),
        ("language_override", decl.language_override.is_some()),
        ("wildcardProjection", decl.wildcard_projection.is_some()),
        ("bits", decl.bits.is_some()),
        ("min", decl.min.is_some()),
        ("max", decl.max.is_some()),
        ("background", decl.background.is_some()),
        ("2dsphereIndexVersion", decl.sphere_version.is_some()),
        ("textIndexVersion", decl.text_version.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(o, _)| o)
    .collect();
    for option in given {
        out.push(Finding::error(
            option,
            format!(
                "the _id index ({{ _id: 1 }}) takes no {option}: it is always unique and always there; remove the option"
            ),
        ));
    }
    if spec.collation.is_some() {
        out.push(Finding::warning(
            "collation",
            "the _id index always has the collection's default collation; this one is not compared",
        ));
    }
    if spec.name != ID_INDEX {
        out.push(Finding::warning(
            "keys",
            format!(
                "{{ _id: 1 }} is the _id index every collection has: the server keeps it as _id_, not {:?}, so mig treats this declaration as _id_ and never builds it",
                spec.name
            ),
        ));
    }
}

/// `unique`, `sparse`, `hidden` (`index_key_validate.cpp`: booleans "convertible
/// to bool", so numbers count; `hidden` must be a real boolean).
fn flags(spec: &IndexSpec, decl: &IndexDecl, plugin: Plugin, out: &mut Vec<Finding>) {
    for (option, flag) in [("unique", decl.unique), ("sparse", decl.sparse)] {
        if let Some(Flag::Number(n)) = flag {
            out.push(Finding::warning(
                option,
                format!(
                    "{n} is read as {}: write {}",
                    n.as_f64() != 0.0,
                    n.as_f64() != 0.0
                ),
            ));
        }
    }
    if let Some(Flag::Number(n)) = decl.background {
        if n.as_f64().is_nan() {
            out.push(Finding::error("background", "must be true or false"));
        }
    }
    if spec.sparse && spec.partial_filter_expression.is_some() {
        out.push(Finding::error(
            "sparse",
            "sparse cannot be combined with partialFilterExpression: the partial filter alone says which documents are indexed",
        ));
    }
    // `hash_access_method.cpp`: code 16764.
    if spec.unique && plugin == Plugin::Hashed {
        out.push(Finding::error(
            "unique",
            "a hashed index cannot be unique: add a separate unique index on the field",
        ));
    }
    // `index_catalog_impl.cpp` `validateWildcardSpec`.
    if plugin == Plugin::Wildcard {
        for (set, option) in [(spec.unique, "unique"), (spec.sparse, "sparse")] {
            if set {
                out.push(Finding::error(
                    option,
                    format!("a wildcard index cannot be {option}"),
                ));
            }
        }
    }
}

/// `index_key_validate.cpp` `validateExpireAfterSeconds` and `_isSpecOk`: one
/// key field, not a wildcard, 0 to 2147483647 (a fraction is truncated).
fn ttl(spec: &IndexSpec, decl: &IndexDecl, plugin: Plugin, out: &mut Vec<Finding>) {
    let Some(raw) = decl.expire_after_seconds else {
        return;
    };
    let seconds = raw.as_f64();
    if seconds < 0.0 {
        out.push(Finding::error(
            "expireAfterSeconds",
            format!("must be 0 or more, found {raw}"),
        ));
    } else if seconds > i32::MAX as f64 + 0.999_999 {
        out.push(Finding::error(
            "expireAfterSeconds",
            format!("must be at most {} (about 68 years), found {raw}", i32::MAX),
        ));
    } else if seconds.is_nan() {
        out.push(Finding::error(
            "expireAfterSeconds",
            "must be a number of seconds, found NaN",
        ));
    } else if let Number::Float(f) = raw {
        if f.fract() != 0.0 {
            out.push(Finding::warning(
                "expireAfterSeconds",
                format!(
                    "{raw} is stored as {}: the server keeps whole seconds",
                    spec.expire_after_seconds.unwrap_or_default()
                ),
            ));
        }
    }
    if spec.keys.len() != 1 {
        out.push(Finding::error(
            "expireAfterSeconds",
            "a TTL index has exactly one key field: compound indexes cannot expire documents",
        ));
    } else if plugin == Plugin::Wildcard {
        out.push(Finding::error(
            "expireAfterSeconds",
            "a wildcard index cannot be a TTL index",
        ));
    }
}

/// The operators a partial filter may use on MongoDB 6.0
/// (`index_catalog_impl.cpp` `_checkValidFilterExpressions` with
/// featureFlagTimeseriesMetricIndexes, on in 6.0): equality, `$eq`, `$gt`,
/// `$gte`, `$lt`, `$lte`, `$exists: true`, `$type`, `$in`, `$geoWithin`,
/// `$geoIntersects`, `$and` and `$or` at any level, and `$all` of plain values
/// (parsed as equalities); at most 4 levels deep
/// (`internalPartialFilterExpressionMaxDepth`). MongoDB 5.0 allowed `$and`
/// at the top level only and no `$or` or `$in`.
pub fn partial_filter(filter: &Document) -> Result<(), String> {
    let depth = filter_depth(filter)?;
    if depth > 4 {
        return Err(format!(
            "nested {depth} levels deep; MongoDB allows 4 (each $and/$or, and each document with several conditions, is a level)"
        ));
    }
    Ok(())
}

/// How many levels the server's parsed form of `doc` has (a document with one
/// condition is that condition; several make an implicit `$and`).
fn filter_depth(doc: &Document) -> Result<usize, String> {
    let mut children = Vec::new();
    for (key, value) in doc {
        match key.as_str() {
            "$and" | "$or" => {
                let items = value
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| format!("{key} takes a non-empty list of conditions"))?;
                let mut deepest = 0;
                for item in items {
                    let sub = item
                        .as_document()
                        .ok_or_else(|| format!("each item of {key} must be a document"))?;
                    deepest = deepest.max(filter_depth(sub)?);
                }
                children.push(1 + deepest);
            }
            "$comment" => {}
            "$nor" | "$not" => {
                return Err(format!(
                    "{key} is not supported in a partial filter (MongoDB allows no negation there)"
                ))
            }
            "$expr" | "$jsonSchema" | "$where" | "$text" | "$alwaysTrue" | "$alwaysFalse" => {
                return Err(format!("{key} is not supported in a partial filter"))
            }
            k if k.starts_with('$') => {
                return Err(format!(
                    "{key} is not a query operator MongoDB allows at the top of a partial filter"
                ))
            }
            _ => children.extend(field_conditions(key, value)?),
        }
    }
    Ok(match children.len() {
        0 => 1,
        1 => children[0],
        _ => 1 + children.into_iter().max().unwrap_or(1),
    })
}

/// The conditions on one field: each contributes its own depth to the
/// enclosing level. A document whose first field starts with `$` is a set of
/// operators; any other value is an equality.
fn field_conditions(field: &str, value: &Bson) -> Result<Vec<usize>, String> {
    let operators = match value {
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => d,
        Bson::RegularExpression(_) => {
            return Err(format!(
                "{field}: a regular expression is not supported in a partial filter"
            ))
        }
        _ => return Ok(vec![1]),
    };
    let mut out = Vec::new();
    for (op, arg) in operators {
        let unsupported = |why: &str| {
            Err(format!(
                "{field}: {op} is not supported in a partial filter{why}"
            ))
        };
        match op.as_str() {
            "$eq" | "$gt" | "$gte" | "$lt" | "$lte" => {
                if matches!(arg, Bson::RegularExpression(_)) {
                    return unsupported(" with a regular expression");
                }
                out.push(1)
            }
            "$exists" => {
                if !truthy(arg) {
                    return unsupported(
                        " as false (it is a negation); for \"not set\" write { field: null }",
                    );
                }
                out.push(1)
            }
            "$type" => {
                type_alias(arg).map_err(|why| format!("{field}: $type: {why}"))?;
                out.push(1)
            }
            "$in" => {
                let items = arg
                    .as_array()
                    .ok_or_else(|| format!("{field}: $in takes a list"))?;
                if items.iter().any(|i| {
                    i.as_document()
                        .is_some_and(|d| d.keys().next().is_some_and(|k| k.starts_with('$')))
                }) {
                    return Err(format!("{field}: $in takes values, not operators"));
                }
                out.push(1)
            }
            "$all" => {
                let items = arg
                    .as_array()
                    .ok_or_else(|| format!("{field}: $all takes a list"))?;
                if items.is_empty() {
                    return unsupported(" with an empty list (it matches nothing)");
                }
                if items.iter().any(|i| {
                    matches!(i, Bson::RegularExpression(_))
                        || i.as_document()
                            .is_some_and(|d| d.keys().next().is_some_and(|k| k.starts_with('$')))
                }) {
                    return unsupported(" with operators or regular expressions");
                }
                // One equality per value, in an $and of their own when several.
                out.push(if items.len() > 1 { 2 } else { 1 })
            }
            // The shape itself is the server's to check (a dev server does).
            "$geoWithin" | "$geoIntersects" => {
                let shapes: &[&str] = if op == "$geoWithin" {
                    &["$geometry", "$box", "$polygon", "$center", "$centerSphere"]
                } else {
                    &["$geometry"]
                };
                match arg.as_document() {
                    Some(d)
                        if d.len() == 1
                            && shapes.contains(&d.keys().next().map_or("", String::as_str)) =>
                    {
                        out.push(1)
                    }
                    _ => return Err(format!("{field}: {op} takes one of {}", shapes.join(", "))),
                }
            }
            "$ne" | "$nin" | "$not" => {
                return unsupported(" (it is a negation, which partial indexes can't use)")
            }
            "$regex" | "$options" | "$mod" | "$size" | "$elemMatch" | "$bitsAllSet"
            | "$bitsAnySet" | "$bitsAllClear" | "$bitsAnyClear" | "$near" | "$nearSphere"
            | "$text" | "$where" | "$expr" | "$jsonSchema" => return unsupported(""),
            _ => return Err(format!("{field}: unknown operator {op}")),
        }
    }
    Ok(out)
}

/// `$type` takes a BSON type name, "number", or a type number
/// (`matcher/expression_type.h`, `bsontypes.cpp`), or a list of them.
fn type_alias(arg: &Bson) -> Result<(), String> {
    #[rustfmt::skip]
    const NAMES: &[&str] = &[
    "double", "string", "object", "array", "binData", "undefined", "objectId", "bool", "date",
    "null", "regex", "dbPointer", "javascript", "symbol", "javascriptWithScope", "int",
    "timestamp", "long", "decimal", "minKey", "maxKey", "number",
    ];
    match arg {
        Bson::String(s) if NAMES.contains(&s.as_str()) => Ok(()),
        Bson::String(s) => Err(format!("unknown type name {s:?}")),
        Bson::Array(items) if !items.is_empty() => items.iter().try_for_each(type_alias),
        Bson::Array(_) => Err("an empty list of types".into()),
        other => match number(other) {
            Some(n)
                if n.fract() == 0.0 && ((1.0..=19.0).contains(&n) || n == -1.0 || n == 127.0) =>
            {
                Ok(())
            }
            _ => Err(format!("invalid type {other}")),
        },
    }
}

/// The locales MongoDB 6.0 accepts in a collation (its ICU build; checked one
/// by one against `mongod` 6.0.5, which refuses e.g. `en_us`, `root`,
/// `zh@collation=pinyin`). `collator_factory_icu.cpp` validates the locale.
#[rustfmt::skip]
const LOCALES: &[&str] = &[
    "af", "am", "ar", "ar@collation=compat", "as", "az", "az@collation=search", "be", "bg",
    "bn", "bn@collation=traditional", "bo", "bs", "bs@collation=search", "bs_Cyrl", "ca",
    "ca@collation=search", "chr", "cs", "cs@collation=search", "cy", "da",
    "da@collation=search", "de", "de@collation=eor", "de@collation=phonebook",
    "de@collation=search", "de_AT", "de_AT@collation=phonebook", "dsb", "dz", "ee", "el", "en",
    "en_US", "en_US_POSIX", "eo", "es", "es@collation=search", "es@collation=traditional",
    "et", "fa", "fa_AF", "fi", "fi@collation=search", "fi@collation=traditional", "fil", "fo",
    "fr", "fr_CA", "ga", "gl", "gl@collation=search", "gu", "ha", "haw", "he",
    "he@collation=search", "hi", "hr", "hr@collation=search", "hsb", "hu", "hy", "id", "ig",
    "is", "is@collation=search", "it", "ja", "ja@collation=unihan", "ka", "kk", "kl",
    "kl@collation=search", "km", "kn", "kn@collation=traditional", "ko", "ko@collation=search",
    "ko@collation=searchjl", "ko@collation=unihan", "kok", "ky", "lb", "lkt", "ln",
    "ln@collation=phonetic", "lo", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "mt", "my", "nb",
    "nb@collation=search", "ne", "nl", "nn", "nn@collation=search", "om", "or", "pa", "pl",
    "ps", "pt", "ro", "ru", "se", "se@collation=search", "si", "si@collation=dictionary", "sk",
    "sk@collation=search", "sl", "smn", "smn@collation=search", "sq", "sr", "sr_Latn",
    "sr_Latn@collation=search", "sv", "sv@collation=search", "sw", "ta", "te", "th", "to",
    "tr", "tr@collation=search", "ug", "uk", "ur", "vi", "vi@collation=traditional", "wae",
    "yi", "yi@collation=search", "yo", "zh", "zh@collation=big5han", "zh@collation=gb2312han",
    "zh@collation=stroke", "zh@collation=unihan", "zh@collation=zhuyin", "zh_Hant", "zu",
];

/// The ICU version `mongod` 6.0 reports in a resolved collation.
const ICU_VERSION: &str = "57.1";

/// `query/collation/collation_spec.h` and `collator_factory_icu.cpp`; a
/// collation applies to ordinary, 2dsphere, hashed and wildcard indexes
/// only (`index_catalog_impl.cpp` `_isSpecOk`).
fn collation_rules(c: &Document, plugin: Plugin, out: &mut Vec<Finding>) {
    let bad = |out: &mut Vec<Finding>, field: &str, message: String| {
        out.push(Finding::error(&format!("collation.{field}"), message))
    };
    if c.is_empty() {
        out.push(Finding::error(
            "collation",
            "a collation cannot be empty: give a locale",
        ));
        return;
    }
    let simple = c.get_str("locale") == Ok("simple");
    match c.get("locale") {
        Some(Bson::String(l)) if l.is_empty() => bad(out, "locale", "cannot be empty".into()),
        Some(Bson::String(l)) if l == "simple" || LOCALES.contains(&l.as_str()) => {}
        Some(Bson::String(l)) => {
            let close = LOCALES
                .iter()
                .find(|k| k.eq_ignore_ascii_case(l))
                .map(|k| format!(" (did you mean {k:?}?)"))
                .unwrap_or_default();
            bad(
                out,
                "locale",
                format!("{l:?} is not a locale MongoDB supports{close}"),
            )
        }
        Some(other) => bad(out, "locale", format!("must be a string, found {other}")),
        None => out.push(Finding::error("collation", "a collation needs a locale")),
    }
    for (key, value) in c {
        let ok = match key.as_str() {
            "locale" => true,
            "caseLevel" | "numericOrdering" | "normalization" | "backwards" => {
                matches!(value, Bson::Boolean(_))
            }
            "strength" => number(value).is_some_and(|n| (1.0..6.0).contains(&n)),
            "caseFirst" => matches!(value.as_str(), Some("upper" | "lower" | "off")),
            "alternate" => matches!(value.as_str(), Some("non-ignorable" | "shifted")),
            "maxVariable" => matches!(value.as_str(), Some("punct" | "space")),
            "version" => value.as_str() == Some(ICU_VERSION),
            _ => {
                bad(out, key, format!("unknown collation field {key:?}"));
                continue;
            }
        };
        if !ok {
            let expected = match key.as_str() {
                "strength" => "1 to 5",
                "caseFirst" => "upper, lower or off",
                "alternate" => "non-ignorable or shifted",
                "maxVariable" => "punct or space",
                "version" => "the server's ICU version, 57.1 (or leave it out)",
                _ => "true or false",
            };
            bad(out, key, format!("must be {expected}, found {value}"));
        }
    }
    if simple && c.len() > 1 {
        out.push(Finding::warning(
            "collation",
            "the simple locale ignores every other collation field",
        ));
    }
    if !simple && matches!(plugin, Plugin::Text | Plugin::Geo2d) {
        out.push(Finding::error(
            "collation",
            format!(
                "a {} index cannot have a collation",
                if plugin == Plugin::Text { "text" } else { "2d" }
            ),
        ));
    }
}

/// The languages of MongoDB's text search (`fts/fts_language.cpp`, Community
/// edition), by name or ISO code, in any case.
#[rustfmt::skip]
const TEXT_LANGUAGES: &[&str] = &[
    "none", "danish", "da", "dutch", "nl", "english", "en", "finnish", "fi", "french", "fr",
    "german", "de", "hungarian", "hu", "italian", "it", "norwegian", "nb", "portuguese", "pt",
    "romanian", "ro", "russian", "ru", "spanish", "es", "swedish", "sv", "turkish", "tr",
];

/// `fts/fts_spec.cpp` `FTSSpec::fixSpec` for text indexes; the server stores
/// these options on other indexes too, where they do nothing (and `weights`
/// is refused, `index_key_validate.cpp`).
fn text_options(spec: &IndexSpec, decl: &IndexDecl, plugin: Plugin, out: &mut Vec<Finding>) {
    let text = plugin == Plugin::Text;
    if let Some(weights) = &spec.weights {
        if !text {
            out.push(Finding::error(
                "weights",
                "weights only apply to a text index",
            ));
        }
        for (field, w) in weights {
            let at = format!("weights.{field}");
            if field.split('.').any(|p| p.starts_with('$')) && field != "$**" {
                out.push(Finding::error(
                    &at,
                    "a weighted field cannot start with '$'",
                ));
            }
            match number(w) {
                // The server truncates, then wants 1 to 99999.
                Some(n) if n.trunc() >= 1.0 && n.trunc() < 100_000.0 => {}
                Some(_) => out.push(Finding::error(
                    &at,
                    format!("a weight must be from 1 to 99999, found {w}"),
                )),
                None => out.push(Finding::error(
                    &at,
                    format!("a weight must be a number, found {w}"),
                )),
            }
        }
    }
    if let Some(Some(weights)) = decl.weights.as_ref().map(|w| super::to_document(&w.0).ok()) {
        for (field, w) in &weights {
            if let Some(n) = number(w).filter(|n| n.fract() != 0.0 && n.trunc() >= 1.0) {
                out.push(Finding::warning(
                    &format!("weights.{field}"),
                    format!(
                        "{n} is stored as {}: text weights are whole numbers",
                        n.trunc()
                    ),
                ));
            }
        }
    }
    match (&spec.default_language, text) {
        (Some(l), true) if !TEXT_LANGUAGES.contains(&l.to_ascii_lowercase().as_str()) => {
            out.push(Finding::error(
                "default_language",
                format!(
                    "{l:?} is not a text search language; use one of {} (or none)",
                    TEXT_LANGUAGES
                        .iter()
                        .filter(|l| l.len() > 2 && **l != "none")
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
        (Some(_), false) => out.push(Finding::warning(
            "default_language",
            "has no effect on an index that is not a text index",
        )),
        _ => {}
    }
    match (&spec.language_override, text) {
        (Some(l), true) if l.is_empty() || l.contains('.') || l.starts_with('$') => {
            out.push(Finding::error(
                "language_override",
                format!("{l:?} must be a top-level field name (no dots, no leading $)"),
            ))
        }
        (Some(_), false) => out.push(Finding::warning(
            "language_override",
            "has no effect on an index that is not a text index",
        )),
        _ => {}
    }
    if let Some(v) = decl.text_version {
        if text && !matches!(v, Number::Int(1..=3)) && ![1.0, 2.0, 3.0].contains(&v.as_f64()) {
            out.push(Finding::error(
                "textIndexVersion",
                format!("must be 1, 2 or 3, found {v}"),
            ));
        } else if !text {
            out.push(Finding::warning(
                "textIndexVersion",
                "has no effect on an index that is not a text index",
            ));
        }
    }
}

/// `2d`: `bits` 1 to 32 (truncated), `min` < `max` (defaults -180 and 180)
/// (`index/2d_common.cpp`); `2dsphereIndexVersion` 1 to 3 (`s2_common.cpp`).
/// On other indexes the server stores these and ignores them.
fn geo_options(
    spec: &IndexSpec,
    decl: &IndexDecl,
    plugin: Plugin,
    key_ok: bool,
    out: &mut Vec<Finding>,
) {
    let geo = plugin == Plugin::Geo2d;
    for (option, set) in [
        ("bits", decl.bits.is_some()),
        ("min", decl.min.is_some()),
        ("max", decl.max.is_some()),
    ] {
        if set && !geo {
            out.push(Finding::warning(
                option,
                "has no effect on an index that is not a 2d index",
            ));
        }
    }
    if geo && key_ok {
        if let Some(b) = decl.bits {
            if !(1.0..33.0).contains(&b.as_f64()) {
                out.push(Finding::error(
                    "bits",
                    format!("must be from 1 to 32, found {b}"),
                ));
            }
        }
        let min = spec.min.unwrap_or(-180.0);
        let max = spec.max.unwrap_or(180.0);
        if min >= max {
            out.push(Finding::error(
                if decl.min.is_some() { "min" } else { "max" },
                format!("min ({min}) must be less than max ({max}); unset, they are -180 and 180"),
            ));
        }
    }
    if let Some(v) = decl.sphere_version {
        if plugin == Plugin::Geo2dSphere {
            if ![1.0, 2.0, 3.0].contains(&v.as_f64()) {
                out.push(Finding::error(
                    "2dsphereIndexVersion",
                    format!("must be 1, 2 or 3, found {v}"),
                ));
            }
        } else {
            out.push(Finding::warning(
                "2dsphereIndexVersion",
                "has no effect on an index that is not a 2dsphere index",
            ));
        }
    }
}

/// `index_key_validate.cpp` (`wildcardProjection` only with `{"$**": 1}`) and
/// `wildcard_key_generator.cpp` / projection parsing: not empty, all
/// inclusions or all exclusions (`_id` aside), no computed values.
fn wildcard_projection(spec: &IndexSpec, out: &mut Vec<Finding>) {
    let Some(projection) = &spec.wildcard_projection else {
        return;
    };
    let bad = |out: &mut Vec<Finding>, message: String| {
        out.push(Finding::error("wildcardProjection", message))
    };
    if !(spec.keys.len() == 1
        && spec.keys.contains_key("$**")
        && plugin_of(&spec.keys) == Plugin::Wildcard)
    {
        bad(
            out,
            "wildcardProjection is only allowed with the key { \"$**\": 1 } (for \"a.$**\", the path already says what is indexed)".into(),
        );
        return;
    }
    if projection.is_empty() {
        bad(
            out,
            "cannot be empty: leave it out to index every field".into(),
        );
        return;
    }
    let mut leaves = Vec::new();
    if let Err(why) = projection_leaves("", projection, &mut leaves) {
        bad(out, why);
        return;
    }
    let included: Vec<&(String, bool)> = leaves.iter().filter(|(p, _)| p != "_id").collect();
    if included.iter().any(|(_, i)| *i) && included.iter().any(|(_, i)| !*i) {
        bad(
            out,
            "cannot mix inclusions (1) and exclusions (0), except for _id".into(),
        );
    }
}

fn projection_leaves(
    prefix: &str,
    d: &Document,
    out: &mut Vec<(String, bool)>,
) -> Result<(), String> {
    for (field, value) in d {
        let path = if prefix.is_empty() {
            field.clone()
        } else {
            format!("{prefix}.{field}")
        };
        if field.is_empty() || field.split('.').any(|p| p.is_empty() || p.starts_with('$')) {
            return Err(format!("{path:?} is not a valid field path"));
        }
        match value {
            Bson::Boolean(b) => out.push((path, *b)),
            Bson::Document(sub) if sub.is_empty() => {
                return Err(format!("{path}: an empty document is not a projection"))
            }
            Bson::Document(sub) => projection_leaves(&path, sub, out)?,
            other => match number(other) {
                Some(n) => out.push((path, n != 0.0)),
                None => {
                    return Err(format!(
                        "{path}: a projection value must be 1, 0, true or false, found {other}"
                    ))
                }
            },
        }
    }
    Ok(())
}

/// Checks across all indexes declared for one collection in one scope.
pub(super) fn collection(scope: Scope, name: &str, indexes: &[Declared]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, d) in indexes.iter().enumerate() {
        for earlier in &indexes[..i] {
            if earlier.spec.name == d.spec.name {
                out.push(d.problem(
                    "name",
                    format!(
                        "the name is used twice in {scope} collection {name:?} (also at {}): give each index its own name",
                        earlier.at()
                    ),
                    None,
                ));
            } else if !(earlier.spec.is_text() && d.spec.is_text())
                && same_declared_identity(&earlier.spec, &d.spec)
            {
                out.push(d.problem(
                    "keys",
                    format!(
                        "same key and options as {name}.{} (declared at {}); MongoDB keeps only one of them: remove one",
                        earlier.spec.name,
                        earlier.at()
                    ),
                    None,
                ));
            }
        }
    }
    let text: Vec<_> = indexes.iter().filter(|d| d.spec.is_text()).collect();
    if let [first, rest @ ..] = text.as_slice() {
        for d in rest {
            out.push(d.problem(
                "keys",
                format!(
                    "a collection can have only one text index, and {name}.{} is declared at {}: put all text fields in one index",
                    first.spec.name,
                    first.at()
                ),
                None,
            ));
        }
    }
    let count = indexes.len()
        + usize::from(
            !indexes
                .iter()
                .any(|d| d.spec.is_id_index() || d.spec.has_id_key()),
        );
    if count > MAX_INDEXES {
        if let Some(d) = indexes.get(MAX_INDEXES - 1) {
            out.push(d.problem(
                "",
                format!("{scope} collection {name:?} declares {count} indexes with _id_; MongoDB allows {MAX_INDEXES}"),
                None,
            ));
        }
    }
    out
}

/// A BSON number as f64.
fn number(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(*i as f64),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(f) => Some(*f),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

/// How the query parser reads `$exists`' argument (`BSONElement::trueValue`).
fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        Bson::Null | Bson::Undefined => false,
        other => number(other).is_none_or(|n| n != 0.0),
    }
}

fn suggestion(key: &str) -> String {
    let known = [
        "name",
        "keys",
        "unique",
        "sparse",
        "partialFilterExpression",
        "expireAfterSeconds",
        "collation",
        "hidden",
        "weights",
        "default_language",
        "language_override",
        "wildcardProjection",
        "bits",
        "min",
        "max",
        "background",
        "2dsphereIndexVersion",
        "textIndexVersion",
    ];
    let lower = key.to_ascii_lowercase();
    match known
        .iter()
        .min_by_key(|o| edit_distance(&lower, &o.to_ascii_lowercase()))
    {
        Some(o) if edit_distance(&lower, &o.to_ascii_lowercase()) <= 3 => {
            format!(" (did you mean {o:?}?)")
        }
        _ => String::new(),
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
