//! Options that belong to one kind of index: collation, text, 2d/2dsphere,
//! wildcard projection.

use bson::{Bson, Document};

use super::keys::{overlaps, plugin_of, Plugin};
use super::{number, Finding};
use crate::manifest::file::{IndexDecl, Number};
use crate::manifest::Invalid;
use crate::model::release::{Feature, Release};
use crate::model::{collation, IndexSpec};

/// The ICU version `mongod` 6.0 reports in a resolved collation.
const ICU_VERSION: &str = "57.1";

/// `query/collation/collation_spec.h` and `collator_factory_icu.cpp`; a
/// collation applies to ordinary, 2dsphere, hashed and wildcard indexes
/// only (`index_catalog_impl.cpp` `_isSpecOk`).
pub(super) fn collation_rules(c: &Document, plugin: Plugin, out: &mut Vec<Finding>) {
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
        // The locales are `model/collations.tsv`, captured from mongod.
        Some(Bson::String(l)) if collation::is_known_locale(l) => {}
        Some(Bson::String(l)) => {
            let close = collation::locales()
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
            // The simple locale is parsed (field names, types, enumerations,
            // strength at most 5) but never resolved by ICU, so 0 passes there.
            "strength" if simple => number(value).is_some_and(|n| (0.0..6.0).contains(&n)),
            "strength" => number(value).is_some_and(|n| (1.0..6.0).contains(&n)),
            "version" if simple => value.as_str().is_some(),
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
    // Cross-field rules of the ICU collator factory (`collator_factory_icu.cpp`),
    // on the collation as resolved: a locale's own defaults count (`da`
    // puts upper case first, so `{locale: da, strength: 1}` is refused).
    if let Some(c) = collation::resolve(c).filter(|_| !simple) {
        let c = &c;
        let strength = c.get("strength").and_then(number).unwrap_or(3.0);
        let case_level = c.get_bool("caseLevel").unwrap_or(false);
        if c.get_str("caseFirst").is_ok_and(|f| f != "off") && !case_level && strength <= 2.0 {
            out.push(Finding::error(
                "collation.caseFirst",
                "caseFirst needs caseLevel: true or a strength of 3 or more",
            ));
        }
        if c.get_bool("backwards") == Ok(true) && strength == 1.0 {
            out.push(Finding::error(
                "collation.backwards",
                "backwards needs a strength of 2 or more",
            ));
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
pub(super) fn text_options(
    spec: &IndexSpec,
    decl: &IndexDecl,
    plugin: Plugin,
    out: &mut Vec<Finding>,
) {
    // textIndexVersion 1 is parsed by the legacy rules (`fts_spec_legacy.cpp`),
    // which check neither key layout nor languages.
    let text = plugin == Plugin::Text;
    let strict = text && decl.text_version.is_none_or(|v| v.as_f64() != 1.0);
    if strict {
        text_keys(&spec.keys, out);
        // `fts_spec.cpp` `fixSpec`: the indexed fields are the keys valued
        // "text" and the fields of `weights`; with none (`{_fts: "text"}`,
        // the stored key without its weights, or `weights: {}`) the server
        // refuses: "text index option 'weights' must specify fields or the wildcard".
        let keyed = spec
            .keys
            .iter()
            .any(|(k, v)| k != "_fts" && v.as_str() == Some("text"));
        if !keyed && spec.weights.as_ref().is_none_or(|w| w.is_empty()) {
            out.push(Finding::error(
                "keys",
                "a text index needs a field to index: a key valued \"text\" ({ title: \"text\" }), \
                 or, with the stored form { _fts: \"text\", _ftsx: 1 }, weights naming the fields",
            ));
        }
    }
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
    if let Some(Some(weights)) = decl
        .weights
        .as_ref()
        .map(|w| crate::manifest::to_document(&w.0).ok())
    {
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
        (Some(l), true) if strict && !TEXT_LANGUAGES.contains(&l.to_ascii_lowercase().as_str()) => {
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
        (Some(l), true) if strict && (l.is_empty() || l.contains('.') || l.starts_with('$')) => out
            .push(Finding::error(
                "language_override",
                format!("{l:?} must be a top-level field name (no dots, no leading $)"),
            )),
        (Some(_), false) => out.push(Finding::warning(
            "language_override",
            "has no effect on an index that is not a text index",
        )),
        _ => {}
    }
    if let Some(v) = decl.text_version {
        if text && ![1.0, 2.0, 3.0].contains(&v.as_f64()) {
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

/// `fts_spec.cpp`: the text fields are one run, and the other fields of a
/// compound text index are plain 1 or -1.
fn text_keys(keys: &Document, out: &mut Vec<Finding>) {
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
    for (field, value) in keys {
        if field != "_ftsx" && number(value).is_some_and(|n| n != 1.0 && n != -1.0) {
            out.push(Finding::error(
                &format!("keys.{field}"),
                "the other fields of a text index must be 1 or -1",
            ));
        }
    }
}

/// `2d`: `bits` 1 to 32 (truncated), finite `min` < `max` (defaults -180 and
/// 180) (`geo/hash.cpp`, GeoHashConverter); `2dsphereIndexVersion` 1 to 3
/// (`index/s2_common.cpp`).
/// On other indexes the server stores these and ignores them.
pub(super) fn geo_options(
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
        if min >= max || min.is_infinite() || max.is_infinite() {
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

/// `finestIndexedLevel` / `coarsestIndexedLevel` of a 2dsphere index, the
/// same at every release: `initialize2dsphereParams` (in
/// `src/mongo/db/index/expression_params.cpp`@1041dd848e25e879260d1015d8da4f72ee7993fe,
/// later moved, the same text, to
/// `src/mongo/db/index/s2_common.cpp`@73612feca6a62839d9856a055eb2254e9109aee5)
/// reads each with `bsonExtractIntegerFieldWithDefault`
/// (`src/mongo/bson/util/bson_extract.cpp`@c5e271fc5ce04147320f29ba8741a0eaf399a913:
/// a number, else TypeMismatch; a whole one, else BadValue), then checks
/// that coarsest is at least 0 (16747), finest at most 30 (16748) and finest
/// at least coarsest (16749), where an unset level is its default: 16 and 2
/// under `2dsphereIndexVersion` 3 (the version a new index gets), 14 and 7
/// under 1 or 2. mongod 6.0.5 agrees, defaults included (finest 1 alone is
/// refused, 2 accepted): `tests/it/server_parity.rs`. It keeps a level in an
/// int, so a whole number past an int32 wraps there and is built; mig refuses
/// it as out of range, since `listIndexes` reports it clamped (2147483647),
/// never equal to what was declared.
/// On other indexes the server stores any number and ignores it.
pub(super) fn sphere_levels(decl: &IndexDecl, plugin: Plugin, out: &mut Vec<Finding>) {
    const FINEST: &str = "finestIndexedLevel";
    const COARSEST: &str = "coarsestIndexedLevel";
    let given = [(FINEST, decl.finest_level), (COARSEST, decl.coarsest_level)];
    if plugin != Plugin::Geo2dSphere {
        for (option, level) in given {
            if level.is_some() {
                out.push(Finding::warning(
                    option,
                    "has no effect on an index that is not a 2dsphere index",
                ));
            }
        }
        return;
    }
    let old_version = decl
        .sphere_version
        .is_some_and(|v| [1.0, 2.0].contains(&v.as_f64()));
    let (default_finest, default_coarsest) = if old_version { (14, 7) } else { (16, 2) };
    let mut whole = |option: &str, level: Option<Number>| -> Option<Option<i64>> {
        let Some(level) = level else {
            return Some(None);
        };
        let n = level.as_f64();
        if n.fract() != 0.0 || !n.is_finite() || n.abs() > i64::MAX as f64 {
            out.push(Finding::error(
                option,
                format!("must be a whole number from 0 to 30, found {level}"),
            ));
            return None;
        }
        Some(Some(n as i64))
    };
    let (Some(finest), Some(coarsest)) = (
        whole(FINEST, decl.finest_level),
        whole(COARSEST, decl.coarsest_level),
    ) else {
        return;
    };
    let mut in_range = true;
    for (option, level) in [(FINEST, finest), (COARSEST, coarsest)] {
        if let Some(l) = level.filter(|l| !(0..=30).contains(l)) {
            out.push(Finding::error(
                option,
                format!("must be from 0 to 30, found {l}"),
            ));
            in_range = false;
        }
    }
    let (f, c) = (
        finest.unwrap_or(default_finest),
        coarsest.unwrap_or(default_coarsest),
    );
    if in_range && f < c {
        let (option, message) = match finest {
            Some(_) => (
                FINEST,
                format!(
                    "{f} must not be below coarsestIndexedLevel ({c}{})",
                    if coarsest.is_none() {
                        ", the default"
                    } else {
                        ""
                    }
                ),
            ),
            None => (
                COARSEST,
                format!("{c} must not be above finestIndexedLevel ({f}, the default)"),
            ),
        };
        out.push(Finding::error(option, message));
    }
}

/// `index_key_validate.cpp` (`wildcardProjection` only with `{"$**": 1}`;
/// from 7.0 with any key that has `"$**"`) and `wildcard_key_generator.cpp`
/// / projection parsing: not empty, all inclusions or all exclusions (`_id`
/// aside), no computed values. A compound wildcard index on `"$**"` (7.0+)
/// needs one, and it must leave the other key fields out: [`compound_projection`].
pub(super) fn wildcard_projection(spec: &IndexSpec, release: Release, out: &mut Vec<Finding>) {
    let wildcard = plugin_of(&spec.keys) == Plugin::Wildcard && spec.keys.contains_key("$**");
    let compound = wildcard && spec.keys.len() > 1 && release.has(Feature::CompoundWildcard);
    let Some(projection) = &spec.wildcard_projection else {
        if compound {
            out.push(Finding::error(
                "wildcardProjection",
                "a compound wildcard index on \"$**\" needs a wildcardProjection that leaves out its other key fields (or index a path: \"a.$**\")",
            ));
        }
        return;
    };
    let bad = |out: &mut Vec<Finding>, message: String| {
        out.push(Finding::error("wildcardProjection", message))
    };
    if !(wildcard && (spec.keys.len() == 1 || compound)) {
        let allowed = if release.has(Feature::CompoundWildcard) {
            "with a key that has \"$**\""
        } else {
            "with the key { \"$**\": 1 }"
        };
        bad(
            out,
            format!("wildcardProjection is only allowed {allowed} (for \"a.$**\", the path already says what is indexed)"),
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
        bad(out, why.0);
        return;
    }
    let included: Vec<&(String, bool)> = leaves.iter().filter(|(p, _)| p != "_id").collect();
    if included.iter().any(|(_, i)| *i) && included.iter().any(|(_, i)| !*i) {
        bad(
            out,
            "cannot mix inclusions (1) and exclusions (0), except for _id".into(),
        );
        return;
    }
    if compound {
        compound_projection(spec, &leaves, out);
    }
}

/// A compound wildcard index's projection (`index_key_validate.cpp` at
/// r7.0.0, `validateWildcardProjection`): no path inside another (code
/// 7246200); an inclusion includes none of the other key fields (7246208);
/// an exclusion excludes every one of them, at or above its path (7246209,
/// 7246210). Which it is: its fields other than `_id`, else `_id` itself.
fn compound_projection(spec: &IndexSpec, leaves: &[(String, bool)], out: &mut Vec<Finding>) {
    for (i, (a, _)) in leaves.iter().enumerate() {
        if let Some((b, _)) = leaves[i + 1..].iter().find(|(b, _)| overlaps(a, b)) {
            out.push(Finding::error(
                "wildcardProjection",
                format!("{a:?} and {b:?} collide: one path is inside the other"),
            ));
            return;
        }
    }
    let inclusion = leaves
        .iter()
        .find(|(p, _)| p != "_id")
        .or(leaves.first())
        .is_some_and(|(_, i)| *i);
    let regular: Vec<&String> = spec.keys.keys().filter(|k| *k != "$**").collect();
    for field in regular {
        if inclusion {
            if let Some((p, _)) = leaves.iter().find(|(p, i)| *i && overlaps(p, field)) {
                out.push(Finding::error(
                    "wildcardProjection",
                    format!("includes {p:?}, a key field of the index besides \"$**\": a compound wildcard's projection must leave its other key fields out"),
                ));
                return;
            }
        } else {
            let excluded = leaves
                .iter()
                .any(|(p, i)| !*i && (p == field || field.starts_with(&format!("{p}."))));
            if !excluded {
                out.push(Finding::error(
                    "wildcardProjection",
                    format!("an exclusion projection of a compound wildcard index must exclude its other key fields: add {field:?}: 0"),
                ));
                return;
            }
        }
    }
}

fn projection_leaves(
    prefix: &str,
    d: &Document,
    out: &mut Vec<(String, bool)>,
) -> Result<(), Invalid> {
    for (field, value) in d {
        let path = if prefix.is_empty() {
            field.clone()
        } else {
            format!("{prefix}.{field}")
        };
        if field.is_empty() || field.split('.').any(|p| p.is_empty() || p.starts_with('$')) {
            return Err(invalid!("{path:?} is not a valid field path"));
        }
        match value {
            Bson::Boolean(b) => out.push((path, *b)),
            Bson::Document(sub) if sub.is_empty() => {
                return Err(invalid!("{path}: an empty document is not a projection"))
            }
            Bson::Document(sub) => projection_leaves(&path, sub, out)?,
            other => match number(other) {
                Some(n) => out.push((path, n != 0.0)),
                None => {
                    return Err(invalid!(
                        "{path}: a projection value must be 1, 0, true or false, found {other}"
                    ))
                }
            },
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
