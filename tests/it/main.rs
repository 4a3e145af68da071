//! Every integration test, in one test binary: each former `tests/NAME.rs`
//! is the module `NAME` here, so that `mig` and its dependencies are linked
//! into one executable rather than one per file: linking dominated the build
//! of the tests on a 2-core machine (`cargo test --no-run` after touching
//! `src/lib.rs`: 105 to 122 s for 24 binaries, 33 to 60 s for this one, both
//! beside other builds). Run one file's tests with `scripts/test --test it NAME::`.
//!
//! The modules run in one process, in parallel threads: nothing here may
//! change process-wide state (environment variables, the current directory);
//! each test passes what it needs to the processes it starts.

mod support;

/// The index spec grammar, shared by the differential and the pair tests.
#[path = "differential/grammar.rs"]
mod grammar;

mod architecture;
mod both_ways;
mod clusters;
mod collections;
mod connection;
mod dev_server;
mod differential;
mod drift;
mod faults;
mod first_hour;
mod index_kinds;
mod lint;
mod manifest_messages;
mod migrations;
mod pairs;
mod pull;
mod rollout;
mod safety;
mod schema;
mod scripts;
mod server_cases;
mod server_parity;
mod shell;
mod streaming;
mod sync;
