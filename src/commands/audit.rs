//! `rcdomains audit`: a read-only health report for a nightly job — the plan's pending
//! changes (drift), renewal-at-risk names, expiring certificates, attached names the presented
//! certificate does not cover, and deferred items. It computes a plan exactly as `plan` does
//! (reads only: it sends no write request) and reports what the plan holds; exit 0 when there
//! is nothing to report, 2 on findings, 1 on error.

use super::targets;
use super::{compute, open_ledger};
use crate::cli::{AuditArgs, Format};
use crate::config::Config;
use crate::exit::Exit;
use crate::output::Output;
use crate::plan::PlanOptions;
use crate::plan::audit::audit;
use crate::render::{self, fleet};

pub(crate) async fn run(config: &Config, args: &AuditArgs, out: &Output) -> anyhow::Result<Exit> {
    let run = config;
    let paths = targets::paths(&run.files)?;
    let targets = targets::open(&run.api, targets::load(&paths)?)?;
    let ledger = open_ledger(args.ledger.as_deref())?;
    let history = ledger.as_ref().map(|l| &l.ledger);
    let options = PlanOptions::default();
    if let [one] = targets.as_slice() {
        return audit_one(config, out, one, &options, history).await;
    }
    let planned = super::plan::plan_all(&run.checks, out, &targets, &options, history).await;
    let audits: Vec<_> = planned
        .iter()
        .map(|p| p.as_ref().map(|p| (&p.plan, audit(&p.plan))))
        .collect();
    let exit = targets::aggregate(audits.iter().map(|a| match a {
        Ok((_, found)) if found.is_clean() => Exit::Success,
        Ok(_) => Exit::Changes,
        Err(_) => Exit::Error,
    }));
    if run.format == Format::Json {
        let entries = targets
            .iter()
            .zip(&audits)
            .map(|(t, a)| {
                let result = match a {
                    Ok((plan, found)) => Ok(render::json::to_json_audit(plan, found)),
                    Err(e) => Err(crate::errors::chain(e.as_ref())),
                };
                (t.desired.source.clone(), result)
            })
            .collect();
        out.print(&render::json::many("audits", entries));
        return Ok(exit);
    }
    let parts = targets
        .iter()
        .zip(&audits)
        .map(|(t, a)| {
            let target = t.session.label();
            match a {
                Ok((plan, found)) => fleet::Part {
                    file: t.desired.source.clone(),
                    target,
                    cells: vec![found.findings.len().to_string()],
                    status: if found.is_clean() {
                        fleet::Status::Unchanged("nothing to report")
                    } else {
                        fleet::Status::Changed("findings")
                    },
                    body: Box::new(move |limit| match run.format {
                        Format::Markdown => render::markdown::audit_within(plan, found, limit),
                        _ => render::text::audit(plan, found, out.style),
                    }),
                },
                Err(e) => fleet::Part {
                    file: t.desired.source.clone(),
                    target,
                    cells: vec![String::new()],
                    status: fleet::Status::Error,
                    body: fleet::fixed(super::plan::error_body(run.format, e)),
                },
            }
        })
        .collect();
    let f = fleet::Fleet {
        command: "audit",
        columns: &["findings"],
        parts,
        api_requests: targets
            .first()
            .map(|t| t.session.client.all_request_count()),
    };
    out.print(&match run.format {
        Format::Markdown => fleet::markdown(&f),
        _ => fleet::text(&f, out.style),
    });
    Ok(exit)
}

/// The audit of one file, in the single-file shape.
async fn audit_one(
    config: &Config,
    out: &Output,
    one: &targets::Target,
    options: &PlanOptions,
    history: Option<&crate::plan::Ledger>,
) -> anyhow::Result<Exit> {
    let planned = compute(
        &config.checks,
        Some(out),
        &one.desired,
        &one.session,
        options,
        history,
    )
    .await?;
    let found = audit(&planned.plan);
    out.print(&match config.format {
        Format::Text => render::text::audit(&planned.plan, &found, out.style),
        Format::Json => render::json::audit(&planned.plan, &found),
        Format::Markdown => render::markdown::audit(&planned.plan, &found),
    });
    tracing::info!(
        requests = one.session.client.request_count(),
        findings = found.findings.len(),
        "audit done"
    );
    Ok(if found.is_clean() {
        Exit::Success
    } else {
        Exit::Changes
    })
}
