//! `rcdomains apply`: plan afresh, confirm, carry out, report — or carry out exactly a saved
//! plan (`apply PLANFILE`), refusing when anything it was computed from has drifted.

use super::ledger::LedgerFile;
use super::targets;
use super::{Planned, Session, compute, open_ledger, options, render_plan};
use crate::apply;
use crate::checks::verify::{self, VerifyOptions};
use crate::cli::{ApplyArgs, Format};
use crate::config::{CheckConfig, Config};
use crate::desired::{self, Target as TargetIds};
use crate::exit::Exit;
use crate::model::{LedgerEntry, OrderOutcome, Refusal, Report, Verification};
use crate::output::{self, Output};
use crate::render::{self, fleet};
use crate::runcloud::credentials;
use crate::saved::{self, Saved, SavedFile};
use anyhow::{Context, bail};
use futures_util::StreamExt;
use std::path::Path;
use std::time::Duration;

pub(crate) async fn run(config: &Config, args: &ApplyArgs, out: &Output) -> anyhow::Result<Exit> {
    if let Some(planfile) = &args.planfile {
        return apply_saved(config, args, planfile, out).await;
    }
    let run = config;
    let paths = targets::paths(&run.files)?;
    let targets = targets::open(&run.api, targets::load(&paths)?)?;
    let mut ledger = open_ledger(args.ledger.ledger.as_deref())?;
    if let [one] = targets.as_slice() {
        return execute(
            config,
            args,
            out,
            &one.desired,
            &one.session,
            ledger.as_mut(),
        )
        .await;
    }
    let options = options(args.plan, &args.ledger)?;
    let history = ledger.as_ref().map(|l| &l.ledger);
    let planned = super::plan::plan_all(&run.checks, out, &targets, &options, history).await;
    let units = targets
        .into_iter()
        .zip(planned)
        .map(|(t, p)| Unit {
            file: t.desired.source,
            session: Some(t.session),
            checks: run.checks.clone(),
            step: match p {
                Ok(p) => Step::Planned(Box::new(p)),
                Err(e) => Step::Error(e),
            },
        })
        .collect();
    carry_out_many(config, args, out, units, true, ledger.as_mut()).await
}

/// Plans and applies with an existing session (also used by the demo), recording the orders
/// in `ledger` when there is one.
pub(crate) async fn execute(
    config: &Config,
    args: &ApplyArgs,
    out: &Output,
    desired: &desired::Desired,
    session: &Session,
    ledger: Option<&mut LedgerFile>,
) -> anyhow::Result<Exit> {
    let options = options(args.plan, &args.ledger)?;
    let history = ledger.as_deref().map(|l| &l.ledger);
    let planned = compute(
        &config.checks,
        Some(out),
        desired,
        session,
        &options,
        history,
    )
    .await?;
    carry_out(config, args, out, &planned, session, true, ledger).await
}

/// Where one target of an apply stands before anything is sent.
enum Step {
    /// A plan to carry out (or refused by a safety gate of its own).
    Planned(Box<Planned>),
    /// A saved plan that drifted: refused, with what to print (text, Markdown).
    Refused(Refusal, String, String),
    /// Not planned.
    Error(anyhow::Error),
}

/// A file a saved plan covers, with its plan or the error that kept it from one.
type Entry = (String, Result<Saved, String>);

/// One target of an apply over several files.
struct Unit {
    file: String,
    /// Set once the target's app is known.
    session: Option<Session>,
    checks: CheckConfig,
    step: Step,
}

