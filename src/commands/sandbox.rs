//! `rcdomains sandbox`: serve the simulated RunCloud on loopback until interrupted.

use crate::cli::SandboxArgs;
use crate::exit::Exit;
use crate::output::Output;
use crate::sandbox::{self, Fault, Seed};
use anyhow::Context;

pub async fn run(args: &SandboxArgs, out: &Output) -> anyhow::Result<Exit> {
    if !args.listen.ip().is_loopback() {
        anyhow::bail!("the sandbox listens on loopback only; use --listen 127.0.0.1:PORT");
    }
    let mut seed = Seed::load(&args.seed)?;
    for spec in &args.faults {
        let fault: Fault = spec.parse().with_context(|| format!("--fault {spec}"))?;
        seed.faults.push(fault);
    }
    let handle = sandbox::start(seed, args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    out.print(&format!(
        "Sandbox RunCloud API listening.\n  API v3: {}\n  API v2: {}\nCredentials: the token (or key and secret) in {}.\nPoint rcdomains at it with --api-url (or RUNCLOUD_API_URL). Press Ctrl-C to stop.",
        handle.api_url_v3(),
        handle.api_url_v2(),
        args.seed.display()
    ));
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    handle.shutdown();
    out.note("Sandbox stopped.");
    Ok(Exit::Success)
}
