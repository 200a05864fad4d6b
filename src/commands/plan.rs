//! `rcdomains plan`: read live state, print the plan, change nothing.

use super::{Session, compute, options, render_plan};
use crate::cli::{Global, PlanArgs};
use crate::desired;
use crate::exit::Exit;
use crate::output::Output;

pub async fn run(g: &Global, args: PlanArgs, out: &Output) -> anyhow::Result<Exit> {
    let desired = desired::load(&g.file)?;
    let session = Session::from_env(g, &desired)?;
    let planned = compute(g, &desired, &session, options(args)).await?;
    out.print(&render_plan(g, out, &planned.plan));
    tracing::info!(requests = session.client.request_count(), "plan done");
    Ok(if planned.plan.refusal.is_some() {
        Exit::Refused
    } else {
        Exit::Success
    })
}
