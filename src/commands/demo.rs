//! `rcdomains demo`: the sandbox in-process, then plan → apply → plan on `examples/`.
//!
//! The first thing a new user runs: it shows a real plan, a real apply over HTTP, and that
//! a second plan finds nothing left to do.

use super::apply::execute;
use super::{Session, compute, render_plan};
use crate::cli::{ApplyArgs, DemoArgs, Global, PlanArgs};
use crate::desired;
use crate::exit::Exit;
use crate::output::Output;
use crate::plan::PlanOptions;
use crate::runcloud::Credentials;
use crate::runcloud::credentials::Resolved;
use crate::sandbox::{self, Seed};
use crate::secret::Secret;
use anyhow::{Context, bail};

const EMBEDDED_DESIRED: &str = include_str!("../../examples/domains.yaml");
const EMBEDDED_SEED: &str = include_str!("../../examples/sandbox-seed.yaml");

pub async fn run(g: &Global, args: &DemoArgs, out: &Output) -> anyhow::Result<Exit> {
    let desired_path = args.dir.join("domains.yaml");
    let seed_path = args.dir.join("sandbox-seed.yaml");
    let (desired, seed) = if desired_path.exists() && seed_path.exists() {
        (desired::load(&desired_path)?, Seed::load(&seed_path)?)
    } else {
        (
            desired::load_str(EMBEDDED_DESIRED, "examples/domains.yaml (built in)")?,
            Seed::from_yaml_str(EMBEDDED_SEED).context("the built-in sandbox seed")?,
        )
    };
    let token = seed.credentials.token.clone();
    let handle = sandbox::start(seed, "127.0.0.1:0".parse()?)
        .await
        .context("cannot start the sandbox")?;
    out.note(&format!(
        "Sandbox RunCloud listening at {} (simulated; nothing leaves this machine)",
        handle.api_url_v3()
    ));

    let mut g = g.clone();
    g.api_url = Some(handle.api_url_v3());
    g.skip_dns = true;
    g.rate_limit = g.rate_limit.max(6000);
    let resolved = Resolved {
        credentials: Credentials::Token(Secret::new(token)),
        source: "the sandbox seed".into(),
        server: None,
        app: None,
    };
    let session = Session::new(&g, &desired, resolved)?;

    out.print(
        &out.style
            .bold(&format!("\n== 1. rcdomains plan -f {}", desired.source)),
    );
    let first = compute(&g, &desired, &session, PlanOptions::default()).await?;
    out.print(&render_plan(&g, out, &first.plan));

    out.print(&out.style.bold("\n== 2. rcdomains apply --yes"));
    let args = ApplyArgs {
        plan: PlanArgs::default(),
        yes: true,
        parallelism: 4,
    };
    let applied = execute(&g, args, out, &desired, &session).await?;
    if applied != Exit::Success {
        bail!("the demo's apply did not succeed (exit {})", applied.code());
    }

    out.print(&out.style.bold("\n== 3. rcdomains plan (again)"));
    let second = compute(&g, &desired, &session, PlanOptions::default()).await?;
    out.print(&render_plan(&g, out, &second.plan));
    handle.shutdown();
    if second.plan.has_changes() {
        bail!("the second plan still has changes: the sandbox and the planner disagree");
    }
    out.note(&format!(
        "Demo done: {} API requests to the sandbox.",
        session.client.request_count()
    ));
    Ok(Exit::Success)
}
