use super::*;

fn group(public: bool, tenants: &[&str]) -> Vec<Target> {
    let mut out = Vec::new();
    if public {
        out.push(Target {
            database: "pub".into(),
            scope: Scope::Public,
        });
    }
    out.extend(tenants.iter().map(|t| Target {
        database: t.to_string(),
        scope: Scope::Tenant,
    }));
    out
}

fn names(groups: &[Vec<Target>]) -> Vec<Vec<&str>> {
    groups
        .iter()
        .map(|g| g.iter().map(|t| t.database.as_str()).collect())
        .collect()
}

#[test]
fn canaries_are_taken_in_turn_across_clusters_after_the_public_database() {
    let targets = vec![
        group(true, &["a1", "a2", "a3"]),
        group(false, &["b1"]),
        group(false, &["c1", "c2"]),
    ];
    let (first, rest) = canaries(&targets, 4);
    assert_eq!(
        names(&first),
        [vec!["pub", "a1", "a2"], vec!["b1"], vec!["c1"]]
    );
    assert_eq!(names(&rest), [vec!["a3"], vec![], vec!["c2"]]);
    // More canaries than tenants: all of them, nothing left.
    let (first, rest) = canaries(&targets, 50);
    assert_eq!(first.iter().map(Vec::len).sum::<usize>(), 7);
    assert!(rest.iter().all(Vec::is_empty));
    // One canary: the first cluster's first tenant.
    let (first, _) = canaries(&targets, 1);
    assert_eq!(names(&first), [vec!["pub", "a1"], vec![], vec![]]);
}
