//! The Markdown plan and report (pull-request comments, GitHub step summaries): snapshots of
//! small plans, and a 5,000-domain plan that stays under the comment size limit with its
//! summary whole (plans built in-process from model types), and the report and GitHub step
//! summary that `apply --format markdown` writes against the sandbox.

use rcdomains::model::{
    ActionKind, ApiVersion, DomainKind, DomainName, DomainSettings, Outcome, Redirection, Report,
    Status,
};
use rcdomains::plan::{
    Action, DeferReason, Deferred, Gate, Kept, KeptReason, ListedDomain, Plan, Refusal,
    RemoveReason, ResolvedSslMode, SslOrder, project,
};
use rcdomains::render::markdown::{self, LIMIT};

fn n(s: &str) -> DomainName {
    DomainName::from_live(s)
}

const WWW: DomainSettings = DomainSettings {
    www: true,
    redirection: Redirection::NonWww,
};

pub(crate) fn listed(name: &str, kind: DomainKind) -> ListedDomain {
    ListedDomain {
        name: n(name),
        kind,
        settings: WWW,
    }
}

/// A plan whose lists are consistent with its actions (the planned list is projected).
pub(crate) fn plan_with(
    live: Vec<ListedDomain>,
    actions: Vec<Action>,
    deferred: Vec<Deferred>,
) -> Plan {
    let live_domains: Vec<rcdomains::model::LiveDomain> = live
        .iter()
        .enumerate()
        .map(|(i, l)| rcdomains::model::LiveDomain {
            id: i as u64 + 1,
            name: l.name.clone(),
            kind: l.kind,
            settings: l.settings,
            wildcard: false,
            created_at: None,
        })
        .collect();
    let mut planned_list: Vec<ListedDomain> = project(&live_domains, &actions)
        .into_iter()
        .map(|d| ListedDomain {
            name: d.name,
            kind: d.kind,
            settings: d.settings,
        })
        .collect();
    planned_list.sort();
    let mut live_list = live;
    live_list.sort();
    Plan {
        api_requests: None,
        server_id: 11667,
        app_id: 940288,
        server_ip: Some("203.0.113.10".parse().unwrap()),
        api: ApiVersion::V3,
        dns_checked: true,
        actions,
        deferred,
        kept: vec![Kept {
            name: n("network.example"),
            why: KeptReason::Primary,
        }],
        warnings: vec![],
        refusal: None,
        live_list,
        planned_list,
        ssl_mode: ResolvedSslMode::Basic,
        ssl_staging: false,
        ssl_note: None,
        dns: Default::default(),
        tls: Default::default(),
    }
}

pub(crate) fn small_plan() -> Plan {
    plan_with(
        vec![
            listed("network.example", DomainKind::Primary),
            listed("old.example.com", DomainKind::Alias),
            ListedDomain {
                settings: DomainSettings {
                    www: false,
                    redirection: Redirection::None,
                },
                ..listed("shop.example.org", DomainKind::Alias)
            },
        ],
        vec![
            Action::Remove {
                id: 2,
                name: n("old.example.com"),
                reason: RemoveReason::Unlisted,
            },
            Action::Add {
                name: n("blog.example.net"),
                settings: WWW,
            },
            Action::Update {
                id: 3,
                name: n("shop.example.org"),
                domain_kind: DomainKind::Alias,
                from: DomainSettings {
                    www: false,
                    redirection: Redirection::None,
                },
                to: WWW,
            },
            Action::Ssl {
                name: n("network.example"),
                order: SslOrder::BasicRedeploy { certificate_id: 7 },
                covers: vec![n("blog.example.net"), n("network.example")],
            },
        ],
        vec![Deferred {
            kind: ActionKind::Add,
            name: n("late.example.com"),
            reason: DeferReason::DnsNotReady {
                finding: "nxdomain".into(),
            },
        }],
    )
}

#[test]
fn markdown_plan_small() {
    let text = markdown::plan(&small_plan(), Some("sha256:0123abcd"));
    assert!(text.find("| add |").unwrap() < text.find("#### Removals").unwrap());
    assert!(text.contains("<details>") && text.contains("</details>"));
    insta::assert_snapshot!("markdown_plan_small", text);
}

/// The small plan with live names that hold a line break, an HTML comment and a pipe, a
/// bidirectional override, backticks and a mention, removed under prune: each is shown as
/// code, marked, and nothing after `<!--` is hidden.
pub(crate) fn hostile_plan() -> Plan {
    let hostile = [
        "evil.example\n  + forged.example",
        "hide.example<!-- | x",
        "rtl\u{202e}elpmaxe.example",
        "tick``.example @team",
    ];
    let mut live = vec![listed("network.example", DomainKind::Primary)];
    live.extend(hostile.iter().map(|h| listed(h, DomainKind::Alias)));
    let actions = hostile
        .iter()
        .enumerate()
        .map(|(i, h)| Action::Remove {
            id: i as u64 + 2,
            name: n(h),
            reason: RemoveReason::Unlisted,
        })
        .collect();
    plan_with(live, actions, vec![])
}

