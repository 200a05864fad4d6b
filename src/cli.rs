//! Command-line arguments (clap): flags and help text only.
//!
//! Depends on nothing else in the crate. `config` derives the run's settings from these types
//! once; the commands read only their own flags from here. `app::run` is the entry point.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The desired-state file read when `-f` is not given.
pub const DEFAULT_FILE: &str = "domains.yaml";

#[derive(Debug, Parser)]
#[command(
    name = "rcdomains",
    version = env!("RCDOMAINS_VERSION"),
    about = "Keep a WordPress multisite network's domains and its RunCloud web application in agreement",
    long_about = "Keep a WordPress multisite network's domains and its RunCloud web application in agreement.\n\nA desired-state YAML file is planned against the live RunCloud state and applied.\nCredentials come from the environment: RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2); the plugin's WU_RUNCLOUD_* names and --wp-config work too.",
    after_help = "Exit codes: 0 success (plan --detailed-exitcode: no changes; audit: nothing to report), 1 error, 2 changes pending (plan --detailed-exitcode, generate --check) or findings (audit), 3 refused by a safety gate, 4 apply finished with failures (or, with --verify, certificates not verified)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Options every subcommand accepts: what stderr shows.
#[derive(Debug, Args, Clone)]
pub struct Global {
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

/// The desired-state files a command reads.
#[derive(Debug, Args, Clone, Default)]
pub struct FileArgs {
    /// The desired-state file [default: domains.yaml]. Repeat it for several networks (each
    /// file is one target); a directory means every *.yaml and *.yml file in it, sorted.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
}

pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_MAX_WAIT_SECS: u64 = 600;
pub const DEFAULT_READ_CONCURRENCY: usize = 8;
pub const DEFAULT_DNS_CONCURRENCY: usize = 64;
pub const DEFAULT_DNS_TIMEOUT_SECS: u64 = 3;
pub const DEFAULT_TLS_PORT: u16 = 443;

/// How to reach RunCloud: the commands that call its API.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "RunCloud API")]
pub struct ApiArgs {
    /// RunCloud API base URL [default: https://manage.runcloud.io/api/v3, or …/api/v2 with key and secret].
    #[arg(long, env = "RUNCLOUD_API_URL")]
    pub api_url: Option<String>,
    /// A plugin-style wp-config.php whose WU_RUNCLOUD_* define()s hold the credentials and ids.
    #[arg(long, value_name = "PATH")]
    pub wp_config: Option<PathBuf>,
    /// Seconds to wait for each API request.
    #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS, value_name = "SECS")]
    pub timeout: u64,
    /// A ceiling on API requests per minute. The pace is RunCloud's own limit, read from its
    /// answers (X-RateLimit-Limit/-Remaining); without those headers, this (or 60) is the pace.
    #[arg(long, env = "RCDOMAINS_RATE_LIMIT", value_name = "N")]
    pub rate_limit: Option<u32>,
    /// The run's patience: seconds it may spend waiting on RunCloud's rate limit and
    /// retries, in all, before it stops with an error.
    #[arg(
        long,
        env = "RCDOMAINS_MAX_WAIT",
        default_value_t = DEFAULT_MAX_WAIT_SECS,
        value_name = "SECS"
    )]
    pub max_wait: u64,
    /// Pages of the domain list read at once, once the first page gives the total.
    #[arg(long, default_value_t = DEFAULT_READ_CONCURRENCY, value_name = "N")]
    pub read_concurrency: usize,
}

impl Default for ApiArgs {
    fn default() -> Self {
        ApiArgs {
            api_url: None,
            wp_config: None,
            timeout: DEFAULT_TIMEOUT_SECS,
            rate_limit: None,
            max_wait: DEFAULT_MAX_WAIT_SECS,
            read_concurrency: DEFAULT_READ_CONCURRENCY,
        }
    }
}

