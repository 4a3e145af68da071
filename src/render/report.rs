//! A run's report and `mig status` as JSON documents, as written to stdout
//! (their text forms are [`super::text::report`] and [`super::text::status`]).

use crate::migrate::Migration;
use crate::run::{Report, TargetReport};

/// `plan`, `apply`, `sync-indexes`, `down` with `--format json`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(&super::json::report(report)).unwrap_or_default() + "\n"
}

/// `mig status --format json`.
pub fn status_json(reports: &[TargetReport], all: &[Migration]) -> String {
    serde_json::to_string_pretty(&super::json::status(reports, all)).unwrap_or_default() + "\n"
}
