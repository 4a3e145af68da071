//! The dev server: the server as the oracle. A throw-away MongoDB of
//! production's version builds every declared index on empty collections, in
//! databases of its own that are dropped afterwards. What it refuses comes
//! back as a [`Problem`] naming the file, the line, the collection and the
//! index; what it builds comes back in its `listIndexes` form, which the
//! comparison then uses instead of `mig`'s own normalization.
//!
//! - [`connect`]: a client of its own, with a short server selection timeout;
//! - [`check_versions`]: the dev server must run production's release (pure);
//! - [`normalize`]: build, list, drop; [`DevOutcome::apply`] sets each
//!   declared index's `server_form`;
//! - [`for_validate`] and [`for_run`]: the above, as `mig validate` and
//!   `plan`/`apply`/`sync-indexes` use them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use bson::{doc, Document};
use futures::stream::{self, StreamExt};
use futures::TryStreamExt;
use mongodb::error::{Error, ErrorKind};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

use super::errors::{explain, is_unreachable, ReadError};
use super::inspect::ServerInfo;
use crate::config::Settings;
use crate::diagnostics::Problem;
use crate::manifest::Manifests;
use crate::model::{Collection, IndexSpec, Scope};
use crate::redact::redact_uri;

/// The longest `mig` waits for the dev server (or, during `validate`, for
/// production) to answer, whatever the configured server selection timeout.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// Collections of one scope built at once.
const CONCURRENCY: usize = 4;

/// Why the dev server could not be used. A declaration the server refuses is
/// not one of these: it is a [`Problem`] in the [`DevOutcome`].
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("invalid dev server URI {uri}: {why}")]
    InvalidUri { uri: String, why: String },
    #[error("cannot reach the dev server at {uri}: no server answered within {within}: {why}")]
    Unreachable {
        uri: String,
        within: String,
        why: String,
    },
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
/// server selection timeout, capped at [`MAX_WAIT`].
pub async fn connect(uri: &str, settings: &Settings) -> Result<DevServer, DevError> {
    crate::redact::register(uri);
    let shown = redact_uri(uri);
    let wait = settings.server_selection_timeout.min(MAX_WAIT);
    let mut options = ClientOptions::parse(uri)
        .await
        .map_err(|e| DevError::InvalidUri {
            uri: shown.clone(),
            why: explain(&e),
        })?;
    options.app_name = Some(format!("mig/{} dev", env!("CARGO_PKG_VERSION")));
    options.server_selection_timeout = Some(wait);
    options.connect_timeout = Some(wait);
    let client = Client::with_options(options).map_err(|e| DevError::InvalidUri {
        uri: shown.clone(),
        why: explain(&e),
    })?;
    let version = server_version(&client).await.map_err(|e| {
        if is_unreachable(&e) {
            DevError::Unreachable {
                uri: shown.clone(),
                within: super::human(wait),
                why: explain(&e),
            }
        } else {
            DevError::Command {
                uri: shown.clone(),
                what: "buildInfo".into(),
                why: explain(&e),
            }
        }
    })?;
    Ok(DevServer {
        client,
        shown,
        version,
    })
}

