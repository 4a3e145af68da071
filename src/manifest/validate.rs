//! The checks a manifest must pass before anything is sent to a server: the
//! specs the server would refuse (codes 67, 85, 86, 16764), found offline.

use bson::{Bson, Document};

use super::file::IndexDecl;
use super::Declared;
use crate::diagnostics::{Problem, SourceFile};
use crate::model::compare::same_declared_identity;
use crate::model::index::{ID_INDEX, KNOWN_OPTIONS};
use crate::model::{IndexSpec, Scope};

/// The server's limit, `_id_` included.
const MAX_INDEXES: usize = 64;

const KEY_KINDS: &[&str] = &["text", "2d", "2dsphere", "hashed"];

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

/// Checks one index on its own.
pub fn index(spec: &IndexSpec, decl: &IndexDecl, src: &SourceFile, path: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |field: &str, message: String| {
        let at = if field.is_empty() {
            path.to_string()
        } else {
            format!("{path}.{field}")
        };
        out.push(src.problem(at, message));
    };
    for key in decl.unknown.keys() {
        bad(
            key,
            format!("unknown index option {key:?}{}", suggestion(key)),
        );
    }
    if decl.name.as_deref() == Some("") {
        bad("name", "an index name cannot be empty".into());
    } else if spec.name == "*" || spec.name.contains('\0') {
        bad("name", format!("invalid index name {:?}", spec.name));
    }
    if spec.keys.is_empty() {
        bad("keys", "an index needs at least one key field".into());
    }
    for (field, value) in &spec.keys {
        let kpath = format!("keys.{field}");
        if field.is_empty() || field.starts_with('$') && field != "$**" || field.contains('\0') {
            bad(&kpath, format!("invalid key field {field:?}"));
        }
        match value {
            Bson::Int32(1) | Bson::Int32(-1) => {}
            Bson::String(s) if KEY_KINDS.contains(&s.as_str()) => {}
            Bson::String(s) => bad(
                &kpath,
                format!(
                    "unknown index type {s:?} (expected one of {})",
                    KEY_KINDS.join(", ")
                ),
            ),
            other => bad(
                &kpath,
                format!("key direction must be 1 or -1, found {other}"),
            ),
        }
    }
    if spec.is_id_index()
        || spec.keys == bson::doc! {"_id": 1} && decl.name.as_deref() == Some(ID_INDEX)
    {
        let plain = IndexSpec {
            name: ID_INDEX.into(),
            keys: bson::doc! {"_id": 1},
            ..Default::default()
        };
        if *spec != plain {
            bad("", "the _id_ index exists on every collection and cannot be redefined with other keys or options".into());
        }
    }
    if spec.sparse && spec.partial_filter_expression.is_some() {
        bad(
            "sparse",
            "sparse cannot be combined with partialFilterExpression (use the partial filter alone)"
                .into(),
        );
    }
    if let Some(ttl) = spec.expire_after_seconds {
        if spec.keys.len() != 1 {
            bad("expireAfterSeconds", "a TTL index must have exactly one key field (compound TTL indexes are not allowed)".into());
        } else if spec.keys.contains_key("_id") {
            bad("expireAfterSeconds", "a TTL index cannot be on _id".into());
        }
        if !(0..=i32::MAX as i64).contains(&ttl) {
            bad(
                "expireAfterSeconds",
                format!("must be between 0 and {}, found {ttl}", i32::MAX),
            );
        }
    }
    if spec.is_hashed() {
        if spec.unique {
            bad("unique", "a hashed index cannot be unique".into());
        }
        if spec
            .keys
            .values()
            .filter(|v| v.as_str() == Some("hashed"))
            .count()
            > 1
        {
            bad("keys", "only one field of an index can be hashed".into());
        }
    }
    if spec.is_wildcard() {
        for (set, option) in [
            (spec.unique, "unique"),
            (spec.sparse, "sparse"),
            (spec.expire_after_seconds.is_some(), "expireAfterSeconds"),
        ] {
            if set {
                bad(option, format!("a wildcard index cannot be {option}"));
            }
        }
    }
    if spec.wildcard_projection.is_some() && !spec.keys.contains_key("$**") {
        bad(
            "wildcardProjection",
            "wildcardProjection is only allowed with a \"$**\" key".into(),
        );
    }
    if !spec.is_text() {
        for (set, option) in [
            (spec.weights.is_some(), "weights"),
            (spec.default_language.is_some(), "default_language"),
            (spec.language_override.is_some(), "language_override"),
        ] {
            if set {
                bad(option, format!("{option} only applies to a text index"));
            }
        }
    }
    if !spec.is_2d() {
        for (set, option) in [
            (spec.bits.is_some(), "bits"),
            (spec.min.is_some(), "min"),
            (spec.max.is_some(), "max"),
        ] {
            if set {
                bad(option, format!("{option} only applies to a 2d index"));
            }
        }
    }
    if let Some(filter) = &spec.partial_filter_expression {
        if let Some(op) = unsupported_filter_operator(filter) {
            bad(
                "partialFilterExpression",
                format!("{op} is not supported in a partial filter expression"),
            );
        }
    }
    if let Some(collation) = &spec.collation {
        if let Err(why) = check_collation(collation) {
            bad("collation", why);
        }
    }
    out
}

