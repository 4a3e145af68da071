//! `mig`'s own records in each database's `mig` collection, kept apart from
//! reading the live indexes (`inspect` only reads): the lease a run holds
//! (`lock.rs`), the journal of the steps it ran (`journal.rs`), and the
//! indexes it is retiring (`state.rs`).

pub mod journal;
pub mod lock;
pub mod state;
