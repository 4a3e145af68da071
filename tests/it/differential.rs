//! Differential test against the real MongoDB server: random index specs
//! from a grammar of MongoDB's key types and options (valid and invalid, with
//! edge values) are given to the real `mongod` (built on an empty collection)
//! and to `mig validate`; any spec exactly one of them refuses is a
//! disagreement. Specs both accept must converge: applied by `mig` then
//! planned again, and built by the driver then planned by `mig`, the plan is
//! empty. Each disagreement is shrunk to a minimal spec, printed with both
//! verdicts and a ready-to-paste entry for `tests/it/differential/regressions.yaml`,
//! whose specs every run checks first.
//!
//! The same for collection options: random `create` options (validators with
//! `$jsonSchema` and query operators, validation level and action, capped,
//! time-series, clustered, pre-images, views with pipelines; valid and not,
//! alone and combined) are given to `create` on `mongod` and, as a manifest
//! declaring the collection, to `mig validate`; those both accept must
//! converge (`mig apply --yes` then `mig plan`; `create` by the driver then
//! `mig plan`). One difference is intended: options the server ignores on a
//! view (a validator, capped, …) `mig` refuses.
//!
//! ```sh
//! MIG_TEST_URI=... cargo test --test it differential:: -- --nocapture   # seed 1, 300 cases
//! MIG_DIFF_SEED=random MIG_DIFF_CASES=3000 scripts/test --test it differential:: -- --nocapture
//! MIG_DIFF_SEED=42 MIG_DIFF_RECORD=1 cargo test --test it differential::   # appends new minimal cases
//! ```
//!
//! Knobs: `MIG_DIFF_SEED` (a number, or `random`: one is picked and printed),
//! `MIG_DIFF_CASES` (random index cases, default 300),
//! `MIG_DIFF_COLLECTION_CASES` (random collection cases, default 150), `MIG_DIFF_SECONDS` (the time
//! after which cases are no longer shrunk but printed as found, default 120),
//! `MIG_DIFF_RECORD=1` (append
//! newly found minimal cases to the regression file).

use crate::support;

use crate::grammar;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use futures::stream::{self, StreamExt};
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::ErrorKind;
use serde_json::Value;

use grammar::{collection_manifest, ejson, ejson_doc, manifest, parse_ejson, server_form, Rng};
use support::*;

const DEFAULT_SEED: u64 = 1;
const DEFAULT_CASES: usize = 300;
const DEFAULT_COLLECTION_CASES: usize = 150;
/// Server round trips in flight at once (a 2-core CI machine).
const CONCURRENCY: usize = 6;

fn regression_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/differential/regressions.yaml")
}

/// What the random specs are: index specs, or a collection's `create` options.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Subject {
    Index,
    Collection,
}

