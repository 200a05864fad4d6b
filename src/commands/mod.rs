//! The subcommands: each reads top to bottom like the pipeline it runs.
//!
//! Owns wiring (which file, which credentials, which target) and the exit code of each
//! command. `anyhow` lives here, for context; decisions stay in `plan`, printing in `output`.

mod apply;
mod audit;
#[cfg(feature = "sandbox")]
mod demo;
mod generate;
pub mod ledger;
mod plan;
#[cfg(feature = "sandbox")]
mod sandbox;
mod schema;
mod targets;
mod validate;

pub use schema::schema_json;

use crate::checks::{self, CheckOptions};
use crate::cli::{Cli, Command, Format};
use crate::config::{ApiConfig, CheckConfig, Config};
use crate::desired::{Desired, Target};
use crate::exit::Exit;
use crate::model::Checks;
use crate::model::LiveState;
use crate::output::Output;
use crate::plan::{Plan, PlanOptions};
use crate::render;
use crate::runcloud::credentials::{self, Resolved};
use crate::runcloud::{Client, ClientConfig};
use crate::saved;
use anyhow::{Context, bail};

/// Runs `command` with the settings derived from the command line (`config`); its own flags
/// come from `command`.
pub async fn run(command: &Command, config: &Config, out: &Output) -> anyhow::Result<Exit> {
    match command {
        Command::Validate(args) => validate::run(config, args, out),
        Command::Audit(args) => audit::run(config, args, out).await,
        Command::Plan(args) => plan::run(config, args, out).await,
        Command::Apply(args) => apply::run(config, args, out).await,
        Command::Schema { kind } => schema::run(*kind, out),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(args, out).await,
        #[cfg(feature = "sandbox")]
        Command::Demo(args) => demo::run(config, args, out).await,
        Command::Generate(args) => generate::run(config, args, out).await,
        Command::Completions { shell } => completions(*shell, out),
        Command::Man => man(out),
    }
}

/// `rcdomains man`: the man page (roff), with a section for each subcommand, generated from
/// the clap definition.
fn man(out: &Output) -> anyhow::Result<Exit> {
    out.print(&man_page()?);
    Ok(Exit::Success)
}

/// The man page text: clap_mangen's page of the program (global options, the list of
/// commands, exit codes), then a section for each command with its synopsis, description,
/// options and examples.
pub fn man_page() -> anyhow::Result<String> {
    use clap::CommandFactory;
    // Not built: the global options stay on the program's page instead of repeating under
    // every command.
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    let mut page = String::from_utf8_lossy(&buf).into_owned();
    for sub in cmd.get_subcommands() {
        let name = format!("rcdomains {}", sub.get_name());
        let man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        page.push_str(&format!(".SH \"{}\"\n", name.to_uppercase()));
        type Render = fn(&clap_mangen::Man, &mut dyn std::io::Write) -> std::io::Result<()>;
        let parts: [(Render, &str); 4] = [
            (clap_mangen::Man::render_synopsis_section, "Synopsis"),
            (clap_mangen::Man::render_description_section, "Description"),
            (clap_mangen::Man::render_options_section, "Options"),
            (clap_mangen::Man::render_extra_section, "Notes and examples"),
        ];
        for (render, title) in parts {
            let mut part = Vec::new();
            render(&man, &mut part)?;
            let part = String::from_utf8_lossy(&part);
            // Each part opens with its own `.SH` heading: a subsection of the command's here.
            for line in part.lines() {
                if line.starts_with(".SH ") {
                    page.push_str(&format!(".SS {title}\n"));
                } else {
                    page.push_str(line);
                    page.push('\n');
                }
            }
        }
    }
    Ok(page)
}

/// `rcdomains completions SHELL`: the completion script, generated from the clap definition.
fn completions(shell: clap_complete::Shell, out: &Output) -> anyhow::Result<Exit> {
    use clap::CommandFactory;
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rcdomains", &mut buf);
    out.print(&String::from_utf8_lossy(&buf));
    Ok(Exit::Success)
}

/// A client for the target of a desired file, from the environment and flags.
pub struct Session {
    pub client: Client,
    pub server: u64,
    pub app: u64,
}

