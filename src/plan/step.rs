//! A step: one server command, why it stands where it does, and what the
//! executor does if the server refuses it. The vocabulary the planner
//! ([`super::steps`]) writes and the executor, saved plans, the journal and
//! JSON read.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::IndexSpec;

/// One server command.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub collection: String,
    pub command: Command,
    /// The changes it serves (positions in the plan's changes).
    pub serves: Vec<usize>,
    /// Other changes that must not have failed for it to run.
    pub requires: Vec<usize>,
    /// Why it is at this place.
    pub why: Why,
}

/// What the executor does where the server refuses a step: decided by the
/// planner, with the step, and shown with it (the executor applies it, never
/// chooses). Named the same in JSON (`if_refused`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IfRefused {
    /// The step fails, and so do the changes it serves.
    Fail,
    /// A batch refused together: each index is then built on its own, so
    /// one bad index doesn't hold back the rest.
    EachOnItsOwn,
    /// A drop of an index that is already gone (IndexNotFound): the drop's
    /// goal is reached, so it counts as done.
    GoneIsDone,
}

impl IfRefused {
    pub const ALL: [IfRefused; 3] = [
        IfRefused::Fail,
        IfRefused::EachOnItsOwn,
        IfRefused::GoneIsDone,
    ];

    /// In words, after a step's place in the plan; none for a plain failure.
    pub fn explain(self) -> Option<&'static str> {
        match self {
            IfRefused::Fail => None,
            IfRefused::EachOnItsOwn => Some("refused together, each is built on its own"),
            IfRefused::GoneIsDone => Some("already gone counts as done"),
        }
    }
}

impl Step {
    /// What is done where the server refuses it: a batch of builds is
    /// retried one index at a time, a drop of an index already gone is done.
    pub fn if_refused(&self) -> IfRefused {
        match &self.command {
            Command::CreateIndexes { indexes, .. } if indexes.len() > 1 => IfRefused::EachOnItsOwn,
            Command::DropIndex { .. } => IfRefused::GoneIsDone,
            _ => IfRefused::Fail,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `collMod` of one index option.
    CollMod { index: String, set: IndexMod },
    /// One `createIndexes`: each index with the change it serves (if the
    /// server refuses the batch: [`Step::if_refused`]).
    CreateIndexes {
        indexes: Vec<(usize, IndexSpec)>,
        /// The collection does not exist yet; if it appears with the build
        /// when this is false, someone dropped it meanwhile: an error.
        new_collection: bool,
    },
    /// `dropIndexes` of one index (already gone: [`Step::if_refused`]).
    DropIndex {
        index: String,
        /// The index was hidden on its way out: forget when it was hidden.
        forget_retiring: bool,
    },
    /// `collMod` hidden, and the time it was hidden recorded for the later drop.
    Hide { index: String },
    /// A data migration, run once and recorded in the database's changelog.
    Migration { id: String },
    /// After the migrations: the database read and planned again. The index
    /// steps after it run only if that plan is the one shown; otherwise the
    /// database stops here, with the new plan.
    Reread,
    /// `create` with the collection's (or view's) options.
    CreateCollection { options: bson::Document },
    /// `collMod` of the collection's (or view's) own options.
    ModifyCollection { set: bson::Document },
}

/// What one `collMod` sets on an index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IndexMod {
    ExpireAfterSeconds(i64),
    Hidden(bool),
    /// New duplicates are refused from here on (the first half of a unique conversion).
    PrepareUnique,
    /// The index is checked and converted (the second half).
    Unique,
}

/// Why a step is where it is: a stable name, the same in saved plans, the
/// journal and JSON (`why`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    InPlace,
    GapDrop,
    Build,
    SwapDrop,
    SwapBuild,
    TwinDrop,
    Retire,
    Migration,
    Reread,
    Collection,
    View,
}

