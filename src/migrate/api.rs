//! What the rest of `mig` uses to run migrations in a database: read its
//! [`Changelog`], decide what it needs ([`Changelog::pending`],
//! [`Changelog::to_revert`]), and run one migration up or down with a
//! [`Runner`] fenced by the run's lock.

use mongodb::Database;

pub use super::error::MigrationError;
pub use super::file::{MigrationFile, MigrationScope};
pub use super::load::{load_dir, load_sources, valid_id, Loaded};
pub use super::pending::{Entry, Options, Pending, State};
pub use super::runner::Runner;
pub use super::template::template;
pub use super::Migration;
use crate::model::Scope;

/// A database's changelog, as read once at the start of its run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changelog {
    entries: Vec<Entry>,
}

impl Changelog {
    /// Reads the changelog `collection` of `db`.
    pub async fn read(db: &Database, collection: &str) -> Result<Changelog, MigrationError> {
        Ok(Changelog {
            entries: super::runner::read_changelog(db, collection).await?,
        })
    }

    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }

    /// The entry of migration `id`, if it ever ran here.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The migrations of `scope` this database needs, in id order.
    pub fn pending<'m>(
        &self,
        migrations: &'m [Migration],
        scope: Scope,
        options: &Options,
    ) -> Pending<'m> {
        super::pending::pending(migrations, scope, &self.entries, options)
    }

    /// What `mig down` reverts here, newest first: the last batch, or every
    /// applied one after `to`; refused before anything runs when one of them
    /// has no `down` steps or no file.
    pub fn to_revert<'m>(
        &self,
        migrations: &'m [Migration],
        to: Option<&str>,
    ) -> Result<Vec<&'m Migration>, MigrationError> {
        super::pending::to_revert(migrations, &self.entries, to)
    }

    /// The batch number of a new run: one more than the highest recorded.
    pub fn next_batch(&self) -> i64 {
        super::runner::next_batch(&self.entries)
    }
}
