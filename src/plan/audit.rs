//! What `rcdomains audit` reports, read from a plan: its pending changes (drift) or the
//! refusal of a safety gate, renewal-at-risk names, expiring certificates, attached names the
//! presented certificate does not cover (or whose certificate could not be read), and deferred
//! items. Pure: a selection of the plan's own data, each with its level.

use super::{Action, DeferReason, Gate, Level, Plan, Warning, WarningKind};
use crate::model::{ActionKind, Coverage, DomainName};
use serde::Serialize;

/// The findings of one audit, in the order they are shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub level: FindingLevel,
    pub name: DomainName,
    pub what: What,
}

/// How serious a finding is: `info` (deferred items: the tool waits on purpose), `warning`,
/// `error` (a refusal, a name not covered, a certificate with less than 7 days left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingLevel {
    Info,
    Warning,
    Error,
}

impl FindingLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingLevel::Info => "info",
            FindingLevel::Warning => "warning",
            FindingLevel::Error => "error",
        }
    }
}

/// What was found; the renderers word it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum What {
    /// A safety gate would refuse the run.
    Refused { gate: Gate },
    /// An action apply would carry out.
    Drift { action: Action },
    /// A plan warning.
    Warning { warning: Warning },
    /// The certificate presented for an attached name does not cover it (or could not be
    /// read: `Coverage::Unknown`).
    Coverage { coverage: Coverage },
    /// An action held back.
    Deferred {
        action: ActionKind,
        reason: DeferReason,
    },
}

/// The kinds of finding, in the order an audit shows them.
pub const FINDING_KINDS: [&str; 8] = [
    "resolver-suspect",
    "refused",
    "drift",
    "renewal-at-risk",
    "certificate-expiring",
    "not-covered",
    "coverage-unknown",
    "deferred",
];

impl Finding {
    /// The finding's kind: one of `FINDING_KINDS`.
    pub fn kind(&self) -> &'static str {
        match &self.what {
            What::Refused { .. } => "refused",
            What::Drift { .. } => "drift",
            What::Warning { warning } => warning.kind.as_str(),
            What::Coverage {
                coverage: Coverage::Unknown { .. },
            } => "coverage-unknown",
            What::Coverage { .. } => "not-covered",
            What::Deferred { .. } => "deferred",
        }
    }
}

impl Audit {
    /// How many findings of `kind` (one of `FINDING_KINDS`).
    pub fn count(&self, kind: &str) -> usize {
        self.findings.iter().filter(|f| f.kind() == kind).count()
    }

    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// The findings of `plan`.
pub fn audit(plan: &Plan) -> Audit {
    let mut findings = Vec::new();
    if let Some(r) = &plan.refusal {
        let name = r
            .would_remove
            .first()
            .cloned()
            .unwrap_or_else(|| DomainName::new_unchecked("the file".into()));
        findings.push(Finding {
            level: FindingLevel::Error,
            name,
            what: What::Refused {
                gate: r.gate.clone(),
            },
        });
    }
    for a in &plan.actions {
        findings.push(Finding {
            level: FindingLevel::Warning,
            name: a.name().clone(),
            what: What::Drift { action: a.clone() },
        });
    }
    for kind in [
        WarningKind::ResolverSuspect,
        WarningKind::RenewalAtRisk,
        WarningKind::CertificateExpiring,
    ] {
        for w in plan.warnings.iter().filter(|w| w.kind == kind) {
            findings.push(Finding {
                level: match w.level {
                    Level::Warning => FindingLevel::Warning,
                    Level::Error => FindingLevel::Error,
                },
                name: w.name.clone(),
                what: What::Warning { warning: w.clone() },
            });
        }
    }
    let attached: std::collections::BTreeSet<DomainName> = plan
        .live_list
        .iter()
        .flat_map(|d| {
            let mut v = vec![d.name.clone()];
            if d.settings.www {
                v.push(d.name.www_twin());
            }
            v
        })
        .collect();
    let mut unknown = Vec::new();
    for (name, c) in plan.tls.iter().filter(|(n, _)| attached.contains(*n)) {
        let finding = |level| Finding {
            level,
            name: name.clone(),
            what: What::Coverage {
                coverage: c.clone(),
            },
        };
        match c {
            Coverage::Covered { .. } => {}
            Coverage::NotCovered { .. } => findings.push(finding(FindingLevel::Error)),
            Coverage::Unknown { .. } => unknown.push(finding(FindingLevel::Warning)),
        }
    }
    findings.extend(unknown);
    for d in &plan.deferred {
        findings.push(Finding {
            level: FindingLevel::Info,
            name: d.name.clone(),
            what: What::Deferred {
                action: d.kind,
                reason: d.reason.clone(),
            },
        });
    }
    Audit { findings }
}
