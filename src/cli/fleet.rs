//! Runs over the fleet that several commands share: the plan/apply run
//! behind `plan`, `apply` and `sync-indexes`, and the connection and targets
//! of `status` and `down`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::manifest::{self, Manifests, Release};
use crate::plan::saved::SavedPlan;
use crate::plan::PlanOptions;
use crate::progress::Progress;
use crate::run::rollout::Controls;
use crate::run::{self, Migrations, Report, RunOptions, Work};
use crate::server::bookkeeping::lock::LockOptions;
use crate::server::{dev, inspect};

use super::failure::Failure;
use super::flags::{ApplyArgs, RunArgs};
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
/// confirmed). One server and `[clusters]` alike (`run::Fleet`).
pub async fn run_fleet(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    job: Job<'_>,
    listener: &mut dyn Listener,
) -> Result<(), Failure> {
    let Job { args, apply, saved } = job;
    let mut fleet = open(global, settings, manifests, saved.as_ref()).await?;
    // With a dev server, the declarations are compared in its form; nothing
    // is read or written in production if it is unusable or refuses one. (A
    // saved plan is applied as it is: nothing is compared.)
    let normalized;
    let manifests = match (&settings.dev_uri, &saved) {
        (Some(dev_uri), None) => {
            match dev_normalized(dev_uri, settings, &mut fleet, manifests).await? {
                Some(m) => {
                    normalized = m;
                    &normalized
                }
                None => manifests,
            }
        }
        _ => manifests,
    };
    tracing::info!(
        databases = fleet.len(),
        clusters = fleet.members.len(),
        apply = apply.is_some(),
        "starting"
    );
    // `collMod` unique conversions where every server that answered has them.
    let unique_conversion = fleet.servers().all(|(_, _, s)| s.unique_conversion());
    // Each cluster plans with its own server's release (`run::Fleet`); the
    // manifests were checked under each of them (`open`).
    let release = fleet
        .servers()
        .next()
        .map_or(settings.offline_release(), |(_, _, s)| {
            Release::of_server(&s.version).release
        });
    let options = run_options(args, apply, unique_conversion, release);
    fleet
        .check_lag_readable(&options)
        .await
        .map_err(Failure::from)?;
    let progress = Arc::new(Progress::new(
        fleet.len(),
        std::io::stderr().is_terminal(),
        global.quiet,
    ));
    listener.start(Head {
        rejected: fleet.rejected.clone(),
        discovery: fleet.discovery.clone(),
        applied: options.apply.is_some(),
        read_path: fleet.read_path(),
        warnings: manifests.warnings.clone(),
        clusters: fleet.infos(),
    });
    let shared = run::Shared {
        manifests: Arc::new(manifests.clone()),
        progress: Some(progress.clone()),
        migrations: migrations.cloned().map(Arc::new),
    };
    let work = match saved {
        Some(saved) => Work::Saved(Arc::new(saved), options),
        None => Work::Run(options),
    };
    // Each database is printed (then let go) as it is done, above the progress bar.
    let each = &mut |report| progress.suspend(|| listener.target(report));
    fleet.run_each(&shared, work, each).await;
    progress.finish();
    Ok(())
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
fn run_options(
    args: &RunArgs,
    apply: Option<(&ApplyArgs, &str)>,
    unique_conversion: bool,
    release: Release,
) -> RunOptions {
    RunOptions {
        plan: PlanOptions {
            prune: args.prune,
            drop_now: args.drop_now,
            drop_after: args.drop_after,
            now: bson::DateTime::now(),
            unique_conversion,
            release,
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

/// With a dev server: the declarations in its form, checked against the
/// first server that answered; a cluster of another release than that one
/// fails (its databases say why). `None`: no server answered.
async fn dev_normalized(
    dev_uri: &str,
    settings: &Settings,
    fleet: &mut run::Fleet,
    manifests: &Manifests,
) -> Result<Option<Manifests>, Failure> {
    let Some(first) = fleet.servers().next().map(|(_, _, s)| s.clone()) else {
        return Ok(None);
    };
    match dev::for_run(dev_uri, settings, &first, manifests)
        .await
        .map_err(Failure::from)?
    {
        Ok(normalized) => {
            for m in fleet.members.iter_mut() {
                let mismatch = m
                    .server()
                    .and_then(|s| dev::check_versions(&first.version, &s.version).err());
                if let Some(e) = mismatch {
                    m.fail(e.to_string());
                }
            }
            Ok(Some(normalized))
        }
        Err(problems) => Err(Failure::Problems(problems)),
    }
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

/// The fleet and a progress display, for `status` and `down`.
pub struct Fleet {
    pub fleet: run::Fleet,
    pub progress: Arc<Progress>,
}

/// Its databases, clusters and how discovery went are the run's fleet's.
impl std::ops::Deref for Fleet {
    type Target = run::Fleet;
    fn deref(&self) -> &run::Fleet {
        &self.fleet
    }
}

impl Fleet {
    pub async fn connect(
        global: &Global,
        settings: &Settings,
        manifests: &Manifests,
    ) -> Result<Fleet, Failure> {
        let fleet = open(global, settings, manifests, None).await?;
        let progress = Progress::new(fleet.len(), std::io::stderr().is_terminal(), global.quiet);
        Ok(Fleet {
            fleet,
            progress: Arc::new(progress),
        })
    }

    /// The pause `mig pause` set on this server, if any (one server; with
    /// `[clusters]`, `mig status --cluster NAME` asks one cluster).
    pub async fn pause(&self, settings: &Settings) -> Option<crate::server::load::Pause> {
        let public = settings.public_database.as_ref()?;
        match self.fleet.servers().next() {
            Some((None, client, _)) => crate::server::load::paused(&client.database(public)).await,
            _ => None,
        }
    }

    /// Runs `work` over every target, handing each report to `each` (over
    /// clusters: grouped by cluster, each stamped with its own).
    pub async fn each(
        &self,
        manifests: &Manifests,
        migrations: &Migrations,
        work: Work,
        each: &mut (dyn FnMut(run::TargetReport) + Send),
    ) {
        let shared = run::Shared {
            manifests: Arc::new(manifests.clone()),
            progress: Some(self.progress.clone()),
            migrations: Some(Arc::new(migrations.clone())),
        };
        self.fleet.run_each(&shared, work, each).await
    }
}

/// A checked connection and what the server is.
pub(super) async fn connect(
    settings: &Settings,
) -> Result<(mongodb::Client, inspect::ServerInfo), Failure> {
    let client = crate::server::connect(settings)
        .await
        .map_err(Failure::from)?;
    let server = inspect::server_info(&client).await.map_err(Failure::from)?;
    Ok((client, server))
}
