//! The binary end to end against the sandbox: plan, apply, plan again — on API v3 and v2.

use crate::support::*;

const LIVE: &[&str] = &[
    "{name: network.example, type: primary, www: true, redirection: non-www}",
    "{name: shop.example.org, www: false, redirection: none}",
    "{name: keep.example.org, www: true, redirection: non-www}",
    "{name: orphan.example.com, www: true, redirection: non-www}",
    "{name: orphan2.example.com, www: true, redirection: non-www}",
];

fn file() -> DesiredFile {
    desired(
        "removals: {prune: true, max: 5, max_percent: 60, protect: [network.example]}\n",
        &[
            "network.example",
            "shop.example.org",
            "keep.example.org",
            "new.example.net",
            "Bücher.example",
        ],
    )
}

#[test]
fn v3_plan_apply_plan_converges() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();

    let plan = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let first_line = plan.stdout.lines().next().unwrap();
    assert!(
        first_line.contains("2 to add, 1 to update, 2 to remove, 0 SSL, 0 deferred"),
        "{first_line}"
    );
    let removals_at = plan.stdout.find("Removals:").unwrap();
    let changes_at = plan.stdout.find("Additions and updates:").unwrap();
    assert!(
        removals_at < changes_at,
        "removals come first:\n{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("- orphan.example.com"));
    assert!(plan.stdout.contains("+ xn--bcher-kva.example"));
    assert!(
        plan.stdout.contains(
            "~ shop.example.org: www off, redirection none → www on, redirection non-www"
        )
    );
    assert!(
        plan.stdout.contains("--- live\n+++ after apply"),
        "unified diff:\n{}",
        plan.stdout
    );
    assert!(
        sb.writes().is_empty(),
        "plan must not write: {:?}",
        sb.writes()
    );

    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply.stdout.contains("Applied: 5 ok, 0 failed, 0 skipped"),
        "{}",
        apply.stdout
    );
    let writes: Vec<String> = sb.writes().iter().map(|r| r.method.clone()).collect();
    let first_non_delete = writes.iter().position(|m| m != "DELETE").unwrap();
    assert!(
        writes[..first_non_delete].iter().all(|m| m == "DELETE") && first_non_delete == 2,
        "removals run first: {writes:?}"
    );

    assert_eq!(
        sb.domain_names(1, 2),
        vec![
            "keep.example.org",
            "network.example",
            "new.example.net",
            "shop.example.org",
            "xn--bcher-kva.example"
        ]
    );
    let shop = sb
        .handle
        .world()
        .domains(1, 2)
        .into_iter()
        .find(|d| d.name == "shop.example.org")
        .unwrap();
    assert!(shop.www);

    sb.handle.clear_requests();
    let again = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again
            .stdout
            .contains("0 to add, 0 to update, 0 to remove, 0 SSL, 0 deferred"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("No changes"));
    assert!(sb.writes().is_empty());
}

#[test]
fn v2_basic_auth_converges_and_reports_drift_it_cannot_update() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let apply = rcd(Some(&sb), Auth::V2, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(apply.stdout.contains("(API v2)"), "{}", apply.stdout);
    assert!(apply.stdout.contains("1 deferred"), "{}", apply.stdout);
    assert!(
        apply.stdout.contains("API v2 cannot update in place"),
        "{}",
        apply.stdout
    );
    assert!(
        sb.handle
            .requests()
            .iter()
            .all(|r| !r.path.contains("/meta")),
        "no PATCH on v2"
    );
    assert!(
        sb.domain_names(1, 2)
            .contains(&"new.example.net".to_string())
    );
    let again = rcd(
        Some(&sb),
        Auth::V2,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(again.code, 0, "{}", again.all());
    let json: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(json["summary"]["changes"], false);
    assert_eq!(json["deferred"][0]["reason"], "update-needs-v3");
}

#[test]
fn json_plan_has_the_documented_shape() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["summary"]["add"], 2);
    assert_eq!(json["summary"]["update"], 1);
    assert_eq!(json["summary"]["remove"], 2);
    assert_eq!(json["summary"]["deferred"], 0);
    let kinds: Vec<&str> = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    // Removals first; then additions and updates by name.
    assert_eq!(kinds, ["remove", "remove", "add", "update", "add"]);
    assert_eq!(json["actions"][0]["name"], "orphan.example.com");
    assert_eq!(json["dns"]["checked"], false);
}

