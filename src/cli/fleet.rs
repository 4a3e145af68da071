//! The command line's side of a run over the fleet: `plan`, `apply` and
//! `sync-indexes` arguments turned into `RunOptions` and handed to
//! `run::Session::plan_or_apply`; the fleet opened for `status`, `drift` and
//! `down`, its manifests checked under each server's release (warnings said
//! here, on stderr).

use std::time::Duration;

use crate::config::Settings;
use crate::manifest::{self, Manifests, Release};
use crate::plan::saved::SavedPlan;
use crate::plan::PlanOptions;
use crate::run::rollout::Controls;
use crate::run::{self, DevForms, Head, Listener, Migrations, Report, RunOptions, Session};
use crate::server::bookkeeping::lock::LockOptions;

use super::failure::Failure;
use super::flags::{ApplyArgs, RunArgs};
use super::printer::Printer;
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
    let clusters = printer.cluster_failures();
    if !clusters.is_empty() {
        Err(Failure::Clusters(clusters))
    } else if printer.failed() {
        Err(Failure::Reported)
    } else {
        Ok(printer)
    }
}

/// One run over the fleet, told to `listener` as it goes: a plan, or an apply
/// of the live plan or of `saved` (a plan file, or the plan the user just
/// confirmed). Arguments → options → `run::Session::plan_or_apply`.
pub async fn run_fleet(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    job: Job<'_>,
    listener: &mut dyn Listener,
) -> Result<(), Failure> {
    let Job { args, apply, saved } = job;
    let mut session = connect_for(global, settings, manifests, saved.as_ref()).await?;
    // With a dev server, the declarations are compared in its form; nothing
    // is read or written in production if it is unusable or refuses one. (A
    // saved plan is applied as it is: nothing is compared.)
    let normalized = match (&settings.dev_uri, &saved) {
        (Some(dev_uri), None) => match session.dev_forms(dev_uri, settings, manifests).await? {
            DevForms::Normalized(m) => Some(m),
            DevForms::Refused(problems) => return Err(Failure::Problems(problems)),
            DevForms::NoServer => None,
        },
        _ => None,
    };
    let job = run::Job {
        manifests: normalized.as_ref().unwrap_or(manifests),
        migrations,
        saved,
        options: run_options(args, apply),
    };
    session
        .plan_or_apply(settings.offline_release(), job, listener)
        .await
        .map_err(Failure::from)
}

/// The run's fleet opened for a session (`connect_for`), for `status` and `down`.
pub async fn connect(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
) -> Result<Session, Failure> {
    connect_for(global, settings, manifests, None).await
}

/// [`open`], with a progress display.
async fn connect_for(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    saved: Option<&SavedPlan>,
) -> Result<Session, Failure> {
    let fleet = open(global, settings, manifests, saved).await?;
    Ok(Session::new(fleet, global.quiet))
}

/// The run's fleet (`run::open`), its manifests checked under each server's
/// release; a run over no tenants where there are tenant manifests fails,
/// saying where discovery looked, unless mig.toml says there are none yet.
pub(super) async fn open(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    saved: Option<&SavedPlan>,
) -> Result<run::Fleet, Failure> {
    let selection = global.selection();
    let fleet = run::open(settings, &selection, saved)
        .await
        .map_err(Failure::from)?;
    fleet_rules(global, settings, &fleet)?;
    if let Some(looked) = &fleet.discovery {
        crate::targets::check_found(looked, manifests, &selection).map_err(Failure::NoTenants)?;
    }
    Ok(fleet)
}

