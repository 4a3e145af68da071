//! Partial filter expressions: the operators MongoDB 6.0 allows there.

use bson::{Bson, Document};

use super::{number, truthy};
use crate::manifest::Invalid;

/// The operators a partial filter may use on MongoDB 6.0
/// (`index_catalog_impl.cpp` `_checkValidFilterExpressions` with
/// featureFlagTimeseriesMetricIndexes, on in 6.0): equality, `$eq`, `$gt`,
/// `$gte`, `$lt`, `$lte`, `$exists: true`, `$type`, `$in`, `$geoWithin`,
/// `$geoIntersects`, `$and` and `$or` at any level, and `$all` of plain values
/// (parsed as equalities); at most 4 levels deep
/// (`internalPartialFilterExpressionMaxDepth`). MongoDB 5.0 allowed `$and`
/// at the top level only and no `$or` or `$in`.
pub fn partial_filter(filter: &Document) -> Result<(), Invalid> {
    let depth = filter_depth(filter)?;
    if depth > 4 {
        return Err(invalid!(
            "nested {depth} levels deep; MongoDB allows 4 (each $and/$or, and each document with several conditions, is a level)"
        ));
    }
    Ok(())
}

/// How many levels the server's parsed form of `doc` has (a document with one
/// condition is that condition; several make an implicit `$and`).
fn filter_depth(doc: &Document) -> Result<usize, Invalid> {
    let mut children = Vec::new();
    for (key, value) in doc {
        match key.as_str() {
            "$and" | "$or" => {
                let items = value
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| invalid!("{key} takes a non-empty list of conditions"))?;
                let mut deepest = 0;
                for item in items {
                    let sub = item
                        .as_document()
                        .ok_or_else(|| invalid!("each item of {key} must be a document"))?;
                    deepest = deepest.max(filter_depth(sub)?);
                }
                children.push(1 + deepest);
            }
            "$comment" => {}
            "$nor" | "$not" => {
                return Err(invalid!(
                    "{key} is not supported in a partial filter (MongoDB allows no negation there)"
                ))
            }
            "$expr" | "$jsonSchema" | "$where" | "$text" | "$alwaysTrue" | "$alwaysFalse" => {
                return Err(invalid!("{key} is not supported in a partial filter"))
            }
            k if k.starts_with('$') => {
                return Err(invalid!(
                    "{key} is not a query operator MongoDB allows at the top of a partial filter"
                ))
            }
            _ => children.extend(field_conditions(key, value)?),
        }
    }
    Ok(match children.len() {
        0 => 1,
        1 => children[0],
        _ => 1 + children.into_iter().max().unwrap_or(1),
    })
}

/// The conditions on one field: each contributes its own depth to the
/// enclosing level. A document whose first field starts with `$` is a set of
/// operators; any other value is an equality.
fn field_conditions(field: &str, value: &Bson) -> Result<Vec<usize>, Invalid> {
    let operators = match value {
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => d,
        Bson::RegularExpression(_) => {
            return Err(invalid!(
                "{field}: a regular expression is not supported in a partial filter"
            ))
        }
        _ => return Ok(vec![1]),
    };
    let mut out = Vec::new();
    for (op, arg) in operators {
        let unsupported = |why: &str| {
            Err(invalid!(
                "{field}: {op} is not supported in a partial filter{why}"
            ))
        };
        match op.as_str() {
            "$eq" | "$gt" | "$gte" | "$lt" | "$lte" => {
                if matches!(arg, Bson::RegularExpression(_)) {
                    return unsupported(" with a regular expression");
                }
                out.push(1)
            }
            "$exists" => {
                if !truthy(arg) {
                    return unsupported(
                        " as false (it is a negation); for \"not set\" write { field: null }",
                    );
                }
                out.push(1)
            }
            "$type" => {
                type_alias(arg).map_err(|why| invalid!("{field}: $type: {why}"))?;
                out.push(1)
            }
            "$in" => {
                let items = arg
                    .as_array()
                    .ok_or_else(|| invalid!("{field}: $in takes a list"))?;
                if items.iter().any(|i| {
                    i.as_document()
                        .is_some_and(|d| d.keys().next().is_some_and(|k| k.starts_with('$')))
                }) {
                    return Err(invalid!("{field}: $in takes values, not operators"));
                }
                out.push(1)
            }
            "$all" => {
                let items = arg
                    .as_array()
                    .ok_or_else(|| invalid!("{field}: $all takes a list"))?;
                if items.is_empty() {
                    return unsupported(" with an empty list (it matches nothing)");
                }
                if items.iter().any(|i| {
                    matches!(i, Bson::RegularExpression(_))
                        || i.as_document()
                            .is_some_and(|d| d.keys().next().is_some_and(|k| k.starts_with('$')))
                }) {
                    return unsupported(" with operators or regular expressions");
                }
                // An $and of one equality per value, even for one value
                // (checked against mongod 6.0.5: it counts as a level).
                out.push(2)
            }
            // The shape itself is the server's to check (a dev server does).
            "$geoWithin" | "$geoIntersects" => {
                let shapes: &[&str] = if op == "$geoWithin" {
                    &["$geometry", "$box", "$polygon", "$center", "$centerSphere"]
                } else {
                    &["$geometry"]
                };
                match arg.as_document() {
                    Some(d)
                        if d.len() == 1
                            && shapes.contains(&d.keys().next().map_or("", String::as_str)) =>
                    {
                        out.push(1)
                    }
                    _ => return Err(invalid!("{field}: {op} takes one of {}", shapes.join(", "))),
                }
            }
            "$ne" | "$nin" | "$not" => {
                return unsupported(" (it is a negation, which partial indexes can't use)")
            }
            "$regex" | "$options" | "$mod" | "$size" | "$elemMatch" | "$bitsAllSet"
            | "$bitsAnySet" | "$bitsAllClear" | "$bitsAnyClear" | "$near" | "$nearSphere"
            | "$text" | "$where" | "$expr" | "$jsonSchema" => return unsupported(""),
            _ => return Err(invalid!("{field}: unknown operator {op}")),
        }
    }
    Ok(out)
}

/// `$type` takes a BSON type name, "number", or a type number
/// (`matcher/expression_type.h`, `bsontypes.cpp`), or a list of them.
fn type_alias(arg: &Bson) -> Result<(), Invalid> {
    #[rustfmt::skip]
    const NAMES: &[&str] = &[
    "double", "string", "object", "array", "binData", "undefined", "objectId", "bool", "date",
    "null", "regex", "dbPointer", "javascript", "symbol", "javascriptWithScope", "int",
    "timestamp", "long", "decimal", "minKey", "maxKey", "number",
    ];
    match arg {
        Bson::String(s) if NAMES.contains(&s.as_str()) => Ok(()),
        Bson::String(s) => Err(invalid!("unknown type name {s:?}")),
        Bson::Array(items) if !items.is_empty() => items.iter().try_for_each(type_alias),
        Bson::Array(_) => Err("an empty list of types".into()),
        other => match number(other) {
            Some(n)
                if n.fract() == 0.0 && ((1.0..=19.0).contains(&n) || n == -1.0 || n == 127.0) =>
            {
                Ok(())
            }
            _ => Err(invalid!("invalid type {other}")),
        },
    }
}
