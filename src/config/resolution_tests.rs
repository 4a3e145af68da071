//! Settings from flags, the environment, mig.toml and defaults, each problem named.

use super::*;
use crate::lint;
use std::collections::HashMap;

fn with_env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// The settings of the mig.toml at `path` alone: no flags, no environment.
fn resolve_file(path: PathBuf) -> Result<Settings, Vec<Problem>> {
    resolve(
        &Overrides {
            config: Some(path),
            ..Default::default()
        },
        &with_env(&[]),
    )
}

fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mig.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const FULL: &str = r#"manifests = "manifests"

[connection]
uri = "mongodb://file-host:27017"

[public]
database = "chat_public"

[tenants]
source = "registry"
collection = "client_configs"
field = "schema"
filter = { "billing.status" = "active" }
exclude = ["tenant_sandbox"]
"#;

#[test]
fn the_documented_shape_works_as_written() {
    let (dir, path) = config(FULL);
    let s = resolve_file(path).unwrap();
    assert_eq!(s.uri, "mongodb://file-host:27017");
    assert_eq!(s.public_database.as_deref(), Some("chat_public"));
    assert_eq!(s.manifests, dir.path().join("manifests"));
    assert_eq!(s.exclude, vec!["tenant_sandbox"]);
    match s.discovery {
        Discovery::Registry {
            collection,
            field,
            filter,
            ..
        } => {
            assert_eq!(collection, "client_configs");
            assert_eq!(field, "schema");
            assert_eq!(filter, bson::doc! {"billing.status": "active"});
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn lint_severities_and_thresholds_with_their_defaults_and_limits() {
    let resolved = |text: &str| {
        let (_dir, path) = config(text);
        resolve_file(path)
    };
    let s = resolved("").unwrap();
    assert_eq!(s.lint, lint::Options::default());
    let s = resolved(
        "[lint]\nmax_indexes = 8\nunused_percent = 50\nsoft_delete_fields = [\"gone\"]\n\
         [lint.rules]\nredundant-index = \"error\"\nduplicate-spec = \"off\"\n",
    )
    .unwrap();
    assert_eq!(
        s.lint.severity(lint::Rule::RedundantIndex),
        lint::Severity::Error
    );
    assert_eq!(
        s.lint.severity(lint::Rule::DuplicateSpec),
        lint::Severity::Off
    );
    assert_eq!(
        s.lint.severity(lint::Rule::UnusedIndex),
        lint::Severity::Warn
    );
    assert_eq!((s.lint.max_indexes, s.lint.unused_percent), (8, 50.0));
    assert_eq!(s.lint.soft_delete_fields, vec!["gone"]);
    let problems = resolved("[lint]\nmax_indexes = 65\nunused_percent = 0\n").unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].message.contains("1 to 64"), "{problems:#?}");
    assert_eq!(problems[1].position.map(|p| p.line), Some(3));
    // A misspelt rule is refused by name.
    let problems = resolved("[lint.rules]\nredundant-indexes = \"warn\"\n").unwrap_err();
    assert!(
        problems[0].message.contains("redundant-indexes"),
        "{problems:#?}"
    );
}

#[test]
fn rollout_bounds_are_read_as_their_flags_and_bad_ones_name_key_and_line() {
    let resolved = |text: &str| {
        let (_dir, path) = config(text);
        resolve_file(path)
    };
    let s = resolved(
        "[rollout]\nwindow = \"22:00-06:00 Europe/Paris\"\nmax_lag = \"2s\"\n\
         max_builds = 2\nmin_free_disk = \"5GiB\"\n",
    )
    .unwrap();
    assert_eq!(
        s.rollout.window.unwrap().to_string(),
        "22:00-06:00 Europe/Paris"
    );
    assert_eq!(s.rollout.max_lag, Some(Duration::from_secs(2)));
    assert_eq!(s.rollout.max_builds, Some(2));
    assert_eq!(s.rollout.min_free_disk, Some(5 << 30));
    let problems =
        resolved("[rollout]\nwindow = \"25:00-03:00\"\nmax_lag = \"0s\"\nmax_builds = 0\n")
            .unwrap_err();
    let said: Vec<(String, Option<usize>)> = problems
        .iter()
        .map(|p| (p.message.clone(), p.position.map(|p| p.line)))
        .collect();
    assert_eq!(problems.len(), 3, "{said:#?}");
    assert!(
        said[0].0.contains("25:00") && said[0].1 == Some(2),
        "{said:#?}"
    );
    assert!(
        said[1].0.contains("more than 0") && said[1].1 == Some(3),
        "{said:#?}"
    );
    assert!(
        said[2].0.contains("more than 0") && said[2].1 == Some(4),
        "{said:#?}"
    );
}

#[test]
fn flag_beats_environment_beats_file_beats_default() {
    let (_dir, path) = config(FULL);
    let o = |uri: Option<&str>| Overrides {
        config: Some(path.clone()),
        uri: uri.map(String::from),
        ..Default::default()
    };
    let env = with_env(&[
        ("MONGODB_URI", "mongodb://env-host"),
        ("MONGODB_PUBLIC_DATABASE", "env_public"),
    ]);
    assert_eq!(
        resolve(&o(Some("mongodb://flag-host")), &env).unwrap().uri,
        "mongodb://flag-host"
    );
    let s = resolve(&o(None), &env).unwrap();
    assert_eq!(s.uri, "mongodb://env-host");
    assert_eq!(s.public_database.as_deref(), Some("env_public"));
    assert_eq!(
        resolve(&o(None), &with_env(&[])).unwrap().uri,
        "mongodb://file-host:27017"
    );
    let (_d2, empty) = config("");
    let s = resolve(
        &Overrides {
            config: Some(empty),
            ..Default::default()
        },
        &with_env(&[]),
    )
    .unwrap();
    assert_eq!(s.uri, DEFAULT_URI);
    assert_eq!(s.discovery, Discovery::None);
}

#[test]
fn the_uri_says_where_it_came_from() {
    let (_dir, path) = config(FULL);
    let file = UriSource::File {
        key: "[connection] uri",
        path: std::path::absolute(&path).unwrap(),
    };
    let o = |uri: Option<&str>, dotenv: &[&str]| Overrides {
        config: Some(path.clone()),
        uri: uri.map(String::from),
        from_dotenv: dotenv.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    let env = with_env(&[("MONGODB_URI", "mongodb://env-host")]);
    let source = |o: Overrides, env: &dyn Fn(&str) -> Option<String>| {
        let s = resolve(&o, env).unwrap();
        (s.uri, s.uri_source)
    };
    assert_eq!(
        source(o(Some("mongodb://flag-host"), &["MONGODB_URI"]), &env),
        ("mongodb://flag-host".into(), UriSource::Flag("--uri"))
    );
    assert_eq!(
        source(o(None, &[]), &env),
        ("mongodb://env-host".into(), UriSource::Env("MONGODB_URI"))
    );
    assert_eq!(
        source(o(None, &["MONGODB_URI"]), &env).1,
        UriSource::DotEnv("MONGODB_URI")
    );
    assert_eq!(
        source(o(None, &[]), &with_env(&[])),
        ("mongodb://file-host:27017".into(), file.clone())
    );
    let (_d2, empty) = config("");
    let none = Overrides {
        config: Some(empty),
        ..Default::default()
    };
    assert_eq!(
        source(none, &with_env(&[])),
        (DEFAULT_URI.into(), UriSource::Default)
    );
    // How each reads in an error.
    assert_eq!(UriSource::Flag("--uri").to_string(), "from --uri");
    assert_eq!(
        UriSource::DotEnv("MONGODB_URI").to_string(),
        "from MONGODB_URI in .env"
    );
    assert_eq!(
        file.to_string(),
        format!(
            "from [connection] uri in {}",
            std::path::absolute(&path).unwrap().display()
        )
    );
    assert!(UriSource::Default.to_string().contains("MONGODB_URI"));
}

#[test]
fn a_missing_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let err = resolve(
        &Overrides {
            config: Some(missing.clone()),
            ..Default::default()
        },
        &with_env(&[]),
    )
    .unwrap_err();
    assert_eq!(err[0].file, missing);
    assert!(err[0].message.contains("no such config file"), "{}", err[0]);
    // Found, it is recorded by its full path; without one, none is.
    let (_dir, path) = config("");
    let s = resolve(
        &Overrides {
            config: Some(path.clone()),
            ..Default::default()
        },
        &with_env(&[]),
    )
    .unwrap();
    assert_eq!(s.config, Some(std::path::absolute(&path).unwrap()));
}

#[test]
fn pool_timeouts_and_dry_run_come_from_the_environment() {
    let (_dir, path) = config("[connection]\nmax_pool_size = 3\n");
    let env = with_env(&[
        ("MONGODB_MIN_POOL_SIZE", "2"),
        ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1500"),
        ("MONGODB_SOCKET_TIMEOUT_MS", "9000"),
        ("MIGRATION_DRY_RUN", "true"),
        ("MIGRATION_LOG_LEVEL", "debug"),
    ]);
    let s = resolve(
        &Overrides {
            config: Some(path),
            ..Default::default()
        },
        &env,
    )
    .unwrap();
    assert_eq!(s.max_pool_size, Some(3));
    assert_eq!(s.min_pool_size, Some(2));
    assert_eq!(s.server_selection_timeout, Duration::from_millis(1500));
    assert_eq!(s.socket_timeout, Some(Duration::from_millis(9000)));
    assert!(s.dry_run);
    assert_eq!(s.log_level.as_deref(), Some("debug"));
}

#[test]
fn bad_values_name_file_line_and_field() {
    let (_dir, path) =
        config("[tenants]\nsource = \"registry\"\ncollection = \"client_configs\"\n");
    let err = resolve(
        &Overrides {
            config: Some(path.clone()),
            ..Default::default()
        },
        &with_env(&[("MONGODB_MAX_POOL_SIZE", "lots")]),
    )
    .unwrap_err();
    let text: Vec<String> = err.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("MONGODB_MAX_POOL_SIZE") && t.contains("lots")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("mig.toml:1:") && t.contains("needs `field`")),
        "{text:?}"
    );

    let (_dir, path) = config("[tenants]\nsource = \"dns\"\n");
    let err = resolve_file(path).unwrap_err();
    assert!(err[0].to_string().contains("mig.toml:2:"), "{}", err[0]);
    assert!(err[0].to_string().contains("tenants.source"), "{}", err[0]);
}

