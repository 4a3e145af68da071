//! What a new user meets in the first hour, against the real server: runs
//! that would quietly do nothing are errors, `status` says "behind", `apply`
//! asks on a terminal, and each fact is told once, in the user's terms.

use crate::support;

use std::process::{Command, Output, Stdio};

use mongodb::bson::{doc, oid::ObjectId, Document};
use support::*;

const USERS: &str = "scope: public\ncollections:\n  - name: users\n    indexes:\n      - { name: email_1, keys: { email: 1 } }\n";
const MESSAGES: &str = "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - { name: idx_status, keys: { status: 1 } }\n";

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn databases() -> Vec<String> {
    client().await.list_database_names().await.unwrap()
}

async fn index_names(db: &str, collection: &str) -> Vec<String> {
    client()
        .await
        .database(db)
        .collection::<Document>(collection)
        .list_index_names()
        .await
        .unwrap_or_default()
}

/// A project with `n` listed tenants and both manifests.
fn fleet(n: usize) -> (Project, Vec<String>) {
    let p = Project::new();
    let tenants: Vec<String> = (0..n).map(|_| p.tenant()).collect();
    p.config(&listed_tenants(&tenants));
    p.manifest("public.yaml", USERS);
    p.manifest("tenant.yaml", MESSAGES);
    (p, tenants)
}

