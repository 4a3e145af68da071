//! Reads manifest files into the shared model, and validates them. Every
//! problem in every file is collected; nothing talks to a server.

/// A value that breaks one of MongoDB's rules, in words: it becomes the
/// message of a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl From<&str> for Invalid {
    fn from(why: &str) -> Invalid {
        Invalid(why.to_string())
    }
}

/// `invalid!("...", args)`: an [`Invalid`] with a formatted message.
macro_rules! invalid {
    ($($arg:tt)*) => {
        $crate::manifest::Invalid(format!($($arg)*))
    };
}

mod convert;
mod extjson;
pub mod file;
mod problems;
mod read;
mod rules;
mod views;

use std::path::{Path, PathBuf};

use bson::Document;

use crate::diagnostics::locate::Locations;
use crate::diagnostics::{Format, Problem, SourceFile};
use crate::model::names::check_collection_name;
pub use crate::model::release::Release;
use crate::model::{Collection, IndexSpec, Scope};
use convert::convert_index;
pub use extjson::to_document;
use problems::{by_name, dedup_problems, with_extended_json};
use views::{view_collations, view_cycles};

/// What the manifests declare, per scope, in the order written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifests {
    pub public: Vec<Collection>,
    pub tenant: Vec<Collection>,
    pub files: Vec<PathBuf>,
    /// Where each declared index was written, for messages about it.
    pub origins: Vec<Origin>,
    /// Declarations the server accepts but that deserve a second look
    /// (`background: true`, `unique: 1`, a fractional weight).
    pub warnings: Vec<Problem>,
}

/// Where one declared index was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub scope: Scope,
    pub collection: String,
    pub index: String,
    pub file: PathBuf,
    /// The index's path in its file (`collections[0].indexes[2]`).
    pub field: String,
    pub position: Option<crate::diagnostics::locate::Position>,
}

impl Origin {
    /// A problem about this index (or one of its options, when `option` is not empty).
    pub fn problem(&self, option: &str, message: impl Into<String>) -> Problem {
        index_problem(
            &self.file,
            &self.field,
            |_| self.position,
            format!("{}.{}", self.collection, self.index),
            option,
            message,
        )
    }
}

/// A problem about a declared index, named `collection.index`; `at` finds
/// the line of the option's path in the file, if it can.
fn index_problem(
    file: &Path,
    index_field: &str,
    at: impl Fn(&str) -> Option<crate::diagnostics::locate::Position>,
    subject: String,
    option: &str,
    message: impl Into<String>,
) -> Problem {
    let field = if option.is_empty() {
        index_field.to_string()
    } else {
        format!("{index_field}.{option}")
    };
    Problem {
        file: file.to_path_buf(),
        position: at(&field),
        field,
        subject,
        option: option.to_string(),
        message: message.into(),
    }
}

impl Manifests {
    /// Where an index of a collection of `scope` was declared.
    pub fn origin(&self, scope: Scope, collection: &str, index: &str) -> Option<&Origin> {
        self.origins
            .iter()
            .find(|o| o.scope == scope && o.collection == collection && o.index == index)
    }

    pub fn for_scope(&self, scope: Scope) -> &[Collection] {
        match scope {
            Scope::Public => &self.public,
            Scope::Tenant => &self.tenant,
        }
    }

    /// Keeps only the named collections (`--collection`); empty keeps all.
    pub fn retain_collections(&mut self, names: &[String]) {
        if names.is_empty() {
            return;
        }
        self.public.retain(|c| names.contains(&c.name));
        self.tenant.retain(|c| names.contains(&c.name));
    }
}

/// One declared index and where it was written, for validation messages.
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    pub spec: IndexSpec,
    pub collection: String,
    pub file: PathBuf,
    /// Its path in the file: `collections[0].indexes[2]`.
    pub field: String,
    pub position: Option<crate::diagnostics::locate::Position>,
}

impl Declared {
    fn at(&self) -> String {
        match self.position {
            Some(p) => format!("{}:{}", self.file.display(), p.line),
            None => self.file.display().to_string(),
        }
    }

    /// A problem about this index, named `collection.index`, at the line of
    /// `option` when it has one (else of the index).
    fn problem(
        &self,
        option: &str,
        message: impl Into<String>,
        locations: Option<&Locations>,
    ) -> Problem {
        index_problem(
            &self.file,
            &self.field,
            |field| locations.and_then(|l| l.find(field)).or(self.position),
            format!("{}.{}", self.collection, self.spec.name),
            option,
            message,
        )
    }
}

/// A collection as the files of one scope declare it, before validation.
struct DeclaredCollection {
    scope: Scope,
    name: String,
    indexes: Vec<Declared>,
    drop_undeclared: bool,
    protected: Vec<String>,
    /// Its own options, and where they were declared (file, field path).
    options: Option<(Document, PathBuf, String)>,
}

