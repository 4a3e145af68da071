//! Reads a manifest's tree part by part, the file, each collection, each
//! index, and each field of them, so that one field that doesn't read hides
//! no other problem of the file; and says what a field must be in words a
//! person uses, not serde's (`expected i64`, `invalid type: map`).

use std::sync::LazyLock;

use regex::Regex;
use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::file::{CollectionDecl, IndexDecl, ManifestFile};
use super::rules::closest;
use crate::diagnostics::Format;
use crate::model::index::KNOWN_OPTIONS;

/// What could be read of a file, and what could not, by field path.
#[derive(Default)]
pub(super) struct ReadFile {
    /// The file's own fields; its collections are in `collections`.
    pub file: Option<ManifestFile>,
    pub collections: Vec<ReadCollection>,
    /// (field path, message)
    pub problems: Vec<(String, String)>,
}

/// One collection, with its place in the file.
pub(super) struct ReadCollection {
    pub at: usize,
    /// Its own fields; `None` when they don't read. Its indexes are in `indexes`.
    pub decl: Option<CollectionDecl>,
    /// The indexes that read, with their places in the collection.
    pub indexes: Vec<(usize, IndexDecl)>,
}

pub(super) const FILE_FIELDS: &[&str] = &["scope", "collections", "drop", "unmanaged"];
/// A collection's fields: its name, its indexes, and its own options.
pub(super) static COLLECTION_FIELDS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    ["name", "indexes"]
        .into_iter()
        .chain(crate::model::collection::OPTIONS.iter().copied())
        .collect()
});

pub(super) fn manifest(tree: &Value, format: Format) -> ReadFile {
    let mut out = ReadFile::default();
    if tree.is_null() {
        out.problems.push((
            String::new(),
            "the file is empty: a manifest has a scope and collections".into(),
        ));
        return out;
    }
    let reader = Reader { format };
    // A list is read item by item below; anything else is read, and
    // refused, with the file's own fields.
    let (top, collections) = take_list(tree, "collections");
    out.file = reader.part(&top, "", FILE_FIELDS, &mut out.problems);
    let index_fields: Vec<&str> = ["name", "keys"]
        .into_iter()
        .chain(KNOWN_OPTIONS.iter().copied())
        .collect();
    for (ci, collection) in collections.iter().enumerate() {
        let cpath = format!("collections[{ci}]");
        let (own, indexes) = take_list(collection, "indexes");
        let decl = reader.part(&own, &cpath, &COLLECTION_FIELDS, &mut out.problems);
        let indexes = indexes
            .iter()
            .enumerate()
            .filter_map(|(ii, index)| {
                let ipath = format!("{cpath}.indexes[{ii}]");
                let decl = reader.part(index, &ipath, &index_fields, &mut out.problems)?;
                Some((ii, decl))
            })
            .collect();
        out.collections.push(ReadCollection {
            at: ci,
            decl,
            indexes,
        });
    }
    out
}

/// `value` without its list `field`, and that list's items (none when
/// `field` is absent or not a list).
fn take_list(value: &Value, field: &str) -> (Value, Vec<Value>) {
    let mut value = value.clone();
    if let Value::Mapping(map) = &mut value {
        if let Some(Value::Sequence(_)) = map.get(field) {
            if let Some(Value::Sequence(items)) = map.remove(field) {
                return (value, items);
            }
        }
    }
    (value, Vec::new())
}

struct Reader {
    format: Format,
}

impl Reader {
    /// Reads `T` from `value`; every field that doesn't read is a problem
    /// of its own, and the others still read.
    fn part<T: DeserializeOwned>(
        &self,
        value: &Value,
        path: &str,
        known: &[&str],
        problems: &mut Vec<(String, String)>,
    ) -> Option<T> {
        let whole = serde_path_to_error::deserialize::<_, T>(value.clone());
        let error = match whole {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let Value::Mapping(map) = value else {
            problems.push(self.problem(path, &error));
            return None;
        };
        // Each field on its own: a missing field is not its problem.
        let mut good = Mapping::new();
        let mut bad = Vec::new();
        for (key, field) in map {
            let one: Mapping = [(key.clone(), field.clone())].into_iter().collect();
            match serde_path_to_error::deserialize::<_, T>(Value::Mapping(one)) {
                Err(e) if missing_field(&e.inner().to_string()).is_none() => {
                    problems.push(self.problem(path, &e));
                    bad.push(key.as_str().unwrap_or_default().to_string());
                }
                _ => {
                    good.insert(key.clone(), field.clone());
                }
            }
        }
        let error = match serde_path_to_error::deserialize::<_, T>(Value::Mapping(good)) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let text = error.inner().to_string();
        match missing_field(&text) {
            // Given, but not readable: said above.
            Some(field) if bad.iter().any(|b| b == field) => {}
            Some(field) => {
                let needs = self.needs(field);
                // A near miss of the missing field is the likely cause.
                let near = map
                    .keys()
                    .filter_map(Value::as_str)
                    .filter(|k| !known.contains(k))
                    .find(|k| closest(k, &[field]).is_some());
                problems.push(match near {
                    Some(k) => (
                        join(path, k),
                        format!("unknown field {k:?}: did you mean {field:?}? ({needs})"),
                    ),
                    None => (path.to_string(), needs),
                });
            }
            None => problems.push(self.problem(path, &error)),
        }
        None
    }

    fn problem(
        &self,
        path: &str,
        error: &serde_path_to_error::Error<serde_yaml::Error>,
    ) -> (String, String) {
        let inner = error.path().to_string();
        let field = if inner == "." {
            path.to_string()
        } else {
            join(path, &inner)
        };
        let message = self.words(&field, &error.inner().to_string());
        (field, message)
    }

    /// What a required field is, for the message saying it is missing.
    fn needs(&self, field: &str) -> String {
        match field {
            "scope" => "a manifest needs a scope: public, tenant, or [public, tenant]".into(),
            "name" => "a collection needs a name".into(),
            "keys" => format!(
                "an index needs keys: its fields in order, such as {}",
                self.keys_example()
            ),
            other => format!("{other} is missing"),
        }
    }

    fn keys_example(&self) -> &'static str {
        match self.format {
            Format::Yaml => "{ createdAt: -1 }",
            Format::Toml => "{ createdAt = -1 }",
        }
    }