/// `apply PLANFILE`: recompute the saved plan (of each file it covers) from the desired file
/// it names and the live state of now; apply only when the fingerprint is the same, else
/// refuse that target (exit 3) with what drifted.
async fn apply_saved(
    config: &Config,
    args: &ApplyArgs,
    planfile: &Path,
    out: &Output,
) -> anyhow::Result<Exit> {
    let file = planfile.display().to_string();
    refuse_planning_options(args, &file)?;
    let text = crate::input::read_to_string(planfile, "the saved plan")?;
    let saved = SavedFile::parse(&text, &file)?;
    if !saved.is_intact() {
        return refuse_tampered(config, args, out, &file);
    }
    let (many, entries): (bool, Vec<Entry>) = match saved {
        SavedFile::One(s) => (false, vec![(file.clone(), Ok(*s))]),
        SavedFile::Many { entries, .. } => (
            true,
            entries.into_iter().map(|e| (e.file, e.plan)).collect(),
        ),
    };
    check_saved_options(config, args, &entries, &file)?;
    let env = |name: &str| std::env::var(name).ok();
    let resolved = credentials::resolve(&env, config.api.wp_config.as_deref())?;
    let client = super::client(&config.api, &resolved)?;
    let mut ledger = open_ledger(args.ledger.ledger.as_deref())?;
    let replan = Replan {
        config,
        out,
        client: &client,
        resolved: &resolved,
        file: &file,
        history: ledger.as_ref().map(|l| &l.ledger),
        many,
    };
    let units = replan.units(entries).await?;
    if many {
        return carry_out_many(config, args, out, units, false, ledger.as_mut()).await;
    }
    let Some(unit) = units.into_iter().next() else {
        bail!("{file} holds no plan");
    };
    let session = unit.session.context("the saved plan's target")?;
    match unit.step {
        Step::Planned(planned) => {
            let config = config.with_checks(unit.checks);
            carry_out(
                &config,
                args,
                out,
                &planned,
                &session,
                false,
                ledger.as_mut(),
            )
            .await
        }
        Step::Refused(refusal, text, markdown) => {
            refuse(config.format, args, out, refusal, &text, &markdown)
        }
        Step::Error(e) => Err(e),
    }
}

/// The options of `plan` that a saved plan carries already: given to `apply PLANFILE`, an error.
fn refuse_planning_options(args: &ApplyArgs, file: &str) -> anyhow::Result<()> {
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
    Ok(())
}

/// A saved plan edited after it was written: refused whole (exit 3).
fn refuse_tampered(
    config: &Config,
    args: &ApplyArgs,
    out: &Output,
    file: &str,
) -> anyhow::Result<Exit> {
    let why = "was changed after `rcdomains plan --out` wrote it (its fingerprint does not match its content)";
    let tail = "Nothing was changed.\nPlan again, review the new plan, and apply that.";
    let refusal = Refusal {
        reason: "tampered".into(),
        message: format!("{file} {why}"),
        would_remove: vec![],
        drift: vec![],
    };
    let text = format!("Refused: {} {why}. {tail}", crate::escape::text(file));
    let markdown = format!("Refused: {} {why}. {tail}", crate::escape::md_code(file));
    refuse(config.format, args, out, refusal, &text, &markdown)
}

/// What apply must be given to plan as the saved plan did: the same ledger, DNS checks.
fn check_saved_options(
    config: &Config,
    args: &ApplyArgs,
    entries: &[Entry],
    file: &str,
) -> anyhow::Result<()> {
    for s in entries.iter().filter_map(|(_, s)| s.as_ref().ok()) {
        if s.inputs.options.ledger && args.ledger.ledger.is_none() {
            bail!(
                "{file} was planned with --ledger: pass the same --ledger FILE to apply, so that it plans from the same history and records its orders"
            );
        }
        if s.inputs.options.dns_checked && config.checks.skip {
            bail!(
                "{file} was planned with DNS checks and apply checks DNS again: drop --skip-dns (pass --resolver if the plan used one)"
            );
        }
    }
    Ok(())
}

/// What planning a saved plan's targets again shares: the settings, one client, the plan file.
struct Replan<'a> {
    config: &'a Config,
    out: &'a Output,
    client: &'a crate::runcloud::Client,
    resolved: &'a credentials::Resolved,
    file: &'a str,
    history: Option<&'a crate::plan::Ledger>,
    /// The plan file covers several desired files: a target's error stays with it.
    many: bool,
}

