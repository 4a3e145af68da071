use super::*;
use crate::model::Scope;
use crate::plan::{Change, DatabasePlan};
use crate::run::TargetReport;
use crate::targets::{Rejected, Target};
use bson::doc;

fn target(name: &str, changes: usize, error: bool) -> TargetReport {
    let changes = (0..changes)
        .map(|i| Change::Create {
            collection: "m".into(),
            index: IndexSpec {
                name: format!("i{i}"),
                keys: doc! {format!("f{i}"): 1},
                ..Default::default()
            },
            new_collection: false,
        })
        .collect();
    TargetReport {
        plan: (!error).then(|| DatabasePlan::new(name, Scope::Tenant, changes)),
        outcome: match error {
            true => crate::run::DatabaseOutcome::Failed(crate::run::DatabaseError {
                kind: crate::run::ErrorKind::Read,
                message: "cannot read: \"x\"\nsecond line".into(),
            }),
            false => Default::default(),
        },
        ..TargetReport::new(Target {
            database: name.into(),
            scope: Scope::Tenant,
        })
    }
}

/// As `cli::printer::Printer` writes it, one database at a time.
fn streamed(r: &Report, lines: bool) -> String {
    let mut w = ReportWriter::new(lines);
    let head = head(&r.warnings, r.read_path);
    let mut out = w.head(&head);
    let clusters = !r.clusters.is_empty();
    let mut by = r
        .by_cluster()
        .map(|_| crate::run::ByCluster::<Tally>::new(&r.clusters));
    let mut tally = Tally::default();
    for t in &r.targets {
        tally.add(t, r.applied);
        if let Some(by) = &mut by {
            by.of(t.cluster.as_deref()).add(t, r.applied);
        }
        out.push_str(&w.target(&target_in(t, r.applied, clusters)));
    }
    let tail = tail_in(
        &r.rejected,
        r.discovery.as_ref(),
        &tally,
        by.as_ref(),
        r.applied,
    );
    out + &w.tail(tail, head)
}

#[test]
fn over_clusters_every_target_has_its_cluster_and_the_tail_each_clusters_counts() {
    let on = |cluster: Option<&str>, t: TargetReport| TargetReport {
        cluster: cluster.map(String::from),
        ..t
    };
    let clusters = vec![
        crate::run::ClusterInfo {
            name: "main".into(),
            uri: "mongodb://a".into(),
            ..Default::default()
        },
        crate::run::ClusterInfo {
            name: "eu".into(),
            uri: "mongodb://b".into(),
            error: Some("cannot reach".into()),
            ..Default::default()
        },
    ];
    for applied in [false, true] {
        let r = Report {
            targets: vec![
                on(None, target("refused", 0, true)),
                on(Some("main"), target("a", 2, false)),
                on(Some("eu"), target("b", 0, true)),
            ],
            applied,
            clusters: clusters.clone(),
            ..Default::default()
        };
        let whole = report(&r);
        assert_eq!(streamed(&r, false), document(&whole));
        let targets = whole["targets"].as_array().unwrap();
        let keys: Vec<&str> = targets[1]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys[..3], ["database", "scope", "cluster"]);
        assert_eq!(targets[0]["cluster"], Value::Null);
        assert_eq!(targets[2]["cluster"], "eu");
        let per: Vec<(Value, Value, Value)> = whole["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["cluster"].clone(),
                    c["databases"].clone(),
                    c["failed"].clone(),
                )
            })
            .collect();
        assert_eq!(
            per,
            [
                ("main".into(), 1.into(), 0.into()),
                ("eu".into(), 1.into(), 1.into()),
                (Value::Null, 1.into(), 1.into())
            ]
        );
        assert_eq!(whole["clusters"][1]["error"], "cannot reach");
        assert_eq!(whole["clusters"][2]["refused"], 1);
    }
    // Without clusters, no field is added.
    let r = Report {
        targets: vec![target("a", 1, false)],
        ..Default::default()
    };
    let whole = report(&r);
    assert!(whole.get("clusters").is_none() && whole["targets"][0].get("cluster").is_none());
}

#[test]
fn the_streamed_document_is_the_document_byte_for_byte() {
    let fleets = [
        vec![],
        vec![target("a", 0, false)],
        vec![
            target("a", 2, false),
            target("b", 0, true),
            target("c", 1, false),
        ],
    ];
    for (i, targets) in fleets.into_iter().enumerate() {
        for applied in [false, true] {
            let r = Report {
                targets: targets.clone(),
                rejected: (i == 2)
                    .then(|| Rejected {
                        database: "admin".into(),
                        reason: "system".into(),
                    })
                    .into_iter()
                    .collect(),
                discovery: (i == 2).then(|| crate::targets::Looked {
                    source: "prefix",
                    described: "prefix \"t_\"".into(),
                    read: 5,
                    matched: Some(3),
                    skipped: 1,
                    why: vec![("system".into(), 1)],
                    excluded: 0,
                    tenants: 2,
                    allow_empty: false,
                }),
                applied,
                read_path: Some(crate::server::inspect::ReadPath::Catalog),
                warnings: Vec::new(),
                clusters: Vec::new(),
            };
            assert_eq!(streamed(&r, false), document(&report(&r)), "fleet {i}");
        }
    }
}

#[test]
fn json_lines_are_one_object_per_database_then_the_rest() {
    let r = Report {
        targets: vec![target("a", 1, false), target("b", 0, false)],
        ..Default::default()
    };
    let text = streamed(&r, true);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let whole = report(&r);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], whole["targets"][0]);
    assert_eq!(lines[1], whole["targets"][1]);
    assert_eq!(lines[2]["summary"], whole["summary"]);
    assert_eq!(lines[2]["rejected"], whole["rejected"]);
    assert!(lines[2].get("targets").is_none());
}

#[test]
fn what_the_text_shows_of_a_database_its_json_carries() {
    let t = target("t1", 1, false);
    let json = super::target(&t, false);
    let text = crate::render::text::target(
        &super::target_model(&t, false, false),
        false,
        crate::render::text::Style { color: false },
    );
    let what = json["changes"][0]["what"].as_str().unwrap_or_default();
    let line = json["steps"][0]["line"].as_str().unwrap_or_default();
    let brief = json["brief"].as_str().unwrap_or_default();
    assert_eq!(
        (what, line, brief),
        ("{\"f0\":1}", "createIndexes i0", "1 change(s)")
    );
    for words in [what, line, brief] {
        assert!(text.contains(words), "{words:?} in\n{text}");
    }
}

#[test]
fn the_schema_lists_the_commands_json_sends_and_no_hide() {
    let schema: Value = serde_json::from_str(&crate::render::documents::schema()).unwrap();
    let sent = &schema["$defs"]["SentCommand"]["enum"];
    let names: Vec<&str> = sent
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(names.contains(&"collMod"), "{sent}");
    assert!(
        !names.contains(&"hide"),
        "a hide is sent as a collMod: {sent}"
    );
    assert_eq!(
        model::SentCommand::of(crate::plan::CommandName::Hide).name(),
        crate::plan::CommandName::CollMod
    );
}
