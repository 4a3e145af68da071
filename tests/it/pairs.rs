//! Pair differential test against the real MongoDB server (issue 20, part 3):
//! random pairs of (live set of indexes under names, declared set) on one
//! collection holding documents (duplicates, dates, case variants: see
//! `pairs/grammar.rs`), with the server as the oracle.
//!
//! - The **target** is the declared set built alone by the driver
//!   (`createIndexes`) on a fresh collection with the same documents; a
//!   declaration the server won't build there is one `mig` can't build either.
//! - The live set is built by the driver, then `mig apply --yes` runs from it,
//!   plain and with `--prune --drop-now`. Afterwards either the collection is at
//!   the target (each target index has a live index the server calls identical:
//!   the same spec under the live one's name answers "all indexes already
//!   exist"; names only where the manifest names them; with `--prune`
//!   nothing else, without it only the untouched undeclared live indexes), or
//!   `mig plan` says exactly what is still pending or blocked: every missing
//!   or extra index has a change, and every change is about one. A second
//!   `mig apply` changes no index and the plan after it lists the same changes.
//! - Where the server calls a live index and a declaration the same (building
//!   the declaration beside it under another name answers code 85) and
//!   `collMod` takes the live one to the declared one (checked on the server),
//!   `mig` must keep or modify it, never replace, hide or drop it (its JSON
//!   plan and steps), unless the manifest names it otherwise.
//! - `mig validate` must not refuse a declared set the server builds.
//!
//! Each disagreement is shrunk to a minimal pair and printed with a
//! ready-to-paste entry for `tests/it/pairs/regressions.yaml`, whose pairs every
//! run checks first.
//!
//! ```sh
//! scripts/test --test it pairs:: -- --nocapture                  # seed 1, 40 pairs
//! MIG_PAIRS_SEED=random MIG_PAIRS_CASES=1000 scripts/test --test it pairs:: -- --nocapture
//! MIG_PAIRS_SEED=7 MIG_PAIRS_RECORD=1 scripts/test --test it pairs::   # appends new minimal pairs
//! ```
//!
//! Knobs: `MIG_PAIRS_SEED` (a number, or `random`), `MIG_PAIRS_CASES` (random
//! pairs, default 40), `MIG_PAIRS_BATCH` (pairs per `mig` run, each in a
//! collection of its own, default 100), `MIG_PAIRS_SECONDS` (the time after
//! which disagreements are no longer shrunk, default 30), `MIG_PAIRS_RECORD=1`
//! (append newly found minimal pairs to the regression file), `MIG_PAIRS_ONLY`
//! (`41,64`: of the random pairs, only those; the regressions still run).

use crate::support;

use crate::grammar;

#[path = "pairs/grammar.rs"]
mod pair_grammar;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::ErrorKind;
use mongodb::Database;
use serde_json::Value;

use grammar::{default_name, ejson, ejson_doc, parse_ejson, server_form, Rng};
use support::*;

const DEFAULT_SEED: u64 = 1;
const DEFAULT_CASES: usize = 24;
const DEFAULT_BATCH: usize = 100;
const DEFAULT_SECONDS: u64 = 25;
/// Server round trips in flight at once (a 2-core machine).
const CONCURRENCY: usize = 4;

fn regression_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/pairs/regressions.yaml")
}

#[derive(Clone, Debug)]
struct Pair {
    live: Vec<Document>,
    declared: Vec<Document>,
    origin: String,
}

fn specs_text(specs: &[Document]) -> String {
    format!(
        "[{}]",
        specs.iter().map(ejson_doc).collect::<Vec<_>>().join(", ")
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Plain,
    Prune,
}

impl Mode {
    fn args(self) -> &'static [&'static str] {
        match self {
            Mode::Plain => &["apply", "--yes"],
            Mode::Prune => &["apply", "--yes", "--prune", "--drop-now"],
        }
    }

    /// The plan of what an apply in this mode would still do.
    fn plan_args(self) -> &'static [&'static str] {
        match self {
            Mode::Plain => &["plan"],
            Mode::Prune => &["plan", "--prune", "--drop-now"],
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Plain => "apply",
            Mode::Prune => "apply --prune --drop-now",
        })
    }
}

/// One disagreement of `mig` with the server about one pair.
#[derive(Clone, Debug)]
struct Finding {
    /// What went wrong: `validate-refuses`, `ends-elsewhere`, `unreported`,
    /// `spurious`, `stray`, `second-apply-changed`, `second-plan-differs`, `rebuilt`,
    /// `mig-error`.
    kind: &'static str,
    mode: Option<Mode>,
    /// What it is about (the options that differ, the action): groups findings.
    feature: String,
    detail: String,
}

impl Finding {
    fn signature(&self) -> String {
        match self.mode {
            Some(m) => format!("{} [{m}] {}", self.kind, self.feature),
            None => format!("{} {}", self.kind, self.feature),
        }
    }
}

// ---------------------------------------------------------------------------
// Index documents, normalized for comparison.

