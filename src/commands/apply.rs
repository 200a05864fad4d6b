//! `rcdomains apply`: plan afresh, confirm, carry out, report — or carry out exactly a saved
//! plan (`apply PLANFILE`), refusing when anything it was computed from has drifted.

use super::ledger::LedgerFile;
use super::{Planned, Session, compute, open_ledger, options, render_plan};
use crate::apply::{self, Refusal, Report};
use crate::checks::verify::{self, VerifyOptions};
use crate::cli::{ApplyArgs, Format, Global};
use crate::desired::{self, Target};
use crate::exit::Exit;
use crate::output::{self, Output};
use crate::plan::{Gate, LedgerEntry};
use crate::render;
use crate::runcloud::credentials;
use crate::saved::{self, Saved};
use anyhow::{Context, bail};
use std::path::Path;
use std::time::Duration;

pub async fn run(g: &Global, args: &ApplyArgs, out: &Output) -> anyhow::Result<Exit> {
    if let Some(planfile) = &args.planfile {
        return apply_saved(g, args, planfile, out).await;
    }
    let desired = desired::load(&g.file)?;
    let session = Session::from_env(g, &desired)?;
    let mut ledger = open_ledger(args.ledger.ledger.as_deref())?;
    execute(g, args, out, &desired, &session, ledger.as_mut()).await
}

/// Plans and applies with an existing session (also used by the demo), recording the orders
/// in `ledger` when there is one.
pub async fn execute(
    g: &Global,
    args: &ApplyArgs,
    out: &Output,
    desired: &desired::Desired,
    session: &Session,
    ledger: Option<&mut LedgerFile>,
) -> anyhow::Result<Exit> {
    let options = options(args.plan, &args.ledger)?;
    let history = ledger.as_deref().map(|l| &l.ledger);
    let planned = compute(g, out, desired, session, &options, history).await?;
    carry_out(g, args, out, &planned, session, true, ledger).await
}

