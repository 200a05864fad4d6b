//! The client against every reading of RunCloud that no source confirms (shared/runcloud-api.md):
//! the sandbox plays each one, and the client must fail closed — never remove, overwrite or
//! order on an assumption. Each test also checks which write requests were (not) sent.

use crate::support::*;

fn a(name: &str) -> String {
    format!("{{name: {name}, type: A, value: 127.0.0.1}}")
}

fn kept_reason(plan: &serde_json::Value, name: &str) -> Option<String> {
    plan["kept"]
        .as_array()?
        .iter()
        .find(|k| k["name"] == name)
        .and_then(|k| k["reason"].as_str())
        .map(str::to_string)
}

fn id_of(sb: &Sandbox, name: &str) -> u64 {
    sb.handle
        .world()
        .domains(1, 2)
        .into_iter()
        .find(|d| d.name == name)
        .map(|d| d.id)
        .unwrap_or_else(|| panic!("{name} is attached"))
}

fn writes_to(sb: &Sandbox, needle: &str) -> Vec<String> {
    sb.writes()
        .into_iter()
        .filter(|r| r.path.contains(needle))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_domain_of_another_type_is_never_removed_updated_or_retyped() {
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &[
            "{name: main.example, type: primary}",
            "{name: redirect.example, type: redirect}",
            "{name: listed-redirect.example, type: redirect}",
            "{name: gone-redirect.example, type: redirect}",
            "old.example",
        ],
        &[],
    );
    let ids: Vec<u64> = [
        "redirect.example",
        "listed-redirect.example",
        "gone-redirect.example",
    ]
    .iter()
    .map(|n| id_of(&sb, n))
    .collect();
    // Prune on, grace 0; one redirect listed with other settings, one tombstoned.
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, grace: 0, max: 100, max_percent: 100}\n",
        &[
            "main.example",
            "{name: listed-redirect.example, www: true, redirection: www}",
            "{name: gone-redirect.example, state: absent}",
        ],
    );
    let plan = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    let j = stdout_json(&plan);
    for name in [
        "redirect.example",
        "listed-redirect.example",
        "gone-redirect.example",
    ] {
        assert_eq!(
            kept_reason(&j, name).as_deref(),
            Some("other-type"),
            "{name}: {j:#}"
        );
        assert!(
            !j["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == name),
            "no action on {name}: {j:#}"
        );
    }
    let text = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert!(
        text.stdout.contains("neither primary nor alias"),
        "the plan says why: {}",
        text.stdout
    );
    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    // Only the unlisted alias went.
    assert_eq!(
        writes_to(&sb, "/domains"),
        vec![format!(
            "DELETE /api/v3/servers/1/webapps/2/domains/{}",
            id_of_removed(&sb)
        )]
    );
    for id in ids {
        assert!(
            sb.handle.world().domains(1, 2).iter().any(|d| d.id == id),
            "domain {id} stays"
        );
    }
}

/// The id the one DELETE of the test above carried (read back from the request log).
fn id_of_removed(sb: &Sandbox) -> String {
    sb.writes()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .map(|r| r.path.rsplit('/').next().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn an_iso_8601_created_at_keeps_a_fresh_alias_within_grace() {
    let now = jiff::Timestamp::now();
    let zulu = now.to_string(); // 2026-11-30T23:40:01.123456789Z
    let offset = now
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)))
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &[
            "{name: main.example, type: primary}",
            &format!("{{name: fresh-z.example, created_at: '{zulu}'}}"),
            &format!("{{name: fresh-offset.example, created_at: '{offset}'}}"),
            "{name: old.example, created_at: '2024-07-18T01:31:10Z'}",
        ],
        &[],
    );
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, grace: 24h, max: 100, max_percent: 100}\n",
        &["main.example"],
    );
    let plan = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    let j = stdout_json(&plan);
    let deferred: Vec<&str> = j["deferred"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["reason"] == "within-grace")
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        deferred,
        vec!["fresh-offset.example", "fresh-z.example"],
        "{j:#}"
    );
    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let removed: Vec<String> = writes_to(&sb, "/domains");
    assert_eq!(removed.len(), 1, "only old.example: {removed:?}");
    assert_eq!(
        sb.domain_names(1, 2),
        vec!["fresh-offset.example", "fresh-z.example", "main.example"]
    );
}

