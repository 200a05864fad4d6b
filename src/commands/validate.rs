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
    // Only the files that name their target: the environment's ids are a plan's business.
    let named = all
        .iter()
        .filter_map(|d| match (d.target.server, d.target.app) {
            (Some(server), Some(app)) => Some(((server, app), d.source.as_str())),
            _ => None,
        });
    if let Some(problem) = targets::same_app(named).into_iter().next() {
        anyhow::bail!(problem);
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
