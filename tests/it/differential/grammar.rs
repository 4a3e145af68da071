//! The grammar of random index specs, and the two renderings of one spec:
//! the BSON document sent to the server and the YAML manifest given to `mig`.
//!
//! A spec is `{key: {...}, name?: "...", ...options}`: without `name`, `mig`
//! uses MongoDB's default name and the driver is given that same name.

use mongodb::bson::{doc, Bson, Document};

/// A small deterministic RNG (SplitMix64): the same seed, the same cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// Picks by weight: `[(weight, value)]`.
    pub fn weighted<T: Clone>(&mut self, items: &[(u32, T)]) -> T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut n = self.below(total as usize) as u32;
        for (w, v) in items {
            if n < *w {
                return v.clone();
            }
            n -= w;
        }
        unreachable!()
    }
}

fn i(n: i32) -> Bson {
    Bson::Int32(n)
}

fn f(x: f64) -> Bson {
    Bson::Double(x)
}

fn s(x: &str) -> Bson {
    Bson::String(x.into())
}

/// A plain field name: mostly ordinary, sometimes one of the edge forms.
fn field(rng: &mut Rng) -> String {
    let odd = ["_id", "$a", "a.$b", "a..b", ".a", "a.", "a.$**.b"];
    if rng.chance(8) {
        rng.pick(&odd).to_string()
    } else {
        rng.pick(&["a", "b", "c", "d", "e", "a.b", "x.y.z", "tags", "user.id"])
            .to_string()
    }
}

/// A key value for an ordinary field: mostly 1 / -1, sometimes an edge value.
fn direction(rng: &mut Rng) -> Bson {
    rng.weighted(&[
        (40, i(1)),
        (30, i(-1)),
        (3, i(2)),
        (3, i(-2)),
        (3, f(0.5)),
        (2, f(-1.0)),
        (3, i(0)),
        (2, s("foo")),
        (1, s("")),
        (3, s("hashed")),
        (1, s("2dsphere")),
        (1, s("2d")),
        (1, s("text")),
    ])
}

