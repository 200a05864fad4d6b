//! Laws of the planner, property-tested, and table tests of its gates.

use super::*;
use crate::desired::name::Pattern;
use crate::desired::raw::SslMode;
use crate::desired::{DesiredDomain, DnsPolicy, RemovalPolicy, Target};
use crate::model::{LedgerEntry, LiveSsl, OrderOutcome, Redirection};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const NOW: i64 = 1_800_000_000;

fn n(s: &str) -> DomainName {
    DomainName::new_unchecked(s.to_string())
}

fn settings(www: bool, r: u8) -> DomainSettings {
    DomainSettings {
        www,
        redirection: [Redirection::None, Redirection::Www, Redirection::NonWww][r as usize % 3],
    }
}

fn desired(domains: Vec<(&str, DomainSettings)>, prune: bool) -> Desired {
    Desired {
        source: "t.yaml".into(),
        target: Target::default(),
        ssl_mode: SslMode::Auto,
        ssl_environment: SslEnvironment::Live,
        dns: DnsPolicy {
            require: true,
            also_accept: vec![],
            server_ip: None,
        },
        removals: RemovalPolicy {
            prune,
            protect: vec![],
            max: 1000,
            max_percent: 100,
            grace: Duration::ZERO,
        },
        domains: domains
            .into_iter()
            .map(|(name, settings)| DesiredDomain {
                name: n(name),
                settings,
            })
            .collect(),
        tombstones: vec![],
    }
}

fn live_domain(id: u64, name: &str, kind: DomainKind, s: DomainSettings) -> LiveDomain {
    LiveDomain {
        id,
        name: n(name),
        kind,
        settings: s,
        wildcard: false,
        created_at: Some(NOW - 86400 * 30),
    }
}

fn live(domains: Vec<LiveDomain>) -> LiveState {
    LiveState {
        api: ApiVersion::V3,
        server_id: 1,
        app_id: 2,
        server_ip: Some("203.0.113.10".parse().unwrap()),
        domains,
        ssl: LiveSsl {
            auto_ssl: Some(false),
            ..LiveSsl::default()
        },
    }
}

fn run(d: &Desired, l: &LiveState) -> Plan {
    plan(d, l, &Checks::skipped(), None, NOW, &PlanOptions::default())
}

// ---- strategies (one place) -----------------------------------------------------------------

fn name_strategy() -> impl Strategy<Value = String> {
    (0u8..40).prop_map(|i| format!("d{i}.example"))
}

prop_compose! {
    fn arb_settings()(www in any::<bool>(), r in 0u8..3) -> DomainSettings { settings(www, r) }
}

prop_compose! {
    fn arb_desired()(
        names in prop::collection::btree_map(name_strategy(), arb_settings(), 0..25),
        tombs in prop::collection::btree_set(name_strategy(), 0..5),
        protect in prop::collection::btree_set(name_strategy(), 0..4),
        prune in any::<bool>(),
    ) -> Desired {
        let mut d = desired(vec![], prune);
        d.domains = names.iter().map(|(k, s)| DesiredDomain { name: n(k), settings: *s }).collect();
        d.tombstones = tombs.iter().filter(|t| !names.contains_key(*t) && !protect.contains(*t)).map(|t| n(t)).collect();
        d.removals.protect = protect.iter().map(|p| Pattern::Exact(n(p))).collect();
        d
    }
}

prop_compose! {
    fn arb_live()(
        names in prop::collection::btree_map(name_strategy(), arb_settings(), 0..30),
        primary_idx in any::<prop::sample::Index>(),
        v2 in any::<bool>(),
    ) -> LiveState {
        let mut domains: Vec<LiveDomain> = names.iter().enumerate()
            .map(|(i, (k, s))| live_domain(i as u64 + 1, k, DomainKind::Alias, *s)).collect();
        if !domains.is_empty() {
            let i = primary_idx.index(domains.len());
            domains[i].kind = DomainKind::Primary;
        }
        let mut l = live(domains);
        if v2 { l.api = ApiVersion::V2; }
        l
    }
}

fn apply_to(l: &LiveState, p: &Plan) -> LiveState {
    LiveState {
        domains: project(&l.domains, &p.actions),
        ..l.clone()
    }
}

proptest! {
    #[test]
    fn equal_states_give_an_empty_plan(d in arb_desired()) {
        let mut d = d;
        d.tombstones.clear();
        let l = live(d.domains.iter().enumerate()
            .map(|(i, x)| live_domain(i as u64 + 1, x.name.as_str(), DomainKind::Alias, x.settings)).collect());
        let p = run(&d, &l);
        prop_assert!(p.actions.is_empty(), "{:?}", p.actions);
        prop_assert!(p.refusal.is_none() || d.is_empty_with_prune());
    }

    #[test]
    fn applying_a_plan_then_planning_again_gives_an_empty_plan(d in arb_desired(), l in arb_live()) {
        let p1 = run(&d, &l);
        let l2 = apply_to(&l, &p1);
        let p2 = run(&d, &l2);
        prop_assert!(p2.actions.is_empty(), "second plan: {:?}", p2.actions);
        prop_assert_eq!(&p2.planned_list, &p1.planned_list);
    }

    #[test]
    fn removals_never_touch_primary_or_protected_names(d in arb_desired(), l in arb_live()) {
        let p = run(&d, &l);
        for a in &p.actions {
            if let Action::Remove { name, .. } = a {
                let live = l.domain(name).unwrap();
                prop_assert_eq!(live.kind, DomainKind::Alias);
                prop_assert!(!d.removals.is_protected(name));
            }
        }
    }

    #[test]
    fn input_order_does_not_change_the_plan(d in arb_desired(), l in arb_live(), seed in any::<u64>()) {
        let p1 = run(&d, &l);
        let mut d2 = d.clone();
        let mut l2 = l.clone();
        let mut rng = fastrand::Rng::with_seed(seed);
        rng.shuffle(&mut d2.domains);
        rng.shuffle(&mut d2.tombstones);
        rng.shuffle(&mut d2.removals.protect);
        rng.shuffle(&mut l2.domains);
        prop_assert_eq!(p1, run(&d2, &l2));
    }

    #[test]
    fn a_refused_plan_lists_exactly_its_removals(d in arb_desired(), l in arb_live(), max in 0u32..5, pct in 0u8..100) {
        let mut d = d;
        d.removals.max = max;
        d.removals.max_percent = pct;
        let p = run(&d, &l);
        let removals: Vec<_> = p.actions.iter().filter(|a| a.kind() == ActionKind::Remove).map(|a| a.name().clone()).collect();
        if let Some(r) = &p.refusal {
            prop_assert_eq!(&r.would_remove, &removals);
        } else {
            prop_assert!(removals.len() as u32 <= max);
        }
    }
}

