//! Plans and apply reports as Markdown, for a pull-request comment or a GitHub step summary.
//!
//! Owns their look and the size limit: the summary (counts, removals called out, a refusal)
//! always comes first and whole; the detail follows and is cut, with a note, so the result
//! never exceeds `LIMIT` bytes (GitHub refuses comments over 65,536 characters), whatever the
//! names hold. Pure: must not print, nor decide anything.
//!
//! Text from outside — names, API messages, DNS and TLS errors — is shown only as code
//! (`escape::md_code`, through `md_name` and `md_outside`, cut when long), so it cannot leave
//! its cell, make markup, a link, a mention or an HTML comment; the diff is in a fence longer
//! than any run of backticks in it.

use super::{Style, md_name, md_outside};
use crate::escape;
use crate::model::{ActionKind, Coverage, DomainName, Report, Status};
use crate::plan::audit::{Audit, FINDING_KINDS, FindingLevel};
use crate::plan::{Action, DeferReason, Level, Plan, RemoveReason};
use std::fmt::Write;

/// The most a rendered plan or report may hold, in bytes (so also in characters).
pub const LIMIT: usize = 65_000;

/// Room kept for closing an open block and the truncation note.
const RESERVE: usize = 400;

/// Names listed in the summary's call-outs before "and N more".
const SUMMARY_NAMES: usize = 10;

/// One section of the detail: its opening, its lines, and what closes it (a fence, a tag).
struct Block {
    open: String,
    lines: Vec<String>,
    close: String,
}

impl Block {
    fn new(open: impl Into<String>, close: impl Into<String>) -> Block {
        Block {
            open: open.into(),
            lines: vec![],
            close: close.into(),
        }
    }

    fn len(&self) -> usize {
        self.open.len() + self.close.len() + self.lines.iter().map(String::len).sum::<usize>()
    }
}

/// The summary, then as much of the detail as fits under `LIMIT`. When the detail does not
/// fit, every section keeps the same number of first lines (the most that fits), so that a
/// long list of additions cannot crowd out the removals, the deferred items or the diff.
fn assemble(
    summary: String,
    mut blocks: Vec<Block>,
    what: &str,
    reserve: usize,
    limit: usize,
) -> String {
    let budget = limit.saturating_sub(reserve);
    let mut cut = cut_evenly(&mut blocks, budget.saturating_sub(summary.len()));
    let mut out = summary;
    let mut full = false;
    for b in blocks {
        if full {
            cut += b.lines.len();
            continue;
        }
        if out.len() + b.len() <= budget {
            out.push_str(&b.open);
            b.lines.iter().for_each(|l| out.push_str(l));
            out.push_str(&b.close);
            continue;
        }
        full = true;
        if out.len() + b.open.len() + b.close.len() > budget {
            cut += b.lines.len();
            continue;
        }
        out.push_str(&b.open);
        for (i, l) in b.lines.iter().enumerate() {
            if out.len() + l.len() + b.close.len() > budget {
                cut += b.lines.len() - i;
                break;
            }
            out.push_str(l);
        }
        out.push_str(&b.close);
    }
    if out.len() > budget {
        // Only a summary over the budget gets here; names are cut for display, so it cannot
        // happen, but the limit holds even then: whole lines, then the note.
        let mut end = budget;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        let end = out[..end].rfind('\n').map_or(0, |i| i + 1);
        cut += out[end..].lines().count();
        out.truncate(end);
    }
    if cut > 0 {
        let _ = write!(
            out,
            "\n> [!NOTE]\n> Truncated: {cut} more lines of detail are not shown, to stay under GitHub's comment size limit. The summary above is complete; the full {what} is in the job log (and the saved plan file).\n"
        );
    }
    out
}

