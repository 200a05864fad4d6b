//! Plans and reports as JSON (`format_version: 1`): a stable, flat contract for machines,
//! decoupled from the planner's internal types. `rcdomains schema plan` prints its schema.
//! A saved plan (`plan --out`) wraps these shapes with what it was computed from: that is
//! `saved`'s, which imports this module, never the reverse.

use crate::model::{ActionKind, Coverage, DnsFinding, Report, Status};
use crate::plan::ledger::time_rfc3339;
use crate::plan::{
    Action, CertificateScope, DeferReason, Deferred, Gate, Plan, RemoveReason, SslOrder, Warning,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

pub const FORMAT_VERSION: u32 = 1;

/// A plan, as `plan --format json` prints it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "rcdomains plan")]
pub struct JsonPlan {
    pub format_version: u32,
    /// SHA-256 of the inputs (normalised desired state, live state, the DNS findings the
    /// actions depend on, the options) and of the actions and refusal; `apply PLANFILE` applies
    /// only when a fresh computation gives the same fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub server_id: u64,
    pub app_id: u64,
    /// "v3" or "v2".
    pub api: String,
    pub summary: Summary,
    /// Set when a safety gate refused the run: nothing will be changed.
    pub refusal: Option<JsonRefusal>,
    /// Certificates that will not renew (`renewal-at-risk`) or expire soon
    /// (`certificate-expiring`), sorted by name.
    pub warnings: Vec<JsonWarning>,
    /// In the order apply runs them: removals, then additions and updates, then SSL.
    pub actions: Vec<JsonAction>,
    pub deferred: Vec<JsonDeferred>,
    pub kept: Vec<JsonKept>,
    pub dns: JsonDns,
}

/// The plans of a run over several desired files (`plan -f a.yaml -f b.yaml`, `plan -f DIR`),
/// one per file in file order; a run over one file prints a `JsonPlan` instead.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "rcdomains plans")]
pub struct JsonPlans {
    pub format_version: u32,
    pub plans: Vec<JsonTargetPlan>,
}

/// One file's plan, or why there is none.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonTargetPlan {
    /// The desired-state file, as given to `-f`.
    pub file: String,
    /// Set when this file could not be planned (the other files were): the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(flatten)]
    pub plan: Option<JsonPlan>,
}

