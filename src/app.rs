//! The program as a function: arguments in, exit code out (`run`), callable in-process.
//!
//! Owns the order of a run: parse the flags (`cli`), derive the settings once (`config`), set
//! up stderr and the async runtime, run the command, turn its outcome into an exit code and
//! any error into `error: …` lines. Decides nothing about domains.

use crate::cli::Cli;
use crate::commands;
use crate::config::Config;
use crate::exit::Exit;
use crate::output::{self, Output};
use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// Runs `rcdomains` with `args` (the program name first, as `std::env::args_os` gives them).
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match run_code(args) {
        Ok(exit) => exit.into(),
        Err(code) => ExitCode::from(code),
    }
}

/// `run`, with the outcome as an `Exit` (or clap's own code for `--help`, `--version` and a
/// usage error, after clap printed them).
pub fn run_code<I, T>(args: I) -> Result<Exit, u8>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Err(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let config = Config::from_cli(&cli);
    let out = Output::new(config.output.color, config.output.quiet);
    output::init_logging(
        config.output.verbosity,
        config.output.quiet,
        config.output.log_format,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            out.error(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return Ok(Exit::Error);
        }
    };
    let result = runtime.block_on(commands::run(&cli.command, &config, &out));
    let exit = match result {
        Ok(exit) => exit,
        Err(e) => {
            out.error(&e);
            Exit::Error
        }
    };
    if let Some(e) = output::take_write_error() {
        out.error(&anyhow::anyhow!(
            "cannot write the results to stdout ({e}); they are incomplete — check the disk or the pipe it writes to"
        ));
        return Ok(Exit::Error);
    }
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_a_function_call_with_an_exit_code() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/domains.yaml");
        assert_eq!(
            run_code(["rcdomains", "validate", "-f", example]),
            Ok(Exit::Success)
        );
        let missing = concat!(env!("CARGO_MANIFEST_DIR"), "/no-such-file.yaml");
        assert_eq!(
            run_code(["rcdomains", "validate", "-f", missing]),
            Ok(Exit::Error)
        );
        // clap's own outcomes: help is a success, an unknown flag a usage error; a network
        // flag is not one of `validate`'s.
        assert_eq!(run_code(["rcdomains", "validate", "--help"]), Err(0));
        assert_eq!(
            run_code(["rcdomains", "validate", "--resolver", "127.0.0.1:53"]),
            Err(2)
        );
    }
}
