//! Certificates that keep renewing, end to end against the sandbox's API, DNS and TLS:
//! renewal-at-risk and expiry warnings, `audit`, `apply --verify`, and the order ledger.

use crate::support::*;

fn a(name: &str, ip: &str) -> String {
    format!("{{name: {name}, type: A, value: {ip}}}")
}

/// Runs with the sandbox's DNS and TLS checks.
fn run(sb: &Sandbox, args: &[&str]) -> Run {
    rcd_checked(sb, Auth::V3, args)
}

fn plain() -> &'static str {
    "defaults: {www: false, redirection: none}\n"
}

fn warnings_of(j: &serde_json::Value) -> Vec<(String, String, String)> {
    j["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().unwrap().to_string(),
                w["level"].as_str().unwrap().to_string(),
                w["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---- renewal at risk, expiry -----------------------------------------------------------------

#[test]
fn basic_mode_reports_a_name_whose_dns_left_as_renewal_at_risk() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example, moved.example], valid_days: 40}}",
        &["{name: main.example, type: primary}", "moved.example"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("moved.example", "198.51.100.7"),
        ],
    );
    let f = desired(plain(), &["main.example", "moved.example"]);
    let r = run(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(
        warnings_of(&j),
        [(
            "renewal-at-risk".to_string(),
            "warning".to_string(),
            "moved.example".to_string()
        )]
    );
    let w = &j["warnings"][0];
    let days = w["days_left"].as_i64().unwrap();
    assert!((39..=40).contains(&days), "{w}");
    assert_eq!(w["finding"], "mismatch");
    assert!(
        w.get("domain").is_none(),
        "basic SSL: the app's one certificate"
    );
    let detail = w["detail"].as_str().unwrap();
    for way_out in ["state: absent", "advanced SSL", "every domain of the app"] {
        assert!(detail.contains(way_out), "{detail}");
    }
    assert_eq!(j["summary"]["warnings"], 1);

    let text = run(&sb, &["plan", "-f", f.arg()]);
    let at = text
        .stdout
        .find("! warning renewal-at-risk moved.example: its DNS no longer points at the server")
        .unwrap_or_else(|| panic!("{}", text.stdout));
    assert!(
        at < text.stdout.find("No changes").unwrap(),
        "{}",
        text.stdout
    );
    let md = run(&sb, &["plan", "-f", f.arg(), "--format", "markdown"]);
    assert!(md.stdout.contains("#### Warnings"), "{}", md.stdout);
    assert!(
        md.stdout
            .contains("| warning | renewal-at-risk | `moved.example` |"),
        "{}",
        md.stdout
    );
}

