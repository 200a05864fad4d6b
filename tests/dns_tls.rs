//! DNS readiness and certificate coverage end to end: the binary's checks against the
//! sandbox's own DNS server and TLS endpoint on loopback, and the SSL orders that follow.

use crate::support::*;

fn a(name: &str, ip: &str) -> String {
    format!("{{name: {name}, type: A, value: {ip}}}")
}

fn run(sb: &Sandbox, args: &[&str]) -> Run {
    rcd_checked(sb, Auth::V3, args)
}

#[test]
fn each_finding_class_is_reported() {
    let records = [
        a("ready.example", "127.0.0.1"),
        a("elsewhere.example", "198.51.100.7"),
        a("dual.example", "127.0.0.1"),
        "{name: dual.example, type: AAAA, value: '2001:db8::7'}".to_string(),
        "{name: hop1.example, type: CNAME, value: hop2.example}".to_string(),
        "{name: hop2.example, type: CNAME, value: ready.example}".to_string(),
        a("leaf.parent.example", "127.0.0.1"),
    ];
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &["{name: ready.example, type: primary}"],
        &refs,
    );
    let f = desired(
        "defaults: {www: false}\n",
        &[
            "ready.example",
            "elsewhere.example",
            "dual.example",
            "hop1.example",
            "missing.example",
            "parent.example",
        ],
    );
    let r = run(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    let status = |n: &str| {
        j["dns"]["findings"][n]["status"]
            .as_str()
            .unwrap_or("absent")
            .to_string()
    };
    assert_eq!(status("ready.example"), "ready");
    assert_eq!(status("elsewhere.example"), "mismatch");
    assert_eq!(
        j["dns"]["findings"]["elsewhere.example"]["addresses"][0],
        "198.51.100.7"
    );
    assert_eq!(
        status("dual.example"),
        "partial",
        "an AAAA elsewhere makes a name not ready"
    );
    assert_eq!(
        status("hop1.example"),
        "ready",
        "a CNAME chain to the server is ready"
    );
    assert_eq!(status("missing.example"), "nxdomain");
    assert_eq!(status("parent.example"), "no-records");
    // Basic mode: only the ready additions are attached; the rest wait, each with its finding.
    let adds: Vec<&str> = j["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "add")
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(adds, ["hop1.example"]);
    let deferred: Vec<(String, String)> = j["deferred"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["finding"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        deferred.contains(&("elsewhere.example".into(), "mismatch".into())),
        "{deferred:?}"
    );
    assert!(deferred.contains(&("dual.example".into(), "partial".into())));
    assert!(deferred.contains(&("missing.example".into(), "nxdomain".into())));
    assert!(deferred.contains(&("parent.example".into(), "no-records".into())));

    let text = run(&sb, &["plan", "-f", f.arg()]);
    assert!(
        text.stdout
            .contains("! elsewhere.example: mismatch: points at 198.51.100.7"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("! missing.example: nxdomain"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_resolver_that_never_answers_makes_names_error_never_ready() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let tcp = std::net::TcpListener::bind(silent.local_addr().unwrap()).ok();
    let addr = silent.local_addr().unwrap().to_string();
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &["{name: main.example, type: primary}"],
        &[&a("new.example", "127.0.0.1")],
    );
    let f = desired("defaults: {www: false}\n", &["main.example", "new.example"]);
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &[
            "plan",
            "-f",
            f.arg(),
            "--format",
            "json",
            "--resolver",
            &addr,
            "--dns-timeout",
            "1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(j["dns"]["findings"]["new.example"]["status"], "error");
    assert_eq!(
        j["summary"]["add"], 0,
        "a timed-out name is not attached in basic mode"
    );
    assert_eq!(j["summary"]["ssl"], 0);
    drop(tcp);
}

#[test]
fn basic_mode_attaches_the_ready_names_and_redeploys_once() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: 30}}",
        &["{name: main.example, type: primary}"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("one.example", "127.0.0.1"),
            &a("two.example", "127.0.0.1"),
            &a("away.example", "198.51.100.9"),
        ],
    );
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "one.example", "two.example", "away.example"],
    );
    let plan = run(&sb, &["plan", "-f", f.arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("2 to add, 0 to update, 0 to remove, 1 SSL, 1 deferred"),
        "{}",
        plan.stdout
    );
    let expiry = plan
        .stdout
        .split("Certificate: 1 of 1 attached ready names covered; the soonest expires in ")
        .nth(1)
        .expect("coverage line");
    let days: i64 = expiry.split(' ').next().unwrap().parse().unwrap();
    assert!(
        (29..=30).contains(&days),
        "{days} days to expiry of a 30-day certificate"
    );

    let apply = run(&sb, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let orders: Vec<_> = sb
        .writes()
        .into_iter()
        .filter(|w| w.path.contains("/ssl"))
        .collect();
    assert_eq!(orders.len(), 1, "exactly one certificate order: {orders:?}");
    assert_eq!(orders[0].method, "PUT");
    let cert = sb
        .handle
        .world()
        .basic_certificate(1, 2)
        .expect("a certificate");
    let mut names = cert.names.clone();
    names.sort();
    assert_eq!(names, ["main.example", "one.example", "two.example"]);
    assert!(!sb.domain_names(1, 2).contains(&"away.example".to_string()));

    // The server now presents the new certificate; a plan finds only the deferred name.
    let again = run(&sb, &["plan", "-f", f.arg()]);
    assert!(
        again
            .stdout
            .contains("0 to add, 0 to update, 0 to remove, 0 SSL, 1 deferred"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("Certificate: 3 of 3 attached ready names covered"),
        "{}",
        again.stdout
    );
}

#[test]
fn an_expired_certificate_is_redeployed_although_no_name_changed() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: -3}}",
        &["{name: main.example, type: primary}"],
        &[&a("main.example", "127.0.0.1")],
    );
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example"],
    );
    let plan = run(&sb, &["plan", "-f", f.arg()]);
    assert!(plan.stdout.contains("1 SSL"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("! main.example: not covered: the certificate expired"),
        "{}",
        plan.stdout
    );
    let apply = run(&sb, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let cert = sb.handle.world().basic_certificate(1, 2).unwrap();
    assert!(cert.not_after > cert.not_before);
    let again = run(&sb, &["plan", "-f", f.arg()]);
    assert!(
        again.stdout.contains("0 SSL, 0 deferred"),
        "{}",
        again.stdout
    );
}

#[test]
fn advanced_mode_orders_per_name_and_defers_unready_ones() {
    let sb = loopback_world(
        "",
        "{mode: advanced}",
        &["{name: main.example, type: primary}", "old.example"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("old.example", "127.0.0.1"),
            &a("fresh.example", "127.0.0.1"),
        ],
    );
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &[
            "main.example",
            "old.example",
            "fresh.example",
            "later.example",
        ],
    );
    let apply = run(&sb, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("… ssl later.example: DNS is not ready for later.example"),
        "{}",
        apply.stdout
    );
    let w = sb.handle.world();
    for name in ["main.example", "old.example", "fresh.example"] {
        assert!(
            w.domain_certificate(1, 2, name).is_some(),
            "{name} has its certificate:\n{}",
            apply.stdout
        );
    }
    assert!(w.domain_certificate(1, 2, "later.example").is_none());
    assert!(
        sb.domain_names(1, 2).contains(&"later.example".to_string()),
        "advanced mode attaches it; only its order waits"
    );
    let again = run(&sb, &["plan", "-f", f.arg()]);
    assert!(
        again
            .stdout
            .contains("0 to add, 0 to update, 0 to remove, 0 SSL, 1 deferred"),
        "{}",
        again.stdout
    );
}

