//! `rcdomains demo`: the sandbox in-process, then plan → apply → plan on `examples/`.
//!
//! The first thing a new user runs: it shows a real plan, a real apply over HTTP — whose
//! certificate order Let's Encrypt (simulated) refuses, so that the next plan backs off from it
//! — a name attached once its DNS points at the server, and that a last plan finds nothing
//! left to do. The order ledger is kept in memory.

use super::apply::execute;
use super::ledger::LedgerFile;
use super::{Session, compute, render_plan};
use crate::cli::{ApplyArgs, DemoArgs, Format, PlanArgs, RunArgs};
use crate::config::Config;
use crate::desired;
use crate::exit::Exit;
use crate::output::Output;
use crate::plan::PlanOptions;
use crate::runcloud::Credentials;
use crate::runcloud::credentials::Resolved;
use crate::sandbox::{self, Fault, FaultKind, RecordType, Seed};
use crate::secret::Secret;
use anyhow::{Context, bail};

const EMBEDDED_DESIRED: &str = include_str!("../../examples/domains.yaml");
/// The seed of the demo, and of `rcdomains sandbox` without `--seed`.
pub(crate) const EMBEDDED_SEED: &str = include_str!("../../examples/sandbox-seed.yaml");

pub(crate) async fn run(config: &Config, args: &DemoArgs, out: &Output) -> anyhow::Result<Exit> {
    let (desired, seed) = load(args)?;
    if seed.servers.iter().any(|s| !s.ip.is_loopback()) {
        bail!(
            "the demo's seed must give its servers a loopback ip (127.0.0.1): the demo reads certificates from the server's ip"
        );
    }
    let token = seed.credentials.token.clone();
    let handle = sandbox::start(seed, "127.0.0.1:0".parse()?)
        .await
        .context("cannot start the sandbox")?;
    out.note(&format!(
        "Sandbox listening on loopback (simulated; nothing leaves this machine): API {}, DNS {}, TLS {}",
        handle.api_url_v3(),
        handle.dns_addr(),
        handle.tls_addr()
    ));
    let config = config.for_sandbox(
        handle.api_url_v3(),
        handle.dns_addr(),
        handle.tls_addr().port(),
    );
    let resolved = Resolved {
        credentials: Credentials::Token(Secret::new(token)),
        source: "the sandbox seed".into(),
        server: None,
        app: None,
    };
    let session = Session::new(&config.api, &desired, resolved)?;
    let mut demo = Demo {
        config,
        out,
        desired,
        session,
        ledger: LedgerFile::in_memory(),
    };
    let result = demo.steps(&handle).await;
    handle.shutdown();
    result?;
    out.note(&format!(
        "Demo done: {} API requests to the sandbox.",
        demo.session.client.request_count()
    ));
    Ok(Exit::Success)
}

/// The desired file and the seed: DIR's, or the built-in copies of examples/.
fn load(args: &DemoArgs) -> anyhow::Result<(desired::Desired, Seed)> {
    let Some(dir) = &args.dir else {
        return Ok((
            desired::load_str(EMBEDDED_DESIRED, "examples/domains.yaml (built in)")?,
            Seed::from_yaml_str(EMBEDDED_SEED).context("the built-in sandbox seed")?,
        ));
    };
    // A directory asked for is used or is an error: never quietly the built-in files.
    let shown = crate::escape::text(&dir.display().to_string()).into_owned();
    if !dir.is_dir() {
        bail!(
            "--dir {shown}: no such directory (it must hold domains.yaml and sandbox-seed.yaml; without --dir the demo uses its built-in copies)"
        );
    }
    let desired_path = dir.join("domains.yaml");
    let seed_path = dir.join("sandbox-seed.yaml");
    for p in [&desired_path, &seed_path] {
        if !p.is_file() {
            bail!(
                "--dir {shown}: {} is missing (the demo needs domains.yaml and sandbox-seed.yaml there)",
                crate::escape::text(&p.display().to_string())
            );
        }
    }
    Ok((desired::load(&desired_path)?, Seed::load(&seed_path)?))
}

