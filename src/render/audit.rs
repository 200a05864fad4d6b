//! The wording of an audit's findings, shared by the three formats: each format passes how it
//! shows a name, text from outside, and its own wording (`defer_reason_parts`' convention), so
//! that names and API messages stay data in every one of them.

use crate::model::{Coverage, DomainName};
use crate::plan::audit::{Finding, What};
use crate::plan::{Action, DeferReason, RemoveReason};

/// How a format shows the parts of a finding's detail.
pub(crate) struct Shown<'a> {
    pub name: &'a dyn Fn(&DomainName) -> String,
    pub outside: &'a dyn Fn(&str) -> String,
    pub wording: &'a dyn Fn(&str) -> String,
    pub deferred: &'a dyn Fn(&DeferReason) -> String,
}

/// A finding's detail in words.
pub(crate) fn detail(f: &Finding, shown: &Shown<'_>) -> String {
    let w = shown.wording;
    match &f.what {
        What::Refused { gate } => w(&gate.to_string()),
        What::Drift { action } => match action {
            Action::Remove { reason, .. } => w(match reason {
                RemoveReason::Unlisted => {
                    "attached, not in the file, and removals.prune is on; apply removes it"
                }
                RemoveReason::Tombstone => {
                    "attached, and `state: absent` in the file; apply removes it"
                }
            }),
            Action::Add { settings, .. } => w(&format!(
                "in the file, not attached; apply attaches it ({settings})"
            )),
            Action::Update { from, to, .. } => w(&format!(
                "its settings differ ({from} → {to}); apply updates them"
            )),
            Action::Ssl {
                name,
                order,
                covers,
            } => format!(
                "{}{}",
                super::ssl_order_text(order, &(shown.name)(name)),
                w(&format!(
                    ", covering {} name{}; apply orders it",
                    covers.len(),
                    if covers.len() == 1 { "" } else { "s" }
                ))
            ),
        },
        What::Warning { warning } => warning.detail_with(shown.name, w),
        What::Coverage { coverage } => match coverage {
            Coverage::NotCovered { why } => format!(
                "{}{}",
                w("the certificate the server presents does not cover it: "),
                (shown.outside)(why)
            ),
            Coverage::Unknown { why } => format!(
                "{}{}",
                w("the certificate the server presents could not be read: "),
                (shown.outside)(why)
            ),
            Coverage::Covered { days_left } => w(&format!("covered, {days_left} days left")),
        },
        What::Deferred { action, reason } => format!(
            "{}{}",
            w(&format!("{} held back: ", action.as_str())),
            (shown.deferred)(reason)
        ),
    }
}

/// A heading for the findings of one kind.
pub(crate) fn heading(kind: &str) -> &'static str {
    match kind {
        "resolver-suspect" => "Every name failed to resolve: the DNS resolver may be the cause",
        "refused" => "Refused by a safety gate",
        "drift" => "Drift (pending changes: `rcdomains apply` would make them)",
        "renewal-at-risk" => "Renewal at risk",
        "certificate-expiring" => "Certificates expiring",
        "not-covered" => "Attached names not covered",
        "coverage-unknown" => "Certificates that could not be read",
        _ => "Deferred (held back on purpose)",
    }
}
