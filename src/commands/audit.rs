//! `rcdomains audit`: a read-only health report for a nightly job — the plan's pending
//! changes (drift), renewal-at-risk names, expiring certificates, attached names the presented
//! certificate does not cover, and deferred items. It computes a plan exactly as `plan` does
//! (reads only: it sends no write request) and reports what the plan holds; exit 0 when there
//! is nothing to report, 2 on findings, 1 on error.

use super::{Session, compute, open_ledger};
use crate::cli::{AuditArgs, Format, Global};
use crate::desired;
use crate::exit::Exit;
use crate::output::Output;
use crate::plan::PlanOptions;
use crate::plan::audit::audit;
use crate::render;

pub async fn run(g: &Global, args: &AuditArgs, out: &Output) -> anyhow::Result<Exit> {
    let desired = desired::load(&g.file)?;
    let session = Session::from_env(g, &desired)?;
    let ledger = open_ledger(args.ledger.as_deref())?;
    let history = ledger.as_ref().map(|l| &l.ledger);
    let planned = compute(g, out, &desired, &session, &PlanOptions::default(), history).await?;
    let found = audit(&planned.plan);
    out.print(&match g.format {
        Format::Text => render::text::audit(&planned.plan, &found, out.style),
        Format::Json => render::json::audit(&planned.plan, &found),
        Format::Markdown => render::markdown::audit(&planned.plan, &found),
    });
    tracing::info!(
        requests = session.client.request_count(),
        findings = found.findings.len(),
        "audit done"
    );
    Ok(if found.is_clean() {
        Exit::Success
    } else {
        Exit::Changes
    })
}
