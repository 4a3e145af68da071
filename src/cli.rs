//! The command line: flags, commands, output streams and exit codes.
//! The plan goes to stdout; logs, progress and errors to stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::config::{self, Overrides, Settings};
use crate::diagnostics::Problem;
use crate::manifest::{self, Manifests};
use crate::migrate::{self, file::MigrationScope};
use crate::plan::saved::{self, SavedPlan, SavedTarget};
use crate::plan::PlanOptions;
use crate::progress::Progress;
use crate::redact::scrub;
use crate::render::{json as render_json, text as render_text};
use crate::run::{self, Context, Migrations, OnError, Report, RunOptions};
use crate::server::{dev, inspect};
use crate::server::{journal, lock, lock::LockOptions};
use crate::targets::Selection;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
/// `mig plan --detailed-exitcode`: changes are pending.
pub const EXIT_CHANGES: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "mig",
    version,
    about = "MongoDB indexes and data migrations as code, for a public database plus one database per tenant"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Project file (default: ./mig.toml if present).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// MongoDB connection string (default: $MONGODB_URI, then mig.toml, then mongodb://localhost:27017).
    #[arg(long, global = true, value_name = "URI", hide_env_values = true)]
    pub uri: Option<String>,
    /// A throw-away MongoDB of production's version: `validate` builds every
    /// declared index there; `plan`/`apply`/`sync-indexes` compare in its form
    /// (default: $MIG_DEV_URI, then mig.toml's `dev_uri`; none: offline).
    #[arg(long = "dev-uri", global = true, value_name = "URI")]
    pub dev_uri: Option<String>,
    /// The public database (default: $MONGODB_PUBLIC_DATABASE, then mig.toml).
    #[arg(long = "public-db", global = true, value_name = "NAME")]
    pub public_db: Option<String>,
    /// The manifests directory (default: mig.toml's `manifests`, then ./manifests).
    #[arg(long, global = true, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
    /// The migrations directory (default: mig.toml's `migrations`, then ./migrations).
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// No colours (also: NO_COLOR).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Only the public database.
    #[arg(long, global = true, conflicts_with_all = ["tenants_only", "tenant"])]
    pub public_only: bool,
    /// Only tenant databases.
    #[arg(long, global = true)]
    pub tenants_only: bool,
    /// Only this tenant database (repeatable).
    #[arg(long = "tenant", global = true, value_name = "NAME")]
    pub tenant: Vec<String>,
    /// Only this collection (repeatable).
    #[arg(long = "collection", global = true, value_name = "NAME")]
    pub collection: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what differs between the manifests and the live databases.
    Plan {
        #[command(flatten)]
        run: RunArgs,
        /// Exit 0 when nothing is pending, 2 when changes are, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Also write the exact plan to FILE, for `mig apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Apply the index plan to every target database.
    SyncIndexes(ApplyArgs),
    /// Apply everything pending: data migrations, then the index sync.
    Apply {
        #[command(flatten)]
        args: ApplyArgs,
        #[command(flatten)]
        migrate: MigrateArgs,
    },
    /// Create a migration file from a template.
    New {
        /// Lowercase letters, digits and `_`: `backfill_status`.
        name: String,
        #[arg(long, value_enum, default_value_t = MigrationScope::Tenant)]
        scope: MigrationScope,
        /// Write TOML instead of YAML.
        #[arg(long)]
        toml: bool,
    },
    /// Per database: each migration applied, pending or failed, and whether the index sync is clean.
    Status {
        #[arg(long, value_name = "N")]
        concurrency: Option<usize>,
    },
    /// Revert the last batch of migrations (or back to, not including, --to) in every target.
    Down {
        /// Revert every migration applied after this id.
        #[arg(long, value_name = "ID")]
        to: Option<String>,
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        lock_wait: Option<Duration>,
        #[arg(long, value_name = "N")]
        concurrency: Option<usize>,
    },
    /// What the manifests declare, and which databases tenant discovery finds.
    List,
    /// Check mig.toml and the manifests offline.
    Validate,
    /// The journal of a database: every step `mig` ran there, newest first.
    History {
        database: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Remove a database's lock, whoever holds it (after a crashed run, if
    /// you can't wait for its lease to lapse).
    Unlock {
        database: String,
        /// Required: this can let two runs write at once if the holder is alive.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Retire live indexes the manifests don't declare (never `_id_`): hide
    /// them now, drop them on a run after --drop-after.
    #[arg(long)]
    pub prune: bool,
    /// With --prune: drop at once instead of hiding first.
    #[arg(long)]
    pub drop_now: bool,
    /// How long a retired index stays hidden before it is dropped.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub drop_after: Duration,
    /// Databases worked on at once (default: mig.toml's `concurrency`, then 4).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Stop after this migration.
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Run although an applied migration's file changed since.
    #[arg(long)]
    pub allow_changed: bool,
    /// Run a failed migration again.
    #[arg(long)]
    pub retry_failed: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `mig plan --out`: apply exactly it, to the databases
    /// whose live indexes are still as they were when it was made.
    #[arg(value_name = "PLAN")]
    pub saved: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the plan and change nothing (also: MIGRATION_DRY_RUN=true).
    #[arg(long)]
    pub dry_run: bool,
    /// Wait this long for a database locked by another run (default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lock_wait: Option<Duration>,
    /// How long a lock lasts unless renewed; a killed run's lock is free after it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub lock_lease: Duration,
    /// After a database fails: go on with the others, or start no more.
    #[arg(long, value_enum, default_value_t = OnError::Continue)]
    pub on_error: OnError,
    /// Apply to the public database and N tenants first; stop if any of them fails.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub canary: usize,
    /// `commitQuorum` for index builds: votingMembers, majority, a number or a tag.
    #[arg(long, value_name = "QUORUM")]
    pub commit_quorum: Option<String>,
}

/// Parses the command line and runs it; returns the exit code.
pub async fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    if let Err(e) = load_dotenv() {
        eprintln!("error: {e}");
        return EXIT_ERROR;
    }
    let concurrency = match &cli.command {
        Command::Plan { run, .. } => run.concurrency,
        Command::SyncIndexes(a) | Command::Apply { args: a, .. } => a.run.concurrency,
        Command::Status { concurrency } | Command::Down { concurrency, .. } => *concurrency,
        _ => None,
    };
    let overrides = Overrides {
        config: cli.global.config.clone(),
        uri: cli.global.uri.clone(),
        public_db: cli.global.public_db.clone(),
        manifests: cli.global.manifests.clone(),
        migrations: cli.global.migrations.clone(),
        concurrency,
        dev_uri: cli.global.dev_uri.clone(),
    };
    let settings = config::resolve(&overrides, &|k| std::env::var(k).ok());
    init_logging(
        &cli.global,
        settings.as_ref().ok().and_then(|s| s.log_level.as_deref()),
    );
    let settings = match settings {
        Ok(s) => s,
        Err(problems) => return report_problems(&cli.global, &problems),
    };
    crate::redact::register(&settings.uri);
    if let Some(dev_uri) = &settings.dev_uri {
        crate::redact::register(dev_uri);
    }
    // These read only the server.
    match &cli.command {
        Command::History { database, limit } => {
            return history(&cli.global, &settings, database, *limit).await
        }
        Command::Unlock { database, force } => return unlock(&settings, database, *force).await,
        Command::New { name, scope, toml } => return new_migration(&settings, name, *scope, *toml),
        _ => {}
    }
    // Every problem of every file, manifests and migrations, in one report.
    let (manifests, migrations) = match (
        manifest::load_dir(&settings.manifests),
        migrate::load_dir(&settings.migrations),
    ) {
        (Ok(mut m), Ok(list)) => {
            m.retain_collections(&cli.global.collection);
            // JSON carries them in its document; text shows them here, once.
            if cli.global.format == OutputFormat::Text {
                for w in &m.warnings {
                    eprintln!("warning: {}", scrub(&w.to_string()));
                }
            }
            (m, list)
        }
        (m, list) => {
            let mut problems = m.err().unwrap_or_default();
            problems.extend(list.err().unwrap_or_default());
            return report_problems(&cli.global, &problems);
        }
    };
    let mut migrations = Migrations {
        list: migrations,
        ..Default::default()
    };
    if let Command::Apply { migrate, .. } = &cli.command {
        if let Some(to) = &migrate.to {
            if !migrations.list.iter().any(|m| &m.id == to) {
                return fail(&format!(
                    "--to {to}: no such migration in {}",
                    settings.migrations.display()
                ));
            }
        }
        migrations.to = migrate.to.clone();
        migrations.allow_changed = migrate.allow_changed;
        migrations.retry_failed = migrate.retry_failed;
    }
    match cli.command {
        Command::Validate => validate(&cli.global, &settings, &manifests, &migrations).await,
        Command::List => list(&cli.global, &settings, &manifests, &migrations).await,
        Command::New { .. } => unreachable!("handled above"),
        Command::Status { .. } => status(&cli.global, &settings, &manifests, &migrations).await,
        Command::Down {
            ref to, lock_wait, ..
        } => {
            down(
                &cli.global,
                &settings,
                &manifests,
                &migrations,
                to.as_deref(),
                lock_wait,
            )
            .await
        }
        Command::History { database, limit } => {
            history(&cli.global, &settings, &database, limit).await
        }
        Command::Unlock { database, force } => unlock(&settings, &database, force).await,
        Command::Plan {
            run,
            detailed_exitcode,
            out,
        } => {
            let code = plan_or_apply(
                &cli.global,
                &settings,
                &manifests,
                Some(&migrations),
                &run,
                None,
            )
            .await;
            if let (Ok(report), Some(path)) = (&code, &out) {
                if let Err(e) = save_plan(report, path) {
                    return fail(&e);
                }
            }
            match code {
                Ok(report) if detailed_exitcode && report.has_changes() => EXIT_CHANGES,
                Ok(_) => EXIT_OK,
                Err(code) => code,
            }
        }
        Command::SyncIndexes(ref args) | Command::Apply { ref args, .. } => {
            let (name, migrations) = match cli.command {
                Command::Apply { .. } => ("apply", Some(&migrations)),
                _ => ("sync-indexes", None),
            };
            let apply = (!(args.dry_run || settings.dry_run)).then_some(args);
            match plan_or_apply(
                &cli.global,
                &settings,
                &manifests,
                migrations,
                &args.run,
                apply.map(|a| (a, name)),
            )
            .await
            {
                Ok(_) => EXIT_OK,
                Err(code) => code,
            }
        }
    }
}

/// Plans (and applies) over every target; prints the report. `Err` carries
/// the exit code of a failure.
async fn plan_or_apply(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    args: &RunArgs,
    apply: Option<(&ApplyArgs, &str)>,
) -> Result<Report, i32> {
    let client = crate::server::connect(settings)
        .await
        .map_err(|e| fail(&e.to_string()))?;
    let server = inspect::server_info(&client)
        .await
        .map_err(|e| fail(&e.to_string()))?;
    let saved = match apply.and_then(|(a, _)| a.saved.as_deref()) {
        Some(path) => Some(SavedPlan::read(path).map_err(|e| fail(&e))?),
        None => None,
    };
    // With a dev server, the declarations are compared in its form; nothing
    // is read or written in production if it is unusable or refuses one. (A
    // saved plan is applied as it is: nothing is compared.)
    let normalized;
    let manifests = match (&settings.dev_uri, &saved) {
        (Some(dev_uri), None) => match dev::for_run(dev_uri, settings, &server, manifests).await {
            Ok(Ok(m)) => {
                normalized = m;
                &normalized
            }
            Ok(Err(problems)) => return Err(report_problems(global, &problems)),
            Err(e) => return Err(fail(&e.to_string())),
        },
        _ => manifests,
    };
    // A saved plan names its databases; otherwise discovery does.
    let (targets, rejected) = match &saved {
        Some(s) => (
            s.targets
                .iter()
                .map(|t| crate::targets::Target {
                    database: t.database.clone(),
                    scope: t.scope,
                })
                .collect(),
            Vec::new(),
        ),
        None => run::resolve_targets(&client, settings, &selection(global))
            .await
            .map_err(|e| fail(&e))?,
    };
    tracing::info!(
        databases = targets.len(),
        apply = apply.is_some(),
        "starting"
    );
    let options = RunOptions {
        plan: PlanOptions {
            prune: args.prune,
            drop_now: args.drop_now,
            drop_after: args.drop_after,
            now: bson::DateTime::now(),
            unique_conversion: server.unique_conversion(),
        },
        apply: apply.map(|(a, name)| LockOptions {
            lease: a.lock_lease.max(Duration::from_secs(1)),
            wait: a.lock_wait,
            command: format!("mig {name}"),
            run_id: bson::oid::ObjectId::new().to_hex(),
        }),
        on_error: apply.map(|(a, _)| a.on_error).unwrap_or_default(),
        canary: apply.map(|(a, _)| a.canary).unwrap_or(0),
        commit_quorum: apply
            .and_then(|(a, _)| a.commit_quorum.as_deref())
            .map(commit_quorum),
    };
    let progress = Progress::new(targets.len(), std::io::stderr().is_terminal(), global.quiet);
    let ctx = Context {
        client: &client,
        settings,
        manifests,
        server: &server,
        progress: Some(&progress),
        migrations,
    };
    let reports = match &saved {
        Some(saved) => run::apply_saved(&ctx, saved, &options).await,
        None => run::run(&ctx, targets, &options).await,
    };
    progress.finish();
    let report = Report {
        targets: reports,
        rejected,
        applied: options.apply.is_some(),
        read_path: Some(server.read_path),
        warnings: manifests.warnings.clone(),
    };
    print_report(global, &report);
    if report.failed() {
        Err(EXIT_ERROR)
    } else {
        Ok(report)
    }
}

fn save_plan(report: &Report, path: &std::path::Path) -> Result<(), String> {
    let saved = SavedPlan {
        format: saved::FORMAT,
        mig_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: bson::DateTime::now()
            .try_to_rfc3339_string()
            .unwrap_or_default(),
        targets: report
            .targets
            .iter()
            .filter_map(|t| {
                let (collections, fingerprint) = t.read.clone()?;
                Some(SavedTarget::new(t.plan.as_ref()?, collections, fingerprint))
            })
            .collect(),
    };
    let text = scrub(&serde_json::to_string_pretty(&saved).map_err(|e| e.to_string())?);
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    tracing::info!("plan saved to {}", path.display());
    Ok(())
}

/// `majority`, `votingMembers` and tags are strings; a number is a number.
fn commit_quorum(value: &str) -> bson::Bson {
    value
        .parse::<i32>()
        .map(bson::Bson::Int32)
        .unwrap_or_else(|_| bson::Bson::String(value.to_string()))
}

async fn history(global: &Global, settings: &Settings, database: &str, limit: i64) -> i32 {
    let client = match crate::server::connect(settings).await {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let entries = match journal::history(&client.database(database), limit).await {
        Ok(e) => e,
        Err(e) => return fail(&e.to_string()),
    };
    match global.format {
        OutputFormat::Json => {
            let items: Vec<serde_json::Value> = entries
                .into_iter()
                .map(|d| bson::Bson::Document(d).into_relaxed_extjson())
                .collect();
            println!(
                "{}",
                scrub(&serde_json::to_string_pretty(&items).unwrap_or_default())
            );
        }
        OutputFormat::Text => {
            if entries.is_empty() {
                println!("{database}: no journal entries");
            }
            for e in entries {
                let time = e
                    .get_datetime("startedAt")
                    .ok()
                    .and_then(|t| t.try_to_rfc3339_string().ok())
                    .unwrap_or_default();
                let took = match (e.get_datetime("startedAt"), e.get_datetime("endedAt")) {
                    (Ok(a), Ok(b)) => format!("{} ms", b.timestamp_millis() - a.timestamp_millis()),
                    _ => "-".into(),
                };
                let error = e
                    .get_str("error")
                    .map(|m| format!("  {m}"))
                    .unwrap_or_default();
                println!(
                    "{time}  {:<7} {:<14} {}.{}  {took}  ({}, run {}){error}",
                    e.get_str("outcome").unwrap_or("?"),
                    e.get_str("step").unwrap_or("?"),
                    e.get_str("collection").unwrap_or("?"),
                    e.get_str("index").unwrap_or("?"),
                    e.get_str("command").unwrap_or("?"),
                    e.get_str("run").unwrap_or("?"),
                );
            }
        }
    }
    EXIT_OK
}

async fn unlock(settings: &Settings, database: &str, force: bool) -> i32 {
    let client = match crate::server::connect(settings).await {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let db = client.database(database);
    if !force {
        return match lock::holder(&db).await {
            Some(h) => fail(&format!(
                "{database}: {h}; run `mig unlock {database} --force` to remove it"
            )),
            None => {
                println!("{database}: not locked");
                EXIT_OK
            }
        };
    }
    match lock::force_unlock(&db).await {
        Ok(Some(h)) => {
            println!("{database}: removed the {h}");
            EXIT_OK
        }
        Ok(None) => {
            println!("{database}: not locked");
            EXIT_OK
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn selection(global: &Global) -> Selection {
    Selection {
        public_only: global.public_only,
        tenants_only: global.tenants_only,
        tenants: global.tenant.clone(),
    }
}

fn print_report(global: &Global, report: &Report) {
    let text = match global.format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&render_json::report(report)).unwrap_or_default() + "\n"
        }
        OutputFormat::Text => render_text::report(report, style(global)),
    };
    let _ = std::io::stdout().write_all(scrub(&text).as_bytes());
}

fn style(global: &Global) -> render_text::Style {
    let no_color = global.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    render_text::Style {
        color: !no_color && std::io::stdout().is_terminal(),
    }
}

fn fail(message: &str) -> i32 {
    eprintln!("error: {}", scrub(message));
    EXIT_ERROR
}

fn report_problems(global: &Global, problems: &[Problem]) -> i32 {
    if global.format == OutputFormat::Json {
        let items: Vec<_> = problems.iter().map(render_json::problem).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"valid": false, "problems": items}))
                .unwrap_or_default()
        );
    }
    for p in problems {
        eprintln!("error: {}", scrub(&p.to_string()));
    }
    eprintln!(
        "{} problem(s) found; no database was touched",
        problems.len()
    );
    EXIT_ERROR
}

