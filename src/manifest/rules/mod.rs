//! MongoDB's own rules for an index spec, checked before anything is sent to a
//! server: what the server would refuse is an error, what it accepts but
//! ignores or rewrites is a warning. The rules model MongoDB 6.0 (the server
//! the tests run against); each cites the server source it comes from, in
//! `mongodb/mongo` at r6.0.5, and was checked against a real `mongod` 6.0.5.
//! Where 7.0 or 8.0 differ, the difference is a row of
//! `model::release::DIFFERENCES` (with the sources at each tag) and the rule
//! asks the [`Release`] it runs under. A dev server (`--dev-uri`) is the
//! final word for any version.

mod collection;
mod filter;
mod keys;
mod options;

use super::file::{Flag, IndexDecl, Number};
use super::Declared;
use crate::diagnostics::Problem;
use crate::model::compare::same_declared_identity;
use crate::model::index::{ID_INDEX, KNOWN_OPTIONS};
use crate::model::release::Release;
use crate::model::{IndexSpec, Scope};
pub use collection::collection_options_for;
use keys::{key_pattern, plugin_of, Plugin};

/// The server's limit, `_id_` included (`index_catalog_impl.cpp`, kMaxNumIndexesAllowed).
const MAX_INDEXES: usize = 64;

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

/// Checks one declared index (`spec` is the normalized model of `decl`)
/// under the rules of `release`; where releases
/// differ, `model::release::DIFFERENCES` says so and the rule asks `release`.
pub fn index_for(spec: &IndexSpec, decl: &IndexDecl, release: Release) -> Vec<Finding> {
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
    let key_ok = key_pattern(&spec.keys, release, &mut out);
    let plugin = plugin_of(&spec.keys);
    // `{_id: -1}` alone is refused as a malformed _id index (`_isSpecOk`).
    if spec.keys.len() == 1 && spec.keys.get("_id").and_then(number) == Some(-1.0) {
        out.push(Finding::error(
            "keys",
            "{ _id: -1 } is refused: the _id index is { _id: 1 }, which every collection has",
        ));
    }
    if spec.has_id_key() {
        id_index(spec, decl, &mut out);
        if let Some(collation) = &spec.collation {
            options::collation_rules(collation, plugin, &mut out);
        }
        return out;
    }
    flags(spec, decl, plugin, &mut out);
    ttl(spec, decl, plugin, &mut out);
    if let Some(filter) = &spec.partial_filter_expression {
        if let Err(why) = filter::partial_filter(filter) {
            out.push(Finding::error("partialFilterExpression", why.0));
        }
    }
    if let Some(collation) = &spec.collation {
        options::collation_rules(collation, plugin, &mut out);
    }
    options::text_options(spec, decl, plugin, &mut out);
    options::geo_options(spec, decl, plugin, key_ok, &mut out);
    options::sphere_levels(decl, plugin, &mut out);
    options::wildcard_projection(spec, release, &mut out);
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
        ("finestIndexedLevel", decl.finest_level.is_some()),
        ("coarsestIndexedLevel", decl.coarsest_level.is_some()),
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
    // It must equal the collection's default collation (`_isSpecOk`), and
    // the collections mig creates have none.
    if spec
        .collation
        .as_ref()
        .is_some_and(|c| c.get_str("locale") != Ok("simple"))
    {
        out.push(Finding::error(
            "collation",
            "the _id index has the collection's default collation, and collections mig creates have none: remove it",
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
/// key field, not a wildcard, 0 to 2147483647, checked on the value the
/// server stores: a fraction is truncated toward zero first (mongod 6.0.5
/// takes -0.5 and -0.9 as 0, refuses -1 and -1.5) and NaN is stored as
/// 2147483647.
fn ttl(spec: &IndexSpec, decl: &IndexDecl, plugin: Plugin, out: &mut Vec<Finding>) {
    let Some(raw) = decl.expire_after_seconds else {
        return;
    };
    let seconds = raw.as_f64().trunc();
    if seconds < 0.0 {
        out.push(Finding::error(
            "expireAfterSeconds",
            format!("must be 0 or more, found {raw}"),
        ));
    } else if seconds > i32::MAX as f64 {
        out.push(Finding::error(
            "expireAfterSeconds",
            format!("must be at most {} (about 68 years), found {raw}", i32::MAX),
        ));
    } else if let Number::Float(f) = raw {
        if f.fract() != 0.0 || f.is_nan() || (f == 0.0 && f.is_sign_negative()) {
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
pub(super) use crate::model::index::{as_f64 as number, truthy};

fn suggestion(key: &str) -> String {
    let known: Vec<&str> = ["name", "keys"]
        .into_iter()
        .chain(KNOWN_OPTIONS.iter().copied())
        .collect();
    match closest(key, &known) {
        Some(o) => format!(" (did you mean {o:?}?)"),
        None => String::new(),
    }
}

/// The known name `word` is most likely a misspelling of, if any.
pub(crate) fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    crate::model::names::closest(word, known.iter().copied())
        .first()
        .copied()
}

#[cfg(test)]
#[path = "server_cases_tests.rs"]
mod server_cases_tests;