/// An index as `createIndexes` takes it back: without `v` and `ns`.
fn strip(d: &Document) -> Document {
    let mut d = d.clone();
    d.remove("v");
    d.remove("ns");
    d
}

/// Numbers by value (all as doubles), recursively.
fn by_value(b: &Bson) -> Bson {
    match b {
        Bson::Int32(n) => Bson::Double(*n as f64),
        Bson::Int64(n) => Bson::Double(*n as f64),
        Bson::Document(d) => {
            Bson::Document(d.iter().map(|(k, v)| (k.clone(), by_value(v))).collect())
        }
        Bson::Array(a) => Bson::Array(a.iter().map(by_value).collect()),
        other => other.clone(),
    }
}

/// A listIndexes entry as a string: options in name order, numbers by value,
/// `v`, `ns` and `background` left out, the name only when asked for.
fn canon(d: &Document, with_name: bool) -> String {
    let mut fields: Vec<(String, String)> = strip(d)
        .into_iter()
        .filter(|(k, _)| k != "background" && (with_name || k != "name"))
        .map(|(k, v)| {
            let v = match (&*k, by_value(&v)) {
                ("weights", Bson::Document(w)) => {
                    let mut w: Vec<(String, Bson)> = w.into_iter().collect();
                    w.sort_by(|a, b| a.0.cmp(&b.0));
                    Bson::Document(w.into_iter().collect())
                }
                (_, v) => v,
            };
            (k, ejson(&v))
        })
        .collect();
    fields.sort();
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_canon(d: &Document) -> String {
    ejson(&by_value(d.get("key").unwrap_or(&Bson::Null)))
}

fn is_text(d: &Document) -> bool {
    d.get_document("key")
        .map(|k| k.contains_key("_fts") || k.values().any(|v| v.as_str() == Some("text")))
        .unwrap_or(false)
}

fn name(d: &Document) -> &str {
    d.get_str("name").unwrap_or("")
}

/// The name `mig` gives a declaration: its own, or the server's default.
fn declared_name(d: &Document) -> String {
    d.get_str("name")
        .map(String::from)
        .unwrap_or_else(|_| default_name(d.get_document("key").unwrap()))
}

/// The top-level fields whose values differ (numbers by value), `v`, `ns` and
/// `name` aside; `key` when the keys differ.
fn differing(a: &Document, b: &Document) -> Vec<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    for k in a.keys().chain(b.keys()) {
        if ["v", "ns", "name", "background"].contains(&k.as_str()) {
            continue;
        }
        // In order: a filter or a key in another order is a difference to name.
        let va = a.get(k).map(|v| ejson(&by_value(v)));
        let vb = b.get(k).map(|v| ejson(&by_value(v)));
        if va != vb {
            names.insert(k.clone());
        }
    }
    names.into_iter().collect()
}

// ---------------------------------------------------------------------------
// The server.

async fn list(db: &Database, coll: &str) -> Vec<Document> {
    live_indexes(db.name(), coll).await
}

/// `createIndexes` of `indexes`: the reply, or the code and the message.
async fn create(
    db: &Database,
    coll: &str,
    indexes: Vec<Document>,
) -> Result<Document, (i32, String)> {
    db.run_command(doc! {"createIndexes": coll, "indexes": indexes})
        .await
        .map_err(|e| match *e.kind {
            ErrorKind::Command(ref c) => (c.code, c.message.clone()),
            _ => (0, e.to_string()),
        })
}

async fn with_documents(db: &Database, coll: &str) {
    db.collection::<Document>(coll)
        .insert_many(pair_grammar::documents())
        .await
        .unwrap_or_else(|e| panic!("insert into {coll}: {e}"));
}

/// Throw-away collections to ask the server whether two indexes are the same.
struct Scratch {
    db: Database,
    n: AtomicUsize,
}

impl Scratch {
    async fn fresh(&self) -> String {
        let coll = format!("q{}", self.n.fetch_add(1, Ordering::SeqCst));
        self.db
            .run_command(doc! {"create": &coll})
            .await
            .unwrap_or_else(|e| panic!("create scratch {coll}: {e}"));
        coll
    }

    /// The server holds `b`, under `a`'s name, as `a` itself: "all indexes
    /// already exist".
    async fn identical(&self, a: &Document, b: &Document) -> bool {
        let coll = self.fresh().await;
        if create(&self.db, &coll, vec![strip(a)]).await.is_err() {
            return false;
        }
        let mut b = strip(b);
        b.insert("name", name(a));
        matches!(create(&self.db, &coll, vec![b]).await,
            Ok(r) if r.get_i32("numIndexesBefore").ok() == r.get_i32("numIndexesAfter").ok())
    }

    /// The server calls `declared` the same index as `live`: built beside it
    /// under another name, it answers code 85.
    async fn same(&self, live: &Document, declared: &Document) -> bool {
        let coll = self.fresh().await;
        if create(&self.db, &coll, vec![strip(live)]).await.is_err() {
            return false;
        }
        let mut d = server_form(declared);
        d.insert("name", "__probe");
        matches!(create(&self.db, &coll, vec![d]).await, Err((85, _)))
    }

