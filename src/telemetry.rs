//! Logging: `tracing` to stderr, pretty or JSON, with the `audit` target always on at info
//! (security events are recorded whatever the configured level or `RUST_LOG` says).
//!
//! Log lines are evidence, so a value must never be able to pass for structure: in the JSON
//! format serde escapes every string; in the pretty format [`QuotedFields`] writes every field
//! value quoted and escaped, so a username such as `x event="login.success"` stays one value.

use std::fmt;
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::filter::Directive;
use tracing_subscriber::fmt::format::Writer;

use crate::config::LogConfig;

/// The directive that keeps the audit stream (events and the request span that gives them
/// their request id) on at info, appended after any level the operator chose.
const AUDIT_ON: &str = "audit=info";

/// The filter: `RUST_LOG` when set and valid, else the configured level; either way the audit
/// target stays at info (a later directive for the same target replaces an earlier one, so
/// `RUST_LOG=audit=off` cannot silence it either).
fn filter(log: &LogConfig) -> EnvFilter {
    let base = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{},hyper=warn,sqlx=warn", log.level)));
    match AUDIT_ON.parse::<Directive>() {
        Ok(d) => base.add_directive(d),
        Err(_) => base,
    }
}

/// Installs the global subscriber.
pub fn init(log: &LogConfig) {
    install(log, filter(log));
}

/// Installs the subscriber for a one-off `user …` command. Typed at a terminal, the command's
/// own answer is its whole output: audit events would only repeat it into the same terminal
/// (nothing keeps a CLI's stderr there), so only warnings show. Run by a script, a unit or a
/// pipe, the audit events go to stderr as from the server, for whatever collects them.
pub fn init_command(log: &LogConfig) {
    if std::io::stderr().is_terminal() {
        install(log, EnvFilter::new("warn,audit=off"));
    } else {
        init(log);
    }
}

fn install(log: &LogConfig, filter: EnvFilter) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: log files and collectors get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests, CLI after serve) is harmless: keep the first subscriber.
    let _ = if log.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.fmt_fields(QuotedFields).try_init()
    };
}

/// Field formatting for the pretty format: `name="value"` with `"`, `\` and control characters
/// escaped; numbers and booleans bare; the message unquoted but escaped.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotedFields;

impl<'a> MakeVisitor<Writer<'a>> for QuotedFields {
    type Visitor = QuotedVisitor<'a>;

    fn make_visitor(&self, writer: Writer<'a>) -> Self::Visitor {
        QuotedVisitor {
            writer,
            first: true,
            result: Ok(()),
        }
    }
}

/// Writes one event's or span's fields for [`QuotedFields`].
pub struct QuotedVisitor<'a> {
    writer: Writer<'a>,
    first: bool,
    result: fmt::Result,
}

impl QuotedVisitor<'_> {
    fn separator(&mut self) -> fmt::Result {
        if self.first {
            self.first = false;
            Ok(())
        } else {
            self.writer.write_char(' ')
        }
    }

    fn quoted(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            self.separator()?;
            if field.name() == "message" {
                return escape(&mut self.writer, value);
            }
            write!(self.writer, "{}=\"", field.name())?;
            escape(&mut self.writer, value)?;
            self.writer.write_char('"')
        })();
    }

    fn bare(&mut self, field: &Field, value: &dyn fmt::Display) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            self.separator()?;
            write!(self.writer, "{}={value}", field.name())
        })();
    }
}

/// Escapes `"`, `\` and every control character, so a value cannot end its quotes or its line.
fn escape(w: &mut impl fmt::Write, value: &str) -> fmt::Result {
    for c in value.chars() {
        match c {
            '"' => w.write_str("\\\"")?,
            '\\' => w.write_str("\\\\")?,
            c if c.is_control() => write!(w, "{}", c.escape_default())?,
            c => w.write_char(c)?,
        }
    }
    Ok(())
}

impl Visit for QuotedVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.quoted(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.quoted(field, &format!("{value:?}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.bare(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.bare(field, &value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.bare(field, &value);
    }
}

impl VisitOutput<fmt::Result> for QuotedVisitor<'_> {
    fn finish(self) -> fmt::Result {
        self.result
    }
}

impl VisitFmt for QuotedVisitor<'_> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        &mut self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn quotes_backslashes_and_controls_are_escaped() {
        let mut out = String::new();
        escape(&mut out, "m event=\"x\" \\ a\nb\u{1b}").unwrap_or_default();
        assert_eq!(out, "m event=\\\"x\\\" \\\\ a\\nb\\u{1b}");
    }
}
