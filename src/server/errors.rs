//! Server errors in words: which index, which database, what to do; and
//! [`ReadError`], why a read of the server (connecting included) failed.

use std::time::Duration;

use mongodb::error::{Error, ErrorKind};

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
    #[error("invalid MongoDB URI {uri}: {why}")]
    InvalidUri { uri: String, why: String },
    /// The driver would not make a client of the options.
    #[error("cannot connect to {uri}: {why}")]
    Client { uri: String, why: String },
    #[error(
        "cannot reach MongoDB at {uri}: no server answered within {} (MONGODB_SERVER_SELECTION_TIMEOUT_MS): {why}",
        super::human(*.within)
    )]
    Unreachable {
        uri: String,
        within: Duration,
        why: String,
    },
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

pub fn is_unreachable(err: &Error) -> bool {
    matches!(
        err.kind.as_ref(),
        ErrorKind::ServerSelection { .. } | ErrorKind::Io(_)
    )
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
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_names_index_and_key() {
        let m = "Index build failed: 1b2c: Collection t.users ( 3f ) :: caused by :: E11000 duplicate key error collection: t.users index: idx_users_email dup key: { email: \"a@x.io\" }";
        assert_eq!(
            duplicate_key(m),
            Some(("idx_users_email".into(), "{ email: \"a@x.io\" }".into()))
        );
        let text = explain_code(11000, "DuplicateKey", m);
        assert!(
            text.contains("\"idx_users_email\"") && text.contains("a@x.io"),
            "{text}"
        );
    }

    #[test]
    fn conflict_codes_are_explained_in_words() {
        assert!(explain_code(85, "IndexOptionsConflict", "x").contains("another name"));
        assert!(explain_code(86, "IndexKeySpecsConflict", "x").contains("different key"));
    }
}
