//! Changes and steps in their saved form, and back: index specs and
//! option values as canonical Extended JSON, each field read back checked.

use bson::{Bson, Document};
use serde::{Deserialize, Serialize};

use crate::model::collection::{OptionChange, COMPARED};
use crate::model::compare::Modification;
use crate::model::IndexSpec;
use crate::plan::{Change, ChangeKind, Command, CommandName, IndexMod, Step, Why};

/// The names `Change::differences` uses, to read them back.
const FIELDS: &[&str] = &[
    "key",
    "name",
    "unique",
    "sparse",
    "partialFilterExpression",
    "collation",
    "wildcardProjection",
    "weights",
    "default_language",
    "language_override",
    "bits",
    "min",
    "max",
    "finestIndexedLevel",
    "coarsestIndexedLevel",
    "expireAfterSeconds",
    "hidden",
];
/// A [`Change`]: `kind` says which of the fields mean something.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedChange {
    pub kind: ChangeKind,
    pub collection: String,
    pub desired: Option<serde_json::Value>,
    pub live: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_collection: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gap: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A collection change: the options that differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<SavedOption>,
    /// A collection change to a view.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub view: bool,
}

/// An [`OptionChange`]: values as canonical Extended JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedOption {
    pub option: String,
    pub declared: Option<serde_json::Value>,
    pub live: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never: Option<String>,
}

/// A [`Step`]: `command` says which of the fields mean something.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedStep {
    pub collection: String,
    /// `create` is of a collection or view (its options in `set`); a
    /// `collMod` without an index changes the collection's own options.
    pub command: CommandName,
    /// The index (the migration's id, for a `migration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// `collMod`: the option set, `{"expireAfterSeconds": 60}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<serde_json::Value>,
    /// `createIndexes`: each index with the change it serves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<(usize, serde_json::Value)>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_collection: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forget_retiring: bool,
    pub serves: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<usize>,
    pub why: Why,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(String);

impl From<String> for Malformed {
    fn from(what: String) -> Malformed {
        Malformed(what)
    }
}

impl From<&str> for Malformed {
    fn from(what: &str) -> Malformed {
        Malformed(what.to_string())
    }
}

fn spec_json(spec: &IndexSpec) -> serde_json::Value {
    Bson::Document(spec.to_document()).into_canonical_extjson()
}

fn spec_from(value: &serde_json::Value) -> Result<IndexSpec, Malformed> {
    let doc = Document::try_from(
        value
            .as_object()
            .cloned()
            .ok_or("an index spec must be a document")?,
    )
    .map_err(|e| format!("invalid index spec: {e}"))?;
    IndexSpec::from_server(&doc).map_err(|e| Malformed(e.to_string()))
}

fn doc_json(d: &Document) -> serde_json::Value {
    Bson::Document(d.clone()).into_canonical_extjson()
}

fn doc_from(value: &serde_json::Value, what: &str) -> Result<Document, Malformed> {
    match Bson::try_from(value.clone()) {
        Ok(Bson::Document(d)) => Ok(d),
        _ => Err(Malformed(format!("{what} must be a document"))),
    }
}

fn saved_option(o: &OptionChange) -> SavedOption {
    let json = |v: &Option<Bson>| v.clone().map(Bson::into_canonical_extjson);
    SavedOption {
        option: o.option.to_string(),
        declared: json(&o.declared),
        live: json(&o.live),
        never: o.never.clone(),
    }
}

fn option_from(o: &SavedOption) -> Result<OptionChange, Malformed> {
    let value = |v: &Option<serde_json::Value>| {
        v.clone()
            .map(Bson::try_from)
            .transpose()
            .map_err(|e| Malformed(format!("option {}: {e}", o.option)))
    };
    Ok(OptionChange {
        option: COMPARED
            .iter()
            .find(|c| **c == o.option)
            .ok_or_else(|| Malformed(format!("unknown collection option {:?}", o.option)))?,
        declared: value(&o.declared)?,
        live: value(&o.live)?,
        never: o.never.clone(),
    })
}

