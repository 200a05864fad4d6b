//! Bad input of each class: exit 1, a message naming the thing and the fix, no write request.

use crate::support::*;

fn live() -> Sandbox {
    Sandbox::start(&seed(
        &[
            "{name: main.example, type: primary}",
            "a.example",
            "b.example",
        ],
        "",
    ))
}

fn assert_clean_failure(sb: &Sandbox, run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for n in needles {
        assert!(run.stderr.contains(n), "missing {n:?} in:\n{}", run.stderr);
    }
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

#[test]
fn malformed_yaml_names_the_line_and_makes_no_request() {
    let sb = live();
    let f = DesiredFile::new(
        "version: 1\ntarget: {server: 1, app: 2}\ndomains:\n  - a.example\n  - [b.example\n",
    );
    for args in [vec!["validate"], vec!["plan"], vec!["apply", "--yes"]] {
        let mut args = args.clone();
        args.extend(["-f", f.arg()]);
        let run = rcd(Some(&sb), Auth::V3, &args);
        assert_clean_failure(&sb, &run, &["domains.yaml:", "not valid YAML", "fix:"]);
    }
    assert!(sb.handle.requests().is_empty(), "no request at all");
}

#[test]
fn unknown_keys_invalid_and_duplicate_names_are_all_reported() {
    let sb = live();
    let f = DesiredFile::new(
        "version: 1\ntarget: {server: 1, app: 2}\nremovals: {prune: true, maximum: 3}\ndomains:\n  - a.example\n  - bad_name.example\n  - A.example.\n  - name: c.example\n    wwww: true\n",
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_clean_failure(
        &sb,
        &run,
        &[
            "has 4 problems",
            ":3: unknown key `maximum` in `removals`",
            ":6: `bad_name.example` is not a valid domain name",
            ":7: `a.example` is listed twice",
            ":9: unknown key `wwww`",
        ],
    );
    assert!(sb.handle.requests().is_empty());
}

#[test]
fn an_html_page_instead_of_json_is_a_clear_error() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "a.example"],
        "faults:\n  - {kind: html, code: 502, times: 0, path: /domains}\n",
    ));
    let f = desired(
        "removals: {prune: true, max: 10, max_percent: 100}\n",
        &["main.example"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_clean_failure(
        &sb,
        &run,
        &[
            "GET /servers/1/webapps/2/domains?page=1&perPage=40",
            "502",
            "is not JSON",
            "<html>",
            "--api-url",
        ],
    );
}

#[test]
fn a_200_html_page_is_not_taken_for_data() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "a.example"],
        "faults:\n  - {kind: empty, times: 0, path: /domains}\n",
    ));
    let f = desired(
        "removals: {prune: true, max: 10, max_percent: 100}\n",
        &["main.example"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_clean_failure(&sb, &run, &["is not JSON", "(empty body)"]);
}

#[test]
fn wrong_credentials_give_401_with_the_hint() {
    let sb = live();
    let f = desired("", &["main.example"]);
    let run = rcd(
        Some(&sb),
        Auth::Token("not-the-token"),
        &["plan", "-f", f.arg()],
    );
    assert_clean_failure(
        &sb,
        &run,
        &[
            "401",
            "Invalid credentials.",
            "RUNCLOUD_API_TOKEN",
            "allowed in RunCloud's API settings",
        ],
    );
}

#[test]
fn unknown_server_or_app_gives_404_with_the_hint() {
    let sb = live();
    let f = DesiredFile::new("version: 1\ntarget: {server: 1, app: 99}\ndomains: [a.example]\n");
    let run = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_clean_failure(&sb, &run, &["404", "web app id"]);
}

#[test]
fn a_timeout_is_an_error_that_names_the_request() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "a.example"],
        "faults:\n  - {kind: slow, ms: 4000, times: 0, path: /domains}\n",
    ));
    let f = desired(
        "removals: {prune: true, max: 10, max_percent: 100}\n",
        &["main.example"],
    );
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--timeout", "1"],
    );
    assert_clean_failure(
        &sb,
        &run,
        &["GET /servers/1/webapps/2/domains", "no answer within 1 s"],
    );
}

#[test]
fn a_list_that_fails_part_way_aborts_the_run() {
    let mut s = seed(
        &["{name: main.example, type: primary}"],
        "faults:\n  - {kind: truncate_list, page: 2, times: 0}\n",
    );
    s.push_str("        bulk: {count: 50, template: \"s{n}.example\"}\n");
    let sb = Sandbox::start(&s);
    // Listing only page-1 names would plan removals of everything on page 2.
    let f = desired(
        "removals: {prune: true, max: 100, max_percent: 100}\n",
        &["main.example", "s1.example"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_clean_failure(
        &sb,
        &run,
        &[
            "stopped at page 2",
            "nothing is planned from a partial list",
        ],
    );
}

#[test]
fn missing_credentials_and_targets_say_what_to_set() {
    let f = desired("", &["a.example"]);
    let run = rcd(None, Auth::None, &["plan", "-f", f.arg()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("RUNCLOUD_API_TOKEN"), "{}", run.stderr);
    let f = DesiredFile::new("version: 1\ndomains: [a.example]\n");
    let run = rcd(None, Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("RUNCLOUD_SERVER_ID"), "{}", run.stderr);
}

#[test]
fn a_missing_file_is_named() {
    let run = rcd(
        None,
        Auth::None,
        &["validate", "-f", "/nonexistent/domains.yaml"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("there is no desired-state file /nonexistent/domains.yaml"),
        "{}",
        run.stderr
    );
}

#[test]
fn forbidden_and_invalid_answers_carry_their_hints() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}"],
        "faults:\n  - {kind: status, code: 403, times: 0, path: /servers/1}\n",
    ));
    let f = desired("", &["main.example"]);
    let run = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_clean_failure(
        &sb,
        &run,
        &["GET /servers/1", "403", "Business or Enterprise"],
    );

    // 422 on an add: the API's own message, as a failed action (exit 4), nothing else lost.
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary, www: false, redirection: none}"],
        "faults:\n  - {kind: status, code: 422, method: POST, times: 1}\n",
    ));
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "new.example"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stdout.contains(
            "FAILED  add new.example: POST /servers/1/webapps/2/domains: RunCloud answered 422"
        ),
        "{}",
        run.stdout
    );
}
