//! The one model of indexes and collections, shared by what the manifests
//! declare and what the server reports, the one comparison between them, and
//! MongoDB's naming rules ([`names`]).

pub mod collation;
pub mod collection;
pub mod compare;
pub mod declared_form;
pub mod filter;
pub mod index;
pub mod names;
pub mod release;
pub mod value;

use bson::Document;
use serde::{Deserialize, Serialize};

pub use index::IndexSpec;

/// Which kind of database a manifest or a target is about.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Public,
    Tenant,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Public => "public",
            Scope::Tenant => "tenant",
        })
    }
}

/// A collection and its indexes: declared (from manifests) or live (from a server).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Collection {
    pub name: String,
    pub indexes: Vec<IndexSpec>,
    /// Live only: whether the collection exists on the server.
    pub exists: bool,
    /// Declared only: retire undeclared indexes even without `--prune` (`drop: staged`).
    pub drop_undeclared: bool,
    /// Declared only: patterns of index names that are never pruned (`unmanaged`).
    pub protected: Vec<String>,
    /// The collection's own options, in `create`'s form (see [`collection`]).
    /// Declared: the options the manifests name, `None` when they name none
    /// (the collection is then managed for its indexes only). Live: what
    /// `listCollections` reports, when the collection exists.
    pub options: Option<Document>,
}

impl Collection {
    fn kind(&self) -> Option<collection::Kind> {
        self.options.as_ref().map(collection::Kind::of)
    }

    /// A view (declared with `viewOn`, or reported as one).
    pub fn is_view(&self) -> bool {
        self.kind() == Some(collection::Kind::View)
    }

    /// A time-series collection, whose internal indexes are never touched.
    pub fn is_timeseries(&self) -> bool {
        self.kind() == Some(collection::Kind::TimeSeries)
    }

    /// Live: the collection's default collation, which its indexes inherit.
    pub fn default_collation(&self) -> Option<&Document> {
        self.options
            .as_ref()
            .and_then(|o| o.get_document("collation").ok())
    }
}

/// An undeclared index `mig` hid on the way to dropping it, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Retiring {
    pub collection: String,
    pub index: String,
    pub hidden_at: bson::DateTime,
}

/// The live state of the collections `mig` manages in one database.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DatabaseState {
    pub name: String,
    pub collections: Vec<Collection>,
    /// Indexes being retired (from the database's `mig.state`).
    pub retiring: Vec<Retiring>,
}

impl DatabaseState {
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.name == name)
    }
}
