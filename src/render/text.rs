//! Plans and reports as text for people: the summary line first, then removals, then the rest,
//! then a unified diff of the domain list (live vs after apply), made with `similar`. Names
//! and other text from outside are shown through `escape::text`, so they never put a control
//! character (a line break, a colour, a bidirectional override) on the terminal.

use super::{Style, text_name};
use crate::model::{
    ActionKind, Coverage, DnsFinding, DomainKind, DomainName, NameVerification, Report, Status,
};
use crate::plan::{
    Action, DeferReason, KeptReason, Level, ListedDomain, Plan, RemoveReason, Warning,
};
use similar::TextDiff;
use std::fmt::Write;

/// At most this many kept names are listed one by one.
const KEPT_SHOWN: usize = 20;

/// The one-line summary: "2 to add, 1 to update, 1 to remove, 0 SSL, 3 deferred".
pub fn summary_line(plan: &Plan) -> String {
    format!(
        "{} to add, {} to update, {} to remove, {} SSL, {} deferred{}",
        plan.count(ActionKind::Add),
        plan.count(ActionKind::Update),
        plan.count(ActionKind::Remove),
        plan.count(ActionKind::Ssl),
        plan.deferred.len(),
        requests_text(plan.api_requests)
    )
}

/// ", 130 API requests" when the count is known.
pub(crate) fn requests_text(n: Option<u64>) -> String {
    match n {
        Some(1) => ", 1 API request".into(),
        Some(n) => format!(", {n} API requests"),
        None => String::new(),
    }
}

pub fn plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    head(&mut out, plan, style);
    refusal(&mut out, plan, style);
    warnings(&mut out, plan, style);
    removals(&mut out, plan, style);
    additions_and_updates(&mut out, plan, style);
    ssl_orders(&mut out, plan, style);
    dns_not_ready(&mut out, plan, style);
    certificate(&mut out, plan, style);
    deferred(&mut out, plan, style);
    kept(&mut out, plan, style);
    domain_list(&mut out, plan, style);
    out
}

/// The summary line, and whether DNS was checked.
fn head(out: &mut String, plan: &Plan, style: Style) {
    let head = format!(
        "Plan for server {} app {} (API {}): {}",
        plan.server_id,
        plan.app_id,
        plan.api,
        summary_line(plan)
    );
    let _ = writeln!(out, "{}", style.bold(&head));
    if !plan.dns_checked {
        let _ = writeln!(
            out,
            "{}",
            style
                .dim("DNS not checked (--skip-dns): additions are not held back for DNS readiness")
        );
    }
}

/// A safety gate's refusal, with what it would have removed.
fn refusal(out: &mut String, plan: &Plan, style: Style) {
    let Some(r) = &plan.refusal else {
        return;
    };
    let _ = writeln!(out, "\n{} {}", style.red(&style.bold("REFUSED:")), r.gate);
    let _ = writeln!(
        out,
        "Nothing will be changed. It would have removed {} name{}:",
        r.would_remove.len(),
        plural(r.would_remove.len())
    );
    for n in &r.would_remove {
        let _ = writeln!(out, "  {}", style.red(&format!("- {}", text_name(n))));
    }
}

fn warnings(out: &mut String, plan: &Plan, style: Style) {
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &plan.warnings {
            let _ = writeln!(out, "  {}", warning_line(w, style));
        }
    }
}

/// The removals, unless refused (then the refusal lists them).
fn removals(out: &mut String, plan: &Plan, style: Style) {
    let removals: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.kind() == ActionKind::Remove)
        .collect();
    if removals.is_empty() || plan.refusal.is_some() {
        return;
    }
    let _ = writeln!(out, "\nRemovals:");
    for a in removals {
        if let Action::Remove { name, reason, .. } = a {
            let why = match reason {
                RemoveReason::Unlisted => "not in the file; removals.prune is on",
                RemoveReason::Tombstone => "state: absent in the file",
            };
            let _ = writeln!(
                out,
                "  {} {}",
                style.red(&format!("- {}", text_name(name))),
                style.dim(&format!("({why})"))
            );
        }
    }
}

