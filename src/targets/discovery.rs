//! Tenant discovery: the databases the settings describe (a list, a prefix
//! or regex over what the server lists, or a registry), and how it went.

use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use mongodb::Client;

use super::{filter_tenants, routing, Rejected, Selection};
use crate::config::{Discovery, Settings};
use crate::manifest::Manifests;

/// The value at a dotted path of a document (`billing.schema`).
pub fn get_path<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut value = doc.get(parts.next()?)?;
    for part in parts {
        value = value.as_document()?.get(part)?;
    }
    Some(value)
}

/// What tenant discovery found, and what it looked at to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovered {
    pub tenants: Vec<String>,
    pub rejected: Vec<Rejected>,
    pub looked: Looked,
}

/// How discovery went: where it looked and what it counted on the way, for
/// the line a run over no tenants prints and for JSON's `discovery`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Looked {
    /// `list`, `prefix`, `regex`, `registry`.
    pub source: &'static str,
    /// Where it looked, in mig.toml's terms: `prefix "tenant_"`,
    /// `registry chat_public.client_configs, field "schema", filter {…}`.
    pub described: String,
    /// How many names or entries it read: the list's names, the databases
    /// the server listed, the registry's entries.
    pub read: usize,
    /// Of those, how many matched (the prefix, the regex, the registry's
    /// filter); `None` for a list, which has nothing to match.
    pub matched: Option<usize>,
    /// How many names or entries were skipped, and why: each distinct
    /// reason with how many it skipped, in the order first met.
    pub skipped: usize,
    pub why: Vec<(String, usize)>,
    /// Names left out by `exclude`.
    pub excluded: usize,
    /// The tenant databases found.
    pub tenants: usize,
    /// mig.toml says there may be none (`databases = []`, `allow_empty = true`).
    pub allow_empty: bool,
}

impl Looked {
    fn new(discovery: &Discovery, public: Option<&str>, allow_empty: bool) -> Looked {
        let (source, described) = match discovery {
            Discovery::None => ("none", "no [tenants] section".to_string()),
            Discovery::List(names) if names.is_empty() => {
                ("list", "source = \"list\", databases = []".to_string())
            }
            Discovery::List(_) => ("list", "source = \"list\"".to_string()),
            Discovery::Prefix(p) => ("prefix", format!("prefix {p:?}")),
            Discovery::Regex(r) => ("regex", format!("regex {r:?}")),
            Discovery::Registry {
                collection,
                field,
                filter,
                ..
            } => {
                let filter = match filter.is_empty() {
                    true => String::new(),
                    false => format!(", filter {filter}"),
                };
                let public = public.unwrap_or("?");
                let described = format!("registry {public}.{collection}, field {field:?}{filter}");
                ("registry", described)
            }
        };
        Looked {
            source,
            described,
            read: 0,
            matched: None,
            skipped: 0,
            why: Vec::new(),
            excluded: 0,
            tenants: 0,
            allow_empty,
        }
    }
}

impl Looked {
    fn skip(&mut self, rejected: &[Rejected]) {
        self.skipped = rejected.len();
        for r in rejected {
            match self.why.iter_mut().find(|(why, _)| *why == r.reason) {
                Some((_, n)) => *n += 1,
                None => self.why.push((r.reason.clone(), 1)),
            }
        }
    }

    /// Whether no tenant database is a fact mig.toml declares.
    pub fn declared_empty(&self) -> bool {
        self.allow_empty && self.tenants == 0
    }
}

/// How many distinct reasons for skipping a line names.
const REASONS_SHOWN: usize = 3;

