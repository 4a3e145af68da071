//! Syntax errors in words: the parsers' own texts ("did not find expected
//! key", "invalid float, expected `nan`") name what the parser was doing, not
//! what the person wrote wrong. The usual mistakes, indentation, tabs and a
//! TOML null, are said as such; anything else keeps the parser's text.

use std::sync::LazyLock;

use regex::Regex;

use super::locate::{LineIndex, Position};

/// The start of the message for a `null` in TOML, which has none.
pub const TOML_HAS_NO_NULL: &str = "TOML has no null";

/// A YAML syntax error: where, and what is wrong in words.
pub fn yaml(error: &serde_yaml::Error, source: &str) -> (Option<Position>, String) {
    let text = error.to_string();
    let problem = match text.find(" at line ") {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    let Some(at) = error.location() else {
        return (None, problem.to_string());
    };
    let position = Position {
        line: at.line(),
        column: at.column(),
    };
    let lines: Vec<&str> = source.lines().collect();
    let Some(line) = lines.get(position.line - 1) else {
        return (Some(position), problem.to_string());
    };
    let indent = line.len() - line.trim_start_matches(' ').len();
    let starts_with_tab = line[indent..].starts_with('\t');
    let tab_at_error = line.chars().nth(position.column - 1) == Some('\t');
    if problem.contains("tab character")
        || (problem.contains("cannot start any token") && (tab_at_error || starts_with_tab))
    {
        return (
            Some(position),
            "a tab where YAML needs spaces: YAML indents with spaces only, never tabs \
             (replace the tab with spaces)"
                .into(),
        );
    }
    // Indentation problems are about the line: point at its first character.
    let start = Position {
        line: position.line,
        column: indent + 1,
    };
    let column = indent + 1;
    let above = previous_line(&lines, position.line - 1);
    let block = context(&text);
    if problem == "did not find expected key" {
        let Some((bline, bcolumn)) = block else {
            return (Some(start), indentation_in_general());
        };
        let message = if line[indent..].starts_with('-') {
            format!(
                "bad indentation: a list item (`-`) in column {column}, where the keys of the \
                 mapping on line {bline} start; indent the list under its key, or line the `-` \
                 up with the other items of its list"
            )
        } else if column == bcolumn {
            format!(
                "expected `key: value` here, like the other keys of the mapping on line {bline} \
                 (check this line's colon and indentation)"
            )
        } else {
            let also = match above {
                Some((n, c)) if c != column && c != bcolumn && n != bline => {
                    format!(", and line {n} in column {c}")
                }
                _ => String::new(),
            };
            format!(
                "bad indentation: this line starts in column {column}, but the keys of the \
                 mapping on line {bline} start in column {bcolumn}{also}; YAML nests by \
                 indentation, so the keys of one mapping must start in the same column"
            )
        };
        return (Some(start), message);
    }
    if problem == "did not find expected '-' indicator" {
        // A key, not an item: one more key of the item above, under-indented.
        let item = match line[indent..].starts_with('-') {
            true => None,
            false => block.and_then(|(_, bcolumn)| item_above(&lines, position.line - 1, bcolumn)),
        };
        let message = match (item, block) {
            (Some((n, key_column, key)), _) => format!(
                "bad indentation: this line starts in column {column}, but the keys of the \
                 list item on line {n} start in column {key_column}, after its `-`; indent \
                 this key to column {key_column}, under `{key}` (YAML nests by indentation)"
            ),
            (None, Some((bline, bcolumn))) => format!(
                "bad indentation: this line starts in column {column}, but the items of the \
                 list on line {bline} start with `-` in column {bcolumn}; line the `-` up with \
                 the other items (YAML nests by indentation)"
            ),
            (None, None) => indentation_in_general(),
        };
        return (Some(start), message);
    }
    if problem == "mapping values are not allowed in this context" {
        if let Some((n, c)) = above.filter(|&(_, c)| c < column) {
            return (
                Some(start),
                format!(
                    "bad indentation: this line starts in column {column}, deeper than line {n} \
                     (column {c}), so YAML reads it as more of the value on line {n}; line its \
                     key up with the key above"
                ),
            );
        }
        return (
            Some(position),
            "a `: ` inside a value: YAML reads it as the start of a key (quote the value, or \
             put the key on a line of its own)"
                .into(),
        );
    }
    (Some(position), problem.to_string())
}

fn indentation_in_general() -> String {
    "bad indentation: this line does not line up with the lines above it; YAML nests by \
     indentation, so the keys of one mapping must start in the same column"
        .into()
}

/// The mapping or list the parser was in: "while parsing a block mapping at
/// line 9 column 9" (libyaml counts both from 1 in its text).
fn context(text: &str) -> Option<(usize, usize)> {
    static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"while parsing a block (?:mapping|collection) at line (\d+) column (\d+)")
            .expect("a valid pattern")
    });
    let found = BLOCK.captures(text)?;
    Some((found[1].parse().ok()?, found[2].parse().ok()?))
}