fn additions_and_updates(out: &mut String, plan: &Plan, style: Style) {
    let changes: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| matches!(a.kind(), ActionKind::Add | ActionKind::Update))
        .collect();
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nAdditions and updates:");
    for a in changes {
        match a {
            Action::Add { name, settings } => {
                let _ = writeln!(
                    out,
                    "  {} {}",
                    style.green(&format!("+ {}", text_name(name))),
                    style.dim(&format!("({settings})"))
                );
            }
            Action::Update { name, from, to, .. } => {
                let _ = writeln!(
                    out,
                    "  {} {from} → {to}",
                    style.yellow(&format!("~ {}:", text_name(name)))
                );
            }
            Action::Remove { .. } | Action::Ssl { .. } => {}
        }
    }
}

/// The certificate orders, and why there are none when the plan says.
fn ssl_orders(out: &mut String, plan: &Plan, style: Style) {
    let ssl: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.kind() == ActionKind::Ssl)
        .collect();
    if !ssl.is_empty() {
        let _ = writeln!(out, "\nSSL (after the domain changes):");
        for a in ssl {
            if let Action::Ssl {
                name,
                order,
                covers,
            } = a
            {
                let what = super::ssl_order_text(order, &text_name(name));
                let names: Vec<String> = covers.iter().map(text_name).take(8).collect();
                let more = if covers.len() > names.len() {
                    format!(", … {} in all", covers.len())
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "  {} {}",
                    style.green(&format!("* {what}")),
                    style.dim(&format!("covering {}{more}", names.join(", ")))
                );
            }
        }
    }
    if let Some(note) = &plan.ssl_note {
        let _ = writeln!(out, "\nSSL: {}", style.dim(&plain(note)));
    }
}

fn dns_not_ready(out: &mut String, plan: &Plan, style: Style) {
    let not_ready: Vec<_> = plan.dns.iter().filter(|(_, f)| !f.is_ready()).collect();
    if not_ready.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nDNS not ready (server {}):", plan.server_ip_text());
    for (name, f) in not_ready {
        let _ = writeln!(
            out,
            "  {} {}",
            style.yellow(&format!("! {}:", text_name(name))),
            finding_text(f, &plain)
        );
    }
}

