//! Where each field of a YAML or TOML file sits, so that a problem found after
//! parsing still names its line. Paths use the same form as
//! `serde_path_to_error`: `collections[0].indexes[2].unique`.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A line and column, both 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Path → position of the key (for mapping entries) or the item (for sequence items).
#[derive(Debug, Default, Clone)]
pub struct Locations {
    positions: HashMap<String, Position>,
}

impl Locations {
    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(p) = self.positions.get(path) {
                return Some(*p);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }

    fn record(&mut self, path: String, position: Position) {
        self.positions.entry(path).or_insert(position);
    }

    /// Positions in a YAML document; an unparsable one yields none (the
    /// deserializer reports the syntax error with its own position).
    pub fn of_yaml(source: &str) -> Locations {
        let mut builder = YamlLocator::default();
        let mut parser = Parser::new_from_str(source);
        let _ = parser.load(&mut builder, false);
        builder.locations
    }

    /// Positions in a TOML document.
    pub fn of_toml(source: &str) -> Locations {
        let mut locations = Locations::default();
        if let Ok(root) = toml::de::DeTable::parse(source) {
            let lines = LineIndex::new(source);
            walk_toml_table(root.get_ref(), "", &lines, &mut locations);
        }
        locations
    }
}

fn child(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

#[derive(Debug)]
enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

/// yaml-rust2 counts lines from 1 but columns from 0.
fn position_of(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

#[derive(Default)]
struct YamlLocator {
    stack: Vec<Frame>,
    locations: Locations,
}

impl YamlLocator {
    /// The path of the node that starts now, or `None` when it is a mapping key.
    fn node_path(&mut self, mark: Marker) -> Option<String> {
        let position = position_of(mark);
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map { path, key: Some(k) }) => Some(child(path, k)),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                self.locations.record(p.clone(), position);
                Some(p)
            }
        }
    }

    /// A value node has ended: advance the enclosing container.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { next, .. }) => *next += 1,
            None => {}
        }
    }
}

impl MarkedEventReceiver for YamlLocator {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, ..) => match self.node_path(mark) {
                None => {
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        let p = child(path, &value);
                        self.locations.record(p, position_of(mark));
                        *key = Some(value);
                    }
                }
                Some(_) => self.value_done(),
            },
            Event::Alias(_) if self.node_path(mark).is_some() => self.value_done(),
            Event::MappingStart(..) => {
                let path = self.node_path(mark).unwrap_or_default();
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.node_path(mark).unwrap_or_default();
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

/// Byte offset → line and column; the column counts characters, as the
/// YAML parsers and editors do.
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { source, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let before = self.source.get(start..offset).unwrap_or_default();
        Position {
            line,
            column: before.chars().count() + 1,
        }
    }
}

fn walk_toml_table(
    table: &toml::de::DeTable<'_>,
    path: &str,
    lines: &LineIndex,
    out: &mut Locations,
) {
    for (key, value) in table {
        let p = child(path, key.get_ref());
        out.record(p.clone(), lines.position(key.span().start));
        walk_toml_value(value.get_ref(), &p, lines, out);
    }
}

fn walk_toml_value(
    value: &toml::de::DeValue<'_>,
    path: &str,
    lines: &LineIndex,
    out: &mut Locations,
) {
    match value {
        toml::de::DeValue::Table(t) => walk_toml_table(t, path, lines, out),
        toml::de::DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                out.record(p.clone(), lines.position(item.span().start));
                walk_toml_value(item.get_ref(), &p, lines, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[path = "locate_tests.rs"]
mod tests;
