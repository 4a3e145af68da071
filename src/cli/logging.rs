//! Log lines on stderr. By default only warnings, as one plain sentence
//! (`mig: warning: …`): the report tells what happened, the log adds only
//! what it can't. `-v`/`-vv` show the full tracing lines, with time and level.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::output::ScrubbingStderr;
use super::Global;

/// Starts logging at the level the flags (or `MIGRATION_LOG_LEVEL`) ask for.
pub fn init(global: &Global, env_level: Option<&str>) {
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 => env_level.unwrap_or("warn"),
            1 => "info",
            _ => "debug",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(format!("mig={level}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("mig=warn"));
    let ansi = std::io::stderr().is_terminal()
        && !global.no_color
        && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| ScrubbingStderr)
        .with_ansi(ansi)
        .with_target(false);
    let _ = if global.verbose == 0 {
        builder.event_format(Plain).try_init()
    } else {
        builder.try_init()
    };
}

/// `mig: warning: message (field=value …)`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            _ => "note",
        };
        write!(writer, "mig: {level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