/// Distinct fields: a document cannot repeat a key.
fn push(keys: &mut Document, name: String, value: Bson) {
    if !keys.contains_key(&name) {
        keys.insert(name, value);
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Plain,
    Text,
    TwoD,
    Sphere,
    Hashed,
    Wildcard,
    Id,
    Ttl,
}

fn keys(rng: &mut Rng, kind: Kind) -> Document {
    let mut k = Document::new();
    match kind {
        Kind::Plain | Kind::Ttl => {
            let n = if kind == Kind::Ttl && rng.chance(85) {
                1
            } else {
                rng.weighted(&[(50, 1), (30, 2), (15, 3), (5, 4)])
            };
            while k.len() < n {
                let (name, value) = (field(rng), direction(rng));
                push(&mut k, name, value);
            }
        }
        Kind::Text => match rng.below(10) {
            0 => push(&mut k, "$**".into(), s("text")),
            1 => {
                push(&mut k, "a".into(), s("text"));
                push(&mut k, "b".into(), s("text"));
            }
            2 => {
                push(&mut k, "p".into(), i(1));
                push(&mut k, "body".into(), s("text"));
            }
            3 => {
                push(&mut k, "body".into(), s("text"));
                push(&mut k, "s".into(), rng.pick(&[i(1), i(-1), s("2d")]));
            }
            4 => {
                push(&mut k, "body".into(), s("text"));
                push(&mut k, "p".into(), i(1));
                push(&mut k, "title".into(), s("text"));
            }
            _ => push(
                &mut k,
                rng.pick(&["body", "title", "a.b"]).into(),
                s("text"),
            ),
        },
        Kind::TwoD => match rng.below(10) {
            0 => {
                push(&mut k, "r".into(), i(-1));
                push(&mut k, "s".into(), s("2d"));
            }
            1 => {
                push(&mut k, "r".into(), s("2d"));
                push(&mut k, "s".into(), s("2d"));
            }
            2 | 3 => {
                push(&mut k, "loc".into(), s("2d"));
                push(&mut k, "t".into(), rng.pick(&[i(1), i(-1)]));
            }
            _ => push(&mut k, "loc".into(), s("2d")),
        },
        Kind::Sphere => match rng.below(8) {
            0 => {
                push(&mut k, "h".into(), s("hashed"));
                push(&mut k, "loc".into(), s("2dsphere"));
            }
            1 | 2 => {
                push(&mut k, "t".into(), rng.pick(&[i(1), i(-1)]));
                push(&mut k, "loc".into(), s("2dsphere"));
            }
            3 => {
                push(&mut k, "loc".into(), s("2dsphere"));
                push(&mut k, "area".into(), s("2dsphere"));
            }
            _ => push(&mut k, "loc".into(), s("2dsphere")),
        },
        Kind::Hashed => match rng.below(8) {
            0 => {
                push(&mut k, "h".into(), s("hashed"));
                push(&mut k, "g".into(), s("hashed"));
            }
            1 | 2 => {
                push(&mut k, "h".into(), s("hashed"));
                push(&mut k, "t".into(), rng.pick(&[i(1), i(-1)]));
            }
            3 => {
                push(&mut k, "t".into(), i(1));
                push(&mut k, "h".into(), s("hashed"));
            }
            _ => push(&mut k, rng.pick(&["h", "_id", "a.b"]).into(), s("hashed")),
        },
        Kind::Wildcard => {
            let (name, value) = rng.weighted(&[
                (50, ("$**", i(1))),
                (25, ("a.$**", i(1))),
                (4, ("$**", i(-1))),
                (3, ("a.$**.b", i(1))),
                (3, ("$**", f(2.0))),
                (3, ("$**", s("hashed"))),
                (2, ("a.$**", s("2dsphere"))),
            ]);
            push(&mut k, name.into(), value);
            if rng.chance(8) {
                push(&mut k, "b".into(), i(1));
            }
        }
        Kind::Id => {
            push(
                &mut k,
                "_id".into(),
                rng.weighted(&[(8, i(1)), (1, i(-1)), (1, s("hashed"))]),
            );
        }
    }
    k
}

/// A partial filter: mostly what MongoDB 6.0 supports, sometimes not.
pub fn filter(rng: &mut Rng, depth: u32) -> Document {
    let mut d = Document::new();
    let n = rng.weighted(&[(70, 1), (25, 2), (5, 0)]);
    while d.len() < n {
        let logical = depth < 2 && rng.chance(15);
        if logical {
            let op = rng.weighted(&[(5, "$and"), (5, "$or"), (2, "$nor")]);
            let parts: Vec<Bson> = (0..rng.weighted(&[(6, 1), (4, 2)]))
                .map(|_| Bson::Document(filter(rng, depth + 1)))
                .collect();
            d.insert(op, parts);
        } else if rng.chance(3) {
            d.insert("$expr", doc! {"$gt": ["$a", 1]});
        } else {
            let name = rng.pick(&["a", "b", "status", "deletedAt", "n.x", "attributes"]);
            let value = predicate(rng);
            d.insert(name, value);
        }
    }
    d
}

fn predicate(rng: &mut Rng) -> Bson {
    let scalar =
        |rng: &mut Rng| rng.pick(&[i(0), i(1), f(0.5), s("x"), Bson::Null, Bson::Boolean(true)]);
    let op = rng.weighted(&[
        (20, "eq"),
        (6, "$eq"),
        (10, "$gt"),
        (5, "$gte"),
        (5, "$lt"),
        (3, "$lte"),
        (10, "$exists"),
        (6, "$type"),
        (5, "$in"),
        (2, "$nin"),
        (3, "$ne"),
        (2, "$not"),
        (2, "$regex"),
        (2, "$mod"),
        (2, "$elemMatch"),
        (2, "$size"),
        (2, "$all"),
        (2, "gt+lt"),
        (2, "exists+ne"),
    ]);
    match op {
        "eq" => scalar(rng),
        "$eq" => Bson::Document(doc! {"$eq": scalar(rng)}),
        "$gt" | "$gte" | "$lt" | "$lte" => {
            let v = rng.pick(&[
                i(0),
                f(0.5),
                Bson::DateTime(mongodb::bson::DateTime::from_millis(1_704_067_200_000)),
            ]);
            Bson::Document(doc! {op: v})
        }
        "$exists" => Bson::Document(doc! {"$exists": rng.weighted(&[(4, true), (1, false)])}),
        "$type" => Bson::Document(doc! {"$type": rng.pick(&[s("string"), s("number"), i(2)])}),
        "$in" => Bson::Document(doc! {"$in": [1, "x"]}),
        "$nin" => Bson::Document(doc! {"$nin": [1]}),
        "$ne" => Bson::Document(doc! {"$ne": scalar(rng)}),
        "$not" => Bson::Document(doc! {"$not": {"$gt": 1}}),
        "$regex" => Bson::Document(doc! {"$regex": "^x"}),
        "$mod" => Bson::Document(doc! {"$mod": [2, 0]}),
        "$elemMatch" => Bson::Document(doc! {"$elemMatch": {"x": 1}}),
        "$size" => Bson::Document(doc! {"$size": 1}),
        "$all" => Bson::Document(doc! {"$all": [1]}),
        "gt+lt" => Bson::Document(doc! {"$gt": 0, "$lt": 10}),
        "exists+ne" => Bson::Document(doc! {"$exists": true, "$ne": []}),
        _ => unreachable!(),
    }
}

fn collation(rng: &mut Rng) -> Document {
    let mut c = Document::new();
    if rng.chance(95) {
        c.insert(
            "locale",
            rng.weighted(&[
                (20, s("en")),
                (8, s("fr")),
                (6, s("de")),
                (6, s("simple")),
                (4, s("en_US")),
                (2, s("zh@collation=pinyin")),
                (2, s("xx")),
                (2, s("klingon")),
                (1, s("")),
                (1, i(1)),
            ]),
        );
    }
    let extras = rng.weighted(&[(5, 0), (4, 1), (1, 2)]);
    for _ in 0..extras {
        let k = rng.weighted(&[
            (7, "strength"),
            (3, "caseLevel"),
            (3, "caseFirst"),
            (3, "numericOrdering"),
            (2, "alternate"),
            (2, "maxVariable"),
            (2, "backwards"),
            (2, "normalization"),
            (1, "version"),
            (1, "foo"),
        ]);
        let v = match k {
            "strength" => {
                let n = rng.below(7) as i32;
                rng.weighted(&[(6, i(n)), (1, f(2.0))])
            }
            "caseLevel" => rng.pick(&[Bson::Boolean(true), Bson::Boolean(false), i(1)]),
            "caseFirst" => rng.pick(&[s("upper"), s("lower"), s("off"), s("middle")]),
            "numericOrdering" => rng.pick(&[Bson::Boolean(true), s("yes")]),
            "alternate" => rng.pick(&[s("shifted"), s("non-ignorable"), s("x")]),
            "maxVariable" => rng.pick(&[s("punct"), s("space"), s("x")]),
            "backwards" => rng.pick(&[Bson::Boolean(true), i(0)]),
            "normalization" => rng.pick(&[Bson::Boolean(true), s("yes")]),
            "version" => s("57.1"),
            _ => i(1),
        };
        c.insert(k, v);
    }
    c
}

fn text_fields(k: &Document) -> Vec<String> {
    k.iter()
        .filter(|(_, v)| v.as_str() == Some("text"))
        .map(|(f, _)| f.clone())
        .collect()
}

/// One random spec. `n` makes the generated name unique.
pub fn spec(rng: &mut Rng, n: usize) -> Document {
    let kind = rng.weighted(&[
        (30, Kind::Plain),
        (8, Kind::Ttl),
        (14, Kind::Text),
        (8, Kind::TwoD),
        (7, Kind::Sphere),
        (7, Kind::Hashed),
        (12, Kind::Wildcard),
        (5, Kind::Id),
    ]);
    let k = keys(rng, kind);
    let mut d = doc! {"key": k.clone()};
    if rng.chance(88) {
        d.insert(
            "name",
            rng.weighted(&[
                (20, format!("ix{n}")),
                (1, "my_id".into()),
                (1, "_id_".into()),
            ]),
        );
    }
    // How many options, mostly those the kind takes.
    let count = rng.weighted(&[(25, 0), (40, 1), (25, 2), (10, 3)]);
    for _ in 0..count {
        let own = rng.chance(75);
        let (name, value) = if own {
            own_option(rng, kind, &k)
        } else {
            any_option(rng, kind, &k)
        };
        d.insert(name, value);
    }
    d
}

/// An option that suits the kind of index.
fn own_option(rng: &mut Rng, kind: Kind, k: &Document) -> (&'static str, Bson) {
    match kind {
        Kind::Text => match rng.below(6) {
            0 | 1 => {
                let mut fields = text_fields(k);
                if fields.is_empty() || fields[0] == "$**" || rng.chance(15) {
                    fields.push("other".into());
                }
                let mut w = Document::new();
                for fld in fields.iter().take(2) {
                    w.insert(
                        fld.clone(),
                        rng.weighted(&[
                            (6, i(1)),
                            (6, i(10)),
                            (3, f(2.5)),
                            (1, f(0.5)),
                            (1, f(1.9)),
                            (2, i(0)),
                            (2, i(-1)),
                            (2, i(99999)),
                            (2, i(100000)),
                        ]),
                    );
                }
                ("weights", Bson::Document(w))
            }
            2 => (
                "default_language",
                rng.weighted(&[
                    (4, s("english")),
                    (3, s("french")),
                    (2, s("none")),
                    (3, s("spanish")),
                    (2, s("klingon")),
                ]),
            ),
            3 => (
                "language_override",
                rng.weighted(&[(4, s("lang")), (1, s("a.b")), (1, s("$x"))]),
            ),
            4 => ("textIndexVersion", rng.pick(&[i(1), i(2), i(3), i(4)])),
            _ => any_option(rng, kind, k),
        },
        Kind::TwoD => match rng.below(5) {
            0 | 1 => (
                "bits",
                rng.weighted(&[(1, i(0)), (3, i(1)), (3, i(26)), (3, i(32)), (2, i(33))]),
            ),
            2 => ("min", f(rng.pick(&[-180.0, -90.0, 0.0, 5.0, 200.0]))),
            3 => ("max", f(rng.pick(&[180.0, 90.0, 0.0, 5.0, -200.0]))),
            _ => any_option(rng, kind, k),
        },
        Kind::Sphere => match rng.below(3) {
            0 => ("2dsphereIndexVersion", rng.pick(&[i(1), i(2), i(3), i(4)])),
            _ => any_option(rng, kind, k),
        },
        Kind::Wildcard => match rng.below(3) {
            0 | 1 => (
                "wildcardProjection",
                Bson::Document(rng.weighted(&[
                    (1, doc! {}),
                    (4, doc! {"a": 1}),
                    (3, doc! {"a": 0}),
                    (1, doc! {"a": 1, "b": 0}),
                    (2, doc! {"_id": 1}),
                    (2, doc! {"a.b": 1}),
                    (1, doc! {"a": 1, "_id": 0}),
                    (1, doc! {"a": true}),
                ])),
            ),
            _ => any_option(rng, kind, k),
        },
        Kind::Ttl => (
            "expireAfterSeconds",
            rng.weighted(&[
                (6, i(0)),
                (10, i(3600)),
                (3, f(3600.0)),
                (2, f(3600.5)),
                (2, i(-1)),
                (2, i(2_147_483_647)),
                (2, Bson::Int64(2_147_483_648)),
            ]),
        ),
        _ => any_option(rng, kind, k),
    }
}

/// Any option, with edge values.
fn any_option(rng: &mut Rng, kind: Kind, k: &Document) -> (&'static str, Bson) {
    let which = rng.weighted(&[
        (10, "unique"),
        (6, "sparse"),
        (6, "hidden"),
        (12, "partialFilterExpression"),
        (10, "collation"),
        (3, "expireAfterSeconds"),
        (2, "background"),
        (1, "weights"),
        (1, "default_language"),
        (1, "language_override"),
        (1, "wildcardProjection"),
        (1, "bits"),
        (1, "min"),
        (1, "2dsphereIndexVersion"),
    ]);
    let boolish = |rng: &mut Rng| {
        rng.weighted(&[
            (8, Bson::Boolean(true)),
            (2, Bson::Boolean(false)),
            (1, i(1)),
            (1, i(0)),
        ])
    };
    let v = match which {
        "unique" | "sparse" | "hidden" => boolish(rng),
        "partialFilterExpression" => Bson::Document(filter(rng, 0)),
        "collation" => Bson::Document(collation(rng)),
        "expireAfterSeconds" => rng.pick(&[i(3600), i(0), f(60.0)]),
        "background" => Bson::Boolean(true),
        "weights" => Bson::Document(doc! {"a": 2}),
        "default_language" => s("french"),
        "language_override" => s("lang"),
        "wildcardProjection" => Bson::Document(doc! {"a": 1}),
        "bits" => i(20),
        "min" => f(-10.0),
        "2dsphereIndexVersion" => i(2),
        _ => unreachable!(),
    };
    let _ = (kind, k);
    (which, v)
}

/// MongoDB's default index name (`field_1_other_-1`), as the shell and `mig` make it.
pub fn default_name(keys: &Document) -> String {
    keys.iter()
        .map(|(field, value)| {
            let v = match value {
                Bson::String(s) => s.clone(),
                Bson::Int32(n) => n.to_string(),
                Bson::Int64(n) => n.to_string(),
                Bson::Double(x) if x.fract() == 0.0 => format!("{}", *x as i64),
                Bson::Double(x) => x.to_string(),
                other => other.to_string(),
            };
            format!("{field}_{v}")
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// The spec as `createIndexes` gets it: with a name.
pub fn server_form(spec: &Document) -> Document {
    let mut d = spec.clone();
    if !d.contains_key("name") {
        let keys = d.get_document("key").cloned().unwrap_or_default();
        let mut named = doc! {"key": keys.clone(), "name": default_name(&keys)};
        d.remove("key");
        named.extend(d);
        return named;
    }
    d
}

/// Extended JSON that keeps every numeric type: Int32 as a plain integer,
/// Double always with a fraction or exponent, Int64 as `$numberLong`.
pub fn ejson(b: &Bson) -> String {
    match b {
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => format!("{{\"$numberLong\": \"{n}\"}}"),
        Bson::Double(x) if x.is_finite() => {
            let t = format!("{x:?}");
            if t.contains('.') || t.contains('e') {
                t
            } else {
                format!("{t}.0")
            }
        }
        Bson::Double(x) => format!("{{\"$numberDouble\": \"{x}\"}}"),
        Bson::String(s) => serde_json::to_string(s).unwrap(),
        Bson::Boolean(v) => v.to_string(),
        Bson::Null => "null".into(),
        Bson::Array(items) => format!(
            "[{}]",
            items.iter().map(ejson).collect::<Vec<_>>().join(", ")
        ),
        Bson::Document(d) => ejson_doc(d),
        Bson::DateTime(t) => format!(
            "{{\"$date\": {{\"$numberLong\": \"{}\"}}}}",
            t.timestamp_millis()
        ),
        other => other.clone().into_canonical_extjson().to_string(),
    }
}

pub fn ejson_doc(d: &Document) -> String {
    format!(
        "{{{}}}",
        d.iter()
            .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap(), ejson(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Parses what [`ejson`] writes.
pub fn parse_ejson(text: &str) -> Result<Document, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match Bson::try_from(v).map_err(|e| e.to_string())? {
        Bson::Document(d) => Ok(d),
        other => Err(format!("not a document: {other}")),
    }
}

/// A one-collection manifest declaring `spec` in collection `coll`. Every value
/// is written as JSON flow YAML, so its type is exact: `1` an integer (Int32),
/// `1.0` a float (Double); Int64 and dates go as Extended JSON, which `mig`
/// reads in document options (and nowhere else, which is a finding of its own).
pub fn manifest(coll: &str, spec: &Document) -> String {
    let mut out = format!("scope: public\ncollections:\n  - name: {coll}\n    indexes:\n");
    let mut first = true;
    let mut line = |text: String| {
        let lead = if first { "      - " } else { "        " };
        first = false;
        out.push_str(lead);
        out.push_str(&text);
        out.push('\n');
    };
    if let Some(name) = spec.get("name") {
        line(format!("name: {}", yaml_scalar(name)));
    }
    for (k, v) in spec {
        match k.as_str() {
            "name" => {}
            "key" => line(format!("keys: {}", ejson(v))),
            _ => line(format!(
                "{}: {}",
                serde_json::to_string(k).unwrap(),
                yaml_scalar(v)
            )),
        }
    }
    out
}

/// A top-level option value in YAML: documents as JSON flow mappings; an Int64
/// as a plain integer (YAML has one integer type; `mig` reads it as i64).
fn yaml_scalar(v: &Bson) -> String {
    match v {
        Bson::Int64(n) => n.to_string(),
        other => ejson(other),
    }
}

// Collection options: `create`'s options for one collection or view, valid
// and invalid, as the server takes them (`{validator: ..., capped: true, ...}`).

/// A `$jsonSchema`: mostly keywords the server reads with values it takes,
/// sometimes a typo, an unsupported keyword or a value of the wrong kind.
pub fn schema(rng: &mut Rng, depth: u32) -> Document {
    let mut d = Document::new();
    let n = rng.weighted(&[(50, 1), (35, 2), (15, 3)]);
    let mut tries = 0;
    while d.len() < n && tries < 10 {
        tries += 1;
        let nested = depth < 2;
        let k = rng.weighted(&[
            (14, "bsonType"),
            (4, "type"),
            (10, "required"),
            (if nested { 12 } else { 0 }, "properties"),
            (4, "minimum"),
            (2, "maximum"),
            (3, "exclusiveMinimum"),
            (4, "minLength"),
            (2, "maxItems"),
            (2, "maxProperties"),
            (4, "enum"),
            (2, "pattern"),
            (if nested { 3 } else { 0 }, "items"),
            (3, "additionalProperties"),
            (if nested { 3 } else { 0 }, "anyOf"),
            (if nested { 1 } else { 0 }, "not"),
            (2, "description"),
            (1, "title"),
            (1, "uniqueItems"),
            (2, "dependencies"),
            (2, "multipleOf"),
            (3, "typo"),
            (2, "unsupported"),
        ]);
        let (key, value): (&str, Bson) = match k {
            "bsonType" => (
                k,
                rng.weighted(&[
                    (10, s("string")),
                    (6, s("int")),
                    (4, s("object")),
                    (3, s("long")),
                    (3, s("date")),
                    (3, s("bool")),
                    (3, s("number")),
                    (2, s("objectId")),
                    (2, s("decimal")),
                    (2, s("array")),
                    (3, Bson::Array(vec![s("string"), s("null")])),
                    (2, s("strin")),
                    (2, s("integer")),
                    (2, s("boolean")),
                    (1, Bson::Array(vec![])),
                    (1, Bson::Array(vec![s("int"), s("int")])),
                    (1, i(2)),
                ]),
            ),
            "type" => (
                k,
                rng.weighted(&[
                    (5, s("string")),
                    (3, s("object")),
                    (3, s("number")),
                    (2, s("boolean")),
                    (2, Bson::Array(vec![s("string"), s("null")])),
                    (2, s("integer")),
                    (2, s("int")),
                    (1, s("date")),
                ]),
            ),
            "required" => (
                k,
                rng.weighted(&[
                    (8, Bson::Array(vec![s("a")])),
                    (5, Bson::Array(vec![s("a"), s("b")])),
                    (2, Bson::Array(vec![])),
                    (2, Bson::Array(vec![s("a"), s("a")])),
                    (1, Bson::Array(vec![i(1)])),
                    (1, s("a")),
                ]),
            ),
            "properties" => {
                let mut p = Document::new();
                for _ in 0..rng.weighted(&[(6, 1), (4, 2)]) {
                    let name = rng.pick(&["a", "b", "c", "d.e"]);
                    let v = if rng.chance(6) {
                        i(1)
                    } else {
                        Bson::Document(schema(rng, depth + 1))
                    };
                    p.insert(name, v);
                }
                (k, Bson::Document(p))
            }
            "minimum" | "maximum" => (
                k,
                rng.weighted(&[(6, i(0)), (4, f(1.5)), (2, Bson::Int64(5)), (2, s("x"))]),
            ),
            "exclusiveMinimum" => {
                if rng.chance(60) {
                    d.insert("minimum", i(0));
                }
                (k, rng.weighted(&[(5, Bson::Boolean(true)), (1, i(1))]))
            }
            "minLength" | "maxItems" | "maxProperties" => (
                k,
                rng.weighted(&[
                    (6, i(1)),
                    (3, i(0)),
                    (2, Bson::Int64(5)),
                    (2, f(3.0)),
                    (2, i(-1)),
                    (2, f(1.5)),
                    (1, s("x")),
                ]),
            ),
            "enum" => (
                k,
                rng.weighted(&[
                    (6, Bson::Array(vec![i(1), s("a")])),
                    (3, Bson::Array(vec![s("x"), Bson::Null])),
                    (2, Bson::Array(vec![])),
                    (2, Bson::Array(vec![i(1), f(1.0)])),
                    (1, i(1)),
                ]),
            ),
            "pattern" => (k, rng.weighted(&[(5, s("^a")), (1, i(1))])),
            "items" => (
                k,
                match rng.weighted(&[(5, 0), (2, 1), (1, 2)]) {
                    0 => Bson::Document(schema(rng, depth + 1)),
                    1 => Bson::Array(vec![Bson::Document(schema(rng, depth + 1))]),
                    _ => Bson::Boolean(true),
                },
            ),
            "additionalProperties" => (
                k,
                rng.weighted(&[
                    (5, Bson::Boolean(false)),
                    (2, Bson::Boolean(true)),
                    (2, Bson::Document(doc! {"bsonType": "string"})),
                    (1, i(1)),
                ]),
            ),
            "anyOf" => (
                k,
                match rng.weighted(&[(5, 0), (1, 1), (1, 2)]) {
                    0 => Bson::Array(vec![
                        Bson::Document(schema(rng, depth + 1)),
                        Bson::Document(schema(rng, depth + 1)),
                    ]),
                    1 => Bson::Array(vec![]),
                    _ => Bson::Array(vec![i(1)]),
                },
            ),
            "not" => (k, Bson::Document(schema(rng, depth + 1))),
            "description" | "title" => (k, rng.weighted(&[(5, s("why")), (1, i(1))])),
            "uniqueItems" => (k, rng.weighted(&[(5, Bson::Boolean(true)), (1, i(1))])),
            "dependencies" => (
                k,
                Bson::Document(rng.weighted(&[
                    (5, doc! {"a": ["b"]}),
                    (2, doc! {"a": {"required": ["b"]}}),
                    (1, doc! {"a": []}),
                    (1, doc! {"a": ["b", "b"]}),
                    (1, doc! {"a": 1}),
                ])),
            ),
            "multipleOf" => (
                k,
                rng.weighted(&[(5, i(2)), (2, f(0.5)), (1, i(0)), (1, i(-1))]),
            ),
            "typo" => (
                rng.pick(&["requird", "maxLenght", "foo", "bsontype", "propertes"]),
                i(1),
            ),
            _ => (rng.pick(&["format", "$ref", "default", "$schema"]), s("x")),
        };
        if !d.contains_key(key) {
            d.insert(key, value);
        }
    }
    d
}

/// A query validator: what a `find` filter may say, and what a validator may not.
pub fn query(rng: &mut Rng, depth: u32) -> Document {
    let mut d = Document::new();
    let n = rng.weighted(&[(55, 1), (35, 2), (10, 3)]);
    let mut tries = 0;
    while d.len() < n && tries < 10 {
        tries += 1;
        let which = rng.weighted(&[
            (40, "field"),
            (if depth < 2 { 10 } else { 0 }, "logical"),
            (4, "$expr"),
            (3, "$jsonSchema"),
            (2, "$comment"),
            (2, "$text"),
            (2, "$where"),
            (2, "$near"),
            (2, "unknown"),
            (1, "$and[]"),
        ]);
        let (key, value): (String, Bson) = match which {
            "field" => (
                rng.pick(&["a", "b", "status", "n.x", "tags"]).to_string(),
                match rng.weighted(&[(20, 0), (3, 1), (9, 2)]) {
                    0 => predicate(rng),
                    1 => Bson::Document(
                        doc! {"$type": rng.pick(&[s("string"), s("strin"), s("number"), s("bool")])},
                    ),
                    _ => rng.weighted(&[
                        (2, Bson::Document(doc! {"$foo": 1})),
                        (2, Bson::Document(doc! {"$exist": true})),
                        (2, Bson::Document(doc! {"$elemMatch": {"$where": "true"}})),
                        (2, Bson::Document(doc! {"$not": {"$near": [0, 0]}})),
                        (
                            1,
                            Bson::Document(doc! {"$geoWithin": {"$center": [[0, 0], 1]}}),
                        ),
                        (1, Bson::Document(doc! {"$jsonSchema": {}})),
                    ]),
                },
            ),
            "logical" => {
                let op = rng.pick(&["$and", "$or", "$nor"]);
                let parts: Vec<Bson> = (0..rng.weighted(&[(6, 1), (4, 2)]))
                    .map(|_| Bson::Document(query(rng, depth + 1)))
                    .collect();
                (op.to_string(), Bson::Array(parts))
            }
            "$expr" => ("$expr".into(), Bson::Document(doc! {"$gt": ["$a", 1]})),
            "$jsonSchema" => ("$jsonSchema".into(), Bson::Document(schema(rng, 1))),
            "$comment" => ("$comment".into(), s("why")),
            "$text" => ("$text".into(), Bson::Document(doc! {"$search": "x"})),
            "$where" => ("$where".into(), s("true")),
            "$near" => ("loc".into(), Bson::Document(doc! {"$near": [0, 0]})),
            "unknown" => (rng.pick(&["$foo", "$regex"]).to_string(), i(1)),
            _ => ("$and".into(), Bson::Array(vec![])),
        };
        if !d.contains_key(&key) {
            d.insert(key, value);
        }
    }
    d
}

/// A view's stage: mostly ordinary ones, sometimes what a view can't have.
fn stage(rng: &mut Rng, depth: u32) -> Document {
    let sub = |rng: &mut Rng| -> Vec<Bson> {
        (0..rng.weighted(&[(6, 1), (3, 2)]))
            .map(|_| Bson::Document(stage(rng, depth + 1)))
            .collect()
    };
    let which = rng.weighted(&[
        (12, "$match"),
        (6, "$project"),
        (5, "$sort"),
        (4, "$limit"),
        (2, "$skip"),
        (4, "$group"),
        (2, "$unwind"),
        (3, "$set"),
        (2, "$unset"),
        (2, "$count"),
        (1, "$sample"),
        (3, "$lookup"),
        (if depth < 1 { 3 } else { 0 }, "$lookup+pipeline"),
        (2, "$unionWith"),
        (if depth < 1 { 2 } else { 0 }, "$unionWith+pipeline"),
        (if depth < 1 { 2 } else { 0 }, "$facet"),
        (1, "$geoNear"),
        (1, "$collStats"),
        (1, "$indexStats"),
        (1, "$planCacheStats"),
        (3, "$out"),
        (3, "$merge"),
        (2, "$changeStream"),
        (1, "$documents"),
        (1, "$currentOp"),
        (2, "unknown"),
        (2, "$match $where"),
        (2, "$match $near"),
        (1, "$match $text"),
        (1, "two fields"),
    ]);
    match which {
        "$match" => doc! {"$match": query(rng, 1)},
        "$project" => doc! {"$project": rng.weighted(&[
            (5, doc! {"a": 1}),
            (3, doc! {"a": 0}),
            (2, doc! {"_id": 0, "a": 1}),
            (2, doc! {"a": 1, "b": "$c"}),
            (1, doc! {"a": 1, "b": 0}),
            (1, doc! {"a": false, "b": true}),
            (1, doc! {"a": 0, "b": "$c"}),
            (1, doc! {}),
        ])},
        "$sort" => {
            doc! {"$sort": rng.pick(&[doc! {"a": 1}, doc! {"a": -1, "b": 1}, doc! {"b": 1, "a": 1}])}
        }
        "$limit" => doc! {"$limit": rng.pick(&[i(5), Bson::Int64(10), f(3.0)])},
        "$skip" => doc! {"$skip": i(1)},
        "$group" => doc! {"$group": {"_id": "$a", "n": {"$sum": 1}}},
        "$unwind" => doc! {"$unwind": "$tags"},
        "$set" => doc! {"$set": {"x": 1}},
        "$unset" => doc! {"$unset": "b"},
        "$count" => doc! {"$count": "n"},
        "$sample" => doc! {"$sample": {"size": 1}},
        "$lookup" => {
            doc! {"$lookup": {"from": "other", "localField": "a", "foreignField": "b", "as": "c"}}
        }
        "$lookup+pipeline" => {
            doc! {"$lookup": {"from": "other", "pipeline": sub(rng), "as": "c"}}
        }
        "$unionWith" => doc! {"$unionWith": "other"},
        "$unionWith+pipeline" => doc! {"$unionWith": {"coll": "other", "pipeline": sub(rng)}},
        "$facet" => doc! {"$facet": {"a": sub(rng)}},
        "$geoNear" => doc! {"$geoNear": {"near": [0, 0], "distanceField": "d"}},
        "$collStats" => doc! {"$collStats": {}},
        "$indexStats" => doc! {"$indexStats": {}},
        "$planCacheStats" => doc! {"$planCacheStats": {}},
        "$out" => doc! {"$out": "elsewhere"},
        "$merge" => doc! {"$merge": {"into": "elsewhere"}},
        "$changeStream" => doc! {"$changeStream": {}},
        "$documents" => doc! {"$documents": [{"a": 1}]},
        "$currentOp" => doc! {"$currentOp": {}},
        "unknown" => {
            let mut d = Document::new();
            d.insert(rng.pick(&["$foo", "$projet", "match"]), doc! {"a": 1});
            d
        }
        "$match $where" => doc! {"$match": {"$where": "true"}},
        "$match $near" => doc! {"$match": {"loc": {"$near": [0, 0]}}},
        "$match $text" => doc! {"$match": {"$text": {"$search": "x"}}},
        _ => doc! {"$match": {"a": 1}, "$limit": 1},
    }
}

/// The default bucket span of a time-series granularity (6.0).
fn default_span(granularity: &str) -> i32 {
    match granularity {
        "minutes" => 86_400,
        "hours" => 2_592_000,
        _ => 3600,
    }
}

/// One option of any kind, for combinations (good and bad).
fn collection_option(rng: &mut Rng, d: &mut Document) {
    let which = rng.weighted(&[
        (4, "validator"),
        (3, "validationLevel"),
        (3, "validationAction"),
        (3, "collation"),
        (3, "capped"),
        (2, "size"),
        (2, "max"),
        (2, "expireAfterSeconds"),
        (2, "clusteredIndex"),
        (3, "changeStreamPreAndPostImages"),
        (1, "timeseries"),
        (1, "pipeline"),
    ]);
    if d.contains_key(which) {
        return;
    }
    let v = match which {
        "validator" => Bson::Document(doc! {"a": {"$exists": true}}),
        "validationLevel" => rng.weighted(&[
            (4, s("moderate")),
            (3, s("off")),
            (3, s("strict")),
            (1, s("medium")),
        ]),
        "validationAction" => rng.weighted(&[(5, s("warn")), (4, s("error")), (1, s("ignore"))]),
        "collation" => Bson::Document(if rng.chance(70) {
            doc! {"locale": "fr"}
        } else {
            collation(rng)
        }),
        "capped" => Bson::Boolean(rng.chance(80)),
        "size" => i(4096),
        "max" => i(10),
        "expireAfterSeconds" => rng.pick(&[i(60), i(0)]),
        "clusteredIndex" => Bson::Document(doc! {"key": {"_id": 1}, "unique": true}),
        "changeStreamPreAndPostImages" => Bson::Document(doc! {"enabled": rng.chance(70)}),
        "timeseries" => Bson::Document(doc! {"timeField": "t"}),
        _ => Bson::Array(vec![Bson::Document(doc! {"$match": {"a": 1}})]),
    };
    d.insert(which, v);
}

/// One random collection's `create` options.
pub fn collection(rng: &mut Rng) -> Document {
    let kind = rng.weighted(&[
        (20, "schema"),
        (14, "query"),
        (4, "level"),
        (14, "capped"),
        (14, "timeseries"),
        (9, "clustered"),
        (4, "preimages"),
        (16, "view"),
        (3, "collation"),
    ]);
    let mut d = Document::new();
    match kind {
        "schema" => {
            d.insert("validator", doc! {"$jsonSchema": schema(rng, 0)});
        }
        "query" => {
            d.insert("validator", query(rng, 0));
        }
        "level" => {
            if rng.chance(70) {
                d.insert(
                    "validationLevel",
                    rng.weighted(&[(4, s("moderate")), (3, s("off")), (3, s("strict"))]),
                );
            }
            if d.is_empty() || rng.chance(50) {
                d.insert(
                    "validationAction",
                    rng.weighted(&[(5, s("warn")), (4, s("error"))]),
                );
            }
        }
        "capped" => {
            if rng.chance(92) {
                d.insert("capped", Bson::Boolean(rng.chance(90)));
            }
            if rng.chance(90) {
                d.insert(
                    "size",
                    rng.weighted(&[
                        (10, i(1000)),
                        (6, i(4096)),
                        (3, i(1)),
                        (3, f(1000.5)),
                        (2, Bson::Int64(1 << 50)),
                        (2, Bson::Int64((1 << 50) + 1)),
                        (2, i(0)),
                        (2, i(-1)),
                    ]),
                );
            }
            if rng.chance(40) {
                d.insert(
                    "max",
                    rng.weighted(&[
                        (8, i(5)),
                        (3, i(0)),
                        (2, i(-1)),
                        (2, f(5.5)),
                        (2, i(2_147_483_647)),
                        (2, Bson::Int64(2_147_483_648)),
                    ]),
                );
            }
        }
        "timeseries" => {
            let mut t = Document::new();
            t.insert(
                "timeField",
                rng.weighted(&[(20, s("t")), (2, s("a.b")), (1, s("")), (1, s("_id"))]),
            );
            if rng.chance(60) {
                t.insert(
                    "metaField",
                    rng.weighted(&[
                        (20, s("m")),
                        (2, s("t")),
                        (2, s("_id")),
                        (2, s("a.b")),
                        (1, s("")),
                    ]),
                );
            }
            let granularity = if rng.chance(60) {
                let g = rng.weighted(&[(5, "seconds"), (4, "minutes"), (4, "hours")]);
                t.insert("granularity", g);
                g
            } else {
                "seconds"
            };
            if rng.chance(15) {
                t.insert(
                    "bucketMaxSpanSeconds",
                    rng.weighted(&[(4, i(default_span(granularity))), (2, i(60)), (1, i(3600))]),
                );
                if rng.chance(30) {
                    t.insert(
                        "bucketRoundingSeconds",
                        t.get("bucketMaxSpanSeconds").cloned().unwrap(),
                    );
                }
            }
            d.insert("timeseries", t);
            if rng.chance(40) {
                d.insert(
                    "expireAfterSeconds",
                    rng.weighted(&[
                        (8, i(3600)),
                        (3, i(0)),
                        (2, f(60.5)),
                        (2, i(-1)),
                        (2, Bson::Int64(4_294_967_296)),
                    ]),
                );
            }
            if rng.chance(15) {
                d.insert("collation", doc! {"locale": "fr"});
            }
        }
        "clustered" => {
            let mut c = Document::new();
            c.insert(
                "key",
                rng.weighted(&[
                    (20, doc! {"_id": 1}),
                    (2, doc! {"a": 1}),
                    (2, doc! {"_id": -1}),
                    (1, doc! {"_id": 1.0}),
                ]),
            );
            match rng.below(20) {
                0 => {}
                1 => {
                    c.insert("unique", false);
                }
                2 => {
                    c.insert("unique", 1);
                }
                _ => {
                    c.insert("unique", true);
                }
            }
            if rng.chance(20) {
                c.insert("name", rng.weighted(&[(4, s("k")), (1, i(5))]));
            }
            if rng.chance(10) {
                c.insert("v", rng.weighted(&[(3, i(2)), (1, i(1))]));
            }
            d.insert("clusteredIndex", c);
            if rng.chance(50) {
                d.insert(
                    "expireAfterSeconds",
                    rng.weighted(&[(8, i(60)), (3, i(0)), (2, i(-1))]),
                );
            }
        }
        "preimages" => {
            d.insert(
                "changeStreamPreAndPostImages",
                doc! {"enabled": rng.chance(70)},
            );
        }
        "view" => {
            d.insert(
                "viewOn",
                rng.weighted(&[(40, s("src")), (1, s("")), (1, s("a$b"))]),
            );
            if rng.chance(85) {
                let stages: Vec<Bson> = (0..rng.weighted(&[(2, 0), (5, 1), (3, 2), (2, 3)]))
                    .map(|_| Bson::Document(stage(rng, 0)))
                    .collect();
                d.insert("pipeline", stages);
            }
            if rng.chance(10) {
                d.insert("collation", doc! {"locale": "fr"});
            }
        }
        _ => {
            d.insert("collation", collation(rng));
        }
    }
    // Combinations: mostly none, sometimes another option of any kind.
    for _ in 0..rng.weighted(&[(70, 0), (25, 1), (5, 2)]) {
        collection_option(rng, &mut d);
    }
    d
}

/// A one-collection manifest declaring collection `coll` with `options`:
/// each option as JSON flow YAML, so its type is exact (see [`manifest`]).
pub fn collection_manifest(coll: &str, options: &Document) -> String {
    let mut out = format!("scope: public\ncollections:\n  - name: {coll}\n");
    for (k, v) in options {
        out.push_str(&format!(
            "    {}: {}\n",
            serde_json::to_string(k).unwrap(),
            yaml_scalar(v)
        ));
    }
    out
}

/// The same collection declared otherwise: one option changed, added or
/// turned off, as a later manifest would (`None` when nothing fits). What
/// `collMod` can change must then be changed; the rest is reported.
pub fn mutate(rng: &mut Rng, options: &Document) -> Option<Document> {
    let mut d = options.clone();
    let keys: Vec<String> = d.keys().cloned().collect();
    let key = if keys.is_empty() || rng.chance(15) {
        // An option added.
        rng.pick(&[
            "validator",
            "validationLevel",
            "validationAction",
            "changeStreamPreAndPostImages",
            "collation",
        ])
        .to_string()
    } else {
        rng.pick(&keys)
    };
    let value = match key.as_str() {
        "validator" => Bson::Document(rng.weighted(&[
            (4, doc! {"b": {"$exists": true}}),
            (3, doc! {"$jsonSchema": {"required": ["z"], "properties": {"z": {"bsonType": "int", "minimum": 1}}}}),
            (2, doc! {}),
        ])),
        "validationLevel" => rng.pick(&[s("off"), s("strict"), s("moderate")]),
        "validationAction" => rng.pick(&[s("error"), s("warn")]),
        "changeStreamPreAndPostImages" => {
            let on = d
                .get_document(&key)
                .ok()
                .and_then(|p| p.get_bool("enabled").ok())
                .unwrap_or(false);
            Bson::Document(doc! {"enabled": !on})
        }
        "collation" => Bson::Document(doc! {"locale": rng.pick(&["de", "fr", "simple"])}),
        "size" => rng.pick(&[i(8192), i(300), i(2_000_000)]),
        "max" => rng.pick(&[i(3), i(100), i(0)]),
        "capped" => Bson::Boolean(!d.get_bool("capped").unwrap_or(false)),
        "expireAfterSeconds" => rng.pick(&[i(120), i(0), s("off")]),
        "timeseries" => {
            let mut t = d.get_document(&key).ok()?.clone();
            match rng.below(3) {
                0 => {
                    t.insert("granularity", rng.pick(&["seconds", "minutes", "hours"]));
                    t.remove("bucketMaxSpanSeconds");
                }
                1 => {
                    t.insert("metaField", "other");
                }
                _ => {
                    t.insert("timeField", "at");
                }
            }
            Bson::Document(t)
        }
        "clusteredIndex" => Bson::Document(doc! {"key": {"_id": 1}, "unique": true, "name": "renamed"}),
        "viewOn" => s("src2"),
        "pipeline" => {
            let mut p = d.get_array(&key).ok()?.clone();
            if p.is_empty() || rng.chance(50) {
                p.push(Bson::Document(doc! {"$limit": 7}));
            } else {
                p.reverse();
                p.truncate(1);
            }
            Bson::Array(p)
        }
        _ => return None,
    };
    d.insert(key, value);
    (d != *options).then_some(d)
}
