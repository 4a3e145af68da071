//! `mig man [DIR]`: the manual pages, generated from the same clap
//! definitions as `--help` (descriptions, options and examples alike).

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use crate::render::messages;

use super::failure::{Failure, Outcome, Success};
use super::{output, Cli};

/// `mig man`'s arguments.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `mig.1` and a page per command (`mig-plan.1`, …) into DIR,
    /// created if missing; without it, `mig.1` goes to stdout.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub const EXAMPLES: &str = "Examples:
  mig man | man -l -                     read the manual now
  mig man ~/.local/share/man/man1        mig.1 and mig-COMMAND.1, for `man mig-drift`";

/// Writes the pages (printing each path), or prints `mig.1`.
pub fn run(args: &ManArgs) -> Outcome {
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(Failure::from)?;
        output::stdout(&String::from_utf8_lossy(&page));
        return Ok(Success::Done);
    };
    let failed = |source| Failure::File {
        path: dir.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(failed)?;
    // The pages generate_to writes: one for `mig`, one per command.
    let command = Cli::command();
    let pages = std::iter::once("mig".to_string()).chain(
        command
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| format!("mig-{}", c.get_name())),
    );
    for page in pages {
        output::stdout(&messages::created(&dir.join(format!("{page}.1"))));
    }
    Ok(Success::Done)
}