impl Why {
    pub const ALL: [Why; 11] = [
        Why::InPlace,
        Why::GapDrop,
        Why::Build,
        Why::SwapDrop,
        Why::SwapBuild,
        Why::TwinDrop,
        Why::Retire,
        Why::Migration,
        Why::Reread,
        Why::Collection,
        Why::View,
    ];

    /// In words, for the plan.
    pub fn explain(self) -> &'static str {
        match self {
            Why::InPlace => "in place, before any index is built or dropped",
            Why::GapDrop => "old and new can't coexist: the old goes first",
            Why::Build => "one scan builds every new index",
            Why::SwapDrop => "the twin covers meanwhile",
            Why::SwapBuild => "the final form, the twin still covering",
            Why::TwinDrop => "the final form stands",
            Why::Retire => "last, once every build stands",
            Why::Migration => "data migrations first, in id order, each once",
            Why::Reread => "the steps below run only if the database, read again, plans the same",
            Why::Collection => "collections first, with their options",
            Why::View => "views after the collections they read",
        }
    }
}

impl IndexMod {
    /// The `collMod` `index` document's option.
    pub fn option(self) -> (&'static str, bson::Bson) {
        match self {
            IndexMod::ExpireAfterSeconds(s) => ("expireAfterSeconds", s.into()),
            IndexMod::Hidden(h) => ("hidden", h.into()),
            IndexMod::PrepareUnique => ("prepareUnique", true.into()),
            IndexMod::Unique => ("unique", true.into()),
        }
    }
}

/// What a step runs, by name: the same in saved plans (`command`), the
/// journal (`step`) and JSON (`command`), except that JSON names the command
/// sent: a hide there is a `collMod` (its `action` says `hide`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CommandName {
    /// `collMod` of an index option, or (no index) of a collection's own options.
    #[serde(rename = "collMod")]
    CollMod,
    /// `collMod` hidden, recorded for the later drop: the first stage of a drop.
    #[serde(rename = "hide")]
    Hide,
    #[serde(rename = "createIndexes")]
    CreateIndexes,
    #[serde(rename = "dropIndexes")]
    DropIndexes,
    /// A data migration (its id in `index`).
    #[serde(rename = "migration")]
    Migration,
    /// The database read and planned again after its migrations.
    #[serde(rename = "reread")]
    Reread,
    /// `create` of a collection or view, with its options.
    #[serde(rename = "create")]
    Create,
}

impl CommandName {
    pub const ALL: [CommandName; 7] = [
        CommandName::CollMod,
        CommandName::Hide,
        CommandName::CreateIndexes,
        CommandName::DropIndexes,
        CommandName::Migration,
        CommandName::Reread,
        CommandName::Create,
    ];

    /// The command sent to the server: a hide is a `collMod`.
    pub fn sent(self) -> CommandName {
        match self {
            CommandName::Hide => CommandName::CollMod,
            other => other,
        }
    }
}

impl Command {
    /// Its name (a hide's own: [`CommandName::sent`] gives the server's).
    pub fn name(&self) -> CommandName {
        match self {
            Command::CollMod { .. } | Command::ModifyCollection { .. } => CommandName::CollMod,
            Command::Hide { .. } => CommandName::Hide,
            Command::CreateIndexes { .. } => CommandName::CreateIndexes,
            Command::DropIndex { .. } => CommandName::DropIndexes,
            Command::Migration { .. } => CommandName::Migration,
            Command::Reread => CommandName::Reread,
            Command::CreateCollection { .. } => CommandName::Create,
        }
    }

    /// The indexes it is about, by name.
    pub fn indexes(&self) -> Vec<&str> {
        match self {
            Command::CollMod { index, .. }
            | Command::DropIndex { index, .. }
            | Command::Hide { index } => vec![index],
            Command::CreateIndexes { indexes, .. } => {
                indexes.iter().map(|(_, s)| s.name.as_str()).collect()
            }
            Command::Migration { .. }
            | Command::Reread
            | Command::CreateCollection { .. }
            | Command::ModifyCollection { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
