//! `mig`: MongoDB indexes and data migrations as code.
//!
//! The flow is inspect → compare → plan → steps → execute → render, each piece
//! behind a small interface (`ARCHITECTURE.md` is the map):
//! - [`model`]: one model of an index and a collection, and the one comparison;
//! - [`manifest`] reads the declared model from files, [`server::inspect`] reads
//!   the live one from a database;
//! - [`plan`] turns declared + live into changes and the ordered steps that
//!   carry them out (pure);
//! - [`server::execute`] runs the steps, [`render`] prints the plan and outcome;
//! - [`run`] drives that over the fleet that [`targets`] resolves, and
//!   [`cli`] is the command line around it.

pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod lint;
pub mod manifest;
pub mod migrate;
pub mod model;
pub mod plan;
pub mod progress;
pub mod pull;
pub mod redact;
pub mod render;
pub mod run;
pub mod schema;
pub mod server;
pub mod signals;
pub mod targets;
