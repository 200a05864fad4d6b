//! Plans and reports as text for people: the summary line first, then removals, then the rest,
//! then a unified diff of the domain list (live vs after apply), made with `similar`. Names
//! and other text from outside are shown through `escape::text`, so they never put a control
//! character (a line break, a colour, a bidirectional override) on the terminal.

use super::{Style, text_name};
use crate::apply::{Report, Status};
use crate::checks::Coverage;
use crate::checks::dns::DnsFinding;
use crate::plan::{Action, ActionKind, KeptReason, ListedDomain, Plan, RemoveReason};
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
    if let Some(r) = &plan.refusal {
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
    let removals: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.kind() == ActionKind::Remove)
        .collect();
    if !removals.is_empty() && plan.refusal.is_none() {
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
    let changes: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| matches!(a.kind(), ActionKind::Add | ActionKind::Update))
        .collect();
    if !changes.is_empty() {
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
    let not_ready: Vec<_> = plan.dns.iter().filter(|(_, f)| !f.is_ready()).collect();
    if !not_ready.is_empty() {
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
    let uncovered: Vec<_> = plan
        .tls
        .iter()
        .filter(|(_, c)| !matches!(c, Coverage::Covered { .. }))
        .collect();
    let soonest = plan
        .tls
        .values()
        .filter_map(|c| match c {
            Coverage::Covered { days_left } => Some(*days_left),
            _ => None,
        })
        .min();
    if !plan.tls.is_empty() {
        let covered = plan.tls.len() - uncovered.len();
        let expiry = soonest
            .map(|d| format!("; the soonest expires in {d} days"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\nCertificate: {covered} of {} attached ready names covered{expiry}",
            plan.tls.len()
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
    if !plan.deferred.is_empty() {
        let _ = writeln!(out, "\nDeferred (no API call this run):");
        for d in &plan.deferred {
            let _ = writeln!(
                out,
                "  {} {}",
                style.cyan(&format!("… {} {}:", d.kind.as_str(), text_name(&d.name))),
                super::defer_reason_parts(&d.reason, &text_name, &plain, &plain)
                    .unwrap_or_else(|| plain(&d.reason.to_string()))
            );
        }
    }
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
    out
}

fn line(d: &ListedDomain) -> String {
    let kind = match d.kind {
        crate::model::DomainKind::Primary => " [primary]",
        crate::model::DomainKind::Alias => "",
        crate::model::DomainKind::Other => " [other type]",
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
    out
}

/// Text from outside, as the text formats show it.
fn plain(s: &str) -> String {
    super::text_outside(s)
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