fn saved_collection_change(c: &Change) -> Option<SavedChange> {
    let (desired, view) = match c {
        Change::CreateCollection { options, .. } => (Some(options), false),
        Change::ModifyCollection { set, view, .. } => (Some(set), *view),
        Change::Unchangeable { .. } => (None, false),
        _ => return None,
    };
    Some(SavedChange {
        kind: c.kind(),
        collection: c.collection().to_string(),
        desired: desired.map(doc_json),
        live: None,
        expire_after_seconds: None,
        hidden: None,
        unique: false,
        differences: Vec::new(),
        new_collection: false,
        gap: false,
        note: None,
        options: c.option_changes().iter().map(saved_option).collect(),
        view,
    })
}

pub(super) fn saved_change(c: &Change) -> SavedChange {
    if let Some(saved) = saved_collection_change(c) {
        return saved;
    }
    let set = match c {
        Change::Modify { set, .. } => Some(set),
        _ => None,
    };
    SavedChange {
        kind: c.kind(),
        collection: c.collection().to_string(),
        desired: c.desired().map(spec_json),
        live: c.live().map(spec_json),
        expire_after_seconds: set.and_then(|m| m.expire_after_seconds),
        hidden: set.and_then(|m| m.hidden),
        unique: set.is_some_and(|m| m.unique),
        differences: match c {
            Change::Modify { differences, .. }
            | Change::Replace { differences, .. }
            | Change::Rename { differences, .. } => {
                differences.iter().map(|d| d.to_string()).collect()
            }
            _ => Vec::new(),
        },
        new_collection: c.new_collection(),
        gap: matches!(c, Change::Replace { gap: true, .. }),
        note: c.note().or(c.refused()).map(str::to_string),
        options: Vec::new(),
        view: false,
    }
}

pub(super) fn change_from(c: &SavedChange) -> Result<Change, Malformed> {
    let spec = |v: &Option<serde_json::Value>, what: &str| {
        v.as_ref()
            .ok_or_else(|| Malformed(format!("a {} change without its {what} index", c.kind)))
            .and_then(spec_from)
    };
    let collection = c.collection.clone();
    let differences = || {
        c.differences
            .iter()
            .filter_map(|d| FIELDS.iter().find(|f| **f == d.as_str()).copied())
            .collect()
    };
    let options = || {
        c.options
            .iter()
            .map(option_from)
            .collect::<Result<Vec<_>, _>>()
    };
    let document = |what: &str| {
        c.desired
            .as_ref()
            .ok_or_else(|| Malformed(format!("a {} change without its {what}", c.kind)))
            .and_then(|v| doc_from(v, what))
    };
    Ok(match c.kind {
        ChangeKind::CreateCollection => Change::CreateCollection {
            collection,
            options: document("options")?,
        },
        ChangeKind::ModifyCollection => Change::ModifyCollection {
            collection,
            changes: options()?,
            set: document("collMod")?,
            view: c.view,
        },
        ChangeKind::Unchangeable => Change::Unchangeable {
            collection,
            changes: options()?,
        },
        ChangeKind::Create => Change::Create {
            collection,
            index: spec(&c.desired, "desired")?,
            new_collection: c.new_collection,
        },
        ChangeKind::Modify => Change::Modify {
            collection,
            from: spec(&c.live, "live")?,
            to: spec(&c.desired, "desired")?,
            set: Modification {
                expire_after_seconds: c.expire_after_seconds,
                hidden: c.hidden,
                unique: c.unique,
            },
            differences: differences(),
        },
        ChangeKind::Replace => Change::Replace {
            collection,
            from: spec(&c.live, "live")?,
            to: spec(&c.desired, "desired")?,
            differences: differences(),
            gap: c.gap,
            note: c.note.clone(),
        },
        ChangeKind::Rename => Change::Rename {
            collection,
            from: spec(&c.live, "live")?,
            to: spec(&c.desired, "desired")?,
            // Saved before renames listed their differences: the name alone.
            differences: match differences() {
                d if d.is_empty() => vec!["name"],
                d => d,
            },
        },
        ChangeKind::Conflict => Change::Conflict {
            collection,
            index: spec(&c.desired, "desired")?,
            live: spec(&c.live, "live")?,
            why: c.note.clone().unwrap_or_default(),
        },
        ChangeKind::Hide => Change::Hide {
            collection,
            index: spec(&c.live, "live")?,
            note: c.note.clone().unwrap_or_default(),
        },
        ChangeKind::Drop => Change::Drop {
            collection,
            index: spec(&c.live, "live")?,
            note: c.note.clone(),
        },
    })
}

