//! Problems found in a file the user wrote: the file, the line, the field, what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

pub mod locate;
pub mod syntax;

use locate::{LineIndex, Locations, Position};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Problem {
    pub file: PathBuf,
    pub position: Option<Position>,
    /// The field path, e.g. `collections[0].indexes[2].unique`: kept for JSON
    /// output and positions; people are shown [`Problem::subject`] instead.
    pub field: String,
    /// What the problem is about, by name: `users.ix_email` (collection and
    /// index), `users` (a collection), or empty for the file itself.
    pub subject: String,
    /// The option within the subject: `unique`, `keys.a`, `collation.locale`.
    pub option: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        // By name where the names are known, else by position in the file.
        let (what, option) = if self.subject.is_empty() {
            (self.field.as_str(), "")
        } else {
            (self.subject.as_str(), self.option.as_str())
        };
        if !what.is_empty() {
            write!(f, ": {what}")?;
        }
        if !option.is_empty() {
            write!(f, ": {option}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A parsed file's name and field positions, to attach to problems.
pub struct SourceFile<'a> {
    pub path: &'a Path,
    pub locations: &'a Locations,
}

impl SourceFile<'_> {
    pub fn problem(&self, field: impl Into<String>, message: impl Into<String>) -> Problem {
        let field = field.into();
        Problem {
            file: self.path.to_path_buf(),
            position: self.locations.find(&field),
            field,
            message: message.into(),
            ..Default::default()
        }
    }
}

/// Which of the two formats a file is written in, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    pub fn locations(self, source: &str) -> Locations {
        match self {
            Format::Yaml => Locations::of_yaml(source),
            Format::Toml => Locations::of_toml(source),
        }
    }

    /// The file as a loose tree, whatever it declares: a failure is a syntax
    /// error, in words. Both formats read into the YAML tree, which keeps
    /// order and NaN as written.
    // A problem is the error of every reader here; once per file, size is no concern.
    #[allow(clippy::result_large_err)]
    pub fn tree(self, path: &Path, source: &str) -> Result<serde_yaml::Value, Problem> {
        let (position, message) = match self {
            Format::Yaml => match serde_yaml::from_str(source) {
                Ok(tree) => return Ok(tree),
                Err(e) => syntax::yaml(&e, source),
            },
            Format::Toml => match toml::from_str(source) {
                Ok(tree) => return Ok(tree),
                Err(e) => syntax::toml(&e, source),
            },
        };
        Err(Problem {
            file: path.to_path_buf(),
            position,
            message,
            ..Default::default()
        })
    }

    /// Deserializes `source`; a failure names the file, the line and the field.
    #[allow(clippy::result_large_err)]
    pub fn parse<T: serde::de::DeserializeOwned>(
        self,
        path: &Path,
        source: &str,
    ) -> Result<T, Problem> {
        self.tree(path, source)?;
        let fail = |field: String, position: Option<Position>, message: String| Problem {
            file: path.to_path_buf(),
            position,
            field,
            message,
            ..Default::default()
        };
        match self {
            Format::Yaml => {
                let de = serde_yaml::Deserializer::from_str(source);
                serde_path_to_error::deserialize(de).map_err(|e| {
                    let field = field_of(e.path());
                    let inner = e.into_inner();
                    // serde_yaml counts lines and columns from 1.
                    let position = inner.location().map(|l| Position {
                        line: l.line(),
                        column: l.column(),
                    });
                    fail(field, position, strip_yaml_position(&inner.to_string()))
                })
            }
            Format::Toml => {
                let de = toml::de::Deserializer::parse(source).map_err(|e| {
                    let (position, message) = syntax::toml(&e, source);
                    fail(String::new(), position, message)
                })?;
                serde_path_to_error::deserialize(de).map_err(|e| {
                    let field = field_of(e.path());
                    let inner = e.into_inner();
                    let position = inner
                        .span()
                        .map(|s| LineIndex::new(source).position(s.start))
                        .or_else(|| self.locations(source).find(&field));
                    fail(field, position, inner.message().to_string())
                })
            }
        }
    }
}

fn field_of(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p == "." {
        String::new()
    } else {
        p
    }
}

/// serde_yaml appends " at line L column C"; the position is printed separately.
fn strip_yaml_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
