//! The only module that prints.
//!
//! Owns stdout (results: plans, reports, schemas) and stderr (errors, notes, prompts); the
//! rest of the crate returns strings and errors. `clippy::print_stdout`/`print_stderr` are
//! denied everywhere else. Log lines go through `tracing`, set up in `init_logging`.
//!
//! What it prints on stderr — errors and their causes, notes, log lines (warnings among them)
//! — quotes names, API messages and other text from outside, so it is escaped
//! (`escape::text`): no control character, colour, bidirectional override or forged line
//! reaches the terminal. Results on stdout come escaped from `render`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::escape;
use crate::progress::Counter;
use crate::render::Style;
use std::io::{BufRead, IsTerminal, Write};

/// The first error writing a result to stdout (other than a pipe closed by its reader, as
/// `| head` does on purpose): the run must not end as a success when its output was lost.
static WRITE_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn record_write_error(e: std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return;
    }
    let mut slot = WRITE_ERROR.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(e.to_string());
    }
}

/// The error that lost part of the results, if any (see `print`).
pub fn take_write_error() -> Option<String> {
    WRITE_ERROR.lock().unwrap_or_else(|p| p.into_inner()).take()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub style: Style,
    pub quiet: bool,
}

impl Output {
    /// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    pub fn new(choice: ColorChoice, quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match choice {
            ColorChoice::Always => !no_color,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Output {
            style: Style { color },
            quiet,
        }
    }

    /// A result on stdout. A closed pipe (`| head`) is not an error worth a panic.
    pub fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let result = out
            .write_all(text.as_bytes())
            .and_then(|()| {
                if text.ends_with('\n') {
                    Ok(())
                } else {
                    out.write_all(b"\n")
                }
            })
            .and_then(|()| out.flush());
        if let Err(e) = result {
            record_write_error(e);
        }
    }

    /// A progress note on stderr, unless `-q`.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", message(text, 0));
        }
    }

    /// An error and its causes, uv-style: `error: …` then `  caused by: …` lines, each message
    /// escaped (`message`), so that none can forge either kind of line.
    pub fn error(&self, err: &anyhow::Error) {
        let head = if std::io::stderr().is_terminal() && self.style.color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        eprintln!("{head}: {}", message(&err.to_string(), 0));
        // Each layer's message says only its own part; the causes follow, one a line.
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {}", message(&cause.to_string(), 2));
        }
    }

    /// Asks on the terminal; true only for "yes".
    pub fn confirm(&self, question: &str) -> bool {
        eprint!("{} Only 'yes' will be accepted: ", escape::text(question));
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() {
            return false;
        }
        answer.trim() == "yes"
    }
}

/// A message for stderr that starts at column `indent`: every control character escaped
/// (`escape::text`), except a line break that starts an indented line — how multi-line
/// messages such as the validator's list of problems are written — which is kept, its line
/// indented two more spaces than the message. So no text inside a message, whatever it
/// quotes, begins a line at column 0 or 2, where `error:` and `caused by:` lines begin.
fn message(text: &str, indent: usize) -> String {
    let mut lines = text.split('\n');
    let mut out = escape::text(lines.next().unwrap_or_default()).into_owned();
    for line in lines {
        if line.starts_with(' ') {
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
        } else {
            out.push_str("\\n");
        }
        out.push_str(&escape::text(line));
    }
    out
}

