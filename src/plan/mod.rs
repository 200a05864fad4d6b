//! The planner: `plan(desired, live, checks, ledger, now, options) -> Plan`.
//!
//! Owns every decision — what to add, update, remove, defer, and why — the safety gates
//! (removal caps, an empty desired set), the order gate (the ledger's back-off and Let's
//! Encrypt's limits) and the warnings. Pure and synchronous: no I/O, no randomness, the clock
//! only as the `now` it is given, the order history only as the ledger it is given. It reads
//! the checks' findings as model types and imports no module that owns a socket. `apply`
//! carries a plan out — only an `Approved` one — and makes no choices of its own.

use crate::desired::Desired;
use crate::desired::raw::SslEnvironment;
use crate::model::ActionKind;
use crate::model::{
    ApiVersion, Checks, Coverage, DnsFinding, DomainKind, DomainName, DomainSettings, LiveDomain,
    LiveState, cert_names,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod action;
pub mod audit;
mod deferred;
pub mod ledger;
mod refusal;
mod ssl;
mod warnings;

pub use action::{Action, CERTIFICATE_NAME_LIMIT, Phase, RemoveReason, SslOrder};
pub use deferred::{DeferReason, Deferred, Kept, KeptReason, auto_ssl_why};
pub use ledger::{Ledger, LetsEncryptLimit};
pub use refusal::{Gate, Refusal};
use ssl::plan_ssl;
pub use ssl::{ResolvedSslMode, effective_ssl_mode};
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
    pub ssl_mode: ResolvedSslMode,
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

    /// The plan as `apply` may carry it out, or the refusal of the safety gate that stopped
    /// it: a refused plan cannot reach `apply`.
    pub fn approve(&self) -> Result<Approved<'_>, &Refusal> {
        match &self.refusal {
            Some(refusal) => Err(refusal),
            None => Ok(Approved { plan: self }),
        }
    }
}

/// A plan that no safety gate refused: what `apply::run` takes. Only [`Plan::approve`] makes
/// one, and it borrows the plan, so the plan cannot change while it is approved.
#[derive(Debug, Clone, Copy)]
pub struct Approved<'a> {
    plan: &'a Plan,
}

impl<'a> Approved<'a> {
    pub fn plan(&self) -> &'a Plan {
        self.plan
    }
}

impl std::ops::Deref for Approved<'_> {
    type Target = Plan;

    fn deref(&self) -> &Plan {
        self.plan
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
    let mode = effective_ssl_mode(desired.ssl_mode, live);
    let dns_gate = checks.dns_checked && desired.dns.require && mode == ResolvedSslMode::Basic;
    let DomainChanges {
        removes,
        changes,
        mut deferred,
        kept,
    } = DomainChanges::decide(desired, live, checks, dns_gate, now);

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
    let (ssl_actions, ssl_deferred, ssl_note) = plan_ssl(
        live,
        checks,
        mode,
        desired.dns.require,
        &projected,
        &mut orders,
    );
    actions.extend(ssl_actions);
    deferred.extend(ssl_deferred);
    let warnings = warnings::warnings(live, checks, &projected, &actions, now);
    let (dns, tls) = relevant_findings(desired, &projected, checks);
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
        live_list: listed(&live.domains),
        planned_list: listed(&projected),
        ssl_mode: mode,
        ssl_staging: desired.ssl_environment == SslEnvironment::Staging,
        ssl_note,
        dns,
        tls,
        api_requests: None,
    }
}

/// The changes to the domain list, before SSL: removals, then additions and updates (each
/// sorted by name), with what is held back and what is left alone on purpose.
#[derive(Default)]
struct DomainChanges {
    removes: Vec<Action>,
    changes: Vec<Action>,
    deferred: Vec<Deferred>,
    kept: Vec<Kept>,
}

/// What becomes of an attached name the file does not list (or tombstones).
enum Unlisted {
    Keep(KeptReason),
    Defer(DeferReason),
    Remove(RemoveReason),
}