#[test]
fn a_missing_or_unreadable_created_at_keeps_the_alias_unless_grace_is_zero() {
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &["{name: main.example, type: primary}"],
        &[],
    );
    let w = sb.handle.world();
    for (name, created) in [
        ("empty.example", ""),
        ("garbage.example", "last tuesday"),
        ("zeros.example", "0000-00-00 00:00:00"),
    ] {
        w.add_raw_domain_behind_back(
            1,
            2,
            name,
            rcdomains::sandbox::SeedDomainKind::Alias,
            created,
        )
        .unwrap();
    }
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, max: 100, max_percent: 100}\n",
        &["main.example"],
    );
    let plan = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    let j = stdout_json(&plan);
    for name in ["empty.example", "garbage.example", "zeros.example"] {
        assert_eq!(
            kept_reason(&j, name).as_deref(),
            Some("age-unknown"),
            "{j:#}"
        );
    }
    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());

    // `grace: 0` is the explicit way to prune regardless of age.
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, grace: 0, max: 100, max_percent: 100}\n",
        &["main.example"],
    );
    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(sb.domain_names(1, 2), vec!["main.example"]);
}

/// 95 aliases and a primary, every one listed in the desired file.
fn bulk_world(readings: &str) -> (Sandbox, DesiredFile) {
    let mut s = credentials_yaml();
    s.push_str(readings);
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 127.0.0.1\n    apps:\n      - id: 2\n        name: app\n        domains:\n          - {name: main.example, type: primary}\n        bulk: {count: 95, template: 'site{n}.bulk.example'}\n");
    let sb = Sandbox::start(&s);
    let mut names = vec!["main.example".to_string()];
    names.extend((1..=95).map(|n| format!("site{n}.bulk.example")));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, grace: 0, max: 1000, max_percent: 100}\n",
        &refs,
    );
    (sb, f)
}

#[test]
fn a_list_without_totals_is_read_until_an_empty_page_even_when_per_page_is_ignored() {
    for readings in [
        "pagination: none\n",
        "pagination: none\nreadings: {ignore_per_page: true}\n",
        "readings: {ignore_per_page: true}\n",
        "pagination: last_page\nreadings: {ignore_per_page: true}\n",
    ] {
        let (sb, f) = bulk_world(readings);
        let plan = rcd(
            Some(&sb),
            Auth::V3,
            &["plan", "-f", f.arg(), "--format", "json"],
        );
        assert_eq!(plan.code, 0, "{readings}: {}", plan.all());
        let j = stdout_json(&plan);
        assert_eq!(
            j["summary"]["changes"], false,
            "{readings}: every live name was read, so nothing is added or removed: {j:#}"
        );
        let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
        assert_eq!(apply.code, 0, "{readings}: {}", apply.all());
        assert!(sb.writes().is_empty(), "{readings}: {:?}", sb.writes());
        if readings.contains("ignore_per_page") && readings.contains("none") {
            // 96 names at 20 a page: 5 pages, then the empty page 6 ends the list.
            let pages: Vec<String> = sb
                .handle
                .requests()
                .into_iter()
                .filter(|r| r.method == "GET" && r.path.ends_with("/domains"))
                .filter_map(|r| r.query)
                .collect();
            assert!(pages.iter().any(|q| q.contains("page=6")), "{pages:?}");
        }
    }
}

#[test]
fn a_server_that_ignores_the_page_parameter_is_an_error_not_a_short_list() {
    for readings in [
        "pagination: none\nreadings: {ignore_page: true}\n",
        "readings: {ignore_page: true}\n",
    ] {
        let (sb, _) = bulk_world(readings);
        // Prune on and only the primary listed: a list cut short would plan 95 removals.
        let f = desired(
            "removals: {prune: true, grace: 0, max: 1000, max_percent: 100}\n",
            &["main.example"],
        );
        let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
        assert_eq!(apply.code, 1, "{readings}: {}", apply.all());
        assert!(
            apply.stderr.contains("ignored the page parameter")
                || apply
                    .stderr
                    .contains("appeared on page 1 and again on page 2"),
            "{readings}: {}",
            apply.stderr
        );
        assert!(sb.writes().is_empty(), "{readings}: {:?}", sb.writes());
    }
}

