//! Development database helper behind `scripts/devdb`, `scripts/demo` and
//! `scripts/test`:
//!
//!   devdb start DIR       install (once) and start a throw-away mongod 6.0.5
//!                         single-node replica set under DIR on a free port;
//!                         print its URI
//!   devdb up DIR [PORT]   start (or find running) the long-lived dev server
//!                         whose data is DIR/data; print its URI. Its port is
//!                         chosen the first time: PORT, or 27017 if free, else
//!                         a free one (PORT 0: a free one); then kept.
//!   devdb status DIR      print the URI of the mongod running under DIR, or fail
//!   devdb stop DIR        stop the mongod started under DIR
//!   devdb seed-demo       (re)create the demo databases at $MONGODB_URI
//!   devdb fleet PREFIX N  (re)create N empty tenant databases PREFIX00000…
//!   devdb collations      print `src/model/collations.tsv` afresh: each locale
//!                         it lists, as the server at $MONGODB_URI resolves it

#[path = "../tests/it/support/mongod.rs"]
mod mongod;

use mongodb::bson::{doc, Document};

const DEMO_PUBLIC: &str = "mig_demo_public";
const DEMO_TENANTS: &[&str] = &[
    "mig_demo_acme",
    "mig_demo_globex",
    "mig_demo_initech",
    "mig_demo_sandbox",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["start", dir] => start(dir.as_ref()).await,
        ["up", dir] => up(dir.as_ref(), None).await,
        ["up", dir, port] => match port.parse() {
            Ok(port) => up(dir.as_ref(), Some(port)).await,
            Err(_) => Err(format!("not a port: {port}")),
        },
        ["status", dir] => status(dir.as_ref()),
        ["stop", dir] => stop(dir.as_ref()),
        ["seed-demo"] => seed_demo().await,
        ["fleet", prefix, n] => fleet(prefix, n.parse().unwrap_or(0)).await,
        ["collations"] => collations().await,
        _ => Err(
            "usage: devdb start DIR | up DIR [PORT] | status DIR | stop DIR | seed-demo | fleet PREFIX N | collations"
                .into(),
        ),
    };
    if let Err(e) = result {
        eprintln!("devdb: {e}");
        std::process::exit(1);
    }
}

async fn start(dir: &std::path::Path) -> mongod::Result<()> {
    let node = mongod::Mongod::start(dir, "rs0")?;
    std::fs::write(dir.join("mongod.pid"), node.pid.to_string()).map_err(|e| e.to_string())?;
    if let Err(e) = mongod::initiate(&[&node], "rs0").await {
        node.stop();
        return Err(e);
    }
    println!("{}", node.uri());
    Ok(())
}

/// The long-lived dev server under `dir`: started unless it already runs.
async fn up(dir: &std::path::Path, port: Option<u16>) -> mongod::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let port_file = dir.join("port");
    if let Some(node) = running(dir)? {
        eprintln!(
            "devdb: already running (pid {}, data in {})",
            node.pid,
            node.dir.display()
        );
        println!("{}", node.uri());
        return Ok(());
    }
    // The port is chosen once: the replica set's configuration names it.
    let port = match std::fs::read_to_string(&port_file) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|e| format!("{}: {e}", port_file.display()))?,
        Err(_) => {
            let port = match port {
                Some(0) => mongod::free_port()?,
                Some(port) => port,
                None if mongod::port_is_free(27017) => 27017,
                None => mongod::free_port()?,
            };
            std::fs::write(&port_file, port.to_string()).map_err(|e| e.to_string())?;
            port
        }
    };
    if !mongod::port_is_free(port) {
        return Err(format!(
            "port {port} is taken by another process; the dev server under {} uses it \
             (stop that process, or remove {} to start afresh on another port)",
            dir.display(),
            dir.display()
        ));
    }
    let data = dir.join("data");
    let node = mongod::Mongod::start_at(
        &data,
        port,
        &[
            "--replSet",
            "rs0",
            "--wiredTigerEngineConfigString",
            mongod::FILE_MANAGER,
        ],
    )?;
    std::fs::write(dir.join("mongod.pid"), node.pid.to_string()).map_err(|e| e.to_string())?;
    if let Err(e) = become_primary(&node).await {
        node.stop();
        return Err(e);
    }
    eprintln!(
        "devdb: started mongod 6.0.5 (pid {}, data in {}, log in {})",
        node.pid,
        data.display(),
        data.join("mongod.log").display()
    );
    println!("{}", node.uri());
    Ok(())
}