// ---- table tests ----------------------------------------------------------------------------

fn s() -> DomainSettings {
    settings(true, 2)
}

#[test]
fn adds_updates_and_removes() {
    let d = desired(
        vec![("a.example", s()), ("b.example", settings(false, 0))],
        true,
    );
    let l = live(vec![
        live_domain(1, "main.example", DomainKind::Primary, s()),
        live_domain(2, "b.example", DomainKind::Alias, s()),
        live_domain(3, "old.example", DomainKind::Alias, s()),
    ]);
    let p = run(&d, &l);
    assert_eq!(
        p.actions,
        vec![
            Action::Remove {
                id: 3,
                name: n("old.example"),
                reason: RemoveReason::Unlisted
            },
            Action::Add {
                name: n("a.example"),
                settings: s()
            },
            Action::Update {
                id: 2,
                name: n("b.example"),
                domain_kind: DomainKind::Alias,
                from: s(),
                to: settings(false, 0)
            },
        ]
    );
    assert_eq!(
        p.kept,
        vec![Kept {
            name: n("main.example"),
            why: KeptReason::Primary
        }]
    );
    assert!(p.refusal.is_none());
    assert_eq!(p.approve().map(|a| a.actions.len()), Ok(p.actions.len()));
}

#[test]
fn prune_off_keeps_unlisted_aliases_but_tombstones_still_remove() {
    let mut d = desired(vec![("a.example", s())], false);
    d.tombstones = vec![n("gone.example")];
    let l = live(vec![
        live_domain(1, "a.example", DomainKind::Alias, s()),
        live_domain(2, "other.example", DomainKind::Alias, s()),
        live_domain(3, "gone.example", DomainKind::Alias, s()),
    ]);
    let p = run(&d, &l);
    assert_eq!(
        p.actions,
        vec![Action::Remove {
            id: 3,
            name: n("gone.example"),
            reason: RemoveReason::Tombstone
        }]
    );
    assert_eq!(
        p.kept,
        vec![Kept {
            name: n("other.example"),
            why: KeptReason::PruneOff
        }]
    );
}

#[test]
fn removal_cap_by_count_and_by_share_refuses_with_the_list() {
    let mut d = desired(vec![], true);
    d.domains = vec![DesiredDomain {
        name: n("keep.example"),
        settings: s(),
    }];
    d.removals.max = 2;
    d.removals.max_percent = 100;
    let l = live(
        (1..=4)
            .map(|i| live_domain(i, &format!("x{i}.example"), DomainKind::Alias, s()))
            .collect(),
    );
    let p = run(&d, &l);
    assert!(
        p.approve().is_err(),
        "a refused plan cannot be approved for apply"
    );
    let r = p.refusal.expect("3 removals over max 2");
    assert_eq!(
        r.would_remove,
        vec![
            n("x1.example"),
            n("x2.example"),
            n("x3.example"),
            n("x4.example")
        ]
    );

    // By share, on a small set: 1 of 2 aliases is 50% > 30%.
    d.removals.max = 10;
    d.removals.max_percent = 30;
    let l = live(vec![
        live_domain(1, "keep.example", DomainKind::Alias, s()),
        live_domain(2, "x.example", DomainKind::Alias, s()),
    ]);
    assert!(matches!(
        run(&d, &l).refusal,
        Some(Refusal {
            gate: Gate::RemovalCap {
                removals: 1,
                live_aliases: 2,
                ..
            },
            ..
        })
    ));

    // --allow-removals 1 lets exactly that run through; 0 does not.
    let opts = PlanOptions {
        allow_removals: Some(1),
        ..Default::default()
    };
    assert!(
        plan(&d, &l, &Checks::skipped(), None, NOW, &opts)
            .refusal
            .is_none()
    );
    let opts = PlanOptions {
        allow_removals: Some(0),
        ..Default::default()
    };
    assert!(
        plan(&d, &l, &Checks::skipped(), None, NOW, &opts)
            .refusal
            .is_some()
    );
}

#[test]
fn an_empty_desired_set_with_prune_is_refused_unless_allowed() {
    let d = desired(vec![], true);
    let l = live(vec![live_domain(1, "x.example", DomainKind::Alias, s())]);
    assert_eq!(
        run(&d, &l).refusal.map(|r| r.gate),
        Some(Gate::EmptyDesired)
    );
    let opts = PlanOptions {
        allow_empty: true,
        allow_removals: Some(5),
        ..Default::default()
    };
    assert!(
        plan(&d, &l, &Checks::skipped(), None, NOW, &opts)
            .refusal
            .is_none()
    );
}

#[test]
fn young_unlisted_aliases_are_kept_within_grace() {
    let mut d = desired(vec![], true);
    d.domains = vec![DesiredDomain {
        name: n("a.example"),
        settings: s(),
    }];
    d.removals.grace = Duration::from_secs(3600);
    let mut young = live_domain(2, "young.example", DomainKind::Alias, s());
    young.created_at = Some(NOW - 600);
    let l = live(vec![
        live_domain(1, "a.example", DomainKind::Alias, s()),
        young,
    ]);
    let p = run(&d, &l);
    assert!(p.actions.is_empty());
    assert_eq!(
        p.deferred[0].reason,
        DeferReason::WithinGrace {
            age_secs: 600,
            grace_secs: 3600
        }
    );
}