/// How many of the attached names whose DNS is ready the certificate covers, and the ones it
/// does not; a name that left the server is a warning above.
fn certificate(out: &mut String, plan: &Plan, style: Style) {
    let ready_tls: Vec<(&DomainName, &Coverage)> = plan
        .tls
        .iter()
        .filter(|(n, _)| plan.dns.get(*n).is_none_or(DnsFinding::is_ready))
        .collect();
    if ready_tls.is_empty() {
        return;
    }
    let uncovered: Vec<_> = ready_tls
        .iter()
        .filter(|(_, c)| !matches!(c, Coverage::Covered { .. }))
        .collect();
    let soonest = ready_tls
        .iter()
        .filter_map(|(_, c)| match c {
            Coverage::Covered { days_left } => Some(*days_left),
            _ => None,
        })
        .min();
    let covered = ready_tls.len() - uncovered.len();
    let expiry = soonest
        .map(|d| format!("; the soonest expires in {d} days"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nCertificate: {covered} of {} attached ready names covered{expiry}",
        ready_tls.len()
    );
    for (name, c) in uncovered {
        let text = match c {
            Coverage::NotCovered { why } => format!("not covered: {}", plain(why)),
            Coverage::Unknown { why } => format!("unknown: {}", plain(why)),
            Coverage::Covered { .. } => continue,
        };
        let _ = writeln!(
            out,
            "  {} {text}",
            style.yellow(&format!("! {}:", text_name(name)))
        );
    }
}

fn deferred(out: &mut String, plan: &Plan, style: Style) {
    if plan.deferred.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nDeferred (no API call this run):");
    for d in &plan.deferred {
        let _ = writeln!(
            out,
            "  {} {}",
            style.cyan(&format!("… {} {}:", d.kind.as_str(), text_name(&d.name))),
            defer_reason_text(&d.reason)
        );
    }
}

/// The names left alone, each with why; past `KEPT_SHOWN`, those kept only because prune is
/// off are counted instead of listed.
fn kept(out: &mut String, plan: &Plan, style: Style) {
    let mut kept_listed = 0;
    let mut kept_more = 0;
    let mut kept_text = String::new();
    for k in &plan.kept {
        if k.why == KeptReason::PruneOff && kept_listed >= KEPT_SHOWN {
            kept_more += 1;
            continue;
        }
        kept_listed += 1;
        let _ = writeln!(
            kept_text,
            "  {} {}",
            style.dim(&format!("= {}:", text_name(&k.name))),
            k.why
        );
    }
    if !kept_text.is_empty() {
        let _ = write!(out, "\nKept:\n{kept_text}");
        if kept_more > 0 {
            let _ = writeln!(
                out,
                "  … and {kept_more} more not in the file (removals.prune is off)"
            );
        }
    }
}

/// "No changes", or the diff of the domain list.
fn domain_list(out: &mut String, plan: &Plan, style: Style) {
    if plan.actions.is_empty() && plan.refusal.is_none() {
        let _ = writeln!(
            out,
            "\nNo changes: RunCloud matches the file ({} domain{} attached).",
            plan.live_list.len(),
            plural(plan.live_list.len())
        );
    } else {
        let _ = write!(
            out,
            "\nDomain list (live → after apply):\n{}",
            diff(&plan.live_list, &plan.planned_list, style)
        );
    }
}

fn line(d: &ListedDomain) -> String {
    let kind = match d.kind {
        DomainKind::Primary => " [primary]",
        DomainKind::Alias => "",
        DomainKind::Other => " [other type]",
    };
    format!("{}{kind} ({})\n", text_name(&d.name), d.settings)
}

/// A unified diff of two domain lists.
pub fn diff(live: &[ListedDomain], planned: &[ListedDomain], style: Style) -> String {
    let old: String = live.iter().map(line).collect();
    let new: String = planned.iter().map(line).collect();
    let diff = TextDiff::from_lines(&old, &new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header("live", "after apply")
        .to_string();
    if !style.color {
        return text;
    }
    text.lines()
        .map(|l| {
            let painted = if l.starts_with("+++") || l.starts_with("---") {
                style.bold(l)
            } else if l.starts_with('+') {
                style.green(l)
            } else if l.starts_with('-') {
                style.red(l)
            } else if l.starts_with("@@") {
                style.cyan(l)
            } else {
                l.to_string()
            };
            painted + "\n"
        })
        .collect()
}

pub fn report(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let head = format!(
        "Applied: {} ok, {} failed, {} skipped{}",
        report.ok(),
        report.failed(),
        report.skipped(),
        requests_text(report.api_requests)
    );
    let _ = writeln!(out, "{}", style.bold(&head));
    for o in &report.outcomes {
        let _ = match &o.status {
            Status::Ok { detail } => {
                writeln!(out, "  {} {}", style.green("ok     "), plain(detail))
            }
            Status::Failed { error } => writeln!(
                out,
                "  {} {} {}: {}",
                style.red("FAILED "),
                o.kind.as_str(),
                text_name(&o.name),
                plain(error)
            ),
            Status::Skipped { why } => writeln!(
                out,
                "  {} {} {}: {}",
                style.yellow("skipped"),
                o.kind.as_str(),
                text_name(&o.name),
                plain(why)
            ),
        };
    }
    if report.failed() > 0 {
        let _ = writeln!(
            out,
            "Some actions failed; the rest were carried out. Re-run apply to converge."
        );
    }
    if let Some(v) = &report.verification {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "Verified: {} of {} names covered by the certificate the server presents (waited at most {} s)",
                v.verified(),
                v.names.len(),
                v.allowed_secs
            ))
        );
        if v.names.is_empty() {
            let _ = writeln!(out, "  no certificate was ordered: nothing to verify");
        }
        for n in &v.names {
            let status = if n.verified {
                style.green("verified  ")
            } else {
                style.red("UNVERIFIED")
            };
            let _ = writeln!(
                out,
                "  {status} {}: {}",
                text_name(&n.name),
                presented_text(n)
            );
        }
        if v.unverified() > 0 {
            let _ = writeln!(
                out,
                "Some names are not covered yet: check the app's SSL in RunCloud, or run `rcdomains plan` later to see what the server presents."
            );
        }
    }
    out
}

