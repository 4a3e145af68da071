use super::*;

#[test]
fn with_cluster_a_refusal_about_other_clusters_is_theirs() {
    let selection = Selection {
        clusters: vec!["eu".into()],
        ..Default::default()
    };
    let selected = |c: &str| c == "eu";
    let elsewhere = |claimed: &str, found: &str| Misrouted::Elsewhere {
        claimed: claimed.into(),
        found: found.into(),
    };
    assert!(concerns(&elsewhere("eu", "main"), &selected, &selection));
    assert!(concerns(&elsewhere("main", "eu"), &selected, &selection));
    assert!(!concerns(&elsewhere("main", "us"), &selected, &selection));
    let several = Misrouted::OnSeveral(vec!["main".into(), "us".into()]);
    assert!(!concerns(&several, &selected, &selection));
    assert!(concerns(&several, &selected, &Selection::default()));
    assert!(concerns(
        &Misrouted::NoCluster("x".into()),
        &selected,
        &selection
    ));
}
