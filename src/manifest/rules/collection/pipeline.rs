//! A view's pipeline: its stages, where each may be, and what they hold.

use bson::{Bson, Document};

use super::query::{has_text, query_rules, QueryIn};
use super::values::{hint, number};
use crate::manifest::rules::Finding;

/// Aggregation stages of 6.0 (`db/pipeline/document_source_*.cpp`,
/// `REGISTER_DOCUMENT_SOURCE`), without internal ones.
const STAGES: &[&str] = &[
    "$addFields",
    "$bucket",
    "$bucketAuto",
    "$changeStream",
    "$collStats",
    "$count",
    "$currentOp",
    "$densify",
    "$documents",
    "$facet",
    "$fill",
    "$geoNear",
    "$graphLookup",
    "$group",
    "$indexStats",
    "$limit",
    "$listCachedAndActiveUsers",
    "$listCatalog",
    "$listLocalSessions",
    "$listSessions",
    "$lookup",
    "$match",
    "$merge",
    "$out",
    "$planCacheStats",
    "$project",
    "$redact",
    "$replaceRoot",
    "$replaceWith",
    "$sample",
    "$set",
    "$setWindowFields",
    "$shardedDataDistribution",
    "$skip",
    "$sort",
    "$sortByCount",
    "$unionWith",
    "$unset",
    "$unwind",
];

/// Atlas Search's stages: a `mongod` without it doesn't know them.
const ATLAS_STAGES: &[&str] = &["$search", "$searchMeta", "$vectorSearch"];

/// Stages that read the server, not a collection: not in a view.
const NOT_ON_A_COLLECTION: &[&str] = &[
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$listCachedAndActiveUsers",
    "$shardedDataDistribution",
];

/// Stages that must start their pipeline (the first stage of a view's or
/// of a sub-pipeline).
const FIRST_ONLY: &[&str] = &[
    "$collStats",
    "$indexStats",
    "$planCacheStats",
    "$listCatalog",
    "$changeStream",
    "$documents",
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$shardedDataDistribution",
    "$listCachedAndActiveUsers",
];

/// Stages a `$facet` can't hold (their `facetRequirement` is `kNotAllowed`).
const NOT_IN_FACET: &[&str] = &[
    "$collStats",
    "$indexStats",
    "$planCacheStats",
    "$listCatalog",
    "$geoNear",
    "$facet",
    "$out",
    "$merge",
    "$changeStream",
    "$documents",
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$shardedDataDistribution",
    "$listCachedAndActiveUsers",
];

/// A `$project`: inclusion or exclusion, not both (`_id` aside), and not
/// empty (`db/query/projection_parser.cpp`, codes 51272, 31253, 31254, 31310).
/// The first field other than `_id` says which it is; nested projections
/// are not looked into.
fn projection_rules(p: &Document, at: &str, out: &mut Vec<Finding>) {
    if p.is_empty() {
        out.push(Finding::error(
            at,
            "Invalid $project :: caused by :: projection specification must have at least one field",
        ));
        return;
    }
    // Some(true): included, Some(false): excluded, None: an expression (or nested).
    let kind = |v: &Bson| match v {
        Bson::Boolean(b) => Some(*b),
        other => number(other).map(|n| n != 0.0),
    };
    let mut exclusion: Option<bool> = None;
    for (field, v) in p.iter().filter(|(f, _)| *f != "_id") {
        let this = kind(v);
        let Some(mode) = exclusion else {
            exclusion = Some(this == Some(false));
            continue;
        };
        let message = match (mode, this) {
            (false, Some(false)) => {
                format!("Cannot do exclusion on field {field} in inclusion projection")
            }
            (true, Some(true)) => {
                format!("Cannot do inclusion on field {field} in exclusion projection")
            }
            (true, None) if v.as_document().is_none() => {
                format!("Cannot use an expression {field}: {v} in an exclusion projection")
            }
            _ => continue,
        };
        out.push(Finding::error(
            &format!("{at}.{field}"),
            format!("Invalid $project :: caused by :: {message}"),
        ));
    }
}

/// A view's pipeline (`db/views/view_catalog.cpp`, `db/pipeline/pipeline.cpp`):
/// known stages only, none that writes, no change stream, none that reads
/// the server rather than a collection, and the same in sub-pipelines
/// (`$lookup`, `$unionWith`, `$facet`).
pub(super) fn pipeline_rules(stages: &[Bson], out: &mut Vec<Finding>) {
    stages_rules(stages, "pipeline", None, out);
}