/// Cuts every block to the same number of first lines, the most with which all of them fit
/// in `room` bytes (none when they fit whole); returns how many lines were cut.
fn cut_evenly(blocks: &mut [Block], room: usize) -> usize {
    let size_with = |blocks: &[Block], cap: usize| -> usize {
        blocks
            .iter()
            .map(|b| {
                b.open.len()
                    + b.close.len()
                    + b.lines.iter().take(cap).map(String::len).sum::<usize>()
            })
            .sum()
    };
    let longest = blocks.iter().map(|b| b.lines.len()).max().unwrap_or(0);
    if size_with(blocks, longest) <= room {
        return 0;
    }
    let (mut lo, mut hi) = (0usize, longest);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if size_with(blocks, mid) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut cut = 0;
    for b in blocks {
        if b.lines.len() > lo {
            cut += b.lines.len() - lo;
            b.lines.truncate(lo);
        }
    }
    cut
}

/// Our own wording in a table cell or a list item: a `|` escaped so that it cannot split the
/// cell, control characters shown. Not for text from outside: that is shown with `md_outside`.
fn cell(s: &str) -> String {
    escape::text(s).replace('|', "\\|")
}

/// Why an item was deferred: names as names are shown and other quoted text as code; the
/// wording of the reasons that quote nothing as it is; any other reason (one that quotes
/// RunCloud in its own way, or one added later) whole as code.
pub(crate) fn defer_reason(reason: &DeferReason) -> String {
    if let Some(worded) = super::defer_reason_parts(reason, &md_name, &md_outside, &cell) {
        return worded;
    }
    match reason {
        DeferReason::UpdateNeedsV3 { .. }
        | DeferReason::WithinGrace { .. }
        | DeferReason::OverCertificateLimit { .. } => cell(&reason.to_string()),
        _ => md_outside(&reason.to_string()),
    }
}

fn names_list<'a>(names: impl Iterator<Item = &'a DomainName>, total: usize) -> String {
    let shown: Vec<String> = names.take(SUMMARY_NAMES).map(md_name).collect();
    let more = if total > shown.len() {
        format!(" and {} more", total - shown.len())
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

/// Where a plan was planned from, for the footer of its Markdown: the desired file and, in
/// CI, the commit (`GITHUB_SHA`, `CI_COMMIT_SHA`).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub file: String,
    pub commit: Option<String>,
}

/// The plan's closing lines: what happens on merge, and what it was planned from.
fn footer(plan: &Plan, origin: Option<&Origin>) -> String {
    let n = plan.actions.len();
    let on_merge = if plan.refusal.is_some() {
        "nothing is changed: apply refuses this plan (exit 3) until the file, the cap or the live state changes.".to_string()
    } else if n == 0 {
        format!(
            "nothing to change{}.",
            if plan.deferred.is_empty() {
                ""
            } else {
                "; the deferred items wait for a later run"
            }
        )
    } else {
        format!(
            "apply carries out the {n} action{} of this plan (from a saved plan: exactly these, or it refuses and changes nothing if anything it was planned from drifted){}.",
            plural(n),
            if plan.deferred.is_empty() {
                ""
            } else {
                "; the deferred items wait for a later run"
            }
        )
    };
    let mut s = format!("---\n<sub>**On merge**, {on_merge}");
    if let Some(o) = origin {
        // Both come from outside (a path, an environment variable): code, and cut.
        let file: String = o.file.chars().take(100).collect();
        let _ = write!(s, " Planned from {}", escape::md_code(&file));
        if let Some(commit) = &o.commit {
            let commit: String = commit.chars().take(40).collect();
            let _ = write!(s, " at commit {}", escape::md_code(&commit));
        }
        s.push('.');
    }
    s.push_str("</sub>\n");
    s
}

/// A plan as a pull-request comment, without the origin line of its footer (`plan_from`).
pub fn plan(plan: &Plan, fingerprint: Option<&str>) -> String {
    plan_from(plan, fingerprint, None)
}

/// A plan as a pull-request comment. `fingerprint` is shown when known, so the reviewer can
/// match the comment with the saved plan that will be applied.
pub fn plan_from(plan: &Plan, fingerprint: Option<&str>, origin: Option<&Origin>) -> String {
    plan_within(plan, fingerprint, origin, LIMIT)
}

/// `plan_from` in at most about `limit` bytes (a section of a run over several files).
pub fn plan_within(
    plan: &Plan,
    fingerprint: Option<&str>,
    origin: Option<&Origin>,
    limit: usize,
) -> String {
    let blocks: Vec<Block> = [
        warnings_block(plan),
        removals_block(plan),
        changes_block(plan),
        ssl_block(plan),
        deferred_block(plan),
        dns_block(plan),
        certificate_block(plan),
        kept_block(plan),
        diff_block(plan),
    ]
    .into_iter()
    .flatten()
    .collect();
    let summary = plan_summary(plan, fingerprint);
    let mut out = assemble(summary, blocks, "plan", RESERVE + FOOTER, limit);
    out.truncate(out.trim_end_matches('\n').len());
    out.push_str("\n\n");
    out.push_str(&footer(plan, origin));
    out
}

/// The part of a plan that is never cut: the counts, a refusal or the removals called out,
/// the warnings called out, and the fingerprint.
fn plan_summary(plan: &Plan, fingerprint: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### rcdomains plan — server {} app {} (API {})\n",
        plan.server_id, plan.app_id, plan.api
    );
    let _ = writeln!(s, "| add | update | remove | SSL | deferred |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| {} | {} | **{}** | {} | {} |\n",
        plan.count(ActionKind::Add),
        plan.count(ActionKind::Update),
        plan.count(ActionKind::Remove),
        plan.count(ActionKind::Ssl),
        plan.deferred.len()
    );
    refusal_or_removals_callout(&mut s, plan);
    warnings_callout(&mut s, plan);
    if plan.actions.is_empty() && plan.refusal.is_none() {
        let _ = writeln!(
            s,
            "**No changes**: RunCloud matches the file ({} domain{} attached{}).\n",
            plan.live_list.len(),
            plural(plan.live_list.len()),
            if plan.deferred.is_empty() {
                ""
            } else {
                "; deferred items are listed below"
            }
        );
    }
    if !plan.dns_checked {
        let _ = writeln!(
            s,
            "_DNS was not checked (--skip-dns): no certificate is ordered._\n"
        );
    }
    if let Some(fp) = fingerprint {
        let _ = writeln!(s, "<sub>fingerprint `{fp}`</sub>\n");
    }
    s
}