#[test]
fn a_token_on_a_v2_url_speaks_v2_with_bearer_and_never_patches_meta() {
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &[
            "{name: main.example, type: primary}",
            "{name: shop.example, www: false, redirection: none}",
        ],
        &[],
    );
    let f = desired(
        "",
        &[
            "{name: main.example, www: false, redirection: none}",
            "{name: shop.example, www: true, redirection: non-www}",
            "new.example",
        ],
    );
    let v2 = sb.handle.api_url_v2();
    let plan = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json", "--api-url", &v2],
    );
    assert_eq!(plan.code, 0, "{}", plan.all());
    let j = stdout_json(&plan);
    assert_eq!(j["api"], "v2", "{j:#}");
    assert!(
        j["deferred"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "shop.example" && d["reason"] == "update-needs-v3"),
        "{j:#}"
    );
    let apply = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--api-url", &v2],
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    let requests = sb.handle.requests();
    assert!(
        requests.iter().all(|r| r.path.starts_with("/api/v2/")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.auth == rcdomains::sandbox::AuthKind::Bearer),
        "the token is sent as Bearer on v2"
    );
    assert!(
        !requests.iter().any(|r| r.method == "PATCH"),
        "no PATCH …/meta on v2: {requests:?}"
    );
    assert_eq!(
        sb.domain_names(1, 2),
        vec!["main.example", "new.example", "shop.example"]
    );
}

#[test]
fn a_key_pair_on_a_v3_url_is_refused_before_any_request() {
    let sb = loopback_world(
        "",
        "{mode: basic}",
        &["{name: main.example, type: primary}"],
        &[],
    );
    let f = desired("", &["main.example"]);
    let v3 = sb.handle.api_url_v3();
    let r = rcd(
        Some(&sb),
        Auth::V2,
        &["plan", "-f", f.arg(), "--api-url", &v3],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("API v3, which takes a token"),
        "{}",
        r.stderr
    );
    assert!(sb.handle.requests().is_empty());
}

#[test]
fn the_server_address_is_read_under_each_of_its_names() {
    for field in ["ipAddress", "ip_address", "ip"] {
        let sb = loopback_world(
            &format!("readings: {{server_ip_field: {field}}}\n"),
            "{mode: basic}",
            &["{name: main.example, type: primary}"],
            &[&a("main.example"), &a("new.example")],
        );
        let f = desired("defaults: {www: false}\n", &["main.example", "new.example"]);
        let r = rcd_checked(&sb, Auth::V3, &["plan", "-f", f.arg(), "--format", "json"]);
        assert_eq!(r.code, 0, "{field}: {}", r.all());
        let j = stdout_json(&r);
        assert_eq!(j["dns"]["server_ip"], "127.0.0.1", "{field}");
        assert_eq!(
            j["dns"]["findings"]["new.example"]["status"], "ready",
            "{field}: {j:#}"
        );
    }
}

