//! Development database helper used by `scripts/demo` and `scripts/test`:
//!
//!   devdb start DIR       install (once) and start a mongod 6.0.5 single-node
//!                         replica set under DIR; print its URI
//!   devdb stop DIR        stop the mongod started under DIR
//!   devdb seed-demo       (re)create the demo databases at $MONGODB_URI
//!   devdb fleet PREFIX N  (re)create N empty tenant databases PREFIX00000…

#[path = "../tests/support/mongod.rs"]
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
        ["stop", dir] => stop(dir.as_ref()),
        ["seed-demo"] => seed_demo().await,
        ["fleet", prefix, n] => fleet(prefix, n.parse().unwrap_or(0)).await,
        _ => Err("usage: devdb start DIR | stop DIR | seed-demo".into()),
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

fn stop(dir: &std::path::Path) -> mongod::Result<()> {
    let pid = std::fs::read_to_string(dir.join("mongod.pid"))
        .map_err(|e| format!("no mongod started under {}: {e}", dir.display()))?;
    mongod::stop_pid(
        pid.trim()
            .parse()
            .map_err(|e| format!("bad pid file: {e}"))?,
    );
    Ok(())
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
