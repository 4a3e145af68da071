//! A pulled scope as manifest text, YAML or TOML, the way a person writes it:
//! keys in flow style and in order, only the options that are set, document
//! options as YAML mappings or TOML inline tables (a TOML partial filter as an
//! Extended JSON string, since TOML has no null), and how far each tenant
//! index spreads as a comment above it. What the manifest loader reads back is
//! what was pulled (the tests load every file they write).

use bson::{Bson, Document};
use serde_json::Value;

use super::{percent, Pulled, PulledCollection, PulledIndex, Spread};
use crate::model::{IndexSpec, Scope};

/// How many database names a comment shows before `… (+N)`.
const SAMPLE: usize = 3;

/// The manifest syntax `mig pull` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Syntax {
    #[default]
    Yaml,
    Toml,
}

impl Syntax {
    pub fn extension(self) -> &'static str {
        match self {
            Syntax::Yaml => "yaml",
            Syntax::Toml => "toml",
        }
    }
}

/// A manifest of `collections` (of `pulled`): a schema modeline pointing at
/// `schema` (relative to the file), the `about` lines as comments, then the
/// declarations; collections not declared are comments.
pub fn manifest(
    pulled: &Pulled,
    collections: &[&PulledCollection],
    syntax: Syntax,
    schema: &str,
    about: &[String],
) -> String {
    let mut out = String::new();
    match syntax {
        Syntax::Yaml => out.push_str(&format!("# yaml-language-server: $schema={schema}\n")),
        Syntax::Toml => out.push_str(&format!("#:schema {schema}\n")),
    }
    for line in about {
        out.push_str(&format!("# {line}\n"));
    }
    let scope = pulled.scope;
    let declared: Vec<&&PulledCollection> = collections.iter().filter(|c| c.declared).collect();
    match syntax {
        Syntax::Yaml => {
            out.push_str(&format!("scope: {scope}\n"));
            if declared.is_empty() {
                out.push_str("collections: []\n");
            } else {
                out.push_str("collections:\n");
            }
        }
        Syntax::Toml => out.push_str(&format!("scope = \"{scope}\"\n")),
    }
    let mut first = true;
    for collection in collections {
        if !first && syntax == Syntax::Yaml {
            out.push('\n');
        }
        first = false;
        if collection.declared {
            match syntax {
                Syntax::Yaml => yaml_collection(&mut out, pulled, collection),
                Syntax::Toml => toml_collection(&mut out, pulled, collection),
            }
        } else {
            let indent = if syntax == Syntax::Yaml { "  " } else { "" };
            if syntax == Syntax::Toml {
                out.push('\n');
            }
            out.push_str(&format!(
                "{indent}# {}: on {} of {} {}, not declared; its indexes:\n",
                collection.name,
                thousands(collection.on),
                thousands(pulled.databases),
                databases_word(scope, pulled.databases)
            ));
            for index in &collection.left_out {
                left_out(&mut out, pulled, index, syntax, indent);
            }
        }
    }
    out
}

fn yaml_collection(out: &mut String, pulled: &Pulled, collection: &PulledCollection) {
    out.push_str(&format!("  - name: {}\n", yaml_scalar(&collection.name)));
    if let Some((options, on)) = &collection.options {
        if pulled.scope == Scope::Tenant {
            out.push_str(&format!(
                "    # options: on {} of {}\n",
                thousands(*on),
                thousands(collection.on)
            ));
        }
        for (name, value) in options {
            out.push_str(&format!("    {name}: {}\n", yaml_flow(&ext_json(value))));
        }
    }
    if collection.indexes.is_empty() {
        out.push_str("    indexes: []\n");
    } else {
        out.push_str("    indexes:\n");
    }
    for index in &collection.indexes {
        if let Some(line) = spread_line(pulled, &index.spread) {
            out.push_str(&format!("      # {line}\n"));
        }
        let mut lines = yaml_index(&index.spec).into_iter();
        if let Some(first) = lines.next() {
            out.push_str(&format!("      - {first}\n"));
        }
        for line in lines {
            out.push_str(&format!("        {line}\n"));
        }
    }
    for index in &collection.left_out {
        left_out(out, pulled, index, Syntax::Yaml, "      ");
    }
}

