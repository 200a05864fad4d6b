//! `rcdomains validate`: check the desired-state file offline.

use crate::cli::{GateArgs, Global};
use crate::desired;
use crate::exit::Exit;
use crate::output::Output;

pub fn run(g: &Global, args: GateArgs, out: &Output) -> anyhow::Result<Exit> {
    let d = desired::load(&g.file)?;
    if d.is_empty_with_prune() && !args.allow_empty {
        out.print(&format!(
            "{}: `domains` is empty and removals.prune is true: a plan would remove every unprotected alias. Add the names, set prune: false, or pass --allow-empty if that is intended.",
            d.source
        ));
        return Ok(Exit::Refused);
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
    Ok(Exit::Success)
}
