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
mod tests {
    use super::*;

    const YAML: &str = "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - name: a\n        keys: { x: 1 }\n      - keys:\n          y: 1\n        unique: true\n";

    #[test]
    fn yaml_paths_have_their_lines() {
        let l = Locations::of_yaml(YAML);
        assert_eq!(l.find("scope").unwrap().line, 1);
        assert_eq!(l.find("collections[0]").unwrap().line, 3);
        assert_eq!(l.find("collections[0].name").unwrap().line, 3);
        assert_eq!(l.find("collections[0].indexes[0].keys.x").unwrap().line, 6);
        assert_eq!(l.find("collections[0].indexes[1]").unwrap().line, 7);
        assert_eq!(l.find("collections[0].indexes[1].keys.y").unwrap().line, 8);
        assert_eq!(l.find("collections[0].indexes[1].unique").unwrap().line, 9);
        // An unknown path falls back to its nearest known ancestor.
        assert_eq!(l.find("collections[0].indexes[1].nothing").unwrap().line, 7);
    }

    #[test]
    fn toml_paths_have_their_lines() {
        let src = "scope = \"tenant\"\n\n[[collections]]\nname = \"messages\"\n\n[[collections.indexes]]\nname = \"a\"\nkeys = { x = 1, \"b.c\" = -1 }\n\n[[collections.indexes]]\nkeys = { y = 1 }\nunique = true\n";
        let l = Locations::of_toml(src);
        assert_eq!(l.find("scope").unwrap().line, 1);
        assert_eq!(l.find("collections[0].name").unwrap().line, 4);
        assert_eq!(
            l.find("collections[0].indexes[0].keys.b.c").unwrap().line,
            8
        );
        assert_eq!(l.find("collections[0].indexes[1].unique").unwrap().line, 12);
    }

    #[test]
    fn line_index_maps_offsets() {
        let idx = LineIndex::new("ab\ncd\n");
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(4), Position { line: 2, column: 2 });
        let idx = LineIndex::new("é: 1\n");
        assert_eq!(idx.position(4), Position { line: 1, column: 4 });
    }

    #[test]
    fn yaml_and_toml_columns_count_from_one() {
        let l = Locations::of_yaml("scope: tenant\ncollections:\n  - name: m\n");
        assert_eq!(l.find("scope"), Some(Position { line: 1, column: 1 }));
        assert_eq!(
            l.find("collections[0].name"),
            Some(Position { line: 3, column: 5 })
        );
        let l = Locations::of_toml("scope = \"tenant\"\n  drop = \"keep\"\n");
        assert_eq!(l.find("scope"), Some(Position { line: 1, column: 1 }));
        assert_eq!(l.find("drop"), Some(Position { line: 2, column: 3 }));
    }
}
