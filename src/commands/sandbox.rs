//! `rcdomains sandbox`: serve the simulated RunCloud on loopback until interrupted.

use crate::cli::SandboxArgs;
use crate::exit::Exit;
use crate::output::Output;
use crate::sandbox::{self, Fault, Seed};
use anyhow::Context;

pub(crate) async fn run(args: &SandboxArgs, out: &Output) -> anyhow::Result<Exit> {
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
    let mut seed = match &args.seed {
        Some(path) => Seed::load(path)?,
        None => {
            Seed::from_yaml_str(super::demo::EMBEDDED_SEED).context("the built-in sandbox seed")?
        }
    };
    // The built-in seed's token is a published placeholder, so it is shown; a seed file's
    // credentials are not printed (they may have been copied from somewhere real).
    let token_line = match &args.seed {
        None => format!("export RUNCLOUD_API_TOKEN={}", seed.credentials.token),
        Some(path) => format!(
            "export RUNCLOUD_API_TOKEN=…   # credentials.token of {} (not printed)",
            crate::escape::text(&path.display().to_string())
        ),
    };
    let seed_name = match &args.seed {
        Some(path) => crate::escape::text(&path.display().to_string()).into_owned(),
        None => "the built-in seed (examples/sandbox-seed.yaml)".to_string(),
    };
    for spec in &args.faults {
        let fault: Fault = spec.parse().with_context(|| format!("--fault {spec}"))?;
        seed.faults.push(fault);
    }
    let handle = sandbox::start_on(seed, listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    out.print(&format!(
        "Sandbox RunCloud listening.\n  API v3: {}\n  API v2: {}\n  DNS:    {} (UDP and TCP)\n  TLS:    {}\nCredentials: the token (or key and secret) in {seed_name}.\nRehearse with: --api-url {} --resolver {} --tls-port {}   (Ctrl-C stops it)\nor, in another shell:\nexport RUNCLOUD_API_URL={}\n{token_line}\n# then: rcdomains plan --resolver {} --tls-port {}",
        handle.api_url_v3(),
        handle.api_url_v2(),
        handle.dns_addr(),
        handle.tls_addr(),
        handle.api_url_v3(),
        handle.dns_addr(),
        handle.tls_addr().port(),
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
