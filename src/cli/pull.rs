//! `mig pull`: the live indexes of the public database and the consensus of
//! the tenant databases, written as manifests. Reads only; never writes to a
//! database, and never overwrites a file unless told (`--force`).

use std::path::{Path, PathBuf};

use clap::Args;
use similar::TextDiff;

use crate::config::Settings;
use crate::model::{DatabaseState, Scope};
use crate::pull::write::{self, Syntax};
use crate::pull::{self, File, FileStatus, Pulled, Summary, Threshold};
use crate::render;
use crate::run;
use crate::server::inspect;
use crate::server::MIG_COLLECTION;
use crate::targets::Unmatched;

use super::failure::{Failure, NothingToPull, Outcome, Success, WouldOverwrite};
use super::flags::TargetFlags;
use super::{output, Global, OutputFormat};

pub const EXAMPLES: &str = "Examples:
  mig pull                               manifests/public.yaml and manifests/tenant.yaml from the live databases
  mig pull --as toml --split             one TOML file per collection: manifests/tenant/messages.toml, …
  mig pull --threshold 0.9 --collection messages --out /tmp/pulled
  mig pull --force                       replace the files pulled before (shows the diff otherwise)";

/// `mig pull`'s arguments.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// Declare a tenant index when the same name and spec is on at least this
    /// share of the tenant databases: more than 0, at most 1 (1: only what all have).
    #[arg(long, value_name = "SHARE", default_value_t = 0.5)]
    pub threshold: f64,
    /// The manifests' syntax (`--format` is the report's: text or json).
    #[arg(long = "as", value_name = "SYNTAX", value_enum, default_value_t = Syntax::Yaml)]
    pub syntax: Syntax,
    /// Where to write (default: the manifests directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// One file per collection (DIR/tenant/messages.yaml) instead of one per scope (DIR/tenant.yaml).
    #[arg(long)]
    pub split: bool,
    /// Overwrite files that exist (without it, they are left as they are and the diff is shown).
    #[arg(long)]
    pub force: bool,
    /// Only this live collection (repeatable).
    #[arg(long = "collection", value_name = "NAME")]
    pub collections: Vec<String>,
    /// Databases read at once when the catalog can't be read in one go (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub flags: TargetFlags,
}

/// What `mig init` passes on: the defaults of `mig pull`.
pub struct PullOptions {
    pub threshold: f64,
    pub syntax: Syntax,
    pub out: Option<PathBuf>,
    pub split: bool,
    pub force: bool,
    pub collections: Vec<String>,
}

impl From<&PullArgs> for PullOptions {
    fn from(a: &PullArgs) -> Self {
        PullOptions {
            threshold: a.threshold,
            syntax: a.syntax,
            out: a.out.clone(),
            split: a.split,
            force: a.force,
            collections: a.collections.clone(),
        }
    }
}

/// `mig pull`: pulls, prints the report, and fails when a file was not
/// written or a database could not be read.
pub async fn run(global: &Global, settings: &Settings, options: &PullOptions) -> Outcome {
    let summary = pull(global, settings, options).await?;
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            render::json::document(&render::model::value(&render::pull::json(&summary)))
        }
        OutputFormat::Text | OutputFormat::Markdown => render::pull::text(&summary),
    });
    outcome(&summary)
}

/// Whether a pull did all it was asked: every file written, every database read.
pub fn outcome(summary: &Summary) -> Outcome {
    let refused: Vec<PathBuf> = summary
        .files
        .iter()
        .filter(|f| matches!(f.status, FileStatus::Refused { .. }))
        .map(|f| f.path.clone())
        .collect();
    if !refused.is_empty() {
        return Err(Failure::from(WouldOverwrite(refused)));
    }
    if !summary.failed.is_empty() {
        return Err(Failure::Reported);
    }
    Ok(Success::Done)
}