/// A refusal with what it would have removed, or else the names that will be removed.
fn refusal_or_removals_callout(s: &mut String, plan: &Plan) {
    if let Some(r) = &plan.refusal {
        let _ = writeln!(
            s,
            "> [!CAUTION]\n> **Refused, nothing will be changed:** {}",
            cell(&r.gate.to_string())
        );
        if !r.would_remove.is_empty() {
            let _ = writeln!(
                s,
                ">\n> Would remove: {}",
                names_list(r.would_remove.iter(), r.would_remove.len())
            );
        }
        s.push('\n');
        return;
    }
    let removals: Vec<&DomainName> = plan
        .actions
        .iter()
        .filter(|a| a.kind() == ActionKind::Remove)
        .map(|a| a.name())
        .collect();
    if !removals.is_empty() {
        let _ = writeln!(
            s,
            "> [!WARNING]\n> **{} domain{} will be removed** from the web app: {}\n",
            removals.len(),
            plural(removals.len()),
            names_list(removals.iter().copied(), removals.len())
        );
    }
}

/// How many warnings, and of them error-level, with the names they are about.
fn warnings_callout(s: &mut String, plan: &Plan) {
    if plan.warnings.is_empty() {
        return;
    }
    let errors = plan
        .warnings
        .iter()
        .filter(|w| w.level == Level::Error)
        .count();
    let (callout, errors) = if errors > 0 {
        ("CAUTION", format!(", {errors} error-level"))
    } else {
        ("WARNING", String::new())
    };
    let n = plan.warnings.len();
    let _ = writeln!(
        s,
        "> [!{callout}]\n> **{n} warning{}**{errors} (listed below, before the actions): {}\n",
        plural(n),
        names_list(plan.warnings.iter().map(|w| &w.name), n)
    );
}

impl Block {
    /// The block, when it has any line.
    fn with_lines(self) -> Option<Block> {
        (!self.lines.is_empty()).then_some(self)
    }
}

