//! One index, whether a manifest declared it or the server reported it.

use bson::{doc, Bson, Document};

/// Index options a manifest may declare, as MongoDB names them.
pub const KNOWN_OPTIONS: &[&str] = &[
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
    "finestIndexedLevel",
    "coarsestIndexedLevel",
];

/// Fields the server adds by itself: never declared, compared or shown in diffs.
pub const SERVER_ASSIGNED: &[&str] = &[
    "v",
    "ns",
    "textIndexVersion",
    "2dsphereIndexVersion",
    "background",
];

/// The name of the index every collection has and `mig` never touches.
pub const ID_INDEX: &str = "_id_";

#[derive(Clone, Debug, PartialEq, Default)]
pub struct IndexSpec {
    pub name: String,
    /// The key pattern, in order. Values are kept as written or reported
    /// (`1`, `-1.0`, `"text"`); the comparison normalizes them.
    pub keys: Document,
    pub unique: bool,
    pub sparse: bool,
    pub hidden: bool,
    pub partial_filter_expression: Option<Document>,
    pub expire_after_seconds: Option<i64>,
    pub collation: Option<Document>,
    pub weights: Option<Document>,
    pub default_language: Option<String>,
    pub language_override: Option<String>,
    pub wildcard_projection: Option<Document>,
    pub bits: Option<i32>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// 2dsphere cell levels, as `listIndexes` reports them: an int (the server
    /// keeps what it was given, but reports it truncated and clamped to an int32).
    pub finest_level: Option<i32>,
    pub coarsest_level: Option<i32>,
    /// Everything else the server reports (`v`, `textIndexVersion`,
    /// `storageEngine`, `prepareUnique`, …): shown, never compared, never declared.
    pub other: Document,
    /// Declared only: this declaration as a dev server reported it after
    /// building it (`listIndexes` form). When present it is what the
    /// comparison looks at, so normalization is the server's own.
    pub server_form: Option<Box<IndexSpec>>,
    /// Declared only: the manifest gave the name (else it is the server's
    /// default). A declaration without one is satisfied by the same index
    /// under any name, which is kept rather than renamed.
    pub explicit_name: bool,
}

/// Why a server-reported index document could not be read into the model.
#[derive(Debug, thiserror::Error)]
#[error("index {name:?}: field {field:?} has an unexpected type ({found})")]
pub struct SpecError {
    pub name: String,
    pub field: String,
    pub found: String,
}

impl IndexSpec {
    /// MongoDB's default index name: `field_1_other_-1`.
    pub fn default_name(keys: &Document) -> String {
        keys.iter()
            .map(|(field, value)| format!("{field}_{}", key_value_for_name(value)))
            .collect::<Vec<_>>()
            .join("_")
    }

    pub fn is_id_index(&self) -> bool {
        self.name == ID_INDEX
    }

    /// The key of the `_id` index, by value (`{_id: 1.0}` is it too; `{_id: 2}`
    /// is an ordinary index). Declared under any name, it *is* `_id_`: the
    /// server answers "all indexes already exist" and keeps `_id_`.
    pub fn has_id_key(&self) -> bool {
        self.keys.len() == 1 && self.keys.get("_id").and_then(as_f64) == Some(1.0)
    }

    pub fn is_text(&self) -> bool {
        self.keys
            .iter()
            .any(|(k, v)| k == "_fts" || v.as_str() == Some("text"))
    }

    pub fn is_wildcard(&self) -> bool {
        self.keys.keys().any(|k| k == "$**" || k.ends_with(".$**"))
    }

    pub fn is_2d(&self) -> bool {
        self.keys.values().any(|v| v.as_str() == Some("2d"))
    }

    pub fn is_hashed(&self) -> bool {
        self.keys.values().any(|v| v.as_str() == Some("hashed"))
    }

    /// The index as `createIndexes` wants it: `{key, name, ...options}`.
    /// Options that are false or absent are left out, as the server would.
    pub fn to_document(&self) -> Document {
        let mut d = doc! { "key": self.keys.clone(), "name": &self.name };
        if self.unique {
            d.insert("unique", true);
        }
        if self.sparse {
            d.insert("sparse", true);
        }
        if self.hidden {
            d.insert("hidden", true);
        }
        if let Some(f) = &self.partial_filter_expression {
            d.insert("partialFilterExpression", f.clone());
        }
        if let Some(s) = self.expire_after_seconds {
            d.insert("expireAfterSeconds", ttl_bson(s));
        }
        if let Some(c) = &self.collation {
            d.insert("collation", c.clone());
        }
        if let Some(w) = &self.weights {
            d.insert("weights", w.clone());
        }
        if let Some(l) = &self.default_language {
            d.insert("default_language", l.as_str());
        }
        if let Some(l) = &self.language_override {
            d.insert("language_override", l.as_str());
        }
        if let Some(p) = &self.wildcard_projection {
            d.insert("wildcardProjection", p.clone());
        }
        if let Some(b) = self.bits {
            d.insert("bits", b);
        }
        if let Some(m) = self.min {
            d.insert("min", m);
        }
        if let Some(m) = self.max {
            d.insert("max", m);
        }
        if let Some(l) = self.finest_level {
            d.insert("finestIndexedLevel", l);
        }
        if let Some(l) = self.coarsest_level {
            d.insert("coarsestIndexedLevel", l);
        }
        for (k, v) in &self.other {
            d.insert(k.clone(), v.clone());
        }
        d
    }

