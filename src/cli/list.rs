//! `mig list`: what the manifests declare, the migrations, and which
//! databases tenant discovery finds.

use crate::config::Settings;
use crate::manifest::Manifests;
use crate::render;
use crate::run::{self, Migrations};

use super::failure::{Failure, Outcome, Success};
use super::flags::ReadFlags;
use super::{output, Global, OutputFormat};

/// `mig list`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub flags: ReadFlags,
}

pub const EXAMPLES: &str = "Examples:
  mig list                      the declared indexes, the migrations, the target databases
  mig list --tenants-only --format json";

/// `mig list`: prints the declarations even when discovery fails, then
/// fails. With `[clusters]`, the databases under their cluster and the
/// tenants the routing refused; fails when a cluster can't be used or a
/// tenant is routed nowhere.
pub async fn run(
    global: &Global,
    settings: &Settings,
    manifests: &Manifests,
    migrations: &Migrations,
) -> Outcome {
    let fleet = match run::open(settings, &global.selection(), None).await {
        Ok(fleet) => fleet,
        Err(e) => {
            let e = Failure::from(e);
            print(global, manifests, migrations, &Err(&e), None);
            return Err(e);
        }
    };
    // The manifests under each server's release, before they are listed.
    super::fleet::fleet_rules(global, settings, &fleet)?;
    let mut targets = Vec::new();
    let mut placed = render::list::Placed {
        clusters: fleet.infos(),
        ..Default::default()
    };
    for (member, ts) in fleet.members.iter().zip(&fleet.targets) {
        targets.extend(ts.iter().cloned());
        placed
            .cluster_of
            .extend(ts.iter().map(|_| member.name.as_str()));
    }
    placed.refused = fleet
        .refused
        .iter()
        .map(|r| {
            (
                r.target.database.as_str(),
                r.error().map(ToString::to_string).unwrap_or_default(),
            )
        })
        .collect();
    let shown: render::list::Discovered = Ok((&targets, &fleet.rejected));
    print(
        global,
        manifests,
        migrations,
        &shown,
        fleet.named.then_some(&placed),
    );
    let mut failures: Vec<String> = placed
        .clusters
        .iter()
        .filter_map(|c| Some(format!("cluster {} failed: {}", c.name, c.error.as_ref()?)))
        .collect();
    if !placed.refused.is_empty() {
        failures.push(format!(
            "{} tenant(s) not routed to a cluster (listed above, with why)",
            placed.refused.len()
        ));
    }
    if failures.is_empty() {
        Ok(Success::Done)
    } else {
        Err(Failure::Clusters(failures))
    }
}

fn print(
    global: &Global,
    manifests: &Manifests,
    migrations: &Migrations,
    shown: &render::list::Discovered,
    placed: Option<&render::list::Placed>,
) {
    output::stdout(&match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            render::list::json(manifests, &migrations.list, shown, placed)
        }
        OutputFormat::Text | OutputFormat::Markdown => {
            render::list::text(manifests, &migrations.list, shown, placed)
        }
    });
}
