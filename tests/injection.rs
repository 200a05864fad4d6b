//! Untrusted data stays data: live names (and API messages, DNS and TLS errors) that hold line
//! breaks, terminal escapes, bidirectional overrides, Markdown or HTML are shown escaped in the
//! text plan, the Markdown plan and report, errors and log lines — end to end against the
//! sandbox, and as a property over every renderer with plans built in-process.
//!
//! The Markdown is rendered with pulldown-cmark (tables, strikethrough, footnotes, as GitHub
//! has them) and compared with the same plan over harmless names: the same elements, no link,
//! image, HTML or comment the names supplied, and every name still shown. GitHub's own filters
//! (mentions, issue and commit references, URL autolinks) act on text outside code, so text
//! outside code must hold no `@`, `#`, `www.` or `://`.

use crate::markdown::{listed, plan_with};
use crate::support::*;
use proptest::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use rcdomains::escape;
use rcdomains::model::{
    ActionKind, Coverage, DnsFinding, DomainKind, DomainName, Outcome, Report, Status,
};
use rcdomains::plan::{
    Action, DeferReason, Deferred, Kept, KeptReason, Plan, RemoveReason, SslOrder,
};
use rcdomains::render::markdown::LIMIT;
use rcdomains::render::{Style, markdown, text};

/// Names a hostile or careless RunCloud could hold, each aimed at one way out.
const HOSTILE: &[&str] = &[
    "forge.example\n  - main.example (www on, redirection non-www)\n  + forged.example",
    "cr.example\r  + overwritten.example",
    "hide.example<!--",
    "osc.example\u{1b}]8;;https://evil.example/\u{7}click\u{1b}]8;;\u{7}",
    "red.example\u{1b}[31m\u{1b}[2J",
    "bidi\u{202e}elpmaxe.example\u{2066}x\u{2069}\u{200e}\u{200f}\u{61c}",
    "cell.example | <img src=x onerror=alert(1)> | ![i](https://evil.example/i.png)",
    "tick`code`.example</details><script>alert(1)</script>",
    "link.example [click](https://evil.example) <https://evil.example> www.evil.example @octocat #1",
    "fence.example\n```\n# heading\n<details><summary>x",
    "nul\u{0}del\u{7f}c1\u{85}\u{9b}ls\u{2028}ps\u{2029}.example",
    "**bold** _em_ ~~strike~~ \\*esc\\* &amp; &#64;x [^1].example",
];

/// How a name is shown, escaped (`escape::text`); only the start of a name longer than any
/// host name is shown.
fn shown(name: &DomainName) -> String {
    let s = name.as_str();
    let s = if s.len() > 253 {
        &s[..s.char_indices().nth(32).map_or(s.len(), |(i, _)| i)]
    } else {
        s
    };
    escape::text(s).into_owned()
}

/// No character a terminal acts on, other than line breaks.
fn assert_no_control(label: &str, out: &str) {
    if let Some(c) = out.chars().find(|&c| c != '\n' && escape::is_control(c)) {
        panic!("{label}: raw {c:?} in:\n{}", escape::text(out));
    }
}

fn gfm(md: &str) -> Parser<'_> {
    Parser::new_ext(
        md,
        Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_TASKLISTS,
    )
}

/// The elements of rendered Markdown, in order, without the text and code they hold.
fn shape(md: &str) -> Vec<String> {
    gfm(md)
        .filter_map(|e| match e {
            Event::Text(_) | Event::Code(_) => None,
            other => Some(format!("{other:?}")),
        })
        .collect()
}

/// The text and code of rendered Markdown, in order: what a reader sees.
fn visible(md: &str) -> String {
    gfm(md)
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.into_string()),
            _ => None,
        })
        .collect()
}