#[test]
fn server_version_names_a_known_release_or_is_an_error_naming_the_key_and_the_releases() {
    for bad in ["6", "seven", "9.9"] {
        let (_dir, path) = config(&format!("server_version = \"{bad}\"\n"));
        let err = resolve_file(path).unwrap_err();
        let e = err[0].to_string();
        assert!(e.contains("mig.toml:1:"), "{e}");
        assert!(e.contains("server_version"), "{e}");
        assert!(e.contains("6.0, 7.0, 8.0") && e.contains(bad), "{e}");
    }
    let (_dir, path) = config("server_version = \"7.0\"\n");
    let s = resolve_file(path.clone()).unwrap();
    assert_eq!(s.server_version, Some((Release::V7_0, "server_version")));
    // The flag wins over the file, and is checked the same way.
    let o = |v: &str| Overrides {
        config: Some(path.clone()),
        server_version: Some(v.into()),
        ..Default::default()
    };
    let flag = resolve(&o("8.0"), &|_| None).unwrap().server_version;
    assert_eq!(flag, Some((Release::V8_0, "--server-version")));
    let err = resolve(&o("seven"), &|_| None).unwrap_err();
    assert!(
        err[0].to_string().contains("--server-version"),
        "{}",
        err[0]
    );
}

#[test]
fn unknown_keys_are_rejected() {
    let (_dir, path) = config("[conection]\nuri = \"x\"\n");
    let err = resolve_file(path).unwrap_err();
    assert!(err[0].to_string().contains("conection"), "{}", err[0]);
}
#[test]
fn an_empty_tenant_list_means_no_tenants_but_a_missing_one_is_an_error() {
    let (_dir, path) = config("[tenants]\nsource = \"list\"\ndatabases = []\n");
    let s = resolve_file(path).unwrap();
    assert_eq!(s.discovery, Discovery::List(Vec::new()));

    let (_dir, path) = config("[tenants]\nsource = \"list\"\n");
    let err = resolve_file(path).unwrap_err();
    assert!(
        err[0].to_string().contains("needs `databases`"),
        "{}",
        err[0]
    );
}

