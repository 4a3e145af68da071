//! `mig init`: a project in the working directory: a commented `mig.toml`,
//! `manifests/`, the JSON Schemas the files' modelines point at, and, when a
//! server answers, the manifests pulled from it. Never overwrites a file.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{self, Overrides, Settings, UriSource};
use crate::pull::write::Syntax;
use crate::redact::redact_uri;
use crate::render;

use super::failure::{Failure, InitError, Outcome, Success};
use super::flags::ConnectionFlags;
use super::pull::{self, PullOptions};
use super::{output, setup, Global, OutputFormat};

pub const EXAMPLES: &str = "Examples:
  mig init --public-db chat_public --tenants-prefix tenant_
  mig init --public-db chat_public --tenants-registry client_configs.schema
  MONGODB_URI=mongodb://db.internal:27017 mig init --tenants-list acme,globex --as toml";

/// `mig init`'s arguments.
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub connection: ConnectionFlags,
    /// The public database, written to mig.toml's [public].
    #[arg(long = "public-db", value_name = "NAME")]
    pub public_db: Option<String>,
    /// Tenant databases are those whose names start with P.
    #[arg(long, value_name = "P", group = "tenants")]
    pub tenants_prefix: Option<String>,
    /// Tenant databases are those whose names match this regular expression.
    #[arg(long, value_name = "REGEX", group = "tenants")]
    pub tenants_regex: Option<String>,
    /// Tenant databases are named by FIELD (a dotted path works) of each
    /// document of COLLECTION in the public database.
    #[arg(long, value_name = "COLLECTION.FIELD", group = "tenants")]
    pub tenants_registry: Option<String>,
    /// Tenant databases are these, comma-separated.
    #[arg(
        long,
        value_name = "A,B",
        value_delimiter = ',',
        group = "tenants",
        num_args = 1
    )]
    pub tenants_list: Vec<String>,
    /// The syntax of the pulled manifests.
    #[arg(long = "as", value_name = "SYNTAX", value_enum, default_value_t = Syntax::Yaml)]
    pub syntax: Syntax,
    /// Write the project only; don't pull, even when a server answers.
    #[arg(long)]
    pub no_pull: bool,
}

/// `mig init`.
pub async fn run(global: &Global, settings: &Settings, args: &InitArgs) -> Outcome {
    let tenants = tenants_section(args)?;
    let config_path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_CONFIG));
    let dir = config_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut created = Vec::new();
    let mut existing = Vec::new();
    let text = config_text(settings, args.public_db.as_deref(), &tenants);
    create_new(&config_path, &text, &mut created, &mut existing)?;
    let manifests = dir.join("manifests");
    if manifests.exists() {
        existing.push(manifests.clone());
    } else {
        std::fs::create_dir_all(&manifests).map_err(|source| Failure::File {
            path: manifests.clone(),
            source,
        })?;
        created.push(manifests.clone());
    }
    for (name, schema) in crate::schema::files() {
        create_new(
            &dir.join("schema").join(name),
            &schema,
            &mut created,
            &mut existing,
        )?;
    }
    let mut summary = None;
    let mut note = None;
    let has_manifests = std::fs::read_dir(&manifests)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if args.no_pull {
        note = Some(
            "not pulled (--no-pull): `mig pull` writes the manifests from the live databases"
                .to_string(),
        );
    } else if has_manifests {
        note = Some(format!(
            "{} already has files: not pulled (`mig pull` shows what it would change)",
            manifests.display()
        ));
    } else {
        let settings = project_settings(global, &config_path)?;
        let options = PullOptions {
            threshold: 0.5,
            syntax: args.syntax,
            out: None,
            split: false,
            force: false,
            collections: Vec::new(),
        };
        match pull::pull(global, &settings, &options).await {
            Ok(s) => summary = Some(s),
            // No server yet is no reason to fail: the project is there.
            Err(e) if matches!(e.kind(), "unreachable" | "auth" | "config") => {
                note = Some(format!("not pulled: {e}; run `mig pull` when it can be"))
            }
            Err(e) => return Err(e),
        }
    }
    match global.format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            let path = |p: &PathBuf| p.display().to_string();
            let document = render::documents::InitDocument {
                created: created.iter().map(path).collect(),
                existing: existing.iter().map(path).collect(),
                pull: summary.as_ref().map(render::pull::json),
                note,
            };
            output::stdout(&render::json::document(&render::model::value(&document)))
        }
        OutputFormat::Text | OutputFormat::Markdown => {
            let mut out = String::new();
            for p in &created {
                out.push_str(&format!("created {}\n", p.display()));
            }
            for p in &existing {
                out.push_str(&format!("{} exists; left as it is\n", p.display()));
            }
            if let Some(s) = &summary {
                out.push_str(&render::pull::text(s));
            }
            if let Some(n) = &note {
                out.push_str(&format!("note: {n}\n"));
            }
            out.push_str(
                "next: `mig plan` shows what differs between the manifests and the databases\n",
            );
            output::stdout(&out);
        }
    }
    match &summary {
        Some(s) => pull::outcome(s),
        None => Ok(Success::Done),
    }
}