impl std::fmt::Display for Looked {
    /// `registry chat_public.client_configs, field "schema": 3 entries read,
    /// 3 matched the filter, 3 skipped (3× the registry entry has no "schema" field)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.described)?;
        let (noun, matched) = match self.source {
            "registry" => ("registry entries read", "matched the filter"),
            "prefix" => ("databases on the server", "matched the prefix"),
            "regex" => ("databases on the server", "matched the regex"),
            _ => ("names listed", ""),
        };
        if self.source == "none" || (self.source == "list" && self.read == 0) {
            return Ok(());
        }
        write!(f, ": {} {noun}", self.read)?;
        if let Some(n) = self.matched {
            write!(f, ", {n} {matched}")?;
        }
        if self.skipped > 0 {
            let shown: Vec<String> = self
                .why
                .iter()
                .take(REASONS_SHOWN)
                .map(|(why, n)| format!("{n}× {why}"))
                .collect();
            let more = match self.why.len() > REASONS_SHOWN {
                true => ", …",
                false => "",
            };
            write!(f, ", {} skipped ({}{more})", self.skipped, shown.join("; "))?;
        }
        if self.excluded > 0 {
            write!(f, ", {} excluded", self.excluded)?;
        }
        write!(f, ", {} tenant database(s)", self.tenants)
    }
}

/// Tenant manifests, and discovery found no tenant database where mig.toml
/// doesn't say there may be none: the run would quietly skip every tenant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "no tenant database found, so the tenant manifests apply nowhere; tenant discovery: {looked}. \
     Nothing was done. Fix [tenants] in mig.toml, or, if there are no tenants yet, \
     say so there: `allow_empty = true`"
)]
pub struct NoTenants {
    pub looked: Looked,
}

/// After discovery: an error when there are tenant manifests, the run wants
/// tenants, and discovery found none though mig.toml doesn't say there may
/// be none. `Ok(true)`: none found, as declared (the run says so).
pub fn check_found(
    looked: &Looked,
    manifests: &Manifests,
    selection: &Selection,
) -> Result<bool, NoTenants> {
    let wanted = selection.wants_tenants() && !manifests.tenant.is_empty();
    if !wanted || looked.tenants > 0 || looked.source == "none" {
        return Ok(false);
    }
    if looked.declared_empty() {
        return Ok(true);
    }
    Err(NoTenants {
        looked: looked.clone(),
    })
}

/// Discovery by the registry (`Discovery::Registry`), read on `client`:
/// its entries for the tenants found (the others rejected, saying why), and
/// how it went, the entries read counted. Shared by every run, one server
/// or `[clusters]` (where the entries also say each tenant's cluster).
pub async fn registry(
    client: &Client,
    settings: &Settings,
) -> mongodb::error::Result<(Vec<routing::Entry>, Discovered)> {
    let (entries, why) = read_registry(client, settings).await?;
    let mut looked = Looked::start(settings);
    if let (Discovery::Registry { collection, .. }, Some(public)) =
        (&settings.discovery, &settings.public_database)
    {
        let all = client
            .database(public)
            .collection::<Document>(collection)
            .count_documents(doc! {})
            .await?;
        looked.read = usize::try_from(all).unwrap_or(usize::MAX);
    }
    looked.matched = Some(entries.len() + why.len());
    let names = entries.iter().map(|e| e.database.clone()).collect();
    let found = Discovered::from(settings, looked, names, why);
    let entries = entries
        .into_iter()
        .filter(|e| found.tenants.contains(&e.database))
        .collect();
    Ok((entries, found))
}

impl Discovered {
    /// What discovery found of `candidates` (`looked` counting what it read
    /// and matched): the tenants, once `exclude` and the names that can't
    /// be tenants are left out, and how it went.
    pub fn from(
        settings: &Settings,
        mut looked: Looked,
        candidates: Vec<String>,
        mut rejected: Vec<Rejected>,
    ) -> Discovered {
        let public = settings.public_database.as_deref();
        looked.excluded = candidates
            .iter()
            .filter(|c| settings.exclude.contains(c))
            .count();
        let (tenants, more) = filter_tenants(candidates, &settings.exclude, public);
        rejected.extend(more);
        looked.skip(&rejected);
        looked.tenants = tenants.len();
        Discovered {
            tenants,
            rejected,
            looked,
        }
    }
}

impl Looked {
    /// Where `settings`' discovery looks, nothing counted yet.
    pub fn start(settings: &Settings) -> Looked {
        Looked::new(
            &settings.discovery,
            settings.public_database.as_deref(),
            settings.allow_empty_tenants,
        )
    }

