//! What a plan holds back (`Deferred`, with its `DeferReason`) and leaves alone on purpose
//! (`Kept`). Data and its wording only.

use super::CERTIFICATE_NAME_LIMIT;
use super::ledger::{LetsEncryptLimit, time_text};
use crate::model::{ActionKind, DomainName, DomainSettings};
use serde::Serialize;
use std::fmt;

/// An action held back, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deferred {
    pub kind: ActionKind,
    pub name: DomainName,
    pub reason: DeferReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum DeferReason {
    /// The name's DNS does not point at the server yet.
    DnsNotReady { finding: String },
    /// API v2 cannot change a domain's www/redirection in place.
    UpdateNeedsV3 {
        from: DomainSettings,
        to: DomainSettings,
    },
    /// RunCloud created it less than `removals.grace` ago.
    WithinGrace { age_secs: i64, grace_secs: u64 },
    /// A certificate order held back: these names it must cover are not DNS-ready.
    SslNamesNotReady {
        names: Vec<DomainName>,
        total: usize,
    },
    /// More names than Let's Encrypt puts on one certificate.
    OverCertificateLimit { names: usize },
    /// AutoSSL manages the certificates (or RunCloud did not say whether it does: `assumed`):
    /// no order is placed; reported because a name is not covered.
    AutoSsl {
        not_covered: Vec<DomainName>,
        #[serde(default)]
        assumed: bool,
    },
    /// The certificate in place was not issued by Let's Encrypt (a custom certificate, or
    /// RunCloud did not say): it is never redeployed, replaced or installed over.
    CustomCertificate {
        certificate_id: u64,
        method: Option<String>,
    },
    /// The ledger says the last order of this set of names failed: not ordered again before
    /// `due_at` (UTC seconds) unless `--retry-now NAME`.
    BackingOff {
        failures: u32,
        due_at: i64,
        last_error: String,
    },
    /// The order would exceed one of Let's Encrypt's limits, counted from the ledger (and the
    /// orders of this plan before it); `key` is the name or registered domain counted, and
    /// `due_at` when the window has room again (`None`: not before a later run).
    LetsEncryptLimit {
        limit: LetsEncryptLimit,
        key: DomainName,
        count: usize,
        due_at: Option<i64>,
    },
    /// Without a ledger, at most `cap` orders per registered domain in one run.
    RunCap {
        registered_domain: DomainName,
        cap: usize,
    },
}

impl DeferReason {
    /// The `reason` tag of the JSON plan.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeferReason::DnsNotReady { .. } => "dns-not-ready",
            DeferReason::UpdateNeedsV3 { .. } => "update-needs-v3",
            DeferReason::WithinGrace { .. } => "within-grace",
            DeferReason::SslNamesNotReady { .. } => "ssl-names-not-ready",
            DeferReason::OverCertificateLimit { .. } => "over-certificate-limit",
            DeferReason::AutoSsl { .. } => "auto-ssl",
            DeferReason::CustomCertificate { .. } => "custom-certificate",
            DeferReason::BackingOff { .. } => "backing-off",
            DeferReason::LetsEncryptLimit { .. } => "lets-encrypt-limit",
            DeferReason::RunCap { .. } => "run-cap",
        }
    }

    /// When it becomes due (UTC seconds), when the reason knows.
    pub fn due_at(&self) -> Option<i64> {
        match self {
            DeferReason::BackingOff { due_at, .. } => Some(*due_at),
            DeferReason::LetsEncryptLimit { due_at, .. } => *due_at,
            _ => None,
        }
    }
}

impl fmt::Display for DeferReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeferReason::DnsNotReady { finding } => {
                write!(
                    f,
                    "DNS is not ready ({finding}); attached once it points at the server"
                )
            }
            DeferReason::UpdateNeedsV3 { from, to } => write!(
                f,
                "drift ({from} → {to}) that API v2 cannot update in place; use a v3 token, or change it in RunCloud"
            ),
            DeferReason::WithinGrace {
                age_secs,
                grace_secs,
            } => write!(
                f,
                "created {} ago, within removals.grace ({}); most likely just added by the plugin",
                human_secs(*age_secs as u64),
                human_secs(*grace_secs)
            ),
            DeferReason::SslNamesNotReady { names, total } => {
                let shown: Vec<&str> = names.iter().take(5).map(DomainName::as_str).collect();
                let more = if *total > shown.len() {
                    format!(" and {} more", total - shown.len())
                } else {
                    String::new()
                };
                write!(
                    f,
                    "DNS is not ready for {}{more}; ordered once every name it covers points at the server",
                    shown.join(", ")
                )
            }
            DeferReason::OverCertificateLimit { names } => write!(
                f,
                "{names} names exceed Let's Encrypt's {CERTIFICATE_NAME_LIMIT} per certificate; switch the app to advanced SSL (a certificate per domain)"
            ),
            DeferReason::AutoSsl {
                not_covered,
                assumed,
            } => held_by_auto_ssl(f, not_covered, *assumed),
            DeferReason::CustomCertificate {
                certificate_id,
                method,
            } => {
                let method = match method {
                    Some(m) => format!("its method is {m:?}"),
                    None => "RunCloud did not say how it was issued".to_string(),
                };
                write!(
                    f,
                    "certificate {certificate_id} is not a Let's Encrypt certificate ({method}); it is never redeployed or replaced — renew it where it came from, or remove it in RunCloud to let rcdomains order one"
                )
            }
            DeferReason::BackingOff {
                failures,
                due_at,
                last_error,
            } => backing_off(f, *failures, *due_at, last_error),
            DeferReason::LetsEncryptLimit {
                limit,
                key,
                count,
                due_at,
            } => over_limit(f, *limit, key, *count, *due_at),
            DeferReason::RunCap {
                registered_domain,
                cap,
            } => write!(
                f,
                "at most {cap} certificate orders per registered domain ({registered_domain}) in one run without a ledger; ordered on a later run — with --ledger FILE, rcdomains counts Let's Encrypt's limits from its history and orders up to 50 a week"
            ),
        }
    }
}