/// The properties of a Markdown plan or report over hostile names, against the same over
/// harmless ones: the same elements, in the same order (so no element, link, image, HTML
/// block, comment or heading came from a name), nothing GitHub would link outside code, every
/// name in `names` still shown, and the size limit kept.
fn assert_markdown_holds(label: &str, md: &str, harmless: &str, names: &[DomainName]) {
    assert!(md.len() <= LIMIT, "{label}: {} bytes", md.len());
    assert_no_control(label, md);
    assert_eq!(shape(md), shape(harmless), "{label}:\n{md}");
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, gfm(md));
    let mut html_harmless = String::new();
    pulldown_cmark::html::push_html(&mut html_harmless, gfm(harmless));
    for tag in [
        "<a ",
        "<img",
        "<!--",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
        "<h5",
        "<h6",
        "<script",
        "<details",
        "</details>",
        "<pre",
        "<table",
        "<tr",
        "<em",
        "<strong",
        "<del",
        "<sup",
    ] {
        assert_eq!(
            html.matches(tag).count(),
            html_harmless.matches(tag).count(),
            "{label}: {tag} in:\n{html}"
        );
    }
    let mut in_code_block = false;
    for e in gfm(md) {
        match e {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) if !in_code_block => {
                for linked in ["@", "#", "www.", "://"] {
                    assert!(
                        !t.contains(linked),
                        "{label}: {linked:?} outside code would be linked by GitHub: {t:?}"
                    );
                }
            }
            _ => {}
        }
    }
    let seen = visible(md);
    for n in names {
        assert!(
            seen.contains(&shown(n)),
            "{label}: {:?} hidden; visible text:\n{seen}",
            shown(n)
        );
    }
}

/// `out` without the colour codes `Style` writes (`ESC [ digits ; m`).
fn uncoloured(out: &str) -> String {
    let mut rest = out;
    let mut plain = String::new();
    while let Some(at) = rest.find("\u{1b}[") {
        plain.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[len..].starts_with('m') {
            rest = &after[len + 1..];
        } else {
            plain.push('\u{1b}');
            rest = &rest[at + 1..];
        }
    }
    plain.push_str(rest);
    plain
}

/// The text plan over hostile names has exactly the lines of the same plan over harmless ones
/// (no line forged) and no raw control character; every name is shown, escaped.
fn assert_text_holds(label: &str, out: &str, harmless: &str, names: &[DomainName]) {
    assert_no_control(label, out);
    assert_eq!(
        out.lines().count(),
        harmless.lines().count(),
        "{label}: a line was forged:\n{out}"
    );
    for n in names {
        assert!(out.contains(&shown(n)), "{label}: {:?} missing", shown(n));
    }
}

fn sandbox_with(aliases: &[String]) -> Sandbox {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "a.example"],
        "",
    ));
    for name in aliases {
        sb.handle
            .world()
            .add_raw_domain_behind_back(
                1,
                2,
                name,
                rcdomains::sandbox::SeedDomainKind::Alias,
                "2024-01-01 00:00:00",
            )
            .expect("the sandbox attaches it");
    }
    sb
}

fn plan_run(sb: &Sandbox, format: &str) -> Run {
    // The seed's domains (and the hostile ones) have www off and no redirection.
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, max: 100, max_percent: 100}\n",
        &["main.example", "a.example"],
    );
    let run = rcd(
        Some(sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", format, "--skip-dns"],
    );
    assert_eq!(run.code, 0, "{}", escape::text(&run.all()));
    run
}

/// A live alias with a line break forged a `+ …` line under "Removals" in the text plan, and
/// a name ending in `<!--` hid the removals after it in the Markdown plan.
#[test]
fn hostile_live_names_cannot_forge_lines_or_markup_in_the_plan() {
    let mut hostile: Vec<String> = HOSTILE.iter().map(ToString::to_string).collect();
    hostile.push(format!("{}.example", "x".repeat(100_000)));
    let harmless: Vec<String> = (0..hostile.len())
        .map(|i| format!("harmless-{i:02}.example"))
        .collect();
    let names: Vec<DomainName> = hostile.iter().map(|h| DomainName::from_live(h)).collect();
    let sb = sandbox_with(&hostile);
    let calm = sandbox_with(&harmless);

    let out = plan_run(&sb, "text");
    let calm_out = plan_run(&calm, "text");
    assert_text_holds("text plan", &out.stdout, &calm_out.stdout, &names);
    assert_no_control("text plan stderr", &out.stderr);
    assert!(
        !out.stdout
            .lines()
            .any(|l| l.trim_start().starts_with('+') && !l.starts_with("+++")),
        "nothing is added, so no + line:\n{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.matches(" (invalid host name").count(),
        calm_out.stdout.matches("harmless-00.example").count() * names.len(),
        "each hostile name is marked wherever it is shown:\n{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("(invalid host name, 100008 bytes, cut)")
    );

    let md = plan_run(&sb, "markdown");
    let calm_md = plan_run(&calm, "markdown");
    assert_markdown_holds("markdown plan", &md.stdout, &calm_md.stdout, &names);
    assert!(
        md.stdout
            .contains(&format!("**{} domains will be removed**", hostile.len())),
        "the summary is whole:\n{}",
        md.stdout
    );

    // JSON keeps every name exactly, with nothing a terminal acts on in its text.
    let json = plan_run(&sb, "json");
    assert_no_control("json plan", &json.stdout);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let mut removed: Vec<&str> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "remove")
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    removed.sort();
    let mut expected: Vec<&str> = names.iter().map(DomainName::as_str).collect();
    expected.sort();
    assert_eq!(removed, expected);
    assert!(sb.writes().is_empty(), "plan writes nothing");
}