/// `apply PLANFILE`: recompute the saved plan from the desired file it names and the live
/// state of now; apply only when the fingerprint is the same, else exit 3 with what drifted.
async fn apply_saved(
    g: &Global,
    args: &ApplyArgs,
    planfile: &Path,
    out: &Output,
) -> anyhow::Result<Exit> {
    let file = planfile.display().to_string();
    if args.plan.allow_removals.is_some() || args.plan.gate.allow_empty {
        bail!(
            "--allow-removals and --allow-empty are options of `plan`: {file} carries the ones it was planned with; plan again with them to change them"
        );
    }
    if !args.ledger.retry_now.is_empty() {
        bail!(
            "--retry-now is an option of `plan` here: {file} carries the names it was planned with; plan again with it to change them"
        );
    }
    let text = crate::input::read_to_string(planfile, "the saved plan")?;
    let saved = Saved::parse(&text, &file)?;
    if !saved.is_intact() {
        let why = "was changed after `rcdomains plan --out` wrote it (its fingerprint does not match its content)";
        let tail = "Nothing was changed.\nPlan again, review the new plan, and apply that.";
        let refusal = Refusal {
            reason: "tampered".into(),
            message: format!("{file} {why}"),
            would_remove: vec![],
            drift: vec![],
        };
        let text = format!("Refused: {} {why}. {tail}", crate::escape::text(&file));
        let markdown = format!("Refused: {} {why}. {tail}", crate::escape::md_code(&file));
        return refuse(g, args, out, refusal, &text, &markdown);
    }
    let inputs = &saved.inputs;
    if inputs.options.ledger && args.ledger.ledger.is_none() {
        bail!(
            "{file} was planned with --ledger: pass the same --ledger FILE to apply, so that it plans from the same history and records its orders"
        );
    }
    if inputs.options.dns_checked && g.skip_dns {
        bail!(
            "{file} was planned with DNS checks and apply checks DNS again: drop --skip-dns (pass --resolver if the plan used one)"
        );
    }
    let mut g = g.clone();
    g.skip_dns = !inputs.options.dns_checked;
    let desired = desired::load(Path::new(&inputs.desired_file)).with_context(|| {
        format!(
            "{file} was planned from {}: run apply in the same directory (the same checkout) as plan",
            inputs.desired_file
        )
    })?;
    let env = |name: &str| std::env::var(name).ok();
    let resolved = credentials::resolve(&env, g.wp_config.as_deref())?;
    let target = Target {
        server: Some(inputs.live.server_id),
        app: Some(inputs.live.app_id),
    };
    let session = Session::for_target(&g, target, &file, resolved)?;
    let mut ledger = open_ledger(args.ledger.ledger.as_deref())?;
    let history = ledger.as_ref().map(|l| &l.ledger);
    let planned = compute(&g, out, &desired, &session, &inputs.plan_options(), history).await?;
    let fresh = planned.json(true);
    if fresh.fingerprint.as_deref() != Some(saved.fingerprint.as_str()) {
        let dns_now = |name: &str| {
            let name = crate::model::DomainName::from_live(name);
            planned.checks.dns.get(&name).map(|f| f.label().to_string())
        };
        let mut lines = saved::drift(inputs, &planned.inputs, &dns_now);
        let actions = serde_json::to_value(&fresh.actions).unwrap_or_default();
        lines.extend(saved::action_drift(&saved.actions, &actions));
        // Drift lines quote names and values from RunCloud: each is escaped for where it goes.
        let head = |shown: &str| {
            format!(
                "Refused: what {shown} was planned from has drifted, so it is not the plan that was reviewed. Nothing was changed.\nWhat drifted:\n"
            )
        };
        let tail = "Plan again (`rcdomains plan --out …`), review the new plan, and apply that.";
        let more = lines.len().saturating_sub(50);
        let mut text = head(&crate::escape::text(&file));
        let mut markdown = head(&crate::escape::md_code(&file));
        for l in lines.iter().take(50) {
            let shown: String = l.chars().take(1000).collect();
            text.push_str(&format!("  - {}\n", crate::escape::text(&shown)));
            markdown.push_str(&format!("  - {}\n", crate::escape::md_code(&shown)));
        }
        if more > 0 {
            text.push_str(&format!("  - … and {more} more\n"));
            markdown.push_str(&format!("  - … and {more} more\n"));
        }
        text.push_str(tail);
        markdown.push_str(tail);
        let refusal = Refusal {
            reason: "drift".into(),
            message: format!(
                "what {file} was planned from has drifted, so it is not the plan that was reviewed; plan again, review the new plan, and apply that"
            ),
            would_remove: vec![],
            drift: lines,
        };
        return refuse(&g, args, out, refusal, &text, &markdown);
    }
    carry_out(&g, args, out, &planned, &session, false, ledger.as_mut()).await
}