async fn validate(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
) -> i32 {
    // Offline checks passed; a dev server, if any, builds every declaration.
    let dev = match &settings.dev_uri {
        None => None,
        Some(dev_uri) => match dev::for_validate(dev_uri, settings, manifests).await {
            Ok(outcome) if outcome.problems().is_empty() => Some(outcome),
            Ok(outcome) => return report_problems(global, &outcome.problems()),
            Err(e) => return fail(&e.to_string()),
        },
    };
    let collections = manifests.public.len() + manifests.tenant.len();
    let indexes: usize = manifests
        .public
        .iter()
        .chain(&manifests.tenant)
        .map(|c| c.indexes.len())
        .sum();
    let n = migrations.list.len();
    match global.format {
        OutputFormat::Json => {
            let mut out = json!({"valid": true, "problems": [], "files": manifests.files.len(), "collections": collections,
                   "indexes": indexes, "migrations": n,
                   "warnings": manifests.warnings.iter().map(render_json::problem).collect::<Vec<_>>()});
            if let Some(d) = &dev {
                out["dev_server"] = json!({"version": d.version, "built": d.built()});
            }
            println!("{out}")
        }
        OutputFormat::Text => println!(
            "ok: {} manifest file(s), {collections} collection(s), {indexes} index(es); {n} migration(s){}",
            manifests.files.len(),
            dev.map(|d| format!(
                "; the dev server (MongoDB {}) built all {} index(es)",
                d.version,
                d.built()
            ))
            .unwrap_or_default()
        ),
    }
    EXIT_OK
}