/// Loads every `.yaml`, `.yml` and `.toml` file under `dir`, recursively,
/// checked under 6.0's rules.
pub fn load_dir(dir: &Path) -> Result<Manifests, Vec<Problem>> {
    load_dir_for(dir, Release::DEFAULT)
}

/// [`load_dir`] under the rules of `release`.
pub fn load_dir_for(dir: &Path, release: Release) -> Result<Manifests, Vec<Problem>> {
    load_dir_with(dir, |sources| load_sources_for(sources, release))
}

/// [`load_dir`] before the server's release is known: only what every known
/// release refuses is refused ([`load_sources_deferred`]); the caller checks
/// again with [`load_dir_for`] once the server has said its version.
pub fn load_dir_deferred(dir: &Path) -> Result<Manifests, Vec<Problem>> {
    load_dir_with(dir, load_sources_deferred)
}

fn load_dir_with(
    dir: &Path,
    load: impl Fn(&[(PathBuf, String)]) -> (Manifests, Vec<Problem>),
) -> Result<Manifests, Vec<Problem>> {
    let files = manifest_files(dir).map_err(|e| {
        vec![Problem {
            file: dir.to_path_buf(),
            position: None,
            field: String::new(),
            message: format!("cannot read the manifests directory: {e}"),
            ..Default::default()
        }]
    })?;
    if files.is_empty() {
        return Err(vec![Problem {
            file: dir.to_path_buf(),
            position: None,
            field: String::new(),
            message: "no manifest files (.yaml, .yml, .toml) found".into(),
            ..Default::default()
        }]);
    }
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for path in &files {
        match std::fs::read_to_string(path) {
            Ok(s) => sources.push((path.clone(), s)),
            Err(e) => problems.push(Problem {
                file: path.clone(),
                position: None,
                field: String::new(),
                message: format!("cannot read: {e}"),
                ..Default::default()
            }),
        }
    }
    let (manifests, more) = load(&sources);
    problems.extend(more);
    if problems.is_empty() {
        Ok(manifests)
    } else {
        Err(problems)
    }
}

/// Parses, converts and validates manifests given as (path, content) pairs,
/// under 6.0's rules.
pub fn load_sources(sources: &[(PathBuf, String)]) -> (Manifests, Vec<Problem>) {
    load_sources_for(sources, Release::DEFAULT)
}

/// [`load_sources`] with the rules every known release shares: a problem
/// (or warning) is kept only when each release's rules find it, so a rule
/// that differs by release (`model::release::DIFFERENCES`) refuses nothing
/// until the server's release is known. The declarations are the newest
/// release's reading (the releases read them alike; only the findings differ).
pub fn load_sources_deferred(sources: &[(PathBuf, String)]) -> (Manifests, Vec<Problem>) {
    let mut runs: Vec<(Manifests, Vec<Problem>)> = crate::model::release::RELEASES
        .iter()
        .map(|r| load_sources_for(sources, *r))
        .collect();
    let Some((mut manifests, mut problems)) = runs.pop() else {
        return load_sources(sources);
    };
    problems.retain(|p| runs.iter().all(|(_, other)| other.contains(p)));
    manifests
        .warnings
        .retain(|w| runs.iter().all(|(m, _)| m.warnings.contains(w)));
    (manifests, problems)
}