/// Checks across all indexes declared for one collection in one scope.
pub(super) fn collection(scope: Scope, name: &str, indexes: &[Declared]) -> Vec<Problem> {
    let mut out = Vec::new();
    let problem = |d: &Declared, field: &str, message: String| Problem {
        file: d.file.clone(),
        position: d.position,
        field: format!("{}{field}", d.field),
        message,
        ..Default::default()
    };
    for (i, d) in indexes.iter().enumerate() {
        for earlier in &indexes[..i] {
            if earlier.spec.name == d.spec.name {
                out.push(problem(
                    d,
                    ".name",
                    format!(
                        "duplicate index name {:?} in {scope} collection {name:?} (also declared at {})",
                        d.spec.name,
                        earlier.at()
                    ),
                ));
            } else if !(earlier.spec.is_text() && d.spec.is_text())
                && same_declared_identity(&earlier.spec, &d.spec)
            {
                out.push(problem(
                    d,
                    ".keys",
                    format!(
                        "same key and options as index {:?} (declared at {}); MongoDB keeps only one of them",
                        earlier.spec.name,
                        earlier.at()
                    ),
                ));
            }
        }
    }
    let text: Vec<_> = indexes.iter().filter(|d| d.spec.is_text()).collect();
    if let [first, rest @ ..] = text.as_slice() {
        for d in rest {
            out.push(problem(
                d,
                ".keys",
                format!(
                    "a collection can have only one text index; {:?} is declared at {}",
                    first.spec.name,
                    first.at()
                ),
            ));
        }
    }
    let count = indexes.len() + usize::from(!indexes.iter().any(|d| d.spec.is_id_index()));
    if count > MAX_INDEXES {
        if let Some(d) = indexes.get(MAX_INDEXES - 1) {
            out.push(problem(
                d,
                "",
                format!("{scope} collection {name:?} declares {count} indexes with _id_; MongoDB allows {MAX_INDEXES}"),
            ));
        }
    }
    out
}

fn unsupported_filter_operator(filter: &Document) -> Option<String> {
    for (key, value) in filter {
        match key.as_str() {
            "$expr" | "$jsonSchema" | "$where" | "$text" | "$near" | "$nearSphere" => {
                return Some(key.clone())
            }
            "$exists" if !truthy(value) => return Some("$exists: false".into()),
            _ => {}
        }
        let nested = match value {
            Bson::Document(d) => unsupported_filter_operator(d),
            Bson::Array(items) => items
                .iter()
                .filter_map(Bson::as_document)
                .find_map(unsupported_filter_operator),
            _ => None,
        };
        if nested.is_some() {
            return nested;
        }
    }
    None
}

fn truthy(v: &Bson) -> bool {
    !matches!(v, Bson::Boolean(false) | Bson::Null)
        && !matches!(v, Bson::Int32(0) | Bson::Int64(0))
        && *v != Bson::Double(0.0)
}

fn check_collation(c: &Document) -> Result<(), String> {
    match c.get("locale") {
        Some(Bson::String(l)) if !l.is_empty() => {}
        Some(_) => return Err("collation.locale must be a non-empty string".into()),
        None => return Err("a collation needs a locale".into()),
    }
    for (key, value) in c {
        let ok = match key.as_str() {
            "locale" => true,
            "caseLevel" | "numericOrdering" | "normalization" | "backwards" => {
                matches!(value, Bson::Boolean(_))
            }
            "strength" => matches!(crate::model::index::as_i64(value), Some(1..=5)),
            "caseFirst" => matches!(value.as_str(), Some("upper" | "lower" | "off")),
            "alternate" => matches!(value.as_str(), Some("non-ignorable" | "shifted")),
            "maxVariable" => matches!(value.as_str(), Some("punct" | "space")),
            _ => return Err(format!("unknown collation field {key:?}")),
        };
        if !ok {
            return Err(format!("invalid collation {key}: {value}"));
        }
    }
    Ok(())
}

fn suggestion(key: &str) -> String {
    let known = ["name", "keys"].iter().chain(KNOWN_OPTIONS);
    match known.min_by_key(|o| edit_distance(&key.to_ascii_lowercase(), &o.to_ascii_lowercase())) {
        Some(o) if edit_distance(&key.to_ascii_lowercase(), &o.to_ascii_lowercase()) <= 3 => {
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