async fn server_version(client: &Client) -> Result<String, Error> {
    let build = client
        .database("admin")
        .run_command(doc! {"buildInfo": 1})
        .await?;
    Ok(build.get_str("version").unwrap_or("0.0").to_string())
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

/// Builds every declared index on empty collections of throw-away databases
/// (one per scope with declarations), lists them, and drops the databases,
/// whatever happened.
pub async fn normalize(dev: &DevServer, manifests: &Manifests) -> Result<DevOutcome, DevError> {
    let run = random_hex();
    let scopes: Vec<(Scope, String)> = [Scope::Public, Scope::Tenant]
        .into_iter()
        .filter(|s| {
            manifests
                .for_scope(*s)
                .iter()
                .any(|c| !c.indexes.is_empty())
        })
        .map(|s| (s, format!("mig_dev_{run}_{s}")))
        .collect();
    let names: Vec<String> = scopes.iter().map(|(_, n)| n.clone()).collect();
    interrupt::guard(&dev.client, &names);
    tracing::info!(
        "the dev server (MongoDB {}) builds the declarations in {}",
        dev.version,
        names.join(", ")
    );
    let mut outcome = DevOutcome {
        version: dev.version.clone(),
        declarations: Vec::new(),
    };
    let stop = AtomicBool::new(false);
    let mut result = Ok(());
    for (scope, database) in &scopes {
        let db = dev.client.database(database);
        match build_scope(dev, &db, *scope, manifests, &stop).await {
            Ok(declarations) => outcome.declarations.extend(declarations),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    // Every command has returned by now, so none can recreate a database after its drop.
    drop_databases(&dev.client, &names).await;
    interrupt::release(&names);
    if interrupt::interrupted() {
        eprintln!("interrupted; the dev server's throw-away databases were dropped");
        std::process::exit(130);
    }
    result.map(|()| outcome)
}

async fn build_scope(
    dev: &DevServer,
    db: &Database,
    scope: Scope,
    manifests: &Manifests,
    stop: &AtomicBool,
) -> Result<Vec<Declaration>, DevError> {
    // Not try_collect: a failure must not abandon the other collections'
    // commands in flight (one landing after the drop would recreate the
    // database); they see `stop` and return before their next command.
    let built: Vec<Result<Vec<Declaration>, DevError>> = stream::iter(manifests.for_scope(scope))
        .filter(|c| std::future::ready(!c.indexes.is_empty()))
        .map(|c| async move {
            let result = build_collection(dev, db, scope, c, manifests, stop).await;
            if result.is_err() {
                stop.store(true, Ordering::SeqCst);
            }
            result
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut stopped = None;
    for result in built {
        match result {
            Ok(declarations) => out.extend(declarations),
            // The failure that stopped the others is the one to report.
            Err(DevError::Stopped) => stopped = Some(DevError::Stopped),
            Err(e) => return Err(e),
        }
    }
    match stopped {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// `create`, one `createIndexes` per index (so each refusal is its own), `listIndexes`.
async fn build_collection(
    dev: &DevServer,
    db: &Database,
    scope: Scope,
    collection: &Collection,
    manifests: &Manifests,
    stop: &AtomicBool,
) -> Result<Vec<Declaration>, DevError> {
    let go_on = || {
        if stop.load(Ordering::SeqCst) || interrupt::interrupted() {
            Err(DevError::Stopped)
        } else {
            Ok(())
        }
    };
    let name = collection.name.as_str();
    let failed = |what: String, e: &Error| DevError::Command {
        uri: dev.shown.clone(),
        what,
        why: explain(e),
    };
    let refused = |index: &str, what: &str, (code, code_name, message): Refusal| {
        let message = format!(
            "the dev server refused {what}: {message} ({code_name}{}code {code})",
            if code_name.is_empty() { "" } else { ", " }
        );
        match manifests.origin(scope, name, index) {
            Some(origin) => origin.problem("", message),
            None => Problem {
                subject: format!("{name}.{index}"),
                message,
                ..Default::default()
            },
        }
    };
    let declaration = |index: &str, answer: Answer| Declaration {
        scope,
        collection: name.to_string(),
        index: index.to_string(),
        answer,
    };
    go_on()?;
    if let Err(e) = db.create_collection(name).await {
        // Offline validation let the name through; the server may still refuse it.
        let first = &collection.indexes[0].name;
        return match refusal(&e) {
            Some(r) => Ok(vec![declaration(
                first,
                Answer::Refused(refused(first, &format!("the collection {name:?}"), r)),
            )]),
            None => Err(failed(format!("creating {}.{name}", db.name()), &e)),
        };
    }
    let mut answers = Vec::new();
    for spec in &collection.indexes {
        go_on()?;
        let command = doc! {"createIndexes": name, "indexes": [spec.to_document()]};
        match db.run_command(command).await {
            Ok(_) => answers.push((spec.name.as_str(), None)),
            Err(e) => match refusal(&e) {
                Some(r) => answers.push((spec.name.as_str(), Some(refused(&spec.name, "it", r)))),
                None => {
                    return Err(failed(
                        format!("createIndexes {:?} on {}.{name}", spec.name, db.name()),
                        &e,
                    ))
                }
            },
        }
    }
    go_on()?;
    let listed: Vec<Document> = async {
        db.run_cursor_command(doc! {"listIndexes": name})
            .await?
            .try_collect()
            .await
    }
    .await
    .map_err(|e| failed(format!("listIndexes on {}.{name}", db.name()), &e))?;
    let mut out = Vec::new();
    for (index, problem) in answers {
        let answer = match problem {
            Some(p) => Answer::Refused(p),
            None => match listed.iter().find(|d| d.get_str("name") == Ok(index)) {
                Some(d) => {
                    Answer::Built(Some(Box::new(IndexSpec::from_server(d).map_err(|e| {
                        DevError::Command {
                            uri: dev.shown.clone(),
                            what: format!("listIndexes on {}.{name}", db.name()),
                            why: e.to_string(),
                        }
                    })?)))
                }
                None => Answer::Built(None),
            },
        };
        out.push(declaration(index, answer));
    }
    Ok(out)
}

/// A server error that is about what was sent (code, code name, message),
/// rather than about the server, the network or the user's privileges.
type Refusal = (i32, String, String);

fn refusal(e: &Error) -> Option<Refusal> {
    /// Unauthorized, AuthenticationFailed, HostUnreachable, HostNotFound,
    /// NetworkTimeout, MaxTimeMSExpired, ShutdownInProgress,
    /// PrimarySteppedDown, ExceededTimeLimit, SocketException,
    /// NotWritablePrimary, InterruptedAtShutdown, InterruptedDueToReplStateChange,
    /// NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, Atlas's "not allowed".
    const ENVIRONMENT: &[i32] = &[
        13, 18, 6, 7, 89, 50, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 8000,
    ];
    match e.kind.as_ref() {
        ErrorKind::Command(c) if !ENVIRONMENT.contains(&c.code) => {
            // "Error in specification { ...the spec... } :: caused by :: why": the why.
            let why = c.message.rsplit(" :: caused by :: ").next().unwrap_or("");
            Some((
                c.code,
                c.code_name.clone(),
                why.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        }
        _ => None,
    }
}

async fn drop_databases(client: &Client, names: &[String]) {
    for name in names {
        if let Err(e) = client.database(name).drop().await {
            tracing::warn!(
                "could not drop the dev server's throw-away database {name}: {}; drop it by hand",
                explain(&e)
            );
        }
    }
}

/// Eight hex digits that no other run is likely to pick.
fn random_hex() -> String {
    use std::hash::BuildHasher;
    let seed = (
        std::time::SystemTime::now(),
        std::process::id(),
        std::thread::current().id(),
    );
    let h = std::collections::hash_map::RandomState::new().hash_one(format!("{seed:?}"));
    format!("{:08x}", h as u32)
}

/// A best effort when the process is interrupted (SIGINT, SIGTERM) while
/// throw-away databases exist: drop them, then exit 130. Once a listener is
/// installed the signal no longer ends the process by itself, so the listener
/// stays for the whole run and always exits.
mod interrupt {
    use super::*;

    static PENDING: Mutex<Vec<(Client, String)>> = Mutex::new(Vec::new());
    static LISTENER: Once = Once::new();
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);

    pub(super) fn interrupted() -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }

    fn pending() -> std::sync::MutexGuard<'static, Vec<(Client, String)>> {
        PENDING.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn guard(client: &Client, names: &[String]) {
        pending().extend(names.iter().map(|n| (client.clone(), n.clone())));
        LISTENER.call_once(|| {
            tokio::spawn(async {
                signalled().await;
                INTERRUPTED.store(true, Ordering::SeqCst);
                // `normalize` stops before its next command, drops its
                // databases and exits; wait for it a while, then drop them here.
                let deadline = tokio::time::Instant::now() + 2 * MAX_WAIT;
                while !pending().is_empty() && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let left = std::mem::take(&mut *pending());
                for (client, name) in &left {
                    let _ = tokio::time::timeout(MAX_WAIT, client.database(name).drop()).await;
                }
                eprintln!("interrupted");
                std::process::exit(130);
            });
        });
    }

    pub(super) fn release(names: &[String]) {
        pending().retain(|(_, n)| !names.contains(n));
    }

    async fn signalled() {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
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
mod tests {
    use super::*;

    #[test]
    fn patch_releases_of_one_release_match() {
        assert!(check_versions("6.0.5", "6.0.14").is_ok());
        assert!(check_versions("7.0.2", "7.0.2").is_ok());
        assert!(check_versions("6.0.5-rc1", "6.0.5").is_ok());
    }

    #[test]
    fn other_releases_do_not() {
        let e = check_versions("7.0.2", "6.0.5").unwrap_err();
        assert_eq!(
            e.to_string().split(':').next().unwrap(),
            "the dev server is MongoDB 7.0.2, production is 6.0.5"
        );
        assert!(e.to_string().contains("MongoDB 6.0"), "{e}");
        assert!(check_versions("7.1.0", "7.0.9").is_err());
        assert!(check_versions("4.4.1", "4.2.1").is_err());
        assert!(check_versions("garbage", "6.0.5").is_err());
        assert!(check_versions("6.0.5", "0").is_err());
    }

    #[test]
    fn throw_away_names_are_short_and_distinct() {
        let a = random_hex();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert!(format!("mig_dev_{a}_tenant").len() <= 63);
        assert_ne!(a, random_hex());
    }

    #[test]
    fn server_forms_go_to_their_own_declaration() {
        let spec = |name: &str| IndexSpec {
            name: name.into(),
            keys: doc! {"a": 1},
            ..Default::default()
        };
        let collection = |indexes| Collection {
            name: "c".into(),
            indexes,
            ..Default::default()
        };
        let mut manifests = Manifests {
            public: vec![collection(vec![spec("x")])],
            tenant: vec![collection(vec![spec("x"), spec("y")])],
            ..Default::default()
        };
        let form = IndexSpec {
            other: doc! {"v": 2},
            ..spec("x")
        };
        let outcome = DevOutcome {
            version: "6.0.5".into(),
            declarations: vec![
                Declaration {
                    scope: Scope::Tenant,
                    collection: "c".into(),
                    index: "x".into(),
                    answer: Answer::Built(Some(Box::new(form.clone()))),
                },
                Declaration {
                    scope: Scope::Tenant,
                    collection: "c".into(),
                    index: "y".into(),
                    answer: Answer::Built(None),
                },
            ],
        };
        outcome.apply(&mut manifests);
        assert_eq!(
            manifests.tenant[0].indexes[0].server_form.as_deref(),
            Some(&form)
        );
        assert_eq!(manifests.tenant[0].indexes[1].server_form, None);
        assert_eq!(manifests.public[0].indexes[0].server_form, None);
        assert_eq!(outcome.built(), 2);
        assert!(outcome.problems().is_empty());
    }
}