#[test]
fn hostile_names_in_the_desired_file_cannot_forge_an_error_line() {
    let f = DesiredFile::new(
        "version: 1\ntarget: {server: 1, app: 2}\ndomains:\n  - \"ok.example\\e[2J\\u202e\\nerror: all good\\n  caused by: nothing\"\n",
    );
    let run = rcd(None, Auth::None, &["validate", "-f", f.arg()]);
    assert_eq!(run.code, 1, "{}", escape::text(&run.all()));
    assert_no_control("validate stderr", &run.stderr);
    for l in run.stderr.lines() {
        assert!(
            !l.starts_with("error: all good") && !l.starts_with("  caused by: nothing"),
            "forged line {l:?} in:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("\\u{1b}[2J"), "{}", run.stderr);
}

#[test]
fn hostile_names_in_a_network_export_are_warned_about_escaped() {
    let rows = serde_json::json!([
        {"id": "1", "blog_id": "1", "domain": "network.example", "active": "1", "primary_domain": "1", "stage": "done"},
        {"id": "2", "blog_id": "2", "domain": "bad\u{1b}[31m\nWARN forged\u{202e}.example", "active": "1", "primary_domain": "1", "stage": "done"},
    ])
    .to_string();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("domains.json");
    std::fs::write(&input, rows).unwrap();
    let input = input.to_str().unwrap();
    for log in ["text", "json"] {
        let run = rcd(
            None,
            Auth::None,
            &[
                "generate",
                "--from",
                "wp-cli",
                "--input",
                input,
                "--log-format",
                log,
            ],
        );
        assert_eq!(run.code, 0, "{}", escape::text(&run.all()));
        assert_no_control(log, &run.stderr);
        assert!(
            !run.stderr.lines().any(|l| l.starts_with("WARN forged")),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("[31m"),
            "the name is in the warning, escaped: {}",
            run.stderr
        );
    }
}

/// A plan that shows each of `names` in every place a name goes (a removal, a deferred item
/// quoting it, a kept name, an SSL order and what it covers, a DNS error and a certificate
/// error quoting it, the diff), and a report that quotes each in a message.
fn plan_and_report(names: &[DomainName]) -> (Plan, Report) {
    let mut live = vec![listed("network.example", DomainKind::Primary)];
    live.extend(names.iter().map(|n| {
        let mut l = listed("placeholder.example", DomainKind::Alias);
        l.name = n.clone();
        l
    }));
    let mut actions: Vec<Action> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Action::Remove {
            id: i as u64 + 2,
            name: n.clone(),
            reason: RemoveReason::Unlisted,
        })
        .collect();
    if let Some(first) = names.first() {
        actions.push(Action::Ssl {
            name: first.clone(),
            order: SslOrder::AdvancedInstall { domain_id: None },
            covers: names.to_vec(),
        });
    }
    let deferred = names
        .iter()
        .map(|n| Deferred {
            kind: ActionKind::Add,
            name: n.clone(),
            reason: DeferReason::DnsNotReady {
                finding: n.to_string(),
            },
        })
        .chain(names.first().map(|n| Deferred {
            kind: ActionKind::Ssl,
            name: n.clone(),
            reason: DeferReason::SslNamesNotReady {
                names: names.to_vec(),
                total: names.len() + 3,
            },
        }))
        .collect();
    let mut plan = plan_with(live, actions, deferred);
    plan.kept.extend(names.iter().map(|n| Kept {
        name: n.clone(),
        why: KeptReason::Protected,
    }));
    for n in names {
        plan.dns.insert(
            n.clone(),
            DnsFinding::Error {
                reason: format!("SERVFAIL for {n}"),
            },
        );
        plan.tls.insert(
            n.clone(),
            Coverage::NotCovered {
                why: format!("the certificate names {n}"),
            },
        );
    }
    let report = Report {
        api_requests: None,
        outcomes: names
            .iter()
            .flat_map(|n| {
                [
                    Outcome {
                        kind: ActionKind::Remove,
                        name: n.clone(),
                        status: Status::Failed {
                            error: format!("422 from RunCloud: {n} is not valid"),
                        },
                    },
                    Outcome {
                        kind: ActionKind::Add,
                        name: n.clone(),
                        status: Status::Skipped {
                            why: format!("{n} was re-attached since the plan"),
                        },
                    },
                    Outcome {
                        kind: ActionKind::Ssl,
                        name: n.clone(),
                        status: Status::Ok {
                            detail: format!("removed {n}"),
                        },
                    },
                ]
            })
            .collect(),
        ..Default::default()
    };
    (plan, report)
}

/// Pieces that each aim at one way out, and arbitrary characters.
fn hostile_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "\n",
            "\r",
            "\t",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "\u{9b}",
            "\u{1b}[31m",
            "\u{1b}]8;;",
            "\u{202e}",
            "\u{2067}",
            "\u{200f}",
            "\u{2028}",
            "`",
            "``",
            "```",
            "|",
            "\\",
            "\\|",
            "<!--",
            "-->",
            "</details>",
            "<b>",
            "<",
            ">",
            "&",
            "&lt;",
            "&#96;",
            "@",
            "@team",
            "#",
            "#1",
            "[",
            "]",
            "[x](https://e.example)",
            "![i](x.png)",
            "*",
            "**",
            "_",
            "~~",
            "!",
            "www.e.example",
            "https://e.example",
            " ",
            "- ",
            "+ ",
            "> ",
            "---",
            "[^1]",
        ])
        .prop_map(String::from),
        "[a-z0-9.-]{1,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Hostile names as the planner would hold them: normalised, without duplicates, none the