fn warnings_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new(
        "#### Warnings\n\n| level | warning | domain | detail |\n|---|---|---|---|\n",
        "\n",
    );
    for w in &plan.warnings {
        let level = match w.level {
            Level::Error => "**error**",
            Level::Warning => "warning",
        };
        b.lines.push(format!(
            "| {level} | {} | {} | {} |\n",
            w.kind.as_str(),
            md_name(&w.name),
            w.detail_with(&md_name, &cell)
        ));
    }
    b.with_lines()
}

/// The removals, unless refused (then the summary names them).
fn removals_block(plan: &Plan) -> Option<Block> {
    if plan.refusal.is_some() {
        return None;
    }
    let mut b = Block::new("#### Removals\n\n| | domain | why |\n|---|---|---|\n", "\n");
    for a in &plan.actions {
        if let Action::Remove { name, reason, .. } = a {
            let why = match reason {
                RemoveReason::Unlisted => "not in the file; removals.prune is on",
                RemoveReason::Tombstone => "`state: absent` in the file",
            };
            b.lines
                .push(format!("| **−** | **{}** | {why} |\n", md_name(name)));
        }
    }
    b.with_lines()
}

fn changes_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new(
        "#### Additions and updates\n\n| | domain | settings |\n|---|---|---|\n",
        "\n",
    );
    for a in &plan.actions {
        match a {
            Action::Add { name, settings } => {
                b.lines
                    .push(format!("| + | {} | {settings} |\n", md_name(name)));
            }
            Action::Update { name, from, to, .. } => {
                b.lines
                    .push(format!("| ~ | {} | {from} → {to} |\n", md_name(name)));
            }
            Action::Remove { .. } | Action::Ssl { .. } => {}
        }
    }
    b.with_lines()
}

/// The certificate orders, and why there are none when the plan says.
fn ssl_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new("#### SSL (after the domain changes)\n\n", "\n");
    for a in &plan.actions {
        if let Action::Ssl {
            name,
            order,
            covers,
        } = a
        {
            let what = super::ssl_order_text(order, &md_name(name));
            b.lines.push(format!(
                "- {what}, covering {}\n",
                names_list(covers.iter(), covers.len())
            ));
        }
    }
    if let Some(note) = &plan.ssl_note {
        b.lines.push(format!("- {}\n", cell(note)));
    }
    b.with_lines()
}

fn deferred_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new(
        "#### Deferred (no API call this run)\n\n| action | domain | reason |\n|---|---|---|\n",
        "\n",
    );
    for d in &plan.deferred {
        b.lines.push(format!(
            "| {} | {} | {} |\n",
            d.kind.as_str(),
            md_name(&d.name),
            defer_reason(&d.reason)
        ));
    }
    b.with_lines()
}

fn dns_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new(
        format!(
            "#### DNS not ready (server `{}`)\n\n| domain | finding |\n|---|---|\n",
            plan.server_ip_text()
        ),
        "\n",
    );
    for (name, f) in plan.dns.iter().filter(|(_, f)| !f.is_ready()) {
        b.lines.push(format!(
            "| {} | {} |\n",
            md_name(name),
            super::text::finding_text(f, &md_outside)
        ));
    }
    b.with_lines()
}

fn certificate_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new(
        "#### Certificate\n\n| domain | presented certificate |\n|---|---|\n",
        "\n",
    );
    for (name, c) in &plan.tls {
        let text = match c {
            Coverage::Covered { days_left } => format!("covered, expires in {days_left} days"),
            Coverage::NotCovered { why } => format!("**not covered**: {}", md_outside(why)),
            Coverage::Unknown { why } => format!("unknown: {}", md_outside(why)),
        };
        b.lines.push(format!("| {} | {text} |\n", md_name(name)));
    }
    b.with_lines()
}

fn kept_block(plan: &Plan) -> Option<Block> {
    let mut b = Block::new("#### Kept\n\n", "\n");
    for k in &plan.kept {
        b.lines.push(format!("- {}: {}\n", md_name(&k.name), k.why));
    }
    b.with_lines()
}