/// Initiates the single-node replica set the first time; then waits for the
/// node to be primary again.
async fn become_primary(node: &mongod::Mongod) -> mongod::Result<()> {
    let client = mongodb::Client::with_uri_str(node.uri())
        .await
        .map_err(|e| e.to_string())?;
    let admin = client.database("admin");
    match admin.run_command(doc! {"replSetGetStatus": 1}).await {
        // NotYetInitialized: a fresh data directory.
        Err(e) if matches!(*e.kind, mongodb::error::ErrorKind::Command(ref c) if c.code == 94) => {
            return mongod::initiate(&[node], "rs0").await;
        }
        _ => {}
    }
    mongod::await_primary(&admin, "the dev server did not become primary").await
}

/// The mongod `up` started under `dir`, if it still runs.
fn running(dir: &std::path::Path) -> mongod::Result<Option<mongod::Mongod>> {
    let Ok(pid) = std::fs::read_to_string(dir.join("mongod.pid")) else {
        return Ok(None);
    };
    let Ok(pid) = pid.trim().parse::<u32>() else {
        return Ok(None);
    };
    // The pid may have been reused by another program since (after a reboot).
    if !is_mongod(pid) {
        return Ok(None);
    }
    let port = std::fs::read_to_string(dir.join("port"))
        .map_err(|e| format!("{}: {e}", dir.join("port").display()))?
        .trim()
        .parse()
        .map_err(|e| format!("{}: {e}", dir.join("port").display()))?;
    Ok(Some(mongod::Mongod {
        port,
        pid,
        dir: dir.join("data"),
    }))
}

fn status(dir: &std::path::Path) -> mongod::Result<()> {
    match running(dir)? {
        Some(node) => {
            eprintln!(
                "devdb: running (pid {}, data in {})",
                node.pid,
                node.dir.display()
            );
            println!("{}", node.uri());
            Ok(())
        }
        None => Err(format!(
            "not running (data in {})",
            dir.join("data").display()
        )),
    }
}

fn stop(dir: &std::path::Path) -> mongod::Result<()> {
    let pid_file = dir.join("mongod.pid");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .map_err(|e| format!("no mongod started under {}: {e}", dir.display()))?
        .trim()
        .parse()
        .map_err(|e| format!("bad pid file {}: {e}", pid_file.display()))?;
    if is_mongod(pid) {
        mongod::stop_pid(pid);
    } else {
        eprintln!("devdb: not running (no mongod with pid {pid})");
    }
    let _ = std::fs::remove_file(&pid_file);
    Ok(())
}

/// Whether `pid` is a live mongod (and not a later process that got its pid).
fn is_mongod(pid: u32) -> bool {
    mongod::is_running(pid)
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("mongod"))
}

