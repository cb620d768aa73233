//! Logging: `tracing` to stderr, pretty or JSON, with the `audit` target always on at info
//! (security events are recorded whatever the configured level).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// Installs the global subscriber. `RUST_LOG` overrides the configured level.
pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{},audit=info,hyper=warn,sqlx=warn", log.level))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: log files and collectors get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests, CLI after serve) is harmless: keep the first subscriber.
    let _ = if log.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