#[test]
fn without_a_server_address_skip_dns_plans_and_dns_checks_name_the_way_out() {
    let sb = loopback_world(
        "readings: {server_ip_field: none}\n",
        "{mode: basic}",
        &["{name: main.example, type: primary}"],
        &[&a("main.example"), &a("new.example")],
    );
    let f = desired("defaults: {www: false}\n", &["main.example", "new.example"]);
    let skip = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(skip.code, 0, "{}", skip.all());
    assert!(skip.stdout.contains("1 to add"), "{}", skip.stdout);

    let r = rcd_checked(&sb, Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("dns.server_ip") && r.stderr.contains("--skip-dns"),
        "{}",
        r.stderr
    );
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());

    // The way out: the address in the file.
    let f = desired(
        "defaults: {www: false}\ndns: {server_ip: 127.0.0.1}\n",
        &["main.example", "new.example"],
    );
    let r = rcd_checked(&sb, Auth::V3, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = stdout_json(&r);
    assert_eq!(j["dns"]["findings"]["new.example"]["status"], "ready");

    let bad = desired("dns: {server_ip: not-an-ip}\n", &["main.example"]);
    let r = rcd(None, Auth::None, &["validate", "-f", bad.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("`dns.server_ip`"), "{}", r.stderr);
}

#[test]
fn every_request_says_json_both_ways() {
    let sb = loopback_world(
        "readings: {require_json_headers: true}\n",
        "{mode: basic}",
        &["{name: main.example, type: primary}", "old.example"],
        &[],
    );
    let f = desired(
        "removals: {prune: true, grace: 0, max: 100, max_percent: 100}\n",
        &["main.example", "new.example"],
    );
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        sb.handle.requests().iter().all(|r| r.status != 415),
        "{:?}",
        sb.handle.requests()
    );
    assert_eq!(sb.domain_names(1, 2), vec!["main.example", "new.example"]);
}