    /// Reads one document of a `listIndexes` reply.
    pub fn from_server(reported: &Document) -> Result<Self, SpecError> {
        let name = reported.get_str("name").unwrap_or_default().to_string();
        let err = |field: &str, found: &Bson| SpecError {
            name: name.clone(),
            field: field.to_string(),
            found: format!("{:?}", found.element_type()),
        };
        let mut spec = IndexSpec {
            name: name.clone(),
            ..Default::default()
        };
        for (field, value) in reported {
            match field.as_str() {
                "name" => {}
                "key" => spec.keys = as_doc(value).ok_or_else(|| err(field, value))?,
                "unique" => spec.unique = truthy(value),
                "sparse" => spec.sparse = truthy(value),
                "hidden" => spec.hidden = truthy(value),
                "partialFilterExpression" => {
                    spec.partial_filter_expression =
                        Some(as_doc(value).ok_or_else(|| err(field, value))?)
                }
                "expireAfterSeconds" => {
                    spec.expire_after_seconds =
                        Some(as_i64(value).ok_or_else(|| err(field, value))?)
                }
                "collation" => {
                    spec.collation = Some(as_doc(value).ok_or_else(|| err(field, value))?)
                }
                "weights" => spec.weights = Some(as_doc(value).ok_or_else(|| err(field, value))?),
                "default_language" => {
                    spec.default_language =
                        Some(value.as_str().ok_or_else(|| err(field, value))?.into())
                }
                "language_override" => {
                    spec.language_override =
                        Some(value.as_str().ok_or_else(|| err(field, value))?.into())
                }
                "wildcardProjection" => {
                    spec.wildcard_projection = Some(as_doc(value).ok_or_else(|| err(field, value))?)
                }
                "bits" => {
                    spec.bits = Some(
                        as_i64(value)
                            .and_then(|b| i32::try_from(b).ok())
                            .ok_or_else(|| err(field, value))?,
                    )
                }
                "min" => spec.min = Some(as_f64(value).ok_or_else(|| err(field, value))?),
                "max" => spec.max = Some(as_f64(value).ok_or_else(|| err(field, value))?),
                "finestIndexedLevel" => {
                    spec.finest_level = Some(as_level(value).ok_or_else(|| err(field, value))?)
                }
                "coarsestIndexedLevel" => {
                    spec.coarsest_level = Some(as_level(value).ok_or_else(|| err(field, value))?)
                }
                _ => {
                    spec.other.insert(field.clone(), value.clone());
                }
            }
        }
        Ok(spec)
    }
}

/// TTL values go to the server as int32 where they fit, as the shell sends them.
fn ttl_bson(seconds: i64) -> Bson {
    i32::try_from(seconds)
        .map(Bson::Int32)
        .unwrap_or(Bson::Int64(seconds))
}

fn key_value_for_name(value: &Bson) -> String {
    match value {
        Bson::String(s) => s.clone(),
        Bson::Int32(i) => i.to_string(),
        Bson::Int64(i) => i.to_string(),
        Bson::Double(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Bson::Double(f) => f.to_string(),
        other => other.to_string(),
    }
}

fn as_doc(v: &Bson) -> Option<Document> {
    v.as_document().cloned()
}

pub(crate) fn as_i64(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(*i as i64),
        Bson::Int64(i) => Some(*i),
        Bson::Double(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

/// A 2dsphere level the way `listIndexes` reports one (IDL `safeInt`):
/// truncated toward zero, clamped to an int32, NaN as 0 (mongod 6.0.5).
pub(crate) fn as_level(v: &Bson) -> Option<i32> {
    as_f64(v).map(|n| n as i32)
}

pub(crate) fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(*i as f64),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(f) => Some(*f),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

/// How the server reads a boolean (`BSONElement::trueValue`): numbers count,
/// null and undefined are false, anything else is true.
pub(crate) fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        Bson::Null | Bson::Undefined => false,
        other => as_f64(other).is_none_or(|n| n != 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_follows_mongodb() {
        assert_eq!(
            IndexSpec::default_name(&doc! {"conversationId": 1, "timestamp": -1}),
            "conversationId_1_timestamp_-1"
        );
        assert_eq!(
            IndexSpec::default_name(&doc! {"title": "text", "loc": "2dsphere"}),
            "title_text_loc_2dsphere"
        );
        assert_eq!(IndexSpec::default_name(&doc! {"a": 1.0}), "a_1");
    }

    #[test]
    fn server_document_round_trips_through_the_model() {
        let reported = doc! {
            "v": 2, "key": {"a": 1, "b": -1}, "name": "a_1_b_-1", "unique": true,
            "partialFilterExpression": {"deletedAt": null},
            "collation": {"locale": "en", "strength": 2},
            "storageEngine": {"wiredTiger": {}},
        };
        let spec = IndexSpec::from_server(&reported).unwrap();
        assert!(spec.unique && !spec.sparse);
        assert_eq!(
            spec.other,
            doc! {"v": 2, "storageEngine": {"wiredTiger": {}}}
        );
        let mut shown = spec.to_document();
        assert_eq!(shown.remove("v"), Some(Bson::Int32(2)));
        let mut expected = reported.clone();
        expected.remove("v");
        assert_eq!(shown, expected);
    }

    #[test]
    fn server_fields_of_the_wrong_type_are_reported() {
        let e =
            IndexSpec::from_server(&doc! {"key": {"a": 1}, "name": "x", "weights": 3}).unwrap_err();
        assert_eq!(e.field, "weights");
    }
}