fn stages_rules(stages: &[Bson], at: &str, within: Option<&str>, out: &mut Vec<Finding>) {
    for (i, stage) in stages.iter().enumerate() {
        let path = format!("{at}[{i}]");
        let Some(stage) = stage.as_document() else {
            out.push(Finding::error(&path, "a pipeline stage is a document"));
            continue;
        };
        if stage.len() != 1 {
            out.push(Finding::error(
                &path,
                "A pipeline stage specification object must contain exactly one field.",
            ));
            continue;
        }
        let (name, arg) = stage.iter().next().expect("one field");
        let path = format!("{path}.{name}");
        if ATLAS_STAGES.contains(&name.as_str()) {
            out.push(Finding::warning(
                &path,
                format!("{name} is Atlas Search's: a mongod without it refuses the view (Unrecognized pipeline stage name)"),
            ));
            continue;
        }
        if !STAGES.contains(&name.as_str()) {
            out.push(Finding::error(
                &path,
                format!(
                    "Unrecognized pipeline stage name: '{name}'{}",
                    hint(name, STAGES)
                ),
            ));
            continue;
        }
        let writes = name == "$out" || name == "$merge";
        // `db/pipeline/pipeline.cpp`, `validateCommon`: "only valid as the
        // first stage" (code 40602), in a sub-pipeline too.
        if i > 0 && FIRST_ONLY.contains(&name.as_str()) {
            out.push(Finding::error(
                &path,
                format!("{name} is only valid as the first stage in a pipeline"),
            ));
        }
        // `db/pipeline/pipeline.cpp`, `validateCommon` (code 40603): a stage
        // that must come first once the pipeline is optimized. A view's own
        // pipeline and a `$lookup`'s are not optimized when the view is
        // created, a `$unionWith`'s is (checked against mongod 6.0.5).
        if i > 0 && name == "$geoNear" && within == Some("$unionWith") {
            out.push(Finding::error(
                &path,
                "$geoNear is only valid as the first stage in an optimized pipeline",
            ));
        }
        match within {
            // `db/pipeline/document_source_facet.cpp` (code 40600).
            Some("$facet") if NOT_IN_FACET.contains(&name.as_str()) => out.push(Finding::error(
                &path,
                format!("{name} is not allowed to be used within a $facet stage"),
            )),
            Some(outer) if writes || name == "$changeStream" => out.push(Finding::error(
                &path,
                format!("{name} is not allowed within a {outer}'s sub-pipeline"),
            )),
            None if writes => out.push(Finding::error(
                &path,
                format!(
                    "The aggregation stage {name} in location {i} of the pipeline cannot be used \
                     in the view definition because it writes to disk"
                ),
            )),
            None if name == "$changeStream" => out.push(Finding::error(
                &path,
                "$changeStream cannot be used in a view definition",
            )),
            None if name == "$documents" => out.push(Finding::error(
                &path,
                "'$documents' cannot be used in a view definition",
            )),
            _ if NOT_ON_A_COLLECTION.contains(&name.as_str()) => out.push(Finding::error(
                &path,
                format!("{name} reads the server, not a collection: it must be run against the 'admin' database with {{aggregate: 1}}, not in a view"),
            )),
            _ => {}
        }
        match (name.as_str(), arg) {
            ("$match", Bson::Document(query)) => {
                // `db/pipeline/document_source_match.cpp` (code 17313), in
                // any pipeline, a sub-pipeline's too.
                if i > 0 && has_text(query) {
                    out.push(Finding::error(
                        &path,
                        "$match with $text is only allowed as the first pipeline stage",
                    ));
                }
                query_rules(query, &path, QueryIn::View, out)
            }
            ("$project", Bson::Document(projection)) => projection_rules(projection, &path, out),
            ("$lookup" | "$unionWith", Bson::Document(spec)) => {
                if let Ok(inner) = spec.get_array("pipeline") {
                    stages_rules(inner, &format!("{path}.pipeline"), Some(name), out);
                }
            }
            ("$facet", Bson::Document(facets)) => {
                for (facet, inner) in facets {
                    if let Bson::Array(inner) = inner {
                        stages_rules(inner, &format!("{path}.{facet}"), Some("$facet"), out);
                    }
                }
            }
            _ => {}
        }
    }
}
