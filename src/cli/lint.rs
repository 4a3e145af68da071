//! `mig lint`: advice on the declared indexes, offline; with `--live`, on
//! the fleet too (unused indexes, TTL fields that hold no dates). It only
//! reads: no lock is taken and nothing is written to any database.

use std::collections::BTreeMap;

use clap::Args;
use futures::stream::{self, StreamExt};
use mongodb::Client;

use crate::config::Settings;
use crate::lint::{self, Findings, IndexUse, LiveReadings, ReadingKey};
use crate::manifest::Manifests;
use crate::render;
use crate::render::lint::Unread;
use crate::server::errors::ReadError;
use crate::server::observe;
use crate::targets::Target;

use super::failure::{Failure, Outcome, Success};
use super::flags::ReadFlags;
use super::{output, Global, OutputFormat};

pub const EXAMPLES: &str = "Examples:
  mig lint                               the declarations, offline: redundant, duplicate, too many…
  mig lint --live                        also the fleet: unused indexes, TTL fields that hold no dates
  mig lint --live --tenants-only --format json";

/// `mig lint`'s arguments.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Also read the target databases (read-only): `$indexStats` for
    /// unused-index, a `$sample` of each TTL field for ttl-not-date.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub flags: ReadFlags,
}

/// `mig lint`: exit 1 when a rule set to `error` fires.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    args: &LintArgs,
) -> Outcome {
    let mut findings = lint::declarations(manifests, &settings.lint);
    let mut unread = Vec::new();
    if args.live {
        let (readings, failed) = read_fleet(global, settings, manifests).await?;
        findings.extend(lint::live(manifests, &readings, &settings.lint).list);
        unread = failed;
    }
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            render::json::document(&render::lint::json(&findings, args.live, &unread))
        }
        OutputFormat::Text => {
            render::lint::text(&findings, args.live, &unread, output::style(global))
        }
        OutputFormat::Markdown => render::lint::markdown(&findings, args.live, &unread),
    });
    outcome(&findings)
}

/// Exit 1 when an error-level rule fired; `plan` ends the same way.
pub fn outcome(findings: &Findings) -> Outcome {
    match findings.errors() {
        0 => Ok(Success::Done),
        n => Err(Failure::LintErrors(n)),
    }
}

/// Reads every target, cluster by cluster (one server: the one): index
/// usage of every declared collection, and a sample of each TTL index's
/// field. A database that can't be read (its cluster unusable, or the
/// routing refused it) is reported and the others go on.
async fn read_fleet(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
) -> Result<(LiveReadings, Vec<Unread>), Failure> {
    let fleet = crate::run::open(settings, &global.selection(), None)
        .await
        .map_err(Failure::from)?;
    let mut readings = LiveReadings {
        now: Some(bson::DateTime::now()),
        ..Default::default()
    };
    let mut unread: Vec<Unread> = fleet
        .refused
        .iter()
        .map(|r| Unread {
            database: r.target.database.clone(),
            error: r.error().map(ToString::to_string).unwrap_or_default(),
        })
        .collect();
    for cluster in fleet.reachable() {
        let client = match cluster.conn {
            Ok((client, _)) => client,
            Err(why) => {
                unread.extend(cluster.targets.iter().map(|t| Unread {
                    database: t.database.clone(),
                    error: why.to_string(),
                }));
                continue;
            }
        };
        let per_target: Vec<_> = stream::iter(cluster.targets)
            .map(|t| read_target(client, cluster.settings, manifests, t))
            .buffered(cluster.settings.concurrency.max(1))
            .collect()
            .await;
        for (target, read) in cluster.targets.iter().zip(per_target) {
            match read {
                Ok(r) => {
                    for (key, used) in r.usage {
                        readings.usage.entry(key).or_default().push(used);
                    }
                    for (key, types) in r.ttl_types {
                        readings
                            .ttl_types
                            .entry(key)
                            .or_default()
                            .push((target.database.clone(), types));
                    }
                }
                Err(e) => unread.push(Unread {
                    database: target.database.clone(),
                    error: e.to_string(),
                }),
            }
        }
    }
    Ok((readings, unread))
}

/// What one database says about the declared indexes of its scope.
#[derive(Default)]
struct TargetReadings {
    usage: Vec<(ReadingKey, IndexUse)>,
    ttl_types: Vec<(ReadingKey, BTreeMap<String, u64>)>,
}

async fn read_target(
    client: &Client,
    settings: &Settings,
    manifests: &Manifests,
    target: &Target,
) -> Result<TargetReadings, ReadError> {
    let db = client.database(&target.database);
    let timeout = settings.socket_timeout;
    let mut out = TargetReadings::default();
    for collection in manifests.for_scope(target.scope) {
        let key = |index: &str| ReadingKey {
            scope: target.scope,
            collection: collection.name.clone(),
            index: index.to_string(),
        };
        for stat in observe::index_stats(&db, &collection.name, timeout).await? {
            if collection.indexes.iter().any(|i| i.name == stat.name) {
                out.usage.push((
                    key(&stat.name),
                    IndexUse {
                        database: target.database.clone(),
                        ops: stat.ops,
                        since: stat.since,
                    },
                ));
            }
        }
        for ttl in collection
            .indexes
            .iter()
            .filter(|i| i.expire_after_seconds.is_some())
        {
            let Some(field) = ttl.keys.keys().next() else {
                continue;
            };
            let types = observe::field_types(
                &db,
                &collection.name,
                field,
                settings.lint.ttl_sample,
                timeout,
            )
            .await?;
            // An empty collection says nothing either way.
            if !types.is_empty() {
                out.ttl_types.push((key(&ttl.name), types));
            }
        }
    }
    Ok(out)
}
