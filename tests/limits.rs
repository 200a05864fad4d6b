//! RunCloud's limits: the server's own pace, its quota, the run's patience, the request count,
//! and an apply that converges when answers are lost. Speed itself is measured by
//! benches/limits.rs, never asserted here.

use crate::support::*;

/// `n` aliases (`siteN.bulk.example`) and a primary, with `extra` seed keys.
fn bulk(n: u32, extra: &str) -> Sandbox {
    let mut s = credentials_yaml();
    s.push_str(extra);
    s.push_str(&format!("servers:\n  - id: 1\n    name: web-1\n    ip: 203.0.113.10\n    apps:\n      - id: 2\n        name: app\n        domains:\n          - {{name: main.example, type: primary}}\n        bulk: {{count: {n}, template: 'site{{n}}.bulk.example'}}\n"));
    Sandbox::start(&s)
}

fn listing_all(n: u32) -> DesiredFile {
    let mut names = vec!["main.example".to_string()];
    names.extend((1..=n).map(|i| format!("site{i}.bulk.example")));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    desired("defaults: {www: false, redirection: none}\n", &refs)
}

/// The tests' usual ceiling is very high: the pace is the sandbox's own limit, as with the
/// client's defaults.
fn defaults(sb: &Sandbox, args: &[&str]) -> Run {
    rcd(Some(sb), Auth::V3, args)
}

#[test]
fn the_servers_own_window_is_waited_out_and_the_wait_is_announced() {
    // 6 requests per 4-second window (the reset time on every answer); 200 domains are
    // 5 pages + 3 other reads = 8 requests: one wait, no 429.
    let sb = bulk(
        200,
        "rate_limit: {per_minute: 6, window_seconds: 4, retry_after: true, reset_header: true}\n",
    );
    let f = listing_all(200);
    let r = defaults(&sb, &["plan", "-f", f.arg()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("RunCloud's rate limit: waiting"),
        "a wait of seconds is announced at the default verbosity: {}",
        r.stderr
    );
    let throttled = throttled_answers(&sb);
    assert_eq!(
        throttled,
        0,
        "paced by the headers: {:?}",
        sb.handle.requests()
    );
}

#[test]
fn a_429_is_retried_while_patience_lasts_not_failed() {
    // Three answers in a row say 429 with `Retry-After: 1`: nothing was done, so each request
    // is sent again after the wait (stretched when the hint proved too short), and the plan
    // completes.
    let sb = bulk(
        200,
        "faults:\n  - {kind: rate_limited, retry_after: 1, times: 3}\n",
    );
    let f = listing_all(200);
    let r = defaults(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["summary"]["changes"], false, "every page was read: {j:#}");
    let throttled = throttled_answers(&sb);
    assert_eq!(throttled, 3);
}

#[test]
fn the_runs_patience_bounds_every_wait() {
    let sb = bulk(
        200,
        "rate_limit: {per_minute: 3, window_seconds: 60, reset_header: true}\n",
    );
    let f = listing_all(200);
    let r = defaults(&sb, &["plan", "-f", f.arg(), "--max-wait", "5"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("beyond --max-wait 5 s"), "{}", r.stderr);
}

#[test]
fn a_spent_monthly_quota_stops_the_run_at_once() {
    for code in [429, 403] {
        let sb = bulk(
            10,
            &format!("faults:\n  - {{kind: quota, code: {code}, times: 0}}\n"),
        );
        let f = listing_all(10);
        let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
        assert_eq!(r.code, 1, "{code}: {}", r.all());
        assert!(
            r.stderr.contains("monthly API quota"),
            "{code}: {}",
            r.stderr
        );
        assert_eq!(
            repeated_paths(&sb),
            Vec::<String>::new(),
            "{code}: nothing is sent twice: {:?}",
            sb.handle.requests()
        );
        assert!(sb.writes().is_empty());
    }
}

#[test]
fn the_run_says_how_many_api_requests_it_made() {
    let sb = bulk(100, "");
    let f = listing_all(100);
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let served = sb.handle.requests().len() as u64;
    assert_eq!(j["summary"]["api_requests"], served, "{j:#}");
    sb.handle.clear_requests();
    let text = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    let served = sb.handle.requests().len();
    assert!(
        text.stdout.contains(&format!(", {served} API requests")),
        "{}",
        text.stdout
    );
}

#[test]
fn an_add_that_was_not_taken_is_sent_again_after_the_list_shows_it_absent() {
    // The first POST answers 500 before doing anything: the re-read shows the name absent, so
    // it is sent again and the apply converges in one run.
    let sb = bulk(
        3,
        "faults:\n  - {kind: status, code: 500, method: POST, times: 1}\n",
    );
    let mut names = vec!["main.example".to_string(), "new.example".to_string()];
    names.extend((1..=3).map(|i| format!("site{i}.bulk.example")));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let f = desired("defaults: {www: false, redirection: none}\n", &refs);
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("when sent again"), "{}", r.stdout);
    let posts = sb
        .writes()
        .into_iter()
        .filter(|w| w.method == "POST")
        .count();
    assert_eq!(posts, 2);
    assert!(sb.domain_names(1, 2).contains(&"new.example".to_string()));

    // A POST carried out whose answer was lost: found attached, never sent twice.
    let sb = bulk(
        3,
        "faults:\n  - {kind: lost_response, method: POST, times: 1}\n",
    );
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("was attached already"), "{}", r.stdout);
    let posts = sb
        .writes()
        .into_iter()
        .filter(|w| w.method == "POST")
        .count();
    assert_eq!(posts, 1);
}
