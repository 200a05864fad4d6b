//! The only module that prints.
//!
//! Owns stdout (results: plans, reports, schemas) and stderr (errors, notes, prompts); the
//! rest of the crate returns strings and errors. `clippy::print_stdout`/`print_stderr` are
//! denied everywhere else. Log lines go through `tracing`, set up in `init_logging`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::progress::Counter;
use crate::render::Style;
use std::io::{BufRead, IsTerminal, Write};

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
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// A progress note on stderr, unless `-q`.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// An error and its causes, uv-style: `error: …` then `  caused by: …` lines.
    pub fn error(&self, err: &anyhow::Error) {
        let head = if std::io::stderr().is_terminal() && self.style.color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        eprintln!("{head}: {err}");
        let mut source = err.source();
        let mut last = err.to_string();
        while let Some(s) = source {
            let text = s.to_string();
            if !last.contains(&text) {
                eprintln!("  caused by: {text}");
            }
            last = text;
            source = s.source();
        }
    }

    /// Asks on the terminal; true only for "yes".
    pub fn confirm(&self, question: &str) -> bool {
        eprint!("{question} Only 'yes' will be accepted: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() {
            return false;
        }
        answer.trim() == "yes"
    }
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
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(targets),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_filter(targets),
            )
            .try_init(),
    };
    let _ = result;
}
