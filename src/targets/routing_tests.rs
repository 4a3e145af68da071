use super::*;

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const CLUSTERS: &[&str] = &["main", "eu", "us"];

fn entry(db: &str, cluster: Option<&str>) -> Entry {
    Entry {
        database: db.into(),
        cluster: match cluster {
            Some(c) => Placement::Cluster(c.into()),
            None => Placement::Invalid(format!("entry {db} has no \"region\"")),
        },
        entry: format!("pub.registry _id {db}"),
    }
}

fn present(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    v.iter()
        .map(|(c, dbs)| (c.to_string(), names(dbs)))
        .collect()
}

fn registry(entries: Vec<Entry>, on: &[(&str, &[&str])]) -> Routing {
    route(&names(CLUSTERS), &Claims::Registry(entries), &present(on))
}

fn per_cluster(claims: &[(&str, &[&str])], on: &[(&str, &[&str])]) -> Routing {
    let claims = claims
        .iter()
        .map(|(c, dbs)| (c.to_string(), names(dbs)))
        .collect();
    route(&names(CLUSTERS), &Claims::PerCluster(claims), &present(on))
}

fn refused(r: &Routing) -> Vec<(&str, &Misrouted)> {
    r.refused
        .iter()
        .map(|x| (x.database.as_str(), &x.why))
        .collect()
}

/// `t_a` alone is refused, its cluster unknown.
fn no_cluster_for_t_a(r: &Routing) -> bool {
    matches!(refused(r)[..], [("t_a", Misrouted::NoCluster(_))])
}