/// How names are checked: DNS and the certificates the server presents.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "DNS and TLS checks")]
pub struct CheckArgs {
    /// DNS resolver to ask instead of the system's (repeatable), e.g. 127.0.0.1:5353.
    #[arg(long = "resolver", value_name = "IP:PORT")]
    pub resolvers: Vec<SocketAddr>,
    /// Do not check DNS (nor certificates): additions are not held back, and no certificate is ordered.
    #[arg(long)]
    pub skip_dns: bool,
    /// DNS look-ups (and TLS handshakes) in flight at once.
    #[arg(long, default_value_t = DEFAULT_DNS_CONCURRENCY, value_name = "N")]
    pub dns_concurrency: usize,
    /// Seconds to wait for each DNS query (a name that times out is not ready).
    #[arg(long, default_value_t = DEFAULT_DNS_TIMEOUT_SECS, value_name = "SECS")]
    pub dns_timeout: u64,
    /// Port of the server's TLS endpoint to read certificates from.
    #[arg(long, default_value_t = DEFAULT_TLS_PORT, value_name = "PORT")]
    pub tls_port: u16,
}

impl Default for RunArgs {
    fn default() -> Self {
        RunArgs {
            files: FileArgs::default(),
            format: Format::Text,
            api: ApiArgs::default(),
            checks: CheckArgs::default(),
        }
    }
}

impl Default for CheckArgs {
    fn default() -> Self {
        CheckArgs {
            resolvers: vec![],
            skip_dns: false,
            dns_concurrency: DEFAULT_DNS_CONCURRENCY,
            dns_timeout: DEFAULT_DNS_TIMEOUT_SECS,
            tls_port: DEFAULT_TLS_PORT,
        }
    }
}

/// What plan, apply and audit share: the files, the output format, RunCloud and the checks.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// Output format of results on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub checks: CheckArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// For a pull-request comment or a GitHub step summary (plan and apply).
    Markdown,
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
    #[command(
        after_help = "Examples:\n  rcdomains validate\n  rcdomains validate -f sites/domains.yaml"
    )]
    Validate(ValidateArgs),
    /// Read-only health report for a nightly job: drift, renewal-at-risk, expiring or uncovered certificates, deferred items.
    Audit(AuditArgs),
    /// Read live state and print the plan; changes nothing.
    #[command(
        after_help = "Examples:\n  rcdomains plan\n  rcdomains plan --format markdown --out plan.json   # a pull-request comment, and the plan to apply\n  rcdomains plan --detailed-exitcode                 # exit 2 when changes are pending\n  rcdomains plan -f networks/ --out plan.json        # every network of a directory, one saved plan"
    )]
    Plan(PlanCommandArgs),
    /// Carry out a fresh plan (asks on a terminal; needs --yes otherwise), or exactly a saved plan.
    Apply(ApplyArgs),
    /// Print the JSON Schema of the desired-state file, or of the JSON plan.
    #[command(
        after_help = "Examples:\n  rcdomains schema > desired.schema.json\n  rcdomains schema plan"
    )]
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Desired)]
        kind: SchemaKind,
    },
    /// Write a desired-state file from the network (Ultimate Multisite) or from the live app.
    Generate(GenerateArgs),
    /// Serve a simulated RunCloud API on loopback, for rehearsals and tests.
    #[cfg(feature = "sandbox")]
    #[command(
        after_help = "Examples:\n  rcdomains sandbox                                   # the built-in seed; prints export lines\n  rcdomains sandbox --seed my-seed.yaml --fault status=503,times=2"
    )]
    Sandbox(SandboxArgs),
    /// Start the sandbox in-process and run plan → apply → plan on examples/.
    #[cfg(feature = "sandbox")]
    #[command(after_help = "Examples:\n  rcdomains demo\n  rcdomains demo --dir examples")]
    Demo(DemoArgs),
    /// Print a shell completion script (e.g. `rcdomains completions bash > /etc/bash_completion.d/rcdomains`).
    #[command(
        after_help = "Examples:\n  rcdomains completions bash > /etc/bash_completion.d/rcdomains\n  rcdomains completions zsh > \"${fpath[1]}/_rcdomains\"\n  rcdomains completions fish > ~/.config/fish/completions/rcdomains.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from the same definitions as --help.
    #[command(
        after_help = "Examples:\n  rcdomains man | man -l -\n  rcdomains man > /usr/local/share/man/man1/rcdomains.1"
    )]
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Desired,
    Plan,
}