impl Replan<'_> {
    /// Each entry planned again (`TARGETS_AT_ONCE` at a time), in the file's order.
    async fn units(&self, entries: Vec<Entry>) -> anyhow::Result<Vec<Unit>> {
        let units: Vec<anyhow::Result<Unit>> =
            futures_util::stream::iter(entries.into_iter().map(|(f, e)| self.unit(f, e)))
                .buffered(super::plan::TARGETS_AT_ONCE)
                .collect()
                .await;
        units.into_iter().collect()
    }

    /// One entry: its plan computed again and compared, or why it has none.
    async fn unit(
        &self,
        target_file: String,
        entry: Result<Saved, String>,
    ) -> anyhow::Result<Unit> {
        let saved = match entry {
            Ok(s) => s,
            Err(e) => {
                let step = Step::Error(anyhow::anyhow!(
                    "{target_file} was not planned when {} was saved ({e}); plan again once it is fixed",
                    self.file
                ));
                return Ok(Unit {
                    file: target_file,
                    session: None,
                    checks: self.config.checks.clone(),
                    step,
                });
            }
        };
        let ids = TargetIds {
            server: Some(saved.inputs.live.server_id),
            app: Some(saved.inputs.live.app_id),
        };
        let session = Session::with_client(self.client, ids, self.file, self.resolved)?;
        let checks = self
            .config
            .checks
            .as_planned(saved.inputs.options.dns_checked);
        let progress = (!self.many).then_some(self.out);
        let checked =
            check_saved(&checks, progress, &session, &saved, self.history, self.file).await;
        let step = match checked {
            Ok(step) => step,
            Err(e) if self.many => Step::Error(e),
            Err(e) => return Err(e),
        };
        Ok(Unit {
            file: target_file,
            session: Some(session),
            checks,
            step,
        })
    }
}

/// The saved plan of one target computed again from the desired file it names and the live
/// state of now: the plan to apply when its fingerprint is the one saved, else a refusal
/// with what drifted.
async fn check_saved(
    checks: &CheckConfig,
    out: Option<&Output>,
    session: &Session,
    saved: &Saved,
    history: Option<&crate::plan::Ledger>,
    file: &str,
) -> anyhow::Result<Step> {
    let inputs = &saved.inputs;
    let desired = desired::load(Path::new(&inputs.desired_file)).with_context(|| {
        format!(
            "{file} was planned from {}: run apply in the same directory (the same checkout) as plan",
            inputs.desired_file
        )
    })?;
    let planned = compute(
        checks,
        out,
        &desired,
        session,
        &inputs.plan_options(),
        history,
    )
    .await?;
    let fresh = planned.json();
    if fresh.fingerprint.as_deref() == Some(saved.fingerprint.as_str()) {
        return Ok(Step::Planned(Box::new(planned)));
    }
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
    let mut text = head(&crate::escape::text(file));
    let mut markdown = head(&crate::escape::md_code(file));
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
    Ok(Step::Refused(refusal, text, markdown))
}