/// The diff of the domain list, live → after apply, when it changes.
fn diff_block(plan: &Plan) -> Option<Block> {
    if plan.live_list == plan.planned_list {
        return None;
    }
    let diff = super::text::diff(&plan.live_list, &plan.planned_list, Style::plain());
    // Longer than any run of backticks in the names, so that no line can close it.
    let longest = diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut b = Block::new(
        format!("<details><summary>Domain list (live → after apply)</summary>\n\n{fence}diff\n"),
        format!("{fence}\n\n</details>\n"),
    );
    b.lines = diff.lines().map(|l| format!("{l}\n")).collect();
    Some(b)
}

/// Room kept for the plan's footer: its wording, and the file and commit cut to 100 and 40
/// characters, each of which may be escaped to as many as 10 bytes.
const FOOTER: usize = 1_800;

/// An apply report as a step summary: the counts, then failures and skips, then successes.
pub fn report(report: &Report) -> String {
    report_within(report, LIMIT)
}

/// `report` in at most about `limit` bytes (a section of a run over several files).
pub fn report_within(report: &Report, limit: usize) -> String {
    let (problems, done) = outcome_blocks(report);
    let blocks = [problems, verification_block(report), done]
        .into_iter()
        .filter(|b| !b.lines.is_empty())
        .collect();
    assemble(report_summary(report), blocks, "report", RESERVE, limit)
}

/// The part of a report that is never cut: the counts, failures and unverified names called
/// out.
fn report_summary(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### rcdomains apply\n");
    let _ = writeln!(s, "| ok | failed | skipped |\n|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| {} | **{}** | {} |\n",
        report.ok(),
        report.failed(),
        report.skipped()
    );
    if report.failed() > 0 {
        let _ = writeln!(
            s,
            "> [!WARNING]\n> {} action{} failed; the rest were carried out. Re-run apply to converge.\n",
            report.failed(),
            plural(report.failed())
        );
    }
    if report.outcomes.is_empty() {
        let _ = writeln!(s, "Nothing to do.\n");
    }
    if let Some(v) = report.verification.as_ref().filter(|v| v.unverified() > 0) {
        let _ = writeln!(
            s,
            "> [!WARNING]\n> {} of {} name{} not verified: the server does not present a certificate covering {} (waited at most {} s).\n",
            v.unverified(),
            v.names.len(),
            plural(v.names.len()),
            names_list(
                v.names.iter().filter(|n| !n.verified).map(|n| &n.name),
                v.unverified()
            ),
            v.allowed_secs
        );
    }
    s
}

/// The outcomes: the failed and skipped ones, and (folded) the ones done.
fn outcome_blocks(report: &Report) -> (Block, Block) {
    let mut problems = Block::new(
        "#### Failed and skipped\n\n| status | action | domain | message |\n|---|---|---|---|\n",
        "\n",
    );
    let mut done = Block::new(
        "<details><summary>Done</summary>\n\n| action | domain | detail |\n|---|---|---|\n",
        "\n</details>\n",
    );
    for o in &report.outcomes {
        match &o.status {
            Status::Failed { error } => problems.lines.push(format!(
                "| **failed** | {} | {} | {} |\n",
                o.kind.as_str(),
                md_name(&o.name),
                md_outside(error)
            )),
            Status::Skipped { why } => problems.lines.push(format!(
                "| skipped | {} | {} | {} |\n",
                o.kind.as_str(),
                md_name(&o.name),
                md_outside(why)
            )),
            Status::Ok { detail } => done.lines.push(format!(
                "| {} | {} | {} |\n",
                o.kind.as_str(),
                md_name(&o.name),
                md_outside(detail)
            )),
        }
    }
    (problems, done)
}

