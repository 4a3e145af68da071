//! The report document written as the run goes: piece by piece, or JSON Lines.

use serde_json::{Map, Value};

/// Writes the report document piece by piece, byte for byte as [`document`]
/// of [`report`] would: the head, each target as it is done, then the tail.
/// `--format jsonl` instead writes one compact object per line.
#[derive(Debug, Default)]
pub struct ReportWriter {
    lines: bool,
    /// The array the databases go in: `targets` (a report), `databases` (status).
    array: &'static str,
    targets: usize,
}

impl ReportWriter {
    /// `lines`: JSON Lines (one object per database, then one for the rest).
    pub fn new(lines: bool) -> ReportWriter {
        ReportWriter::of(lines, "targets")
    }

    /// A document whose databases go in `array`.
    pub fn of(lines: bool, array: &'static str) -> ReportWriter {
        ReportWriter {
            lines,
            array,
            targets: 0,
        }
    }

    /// What comes before the first target.
    pub fn head(&self, head: &Map<String, Value>) -> String {
        if self.lines {
            return String::new();
        }
        // `{` and the head's fields at depth 1, then the open array.
        let mut out = String::from("{\n");
        for (k, v) in head {
            out.push_str(&field(k, v));
            out.push_str(",\n");
        }
        out.push_str(&format!("  \"{}\": [", self.array));
        out
    }

    /// One database.
    pub fn target(&mut self, value: &Value) -> String {
        self.targets += 1;
        if self.lines {
            return serde_json::to_string(value).unwrap_or_default() + "\n";
        }
        let sep = if self.targets == 1 { "\n" } else { ",\n" };
        format!("{sep}{}", indent(&pretty(value), "    "))
    }

    /// What comes after the last target.
    pub fn tail(&self, tail: Map<String, Value>, head: Map<String, Value>) -> String {
        if self.lines {
            let mut last = head;
            last.extend(tail);
            return serde_json::to_string(&Value::Object(last)).unwrap_or_default() + "\n";
        }
        let mut out = String::from(if self.targets == 0 { "]" } else { "\n  ]" });
        for (k, v) in &tail {
            out.push_str(",\n");
            out.push_str(&field(k, v));
        }
        out.push_str("\n}\n");
        out
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `"key": value` at depth 1 of a pretty document.
fn field(key: &str, value: &Value) -> String {
    let key = serde_json::to_string(key).unwrap_or_default();
    indent(&format!("{key}: {}", pretty(value)), "  ")
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
