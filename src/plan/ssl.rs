//! The SSL part of planning: certificate orders per mode, after the domain changes. Pure,
//! like the rest of the planner.

use super::ledger::OrderGate;
use super::{Action, ActionKind, CERTIFICATE_NAME_LIMIT, DeferReason, Deferred, SslOrder};
use crate::checks::{Checks, Coverage, cert_names};
use crate::desired::raw::SslMode;
use crate::model::{DomainKind, DomainName, LiveDomain, LiveState};
use std::collections::{BTreeMap, BTreeSet};

pub(super) type SslPlan = (Vec<Action>, Vec<Deferred>, Option<String>);

/// Certificate orders after the domain changes, per mode. Never orders a certificate covering
/// a name that is not DNS-ready (while `dns.require` is on), and never only because the TLS
/// probe failed (`Coverage::Unknown` counts as neither covered nor not covered). Every order
/// passes `gate` (the ledger's back-off and Let's Encrypt's limits, or the cap of a run
/// without a ledger), or is deferred with the reason it gives.
pub(super) fn plan_ssl(
    live: &LiveState,
    checks: &Checks,
    mode: SslMode,
    require_dns: bool,
    projected: &[LiveDomain],
    gate: &mut OrderGate<'_>,
) -> SslPlan {
    if mode == SslMode::Off {
        return (
            vec![],
            vec![],
            Some("ssl.mode is off: no SSL actions".into()),
        );
    }
    if !checks.dns_checked {
        return (vec![], vec![], Some("DNS was not checked (--skip-dns): no certificate is ordered without knowing that DNS points at the server".into()));
    }
    let not_covered =
        |n: &DomainName| matches!(checks.tls.get(n), Some(Coverage::NotCovered { .. }));
    let unready = |names: &[DomainName]| -> Vec<DomainName> {
        if require_dns {
            names
                .iter()
                .filter(|n| !checks.is_ready(n))
                .cloned()
                .collect()
        } else {
            vec![]
        }
    };
    let live_by_id: BTreeMap<u64, &LiveDomain> = live.domains.iter().map(|d| (d.id, d)).collect();
    // AutoSSL on, or not reported: either way no order is placed, so that the tool never
    // orders a certificate that RunCloud orders too.
    let auto_ssl = live.ssl.auto_ssl_may_be_on();
    let auto_ssl_assumed = live.ssl.auto_ssl.is_none();
    let mut actions = Vec::new();
    let mut deferred = Vec::new();
    match mode {
        SslMode::Advanced => {
            for d in projected.iter().filter(|d| d.kind != DomainKind::Other) {
                let names = cert_names(d);
                // The same domain as attached now (a domain this run adds has none).
                let attached = live_by_id.get(&d.id).filter(|l| l.name == d.name);
                let before = attached.map(|l| cert_names(l));
                let changed = before.as_ref() != Some(&names);
                let uncovered: Vec<DomainName> =
                    names.iter().filter(|n| not_covered(n)).cloned().collect();
                if !changed && uncovered.is_empty() {
                    // Not known to be covered and not ready: report it, so the operator sees
                    // why the name has no certificate yet.
                    let covered = names
                        .iter()
                        .all(|n| matches!(checks.tls.get(n), Some(Coverage::Covered { .. })));
                    let missing = unready(&names);
                    if !covered && !missing.is_empty() && !auto_ssl {
                        let total = missing.len();
                        deferred.push(Deferred {
                            kind: ActionKind::Ssl,
                            name: d.name.clone(),
                            reason: DeferReason::SslNamesNotReady {
                                names: missing,
                                total,
                            },
                        });
                    }
                    continue;
                }
                if auto_ssl {
                    if !uncovered.is_empty() || auto_ssl_assumed {
                        deferred.push(Deferred {
                            kind: ActionKind::Ssl,
                            name: d.name.clone(),
                            reason: DeferReason::AutoSsl {
                                not_covered: uncovered,
                                assumed: auto_ssl_assumed,
                            },
                        });
                    }
                    continue;
                }
                let missing = unready(&names);
                if !missing.is_empty() {
                    let total = missing.len();
                    deferred.push(Deferred {
                        kind: ActionKind::Ssl,
                        name: d.name.clone(),
                        reason: DeferReason::SslNamesNotReady {
                            names: missing,
                            total,
                        },
                    });
                    continue;
                }
                let domain_id = attached.map(|l| l.id);
                let current = domain_id.and_then(|id| live.ssl.domain_certificates.get(&id));
                let order = match (domain_id, current) {
                    (Some(domain_id), Some(Some(c))) if c.is_lets_encrypt() => {
                        SslOrder::AdvancedRedeploy {
                            domain_id,
                            certificate_id: c.id,
                        }
                    }
                    (_, Some(Some(c))) => {
                        deferred.push(Deferred {
                            kind: ActionKind::Ssl,
                            name: d.name.clone(),
                            reason: DeferReason::CustomCertificate {
                                certificate_id: c.id,
                                method: c.method.clone(),
                            },
                        });
                        continue;
                    }
                    // None installed, or not read (apply reads it before posting).
                    _ => SslOrder::AdvancedInstall { domain_id },
                };
                if let Err(reason) = gate.admit(&names) {
                    deferred.push(Deferred {
                        kind: ActionKind::Ssl,
                        name: d.name.clone(),
                        reason,
                    });
                    continue;
                }
                actions.push(Action::Ssl {
                    name: d.name.clone(),
                    order,
                    covers: names,
                });
            }
        }
        _ => {
            let before: BTreeSet<DomainName> = live.domains.iter().flat_map(cert_names).collect();
            let after: BTreeSet<DomainName> = projected.iter().flat_map(cert_names).collect();
            if after.is_empty() {
                return (vec![], vec![], None);
            }
            let uncovered: Vec<DomainName> =
                after.iter().filter(|n| not_covered(n)).cloned().collect();
            let no_certificate = live.ssl.certificate.is_none();
            if before == after && uncovered.is_empty() && !no_certificate {
                return (vec![], vec![], None);
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
                deferred.push(Deferred {
                    kind: ActionKind::Ssl,
                    name: anchor,
                    reason: DeferReason::CustomCertificate {
                        certificate_id: c.id,
                        method: c.method.clone(),
                    },
                });
                return (actions, deferred, None);
            }
            if auto_ssl {
                if !uncovered.is_empty() || auto_ssl_assumed {
                    deferred.push(Deferred {
                        kind: ActionKind::Ssl,
                        name: anchor,
                        reason: DeferReason::AutoSsl {
                            not_covered: uncovered,
                            assumed: auto_ssl_assumed,
                        },
                    });
                }
                return (actions, deferred, None);
            }
            let covers: Vec<DomainName> = after.into_iter().collect();
            if covers.len() > CERTIFICATE_NAME_LIMIT {
                deferred.push(Deferred {
                    kind: ActionKind::Ssl,
                    name: anchor,
                    reason: DeferReason::OverCertificateLimit {
                        names: covers.len(),
                    },
                });
                return (actions, deferred, None);
            }
            let missing = unready(&covers);
            if !missing.is_empty() {
                let total = missing.len();
                deferred.push(Deferred {
                    kind: ActionKind::Ssl,
                    name: anchor,
                    reason: DeferReason::SslNamesNotReady {
                        names: missing,
                        total,
                    },
                });
                return (actions, deferred, None);
            }
            let order = match &live.ssl.certificate {
                Some(c) => SslOrder::BasicRedeploy {
                    certificate_id: c.id,
                },
                None => SslOrder::BasicInstall,
            };
            if let Err(reason) = gate.admit(&covers) {
                deferred.push(Deferred {
                    kind: ActionKind::Ssl,
                    name: anchor,
                    reason,
                });
                return (actions, deferred, None);
            }
            actions.push(Action::Ssl {
                name: anchor,
                order,
                covers,
            });
        }
    }
    (actions, deferred, None)
}