impl Subject {
    /// Collections are named `<prefix><case>`.
    fn prefix(self) -> &'static str {
        match self {
            Subject::Index => "c",
            Subject::Collection => "k",
        }
    }

    fn manifest(self, coll: &str, spec: &Document) -> String {
        match self {
            Subject::Index => manifest(coll, spec),
            Subject::Collection => collection_manifest(coll, spec),
        }
    }

    /// The regression file's key for a spec of this subject.
    fn key(self) -> &'static str {
        match self {
            Subject::Index => "spec",
            Subject::Collection => "options",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Verdict {
    /// `note`: the server's remark, e.g. "all indexes already exist".
    Accept { note: Option<String> },
    /// The server: code and errmsg; mig: no code, one message per problem.
    Refuse {
        code: Option<i32>,
        messages: Vec<String>,
    },
}

impl Verdict {
    fn accepts(&self) -> bool {
        matches!(self, Verdict::Accept { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept { note: None } => write!(f, "accepts"),
            Verdict::Accept { note: Some(n) } => write!(f, "accepts ({n})"),
            Verdict::Refuse { code, messages } => {
                write!(f, "refuses")?;
                if let Some(c) = code {
                    write!(f, " [{c}]")?;
                }
                write!(
                    f,
                    ": {}",
                    messages
                        .iter()
                        .map(|m| short(m))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            }
        }
    }
}

/// The part of a server errmsg that says why, without the echoed spec.
fn short(message: &str) -> String {
    let reason = message.rsplit(":: caused by :: ").next().unwrap_or(message);
    let reason = reason.split(", full error").next().unwrap_or(reason);
    // Filters are echoed on the lines after the first: the first says why.
    let reason = reason.lines().next().unwrap_or(reason);
    let mut out = String::new();
    let mut depth = 0;
    for c in reason.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{…}");
                }
            }
            '}' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.trim().to_string();
    if out.chars().count() > 220 {
        out.chars().take(220).collect::<String>() + "…"
    } else {
        out
    }
}

#[derive(Clone, Debug)]
struct Case {
    spec: Document,
    origin: String,
}

/// The server's verdicts: each index spec in a collection of its own,
/// created first; each collection's options given to `create`.
async fn server_verdicts(
    subject: Subject,
    db: &str,
    prefix: &str,
    specs: &[Document],
) -> Vec<Verdict> {
    let client = client().await;
    let database = client.database(db);
    let jobs = specs.iter().enumerate().map(|(j, spec)| {
        let database = database.clone();
        let coll = format!("{prefix}{j}");
        async move {
            let command = match subject {
                Subject::Index => {
                    database
                        .run_command(doc! {"create": &coll})
                        .await
                        .unwrap_or_else(|e| panic!("create {db}.{coll}: {e}"));
                    doc! {"createIndexes": &coll, "indexes": [server_form(spec)]}
                }
                Subject::Collection => {
                    let mut command = doc! {"create": &coll};
                    command.extend(spec.clone());
                    command
                }
            };
            match database.run_command(command).await {
                Ok(reply) => Verdict::Accept {
                    note: reply.get_str("note").ok().map(String::from),
                },
                Err(e) => match *e.kind {
                    // The namespace is the case's own: said the same for every case.
                    ErrorKind::Command(ref c) => Verdict::Refuse {
                        code: Some(c.code),
                        messages: vec![c.message.replace(&format!("{db}.{coll}"), "<ns>")],
                    },
                    _ => Verdict::Refuse {
                        code: None,
                        messages: vec![e.to_string()],
                    },
                },
            }
        }
    });
    stream::iter(jobs).buffered(CONCURRENCY).collect().await
}

/// Writes each spec as its own manifest file `manifests/<prefix><j>.yaml`
/// declaring collection `<prefix><j>`. One file per spec, because a value of
/// the wrong type stops `mig` reading the rest of its file.
fn write_manifests(subject: Subject, p: &Project, prefix: &str, specs: &[(usize, &Document)]) {
    for (j, spec) in specs {
        p.manifest(
            &format!("{prefix}{j}.yaml"),
            &subject.manifest(&format!("{prefix}{j}"), spec),
        );
    }
}

/// `mig validate` once over all specs: each problem is attributed to its spec.
fn mig_verdicts(subject: Subject, prefix: &str, specs: &[Document]) -> Vec<Verdict> {
    let p = Project::new();
    let numbered: Vec<_> = specs.iter().enumerate().collect();
    write_manifests(subject, &p, prefix, &numbered);
    let (out, code) = p.json(&["validate"]);
    let mut messages: Vec<Vec<String>> = vec![Vec::new(); specs.len()];
    let problems = out["problems"].as_array().cloned().unwrap_or_default();
    for problem in &problems {
        let file = problem["file"].as_str().unwrap_or_default();
        let field = problem["field"].as_str().unwrap_or_default();
        let from_file = file
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_prefix(prefix))
            .and_then(|f| f.strip_suffix(".yaml"))
            .and_then(|n| n.parse::<usize>().ok());
        let from_collection = problem["collection"]
            .as_str()
            .and_then(|c| c.strip_prefix(prefix))
            .and_then(|n| n.parse::<usize>().ok());
        // A collection's options are the whole declaration: a problem of its
        // file is the case's (a value of the wrong type is not at a field).
        let in_case = field.starts_with("collections[0]") || subject == Subject::Collection;
        let j = match (from_file.or(from_collection), in_case) {
            (Some(j), true) if j < specs.len() => j,
            _ => panic!(
                "mig reported a problem no case explains (a bug in the YAML rendering?): {problem}\n{}",
                from_file
                    .and_then(|j| specs.get(j).map(|s| subject.manifest(&format!("{prefix}{j}"), s)))
                    .unwrap_or_default()
            ),
        };
        messages[j].push(problem["message"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(
        code == 0,
        problems.is_empty(),
        "mig validate exit code {code} does not match its problems: {out}"
    );
    messages
        .into_iter()
        .map(|m| {
            if m.is_empty() {
                Verdict::Accept { note: None }
            } else {
                Verdict::Refuse {
                    code: None,
                    messages: m,
                }
            }
        })
        .collect()
}

/// Both oracles over a batch of specs.
async fn verdicts(
    subject: Subject,
    db: &str,
    prefix: &str,
    specs: &[Document],
) -> Vec<(Verdict, Verdict)> {
    let server = server_verdicts(subject, db, prefix, specs).await;
    let mig = mig_verdicts(subject, prefix, specs);
    server.into_iter().zip(mig).collect()
}

/// A difference `mig` makes on purpose: the server accepts a view with
/// options it then ignores (a validator, capped, …); `mig` refuses it,
/// saying so (`IGNORED_ON_A_VIEW` in src/manifest/rules/collection_options.rs).
fn intended(subject: Subject, v: &(Verdict, Verdict)) -> bool {
    match (subject, v) {
        (Subject::Collection, (Verdict::Accept { .. }, Verdict::Refuse { messages, .. })) => {
            messages
                .iter()
                .all(|m| m.contains("the server ignores") && m.ends_with("on a view"))
        }
        _ => false,
    }
}

/// The server's reason, without the filter field it names
/// ("Expression not supported in partial index: b $size : 1" → "…: $size : 1").
fn reason(message: &str) -> String {
    let s = short(message);
    const AT: &str = "partial index: ";
    match s.find(AT) {
        Some(i) if !s[i + AT.len()..].starts_with('$') => {
            let rest = &s[i + AT.len()..];
            let tail = rest.split_once(' ').map(|(_, t)| t).unwrap_or("");
            format!("{}<field> {tail}", &s[..i + AT.len()])
        }
        _ => s,
    }
}

/// A disagreement keeps its identity while shrinking: the same side refuses,
/// the server for the same reason, mig with at least one same message.
fn same_disagreement(a: &(Verdict, Verdict), b: &(Verdict, Verdict)) -> bool {
    match (a, b) {
        (
            (
                Verdict::Refuse {
                    code: c1,
                    messages: m1,
                },
                m,
            ),
            (
                Verdict::Refuse {
                    code: c2,
                    messages: m2,
                },
                n,
            ),
        ) => m.accepts() && n.accepts() && c1 == c2 && reason(&m1[0]) == reason(&m2[0]),
        ((s, Verdict::Refuse { messages: m1, .. }), (t, Verdict::Refuse { messages: m2, .. })) => {
            s.accepts() && t.accepts() && m1.iter().any(|m| m2.contains(m))
        }
        _ => false,
    }
}

/// The rule a disagreement is about, to group them and shrink one per group.
fn signature(v: &(Verdict, Verdict)) -> String {
    match v {
        (Verdict::Refuse { code, messages }, _) => {
            format!(
                "server refuses, mig accepts: [{}] {}",
                code.unwrap_or(0),
                reason(&messages[0])
            )
        }
        (_, Verdict::Refuse { messages, .. }) => {
            let mut m = messages.clone();
            m.sort();
            format!("server accepts, mig refuses: {}", m.join(" | "))
        }
        _ => unreachable!("not a disagreement"),
    }
}

/// Smaller specs to try, biggest reductions first.
fn candidates(spec: &Document) -> Vec<Document> {
    let mut out = Vec::new();
    for k in spec.keys().filter(|k| *k != "key") {
        let mut d = spec.clone();
        d.remove(k);
        out.push(d);
    }
    let keys = spec.get_document("key").cloned().unwrap_or_default();
    if keys.len() > 1 {
        for f in keys.keys() {
            let mut k = keys.clone();
            k.remove(f);
            let mut d = spec.clone();
            d.insert("key", k);
            out.push(d);
        }
    }
    // Plain field names become a, b, c, … so that cases about one rule look alike.
    for (pos, f) in keys.keys().enumerate() {
        let canonical = ["a", "b", "c", "d"][pos.min(3)];
        if f != canonical && plain_name(f) && !keys.contains_key(canonical) {
            let renamed: Document = keys
                .iter()
                .map(|(k, v)| {
                    (
                        if k == f {
                            canonical.to_string()
                        } else {
                            k.clone()
                        },
                        v.clone(),
                    )
                })
                .collect();
            let mut d = spec.clone();
            d.insert("key", renamed);
            out.push(d);
        }
    }
    for (k, v) in spec.iter().filter(|(k, _)| *k != "key" && *k != "name") {
        for smaller in simpler(v) {
            let mut d = spec.clone();
            d.insert(k.clone(), smaller);
            out.push(d);
        }
    }
    out
}

/// Simpler forms of a value: a document or array with one entry fewer, a
/// logical operator replaced by one of its clauses, any part simplified.
fn simpler(v: &Bson) -> Vec<Bson> {
    let mut out = Vec::new();
    match v {
        Bson::Document(d) => {
            if d.len() == 1 {
                if let Some((k, Bson::Array(items))) = d.iter().next() {
                    if k == "$and" || k == "$or" || k == "$nor" {
                        out.extend(items.iter().filter(|i| i.as_document().is_some()).cloned());
                    }
                }
            }
            if d.len() > 1 {
                for k in d.keys() {
                    let mut e = d.clone();
                    e.remove(k);
                    out.push(Bson::Document(e));
                }
            }
            for k in d.keys() {
                if k != "b" && plain_name(k) && !d.contains_key("b") {
                    let renamed: Document = d
                        .iter()
                        .map(|(x, v)| (if x == k { "b".to_string() } else { x.clone() }, v.clone()))
                        .collect();
                    out.push(Bson::Document(renamed));
                }
            }
            for (k, inner) in d {
                if inner.as_document().is_some() && !k.starts_with('$') {
                    let mut e = d.clone();
                    e.insert(k.clone(), 1);
                    out.push(Bson::Document(e));
                }
                for s in simpler(inner) {
                    let mut e = d.clone();
                    e.insert(k.clone(), s);
                    out.push(Bson::Document(e));
                }
            }
        }
        Bson::Array(items) if items.len() > 1 => {
            for i in 0..items.len() {
                let mut e = items.clone();
                e.remove(i);
                out.push(Bson::Array(e));
            }
        }
        _ => {}
    }
    out
}

/// A field name that says nothing by itself: letters, digits and dots.
fn plain_name(f: &str) -> bool {
    f != "_id"
        && !f.is_empty()
        && !f.starts_with('.')
        && !f.ends_with('.')
        && !f.contains("..")
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

/// Shrinks greedily, one round of candidates at a time (one `mig validate`
/// and concurrent server builds per round), while the disagreement persists.
async fn shrink(
    subject: Subject,
    db: &str,
    round: &mut usize,
    spec: &Document,
    verdict: &(Verdict, Verdict),
    deadline: std::time::Instant,
) -> (Document, (Verdict, Verdict)) {
    let mut best = (spec.clone(), verdict.clone());
    loop {
        let tries = candidates(&best.0);
        // Past the time budget a case is printed as small as it got.
        if tries.is_empty() || std::time::Instant::now() > deadline {
            return best;
        }
        *round += 1;
        let results = verdicts(subject, db, &format!("s{round}_"), &tries).await;
        match tries
            .into_iter()
            .zip(results)
            .find(|(_, v)| same_disagreement(&best.1, v))
        {
            Some(smaller) => best = smaller,
            None => return best,
        }
    }
}

/// An entry of the regression file: an index spec, or a collection's options.
#[derive(serde::Deserialize)]
struct Regression {
    spec: Option<String>,
    options: Option<String>,
}

fn regressions(subject: Subject) -> Vec<Case> {
    let text = std::fs::read_to_string(regression_file()).unwrap_or_default();
    let entries: Vec<Regression> = if text.trim().is_empty() {
        Vec::new()
    } else {
        serde_yaml::from_str::<Option<Vec<Regression>>>(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", regression_file().display()))
            .unwrap_or_default()
    };
    entries
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let text = match subject {
                Subject::Index => r.spec.as_ref(),
                Subject::Collection => r.options.as_ref(),
            }?;
            Some(Case {
                spec: parse_ejson(text)
                    .unwrap_or_else(|e| panic!("regressions.yaml entry {i} ({text}): {e}")),
                origin: format!("regression #{i}"),
            })
        })
        .collect()
}

fn regression_entry(subject: Subject, spec: &Document, v: &(Verdict, Verdict)) -> String {
    let note = format!("server {}; mig {}", v.0, v.1).replace('\n', " ");
    format!(
        "- {}: '{}'\n  note: {}\n",
        subject.key(),
        ejson_doc(spec).replace('\'', "''"),
        serde_json::to_string(&note).unwrap()
    )
}

/// Changes of a JSON plan, by collection.
fn changes_by_collection(plan: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for target in plan["targets"].as_array().into_iter().flatten() {
        for change in target["changes"].as_array().into_iter().flatten() {
            let coll = change["collection"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            out.entry(coll).or_default().push(change.clone());
        }
    }
    out
}

/// A failure text for one change: the action and the differences (a
/// collection's options, for a change to the collection itself).
fn describe(change: &Value) -> String {
    if change.get("options").is_some() {
        return format!(
            "{} collection: options {}",
            change["action"].as_str().unwrap_or("?"),
            change["options"]
        );
    }
    format!(
        "{} {}: desired {} live {} differences {}",
        change["action"].as_str().unwrap_or("?"),
        change["index"].as_str().unwrap_or("?"),
        change["desired"],
        change["live"],
        change["differences"]
    )
}

#[tokio::test]
async fn mig_validate_agrees_with_mongod() {
    differential(Subject::Index).await;
}

#[tokio::test]
async fn mig_validate_agrees_with_mongod_on_collection_options() {
    differential(Subject::Collection).await;
}

async fn differential(subject: Subject) {
    let seed = random_seed("MIG_DIFF_SEED", DEFAULT_SEED);
    let (var, default) = match subject {
        Subject::Index => ("MIG_DIFF_CASES", DEFAULT_CASES),
        Subject::Collection => ("MIG_DIFF_COLLECTION_CASES", DEFAULT_COLLECTION_CASES),
    };
    let count = knob(var, default as u64) as usize;
    let budget = knob("MIG_DIFF_SECONDS", 120);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(budget);
    let what = match subject {
        Subject::Index => "index",
        Subject::Collection => "collection",
    };
    println!(
        "differential ({what}): seed {seed} (MIG_DIFF_SEED={seed} reproduces), {count} random cases"
    );

    let mut cases = regressions(subject);
    let n_regressions = cases.len();
    // The collection cases draw from a stream of their own.
    let mut rng = Rng::new(match subject {
        Subject::Index => seed,
        Subject::Collection => seed ^ 0x0C01_1EC7_10A5,
    });
    for i in 0..count {
        cases.push(Case {
            spec: match subject {
                Subject::Index => grammar::spec(&mut rng, i),
                Subject::Collection => grammar::collection(&mut rng),
            },
            origin: format!("random #{i}"),
        });
    }

    // Databases: the driver's builds (also planned by mig below), the shrinking
    // builds, and mig's own apply; the holder drops them all at the end.
    let holder = Project::new();
    let srv = holder.track(&unique("diff_srv"));
    let shr = holder.track(&unique("diff_shr"));
    let prefix = subject.prefix();

    let specs: Vec<Document> = cases.iter().map(|c| c.spec.clone()).collect();
    let results = verdicts(subject, &srv, prefix, &specs).await;

    let mut both_accept = Vec::new();
    let mut both_refuse = 0;
    let mut on_purpose = 0;
    let mut disagreements: Vec<usize> = Vec::new();
    for (j, (server, mig)) in results.iter().enumerate() {
        match (server.accepts(), mig.accepts()) {
            (true, true) => both_accept.push(j),
            (false, false) => both_refuse += 1,
            _ if intended(subject, &results[j]) => on_purpose += 1,
            _ => disagreements.push(j),
        }
    }

    // Convergence (a): mig applies, then plans again.
    let mut nonconverging: Vec<String> = Vec::new();
    if !both_accept.is_empty() {
        let mut p = Project::new();
        p.public = p.track(&unique("diff_conv"));
        p.config("");
        let accepted: Vec<_> = both_accept.iter().map(|&j| (j, &cases[j].spec)).collect();
        write_manifests(subject, &p, prefix, &accepted);
        let apply: &[&str] = match subject {
            Subject::Index => &["sync-indexes"],
            Subject::Collection => &["apply", "--yes"],
        };
        let (synced, code) = p.json(apply);
        let (plan, _) = p.json(&["plan", "--detailed-exitcode"]);
        let left = changes_by_collection(&plan);
        for (coll, changes) in &left {
            let j: usize = coll[1..].parse().unwrap();
            for c in changes {
                nonconverging.push(format!(
                    "apply then plan: {} {}\n    {}",
                    cases[j].origin,
                    ejson_doc(&cases[j].spec),
                    describe(c)
                ));
            }
        }
        if code != 0 && left.is_empty() {
            nonconverging.push(format!(
                "mig {} exited {code} yet the plan after it is empty: {synced}",
                apply.join(" ")
            ));
        }

        // Convergence (c), collections: declared otherwise and applied again,
        // what collMod can change is changed, and only what it can't is left
        // (reported, never made).
        if subject == Subject::Collection {
            let mut rng = Rng::new(seed ^ 0x5EED);
            let mutated: Vec<(usize, Document)> = both_accept
                .iter()
                .filter_map(|&j| grammar::mutate(&mut rng, &cases[j].spec).map(|m| (j, m)))
                .collect();
            let specs: Vec<Document> = mutated.iter().map(|(_, m)| m.clone()).collect();
            let valid = mig_verdicts(subject, prefix, &specs);
            let changed: Vec<(usize, &Document)> = mutated
                .iter()
                .zip(&valid)
                .filter(|(_, v)| v.accepts())
                .map(|((j, m), _)| (*j, m))
                .collect();
            write_manifests(subject, &p, prefix, &changed);
            let (applied, code) = p.json(&["apply", "--yes"]);
            let (plan, _) = p.json(&["plan", "--detailed-exitcode"]);
            let left = changes_by_collection(&plan);
            for (coll, changes) in &left {
                let j: usize = coll[1..].parse().unwrap();
                let Some((_, m)) = changed.iter().find(|(k, _)| *k == j) else {
                    continue;
                };
                for c in changes.iter().filter(|c| c["action"] != "manual") {
                    nonconverging.push(format!(
                        "changed, applied, planned: {} {}\n    now {}\n    {}",
                        cases[j].origin,
                        ejson_doc(&cases[j].spec),
                        ejson_doc(m),
                        describe(c)
                    ));
                }
            }
            let manual = left.values().flatten().any(|c| c["action"] == "manual");
            if code != 0 && !manual && left.is_empty() {
                nonconverging.push(format!(
                    "mig apply exited {code} after the changes yet the plan after it is empty: {applied}"
                ));
            }
            println!(
                "differential (collection): {} of the {} collections both accept declared \
                 otherwise, {} of those valid, applied again",
                mutated.len(),
                both_accept.len(),
                changed.len()
            );
        }

        // Convergence (b): the driver built them (in the server verdict step); mig plans.
        let q = Project::new();
        q.config_without_public(&format!("[public]\ndatabase = \"{srv}\"\n"));
        write_manifests(subject, &q, prefix, &accepted);
        let (plan, _) = q.json(&["plan", "--detailed-exitcode"]);
        for (coll, changes) in changes_by_collection(&plan) {
            let j: usize = coll[1..].parse().unwrap();
            for c in changes {
                nonconverging.push(format!(
                    "driver-built then plan: {} {}\n    {}",
                    cases[j].origin,
                    ejson_doc(&cases[j].spec),
                    describe(&c)
                ));
            }
        }
    }

    // Group disagreements by rule; shrink the first of each group.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for &j in &disagreements {
        let sig = signature(&results[j]);
        match groups.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, members)) => members.push(j),
            None => groups.push((sig, vec![j])),
        }
    }
    let mut round = 0;
    let mut minimal: Vec<(Document, (Verdict, Verdict), usize, String)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, members) in &groups {
        let first = members[0];
        let (spec, v) = shrink(
            subject,
            &shr,
            &mut round,
            &cases[first].spec,
            &results[first],
            deadline,
        )
        .await;
        let key = signature(&v);
        match seen.get(&key) {
            Some(&k) => minimal[k].2 += members.len(),
            None => {
                seen.insert(key, minimal.len());
                minimal.push((spec, v, members.len(), cases[first].origin.clone()));
            }
        }
    }

    let known: Vec<String> = cases[..n_regressions]
        .iter()
        .map(|c| ejson_doc(&c.spec))
        .collect();
    let mut new_entries = String::new();
    let mut new_count = 0;
    for (spec, v, n, origin) in &minimal {
        println!("\nDISAGREEMENT ({n} case(s), first: {origin})");
        println!("  spec:   {}", ejson_doc(spec));
        println!("  server: {}", v.0);
        println!("  mig:    {}", v.1);
        let entry = regression_entry(subject, spec, v);
        print!(
            "  regression entry:\n    {}",
            entry.replace('\n', "\n    ").trim_end_matches(' ')
        );
        println!();
        if !known.contains(&ejson_doc(spec)) {
            new_entries.push_str(&entry);
            new_count += 1;
        }
    }
    for n in &nonconverging {
        println!("\nNON-CONVERGING {n}");
    }
    if std::env::var("MIG_DIFF_RECORD").as_deref() == Ok("1") && !new_entries.is_empty() {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(regression_file())
            .unwrap();
        writeln!(f, "# found with MIG_DIFF_SEED={seed}").unwrap();
        f.write_all(new_entries.as_bytes()).unwrap();
        println!(
            "\nrecorded {new_count} new case(s) in {}",
            regression_file().display()
        );
    }

    let summary = format!(
        "differential ({what}): seed {seed}: {} cases ({n_regressions} regressions + {count} random): \
         accepted by both {}, refused by both {both_refuse}, refused by mig on purpose {on_purpose}, \
         disagreements {} ({} minimal), non-converging {}",
        cases.len(),
        both_accept.len(),
        disagreements.len(),
        minimal.len(),
        nonconverging.len()
    );
    println!("\n{summary}");
    assert!(
        disagreements.is_empty() && nonconverging.is_empty(),
        "{summary}\n(run with -- --nocapture for each minimal case)"
    );
}

/// The grammar is deterministic, and what it writes is what it reads back.
#[test]
fn grammar_is_deterministic_and_round_trips() {
    let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    for i in 0..200 {
        let spec = grammar::spec(&mut a, i);
        assert_eq!(spec, grammar::spec(&mut b, i));
        assert_eq!(
            parse_ejson(&ejson_doc(&spec)).unwrap(),
            spec,
            "{}",
            ejson_doc(&spec)
        );
    }
    assert_eq!(ejson(&Bson::Double(3600.0)), "3600.0");
    assert_eq!(
        ejson(&Bson::Int64(2_147_483_648)),
        "{\"$numberLong\": \"2147483648\"}"
    );
    assert_eq!(
        grammar::default_name(&doc! {"a": 1, "b": -1, "c": 0.5, "t": "text"}),
        "a_1_b_-1_c_0.5_t_text"
    );
    let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    for _ in 0..200 {
        let options = grammar::collection(&mut a);
        assert_eq!(options, grammar::collection(&mut b));
        assert_eq!(
            parse_ejson(&ejson_doc(&options)).unwrap(),
            options,
            "{}",
            ejson_doc(&options)
        );
    }
}