/// A phase indicator on stderr ("reading the live state… 12/125"), redrawn from a counter
/// and cleared when dropped. Shown only when stderr is a terminal, outside CI (`CI` unset) and
/// without `-q`: never in a log.
pub struct Progress {
    stop: Option<(
        std::sync::Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Output {
    pub fn progress(&self, phase: &str, counter: &Counter) -> Progress {
        let active = !self.quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none_or(|v| v.is_empty());
        if !active {
            return Progress { stop: None };
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, counter, phase) = (stop.clone(), counter.clone(), phase.to_string());
        let handle = std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let (done, total) = counter.get();
                let count = if total > 0 {
                    format!(" {done}/{total}")
                } else {
                    String::new()
                };
                eprint!("\r\x1b[2K{phase}…{count}");
                let _ = std::io::stderr().flush();
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
        Progress {
            stop: Some((stop, handle)),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((flag, handle)) = self.stop.take() {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Log lines on stderr. `verbosity`: 0 warnings, 1 info, 2 debug, 3+ trace; `quiet` errors
/// only. Other crates log at warn at most (their debug output may hold request details).
pub fn init_logging(verbosity: u8, quiet: bool, format: LogFormat) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    let level = if quiet {
        LevelFilter::ERROR
    } else {
        match verbosity {
            0 => LevelFilter::WARN,
            1 => LevelFilter::INFO,
            2 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        }
    };
    let targets = Targets::new()
        .with_default(LevelFilter::WARN.min(level))
        .with_target("rcdomains", level);
    let registry = tracing_subscriber::registry();
    let result = match format {
        // At the default verbosity a warning reads like the rest of the tool's messages —
        // `warning: …` — not as a log line with a timestamp and a module path.
        LogFormat::Text if verbosity == 0 => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(Plain)
                    .fmt_fields(EscapedFields)
                    .with_writer(std::io::stderr)
                    .with_filter(targets),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(EscapedFields)
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(targets),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(|| JsonSafe(std::io::stderr()))
                    .with_filter(targets),
            )
            .try_init(),
    };
    let _ = result;
}

/// `warning: message key=value` (or `error: …`): a log event at the default verbosity.
struct Plain;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let label = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            tracing::Level::INFO => "info",
            _ => "debug",
        };
        write!(writer, "{label}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// The fields of a text log line as the default formatter writes them (the message, then
/// `name=value`, `name="text"`), each value escaped (`escape::text`): a log line is one line
/// without control characters, whatever a name or an API message in it holds.
struct EscapedFields;

struct EscapedVisitor<'a> {
    writer: tracing_subscriber::fmt::format::Writer<'a>,
    result: std::fmt::Result,
    empty: bool,
}

impl<'a> tracing_subscriber::field::MakeVisitor<tracing_subscriber::fmt::format::Writer<'a>>
    for EscapedFields
{
    type Visitor = EscapedVisitor<'a>;

    fn make_visitor(&self, writer: tracing_subscriber::fmt::format::Writer<'a>) -> Self::Visitor {
        EscapedVisitor {
            writer,
            result: Ok(()),
            empty: true,
        }
    }
}

impl EscapedVisitor<'_> {
    fn write(&mut self, field: &tracing::field::Field, value: &str, quoted: bool) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let sep = if self.empty { "" } else { " " };
        self.empty = false;
        let value = escape::text(value);
        self.result = match (name, quoted) {
            ("message", _) => write!(self.writer, "{sep}{value}"),
            (_, true) => write!(self.writer, "{sep}{name}=\"{value}\""),
            (_, false) => write!(self.writer, "{sep}{name}={value}"),
        };
    }
}

impl tracing::field::Visit for EscapedVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.write(field, value, true);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.write(field, &format!("{value:?}"), false);
    }
}

impl tracing_subscriber::field::VisitOutput<std::fmt::Result> for EscapedVisitor<'_> {
    fn finish(self) -> std::fmt::Result {
        self.result
    }
}

impl tracing_subscriber::field::VisitFmt for EscapedVisitor<'_> {
    fn writer(&mut self) -> &mut dyn std::fmt::Write {
        &mut self.writer
    }
}

/// Stderr for JSON log lines, each written through `escape::json`: the JSON encoder escapes C0
/// controls but passes DEL, C1 and bidirectional controls and U+2028/U+2029 through as they
/// are.
struct JsonSafe(std::io::Stderr);

impl Write for JsonSafe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => {
                self.0.write_all(escape::json(text).as_bytes())?;
                Ok(buf.len())
            }
            Err(_) => self.0.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn a_message_cannot_forge_an_error_or_cause_line() {
        let forged = "cannot add `a.example\nerror: all good\n  caused by: nothing`";
        let shown = message(forged, 0);
        assert!(!shown.contains("\nerror:"), "{shown}");
        assert!(
            shown
                .lines()
                .skip(1)
                .all(|l| l.starts_with("   ") && !l.starts_with("  caused")),
            "{shown}"
        );
        assert!(!message("\u{1b}[2J\r\u{202e}", 2).contains(['\u{1b}', '\r', '\u{202e}']));
    }

    #[test]
    fn indented_lines_of_a_message_stay_lines() {
        let text =
            "domains.yaml has 2 problems:\n  domains.yaml:3: unknown key\n    fix: remove it";
        assert_eq!(
            message(text, 0),
            "domains.yaml has 2 problems:\n    domains.yaml:3: unknown key\n      fix: remove it"
        );
    }
}
