//! `mig history DATABASE`: what `mig` did in a database, newest first: every
//! step the journal recorded, and every data migration in its changelog.

use bson::{doc, Document};
use clap::Args;

use crate::config::Settings;
use crate::migrate::api::Changelog;
use crate::model::names::closest;
use crate::render;
use crate::server::{bookkeeping::journal, MIG_COLLECTION};
use crate::targets::Unmatched;

use super::failure::{Failure, Outcome, Success};
use super::flags::{ClusterFlag, ConnectionFlags};
use super::{output, Global, OutputFormat};

/// `mig history`'s arguments.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The database: the public one or a tenant's.
    #[arg(value_name = "DATABASE")]
    pub database: String,
    /// Show at most this many entries, newest first.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: i64,
    #[command(flatten)]
    pub connection: ConnectionFlags,
    #[command(flatten)]
    pub cluster: ClusterFlag,
}

pub const EXAMPLES: &str = "Examples:
  mig history chat_public                 the newest 50 steps and migrations
  mig history tenant_acme --limit 10
  mig history tenant_acme --format json
  mig history tenant_acme --cluster eu    with [clusters]: the cluster it is on";

/// `mig history`: reads only the server; fails for a database `mig` never touched.
pub async fn run(global: &Global, settings: &Settings, args: &HistoryArgs) -> Outcome {
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::from)?;
    let db = client.database(&args.database);
    let collections = db
        .list_collection_names()
        .await
        .map_err(|e| Failure::from(crate::server::errors::ReadError::server(&e)))?;
    if !collections
        .iter()
        .any(|c| c == MIG_COLLECTION || *c == settings.changelog)
    {
        // A typo, most likely: name the databases closest to it.
        let names = client.list_database_names().await.unwrap_or_default();
        let exists = names.contains(&args.database);
        let others = names
            .iter()
            .map(String::as_str)
            .filter(|n| *n != args.database);
        let near = closest(&args.database, others)
            .into_iter()
            .map(String::from);
        return Err(Failure::from(Unmatched {
            flag: "mig history",
            looked: if exists {
                "mig never ran in this database (it has no `mig` collection and no changelog)"
            } else {
                "no such database"
            },
            misses: vec![(args.database.clone(), near.collect())],
        }));
    }
    let mut entries = journal::history(&db, args.limit)
        .await
        .map_err(Failure::from)?;
    let changelog = Changelog::read(&db, &settings.changelog)
        .await
        .map_err(Failure::from)?;
    entries.extend(changelog.into_entries().into_iter().map(|e| {
        let mut d = doc! {
            "kind": "migration",
            "id": e.id,
            "outcome": e.state.as_str(),
            "batch": e.batch,
        };
        if let Some(at) = e.applied_at {
            d.insert("startedAt", at);
        }
        if let Some(ms) = e.duration_ms {
            d.insert("durationMs", ms);
        }
        if let Some(error) = e.error {
            d.insert("error", error);
        }
        d
    }));
    // Newest first, the journal and the changelog together.
    let time = |d: &Document| d.get_datetime("startedAt").ok().copied();
    entries.sort_by_key(|d| std::cmp::Reverse(time(d)));
    entries.truncate(usize::try_from(args.limit).unwrap_or(0));
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => render::history::json(&entries),
        OutputFormat::Text | OutputFormat::Markdown => {
            render::history::text(&args.database, &entries)
        }
    });
    Ok(Success::Done)
}