#[test]
fn advanced_mode_reports_renewal_at_risk_for_that_domain_only() {
    let sb = loopback_world(
        "",
        "{mode: advanced, domain_certificates: [{names: [main.example], valid_days: 50}, {names: [moved.example], valid_days: 30}]}",
        &["{name: main.example, type: primary}", "moved.example"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("moved.example", "198.51.100.7"),
        ],
    );
    let f = desired(plain(), &["main.example", "moved.example"]);
    let r = run(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(
        warnings_of(&j),
        [(
            "renewal-at-risk".to_string(),
            "warning".to_string(),
            "moved.example".to_string()
        )]
    );
    let w = &j["warnings"][0];
    assert_eq!(w["domain"], "moved.example");
    let days = w["days_left"].as_i64().unwrap();
    assert!((29..=30).contains(&days), "{w}");
    assert!(
        w["detail"]
            .as_str()
            .unwrap()
            .contains("the certificate of moved.example cannot renew"),
        "{w}"
    );
    assert_eq!(j["summary"]["ssl"], 0, "nothing is ordered for it");
}

#[test]
fn expiry_warns_under_21_days_and_is_an_error_under_7() {
    for (valid_days, expected) in [(25, None), (15, Some("warning")), (3, Some("error"))] {
        let sb = loopback_world(
            "",
            &format!(
                "{{mode: basic, certificate: {{names: [main.example], valid_days: {valid_days}}}}}"
            ),
            &["{name: main.example, type: primary}"],
            &[&a("main.example", "127.0.0.1")],
        );
        let f = desired(plain(), &["main.example"]);
        let r = run(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let found = warnings_of(&stdout_json(&r));
        let wanted: Vec<(String, String, String)> = expected
            .map(|level| {
                (
                    "certificate-expiring".to_string(),
                    level.to_string(),
                    "main.example".to_string(),
                )
            })
            .into_iter()
            .collect();
        assert_eq!(found, wanted, "{valid_days} days");
        // The audit reports it (exit 2), and nothing else.
        let audit = run(&sb, &["audit", "-f", f.arg(), "--format", "json"]);
        let j = stdout_json(&audit);
        let expiring = j["summary"]["certificate_expiring"].as_u64().unwrap();
        assert_eq!(expiring, u64::from(expected.is_some()), "{}", audit.stdout);
        assert_eq!(audit.code, if expected.is_some() { 2 } else { 0 });
        if expected == Some("error") {
            assert_eq!(j["summary"]["errors"], 1);
        }
        assert!(sb.writes().is_empty());
    }
}

// ---- audit -----------------------------------------------------------------------------------

#[test]
fn audit_exits_0_with_nothing_to_report_2_on_findings_1_on_error_and_never_writes() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example, shop.example], valid_days: 60}}",
        &["{name: main.example, type: primary}", "shop.example"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("shop.example", "127.0.0.1"),
            &a("new.example", "127.0.0.1"),
            &a("away.example", "198.51.100.7"),
        ],
    );
    let clean = desired(plain(), &["main.example", "shop.example"]);
    for format in ["text", "json", "markdown"] {
        let r = run(&sb, &["audit", "-f", clean.arg(), "--format", format]);
        assert_eq!(r.code, 0, "{format}: {}", r.all());
    }
    let r = run(&sb, &["audit", "-f", clean.arg()]);
    assert!(r.stdout.contains("nothing to report"), "{}", r.stdout);

    // A new name (drift, and the certificate that must grow), one whose DNS is not ready
    // (deferred).
    let drift = desired(
        plain(),
        &[
            "main.example",
            "shop.example",
            "new.example",
            "away.example",
        ],
    );
    let r = run(&sb, &["audit", "-f", drift.arg(), "--format", "json"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(j["summary"]["drift"], 2, "{j:#}");
    assert_eq!(j["summary"]["deferred"], 1, "{j:#}");
    let kinds: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["drift", "drift", "deferred"]);
    assert_eq!(j["plan"]["summary"]["add"], 1);
    let text = run(&sb, &["audit", "-f", drift.arg()]);
    assert_eq!(text.code, 2);
    assert!(
        text.stdout.contains("3 findings: 2 drift, 1 deferred"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("new.example: in the file, not attached"),
        "{}",
        text.stdout
    );
    let md = run(&sb, &["audit", "-f", drift.arg(), "--format", "markdown"]);
    assert_eq!(md.code, 2);
    assert!(md.stdout.contains("### rcdomains audit"), "{}", md.stdout);

    // An error: RunCloud refuses the credentials.
    let r = rcd_checked(
        &sb,
        Auth::Token("wrong-token"),
        &["audit", "-f", drift.arg()],
    );
    assert_eq!(r.code, 1, "{}", r.all());

    assert!(
        sb.writes().is_empty(),
        "audit never writes: {:?}",
        sb.writes()
    );
    assert_eq!(sb.domain_names(1, 2), ["main.example", "shop.example"]);
}

#[test]
fn audit_reports_names_the_presented_certificate_does_not_cover() {
    let sb = loopback_world(
        "",
        "{mode: basic, auto_ssl: true, certificate: {names: [main.example], valid_days: 60}}",
        &["{name: main.example, type: primary}", "shop.example"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("shop.example", "127.0.0.1"),
        ],
    );
    let f = desired(plain(), &["main.example", "shop.example"]);
    let r = run(&sb, &["audit", "-f", f.arg(), "--format", "json"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(j["summary"]["not_covered"], 1, "{j:#}");
    let finding = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "not-covered")
        .unwrap();
    assert_eq!(finding["name"], "shop.example");
    assert_eq!(finding["level"], "error");
    assert!(sb.writes().is_empty());
}

// ---- apply --verify --------------------------------------------------------------------------

#[test]
fn apply_verify_reports_every_name_the_order_covered() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: 60}}",
        &["{name: main.example, type: primary}"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("new.example", "127.0.0.1"),
        ],
    );
    let f = desired(plain(), &["main.example", "new.example"]);
    let r = run(
        &sb,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--verify",
            "30",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    let v = &j["verification"];
    assert_eq!(v["verified"], 2, "{j:#}");
    assert_eq!(v["unverified"], 0);
    for n in v["names"].as_array().unwrap() {
        assert_eq!(n["status"], "verified", "{n}");
        let presented: Vec<&str> = n["presented"]["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(presented.contains(&n["name"].as_str().unwrap()), "{n}");
    }
}

#[test]
fn apply_verify_exits_4_when_the_server_keeps_presenting_the_old_certificate() {
    let sb = loopback_world(
        "faults:\n  - {kind: undeployed}\n",
        "{mode: basic, certificate: {names: [main.example], valid_days: 60}}",
        &["{name: main.example, type: primary}"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("new.example", "127.0.0.1"),
        ],
    );
    let f = desired(plain(), &["main.example", "new.example"]);
    let r = run(&sb, &["apply", "-f", f.arg(), "--yes", "--verify=0"]);
    assert_eq!(r.code, 4, "{}", r.all());
    assert!(
        r.stdout.contains("Verified: 1 of 2 names covered"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "UNVERIFIED new.example: presented a certificate for main.example, expiring in"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("does not name it"), "{}", r.stdout);
    // RunCloud holds the new certificate all the same: the order itself succeeded.
    let cert = sb.handle.world().basic_certificate(1, 2).unwrap();
    assert!(cert.names.contains(&"new.example".to_string()));

    // The next apply orders again (the server does not cover the name), and this time the
    // certificate is deployed.
    let md = run(
        &sb,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--verify",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(md.code, 0, "{}", md.all());
    assert!(
        md.stdout.contains("| verified | `new.example` |"),
        "{}",
        md.stdout
    );
}

#[test]
fn apply_verify_in_json_and_markdown_names_what_was_presented() {
    let sb = loopback_world(
        "faults:\n  - {kind: undeployed, times: 0}\n",
        "{mode: advanced}",
        &["{name: main.example, type: primary}"],
        &[&a("main.example", "127.0.0.1")],
    );
    let f = desired(plain(), &["main.example"]);
    let r = run(
        &sb,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--verify=0",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 4, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(j["verification"]["unverified"], 1, "{j:#}");
    let n = &j["verification"]["names"][0];
    assert_eq!(n["status"], "unverified");
    assert_eq!(n["presented"]["names"][0], "default.sandbox.invalid");
    let md = run(
        &sb,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--verify=0",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(md.code, 4, "{}", md.all());
    assert!(md.stdout.contains("#### Verification"), "{}", md.stdout);
    assert!(
        md.stdout.contains("| **unverified** | `main.example` |"),
        "{}",
        md.stdout
    );
}

#[test]
fn verify_takes_an_optional_number_of_seconds() {
    use clap::Parser;
    use rcdomains::cli::{Cli, Command};
    let verify = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
        Command::Apply(a) => (a.planfile, a.verify),
        _ => unreachable!(),
    };
    assert_eq!(verify(&["rcdomains", "apply", "--yes"]), (None, None));
    assert_eq!(
        verify(&["rcdomains", "apply", "--verify"]),
        (None, Some(120))
    );
    assert_eq!(
        verify(&["rcdomains", "apply", "--verify", "30"]),
        (None, Some(30))
    );
    assert_eq!(
        verify(&["rcdomains", "apply", "--verify=5"]),
        (None, Some(5))
    );
    assert_eq!(
        verify(&["rcdomains", "apply", "plan.json", "--verify"]),
        (Some("plan.json".into()), Some(120))
    );
}

// ---- the ledger ------------------------------------------------------------------------------

#[test]
fn a_failed_order_is_recorded_and_the_next_plan_backs_off_until_retry_now() {
    let sb = loopback_world(
        "faults:\n  - {kind: order_invalid}\n",
        "{mode: basic, certificate: {names: [main.example], valid_days: 60}}",
        &["{name: main.example, type: primary}"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("new.example", "127.0.0.1"),
        ],
    );
    let f = desired(plain(), &["main.example", "new.example"]);
    let ledger = f.dir.path().join("cache").join("ledger.json");
    std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
    let l = ledger.to_str().unwrap();
    assert!(!ledger.exists());
    let r = run(&sb, &["apply", "-f", f.arg(), "--yes", "--ledger", l]);
    assert_eq!(r.code, 4, "{}", r.all());
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).expect("created")).unwrap();
    let orders = recorded["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{recorded:#}");
    assert_eq!(orders[0]["outcome"], "failed");
    assert_eq!(
        orders[0]["names"],
        serde_json::json!(["main.example", "new.example"])
    );
    assert!(
        orders[0]["message"]
            .as_str()
            .unwrap()
            .contains("Let's Encrypt could not validate"),
        "{recorded:#}"
    );
    assert!(orders[0]["at"].as_str().unwrap().ends_with('Z'));

    // The next plan defers the order, saying when it is due; without the ledger, or with
    // --retry-now, it would order.
    let p = run(
        &sb,
        &["plan", "-f", f.arg(), "--ledger", l, "--format", "json"],
    );
    assert_eq!(p.code, 0, "{}", p.all());
    let j = stdout_json(&p);
    assert_eq!(j["summary"]["ssl"], 0, "{j:#}");
    let d = j["deferred"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "ssl")
        .unwrap_or_else(|| panic!("{j:#}"));
    assert_eq!(d["reason"], "backing-off");
    assert!(d["due_at"].as_str().unwrap().ends_with('Z'), "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("--retry-now"),
        "{d}"
    );
    let text = run(&sb, &["plan", "-f", f.arg(), "--ledger", l]);
    assert!(
        text.stdout
            .contains("… ssl main.example: the last order for these names failed"),
        "{}",
        text.stdout
    );
    let p = run(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(stdout_json(&p)["summary"]["ssl"], 1);
    let p = run(
        &sb,
        &[
            "plan",
            "-f",
            f.arg(),
            "--ledger",
            l,
            "--retry-now",
            "new.example",
            "--format",
            "json",
        ],
    );
    assert_eq!(stdout_json(&p)["summary"]["ssl"], 1);

    // The audit reports the held-back order (read-only: the ledger is not written).
    let before = std::fs::read_to_string(&ledger).unwrap();
    sb.handle.clear_requests();
    let audit = run(
        &sb,
        &["audit", "-f", f.arg(), "--ledger", l, "--format", "json"],
    );
    assert_eq!(audit.code, 2, "{}", audit.all());
    assert_eq!(stdout_json(&audit)["summary"]["deferred"], 1);
    assert!(sb.writes().is_empty());
    assert_eq!(std::fs::read_to_string(&ledger).unwrap(), before);

    // Retrying now succeeds (the fault is spent) and is recorded.
    let r = run(
        &sb,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--ledger",
            l,
            "--retry-now",
            "main.example",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).unwrap()).unwrap();
    let outcomes: Vec<&str> = recorded["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["failed", "ok"]);
}

#[test]
fn an_order_refused_for_lets_encrypts_rate_limit_is_recorded_as_failed() {
    let sb = loopback_world(
        "faults:\n  - {kind: order_rate_limited}\n",
        "{mode: advanced}",
        &["{name: main.example, type: primary}"],
        &[&a("main.example", "127.0.0.1")],
    );
    let f = desired(plain(), &["main.example"]);
    let ledger = f.dir.path().join("ledger.json");
    let l = ledger.to_str().unwrap();
    let r = run(&sb, &["apply", "-f", f.arg(), "--yes", "--ledger", l]);
    assert_eq!(r.code, 4, "{}", r.all());
    assert!(r.stdout.contains("rateLimited"), "{}", r.stdout);
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).unwrap()).unwrap();
    assert_eq!(recorded["orders"][0]["outcome"], "failed");
    assert!(
        recorded["orders"][0]["message"]
            .as_str()
            .unwrap()
            .contains("rateLimited")
    );
    assert!(
        sb.handle
            .world()
            .domain_certificate(1, 2, "main.example")
            .is_none(),
        "nothing was issued"
    );
}

#[test]
fn a_saved_plan_made_with_a_ledger_is_applied_with_it() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: 60}}",
        &["{name: main.example, type: primary}"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("new.example", "127.0.0.1"),
        ],
    );
    let f = desired(plain(), &["main.example", "new.example"]);
    let ledger = f.dir.path().join("ledger.json");
    let saved = f.dir.path().join("plan.json");
    let (l, p) = (ledger.to_str().unwrap(), saved.to_str().unwrap());
    let r = run(&sb, &["plan", "-f", f.arg(), "--ledger", l, "--out", p]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!ledger.exists(), "plan does not write the ledger");
    let r = run(&sb, &["apply", p]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("pass the same --ledger FILE"),
        "{}",
        r.stderr
    );
    assert!(sb.writes().is_empty());
    let r = run(&sb, &["apply", p, "--ledger", l]);
    assert_eq!(r.code, 0, "{}", r.all());
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).unwrap()).unwrap();
    assert_eq!(recorded["orders"][0]["outcome"], "ok");
}

