//! A collection's own options: the declaration read into `create`'s form
//! (here), and the server's rules for it, one domain a file: the options
//! alone and together, views' among them (`options.rs`), validators' and
//! views' queries (`query.rs`), `$jsonSchema` (`schema.rs`), view pipelines
//! (`pipeline.rs`), and how the server reads a value (`values.rs`). Each
//! rule names the server source it comes from (`mongodb/mongo` at r6.0.5)
//! and was checked against `mongod` 6.0.5:
//! `db/catalog/collection_options.cpp` (what `create` takes together),
//! `db/matcher/schema/json_schema_parser.cpp` (`$jsonSchema`),
//! `db/views/view_catalog.cpp` and `db/pipeline/*` (a view's pipeline).

mod options;
mod pipeline;
mod query;
mod schema;
mod values;

use bson::{doc, Bson, Document};

// The index options' collation rules: a collection's default collation is one too.
use super::options::collation_rules;
use super::Finding;
use crate::diagnostics::Format;
use crate::manifest::extjson::{option_document, to_document};
use crate::manifest::file::{CollectionDecl, Expiry, Number};
use crate::manifest::Invalid;
use crate::model::release::Release;
use options::combination_rules;
use pipeline::pipeline_rules;
use query::validator_rules;

/// The declared options in `create`'s form (`None` when none is declared),
/// and what is wrong with them.
pub fn collection_options_for(
    decl: &CollectionDecl,
    release: Release,
    format: Format,
) -> (Option<Document>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut o = Document::new();
    let document =
        |option: &str, v: &serde_json::Value, out: &mut Vec<Finding>| match option_document(
            option, v, format,
        ) {
            Ok(d) => Some(d),
            Err(e) => {
                out.push(Finding::error(option, e.0));
                None
            }
        };
    if let Some(v) = &decl.validator {
        if let Some(d) = document("validator", &v.0, &mut out) {
            validator_rules(&d, &mut out);
            o.insert("validator", d);
        }
    }
    if let Some(level) = decl.validation_level {
        o.insert("validationLevel", word(level));
    }
    if let Some(action) = decl.validation_action {
        o.insert("validationAction", word(action));
    }
    if let Some(v) = &decl.collation {
        if let Some(d) = document("collation", &v.0, &mut out) {
            collation_rules(&d, super::keys::Plugin::Btree, &mut out);
            o.insert("collation", d);
        }
    }
    if let Some(capped) = decl.capped {
        o.insert("capped", capped);
    }
    for (option, value) in [("size", decl.size), ("max", decl.max)] {
        if let Some(n) = value {
            o.insert(option, whole(n));
        }
    }
    if let Some(ts) = &decl.timeseries {
        let mut t = doc! {"timeField": &ts.time_field};
        if let Some(meta) = &ts.meta_field {
            t.insert("metaField", meta);
        }
        if let Some(g) = ts.granularity {
            t.insert("granularity", word(g));
        }
        for (field, value) in [
            ("bucketMaxSpanSeconds", ts.bucket_max_span_seconds),
            ("bucketRoundingSeconds", ts.bucket_rounding_seconds),
        ] {
            if let Some(n) = value {
                t.insert(field, whole(n));
            }
        }
        o.insert("timeseries", t);
    }
    if let Some(e) = decl.expire_after_seconds {
        o.insert(
            "expireAfterSeconds",
            match e {
                Expiry::Seconds(n) => whole(n),
                Expiry::Off => Bson::String("off".into()),
            },
        );
    }
    if let Some(v) = &decl.clustered_index {
        if let Some(d) = document("clusteredIndex", &v.0, &mut out) {
            o.insert("clusteredIndex", d);
        }
    }
    if let Some(p) = &decl.change_stream_pre_and_post_images {
        o.insert("changeStreamPreAndPostImages", doc! {"enabled": p.enabled});
    }
    if let Some(on) = &decl.view_on {
        o.insert("viewOn", on);
    }
    if let Some(p) = &decl.pipeline {
        match pipeline(&p.0) {
            Ok(stages) => {
                pipeline_rules(&stages, &mut out);
                o.insert("pipeline", stages);
            }
            Err(why) => out.push(Finding::error("pipeline", why.0)),
        }
    }
    if o.is_empty() {
        return (None, out);
    }
    combination_rules(&decl.name, &o, !decl.indexes.is_empty(), release, &mut out);
    (Some(o), out)
}

/// An option's value as the manifest spells it (`strict`, `minutes`).
fn word(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A number as the server stores a whole one.
fn whole(n: Number) -> Bson {
    match n {
        Number::Int(i) => Bson::Int64(i),
        Number::Float(f) if f.fract() == 0.0 => Bson::Int64(f as i64),
        Number::Float(f) => Bson::Double(f),
    }
}

/// A pipeline as written (a list, or the same as an Extended JSON string).
fn pipeline(value: &serde_json::Value) -> Result<Vec<Bson>, Invalid> {
    let value = match value {
        serde_json::Value::String(s) => {
            serde_json::from_str(s).map_err(|e| invalid!("not a valid Extended JSON list: {e}"))?
        }
        other => other.clone(),
    };
    let serde_json::Value::Array(stages) = value else {
        return Err("a pipeline is a list of stages".into());
    };
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            serde_json::Value::Object(_) => to_document(s)
                .map(Bson::Document)
                .map_err(|e| invalid!("stage {i}: {}", e.0)),
            _ => Err(invalid!("stage {i} is not a document")),
        })
        .collect()
}

#[cfg(test)]
mod tests;
