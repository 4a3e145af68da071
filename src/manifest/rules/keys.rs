//! Key patterns: `index_key_validate.cpp` `validateKeyPattern` (v:2 indexes)
//! and the rules each index type adds at build time.

use bson::{Bson, Document};

use super::{number, Finding};
use crate::manifest::Invalid;
use crate::model::release::{Feature, Release};

/// Index plugins a key value may name (`db/index_names.cpp`; `geoHaystack`
/// was removed in 5.0, `columnstore` is behind a feature flag in 6.0).
const KEY_KINDS: &[&str] = &["text", "2d", "2dsphere", "hashed"];

/// What kind of index a key pattern makes (`IndexNames::findPluginName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plugin {
    Btree,
    Text,
    Geo2d,
    Geo2dSphere,
    Hashed,
    Wildcard,
}

pub(super) fn plugin_of(keys: &Document) -> Plugin {
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

pub(super) fn is_wildcard_field(field: &str) -> bool {
    field == "$**" || field.ends_with(".$**")
}

/// `index_key_validate.cpp` `validateKeyPattern` (v:2 indexes), plus the
/// per-plugin rules the index access methods enforce at build time
/// (`expression_keys_private.cpp` for 2d, `fts_spec.cpp` for text,
/// `hash_access_method.cpp` / `expression_keys_private.cpp` for hashed).
/// Returns false when the pattern is too broken for further checks.
pub(super) fn key_pattern(keys: &Document, release: Release, out: &mut Vec<Finding>) -> bool {
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
            Bson::String(kind) if direction_word(kind).is_some() => out.push(Finding::error(
                &at,
                direction_word(kind).unwrap_or_default(),
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
                Some(0.0) => out.push(Finding::error(
                    &at,
                    "a key direction cannot be 0: use 1 (ascending) or -1 (descending)",
                )),
                Some(n)
                    if n < 0.0
                        && is_wildcard_field(field)
                        && !release.has(Feature::DescendingWildcard) =>
                {
                    out.push(Finding::error(
                    &at,
                        "a wildcard key must be positive on MongoDB 6.0: use 1 (7.0 takes -1)",
                    ))
                }
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
            out.push(Finding::error(&at, why.0));
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
        Some("wildcard") if keys.len() > 1 && !release.has(Feature::CompoundWildcard) => {
            out.push(Finding::error(
                "keys",
                "a wildcard index cannot be compound on MongoDB 6.0 (compound wildcard indexes need 7.0): \
                 on 6.0, declare the wildcard key alone and the other fields in an index of their own",
            ))
        }
        Some("wildcard") if keys.len() > 1 => compound_wildcard_keys(keys, out),
        Some("text") => {
            // The rest of the text rules depend on textIndexVersion: `options::text_options`.
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
        Some("hashed") if keys.values().filter(|v| v.as_str() == Some("hashed")).count() > 1 => {
            out.push(Finding::error(
                "keys",
                "only one field of an index can be hashed",
            ));
        }
        _ => {}
    }
    out.len() == before
}

/// A compound wildcard index (7.0+, `index_key_validate.cpp` at r7.0.0,
/// `validateWildcardSpec`): one wildcard field (code 7246201), and no other
/// key field on the wildcard's path, above or below it (code 7246204).
fn compound_wildcard_keys(keys: &Document, out: &mut Vec<Finding>) {
    let wildcards: Vec<&String> = keys.keys().filter(|k| is_wildcard_field(k)).collect();
    if wildcards.len() > 1 {
        out.push(Finding::error(
            "keys",
            "a compound wildcard index has one wildcard field only",
        ));
        return;
    }
    let Some(wildcard) = wildcards.first() else {
        return;
    };
    let Some(prefix) = wildcard.strip_suffix(".$**") else {
        return;
    };
    for field in keys.keys().filter(|k| k != wildcard) {
        if overlaps(field, prefix) {
            out.push(Finding::error(
                &format!("keys.{field}"),
                format!("{field:?} is on the path the wildcard {wildcard:?} indexes: a compound wildcard index's other fields must lie outside it"),
            ));
        }
    }
}

/// Whether one dotted path is the other or lies under it.
pub(super) fn overlaps(a: &str, b: &str) -> bool {
    let under = |x: &str, y: &str| x == y || x.starts_with(&format!("{y}."));
    under(a, b) || under(b, a)
}

/// One field path of a key pattern.
fn key_field(field: &str, value: &Bson) -> Result<(), Invalid> {
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
            return Err(invalid!(
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
                invalid!("{field:?}: \"$**\" may only end a path of a wildcard index (\"a.$**\")")
            } else {
                invalid!("{field:?}: a field name cannot start with '$'")
            });
        }
    }
    Ok(())
}

/// `desc`, `asc` or a quoted `"-1"` where a direction belongs: MongoDB
/// takes only numbers, so say which one.
fn direction_word(kind: &str) -> Option<String> {
    let number = match kind.trim().to_ascii_lowercase().as_str() {
        "desc" | "descending" | "-1" => -1,
        "asc" | "ascending" | "1" | "+1" => 1,
        _ => return None,
    };
    let (way, other) = if number < 0 {
        ("descending", "1 for ascending")
    } else {
        ("ascending", "-1 for descending")
    };
    Some(if kind.trim().parse::<i32>().is_ok() {
        format!("{kind:?} is text, not a number: write {number} without quotes ({way})")
    } else {
        format!("a direction is a number: write {number} for {way}, not {kind:?} (or {other})")
    })
}
