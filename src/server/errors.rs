//! Server errors in words: which index, which database, what to do;
//! [`ReadError`], why a read of the server (connecting included) failed; and
//! [`ConnectError`], why no server answered, in one sentence.

use std::fmt;
use std::time::Duration;

use mongodb::error::{Error, ErrorKind};

use crate::config::UriSource;
use crate::redact::scrub;

/// The server's error code, if the error carries one.
pub fn code(err: &Error) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::Write(mongodb::error::WriteFailure::WriteError(w)) => Some(w.code),
        _ => None,
    }
}

/// A failed command: the server's code, when it gave one, and the explanation,
/// so callers decide on the code, not on the wording.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: Option<i32>,
    pub message: String,
}

impl Failure {
    pub fn of(err: &Error) -> Failure {
        Failure {
            code: code(err),
            message: explain(err),
        }
    }
}

/// Why reading the server failed: it could not be reached or used, a read
/// took too long, the server refused, or its reply was not what `mig` reads.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("invalid MongoDB URI {uri} ({from}): {why}")]
    InvalidUri {
        uri: String,
        from: UriSource,
        why: String,
    },
    /// The driver would not make a client of the options.
    #[error("cannot connect to {uri} ({from}): {why}")]
    Client {
        uri: String,
        from: UriSource,
        why: String,
    },
    /// No server answered, or it refused the credentials.
    #[error("{0}")]
    Connect(ConnectError),
    /// The server answered the first command with an error.
    #[error("cannot use MongoDB at {uri}: {failure}")]
    Unusable { uri: String, failure: Failure },
    /// A read outlasted the socket timeout.
    #[error("{what} took longer than {} (MONGODB_SOCKET_TIMEOUT_MS)", super::human(*.limit))]
    Timeout { what: String, limit: Duration },
    /// The server refused a read.
    #[error("{0}")]
    Server(Failure),
    #[error("{database}.{collection} is a view, not a collection; views have no indexes")]
    View {
        database: String,
        collection: String,
    },
    /// An index document the model can't read.
    #[error("{database}.{collection}: {why}")]
    Malformed {
        database: String,
        collection: String,
        why: String,
    },
    /// A reply of another shape than the command's.
    #[error("{0}")]
    Unexpected(String),
}

impl ReadError {
    pub fn server(err: &Error) -> ReadError {
        ReadError::Server(Failure::of(err))
    }
}

impl From<&str> for ReadError {
    fn from(what: &str) -> ReadError {
        ReadError::Unexpected(what.to_string())
    }
}

/// Which server a [`ConnectError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The one `--uri` names.
    Production,
    /// The dev server (`--dev-uri`).
    Dev,
}

/// Why the first command found no server, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Nothing listens at the host and port.
    Refused,
    /// The host name does not resolve (the host, or the SRV name).
    HostNotFound(String),
    /// The TLS handshake failed, in the driver's words.
    Tls(String),
    /// The server closed the connection before answering (without TLS: it may require it).
    Closed(String),
    /// No answer within the server selection wait.
    TimedOut(Duration),
    /// Servers answered, but none could serve within the wait: no primary.
    NoPrimary(Duration),
    /// The server refused the credentials.
    Auth(String),
    /// Anything else, in the driver's words.
    Other(String),
}

impl Reason {
    /// Waiting won't mend it: a refused port, an unknown host, a failed TLS handshake.
    /// A timeout might be a slow network, and a server that answered may be electing.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Reason::Refused | Reason::HostNotFound(_) | Reason::Tls(_)
        )
    }
}

/// The first contact with a server failed: which URI (redacted), where it
/// came from, what happened and what to check, in one sentence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConnectError {
    pub server: Server,
    /// Redacted.
    pub uri: String,
    pub from: UriSource,
    pub reason: Reason,
}

