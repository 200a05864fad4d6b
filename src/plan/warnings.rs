//! What a plan warns of, beside what it does: certificates whose next renewal will fail
//! because a name they cover no longer points at the server (`renewal-at-risk`),
//! certificates presented for attached names that expire soon (`certificate-expiring`), and
//! DNS checks in which every name failed through the system's resolver, which then more
//! likely failed itself (`resolver-suspect`). Pure, like the rest of the planner; the wording
//! takes a function that shows names, so that each renderer keeps names as data.

use super::Action;
use crate::model::{
    Checks, Coverage, DomainKind, DomainName, LiveDomain, LiveState, SystemResolverFailure,
    cert_names,
};
use serde::Serialize;
use std::collections::BTreeSet;

/// Fewer days than this left on a presented certificate is a warning ...
pub const EXPIRY_WARNING_DAYS: i64 = 21;
/// ... and fewer than this an error-level finding.
pub const EXPIRY_ERROR_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub level: Level,
    /// The name it is about.
    pub name: DomainName,
    /// Days until the certificate concerned expires, when known.
    pub days_left: Option<i64>,
    /// renewal-at-risk: the name's DNS finding (`mismatch`, `nxdomain`, …).
    pub finding: Option<String>,
    pub certificate: CertificateScope,
    /// An SSL order of this plan covers the name (it replaces the certificate concerned).
    pub ordered: bool,
    /// renewal-at-risk: the attached domain whose `www.` twin the name is (the way out is then
    /// `www: false` for that domain, or its tombstone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twin_of: Option<DomainName>,
    /// resolver-suspect: the system's name servers, and how every name checked failed. Such a
    /// warning is about no certificate (`certificate` is `App` with no names), and its `name`
    /// is the first name checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver: Option<SystemResolverFailure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    RenewalAtRisk,
    CertificateExpiring,
    ResolverSuspect,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::RenewalAtRisk => "renewal-at-risk",
            WarningKind::CertificateExpiring => "certificate-expiring",
            WarningKind::ResolverSuspect => "resolver-suspect",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    fn for_days(days: Option<i64>) -> Level {
        match days {
            Some(d) if d < EXPIRY_ERROR_DAYS => Level::Error,
            _ => Level::Warning,
        }
    }
}

/// Which certificate a warning is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "kebab-case")]
pub enum CertificateScope {
    /// Basic SSL: the app's one certificate, for every attached name (`names` of them).
    App { names: usize },
    /// Advanced SSL: the certificate of `domain`.
    Domain { domain: DomainName },
}

impl Warning {
    /// The warning in words; `name` shows a name as the format shows names.
    pub fn detail(&self, name: &dyn Fn(&DomainName) -> String) -> String {
        self.detail_with(name, &str::to_string)
    }