#[test]
fn v2_reports_drift_it_cannot_update() {
    let d = desired(vec![("a.example", settings(false, 0))], false);
    let mut l = live(vec![live_domain(1, "a.example", DomainKind::Alias, s())]);
    l.api = ApiVersion::V2;
    let p = run(&d, &l);
    assert!(p.actions.is_empty());
    assert_eq!(p.deferred.len(), 1);
    assert_eq!(p.deferred[0].kind, ActionKind::Update);
}

#[test]
fn basic_mode_defers_additions_whose_dns_is_not_ready() {
    let d = desired(
        vec![("ready.example", s()), ("elsewhere.example", s())],
        false,
    );
    let l = live(vec![]);
    let mut checks = Checks {
        dns_checked: true,
        ..Checks::default()
    };
    checks.dns.insert(
        n("ready.example"),
        DnsFinding::Ready {
            addresses: vec![l.server_ip.unwrap()],
        },
    );
    checks.dns.insert(
        n("elsewhere.example"),
        DnsFinding::Mismatch {
            addresses: vec!["198.51.100.1".parse().unwrap()],
        },
    );
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    assert_eq!(
        p.actions,
        vec![Action::Add {
            name: n("ready.example"),
            settings: s()
        }]
    );
    assert_eq!(p.deferred[0].name, n("elsewhere.example"));
    assert_eq!(
        p.deferred[0].reason,
        DeferReason::DnsNotReady {
            finding: "mismatch".into()
        }
    );
}

// ---- SSL ------------------------------------------------------------------------------------

fn arb_finding() -> impl Strategy<Value = DnsFinding> {
    prop_oneof![
        3 => Just(DnsFinding::Ready { addresses: vec!["203.0.113.10".parse().unwrap()] }),
        1 => Just(DnsFinding::Mismatch { addresses: vec!["198.51.100.1".parse().unwrap()] }),
        1 => Just(DnsFinding::Nxdomain),
        1 => Just(DnsFinding::Error { reason: "timed out".into() }),
    ]
}

fn arb_coverage() -> impl Strategy<Value = Coverage> {
    prop_oneof![
        Just(Coverage::Covered { days_left: 30 }),
        Just(Coverage::NotCovered {
            why: "not named".into()
        }),
        Just(Coverage::Unknown {
            why: "refused".into()
        }),
    ]
}

prop_compose! {
    fn arb_checks()(
        dns in prop::collection::btree_map(name_strategy(), arb_finding(), 0..40),
        www_dns in prop::collection::btree_map(name_strategy(), arb_finding(), 0..40),
        tls in prop::collection::btree_map(name_strategy(), arb_coverage(), 0..40),
        missing in any::<bool>(),
    ) -> Checks {
        let mut c = Checks { dns_checked: true, ..Checks::default() };
        for (k, f) in dns { c.dns.insert(n(&k), f); }
        if !missing {
            for (k, f) in www_dns { c.dns.insert(n(&format!("www.{k}")), f); }
        }
        for (k, v) in tls { c.tls.insert(n(&k), v); }
        c
    }
}

proptest! {
    #[test]
    fn no_ssl_order_covers_a_name_that_is_not_ready(
        d in arb_desired(), l in arb_live(), checks in arb_checks(),
        mode in prop_oneof![Just(SslMode::Auto), Just(SslMode::Basic), Just(SslMode::Advanced)],
        advanced_live in any::<bool>(), has_cert in any::<bool>(),
        auto_ssl in prop_oneof![Just(Some(true)), Just(Some(false)), Just(None)],
        cert_method in prop_oneof![Just(Some("letsencrypt".to_string())), Just(Some("custom".to_string())), Just(None)],
    ) {
        let mut d = d;
        d.ssl_mode = mode;
        let mut l = l;
        l.ssl.advanced = advanced_live;
        l.ssl.auto_ssl = auto_ssl;
        l.ssl.certificate = has_cert.then_some(crate::model::LiveCertificate { id: 9, valid_until: None, staging: false, method: cert_method.clone() });
        let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
        let orders: Vec<&Action> = p.actions.iter().filter(|a| a.kind() == ActionKind::Ssl).collect();
        if auto_ssl != Some(false) {
            prop_assert!(orders.is_empty(), "AutoSSL on or not reported: no orders");
        }
        if has_cert && cert_method.as_deref() != Some("letsencrypt") && effective_ssl_mode(mode, &l) == ResolvedSslMode::Basic {
            prop_assert!(orders.is_empty(), "a custom certificate is never redeployed or replaced: {orders:?}");
        }
        if effective_ssl_mode(mode, &l) == ResolvedSslMode::Basic {
            prop_assert!(orders.len() <= 1, "at most one basic order: {orders:?}");
        }
        for a in orders {
            if let Action::Ssl { covers, .. } = a {
                for name in covers {
                    prop_assert!(checks.is_ready(name), "ordered for {name}, finding {:?}", checks.dns.get(name));
                }
                prop_assert!(covers.len() <= CERTIFICATE_NAME_LIMIT);
            }
        }
        // Additions deferred in basic mode are exactly the desired, unattached, not-ready names.
        if effective_ssl_mode(mode, &l) == ResolvedSslMode::Basic {
            for a in &p.actions {
                if let Action::Add { name, .. } = a {
                    prop_assert!(checks.is_ready(name) || checks.dns_finding(name).is_none());
                }
            }
        }
    }

    #[test]
    fn skip_dns_never_orders_a_certificate(d in arb_desired(), l in arb_live()) {
        let p = plan(&d, &l, &Checks::skipped(), None, NOW, &PlanOptions::default());
        prop_assert!(p.actions.iter().all(|a| a.kind() != ActionKind::Ssl));
        prop_assert!(p.ssl_note.is_some());
    }
}

fn ready(names: &[&str]) -> Checks {
    let mut c = Checks {
        dns_checked: true,
        ..Checks::default()
    };
    for name in names {
        c.dns.insert(
            n(name),
            DnsFinding::Ready {
                addresses: vec!["203.0.113.10".parse().unwrap()],
            },
        );
    }
    c
}