#[test]
fn a_custom_basic_certificate_is_never_redeployed_or_installed_over() {
    for method in ["custom", "Custom SSL"] {
        let sb = loopback_world(
            "",
            &format!(
                "{{mode: basic, certificate: {{names: [main.example], valid_days: 60, method: '{method}'}}}}"
            ),
            &["{name: main.example, type: primary}"],
            &[&a("main.example"), &a("new.example")],
        );
        let f = desired(
            "defaults: {www: false, redirection: none}\n",
            &["main.example", "new.example"],
        );
        let plan = rcd_checked(&sb, Auth::V3, &["plan", "-f", f.arg(), "--format", "json"]);
        assert_eq!(plan.code, 0, "{}", plan.all());
        let j = stdout_json(&plan);
        assert_eq!(j["summary"]["ssl"], 0, "{j:#}");
        assert!(
            j["deferred"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["reason"] == "custom-certificate"
                    && d["message"].as_str().unwrap().contains("never redeployed")),
            "{j:#}"
        );
        let apply = rcd_checked(&sb, Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
        assert_eq!(apply.code, 0, "{}", apply.all());
        assert!(writes_to(&sb, "/ssl").is_empty(), "{:?}", sb.writes());
        assert_eq!(sb.domain_names(1, 2), vec!["main.example", "new.example"]);
    }
}

#[test]
fn advanced_mode_redeploys_an_existing_certificate_and_installs_only_where_none_is() {
    let sb = loopback_world(
        "",
        "{mode: advanced, domain_certificates: [{names: [a.example], valid_days: 60}, {names: [c.example], valid_days: 60, method: custom}]}",
        &[
            "{name: main.example, type: primary}",
            "{name: a.example, www: false}",
            "{name: b.example, www: false}",
            "{name: c.example, www: false}",
        ],
        // main.example points nowhere: nothing is ordered for it, so its certificate is not read.
        &[
            &a("a.example"),
            &a("www.a.example"),
            &a("b.example"),
            &a("c.example"),
            &a("www.c.example"),
        ],
    );
    let a_id = id_of(&sb, "a.example");
    let b_id = id_of(&sb, "b.example");
    // www on for a (certificate to redeploy for the new name) and c (custom: left alone);
    // b has none (install); main has none and is not ready for www (deferred).
    let f = desired(
        "defaults: {redirection: none}\n",
        &[
            "{name: main.example, www: false}",
            "{name: a.example, www: true}",
            "{name: b.example, www: false}",
            "{name: c.example, www: true}",
        ],
    );
    let plan = rcd_checked(&sb, Auth::V3, &["plan", "-f", f.arg(), "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let j = stdout_json(&plan);
    let order = |name: &str| {
        j["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "ssl" && a["name"] == name)
            .and_then(|a| a["order"].as_str())
            .map(str::to_string)
    };
    assert_eq!(
        order("a.example").as_deref(),
        Some("advanced-redeploy"),
        "{j:#}"
    );
    assert_eq!(
        order("b.example").as_deref(),
        Some("advanced-install"),
        "{j:#}"
    );
    assert_eq!(order("c.example"), None, "{j:#}");
    assert!(
        j["deferred"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "c.example" && d["reason"] == "custom-certificate"),
        "{j:#}"
    );
    // Certificates were read only for the domains the plan orders for.
    let cert_reads: Vec<String> = sb
        .handle
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("/domains/") && r.path.ends_with("/ssl"))
        .map(|r| r.path)
        .collect();
    let main_id = id_of(&sb, "main.example");
    assert!(
        cert_reads
            .iter()
            .all(|p| !p.contains(&format!("/domains/{main_id}/"))),
        "{cert_reads:?}"
    );

    sb.handle.clear_requests();
    let apply = rcd_checked(&sb, Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let ssl_writes = writes_to(&sb, "/ssl");
    let a_cert = sb
        .handle
        .world()
        .certificate_for_name("www.a.example")
        .expect("a.example's certificate now covers www.a.example");
    assert!(
        ssl_writes.contains(&format!(
            "PUT /api/v3/servers/1/webapps/2/domains/{a_id}/ssl/{}",
            a_id_cert(&ssl_writes, a_id)
        )),
        "{ssl_writes:?}"
    );
    assert!(a_cert.names.contains(&"a.example".to_string()));
    assert!(
        ssl_writes.contains(&format!(
            "POST /api/v3/servers/1/webapps/2/domains/{b_id}/ssl"
        )),
        "{ssl_writes:?}"
    );
    assert_eq!(ssl_writes.len(), 2, "nothing for c.example: {ssl_writes:?}");
}

/// The certificate id in the PUT for domain `id`.
fn a_id_cert(writes: &[String], id: u64) -> String {
    let prefix = format!("PUT /api/v3/servers/1/webapps/2/domains/{id}/ssl/");
    writes
        .iter()
        .find_map(|w| w.strip_prefix(&prefix))
        .unwrap_or("none")
        .to_string()
}

#[test]
fn ssl_not_installed_is_understood_whatever_its_status() {
    for status in [200, 400, 404, 422] {
        let sb = loopback_world(
            &format!("readings: {{no_ssl_status: {status}}}\n"),
            "{mode: basic}",
            &["{name: main.example, type: primary}"],
            &[&a("main.example")],
        );
        let f = desired("defaults: {www: false}\n", &["main.example"]);
        let plan = rcd_checked(&sb, Auth::V3, &["plan", "-f", f.arg(), "--format", "json"]);
        assert_eq!(plan.code, 0, "{status}: {}", plan.all());
        let j = stdout_json(&plan);
        let orders: Vec<&str> = j["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["order"].as_str())
            .collect();
        assert_eq!(orders, vec!["basic-install"], "{status}: {j:#}");
    }
}

#[test]
fn an_unreported_auto_ssl_is_taken_as_on_and_nothing_is_ordered() {
    for mode in [
        "{mode: basic}",
        "{mode: basic, certificate: {names: [main.example], valid_days: 60}}",
        "{mode: advanced}",
    ] {
        let sb = loopback_world(
            "readings: {ssl_mode_fields: advanced_only}\n",
            mode,
            &["{name: main.example, type: primary}"],
            &[&a("main.example"), &a("new.example")],
        );
        let f = desired(
            "defaults: {www: false, redirection: none}\n",
            &["main.example", "new.example"],
        );
        let plan = rcd_checked(&sb, Auth::V3, &["plan", "-f", f.arg()]);
        assert_eq!(plan.code, 0, "{mode}: {}", plan.all());
        assert!(
            plan.stdout
                .contains("RunCloud did not say whether AutoSSL is on; taken as on"),
            "{mode}: {}",
            plan.stdout
        );
        let apply = rcd_checked(&sb, Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
        assert_eq!(apply.code, 0, "{mode}: {}", apply.all());
        assert!(
            writes_to(&sb, "/ssl").is_empty(),
            "{mode}: {:?}",
            sb.writes()
        );
        assert_eq!(sb.domain_names(1, 2), vec!["main.example", "new.example"]);
    }
}
