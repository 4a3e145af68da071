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
use crate::run::{self, clusters, Context, Migrations, Report, RunOptions};
use crate::server::bookkeeping::lock::LockOptions;
use crate::server::{dev, inspect};
use crate::targets::Target;

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
/// of the live plan or of `saved` (a plan file, or the plan the user just confirmed).
pub async fn run_fleet(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    job: Job<'_>,
    listener: &mut dyn Listener,
) -> Result<(), Failure> {
    if settings.has_clusters() {
        return run_clusters(global, settings, manifests, migrations, job, listener).await;
    }
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
    let resolved = match &saved {
        Some(s) => run::Resolved {
            targets: s
                .targets
                .iter()
                .map(|t| Target {
                    database: t.database.clone(),
                    scope: t.scope,
                })
                .collect(),
            ..Default::default()
        },
        None => resolve(&client, settings, manifests, global).await?,
    };
    let run::Resolved {
        targets,
        rejected,
        discovery,
    } = resolved;
    tracing::info!(
        databases = targets.len(),
        apply = apply.is_some(),
        "starting"
    );
    let release = live_rules(global, settings, &server.version, None)?;
    let options = run_options(args, apply, server.unique_conversion(), release);
    // `--max-lag` needs the replication status: said before any write.
    if options.controls.with(&settings.rollout).max_lag.is_some() {
        crate::server::load::check_lag_readable(&client)
            .await
            .map_err(Failure::other)?;
    }
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
        discovery,
        applied: options.apply.is_some(),
        read_path: Some(server.read_path),
        warnings: manifests.warnings.clone(),
        clusters: Vec::new(),
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

/// The run's targets from discovery; a run over no tenants where there are
/// tenant manifests fails, saying where discovery looked, unless mig.toml
/// says there are none yet.
async fn resolve(
    client: &mongodb::Client,
    settings: &Settings,
    manifests: &Manifests,
    global: &Global,
) -> Result<run::Resolved, Failure> {
    let selection = global.selection();
    let resolved = run::resolve_targets(client, settings, &selection)
        .await
        .map_err(Failure::other)?;
    if let Some(looked) = &resolved.discovery {
        crate::targets::check_found(looked, manifests, &selection).map_err(Failure::NoTenants)?;
    }
    Ok(resolved)
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

/// One run over the clusters of `[clusters]`: each connected and listed,
/// the tenants routed (a tenant routed nowhere fails, touched nowhere),
/// then every cluster at once, each database told to `listener` grouped by
/// cluster. A cluster that can't be used fails its own databases only.
async fn run_clusters(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: Option<&Migrations>,
    job: Job<'_>,
    listener: &mut dyn Listener,
) -> Result<(), Failure> {
    let Job { args, apply, saved } = job;
    let selection = global.selection();
    let mut members = clusters::connect(settings, &selection).await;
    let normalized;
    let manifests = match (&settings.dev_uri, &saved) {
        (Some(dev_uri), None) => {
            match dev_for_clusters(dev_uri, settings, &mut members, manifests).await? {
                Some(m) => {
                    normalized = m;
                    &normalized
                }
                None => manifests,
            }
        }
        _ => manifests,
    };
    let fleet = clusters::resolve(settings, members, &selection)
        .await
        .map_err(Failure::other)?;
    tracing::info!(
        databases = fleet.len(),
        clusters = fleet.members.len(),
        apply = apply.is_some(),
        "starting"
    );
    // `collMod` unique conversions where every cluster that answered has them.
    let unique_conversion = fleet
        .members
        .iter()
        .filter_map(|m| m.server())
        .all(|s| s.unique_conversion());
    // Each cluster plans with its own server's release (`run::clusters`);
    // the manifests are checked under each of them here, once per release.
    let checked = clusters_rules(global, settings, &fleet)?;
    let options = run_options(
        args,
        apply,
        unique_conversion,
        checked.unwrap_or(settings.offline_release()),
    );
    let progress = Arc::new(Progress::new(
        fleet.len(),
        std::io::stderr().is_terminal(),
        global.quiet,
    ));
    listener.start(Head {
        rejected: fleet.rejected.clone(),
        discovery: None,
        applied: options.apply.is_some(),
        read_path: fleet.read_path(),
        warnings: manifests.warnings.clone(),
        clusters: fleet.infos(),
    });
    let shared = clusters::Shared {
        manifests: Arc::new(manifests.clone()),
        progress: Some(progress.clone()),
        migrations: migrations.cloned().map(Arc::new),
    };
    let work = match saved {
        Some(saved) => clusters::Work::Saved(Arc::new(saved), options),
        None => clusters::Work::Run(options),
    };
    let each = &mut |report| progress.suspend(|| listener.target(report));
    fleet.run_each(&shared, work, each).await;
    progress.finish();
    Ok(())
}

/// [`live_rules`] for each cluster that answered; the first one's release.
pub(super) fn clusters_rules(
    global: &Global,
    settings: &Settings,
    fleet: &clusters::Fleet,
) -> Result<Option<Release>, Failure> {
    let mut first = None;
    for m in &fleet.members {
        if let Some(s) = m.server() {
            let release = live_rules(global, settings, &s.version, Some(&m.name))?;
            first = first.or(Some(release));
        }
    }
    Ok(first)
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

/// With a dev server over clusters: the declarations in its form, checked
/// against the first cluster that answered; a cluster of another release
/// than that one fails (its databases say why). `None`: no cluster answered.
async fn dev_for_clusters(
    dev_uri: &str,
    settings: &Settings,
    members: &mut [clusters::Member],
    manifests: &Manifests,
) -> Result<Option<Manifests>, Failure> {
    let Some(first) = members.iter().find_map(|m| m.server().cloned()) else {
        return Ok(None);
    };
    match dev::for_run(dev_uri, settings, &first, manifests)
        .await
        .map_err(Failure::other)?
    {
        Ok(normalized) => {
            for m in members.iter_mut() {
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

/// The connection (or, with `[clusters]`, the clusters), the targets and a
/// progress display, for `status` and `down`.
pub struct Fleet {
    kind: Kind,
    pub progress: Arc<Progress>,
    /// How tenant discovery went (one server; `None` over `[clusters]`).
    pub discovery: Option<crate::targets::Looked>,
    /// Tenant names discovery left out, and why.
    pub rejected: Vec<crate::targets::Rejected>,
}

enum Kind {
    One {
        client: mongodb::Client,
        server: inspect::ServerInfo,
        targets: Vec<Target>,
    },
    Clusters(clusters::Fleet),
}

impl Fleet {
    pub async fn connect(
        global: &Global,
        settings: &Settings,
        manifests: &Manifests,
    ) -> Result<Fleet, Failure> {
        let selection = global.selection();
        let mut found = run::Resolved::default();
        let kind = if settings.has_clusters() {
            let members = clusters::connect(settings, &selection).await;
            let fleet = clusters::resolve(settings, members, &selection)
                .await
                .map_err(Failure::other)?;
            found.rejected = fleet.rejected.clone();
            clusters_rules(global, settings, &fleet)?;
            Kind::Clusters(fleet)
        } else {
            let (client, server) = connect(settings).await?;
            live_rules(global, settings, &server.version, None)?;
            found = resolve(&client, settings, manifests, global).await?;
            Kind::One {
                client,
                server,
                targets: std::mem::take(&mut found.targets),
            }
        };
        let total = match &kind {
            Kind::One { targets, .. } => targets.len(),
            Kind::Clusters(fleet) => fleet.len(),
        };
        let progress = Progress::new(total, std::io::stderr().is_terminal(), global.quiet);
        Ok(Fleet {
            kind,
            progress: Arc::new(progress),
            discovery: found.discovery,
            rejected: found.rejected,
        })
    }

    /// The pause `mig pause` set on this server, if any (one server; with
    /// `[clusters]`, `mig status --cluster NAME` asks one cluster).
    pub async fn pause(&self, settings: &Settings) -> Option<crate::server::load::Pause> {
        match (&self.kind, &settings.public_database) {
            (Kind::One { client, .. }, Some(public)) => {
                crate::server::load::paused(&client.database(public)).await
            }
            _ => None,
        }
    }

    /// With `[clusters]`: each cluster of the run.
    pub fn clusters(&self) -> Vec<run::ClusterInfo> {
        match &self.kind {
            Kind::One { .. } => Vec::new(),
            Kind::Clusters(fleet) => fleet.infos(),
        }
    }

    /// Runs `work` over every target, handing each report to `each` (over
    /// clusters: grouped by cluster, each stamped with its own).
    pub async fn each(
        &self,
        settings: &Settings,
        manifests: &Manifests,
        migrations: &Migrations,
        work: clusters::Work,
        each: &mut (dyn FnMut(run::TargetReport) + Send),
    ) {
        let (client, server, targets) = match &self.kind {
            Kind::Clusters(fleet) => {
                let shared = clusters::Shared {
                    manifests: Arc::new(manifests.clone()),
                    progress: Some(self.progress.clone()),
                    migrations: Some(Arc::new(migrations.clone())),
                };
                return fleet.run_each(&shared, work, each).await;
            }
            Kind::One {
                client,
                server,
                targets,
            } => (client, server, targets.clone()),
        };
        let ctx = Context {
            client,
            settings,
            manifests,
            server,
            progress: Some(&self.progress),
            migrations: Some(migrations),
        };
        match work {
            clusters::Work::Run(options) => run::run_each(&ctx, targets, &options, each).await,
            clusters::Work::Saved(saved, options) => {
                run::apply_saved(&ctx, &saved, &options, each).await
            }
            clusters::Work::Down { to, lock } => {
                for report in run::down(&ctx, targets, to.as_deref(), lock.as_ref()).await {
                    each(report);
                }
            }
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