#[test]
fn basic_mode_plans_one_redeploy_when_the_set_of_names_changes() {
    let d = desired(
        vec![
            ("a.example", settings(false, 0)),
            ("b.example", settings(false, 0)),
            ("c.example", settings(false, 0)),
        ],
        false,
    );
    let mut l = live(vec![live_domain(
        1,
        "a.example",
        DomainKind::Primary,
        settings(false, 0),
    )]);
    l.ssl.certificate = Some(crate::model::LiveCertificate {
        id: 7,
        valid_until: None,
        staging: false,
        method: Some("letsencrypt".into()),
    });
    let mut checks = ready(&["a.example", "b.example"]);
    checks.dns.insert(n("c.example"), DnsFinding::Nxdomain);
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    assert_eq!(
        p.actions,
        vec![
            Action::Add {
                name: n("b.example"),
                settings: settings(false, 0)
            },
            Action::Ssl {
                name: n("a.example"),
                order: SslOrder::BasicRedeploy { certificate_id: 7 },
                covers: vec![n("a.example"), n("b.example")]
            },
        ]
    );
    assert_eq!(p.deferred.len(), 1);
    assert_eq!(p.deferred[0].name, n("c.example"));
}

#[test]
fn basic_mode_defers_the_order_while_an_attached_name_is_not_ready() {
    let d = desired(vec![("a.example", settings(true, 2))], false);
    let l = live(vec![live_domain(
        1,
        "a.example",
        DomainKind::Primary,
        settings(true, 2),
    )]);
    // No certificate yet; www.a.example is not ready.
    let p = plan(
        &d,
        &l,
        &ready(&["a.example"]),
        None,
        NOW,
        &PlanOptions::default(),
    );
    assert!(p.actions.is_empty());
    assert_eq!(p.deferred[0].kind, ActionKind::Ssl);
    assert!(
        matches!(&p.deferred[0].reason, DeferReason::SslNamesNotReady { names, .. } if names == &vec![n("www.a.example")])
    );
}

#[test]
fn an_unknown_coverage_alone_never_orders() {
    let d = desired(vec![("a.example", settings(false, 0))], false);
    let mut l = live(vec![live_domain(
        1,
        "a.example",
        DomainKind::Primary,
        settings(false, 0),
    )]);
    l.ssl.certificate = Some(crate::model::LiveCertificate {
        id: 7,
        valid_until: None,
        staging: false,
        method: Some("letsencrypt".into()),
    });
    let mut checks = ready(&["a.example"]);
    checks.tls.insert(
        n("a.example"),
        Coverage::Unknown {
            why: "connection refused".into(),
        },
    );
    assert!(
        plan(&d, &l, &checks, None, NOW, &PlanOptions::default())
            .actions
            .is_empty()
    );
    checks.tls.insert(
        n("a.example"),
        Coverage::NotCovered {
            why: "expired".into(),
        },
    );
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    assert_eq!(p.actions.len(), 1, "a known uncovered name does order");
}

