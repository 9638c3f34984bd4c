//! Logging set-up shared by the binaries: `tracing` to stderr (so stdout
//! stays clean for reports and `--json`) and, when a directory is given, a
//! daily-rotated file. `RUST_LOG` filters (default `info`). Colour codes
//! only reach a terminal: journald and redirected files get plain text.

use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

/// Keeps the file writer flushing; hold it until the process ends.
#[derive(Debug)]
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Whether console logs may carry ANSI colours: only on a terminal, and
/// never when `NO_COLOR` is set (<https://no-color.org>).
pub fn console_colours(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Install the global subscriber. Safe to call once per process.
pub fn init(log_dir: Option<&Path>) -> LogGuard {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let ansi = console_colours(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let console = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .with_filter(filter());
    let (file, guard) = match log_dir.and_then(|d| std::fs::create_dir_all(d).ok().map(|_| d)) {
        Some(dir) => {
            let appender = tracing_appender::rolling::daily(dir, "rally.log");
            let (nb, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(nb)
                .with_filter(
                    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
                );
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(console)
        .with(file)
        .try_init();
    LogGuard(guard)
}

#[cfg(test)]
mod tests {
    use super::console_colours;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(console_colours(true, None));
        assert!(!console_colours(false, None));
        assert!(!console_colours(true, Some("1".as_ref())));
        assert!(console_colours(true, Some("".as_ref())));
    }
}
