//! The first contact with a server: its first command, and why it failed in
//! words. The driver's monitors report every heartbeat; when each seed's
//! first ones failed in a way waiting won't mend (a refused port, an unknown
//! host, a failed TLS handshake) the command is given up at once. A server
//! that answered (a replica set may be electing) or a timeout (a slow network)
//! gets the whole server selection wait.

use std::time::Duration;

use bson::Document;
use mongodb::error::{Error, ErrorKind};
use mongodb::event::sdam::SdamEvent;
use mongodb::event::EventHandler;
use mongodb::options::{ClientOptions, ServerAddress, Tls};
use mongodb::Client;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::errors::{explain, ConnectError, Reason, Server};
use crate::config::UriSource;
use crate::redact::{redact_uri, scrub};

/// Why dialing failed, before the caller's error type.
pub(super) enum DialError {
    /// Not a URI the driver reads.
    InvalidUri(String),
    /// The driver would not make a client of the options.
    Client(String),
    /// No server answered, or it refused the credentials.
    Connect(ConnectError),
    /// The server answered the first command with an error.
    Command(Error),
}

/// What one URI is, for the error that names it.
pub(super) struct Dial<'a> {
    pub server: Server,
    /// Secret.
    pub uri: &'a str,
    pub from: &'a UriSource,
}

impl Dial<'_> {
    fn error(&self, reason: Reason) -> DialError {
        DialError::Connect(ConnectError {
            server: self.server,
            uri: redact_uri(self.uri),
            from: self.from.clone(),
            reason,
        })
    }

    /// The driver's options of the URI (an SRV URI's hosts looked up).
    pub async fn options(&self) -> Result<ClientOptions, DialError> {
        ClientOptions::parse(self.uri)
            .await
            .map_err(|e| match *e.kind {
                // An SRV name that does not resolve is an unknown host, not a bad URI.
                ErrorKind::DnsResolve { .. } => {
                    self.error(Reason::HostNotFound(hosts_of(self.uri)))
                }
                _ => DialError::InvalidUri(explain(&e)),
            })
    }

    /// Runs `command` on `admin` with a client of `options`; the client and the reply.
    pub async fn first(
        &self,
        mut options: ClientOptions,
        command: Document,
    ) -> Result<(Client, Document), DialError> {
        let wait = options
            .server_selection_timeout
            .unwrap_or(Duration::from_secs(30));
        let tls = matches!(options.tls, Some(Tls::Enabled(_)));
        let mut heard = Heard::new(options.hosts.clone());
        // After this contact nobody listens: a send to the dropped receiver is a no-op.
        let (tx, mut rx) = unbounded_channel();
        options.sdam_event_handler = Some(EventHandler::callback(move |event| {
            let beat = match event {
                SdamEvent::ServerHeartbeatSucceeded(e) => (e.server_address, None),
                SdamEvent::ServerHeartbeatFailed(e) => (e.server_address, Some(e.failure)),
                _ => return,
            };
            let _ = tx.send(beat);
        }));
        let client = Client::with_options(options).map_err(|e| DialError::Client(explain(&e)))?;
        let admin = client.database("admin");
        let reply = tokio::select! {
            biased;
            reply = admin.run_command(command) => Some(reply),
            () = listen(&mut heard, &mut rx, tls, wait) => None,
        };
        let err = match reply {
            Some(Ok(reply)) => return Ok((client, reply)),
            Some(Err(err)) => err,
            None => {
                let reason = heard.hopeless().unwrap_or(Reason::TimedOut(wait));
                return Err(self.error(reason));
            }
        };
        // Driver detail (the topology it saw) is for -v.
        tracing::info!("the driver said: {}", explain(&err));
        let reason = match err.kind.as_ref() {
            ErrorKind::ServerSelection { .. } => {
                while let Ok((address, failure)) = rx.try_recv() {
                    hear(&mut heard, address, failure, tls, wait).await;
                }
                heard.after_wait(wait)
            }
            ErrorKind::Authentication { message, .. } => Reason::Auth(scrub(message)),
            ErrorKind::Command(c) if c.code == 18 => Reason::Auth(scrub(&c.message)),
            // A load balancer has no monitor: the command's own connection failed.
            ErrorKind::Io(_) | ErrorKind::DnsResolve { .. } => {
                let address = heard.seeds.first().cloned();
                match address {
                    Some(address) => classify(&err, &address, tls, wait).await,
                    None => Reason::Other(explain(&err)),
                }
            }
            _ => return Err(DialError::Command(err)),
        };
        Err(self.error(reason))
    }
}

