//! `rcdomains plan`: read live state, print the plan, change nothing; optionally save it
//! (`--out`) for `apply PLANFILE`, and say through the exit code whether anything is pending.

use super::{Session, compute, open_ledger, options, render_plan};
use crate::cli::{Global, PlanCommandArgs};
use crate::desired;
use crate::exit::Exit;
use crate::output::Output;
use crate::plan::Plan;
use crate::render;
use anyhow::Context;

pub async fn run(g: &Global, args: &PlanCommandArgs, out: &Output) -> anyhow::Result<Exit> {
    let desired = desired::load(&g.file)?;
    let session = Session::from_env(g, &desired)?;
    let options = options(args.plan, &args.ledger)?;
    let ledger = open_ledger(args.ledger.ledger.as_deref())?;
    let planned = compute(
        g,
        out,
        &desired,
        &session,
        &options,
        ledger.as_ref().map(|l| &l.ledger),
    )
    .await?;
    out.print(&render_plan(g, out, &planned));
    if let Some(path) = &args.out {
        check_out_path(path, &g.file)?;
        let saved = planned.json(true);
        std::fs::write(path, render::json::pretty(&saved))
            .with_context(|| format!("cannot write the saved plan to {}", path.display()))?;
        out.note(&format!(
            "Saved the plan to {} ({}); `rcdomains apply {}` applies exactly it, or refuses if anything drifted.",
            path.display(),
            saved.fingerprint.as_deref().unwrap_or_default(),
            path.display()
        ));
    }
    tracing::info!(requests = session.client.request_count(), "plan done");
    Ok(exit_code(&planned.plan, args))
}

/// `plan --out` writes only a new file or over an earlier saved plan: never over the desired
/// file it read, nor over any other file (a typo must not replace `domains.yaml` with JSON).
fn check_out_path(out: &std::path::Path, desired: &std::path::Path) -> anyhow::Result<()> {
    let same = match (std::fs::canonicalize(out), std::fs::canonicalize(desired)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        anyhow::bail!(
            "--out {} is the desired-state file this plan was read from; save the plan elsewhere (e.g. --out plan.json)",
            out.display()
        );
    }
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot check --out {}: {e}", out.display())),
        Ok(_) => {
            let file = out.display().to_string();
            let text = crate::input::read_to_string(out, "--out").map_err(|e| {
                anyhow::anyhow!("{e}; --out only replaces an earlier saved plan: choose a new path")
            })?;
            crate::saved::Saved::parse(&text, &file).map_err(|_| {
                anyhow::anyhow!(
                    "--out {file} exists and is not a saved plan; rcdomains replaces only an earlier saved plan: choose a new path (e.g. plan.json) or remove the file"
                )
            })?;
            Ok(())
        }
    }
}

/// 3 for a refusal; with --detailed-exitcode 2 when changes are pending (deferred items only
/// with --deferred-as-changes), else 0.
fn exit_code(plan: &Plan, args: &PlanCommandArgs) -> Exit {
    if plan.refusal.is_some() {
        Exit::Refused
    } else if args.detailed_exitcode
        && (plan.has_changes() || (args.deferred_as_changes && !plan.deferred.is_empty()))
    {
        Exit::Changes
    } else {
        Exit::Success
    }
}