/// Shows the plan, asks when `confirm` (a fresh plan; a saved one was reviewed already),
/// applies, records the orders in the ledger, verifies (`--verify`), and reports.
async fn carry_out(
    g: &Global,
    args: &ApplyArgs,
    out: &Output,
    planned: &Planned,
    session: &Session,
    confirm: bool,
    ledger: Option<&mut LedgerFile>,
) -> anyhow::Result<Exit> {
    let plan = &planned.plan;
    if g.format == Format::Text || plan.refusal.is_some() || !plan.has_changes() {
        out.print(&render_plan(g, out, planned));
    }
    if let Some(r) = &plan.refusal {
        let refusal = Refusal {
            reason: match r.gate {
                Gate::RemovalCap { .. } => "removal-cap".into(),
                Gate::EmptyDesired => "empty-desired".into(),
            },
            message: r.gate.to_string(),
            would_remove: r.would_remove.iter().map(ToString::to_string).collect(),
            drift: vec![],
        };
        write_report(
            args,
            &Report {
                api_requests: plan.api_requests,
                refusal: Some(refusal),
                ..Report::default()
            },
        )?;
        return Ok(Exit::Refused);
    }
    if !plan.has_changes() {
        let nothing = Report {
            api_requests: plan.api_requests,
            ..Report::default()
        };
        let unrecorded = record(out, ledger, &nothing.orders);
        finish(g, args, out, &nothing, false)?;
        return Ok(if unrecorded {
            Exit::Partial
        } else {
            Exit::Success
        });
    }
    if confirm && !args.yes {
        if !output::stdin_is_terminal() {
            bail!(
                "refusing to apply without --yes: there is no terminal to confirm on (in CI, review the plan and pass --yes, or apply a saved plan: `rcdomains apply plan.json`)"
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
    let progress = out.progress(
        &format!("applying {} actions", plan.actions.len()),
        session.client.progress(),
    );
    let mut report = apply::execute(plan, &session.client, args.parallelism).await;
    drop(progress);
    let unrecorded = record(out, ledger, &report.orders);
    if let Some(secs) = args.verify {
        report.verification = Some(verify_orders(g, out, plan, &report, secs).await);
    }
    finish(g, args, out, &report, true)?;
    tracing::info!(requests = session.client.request_count(), "apply done");
    let unverified = report
        .verification
        .as_ref()
        .is_some_and(|v| v.unverified() > 0);
    Ok(if report.failed() > 0 || unverified || unrecorded {
        Exit::Partial
    } else {
        Exit::Success
    })
}

/// A saved plan refused (exit 3): says why in the format asked for (JSON: the report with its
/// `refusal`), and writes `--report FILE` all the same.
fn refuse(
    g: &Global,
    args: &ApplyArgs,
    out: &Output,
    refusal: Refusal,
    text: &str,
    markdown: &str,
) -> anyhow::Result<Exit> {
    let report = Report {
        refusal: Some(refusal),
        ..Report::default()
    };
    match g.format {
        Format::Text => out.print(text),
        Format::Json => out.print(&render::json::report(&report)),
        Format::Markdown => {
            summarise(markdown);
            out.print(markdown);
        }
    }
    write_report(args, &report)?;
    Ok(Exit::Refused)
}

/// Writes `--report FILE` (the JSON report), when asked for.
fn write_report(args: &ApplyArgs, report: &Report) -> anyhow::Result<()> {
    if let Some(path) = &args.report {
        std::fs::write(path, render::json::report(report))
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    Ok(())
}

/// Records the orders of the run in the ledger (creating the file when missing, so that a CI
/// cache always has one to keep); true when that failed, which is said on stderr.
fn record(out: &Output, ledger: Option<&mut LedgerFile>, orders: &[LedgerEntry]) -> bool {
    let Some(ledger) = ledger else {
        return false;
    };
    if orders.is_empty() && ledger.exists() {
        return false;
    }
    match ledger.record(orders, jiff::Timestamp::now().as_second()) {
        Ok(()) => false,
        Err(e) => {
            out.error(&e.context(
                "the certificate orders of this run are not in the ledger; the next run cannot back off from them",
            ));
            true
        }
    }
}

/// `--verify SECS`: probes every name the successful orders covered until the server presents
/// a certificate covering it, or the time is up.
async fn verify_orders(
    g: &Global,
    out: &Output,
    plan: &crate::plan::Plan,
    report: &Report,
    secs: u64,
) -> verify::Verification {
    let names: Vec<crate::model::DomainName> = report
        .orders
        .iter()
        .filter(|o| o.outcome == crate::plan::OrderOutcome::Ok)
        .flat_map(|o| o.names.iter().cloned())
        .collect();
    let counter = crate::progress::Counter::default();
    let _progress = out.progress(
        &format!("verifying {} names (at most {secs} s)", names.len()),
        &counter,
    );
    let opts = VerifyOptions {
        port: g.tls_port,
        allowed: Duration::from_secs(secs),
        probe_timeout: Duration::from_secs(g.dns_timeout.max(1) * 2),
        concurrency: g.dns_concurrency.max(1),
    };
    verify::verify(plan.server_ip, &names, opts).await
}

/// Prints the report (when anything ran), writes `--report FILE`, and appends the Markdown
/// summary to GitHub's step summary when `--format markdown` runs in GitHub Actions.
fn finish(
    g: &Global,
    args: &ApplyArgs,
    out: &Output,
    report: &Report,
    ran: bool,
) -> anyhow::Result<()> {
    if ran || g.format == Format::Markdown {
        out.print(&match g.format {
            Format::Text => render::text::report(report, out.style),
            Format::Json => render::json::report(report),
            Format::Markdown => render::markdown::report(report),
        });
    }
    write_report(args, report)?;
    if g.format == Format::Markdown {
        summarise(&render::markdown::report(report));
    }
    Ok(())
}

/// Appends to `$GITHUB_STEP_SUMMARY` when set (GitHub Actions); a failure only warns.
fn summarise(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    use std::io::Write;
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{markdown}"));
    if let Err(e) = result {
        tracing::warn!("cannot append to GITHUB_STEP_SUMMARY: {e}");
    }
}
