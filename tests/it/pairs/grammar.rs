//! The grammar of pairs: a live set of indexes (as the driver builds them,
//! each under a name) and a declared set (as a manifest declares them, named
//! or not), on one collection holding [`documents`]. The declared set is
//! mostly the live set after a few small mutations (the same index under
//! another name, a changed TTL, a filter in another order, a text field
//! added, …), so that most pairs are about the same index twice.
//!
//! A spec is `{key: {...}, name?: "...", ...options}`, as in the single-spec
//! grammar (`tests/it/differential/grammar.rs`), whose RNG and renderings this reuses.

use mongodb::bson::{doc, Bson, DateTime, Document};

use crate::grammar::Rng;

/// 2100-01-01: TTL indexes on these dates delete nothing during a run.
const FUTURE: i64 = 4_102_444_800_000;
const DAY: i64 = 86_400_000;

/// The documents of every pair's collection: `a` and `tags` hold duplicates
/// (a unique build on them fails), `name` differs only by case between two
/// documents (unique under a strength-2 collation fails, under strength 3
/// not), two documents have no `date` (a unique `date` fails unless sparse),
/// `loc` holds points for 2dsphere, `tags` arrays (a hashed build fails).
pub fn documents() -> Vec<Document> {
    let at = |days: i64| Bson::DateTime(DateTime::from_millis(FUTURE + days * DAY));
    vec![
        doc! {"_id": 1, "a": 1, "b": 1, "date": at(0), "expireAt": at(0), "name": "Ann",
        "title": "alpha", "tags": ["x", "y"], "age": 30, "otherProp": "p", "kind": "Device",
        "price": 5, "loc": {"type": "Point", "coordinates": [2.35, 48.85]}},
        doc! {"_id": 2, "a": 1, "b": 2, "date": at(1), "name": "ann", "title": "beta",
        "tags": ["y"], "age": 31, "kind": "Device", "price": 0},
        doc! {"_id": 3, "a": 2, "b": 3, "name": "Bob", "title": "gamma", "tags": [],
        "kind": "Other", "price": -1, "loc": {"type": "Point", "coordinates": [0.0, 0.0]}},
        doc! {"_id": 4, "a": 2.0, "b": 4, "date": at(2), "expireAt": at(3), "title": "delta",
        "kind": "Device", "price": 7},
        doc! {"_id": 5, "a": 3, "b": 5, "name": "Cy", "title": "epsilon", "tags": ["z"]},
    ]
}

const PLAIN_FIELDS: [&str; 7] = ["a", "b", "date", "name", "title", "tags", "expireAt"];
const TEXT_FIELDS: [&str; 3] = ["name", "title", "tags"];
const NAMES: [&str; 4] = ["ix_custom", "date_ttl", "by_name", "ix_other"];

fn i(n: i32) -> Bson {
    Bson::Int32(n)
}

fn f(x: f64) -> Bson {
    Bson::Double(x)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Text,
    Hashed,
    Sphere,
    Wildcard,
}

fn kind_of(spec: &Document) -> Kind {
    let key = spec.get_document("key").cloned().unwrap_or_default();
    if key.keys().any(|k| k.contains("$**")) {
        return Kind::Wildcard;
    }
    for v in key.values() {
        match v.as_str() {
            Some("text") => return Kind::Text,
            Some("hashed") => return Kind::Hashed,
            Some("2dsphere") => return Kind::Sphere,
            _ => {}
        }
    }
    Kind::Plain
}

/// One condition of a partial filter.
fn condition(rng: &mut Rng) -> (String, Bson) {
    let (k, v) = rng.pick(&[
        ("a", Bson::Document(doc! {"$gt": 0})),
        ("a", i(1)),
        ("a", Bson::Document(doc! {"$eq": 1})),
        ("b", Bson::Document(doc! {"$gte": 2})),
        ("kind", Bson::String("Device".into())),
        ("kind", Bson::Document(doc! {"$eq": "Device"})),
        ("price", Bson::Document(doc! {"$gt": 0})),
        ("price", Bson::Document(doc! {"$gt": 0.0})),
        ("name", Bson::Document(doc! {"$exists": true})),
        ("date", Bson::Document(doc! {"$exists": true})),
    ]);
    (k.to_string(), v)
}

pub fn filter(rng: &mut Rng) -> Document {
    let mut d = Document::new();
    let n = rng.weighted(&[(60, 1), (40, 2)]);
    while d.len() < n {
        let (k, v) = condition(rng);
        if !d.contains_key(&k) {
            d.insert(k, v);
        }
    }
    if n == 2 && rng.chance(20) {
        let parts: Vec<Bson> = d
            .into_iter()
            .map(|(k, v)| Bson::Document(doc! {k: v}))
            .collect();
        return doc! {"$and": parts};
    }
    d
}

fn collation(rng: &mut Rng) -> Document {
    let mut c = doc! {"locale": rng.pick(&["en", "en", "fr"])};
    if rng.chance(50) {
        c.insert("strength", rng.pick(&[1, 2, 2, 3]));
    }
    c
}

