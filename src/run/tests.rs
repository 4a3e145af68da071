use super::*;
use crate::model::Scope;
use crate::server::inspect::{is_mongos, ReadPath};

#[test]
fn a_mongos_says_isdbgrid_in_its_hello() {
    assert!(is_mongos(&bson::doc! {"msg": "isdbgrid", "ok": 1}));
    assert!(!is_mongos(
        &bson::doc! {"setName": "rs0", "isWritablePrimary": true}
    ));
    assert!(!is_mongos(&bson::doc! {"msg": "something else"}));
}

/// Writes through mongos are refused before any command is sent: the
/// client below points at a port where nothing listens, and the run
/// ends at once with every database failed, saying why.
#[tokio::test]
async fn writes_through_mongos_are_refused_before_any_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mig.toml");
    std::fs::write(&config, "").unwrap();
    let settings = crate::config::resolve(
        &crate::config::Overrides {
            config: Some(config),
            ..Default::default()
        },
        &|_| None,
    )
    .unwrap();
    let client = Client::with_uri_str("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=60000")
        .await
        .unwrap();
    let server = ServerInfo {
        version: "6.0.5".into(),
        major: 6,
        minor: 0,
        read_path: ReadPath::ListIndexes,
        replica_set: None,
        mongos: true,
    };
    let manifests = Manifests::default();
    let ctx = Context {
        client: &client,
        settings: &settings,
        manifests: &manifests,
        server: &server,
        progress: None,
        migrations: None,
    };
    let lock = LockOptions {
        lease: std::time::Duration::from_secs(60),
        wait: None,
        command: "mig apply".into(),
        run_id: "test".into(),
    };
    let options = RunOptions {
        plan: PlanOptions::default(),
        apply: Some(lock.clone()),
        on_error: OnError::Continue,
        canary: 0,
        commit_quorum: None,
        preflight: true,
        allow_invalid_documents: false,
        min_free_disk: None,
        stop: Default::default(),
        controls: Default::default(),
    };
    let targets = vec![
        Target {
            database: "p".into(),
            scope: Scope::Public,
        },
        Target {
            database: "t".into(),
            scope: Scope::Tenant,
        },
    ];
    let mut reports = run(&ctx, targets.clone(), &options).await;
    reports.extend(down(&ctx, targets, None, Some(&lock)).await);
    assert_eq!(reports.len(), 4);
    for r in &reports {
        let error = r.error().expect("failed");
        assert_eq!(error.kind, ErrorKind::Mongos);
        let why = &error.message;
        assert!(why.starts_with("refused: the server is a mongos"), "{r:?}");
        assert!(why.contains("shard-key") && why.contains("nothing was written"));
    }
}
