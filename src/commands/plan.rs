//! `rcdomains plan`: read live state, print the plan, change nothing; optionally save it
//! (`--out`) for `apply PLANFILE`, and say through the exit code whether anything is pending.

use super::targets::{self, Target};
use super::{Planned, compute, open_ledger, options, render_plan};
use crate::cli::{Format, PlanCommandArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::model::ActionKind;
use crate::output::Output;
use crate::plan::{Ledger, Plan, PlanOptions};
use crate::render::{self, fleet};
use anyhow::Context;
use futures_util::StreamExt;
use std::path::Path;

/// Targets planned at once in a run over several files. Their API requests share one limiter
/// whatever this is; it bounds the DNS look-ups and TLS handshakes in flight together.
pub(crate) const TARGETS_AT_ONCE: usize = 4;

pub(crate) async fn run(
    config: &Config,
    args: &PlanCommandArgs,
    out: &Output,
) -> anyhow::Result<Exit> {
    let run = config;
    let paths = targets::paths(&run.files)?;
    let targets = targets::open(&run.api, targets::load(&paths)?)?;
    let options = options(args.plan, &args.ledger)?;
    let ledger = open_ledger(args.ledger.ledger.as_deref())?;
    let history = ledger.as_ref().map(|l| &l.ledger);
    if let [one] = targets.as_slice() {
        let planned = compute(
            &run.checks,
            Some(out),
            &one.desired,
            &one.session,
            &options,
            history,
        )
        .await?;
        out.print(&render_plan(run.format, out, &planned));
        if let Some(path) = &args.out {
            check_out_path(path, &paths)?;
            let saved = planned.saved();
            write_saved(
                out,
                path,
                &render::json::pretty(&saved),
                Some(saved.fingerprint()),
            )?;
        }
        tracing::info!(requests = one.session.client.request_count(), "plan done");
        return Ok(exit_code(&planned.plan, args));
    }
    let planned = plan_all(&run.checks, out, &targets, &options, history).await;
    let all_requests = targets
        .first()
        .map(|t| t.session.client.all_request_count());
    out.print(&render_many(
        run.format,
        out,
        &targets,
        &planned,
        all_requests,
    ));
    if let Some(path) = &args.out {
        check_out_path(path, &paths)?;
        let saved = saved_many(&targets, &planned);
        write_saved(
            out,
            path,
            &render::json::pretty(&saved),
            Some(&saved.fingerprint),
        )?;
    }
    Ok(targets::aggregate(planned.iter().map(|p| match p {
        Ok(p) => exit_code(&p.plan, args),
        Err(_) => Exit::Error,
    })))
}

/// Plans every target, `TARGETS_AT_ONCE` at a time, in file order; an error stays with its
/// target (said on stderr as it happens) and does not stop the others.
pub(crate) async fn plan_all(
    checks: &crate::config::CheckConfig,
    out: &Output,
    targets: &[Target],
    options: &PlanOptions,
    history: Option<&Ledger>,
) -> Vec<anyhow::Result<Planned>> {
    futures_util::stream::iter(targets.iter().map(|t| async move {
        let planned = compute(checks, None, &t.desired, &t.session, options, history).await;
        if let Err(e) = &planned {
            out.error(&anyhow::anyhow!(
                "{}: {}",
                t.desired.source,
                crate::errors::chain(e.as_ref())
            ));
        }
        planned
    }))
    .buffered(TARGETS_AT_ONCE)
    .collect()
    .await
}

/// The plans of several files in `format`: a summary table, then a section per file.
pub(crate) fn render_many(
    format: Format,
    out: &Output,
    targets: &[Target],
    planned: &[anyhow::Result<Planned>],
    all_requests: Option<u64>,
) -> String {
    if format == Format::Json {
        return render::json::pretty(&json_many(targets, planned));
    }
    let parts = targets
        .iter()
        .zip(planned)
        .map(|(t, p)| {
            let target = t.session.label();
            match p {
                Ok(p) => fleet::Part {
                    file: t.desired.source.clone(),
                    target,
                    cells: counts(&p.plan),
                    status: status(&p.plan),
                    body: Box::new(move |limit| super::render_plan_within(format, out, p, limit)),
                },
                Err(e) => fleet::Part {
                    file: t.desired.source.clone(),
                    target,
                    cells: vec![String::new(); 5],
                    status: fleet::Status::Error,
                    body: fleet::fixed(error_body(format, e)),
                },
            }
        })
        .collect();
    let f = fleet::Fleet {
        command: "plan",
        columns: &["add", "update", "remove", "SSL", "deferred"],
        parts,
        api_requests: all_requests,
    };
    match format {
        Format::Markdown => fleet::markdown(&f),
        _ => fleet::text(&f, out.style),
    }
}

/// An error as a section's body.
pub(crate) fn error_body(format: Format, e: &anyhow::Error) -> String {
    let text = crate::errors::chain(e.as_ref());
    match format {
        Format::Markdown => format!(
            "> [!WARNING]\n> **Not planned:** {}",
            crate::escape::md_code(&text)
        ),
        _ => format!("error: {}", crate::escape::text(&text)),
    }
}

fn counts(plan: &Plan) -> Vec<String> {
    vec![
        plan.count(ActionKind::Add).to_string(),
        plan.count(ActionKind::Update).to_string(),
        plan.count(ActionKind::Remove).to_string(),
        plan.count(ActionKind::Ssl).to_string(),
        plan.deferred.len().to_string(),
    ]
}

/// A plan's row status in a run over several files.
pub(crate) fn status(plan: &Plan) -> fleet::Status {
    match &plan.refusal {
        Some(r) => fleet::Status::Refused(r.gate.reason().into()),
        None if plan.has_changes() => fleet::Status::Changed("changes"),
        None => fleet::Status::Unchanged("no changes"),
    }
}

/// The JSON of several files' plans, as `plan --format json` prints them.
pub(crate) fn json_many(
    targets: &[Target],
    planned: &[anyhow::Result<Planned>],
) -> render::json::JsonPlans {
    render::json::JsonPlans::new(per_file(targets, planned, Planned::json))
}

/// Several files' plans as `plan --out` saves them.
fn saved_many(targets: &[Target], planned: &[anyhow::Result<Planned>]) -> crate::saved::SavedPlans {
    crate::saved::SavedPlans::new(per_file(targets, planned, Planned::saved))
}

/// Each file with `made` of its plan, or the error that kept it from one.
fn per_file<T>(
    targets: &[Target],
    planned: &[anyhow::Result<Planned>],
    made: impl Fn(&Planned) -> T,
) -> Vec<(String, Result<T, String>)> {
    targets
        .iter()
        .zip(planned)
        .map(|(t, p)| {
            let plan = p
                .as_ref()
                .map(&made)
                .map_err(|e| crate::errors::chain(e.as_ref()));
            (t.desired.source.clone(), plan)
        })
        .collect()
}

fn write_saved(
    out: &Output,
    path: &Path,
    text: &str,
    fingerprint: Option<&str>,
) -> anyhow::Result<()> {
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the saved plan to {}", path.display()))?;
    out.note(&format!(
        "Saved the plan to {} ({}); `rcdomains apply {}` applies exactly it, or refuses if anything drifted.",
        path.display(),
        fingerprint.unwrap_or_default(),
        path.display()
    ));
    Ok(())
}

/// `plan --out` writes only a new file or over an earlier saved plan: never over the desired
/// file it read, nor over any other file (a typo must not replace `domains.yaml` with JSON).
fn check_out_path(out: &Path, desired: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let same =
        desired.iter().any(
            |d| match (std::fs::canonicalize(out), std::fs::canonicalize(d)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            },
        );
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
            crate::saved::SavedFile::parse(&text, &file).map_err(|_| {
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