/// The nearest list item above `index` (0-based) whose `-` is in column
/// `dash` and that starts a mapping (`- name: x`): its 1-based line, the
/// column of its first key, and that key.
fn item_above(lines: &[&str], index: usize, dash: usize) -> Option<(usize, usize, String)> {
    let (i, l) = lines[..index]
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| l.len() - l.trim_start_matches(' ').len() + 1 == dash)?;
    let after = l[dash - 1..].strip_prefix('-')?;
    let key_at = dash + 1 + after.len() - after.trim_start_matches(' ').len();
    let (key, _) = l[key_at - 1..].split_once(':')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with(['{', '[', '"', '\'']))
        .then(|| (i + 1, key_at, key.to_string()))
}

/// The nearest line above `index` (0-based) with content: its 1-based number
/// and the column it starts in.
fn previous_line(lines: &[&str], index: usize) -> Option<(usize, usize)> {
    lines[..index]
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|(i, l)| (i + 1, l.len() - l.trim_start_matches(' ').len() + 1))
}

/// A TOML syntax error: where, and what is wrong in words.
pub fn toml(error: &toml::de::Error, source: &str) -> (Option<Position>, String) {
    let span = error.span();
    let position = span
        .clone()
        .map(|s| LineIndex::new(source).position(s.start));
    let is_null = span.is_some_and(|s| {
        let rest = source.get(s.start..).unwrap_or_default();
        rest.starts_with("null")
            && !rest[4..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if is_null {
        return (
            position,
            format!("{TOML_HAS_NO_NULL} value: leave the field out, or give a value"),
        );
    }
    (position, error.message().trim_end().to_string())
}

/// `key = { a = null }`, a line of TOML, as `key = '{"a": null}'`: the same
/// value as an Extended JSON string, which can say null. `None` when the line
/// is not a whole `key = value`.
pub fn null_as_json_string(line: &str) -> Option<String> {
    const NULL: &str = "\u{1}null";
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    // A JSON string is a TOML basic string too.
    let marker = serde_json::to_string(NULL).ok()?;
    let value = replace_bare_null(value.trim(), &marker);
    let table: toml::Table = toml::from_str(&format!("v = {value}")).ok()?;
    let mut json = serde_json::to_value(table.get("v")?).ok()?;
    restore_null(&mut json, NULL);
    if !json.is_object() {
        return None;
    }
    let text = one_line(&json);
    // A literal string cannot hold a `'`; a basic string escapes like JSON does.
    let quoted = if text.contains('\'') {
        serde_json::to_string(&text).ok()?
    } else {
        format!("'{text}'")
    };
    Some(format!("{key} = {quoted}"))
}

/// `null` outside quotes, replaced by `with`.
fn replace_bare_null(value: &str, with: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let word = |c: &char| c.is_ascii_alphanumeric() || *c == '_' || *c == '-';
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if chars[i..].starts_with(&['n', 'u', 'l', 'l'])
                && (i == 0 || !word(&chars[i - 1]))
                && chars.get(i + 4).is_none_or(|c| !word(c)) =>
            {
                out.push_str(with);
                i += 4;
                continue;
            }
            None => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

fn restore_null(value: &mut serde_json::Value, marker: &str) {
    match value {
        serde_json::Value::String(s) if s == marker => *value = serde_json::Value::Null,
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| restore_null(v, marker)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| restore_null(v, marker)),
        _ => {}
    }
}

/// JSON on one line, spaced as people write it: `{"a": null, "b": [1, 2]}`.
fn one_line(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", serde_json::Value::from(k.as_str()), one_line(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(one_line).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "syntax_tests.rs"]
mod tests;