/// `rcdomains validate`'s flags.
#[derive(Debug, Args, Clone, Default)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub files: FileArgs,
    #[command(flatten)]
    pub gate: GateArgs,
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

/// The certificate-order ledger, for `plan` and `apply`.
#[derive(Debug, Args, Clone, Default)]
pub struct LedgerArgs {
    /// A JSON ledger of every certificate order (time, names, outcome, the API's message),
    /// for CI to cache between runs; apply records its orders there (created when missing).
    /// With it, a name set whose order failed backs off (1 h, 6 h, then 24 h) and Let's
    /// Encrypt's rate limits are kept from its history; without it, at most 10 orders per
    /// registered domain in one run.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Order now for NAME although the ledger says its name set is backing off after a failed
    /// order (repeatable). Let's Encrypt's limits still hold.
    #[arg(long = "retry-now", value_name = "NAME", requires = "ledger")]
    pub retry_now: Vec<String>,
}

/// `rcdomains audit`'s own flags.
#[derive(Debug, Args, Clone, Default)]
#[command(
    after_help = "Audit reads RunCloud, DNS and the certificates the server presents, and changes nothing (it sends no write request).\nExit codes: 0 nothing to report, 2 findings, 1 error.\n\nExamples:\n  rcdomains audit\n  rcdomains audit --ledger ledger.json --format json"
)]
pub struct AuditArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The certificate-order ledger (only read): orders backing off or over Let's Encrypt's
    /// limits are reported as deferred, with when they are due.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

/// `rcdomains plan`'s own flags.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanCommandArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Also save the plan (JSON, with its inputs and fingerprint) to FILE, for `rcdomains apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when changes are pending (1 error, 3 refused).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// With --detailed-exitcode: deferred items count as changes (exit 2).
    #[arg(long, requires = "detailed_exitcode")]
    pub deferred_as_changes: bool,
}

#[derive(Debug, Args, Clone)]
#[command(
    after_help = "With PLANFILE (from `plan --out`), apply re-reads the desired file named in it and the live state, recomputes the plan and applies it only when its fingerprint is unchanged (no --yes needed: it was reviewed); otherwise it exits 3, changes nothing and prints what drifted.\n\nExamples:\n  rcdomains apply                                    # asks on a terminal\n  rcdomains apply plan.json --report report.json     # exactly the reviewed plan\n  rcdomains apply --yes --ledger ledger.json --verify 120"
)]
pub struct ApplyArgs {
    /// A saved plan (`rcdomains plan --out FILE`): apply exactly it, or refuse when anything drifted.
    #[arg(value_name = "PLANFILE", conflicts_with = "files")]
    pub planfile: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// API requests in flight at once during apply.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub parallelism: usize,
    /// Write a JSON report of every action's outcome (ok, failed with the API's message,
    /// skipped with why) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// After the SSL phase, probe every name the orders covered (a TLS handshake with its SNI
    /// at the server's address) until the server presents a certificate covering it, for at
    /// most SECS seconds [default: 120]; exit 4 when any stays unverified. Give PLANFILE
    /// before it, or write --verify=SECS.
    #[arg(
        long,
        value_name = "SECS",
        num_args = 0..=1,
        default_missing_value = "120"
    )]
    pub verify: Option<u64>,
}

