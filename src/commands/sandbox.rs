//! `rcdomains sandbox`: serve the simulated RunCloud on loopback until interrupted.

use crate::cli::SandboxArgs;
use crate::exit::Exit;
use crate::output::Output;
use crate::sandbox::{self, Fault, Seed};
use anyhow::Context;

pub async fn run(args: &SandboxArgs, out: &Output) -> anyhow::Result<Exit> {
    let any = std::net::SocketAddr::new(args.listen.ip(), 0);
    let listen = sandbox::Listen {
        api: args.listen,
        dns: args.dns_listen.unwrap_or(any),
        tls: args.tls_listen.unwrap_or(any),
    };
    if [listen.api, listen.dns, listen.tls]
        .iter()
        .any(|a| !a.ip().is_loopback())
    {
        anyhow::bail!("the sandbox listens on loopback only; use 127.0.0.1:PORT");
    }
    let mut seed = Seed::load(&args.seed)?;
    for spec in &args.faults {
        let fault: Fault = spec.parse().with_context(|| format!("--fault {spec}"))?;
        seed.faults.push(fault);
    }
    let handle = sandbox::start_on(seed, listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    out.print(&format!(
        "Sandbox RunCloud listening.\n  API v3: {}\n  API v2: {}\n  DNS:    {} (UDP and TCP)\n  TLS:    {}\nCredentials: the token (or key and secret) in {}.\nRehearse with: --api-url {} --resolver {} --tls-port {}   (Ctrl-C stops it)",
        handle.api_url_v3(),
        handle.api_url_v2(),
        handle.dns_addr(),
        handle.tls_addr(),
        args.seed.display(),
        handle.api_url_v3(),
        handle.dns_addr(),
        handle.tls_addr().port()
    ));
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    handle.shutdown();
    out.note("Sandbox stopped.");
    Ok(Exit::Success)
}