fn toml_collection(out: &mut String, pulled: &Pulled, collection: &PulledCollection) {
    out.push_str(&format!(
        "\n[[collections]]\nname = {}\n",
        toml_string(&collection.name)
    ));
    if let Some((options, _)) = &collection.options {
        for (name, value) in options {
            // Documents as Extended JSON strings: TOML can't say every BSON value.
            let json = ext_json(value);
            let text = match &json {
                Value::Object(_) | Value::Array(_) => toml_string(&json_flow(&json)),
                other => toml_inline(other),
            };
            out.push_str(&format!("{} = {text}\n", toml_key(name)));
        }
    }
    for index in &collection.indexes {
        out.push('\n');
        if let Some(line) = spread_line(pulled, &index.spread) {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str("[[collections.indexes]]\n");
        for line in toml_index(&index.spec) {
            out.push_str(&format!("{line}\n"));
        }
    }
    if !collection.left_out.is_empty() {
        out.push('\n');
    }
    for index in &collection.left_out {
        left_out(out, pulled, index, Syntax::Toml, "");
    }
}

/// An index not declared: why, where, and its declaration commented out, to
/// uncomment if it should be.
fn left_out(out: &mut String, pulled: &Pulled, index: &PulledIndex, syntax: Syntax, indent: &str) {
    let why = index.why_left_out.as_deref().unwrap_or("not declared");
    out.push_str(&format!(
        "{indent}# not declared, {why}: {}; {}\n",
        index.spec.name,
        where_left_out(pulled, &index.spread)
    ));
    match syntax {
        Syntax::Yaml => {
            for (i, line) in yaml_index(&index.spec).into_iter().enumerate() {
                let lead = if i == 0 { "- " } else { "  " };
                out.push_str(&format!("{indent}# {lead}{line}\n"));
            }
        }
        Syntax::Toml => {
            out.push_str(&format!("{indent}# [[collections.indexes]]\n"));
            for line in toml_index(&index.spec) {
                out.push_str(&format!("{indent}# {line}\n"));
            }
        }
    }
}

/// `on 1,987 of 2,000 tenants; missing on tenant_x, …; different on tenant_z`,
/// or nothing for an index the same on every database.
pub fn spread_line(pulled: &Pulled, spread: &Spread) -> Option<String> {
    if spread.everywhere() {
        return None;
    }
    let mut line = format!(
        "on {} of {} {}",
        thousands(spread.on),
        thousands(spread.of),
        databases_word(pulled.scope, spread.of)
    );
    if !spread.missing.is_empty() {
        line.push_str(&format!("; missing on {}", sample(&spread.missing)));
    }
    if !spread.different.is_empty() {
        line.push_str(&format!("; different on {}", sample(&spread.different)));
    }
    Some(line)
}

/// Where an index few databases have is: `on 1 of 6 tenants: t2`.
pub fn where_left_out(pulled: &Pulled, spread: &Spread) -> String {
    let mut line = format!(
        "on {} of {} {}: {}",
        thousands(spread.on),
        thousands(spread.of),
        databases_word(pulled.scope, spread.of),
        sample(&spread.with)
    );
    if !spread.different.is_empty() {
        line.push_str(&format!(
            "; in another form on {}",
            sample(&spread.different)
        ));
    }
    line
}

fn databases_word(scope: Scope, n: usize) -> &'static str {
    match (scope, n) {
        (Scope::Tenant, 1) => "tenant",
        (Scope::Tenant, _) => "tenants",
        (Scope::Public, 1) => "database",
        (Scope::Public, _) => "databases",
    }
}

/// The first few names, then how many more.
pub fn sample(names: &[String]) -> String {
    let shown = names[..names.len().min(SAMPLE)].join(", ");
    if names.len() > SAMPLE {
        format!("{shown}, … (+{})", names.len() - SAMPLE)
    } else {
        shown
    }
}

/// `1987` → `1,987`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A header line for a pulled file: where it came from.
pub fn about(pulled: &Pulled, source: &str, threshold: f64) -> Vec<String> {
    match pulled.scope {
        Scope::Public => vec![format!("Pulled by `mig pull` from {source}.")],
        Scope::Tenant => vec![
            format!(
                "Pulled by `mig pull` from {} tenant databases: an index on at least {}% of them",
                thousands(pulled.databases),
                percent(threshold)
            ),
            "(the same name and spec) is declared; comments say where the others differ.".into(),
        ],
    }
}