/// The wording of `DeferReason::AutoSsl`.
fn held_by_auto_ssl(
    f: &mut fmt::Formatter<'_>,
    not_covered: &[DomainName],
    assumed: bool,
) -> fmt::Result {
    let shown: Vec<&str> = not_covered.iter().take(5).map(DomainName::as_str).collect();
    let why = auto_ssl_why(assumed);
    if shown.is_empty() {
        write!(f, "{why}, so no order is placed")
    } else {
        write!(
            f,
            "{why}, so no order is placed; not covered now: {}",
            shown.join(", ")
        )
    }
}

/// The wording of `DeferReason::BackingOff`.
fn backing_off(
    f: &mut fmt::Formatter<'_>,
    failures: u32,
    due_at: i64,
    last_error: &str,
) -> fmt::Result {
    let orders = if failures == 1 {
        "the last order for these names failed".to_string()
    } else {
        format!("the last {failures} orders for these names failed")
    };
    write!(
        f,
        "{orders} ({last_error}); backing off until {} (1 h after a failure, 6 h after two in a row, 24 h after more) — fix the cause, or pass --retry-now NAME to order now",
        time_text(due_at)
    )
}

/// The wording of `DeferReason::LetsEncryptLimit`.
fn over_limit(
    f: &mut fmt::Formatter<'_>,
    limit: LetsEncryptLimit,
    key: &DomainName,
    count: usize,
    due_at: Option<i64>,
) -> fmt::Result {
    let counted = match limit {
        LetsEncryptLimit::FailedValidations => {
            format!("{key} failed validation {count} times in the last hour")
        }
        LetsEncryptLimit::DuplicateCertificate => {
            format!("{count} were ordered for these names in the last 7 days")
        }
        LetsEncryptLimit::CertificatesPerRegisteredDomain => {
            format!("{key} has {count} in the last 7 days, this run's orders included")
        }
    };
    let due = match due_at {
        Some(t) => format!("due {}", time_text(t)),
        None => "ordered on a later run".to_string(),
    };
    write!(
        f,
        "over Let's Encrypt's limit of {limit} ({counted}, by the ledger); {due}"
    )
}

/// Why AutoSSL holds an order back: it is on, or RunCloud did not say (`assumed`).
pub fn auto_ssl_why(assumed: bool) -> &'static str {
    if assumed {
        "RunCloud did not say whether AutoSSL is on; taken as on, so that no certificate is ordered twice"
    } else {
        "AutoSSL is on"
    }
}

fn human_secs(s: u64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(s)).to_string()
}

/// A live name left alone on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub name: DomainName,
    pub why: KeptReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeptReason {
    /// The app's primary domain is never removed.
    Primary,
    /// Matches `removals.protect`.
    Protected,
    /// Not in the file, but `prune` is off.
    PruneOff,
    /// Its type is neither `primary` nor `alias` (e.g. `redirect`): not rcdomains' to manage.
    OtherType,
    /// Unlisted, but RunCloud gave no readable `created_at`: it may be seconds old, so
    /// `removals.grace` keeps it (`grace: 0` prunes regardless of age).
    AgeUnknown,
}

impl KeptReason {
    /// The `reason` tag of the JSON plan.
    pub fn as_str(self) -> &'static str {
        match self {
            KeptReason::Primary => "primary",
            KeptReason::Protected => "protected",
            KeptReason::PruneOff => "prune-off",
            KeptReason::OtherType => "other-type",
            KeptReason::AgeUnknown => "age-unknown",
        }
    }
}

impl fmt::Display for KeptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeptReason::Primary => "the app's primary domain is never removed",
            KeptReason::Protected => "protected by removals.protect",
            KeptReason::PruneOff => "not in the file; kept because removals.prune is off",
            KeptReason::OtherType => {
                "its type in RunCloud is neither primary nor alias; rcdomains never changes or removes it"
            }
            KeptReason::AgeUnknown => {
                "not in the file, but RunCloud gave no readable created_at, so removals.grace cannot tell its age; set `grace: 0` to prune regardless of age"
            }
        })
    }
}
