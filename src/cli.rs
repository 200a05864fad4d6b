//! Command-line arguments (clap) and the entry point.
//!
//! Holds flags and help text only; each subcommand's work is in `commands`. Turns the
//! outcome into an exit code (`exit::Exit`) and any error into `error: …` lines.

use crate::commands;
use crate::exit::Exit;
use crate::output::{self, ColorChoice, LogFormat, Output};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "rcdomains",
    version,
    about = "Keep a WordPress multisite network's domains and its RunCloud web application in agreement",
    long_about = "Keep a WordPress multisite network's domains and its RunCloud web application in agreement.\n\nA desired-state YAML file is planned against the live RunCloud state and applied.\nCredentials come from the environment: RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2); the plugin's WU_RUNCLOUD_* names and --wp-config work too.",
    after_help = "Exit codes: 0 success (plan --detailed-exitcode: no changes), 1 error, 2 changes pending (--detailed-exitcode), 3 refused by a safety gate, 4 apply finished with failures."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Options every subcommand accepts.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The desired-state file.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "domains.yaml"
    )]
    pub file: PathBuf,
    /// Output format of results on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// RunCloud API base URL [default: https://manage.runcloud.io/api/v3, or …/api/v2 with key and secret].
    #[arg(long, global = true, env = "RUNCLOUD_API_URL")]
    pub api_url: Option<String>,
    /// A plugin-style wp-config.php whose WU_RUNCLOUD_* define()s hold the credentials and ids.
    #[arg(long, global = true, value_name = "PATH")]
    pub wp_config: Option<PathBuf>,
    /// DNS resolver to ask instead of the system's (repeatable), e.g. 127.0.0.1:5353.
    #[arg(long = "resolver", global = true, value_name = "IP:PORT")]
    pub resolvers: Vec<SocketAddr>,
    /// Do not check DNS (nor certificates): additions are not held back, and no certificate is ordered.
    #[arg(long, global = true)]
    pub skip_dns: bool,
    /// DNS look-ups (and TLS handshakes) in flight at once.
    #[arg(long, global = true, default_value_t = 64, value_name = "N")]
    pub dns_concurrency: usize,
    /// Seconds to wait for each DNS query (a name that times out is not ready).
    #[arg(long, global = true, default_value_t = 3, value_name = "SECS")]
    pub dns_timeout: u64,
    /// Port of the server's TLS endpoint to read certificates from.
    #[arg(long, global = true, default_value_t = 443, value_name = "PORT")]
    pub tls_port: u16,
    /// Seconds to wait for each API request.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// API requests per minute (shared by the whole run).
    #[arg(
        long,
        global = true,
        env = "RCDOMAINS_RATE_LIMIT",
        default_value_t = 60,
        value_name = "N"
    )]
    pub rate_limit: u32,
    /// More log detail on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
    /// Colour: auto (only on a terminal, never with NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the desired-state file offline (no network).
    Validate(GateArgs),
    /// Read live state and print the plan; changes nothing.
    Plan(PlanArgs),
    /// Carry out a fresh plan (asks on a terminal; needs --yes otherwise).
    Apply(ApplyArgs),
    /// Print the JSON Schema of the desired-state file, or of the JSON plan.
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Desired)]
        kind: SchemaKind,
    },
    /// Serve a simulated RunCloud API on loopback, for rehearsals and tests.
    Sandbox(SandboxArgs),
    /// Start the sandbox in-process and run plan → apply → plan on examples/.
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Desired,
    Plan,
}

#[derive(Debug, Args, Clone, Copy, Default)]
pub struct GateArgs {
    /// Accept an empty `domains` list with `removals.prune: true`.
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args, Clone, Copy, Default)]
pub struct PlanArgs {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Allow up to N removals in this run (replaces removals.max and max_percent once).
    #[arg(long, value_name = "N")]
    pub allow_removals: Option<u32>,
}

#[derive(Debug, Args, Clone, Copy)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// API requests in flight at once during apply.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub parallelism: usize,
}

#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Address to listen on (loopback).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Seed file describing servers, apps, domains, SSL and DNS.
    #[arg(long, default_value = "examples/sandbox-seed.yaml")]
    pub seed: PathBuf,
    /// Arm a fault (repeatable), e.g. `status=503,times=2,path=/domains`.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Directory holding domains.yaml and sandbox-seed.yaml.
    #[arg(long, default_value = "examples")]
    pub dir: PathBuf,
}

/// Runs the program; returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let g = &cli.global;
    let out = Output::new(
        match g.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        },
        g.quiet,
    );
    output::init_logging(
        g.verbose,
        g.quiet,
        match g.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            out.error(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return Exit::Error.into();
        }
    };
    let result = runtime.block_on(commands::run(&cli, &out));
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            out.error(&e);
            Exit::Error.into()
        }
    }
}
