//! Where output goes: the rendered text to stdout, failures and logs to
//! stderr, all of it through the secret scrubber; and whether to colour it.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::redact::scrub;
use crate::render::text::Style;

use super::Global;

/// Whether anything went to stdout: `--format json` prints one document.
static STDOUT_WRITTEN: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout, scrubbed of secrets.
pub fn stdout(text: &str) {
    STDOUT_WRITTEN.store(true, Ordering::Relaxed);
    write(&mut std::io::stdout().lock(), text);
}

/// Whether [`stdout`] was written to.
pub fn stdout_written() -> bool {
    STDOUT_WRITTEN.load(Ordering::Relaxed)
}

/// Writes `text` to stderr, scrubbed of secrets.
pub fn stderr(text: &str) {
    write(&mut std::io::stderr().lock(), text);
}

/// The one writer: everything `mig` prints passes here.
fn write(out: &mut dyn Write, text: &str) {
    let _ = out.write_all(scrub(text).as_bytes());
    let _ = out.flush();
}

/// Colours on a terminal, unless --no-color or NO_COLOR.
pub fn style(global: &Global) -> Style {
    let no_color = global.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: !no_color && std::io::stdout().is_terminal(),
    }
}

/// Log lines pass through the secret scrubber on their way to stderr.
pub struct ScrubbingStderr;

impl Write for ScrubbingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().write_all(scrub(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
