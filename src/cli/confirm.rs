//! Asking before the first write, the way Terraform and Atlas do: only on a
//! terminal (CI and scripts proceed as before), only the word `yes` agrees.

use std::io::{BufRead, IsTerminal, Write};

/// Someone is there to answer: stdin and stderr are a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks `question` on stderr; true only when the answer is `yes`.
pub fn ask(question: &str) -> bool {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\n{question}\n  Only 'yes' will be accepted: ");
    let _ = err.flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(_) => agrees(&answer),
        Err(_) => false,
    }
}

fn agrees(answer: &str) -> bool {
    answer.trim() == "yes"
}

#[cfg(test)]
#[path = "confirm_tests.rs"]
mod tests;
