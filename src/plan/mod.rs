//! The planner: `plan(desired, live, checks, ledger, now, options) -> Plan`.
//!
//! Owns every decision — what to add, update, remove, defer, and why — the safety gates
//! (removal caps, an empty desired set), the order gate (the ledger's back-off and Let's
//! Encrypt's limits) and the warnings. Pure and synchronous: no I/O, no randomness, the clock
//! only as the `now` it is given, the order history only as the ledger it is given. `apply` carries a plan out and makes no choices of its own.

use crate::checks::dns::DnsFinding;
use crate::checks::{Checks, Coverage, cert_names};
use crate::desired::Desired;
use crate::desired::raw::SslMode;
use crate::model::{ApiVersion, DomainKind, DomainName, DomainSettings, LiveDomain, LiveState};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod action;
pub mod audit;
mod deferred;
pub mod ledger;
mod refusal;
mod ssl;
mod warnings;

pub use action::{Action, ActionKind, CERTIFICATE_NAME_LIMIT, RemoveReason, SslOrder};
pub use deferred::{DeferReason, Deferred, Kept, KeptReason, auto_ssl_why};
pub use ledger::{Ledger, LedgerEntry, LetsEncryptLimit, OrderOutcome};
pub use refusal::{Gate, Refusal};
use ssl::plan_ssl;
pub use warnings::{
    CertificateScope, EXPIRY_ERROR_DAYS, EXPIRY_WARNING_DAYS, Level, Warning, WarningKind,
};

/// Choices the operator makes for one run, on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--allow-removals N`: up to N removals in this run, replacing `max` and `max_percent`.
    pub allow_removals: Option<u32>,
    /// `--allow-empty`: accept an empty desired set with `prune: true`.
    pub allow_empty: bool,
    /// `--retry-now NAME`: an order covering one of these names is placed although the ledger
    /// says its name set is backing off (Let's Encrypt's limits still hold).
    pub retry_now: BTreeSet<DomainName>,
}

/// The plan: everything `apply` will do, and everything held back, with reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub server_id: u64,
    pub app_id: u64,
    /// `None` when RunCloud gave no readable address and the file sets no `dns.server_ip`
    /// (possible only with `--skip-dns`).
    pub server_ip: Option<std::net::IpAddr>,
    pub api: ApiVersion,
    pub dns_checked: bool,
    /// Ordered by phase (removals, then additions and updates, then SSL), then by name.
    pub actions: Vec<Action>,
    pub deferred: Vec<Deferred>,
    /// Live names the plan deliberately leaves alone, with why.
    pub kept: Vec<Kept>,
    /// Certificates that will not renew, or expire soon; sorted by name.
    pub warnings: Vec<Warning>,
    /// Set when a safety gate refuses the whole run.
    pub refusal: Option<Refusal>,
    /// The domain list before and after this plan, sorted by name.
    pub live_list: Vec<ListedDomain>,
    pub planned_list: Vec<ListedDomain>,
    /// The SSL mode planned with (`auto` resolved), and why no SSL was planned, if so.
    pub ssl_mode: SslMode,
    /// Orders ask Let's Encrypt's staging environment (`ssl.environment: staging`).
    pub ssl_staging: bool,
    pub ssl_note: Option<String>,
    /// The DNS finding of every name this plan concerns (desired and planned names, with
    /// their `www.` twins); empty when DNS was not checked.
    pub dns: BTreeMap<DomainName, DnsFinding>,
    /// What the server's certificate says about each attached, DNS-ready name.
    pub tls: BTreeMap<DomainName, Coverage>,
    /// API requests the run made to compute this plan (not a decision: the command fills it
    /// in, so an operator can budget a nightly job against RunCloud's monthly quota).
    pub api_requests: Option<u64>,
}

/// One line of the domain list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ListedDomain {
    pub name: DomainName,
    pub kind: DomainKind,
    #[serde(flatten)]
    pub settings: DomainSettings,
}

impl Plan {
    /// Number of actions of each kind.
    pub fn counts(&self) -> BTreeMap<ActionKind, usize> {
        let mut c = BTreeMap::new();
        for a in &self.actions {
            *c.entry(a.kind()).or_insert(0) += 1;
        }
        c
    }

    pub fn count(&self, kind: ActionKind) -> usize {
        self.actions.iter().filter(|a| a.kind() == kind).count()
    }

    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }

    /// The server's address as shown: `unknown` when RunCloud gave none (with --skip-dns).
    pub fn server_ip_text(&self) -> String {
        self.server_ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into())
    }
}