    /// Over `[clusters]`: how each cluster's discovery went, as one. With
    /// one cluster, its own; with several, their counts added and where
    /// each looked named by its cluster.
    pub fn over_clusters(each: Vec<(String, Looked)>) -> Option<Looked> {
        let mut each = each.into_iter();
        let (first_name, first) = each.next()?;
        let rest: Vec<(String, Looked)> = each.collect();
        if rest.is_empty() {
            return Some(first);
        }
        let mut all = first.clone();
        all.described = format!("cluster {first_name}: {}", first.described);
        for (name, l) in rest {
            all.described += &format!("; cluster {name}: {}", l.described);
            all.read += l.read;
            all.matched = match (all.matched, l.matched) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            };
            all.skipped += l.skipped;
            for (why, n) in l.why {
                match all.why.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, m)) => *m += n,
                    None => all.why.push((why, n)),
                }
            }
            all.excluded += l.excluded;
            all.tenants += l.tenants;
            all.allow_empty &= l.allow_empty;
        }
        Some(all)
    }
}

/// The databases of `listed` a prefix or regex discovery matches, sorted;
/// none for the other kinds.
pub fn matching(discovery: &Discovery, mut listed: Vec<String>) -> Vec<String> {
    match discovery {
        Discovery::Prefix(prefix) => listed.retain(|n| n.starts_with(prefix.as_str())),
        Discovery::Regex(pattern) => {
            let re = regex::Regex::new(pattern).expect("checked when the config was read");
            listed.retain(|n| re.is_match(n));
        }
        _ => listed.clear(),
    }
    listed.sort();
    listed
}

/// Reads the registry (`Discovery::Registry`) in the public database: each
/// entry's tenant database and, with a `cluster_field`, its cluster. An
/// entry without a database name is rejected, saying why.
async fn read_registry(
    client: &Client,
    settings: &Settings,
) -> mongodb::error::Result<(Vec<routing::Entry>, Vec<Rejected>)> {
    let Discovery::Registry {
        collection,
        field,
        filter,
        cluster_field,
    } = &settings.discovery
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let Some(public) = settings.public_database.as_deref() else {
        return Err(mongodb::error::Error::custom(
            "tenants.source = \"registry\" needs the public database ([public].database or MONGODB_PUBLIC_DATABASE)",
        ));
    };
    let mut projection = doc! { field.as_str(): 1 };
    if let Some(c) = cluster_field {
        projection.insert(c.as_str(), 1);
    }
    let mut cursor = client
        .database(public)
        .collection::<Document>(collection)
        .find(filter.clone())
        .projection(projection)
        .sort(doc! {"_id": 1})
        .await?;
    let (mut entries, mut rejected) = (Vec::new(), Vec::new());
    while let Some(entry) = cursor.try_next().await? {
        let label = format!(
            "{public}.{collection} _id {}",
            entry.get("_id").map(Bson::to_string).unwrap_or_default()
        );
        let database = match get_path(&entry, field) {
            Some(Bson::String(name)) => name.clone(),
            other => {
                rejected.push(Rejected {
                    database: label,
                    reason: match other {
                        None => format!("the registry entry has no {field:?} field"),
                        Some(v) => format!("{field:?} is not a string: {v}"),
                    },
                });
                continue;
            }
        };
        let cluster = match cluster_field.as_ref().map(|c| (c, get_path(&entry, c))) {
            None => routing::Placement::Unsaid,
            Some((_, Some(Bson::String(name)))) => routing::Placement::Cluster(name.clone()),
            Some((c, None)) => routing::Placement::Invalid(format!(
                "the registry entry ({label}) has no {c:?} field"
            )),
            Some((c, Some(v))) => routing::Placement::Invalid(format!(
                "the registry entry's {c:?} is not a string ({label}: {v})"
            )),
        };
        entries.push(routing::Entry {
            database,
            cluster,
            entry: label,
        });
    }
    Ok((entries, rejected))
}