#[test]
fn the_dev_uri_comes_from_the_flag_then_the_environment_then_the_file() {
    let (_dir, path) = config("dev_uri = \"mongodb://file-dev\"\n");
    let o = |dev: Option<&str>| Overrides {
        config: Some(path.clone()),
        dev_uri: dev.map(String::from),
        ..Default::default()
    };
    let env = with_env(&[("MIG_DEV_URI", "mongodb://env-dev")]);
    let dev =
        |o: Overrides, env: &dyn Fn(&str) -> Option<String>| resolve(&o, env).unwrap().dev_uri;
    assert_eq!(
        dev(o(Some("mongodb://flag-dev")), &env).as_deref(),
        Some("mongodb://flag-dev")
    );
    assert_eq!(dev(o(None), &env).as_deref(), Some("mongodb://env-dev"));
    let source = |o: Overrides, env: &dyn Fn(&str) -> Option<String>| {
        resolve(&o, env).unwrap().dev_uri_source
    };
    assert_eq!(
        source(o(Some("mongodb://flag-dev")), &env),
        UriSource::Flag("--dev-uri")
    );
    assert_eq!(source(o(None), &env), UriSource::Env("MIG_DEV_URI"));
    assert!(matches!(
        source(o(None), &with_env(&[])),
        UriSource::File { key: "dev_uri", .. }
    ));
    assert_eq!(
        dev(o(None), &with_env(&[])).as_deref(),
        Some("mongodb://file-dev")
    );
    let (_d2, empty) = config("");
    let none = Overrides {
        config: Some(empty),
        ..Default::default()
    };
    assert_eq!(dev(none, &with_env(&[])), None);
}