impl DomainChanges {
    /// Every attached name is kept, updated or removed; every desired name not attached is
    /// added, or deferred by the DNS gate (`dns_gate`: basic SSL with `dns.require`).
    fn decide(
        desired: &Desired,
        live: &LiveState,
        checks: &Checks,
        dns_gate: bool,
        now: i64,
    ) -> DomainChanges {
        let live_by_name: BTreeMap<&DomainName, &LiveDomain> =
            live.domains.iter().map(|d| (&d.name, d)).collect();
        let wanted: BTreeMap<&DomainName, DomainSettings> = desired
            .domains
            .iter()
            .map(|d| (&d.name, d.settings))
            .collect();
        let tombstoned: BTreeSet<&DomainName> = desired.tombstones.iter().collect();
        let mut out = DomainChanges::default();
        for (name, d) in &live_by_name {
            let tombstone = tombstoned.contains(name);
            out.attached(
                desired,
                live.api,
                d,
                wanted.get(name).copied(),
                tombstone,
                now,
            );
        }
        for (name, settings) in &wanted {
            if !live_by_name.contains_key(name) {
                out.unattached(name, *settings, dns_gate.then_some(checks));
            }
        }
        out.changes.sort_by(|a, b| a.name().cmp(b.name()));
        out.deferred
            .sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));
        out
    }

    /// An attached name: an update when the file lists it with other settings, else what
    /// becomes of an unlisted name. A type other than primary or alias is never touched.
    fn attached(
        &mut self,
        desired: &Desired,
        api: ApiVersion,
        d: &LiveDomain,
        wanted: Option<DomainSettings>,
        tombstone: bool,
        now: i64,
    ) {
        let name = &d.name;
        if d.kind == DomainKind::Other {
            // Not a primary or an alias: not ours to update, remove or re-type, whatever the
            // file says of the name.
            self.keep(name, KeptReason::OtherType);
            return;
        }
        if let Some(to) = wanted {
            if d.settings != to {
                self.update(api, d, to);
            }
            return;
        }
        match unlisted(desired, d, tombstone, now) {
            None => {}
            Some(Unlisted::Keep(why)) => self.keep(name, why),
            Some(Unlisted::Defer(reason)) => self.deferred.push(Deferred {
                kind: ActionKind::Remove,
                name: name.clone(),
                reason,
            }),
            Some(Unlisted::Remove(reason)) => self.removes.push(Action::Remove {
                id: d.id,
                name: name.clone(),
                reason,
            }),
        }
    }

    /// An attached name whose settings differ from the file's: updated in place (API v3), or
    /// reported as drift that API v2 cannot update.
    fn update(&mut self, api: ApiVersion, d: &LiveDomain, to: DomainSettings) {
        if api.can_update_in_place() {
            self.changes.push(Action::Update {
                id: d.id,
                name: d.name.clone(),
                domain_kind: d.kind,
                from: d.settings,
                to,
            });
        } else {
            self.deferred.push(Deferred {
                kind: ActionKind::Update,
                name: d.name.clone(),
                reason: DeferReason::UpdateNeedsV3 {
                    from: d.settings,
                    to,
                },
            });
        }
    }

    /// A desired name that is not attached: added, unless `checks` (the DNS gate, when on)
    /// finds it not ready.
    fn unattached(&mut self, name: &DomainName, settings: DomainSettings, gate: Option<&Checks>) {
        if let Some(f) = gate
            .and_then(|checks| checks.dns_finding(name))
            .filter(|f| !f.is_ready())
        {
            self.deferred.push(Deferred {
                kind: ActionKind::Add,
                name: name.clone(),
                reason: DeferReason::DnsNotReady {
                    finding: f.label().to_string(),
                },
            });
            return;
        }
        self.changes.push(Action::Add {
            name: name.clone(),
            settings,
        });
    }

    fn keep(&mut self, name: &DomainName, why: KeptReason) {
        self.kept.push(Kept {
            name: name.clone(),
            why,
        });
    }
}

/// What becomes of an attached primary or alias that the file does not list: nothing while
/// `prune` is off (an alias is reported kept), else removed — unless it is the primary, is
/// protected, or may be younger than `removals.grace`. A tombstone removes it whatever its
/// age.
fn unlisted(desired: &Desired, d: &LiveDomain, tombstone: bool, now: i64) -> Option<Unlisted> {
    if !tombstone && !desired.removals.prune {
        return (d.kind == DomainKind::Alias).then_some(Unlisted::Keep(KeptReason::PruneOff));
    }
    if d.kind == DomainKind::Primary {
        return Some(Unlisted::Keep(KeptReason::Primary));
    }
    if desired.removals.is_protected(&d.name) {
        return Some(Unlisted::Keep(KeptReason::Protected));
    }
    let grace = desired.removals.grace.as_secs();
    if !tombstone && grace > 0 && d.created_at.is_none() {
        // Its age is unknown, so it may have been added seconds ago: kept, unless `grace: 0`
        // says to prune regardless of age.
        return Some(Unlisted::Keep(KeptReason::AgeUnknown));
    }
    if !tombstone && let Some(created) = d.created_at {
        let age = now - created;
        if age < grace as i64 {
            return Some(Unlisted::Defer(DeferReason::WithinGrace {
                age_secs: age.max(0),
                grace_secs: grace,
            }));
        }
    }
    Some(Unlisted::Remove(if tombstone {
        RemoveReason::Tombstone
    } else {
        RemoveReason::Unlisted
    }))
}

/// The DNS findings and the certificate coverage of every name this plan concerns: the names
/// attached after it and the desired names, each with its `www.` twin.
fn relevant_findings(
    desired: &Desired,
    projected: &[LiveDomain],
    checks: &Checks,
) -> (
    BTreeMap<DomainName, DnsFinding>,
    BTreeMap<DomainName, Coverage>,
) {
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
    (dns, tls)
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