/// The SSL mode the plan works with: `auto` follows the app's live mode.
pub fn effective_ssl_mode(desired: SslMode, live: &LiveState) -> SslMode {
    match desired {
        SslMode::Auto if live.ssl.advanced => SslMode::Advanced,
        SslMode::Auto => SslMode::Basic,
        other => other,
    }
}

/// Computes the plan. `ledger` is the history of certificate orders (`--ledger`), `None`
/// without one; `now` is UTC seconds.
pub fn plan(
    desired: &Desired,
    live: &LiveState,
    checks: &Checks,
    ledger: Option<&Ledger>,
    now: i64,
    options: &PlanOptions,
) -> Plan {
    let live_by_name: BTreeMap<&DomainName, &LiveDomain> =
        live.domains.iter().map(|d| (&d.name, d)).collect();
    let wanted: BTreeMap<&DomainName, DomainSettings> = desired
        .domains
        .iter()
        .map(|d| (&d.name, d.settings))
        .collect();
    let tombstoned: BTreeSet<&DomainName> = desired.tombstones.iter().collect();
    let mode = effective_ssl_mode(desired.ssl_mode, live);
    let dns_gate = checks.dns_checked && desired.dns.require && mode == SslMode::Basic;
    let ssl_gate = desired.dns.require;

    let mut removes = Vec::new();
    let mut changes = Vec::new();
    let mut deferred = Vec::new();
    let mut kept = Vec::new();

    // Live names: keep, update, remove.
    for (name, d) in &live_by_name {
        if d.kind == DomainKind::Other {
            // Not a primary or an alias: not ours to update, remove or re-type, whatever the
            // file says of the name.
            kept.push(Kept {
                name: (*name).clone(),
                why: KeptReason::OtherType,
            });
            continue;
        }
        if let Some(to) = wanted.get(name) {
            if d.settings != *to {
                if live.api.can_update_in_place() {
                    changes.push(Action::Update {
                        id: d.id,
                        name: (*name).clone(),
                        domain_kind: d.kind,
                        from: d.settings,
                        to: *to,
                    });
                } else {
                    deferred.push(Deferred {
                        kind: ActionKind::Update,
                        name: (*name).clone(),
                        reason: DeferReason::UpdateNeedsV3 {
                            from: d.settings,
                            to: *to,
                        },
                    });
                }
            }
            continue;
        }
        let tombstone = tombstoned.contains(name);
        if !tombstone && !desired.removals.prune {
            if d.kind == DomainKind::Alias {
                kept.push(Kept {
                    name: (*name).clone(),
                    why: KeptReason::PruneOff,
                });
            }
            continue;
        }
        if d.kind == DomainKind::Primary {
            kept.push(Kept {
                name: (*name).clone(),
                why: KeptReason::Primary,
            });
            continue;
        }
        if desired.removals.is_protected(name) {
            kept.push(Kept {
                name: (*name).clone(),
                why: KeptReason::Protected,
            });
            continue;
        }
        let grace = desired.removals.grace.as_secs();
        if !tombstone && grace > 0 && d.created_at.is_none() {
            // Its age is unknown, so it may have been added seconds ago: kept, unless
            // `grace: 0` says to prune regardless of age.
            kept.push(Kept {
                name: (*name).clone(),
                why: KeptReason::AgeUnknown,
            });
            continue;
        }
        if !tombstone && let Some(created) = d.created_at {
            let age = now - created;
            if age < grace as i64 {
                deferred.push(Deferred {
                    kind: ActionKind::Remove,
                    name: (*name).clone(),
                    reason: DeferReason::WithinGrace {
                        age_secs: age.max(0),
                        grace_secs: grace,
                    },
                });
                continue;
            }
        }
        removes.push(Action::Remove {
            id: d.id,
            name: (*name).clone(),
            reason: if tombstone {
                RemoveReason::Tombstone
            } else {
                RemoveReason::Unlisted
            },
        });
    }

    // Desired names not attached: add, or defer until DNS is ready.
    for (name, settings) in &wanted {
        if live_by_name.contains_key(name) {
            continue;
        }
        if dns_gate && let Some(f) = checks.dns_finding(name).filter(|f| !f.is_ready()) {
            deferred.push(Deferred {
                kind: ActionKind::Add,
                name: (*name).clone(),
                reason: DeferReason::DnsNotReady {
                    finding: f.label().to_string(),
                },
            });
            continue;
        }
        changes.push(Action::Add {
            name: (*name).clone(),
            settings: *settings,
        });
    }

    changes.sort_by(|a, b| a.name().cmp(b.name()));
    deferred.sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));

    let live_aliases = live
        .domains
        .iter()
        .filter(|d| d.kind == DomainKind::Alias)
        .count() as u32;
    let refusal = gate(desired, &removes, live_aliases, options);

    let mut actions = removes;
    actions.extend(changes);
    let projected = project(&live.domains, &actions);
    let mut orders = ledger::OrderGate::new(ledger, now, &options.retry_now);
    let (ssl_actions, ssl_deferred, ssl_note) =
        plan_ssl(live, checks, mode, ssl_gate, &projected, &mut orders);
    actions.extend(ssl_actions);
    deferred.extend(ssl_deferred);
    let warnings = warnings::warnings(live, checks, &projected, &actions, now);
    let mut relevant: BTreeSet<DomainName> = projected.iter().flat_map(cert_names).collect();
    for d in &desired.domains {
        relevant.insert(d.name.clone());
        if d.settings.www {
            relevant.insert(d.name.www_twin());
        }
    }
    let dns = checks
        .dns
        .iter()
        .filter(|(n, _)| relevant.contains(*n))
        .map(|(n, f)| (n.clone(), f.clone()))
        .collect();
    let tls = checks
        .tls
        .iter()
        .filter(|(n, _)| relevant.contains(*n))
        .map(|(n, c)| (n.clone(), c.clone()))
        .collect();
    let live_list = listed(&live.domains);
    let planned_list = listed(&projected);
    Plan {
        server_id: live.server_id,
        app_id: live.app_id,
        server_ip: live.server_ip,
        api: live.api,
        dns_checked: checks.dns_checked,
        actions,
        deferred,
        kept,
        warnings,
        refusal,
        live_list,
        planned_list,
        ssl_mode: mode,
        ssl_staging: desired.ssl_environment == crate::desired::raw::SslEnvironment::Staging,
        ssl_note,
        dns,
        tls,
        api_requests: None,
    }
}

