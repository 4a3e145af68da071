//! `mig completions SHELL`: a completion script for the shell, generated
//! from the same clap definitions as `--help`, so it knows every command and
//! option there is.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::failure::{Outcome, Success};
use super::{output, Cli};

/// `mig completions`'s arguments.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for: bash, zsh, fish, powershell (or elvish).
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

pub const EXAMPLES: &str = "Examples:
  mig completions bash > ~/.local/share/bash-completion/completions/mig
  mig completions zsh > ~/.zfunc/_mig          with `fpath+=~/.zfunc` before compinit
  mig completions fish > ~/.config/fish/completions/mig.fish
  mig completions powershell >> $PROFILE";

/// Prints the script on stdout.
pub fn run(args: &CompletionsArgs) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "mig", &mut script);
    output::stdout(&String::from_utf8_lossy(&script));
    Ok(Success::Done)
}
