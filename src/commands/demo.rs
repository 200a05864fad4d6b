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
pub const EMBEDDED_SEED: &str = include_str!("../../examples/sandbox-seed.yaml");

pub async fn run(config: &Config, args: &DemoArgs, out: &Output) -> anyhow::Result<Exit> {
    let (desired, seed) = match &args.dir {
        // A directory asked for is used or is an error: never quietly the built-in files.
        Some(dir) => {
            if !dir.is_dir() {
                bail!(
                    "--dir {}: no such directory (it must hold domains.yaml and sandbox-seed.yaml; without --dir the demo uses its built-in copies)",
                    crate::escape::text(&dir.display().to_string())
                );
            }
            let desired_path = dir.join("domains.yaml");
            let seed_path = dir.join("sandbox-seed.yaml");
            for p in [&desired_path, &seed_path] {
                if !p.is_file() {
                    bail!(
                        "--dir {}: {} is missing (the demo needs domains.yaml and sandbox-seed.yaml there)",
                        crate::escape::text(&dir.display().to_string()),
                        crate::escape::text(&p.display().to_string())
                    );
                }
            }
            (desired::load(&desired_path)?, Seed::load(&seed_path)?)
        }
        None => (
            desired::load_str(EMBEDDED_DESIRED, "examples/domains.yaml (built in)")?,
            Seed::from_yaml_str(EMBEDDED_SEED).context("the built-in sandbox seed")?,
        ),
    };
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

    let g = config.for_sandbox(
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
    let session = Session::new(&g.api, &desired, resolved)?;
    let apply_args = ApplyArgs {
        planfile: None,
        // The demo's settings are `g`; these flags are not read.
        run: RunArgs::default(),
        plan: PlanArgs::default(),
        yes: true,
        parallelism: 4,
        report: None,
        ledger: Default::default(),
        verify: None,
    };
    let mut ledger = LedgerFile::in_memory();
    let step = |n: &str, what: &str| out.print(&out.style.bold(&format!("\n== {n}. {what}")));

    step("1", &format!("rcdomains plan -f {}", desired.source));
    let options = PlanOptions::default();
    let first = compute(
        &g.checks,
        Some(out),
        &desired,
        &session,
        &options,
        Some(&ledger.ledger),
    )
    .await?;
    out.print(&render_plan(Format::Text, out, &first));

    // Let's Encrypt (simulated) fails the first certificate order; the ledger records it, and
    // the next plan backs off from that set of names instead of ordering it again at once.
    let orders = first.plan.count(crate::model::ActionKind::Ssl) > 0;
    if orders {
        handle.inject(Fault::new(FaultKind::OrderInvalid));
        step(
            "2",
            "rcdomains apply --yes --ledger ledger.json (Let's Encrypt fails the certificate order: simulated)",
        );
    } else {
        step("2", "rcdomains apply --yes --ledger ledger.json");
    }
    let applied = execute(&g, &apply_args, out, &desired, &session, Some(&mut ledger)).await?;
    let expected = if orders { Exit::Partial } else { Exit::Success };
    if applied != expected {
        bail!(
            "the demo's apply did not end as expected (exit {})",
            applied.code()
        );
    }
    if orders {
        step(
            "2b",
            "rcdomains plan --ledger ledger.json (the failed order backs off)",
        );
        let backing_off = compute(
            &g.checks,
            Some(out),
            &desired,
            &session,
            &options,
            Some(&ledger.ledger),
        )
        .await?;
        out.print(&render_plan(Format::Text, out, &backing_off));
    }

    // A customer points a deferred name at the server; the next run attaches it.
    let pointed =
        first.plan.deferred.iter().find(|d| {
            d.kind == crate::model::ActionKind::Add && d.name.as_str().starts_with("late.")
        });
    if let Some(d) = pointed {
        step(
            "3",
            &format!(
                "the customer points {} at the server; rcdomains apply --yes --ledger ledger.json (a new set of names: ordered at once)",
                d.name
            ),
        );
        let world = handle.world();
        world
            .set_record(d.name.as_str(), RecordType::A, &handle.ip().to_string())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        world
            .set_record(
                d.name.www_twin().as_str(),
                RecordType::Cname,
                d.name.as_str(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let applied = execute(&g, &apply_args, out, &desired, &session, Some(&mut ledger)).await?;
        if applied != Exit::Success {
            bail!(
                "the demo's second apply did not succeed (exit {})",
                applied.code()
            );
        }
    }

    step("4", "rcdomains plan (again)");
    let last = compute(
        &g.checks,
        Some(out),
        &desired,
        &session,
        &options,
        Some(&ledger.ledger),
    )
    .await?;
    out.print(&render_plan(Format::Text, out, &last));
    handle.shutdown();
    if last.plan.has_changes() {
        bail!("the last plan still has changes: the sandbox and the planner disagree");
    }
    out.note(&format!(
        "Demo done: {} API requests to the sandbox.",
        session.client.request_count()
    ));
    Ok(Exit::Success)
}
