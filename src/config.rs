//! The run's settings, derived once from the command line before any command runs.
//!
//! Owns the step from flags (`cli`, clap's types) to what the commands work with: the files,
//! the output format, how to reach RunCloud, how names are checked, what stderr shows. Commands
//! take a `&Config` and never read clap's shared flags; a command that runs with other
//! settings (the demo on its sandbox, a saved plan made without DNS checks) derives a new
//! value here instead of mutating flags. Reads no file and no environment variable itself.

use crate::cli::{self, ApiArgs, CheckArgs, Cli, ColorArg, Command, Format, LogFormatArg, RunArgs};
use crate::output::{ColorChoice, LogFormat};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything a command needs from the command line besides its own flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// `-f` as given (expanded into targets by the command); empty: `domains.yaml`.
    pub files: Vec<PathBuf>,
    pub format: Format,
    pub api: ApiConfig,
    pub checks: CheckConfig,
    pub output: OutputConfig,
}

/// How to reach RunCloud.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `--api-url` / `RUNCLOUD_API_URL`; `None`: RunCloud's own for the credentials.
    pub url: Option<String>,
    /// `--wp-config`: a plugin-style file holding the credentials.
    pub wp_config: Option<PathBuf>,
    /// Per request.
    pub timeout: Duration,
    /// `--rate-limit`: a ceiling on requests per minute.
    pub rate_ceiling: Option<u32>,
    /// `--max-wait`: the run's patience for rate limits and retries, in all.
    pub max_wait: Duration,
    pub read_concurrency: usize,
}

/// How names are checked: DNS, and the certificates the server presents.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// `--skip-dns`: no DNS check (nor certificates).
    pub skip: bool,
    /// Empty: the system's resolvers.
    pub resolvers: Vec<SocketAddr>,
    /// Per DNS query; a TLS handshake gets twice as long.
    pub dns_timeout: Duration,
    /// Look-ups (and handshakes) in flight at once.
    pub concurrency: usize,
    pub tls_port: u16,
}

/// What stderr shows.
#[derive(Debug, Clone, Copy)]
pub struct OutputConfig {
    pub color: ColorChoice,
    pub quiet: bool,
    pub verbosity: u8,
    pub log_format: LogFormat,
}

impl Config {
    /// The settings of `cli`: the command's own network and file flags where it has them,
    /// the defaults where it has none.
    pub fn from_cli(cli: &Cli) -> Config {
        let g = &cli.global;
        let output = OutputConfig {
            color: match g.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
            quiet: g.quiet,
            verbosity: g.verbose,
            log_format: match g.log_format {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            },
        };
        let run = match &cli.command {
            Command::Plan(a) => Some(&a.run),
            Command::Apply(a) => Some(&a.run),
            Command::Audit(a) => Some(&a.run),
            _ => None,
        };
        let mut config = match run {
            Some(run) => Config::from_run(run, output),
            None => Config::from_run(&RunArgs::default(), output),
        };
        match &cli.command {
            Command::Validate(a) => config.files = a.files.files.clone(),
            Command::Generate(a) => config.api = ApiConfig::from_args(&a.api),
            _ => {}
        }
        config
    }

    fn from_run(run: &RunArgs, output: OutputConfig) -> Config {
        Config {
            files: run.files.files.clone(),
            format: run.format,
            api: ApiConfig::from_args(&run.api),
            checks: CheckConfig::from_args(&run.checks),
            output,
        }
    }

    /// The settings with which the demo runs on its sandbox: its API, its DNS server and its
    /// TLS endpoint, text output.
    pub fn for_sandbox(&self, api_url: String, dns: SocketAddr, tls_port: u16) -> Config {
        Config {
            files: vec![],
            format: Format::Text,
            api: ApiConfig {
                url: Some(api_url),
                wp_config: None,
                ..ApiConfig::from_args(&ApiArgs::default())
            },
            checks: CheckConfig {
                skip: false,
                resolvers: vec![dns],
                tls_port,
                ..CheckConfig::from_args(&CheckArgs::default())
            },
            output: self.output,
        }
    }
}

impl Config {
    /// These settings with other checks (a saved plan's, see `CheckConfig::as_planned`).
    pub fn with_checks(&self, checks: CheckConfig) -> Config {
        Config {
            checks,
            ..self.clone()
        }
    }
}

impl ApiConfig {
    pub fn from_args(a: &ApiArgs) -> ApiConfig {
        ApiConfig {
            url: a.api_url.clone(),
            wp_config: a.wp_config.clone(),
            timeout: Duration::from_secs(a.timeout.max(1)),
            rate_ceiling: a.rate_limit,
            max_wait: Duration::from_secs(a.max_wait),
            read_concurrency: a.read_concurrency.max(1),
        }
    }
}

impl CheckConfig {
    pub fn from_args(a: &CheckArgs) -> CheckConfig {
        CheckConfig {
            skip: a.skip_dns,
            resolvers: a.resolvers.clone(),
            dns_timeout: Duration::from_secs(a.dns_timeout.max(1)),
            concurrency: a.dns_concurrency.max(1),
            tls_port: a.tls_port,
        }
    }

    /// A TLS handshake's time limit.
    pub fn tls_timeout(&self) -> Duration {
        self.dns_timeout * 2
    }

    /// These settings for a saved plan: DNS is checked exactly when the plan checked it.
    pub fn as_planned(&self, dns_checked: bool) -> CheckConfig {
        CheckConfig {
            skip: !dns_checked,
            ..self.clone()
        }
    }
}

/// The default of `-f`.
pub const DEFAULT_FILE: &str = cli::DEFAULT_FILE;
