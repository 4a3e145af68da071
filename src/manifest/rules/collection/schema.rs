//! One `$jsonSchema`: its keywords, their values, and the schemas within it.

use bson::{Bson, Document};

use super::values::{hint, number, BSON_TYPES};
use crate::manifest::rules::Finding;

/// `$jsonSchema` keywords the 6.0 server reads (`json_schema_parser.cpp`).
const SCHEMA_KEYWORDS: &[&str] = &[
    "additionalItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "bsonType",
    "dependencies",
    "description",
    "encrypt",
    "encryptMetadata",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "multipleOf",
    "not",
    "oneOf",
    "pattern",
    "patternProperties",
    "properties",
    "required",
    "title",
    "type",
    "uniqueItems",
];

/// JSON Schema keywords the server knows and refuses: "not currently supported".
const UNSUPPORTED_KEYWORDS: &[&str] =
    &["$ref", "$schema", "default", "definitions", "format", "id"];

/// JSON types `type` takes (`integer` is JSON Schema's, not supported).
const JSON_TYPES: &[&str] = &["object", "array", "number", "boolean", "string", "null"];

/// The type of a value, as the server names it in messages.
fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Int32(_) => "int",
        Bson::Int64(_) => "long",
        Bson::Double(_) => "double",
        Bson::Decimal128(_) => "decimal",
        Bson::String(_) => "string",
        Bson::Boolean(_) => "bool",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Null => "null",
        _ => "another type",
    }
}

/// Whether a list has a value twice (numbers compared by value).
fn duplicate(items: &[Bson]) -> Option<&Bson> {
    let norm = |v: &Bson| crate::model::value::normalize(v);
    items
        .iter()
        .enumerate()
        .find(|(i, a)| items[..*i].iter().any(|b| norm(a) == norm(b)))
        .map(|(_, v)| v)
}

