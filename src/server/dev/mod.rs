//! The dev server: the server as the oracle. A throw-away MongoDB of
//! production's version builds every declared index on empty collections, in
//! databases of its own that are dropped afterwards. What it refuses comes
//! back as a [`Problem`] naming the file, the line, the collection and the
//! index; what it builds comes back in its `listIndexes` form, which the
//! comparison then uses instead of `mig`'s own normalization.
//!
//! - [`connect`]: a client of its own, with a short server selection timeout;
//! - [`check_versions`]: the dev server must run production's release (pure);
//! - [`normalize`] (in `build.rs`): build, list, drop; [`DevOutcome::apply`]
//!   sets each declared index's `server_form`;
//! - [`for_validate`] and [`for_run`]: the above, as `mig validate` and
//!   `plan`/`apply`/`sync-indexes` use them.

mod build;
mod interrupt;

use std::time::Duration;

use bson::doc;
use mongodb::error::Error;
use mongodb::Client;

use super::contact::{Dial, DialError};
use super::errors::{explain, ConnectError, ReadError, Server};
use super::inspect::ServerInfo;
use crate::config::{Settings, UriSource};
use crate::diagnostics::Problem;
use crate::manifest::Manifests;
use crate::model::{IndexSpec, Scope};
use crate::redact::redact_uri;

pub use build::normalize;

/// The longest `mig` waits for the dev server (or, during `validate`, for
/// production) to answer, whatever the configured server selection timeout.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// Why the dev server could not be used. A declaration the server refuses is
/// not one of these: it is a [`Problem`] in the [`DevOutcome`].
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("invalid dev server URI {uri} ({from}): {why}")]
    InvalidUri {
        uri: String,
        from: UriSource,
        why: String,
    },
    /// No dev server answered, or it refused the credentials.
    #[error("{0}")]
    Connect(ConnectError),
    #[error(
        "the dev server is MongoDB {dev}, production is {production}: index builds and their \
         normalized forms differ between releases; point --dev-uri (MIG_DEV_URI, dev_uri) at a \
         MongoDB {release}"
    )]
    WrongVersion {
        dev: String,
        production: String,
        release: String,
    },
    #[error("the dev server at {uri}: {what} failed: {why}")]
    Command {
        uri: String,
        what: String,
        why: String,
    },
    /// Stopped before the next command because another one failed or the
    /// process was interrupted.
    #[error("stopped")]
    Stopped,
}

/// A connected dev server.
pub struct DevServer {
    client: Client,
    /// The URI, redacted.
    pub shown: String,
    /// `buildInfo.version`.
    pub version: String,
}

/// What the dev server made of one declared index.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Built. Its `listIndexes` form, or `None` when the server built nothing
    /// under its name ("all indexes already exist": the same index is declared
    /// under another name, such as `{_id: 1}`); the planner deals with that.
    Built(Option<Box<IndexSpec>>),
    /// Refused, in the server's words, at the place the index was declared.
    Refused(Problem),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub scope: Scope,
    pub collection: String,
    pub index: String,
    pub answer: Answer,
}

/// The dev server's answer for every declared index, in declaration order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DevOutcome {
    /// The dev server's version.
    pub version: String,
    pub declarations: Vec<Declaration>,
}

impl DevOutcome {
    /// The refusals, as problems of the manifests.
    pub fn problems(&self) -> Vec<Problem> {
        self.declarations
            .iter()
            .filter_map(|d| match &d.answer {
                Answer::Refused(p) => Some(p.clone()),
                Answer::Built(_) => None,
            })
            .collect()
    }

    /// How many declared indexes the dev server built.
    pub fn built(&self) -> usize {
        self.declarations
            .iter()
            .filter(|d| matches!(d.answer, Answer::Built(_)))
            .count()
    }

    /// Sets the `server_form` of each declared index the dev server built and listed.
    pub fn apply(&self, manifests: &mut Manifests) {
        for d in &self.declarations {
            let Answer::Built(Some(form)) = &d.answer else {
                continue;
            };
            let collections = match d.scope {
                Scope::Public => &mut manifests.public,
                Scope::Tenant => &mut manifests.tenant,
            };
            let spec = collections
                .iter_mut()
                .filter(|c| c.name == d.collection)
                .flat_map(|c| c.indexes.iter_mut())
                .find(|i| i.name == d.index);
            if let Some(spec) = spec {
                spec.server_form = Some(form.clone());
            }
        }
    }
}