/// Writes `text` to `path` unless something is there already.
fn create_new(
    path: &Path,
    text: &str,
    created: &mut Vec<PathBuf>,
    existing: &mut Vec<PathBuf>,
) -> Result<(), Failure> {
    if path.exists() {
        existing.push(path.to_path_buf());
        return Ok(());
    }
    let failed = |source| Failure::File {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    // create_new: a file that appeared meanwhile is not replaced either.
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    created.push(path.to_path_buf());
    Ok(())
}

/// The settings of the project just written (its mig.toml, then the
/// environment and `--uri`), for the pull.
fn project_settings(global: &Global, config_path: &Path) -> Result<Settings, Failure> {
    let overrides = Overrides {
        config: Some(config_path.to_path_buf()),
        uri: global.uri.clone(),
        from_dotenv: setup::dotenv_vars(),
        ..Default::default()
    };
    config::resolve(&overrides, &|k| std::env::var(k).ok()).map_err(Failure::Config)
}

/// A TOML basic string (JSON's escapes are TOML's).
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// mig.toml's `[tenants]` section, from the flags; `None` without one.
fn tenants_section(args: &InitArgs) -> Result<Option<String>, Failure> {
    if let Some(prefix) = &args.tenants_prefix {
        return Ok(Some(format!(
            "source = \"prefix\"                       # matched against listDatabases\nprefix = {}\n",
            quoted(prefix)
        )));
    }
    if let Some(pattern) = &args.tenants_regex {
        regex::Regex::new(pattern).map_err(|e| {
            Failure::from(InitError::Regex {
                pattern: pattern.clone(),
                why: e.to_string(),
            })
        })?;
        return Ok(Some(format!(
            "source = \"regex\"                        # matched against listDatabases\nregex = {}\n",
            quoted(pattern)
        )));
    }
    if let Some(registry) = &args.tenants_registry {
        let (collection, field) = registry
            .split_once('.')
            .filter(|(c, f)| !c.is_empty() && !f.is_empty())
            .ok_or_else(|| Failure::from(InitError::Registry(registry.clone())))?;
        if args.public_db.is_none() {
            return Err(Failure::from(InitError::RegistryWithoutPublic));
        }
        return Ok(Some(format!(
            "source = \"registry\"\ncollection = {}          # in the public database\nfield = {}               # names the tenant database (a dotted path works)\n# filter = {{ \"billing.status\" = \"active\" }}\n",
            quoted(collection),
            quoted(field)
        )));
    }
    if !args.tenants_list.is_empty() {
        let names: Vec<String> = args.tenants_list.iter().map(|n| quoted(n.trim())).collect();
        return Ok(Some(format!(
            "source = \"list\"\ndatabases = [{}]\n",
            names.join(", ")
        )));
    }
    Ok(None)
}

/// The commented mig.toml. A URI with credentials is never written: a
/// comment says to keep it in MONGODB_URI.
fn config_text(settings: &Settings, public: Option<&str>, tenants: &Option<String>) -> String {
    let mut t = String::from(
        "#:schema schema/mig.schema.json\n\
         # mig's project file, written by `mig init`. Precedence: flag > environment > this file.\n\
         manifests = \"manifests\"                 # relative to this file\n\
         # migrations = \"migrations\"             # data migrations, relative to this file\n\
         # changelog = \"mig.changelog\"           # the changelog collection in each database\n\
         # dev_uri = \"mongodb://localhost:27018\" # a dev server to validate against (MIG_DEV_URI)\n\
         # concurrency = 4                       # databases worked on at once\n\n[connection]\n",
    );
    let uri = &settings.uri;
    let given = !matches!(
        settings.uri_source,
        UriSource::Default | UriSource::File { .. }
    );
    if redact_uri(uri) != *uri {
        t.push_str(&format!(
            "# The connection string ({}) has credentials: keep it in MONGODB_URI\n\
             # (or a .env file kept out of version control), never in this file.\n\
             # uri = \"mongodb://host:27017\"\n",
            settings.uri_source
        ));
    } else if given {
        t.push_str(&format!(
            "uri = {}   # MONGODB_URI wins over this\n",
            quoted(uri)
        ));
    } else {
        t.push_str(&format!(
            "# uri = {}   # the default; MONGODB_URI wins over this\n",
            quoted(config::DEFAULT_URI)
        ));
    }
    t.push_str(
        "# max_pool_size, min_pool_size, server_selection_timeout_ms, socket_timeout_ms\n\n[public]\n",
    );
    match public {
        Some(db) => t.push_str(&format!(
            "database = {}   # MONGODB_PUBLIC_DATABASE wins over this\n",
            quoted(db)
        )),
        None => t.push_str("# database = \"NAME\"                   # the public database (MONGODB_PUBLIC_DATABASE)\n"),
    }
    t.push('\n');
    match tenants {
        Some(section) => {
            t.push_str("[tenants]\n");
            t.push_str(section);
            t.push_str("# exclude = [\"tenant_sandbox\"]\n");
        }
        None => t.push_str(
            "# [tenants]                             # how tenant databases are found:\n\
             # source = \"prefix\"                     # list | prefix | regex | registry\n\
             # prefix = \"tenant_\"\n\
             # regex = \"^tenant_[a-z0-9]+$\"\n\
             # collection = \"client_configs\"       # registry: a collection of the public database\n\
             # field = \"schema\"                    # registry: the field naming the tenant database\n\
             # databases = [\"tenant_a\"]            # list\n",
        ),
    }
    t
}
