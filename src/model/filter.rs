//! Partial filters in the form the server compares them. Two indexes with
//! the same key are the same index when their filters are equivalent once
//! parsed and normalized: `IndexDescriptor::compareIndexOptions`
//! (`src/mongo/db/index/index_descriptor.cpp`) calls
//! `MatchExpressionParser::parseAndNormalize` and `MatchExpression::equivalent`.
//! The rules below are the parser's and the optimizer's
//! (`src/mongo/db/matcher/expression_parser.cpp`, `expression_tree.cpp`,
//! `expression_leaf.cpp`, `expression_type.cpp`), each checked on mongod
//! 6.0.5 by building one filter beside the other (code 85: the same index):
//! - `{a: v}` is `{a: {$eq: v}}`, also when `v` is a document without
//!   operators (whose own field order does matter);
//! - `{a: {$gt: 1, $lt: 5}}` is `{$and: [{a: {$gt: 1}}, {a: {$lt: 5}}]}`;
//!   nested `$and`s (and `$or`s) are flattened, one of a single clause is
//!   that clause, and the order of their clauses is ignored; a clause
//!   written twice is not merged (`{$and: [{a: 1}, {a: 1}]}` ≠ `{a: 1}`);
//! - numbers compare by value (`1` == `1.0` == `NumberLong(1)`, `-0.0` == `0`);
//! - `$in` is a set (order and repeats ignored), and `$in` of one value is `$eq`;
//! - `$type` is a set of types, by alias or number (`"double"` == `1`),
//!   one type or an array of one the same; `$exists` reads its argument as
//!   a boolean.
//!
//! Anything else (an operator these rules don't know) is kept as written,
//! so at worst two equivalent filters are told apart (a rebuild the server
//! would have spared), never two different ones taken for the same.

use bson::{Bson, Document};

use super::value::normalize;

/// The canonical form of a filter: equal forms mean the server takes the
/// filters for the same. Compare with [`same`].
pub fn canonical(filter: &Document) -> Bson {
    conjunction(clauses(filter))
}

/// Whether two partial filters are equivalent to the server.
pub fn same(a: &Document, b: &Document) -> bool {
    bytes(&canonical(a)) == bytes(&canonical(b))
}

fn bytes(value: &Bson) -> Vec<u8> {
    bson::to_vec(&bson::doc! {"v": value}).unwrap_or_default()
}

/// The clauses a filter document ANDs together, flattened.
fn clauses(filter: &Document) -> Vec<Bson> {
    let mut out = Vec::new();
    for (field, value) in filter {
        match (field.as_str(), value) {
            ("$and", Bson::Array(items)) if items.iter().all(|i| i.as_document().is_some()) => {
                for item in items.iter().filter_map(Bson::as_document) {
                    flatten_into(&mut out, "$and", canonical(item));
                }
            }
            ("$or", Bson::Array(items)) if items.iter().all(|i| i.as_document().is_some()) => {
                let mut alternatives = Vec::new();
                for item in items.iter().filter_map(Bson::as_document) {
                    flatten_into(&mut alternatives, "$or", canonical(item));
                }
                out.push(node("$or", alternatives));
            }
            (op, _) if op.starts_with('$') => out.push(raw(field, value)),
            (path, Bson::Document(ops)) if is_operator_object(ops) => {
                for (op, arg) in ops {
                    out.push(predicate(path, op, arg));
                }
            }
            (path, _) => out.push(predicate(path, "$eq", value)),
        }
    }
    out
}

/// `{a: {$gt: 1}}` has operators; `{a: {b: 1}}` is an equality with a
/// document (the parser looks at the first field's name).
fn is_operator_object(d: &Document) -> bool {
    d.keys().next().is_some_and(|k| k.starts_with('$'))
}

/// Adds `clause` to the clauses of an `op` node, lifting the clauses of a
/// nested node of the same kind.
fn flatten_into(out: &mut Vec<Bson>, op: &str, clause: Bson) {
    match clause {
        Bson::Document(mut d) if d.len() == 1 && d.contains_key(op) => match d.remove(op) {
            Some(Bson::Array(inner)) => out.extend(inner),
            _ => unreachable!("a node holds an array"),
        },
        other => out.push(other),
    }
}

