//! Finding `mig.toml` and reading it, an unknown key with the closest one named.

use std::path::{Path, PathBuf};

use super::{ConfigFile, DEFAULT_CONFIG};
use crate::diagnostics::{Format, Problem};

/// Reads `--config PATH`, or `mig.toml` in the working directory if there is one.
pub(super) fn read_config(
    explicit: Option<&Path>,
) -> Result<(ConfigFile, Option<PathBuf>), Vec<Problem>> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok((ConfigFile::default(), None)),
    };
    let source = std::fs::read_to_string(&path).map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound && explicit.is_some() {
            "no such config file (--config)".to_string()
        } else {
            format!("cannot read the config file: {e}")
        };
        vec![Problem {
            file: std::path::absolute(&path).unwrap_or(path.clone()),
            position: None,
            field: String::new(),
            message,
            ..Default::default()
        }]
    })?;
    let file = Format::Toml.parse(&path, &source).map_err(|mut p| {
        if let Some(message) = did_you_mean(&p.message) {
            p.message = message;
        }
        vec![p]
    })?;
    Ok((file, Some(path)))
}

/// serde's "unknown field `sorce`, expected one of `source`, …" with the
/// closest key named: "unknown field `sorce` (did you mean `source`?),
/// expected one of …", as a manifest's unknown field gets. `None`: not an
/// unknown field, or no key is close.
fn did_you_mean(message: &str) -> Option<String> {
    let (head, rest) = message.split_once("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let near = crate::model::names::closest(unknown, known.iter().copied());
    let first = near.first()?;
    Some(format!(
        "{head}unknown field `{unknown}` (did you mean `{first}`?){expected}"
    ))
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