    /// `collMod` (a TTL set, `hidden` switched) takes `live` to `declared`.
    async fn in_place(&self, live: &Document, declared: &Document) -> bool {
        let coll = self.fresh().await;
        if create(&self.db, &coll, vec![strip(live)]).await.is_err() {
            return false;
        }
        let d = server_form(declared);
        let mut mods = Vec::new();
        if let Some(ttl) = d.get("expireAfterSeconds") {
            if live.get("expireAfterSeconds").map(by_value) != Some(by_value(ttl)) {
                mods.push(doc! {"name": name(live), "expireAfterSeconds": ttl.clone()});
            }
        }
        let hidden = |x: &Document| x.get_bool("hidden").unwrap_or(false);
        if hidden(&d) != hidden(live) {
            mods.push(doc! {"name": name(live), "hidden": hidden(&d)});
        }
        for m in mods {
            if self
                .db
                .run_command(doc! {"collMod": &coll, "index": m})
                .await
                .is_err()
            {
                return false;
            }
        }
        let mut d = d;
        d.insert("name", name(live));
        matches!(create(&self.db, &coll, vec![d]).await,
            Ok(r) if r.get_i32("numIndexesBefore").ok() == r.get_i32("numIndexesAfter").ok())
    }
}

// ---------------------------------------------------------------------------
// mig.

/// A manifest declaring `specs` on collection `coll`: each index rendered as
/// the single-spec test renders it (exact types: `1` Int32, `1.0` Double).
fn manifest(coll: &str, specs: &[Document]) -> String {
    const INDEXES: &str = "    indexes:\n";
    let mut out = format!("scope: public\ncollections:\n  - name: {coll}\n");
    if specs.is_empty() {
        out.push_str("    indexes: []\n");
        return out;
    }
    out.push_str(INDEXES);
    for spec in specs {
        let one = grammar::manifest(coll, spec);
        out.push_str(one.split_once(INDEXES).expect("a manifest with indexes").1);
    }
    out
}

fn write_manifests(p: &Project, pairs: &[(usize, &Pair)]) {
    for (j, pair) in pairs {
        p.manifest(
            &format!("p{j}.yaml"),
            &manifest(&format!("p{j}"), &pair.declared),
        );
    }
}

/// `mig validate` over all pairs: the problems of each pair's file.
fn refused_by_mig(pairs: &[Pair]) -> Vec<Vec<String>> {
    let p = Project::new();
    let numbered: Vec<_> = pairs.iter().enumerate().collect();
    write_manifests(&p, &numbered);
    let (out, _) = p.json(&["validate"]);
    let mut messages = vec![Vec::new(); pairs.len()];
    for problem in out["problems"].as_array().into_iter().flatten() {
        let file = problem["file"].as_str().unwrap_or_default();
        let j = file
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_prefix('p'))
            .and_then(|f| f.strip_suffix(".yaml"))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("a problem of no pair: {problem}"));
        messages[j].push(problem["message"].as_str().unwrap_or_default().to_string());
    }
    messages
}

/// The `field` entries (`changes`, `unmanaged`, `steps`) of a JSON plan or
/// apply's targets that are about collection `coll`.
fn entries(out: &Value, field: &str, coll: &str) -> Vec<Value> {
    out["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t[field].as_array().cloned().unwrap_or_default())
        .filter(|c| c["collection"] == coll)
        .collect()
}

fn describe(c: &Value) -> String {
    let mut s = format!(
        "{} {}",
        c["action"].as_str().unwrap_or("?"),
        c["index"].as_str().unwrap_or("?")
    );
    if let Some(old) = c["renamed_from"].as_str() {
        s.push_str(&format!(" (renamed from {old})"));
    }
    s.push_str(&format!(" differences {}", c["differences"]));
    if !c["blocked"].is_null() {
        s.push_str(&format!(" blocked: {}", c["blocked"]));
    }
    s
}

/// A plan's changes as comparable lines: action, index, blocked or not.
fn change_lines(changes: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["action"].as_str().unwrap_or("?"),
                c["index"].as_str().unwrap_or("?"),
                if c["blocked"].is_null() {
                    ""
                } else {
                    "blocked"
                }
            )
        })
        .collect();
    v.sort();
    v
}

fn json_name(v: &Value) -> Option<&str> {
    v["name"].as_str()
}

// ---------------------------------------------------------------------------
// One batch of pairs, each in a collection `p<j>` of its own.

async fn lists(db: &Database, accepted: &[usize]) -> Vec<Vec<Document>> {
    let mut out = Vec::new();
    for &j in accepted {
        out.push(list(db, &format!("p{j}")).await);
    }
    out
}

/// A pair's target: the declared set as the server built it alone, and the
/// declarations it refused (name, code and message).
type Target = (Vec<Document>, Vec<(String, String)>);

