//! The SSL part of planning: the mode a plan works with, and the certificate orders per mode,
//! after the domain changes. Pure, like the rest of the planner.

use super::ledger::OrderGate;
use super::{Action, CERTIFICATE_NAME_LIMIT, DeferReason, Deferred, SslOrder};
use crate::desired::raw::SslMode;
use crate::model::{
    ActionKind, Checks, Coverage, DomainKind, DomainName, LiveDomain, LiveState, cert_names,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The SSL mode a plan works with: the desired mode, with `auto` resolved to the app's live
/// mode — so no one reading a plan meets an `auto` that cannot happen there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolvedSslMode {
    /// One certificate for the whole app.
    Basic,
    /// One certificate per domain.
    Advanced,
    /// No SSL actions.
    Off,
}

/// The SSL mode the plan works with: `auto` follows the app's live mode.
pub fn effective_ssl_mode(desired: SslMode, live: &LiveState) -> ResolvedSslMode {
    match desired {
        SslMode::Auto if live.ssl.advanced => ResolvedSslMode::Advanced,
        SslMode::Auto | SslMode::Basic => ResolvedSslMode::Basic,
        SslMode::Advanced => ResolvedSslMode::Advanced,
        SslMode::Off => ResolvedSslMode::Off,
    }
}

pub(super) type SslPlan = (Vec<Action>, Vec<Deferred>, Option<String>);

/// Certificate orders after the domain changes, per mode. Never orders a certificate covering
/// a name that is not DNS-ready (while `dns.require` is on), and never only because the TLS
/// probe failed (`Coverage::Unknown` counts as neither covered nor not covered). Every order
/// passes `gate` (the ledger's back-off and Let's Encrypt's limits, or the cap of a run
/// without a ledger), or is deferred with the reason it gives.
pub(super) fn plan_ssl(
    live: &LiveState,
    checks: &Checks,
    mode: ResolvedSslMode,
    require_dns: bool,
    projected: &[LiveDomain],
    gate: &mut OrderGate<'_>,
) -> SslPlan {
    if mode == ResolvedSslMode::Off {
        return (
            vec![],
            vec![],
            Some("ssl.mode is off: no SSL actions".into()),
        );
    }
    if !checks.dns_checked {
        return (vec![], vec![], Some("DNS was not checked (--skip-dns): no certificate is ordered without knowing that DNS points at the server".into()));
    }
    let mut orders = Orders {
        live,
        checks,
        require_dns,
        // AutoSSL on, or not reported: either way no order is placed, so that the tool never
        // orders a certificate that RunCloud orders too.
        auto_ssl: live.ssl.auto_ssl_may_be_on(),
        auto_ssl_assumed: live.ssl.auto_ssl.is_none(),
        gate,
        actions: Vec::new(),
        deferred: Vec::new(),
    };
    if mode == ResolvedSslMode::Advanced {
        let live_by_id: BTreeMap<u64, &LiveDomain> =
            live.domains.iter().map(|d| (d.id, d)).collect();
        for d in projected.iter().filter(|d| d.kind != DomainKind::Other) {
            // The same domain as attached now (a domain this run adds has none).
            let attached = live_by_id.get(&d.id).copied().filter(|l| l.name == d.name);
            orders.advanced(d, attached);
        }
    } else {
        orders.basic(projected);
    }
    (orders.actions, orders.deferred, None)
}

/// The orders of one plan as they are decided, with what deciding them reads.
struct Orders<'a, 'g> {
    live: &'a LiveState,
    checks: &'a Checks,
    require_dns: bool,
    /// AutoSSL is on, or RunCloud did not say (`auto_ssl_assumed`).
    auto_ssl: bool,
    auto_ssl_assumed: bool,
    gate: &'a mut OrderGate<'g>,
    actions: Vec<Action>,
    deferred: Vec<Deferred>,
}

impl Orders<'_, '_> {
    fn not_covered(&self, n: &DomainName) -> bool {
        matches!(self.checks.tls.get(n), Some(Coverage::NotCovered { .. }))
    }

    /// The names of `names` that are not DNS-ready, when `dns.require` asks for readiness.
    fn unready(&self, names: &[DomainName]) -> Vec<DomainName> {
        if !self.require_dns {
            return vec![];
        }
        names
            .iter()
            .filter(|n| !self.checks.is_ready(n))
            .cloned()
            .collect()
    }

    fn defer(&mut self, name: &DomainName, reason: DeferReason) {
        self.deferred.push(Deferred {
            kind: ActionKind::Ssl,
            name: name.clone(),
            reason,
        });
    }

    /// Deferred because these names the certificate must cover are not DNS-ready.
    fn defer_unready(&mut self, name: &DomainName, missing: Vec<DomainName>) {
        let total = missing.len();
        self.defer(
            name,
            DeferReason::SslNamesNotReady {
                names: missing,
                total,
            },
        );
    }

