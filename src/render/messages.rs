//! One-line results: `mig unlock`, `mig new` and `mig schema`.

use std::path::Path;

use crate::server::bookkeeping::lock::Holder;

/// `mig unlock`: the database had no lock.
pub fn not_locked(database: &str) -> String {
    format!("{database}: not locked\n")
}

/// `mig unlock --force`: the lock removed, and whose it was.
pub fn unlocked(database: &str, holder: &Holder) -> String {
    format!("{database}: removed the {holder}\n")
}

/// `mig new`: the file created.
pub fn created(path: &Path) -> String {
    format!("{}\n", path.display())
}

/// `mig new`: the schema its modeline names is not there yet.
pub fn no_schema(path: &Path) -> String {
    format!(
        "note: editors check this file against {}, which does not exist yet: run `mig schema` in the project folder to write it\n",
        path.display()
    )
}