// ---- outside text stays data -----------------------------------------------------------------

/// The API's message kept in the ledger, and the names a server presents, are outside text:
/// every format shows them escaped.
#[test]
fn a_hostile_api_message_and_presented_names_stay_data() {
    use crate::markdown::{listed, plan_with};
    use rcdomains::model::{
        ActionKind, DomainKind, DomainName, NameVerification, Presented, Report, Verification,
    };
    use rcdomains::plan::{DeferReason, Deferred};
    use rcdomains::render::{Style, markdown, text};
    let hostile = "no\n  … ssl forged.example: ok\u{1b}[2J | <b>x</b>";
    let plan = plan_with(
        vec![listed("network.example", DomainKind::Primary)],
        vec![],
        vec![Deferred {
            kind: ActionKind::Ssl,
            name: DomainName::from_live("network.example"),
            reason: DeferReason::BackingOff {
                failures: 1,
                due_at: 1_800_000_000,
                last_error: hostile.into(),
            },
        }],
    );
    let shown = text::plan(&plan, Style::plain());
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert!(
        !shown.lines().any(|l| l.starts_with("  … ssl forged")),
        "{shown}"
    );
    let md = markdown::plan(&plan, None);
    assert!(!html(&md).contains("<b>"), "{md}");
    assert!(md.contains("`no\\n  … ssl forged.example: ok"), "{md}");

    let report = Report {
        verification: Some(Verification {
            allowed_secs: 0,
            names: vec![NameVerification {
                name: DomainName::from_live("network.example"),
                verified: false,
                presented: Some(Presented {
                    names: vec![hostile.into()],
                    not_after: 1_800_000_000,
                    days_left: 3,
                }),
                why: Some(hostile.into()),
                probes: 1,
            }],
        }),
        ..Default::default()
    };
    let shown = text::report(&report, Style::plain());
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert_eq!(
        shown.lines().filter(|l| l.contains("forged")).count(),
        1,
        "{shown}"
    );
    let md = markdown::report(&report);
    assert!(!html(&md).contains("<b>"), "{md}");
    assert!(html(&md).contains("&lt;b&gt;"), "{md}");
}

/// Markdown rendered as GitHub would (tables on).
fn html(md: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(
        &mut out,
        pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES),
    );
    out
}

#[test]
fn apply_creates_a_missing_ledger_even_with_nothing_to_order() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: 60}}",
        &["{name: main.example, type: primary}"],
        &[&a("main.example", "127.0.0.1")],
    );
    let f = desired(plain(), &["main.example"]);
    let ledger = f.dir.path().join("ledger.json");
    let r = run(
        &sb,
        &[
            "apply",
            "-f",
            f.arg(),
            "--yes",
            "--ledger",
            ledger.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).expect("created")).unwrap();
    assert_eq!(
        recorded,
        serde_json::json!({"format_version": 1, "orders": []})
    );
    assert!(sb.writes().is_empty());
}