#[test]
fn the_registry_routes_each_tenant_to_its_cluster_new_tenants_too() {
    let r = registry(
        vec![
            entry("t_b", Some("eu")),
            entry("t_a", Some("main")),
            entry("t_new", Some("us")),
            entry("t_c", Some("eu")),
        ],
        &[
            ("main", &["t_a", "other"]),
            ("eu", &["t_b", "t_c"]),
            ("us", &[]),
        ],
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    assert_eq!(r.on("eu"), names(&["t_b", "t_c"]), "by name");
    assert_eq!(
        r.on("us"),
        names(&["t_new"]),
        "exists nowhere yet: a new tenant"
    );
    assert!(r.refused.is_empty());
    // Every cluster is listed, in mig.toml's order, with or without tenants.
    let order: Vec<&str> = r.routed.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(order, CLUSTERS);
}

#[test]
fn an_unknown_or_missing_cluster_is_refused_by_name_and_the_rest_go_on() {
    let r = registry(
        vec![
            entry("t_a", Some("main")),
            entry("t_x", Some("apac")),
            entry("t_y", None),
        ],
        &[("main", &["t_a", "t_x"]), ("eu", &[])],
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    assert_eq!(
        refused(&r),
        vec![
            (
                "t_x",
                &Misrouted::UnknownCluster {
                    cluster: "apac".into(),
                    known: names(CLUSTERS)
                }
            ),
            (
                "t_y",
                &Misrouted::NoCluster("entry t_y has no \"region\"".into())
            ),
        ]
    );
    let text = r.refused[0].why.to_string();
    assert!(
        text.contains("\"apac\"") && text.contains("main, eu, us"),
        "{text}"
    );
    assert!(r.refused[1].why.to_string().contains("region"));
}

#[test]
fn a_database_on_two_clusters_is_refused_whatever_the_registry_says() {
    let r = registry(
        vec![entry("t_a", Some("main")), entry("t_b", Some("eu"))],
        &[
            ("main", &["t_a", "t_b"]),
            ("eu", &["t_b"]),
            ("us", &["t_b"]),
        ],
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    assert!(r.on("eu").is_empty());
    assert_eq!(
        refused(&r),
        vec![("t_b", &Misrouted::OnSeveral(names(&["main", "eu", "us"])))]
    );
}

#[test]
fn a_database_on_another_cluster_than_the_registry_says_is_refused() {
    let r = registry(
        vec![entry("t_a", Some("eu"))],
        &[("main", &["t_a"]), ("eu", &[])],
    );
    assert_eq!(
        refused(&r),
        vec![(
            "t_a",
            &Misrouted::Elsewhere {
                claimed: "eu".into(),
                found: "main".into()
            }
        )]
    );
    assert!(r.routed.iter().all(|(_, dbs)| dbs.is_empty()));
    assert_eq!(
        r.refused[0].why.to_string(),
        "it should be on cluster eu but is on cluster main"
    );
}

#[test]
fn registry_entries_that_disagree_refuse_the_tenant_and_repeats_are_one() {
    let r = registry(
        vec![
            entry("t_a", Some("main")),
            entry("t_a", Some("eu")),
            entry("t_b", Some("eu")),
            entry("t_b", Some("eu")),
        ],
        &[],
    );
    assert_eq!(
        refused(&r),
        vec![("t_a", &Misrouted::Conflicting(names(&["main", "eu"])))]
    );
    assert_eq!(r.on("eu"), names(&["t_b"]));
    // A bad entry beside a good one still refuses the tenant.
    let r = registry(vec![entry("t_a", Some("main")), entry("t_a", None)], &[]);
    assert!(no_cluster_for_t_a(&r), "{r:?}");
    let r = registry(vec![entry("t_a", None), entry("t_a", Some("main"))], &[]);
    assert!(no_cluster_for_t_a(&r), "{r:?}");
}

#[test]
fn a_cluster_that_did_not_answer_is_not_checked_and_keeps_its_tenants() {
    // eu is down: its tenant is routed there (and fails when reached);
    // a main tenant can't be checked against eu.
    let r = registry(
        vec![entry("t_a", Some("main")), entry("t_b", Some("eu"))],
        &[("main", &["t_a"])],
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    assert_eq!(r.on("eu"), names(&["t_b"]));
    assert!(r.refused.is_empty());
}

#[test]
fn without_a_cluster_field_there_is_one_cluster() {
    let one = names(&["main"]);
    let e = Entry {
        database: "t_a".into(),
        cluster: Placement::Unsaid,
        entry: "x".into(),
    };
    let r = route(
        &one,
        &Claims::Registry(vec![e.clone()]),
        &present(&[("main", &[])]),
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    let r = route(&[], &Claims::Registry(vec![e]), &[]);
    assert!(no_cluster_for_t_a(&r), "{r:?}");
}

#[test]
fn per_cluster_discovery_routes_to_the_cluster_that_found_the_tenant() {
    let r = per_cluster(
        &[("main", &["t_a", "t_b"]), ("eu", &["t_c"])],
        &[("main", &["t_a", "t_b"]), ("eu", &["t_c"])],
    );
    assert_eq!(r.on("main"), names(&["t_a", "t_b"]));
    assert_eq!(r.on("eu"), names(&["t_c"]));
    assert!(r.on("us").is_empty());
    assert!(r.refused.is_empty());
    // A listed tenant that exists nowhere yet is new on its cluster.
    let r = per_cluster(&[("us", &["t_new"])], &[("us", &[])]);
    assert_eq!(r.on("us"), names(&["t_new"]));
}

#[test]
fn per_cluster_a_tenant_found_by_two_clusters_or_present_on_another_is_refused() {
    // Both prefixes match it.
    let r = per_cluster(
        &[("main", &["t_a", "t_b"]), ("eu", &["t_b"])],
        &[("main", &["t_a", "t_b"]), ("eu", &["t_b"])],
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    assert_eq!(
        refused(&r),
        vec![("t_b", &Misrouted::OnSeveral(names(&["main", "eu"])))]
    );
    // Found by main's discovery, also on us (whose discovery doesn't match it).
    let r = per_cluster(
        &[("main", &["t_a"])],
        &[("main", &["t_a"]), ("us", &["t_a"])],
    );
    assert_eq!(
        refused(&r),
        vec![("t_a", &Misrouted::OnSeveral(names(&["main", "us"])))]
    );
    // Listed for eu, present only on main.
    let r = per_cluster(&[("eu", &["t_a"])], &[("main", &["t_a"]), ("eu", &[])]);
    assert_eq!(
        refused(&r),
        vec![(
            "t_a",
            &Misrouted::Elsewhere {
                claimed: "eu".into(),
                found: "main".into()
            }
        )]
    );
    // Two lists name it, and it exists nowhere: still refused, naming both.
    let r = per_cluster(&[("us", &["t_z"]), ("main", &["t_z"])], &[]);
    assert_eq!(
        refused(&r),
        vec![("t_z", &Misrouted::OnSeveral(names(&["main", "us"])))]
    );
}

#[test]
fn databases_nobody_claims_are_not_tenants() {
    let r = per_cluster(
        &[("main", &["t_a"])],
        &[("main", &["t_a", "x"]), ("eu", &["x"])],
    );
    assert_eq!(r.on("main"), names(&["t_a"]));
    assert!(
        r.refused.is_empty(),
        "x is on two clusters but no tenant: {r:?}"
    );
}

#[test]
fn refusals_read_as_sentences() {
    assert_eq!(
        Misrouted::OnSeveral(names(&["main", "eu"])).to_string(),
        "it is on several clusters (main, eu)"
    );
    assert_eq!(
        Misrouted::Conflicting(names(&["main", "eu"])).to_string(),
        "registry entries put it on different clusters (main, eu)"
    );
}