/// One `$jsonSchema` (`db/matcher/schema/json_schema_parser.cpp`, r6.0.5).
pub(super) fn schema_rules(s: &Document, at: &str, out: &mut Vec<Finding>) {
    if s.contains_key("type") && s.contains_key("bsonType") {
        out.push(Finding::error(
            at,
            "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'",
        ));
    }
    for (bound, exclusive) in [
        ("minimum", "exclusiveMinimum"),
        ("maximum", "exclusiveMaximum"),
    ] {
        if s.contains_key(exclusive) && !s.contains_key(bound) {
            out.push(Finding::error(
                &format!("{at}.{exclusive}"),
                format!(
                    "$jsonSchema keyword '{bound}' must be a present if {exclusive} is present"
                ),
            ));
        }
    }
    for (k, v) in s {
        let path = format!("{at}.{k}");
        let bad =
            |out: &mut Vec<Finding>, message: String| out.push(Finding::error(&path, message));
        if UNSUPPORTED_KEYWORDS.contains(&k.as_str()) {
            bad(
                out,
                format!("$jsonSchema keyword '{k}' is not currently supported"),
            );
            continue;
        }
        if !SCHEMA_KEYWORDS.contains(&k.as_str()) {
            bad(
                out,
                format!(
                    "Unknown $jsonSchema keyword: {k}{}",
                    hint(k, SCHEMA_KEYWORDS)
                ),
            );
            continue;
        }
        let sub = |v: &Bson, path: &str, out: &mut Vec<Finding>, what: &str| match v {
            Bson::Document(d) => schema_rules(d, path, out),
            other => out.push(Finding::error(
                path,
                format!("{what}, but found an element of type {}", type_name(other)),
            )),
        };
        match k.as_str() {
            "bsonType" | "type" => {
                let names: Vec<&Bson> = match v {
                    Bson::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                if names.is_empty() {
                    bad(
                        out,
                        format!("$jsonSchema keyword '{k}' must name at least one type"),
                    );
                }
                let known = if k == "bsonType" { BSON_TYPES } else { JSON_TYPES };
                let mut seen = Vec::new();
                for name in names {
                    match name.as_str() {
                        Some(n) if seen.contains(&n) => {
                            bad(out, format!("$jsonSchema keyword '{k}' has duplicate value: {n}"))
                        }
                        Some(n) if known.contains(&n) => seen.push(n),
                        Some("integer") => bad(
                            out,
                            "$jsonSchema type 'integer' is not currently supported.: use bsonType \"int\" or \"long\"".into(),
                        ),
                        Some(n) => {
                            bad(out, format!("Unknown type name alias: {n}{}", hint(n, known)))
                        }
                        None => bad(
                            out,
                            format!("$jsonSchema keyword '{k}' must be either a string or an array of strings"),
                        ),
                    }
                }
            }
            "minimum" | "maximum" if number(v).is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a number"))
            }
            "multipleOf" => match number(v) {
                None => bad(out, format!("$jsonSchema keyword '{k}' must be a number")),
                Some(n) if n <= 0.0 => bad(
                    out,
                    "$jsonSchema keyword 'multipleOf' must have a positive value".into(),
                ),
                _ => {}
            },
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties" => match number(v) {
                None => bad(out, format!("Expected a number in: {k}: {v}")),
                Some(n) if n.fract() != 0.0 => bad(out, format!("Expected an integer: {k}: {v}")),
                Some(n) if n < 0.0 => bad(out, format!("Expected a non-negative number in: {k}: {v}")),
                _ => {}
            },
            "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" if v.as_bool().is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be a boolean"))
            }
            "required" => match v.as_array() {
                None => bad(
                    out,
                    format!(
                        "$jsonSchema keyword 'required' must be an array, but found an element of type {}",
                        type_name(v)
                    ),
                ),
                Some(a) if a.is_empty() => bad(
                    out,
                    "$jsonSchema keyword 'required' cannot be an empty array".into(),
                ),
                Some(a) => {
                    if let Some(x) = a.iter().find(|x| x.as_str().is_none()) {
                        bad(
                            out,
                            format!(
                                "$jsonSchema keyword 'required' must be an array of strings, but found an element of type: {}",
                                type_name(x)
                            ),
                        );
                    } else if duplicate(a).is_some() {
                        bad(
                            out,
                            "$jsonSchema keyword 'required' array cannot contain duplicate values"
                                .into(),
                        );
                    }
                }
            },
            "enum" => match v.as_array() {
                None => bad(
                    out,
                    format!(
                        "$jsonSchema keyword 'enum' must be an array, but found an element of type {}",
                        type_name(v)
                    ),
                ),
                Some(a) if a.is_empty() => bad(
                    out,
                    "$jsonSchema keyword 'enum' cannot be an empty array".into(),
                ),
                Some(a) if duplicate(a).is_some() => bad(
                    out,
                    "$jsonSchema keyword 'enum' array cannot contain duplicate values.".into(),
                ),
                _ => {}
            },
            "properties" | "patternProperties" => match v.as_document() {
                Some(props) => {
                    for (name, schema) in props {
                        let what = format!("Nested schema for $jsonSchema property '{name}' must be an object");
                        sub(schema, &format!("{path}.{name}"), out, &what);
                    }
                }
                None => bad(out, format!("$jsonSchema keyword '{k}' must be an object")),
            },
            "dependencies" => match v.as_document() {
                Some(deps) => {
                    for (name, dep) in deps {
                        let dpath = format!("{path}.{name}");
                        match dep {
                            Bson::Document(d) => schema_rules(d, &dpath, out),
                            Bson::Array(a) if a.is_empty() => out.push(Finding::error(
                                &dpath,
                                format!("property '{name}' in $jsonSchema keyword 'dependencies' cannot be an empty array"),
                            )),
                            Bson::Array(a) => {
                                if let Some(x) = a.iter().find(|x| x.as_str().is_none()) {
                                    out.push(Finding::error(
                                        &dpath,
                                        format!("array '{name}' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: {}", type_name(x)),
                                    ));
                                } else if let Some(x) = duplicate(a) {
                                    out.push(Finding::error(
                                        &dpath,
                                        format!("array '{name}' in $jsonSchema keyword 'dependencies' contains duplicate element: {}", x.as_str().unwrap_or_default()),
                                    ));
                                }
                            }
                            _ => out.push(Finding::error(
                                &dpath,
                                format!("property '{name}' in $jsonSchema keyword 'dependencies' must be either an object or an array"),
                            )),
                        }
                    }
                }
                None => bad(out, format!("$jsonSchema keyword '{k}' must be an object")),
            },
            "items" => match v {
                Bson::Array(a) => {
                    for (i, schema) in a.iter().enumerate() {
                        let what = format!("$jsonSchema keyword '{k}' requires that every element of the array is an object");
                        sub(schema, &format!("{path}[{i}]"), out, &what);
                    }
                }
                Bson::Document(d) => schema_rules(d, &path, out),
                other => bad(
                    out,
                    format!(
                        "$jsonSchema keyword 'items' must be an array or an object, not {}",
                        type_name(other)
                    ),
                ),
            },
            "additionalItems" | "additionalProperties" => match v {
                Bson::Boolean(_) => {}
                Bson::Document(d) => schema_rules(d, &path, out),
                _ => bad(
                    out,
                    format!("$jsonSchema keyword '{k}' must be an object or a boolean"),
                ),
            },
            "allOf" | "anyOf" | "oneOf" => match v.as_array() {
                Some(a) if !a.is_empty() => {
                    for (i, schema) in a.iter().enumerate() {
                        let what = format!("$jsonSchema keyword '{k}' must be an array of objects");
                        sub(schema, &format!("{path}[{i}]"), out, &what);
                    }
                }
                _ => bad(
                    out,
                    format!("$jsonSchema keyword '{k}' must be a non-empty array"),
                ),
            },
            "not" => sub(
                v,
                &path,
                out,
                "$jsonSchema keyword 'not' must be an object",
            ),
            "pattern" | "description" | "title" if v.as_str().is_none() => {
                bad(out, format!("$jsonSchema keyword '{k}' must be of type string"))
            }
            _ => {}
        }
    }
}