#[test]
fn paging_over_40_domains_finds_a_removal_on_the_last_page() {
    let extra = "";
    let mut s = seed(
        &["{name: main.example, type: primary, www: true, redirection: non-www}"],
        extra,
    );
    s.push_str("        bulk: {count: 45, template: \"site{n}.bench.example\", www: true, redirection: non-www}\n");
    let sb = Sandbox::start(&s);
    let names: Vec<String> = (1..=44).map(|n| format!("site{n}.bench.example")).collect();
    let mut entries: Vec<&str> = names.iter().map(String::as_str).collect();
    entries.push("main.example");
    let f = desired(
        "removals: {prune: true, max: 5}\ndefaults: {www: true, redirection: non-www}\n",
        &entries,
    );
    let plan = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout.contains("0 to add, 0 to update, 1 to remove"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("- site45.bench.example"),
        "{}",
        plan.stdout
    );
    let pages: Vec<String> = sb
        .handle
        .requests()
        .iter()
        .filter_map(|r| r.query.clone())
        .filter(|q| q.contains("page="))
        .collect();
    assert_eq!(pages.len(), 2, "two pages of 40: {pages:?}");
    assert!(pages[1].contains("page=2"));

    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(sb.domain_names(1, 2).len(), 45);
    assert!(
        !sb.domain_names(1, 2)
            .contains(&"site45.bench.example".to_string())
    );
}

#[test]
fn the_last_page_paging_style_is_followed() {
    let mut s = seed(
        &["{name: main.example, type: primary}"],
        "pagination: last_page\n",
    );
    s.push_str("        bulk: {count: 85, template: \"d{n}.example\"}\n");
    let sb = Sandbox::start(&s);
    let f = desired("removals: {prune: false}\n", &["main.example"]);
    let plan = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(json["kept"].as_array().unwrap().len(), 85);
}

#[test]
fn retries_transient_errors_and_honours_retry_after() {
    let s = seed(
        LIVE,
        "faults:\n  - {kind: status, code: 503, times: 2, method: GET, path: /domains}\n  - {kind: rate_limited, retry_after: 1, times: 1, method: GET, path: /servers/1}\n",
    );
    let sb = Sandbox::start(&s);
    let f = file();
    let plan = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.stdout.contains("2 to add"));
    let statuses: Vec<u16> = sb.handle.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
}

#[test]
fn a_post_whose_answer_is_lost_is_not_repeated_before_the_list_is_read() {
    let s = seed(
        LIVE,
        "faults:\n  - {kind: lost_response, method: POST, path: /domains}\n",
    );
    let sb = Sandbox::start(&s);
    let f = desired(
        "",
        &[
            "network.example",
            "shop.example.org",
            "keep.example.org",
            "new.example.net",
        ],
    );
    let apply = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--timeout", "3"],
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("new.example.net was attached already"),
        "{}",
        apply.stdout
    );
    let posts = sb.writes().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1, "the POST was not repeated");
    assert_eq!(
        sb.domain_names(1, 2)
            .iter()
            .filter(|n| *n == "new.example.net")
            .count(),
        1
    );
}

#[test]
fn a_failed_action_does_not_stop_the_others_and_exits_4() {
    let s = seed(
        LIVE,
        "faults:\n  - {kind: status, code: 422, method: DELETE, times: 1}\n",
    );
    let sb = Sandbox::start(&s);
    let f = file();
    let apply = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--parallelism", "1"],
    );
    assert_eq!(apply.code, 4, "{}", apply.all());
    assert!(
        apply.stdout.contains("Applied: 4 ok, 1 failed"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("FAILED  remove orphan.example.com: DELETE /servers/1/webapps/2/domains/"),
        "{}",
        apply.stdout
    );
    // A re-run converges.
    let again = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stdout.contains("Applied: 1 ok, 0 failed"),
        "{}",
        again.stdout
    );
}

