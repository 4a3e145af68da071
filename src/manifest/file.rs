//! The manifest file format, as written in YAML or TOML. These types are the
//! source of `schema/manifest.schema.json`; `manifest::load` turns them into
//! the shared model.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::{self, IgnoredAny};
use serde::{Deserialize, Serialize};

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

/// `public`, `tenant`, or a list of them.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum ScopeDecl {
    One(Scope),
    Many(Vec<Scope>),
}

impl<'de> Deserialize<'de> for ScopeDecl {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "public, tenant, or a list of them ([public, tenant])";
        fn one<E: de::Error>(s: &str) -> Result<Scope, E> {
            match s {
                "public" => Ok(Scope::Public),
                "tenant" => Ok(Scope::Tenant),
                other => Err(E::custom(format!(
                    "unknown scope {other:?}: expected {EXPECTED}"
                ))),
            }
        }
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = ScopeDecl;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScopeDecl, E> {
                one(v).map(ScopeDecl::One)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ScopeDecl, A::Error> {
                let mut all = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    all.push(one(&s)?);
                }
                if all.is_empty() {
                    return Err(de::Error::custom(format!(
                        "an empty list: expected {EXPECTED}"
                    )));
                }
                Ok(ScopeDecl::Many(all))
            }
        }
        d.deserialize_any(V)
    }
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

/// A collection: its indexes and, optionally, its own options, under
/// MongoDB's names as `create` takes them. Options it doesn't name are left
/// as they are; with none, the collection is managed for its indexes only.
/// With `viewOn` it is a view: a pipeline over another collection, no indexes.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CollectionDecl {
    pub name: String,
    #[serde(default)]
    pub indexes: Vec<IndexDecl>,
    /// Documents must match it: `{ $jsonSchema: {...} }` or a query document.
    /// Changed in place; a new or stricter one is checked against the
    /// documents already there first.
    pub validator: Option<DocValue>,
    /// `strict` (default: every insert and update), `moderate` (updates of
    /// documents that already match) or `off`.
    #[serde(rename = "validationLevel")]
    pub validation_level: Option<ValidationLevel>,
    /// `error` (default: refuse the write) or `warn` (log it).
    #[serde(rename = "validationAction")]
    pub validation_action: Option<ValidationAction>,
    /// The default collation, inherited by every index and query. Fixed at creation.
    pub collation: Option<DocValue>,
    /// A capped collection (with `size`). Fixed at creation.
    pub capped: Option<bool>,
    /// Capped: the maximum size in bytes (rounded up to a multiple of 256).
    /// Changed in place (6.0+).
    pub size: Option<Number>,
    /// Capped: the maximum number of documents. Changed in place (6.0+).
    pub max: Option<Number>,
    /// A time-series collection. Its fields are fixed at creation; its
    /// granularity only grows, in place.
    pub timeseries: Option<TimeseriesDecl>,
    /// Time-series or clustered: documents older than this many seconds are
    /// deleted; `"off"` turns it off. Changed in place.
    #[serde(rename = "expireAfterSeconds")]
    pub expire_after_seconds: Option<Expiry>,
    /// A clustered collection: `{ key: { _id: 1 }, unique: true }` and an
    /// optional `name`. Fixed at creation.
    #[serde(rename = "clusteredIndex")]
    pub clustered_index: Option<DocValue>,
    /// `{ enabled: true }`: change streams can see documents before and
    /// after each change. Changed in place.
    #[serde(rename = "changeStreamPreAndPostImages")]
    pub change_stream_pre_and_post_images: Option<PreImagesDecl>,
    /// A view: the collection (or view) it reads. Changed in place, with `pipeline`.
    #[serde(rename = "viewOn")]
    pub view_on: Option<String>,
    /// A view's aggregation pipeline: a list of stages (or the same as an
    /// Extended JSON string). `$out`, `$merge` and `$changeStream` are refused.
    pub pipeline: Option<PipelineValue>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// One index. Option names are MongoDB's own, as in `createIndex`. Values are