/// How a run plans (and applies), from the command's arguments.
/// The release and `collMod` unique conversions are the fleet's to say
/// (`run::Session::plan_or_apply`).
fn run_options(args: &RunArgs, apply: Option<(&ApplyArgs, &str)>) -> RunOptions {
    RunOptions {
        plan: PlanOptions {
            prune: args.prune,
            drop_now: args.drop_now,
            drop_after: args.drop_after,
            now: bson::DateTime::now(),
            ..Default::default()
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
        min_free_disk: args.min_free_disk,
        stop: Default::default(),
        controls: apply.map(|(a, _)| controls(a)).unwrap_or_default(),
    }
}

/// The rollout's bounds from `apply`'s flags; the first SIGINT or SIGTERM
/// sets `stopping` (nothing new starts, in-flight steps finish, the rest is
/// deferred), the second aborts the builds in flight, a third ends the process.
fn controls(a: &ApplyArgs) -> Controls {
    let controls = Controls {
        window: a.window.clone(),
        max_lag: a.max_lag,
        max_builds: a.max_builds,
        stopping: Default::default(),
        aborting: Default::default(),
        pause_seen: Default::default(),
    };
    let (stopping, aborting) = (controls.stopping.clone(), controls.aborting.clone());
    tokio::spawn(async move {
        crate::signals::interrupted().await;
        stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        super::output::stderr(
            "mig: interrupted: no new step starts; the steps in flight finish and the \
             databases not done are deferred (interrupt again to abort the builds in flight)\n",
        );
        crate::signals::interrupted().await;
        aborting.abort();
        super::output::stderr(
            "mig: aborting the builds in flight (their indexes are dropped; interrupt again to \
             quit at once)\n",
        );
        crate::signals::interrupted().await;
        std::process::exit(130);
    });
    controls
}

/// [`live_rules`] for each server of the fleet that answered.
pub(super) fn fleet_rules(
    global: &Global,
    settings: &Settings,
    fleet: &run::Fleet,
) -> Result<(), Failure> {
    for (name, _, server) in fleet.servers() {
        live_rules(global, settings, &server.version, name)?;
    }
    Ok(())
}

/// The rules of a live server's release: said when they are not its own
/// version's or not `server_version`'s, and the manifests checked again
/// under them when they are not the ones checked offline (always, without
/// `server_version`: `setup::load_files` left the rules that differ by
/// release for now).
pub(super) fn live_rules(
    global: &Global,
    settings: &Settings,
    version: &str,
    cluster: Option<&str>,
) -> Result<Release, Failure> {
    let live = Release::of_server(version);
    let configured = settings.server_version.map(|(r, _)| r);
    let on = cluster
        .map(|c| format!("cluster {c}: "))
        .unwrap_or_default();
    if !global.quiet {
        for w in [live.note(), live.mismatch(configured)]
            .into_iter()
            .flatten()
        {
            super::output::stderr(&format!("warning: {on}{w}\n"));
        }
    }
    // Without server_version the rules that differ by release were left
    // for now (`setup::load_files`); with it, only another release needs them.
    if configured.is_none_or(|c| c != live.release) {
        tracing::info!(
            "checking the manifests again with {}'s rules (the server's)",
            live.release
        );
        if let Err(problems) = manifest::load_dir_for(&settings.manifests, live.release) {
            if global.format != super::OutputFormat::Json && !global.quiet {
                super::output::stderr(&crate::render::problems::note(&format!(
                    "{on}the server is MongoDB {version}: the manifests were checked with {}'s rules",
                    live.release
                )));
            }
            return Err(Failure::Problems(problems));
        }
    }
    Ok(live.release)
}

/// `majority`, `votingMembers` and tags are strings; a number is a number.
fn commit_quorum(value: &str) -> bson::Bson {
    value
        .parse::<i32>()
        .map(bson::Bson::Int32)
        .unwrap_or_else(|_| bson::Bson::String(value.to_string()))
}

/// A whole report on stdout, as text or JSON (`down`, and the plan to
/// confirm); with `[clusters]`, the clusters that failed, in words.
pub fn print_report(global: &Global, report: &Report) -> Vec<String> {
    let mut printer = Printer::new(global, false);
    printer.start(Head {
        rejected: report.rejected.clone(),
        discovery: report.discovery.clone(),
        read_path: report.read_path,
        warnings: report.warnings.clone(),
        applied: report.applied,
        clusters: report.clusters.clone(),
    });
    for t in &report.targets {
        printer.target(t.clone());
    }
    printer.finish();
    printer.cluster_failures()
}