#[test]
fn advanced_mode_orders_per_ready_name_and_defers_the_rest() {
    let mut d = desired(
        vec![
            ("a.example", settings(false, 0)),
            ("b.example", settings(false, 0)),
            ("c.example", settings(false, 0)),
        ],
        false,
    );
    d.ssl_mode = SslMode::Advanced;
    let l = live(vec![
        live_domain(1, "a.example", DomainKind::Primary, settings(false, 0)),
        live_domain(2, "b.example", DomainKind::Alias, settings(false, 0)),
    ]);
    let mut checks = ready(&["a.example", "b.example"]);
    checks.dns.insert(
        n("c.example"),
        DnsFinding::Mismatch {
            addresses: vec!["198.51.100.1".parse().unwrap()],
        },
    );
    checks
        .tls
        .insert(n("a.example"), Coverage::Covered { days_left: 40 });
    checks.tls.insert(
        n("b.example"),
        Coverage::NotCovered {
            why: "expired".into(),
        },
    );
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    let ssl: Vec<&Action> = p
        .actions
        .iter()
        .filter(|a| a.kind() == ActionKind::Ssl)
        .collect();
    assert_eq!(
        ssl,
        vec![&Action::Ssl {
            name: n("b.example"),
            order: SslOrder::AdvancedInstall { domain_id: Some(2) },
            covers: vec![n("b.example")]
        }]
    );
    // c.example is attached (advanced mode does not hold additions back) but its order waits.
    assert!(p.actions.contains(&Action::Add {
        name: n("c.example"),
        settings: settings(false, 0)
    }));
    assert_eq!(
        p.deferred
            .iter()
            .map(|d| (d.kind, d.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(ActionKind::Ssl, "c.example")]
    );
}

#[test]
fn more_than_100_names_advise_advanced_ssl() {
    let names: Vec<String> = (0..101).map(|i| format!("n{i}.example")).collect();
    let d = desired(
        names
            .iter()
            .map(|s| (s.as_str(), settings(false, 0)))
            .collect(),
        false,
    );
    let l = live(vec![]);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let p = plan(&d, &l, &ready(&refs), None, NOW, &PlanOptions::default());
    assert!(p.actions.iter().all(|a| a.kind() != ActionKind::Ssl));
    assert!(
        p.deferred
            .iter()
            .any(|d| matches!(d.reason, DeferReason::OverCertificateLimit { names: 101 }))
    );
}

#[test]
fn json_tags_match_the_serde_names() {
    for o in [
        SslOrder::BasicInstall,
        SslOrder::BasicRedeploy { certificate_id: 1 },
        SslOrder::AdvancedInstall { domain_id: None },
    ] {
        assert_eq!(serde_json::to_value(&o).unwrap()["order"], o.as_str());
    }
    for k in [
        KeptReason::Primary,
        KeptReason::Protected,
        KeptReason::PruneOff,
    ] {
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
}

// ---- the ledger: back-off and Let's Encrypt's limits ----------------------------------------

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

fn entry(at: i64, names: &[&str], outcome: OrderOutcome) -> LedgerEntry {
    let mut names: Vec<DomainName> = names.iter().map(|s| n(s)).collect();
    names.sort();
    LedgerEntry {
        at,
        server: 1,
        app: 2,
        names,
        outcome,
        message: "Let's Encrypt said no".into(),
    }
}

fn ledger(entries: Vec<LedgerEntry>) -> Ledger {
    Ledger { orders: entries }
}

/// An advanced-mode app with `names` attached (www off), every name ready and not covered:
/// each would get an order.
fn advanced_all_uncovered(names: &[String]) -> (Desired, LiveState, Checks) {
    let mut d = desired(
        names
            .iter()
            .map(|s| (s.as_str(), settings(false, 0)))
            .collect(),
        false,
    );
    d.ssl_mode = SslMode::Advanced;
    let mut l = live(
        names
            .iter()
            .enumerate()
            .map(|(i, s)| live_domain(i as u64 + 1, s, DomainKind::Alias, settings(false, 0)))
            .collect(),
    );
    l.ssl.advanced = true;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut checks = ready(&refs);
    for s in names {
        checks.tls.insert(
            n(s),
            Coverage::NotCovered {
                why: "not named".into(),
            },
        );
    }
    (d, l, checks)
}

fn ssl_orders(p: &Plan) -> Vec<&Vec<DomainName>> {
    p.actions
        .iter()
        .filter_map(|a| match a {
            Action::Ssl { covers, .. } => Some(covers),
            _ => None,
        })
        .collect()
}

fn deferred_reasons(p: &Plan) -> Vec<&DeferReason> {
    p.deferred
        .iter()
        .filter(|d| d.kind == ActionKind::Ssl)
        .map(|d| &d.reason)
        .collect()
}

#[test]
fn a_failed_order_backs_off_one_hour_then_six_then_twenty_four() {
    let names = vec!["a.example.com".to_string()];
    let (d, l, checks) = advanced_all_uncovered(&names);
    let opts = PlanOptions::default();
    let plan_with = |entries: Vec<LedgerEntry>| {
        let ledger = ledger(entries);
        plan(&d, &l, &checks, Some(&ledger), NOW, &opts)
    };
    let failed = |at| entry(at, &["a.example.com"], OrderOutcome::Failed);
    let cases: Vec<(Vec<LedgerEntry>, Option<i64>)> = vec![
        (vec![], None),
        (vec![failed(NOW - 30 * 60)], Some(NOW + 30 * 60)),
        (vec![failed(NOW - HOUR)], None),
        (
            vec![failed(NOW - 3 * HOUR), failed(NOW - 2 * HOUR)],
            Some(NOW + 4 * HOUR),
        ),
        (
            vec![
                failed(NOW - 9 * HOUR),
                failed(NOW - 8 * HOUR),
                failed(NOW - 7 * HOUR),
            ],
            Some(NOW + 17 * HOUR),
        ),
        (
            vec![
                failed(NOW - 40 * HOUR),
                failed(NOW - 30 * HOUR),
                failed(NOW - 20 * HOUR),
                failed(NOW - 10 * HOUR),
            ],
            Some(NOW + 14 * HOUR),
        ),
        // A success in between starts the count again; an unknown outcome counts as a failure.
        (
            vec![
                failed(NOW - 5 * HOUR),
                entry(NOW - 4 * HOUR, &["a.example.com"], OrderOutcome::Ok),
                entry(NOW - 2 * HOUR, &["a.example.com"], OrderOutcome::Unknown),
            ],
            None,
        ),
        (
            vec![entry(
                NOW - 10 * 60,
                &["a.example.com"],
                OrderOutcome::Unknown,
            )],
            Some(NOW + 50 * 60),
        ),
        // Another set of names (with its www twin) is not this one.
        (
            vec![entry(
                NOW - 60,
                &["a.example.com", "www.a.example.com"],
                OrderOutcome::Failed,
            )],
            None,
        ),
    ];
    for (i, (entries, due)) in cases.into_iter().enumerate() {
        let p = plan_with(entries);
        match due {
            None => assert_eq!(ssl_orders(&p).len(), 1, "case {i}: {:?}", p.deferred),
            Some(due) => {
                assert!(ssl_orders(&p).is_empty(), "case {i}");
                assert!(
                    matches!(deferred_reasons(&p)[..], [DeferReason::BackingOff { due_at, .. }] if *due_at == due),
                    "case {i}: {:?}",
                    p.deferred
                );
            }
        }
    }
}

#[test]
fn retry_now_orders_through_a_back_off_but_not_through_a_limit() {
    let names = vec!["a.example.com".to_string()];
    let (d, l, checks) = advanced_all_uncovered(&names);
    let opts = PlanOptions {
        retry_now: [n("a.example.com")].into(),
        ..Default::default()
    };
    let one = ledger(vec![entry(
        NOW - 60,
        &["a.example.com"],
        OrderOutcome::Failed,
    )]);
    let p = plan(&d, &l, &checks, Some(&one), NOW, &opts);
    assert_eq!(ssl_orders(&p).len(), 1, "{:?}", p.deferred);
    let five = ledger(
        (1..=5)
            .map(|i| entry(NOW - i * 60, &["a.example.com"], OrderOutcome::Failed))
            .collect(),
    );
    let p = plan(&d, &l, &checks, Some(&five), NOW, &opts);
    assert!(ssl_orders(&p).is_empty());
    assert_eq!(
        deferred_reasons(&p),
        vec![&DeferReason::LetsEncryptLimit {
            limit: LetsEncryptLimit::FailedValidations,
            key: n("a.example.com"),
            count: 5,
            // The oldest of the five leaves the hour's window.
            due_at: Some(NOW - 5 * 60 + HOUR),
        }]
    );
}

#[test]
fn five_certificates_for_the_same_names_a_week_is_the_limit() {
    let names = vec!["a.example.com".to_string()];
    let (d, l, checks) = advanced_all_uncovered(&names);
    let opts = PlanOptions::default();
    let issued = |k: i64| -> Vec<LedgerEntry> {
        (0..k)
            .map(|i| entry(NOW - (i + 1) * DAY, &["a.example.com"], OrderOutcome::Ok))
            .collect()
    };
    let four = ledger(issued(4));
    assert_eq!(
        ssl_orders(&plan(&d, &l, &checks, Some(&four), NOW, &opts)).len(),
        1
    );
    let five = ledger(issued(5));
    let p = plan(&d, &l, &checks, Some(&five), NOW, &opts);
    assert!(ssl_orders(&p).is_empty());
    assert!(
        matches!(
            deferred_reasons(&p)[..],
            [DeferReason::LetsEncryptLimit {
                limit: LetsEncryptLimit::DuplicateCertificate,
                count: 5,
                due_at: Some(due),
                ..
            }] if *due == NOW - 5 * DAY + 7 * DAY
        ),
        "{:?}",
        p.deferred
    );
}

#[test]
fn fifty_certificates_per_registered_domain_a_week_counts_this_plans_orders() {
    let names: Vec<String> = (0..5).map(|i| format!("s{i}.example.com")).collect();
    let (d, l, checks) = advanced_all_uncovered(&names);
    // 48 certificates for other names under example.com (and one for another registered
    // domain, which does not count) in the last week.
    let mut history: Vec<LedgerEntry> = (0..48)
        .map(|i| {
            entry(
                NOW - DAY - i * HOUR,
                &[&format!("old{i}.example.com")],
                OrderOutcome::Ok,
            )
        })
        .collect();
    history.push(entry(NOW - DAY, &["x.example.org"], OrderOutcome::Ok));
    history.push(entry(
        NOW - 8 * DAY,
        &["gone.example.com"],
        OrderOutcome::Ok,
    ));
    let history = ledger(history);
    let p = plan(
        &d,
        &l,
        &checks,
        Some(&history),
        NOW,
        &PlanOptions::default(),
    );
    assert_eq!(ssl_orders(&p).len(), 2, "{:?}", p.deferred);
    let limited: Vec<_> = deferred_reasons(&p)
        .into_iter()
        .filter(|r| {
            matches!(
                r,
                DeferReason::LetsEncryptLimit {
                    limit: LetsEncryptLimit::CertificatesPerRegisteredDomain,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(limited.len(), 3, "{:?}", p.deferred);
    assert!(matches!(
        limited[0],
        DeferReason::LetsEncryptLimit { key, count: 50, .. } if key.as_str() == "example.com"
    ));
}

#[test]
fn without_a_ledger_a_run_orders_at_most_ten_per_registered_domain() {
    let mut names: Vec<String> = (0..12).map(|i| format!("s{i:02}.example.com")).collect();
    names.push("other.example.org".into());
    let (d, l, checks) = advanced_all_uncovered(&names);
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    assert_eq!(
        ssl_orders(&p).len(),
        11,
        "10 under example.com, 1 under example.org"
    );
    let capped: Vec<&DeferReason> = deferred_reasons(&p);
    assert_eq!(capped.len(), 2);
    assert!(capped.iter().all(|r| matches!(
        r,
        DeferReason::RunCap { registered_domain, cap: 10 } if registered_domain.as_str() == "example.com"
    )));
    assert!(
        capped[0].to_string().contains("--ledger FILE"),
        "{}",
        capped[0]
    );
}

fn pool_name(i: u8) -> String {
    if i < 50 {
        format!("a{i}.example.com")
    } else {
        format!("b{i}.example.co.uk")
    }
}

prop_compose! {
    fn arb_entry()(
        i in 0u8..60,
        www in any::<bool>(),
        ago in prop_oneof![0i64..2 * 3_600, 0i64..8 * 86_400],
        outcome in prop_oneof![3 => Just(OrderOutcome::Ok), 2 => Just(OrderOutcome::Failed), 1 => Just(OrderOutcome::Unknown)],
    ) -> LedgerEntry {
        let name = pool_name(i);
        let mut names = vec![n(&name)];
        if www { names.push(n(&format!("www.{name}"))); }
        names.sort();
        LedgerEntry { at: NOW - ago, server: 1, app: 2, names, outcome, message: "m".into() }
    }
}

prop_compose! {
    fn arb_order_world()(
        wanted in prop::collection::btree_map(0u8..60, any::<bool>(), 1..60),
        attached in prop::collection::btree_set(0u8..60, 0..60),
        advanced in any::<bool>(),
        covered in prop::collection::btree_set(0u8..60, 0..20),
    ) -> (Desired, LiveState, Checks) {
        let mut d = desired(
            wanted.iter().map(|(i, www)| (pool_name(*i), settings(*www, 0))).collect::<Vec<_>>()
                .iter().map(|(s, st)| (s.as_str(), *st)).collect(),
            false,
        );
        d.ssl_mode = if advanced { SslMode::Advanced } else { SslMode::Basic };
        let mut l = live(attached.iter().map(|i| {
            let www = wanted.get(i).copied().unwrap_or(false);
            live_domain(u64::from(*i) + 1, &pool_name(*i), DomainKind::Alias, settings(www, 0))
        }).collect());
        l.ssl.advanced = advanced;
        let mut names: Vec<String> = Vec::new();
        for i in 0u8..60 {
            names.push(pool_name(i));
            names.push(format!("www.{}", pool_name(i)));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut checks = ready(&refs);
        for name in &names {
            let i: u8 = name.trim_start_matches("www.")[1..].split('.').next().unwrap().parse().unwrap();
            let c = if covered.contains(&i) { Coverage::Covered { days_left: 40 } } else { Coverage::NotCovered { why: "x".into() } };
            checks.tls.insert(n(name), c);
        }
        (d, l, checks)
    }
}

proptest! {
    #[test]
    fn no_order_is_placed_inside_a_back_off_window_or_over_a_limit(
        world in arb_order_world(),
        entries in prop::collection::vec(arb_entry(), 0..160),
        retry in prop::collection::btree_set(0u8..60, 0..3),
    ) {
        let (d, l, checks) = world;
        let history = Ledger { orders: entries };
        let opts = PlanOptions {
            retry_now: retry.iter().map(|i| n(&pool_name(*i))).collect(),
            ..Default::default()
        };
        let p = plan(&d, &l, &checks, Some(&history), NOW, &opts);
        let orders = ssl_orders(&p);
        let in_window = |e: &&LedgerEntry, secs: i64| e.at > NOW - secs && e.at <= NOW;
        let mut per_registered: BTreeMap<DomainName, usize> = BTreeMap::new();
        for covers in &orders {
            let retried = covers.iter().any(|c| opts.retry_now.contains(c));
            if !retried {
                prop_assert!(history.back_off(covers, NOW).is_none(), "ordered inside a back-off: {covers:?}");
            }
            for name in covers.iter() {
                let failed = history.orders.iter()
                    .filter(|e| in_window(e, HOUR) && e.outcome == OrderOutcome::Failed && e.names.contains(name))
                    .count();
                prop_assert!(failed < 5, "{name}: {failed} failed validations in the hour");
            }
            let mut set = (*covers).clone();
            set.sort();
            let same = history.orders.iter()
                .filter(|e| in_window(e, 7 * DAY) && e.outcome != OrderOutcome::Failed && e.names == set)
                .count();
            prop_assert!(same < 5, "{set:?}: {same} certificates this week");
            let registered: BTreeSet<DomainName> = covers.iter().map(ledger::registered_domain).collect();
            for r in registered {
                *per_registered.entry(r).or_insert(0) += 1;
            }
        }
        for (r, planned) in &per_registered {
            let issued = history.orders.iter()
                .filter(|e| in_window(e, 7 * DAY) && e.outcome != OrderOutcome::Failed)
                .filter(|e| e.names.iter().any(|x| &ledger::registered_domain(x) == r))
                .count();
            prop_assert!(issued + planned <= 50, "{r}: {issued} issued + {planned} planned");
        }
        for reason in deferred_reasons(&p) {
            if let Some(due) = reason.due_at() {
                prop_assert!(due > NOW, "due in the past: {reason:?}");
            }
        }
    }

    #[test]
    fn without_a_ledger_no_run_orders_more_than_ten_per_registered_domain(world in arb_order_world()) {
        let (d, l, checks) = world;
        let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
        let mut per_registered: BTreeMap<DomainName, usize> = BTreeMap::new();
        for covers in ssl_orders(&p) {
            let registered: BTreeSet<DomainName> = covers.iter().map(ledger::registered_domain).collect();
            for r in registered {
                *per_registered.entry(r).or_insert(0) += 1;
            }
        }
        prop_assert!(per_registered.values().all(|k| *k <= ledger::RUN_CAP_WITHOUT_LEDGER), "{per_registered:?}");
    }

    #[test]
    fn the_ledger_changes_only_ssl_orders(d in arb_desired(), l in arb_live(), checks in arb_checks(),
        entries in prop::collection::vec(arb_entry(), 0..40)) {
        let history = Ledger { orders: entries };
        let with = plan(&d, &l, &checks, Some(&history), NOW, &PlanOptions::default());
        let without = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
        let domain_actions = |p: &Plan| p.actions.iter().filter(|a| a.kind() != ActionKind::Ssl).cloned().collect::<Vec<_>>();
        prop_assert_eq!(domain_actions(&with), domain_actions(&without));
    }
}

// ---- warnings -------------------------------------------------------------------------------

fn letsencrypt(id: u64) -> crate::model::LiveCertificate {
    crate::model::LiveCertificate {
        id,
        valid_until: None,
        staging: false,
        method: Some("letsencrypt".into()),
    }
}

#[test]
fn basic_mode_warns_that_a_name_that_left_the_server_endangers_the_one_certificate() {
    let d = desired(
        vec![
            ("main.example", settings(false, 0)),
            ("moved.example", settings(false, 0)),
        ],
        false,
    );
    let mut l = live(vec![
        live_domain(1, "main.example", DomainKind::Primary, settings(false, 0)),
        live_domain(2, "moved.example", DomainKind::Alias, settings(false, 0)),
    ]);
    l.ssl.certificate = Some(letsencrypt(7));
    let mut checks = ready(&["main.example"]);
    checks.dns.insert(
        n("moved.example"),
        DnsFinding::Mismatch {
            addresses: vec!["198.51.100.1".parse().unwrap()],
        },
    );
    checks
        .tls
        .insert(n("main.example"), Coverage::Covered { days_left: 30 });
    checks
        .tls
        .insert(n("moved.example"), Coverage::Covered { days_left: 30 });
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert_eq!(
        p.warnings,
        vec![Warning {
            kind: WarningKind::RenewalAtRisk,
            level: Level::Warning,
            name: n("moved.example"),
            days_left: Some(30),
            finding: Some("mismatch".into()),
            certificate: CertificateScope::App { names: 2 },
            ordered: false,
            twin_of: None,
            resolver: None,
        }]
    );
    let detail = p.warnings[0].detail(&|x| x.to_string());
    assert!(detail.contains("tombstone"), "{detail}");
    assert!(detail.contains("advanced SSL"), "{detail}");
    assert!(detail.contains("expires in 30 days"), "{detail}");

    // A custom certificate does not renew through Let's Encrypt: nothing is at risk.
    l.ssl.certificate = Some(crate::model::LiveCertificate {
        method: Some("custom".into()),
        ..letsencrypt(7)
    });
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn advanced_mode_warns_per_domain_and_only_where_a_certificate_exists() {
    let mut d = desired(
        vec![
            ("kept.example", settings(true, 2)),
            ("moved.example", settings(false, 0)),
            ("never.example", settings(false, 0)),
        ],
        false,
    );
    d.ssl_mode = SslMode::Advanced;
    let mut l = live(vec![
        live_domain(1, "kept.example", DomainKind::Primary, settings(true, 2)),
        live_domain(2, "moved.example", DomainKind::Alias, settings(false, 0)),
        live_domain(3, "never.example", DomainKind::Alias, settings(false, 0)),
    ]);
    l.ssl.advanced = true;
    let mut checks = ready(&["kept.example"]);
    checks
        .dns
        .insert(n("www.kept.example"), DnsFinding::Nxdomain);
    checks.dns.insert(n("moved.example"), DnsFinding::Nxdomain);
    checks.dns.insert(n("never.example"), DnsFinding::Nxdomain);
    checks
        .tls
        .insert(n("kept.example"), Coverage::Covered { days_left: 50 });
    checks
        .tls
        .insert(n("www.kept.example"), Coverage::Covered { days_left: 50 });
    checks
        .tls
        .insert(n("moved.example"), Coverage::Covered { days_left: 12 });
    checks.tls.insert(
        n("never.example"),
        Coverage::NotCovered {
            why: "not named".into(),
        },
    );
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    let seen: Vec<(&str, WarningKind, Level, Option<i64>)> = p
        .warnings
        .iter()
        .map(|w| (w.name.as_str(), w.kind, w.level, w.days_left))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "moved.example",
                WarningKind::RenewalAtRisk,
                Level::Warning,
                Some(12)
            ),
            (
                "moved.example",
                WarningKind::CertificateExpiring,
                Level::Warning,
                Some(12)
            ),
            (
                "www.kept.example",
                WarningKind::RenewalAtRisk,
                Level::Warning,
                Some(50)
            ),
        ]
    );
    assert_eq!(
        p.warnings[2].certificate,
        CertificateScope::Domain {
            domain: n("kept.example")
        }
    );
    assert_eq!(p.warnings[2].twin_of, Some(n("kept.example")));
    let detail = p.warnings[2].detail(&|x| format!("<{x}>"));
    assert!(
        detail.contains("set `www: false` for <kept.example> or tombstone it"),
        "{detail}"
    );
}

#[test]
fn expiry_warns_under_21_days_and_is_an_error_under_7() {
    for (days, expected) in [
        (40, None),
        (21, None),
        (20, Some(Level::Warning)),
        (7, Some(Level::Warning)),
        (6, Some(Level::Error)),
        (0, Some(Level::Error)),
    ] {
        for advanced in [false, true] {
            let mut d = desired(
                vec![
                    ("a.example", settings(false, 0)),
                    ("b.example", settings(false, 0)),
                ],
                false,
            );
            d.ssl_mode = if advanced {
                SslMode::Advanced
            } else {
                SslMode::Basic
            };
            let mut l = live(vec![
                live_domain(1, "a.example", DomainKind::Primary, settings(false, 0)),
                live_domain(2, "b.example", DomainKind::Alias, settings(false, 0)),
            ]);
            l.ssl.advanced = advanced;
            l.ssl.certificate = (!advanced).then(|| letsencrypt(7));
            let mut checks = ready(&["a.example", "b.example"]);
            checks
                .tls
                .insert(n("a.example"), Coverage::Covered { days_left: 80 });
            checks
                .tls
                .insert(n("b.example"), Coverage::Covered { days_left: days });
            let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
            let levels: Vec<(Level, &str)> = p
                .warnings
                .iter()
                .filter(|w| w.kind == WarningKind::CertificateExpiring)
                .map(|w| (w.level, w.name.as_str()))
                .collect();
            assert_eq!(
                levels,
                expected
                    .map(|l| (l, "b.example"))
                    .into_iter()
                    .collect::<Vec<_>>(),
                "{days} days, advanced {advanced}"
            );
        }
    }
}

#[test]
fn a_plan_suspects_the_system_resolver_when_every_name_failed_through_it() {
    let d = desired(
        vec![
            ("main.example", settings(false, 0)),
            ("moved.example", settings(false, 0)),
        ],
        false,
    );
    let mut l = live(vec![
        live_domain(1, "main.example", DomainKind::Primary, settings(false, 0)),
        live_domain(2, "moved.example", DomainKind::Alias, settings(false, 0)),
    ]);
    l.ssl.certificate = Some(letsencrypt(7));
    let system: Vec<std::net::IpAddr> = vec!["10.0.0.53".parse().unwrap()];
    let mut checks = Checks {
        dns_checked: true,
        system_resolvers: Some(system.clone()),
        ..Checks::default()
    };
    checks.dns.insert(n("main.example"), DnsFinding::Nxdomain);
    checks.dns.insert(
        n("moved.example"),
        DnsFinding::Error {
            reason: "A: request timed out".into(),
        },
    );
    let p = plan(&d, &l, &checks, None, NOW, &PlanOptions::default());
    let kinds: Vec<(WarningKind, &str)> = p
        .warnings
        .iter()
        .map(|w| (w.kind, w.name.as_str()))
        .collect();
    // First, before the renewal warnings it may explain.
    assert_eq!(
        kinds,
        vec![
            (WarningKind::ResolverSuspect, "main.example"),
            (WarningKind::RenewalAtRisk, "main.example"),
            (WarningKind::RenewalAtRisk, "moved.example"),
        ]
    );
    let w = &p.warnings[0];
    assert_eq!(w.level, Level::Warning);
    assert_eq!(w.finding.as_deref(), Some("nxdomain"));
    assert_eq!(
        w.resolver,
        Some(crate::model::SystemResolverFailure {
            servers: system,
            nxdomain: 1,
            error: 1,
        })
    );
    assert_eq!(
        w.detail(&|x| x.to_string()),
        "every one of the 2 names checked failed to resolve through the system resolver (10.0.0.53): 1 nxdomain, 1 error (this one: nxdomain); the resolver itself may be the cause, not the names: check /etc/resolv.conf, or pass --resolver IP:PORT"
    );

    // A named resolver (`--resolver`) is not suspected: the user chose it.
    let mut named = checks.clone();
    named.system_resolvers = None;
    let p = plan(&d, &l, &named, None, NOW, &PlanOptions::default());
    assert!(
        p.warnings
            .iter()
            .all(|w| w.kind != WarningKind::ResolverSuspect),
        "{:?}",
        p.warnings
    );

    // One name that resolves clears the resolver.
    let mut one_resolves = checks.clone();
    one_resolves.dns.insert(
        n("main.example"),
        DnsFinding::Ready {
            addresses: vec![l.server_ip.unwrap()],
        },
    );
    let p = plan(&d, &l, &one_resolves, None, NOW, &PlanOptions::default());
    assert!(
        p.warnings
            .iter()
            .all(|w| w.kind != WarningKind::ResolverSuspect),
        "{:?}",
        p.warnings
    );
}
