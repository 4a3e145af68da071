//! Reads migration files and checks them into [`Migration`]s; every problem
//! in every file is collected.

use std::path::{Path, PathBuf};

use bson::Document;
use sha2::{Digest, Sha256};

use super::file::{self, MigrationFile, Precondition, Step};
use super::{Migration, Op, Update};
use crate::diagnostics::{Format, Problem, SourceFile};
use crate::manifest::{file::DocValue, to_document, Invalid};

/// What is wrong with a step: the field it is about, and why.
type Wrong = (String, Invalid);

/// Index commands belong to the manifests, not to migrations.
const INDEX_COMMANDS: &[&str] = &[
    "createIndexes",
    "dropIndexes",
    "createIndex",
    "dropIndex",
    "reIndex",
];
const INDEX_STEPS: &[&str] = &[
    "create_index",
    "create_indexes",
    "drop_index",
    "drop_indexes",
    "ensure_index",
];
const MANIFESTS_POINTER: &str = "indexes are declared in the manifests (manifests/) and applied by `mig apply`, not created by migrations";

/// Reads every migration file in `dir`, sorted by id. A missing directory has none.
/// A migration file `mig new` wrote and nobody has written a step in yet:
/// it runs nothing, and commands that only read leave it out (`apply`
/// refuses to run past it).
pub const NO_UP_STEP: &str = "no `up` step yet";

/// The migrations of a directory, and the drafts among its files (no `up`
/// step yet), each as the problem `apply` refuses it with.
#[derive(Debug, Default)]
pub struct Loaded {
    pub list: Vec<Migration>,
    pub drafts: Vec<Problem>,
}

