//! `rcdomains validate`: check the desired-state files offline.

use super::targets;
use crate::cli::ValidateArgs;
use crate::config::Config;
use crate::exit::Exit;
use crate::output::Output;

pub(crate) fn run(config: &Config, args: &ValidateArgs, out: &Output) -> anyhow::Result<Exit> {
    let paths = targets::paths(&config.files)?;
    let all = targets::load(&paths)?;
    let mut exit = Exit::Success;
    let mut named = std::collections::BTreeMap::new();
    for d in &all {
        if let (Some(server), Some(app)) = (d.target.server, d.target.app)
            && let Some(first) = named.insert((server, app), d.source.clone())
        {
            anyhow::bail!(
                "{first} and {} both name server {server} app {app}: one desired file per web application (merge them, or correct `target`)",
                d.source
            );
        }
    }
    for d in &all {
        if d.is_empty_with_prune() && !args.gate.allow_empty {
            out.print(&format!(
                "{}: `domains` is empty and removals.prune is true: a plan would remove every unprotected alias. Add the names, set prune: false, or pass --allow-empty if that is intended.",
                d.source
            ));
            exit = Exit::Refused;
            continue;
        }
        out.print(&format!(
            "{}: valid ({} domain{}, {} tombstone{}, prune {})",
            d.source,
            d.domains.len(),
            if d.domains.len() == 1 { "" } else { "s" },
            d.tombstones.len(),
            if d.tombstones.len() == 1 { "" } else { "s" },
            if d.removals.prune { "on" } else { "off" }
        ));
    }
    Ok(exit)
}