impl ConnectError {
    /// `--format json`'s `error.kind`.
    pub fn kind(&self) -> &'static str {
        match self.reason {
            Reason::Auth(_) => "auth",
            _ => "unreachable",
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match self.server {
            Server::Production => "MongoDB",
            Server::Dev => "the dev server",
        };
        // The dev server's wait is capped; only production's is the variable's.
        let wait = |d: &Duration| match self.server {
            Server::Production => {
                format!("{} (MONGODB_SERVER_SELECTION_TIMEOUT_MS)", super::human(*d))
            }
            Server::Dev => super::human(*d),
        };
        let verb = match self.reason {
            Reason::Auth(_) => "cannot log in to",
            _ => "cannot reach",
        };
        let what = match &self.reason {
            Reason::Refused if self.from == UriSource::Default => {
                "connection refused; is mongod running on this machine, or is the database \
                 elsewhere (set MONGODB_URI or --uri)?"
                    .to_string()
            }
            Reason::Refused => "connection refused; is mongod running there, on that port?".into(),
            Reason::HostNotFound(host) => {
                format!("host {host} not found; check the host name in the URI")
            }
            Reason::Tls(why) => format!(
                "TLS handshake failed ({why}); check the URI's tls options (tls, tlsCAFile, \
                 tlsCertificateKeyFile) and the server's certificate"
            ),
            Reason::Closed(why) => format!(
                "the server closed the connection ({why}); does it require TLS (tls=true in the URI)?"
            ),
            Reason::TimedOut(d) => format!(
                "no answer within {}; check the host, the port and any firewall in between",
                wait(d)
            ),
            Reason::NoPrimary(d) => format!(
                "servers answered but no primary within {}; is the replica set electing, or is \
                 replicaSet= in the URI wrong?",
                wait(d)
            ),
            Reason::Auth(why) => format!(
                "authentication failed ({why}); check the user, the password and authSource in the URI"
            ),
            Reason::Other(why) => why.clone(),
        };
        write!(f, "{verb} {who} at {} ({}): {what}", self.uri, self.from)
    }
}

/// One line that says what went wrong; secrets scrubbed.
pub fn explain(err: &Error) -> String {
    let text = match err.kind.as_ref() {
        ErrorKind::Command(c) => explain_code(c.code, &c.code_name, &c.message),
        ErrorKind::Authentication { message, .. } => format!("authentication failed: {message}"),
        ErrorKind::ServerSelection { message, .. } => format!("server selection failed: {message}"),
        ErrorKind::Write(mongodb::error::WriteFailure::WriteError(w)) => {
            explain_code(w.code, "", &w.message)
        }
        ErrorKind::Write(mongodb::error::WriteFailure::WriteConcernError(w)) => {
            format!("write concern error ({}): {}", w.code, w.message)
        }
        // The kind alone: the full error carries the raw server reply.
        kind => kind.to_string(),
    };
    scrub(&text)
}

fn explain_code(code: i32, name: &str, message: &str) -> String {
    match code {
        85 => format!(
            "IndexOptionsConflict (85): an index with the same key and options exists under another name, \
             or an index of this name exists with other options; the server does not keep both. Server said: {message}"
        ),
        86 => format!(
            "IndexKeySpecsConflict (86): an index of this name already exists with a different key. Server said: {message}"
        ),
        11000 => match duplicate_key(message) {
            Some((index, key)) => format!(
                "duplicate key: unique index {index:?} cannot be built because several documents share the key {key}; \
                 remove or fix the duplicates (or make the index partial) and run again"
            ),
            None => format!("duplicate key: {message}"),
        },
        67 => format!("CannotCreateIndex (67): the server rejected the index: {message}"),
        26 => format!("NamespaceNotFound (26): the collection or database no longer exists: {message}"),
        27 => format!("IndexNotFound (27): the index no longer exists: {message}"),
        13 => format!("Unauthorized (13): the user lacks a privilege for this: {message}"),
        18 => format!("AuthenticationFailed (18): check the user and password in the URI: {message}"),
        _ if name.is_empty() => format!("error {code}: {message}"),
        _ => format!("{name} ({code}): {message}"),
    }
}

/// From "E11000 duplicate key error collection: db.c index: email_1 dup key: { email: \"a\" }",
/// the index name and the key.
pub fn duplicate_key(message: &str) -> Option<(String, String)> {
    let after = message.split("index: ").nth(1)?;
    let (index, rest) = after.split_once(' ')?;
    let key = rest
        .split_once("dup key: ")
        .map(|(_, k)| k.trim().to_string())
        .unwrap_or_default();
    Some((index.to_string(), key))
}

#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;
