//! How the RunCloud API host fails: a name that does not resolve is reported as that, naming
//! the host and what to check, after a couple of retries; and every retry of a failed request
//! says so on stderr at the default verbosity, rather than looking like a hang.

use crate::support::*;

/// A host name no resolver can look up without asking anyone: a label longer than 63 octets
/// cannot be put in a DNS query, so the system resolver fails it on this machine (and `.invalid`
/// never resolves anyway). The test does not depend on the network or on a DNS server.
fn unresolvable_host() -> String {
    format!("rcdomains-test-{}.invalid", "k".repeat(64))
}

/// Lines of `stderr` that announce a retry.
fn retry_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("warning: ") && l.contains("; retrying in "))
        .collect()
}

#[test]
fn an_api_host_that_does_not_resolve_is_a_dns_failure_of_that_host() {
    let host = unresolvable_host();
    let url = format!("http://{host}/api/v3");
    let f = desired("", &["a.example"]);
    let run = rcd(
        None,
        Auth::V3,
        &["plan", "-f", f.arg(), "--skip-dns", "--api-url", &url],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let error = format!(
        "cannot resolve the API host {host} (tried 3 times) — check --api-url / RUNCLOUD_API_URL, and this machine's DNS"
    );
    assert!(run.stderr.contains(&error), "{}", run.stderr);
    // What the system resolver said is the last cause, on a line of its own.
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("  caused by: ") && last.len() > "  caused by: ".len(),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("connection refused"), "{}", run.stderr);
    assert!(!run.stderr.contains("cannot reach"), "{}", run.stderr);
    // Both retries were announced (requests that failed together share an announcement).
    let retries = retry_lines(&run.stderr);
    for retry in ["(retry 1 of 2)", "(retry 2 of 2)"] {
        assert!(
            retries.iter().any(
                |l| l.contains(&format!("cannot resolve the API host {host} ("))
                    && l.ends_with(retry)
            ),
            "{retry} is not announced:\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("(retry 3 of"), "{}", run.stderr);
}

#[test]
fn a_retried_transport_error_is_announced_at_the_default_verbosity() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}"],
        "faults:\n  - {kind: reset, times: 1, method: GET, path: /domains}\n",
    ));
    let f = desired("", &["main.example"]);
    let run = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(run.code, 0, "{}", run.all());
    let retries = retry_lines(&run.stderr);
    assert_eq!(retries.len(), 1, "{}", run.stderr);
    assert!(
        retries[0].starts_with("warning: the connection to 127.0.0.1 failed (")
            && retries[0].ends_with("(retry 1 of 5)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_retried_server_error_is_announced_at_the_default_verbosity() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}"],
        "faults:\n  - {kind: status, code: 503, times: 1, method: GET, path: /domains}\n",
    ));
    let f = desired("", &["main.example"]);
    let run = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(run.code, 0, "{}", run.all());
    let retries = retry_lines(&run.stderr);
    assert_eq!(
        retries,
        vec!["warning: RunCloud answered HTTP 503; retrying in 1 s (retry 1 of 5)"],
        "{}",
        run.stderr
    );
}