/// What one mode's runs left in one collection.
struct Runs {
    live0: Vec<Document>,
    apply1: Value,
    after1: Vec<Document>,
    plan2: Value,
    apply2: Value,
    after2: Vec<Document>,
    plan3: Value,
}

/// Every pair's findings.
fn run_batch<'a>(
    pairs: &'a [Pair],
    scratch: &'a Scratch,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Vec<Finding>>> + 'a>> {
    Box::pin(async move {
        let mut findings: Vec<Vec<Finding>> = vec![Vec::new(); pairs.len()];
        let client = client().await;
        let holder = Project::new();

        // mig validate first: a refused manifest stops a whole run.
        let refused = refused_by_mig(pairs);
        let mut accepted = Vec::new();
        for (j, messages) in refused.iter().enumerate() {
            if messages.is_empty() {
                accepted.push(j);
                continue;
            }
            let coll = scratch.fresh().await;
            let specs = pairs[j].declared.iter().map(server_form).collect();
            if create(&scratch.db, &coll, specs).await.is_ok() {
                let mut m = messages.clone();
                m.sort();
                findings[j].push(Finding {
                    kind: "validate-refuses",
                    mode: None,
                    feature: m.join(" | "),
                    detail: format!(
                        "the server builds the declared set on an empty collection; mig validate: {}",
                        m.join(" | ")
                    ),
                });
            }
        }
        if accepted.is_empty() {
            return findings;
        }

        // The target, and the live set in one database per mode.
        let tgt = client.database(&holder.track(&unique("pairs_tgt")));
        let dbs = [
            (
                Mode::Plain,
                client.database(&holder.track(&unique("pairs_plain"))),
            ),
            (
                Mode::Prune,
                client.database(&holder.track(&unique("pairs_prune"))),
            ),
        ];
        let setups = accepted.iter().map(|&j| {
            let (tgt, dbs) = (tgt.clone(), dbs.clone());
            async move {
                let coll = format!("p{j}");
                with_documents(&tgt, &coll).await;
                let declared: Vec<Document> = pairs[j].declared.iter().map(server_form).collect();
                let mut unbuilt = Vec::new();
                if create(&tgt, &coll, declared.clone()).await.is_err() {
                    for d in &declared {
                        if let Err((code, message)) = create(&tgt, &coll, vec![d.clone()]).await {
                            unbuilt.push((name(d).to_string(), format!("[{code}] {message}")));
                        }
                    }
                }
                for (_, db) in &dbs {
                    with_documents(db, &coll).await;
                    for l in &pairs[j].live {
                        // A live index the server won't build is no part of the pair.
                        let _ = create(db, &coll, vec![server_form(l)]).await;
                    }
                }
                (list(&tgt, &coll).await, unbuilt)
            }
        });
        let targets: Vec<Target> = stream::iter(setups).buffered(CONCURRENCY).collect().await;

        let mut runs: Vec<Vec<(Mode, Runs)>> = (0..accepted.len()).map(|_| Vec::new()).collect();
        for (mode, db) in &dbs {
            let mut p = Project::new();
            p.public = db.name().to_string();
            p.config("");
            let numbered: Vec<_> = accepted.iter().map(|&j| (j, &pairs[j])).collect();
            write_manifests(&p, &numbered);
            let mut live0 = Vec::new();
            for &j in &accepted {
                live0.push(list(db, &format!("p{j}")).await);
            }
            let apply1 = p.json(mode.args()).0;
            if apply1.get("targets").is_none() {
                // One pair stopped the run: each on its own tells which.
                if accepted.len() > 1 {
                    let alone: Vec<Vec<Finding>> = {
                        let mut out = Vec::new();
                        for &j in &accepted {
                            out.push(
                                run_batch(std::slice::from_ref(&pairs[j]), scratch)
                                    .await
                                    .remove(0),
                            );
                        }
                        out
                    };
                    for (k, &j) in accepted.iter().enumerate() {
                        findings[j].extend(alone[k].iter().cloned());
                    }
                    return findings;
                }
                findings[accepted[0]].push(Finding {
                    kind: "mig-error",
                    mode: Some(*mode),
                    feature: apply1["error"]["kind"].as_str().unwrap_or("?").to_string(),
                    detail: format!("mig {mode} printed no plan: {apply1}"),
                });
                continue;
            }
            let after1 = lists(db, &accepted).await;
            let plan2 = p.json(mode.plan_args()).0;
            let apply2 = p.json(mode.args()).0;
            let after2 = lists(db, &accepted).await;
            let plan3 = p.json(mode.plan_args()).0;
            for (k, live0) in live0.into_iter().enumerate() {
                runs[k].push((
                    *mode,
                    Runs {
                        live0,
                        apply1: apply1.clone(),
                        after1: after1[k].clone(),
                        plan2: plan2.clone(),
                        apply2: apply2.clone(),
                        after2: after2[k].clone(),
                        plan3: plan3.clone(),
                    },
                ));
            }
        }

        let checks = accepted.iter().enumerate().map(|(k, &j)| {
            let (target, unbuilt) = &targets[k];
            let runs = &runs[k];
            async move {
                let mut out = Vec::new();
                for (mode, r) in runs {
                    out.extend(
                        check(
                            scratch,
                            &pairs[j],
                            *mode,
                            &format!("p{j}"),
                            target,
                            unbuilt,
                            r,
                        )
                        .await,
                    );
                }
                out
            }
        });
        let checked: Vec<Vec<Finding>> = stream::iter(checks).buffered(CONCURRENCY).collect().await;
        for (k, &j) in accepted.iter().enumerate() {
            findings[j].extend(checked[k].iter().cloned());
        }
        findings
    })
}

