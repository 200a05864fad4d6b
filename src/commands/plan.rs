//! `rcdomains plan`: read live state, print the plan, change nothing; optionally save it
//! (`--out`) for `apply PLANFILE`, and say through the exit code whether anything is pending.

use super::{Session, compute, options, render_plan};
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
    let planned = compute(g, out, &desired, &session, options(args.plan)).await?;
    out.print(&render_plan(g, out, &planned));
    if let Some(path) = &args.out {
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