/// Shows the plan, asks when `confirm` (a fresh plan; a saved one was reviewed already),
/// applies, records the orders in the ledger, verifies (`--verify`), and reports.
async fn carry_out(
    config: &Config,
    args: &ApplyArgs,
    out: &Output,
    planned: &Planned,
    session: &Session,
    confirm: bool,
    ledger: Option<&mut LedgerFile>,
) -> anyhow::Result<Exit> {
    let plan = &planned.plan;
    let format = config.format;
    if format == Format::Text || plan.refusal.is_some() || !plan.has_changes() {
        out.print(&render_plan(format, out, planned));
    }
    let approved = match plan.approve() {
        Ok(approved) => approved,
        Err(refused) => {
            write_report(
                args,
                &Report {
                    api_requests: plan.api_requests,
                    refusal: Some(apply::gate_refusal(refused)),
                    ..Report::default()
                },
            )?;
            return Ok(Exit::Refused);
        }
    };
    if !plan.has_changes() {
        let nothing = Report {
            api_requests: plan.api_requests,
            ..Report::default()
        };
        let unrecorded = record(out, ledger, &nothing.orders);
        finish(format, args, out, &nothing, false)?;
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
    let mut report = apply::run(approved, &session.client, args.parallelism).await;
    drop(progress);
    let unrecorded = record(out, ledger, &report.orders);
    if let Some(secs) = args.verify {
        report.verification =
            Some(verify_orders(&config.checks, Some(out), plan, &report, secs).await);
    }
    finish(format, args, out, &report, true)?;
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
    format: Format,
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
    match format {
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
    g: &CheckConfig,
    out: Option<&Output>,
    plan: &crate::plan::Plan,
    report: &Report,
    secs: u64,
) -> Verification {
    let names: Vec<crate::model::DomainName> = report
        .orders
        .iter()
        .filter(|o| o.outcome == OrderOutcome::Ok)
        .flat_map(|o| o.names.iter().cloned())
        .collect();
    let counter = crate::progress::Counter::default();
    let _progress = out.map(|out| {
        out.progress(
            &format!("verifying {} names (at most {secs} s)", names.len()),
            &counter,
        )
    });
    let opts = VerifyOptions {
        port: g.tls_port,
        allowed: Duration::from_secs(secs),
        probe_timeout: g.tls_timeout(),
        concurrency: g.concurrency,
    };
    verify::verify(plan.server_ip, &names, opts).await
}

/// Prints the report (when anything ran), writes `--report FILE`, and appends the Markdown
/// summary to GitHub's step summary when `--format markdown` runs in GitHub Actions.
fn finish(
    format: Format,
    args: &ApplyArgs,
    out: &Output,
    report: &Report,
    ran: bool,
) -> anyhow::Result<()> {
    if ran || format == Format::Markdown {
        out.print(&match format {
            Format::Text => render::text::report(report, out.style),
            Format::Json => render::json::report(report),
            Format::Markdown => render::markdown::report(report),
        });
    }
    write_report(args, report)?;
    if format == Format::Markdown {
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

/// One target's end of an apply over several files.
struct Done {
    file: String,
    target: String,
    report: Result<Report, String>,
    exit: Exit,
}

/// An apply over several files: shows every plan, asks once (a fresh plan on a terminal),
/// applies each target that is planned and not refused — a refusal or an error in one file
/// does not stop the others — records the orders, verifies, and reports every file.
async fn carry_out_many(
    config: &Config,
    args: &ApplyArgs,
    out: &Output,
    units: Vec<Unit>,
    confirm: bool,
    ledger: Option<&mut LedgerFile>,
) -> anyhow::Result<Exit> {
    let format = config.format;
    if format == Format::Text {
        out.print(&fleet::text(&plans_fleet(format, out, &units), out.style));
    }
    if confirm && !confirmed_many(args, out, &units)? {
        out.note("Nothing was changed.");
        return Ok(Exit::Success);
    }
    let done: Vec<(Done, Vec<LedgerEntry>)> =
        futures_util::stream::iter(units.iter().map(|u| apply_unit(args, u)))
            .buffered(super::plan::TARGETS_AT_ONCE)
            .collect()
            .await;
    let orders: Vec<LedgerEntry> = done.iter().flat_map(|(_, o)| o.iter().cloned()).collect();
    let unrecorded = record(out, ledger, &orders);
    let done: Vec<Done> = done.into_iter().map(|(d, _)| d).collect();
    let all_requests = units
        .iter()
        .find_map(|u| u.session.as_ref())
        .map(|s| s.client.all_request_count());
    report_many(format, args, out, &done, all_requests)?;
    let exit = targets::aggregate(done.iter().map(|d| d.exit));
    Ok(if unrecorded && exit == Exit::Success {
        Exit::Partial
    } else {
        exit
    })
}

/// Whether to go on with an apply over several files: yes without changes or with `--yes`;
/// otherwise asked once on a terminal, and an error without one.
fn confirmed_many(args: &ApplyArgs, out: &Output, units: &[Unit]) -> anyhow::Result<bool> {
    let pending = |u: &&Unit| matches!(&u.step, Step::Planned(p) if p.plan.refusal.is_none() && p.plan.has_changes());
    let changes: usize = units
        .iter()
        .filter(pending)
        .map(|u| match &u.step {
            Step::Planned(p) => p.plan.actions.len(),
            _ => 0,
        })
        .sum();
    if changes == 0 || args.yes {
        return Ok(true);
    }
    if !output::stdin_is_terminal() {
        bail!(
            "refusing to apply without --yes: there is no terminal to confirm on (in CI, review the plan and pass --yes, or apply a saved plan: `rcdomains apply plan.json`)"
        );
    }
    let files = units.iter().filter(pending).count();
    Ok(out.confirm(&format!(
        "Apply these {changes} changes of {files} files to RunCloud?"
    )))
}

/// One target of an apply over several files, carried out when it is planned, not refused
/// and has changes; its end, and the certificate orders it sent (for the ledger).
async fn apply_unit(args: &ApplyArgs, u: &Unit) -> (Done, Vec<LedgerEntry>) {
    let target = u.session.as_ref().map(Session::label).unwrap_or_default();
    let end = |report: Result<Report, String>, exit: Exit| Done {
        file: u.file.clone(),
        target: target.clone(),
        report,
        exit,
    };
    let (planned, session) = match (&u.step, &u.session) {
        (Step::Planned(p), Some(s)) => (p, s),
        (Step::Refused(refusal, ..), _) => {
            let report = Report {
                refusal: Some(refusal.clone()),
                ..Report::default()
            };
            return (end(Ok(report), Exit::Refused), vec![]);
        }
        (Step::Error(e), _) => {
            return (
                end(Err(crate::errors::chain(e.as_ref())), Exit::Error),
                vec![],
            );
        }
        (Step::Planned(_), None) => return (end(Err("no session".into()), Exit::Error), vec![]),
    };
    let plan = &planned.plan;
    let approved = match plan.approve() {
        Ok(approved) => approved,
        Err(refused) => {
            let report = Report {
                api_requests: plan.api_requests,
                refusal: Some(apply::gate_refusal(refused)),
                ..Report::default()
            };
            return (end(Ok(report), Exit::Refused), vec![]);
        }
    };
    if !plan.has_changes() {
        let report = Report {
            api_requests: plan.api_requests,
            ..Report::default()
        };
        return (end(Ok(report), Exit::Success), vec![]);
    }
    let mut report = apply::run(approved, &session.client, args.parallelism).await;
    report.api_requests = Some(session.client.request_count());
    if let Some(secs) = args.verify {
        report.verification = Some(verify_orders(&u.checks, None, plan, &report, secs).await);
    }
    let unverified = report
        .verification
        .as_ref()
        .is_some_and(|v| v.unverified() > 0);
    let exit = if report.failed() > 0 || unverified {
        Exit::Partial
    } else {
        Exit::Success
    };
    let orders = report.orders.clone();
    (end(Ok(report), exit), orders)
}

/// The reports of an apply over several files: printed in `format`, written to `--report`
/// (JSON), appended to GitHub's step summary (Markdown).
fn report_many(
    format: Format,
    args: &ApplyArgs,
    out: &Output,
    done: &[Done],
    all_requests: Option<u64>,
) -> anyhow::Result<()> {
    let report_json = render::json::many(
        "reports",
        done.iter()
            .map(|d| {
                (
                    d.file.clone(),
                    d.report
                        .as_ref()
                        .map(render::json::to_json_report)
                        .map_err(Clone::clone),
                )
            })
            .collect(),
    );
    let shown = match format {
        Format::Json => report_json.clone(),
        Format::Markdown => fleet::markdown(&reports_fleet(format, out, done, all_requests)),
        Format::Text => fleet::text(&reports_fleet(format, out, done, all_requests), out.style),
    };
    out.print(&shown);
    if let Some(path) = &args.report {
        std::fs::write(path, &report_json)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if format == Format::Markdown {
        summarise(&shown);
    }
    Ok(())
}

/// The plans of an apply over several files, as a summary table and a section each.
fn plans_fleet<'a>(format: Format, out: &'a Output, units: &'a [Unit]) -> fleet::Fleet<'a> {
    let parts = units
        .iter()
        .map(|u| {
            let target = u.session.as_ref().map(Session::label).unwrap_or_default();
            let (cells, status, body) = match &u.step {
                Step::Planned(p) => (
                    vec![p.plan.actions.len().to_string()],
                    super::plan::status(&p.plan),
                    Box::new(move |limit| super::render_plan_within(format, out, p, limit))
                        as fleet::Body,
                ),
                Step::Refused(r, text, markdown) => (
                    vec![String::new()],
                    fleet::Status::Refused(r.reason.clone()),
                    fleet::fixed(if format == Format::Markdown {
                        markdown.clone()
                    } else {
                        text.clone()
                    }),
                ),
                Step::Error(e) => (
                    vec![String::new()],
                    fleet::Status::Error,
                    fleet::fixed(super::plan::error_body(format, e)),
                ),
            };
            fleet::Part {
                file: u.file.clone(),
                target,
                cells,
                status,
                body,
            }
        })
        .collect();
    fleet::Fleet {
        command: "plan",
        columns: &["actions"],
        parts,
        api_requests: None,
    }
}

/// The reports of an apply over several files, as a summary table and a section each.
fn reports_fleet<'a>(
    format: Format,
    out: &'a Output,
    done: &'a [Done],
    all_requests: Option<u64>,
) -> fleet::Fleet<'a> {
    let parts = done
        .iter()
        .map(|d| match &d.report {
            Ok(r) => fleet::Part {
                file: d.file.clone(),
                target: d.target.clone(),
                cells: vec![
                    r.ok().to_string(),
                    r.failed().to_string(),
                    r.skipped().to_string(),
                ],
                status: match (&r.refusal, d.exit) {
                    (Some(refusal), _) => fleet::Status::Refused(refusal.reason.clone()),
                    (None, Exit::Partial) => fleet::Status::Changed("failures"),
                    (None, _) if r.outcomes.is_empty() => fleet::Status::Unchanged("no changes"),
                    (None, _) => fleet::Status::Changed("ok"),
                },
                body: match (&r.refusal, format) {
                    (Some(refusal), Format::Markdown) => fleet::fixed(format!(
                        "> [!CAUTION]\n> **Refused ({}), nothing was changed:** {}",
                        refusal.reason,
                        crate::escape::md_code(&refusal.message)
                    )),
                    (Some(refusal), _) => fleet::fixed(format!(
                        "Refused ({}), nothing was changed: {}",
                        refusal.reason,
                        crate::escape::text(&refusal.message)
                    )),
                    (None, Format::Markdown) => {
                        Box::new(move |limit| render::markdown::report_within(r, limit))
                    }
                    (None, _) => Box::new(move |_| render::text::report(r, out.style)),
                },
            },
            Err(e) => fleet::Part {
                file: d.file.clone(),
                target: d.target.clone(),
                cells: vec![String::new(); 3],
                status: fleet::Status::Error,
                body: fleet::fixed(match format {
                    Format::Markdown => format!(
                        "> [!WARNING]\n> **Not applied:** {}",
                        crate::escape::md_code(e)
                    ),
                    _ => format!("error: {}", crate::escape::text(e)),
                }),
            },
        })
        .collect();
    fleet::Fleet {
        command: "apply",
        columns: &["ok", "failed", "skipped"],
        parts,
        api_requests: all_requests,
    }
}