pub(super) fn saved_step(s: &Step) -> SavedStep {
    let mut out = SavedStep {
        collection: s.collection.clone(),
        command: s.command.name(),
        index: None,
        set: None,
        indexes: Vec::new(),
        new_collection: false,
        forget_retiring: false,
        serves: s.serves.clone(),
        requires: s.requires.clone(),
        why: s.why,
    };
    match &s.command {
        Command::CollMod { index, set } => {
            let (option, value) = set.option();
            out.index = Some(index.clone());
            out.set = Some(serde_json::json!({ option: value.into_relaxed_extjson() }));
        }
        Command::Hide { index } => out.index = Some(index.clone()),
        Command::DropIndex {
            index,
            forget_retiring,
        } => {
            out.index = Some(index.clone());
            out.forget_retiring = *forget_retiring;
        }
        Command::CreateIndexes {
            indexes,
            new_collection,
        } => {
            out.indexes = indexes.iter().map(|(i, s)| (*i, spec_json(s))).collect();
            out.new_collection = *new_collection;
        }
        Command::Migration { id } => out.index = Some(id.clone()),
        Command::Reread => {}
        Command::CreateCollection { options } => out.set = Some(doc_json(options)),
        Command::ModifyCollection { set } => out.set = Some(doc_json(set)),
    }
    out
}

pub(super) fn step_from(s: &SavedStep, changes: usize) -> Result<Step, Malformed> {
    let index = || {
        s.index
            .clone()
            .ok_or_else(|| format!("a {} step without its index", s.command))
    };
    let document = || {
        s.set
            .as_ref()
            .ok_or_else(|| Malformed(format!("a {} step without its options", s.command)))
            .and_then(|v| doc_from(v, "its options"))
    };
    let command = match s.command {
        CommandName::Create => Command::CreateCollection {
            options: document()?,
        },
        CommandName::CollMod if s.index.is_none() => Command::ModifyCollection { set: document()? },
        CommandName::CollMod => {
            let set = s.set.as_ref().and_then(|v| v.as_object());
            let option = set.and_then(|o| o.iter().next());
            let set = match option.map(|(k, v)| (k.as_str(), v)) {
                Some(("expireAfterSeconds", v)) => {
                    IndexMod::ExpireAfterSeconds(v.as_i64().ok_or("expireAfterSeconds: a number")?)
                }
                Some(("hidden", v)) => {
                    IndexMod::Hidden(v.as_bool().ok_or("hidden: true or false")?)
                }
                Some(("prepareUnique", _)) => IndexMod::PrepareUnique,
                Some(("unique", _)) => IndexMod::Unique,
                _ => {
                    return Err(Malformed::from(format!(
                        "a collMod step with an unknown option: {:?}",
                        s.set
                    )))
                }
            };
            Command::CollMod {
                index: index()?,
                set,
            }
        }
        CommandName::Hide => Command::Hide { index: index()? },
        CommandName::Migration => Command::Migration { id: index()? },
        CommandName::Reread => Command::Reread,
        CommandName::DropIndexes => Command::DropIndex {
            index: index()?,
            forget_retiring: s.forget_retiring,
        },
        CommandName::CreateIndexes => Command::CreateIndexes {
            indexes: s
                .indexes
                .iter()
                .map(|(i, v)| Ok((*i, spec_from(v)?)))
                .collect::<Result<_, Malformed>>()?,
            new_collection: s.new_collection,
        },
    };
    let refs = s
        .serves
        .iter()
        .chain(&s.requires)
        .chain(s.indexes.iter().map(|(i, _)| i));
    if let Some(bad) = refs.into_iter().find(|i| **i >= changes) {
        return Err(Malformed::from(format!(
            "a step refers to change {bad}, of {changes}"
        )));
    }
    Ok(Step {
        collection: s.collection.clone(),
        command,
        serves: s.serves.clone(),
        requires: s.requires.clone(),
        why: s.why,
    })
}