/// read as leniently as the server reads them (`unique: 1`, a float TTL);
/// `manifest::validate` then applies the server's rules and normalizes.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IndexDecl {
    /// Defaults to MongoDB's generated name (`field_1_other_-1`).
    pub name: Option<String>,
    /// Fields in order: a non-zero number (`1`, `-1`), or `"text"`, `"2d"`,
    /// `"2dsphere"`, `"hashed"`. In TOML, quote dotted paths: `{ "billing.status" = 1 }`.
    pub keys: IndexMap<String, KeyValue>,
    pub unique: Option<Flag>,
    pub sparse: Option<Flag>,
    pub hidden: Option<bool>,
    #[serde(rename = "partialFilterExpression")]
    pub partial_filter_expression: Option<DocValue>,
    /// Seconds, 0 to 2147483647; a fraction is truncated, as the server does.
    #[serde(rename = "expireAfterSeconds")]
    pub expire_after_seconds: Option<Number>,
    pub collation: Option<DocValue>,
    pub weights: Option<DocValue>,
    pub default_language: Option<String>,
    pub language_override: Option<String>,
    #[serde(rename = "wildcardProjection")]
    pub wildcard_projection: Option<DocValue>,
    pub bits: Option<Number>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Accepted and ignored: index builds don't block since MongoDB 4.2.
    pub background: Option<Flag>,
    /// The 2dsphere index version (1, 2 or 3; the server's default is 3).
    #[serde(rename = "2dsphereIndexVersion")]
    pub sphere_version: Option<Number>,
    /// The text index version (1, 2 or 3; the server's default is 3).
    #[serde(rename = "textIndexVersion")]
    pub text_version: Option<Number>,
    /// 2dsphere: the finest S2 cell level indexed, a whole number from 0 to
    /// 30, not below `coarsestIndexedLevel` (the server's default is 16, or 14
    /// with `2dsphereIndexVersion` 1 or 2).
    #[serde(rename = "finestIndexedLevel")]
    pub finest_level: Option<Number>,
    /// 2dsphere: the coarsest S2 cell level indexed, a whole number from 0 to
    /// 30, not above `finestIndexedLevel` (the server's default is 2, or 7
    /// with `2dsphereIndexVersion` 1 or 2).
    #[serde(rename = "coarsestIndexedLevel")]
    pub coarsest_level: Option<Number>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// A number as written: integers stay integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// An unsigned integer as written: an integer where it fits.
    fn from_u64(v: u64) -> Number {
        i64::try_from(v).map_or(Number::Float(v as f64), Number::Int)
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number::from_u64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Number {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Number".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "number"})
    }
}

/// A boolean option as the server reads it: `true`/`false`, or a number
/// (non-zero is true).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flag {
    Bool(bool),
    Number(Number),
}

impl Flag {
    pub fn value(self) -> bool {
        match self {
            Flag::Bool(b) => b,
            Flag::Number(n) => n.as_f64() != 0.0,
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
                Ok(Flag::Number(Number::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
                Ok(Flag::Number(Number::from_u64(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Flag, E> {
                Ok(Flag::Number(Number::Float(v)))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Flag {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Flag".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "true or false (a number is read as the server reads it: non-zero is true)",
            "type": ["boolean", "number"]
        })
    }
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
                f.write_str(
                    "a non-zero number (1, -1) or \"text\", \"2d\", \"2dsphere\", \"hashed\"",
                )
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
                    "a key value must be a number (1, -1) or an index type, not a table; \
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
                {"type": "number", "not": {"const": 0}},
                {"type": "string", "enum": ["text", "2d", "2dsphere", "hashed"]}
            ]
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValidationLevel {
    Off,
    Strict,
    Moderate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValidationAction {
    Error,
    Warn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Seconds,
    Minutes,
    Hours,
}

/// `timeseries`, as `create` takes it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeseriesDecl {
    /// The field holding each measurement's date. Required.
    #[serde(rename = "timeField")]
    pub time_field: String,
    /// The field naming the series (the sensor, the tenant's device).
    #[serde(rename = "metaField")]
    pub meta_field: Option<String>,
    /// `seconds` (default), `minutes` or `hours`.
    pub granularity: Option<Granularity>,
    /// MongoDB 6.3+ (with `bucketRoundingSeconds`, instead of `granularity`).
    #[serde(rename = "bucketMaxSpanSeconds")]
    pub bucket_max_span_seconds: Option<Number>,
    /// MongoDB 6.3+ (with `bucketMaxSpanSeconds`).
    #[serde(rename = "bucketRoundingSeconds")]
    pub bucket_rounding_seconds: Option<Number>,
}

/// `changeStreamPreAndPostImages`, as `create` and `collMod` take it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreImagesDecl {
    pub enabled: bool,
}

/// A collection TTL: seconds, or `"off"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expiry {
    Seconds(Number),
    Off,
}

impl<'de> Deserialize<'de> for Expiry {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Expiry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of seconds, or \"off\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Expiry, E> {
                Ok(Expiry::Seconds(Number::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Expiry, E> {
                Ok(Expiry::Seconds(Number::from_u64(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Expiry, E> {
                Ok(Expiry::Seconds(Number::Float(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expiry, E> {
                match v {
                    "off" => Ok(Expiry::Off),
                    other => Err(E::custom(format!(
                        "{other:?}: expected a number of seconds, or \"off\""
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Expiry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expiry".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "oneOf": [{"type": "number", "minimum": 0}, {"const": "off"}]
        })
    }
}

/// A list of documents (a view's pipeline), or the same as an Extended JSON string.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct PipelineValue(pub serde_json::Value);

impl JsonSchema for PipelineValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Pipeline".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Aggregation stages, in order; values may use MongoDB Extended JSON. May also be given as an Extended JSON string.",
            "oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "string"}]
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