/// Reads the live indexes, works out the declarations, and writes the files
/// (none of them when one exists and differs, unless `force`).
pub async fn pull(
    global: &Global,
    settings: &Settings,
    options: &PullOptions,
) -> Result<Summary, Failure> {
    let threshold = Threshold::new(options.threshold).map_err(Failure::from)?;
    let fleet = run::open(settings, &global.selection(), None)
        .await
        .map_err(Failure::from)?;
    let targets: usize = fleet.reachable().map(|c| c.targets.len()).sum();
    if targets == 0 && settings.public_database.is_none() {
        return Err(Failure::from(NothingToPull));
    }
    // `mig`'s own collections are never declared.
    let skip = [MIG_COLLECTION.to_string(), settings.changelog.clone()];
    let mut summary = Summary {
        threshold: threshold.share(),
        ..Default::default()
    };
    for refused in &fleet.refused {
        let why = refused.error().map(ToString::to_string).unwrap_or_default();
        summary.failed.push((refused.target.database.clone(), why));
    }
    let (mut public, mut tenants) = (Vec::new(), Vec::new());
    // Cluster by cluster (one server: the one), each read as a whole; the
    // consensus is over every tenant of the fleet.
    for cluster in fleet.reachable() {
        let (client, server) = match cluster.conn {
            Ok(conn) => conn,
            Err(why) => {
                for t in cluster.targets {
                    summary.failed.push((t.database.clone(), why.to_string()));
                }
                continue;
            }
        };
        let databases: Vec<String> = cluster.targets.iter().map(|t| t.database.clone()).collect();
        let reads = inspect::read_everything(
            client,
            server.read_path,
            &databases,
            &skip,
            cluster.settings.concurrency,
            cluster.settings.socket_timeout,
        )
        .await;
        for (target, read) in cluster.targets.iter().zip(reads) {
            match read {
                Err(e) => summary
                    .failed
                    .push((target.database.clone(), e.to_string())),
                Ok(state) if state.collections.is_empty() => {
                    summary.empty.push(target.database.clone())
                }
                Ok(state) if target.scope == Scope::Public => {
                    summary.public = Some(target.database.clone());
                    public.push(state);
                }
                Ok(state) => tenants.push(state),
            }
        }
    }
    check_collections(&public, &tenants, &options.collections)?;
    for (scope, states) in [(Scope::Public, &public), (Scope::Tenant, &tenants)] {
        if states.is_empty() {
            continue;
        }
        let mut pulled = pull::consensus(scope, states, threshold);
        if !options.collections.is_empty() {
            pulled
                .collections
                .retain(|c| options.collections.contains(&c.name));
        }
        summary.scopes.push(pulled);
    }
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| settings.manifests.clone());
    // The modelines point at the project's schema folder, wherever the files go.
    let project = match &settings.config {
        Some(config) => config.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => std::env::current_dir().unwrap_or_default(),
    };
    let schema = project.join("schema").join("manifest.schema.json");
    let planned = files(&summary, &out, &schema, options);
    summary.files = settle(&planned, options.force)?;
    let refused = summary
        .files
        .iter()
        .any(|f| matches!(f.status, FileStatus::Refused { .. }));
    if !refused {
        for (path, text) in &planned {
            write_file(path, text)?;
        }
        if !planned.is_empty() && !schema.exists() {
            output::stderr(&crate::render::messages::no_schema(&schema));
        }
    }
    Ok(summary)
}

/// `--collection` names a collection some database read has.
fn check_collections(
    public: &[DatabaseState],
    tenants: &[DatabaseState],
    wanted: &[String],
) -> Result<(), Failure> {
    let known = public
        .iter()
        .chain(tenants)
        .flat_map(|d| d.collections.iter().map(|c| c.name.as_str()));
    Unmatched::check(
        "--collection",
        "no database read has this collection; nothing was written",
        wanted,
        known,
    )
    .map_err(Failure::from)
}

/// Each file to write and its text: one per scope, or per collection with `--split`.
fn files(
    summary: &Summary,
    out: &Path,
    schema: &Path,
    options: &PullOptions,
) -> Vec<(PathBuf, String)> {
    let ext = options.syntax.extension();
    let source = |p: &Pulled| match p.scope {
        Scope::Public => format!(
            "the public database {}",
            summary.public.as_deref().unwrap_or("?")
        ),
        Scope::Tenant => "the tenant databases".to_string(),
    };
    let mut planned = Vec::new();
    for pulled in summary.scopes.iter().filter(|p| !p.collections.is_empty()) {
        let about = write::about(pulled, &source(pulled), summary.threshold);
        if options.split {
            for c in &pulled.collections {
                let path = out
                    .join(pulled.scope.to_string())
                    .join(format!("{}.{ext}", c.name));
                let modeline = relative(&path, schema);
                let text = write::manifest(pulled, &[c], options.syntax, &modeline, &about);
                planned.push((path, text));
            }
        } else {
            let all: Vec<_> = pulled.collections.iter().collect();
            let path = out.join(format!("{}.{ext}", pulled.scope));
            let modeline = relative(&path, schema);
            let text = write::manifest(pulled, &all, options.syntax, &modeline, &about);
            planned.push((path, text));
        }
    }
    planned
}

/// `target` as a path relative to the folder of `file` (`../schema/…`),
/// with `/` whatever the platform: what a modeline in `file` names.
fn relative(file: &Path, target: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let from = absolute(file.parent().unwrap_or(Path::new(".")));
    let to = absolute(target);
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// What becomes of each file: created, unchanged, overwritten (`force`), or
/// refused with the diff of what would change.
fn settle(planned: &[(PathBuf, String)], force: bool) -> Result<Vec<File>, Failure> {
    planned
        .iter()
        .map(|(path, text)| {
            let status = match std::fs::read_to_string(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileStatus::Created,
                Err(source) => {
                    return Err(Failure::File {
                        path: path.clone(),
                        source,
                    })
                }
                Ok(old) if old == *text => FileStatus::Unchanged,
                Ok(_) if force => FileStatus::Overwritten,
                Ok(old) => FileStatus::Refused {
                    diff: TextDiff::from_lines(&old, text)
                        .unified_diff()
                        .header(&path.display().to_string(), "pulled")
                        .to_string(),
                },
            };
            Ok(File {
                path: path.clone(),
                status,
            })
        })
        .collect()
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let failed = |source| Failure::File {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}

#[cfg(test)]
#[path = "pull_tests.rs"]
mod tests;