#[tokio::test]
async fn tenant_manifests_without_a_tenants_section_are_an_error_not_nothing_to_do() {
    let p = Project::new();
    p.manifest("public.yaml", USERS);
    p.manifest("tenant.yaml", MESSAGES);
    for command in [&["validate"][..], &["plan"], &["apply", "--yes"]] {
        let out = p.mig(command);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("tenant manifests (")
                && stderr.contains("tenant.yaml")
                && stderr.contains("[tenants] section"),
            "{command:?}: {stderr}"
        );
        assert!(!stdout.contains("Nothing to do"), "{stdout}");
    }
    assert!(
        !databases().await.contains(&p.public),
        "nothing was written"
    );
    // Leaving the tenants out on purpose is no error.
    let out = p.mig(&["plan", "--public-only"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

#[tokio::test]
async fn public_manifests_without_a_public_database_are_an_error() {
    let p = Project::new();
    let tenant = p.tenant();
    p.config_without_public(&format!(
        "[tenants]\nsource = \"list\"\ndatabases = [\"{tenant}\"]\n"
    ));
    p.manifest("public.yaml", USERS);
    p.manifest("tenant.yaml", MESSAGES);
    let out = p.mig(&["plan"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("public manifests (") && stderr.contains("[public] database"),
        "{stderr}"
    );
    assert!(!databases().await.contains(&tenant), "nothing was written");
    let out = p.mig(&["plan", "--tenants-only"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

#[tokio::test]
async fn a_collection_or_tenant_that_names_nothing_is_an_error_with_the_closest_names() {
    let (p, tenants) = fleet(2);
    let out = p.mig(&["apply", "--yes", "--collection", "user"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("--collection user: no manifest declares this collection")
            && stderr.contains("did you mean users?"),
        "{stderr}"
    );
    let typo = format!("{}x", tenants[0]);
    let out = p.mig(&["apply", "--yes", "--tenant", &typo]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("--tenant {typo}: not among the tenant databases"))
            && stderr.contains(&format!("did you mean {}", tenants[0])),
        "{stderr}"
    );
    let dbs = databases().await;
    assert!(
        !dbs.contains(&p.public) && !tenants.iter().any(|t| dbs.contains(t)),
        "nothing was written"
    );
}

#[tokio::test]
async fn a_pending_migration_alone_is_something_to_do_and_status_is_behind() {
    let (p, tenants) = fleet(1);
    assert_eq!(p.mig(&["apply", "--yes"]).status.code(), Some(0));
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(
        p.path().join("migrations/20250101000000_mark.yaml"),
        "description: mark\nscope: tenant\nup:\n  - update_many: { collection: messages, filter: {}, update: { $set: { m: 1 } } }\n",
    )
    .unwrap();
    let out = p.mig(&["plan", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("1 migration run(s) pending"), "{stdout}");
    assert!(!stdout.contains("Nothing to do"), "{stdout}");
    let (json, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2);
    assert_eq!(json["summary"]["migrations_pending"], 1);

    let out = p.mig(&["status", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{} (tenant): behind: 1 migration(s) not applied",
            tenants[0]
        )),
        "{stdout}"
    );
    // Without the flag, behind is not an error.
    assert_eq!(p.mig(&["status"]).status.code(), Some(0));

    assert_eq!(p.mig(&["apply", "--yes"]).status.code(), Some(0));
    let out = p.mig(&["status", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("{} (tenant): up to date", tenants[0])),
        "{stdout}"
    );
}

#[tokio::test]
async fn status_is_behind_when_only_an_index_is_pending() {
    let (p, _) = fleet(1);
    let out = p.mig(&["status", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("behind: 1 index change(s) pending"),
        "{stdout}"
    );
}

/// Runs `mig args` on a pseudo-terminal (util-linux `script`), typing `answer`.
fn on_terminal(p: &Project, args: &str, answer: &str) -> Output {
    let mig = env!("CARGO_BIN_EXE_mig");
    let mut child = Command::new("script")
        .args(["-qec", &format!("{mig} {args}"), "/dev/null"])
        .current_dir(p.path())
        .env("MONGODB_URI", uri())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs a command on a pseudo-terminal");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn apply_on_a_terminal_shows_the_plan_and_writes_nothing_unless_told_yes() {
    let (p, tenants) = fleet(1);
    for (command, answer) in [("apply", "no\n"), ("sync-indexes", "\n"), ("apply", "")] {
        let out = on_terminal(&p, command, answer);
        let (stdout, _) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{command} {answer:?}: {stdout}");
        assert!(
            stdout.contains("+ create  email_1")
                && stdout.contains("Apply this plan to 2 database(s)?")
                && stdout.contains(&format!("mig {command} cancelled: nothing was written")),
            "{stdout}"
        );
        let dbs = databases().await;
        assert!(!dbs.contains(&p.public) && !dbs.contains(&tenants[0]));
    }
    let out = on_terminal(&p, "apply", "yes\n");
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Result:"), "{stdout}");
    assert!(index_names(&p.public, "users")
        .await
        .contains(&"email_1".to_string()));
    assert!(index_names(&tenants[0], "messages")
        .await
        .contains(&"idx_status".to_string()));
}

#[tokio::test]
async fn apply_applies_exactly_the_plan_that_was_confirmed() {
    let (p, tenants) = fleet(1);
    // --yes on a terminal, and a saved plan, are applied without a question.
    let out = on_terminal(&p, "sync-indexes --yes --public-only", "");
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("Apply this plan"), "{stdout}");
    assert_eq!(
        p.mig(&["plan", "--out", "plan.json"]).status.code(),
        Some(0)
    );
    let out = on_terminal(&p, "apply plan.json", "");
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("Apply this plan"), "{stdout}");
    assert!(index_names(&tenants[0], "messages")
        .await
        .contains(&"idx_status".to_string()));
}

/// On a terminal, a database whose migration changed its index plan stops
/// after it; the new plan is shown and asked about again, and `yes` applies it.
#[tokio::test]
async fn a_plan_changed_by_a_migration_is_shown_and_asked_again() {
    let (p, tenants) = crate::migrations::renaming_project(1).await;
    let out = on_terminal(&p, "apply", "yes\nyes\n");
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let first = stdout
        .find("Apply this plan to 1 database(s)?")
        .expect(&stdout);
    let again = stdout
        .find("1 database(s) plan other index steps after their migrations")
        .expect(&stdout);
    assert!(first < again, "{stdout}");
    assert!(stdout.contains("+++ now"), "the difference shown: {stdout}");
    assert!(index_names(&tenants[0], "messages")
        .await
        .contains(&"idx_status".to_string()));
}

/// A project whose public `users` collection declares `declared` (YAML
/// under `- name: users`) and holds two documents sharing an email; their `_id`s.
async fn users_sharing_an_email(declared: &str) -> (Project, [ObjectId; 2]) {
    let p = Project::new();
    p.manifest(
        "public.yaml",
        &format!("scope: public\ncollections:\n  - name: users\n{declared}"),
    );
    let ids = [ObjectId::new(), ObjectId::new()];
    let docs = ids.iter().map(|id| doc! {"_id": id, "email": "a@x"});
    insert(&p.public, "users", docs.collect()).await;
    (p, ids)
}

/// `unique: true` on `email`, which the documents above break.
const UNIQUE_EMAIL: &str =
    "    indexes:\n      - { name: email_1, keys: { email: 1 }, unique: true }\n";

#[tokio::test]
async fn a_blocked_index_is_told_once_and_no_log_line_repeats_it() {
    let (p, _) = users_sharing_an_email(UNIQUE_EMAIL).await;
    let out = p.mig(&["apply", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    assert_eq!(
        all.matches("duplicate key(s)").count(),
        1,
        "the reason once:\n{all}"
    );
    assert!(
        stdout.contains(&format!("{}: failed: 1 blocked", p.public)),
        "{stdout}"
    );
    assert!(!stderr.contains("WARN"), "no tracing line: {stderr}");
}

#[tokio::test]
async fn diffs_show_text_and_collation_indexes_in_the_declared_terms() {
    let p = Project::new();
    let users = client()
        .await
        .database(&p.public)
        .collection::<Document>("users");
    users.insert_one(doc! {"bio": "x"}).await.unwrap();
    for (name, keys, options) in [
        ("txt", doc! {"bio": "text"}, doc! {}),
        (
            "name_ci",
            doc! {"name": 1},
            doc! {"collation": {"locale": "en", "strength": 2}},
        ),
    ] {
        let mut spec = doc! {"key": keys, "name": name};
        spec.extend(options);
        client()
            .await
            .database(&p.public)
            .run_command(doc! {"createIndexes": "users", "indexes": [spec]})
            .await
            .unwrap();
    }
    p.manifest(
        "public.yaml",
        "scope: public\ncollections:\n  - name: users\n    indexes:\n      - { name: txt, keys: { bio: text, title: text }, weights: { title: 5 } }\n      - { name: name_ci, keys: { name: 1 }, collation: { locale: en, strength: 1 } }\n",
    );
    let out = p.mig(&["plan"]);
    let (stdout, _) = text(&out);
    for server_only in [
        "_fts",
        "_ftsx",
        "language_override",
        "default_language",
        "caseFirst",
        "maxVariable",
        "version",
    ] {
        assert!(!stdout.contains(server_only), "{server_only}:\n{stdout}");
    }
    assert!(
        stdout.contains("-     \"strength\": 2") && stdout.contains("+     \"strength\": 1"),
        "{stdout}"
    );
    assert!(stdout.contains("+     \"title\": \"text\""), "{stdout}");
}

#[tokio::test]
async fn a_dry_run_says_that_nothing_was_written() {
    let (p, tenants) = fleet(1);
    for command in [&["apply", "--dry-run"][..], &["sync-indexes", "--dry-run"]] {
        let out = p.mig(command);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        assert!(stderr.contains("Dry run: nothing was written."), "{stderr}");
    }
    let dbs = databases().await;
    assert!(!dbs.contains(&p.public) && !dbs.contains(&tenants[0]));
}

const MARK: &str = "description: mark every message\nscope: tenant\nup:\n  - update_many: { collection: messages, filter: {}, update: { $set: { m: 1 } } }\ndown:\n  - update_many: { collection: messages, filter: {}, update: { $unset: { m: \"\" } } }\n";

#[tokio::test]
async fn a_new_migration_runs_nothing_until_written_and_its_schema_can_be_put_in_the_project() {
    let (p, tenants) = fleet(1);
    let out = p.mig(&["new", "mark"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("migration.schema.json, which does not exist yet: run `mig schema`"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(p.path().join(stdout.trim())).unwrap();
    assert!(written.contains("$schema=../schema/migration.schema.json"));
    assert!(written.contains("\n# up:\n#   - update_many:"), "{written}");
    // Reading commands go on, leaving the draft out and saying so once.
    for command in [&["plan"][..], &["status"], &["validate"]] {
        let out = p.mig(command);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{command:?}: {stdout}{stderr}");
        assert_eq!(
            stderr
                .matches("no `up` step yet, so it runs nothing")
                .count(),
            1,
            "{command:?}: {stderr}"
        );
        assert!(!stdout.contains("_mark"), "{command:?}: {stdout}");
    }
    let (json, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "the indexes are pending: {json}");
    assert_eq!(json["summary"]["migrations_pending"], 0, "{json}");
    // Apply would run the migrations after it first: it waits for it.
    let out = p.mig(&["apply", "--yes"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no `up` step yet"), "{stderr}");
    assert!(
        !databases().await.contains(&tenants[0]),
        "nothing was written"
    );

    let out = p.mig(&["schema"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    for name in ["manifest", "migration", "mig"] {
        let file = p.path().join(format!("schema/{name}.schema.json"));
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert!(schema.get("properties").is_some(), "{}", file.display());
    }
    let out = p.mig(&["new", "another"]);
    assert!(
        !text(&out).1.contains("does not exist yet"),
        "{:?}",
        text(&out)
    );
}

#[tokio::test]
async fn history_shows_migrations_and_fails_where_mig_never_ran() {
    let (p, tenants) = fleet(1);
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(p.path().join("migrations/20250101000000_mark.yaml"), MARK).unwrap();
    assert_eq!(p.mig(&["apply", "--yes"]).status.code(), Some(0));
    let out = p.mig(&["history", &tenants[0]]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("applied migration      20250101000000_mark"),
        "{stdout}"
    );
    assert!(stdout.contains("messages.idx_status"), "{stdout}");

    let typo = format!("{}z", tenants[0]);
    let out = p.mig(&["history", &typo]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("mig history {typo}: no such database"))
            && stderr.contains(&format!("did you mean {}", tenants[0])),
        "{stderr}"
    );
    assert!(!databases().await.contains(&typo));
}

#[tokio::test]
async fn down_dry_run_shows_what_it_would_revert_and_reverts_nothing() {
    let (p, tenants) = fleet(1);
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(p.path().join("migrations/20250101000000_mark.yaml"), MARK).unwrap();
    let messages = client()
        .await
        .database(&tenants[0])
        .collection::<Document>("messages");
    messages.insert_one(doc! {"x": 1}).await.unwrap();
    assert_eq!(p.mig(&["apply", "--yes"]).status.code(), Some(0));
    let out = p.mig(&["down", "--dry-run"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("migration 20250101000000_mark  to revert")
            && stdout.contains("1 migration run(s) to revert"),
        "{stdout}"
    );
    assert!(stderr.contains("Dry run: nothing was written."), "{stderr}");
    assert_eq!(
        messages.count_documents(doc! {"m": 1}).await.unwrap(),
        1,
        "not reverted"
    );
    let out = p.mig(&["status"]);
    assert!(text(&out).0.contains("20250101000000_mark  applied"));
}

/// A project with both manifests, its `[tenants]` section as given.
fn with_tenants(tenants: &str) -> Project {
    let p = Project::new();
    p.config(&format!("[tenants]\n{tenants}"));
    p.manifest("public.yaml", USERS);
    p.manifest("tenant.yaml", MESSAGES);
    p
}

/// Builds `spec` on `db.collection`, behind mig's back.
async fn create_index(db: &str, collection: &str, spec: Document) {
    client()
        .await
        .database(db)
        .run_command(doc! {"createIndexes": collection, "indexes": [spec]})
        .await
        .unwrap();
}

async fn registry(p: &Project, entries: Vec<Document>) {
    insert(&p.public, "client_configs", entries).await;
}

/// Every command over no tenant: one line naming the discovery and what it
/// saw, exit 4, nothing written; the JSON error says how discovery went.
fn assert_no_tenants(p: &Project, said: &[&str]) {
    for command in [
        &["plan", "--detailed-exitcode"][..],
        &["drift"],
        &["status"],
        &["apply", "--yes"],
        &["plan", "--tenants-only"],
    ] {
        let out = p.mig(command);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(4), "{command:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains("no tenant database found") && stderr.contains("allow_empty = true"),
            "{command:?}: {stderr}"
        );
        for s in said {
            assert!(stderr.contains(s), "{command:?}: {s:?} in {stderr}");
        }
        assert!(!stdout.contains("Nothing to do"), "{stdout}");
    }
    let (json, code) = p.json(&["plan"]);
    assert_eq!(code, 4);
    assert_eq!(json["error"]["kind"], "no_tenants", "{json}");
    assert_eq!(json["discovery"]["tenants"], 0, "{json}");
    assert_eq!(json["discovery"]["allow_empty"], false, "{json}");
}

#[tokio::test]
async fn a_registry_filter_with_a_typo_is_said_in_one_line_and_exits_4() {
    let p = with_tenants(
        "source = \"registry\"\ncollection = \"client_configs\"\nfield = \"schema\"\nfilter = { status = \"actve\" }\n",
    );
    let (a, b) = (p.tenant(), p.tenant());
    registry(
        &p,
        vec![
            doc! {"schema": &a, "status": "active"},
            doc! {"schema": &b, "status": "active"},
        ],
    )
    .await;
    let filter = format!(
        "registry {}.client_configs, field \"schema\", filter {{ \"status\": \"actve\" }}",
        p.public
    );
    assert_no_tenants(
        &p,
        &[&filter, "2 registry entries read, 0 matched the filter"],
    );
    let (json, _) = p.json(&["drift"]);
    assert_eq!(json["discovery"]["source"], "registry", "{json}");
    assert_eq!(json["discovery"]["read"], 2, "{json}");
    assert_eq!(json["discovery"]["matched"], 0, "{json}");
    let dbs = databases().await;
    assert!(
        !dbs.contains(&a) && !dbs.contains(&b),
        "nothing was written"
    );
    assert!(
        index_names(&p.public, "users").await.is_empty(),
        "nor in public"
    );
}

#[tokio::test]
async fn a_registry_whose_entries_all_lack_the_field_says_why_they_were_skipped() {
    let p = with_tenants(
        "source = \"registry\"\ncollection = \"client_configs\"\nfield = \"schema\"\n",
    );
    registry(&p, vec![doc! {"name": "a"}, doc! {"name": "b"}]).await;
    assert_no_tenants(
        &p,
        &["2 registry entries read, 2 matched the filter, 2 skipped (2× the registry entry has no \"schema\" field)"],
    );
}

#[tokio::test]
async fn a_prefix_that_matches_nothing_is_said_in_one_line_and_exits_4() {
    let p = with_tenants(&format!(
        "source = \"prefix\"\nprefix = \"{}\"\n",
        unique("pfx")
    ));
    assert_no_tenants(
        &p,
        &[
            "prefix \"pfx_",
            "databases on the server, 0 matched the prefix",
        ],
    );
}

#[tokio::test]
async fn no_tenants_declared_on_purpose_is_said_and_exits_0() {
    for tenants in [
        "source = \"list\"\ndatabases = []\n".to_string(),
        format!(
            "source = \"prefix\"\nprefix = \"{}\"\nallow_empty = true\n",
            unique("pfx")
        ),
    ] {
        let p = with_tenants(&tenants);
        for command in [
            &["plan", "--detailed-exitcode", "--tenants-only"][..],
            &["drift", "--tenants-only"],
            &["status"],
            &["apply", "--yes"],
        ] {
            let out = p.mig(command);
            let (stdout, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(0), "{command:?}: {stdout}{stderr}");
            assert_eq!(
                stdout.matches("no tenants yet, as declared (").count(),
                1,
                "{command:?}: {stdout}"
            );
        }
        let (json, code) = p.json(&["plan"]);
        assert_eq!(code, 0, "{json}");
        assert_eq!(json["discovery"]["allow_empty"], true, "{json}");
        assert_eq!(json["discovery"]["tenants"], 0, "{json}");
        assert!(
            json["discovery"]["line"]
                .as_str()
                .unwrap()
                .starts_with("no tenants yet, as declared"),
            "{json}"
        );
    }
}

#[tokio::test]
async fn skipped_registry_entries_are_never_nothing_to_do() {
    let p = with_tenants(
        "source = \"registry\"\ncollection = \"client_configs\"\nfield = \"schema\"\n",
    );
    let tenant = p.tenant();
    registry(
        &p,
        vec![doc! {"schema": &tenant}, doc! {"name": "no schema"}],
    )
    .await;
    assert_eq!(p.mig(&["apply", "--yes"]).status.code(), Some(0));
    let out = p.mig(&["plan", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(!stdout.contains("Nothing to do"), "{stdout}");
    assert!(
        stdout.contains("1 skipped (1× the registry entry has no \"schema\" field)")
            && stdout.contains(
                "Nothing to apply, but not in sync: 1 tenant name(s) or registry entr(ies) skipped"
            ),
        "{stdout}"
    );
    assert_eq!(p.mig(&["drift"]).status.code(), Some(2));
    assert_eq!(
        p.mig(&["status", "--detailed-exitcode"]).status.code(),
        Some(2)
    );
    let (json, code) = p.json(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2);
    assert_eq!(json["discovery"]["skipped"], 1, "{json}");
    assert_eq!(json["discovery"]["tenants"], 1, "{json}");
}

#[tokio::test]
async fn plan_and_drift_agree_that_an_unmanaged_index_is_not_in_sync() {
    let p = Project::new();
    p.manifest("public.yaml", USERS);
    assert_eq!(p.mig(&["apply", "--yes"]).status.code(), Some(0));
    let out = p.mig(&["plan", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Nothing to do: every database is in sync with the manifests."),
        "{stdout}"
    );
    assert_eq!(p.mig(&["drift"]).status.code(), Some(0));
    create_index(
        &p.public,
        "users",
        doc! {"key": {"age": 1}, "name": "age_1"},
    )
    .await;
    let out = p.mig(&["plan", "--detailed-exitcode"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(!stdout.contains("Nothing to do"), "{stdout}");
    assert!(
        stdout.contains("Nothing to apply, but not in sync: 1 unmanaged index(es)"),
        "{stdout}"
    );
    let out = p.mig(&["drift"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).0);
    let md = text(&p.mig(&["plan", "--format", "markdown"])).0;
    assert!(md.contains("Nothing to apply, but not in sync"), "{md}");
}

#[tokio::test]
async fn a_database_with_one_change_blocked_and_one_applied_is_partly_applied_not_failed() {
    let declared = format!("{UNIQUE_EMAIL}      - {{ name: age_1, keys: {{ age: 1 }} }}\n");
    let (p, _) = users_sharing_an_email(&declared).await;
    let out = p.mig(&["apply", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "{}: partly applied: changed 1; 1 blocked",
            p.public
        )),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&format!("{}: failed", p.public)),
        "{stdout}"
    );
    assert!(index_names(&p.public, "users")
        .await
        .contains(&"age_1".to_string()));
}

#[tokio::test]
async fn sample_ids_read_the_same_in_the_duplicate_key_and_the_validator_findings() {
    let validator = "    validator:\n      $jsonSchema:\n        required: [name]\n";
    let (p, ids) = users_sharing_an_email(&format!("{validator}{UNIQUE_EMAIL}")).await;
    let out = p.mig(&["plan"]);
    let (stdout, _) = text(&out);
    assert!(!stdout.contains("ObjectId("), "{stdout}");
    let id = format!("{{\"$oid\":\"{}\"}}", ids[0].to_hex());
    let dup = stdout
        .lines()
        .find(|l| l.contains("duplicate key(s)"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(dup.contains(&id), "{dup}");
    let invalid = stdout
        .lines()
        .filter(|l| !l.contains("duplicate key(s)"))
        .find(|l| l.contains(&id));
    assert!(invalid.is_some(), "the validator's samples too:\n{stdout}");
}

#[tokio::test]
async fn a_pulled_manifest_names_the_projects_schema_wherever_the_manifests_are() {
    let p = Project::new();
    std::fs::write(
        p.path().join("mig.toml"),
        format!(
            "manifests = \"db/manifests\"\n[public]\ndatabase = \"{}\"\n",
            p.public
        ),
    )
    .unwrap();
    create_index(
        &p.public,
        "users",
        doc! {"key": {"email": 1}, "name": "email_1"},
    )
    .await;
    let out = p.mig(&["pull", "--as", "toml"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let file = p.path().join("db/manifests/public.toml");
    let written = std::fs::read_to_string(&file).unwrap();
    let modeline = written.lines().next().unwrap();
    let named = modeline
        .strip_prefix("#:schema ")
        .unwrap_or_else(|| panic!("{written}"));
    assert_eq!(named, "../../schema/manifest.schema.json", "{written}");
    assert!(
        stderr.contains("manifest.schema.json, which does not exist yet: run `mig schema`"),
        "{stderr}"
    );
    assert_eq!(p.mig(&["schema"]).status.code(), Some(0));
    assert!(file.parent().unwrap().join(named).exists(), "{named}");
}

#[test]
fn a_mig_toml_key_typo_gets_a_did_you_mean() {
    let p = Project::new();
    p.config("[tenants]\nsorce = \"list\"\ndatabases = []\n");
    p.manifest("public.yaml", USERS);
    let out = p.mig(&["validate"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("tenants.sorce: unknown field `sorce` (did you mean `source`?)"),
        "{stderr}"
    );
}