/// With `--verify`: each name, and what the server presented for it.
fn verification_block(report: &Report) -> Block {
    let mut verified = Block::new(
        "#### Verification\n\n| status | domain | presented |\n|---|---|---|\n",
        "\n",
    );
    let Some(v) = &report.verification else {
        return verified;
    };
    for n in &v.names {
        let status = if n.verified {
            "verified"
        } else {
            "**unverified**"
        };
        let presented = n.presented.as_ref().map(|p| {
            let names: Vec<&str> = p.names.iter().take(5).map(String::as_str).collect();
            let more = if p.names.len() > names.len() {
                format!(" … {} in all", p.names.len())
            } else {
                String::new()
            };
            format!(
                "{}{more}, expiring in {} days",
                md_outside(&names.join(", ")),
                p.days_left
            )
        });
        let text = match (presented, &n.why) {
            (Some(p), None) => p,
            (Some(p), Some(why)) => format!("{p}: {}", md_outside(why)),
            (None, Some(why)) => md_outside(why),
            (None, None) => "nothing".into(),
        };
        verified
            .lines
            .push(format!("| {status} | {} | {text} |\n", md_name(&n.name)));
    }
    verified
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An audit for a nightly job's summary or an issue: the counts and any error-level call-out
/// first, then the findings of each kind (cut, with a note, to stay under `LIMIT`).
pub fn audit(plan: &Plan, audit: &Audit) -> String {
    audit_within(plan, audit, LIMIT)
}

/// `audit` in at most about `limit` bytes (a section of a run over several files).
pub fn audit_within(plan: &Plan, audit: &Audit, limit: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### rcdomains audit — server {} app {} (API {})\n",
        plan.server_id, plan.app_id, plan.api
    );
    if audit.is_clean() {
        let _ = writeln!(
            s,
            "**Nothing to report**: RunCloud matches the file, and every attached name is covered ({} domain{} attached).\n",
            plan.live_list.len(),
            plural(plan.live_list.len())
        );
        return s;
    }
    audit_counts(&mut s, plan, audit);
    let blocks = FINDING_KINDS
        .iter()
        .filter_map(|kind| findings_block(audit, kind))
        .collect();
    assemble(s, blocks, "audit", RESERVE, limit)
}

/// The counts of an audit with findings, the error-level names called out, and whether DNS
/// was checked.
fn audit_counts(s: &mut String, plan: &Plan, audit: &Audit) {
    let _ = writeln!(
        s,
        "| drift | renewal at risk | expiring | not covered | unreadable | deferred |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
    let strong = |n: usize| {
        if n > 0 {
            format!("**{n}**")
        } else {
            n.to_string()
        }
    };
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} | {} |\n",
        audit.count("drift") + audit.count("refused"),
        strong(audit.count("renewal-at-risk")),
        strong(audit.count("certificate-expiring")),
        strong(audit.count("not-covered")),
        audit.count("coverage-unknown"),
        audit.count("deferred")
    );
    let errors: Vec<&DomainName> = audit
        .findings
        .iter()
        .filter(|f| f.level == FindingLevel::Error)
        .map(|f| &f.name)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(
            s,
            "> [!CAUTION]\n> **{} error-level finding{}**: {}\n",
            errors.len(),
            plural(errors.len()),
            names_list(errors.iter().copied(), errors.len())
        );
    }
    if !plan.dns_checked {
        let _ = writeln!(
            s,
            "_DNS was not checked (--skip-dns): neither renewal risks nor certificates were looked at._\n"
        );
    }
}

/// The findings of one kind, under its heading.
fn findings_block(audit: &Audit, kind: &str) -> Option<Block> {
    let shown = super::audit::Shown {
        name: &md_name,
        outside: &md_outside,
        wording: &cell,
        deferred: &defer_reason,
    };
    let mut b = Block::new(
        format!(
            "#### {}\n\n| level | domain | detail |\n|---|---|---|\n",
            cell(super::audit::heading(kind))
        ),
        "\n",
    );
    for f in audit.findings.iter().filter(|f| f.kind() == kind) {
        let level = match f.level {
            FindingLevel::Error => "**error**",
            FindingLevel::Warning => "warning",
            FindingLevel::Info => "info",
        };
        b.lines.push(format!(
            "| {level} | {} | {} |\n",
            md_name(&f.name),
            super::audit::detail(f, &shown)
        ));
    }
    b.with_lines()
}
