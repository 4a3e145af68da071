//! The dev server's work: build every declared index on empty collections
//! of throw-away databases, list what it built, drop the databases.

use std::sync::atomic::{AtomicBool, Ordering};

use bson::{doc, Document};
use futures::stream::{self, StreamExt};
use futures::TryStreamExt;
use mongodb::error::{Error, ErrorKind};
use mongodb::{Client, Database};

use super::interrupt;
use super::{Answer, Declaration, DevError, DevOutcome, DevServer};
use crate::diagnostics::Problem;
use crate::manifest::Manifests;
use crate::model::{Collection, IndexSpec, Scope};
use crate::server::errors::explain;

/// Collections of one scope built at once.
const CONCURRENCY: usize = 4;

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
    // With its declared options: a default collation or a time-series
    // layout changes what the server makes of each index.
    let mut create = doc! {"create": name};
    if let Some(options) = &collection.options {
        create.extend(crate::model::collection::create_options(options));
    }
    if let Err(e) = db.run_command(create).await {
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
pub(super) fn random_hex() -> String {
    use std::hash::BuildHasher;
    let seed = (
        std::time::SystemTime::now(),
        std::process::id(),
        std::thread::current().id(),
    );
    let h = std::collections::hash_map::RandomState::new().hash_one(format!("{seed:?}"));
    format!("{:08x}", h as u32)
}