    /// Held back by AutoSSL; reported when a name is not covered, or when AutoSSL is assumed.
    fn defer_auto_ssl(&mut self, name: &DomainName, uncovered: Vec<DomainName>) {
        if !uncovered.is_empty() || self.auto_ssl_assumed {
            let assumed = self.auto_ssl_assumed;
            self.defer(
                name,
                DeferReason::AutoSsl {
                    not_covered: uncovered,
                    assumed,
                },
            );
        }
    }

    /// The order through the ledger's gate, or deferred with the reason the gate gives.
    fn place(&mut self, name: DomainName, order: SslOrder, covers: Vec<DomainName>) {
        match self.gate.admit(&covers) {
            Ok(()) => self.actions.push(Action::Ssl {
                name,
                order,
                covers,
            }),
            Err(reason) => self.defer(&name, reason),
        }
    }

    /// Advanced mode, one domain of the projected list (`attached`: the same domain as it is
    /// attached now): an order when its names changed or one is not covered, and every name
    /// it covers is ready.
    fn advanced(&mut self, d: &LiveDomain, attached: Option<&LiveDomain>) {
        let names = cert_names(d);
        let before = attached.map(cert_names);
        let changed = before.as_ref() != Some(&names);
        let uncovered: Vec<DomainName> = names
            .iter()
            .filter(|n| self.not_covered(n))
            .cloned()
            .collect();
        if !changed && uncovered.is_empty() {
            // Not known to be covered and not ready: report it, so the operator sees why the
            // name has no certificate yet.
            let covered = names
                .iter()
                .all(|n| matches!(self.checks.tls.get(n), Some(Coverage::Covered { .. })));
            let missing = self.unready(&names);
            if !covered && !missing.is_empty() && !self.auto_ssl {
                self.defer_unready(&d.name, missing);
            }
            return;
        }
        if self.auto_ssl {
            self.defer_auto_ssl(&d.name, uncovered);
            return;
        }
        let missing = self.unready(&names);
        if !missing.is_empty() {
            self.defer_unready(&d.name, missing);
            return;
        }
        let domain_id = attached.map(|l| l.id);
        let current = domain_id.and_then(|id| self.live.ssl.domain_certificates.get(&id));
        let order = match (domain_id, current) {
            (Some(domain_id), Some(Some(c))) if c.is_lets_encrypt() => SslOrder::AdvancedRedeploy {
                domain_id,
                certificate_id: c.id,
            },
            (_, Some(Some(c))) => {
                let reason = DeferReason::CustomCertificate {
                    certificate_id: c.id,
                    method: c.method.clone(),
                };
                self.defer(&d.name, reason);
                return;
            }
            // None installed, or not read (apply reads it before posting).
            _ => SslOrder::AdvancedInstall { domain_id },
        };
        self.place(d.name.clone(), order, names);
    }

    /// Basic mode: at most one order, for the app's one certificate, when the set of names
    /// changed, a name is not covered, or the app has no certificate.
    fn basic(&mut self, projected: &[LiveDomain]) {
        let live = self.live;
        let before: BTreeSet<DomainName> = live.domains.iter().flat_map(cert_names).collect();
        let after: BTreeSet<DomainName> = projected.iter().flat_map(cert_names).collect();
        if after.is_empty() {
            return;
        }
        let uncovered: Vec<DomainName> = after
            .iter()
            .filter(|n| self.not_covered(n))
            .cloned()
            .collect();
        let no_certificate = live.ssl.certificate.is_none();
        if before == after && uncovered.is_empty() && !no_certificate {
            return;
        }
        let anchor = projected
            .iter()
            .find(|d| d.kind == DomainKind::Primary)
            .or(projected.first())
            .map(|d| d.name.clone())
            .unwrap_or_else(|| DomainName::new_unchecked("app".into()));
        if let Some(c) = live
            .ssl
            .certificate
            .as_ref()
            .filter(|c| !c.is_lets_encrypt())
        {
            let reason = DeferReason::CustomCertificate {
                certificate_id: c.id,
                method: c.method.clone(),
            };
            self.defer(&anchor, reason);
            return;
        }
        if self.auto_ssl {
            self.defer_auto_ssl(&anchor, uncovered);
            return;
        }
        let covers: Vec<DomainName> = after.into_iter().collect();
        if covers.len() > CERTIFICATE_NAME_LIMIT {
            let reason = DeferReason::OverCertificateLimit {
                names: covers.len(),
            };
            self.defer(&anchor, reason);
            return;
        }
        let missing = self.unready(&covers);
        if !missing.is_empty() {
            self.defer_unready(&anchor, missing);
            return;
        }
        let order = match &live.ssl.certificate {
            Some(c) => SslOrder::BasicRedeploy {
                certificate_id: c.id,
            },
            None => SslOrder::BasicInstall,
        };
        self.place(anchor, order, covers);
    }
}
