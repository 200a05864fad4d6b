//! `rcdomains apply`: plan afresh, confirm, carry out, report.

use super::{Session, compute, options, render_plan};
use crate::apply;
use crate::cli::{ApplyArgs, Format, Global};
use crate::desired;
use crate::exit::Exit;
use crate::output::{self, Output};
use crate::render;
use anyhow::bail;

pub async fn run(g: &Global, args: ApplyArgs, out: &Output) -> anyhow::Result<Exit> {
    let desired = desired::load(&g.file)?;
    let session = Session::from_env(g, &desired)?;
    execute(g, args, out, &desired, &session).await
}

/// Plans and applies with an existing session (also used by the demo).
pub async fn execute(
    g: &Global,
    args: ApplyArgs,
    out: &Output,
    desired: &desired::Desired,
    session: &Session,
) -> anyhow::Result<Exit> {
    let planned = compute(g, desired, session, options(args.plan)).await?;
    let plan = &planned.plan;
    if g.format == Format::Text || plan.refusal.is_some() || !plan.has_changes() {
        out.print(&render_plan(g, out, plan));
    }
    if plan.refusal.is_some() {
        return Ok(Exit::Refused);
    }
    if !plan.has_changes() {
        return Ok(Exit::Success);
    }
    if !args.yes {
        if !output::stdin_is_terminal() {
            bail!(
                "refusing to apply without --yes: there is no terminal to confirm on (in CI, review the plan and pass --yes)"
            );
        }
        if !out.confirm(&format!(
            "Apply these {} changes to RunCloud?",
            plan.actions.len()
        )) {
            out.note("Nothing was changed.");
            return Ok(Exit::Success);
        }
    }
    let report = apply::execute(plan, &session.client, args.parallelism).await;
    out.print(&match g.format {
        Format::Text => render::text::report(&report, out.style),
        Format::Json => render::json::report(&report),
    });
    tracing::info!(requests = session.client.request_count(), "apply done");
    Ok(if report.failed() > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}