/// `mig new NAME`: `migrations/<YYYYMMDDHHMMSS>_<name>.yaml` from the template.
fn new_migration(settings: &Settings, name: &str, scope: MigrationScope, toml: bool) -> i32 {
    let stamp: String = bson::DateTime::now()
        .try_to_rfc3339_string()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let id = format!("{stamp}_{name}");
    if !migrate::valid_id(&id) {
        return fail(&format!(
            "{name:?}: a migration name is lowercase letters, digits and _"
        ));
    }
    let dir = &settings.migrations;
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(&format!("{}: {e}", dir.display()));
    }
    let path = dir.join(format!("{id}.{}", if toml { "toml" } else { "yaml" }));
    if path.exists() {
        return fail(&format!("{} already exists", path.display()));
    }
    match std::fs::write(&path, migrate::template(name, scope, toml)) {
        Ok(()) => {
            println!("{}", path.display());
            EXIT_OK
        }
        Err(e) => fail(&format!("{}: {e}", path.display())),
    }
}

/// A connection, the targets and a progress display, for `status` and `down`.
struct Fleet {
    client: mongodb::Client,
    server: inspect::ServerInfo,
    targets: Vec<crate::targets::Target>,
    progress: Progress,
}

impl Fleet {
    async fn connect(global: &Global, settings: &Settings) -> Result<Fleet, i32> {
        let client = crate::server::connect(settings)
            .await
            .map_err(|e| fail(&e.to_string()))?;
        let server = inspect::server_info(&client)
            .await
            .map_err(|e| fail(&e.to_string()))?;
        let (targets, _) = run::resolve_targets(&client, settings, &selection(global))
            .await
            .map_err(|e| fail(&e))?;
        let progress = Progress::new(targets.len(), std::io::stderr().is_terminal(), global.quiet);
        Ok(Fleet {
            client,
            server,
            targets,
            progress,
        })
    }