#[test]
fn auto_ssl_places_no_order_but_reports_uncovered_names() {
    let sb = loopback_world(
        "",
        "{mode: basic, auto_ssl: true, certificate: {names: [main.example], valid_days: 30}}",
        &["{name: main.example, type: primary}", "b.example"],
        &[
            &a("main.example", "127.0.0.1"),
            &a("b.example", "127.0.0.1"),
        ],
    );
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "b.example"],
    );
    let plan = run(&sb, &["plan", "-f", f.arg()]);
    assert!(plan.stdout.contains("0 SSL, 1 deferred"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("AutoSSL is on, so no order is placed; not covered now: b.example"),
        "{}",
        plan.stdout
    );
}

#[test]
fn skip_dns_says_so_and_orders_nothing() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: 30}}",
        &["{name: main.example, type: primary}"],
        &[],
    );
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "new.example"],
    );
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--skip-dns"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("DNS not checked (--skip-dns)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("no certificate is ordered"),
        "{}",
        r.stdout
    );
    assert!(sb.writes().iter().all(|w| !w.path.contains("/ssl")));
    assert!(sb.domain_names(1, 2).contains(&"new.example".to_string()));
}

#[test]
fn an_unreachable_tls_endpoint_makes_coverage_unknown_and_orders_nothing() {
    let sb = loopback_world(
        "",
        "{mode: basic, certificate: {names: [main.example], valid_days: 30}}",
        &["{name: main.example, type: primary}"],
        &[&a("main.example", "127.0.0.1")],
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example"],
    );
    let dns = sb.handle.dns_addr().to_string();
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &[
            "plan",
            "-f",
            f.arg(),
            "--resolver",
            &dns,
            "--tls-port",
            &closed,
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(
        j["dns"]["certificates"]["main.example"]["status"],
        "unknown"
    );
    assert_eq!(j["summary"]["ssl"], 0);
}

#[test]
fn a_certificate_order_with_an_unknown_outcome_is_not_repeated() {
    let mut s = credentials_yaml();
    s.push_str("faults:\n  - {kind: status, code: 503, method: PUT, path: /ssl}\n");
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 127.0.0.1\n    apps:\n      - id: 2\n        name: app\n        ssl: {mode: basic, certificate: {names: [main.example], valid_days: 30}}\n        domains:\n          - {name: main.example, type: primary}\n");
    s.push_str(&format!(
        "dns:\n  - {}\n  - {}\n",
        a("main.example", "127.0.0.1"),
        a("new.example", "127.0.0.1")
    ));
    let sb = Sandbox::start(&s);
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "new.example"],
    );
    let r = run(&sb, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 4, "{}", r.all());
    assert!(r.stdout.contains("the outcome is unknown"), "{}", r.stdout);
    let puts = sb.writes().iter().filter(|w| w.method == "PUT").count();
    assert_eq!(puts, 1, "a redeploy is never sent twice");
}