/// The clauses ANDed: one clause is itself, several an `$and` node.
fn conjunction(clauses: Vec<Bson>) -> Bson {
    let mut flat = Vec::new();
    for clause in clauses {
        flatten_into(&mut flat, "$and", clause);
    }
    node("$and", flat)
}

/// An `$and` or `$or` node with its clauses sorted (their order is not
/// compared); a node of one clause is that clause.
fn node(op: &str, mut clauses: Vec<Bson>) -> Bson {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    clauses.sort_by_cached_key(bytes);
    Bson::Document(bson::doc! {op: clauses})
}

fn raw(field: &str, value: &Bson) -> Bson {
    Bson::Document(bson::doc! {"raw": {field: normalize_number(value)}})
}

fn predicate(path: &str, op: &str, arg: &Bson) -> Bson {
    let (op, arg) = match op {
        "$eq" | "$gt" | "$gte" | "$lt" | "$lte" => (op, normalize_number(arg)),
        "$exists" => (op, Bson::Boolean(super::index::truthy(arg))),
        "$in" => match arg {
            Bson::Array(values) => {
                let mut set: Vec<Bson> = values.iter().map(normalize_number).collect();
                set.sort_by_cached_key(bytes);
                set.dedup_by(|a, b| bytes(a) == bytes(b));
                match set.as_slice() {
                    [one] if !matches!(one, Bson::RegularExpression(_)) => ("$eq", one.clone()),
                    _ => (op, Bson::Array(set)),
                }
            }
            other => (op, other.clone()),
        },
        "$type" => (op, type_set(arg).unwrap_or_else(|| arg.clone())),
        _ => (op, normalize_number(arg)),
    };
    Bson::Document(bson::doc! {"path": path, "op": op, "arg": arg})
}

/// Numbers by value, recursively; `-0.0` as `0.0`.
fn normalize_number(value: &Bson) -> Bson {
    match normalize(value) {
        Bson::Double(0.0) => Bson::Double(0.0),
        Bson::Document(d) => Bson::Document(
            d.iter()
                .map(|(k, v)| (k.clone(), normalize_number(v)))
                .collect(),
        ),
        Bson::Array(a) => Bson::Array(a.iter().map(normalize_number).collect()),
        other => other,
    }
}

/// `$type`'s argument as a sorted set of type numbers (`"number"` kept as
/// the word: it is its own alias, not the set of numeric types). `None`
/// for an argument the server would refuse.
fn type_set(arg: &Bson) -> Option<Bson> {
    let one = |v: &Bson| -> Option<Bson> {
        match v {
            Bson::String(s) if s == "number" => Some(Bson::String(s.clone())),
            Bson::String(s) => TYPE_ALIASES
                .iter()
                .find(|(alias, _)| alias == s)
                .map(|(_, n)| Bson::Double(*n as f64)),
            other => super::index::as_f64(other).map(Bson::Double),
        }
    };
    let mut set = match arg {
        Bson::Array(items) => items.iter().map(one).collect::<Option<Vec<_>>>()?,
        other => vec![one(other)?],
    };
    set.sort_by_cached_key(bytes);
    set.dedup_by(|a, b| bytes(a) == bytes(b));
    Some(Bson::Array(set))
}

/// `$type`'s aliases (`src/mongo/bson/bsontypes.cpp`, `kTypeAliasMap`... as
/// `findBSONTypeAlias` reads them).
const TYPE_ALIASES: &[(&str, i32)] = &[
    ("double", 1),
    ("string", 2),
    ("object", 3),
    ("array", 4),
    ("binData", 5),
    ("undefined", 6),
    ("objectId", 7),
    ("bool", 8),
    ("date", 9),
    ("null", 10),
    ("regex", 11),
    ("dbPointer", 12),
    ("javascript", 13),
    ("symbol", 14),
    ("javascriptWithScope", 15),
    ("int", 16),
    ("timestamp", 17),
    ("long", 18),
    ("decimal", 19),
    ("minKey", -1),
    ("maxKey", 127),
];

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