/// MongoDB's release of a version: its first two components (`6.0` of `6.0.5`).
fn release(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.').map(|p| {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    });
    Some((parts.next()??, parts.next()??))
}

/// The dev server must run production's release: 6.0.x with 6.0.y, never
/// 6.0 with 7.0 (nor 7.0 with 7.1, each its own release since 5.0).
pub fn check_versions(dev: &str, production: &str) -> Result<(), DevError> {
    match (release(dev), release(production)) {
        (Some(d), Some(p)) if d == p => Ok(()),
        (_, p) => Err(DevError::WrongVersion {
            dev: dev.to_string(),
            production: production.to_string(),
            release: p
                .map(|(major, minor)| format!("{major}.{minor}"))
                .unwrap_or_else(|| production.to_string()),
        }),
    }
}

/// Connects to the dev server and reads its version. `settings` gives the
/// server selection timeout, capped at [`MAX_WAIT`], and where the URI came from.
pub async fn connect(uri: &str, settings: &Settings) -> Result<DevServer, DevError> {
    crate::redact::register(uri);
    let shown = redact_uri(uri);
    let wait = settings.server_selection_timeout.min(MAX_WAIT);
    let dial = Dial {
        server: Server::Dev,
        uri,
        from: &settings.dev_uri_source,
    };
    let failed = |e: DialError| match e {
        DialError::InvalidUri(why) | DialError::Client(why) => DevError::InvalidUri {
            uri: shown.clone(),
            from: settings.dev_uri_source.clone(),
            why,
        },
        DialError::Connect(e) => DevError::Connect(e),
        DialError::Command(e) => DevError::Command {
            uri: shown.clone(),
            what: "buildInfo".into(),
            why: explain(&e),
        },
    };
    let mut options = dial.options().await.map_err(failed)?;
    options.app_name = Some(format!("mig/{} dev", env!("CARGO_PKG_VERSION")));
    options.server_selection_timeout = Some(wait);
    options.connect_timeout = Some(wait);
    let (client, build) = dial
        .first(options, doc! {"buildInfo": 1})
        .await
        .map_err(failed)?;
    Ok(DevServer {
        client,
        shown,
        version: version_of(&build),
    })
}

fn version_of(build: &bson::Document) -> String {
    build.get_str("version").unwrap_or("0.0").to_string()
}

async fn server_version(client: &Client) -> Result<String, Error> {
    let build = client
        .database("admin")
        .run_command(doc! {"buildInfo": 1})
        .await?;
    Ok(version_of(&build))
}

/// Production's version, for `mig validate`: with a short timeout, and an
/// explanation instead when production can't be asked.
pub async fn production_version(settings: &Settings) -> Result<String, ReadError> {
    let short = Settings {
        server_selection_timeout: settings.server_selection_timeout.min(MAX_WAIT),
        ..settings.clone()
    };
    let client = super::connect(&short).await?;
    server_version(&client)
        .await
        .map_err(|e| ReadError::server(&e))
}

/// `mig validate` with a dev server: connect, compare its version with
/// production's when production answers (a warning when it doesn't), build.
pub async fn for_validate(
    dev_uri: &str,
    settings: &Settings,
    manifests: &Manifests,
) -> Result<DevOutcome, DevError> {
    let dev = connect(dev_uri, settings).await?;
    match production_version(settings).await {
        Ok(production) => check_versions(&dev.version, &production)?,
        Err(why) => tracing::warn!(
            "the dev server is MongoDB {}; its version could not be compared with production's: {why}",
            dev.version
        ),
    }
    normalize(&dev, manifests).await
}

/// `plan`, `apply`, `sync-indexes` with a dev server: connect, check the
/// version against production's, build. `Ok(Err(problems))` when the dev
/// server refused declarations; `Ok(Ok(manifests))` carries the server forms.
pub async fn for_run(
    dev_uri: &str,
    settings: &Settings,
    production: &ServerInfo,
    manifests: &Manifests,
) -> Result<Result<Manifests, Vec<Problem>>, DevError> {
    let dev = connect(dev_uri, settings).await?;
    check_versions(&dev.version, &production.version)?;
    let outcome = normalize(&dev, manifests).await?;
    let problems = outcome.problems();
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    tracing::info!(
        "the dev server (MongoDB {}) built {} declared index(es); comparing in its form",
        outcome.version,
        outcome.built()
    );
    let mut normalized = manifests.clone();
    outcome.apply(&mut normalized);
    Ok(Ok(normalized))
}

#[cfg(test)]
mod tests;