#[test]
fn markdown_plan_with_hostile_live_names() {
    let text = markdown::plan(&hostile_plan(), None);
    assert!(
        text.contains("`hide.example<!-- `\\|` x` (invalid host name)"),
        "{text}"
    );
    insta::assert_snapshot!("markdown_plan_hostile_names", text);
}

#[test]
fn markdown_plan_without_changes() {
    let plan = plan_with(
        vec![listed("network.example", DomainKind::Primary)],
        vec![],
        vec![],
    );
    let text = markdown::plan(&plan, None);
    assert!(text.contains("**No changes**"), "{text}");
    assert!(!text.contains("<details>"), "no diff when nothing changes");
    insta::assert_snapshot!("markdown_plan_without_changes", text);
}

#[test]
fn markdown_plan_refused() {
    let mut plan = small_plan();
    plan.refusal = Some(Refusal {
        gate: Gate::RemovalCap {
            removals: 1,
            live_aliases: 2,
            max: 0,
            max_percent: 30,
            allowed: None,
        },
        would_remove: vec![n("old.example.com")],
    });
    let text = markdown::plan(&plan, None);
    assert!(text.contains("Refused, nothing will be changed"), "{text}");
    assert!(!text.contains("#### Removals"), "{text}");
    insta::assert_snapshot!("markdown_plan_refused", text);
}

/// 5,000 additions, 300 removals and 500 deferred names: far over the limit in full.
fn huge_plan() -> Plan {
    let mut live = vec![listed("network.example", DomainKind::Primary)];
    live.extend((0..300).map(|i| listed(&format!("gone-{i:04}.example.com"), DomainKind::Alias)));
    let mut actions: Vec<Action> = (0..300)
        .map(|i| Action::Remove {
            id: i + 2,
            name: n(&format!("gone-{i:04}.example.com")),
            reason: RemoveReason::Unlisted,
        })
        .collect();
    actions.extend((0..5000).map(|i| Action::Add {
        name: n(&format!("customer-{i:05}.example.org")),
        settings: WWW,
    }));
    let deferred = (0..500)
        .map(|i| Deferred {
            kind: ActionKind::Add,
            name: n(&format!("waiting-{i:04}.example.net")),
            reason: DeferReason::DnsNotReady {
                finding: "mismatch".into(),
            },
        })
        .collect();
    plan_with(live, actions, deferred)
}

