//! The planner's central law checked against the sandbox's world rather than against the
//! planner's own projection: after `apply`, a fresh `plan` finds nothing to do, and the web
//! app holds exactly what the file asks for (and its primary domain, which is never removed).
//!
//! API v3 only: v2 cannot update a domain in place, so there drift stays reported, not fixed.
//! Each case starts a sandbox and runs the binary twice, so the cases are few; the planner's
//! own laws are property-tested in `src/plan/tests.rs` with many more.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::support::*;

const REDIRECTIONS: [&str; 3] = ["none", "www", "non-www"];

/// A domain's settings as RunCloud holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Settings {
    www: bool,
    redirection: &'static str,
}

/// `www` as the desired file may write it.
#[derive(Debug, Clone, Copy)]
enum Www {
    On,
    Off,
    /// `www: apex`: on only for a registrable domain.
    Apex,
}

impl Www {
    fn yaml(self) -> &'static str {
        match self {
            Www::On => "true",
            Www::Off => "false",
            Www::Apex => "apex",
        }
    }
}

/// A small pool of names, so that the live list and the file overlap often: even ones are
/// subdomains (`www: apex` means off), odd ones registrable under a two-label public suffix
/// (`www: apex` means on).
fn name(i: u8) -> String {
    if registrable(i) {
        format!("shop{i}.co.uk")
    } else {
        format!("site{i}.example.org")
    }
}

fn registrable(i: u8) -> bool {
    i % 2 == 1
}

const POOL: u8 = 16;

prop_compose! {
    fn arb_settings()(www in any::<bool>(), r in 0..REDIRECTIONS.len()) -> Settings {
        Settings { www, redirection: REDIRECTIONS[r] }
    }
}

fn arb_www() -> impl Strategy<Value = Www> {
    prop_oneof![Just(Www::On), Just(Www::Off), Just(Www::Apex)]
}

/// The live web app: aliases, one of them the primary.
#[derive(Debug, Clone)]
struct Live {
    domains: BTreeMap<u8, Settings>,
    primary: u8,
}

prop_compose! {
    fn arb_live()(
        domains in prop::collection::btree_map(0..POOL, arb_settings(), 1..10),
        primary in any::<prop::sample::Index>(),
    ) -> Live {
        let primary = *primary.get(&domains.keys().copied().collect::<Vec<_>>());
        Live { domains, primary }
    }
}

/// The desired file's domains: names with `www` and `redirection` written out.
fn arb_listed() -> impl Strategy<Value = BTreeMap<u8, (Www, &'static str)>> {
    prop::collection::btree_map(
        0..POOL,
        (arb_www(), 0..REDIRECTIONS.len()).prop_map(|(w, r)| (w, REDIRECTIONS[r])),
        1..10,
    )
}

fn seed_of(live: &Live) -> String {
    let entries: Vec<String> = live
        .domains
        .iter()
        .map(|(&i, s)| {
            let kind = if i == live.primary {
                ", type: primary"
            } else {
                ""
            };
            format!(
                "{{name: {}{kind}, www: {}, redirection: {}}}",
                name(i),
                s.www,
                s.redirection
            )
        })
        .collect();
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    seed(&refs, "")
}

fn file_of(listed: &BTreeMap<u8, (Www, &'static str)>) -> DesiredFile {
    let entries: Vec<String> = listed
        .iter()
        .map(|(&i, (www, r))| {
            format!(
                "{{name: {}, www: {}, redirection: {r}}}",
                name(i),
                www.yaml()
            )
        })
        .collect();
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    desired(
        "removals: {prune: true, max: 100, max_percent: 100, grace: 0}\n",
        &refs,
    )
}

/// What the web app must hold after the apply: every name of the file with its settings, and
/// the primary as it was when the file does not list it.
fn expected(live: &Live, listed: &BTreeMap<u8, (Www, &'static str)>) -> BTreeMap<String, Settings> {
    let mut want: BTreeMap<String, Settings> = listed
        .iter()
        .map(|(&i, &(www, redirection))| {
            let www = match www {
                Www::On => true,
                Www::Off => false,
                Www::Apex => registrable(i),
            };
            (name(i), Settings { www, redirection })
        })
        .collect();
    want.entry(name(live.primary))
        .or_insert(live.domains[&live.primary]);
    want
}

fn world_of(sb: &Sandbox) -> BTreeMap<String, Settings> {
    sb.handle
        .world()
        .domains(1, 2)
        .into_iter()
        .map(|d| {
            (
                d.name,
                Settings {
                    www: d.www,
                    redirection: d.redirection.as_str(),
                },
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]

    #[test]
    fn applying_a_plan_to_the_sandbox_then_planning_again_gives_an_empty_plan(
        live in arb_live(),
        listed in arb_listed(),
    ) {
        let sb = Sandbox::start(&seed_of(&live));
        let f = file_of(&listed);

        let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes", "--skip-dns"]);
        prop_assert_eq!(apply.code, 0, "apply: {}", apply.all());

        let again = rcd(
            Some(&sb),
            Auth::V3,
            &["plan", "-f", f.arg(), "--skip-dns", "--detailed-exitcode"],
        );
        prop_assert_eq!(again.code, 0, "the plan after apply is not empty: {}", again.all());

        prop_assert_eq!(world_of(&sb), expected(&live, &listed));
        let primary = sb.handle.world().domains(1, 2).into_iter().find(|d| d.name == name(live.primary));
        prop_assert_eq!(primary.map(|d| d.kind.as_str()), Some("primary"));
    }
}