const CLUSTERS: &str = r#"[clusters.main]
uri = "mongodb://main-host:27017"

[clusters.eu]
uri_env = "MONGODB_URI_EU"
concurrency = 8

[public]
database = "chat_public"
cluster = "main"

[tenants]
source = "registry"
collection = "client_configs"
field = "schema"
cluster_field = "region"
"#;

fn clusters_of(text: &str, env: &[(&str, &str)]) -> Result<Settings, Vec<Problem>> {
    let (_dir, path) = config(text);
    resolve(
        &Overrides {
            config: Some(path),
            ..Default::default()
        },
        &with_env(env),
    )
}

/// Each problem as printed, without the file's path.
fn said(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let text = p.to_string();
            text.split_once("mig.toml")
                .map_or(text.clone(), |(_, r)| r.to_string())
        })
        .collect()
}

#[test]
fn clusters_resolve_in_order_with_their_uris_concurrency_and_the_public_one() {
    let env = [
        ("MONGODB_URI_EU", "mongodb://u:pw@eu-host"),
        ("MONGODB_URI", "mongodb://ignored"),
    ];
    let s = clusters_of(CLUSTERS, &env).unwrap();
    let names: Vec<&str> = s.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["main", "eu"]);
    assert_eq!(s.clusters[0].uri, "mongodb://main-host:27017");
    assert!(
        matches!(&s.clusters[0].uri_source, UriSource::ClusterFile { cluster, .. } if cluster == "main")
    );
    assert_eq!(s.clusters[1].uri, "mongodb://u:pw@eu-host");
    assert_eq!(
        s.clusters[1].uri_source.to_string(),
        "from MONGODB_URI_EU, clusters.eu.uri_env"
    );
    assert_eq!(
        (s.clusters[0].concurrency, s.clusters[1].concurrency),
        (4, 8)
    );
    assert_eq!(s.public_cluster.as_deref(), Some("main"));
    // A command about one server uses the public cluster; MONGODB_URI is not read.
    assert_eq!(s.uri, "mongodb://main-host:27017");
    assert!(matches!(
        &s.discovery,
        Discovery::Registry { cluster_field: Some(f), .. } if f == "region"
    ));
    // The registry routes: no cluster discovers on its own.
    assert!(s.clusters.iter().all(|c| c.discovery == Discovery::None));
    // --concurrency wins over a cluster's own.
    let (_dir, path) = config(CLUSTERS);
    let s = resolve(
        &Overrides {
            config: Some(path),
            concurrency: Some(2),
            ..Default::default()
        },
        &with_env(&env),
    )
    .unwrap();
    assert_eq!(
        (s.clusters[0].concurrency, s.clusters[1].concurrency),
        (2, 8)
    );
    let eu = s.for_cluster(&s.clusters[1]);
    assert_eq!(
        (eu.uri.as_str(), eu.concurrency),
        ("mongodb://u:pw@eu-host", 8)
    );
    assert!(!eu.has_clusters());
}