async fn fleet(prefix: &str, n: usize) -> mongod::Result<()> {
    let uri = std::env::var("MONGODB_URI").map_err(|_| "MONGODB_URI is not set".to_string())?;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| e.to_string())?;
    for name in client
        .list_database_names()
        .await
        .map_err(|e| e.to_string())?
    {
        if name.starts_with(prefix) {
            client
                .database(&name)
                .drop()
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    for i in 0..n {
        client
            .database(&format!("{prefix}{i:05}"))
            .collection::<Document>("seed")
            .insert_one(doc! {"_id": 1})
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A public database whose `client_configs` registry lists the tenants, in
/// the shape of the chat service's, plus some tenant data, one index the
/// manifests don't know and one in an older form than they declare.
async fn seed_demo() -> mongod::Result<()> {
    let uri = std::env::var("MONGODB_URI").map_err(|_| "MONGODB_URI is not set".to_string())?;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| e.to_string())?;
    for db in std::iter::once(&DEMO_PUBLIC).chain(DEMO_TENANTS) {
        client
            .database(db)
            .drop()
            .await
            .map_err(|e| e.to_string())?;
    }
    let now = mongodb::bson::DateTime::now();
    let config = |id: &str, schema: &str, status: &str, phone: &str| {
        doc! {
            "id": id, "schema": schema, "billing": {"status": status},
            "whatsapp": {"displayPhoneNumber": phone}, "createdAt": now, "updatedAt": now,
        }
    };
    let registry: Vec<Document> = vec![
        config("acme", "mig_demo_acme", "active", "+15550001"),
        config("globex", "mig_demo_globex", "active", "+15550002"),
        config("initech", "mig_demo_initech", "suspended", "+15550003"),
        config("sandbox", "mig_demo_sandbox", "active", "+15550004"),
        config("intruder", "admin", "active", "+15550005"),
    ];
    client
        .database(DEMO_PUBLIC)
        .collection::<Document>("client_configs")
        .insert_many(registry)
        .await
        .map_err(|e| e.to_string())?;
    let acme = client.database("mig_demo_acme");
    let messages = acme.collection::<Document>("messages");
    messages
        .insert_many(
            (0..5).map(
                |i| doc! {"messageId": format!("m{i}"), "conversationId": "c1", "timestamp": now},
            ),
        )
        .await
        .map_err(|e| e.to_string())?;
    // An index the manifests don't know, and an older form of a declared one
    // (the plan replaces it, keeping the collection covered by a twin).
    for (name, keys) in [
        ("legacy_field_1", doc! {"legacyField": 1}),
        (
            "idx_messages_conversation_timestamp_desc",
            doc! {"conversationId": 1},
        ),
    ] {
        let options = mongodb::options::IndexOptions::builder()
            .name(name.to_string())
            .build();
        let index = mongodb::IndexModel::builder()
            .keys(keys)
            .options(options)
            .build();
        messages
            .create_index(index)
            .await
            .map_err(|e| e.to_string())?;
    }
    eprintln!(
        "seeded {DEMO_PUBLIC}.client_configs with 5 registry entries (2 active tenants, 1 suspended, 1 excluded, 1 naming 'admin')"
    );
    Ok(())
}

/// The data file of resolved collations, asked afresh of the server: one
/// index per locale of the current file, in a scratch database, and each
/// `listIndexes` collation written out in the file's columns.
async fn collations() -> mongod::Result<()> {
    const FILE: &str = include_str!("../src/model/collations.tsv");
    let uri = std::env::var("MONGODB_URI").map_err(|_| "MONGODB_URI is not set".to_string())?;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| e.to_string())?;
    let db = client.database("mig_collations_scratch");
    db.drop().await.map_err(|e| e.to_string())?;
    let header = FILE
        .lines()
        .find(|l| l.starts_with("locale\t"))
        .ok_or("no header line in collations.tsv")?;
    let columns: Vec<&str> = header.split('\t').collect();
    let locales: Vec<&str> = FILE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("locale\t") && !l.is_empty())
        .filter_map(|l| l.split('\t').next())
        .collect();
    let mut out = String::new();
    for line in FILE.lines().take_while(|l| l.starts_with('#')) {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(header);
    out.push('\n');
    for (n, locale) in locales.iter().enumerate() {
        // One collection per locale: a collection holds at most 64 indexes.
        let coll = format!("c{n}");
        db.run_command(doc! {"createIndexes": &coll, "indexes": [
            {"key": {"a": 1}, "name": "a", "collation": {"locale": *locale}}
        ]})
        .await
        .map_err(|e| format!("{locale}: {e}"))?;
        let reply = db
            .run_command(doc! {"listIndexes": &coll})
            .await
            .map_err(|e| e.to_string())?;
        let batch = reply
            .get_document("cursor")
            .and_then(|c| c.get_array("firstBatch"))
            .map_err(|e| e.to_string())?;
        let collation = batch
            .iter()
            .filter_map(|i| i.as_document())
            .find(|i| i.get_str("name") == Ok("a"))
            .and_then(|i| i.get_document("collation").ok())
            .ok_or_else(|| format!("{locale}: no collation reported"))?;
        let row: Vec<String> = columns
            .iter()
            .map(|c| match collation.get(*c) {
                Some(mongodb::bson::Bson::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "-".to_string(),
            })
            .collect();
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    db.drop().await.map_err(|e| e.to_string())?;
    print!("{out}");
    Ok(())
}