/// The checks of one pair after one mode's runs.
async fn check(
    s: &Scratch,
    pair: &Pair,
    mode: Mode,
    coll: &str,
    target: &[Document],
    unbuilt: &[(String, String)],
    r: &Runs,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let finding = |kind, feature: String, detail: String| Finding {
        kind,
        mode: Some(mode),
        feature,
        detail,
    };
    let not_id = |d: &&Document| name(d) != "_id_";
    for (what, plan) in [
        ("plan after apply", &r.plan2),
        ("plan after the second apply", &r.plan3),
    ] {
        if plan.get("targets").is_none() {
            out.push(finding(
                "mig-error",
                plan["error"]["kind"].as_str().unwrap_or("?").to_string(),
                format!("the {what} printed no plan: {plan}"),
            ));
        }
    }
    if !out.is_empty() {
        return out;
    }

    let equivalent = entries(&r.plan2, "unmanaged", coll);
    // Each declaration: its target form, and the live index at it.
    let mut used: BTreeSet<String> = BTreeSet::new();
    // (declared name, what differs from the live index with its key, why missing)
    let mut missing: Vec<(String, String, String)> = Vec::new();
    for d in &pair.declared {
        let dname = declared_name(d);
        let explicit = d.contains_key("name");
        let t = target.iter().find(|t| name(t) == dname);
        let same_key = |x: &Document| match t {
            Some(t) => key_canon(x) == key_canon(t) || (is_text(x) && is_text(t)),
            None => {
                is_text(x) == is_text(d)
                    && (is_text(d) || key_canon(x) == key_canon(&server_form(d)))
            }
        };
        let Some(t) = t else {
            let why = unbuilt
                .iter()
                .find(|(n, _)| *n == dname)
                .map(|(_, e)| e.clone())
                .unwrap_or_default();
            missing.push((
                dname,
                "not built alone".into(),
                format!("the server won't build it alone: {why}"),
            ));
            continue;
        };
        let mut found = false;
        // Without --prune, the declared index under another name, which the
        // plan reports as `equivalent_to` the declaration, is as far as mig
        // goes (only a rebuild renames): when the name is all that differs.
        let passes = if explicit && mode == Mode::Plain {
            2
        } else {
            1
        };
        'search: for pass in 0..passes {
            for f in r.after1.iter().filter(not_id) {
                if used.contains(name(f)) {
                    continue;
                }
                let named = match pass {
                    0 => !explicit || name(f) == dname,
                    _ => equivalent.iter().any(|u| {
                        u["index"].as_str() == Some(name(f))
                            && u["equivalent_to"].as_str() == Some(dname.as_str())
                    }),
                };
                if named
                    && (canon(f, false) == canon(t, false)
                        || (same_key(f) && s.identical(f, t).await))
                {
                    used.insert(name(f).to_string());
                    found = true;
                    break 'search;
                }
            }
        }
        if !found {
            let near = r.after1.iter().filter(not_id).find(|f| same_key(f));
            let (feature, detail) = match near {
                Some(f) => {
                    let mut diff = differing(f, t);
                    if explicit && name(f) != dname {
                        diff.push("name".into());
                    }
                    (
                        diff.join(","),
                        format!(
                            "target {}\n      live after apply {}",
                            ejson_doc(&strip(t)),
                            ejson_doc(&strip(f))
                        ),
                    )
                }
                None => (
                    "absent".into(),
                    format!(
                        "target {} has no live index with its key",
                        ejson_doc(&strip(t))
                    ),
                ),
            };
            missing.push((dname, feature, detail));
        }
    }
    let mut extra: Vec<&Document> = Vec::new();
    for f in r.after1.iter().filter(not_id) {
        if used.contains(name(f)) {
            continue;
        }
        let untouched = r.live0.iter().any(|l| canon(l, true) == canon(f, true));
        if mode == Mode::Prune || !untouched {
            extra.push(f);
        }
    }

    let pending = entries(&r.plan2, "changes", coll);
    if pending.is_empty() {
        for (dname, feature, detail) in &missing {
            out.push(finding(
                "ends-elsewhere",
                format!("missing: {feature}"),
                format!(
                    "the plan after apply is empty, yet {dname} is not at the target: {detail}"
                ),
            ));
        }
        for f in &extra {
            out.push(finding(
                "ends-elsewhere",
                "extra".into(),
                format!(
                    "the plan after apply is empty, yet {} is live and not declared",
                    ejson_doc(&strip(f))
                ),
            ));
        }
    } else {
        let covers_declared = |c: &Value, dname: &str| {
            let desired_key = c["desired"]["key"].clone();
            c["index"] == dname
                || json_name(&c["desired"]) == Some(dname)
                || pair.declared.iter().any(|d| {
                    declared_name(d) == dname
                        && !desired_key.is_null()
                        && serde_json::to_value(
                            Bson::Document(d.get_document("key").unwrap().clone())
                                .into_relaxed_extjson(),
                        )
                        .ok()
                            == Some(desired_key.clone())
                })
        };
        let covers_live = |c: &Value, lname: &str| {
            c["index"] == lname
                || json_name(&c["live"]) == Some(lname)
                || c["renamed_from"] == lname
        };
        for (dname, feature, detail) in &missing {
            if !pending.iter().any(|c| covers_declared(c, dname)) {
                out.push(finding(
                    "unreported",
                    format!("missing: {feature}"),
                    format!(
                        "{dname} is not at the target and the plan after apply says nothing of it ({}): {detail}",
                        pending.iter().map(describe).collect::<Vec<_>>().join("; ")
                    ),
                ));
            }
        }
        for f in &extra {
            if !pending.iter().any(|c| covers_live(c, name(f))) {
                out.push(finding(
                    "unreported",
                    "extra".into(),
                    format!(
                        "{} is live and not declared; the plan after apply says nothing of it",
                        ejson_doc(&strip(f))
                    ),
                ));
            }
        }
        for c in &pending {
            let about_missing = missing.iter().any(|(n, _, _)| covers_declared(c, n));
            let about_extra = extra.iter().any(|f| covers_live(c, name(f)));
            if !about_missing && !about_extra {
                out.push(finding(
                    "spurious",
                    format!("{} {}", c["action"].as_str().unwrap_or("?"), c["differences"]),
                    format!("the plan after apply still has `{}` though the collection is at the target", describe(c)),
                ));
            }
        }
    }

    // Every index left is a live one or a declared one: nothing of mig's own.
    for f in r.after1.iter().filter(not_id) {
        let known = r.live0.iter().any(|l| name(l) == name(f))
            || pair.declared.iter().any(|d| declared_name(d) == name(f));
        if !known {
            out.push(finding(
                "stray",
                String::new(),
                format!(
                    "after apply the collection holds {}, neither live before nor declared",
                    ejson_doc(&strip(f))
                ),
            ));
        }
    }

    // A second apply changes nothing; the plan after it is the same.
    let set = |l: &[Document]| l.iter().map(|d| canon(d, true)).collect::<BTreeSet<_>>();
    if set(&r.after1) != set(&r.after2) {
        let done: BTreeSet<String> = entries(&r.apply2, "changes", coll)
            .iter()
            .map(|c| c["action"].as_str().unwrap_or("?").to_string())
            .collect();
        out.push(finding(
            "second-apply-changed",
            done.into_iter().collect::<Vec<_>>().join(","),
            format!(
                "after the first apply {:?}\n      after the second {:?}",
                set(&r.after1),
                set(&r.after2)
            ),
        ));
    }
    let (l2, l3) = (
        change_lines(&pending),
        change_lines(&entries(&r.plan3, "changes", coll)),
    );
    if l2 != l3 {
        let actions = |l: &[String]| {
            l.iter()
                .map(|x| x.split(' ').next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push(finding(
            "second-plan-differs",
            format!("[{}] then [{}]", actions(&l2), actions(&l3)),
            format!("plan after the first apply {l2:?}, after the second {l3:?}"),
        ));
    }

    // The same index to the server, reachable by collMod: kept or modified.
    let applied = entries(&r.apply1, "changes", coll);
    let steps = entries(&r.apply1, "steps", coll);
    for l in r.live0.iter().filter(not_id) {
        let lname = name(l);
        for d in &pair.declared {
            let dname = declared_name(d);
            if d.contains_key("name") && dname != lname {
                continue; // named otherwise: only a rebuild renames
            }
            if pair
                .declared
                .iter()
                .any(|o| o != d && declared_name(o) == lname)
            {
                continue;
            }
            let comparable = if is_text(l) {
                is_text(d)
            } else {
                key_canon(l) == key_canon(&server_form(d))
            };
            if !comparable || !s.same(l, d).await || !s.in_place(l, d).await {
                continue;
            }
            let rebuilt: Vec<String> = applied
                .iter()
                .filter(|c| {
                    ["replace", "drop", "hide"].contains(&c["action"].as_str().unwrap_or(""))
                        && (c["index"] == lname
                            || json_name(&c["live"]) == Some(lname)
                            || c["renamed_from"] == lname)
                })
                .map(describe)
                .chain(
                    steps
                        .iter()
                        .filter(|st| {
                            st["command"] == "dropIndexes"
                                && st["indexes"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .any(|n| n == lname)
                        })
                        .map(|st| format!("step {} dropIndexes {}", st["n"], st["index"])),
                )
                .collect();
            if !rebuilt.is_empty() {
                let renamed = applied.iter().any(|c| c["renamed_from"] == lname);
                let target = target
                    .iter()
                    .find(|t| name(t) == dname)
                    .cloned()
                    .unwrap_or_else(|| server_form(d));
                out.push(finding(
                    "rebuilt",
                    differing(l, &target).join(",") + if renamed { " (renamed)" } else { "" },
                    format!(
                        "the server calls live {} and declared {} the same index and collMod reaches it, yet mig: {}",
                        ejson_doc(&strip(l)),
                        ejson_doc(d),
                        rebuilt.join("; ")
                    ),
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Shrinking, regressions, the run.

/// Smaller pairs to try, biggest reductions first.
fn candidates(p: &Pair) -> Vec<Pair> {
    let mut out = Vec::new();
    let with = |live: Vec<Document>, declared: Vec<Document>| Pair {
        live,
        declared,
        origin: p.origin.clone(),
    };
    for i in 0..p.live.len() {
        let mut l = p.live.clone();
        l.remove(i);
        out.push(with(l, p.declared.clone()));
    }
    for i in 0..p.declared.len() {
        if p.declared.len() > 1 {
            let mut d = p.declared.clone();
            d.remove(i);
            out.push(with(p.live.clone(), d));
        }
    }
    let smaller = |spec: &Document| -> Vec<Document> {
        let mut v = Vec::new();
        for k in spec.keys().filter(|k| *k != "key") {
            let mut s = spec.clone();
            s.remove(k);
            v.push(s);
        }
        let key = spec.get_document("key").cloned().unwrap_or_default();
        if key.len() > 1 {
            for f in key.keys() {
                let mut k = key.clone();
                k.remove(f);
                let mut s = spec.clone();
                s.insert("key", k);
                v.push(s);
            }
        }
        if let Ok(pf) = spec.get_document("partialFilterExpression") {
            if pf.len() > 1 {
                for f in pf.keys() {
                    let mut x = pf.clone();
                    x.remove(f);
                    let mut s = spec.clone();
                    s.insert("partialFilterExpression", x);
                    v.push(s);
                }
            }
        }
        v
    };
    for i in 0..p.live.len() {
        for s in smaller(&p.live[i]) {
            let mut l = p.live.clone();
            l[i] = s;
            out.push(with(l, p.declared.clone()));
        }
    }
    for i in 0..p.declared.len() {
        for s in smaller(&p.declared[i]) {
            let mut d = p.declared.clone();
            d[i] = s;
            out.push(with(p.live.clone(), d));
        }
    }
    out
}

async fn shrink(s: &Scratch, pair: &Pair, signature: &str, deadline: Instant) -> Pair {
    let mut best = pair.clone();
    loop {
        let tries = candidates(&best);
        if tries.is_empty() || Instant::now() > deadline {
            return best;
        }
        let results = run_batch(&tries, s).await;
        match tries
            .into_iter()
            .zip(results)
            .find(|(_, f)| f.iter().any(|f| f.signature() == signature))
        {
            Some((smaller, _)) => best = smaller,
            None => return best,
        }
    }
}

#[derive(serde::Deserialize)]
struct Regression {
    live: Vec<String>,
    declared: Vec<String>,
}

fn regressions() -> Vec<Pair> {
    let text = std::fs::read_to_string(regression_file()).unwrap_or_default();
    let entries: Vec<Regression> = serde_yaml::from_str::<Option<Vec<Regression>>>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", regression_file().display()))
        .unwrap_or_default();
    let parse = |i: usize, v: &[String]| -> Vec<Document> {
        v.iter()
            .map(|t| {
                parse_ejson(t).unwrap_or_else(|e| panic!("regressions.yaml entry {i} ({t}): {e}"))
            })
            .collect()
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, r)| Pair {
            live: parse(i, &r.live),
            declared: parse(i, &r.declared),
            origin: format!("regression #{i}"),
        })
        .collect()
}

fn regression_entry(pair: &Pair, f: &Finding) -> String {
    let list = |v: &[Document]| {
        format!(
            "[{}]",
            v.iter()
                .map(|d| format!("'{}'", ejson_doc(d).replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!(
        "- live: {}\n  declared: {}\n  note: {}\n",
        list(&pair.live),
        list(&pair.declared),
        serde_json::to_string(&f.signature()).unwrap()
    )
}

#[tokio::test]
async fn mig_apply_ends_where_mongod_puts_each_pair() {
    let seed = random_seed("MIG_PAIRS_SEED", DEFAULT_SEED);
    let count = knob("MIG_PAIRS_CASES", DEFAULT_CASES as u64) as usize;
    let batch = (knob("MIG_PAIRS_BATCH", DEFAULT_BATCH as u64) as usize).max(1);
    let deadline = Instant::now() + Duration::from_secs(knob("MIG_PAIRS_SECONDS", DEFAULT_SECONDS));
    println!("pairs: seed {seed} (MIG_PAIRS_SEED={seed} reproduces), {count} random pairs");

    let mut pairs = regressions();
    let n_regressions = pairs.len();
    let mut rng = Rng::new(seed);
    // MIG_PAIRS_ONLY=41,64: only those random pairs (to look at one again).
    let only: Vec<usize> = std::env::var("MIG_PAIRS_ONLY")
        .unwrap_or_default()
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().parse().expect("MIG_PAIRS_ONLY: numbers"))
        .collect();
    for i in 0..count {
        let (live, declared) = pair_grammar::pair(&mut rng);
        if !only.is_empty() && !only.contains(&i) {
            continue;
        }
        pairs.push(Pair {
            live,
            declared,
            origin: format!("random #{i}"),
        });
    }

    let holder = Project::new();
    let scratch = Scratch {
        db: client()
            .await
            .database(&holder.track(&unique("pairs_scratch"))),
        n: AtomicUsize::new(0),
    };
    let mut findings: Vec<Vec<Finding>> = Vec::new();
    for chunk in pairs.chunks(batch) {
        findings.extend(run_batch(chunk, &scratch).await);
    }

    // Group by signature; shrink the first of each group (regressions are minimal already).
    let mut groups: Vec<(String, Finding, Vec<usize>)> = Vec::new();
    for (j, fs) in findings.iter().enumerate() {
        for f in fs {
            let sig = f.signature();
            match groups.iter_mut().find(|(s, _, _)| *s == sig) {
                Some((_, _, members)) => {
                    if members.last() != Some(&j) {
                        members.push(j)
                    }
                }
                None => groups.push((sig, f.clone(), vec![j])),
            }
        }
    }
    let known: Vec<String> = pairs[..n_regressions]
        .iter()
        .map(|p| format!("{} {}", specs_text(&p.live), specs_text(&p.declared)))
        .collect();
    let mut new_entries = String::new();
    let mut new_count = 0;
    let mut report = Vec::new();
    for (sig, f, members) in &groups {
        let first = members[0];
        let minimal = if first < n_regressions {
            pairs[first].clone()
        } else {
            shrink(&scratch, &pairs[first], sig, deadline).await
        };
        let id = format!(
            "{} {}",
            specs_text(&minimal.live),
            specs_text(&minimal.declared)
        );
        let is_known = known.contains(&id);
        println!(
            "\nDISAGREEMENT {sig}\n  ({} pair(s), first: {}{})",
            members.len(),
            pairs[first].origin,
            if is_known {
                ", a known regression"
            } else {
                ", NEW"
            }
        );
        println!("  live:     {}", specs_text(&minimal.live));
        println!("  declared: {}", specs_text(&minimal.declared));
        println!("  first found: {}", f.detail.replace('\n', "\n  "));
        let entry = regression_entry(&minimal, f);
        println!(
            "  regression entry:\n    {}",
            entry.trim_end().replace('\n', "\n    ")
        );
        if !is_known && !new_entries.contains(&entry) {
            new_entries.push_str(&entry);
            new_count += 1;
        }
        report.push(sig.clone());
    }
    if std::env::var("MIG_PAIRS_RECORD").as_deref() == Ok("1") && !new_entries.is_empty() {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(regression_file())
            .unwrap();
        writeln!(f, "# found with MIG_PAIRS_SEED={seed}").unwrap();
        f.write_all(new_entries.as_bytes()).unwrap();
        println!(
            "\nrecorded {new_count} new pair(s) in {}",
            regression_file().display()
        );
    }
    let failing = findings.iter().filter(|f| !f.is_empty()).count();
    let summary = format!(
        "pairs: seed {seed}: {} pairs ({n_regressions} regressions + {count} random), {failing} \
         with disagreements, {} kinds ({new_count} new):\n  {}",
        pairs.len(),
        groups.len(),
        report.join("\n  ")
    );
    println!("\n{summary}");
    assert!(
        failing == 0,
        "{summary}\n(run with -- --nocapture for each minimal pair)"
    );
}

/// The grammar is deterministic, and what it writes is what it reads back.
#[test]
fn pair_grammar_is_deterministic_and_round_trips() {
    let (mut a, mut b) = (Rng::new(3), Rng::new(3));
    for _ in 0..300 {
        let p = pair_grammar::pair(&mut a);
        assert_eq!(p, pair_grammar::pair(&mut b));
        for spec in p.0.iter().chain(&p.1) {
            assert_eq!(
                parse_ejson(&ejson_doc(spec)).unwrap(),
                *spec,
                "{}",
                ejson_doc(spec)
            );
        }
    }
}
