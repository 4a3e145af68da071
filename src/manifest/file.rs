//! The manifest file format, as written in YAML or TOML. These types are the
//! source of `schema/manifest.schema.json`; `manifest::load` turns them into
//! the shared model.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::{self, IgnoredAny};
use serde::Deserialize;

use crate::model::Scope;

/// A manifest: the indexes of some collections, for the public database,
/// the tenant databases, or both.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "mig manifest")]
pub struct ManifestFile {
    /// Which databases these collections live in.
    pub scope: ScopeDecl,
    #[serde(default)]
    pub collections: Vec<CollectionDecl>,
    /// What happens to live indexes of these collections that no manifest
    /// declares: `keep` (default; `--prune` retires them) or `staged` (always
    /// retired: hidden first, dropped by a later run).
    pub drop: Option<DropPolicy>,
    /// Regular expressions of index names that are never pruned, e.g. `^atlas_`.
    #[serde(default)]
    pub unmanaged: Vec<String>,
    /// Unknown fields, collected so that all of them are reported at once.
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DropPolicy {
    Keep,
    Staged,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScopeDecl {
    One(Scope),
    Many(Vec<Scope>),
}

impl ScopeDecl {
    pub fn scopes(&self) -> Vec<Scope> {
        let mut s = match self {
            ScopeDecl::One(s) => vec![*s],
            ScopeDecl::Many(v) => v.clone(),
        };
        s.sort();
        s.dedup();
        s
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CollectionDecl {
    pub name: String,
    #[serde(default)]
    pub indexes: Vec<IndexDecl>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// One index. Option names are MongoDB's own, as in `createIndex`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IndexDecl {
    /// Defaults to MongoDB's generated name (`field_1_other_-1`).
    pub name: Option<String>,
    /// Fields in order: `1`, `-1`, `"text"`, `"2d"`, `"2dsphere"`, `"hashed"`.
    /// In TOML, quote dotted paths: `{ "billing.status" = 1 }`.
    pub keys: IndexMap<String, KeyValue>,
    pub unique: Option<bool>,
    pub sparse: Option<bool>,
    pub hidden: Option<bool>,
    #[serde(rename = "partialFilterExpression")]
    pub partial_filter_expression: Option<DocValue>,
    #[serde(rename = "expireAfterSeconds")]
    pub expire_after_seconds: Option<i64>,
    pub collation: Option<DocValue>,
    pub weights: Option<DocValue>,
    pub default_language: Option<String>,
    pub language_override: Option<String>,
    #[serde(rename = "wildcardProjection")]
    pub wildcard_projection: Option<DocValue>,
    pub bits: Option<i32>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// A key direction or index type.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    Number(f64),
    Kind(String),
}

impl<'de> Deserialize<'de> for KeyValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = KeyValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("1, -1, \"text\", \"2d\", \"2dsphere\" or \"hashed\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyValue, E> {
                Ok(KeyValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyValue, E> {
                Ok(KeyValue::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyValue, E> {
                Ok(KeyValue::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyValue, E> {
                Ok(KeyValue::Kind(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<KeyValue, A::Error> {
                Err(de::Error::custom(
                    "a key value must be 1, -1 or an index type, not a table; \
                     in TOML a dotted field path must be quoted: { \"a.b\" = 1 }",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for KeyValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "KeyValue".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "oneOf": [
                {"type": "integer", "enum": [1, -1]},
                {"type": "string", "enum": ["text", "2d", "2dsphere", "hashed"]}
            ]
        })
    }
}

/// A document-valued option: a mapping, or the same as an Extended JSON string
/// (TOML has no null, so `'{"deletedAt": null}'` is how TOML says it).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct DocValue(pub serde_json::Value);

impl JsonSchema for DocValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Document".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A document; values may use MongoDB Extended JSON. May also be given as an Extended JSON string.",
            "oneOf": [{"type": "object"}, {"type": "string"}]
        })
    }
}
