//! A query document, in a validator or a view's `$match`: its operators,
//! and the ones not allowed where it is.

use bson::{Bson, Document};

use super::schema::schema_rules;
use super::values::{hint, BSON_TYPES};
use crate::manifest::rules::Finding;

/// Query operators at the top of a query document (`db/matcher/expression_parser.cpp`,
/// `parseTopLevel`'s table); `$text` and `$where` are known but not allowed
/// in a validator or a view.
const TOP_LEVEL_OPERATORS: &[&str] = &[
    "$and",
    "$or",
    "$nor",
    "$expr",
    "$jsonSchema",
    "$comment",
    "$alwaysFalse",
    "$alwaysTrue",
    "$sampleRate",
    "$text",
    "$where",
];

/// Operators on a field (`db/matcher/expression_parser.cpp`, `parseSubField`).
const FIELD_OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$type",
    "$mod",
    "$regex",
    "$options",
    "$elemMatch",
    "$size",
    "$all",
    "$not",
    "$bitsAllSet",
    "$bitsAllClear",
    "$bitsAnySet",
    "$bitsAnyClear",
    "$geoWithin",
    "$within",
    "$geoIntersects",
    "$near",
    "$nearSphere",
    "$geoNear",
    "$minDistance",
    "$maxDistance",
    "$comment",
];

/// Where a query is: a validator, a `$match` of a view, or under an `$elemMatch`.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum QueryIn {
    Validator,
    View,
    Element,
}

pub(super) fn validator_rules(v: &Document, out: &mut Vec<Finding>) {
    query_rules(v, "validator", QueryIn::Validator, out);
}

/// A query document: its operators, the ones not allowed where it is
/// (`expression_parser.cpp`: "not allowed in this context"), and the
/// `$jsonSchema` under any `$and`/`$or`/`$nor`.
pub(super) fn query_rules(d: &Document, at: &str, context: QueryIn, out: &mut Vec<Finding>) {
    for (k, v) in d {
        let path = format!("{at}.{k}");
        if !k.starts_with('$') {
            field_rules(v, &path, context, out);
            continue;
        }
        match k.as_str() {
            "$and" | "$or" | "$nor" => match v.as_array() {
                Some(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Bson::Document(inner) => {
                                query_rules(inner, &format!("{path}[{i}]"), context, out)
                            }
                            _ => out.push(Finding::error(
                                &format!("{path}[{i}]"),
                                "$or/$and/$nor entries need to be full objects",
                            )),
                        }
                    }
                }
                _ => out.push(Finding::error(
                    &path,
                    "$and/$or/$nor must be a nonempty array",
                )),
            },
            "$jsonSchema" => match v {
                Bson::Document(s) => schema_rules(s, &path, out),
                _ => out.push(Finding::error(&path, "$jsonSchema must be an object")),
            },
            "$where" => out.push(Finding::error(
                &path,
                "$where is not allowed in this context",
            )),
            "$text" if context == QueryIn::Validator => out.push(Finding::error(
                &path,
                "$text is not allowed in this context",
            )),
            "$text" if context == QueryIn::Element => out.push(Finding::error(
                &path,
                "$text can only be applied to the top-level document",
            )),
            known if TOP_LEVEL_OPERATORS.contains(&known) => {}
            other => out.push(Finding::error(
                &path,
                format!(
                    "unknown top level operator: {other}. If you have a field name that starts \
                     with a '$' symbol, consider using $getField or $setField."
                ),
            )),
        }
    }
}

/// Whether a query searches text: `$text` at its top, or under `$and`/`$or`/`$nor`.
pub(super) fn has_text(query: &Document) -> bool {
    query.iter().any(|(k, v)| match k.as_str() {
        "$text" => true,
        "$and" | "$or" | "$nor" => v
            .as_array()
            .is_some_and(|items| items.iter().filter_map(Bson::as_document).any(has_text)),
        _ => false,
    })
}

/// The value of a field in a query: a value to equal, or operators.
fn field_rules(v: &Bson, path: &str, context: QueryIn, out: &mut Vec<Finding>) {
    let Bson::Document(ops) = v else {
        return;
    };
    // A document whose first field is not an operator is a value to equal.
    if !ops.keys().next().is_some_and(|k| k.starts_with('$')) {
        return;
    }
    for (op, arg) in ops {
        let path = format!("{path}.{op}");
        match op.as_str() {
            "$near" | "$nearSphere" | "$geoNear" => out.push(Finding::error(
                &path,
                "$geoNear, $near, and $nearSphere are not allowed in this context",
            )),
            "$not" => field_rules(arg, &path, context, out),
            "$elemMatch" => {
                if let Bson::Document(inner) = arg {
                    let operators = inner
                        .keys()
                        .next()
                        .is_some_and(|k| FIELD_OPERATORS.contains(&k.as_str()));
                    if operators {
                        field_rules(arg, &path, context, out);
                    } else if context == QueryIn::Validator {
                        query_rules(inner, &path, context, out);
                    } else {
                        query_rules(inner, &path, QueryIn::Element, out);
                    }
                }
            }
            "$type" => {
                let names: Vec<&Bson> = match arg {
                    Bson::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                for name in names.iter().filter_map(|n| n.as_str()) {
                    if !BSON_TYPES.contains(&name) {
                        out.push(Finding::error(
                            &path,
                            format!("Unknown type name alias: {name}{}", hint(name, BSON_TYPES)),
                        ));
                    }
                }
            }
            known if FIELD_OPERATORS.contains(&known) => {}
            other => out.push(Finding::error(
                &path,
                format!("unknown operator: {other}{}", hint(other, FIELD_OPERATORS)),
            )),
        }
    }
}
