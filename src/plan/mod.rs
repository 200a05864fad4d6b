//! The planner: `plan(desired, live, checks, now, options) -> Plan`.
//!
//! Owns every decision — what to add, update, remove, defer, and why — and the safety gates
//! (removal caps, an empty desired set). Pure and synchronous: no I/O, no randomness, the clock
//! only as the `now` it is given. `apply` carries a plan out and makes no choices of its own.

use crate::checks::dns::DnsFinding;
use crate::checks::{Checks, Coverage, cert_names};
use crate::desired::Desired;
use crate::desired::raw::SslMode;
use crate::model::{ApiVersion, DomainKind, DomainName, DomainSettings, LiveDomain, LiveState};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Choices the operator makes for one run, on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--allow-removals N`: up to N removals in this run, replacing `max` and `max_percent`.
    pub allow_removals: Option<u32>,
    /// `--allow-empty`: accept an empty desired set with `prune: true`.
    pub allow_empty: bool,
}

/// The plan: everything `apply` will do, and everything held back, with reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub server_id: u64,
    pub app_id: u64,
    pub server_ip: std::net::IpAddr,
    pub api: ApiVersion,
    pub dns_checked: bool,
    /// Ordered by phase (removals, then additions and updates, then SSL), then by name.
    pub actions: Vec<Action>,
    pub deferred: Vec<Deferred>,
    /// Live names the plan deliberately leaves alone, with why.
    pub kept: Vec<Kept>,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    Remove {
        id: u64,
        name: DomainName,
        reason: RemoveReason,
    },
    Add {
        name: DomainName,
        #[serde(flatten)]
        settings: DomainSettings,
    },
    Update {
        id: u64,
        name: DomainName,
        domain_kind: DomainKind,
        from: DomainSettings,
        to: DomainSettings,
    },
    /// A certificate order, after the domain changes. `name` is the domain it is for (basic
    /// mode: the app's primary domain, or the first name); `covers` every name it must cover,
    /// each of them DNS-ready when planned.
    Ssl {
        name: DomainName,
        order: SslOrder,
        covers: Vec<DomainName>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "order", rename_all = "kebab-case")]
pub enum SslOrder {
    /// Basic mode, no certificate yet: `POST …/webapps/{w}/ssl`.
    BasicInstall,
    /// Basic mode: `PUT …/webapps/{w}/ssl/{certificate_id}` (Let's Encrypt redeploy).
    BasicRedeploy { certificate_id: u64 },
    /// Advanced mode: `POST …/domains/{d}/ssl` for this domain; `domain_id` is `None` for a
    /// domain this run adds (apply reads its id after adding it).
    AdvancedInstall { domain_id: Option<u64> },
}

/// Let's Encrypt's limit of names on one certificate.
pub const CERTIFICATE_NAME_LIMIT: usize = 100;

impl Action {
    pub fn name(&self) -> &DomainName {
        match self {
            Action::Remove { name, .. }
            | Action::Add { name, .. }
            | Action::Update { name, .. }
            | Action::Ssl { name, .. } => name,
        }
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Remove { .. } => ActionKind::Remove,
            Action::Add { .. } => ActionKind::Add,
            Action::Update { .. } => ActionKind::Update,
            Action::Ssl { .. } => ActionKind::Ssl,
        }
    }

    /// The phase `apply` runs it in: 0 removals, 1 additions and updates, 2 SSL.
    pub fn phase(&self) -> u8 {
        match self {
            Action::Remove { .. } => 0,
            Action::Add { .. } | Action::Update { .. } => 1,
            Action::Ssl { .. } => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Remove,
    Add,
    Update,
    Ssl,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Remove => "remove",
            ActionKind::Add => "add",
            ActionKind::Update => "update",
            ActionKind::Ssl => "ssl",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoveReason {
    /// Attached, not in the file, and `prune: true`.
    Unlisted,
    /// `state: absent` in the file.
    Tombstone,
}

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
    /// AutoSSL manages the certificates: no order is placed; reported because a name is not
    /// covered.
    AutoSsl { not_covered: Vec<DomainName> },
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
            DeferReason::AutoSsl { not_covered } => {
                let shown: Vec<&str> = not_covered.iter().take(5).map(DomainName::as_str).collect();
                write!(
                    f,
                    "AutoSSL is on, so no order is placed; not covered now: {}",
                    shown.join(", ")
                )
            }
        }
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
}

impl fmt::Display for KeptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeptReason::Primary => "the app's primary domain is never removed",
            KeptReason::Protected => "protected by removals.protect",
            KeptReason::PruneOff => "not in the file; kept because removals.prune is off",
        })
    }
}

/// A safety gate refused the run; nothing may be changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    #[serde(flatten)]
    pub gate: Gate,
    /// What would have been removed.
    pub would_remove: Vec<DomainName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "gate", rename_all = "kebab-case")]
pub enum Gate {
    RemovalCap {
        removals: u32,
        live_aliases: u32,
        max: u32,
        max_percent: u8,
        allowed: Option<u32>,
    },
    EmptyDesired,
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gate::RemovalCap {
                removals,
                live_aliases,
                allowed: Some(n),
                ..
            } => write!(
                f,
                "{removals} removals of {live_aliases} live aliases exceed --allow-removals {n}; re-run with --allow-removals {removals} if they are intended"
            ),
            Gate::RemovalCap {
                removals,
                live_aliases,
                max,
                max_percent,
                allowed: None,
            } => write!(
                f,
                "{removals} removals of {live_aliases} live aliases exceed the cap (removals.max {max}, removals.max_percent {max_percent}%); check the list, then re-run with --allow-removals {removals} or raise the cap in the file"
            ),
            Gate::EmptyDesired => write!(
                f,
                "the file lists no domains and removals.prune is true: every unprotected alias would be removed; re-run with --allow-empty if that is intended"
            ),
        }
    }
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
}

/// The SSL mode the plan works with: `auto` follows the app's live mode.
pub fn effective_ssl_mode(desired: SslMode, live: &LiveState) -> SslMode {
    match desired {
        SslMode::Auto if live.ssl.advanced => SslMode::Advanced,
        SslMode::Auto => SslMode::Basic,
        other => other,
    }
}

/// Computes the plan. `now` is UTC seconds.
pub fn plan(
    desired: &Desired,
    live: &LiveState,
    checks: &Checks,
    now: i64,
    options: PlanOptions,
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
        if !tombstone && let Some(created) = d.created_at {
            let age = now - created;
            let grace = desired.removals.grace.as_secs();
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
    let (ssl_actions, ssl_deferred, ssl_note) = plan_ssl(live, checks, mode, ssl_gate, &projected);
    actions.extend(ssl_actions);
    deferred.extend(ssl_deferred);
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
        refusal,
        live_list,
        planned_list,
        ssl_mode: mode,
        ssl_staging: desired.ssl_environment == crate::desired::raw::SslEnvironment::Staging,
        ssl_note,
        dns,
        tls,
    }
}

type SslPlan = (Vec<Action>, Vec<Deferred>, Option<String>);

/// Certificate orders after the domain changes, per mode. Never orders a certificate covering
/// a name that is not DNS-ready (while `dns.require` is on), and never only because the TLS
/// probe failed (`Coverage::Unknown` counts as neither covered nor not covered).
fn plan_ssl(
    live: &LiveState,
    checks: &Checks,
    mode: SslMode,
    require_dns: bool,
    projected: &[LiveDomain],
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
    let mut actions = Vec::new();
    let mut deferred = Vec::new();
    match mode {
        SslMode::Advanced => {
            for d in projected {
                let names = cert_names(d);
                let before = live_by_id
                    .get(&d.id)
                    .filter(|l| l.name == d.name)
                    .map(|l| cert_names(l));
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
                    if !covered && !missing.is_empty() && !live.ssl.auto_ssl {
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
                if live.ssl.auto_ssl {
                    if !uncovered.is_empty() {
                        deferred.push(Deferred {
                            kind: ActionKind::Ssl,
                            name: d.name.clone(),
                            reason: DeferReason::AutoSsl {
                                not_covered: uncovered,
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
                let domain_id = live_by_id
                    .get(&d.id)
                    .filter(|l| l.name == d.name)
                    .map(|l| l.id);
                actions.push(Action::Ssl {
                    name: d.name.clone(),
                    order: SslOrder::AdvancedInstall { domain_id },
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
            if live.ssl.auto_ssl {
                if !uncovered.is_empty() {
                    deferred.push(Deferred {
                        kind: ActionKind::Ssl,
                        name: anchor,
                        reason: DeferReason::AutoSsl {
                            not_covered: uncovered,
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
            actions.push(Action::Ssl {
                name: anchor,
                order,
                covers,
            });
        }
    }
    (actions, deferred, None)
}

fn gate(
    desired: &Desired,
    removes: &[Action],
    live_aliases: u32,
    options: PlanOptions,
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
