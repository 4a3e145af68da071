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
use crate::run::{self, Context, Migrations, Report, RunOptions};
use crate::server::lock::LockOptions;
use crate::server::{dev, inspect};
use crate::targets::Target;

use super::apply::ApplyArgs;
use super::failure::Failure;
use super::plan::RunArgs;
use super::printer::{Head, Listener, Printer};
use super::Global;

/// What a run does: plan with `args`; with `apply` (its arguments and the
/// command's name, for locks and the journal) also apply, the live plan or `saved`.
pub struct Job<'a> {
    pub args: &'a RunArgs,
    pub apply: Option<(&'a ApplyArgs, &'a str)>,
    pub saved: Option<SavedPlan>,
}

impl<'a> Job<'a> {
    /// Only a plan.
    pub fn plan(args: &'a RunArgs) -> Job<'a> {
        Job {
            args,
            apply: None,
            saved: None,
        }
    }
}

/// Plans (and, with `apply`, applies) over every target, printing each
/// database as it is done; `Err(Failure::Reported)` when a database failed.
/// `apply` names the command, for locks and the journal. Returns `printer`,
/// with the counts (and, if it keeps them, each database's plan for `plan --out`).
pub async fn plan_or_apply(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    job: Job<'_>,
    mut printer: Printer,
) -> Result<Printer, Failure> {
    let run = run_fleet(global, settings, manifests, migrations, job, &mut printer).await;
    printer.finish();
    run?;
    if printer.tally.failed > 0 {
        Err(Failure::Reported)
    } else {
        Ok(printer)
    }
}

/// One run over the fleet, told to `listener` as it goes: a plan, or an apply
/// of the live plan or of `saved` (a plan file, or the plan the user just confirmed).
pub async fn run_fleet(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    job: Job<'_>,
    listener: &mut dyn Listener,
) -> Result<(), Failure> {
    let Job { args, apply, saved } = job;
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
        allow_invalid_documents: args.allow_invalid_documents,
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
    listener.start(Head {
        rejected,
        applied: options.apply.is_some(),
        read_path: Some(server.read_path),
        warnings: manifests.warnings.clone(),
    });
    // Each database is printed (then let go) as it is done, above the progress bar.
    let each = &mut |report| progress.suspend(|| listener.target(report));
    match &saved {
        Some(saved) => run::apply_saved(&ctx, saved, &options, each).await,
        None => run::run_each(&ctx, targets, &options, each).await,
    }
    progress.finish();
    Ok(())
}

/// `majority`, `votingMembers` and tags are strings; a number is a number.
fn commit_quorum(value: &str) -> bson::Bson {
    value
        .parse::<i32>()
        .map(bson::Bson::Int32)
        .unwrap_or_else(|_| bson::Bson::String(value.to_string()))
}

/// A whole report on stdout, as text or JSON (`down`, and the plan to confirm).
pub fn print_report(global: &Global, report: &Report) {
    let mut printer = Printer::new(global, false);
    printer.start(Head {
        rejected: report.rejected.clone(),
        read_path: report.read_path,
        warnings: report.warnings.clone(),
        applied: report.applied,
    });
    for t in &report.targets {
        printer.target(t.clone());
    }
    printer.finish();
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
pub(super) async fn connect(
    settings: &Settings,
) -> Result<(mongodb::Client, inspect::ServerInfo), Failure> {
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::other)?;
    let server = inspect::server_info(&client)
        .await
        .map_err(Failure::other)?;
    Ok((client, server))
}