#[test]
fn markdown_plan_of_5000_domains_stays_under_the_limit_with_its_summary_whole() {
    let plan = huge_plan();
    let text = markdown::plan(&plan, Some("sha256:feed"));
    assert!(text.len() <= LIMIT, "{} bytes", text.len());
    assert!(text.chars().count() <= 65_000);
    let summary_end = text.find("#### Removals").expect("the detail starts");
    let summary = &text[..summary_end];
    assert!(
        summary.contains("| 5000 | 0 | **300** | 0 | 500 |"),
        "{summary}"
    );
    assert!(
        summary.contains("**300 domains will be removed**"),
        "{summary}"
    );
    assert!(summary.contains("and 290 more"), "{summary}");
    assert!(text.contains("Truncated:"), "says it was cut");
    // Each section keeps its first lines: the additions do not crowd out the rest.
    for shown in [
        "**`gone-0000.example.com`**",
        "`customer-00000.example.org`",
        "| add | `waiting-0000.example.net` | DNS is not ready (`mismatch`)",
        "<details><summary>Domain list",
    ] {
        assert!(text.contains(shown), "{shown} missing");
    }
    // Every block opened is closed: the comment renders.
    assert_eq!(
        text.matches("<details>").count(),
        text.matches("</details>").count()
    );
    assert_eq!(text.matches("```").count() % 2, 0);
    let tail: String = {
        let cut = text.len().saturating_sub(700);
        let cut = (cut..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap();
        text[cut..].to_string()
    };
    insta::assert_snapshot!(
        "markdown_plan_5000_domains",
        format!("{summary}\n[… {} bytes in all …]\n{tail}", text.len())
    );
}

#[test]
fn markdown_report_lists_failures_first() {
    let report = Report {
        api_requests: None,
        outcomes: vec![
            Outcome {
                kind: ActionKind::Remove,
                name: n("old.example.com"),
                status: Status::Ok {
                    detail: "removed old.example.com".into(),
                },
            },
            Outcome {
                kind: ActionKind::Add,
                name: n("blog.example.net"),
                status: Status::Failed {
                    error: "422 from RunCloud: name | taken".into(),
                },
            },
            Outcome {
                kind: ActionKind::Ssl,
                name: n("network.example"),
                status: Status::Skipped {
                    why: "a domain change failed".into(),
                },
            },
        ],
        ..Default::default()
    };
    let text = markdown::report(&report);
    assert!(text.find("**failed**").unwrap() < text.find("removed old.example.com").unwrap());
    assert!(
        text.contains("| `422 from RunCloud: name `\\|` taken` |"),
        "a message is code, and its | an escaped pipe between code spans: {text}"
    );
    insta::assert_snapshot!("markdown_report", text);
}

#[test]
fn apply_writes_its_report_and_appends_the_markdown_summary_for_github() {
    use crate::support::*;
    let sb = Sandbox::start(&seed(
        &[
            "{name: main.example, type: primary, www: true, redirection: non-www}",
            "old.example",
        ],
        "",
    ));
    let f = desired(
        "removals: {prune: true, max: 5, max_percent: 100}\n",
        &["main.example", "new.example"],
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let run = rcd_env(
        Some(&sb),
        Auth::V3,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--format",
            "markdown",
            "--report",
            report.to_str().unwrap(),
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let statuses: Vec<(&str, &str, &str)> = json["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["name"].as_str().unwrap(),
                o["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("remove", "old.example", "ok"),
            ("add", "new.example", "ok")
        ]
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n"),
        "appended, not overwritten: {md}"
    );
    assert!(
        md.contains("new.example") && md.contains("old.example"),
        "{md}"
    );
    assert!(
        run.stdout.contains('|'),
        "a Markdown table on stdout: {}",
        run.stdout
    );
}

#[test]
fn markdown_plan_shows_each_name_that_is_not_ready_and_the_certificate() {
    use rcdomains::model::{Coverage, DnsFinding};
    let mut plan = small_plan();
    plan.dns_checked = true;
    plan.dns.insert(n("late.example.com"), DnsFinding::Nxdomain);
    plan.dns.insert(
        n("away.example"),
        DnsFinding::Mismatch {
            addresses: vec!["198.51.100.7".parse().unwrap()],
        },
    );
    plan.dns.insert(
        n("network.example"),
        DnsFinding::Ready {
            addresses: vec!["203.0.113.10".parse().unwrap()],
        },
    );
    plan.tls
        .insert(n("network.example"), Coverage::Covered { days_left: 41 });
    plan.tls.insert(
        n("shop.example.org"),
        Coverage::NotCovered {
            why: "the presented certificate does not name it".into(),
        },
    );
    let text = markdown::plan(&plan, None);
    assert!(
        text.contains("| `away.example` | mismatch: points at 198.51.100.7"),
        "{text}"
    );
    assert!(text.contains("| `late.example.com` | nxdomain"), "{text}");
    assert!(
        !text.contains("| `network.example` | ready"),
        "ready names are not listed as problems"
    );
    assert!(
        text.contains("| `network.example` | covered, expires in 41 days |"),
        "{text}"
    );
    assert!(
        text.contains("| `shop.example.org` | **not covered**"),
        "{text}"
    );
}

/// An international name is shown in Unicode beside its punycode, and the plan ends with what
/// happens on merge and the file and commit it was planned from — each as code.
#[test]
fn markdown_plan_shows_unicode_names_and_ends_with_its_origin() {
    use crate::support::*;
    let sb = Sandbox::start(&seed(&["{name: main.example, type: primary}"], ""));
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "bücher.example"],
    );
    let commit = "0123abcd`@everyone <!--";
    let run = rcd_env(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "markdown"],
        &[("GITHUB_SHA", commit)],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let md = &run.stdout;
    assert!(
        md.contains("`xn--bcher-kva.example` (`bücher.example`)"),
        "{md}"
    );
    let footer = md.trim_end().lines().last().unwrap();
    assert!(
        footer.starts_with("<sub>**On merge**, apply carries out the 1 action of this plan"),
        "{footer}"
    );
    assert!(
        footer.contains(&format!(
            "Planned from {} at commit {}.",
            rcdomains::escape::md_code(f.arg()),
            rcdomains::escape::md_code(commit)
        )),
        "{footer}"
    );
    // GitLab's variable when GitHub's is not set; none of either: no commit named.
    let run = rcd_env(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "markdown"],
        &[("CI_COMMIT_SHA", "feedface")],
    );
    assert!(
        run.stdout.contains("at commit `feedface`."),
        "{}",
        run.stdout
    );
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "markdown"],
    );
    assert!(!run.stdout.contains("at commit"), "{}", run.stdout);
}