/// Returns once every seed has failed for good; otherwise never.
async fn listen(
    heard: &mut Heard,
    rx: &mut UnboundedReceiver<(ServerAddress, Option<Error>)>,
    tls: bool,
    wait: Duration,
) {
    while let Some((address, failure)) = rx.recv().await {
        hear(heard, address, failure, tls, wait).await;
        if heard.hopeless().is_some() {
            return;
        }
    }
    std::future::pending().await
}

async fn hear(
    heard: &mut Heard,
    address: ServerAddress,
    failure: Option<Error>,
    tls: bool,
    wait: Duration,
) {
    match failure {
        None => heard.answered = true,
        Some(e) => {
            let reason = classify(&e, &address, tls, wait).await;
            // Monitors retry every half second: -v says each new failure once.
            if heard.failure(&address) != Some(&reason) {
                tracing::info!("{address}: {}", explain(&e));
            }
            heard.failed(address, reason);
        }
    }
}

/// What a failed heartbeat (or a first command's connection) says about reaching `address`.
async fn classify(err: &Error, address: &ServerAddress, tls: bool, wait: Duration) -> Reason {
    use std::io::ErrorKind as Io;
    let io = match err.kind.as_ref() {
        ErrorKind::Io(io) => io,
        ErrorKind::DnsResolve { .. } => return Reason::HostNotFound(address.to_string()),
        _ => return Reason::Other(explain(err)),
    };
    let said = || scrub(&io.to_string());
    match io.kind() {
        // NotFound: a Unix socket path with nothing there.
        Io::ConnectionRefused | Io::NotFound => Reason::Refused,
        Io::TimedOut => Reason::TimedOut(wait),
        Io::InvalidData
        | Io::UnexpectedEof
        | Io::ConnectionReset
        | Io::ConnectionAborted
        | Io::BrokenPipe
            if tls =>
        {
            Reason::Tls(said())
        }
        Io::UnexpectedEof | Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe => {
            Reason::Closed(said())
        }
        // A failed lookup has no kind of its own: ask the resolver again.
        _ if !resolves(address).await => Reason::HostNotFound(address.to_string()),
        _ => Reason::Other(explain(err)),
    }
}

async fn resolves(address: &ServerAddress) -> bool {
    match address {
        ServerAddress::Tcp { host, port } => {
            host.parse::<std::net::IpAddr>().is_ok()
                || tokio::net::lookup_host((host.as_str(), port.unwrap_or(27017)))
                    .await
                    .is_ok_and(|mut found| found.next().is_some())
        }
        _ => true,
    }
}

/// The hosts of a URI (`user:pass@` left out), for an SRV name that did not resolve.
fn hosts_of(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, hosts)| hosts)
        .to_string()
}

/// What the monitors heard from the seeds. Pure: the decisions are tested below.
#[derive(Debug, Default)]
struct Heard {
    seeds: Vec<ServerAddress>,
    /// Some server answered a heartbeat.
    answered: bool,
    /// The latest failure of each server that failed.
    failures: Vec<(ServerAddress, Reason)>,
}

impl Heard {
    fn new(seeds: Vec<ServerAddress>) -> Heard {
        Heard {
            seeds,
            ..Default::default()
        }
    }

    fn failed(&mut self, address: ServerAddress, reason: Reason) {
        self.failures.retain(|(a, _)| *a != address);
        self.failures.push((address, reason));
    }

    fn failure(&self, address: &ServerAddress) -> Option<&Reason> {
        self.failures
            .iter()
            .find(|(a, _)| a == address)
            .map(|(_, r)| r)
    }

    /// Every seed failed for good and none answered: the first seed's reason.
    fn hopeless(&self) -> Option<Reason> {
        if self.answered || self.seeds.is_empty() {
            return None;
        }
        let mut reasons = Vec::new();
        for seed in &self.seeds {
            match self.failure(seed) {
                Some(reason) if reason.is_final() => reasons.push(reason),
                _ => return None,
            }
        }
        reasons.first().map(|r| (*r).clone())
    }

    /// Why no server was selected within the wait.
    fn after_wait(&self, wait: Duration) -> Reason {
        if self.answered {
            return Reason::NoPrimary(wait);
        }
        self.seeds
            .iter()
            .find_map(|s| self.failure(s))
            .cloned()
            .unwrap_or(Reason::TimedOut(wait))
    }
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
