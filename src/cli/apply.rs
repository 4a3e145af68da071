//! `mig apply` (data migrations, then the index sync) and `mig sync-indexes`
//! (the index sync alone); the run itself is [`super::fleet::plan_or_apply`].

use clap::Args;

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::plan::saved::{SavedPlan, SavedPlanError, SavedTarget};
use crate::render;
use crate::run::Migrations;

use super::confirm;
use super::failure::{Cancelled, Failure, Outcome, Success};
use super::flags::ApplyArgs;
use super::fleet::{plan_or_apply, print_report, run_fleet, Job};
use super::plan::saved_plan;
use super::printer::{saved_target, Collector, Printer};
use super::{output, Global, OutputFormat};

/// `mig apply`'s arguments: those of `sync-indexes`, and which migrations.
#[derive(Debug, Args)]
pub struct ApplyAndMigrateArgs {
    #[command(flatten)]
    pub args: ApplyArgs,
    #[command(flatten)]
    pub migrate: MigrateArgs,
}

pub const APPLY_EXAMPLES: &str = "Examples:
  mig apply                      show the plan, ask, then migrate and sync every database
  mig apply --tenants-only --canary 5 --yes
  mig apply plan.json            exactly a plan saved by `mig plan --out plan.json`
  mig apply --dry-run            the plan only; nothing is written
  mig apply --cluster eu --yes   with [clusters] in mig.toml: only the databases on cluster eu

On a terminal, mig shows the plan and asks before the first write; --yes
(or --auto-approve) skips the question. Without a terminal (CI, scripts)
it applies without asking.";

pub const SYNC_EXAMPLES: &str = "Examples:
  mig sync-indexes                     show the index plan, ask, then apply it
  mig sync-indexes --dry-run           the plan only; nothing is written
  mig sync-indexes --prune --yes       also retire indexes the manifests don't declare

On a terminal, mig shows the plan and asks before the first write; --yes
(or --auto-approve) skips the question. Without a terminal it applies without asking.";

/// Which data migrations `mig apply` runs.
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

/// `mig apply`: pending data migrations, then the index sync.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
    args: &ApplyAndMigrateArgs,
) -> Outcome {
    let migrate = &args.migrate;
    // A draft would run later than the migrations after it: none runs first.
    if !migrations.drafts.is_empty() {
        return Err(Failure::Problems(migrations.drafts.clone()));
    }
    if let Some(to) = &migrate.to {
        if !migrations.list.iter().any(|m| &m.id == to) {
            return Err(Failure::NoSuchMigration {
                to: to.clone(),
                dir: settings.migrations.clone(),
            });
        }
    }
    let migrations = Migrations {
        to: migrate.to.clone(),
        allow_changed: migrate.allow_changed,
        retry_failed: migrate.retry_failed,
        ..migrations.clone()
    };
    apply(
        global,
        settings,
        manifests,
        Some(&migrations),
        &args.args,
        "apply",
    )
    .await
}

/// `mig sync-indexes`: the index sync alone.
pub async fn sync_indexes(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    args: &ApplyArgs,
) -> Outcome {
    apply(global, settings, manifests, None, args, "sync-indexes").await
}

/// Applies, unless it is a dry run: then only plans. On a terminal, shows
/// the plan and asks first, then applies exactly what was shown.
async fn apply(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    args: &ApplyArgs,
    name: &str,
) -> Outcome {
    // The outcome, and the databases that stopped after their migrations
    // because they then planned other index steps (with those steps).
    let run = |apply, saved| async move {
        let job = Job {
            args: &args.run,
            apply,
            saved,
        };
        let printer = Printer::new(global, false);
        let printer = plan_or_apply(global, settings, manifests, migrations, job, printer).await?;
        // Deferred by the rollout (interrupted, its window closed): not a failure.
        let outcome = match printer.deferred() {
            true => Success::Deferred,
            false => Success::Done,
        };
        Ok::<(Success, Vec<SavedTarget>), Failure>((outcome, printer.replanned))
    };
    if args.dry_run || settings.dry_run {
        let outcome = run(None, None).await;
        if global.format == OutputFormat::Text && !global.quiet {
            output::stderr("Dry run: nothing was written.\n");
        }
        return outcome.map(|(o, _)| o);
    }
    if let Some(path) = &args.saved {
        // A saved plan was reviewed when it was made: applied without asking.
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
            path: shown.clone(),
            source,
        })?;
        let saved = SavedPlan::parse(&text, &shown)?;
        return run(Some((args, name)), Some(saved)).await.map(|(o, _)| o);
    }
    if args.yes || !confirm::interactive() {
        return run(Some((args, name)), None).await.map(|(o, _)| o);
    }
    let mut collector = Collector::default();
    let job = Job::plan(&args.run);
    run_fleet(global, settings, manifests, migrations, job, &mut collector).await?;
    let plan = collector.report;
    // JSON keeps stdout for the one document of the apply; the plan to
    // review goes to the terminal as text.
    match global.format {
        OutputFormat::Text | OutputFormat::Markdown => {
            print_report(global, &plan);
        }
        OutputFormat::Json | OutputFormat::Jsonl => {
            output::stderr(&render::text::report(&plan, output::style(global)))
        }
    }
    let databases = plan.targets.iter().filter(|t| t.has_work(false)).count();
    if databases == 0 {
        return if plan.failed() {
            Err(Failure::Reported)
        } else {
            Ok(Success::Done)
        };
    }
    if !confirm::ask(&format!(
        "Apply this plan to {databases} database(s)? Nothing has been written yet."
    )) {
        return Err(Failure::from(Cancelled(name.to_string())));
    }
    // Exactly the plan shown (a database that changed since is skipped, as
    // with a saved plan). Where migrations run first, the index steps shown
    // run only if the database, read again after them, plans the same.
    let shown = saved_plan(plan.targets.iter().filter_map(saved_target).collect());
    let (mut done, replanned) = run(Some((args, name)), Some(shown)).await?;
    // Those that planned otherwise stopped there: their new plan (printed
    // with them above) is asked about again.
    if !replanned.is_empty() {
        let question = format!(
            "{} database(s) plan other index steps after their migrations (above). \
             Apply the new plan to them? Their index steps have not been run.",
            replanned.len()
        );
        if confirm::ask(&question) {
            done = run(Some((args, name)), Some(saved_plan(replanned)))
                .await?
                .0;
        }
    }
    // Over clusters, the tenants the routing refused were shown failed in
    // the plan above; the apply of that plan leaves them out, and still fails.
    let refused = plan
        .targets
        .iter()
        .filter(|t| !plan.clusters.is_empty() && t.cluster.is_none() && t.failed())
        .count();
    if refused > 0 {
        return Err(Failure::Clusters(vec![format!(
            "{refused} tenant(s) not routed to a cluster, touched nowhere (the plan above says why)"
        )]));
    }
    Ok(done)
}