impl Session {
    pub fn from_env(g: &ApiConfig, desired: &Desired) -> anyhow::Result<Session> {
        let env = |name: &str| std::env::var(name).ok();
        let resolved = credentials::resolve(&env, g.wp_config.as_deref())?;
        Session::new(g, desired, resolved)
    }

    pub fn new(g: &ApiConfig, desired: &Desired, resolved: Resolved) -> anyhow::Result<Session> {
        Session::for_target(g, desired.target, &desired.source, resolved)
    }

    /// A client for `target` (ids not given there come from the environment); `source` names
    /// where `target` came from, for messages.
    pub fn for_target(
        g: &ApiConfig,
        target: Target,
        source: &str,
        resolved: Resolved,
    ) -> anyhow::Result<Session> {
        let client = client(g, &resolved)?;
        Session::with_client(&client, target, source, &resolved)
    }

    /// A session for `target` on a client made already (several targets share one client's
    /// rate limiter: RunCloud limits the credential, not the app).
    pub fn with_client(
        client: &Client,
        target: Target,
        source: &str,
        resolved: &Resolved,
    ) -> anyhow::Result<Session> {
        let server = pick_id("server", target.server, resolved.server.clone(), source)?;
        let app = pick_id("app", target.app, resolved.app.clone(), source)?;
        tracing::info!(credentials = %resolved.source, api = %client.api(), server, app, "using RunCloud");
        Ok(Session {
            client: client.for_target(),
            server,
            app,
        })
    }
}

impl Session {
    /// "server 1 app 2": the target as a summary table shows it.
    pub(crate) fn label(&self) -> String {
        format!("server {} app {}", self.server, self.app)
    }
}

/// The RunCloud client of the flags and the resolved credentials.
pub fn client(g: &ApiConfig, resolved: &Resolved) -> anyhow::Result<Client> {
    let mut config = ClientConfig::new(resolved.credentials.clone());
    config.api_url = g.url.clone();
    config.timeout = g.timeout;
    config.rate_ceiling = g.rate_ceiling;
    config.max_wait = g.max_wait;
    config.read_concurrency = g.read_concurrency;
    Ok(Client::new(config)?)
}

/// The id from the file, or from the environment; both set and different is an error.
fn pick_id(
    what: &str,
    file: Option<u64>,
    env: Option<(u64, String)>,
    source: &str,
) -> anyhow::Result<u64> {
    match (file, env) {
        (Some(f), Some((e, name))) if f != e => bail!(
            "target.{what} is {f} in {source} but {name} is {e}; remove one of them so it is clear which {what} is meant"
        ),
        (Some(f), _) => Ok(f),
        (None, Some((e, _))) => Ok(e),
        (None, None) => {
            let var = if what == "server" {
                "RUNCLOUD_SERVER_ID"
            } else {
                "RUNCLOUD_APP_ID"
            };
            bail!("no RunCloud {what} id: set `target.{what}` in {source}, or {var}")
        }
    }
}

/// Live state, checks and the plan for a desired file, with what it was computed from.
pub struct Planned {
    pub live: LiveState,
    pub checks: Checks,
    pub plan: Plan,
    pub inputs: saved::Inputs,
}

impl Planned {
    /// The JSON plan with its fingerprint, as `plan --format json` prints it.
    pub fn json(&self) -> render::json::JsonPlan {
        let mut json = render::json::to_json_plan(&self.plan);
        saved::seal(&mut json, &self.inputs);
        json
    }

    /// The plan as `plan --out` saves it: the JSON plan with the inputs it was computed from.
    pub fn saved(&self) -> saved::SavedPlan {
        saved::SavedPlan::new(render::json::to_json_plan(&self.plan), self.inputs.clone())
    }
}