/// What the server presented for a verified or unverified name.
fn presented_text(n: &NameVerification) -> String {
    let presented = n.presented.as_ref().map(|p| {
        let names: Vec<String> = p.names.iter().take(5).map(|s| plain(s)).collect();
        let more = if p.names.len() > names.len() {
            format!(", … {} in all", p.names.len())
        } else {
            String::new()
        };
        format!(
            "presented a certificate for {}{more}, expiring in {} days",
            names.join(", "),
            p.days_left
        )
    });
    match (presented, &n.why) {
        (Some(p), None) => p,
        (Some(p), Some(why)) => format!("{p} — {}", plain(why)),
        (None, Some(why)) => plain(why),
        (None, None) => "nothing presented".into(),
    }
}

/// Text from outside, as the text formats show it.
fn plain(s: &str) -> String {
    super::text_outside(s)
}

/// Why an item was deferred, names and quoted text escaped.
pub(crate) fn defer_reason_text(reason: &DeferReason) -> String {
    super::defer_reason_parts(reason, &text_name, &plain, &plain)
        .unwrap_or_else(|| plain(&reason.to_string()))
}

/// "! warning renewal-at-risk www.x.example: …", red at error level.
pub(crate) fn warning_line(w: &Warning, style: Style) -> String {
    let head = format!(
        "! {} {} {}:",
        w.level.as_str(),
        w.kind.as_str(),
        text_name(&w.name)
    );
    let head = match w.level {
        Level::Error => style.red(&style.bold(&head)),
        Level::Warning => style.yellow(&head),
    };
    format!("{head} {}", w.detail(&text_name))
}

/// A DNS finding in words, with the addresses found; `outside` shows the resolver's own error
/// text (it may quote the name asked for) the way the format shows text from outside.
pub(crate) fn finding_text(f: &DnsFinding, outside: &dyn Fn(&str) -> String) -> String {
    let list = |a: &[std::net::IpAddr]| {
        a.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match f {
        DnsFinding::Ready { addresses } => format!("ready ({})", list(addresses)),
        DnsFinding::Mismatch { addresses } => {
            format!("mismatch: points at {} — not this server", list(addresses))
        }
        DnsFinding::Partial { addresses } => format!(
            "partial: {} — some addresses are not this server (an AAAA elsewhere counts)",
            list(addresses)
        ),
        DnsFinding::Nxdomain => "nxdomain: the name does not exist in DNS".into(),
        DnsFinding::NoRecords => "no-records: no A or AAAA record".into(),
        DnsFinding::Error { reason } => format!("error: {}", outside(reason)),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An audit for people: a summary line first (nothing to report, or the count of each kind of
/// finding), then the findings of each kind under a heading.
pub fn audit(plan: &Plan, audit: &crate::plan::audit::Audit, style: Style) -> String {
    use crate::plan::audit::{FINDING_KINDS, FindingLevel};
    let mut out = String::new();
    let summary = if audit.is_clean() {
        format!(
            "nothing to report ({} domain{} attached)",
            plan.live_list.len(),
            plural(plan.live_list.len())
        )
    } else {
        let counts: Vec<String> = FINDING_KINDS
            .iter()
            .map(|k| (k, audit.count(k)))
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        format!(
            "{} finding{}: {}",
            audit.findings.len(),
            plural(audit.findings.len()),
            counts.join(", ")
        )
    };
    let head = format!(
        "Audit of server {} app {} (API {}): {summary}",
        plan.server_id, plan.app_id, plan.api
    );
    let _ = writeln!(out, "{}", style.bold(&head));
    if !plan.dns_checked {
        let _ = writeln!(
            out,
            "{}",
            style.dim("DNS not checked (--skip-dns): neither renewal risks nor certificates were looked at")
        );
    }
    let shown = super::audit::Shown {
        name: &text_name,
        outside: &plain,
        wording: &plain,
        deferred: &defer_reason_text,
    };
    for kind in FINDING_KINDS {
        let mut found = audit
            .findings
            .iter()
            .filter(|f| f.kind() == kind)
            .peekable();
        if found.peek().is_none() {
            continue;
        }
        let _ = writeln!(out, "\n{}:", super::audit::heading(kind));
        for f in found {
            let head = format!("{} {}:", f.level.as_str(), text_name(&f.name));
            let head = match f.level {
                FindingLevel::Error => style.red(&style.bold(&format!("✗ {head}"))),
                FindingLevel::Warning => style.yellow(&format!("! {head}")),
                FindingLevel::Info => style.cyan(&format!("… {head}")),
            };
            let _ = writeln!(out, "  {head} {}", super::audit::detail(f, &shown));
        }
    }
    out
}