#[test]
fn per_cluster_discovery_and_the_top_level_prefix_for_the_others() {
    let s = clusters_of(
        "[clusters.a]\nuri = \"mongodb://a\"\n[clusters.a.tenants]\ndatabases = [\"t1\"]\n\
         [clusters.b]\nuri = \"mongodb://b\"\n[clusters.b.tenants]\nregex = \"^x_\"\n\
         [clusters.c]\nuri = \"mongodb://c\"\n[tenants]\nsource = \"prefix\"\nprefix = \"t_\"\n",
        &[],
    )
    .unwrap();
    let found: Vec<&Discovery> = s.clusters.iter().map(|c| &c.discovery).collect();
    assert_eq!(
        found,
        [
            &Discovery::List(vec!["t1".into()]),
            &Discovery::Regex("^x_".into()),
            &Discovery::Prefix("t_".into())
        ]
    );
    // Without a public database, none need say its cluster.
    assert_eq!(s.public_cluster, None);
    // One cluster: the public database is on it.
    let s = clusters_of(
        "[clusters.only]\nuri = \"mongodb://a\"\n[public]\ndatabase = \"p\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(s.public_cluster.as_deref(), Some("only"));
}

#[test]
fn bad_clusters_are_each_an_error_naming_the_key() {
    let problems = clusters_of(
        "[connection]\nuri = \"mongodb://x\"\n\
         [clusters.main]\n\
         [clusters.eu]\nuri_env = \"MONGODB_URI_EU\"\nconcurrency = 0\n\
         [clusters.us]\nuri = \"mongodb://us\"\nuri_env = \"X\"\n\
         [clusters.\"a b\"]\nuri = \"mongodb://ab\"\n\
         [clusters.ap]\nuri = \"mongodb://ap\"\n[clusters.ap.tenants]\nprefix = \"p\"\nregex = \"r\"\n\
         [public]\ndatabase = \"p\"\ncluster = \"apac\"\n",
        &[],
    )
    .unwrap_err();
    let text = said(&problems);
    for expected in [
        "clusters.main: needs uri or uri_env",
        "clusters.eu.uri_env: MONGODB_URI_EU is not set",
        "clusters.eu.concurrency: must be at least 1",
        "clusters.us: has both uri and uri_env",
        "clusters.a b: \"a b\": a cluster name is",
        "clusters.ap.tenants: needs exactly one of databases, prefix or regex",
        "connection.uri: with [clusters], each cluster has its own",
        "public.cluster: no cluster \"apac\" in [clusters] (main, eu, us, a b, ap)",
    ] {
        assert!(
            text.iter().any(|t| t.contains(expected)),
            "{expected}: {text:#?}"
        );
    }
    // Each names its line.
    let main = problems
        .iter()
        .find(|p| p.field == "clusters.main")
        .unwrap();
    assert_eq!(main.position.map(|p| p.line), Some(3), "{text:#?}");
}

#[test]
fn the_registry_and_lists_must_say_which_cluster() {
    let two = "[clusters.main]\nuri = \"mongodb://a\"\n[clusters.eu]\nuri = \"mongodb://b\"\n";
    let registry = "[tenants]\nsource = \"registry\"\ncollection = \"c\"\nfield = \"f\"\n";
    let cases = [
        (
            format!("{two}[public]\ndatabase = \"p\"\n{registry}"),
            vec![
                "tenants.cluster_field: with several [clusters]",
                "public.cluster: with several [clusters]",
            ],
        ),
        (
            format!("{two}[tenants]\nsource = \"list\"\ndatabases = [\"t\"]\n"),
            vec!["tenants.databases: with several [clusters]"],
        ),
        (
            format!(
                "{two}[tenants]\nsource = \"prefix\"\nprefix = \"t\"\ncluster_field = \"r\"\n\
                 [clusters.eu.tenants]\nprefix = \"x\"\n"
            ),
            vec!["tenants.cluster_field: is for tenants.source = \"registry\""],
        ),
        (
            format!(
                "{two}[public]\ndatabase = \"p\"\ncluster = \"main\"\n{registry}\
                 cluster_field = \"r\"\n[clusters.eu.tenants]\nprefix = \"x\"\n"
            ),
            vec!["clusters.eu.tenants: tenants come from the registry"],
        ),
        // Without [clusters], the keys that refer to it are refused.
        (
            format!("[public]\ncluster = \"main\"\n{registry}cluster_field = \"r\"\n"),
            vec![
                "public.cluster: needs [clusters]",
                "tenants.cluster_field: needs [clusters]",
            ],
        ),
    ];
    for (text, expected) in cases {
        let said = said(&clusters_of(&text, &[]).unwrap_err());
        for e in expected {
            assert!(said.iter().any(|t| t.contains(e)), "{e}: {said:#?}");
        }
    }
}

#[test]
fn uri_flag_names_one_server_and_is_refused_with_clusters() {
    let (_dir, path) = config("[clusters.main]\nuri = \"mongodb://a\"\n");
    let problems = resolve(
        &Overrides {
            config: Some(path),
            uri: Some("mongodb://flag".into()),
            ..Default::default()
        },
        &with_env(&[]),
    )
    .unwrap_err();
    assert!(
        problems[0]
            .to_string()
            .starts_with("--uri: names one server"),
        "{problems:#?}"
    );
    // A variable set but empty is named too; .env says so.
    let (_dir, path) = config("[clusters.main]\nuri_env = \"M\"\n");
    let o = Overrides {
        config: Some(path),
        from_dotenv: vec!["M".into()],
        ..Default::default()
    };
    assert!(resolve(&o, &with_env(&[("M", " ")])).unwrap_err()[0]
        .to_string()
        .contains("clusters.main.uri_env: M is set but empty"));
    let s = resolve(&o, &with_env(&[("M", "mongodb://m")])).unwrap();
    assert_eq!(
        s.clusters[0].uri_source.to_string(),
        "from M in .env, clusters.main.uri_env"
    );
}