    fn mapping(&self) -> &'static str {
        match self.format {
            Format::Yaml => "a mapping",
            Format::Toml => "a table",
        }
    }

    /// serde's message about `field`, in words: `must be true or false, not "yes"`.
    fn words(&self, field: &str, message: &str) -> String {
        static TYPE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^invalid (?:type|value): (.+?), expected (.+)$").expect("a valid pattern")
        });
        static VARIANT: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^unknown variant `(.*?)`, expected (.+)$").expect("a valid pattern")
        });
        if let Some(found) = TYPE.captures(message) {
            let expected = self.expected(field, &found[2]);
            let (found, hint) = self.found(&found[1], &expected);
            return format!("must be {expected}, not {found}{hint}");
        }
        if let Some(found) = VARIANT.captures(message) {
            let expected = found[2].replace('`', "").replace("one of ", "one of: ");
            return format!("must be {expected}, not {:?}", &found[1]);
        }
        if let Some(field) = message
            .strip_prefix("duplicate field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            return format!("{field} is given twice");
        }
        message.to_string()
    }

    /// What a field must be: by the field where it has a meaning of its
    /// own, else serde's word for the type, in words.
    fn expected(&self, field: &str, serde: &str) -> String {
        let name = field.rsplit('.').next().unwrap_or(field);
        let named = match name {
            "expireAfterSeconds" => Some("a whole number of seconds".to_string()),
            "unique" | "sparse" | "hidden" | "background" => Some("true or false".into()),
            "keys" => Some(format!(
                "{} of fields to directions, such as {}",
                self.mapping(),
                self.keys_example()
            )),
            "collections" => Some("a list of collections".into()),
            "indexes" => Some("a list of indexes".into()),
            "unmanaged" => Some("a list of regular expressions".into()),
            "bits" => Some("a number from 1 to 32".into()),
            "2dsphereIndexVersion" | "textIndexVersion" => {
                Some("a version number: 1, 2 or 3".into())
            }
            "finestIndexedLevel" | "coarsestIndexedLevel" => {
                Some("a whole number from 0 to 30".into())
            }
            _ => None,
        };
        if let Some(named) = named {
            return named;
        }
        match serde {
            "a boolean" => "true or false".into(),
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
                "a whole number".into()
            }
            "f32" | "f64" | "a number" => "a number".into(),
            "a string" => "text".into(),
            "a sequence" => "a list".into(),
            s if s.starts_with("struct ") || s == "a map" => self.mapping().into(),
            s => s.replace('`', ""),
        }
    }

    /// What was written, from serde's `serde::de::Unexpected` text, and a
    /// hint when it is the right value in the wrong spelling.
    fn found(&self, unexpected: &str, expected: &str) -> (String, String) {
        let quoted = |s: &str| {
            s.strip_prefix('`')
                .and_then(|s| s.strip_suffix('`'))
                .unwrap_or(s)
                .to_string()
        };
        if let Some(text) = unexpected.strip_prefix("string ") {
            let plain: String = serde_json::from_str(text).unwrap_or_else(|_| text.to_string());
            let lower = plain.trim().to_ascii_lowercase();
            let hint = if expected == "true or false" {
                match lower.as_str() {
                    "true" | "false" => format!(" (write {lower} without quotes)"),
                    "yes" | "on" | "y" => " (write true)".into(),
                    "no" | "off" | "n" => " (write false)".into(),
                    _ => String::new(),
                }
            } else if lower.parse::<f64>().is_ok() && expected.contains("number") {
                format!(" (write {lower} without quotes)")
            } else {
                String::new()
            };
            return (text.to_string(), hint);
        }
        let found = if let Some(n) = unexpected.strip_prefix("integer ") {
            quoted(n)
        } else if let Some(n) = unexpected.strip_prefix("floating point ") {
            quoted(n)
        } else if let Some(b) = unexpected.strip_prefix("boolean ") {
            quoted(b)
        } else {
            match unexpected {
                "unit value" => "an empty value (null)".into(),
                "map" => self.mapping().into(),
                "sequence" => "a list".into(),
                other => other.to_string(),
            }
        };
        (found, String::new())
    }
}

/// `missing field `keys``: the field.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else if field.starts_with('[') {
        format!("{path}{field}")
    } else {
        format!("{path}.{field}")
    }
}