    /// The warning in words: each name shown by `name`, the wording around them by `wording`.
    pub fn detail_with(
        &self,
        name: &dyn Fn(&DomainName) -> String,
        wording: &dyn Fn(&str) -> String,
    ) -> String {
        let expires = match self.days_left {
            Some(d) => format!("expires in {d} day{}", if d == 1 { "" } else { "s" }),
            None => "expires".to_string(),
        };
        let ordered = if self.ordered {
            "; this plan orders a new one"
        } else {
            ""
        };
        let finding = self.finding.as_deref().unwrap_or("not ready");
        if let (WarningKind::ResolverSuspect, Some(r)) = (self.kind, &self.resolver) {
            let servers = r
                .servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return wording(&format!(
                "every one of the {} names checked failed to resolve through the system resolver ({servers}): {} nxdomain, {} error (this one: {finding}); the resolver itself may be the cause, not the names: check /etc/resolv.conf, or pass --resolver IP:PORT",
                r.names(),
                r.nxdomain,
                r.error
            ));
        }
        // The way out for the name itself: its tombstone, or for a `www.` twin, `www: false`
        // (or the tombstone) of its domain.
        let drop_it = match &self.twin_of {
            None => wording("tombstone it (`state: absent`)"),
            Some(d) => [
                wording("set `www: false` for "),
                name(d),
                wording(" or tombstone it (`state: absent`)"),
            ]
            .concat(),
        };
        match (self.kind, &self.certificate) {
            (WarningKind::RenewalAtRisk, CertificateScope::App { names }) => [
                wording(&format!(
                    "its DNS no longer points at the server ({finding}); the app's one certificate covers all {names} attached names, so its next renewal fails for every one of them, and when it {expires} every domain of the app loses HTTPS — "
                )),
                drop_it,
                wording(
                    ", have its DNS pointed back at the server, or switch the app to advanced SSL (a certificate per domain)",
                ),
            ]
            .concat(),
            (WarningKind::RenewalAtRisk, CertificateScope::Domain { domain }) => [
                wording(&format!(
                    "its DNS no longer points at the server ({finding}); the certificate of "
                )),
                name(domain),
                wording(&format!(
                    " cannot renew, and HTTPS stops when it {expires} — have its DNS pointed back at the server, or "
                )),
                drop_it,
            ]
            .concat(),
            (WarningKind::CertificateExpiring, CertificateScope::App { names }) => wording(&format!(
                "the app's certificate, presented for {names} attached names, {expires}; a Let's Encrypt certificate renews 30 days before expiry, so this one's renewal has not happened (a custom one is renewed where it came from) — check the app's SSL in RunCloud, and any renewal-at-risk name{ordered}"
            )),
            (WarningKind::CertificateExpiring, CertificateScope::Domain { .. }) => wording(&format!(
                "the certificate presented for it {expires}; a Let's Encrypt certificate renews 30 days before expiry, so this one's renewal has not happened (a custom one is renewed where it came from) — check the domain's SSL in RunCloud, and its DNS{ordered}"
            )),
            // Always made with `resolver` (above).
            (WarningKind::ResolverSuspect, _) => wording(&format!(
                "it failed to resolve through the system resolver ({finding}), as did every other name checked; the resolver itself may be the cause: check /etc/resolv.conf, or pass --resolver IP:PORT"
            )),
        }
    }
}

/// The warnings of a plan: for the domains attached now and after it (`projected`), given the
/// checks, the live SSL mode, the certificate's stated expiry, and the plan's SSL `actions`.
pub(super) fn warnings(
    live: &LiveState,
    checks: &Checks,
    projected: &[LiveDomain],
    actions: &[Action],
    now: i64,
) -> Vec<Warning> {
    let attached: BTreeSet<&DomainName> = live.domains.iter().map(|d| &d.name).collect();
    let staying: Vec<&LiveDomain> = projected
        .iter()
        .filter(|d| attached.contains(&d.name))
        .collect();
    let seen = Seen {
        live,
        checks,
        ordered: actions
            .iter()
            .filter_map(|a| match a {
                Action::Ssl { covers, .. } => Some(covers),
                _ => None,
            })
            .flatten()
            .collect(),
    };
    let mut out = if live.ssl.advanced {
        staying.iter().flat_map(|d| seen.advanced(d)).collect()
    } else {
        seen.basic(&staying, now)
    };
    out.sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));
    // First, since it explains the others: every name that left the server may not have.
    if let Some(w) = resolver_suspect(checks) {
        out.insert(0, w);
    }
    out
}

/// What the warnings are judged from.
struct Seen<'a> {
    live: &'a LiveState,
    checks: &'a Checks,
    /// The names an SSL order of the plan covers.
    ordered: BTreeSet<&'a DomainName>,
}