/// primary's.
fn distinct(raw: Vec<String>) -> Vec<DomainName> {
    let set: std::collections::BTreeSet<DomainName> = raw
        .iter()
        .map(|r| DomainName::from_live(r))
        .filter(|n| n.as_str() != "network.example")
        .collect();
    set.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_names_stay_data_in_every_renderer(
        raw in prop::collection::vec(hostile_name(), 1..6),
    ) {
        let names = distinct(raw);
        let calm: Vec<DomainName> = (0..names.len())
            .map(|i| DomainName::from_live(&format!("harmless-{i}.example")))
            .collect();
        let (plan, report) = plan_and_report(&names);
        let (calm_plan, calm_report) = plan_and_report(&calm);

        for style in [Style::plain(), Style { color: true }] {
            let out = text::plan(&plan, style);
            let calm_out = text::plan(&calm_plan, style);
            // Colour is ours: once its codes are taken out, no escape may remain.
            let (out, calm_out) = (uncoloured(&out), uncoloured(&calm_out));
            assert_text_holds("text plan", &out, &calm_out, &names);
        }
        assert_text_holds(
            "text report",
            &text::report(&report, Style::plain()),
            &text::report(&calm_report, Style::plain()),
            &names,
        );
        assert_markdown_holds(
            "markdown plan",
            &markdown::plan(&plan, Some("sha256:feed")),
            &markdown::plan(&calm_plan, Some("sha256:feed")),
            &names,
        );
        assert_markdown_holds(
            "markdown report",
            &markdown::report(&report),
            &markdown::report(&calm_report),
            &names,
        );
    }
}

#[test]
fn names_of_100_kb_keep_the_markdown_under_the_limit_with_its_summary_whole() {
    let names: Vec<DomainName> = (0..40)
        .map(|i| DomainName::from_live(&format!("{i:02}{}", "`|<!--\n".repeat(15_000))))
        .collect();
    let (plan, report) = plan_and_report(&names);
    for (what, md) in [
        ("plan", markdown::plan(&plan, None)),
        ("report", markdown::report(&report)),
    ] {
        assert!(md.len() <= LIMIT, "{what}: {} bytes", md.len());
        assert_no_control(what, &md);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, gfm(&md));
        assert!(!html.contains("<!--"), "{what}: {html}");
        assert_eq!(
            html.matches("<details").count(),
            html.matches("</details>").count(),
            "{what}"
        );
    }
    let md = markdown::plan(&plan, None);
    assert!(md.contains("**40 domains will be removed**"), "{md}");
    assert!(md.contains("and 30 more"), "the summary names ten: {md}");
    assert!(md.contains("Truncated:"), "the detail is cut with a note");
    let out = text::plan(&plan, Style::plain());
    assert!(out.len() < 200_000, "each name is cut: {} bytes", out.len());
}