/// The options of an index that a declaration writes, in the usual order,
/// each as (name, value); `name` and `keys` first.
fn options(spec: &IndexSpec) -> Vec<(&'static str, Bson)> {
    let mut o: Vec<(&'static str, Bson)> = Vec::new();
    if spec.unique {
        o.push(("unique", Bson::Boolean(true)));
    }
    if spec.sparse {
        o.push(("sparse", Bson::Boolean(true)));
    }
    if spec.hidden {
        o.push(("hidden", Bson::Boolean(true)));
    }
    if let Some(f) = &spec.partial_filter_expression {
        o.push(("partialFilterExpression", Bson::Document(f.clone())));
    }
    if let Some(s) = spec.expire_after_seconds {
        o.push(("expireAfterSeconds", Bson::Int64(s)));
    }
    if let Some(c) = &spec.collation {
        o.push(("collation", Bson::Document(c.clone())));
    }
    if let Some(w) = &spec.weights {
        o.push(("weights", Bson::Document(w.clone())));
    }
    if let Some(l) = &spec.default_language {
        o.push(("default_language", Bson::String(l.clone())));
    }
    if let Some(l) = &spec.language_override {
        o.push(("language_override", Bson::String(l.clone())));
    }
    if let Some(p) = &spec.wildcard_projection {
        o.push(("wildcardProjection", Bson::Document(p.clone())));
    }
    if let Some(b) = spec.bits {
        o.push(("bits", Bson::Int32(b)));
    }
    if let Some(m) = spec.min {
        o.push(("min", Bson::Double(m)));
    }
    if let Some(m) = spec.max {
        o.push(("max", Bson::Double(m)));
    }
    if let Some(l) = spec.finest_level {
        o.push(("finestIndexedLevel", Bson::Int32(l)));
    }
    if let Some(l) = spec.coarsest_level {
        o.push(("coarsestIndexedLevel", Bson::Int32(l)));
    }
    o
}

/// Extended JSON (relaxed: plain numbers, `{"$date": "…"}` for dates, and the
/// canonical form only where a plain one would lose something).
fn ext_json(value: &Bson) -> Value {
    value.clone().into_relaxed_extjson()
}

/// A key pattern's value: whole numbers as integers (`1`, not `1.0`).
fn key_value(value: &Bson) -> Value {
    match value {
        Bson::Double(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::from(*f as i64),
        other => ext_json(other),
    }
}

fn keys_value(keys: &Document) -> Value {
    Value::Object(
        keys.iter()
            .map(|(k, v)| (k.clone(), key_value(v)))
            .collect(),
    )
}

fn yaml_index(spec: &IndexSpec) -> Vec<String> {
    let mut lines = vec![
        format!("name: {}", yaml_scalar(&spec.name)),
        format!("keys: {}", yaml_flow(&keys_value(&spec.keys))),
    ];
    for (name, value) in options(spec) {
        lines.push(format!("{name}: {}", yaml_flow(&ext_json(&value))));
    }
    lines
}

fn toml_index(spec: &IndexSpec) -> Vec<String> {
    let mut lines = vec![
        format!("name = {}", toml_string(&spec.name)),
        format!("keys = {}", toml_inline(&keys_value(&spec.keys))),
    ];
    for (name, value) in options(spec) {
        let json = ext_json(&value);
        // TOML has no null: a filter is Extended JSON in a string, as people write it.
        let text = if name == "partialFilterExpression" || has_null(&json) {
            toml_string(&json_flow(&json))
        } else {
            toml_inline(&json)
        };
        lines.push(format!("{} = {text}", toml_key(name)));
    }
    lines
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(has_null),
        Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

/// YAML flow style: `{ a: 1, b.c: -1 }`, strings plain where YAML reads them back as strings.
fn yaml_flow(v: &Value) -> String {
    match v {
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(o) => {
            let items: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_key(k), yaml_flow(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(yaml_flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => yaml_scalar(s),
        other => other.to_string(),
    }
}

/// A string YAML reads back as this string: plain when it is a simple word
/// that is not a YAML keyword, else double-quoted (JSON's escapes are YAML's).
fn yaml_scalar(s: &str) -> String {
    // A leading `$` is plain in YAML (`$gte`, `$date`); `$**` is not a word.
    let word = s.strip_prefix('$').unwrap_or(s);
    let simple = word
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let keyword = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
    );
    if simple && !keyword {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

/// A mapping key in flow style: dotted paths stay plain (`billing.status: 1`).
fn yaml_key(k: &str) -> String {
    let plain = k.split('.').all(|part| yaml_scalar(part) == part);
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

/// Compact Extended JSON, spaced as people write it: `{"deletedAt": null}`.
fn json_flow(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let items: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), json_flow(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(json_flow).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A TOML inline table or value (no nulls: see [`toml_index`]).
fn toml_inline(v: &Value) -> String {
    match v {
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(o) => {
            let items: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_key(k), toml_inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(toml_inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => toml_string(s),
        other => other.to_string(),
    }
}

/// A bare key where TOML allows one; dotted paths are quoted (a bare dotted
/// key would be a nested table).
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

/// A literal string (`'…'`, nothing escaped) where it can be, else a basic one.
fn toml_string(s: &str) -> String {
    if s.contains('\'') || s.chars().any(char::is_control) {
        Value::String(s.to_string()).to_string()
    } else {
        format!("'{s}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_samples() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1987), "1,987");
        assert_eq!(thousands(1234567), "1,234,567");
        let names: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        assert_eq!(sample(&names[..2]), "a, b");
        assert_eq!(sample(&names), "a, b, c, … (+2)");
    }

    #[test]
    fn yaml_strings_that_would_read_back_as_something_else_are_quoted() {
        assert_eq!(yaml_scalar("text"), "text");
        assert_eq!(yaml_scalar("2dsphere"), "\"2dsphere\"");
        assert_eq!(yaml_scalar("yes"), "\"yes\"");
        assert_eq!(yaml_scalar("a b"), "\"a b\"");
        assert_eq!(yaml_key("billing.status"), "billing.status");
        assert_eq!(yaml_key("$**"), "\"$**\"");
        assert_eq!(yaml_key("$gte"), "$gte");
        assert_eq!(yaml_key("a.$**"), "\"a.$**\"");
    }

    #[test]
    fn toml_keys_and_strings() {
        assert_eq!(toml_key("a_b-1"), "a_b-1");
        assert_eq!(toml_key("a.b"), "\"a.b\"");
        assert_eq!(toml_string("x"), "'x'");
        assert_eq!(toml_string("it's"), "\"it's\"");
    }
}