fn ttl(rng: &mut Rng) -> Bson {
    rng.weighted(&[
        (3, i(10)),
        (3, i(20)),
        (2, i(0)),
        (2, i(3600)),
        (2, i(172_800)),
        (1, f(10.0)),
        (1, f(0.5)),
        (1, f(-0.5)),
    ])
}

fn keys(rng: &mut Rng, kind: Kind) -> Document {
    let mut k = Document::new();
    match kind {
        Kind::Plain => {
            let n = rng.weighted(&[(70, 1), (30, 2)]);
            while k.len() < n {
                let field = rng.pick(&PLAIN_FIELDS);
                // Two array fields can't be in one key: `tags` goes alone.
                if field == "tags" && n > 1 {
                    continue;
                }
                if !k.contains_key(field) {
                    k.insert(field, rng.pick(&[1, 1, -1]));
                }
            }
        }
        Kind::Text => {
            if rng.chance(15) {
                k.insert("a", 1);
            }
            let n = rng.weighted(&[(60, 1), (40, 2)]);
            let mut fields = Vec::new();
            while fields.len() < n {
                let field = rng.pick(&TEXT_FIELDS);
                if !fields.contains(&field) {
                    fields.push(field);
                }
            }
            for field in fields {
                k.insert(field, "text");
            }
        }
        Kind::Hashed => {
            k.insert(rng.pick(&["a", "b", "name", "tags"]), "hashed");
        }
        Kind::Sphere => {
            k.insert("loc", "2dsphere");
            if rng.chance(25) {
                k.insert("a", 1);
            }
        }
        Kind::Wildcard => {
            k.insert(rng.pick(&["$**", "tags.$**"]), 1);
        }
    }
    k
}

/// A random index spec: mostly valid for the server.
pub fn spec(rng: &mut Rng) -> Document {
    let kind = rng.weighted(&[
        (55, Kind::Plain),
        (14, Kind::Text),
        (8, Kind::Hashed),
        (6, Kind::Sphere),
        (6, Kind::Wildcard),
    ]);
    let key = keys(rng, kind);
    let mut d = doc! {"key": key.clone()};
    if rng.chance(25) {
        d.insert("name", rng.pick(&NAMES));
    }
    let single = key.len() == 1;
    match kind {
        Kind::Plain => {
            if rng.chance(20) {
                d.insert("unique", true);
            }
            if rng.chance(10) {
                d.insert("sparse", true);
            }
            if single
                && rng.chance(
                    if key.contains_key("date") || key.contains_key("expireAt") {
                        45
                    } else {
                        8
                    },
                )
            {
                d.insert("expireAfterSeconds", ttl(rng));
            }
            if rng.chance(15) {
                d.insert("collation", collation(rng));
            }
        }
        Kind::Text => {
            if rng.chance(15) {
                let field = key
                    .iter()
                    .find(|(_, v)| v.as_str() == Some("text"))
                    .map(|(k, _)| k.clone())
                    .unwrap();
                d.insert("weights", doc! {field: rng.pick(&[2, 5])});
            }
            if rng.chance(8) {
                d.insert("default_language", rng.pick(&["french", "none"]));
            }
        }
        Kind::Hashed | Kind::Sphere | Kind::Wildcard => {
            if kind != Kind::Wildcard && rng.chance(8) {
                d.insert("collation", collation(rng));
            }
        }
    }
    if rng.chance(18) && !d.contains_key("sparse") {
        d.insert("partialFilterExpression", filter(rng));
    }
    if rng.chance(8) {
        d.insert("hidden", true);
    }
    d
}

/// The same filter, written otherwise: conditions in another order,
/// implicit and explicit `$eq` swapped, an int as a double, `$and` taken
/// away or put around.
fn rewrite_filter(rng: &mut Rng, filter: &Document) -> Document {
    if let Ok(parts) = filter.get_array("$and") {
        let mut flat = Document::new();
        for p in parts {
            if let Some(p) = p.as_document() {
                for (k, v) in p {
                    if flat.contains_key(k) {
                        return filter.clone();
                    }
                    flat.insert(k.clone(), v.clone());
                }
            }
        }
        return flat;
    }
    match rng.below(4) {
        0 if filter.len() > 1 => reversed(filter),
        1 => filter
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Bson::Document(d) if d.len() == 1 && d.contains_key("$eq") => {
                        d.get("$eq").unwrap().clone()
                    }
                    Bson::Document(_) => v.clone(),
                    other => Bson::Document(doc! {"$eq": other.clone()}),
                };
                (k.clone(), v)
            })
            .collect(),
        2 => filter
            .iter()
            .map(|(k, v)| (k.clone(), as_double(v)))
            .collect(),
        _ => {
            let parts: Vec<Bson> = filter
                .iter()
                .map(|(k, v)| Bson::Document(doc! {k: v.clone()}))
                .collect();
            doc! {"$and": parts}
        }
    }
}

fn reversed(d: &Document) -> Document {
    let mut v: Vec<(String, Bson)> = d.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.reverse();
    v.into_iter().collect()
}