/// Reads the live state, checks DNS and certificates, and plans, with the order history of
/// `ledger` (`None` without `--ledger`).
pub async fn compute(
    g: &CheckConfig,
    out: Option<&Output>,
    desired: &Desired,
    session: &Session,
    options: &PlanOptions,
    ledger: Option<&crate::plan::Ledger>,
) -> anyhow::Result<Planned> {
    let progress = out.map(|out| {
        out.progress(
            &format!(
                "reading the live state of server {} app {}",
                session.server, session.app
            ),
            session.client.progress(),
        )
    });
    let live = session
        .client
        .live_state(session.server, session.app)
        .await
        .with_context(|| {
            format!(
                "cannot read the live state of server {} app {}",
                session.server, session.app
            )
        })?;
    drop(progress);
    let mut live = live;
    match (live.server_ip, desired.dns.server_ip) {
        (None, Some(ip)) => live.server_ip = Some(ip),
        (Some(api), Some(file)) if api != file => tracing::warn!(
            "RunCloud says server {} is at {api}, but dns.server_ip in {} says {file}; DNS is checked against RunCloud's",
            session.server,
            desired.source
        ),
        _ => {}
    }
    let checks = if g.skip {
        Checks::skipped()
    } else {
        let opts = CheckOptions {
            resolvers: g.resolvers.clone(),
            dns_timeout: g.dns_timeout,
            concurrency: g.concurrency,
            tls_port: g.tls_port,
            tls_timeout: g.tls_timeout(),
            progress: crate::progress::Counter::default(),
        };
        let _progress =
            out.map(|out| out.progress("checking DNS, then certificates", &opts.progress));
        checks::run(desired, &live, &opts).await.context(
            "cannot check DNS (use --resolver IP:PORT, or --skip-dns to plan without DNS checks)",
        )?
    };
    let now = jiff::Timestamp::now().as_second();
    let mut plan = crate::plan::plan(desired, &live, &checks, ledger, now, options);
    // Advanced SSL: a domain with a certificate is redeployed (PUT), one without gets an
    // install (POST), a custom one is left alone. Which it is, is read only for the domains
    // the plan would order for, then the plan is made again with what was read.
    let candidates = advanced_order_domains(&plan);
    if !candidates.is_empty() {
        for id in candidates {
            let cert = session
                .client
                .domain_certificate(session.server, session.app, id)
                .await
                .with_context(|| format!("cannot read the certificate of domain id {id}"))?;
            live.ssl.domain_certificates.insert(id, cert);
        }
        plan = crate::plan::plan(desired, &live, &checks, ledger, now, options);
    }
    plan.api_requests = Some(session.client.request_count());
    let inputs = saved::inputs(desired, &live, &checks, &plan)
        .with_options(options)
        .with_ledger(ledger.is_some());
    Ok(Planned {
        live,
        checks,
        plan,
        inputs,
    })
}

/// The attached domains an advanced-mode order of `plan` is for.
fn advanced_order_domains(plan: &Plan) -> Vec<u64> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            crate::plan::Action::Ssl {
                order: crate::plan::SslOrder::AdvancedInstall { domain_id },
                ..
            } => *domain_id,
            _ => None,
        })
        .collect()
}

pub fn render_plan(format: Format, out: &Output, planned: &Planned) -> String {
    render_plan_within(format, out, planned, render::markdown::LIMIT)
}

/// `render_plan`, the Markdown form in at most about `limit` bytes.
pub fn render_plan_within(format: Format, out: &Output, planned: &Planned, limit: usize) -> String {
    match format {
        Format::Text => render::text::plan(&planned.plan, out.style),
        Format::Json => render::json::pretty(&planned.json()),
        Format::Markdown => {
            let json = planned.json();
            let origin = render::markdown::Origin {
                file: planned.inputs.desired_file.clone(),
                commit: ["GITHUB_SHA", "CI_COMMIT_SHA"]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty())),
            };
            render::markdown::plan_within(
                &planned.plan,
                json.fingerprint.as_deref(),
                Some(&origin),
                limit,
            )
        }
    }
}

/// The planning options of the command line; `--retry-now` names are normalised like the
/// names of the file.
pub fn options(
    args: crate::cli::PlanArgs,
    ledger: &crate::cli::LedgerArgs,
) -> anyhow::Result<PlanOptions> {
    let mut retry_now = std::collections::BTreeSet::new();
    for name in &ledger.retry_now {
        let n = crate::desired::name::normalise(name)
            .map_err(|e| anyhow::anyhow!("--retry-now {}: {e}", crate::escape::text(name)))?;
        retry_now.insert(n);
    }
    Ok(PlanOptions {
        allow_removals: args.allow_removals,
        allow_empty: args.gate.allow_empty,
        retry_now,
    })
}

/// The ledger of `--ledger FILE`, read (a missing file is empty).
pub fn open_ledger(path: Option<&std::path::Path>) -> anyhow::Result<Option<ledger::LedgerFile>> {
    path.map(ledger::LedgerFile::open).transpose()
}