#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Credentials for --from um-rest come from WU_API_KEY and WU_API_SECRET (the plugin's API key and secret); --from runcloud uses the RunCloud credentials, like plan.\nExit codes with --check: 0 the file is up to date, 2 it would change (nothing is written), 1 error.\n\nExamples:\n  rcdomains generate --from um-rest --url https://network.example -o domains.yaml\n  rcdomains generate --from runcloud --server 11667 --app 940288 -o domains.yaml\n  rcdomains generate --from um-rest --url https://network.example -o domains.yaml --check"
)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Where the names come from.
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub from: GenerateSource,
    /// The network's main site, for --from um-rest (e.g. https://network.example).
    #[arg(long, value_name = "URL", required_if_eq("from", "um-rest"))]
    pub url: Option<String>,
    /// For --from um-rest: how the plugin's API key and secret are sent. `basic`: the
    /// Authorization header. `query`: the api_key and api_secret query parameters, for a web
    /// server that strips Authorization; the secret then travels in the URL and may land in the
    /// access logs of the server and of any proxy on the way.
    #[arg(
        long,
        value_name = "HOW",
        default_value = "basic",
        value_parser = ["basic", "query"]
    )]
    pub auth: String,
    /// For --from wp-cli: the JSON of the complete export of the mappings table (see the
    /// README), or of `wp wu domain list --format=json` (at most 100 rows: a list of exactly 100
    /// is refused), or - for stdin.
    #[arg(long, value_name = "FILE", required_if_eq("from", "wp-cli"))]
    pub input: Option<PathBuf>,
    /// The JSON of `wp site list --fields=blog_id,domain,archived,spam,deleted --format=json`:
    /// names of archived, spam or deleted sites are left out.
    #[arg(long, value_name = "FILE")]
    pub sites: Option<PathBuf>,
    /// Write (or update) this file instead of printing; its hand-written settings and per-domain
    /// overrides are kept, only the domain list changes.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write nothing; exit 2 when the -o file would change, 0 when it is up to date.
    #[arg(long, requires = "output")]
    pub check: bool,
    /// The network's own domain. Names below it are left out when the app serves a wildcard
    /// for it: with --from runcloud as the app shows; otherwise with --exclude-subdomains, or
    /// when RunCloud credentials are set and the app has the wildcard.
    #[arg(long, value_name = "DOMAIN")]
    pub network_domain: Option<String>,
    /// Leave out names below --network-domain without asking RunCloud.
    #[arg(long, requires = "network_domain")]
    pub exclude_subdomains: bool,
    /// Keep mappings that are not active too.
    #[arg(long)]
    pub include_inactive: bool,
    /// RunCloud server id (else the -o file's target, else RUNCLOUD_SERVER_ID).
    #[arg(long, value_name = "ID")]
    pub server: Option<u64>,
    /// RunCloud web application id (else the -o file's target, else RUNCLOUD_APP_ID).
    #[arg(long, value_name = "ID")]
    pub app: Option<u64>,
    /// The schema reference of the `# yaml-language-server: $schema=` line [default: the
    /// existing file's, else the schema's published address, its $id].
    #[arg(long, value_name = "REF")]
    pub schema_ref: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateSource {
    /// The Ultimate Multisite REST API (wu/v2) of the network at --url.
    UmRest,
    /// A JSON export from `wp wu domain list --format=json` (--input).
    WpCli,
    /// The live RunCloud web application (to adopt rcdomains on an existing app).
    Runcloud,
}

impl GenerateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GenerateSource::UmRest => "um-rest",
            GenerateSource::WpCli => "wp-cli",
            GenerateSource::Runcloud => "runcloud",
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Address to listen on (loopback).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Seed file describing servers, apps, domains, SSL and DNS [default: the built-in
    /// examples/sandbox-seed.yaml].
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Address of the DNS server (UDP and TCP) serving the seed's zone [default: a free port].
    #[arg(long)]
    pub dns_listen: Option<SocketAddr>,
    /// Address of the TLS endpoint presenting the issued certificates [default: a free port].
    #[arg(long)]
    pub tls_listen: Option<SocketAddr>,
    /// Arm a fault (repeatable), e.g. `status=503,times=2,path=/domains`.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Directory holding domains.yaml and sandbox-seed.yaml [default: the built-in copies of
    /// examples/].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