fn as_double(v: &Bson) -> Bson {
    match v {
        Bson::Int32(n) => f(*n as f64),
        Bson::Document(d) => {
            Bson::Document(d.iter().map(|(k, v)| (k.clone(), as_double(v))).collect())
        }
        other => other.clone(),
    }
}

/// One small change to a spec; the spec itself when none applies.
pub fn mutate(rng: &mut Rng, spec: &Document) -> Document {
    let mut d = spec.clone();
    let kind = kind_of(spec);
    let key = spec.get_document("key").cloned().unwrap_or_default();
    for _ in 0..8 {
        match rng.below(12) {
            // The same index under another name, or its default one.
            0 => {
                if d.contains_key("name") && rng.chance(60) {
                    d.remove("name");
                } else {
                    d.insert("name", rng.pick(&NAMES));
                }
            }
            1 if kind == Kind::Plain && key.len() == 1 => {
                if d.contains_key("expireAfterSeconds") && rng.chance(25) {
                    d.remove("expireAfterSeconds");
                } else {
                    d.insert("expireAfterSeconds", ttl(rng));
                }
            }
            2 if d.contains_key("partialFilterExpression") => {
                let pf = d.get_document("partialFilterExpression").unwrap().clone();
                d.insert("partialFilterExpression", rewrite_filter(rng, &pf));
            }
            3 if kind == Kind::Text => {
                let mut k = key.clone();
                let missing: Vec<&str> = TEXT_FIELDS
                    .iter()
                    .copied()
                    .chain(["otherProp"])
                    .filter(|f| !k.contains_key(*f))
                    .collect();
                if rng.chance(50) && !missing.is_empty() {
                    k.insert(rng.pick(&missing), "text");
                } else if k.len() > 1 {
                    k = reversed(&k);
                } else {
                    k.insert("age", 1);
                }
                d.insert("key", k);
            }
            4 if d.contains_key("collation") => {
                let mut c = d.get_document("collation").unwrap().clone();
                match rng.below(3) {
                    0 if c.contains_key("strength") => {
                        c.remove("strength");
                    }
                    0 | 1 => {
                        c.insert("strength", rng.pick(&[1, 2, 3]));
                    }
                    _ => {
                        d.remove("collation");
                        return d;
                    }
                }
                d.insert("collation", c);
            }
            5 if kind == Kind::Plain => {
                if d.contains_key("collation") {
                    d.remove("collation");
                } else {
                    d.insert("collation", collation(rng));
                }
            }
            6 if kind == Kind::Plain || kind == Kind::Hashed => {
                if d.contains_key("unique") {
                    d.remove("unique");
                } else if kind == Kind::Plain {
                    d.insert("unique", true);
                }
            }
            7 => {
                if d.contains_key("hidden") {
                    d.remove("hidden");
                } else {
                    d.insert("hidden", true);
                }
            }
            8 if kind == Kind::Plain && !d.contains_key("partialFilterExpression") => {
                if d.contains_key("sparse") {
                    d.remove("sparse");
                } else {
                    d.insert("sparse", true);
                }
            }
            9 if kind == Kind::Plain => {
                let k: Document = key
                    .iter()
                    .enumerate()
                    .map(|(n, (f, v))| {
                        let v = if n == 0 {
                            match v {
                                Bson::Int32(x) => i(-x),
                                other => other.clone(),
                            }
                        } else {
                            v.clone()
                        };
                        (f.clone(), v)
                    })
                    .collect();
                d.insert("key", k);
            }
            10 if !d.contains_key("sparse") => {
                if d.contains_key("partialFilterExpression") && rng.chance(40) {
                    d.remove("partialFilterExpression");
                } else {
                    d.insert("partialFilterExpression", filter(rng));
                }
            }
            11 if kind == Kind::Text => {
                if d.contains_key("weights") {
                    d.remove("weights");
                } else {
                    let field = key
                        .iter()
                        .find(|(_, v)| v.as_str() == Some("text"))
                        .map(|(k, _)| k.clone())
                        .unwrap();
                    d.insert("weights", doc! {field: 3});
                }
            }
            _ => continue,
        }
        return d;
    }
    d
}

/// A random pair: (live set, declared set).
pub fn pair(rng: &mut Rng) -> (Vec<Document>, Vec<Document>) {
    let n = rng.weighted(&[(5, 0), (55, 1), (30, 2), (10, 3)]);
    let live: Vec<Document> = (0..n).map(|_| spec(rng)).collect();
    let mut declared = Vec::new();
    if live.is_empty() || rng.chance(12) {
        let m = rng.weighted(&[(70, 1), (30, 2)]);
        declared.extend((0..m).map(|_| spec(rng)));
    } else {
        for l in &live {
            if live.len() > 1 && rng.chance(15) {
                continue;
            }
            let mut d = l.clone();
            let changes = rng.weighted(&[(15, 0), (60, 1), (25, 2)]);
            for _ in 0..changes {
                d = mutate(rng, &d);
            }
            declared.push(d);
        }
        if rng.chance(15) {
            declared.push(spec(rng));
        }
    }
    (live, declared)
}
