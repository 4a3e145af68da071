//! Runs over the fleet that several commands share: the plan/apply run
//! behind `plan`, `apply` and `sync-indexes`, and the connection and targets
//! of `status` and `down`.

use std::io::IsTerminal;
use std::time::Duration;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::saved::SavedPlan;
use crate::plan::PlanOptions;
use crate::progress::Progress;
use crate::render;
use crate::run::{self, Context, Migrations, Report, RunOptions};
use crate::server::lock::LockOptions;
use crate::server::{dev, inspect};
use crate::targets::Target;

use super::apply::ApplyArgs;
use super::failure::Failure;
use super::output;
use super::plan::RunArgs;
use super::{Global, OutputFormat};

/// Plans (and, with `apply`, applies) over every target and prints the
/// report; `Err(Failure::Reported)` when a database failed. `apply` names
/// the command, for locks and the journal.
pub async fn plan_or_apply(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    args: &RunArgs,
    apply: Option<(&ApplyArgs, &str)>,
    saved: Option<SavedPlan>,
) -> Result<Report, Failure> {
    let report = run_fleet(global, settings, manifests, migrations, args, apply, saved).await?;
    print_report(global, &report);
    if report.failed() {
        Err(Failure::Reported)
    } else {
        Ok(report)
    }
}

/// One run over the fleet, unprinted: a plan, or an apply of the live plan
/// or of `saved` (a plan file, or the plan the user just confirmed).
pub async fn run_fleet(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    args: &RunArgs,
    apply: Option<(&ApplyArgs, &str)>,
    saved: Option<SavedPlan>,
) -> Result<Report, Failure> {
    let (client, server) = connect(settings).await?;
    // With a dev server, the declarations are compared in its form; nothing
    // is read or written in production if it is unusable or refuses one. (A
    // saved plan is applied as it is: nothing is compared.)
    let normalized;
    let manifests = match (&settings.dev_uri, &saved) {
        (Some(dev_uri), None) => {
            match dev::for_run(dev_uri, settings, &server, manifests)
                .await
                .map_err(Failure::other)?
            {
                Ok(m) => {
                    normalized = m;
                    &normalized
                }
                Err(problems) => return Err(Failure::Problems(problems)),
            }
        }
        _ => manifests,
    };
    // A saved plan names its databases; otherwise discovery does.
    let (targets, rejected) = match &saved {
        Some(s) => (
            s.targets
                .iter()
                .map(|t| Target {
                    database: t.database.clone(),
                    scope: t.scope,
                })
                .collect(),
            Vec::new(),
        ),
        None => run::resolve_targets(&client, settings, &global.selection())
            .await
            .map_err(Failure::other)?,
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
        preflight: args.preflight,
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
    Ok(Report {
        targets: reports,
        rejected,
        applied: options.apply.is_some(),
        read_path: Some(server.read_path),
        warnings: manifests.warnings.clone(),
    })
}

/// `majority`, `votingMembers` and tags are strings; a number is a number.
fn commit_quorum(value: &str) -> bson::Bson {
    value
        .parse::<i32>()
        .map(bson::Bson::Int32)
        .unwrap_or_else(|_| bson::Bson::String(value.to_string()))
}

/// A run's report on stdout, as text or JSON.
pub fn print_report(global: &Global, report: &Report) {
    output::stdout(&match global.format {
        OutputFormat::Json => render::json::document(&render::json::report(report)),
        OutputFormat::Text => render::text::report(report, output::style(global)),
        OutputFormat::Markdown => render::markdown::plan(report),
    });
}

/// A connection, the targets and a progress display, for `status` and `down`.
pub struct Fleet {
    client: mongodb::Client,
    server: inspect::ServerInfo,
    pub targets: Vec<Target>,
    pub progress: Progress,
}

impl Fleet {
    pub async fn connect(global: &Global, settings: &Settings) -> Result<Fleet, Failure> {
        let (client, server) = connect(settings).await?;
        let (targets, _) = run::resolve_targets(&client, settings, &global.selection())
            .await
            .map_err(Failure::other)?;
        let progress = Progress::new(targets.len(), std::io::stderr().is_terminal(), global.quiet);
        Ok(Fleet {
            client,
            server,
            targets,
            progress,
        })
    }

    pub fn context<'a>(
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

/// A checked connection and what the server is.
async fn connect(settings: &Settings) -> Result<(mongodb::Client, inspect::ServerInfo), Failure> {
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::other)?;
    let server = inspect::server_info(&client)
        .await
        .map_err(Failure::other)?;
    Ok((client, server))
}