/// The demo's run on its sandbox: one session, the order ledger in memory.
struct Demo<'a> {
    config: Config,
    out: &'a Output,
    desired: desired::Desired,
    session: Session,
    ledger: LedgerFile,
}

impl Demo<'_> {
    /// plan → apply (Let's Encrypt fails the order) → plan (it backs off) → the customer
    /// points DNS → apply → plan: nothing left to do.
    async fn steps(&mut self, handle: &sandbox::SandboxHandle) -> anyhow::Result<()> {
        self.step("1", &format!("rcdomains plan -f {}", self.desired.source));
        let first = self.plan().await?;
        // Let's Encrypt (simulated) fails the first certificate order; the ledger records it,
        // and the next plan backs off from that set of names instead of ordering it again.
        let orders = first.plan.count(crate::model::ActionKind::Ssl) > 0;
        if orders {
            handle.inject(Fault::new(FaultKind::OrderInvalid));
            self.step(
                "2",
                "rcdomains apply --yes --ledger ledger.json (Let's Encrypt fails the certificate order: simulated)",
            );
        } else {
            self.step("2", "rcdomains apply --yes --ledger ledger.json");
        }
        let expected = if orders { Exit::Partial } else { Exit::Success };
        self.apply(expected, "apply").await?;
        if orders {
            self.step(
                "2b",
                "rcdomains plan --ledger ledger.json (the failed order backs off)",
            );
            self.plan().await?;
        }
        // A customer points a deferred name at the server; the next run attaches it.
        let pointed = first.plan.deferred.iter().find(|d| {
            d.kind == crate::model::ActionKind::Add && d.name.as_str().starts_with("late.")
        });
        if let Some(d) = pointed {
            self.step(
                "3",
                &format!(
                    "the customer points {} at the server; rcdomains apply --yes --ledger ledger.json (a new set of names: ordered at once)",
                    d.name
                ),
            );
            point_at_server(handle, &d.name)?;
            self.apply(Exit::Success, "second apply").await?;
        }
        self.step("4", "rcdomains plan (again)");
        let last = self.plan().await?;
        if last.plan.has_changes() {
            bail!("the last plan still has changes: the sandbox and the planner disagree");
        }
        Ok(())
    }

    fn step(&self, n: &str, what: &str) {
        self.out
            .print(&self.out.style.bold(&format!("\n== {n}. {what}")));
    }

    /// A plan, shown.
    async fn plan(&self) -> anyhow::Result<super::Planned> {
        let planned = compute(
            &self.config.checks,
            Some(self.out),
            &self.desired,
            &self.session,
            &PlanOptions::default(),
            Some(&self.ledger.ledger),
        )
        .await?;
        self.out
            .print(&render_plan(Format::Text, self.out, &planned));
        Ok(planned)
    }

    /// `apply --yes`, which must end as `expected`.
    async fn apply(&mut self, expected: Exit, what: &str) -> anyhow::Result<()> {
        let args = ApplyArgs {
            planfile: None,
            // The demo's settings are its config; these flags are not read.
            run: RunArgs::default(),
            plan: PlanArgs::default(),
            yes: true,
            parallelism: 4,
            report: None,
            ledger: Default::default(),
            verify: None,
        };
        let applied = execute(
            &self.config,
            &args,
            self.out,
            &self.desired,
            &self.session,
            Some(&mut self.ledger),
        )
        .await?;
        if applied != expected {
            bail!(
                "the demo's {what} did not end as expected (exit {})",
                applied.code()
            );
        }
        Ok(())
    }
}

/// The customer's DNS change: `name` (and its www twin) point at the sandbox's server.
fn point_at_server(
    handle: &sandbox::SandboxHandle,
    name: &crate::model::DomainName,
) -> anyhow::Result<()> {
    let world = handle.world();
    world
        .set_record(name.as_str(), RecordType::A, &handle.ip().to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    world
        .set_record(name.www_twin().as_str(), RecordType::Cname, name.as_str())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