/// Every migration file of `dir`: the drafts apart, every other problem an error.
pub fn load_dir(dir: &Path) -> Result<Loaded, Vec<Problem>> {
    let problem = |file: &Path, message: String| Problem {
        file: file.to_path_buf(),
        position: None,
        field: String::new(),
        message,
        ..Default::default()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => {
            return Err(vec![problem(
                dir,
                format!("cannot read the migrations directory: {e}"),
            )])
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if Format::of(&path).is_none() {
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(s) => sources.push((path, s)),
            Err(e) => problems.push(problem(&path, format!("cannot read: {e}"))),
        }
    }
    let (migrations, more) = load_sources(&sources);
    problems.extend(more);
    let (drafts, problems): (Vec<Problem>, Vec<Problem>) = problems
        .into_iter()
        .partition(|p| p.field == "up" && p.message.starts_with(NO_UP_STEP));
    if !problems.is_empty() {
        return Err(problems);
    }
    let list = migrations
        .into_iter()
        .filter(|m| !drafts.iter().any(|d| d.file == m.file))
        .collect();
    Ok(Loaded { list, drafts })
}

/// `20250101120000_backfill_status`: 14 digits, `_`, a lowercase name.
pub fn valid_id(id: &str) -> bool {
    let (stamp, name) = match id.split_once('_') {
        Some(parts) => parts,
        None => return false,
    };
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

pub fn load_sources(sources: &[(PathBuf, String)]) -> (Vec<Migration>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut out: Vec<Migration> = Vec::new();
    for (path, source) in sources {
        let Some(format) = Format::of(path) else {
            continue;
        };
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let named = |message: String| Problem {
            file: path.clone(),
            position: None,
            field: String::new(),
            message,
            ..Default::default()
        };
        if !valid_id(&id) {
            problems.push(named(format!(
                "the file name must be <YYYYMMDDHHMMSS>_<name> (lowercase letters, digits, _), found {id:?}; `mig new <name>` makes one"
            )));
            continue;
        }
        if let Some(other) = out.iter().find(|m| m.id == id) {
            problems.push(named(format!(
                "migration id {id} is also {}",
                other.file.display()
            )));
            continue;
        }
        let parsed: MigrationFile = match format.parse(path, source) {
            Ok(m) => m,
            Err(mut p) => {
                if let Some(step) = INDEX_STEPS
                    .iter()
                    .find(|s| p.message.contains(&format!("`{s}`")))
                {
                    p.message = format!("unknown step `{step}`: {MANIFESTS_POINTER}");
                }
                problems.push(p);
                continue;
            }
        };
        let normalized: serde_json::Value = format.parse(path, source).unwrap_or_default();
        let checksum = Sha256::digest(normalized.to_string().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let locations = format.locations(source);
        let src = SourceFile {
            path,
            locations: &locations,
        };
        let mut convert = |steps: &[file::StepEntry], list: &str| -> Vec<Op> {
            let mut ops = Vec::new();
            for (i, file::StepEntry(step)) in steps.iter().enumerate() {
                let at = format!("{list}[{i}].{}", step.name());
                if step.destructive() && !parsed.allow_destructive {
                    problems.push(src.problem(
                        at.clone(),
                        format!(
                            "{} deletes data: the file must say `allow_destructive: true`",
                            step.name()
                        ),
                    ));
                }
                match convert_step(step, &at) {
                    Ok(op) => ops.push(op),
                    Err((field, why)) => problems.push(src.problem(field, why.0)),
                }
            }
            ops
        };
        let up = convert(&parsed.up, "up");
        let down = convert(&parsed.down, "down");
        if parsed.up.is_empty() {
            problems.push(src.problem("up", format!("{NO_UP_STEP}: a migration needs at least one (write its steps, or delete the file)")));
        }
        out.push(Migration {
            id,
            file: path.clone(),
            description: parsed.description,
            scope: parsed.scope,
            transactional: parsed.transactional,
            checksum,
            up,
            down,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, problems)
}

fn doc(value: &DocValue, at: &str, field: &str) -> Result<Document, Wrong> {
    to_document(&value.0).map_err(|e| (format!("{at}.{field}"), e))
}

fn name(value: &str, at: &str, field: &str) -> Result<String, Wrong> {
    crate::model::names::check_collection_name(value)
        .map(|_| value.to_string())
        .map_err(|e| (format!("{at}.{field}"), Invalid(e.to_string())))
}

fn update(u: &file::UpdateStep, at: &str) -> Result<Update, Wrong> {
    match (&u.update, &u.pipeline) {
        (Some(d), None) => Ok(Update::Document(doc(d, at, "update")?)),
        (None, Some(p)) => Ok(Update::Pipeline(
            p.iter()
                .enumerate()
                .map(|(i, s)| doc(s, at, &format!("pipeline[{i}]")))
                .collect::<Result<_, _>>()?,
        )),
        _ => Err((
            at.to_string(),
            "give exactly one of `update` and `pipeline`".into(),
        )),
    }
}

fn convert_step(step: &Step, at: &str) -> Result<Op, Wrong> {
    Ok(match step {
        Step::UpdateMany(u) => Op::UpdateMany {
            collection: name(&u.collection, at, "collection")?,
            filter: doc(&u.filter, at, "filter")?,
            update: update(u, at)?,
            batch_size: match u.batch_size {
                Some(0) => return Err((format!("{at}.batch_size"), "must be at least 1".into())),
                b => b,
            },
        },
        Step::UpdateOne(u) => Op::UpdateOne {
            collection: name(&u.collection, at, "collection")?,
            filter: doc(&u.filter, at, "filter")?,
            update: update(u, at)?,
            upsert: u.upsert,
        },
        Step::InsertMany(i) => Op::InsertMany {
            collection: name(&i.collection, at, "collection")?,
            documents: docs(&i.documents, at)?,
        },
        Step::UpsertMany(u) => {
            if u.key.is_empty() {
                return Err((format!("{at}.key"), "name at least one key field".into()));
            }
            let documents = docs(&u.documents, at)?;
            for (i, d) in documents.iter().enumerate() {
                if let Some(missing) = u
                    .key
                    .iter()
                    .find(|k| crate::targets::get_path(d, k).is_none())
                {
                    return Err((
                        format!("{at}.documents[{i}]"),
                        Invalid(format!("has no key field {missing:?}")),
                    ));
                }
            }
            Op::UpsertMany {
                collection: name(&u.collection, at, "collection")?,
                key: u.key.clone(),
                documents,
            }
        }
        Step::RenameCollection(r) => Op::RenameCollection {
            from: name(&r.from, at, "from")?,
            to: name(&r.to, at, "to")?,
            drop_target: r.drop_target,
        },
        Step::CreateCollection(c) => {
            let mut options =
                validation(&c.validator, &c.validation_level, &c.validation_action, at)?;
            for (field, value) in [
                ("collation", &c.collation),
                ("timeseries", &c.timeseries),
                ("clusteredIndex", &c.clustered_index),
            ] {
                if let Some(v) = value {
                    options.insert(field, doc(v, at, field)?);
                }
            }
            if let Some(capped) = c.capped {
                options.insert("capped", capped);
            }
            if let Some(size) = c.size {
                options.insert("size", size);
            }
            if let Some(max) = c.max {
                options.insert("max", max);
            }
            Op::CreateCollection {
                name: name(&c.name, at, "name")?,
                options,
            }
        }
        Step::ModifyCollection(m) => {
            let options = validation(&m.validator, &m.validation_level, &m.validation_action, at)?;
            if options.is_empty() {
                return Err((
                    at.to_string(),
                    "nothing to modify: give validator, validationLevel or validationAction".into(),
                ));
            }
            Op::ModifyCollection {
                name: name(&m.name, at, "name")?,
                options,
            }
        }
        Step::DeleteMany(d) => Op::DeleteMany {
            collection: name(&d.collection, at, "collection")?,
            filter: doc(&d.filter, at, "filter")?,
        },
        Step::DropCollection(d) => Op::DropCollection {
            name: name(&d.name, at, "name")?,
        },
        Step::RunCommand(r) => {
            let command = doc(&r.command, at, "command")?;
            match command.keys().next() {
                None => return Err((format!("{at}.command"), "an empty command".into())),
                Some(c) if INDEX_COMMANDS.contains(&c.as_str()) => {
                    return Err((
                        format!("{at}.command"),
                        Invalid(format!("{c}: {MANIFESTS_POINTER}")),
                    ))
                }
                Some(_) => {}
            }
            Op::RunCommand { command }
        }
        Step::Precondition(Precondition::CollectionExists(c)) => {
            Op::CollectionExists(name(c, at, "collection_exists")?)
        }
        Step::Precondition(Precondition::DocumentCount(c)) => {
            if c.equals.is_none() == c.max.is_none() {
                return Err((
                    format!("{at}.document_count"),
                    "give exactly one of `equals` and `max`".into(),
                ));
            }
            Op::DocumentCount {
                collection: name(&c.collection, at, "document_count.collection")?,
                filter: c
                    .filter
                    .as_ref()
                    .map(|f| doc(f, at, "document_count.filter"))
                    .transpose()?
                    .unwrap_or_default(),
                equals: c.equals,
                max: c.max,
            }
        }
    })
}

/// The validation options shared by `create_collection` and `modify_collection`.
fn validation(
    validator: &Option<DocValue>,
    level: &Option<String>,
    action: &Option<String>,
    at: &str,
) -> Result<Document, Wrong> {
    let mut options = Document::new();
    if let Some(v) = validator {
        options.insert("validator", doc(v, at, "validator")?);
    }
    if let Some(l) = level {
        options.insert("validationLevel", l.as_str());
    }
    if let Some(a) = action {
        options.insert("validationAction", a.as_str());
    }
    Ok(options)
}

fn docs(values: &[DocValue], at: &str) -> Result<Vec<Document>, Wrong> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| doc(v, at, &format!("documents[{i}]")))
        .collect()
}