fn gate(
    desired: &Desired,
    removes: &[Action],
    live_aliases: u32,
    options: &PlanOptions,
) -> Option<Refusal> {
    let would_remove = || removes.iter().map(|a| a.name().clone()).collect();
    if desired.is_empty_with_prune() && !options.allow_empty {
        return Some(Refusal {
            gate: Gate::EmptyDesired,
            would_remove: would_remove(),
        });
    }
    let n = removes.len() as u32;
    if n == 0 {
        return None;
    }
    let over = match options.allow_removals {
        Some(allowed) => n > allowed,
        None => {
            let r = &desired.removals;
            n > r.max || u64::from(n) * 100 > u64::from(r.max_percent) * u64::from(live_aliases)
        }
    };
    over.then(|| Refusal {
        gate: Gate::RemovalCap {
            removals: n,
            live_aliases,
            max: desired.removals.max,
            max_percent: desired.removals.max_percent,
            allowed: options.allow_removals,
        },
        would_remove: would_remove(),
    })
}

fn listed(domains: &[LiveDomain]) -> Vec<ListedDomain> {
    let mut l: Vec<ListedDomain> = domains
        .iter()
        .map(|d| ListedDomain {
            name: d.name.clone(),
            kind: d.kind,
            settings: d.settings,
        })
        .collect();
    l.sort();
    l
}

/// The domain list after `actions` succeed — what RunCloud would hold. Used for the plan's
/// diff, and by the property tests as the simulated RunCloud.
pub fn project(live: &[LiveDomain], actions: &[Action]) -> Vec<LiveDomain> {
    let mut out: BTreeMap<DomainName, LiveDomain> =
        live.iter().map(|d| (d.name.clone(), d.clone())).collect();
    let mut next_id = live.iter().map(|d| d.id).max().unwrap_or(0) + 1;
    for a in actions {
        match a {
            Action::Remove { name, .. } => {
                out.remove(name);
            }
            Action::Add { name, settings } => {
                out.entry(name.clone()).or_insert_with(|| {
                    next_id += 1;
                    LiveDomain {
                        id: next_id,
                        name: name.clone(),
                        kind: DomainKind::Alias,
                        settings: *settings,
                        wildcard: false,
                        created_at: None,
                    }
                });
            }
            Action::Update { name, to, .. } => {
                if let Some(d) = out.get_mut(name) {
                    d.settings = *to;
                }
            }
            Action::Ssl { .. } => {}
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests;