impl Seen<'_> {
    /// The fewest days left on the certificates presented for `names`, when any was read.
    fn days(&self, names: &[DomainName]) -> Option<i64> {
        names
            .iter()
            .filter_map(|n| match self.checks.tls.get(n) {
                Some(Coverage::Covered { days_left }) => Some(*days_left),
                _ => None,
            })
            .min()
    }

    /// The DNS finding of a name that is not ready.
    fn not_ready(&self, n: &DomainName) -> Option<String> {
        self.checks
            .dns
            .get(n)
            .filter(|f| !f.is_ready())
            .map(|f| f.label().to_string())
    }

    /// A renewal-at-risk warning for `n`, a name of domain `d`'s certificate, when its DNS is
    /// not ready.
    fn at_risk(
        &self,
        n: &DomainName,
        d: &LiveDomain,
        left: Option<i64>,
        scope: &CertificateScope,
    ) -> Option<Warning> {
        let finding = self.not_ready(n)?;
        Some(Warning {
            kind: WarningKind::RenewalAtRisk,
            level: Level::for_days(left),
            name: n.clone(),
            days_left: left,
            finding: Some(finding),
            certificate: scope.clone(),
            ordered: self.ordered.contains(n),
            twin_of: (*n != d.name).then(|| d.name.clone()),
            resolver: None,
        })
    }

    /// Advanced SSL: the certificate of one domain that stays attached.
    fn advanced(&self, d: &LiveDomain) -> Vec<Warning> {
        let mut out = Vec::new();
        let names = cert_names(d);
        let left = self.days(&names);
        let known = self
            .live
            .ssl
            .domain_certificates
            .get(&d.id)
            .and_then(Option::as_ref);
        // A custom certificate is renewed where it came from, whatever DNS says.
        let custom = known.is_some_and(|c| !c.is_lets_encrypt());
        let has_certificate = (left.is_some() || known.is_some()) && !custom;
        let scope = CertificateScope::Domain {
            domain: d.name.clone(),
        };
        if has_certificate {
            out.extend(
                names
                    .iter()
                    .filter_map(|n| self.at_risk(n, d, left, &scope)),
            );
        }
        if let Some(left) = left.filter(|l| *l < EXPIRY_WARNING_DAYS) {
            out.push(Warning {
                kind: WarningKind::CertificateExpiring,
                level: Level::for_days(Some(left)),
                name: d.name.clone(),
                days_left: Some(left),
                finding: None,
                certificate: scope,
                ordered: names.iter().any(|n| self.ordered.contains(n)),
                twin_of: None,
                resolver: None,
            });
        }
        out
    }

    /// Basic SSL: the app's one certificate, for every name of the domains that stay attached.
    fn basic(&self, staying: &[&LiveDomain], now: i64) -> Vec<Warning> {
        let mut out = Vec::new();
        let certificate = self.live.ssl.certificate.as_ref();
        let names: Vec<(DomainName, &LiveDomain)> = staying
            .iter()
            .flat_map(|d| cert_names(d).into_iter().map(move |n| (n, *d)))
            .collect();
        let (names, domain_of): (Vec<DomainName>, Vec<&LiveDomain>) = names.into_iter().unzip();
        let left = self.days(&names).or_else(|| {
            certificate
                .and_then(|c| c.valid_until.as_deref())
                .and_then(|v| days_until(v, now))
        });
        let custom = certificate.is_some_and(|c| !c.is_lets_encrypt());
        let has_certificate = (left.is_some() || certificate.is_some()) && !custom;
        let scope = CertificateScope::App { names: names.len() };
        if has_certificate {
            out.extend(
                names
                    .iter()
                    .zip(&domain_of)
                    .filter_map(|(n, d)| self.at_risk(n, d, left, &scope)),
            );
        }
        let covered_left = self.days(&names);
        if let Some(left) = covered_left.filter(|l| *l < EXPIRY_WARNING_DAYS) {
            // One warning for the one certificate, on the name it is presented for that
            // expires soonest (the primary domain first among equals).
            let on = staying
                .iter()
                .filter(|d| self.days(&cert_names(d)) == Some(left))
                .min_by_key(|d| (d.kind != DomainKind::Primary, &d.name))
                .map(|d| d.name.clone());
            if let Some(on) = on {
                out.push(Warning {
                    kind: WarningKind::CertificateExpiring,
                    level: Level::for_days(Some(left)),
                    name: on,
                    days_left: Some(left),
                    finding: None,
                    certificate: scope,
                    ordered: !self.ordered.is_empty(),
                    twin_of: None,
                    resolver: None,
                });
            }
        }
        out
    }
}

/// When every name checked through the system's resolvers failed: a warning on the first
/// name checked, about no certificate.
fn resolver_suspect(checks: &Checks) -> Option<Warning> {
    let failure = checks.system_resolver_failed_all()?;
    let (name, finding) = checks.dns.iter().next()?;
    Some(Warning {
        kind: WarningKind::ResolverSuspect,
        level: Level::Warning,
        name: name.clone(),
        days_left: None,
        finding: Some(finding.label().to_string()),
        certificate: CertificateScope::App { names: 0 },
        ordered: false,
        twin_of: None,
        resolver: Some(failure),
    })
}

/// Whole days from `now` until RunCloud's `valid_until` ("YYYY-MM-DD HH:MM:SS" UTC, or RFC
/// 3339), rounded down; `None` when it cannot be read.
fn days_until(valid_until: &str, now: i64) -> Option<i64> {
    let at = valid_until
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
        .or_else(|| {
            jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", valid_until)
                .ok()
                .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp().as_second())
        })?;
    Some((at - now).div_euclid(86_400))
}