/// [`load_sources`] under the rules of `release`.
pub fn load_sources_for(
    sources: &[(PathBuf, String)],
    release: Release,
) -> (Manifests, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut declared: Vec<DeclaredCollection> = Vec::new();
    for (path, source) in sources {
        let Some(format) = Format::of(path) else {
            continue;
        };
        let first = problems.len();
        let tree = match format.tree(path, source) {
            Ok(tree) => tree,
            Err(p) => {
                problems.push(with_extended_json(format, source, p));
                continue;
            }
        };
        // The tree as JSON names collections and indexes in messages.
        let named = serde_json::to_value(&tree).ok();
        let locations = format.locations(source);
        let src = SourceFile {
            path,
            locations: &locations,
        };
        let read = read::manifest(&tree, format);
        for (field, message) in read.problems {
            problems.push(by_name(named.as_ref(), src.problem(field, message)));
        }
        let parsed = read.file;
        if let Some(parsed) = &parsed {
            for key in parsed.unknown.keys() {
                let message = match rules::closest(key, read::FILE_FIELDS) {
                    Some(k) => format!("unknown field {key:?}: did you mean {k:?}?"),
                    None => "unknown field (expected scope, collections, drop, unmanaged)".into(),
                };
                problems.push(src.problem(key.clone(), message));
            }
            for (i, pattern) in parsed.unmanaged.iter().enumerate() {
                if let Err(e) = regex::Regex::new(pattern) {
                    problems.push(src.problem(
                        format!("unmanaged[{i}]"),
                        format!("invalid regular expression: {e}"),
                    ));
                }
            }
        }
        let drop_undeclared = parsed
            .as_ref()
            .is_some_and(|p| p.drop == Some(file::DropPolicy::Staged));
        for read_collection in read.collections {
            let ci = read_collection.at;
            let Some(coll) = read_collection.decl else {
                continue;
            };
            let cpath = format!("collections[{ci}]");
            let about_collection = |option: &str, message: String| Problem {
                subject: coll.name.clone(),
                option: option.to_string(),
                ..src.problem(format!("{cpath}.{option}"), message)
            };
            for key in coll.unknown.keys() {
                let message = match rules::closest(key, &read::COLLECTION_FIELDS) {
                    Some(k) => format!("unknown field {key:?}: did you mean {k:?}?"),
                    None => format!(
                        "unknown field {key:?} (a collection has name, indexes, and MongoDB's \
                         collection options: validator, collation, timeseries, viewOn, …)"
                    ),
                };
                problems.push(about_collection(key, message));
            }
            if let Err(why) = check_collection_name(&coll.name) {
                problems.push(about_collection("name", why.to_string()));
            }
            let (options, findings) = rules::collection_options_for(&coll, release, format);
            for f in findings {
                let p = about_collection(&f.option, f.message);
                if f.warning {
                    warnings.push(p);
                } else {
                    problems.push(p);
                }
            }
            let mut indexes = Vec::new();
            for (ii, decl) in &read_collection.indexes {
                let ipath = format!("{cpath}.indexes[{ii}]");
                let (spec, conversion) = convert_index(decl, format);
                let declared = Declared {
                    spec,
                    collection: coll.name.clone(),
                    file: path.clone(),
                    position: src.locations.find(&ipath),
                    field: ipath,
                };
                let mut findings = conversion;
                if findings.is_empty() {
                    findings = rules::index_for(&declared.spec, decl, release);
                }
                for f in findings {
                    let p = declared.problem(&f.option, f.message, Some(src.locations));
                    if f.warning {
                        warnings.push(p);
                    } else {
                        problems.push(p);
                    }
                }
                indexes.push(declared);
            }
            // Without a scope the file's collections belong nowhere; their
            // problems are reported all the same.
            let Some(parsed) = &parsed else {
                continue;
            };
            for scope in parsed.scope.scopes() {
                match declared
                    .iter_mut()
                    .find(|d| d.scope == scope && d.name == coll.name)
                {
                    Some(existing) => {
                        match (&existing.options, &options) {
                            (Some((_, file, _)), Some(_)) => problems.push(about_collection(
                                "",
                                format!(
                                    "its options are declared in {} too: declare a \
                                     collection's options in one place",
                                    file.display()
                                ),
                            )),
                            (None, Some(o)) => {
                                existing.options = Some((o.clone(), path.clone(), cpath.clone()))
                            }
                            _ => {}
                        }
                        existing.indexes.extend(indexes.iter().cloned());
                        existing.drop_undeclared |= drop_undeclared;
                        existing.protected.extend(parsed.unmanaged.iter().cloned());
                    }
                    None => declared.push(DeclaredCollection {
                        scope,
                        name: coll.name.clone(),
                        indexes: indexes.clone(),
                        drop_undeclared,
                        protected: parsed.unmanaged.clone(),
                        options: options.clone().map(|o| (o, path.clone(), cpath.clone())),
                    }),
                }
            }
        }
        // A file's problems are read top to bottom.
        problems[first..].sort_by_key(|p| p.position.map(|p| (p.line, p.column)));
    }
    let mut manifests = Manifests {
        files: sources.iter().map(|(p, _)| p.clone()).collect(),
        ..Default::default()
    };
    problems.extend(view_cycles(&declared));
    problems.extend(view_collations(&declared));
    for d in declared {
        problems.extend(rules::collection(d.scope, &d.name, &d.indexes));
        let mut protected = d.protected;
        protected.sort();
        protected.dedup();
        manifests.origins.extend(d.indexes.iter().map(|i| Origin {
            scope: d.scope,
            collection: d.name.clone(),
            index: i.spec.name.clone(),
            file: i.file.clone(),
            field: i.field.clone(),
            position: i.position,
        }));
        let collection = Collection {
            name: d.name,
            indexes: d.indexes.into_iter().map(|d| d.spec).collect(),
            drop_undeclared: d.drop_undeclared,
            protected,
            options: d.options.map(|(o, _, _)| o),
            ..Default::default()
        };
        match d.scope {
            Scope::Public => manifests.public.push(collection),
            Scope::Tenant => manifests.tenant.push(collection),
        }
    }
    dedup_problems(&mut problems);
    dedup_problems(&mut warnings);
    manifests.warnings = warnings;
    (manifests, problems)
}

fn manifest_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            out.extend(manifest_files(&path)?);
        } else if Format::of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod messages_tests;
