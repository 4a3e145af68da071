//! Everything that talks to MongoDB: connecting, reading live indexes
//! ([`inspect`]), applying a plan ([`execute`]), explaining server errors
//! in words ([`errors`]), and asking a dev server for its form of the
//! declarations ([`dev`]).

pub use crate::model::names::MIG_COLLECTION;

pub mod bookkeeping;
mod contact;
pub mod dev;
pub mod errors;
pub mod execute;
pub mod inspect;
pub mod load;
pub mod observe;
mod outcome;
pub mod preflight;
pub mod retry;

use std::future::IntoFuture;
use std::time::Duration;

use bson::doc;
use mongodb::Client;

use crate::config::Settings;
use crate::redact::redact_uri;
use contact::{Dial, DialError};
use errors::{Failure, ReadError};

/// Connects and checks the server answers, so an unreachable or misconfigured
/// server is one clear error up front rather than one per database; a
/// refused port or an unknown host says so at once (see `contact.rs`).
pub async fn connect(settings: &Settings) -> Result<Client, ReadError> {
    let dial = Dial {
        server: errors::Server::Production,
        uri: &settings.uri,
        from: &settings.uri_source,
    };
    let failed = |e: DialError| {
        let (uri, from) = (redact_uri(&settings.uri), settings.uri_source.clone());
        match e {
            DialError::InvalidUri(why) => ReadError::InvalidUri { uri, from, why },
            DialError::Client(why) => ReadError::Client { uri, from, why },
            DialError::Connect(e) => ReadError::Connect(e),
            DialError::Command(e) => ReadError::Unusable {
                uri,
                failure: Failure::of(&e),
            },
        }
    };
    let mut options = dial.options().await.map_err(failed)?;
    options.app_name = Some(format!("mig/{}", env!("CARGO_PKG_VERSION")));
    options.server_selection_timeout = Some(settings.server_selection_timeout);
    if settings.max_pool_size.is_some() {
        options.max_pool_size = settings.max_pool_size;
    }
    if settings.min_pool_size.is_some() {
        options.min_pool_size = settings.min_pool_size;
    }
    let (client, _) = dial
        .first(options, doc! {"ping": 1})
        .await
        .map_err(failed)?;
    Ok(client)
}

fn human(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Bounds a read by the configured socket timeout (the driver has none); the
/// outer error is the timeout, the inner one the server's.
pub async fn within<T>(
    limit: Option<Duration>,
    what: &str,
    op: impl IntoFuture<Output = mongodb::error::Result<T>>,
) -> Result<mongodb::error::Result<T>, ReadError> {
    match limit {
        None => Ok(op.await),
        Some(limit) => tokio::time::timeout(limit, op.into_future())
            .await
            .map_err(|_| ReadError::Timeout {
                what: what.to_string(),
                limit,
            }),
    }
}

/// [`within`], with the server's error explained.
pub async fn bounded<T>(
    limit: Option<Duration>,
    what: &str,
    op: impl IntoFuture<Output = mongodb::error::Result<T>>,
) -> Result<T, ReadError> {
    within(limit, what, op)
        .await?
        .map_err(|e| ReadError::server(&e))
}
