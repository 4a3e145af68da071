//! One run over the fleet: resolve the targets, then per database (several at
//! once) inspect → plan → apply. A database that fails is reported and the
//! others go on.

use futures::stream::{self, StreamExt};
use mongodb::Client;

use crate::config::{Discovery, Settings};
use crate::manifest::Manifests;
use crate::model::Scope;
use crate::plan::{plan_database, DatabasePlan, PlanOptions};
use crate::server::execute::{self, StepResult};
use crate::server::{errors, inspect};
use crate::targets::{self, Rejected, Selection, Target};

/// What happened to one database.
#[derive(Clone, Debug)]
pub struct TargetReport {
    pub target: Target,
    pub plan: Option<DatabasePlan>,
    /// Empty unless the plan was applied.
    pub steps: Vec<StepResult>,
    /// The database could not be read (or vanished); nothing was changed.
    pub error: Option<String>,
}

impl TargetReport {
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.steps.iter().any(|s| s.error.is_some())
    }
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub targets: Vec<TargetReport>,
    pub rejected: Vec<Rejected>,
    pub applied: bool,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.targets.iter().any(TargetReport::failed)
    }

    pub fn has_changes(&self) -> bool {
        self.targets
            .iter()
            .any(|t| t.plan.as_ref().is_some_and(|p| !p.is_empty()))
    }
}

/// The databases to work on, in order: the public one, then the tenants.
pub async fn resolve_targets(
    client: &Client,
    settings: &Settings,
    selection: &Selection,
) -> Result<(Vec<Target>, Vec<Rejected>), String> {
    let mut out = Vec::new();
    if selection.wants_public() {
        match &settings.public_database {
            Some(db) => out.push(Target {
                database: db.clone(),
                scope: Scope::Public,
            }),
            None if selection.public_only => {
                return Err("no public database configured ([public].database in mig.toml, MONGODB_PUBLIC_DATABASE or --public-db)".into())
            }
            None => {}
        }
    }
    let mut rejected = Vec::new();
    if selection.wants_tenants() {
        if settings.discovery == Discovery::None
            && (selection.tenants_only || !selection.tenants.is_empty())
        {
            return Err("no tenant discovery configured (a [tenants] section in mig.toml)".into());
        }
        let (tenants, why) = targets::discover(client, settings)
            .await
            .map_err(|e| format!("tenant discovery failed: {}", errors::explain(&e)))?;
        rejected = why;
        let unknown: Vec<&String> = selection
            .tenants
            .iter()
            .filter(|t| !tenants.contains(t))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "not among the tenant databases discovery found: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.extend(
            tenants
                .into_iter()
                .filter(|t| selection.tenants.is_empty() || selection.tenants.contains(t))
                .map(|database| Target {
                    database,
                    scope: Scope::Tenant,
                }),
        );
    }
    Ok((out, rejected))
}

/// Inspects and plans every target, and applies the plans when `apply`.
pub async fn run(
    client: &Client,
    settings: &Settings,
    manifests: &Manifests,
    targets: Vec<Target>,
    options: PlanOptions,
    apply: bool,
) -> Vec<TargetReport> {
    let order: Vec<String> = targets.iter().map(|t| t.database.clone()).collect();
    let mut reports: Vec<TargetReport> = stream::iter(targets)
        .map(|target| run_one(client, settings, manifests, target, options, apply))
        .buffer_unordered(settings.concurrency)
        .collect()
        .await;
    reports.sort_by_key(|r| order.iter().position(|d| *d == r.target.database));
    reports
}

async fn run_one(
    client: &Client,
    settings: &Settings,
    manifests: &Manifests,
    target: Target,
    options: PlanOptions,
    apply: bool,
) -> TargetReport {
    let mut report = TargetReport {
        target: target.clone(),
        plan: None,
        steps: Vec::new(),
        error: None,
    };
    let declared = manifests.for_scope(target.scope);
    let names: Vec<String> = declared.iter().map(|c| c.name.clone()).collect();
    let db = client.database(&target.database);
    let live = match inspect::read_database(&db, &names, settings.socket_timeout).await {
        Ok(live) => live,
        Err(e) => {
            tracing::warn!(database = %target.database, "cannot read: {e}");
            report.error = Some(e);
            return report;
        }
    };
    // Discovery by prefix or regex found this database in listDatabases; if
    // none of its collections are there now, check it still exists rather than
    // recreate a database someone just dropped.
    let listed = matches!(
        settings.discovery,
        Discovery::Prefix(_) | Discovery::Regex(_)
    ) && target.scope == Scope::Tenant;
    if listed && !live.collections.iter().any(|c| c.exists) {
        match client
            .list_database_names()
            .filter(bson::doc! {"name": &target.database})
            .await
        {
            Ok(found) if found.is_empty() => {
                report.error = Some(format!(
                    "database {} no longer exists (dropped after discovery); nothing was done",
                    target.database
                ));
                return report;
            }
            Ok(_) => {}
            Err(e) => {
                report.error = Some(errors::explain(&e));
                return report;
            }
        }
    }
    let plan = plan_database(&target.database, target.scope, declared, &live, options);
    tracing::debug!(database = %target.database, changes = plan.changes.len(), "planned");
    if apply && !plan.is_empty() {
        report.steps = execute::apply(&db, &plan).await;
        for step in report.steps.iter().filter(|s| s.error.is_some()) {
            tracing::warn!(database = %target.database, collection = %step.collection, index = %step.index, "failed: {}", step.error.as_deref().unwrap_or_default());
        }
        tracing::info!(database = %target.database, steps = report.steps.len(), "applied");
    }
    report.plan = Some(plan);
    report
}