#[test]
fn demo_runs_plan_apply_plan() {
    let run = rcd(
        None,
        Auth::None,
        &["demo", "--dir", repo_path("examples").to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let first = run.stdout.split("== 2.").next().unwrap();
    assert!(first.contains("== 1. rcdomains plan"));
    assert!(first.contains("1 SSL"), "{first}");
    // One name deferred because its DNS points elsewhere, one because it is not in DNS yet.
    assert!(
        first.contains("… add xn--bcher-kva.example: DNS is not ready (mismatch)"),
        "{first}"
    );
    assert!(
        first.contains("… add late.example.com: DNS is not ready (nxdomain)"),
        "{first}"
    );
    let third = run.stdout.split("== 3.").nth(1).unwrap();
    assert!(
        third.contains("the customer points late.example.com at the server"),
        "{third}"
    );
    assert!(third.contains("+ late.example.com"), "{third}");
    assert!(third.contains("certificate ordered"), "{third}");
    let last = run
        .stdout
        .split("== 4. rcdomains plan (again)")
        .nth(1)
        .unwrap();
    assert!(
        last.contains("0 to add, 0 to update, 0 to remove, 0 SSL, 1 deferred"),
        "{last}"
    );
    assert!(last.contains("No changes"));
}

#[test]
fn a_tight_rate_limit_is_waited_out_not_failed() {
    // 4 requests per 2-second window, no Retry-After: the client must follow
    // X-RateLimit-Remaining, and wait for the window's end (X-RateLimit-Reset on every answer)
    // instead of failing.
    let s = seed(
        LIVE,
        "rate_limit: {per_minute: 4, window_seconds: 2, retry_after: false, reset_header: true}\n",
    );
    let sb = Sandbox::start(&s);
    let f = file();
    let plan = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout.contains("2 to add, 1 to update, 2 to remove"),
        "{}",
        plan.stdout
    );
    let served = sb
        .handle
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .count();
    assert!(
        served >= 5,
        "every read eventually served: {:?}",
        sb.handle.requests()
    );
}

#[test]
fn demo_with_a_missing_dir_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let run = rcd(
        None,
        Auth::None,
        &["demo", "--dir", missing.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(missing.to_str().unwrap()) && run.stderr.contains("no such directory"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("== 1."), "no demo ran: {}", run.stdout);
    // A directory without the demo's files names the one missing.
    let run = rcd(
        None,
        Auth::None,
        &["demo", "--dir", dir.path().to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("domains.yaml is missing"),
        "{}",
        run.stderr
    );
}

/// `rcdomains sandbox` without `--seed`, outside the repository: the built-in seed, and
/// `export` lines that a plan runs with as they are.
#[test]
fn sandbox_without_seed_works_anywhere_and_prints_exports() {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rcdomains"))
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .current_dir(cwd.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("# then:") {
        use std::io::Read;
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let export = |var: &str| {
        seen.lines()
            .find_map(|l| l.strip_prefix(&format!("export {var}=")))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no export {var}= line: {seen}"))
    };
    let url = export("RUNCLOUD_API_URL");
    let token = export("RUNCLOUD_API_TOKEN");
    assert!(url.starts_with("http://127.0.0.1:"), "{seen}");
    let desired = repo_path("examples/domains.yaml");
    let run = rcd_env(
        None,
        Auth::None,
        &["plan", "-f", desired.to_str().unwrap(), "--skip-dns"],
        &[("RUNCLOUD_API_URL", &url), ("RUNCLOUD_API_TOKEN", &token)],
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(run.code, 0, "{}\n{seen}", run.all());
    assert!(
        run.stdout.contains("Plan for server 11667"),
        "{}",
        run.stdout
    );
}