    fn context<'a>(
        &'a self,
        settings: &'a Settings,
        manifests: &'a Manifests,
        migrations: &'a Migrations,
    ) -> Context<'a> {
        Context {
            client: &self.client,
            settings,
            manifests,
            server: &self.server,
            progress: Some(&self.progress),
            migrations: Some(migrations),
        }
    }
}

/// `mig status`: migrations per database, and whether the index sync is clean.
async fn status(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
) -> i32 {
    let fleet = match Fleet::connect(global, settings).await {
        Ok(f) => f,
        Err(code) => return code,
    };
    let ctx = fleet.context(settings, manifests, migrations);
    let options = RunOptions {
        plan: PlanOptions::default(),
        apply: None,
        on_error: OnError::Continue,
        canary: 0,
        commit_quorum: None,
    };
    let reports = run::run(&ctx, fleet.targets.clone(), &options).await;
    fleet.progress.finish();
    let text = match global.format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&render_json::status(&reports, &migrations.list))
                .unwrap_or_default()
                + "\n"
        }
        OutputFormat::Text => render_text::status(&reports, &migrations.list, style(global)),
    };
    print!("{}", scrub(&text));
    if reports.iter().any(|r| r.error.is_some()) {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

/// `mig down`: reverts the last batch of migrations in every target.
async fn down(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
    to: Option<&str>,
    lock_wait: Option<Duration>,
) -> i32 {
    if let Some(to) = to {
        if !migrations.list.iter().any(|m| m.id == to) {
            return fail(&format!(
                "--to {to}: no such migration in {}",
                settings.migrations.display()
            ));
        }
    }
    let fleet = match Fleet::connect(global, settings).await {
        Ok(f) => f,
        Err(code) => return code,
    };
    let ctx = fleet.context(settings, manifests, migrations);
    let lock = LockOptions {
        lease: Duration::from_secs(60),
        wait: lock_wait,
        command: "mig down".into(),
        run_id: bson::oid::ObjectId::new().to_hex(),
    };
    let reports = run::down(&ctx, fleet.targets.clone(), to, &lock).await;
    fleet.progress.finish();
    let report = Report {
        targets: reports,
        applied: true,
        ..Default::default()
    };
    print_report(global, &report);
    if report.failed() {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

async fn list(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
) -> i32 {
    let selection = selection(global);
    let discovered = match crate::server::connect(settings).await {
        Ok(client) => run::resolve_targets(&client, settings, &selection).await,
        Err(e) => Err(e.to_string()),
    };
    match global.format {
        OutputFormat::Json => {
            let scope = |collections: &[crate::model::Collection]| {
                json!(collections
                    .iter()
                    .map(|c| json!({"name": c.name, "indexes": c.indexes.iter().map(render_json::spec).collect::<Vec<_>>()}))
                    .collect::<Vec<_>>())
            };
            let (targets, rejected, error) = match &discovered {
                Ok((t, r)) => (
                    t.iter()
                        .map(|t| json!({"database": t.database, "scope": t.scope.to_string()}))
                        .collect(),
                    r.iter()
                        .map(|r| json!({"database": r.database, "reason": r.reason}))
                        .collect(),
                    None,
                ),
                Err(e) => (Vec::new(), Vec::new(), Some(scrub(e))),
            };
            let list: Vec<_> = migrations
                .list
                .iter()
                .map(|m| json!({"id": m.id, "scope": m.scope.as_str(), "description": m.description, "file": m.file.display().to_string()}))
                .collect();
            let out = json!({
                "manifests": {"public": scope(&manifests.public), "tenant": scope(&manifests.tenant)},
                "migrations": list,
                "targets": targets,
                "rejected": rejected,
                "error": error,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        OutputFormat::Text => {
            let mut out = String::new();
            for (scope, collections) in
                [("public", &manifests.public), ("tenant", &manifests.tenant)]
            {
                out.push_str(&format!("{scope} scope:\n"));
                for c in collections.iter() {
                    out.push_str(&format!("  {}\n", c.name));
                    for i in &c.indexes {
                        out.push_str(&format!("    {}  {}\n", i.name, render_text::one_line(i)));
                    }
                }
            }
            out.push_str("migrations:\n");
            for m in &migrations.list {
                out.push_str(&format!(
                    "  {}  {:<6}  {}\n",
                    m.id,
                    m.scope.as_str(),
                    m.description
                ));
            }
            if let Ok((targets, rejected)) = &discovered {
                out.push_str("databases:\n");
                for t in targets {
                    out.push_str(&format!("  {} ({})\n", t.database, t.scope));
                }
                for r in rejected {
                    out.push_str(&format!("  skipped {}: {}\n", r.database, r.reason));
                }
            }
            print!("{}", scrub(&out));
        }
    }
    match discovered {
        Ok(_) => EXIT_OK,
        Err(e) => fail(&e),
    }
}

/// Reads `.env` in the working directory; real environment variables win.
fn load_dotenv() -> Result<(), String> {
    match dotenvy::from_path(".env") {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // The offending line may hold a secret: say where, not what.
        Err(dotenvy::Error::LineParse(_, at)) => {
            Err(format!(".env: cannot parse a line (at character {at})"))
        }
        Err(e) => Err(format!(".env: {}", scrub(&e.to_string()))),
    }
}

fn init_logging(global: &Global, env_level: Option<&str>) {
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 => env_level.unwrap_or("warn"),
            1 => "info",
            _ => "debug",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(format!("mig={level}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("mig=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| ScrubbingStderr)
        .with_ansi(
            std::io::stderr().is_terminal()
                && !global.no_color
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .with_target(false)
        .try_init();
}

/// Log lines pass through the secret scrubber on their way to stderr.
struct ScrubbingStderr;

impl Write for ScrubbingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().write_all(scrub(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