impl JsonPlans {
    /// The plans of several files, in file order: each file with its plan, or the error that
    /// kept it from one.
    pub fn new(entries: Vec<(String, Result<JsonPlan, String>)>) -> JsonPlans {
        JsonPlans {
            format_version: FORMAT_VERSION,
            plans: entries
                .into_iter()
                .map(|(file, plan)| match plan {
                    Ok(plan) => JsonTargetPlan {
                        file,
                        error: None,
                        plan: Some(plan),
                    },
                    Err(error) => JsonTargetPlan {
                        file,
                        error: Some(error),
                        plan: None,
                    },
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary {
    pub add: usize,
    pub update: usize,
    pub remove: usize,
    pub ssl: usize,
    pub deferred: usize,
    pub warnings: usize,
    /// True when apply would change anything.
    pub changes: bool,
    /// API requests the run made to compute the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_requests: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonSettings {
    pub www: bool,
    /// none | www | non-www
    pub redirection: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonAction {
    /// add | update | remove | ssl
    pub kind: String,
    pub name: String,
    /// RunCloud's domain id (update, remove).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// remove: "unlisted" (prune) or "tombstone" (state: absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// add: the settings it is attached with; update: the settings before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<JsonSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<JsonSettings>,
    /// ssl: basic-install | basic-redeploy | advanced-install.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// ssl: every name the certificate will cover (each DNS-ready when planned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covers: Option<Vec<String>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonWarning {
    /// renewal-at-risk | certificate-expiring | resolver-suspect (every name failed to resolve
    /// through the system resolver: it may be the cause)
    pub kind: String,
    /// warning | error (an error-level finding: fewer than 7 days left)
    pub level: String,
    pub name: String,
    /// The warning in words, with the way out.
    pub detail: String,
    /// Days until the certificate concerned expires, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// renewal-at-risk: the name's DNS finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// Advanced SSL: the domain whose certificate it is (basic SSL: the app's one certificate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonDeferred {
    /// The action held back: add | update | remove | ssl.
    pub kind: String,
    pub name: String,
    /// dns-not-ready | update-needs-v3 | within-grace | ssl-names-not-ready |
    /// over-certificate-limit | auto-ssl | custom-certificate | backing-off |
    /// lets-encrypt-limit | run-cap
    pub reason: String,
    /// The DNS finding, for dns-not-ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// lets-encrypt-limit: failed-validations | duplicate-certificate |
    /// certificates-per-registered-domain
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// When it becomes due (RFC 3339, UTC), for backing-off and lets-encrypt-limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// The reason in words.
    pub message: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonKept {
    pub name: String,
    /// primary | protected | prune-off
    pub reason: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonRefusal {
    /// removal-cap | empty-desired
    pub gate: String,
    pub message: String,
    pub would_remove: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonDns {
    /// False with --skip-dns.
    pub checked: bool,
    /// The server address names must point at.
    pub server_ip: String,
    /// The finding of each name the plan concerns: ready, mismatch, partial, nxdomain,
    /// no-records or error.
    pub findings: BTreeMap<String, JsonFinding>,
    /// What the server's certificate says about each attached, DNS-ready name.
    pub certificates: BTreeMap<String, JsonCoverage>,
    /// Why no SSL was planned, when so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_note: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonFinding {
    /// ready | mismatch | partial | nxdomain | no-records | error
    pub status: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonCoverage {
    /// covered | not-covered | unknown
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

fn settings(s: crate::model::DomainSettings) -> JsonSettings {
    JsonSettings {
        www: s.www,
        redirection: s.redirection.as_str().to_string(),
    }
}

fn finding(f: &DnsFinding) -> JsonFinding {
    let (addresses, reason) = match f {
        DnsFinding::Ready { addresses }
        | DnsFinding::Mismatch { addresses }
        | DnsFinding::Partial { addresses } => {
            (addresses.iter().map(ToString::to_string).collect(), None)
        }
        DnsFinding::Error { reason } => (vec![], Some(reason.clone())),
        DnsFinding::Nxdomain | DnsFinding::NoRecords => (vec![], None),
    };
    JsonFinding {
        status: f.label().into(),
        addresses,
        reason,
    }
}

fn coverage(c: &Coverage) -> JsonCoverage {
    match c {
        Coverage::Covered { days_left } => JsonCoverage {
            status: "covered".into(),
            days_left: Some(*days_left),
            why: None,
        },
        Coverage::NotCovered { why } => JsonCoverage {
            status: "not-covered".into(),
            days_left: None,
            why: Some(why.clone()),
        },
        Coverage::Unknown { why } => JsonCoverage {
            status: "unknown".into(),
            days_left: None,
            why: Some(why.clone()),
        },
    }
}

pub fn to_json_plan(plan: &Plan) -> JsonPlan {
    JsonPlan {
        format_version: FORMAT_VERSION,
        fingerprint: None,
        server_id: plan.server_id,
        app_id: plan.app_id,
        api: plan.api.to_string(),
        summary: Summary {
            add: plan.count(ActionKind::Add),
            update: plan.count(ActionKind::Update),
            remove: plan.count(ActionKind::Remove),
            ssl: plan.count(ActionKind::Ssl),
            deferred: plan.deferred.len(),
            warnings: plan.warnings.len(),
            changes: plan.has_changes(),
            api_requests: plan.api_requests,
        },
        refusal: plan.refusal.as_ref().map(|r| JsonRefusal {
            gate: match r.gate {
                Gate::RemovalCap { .. } => "removal-cap".into(),
                Gate::EmptyDesired => "empty-desired".into(),
            },
            message: r.gate.to_string(),
            would_remove: r.would_remove.iter().map(ToString::to_string).collect(),
        }),
        warnings: plan.warnings.iter().map(warning).collect(),
        actions: plan.actions.iter().map(action).collect(),
        deferred: plan.deferred.iter().map(deferred).collect(),
        kept: plan
            .kept
            .iter()
            .map(|k| JsonKept {
                name: k.name.to_string(),
                reason: k.why.as_str().to_string(),
            })
            .collect(),
        dns: dns(plan),
    }
}

fn action(a: &Action) -> JsonAction {
    let none = JsonAction {
        kind: a.kind().as_str().into(),
        name: a.name().to_string(),
        id: None,
        reason: None,
        from: None,
        to: None,
        order: None,
        covers: None,
    };
    match a {
        Action::Remove { id, reason, .. } => JsonAction {
            id: Some(*id),
            reason: Some(match reason {
                RemoveReason::Unlisted => "unlisted".into(),
                RemoveReason::Tombstone => "tombstone".into(),
            }),
            ..none
        },
        Action::Add { settings: s, .. } => JsonAction {
            to: Some(settings(*s)),
            ..none
        },
        Action::Update { id, from, to, .. } => JsonAction {
            id: Some(*id),
            from: Some(settings(*from)),
            to: Some(settings(*to)),
            ..none
        },
        Action::Ssl { order, covers, .. } => JsonAction {
            id: match order {
                SslOrder::BasicRedeploy { certificate_id } => Some(*certificate_id),
                SslOrder::AdvancedInstall { domain_id } => *domain_id,
                SslOrder::AdvancedRedeploy { domain_id, .. } => Some(*domain_id),
                SslOrder::BasicInstall => None,
            },
            order: Some(order.as_str().to_string()),
            covers: Some(covers.iter().map(ToString::to_string).collect()),
            ..none
        },
    }
}

fn deferred(d: &Deferred) -> JsonDeferred {
    JsonDeferred {
        kind: d.kind.as_str().into(),
        name: d.name.to_string(),
        reason: d.reason.as_str().into(),
        finding: match &d.reason {
            DeferReason::DnsNotReady { finding } => Some(finding.clone()),
            _ => None,
        },
        limit: match &d.reason {
            DeferReason::LetsEncryptLimit { limit, .. } => Some(limit.as_str().into()),
            _ => None,
        },
        due_at: d.reason.due_at().map(time_rfc3339),
        message: d.reason.to_string(),
    }
}

fn warning(w: &Warning) -> JsonWarning {
    JsonWarning {
        kind: w.kind.as_str().into(),
        level: w.level.as_str().into(),
        name: w.name.to_string(),
        detail: w.detail(&|n| n.to_string()),
        days_left: w.days_left,
        finding: w.finding.clone(),
        domain: match &w.certificate {
            CertificateScope::Domain { domain } => Some(domain.to_string()),
            CertificateScope::App { .. } => None,
        },
    }
}

fn dns(plan: &Plan) -> JsonDns {
    JsonDns {
        checked: plan.dns_checked,
        server_ip: plan.server_ip_text(),
        findings: plan
            .dns
            .iter()
            .map(|(n, f)| (n.to_string(), finding(f)))
            .collect(),
        certificates: plan
            .tls
            .iter()
            .map(|(n, c)| (n.to_string(), coverage(c)))
            .collect(),
        ssl_note: plan.ssl_note.clone(),
    }
}

pub fn plan(plan: &Plan) -> String {
    pretty(&to_json_plan(plan))
}

/// An audit, as `audit --format json` prints it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonAudit {
    pub format_version: u32,
    pub server_id: u64,
    pub app_id: u64,
    pub api: String,
    pub summary: AuditSummary,
    /// resolver-suspect, refused, drift, renewal-at-risk, certificate-expiring, not-covered,
    /// coverage-unknown, deferred — in that order.
    pub findings: Vec<JsonAuditFinding>,
    /// The plan the audit read (what apply would do now).
    pub plan: JsonPlan,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditSummary {
    /// Every finding; 0 means nothing to report (exit 0).
    pub findings: usize,
    /// Error-level findings.
    pub errors: usize,
    pub refused: usize,
    pub drift: usize,
    /// Every name failed to resolve through the system resolver: it may be the cause.
    pub resolver_suspect: usize,
    pub renewal_at_risk: usize,
    pub certificate_expiring: usize,
    pub not_covered: usize,
    pub coverage_unknown: usize,
    pub deferred: usize,
}

/// One finding of an audit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonAuditFinding {
    pub kind: String,
    /// info | warning | error
    pub level: String,
    pub name: String,
    pub detail: String,
}

pub fn audit(plan: &Plan, audit: &crate::plan::audit::Audit) -> String {
    pretty(&to_json_audit(plan, audit))
}

/// An audit, as `audit --format json` shows it.
pub fn to_json_audit(plan: &Plan, audit: &crate::plan::audit::Audit) -> JsonAudit {
    use crate::plan::audit::FindingLevel;
    let same = |s: &str| s.to_string();
    let shown = super::audit::Shown {
        name: &|n| n.to_string(),
        outside: &same,
        wording: &same,
        deferred: &|r| r.to_string(),
    };
    JsonAudit {
        format_version: FORMAT_VERSION,
        server_id: plan.server_id,
        app_id: plan.app_id,
        api: plan.api.to_string(),
        summary: AuditSummary {
            findings: audit.findings.len(),
            errors: audit
                .findings
                .iter()
                .filter(|f| f.level == FindingLevel::Error)
                .count(),
            refused: audit.count("refused"),
            drift: audit.count("drift"),
            resolver_suspect: audit.count("resolver-suspect"),
            renewal_at_risk: audit.count("renewal-at-risk"),
            certificate_expiring: audit.count("certificate-expiring"),
            not_covered: audit.count("not-covered"),
            coverage_unknown: audit.count("coverage-unknown"),
            deferred: audit.count("deferred"),
        },
        findings: audit
            .findings
            .iter()
            .map(|f| JsonAuditFinding {
                kind: f.kind().into(),
                level: f.level.as_str().into(),
                name: f.name.to_string(),
                detail: super::audit::detail(f, &shown),
            })
            .collect(),
        plan: to_json_plan(plan),
    }
}

/// An apply report, as `apply --format json` prints it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonReport {
    pub format_version: u32,
    pub summary: ReportSummary,
    pub outcomes: Vec<JsonOutcome>,
    /// With `apply --verify`: what the server presents for each name the orders covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<JsonVerification>,
    /// Set when apply refused (exit 3): nothing was changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<JsonReportRefusal>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonReportRefusal {
    /// removal-cap | empty-desired (a safety gate), drift (a saved plan whose inputs changed),
    /// tampered (a saved plan edited after it was written)
    pub reason: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_remove: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonVerification {
    /// The time allowed (`--verify SECS`).
    pub allowed_secs: u64,
    pub verified: usize,
    pub unverified: usize,
    pub names: Vec<JsonVerified>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonVerified {
    pub name: String,
    /// verified | unverified
    pub status: String,
    /// The certificate the server presented at the last probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presented: Option<JsonPresented>,
    /// Why it is not verified (the probe's error, or why the certificate does not cover it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    pub probes: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonPresented {
    pub names: Vec<String>,
    /// RFC 3339, UTC.
    pub not_after: String,
    pub days_left: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportSummary {
    pub ok: usize,
    pub failed: usize,
    pub skipped: usize,
    /// API requests the whole run made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_requests: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonOutcome {
    pub kind: String,
    pub name: String,
    /// ok | failed | skipped
    pub status: String,
    /// What happened (ok), the API's message (failed), or why (skipped).
    pub message: String,
}

pub fn report(report: &Report) -> String {
    pretty(&to_json_report(report))
}

/// An apply report, as `apply --format json` shows it.
pub fn to_json_report(report: &Report) -> JsonReport {
    JsonReport {
        format_version: FORMAT_VERSION,
        summary: ReportSummary {
            ok: report.ok(),
            failed: report.failed(),
            skipped: report.skipped(),
            api_requests: report.api_requests,
        },
        outcomes: report
            .outcomes
            .iter()
            .map(|o| {
                let (status, message) = match &o.status {
                    Status::Ok { detail } => ("ok", detail.clone()),
                    Status::Failed { error } => ("failed", error.clone()),
                    Status::Skipped { why } => ("skipped", why.clone()),
                };
                JsonOutcome {
                    kind: o.kind.as_str().into(),
                    name: o.name.to_string(),
                    status: status.into(),
                    message,
                }
            })
            .collect(),
        verification: report.verification.as_ref().map(|v| JsonVerification {
            allowed_secs: v.allowed_secs,
            verified: v.verified(),
            unverified: v.unverified(),
            names: v
                .names
                .iter()
                .map(|n| JsonVerified {
                    name: n.name.to_string(),
                    status: if n.verified { "verified" } else { "unverified" }.into(),
                    presented: n.presented.as_ref().map(|p| JsonPresented {
                        names: p.names.clone(),
                        not_after: time_rfc3339(p.not_after),
                        days_left: p.days_left,
                    }),
                    why: n.why.clone(),
                    probes: n.probes,
                })
                .collect(),
        }),
        refusal: report.refusal.as_ref().map(|r| JsonReportRefusal {
            reason: r.reason.clone(),
            message: r.message.clone(),
            would_remove: r.would_remove.clone(),
            drift: r.drift.clone(),
        }),
    }
}

/// Several files' results (`audits` or `reports`), one per file in file order: each result's
/// JSON object with the file it is for, or the error that kept the file from a result.
pub fn many<T: Serialize>(key: &str, entries: Vec<(String, Result<T, String>)>) -> String {
    let list: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|(file, result)| {
            let mut object = serde_json::Map::new();
            object.insert("file".into(), file.into());
            match result {
                Ok(v) => {
                    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(&v) {
                        object.extend(m);
                    }
                }
                Err(e) => {
                    object.insert("error".into(), e.into());
                }
            }
            serde_json::Value::Object(object)
        })
        .collect();
    let mut doc = serde_json::Map::new();
    doc.insert("format_version".into(), FORMAT_VERSION.into());
    doc.insert(key.into(), list.into());
    pretty(&serde_json::Value::Object(doc))
}

/// `v` as pretty JSON, with the control characters JSON lets through escaped
/// (`escape::json`): names and messages from outside reach a terminal as data.
pub fn pretty<T: Serialize>(v: &T) -> String {
    let s = serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let mut s = crate::escape::json(&s).into_owned();
    s.push('\n');
    s
}
