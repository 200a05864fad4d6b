//! Hostile or broken answers and inputs: redirects, endless waits, echoed credentials,
//! duplicate keys, device files, live names that are not canonical, a `--out` that would
//! overwrite. Each ends with a clear error (or a safe plan), and no write that is not due.

use crate::support::*;

fn live(extra: &str) -> Sandbox {
    Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "a.example"],
        extra,
    ))
}

fn plain_desired(domains: &[&str]) -> DesiredFile {
    desired("defaults: {www: false, redirection: none}\n", domains)
}

#[test]
fn a_redirect_is_an_error_naming_the_location_and_is_never_followed() {
    let sb = live("faults:\n  - {kind: redirect, method: GET, path: /domains}\n");
    let f = plain_desired(&["main.example", "a.example"]);
    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("elsewhere.invalid") && r.stderr.contains("does not redirect"),
        "{}",
        r.stderr
    );

    // A write answered with a redirect is not re-sent, anywhere.
    let sb = live("faults:\n  - {kind: redirect, code: 307, method: POST}\n");
    let f = plain_desired(&["main.example", "a.example", "new.example"]);
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 4, "{}", r.all());
    let posts = sb
        .handle
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "{:?}", sb.handle.requests());
    assert!(r.all().contains("elsewhere.invalid"), "{}", r.all());
}

#[test]
fn a_retry_after_of_a_billion_seconds_ends_the_run_at_once() {
    let sb = live("faults:\n  - {kind: rate_limited, retry_after: 1000000000, times: 0}\n");
    let f = plain_desired(&["main.example", "a.example"]);
    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("asks to wait 1000000000 s"),
        "{}",
        r.stderr
    );
    // The first reads go out at once; none of them is sent again.
    assert_eq!(
        repeated_paths(&sb),
        Vec::<String>::new(),
        "no retry after such an answer: {:?}",
        sb.handle.requests()
    );
}

#[test]
fn an_answer_echoing_the_authorization_header_leaks_no_credential_in_any_form() {
    for (auth, name) in [(Auth::V3, "v3"), (Auth::V2, "v2")] {
        let sb = live("faults:\n  - {kind: echo_auth, times: 0}\n");
        let f = plain_desired(&["main.example", "a.example"]);
        let r = rcd(Some(&sb), auth, &["plan", "-f", f.arg(), "-vv"]);
        assert_eq!(r.code, 1, "{name}: {}", r.all());
        let all = r.all();
        let basic = base64(&format!("{KEY}:{SECRET}"));
        for secret in [TOKEN, KEY, SECRET, basic.as_str()] {
            // No prefix of 8 characters or more survives either.
            for len in 8..=secret.len() {
                assert!(
                    !all.contains(&secret[..len]),
                    "{name}: a prefix of a credential leaked: {all}"
                );
            }
        }
        assert!(all.contains("[redacted]"), "{name}: {all}");
    }
}

#[test]
fn duplicate_keys_in_the_desired_file_are_an_error_naming_both_lines() {
    let f = DesiredFile::new(
        "version: 1\ntarget: {server: 1, app: 2}\nremovals:\n  prune: false\n  max: 5\n  prune: true\ndomains:\n  - name: a.example\n    www: true\n    www: false\n",
    );
    let r = rcd(None, Auth::None, &["validate", "-f", f.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains(":6: `prune` appears twice in `removals` (lines 4 and 6)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(":10: `www` appears twice in `domains[0]` (lines 9 and 10)"),
        "{}",
        r.stderr
    );
}

#[test]
fn input_files_that_are_not_regular_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("domains.yaml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let fifo = dir.path().join("fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let mut paths = vec![
        "/dev/zero".to_string(),
        "/dev/urandom".to_string(),
        link.display().to_string(),
        dir.path().display().to_string(),
    ];
    if made {
        paths.push(fifo.display().to_string());
    }
    for p in &paths {
        for args in [
            vec!["validate", "-f", p.as_str()],
            vec!["plan", "-f", p.as_str()],
            vec!["apply", p.as_str()],
        ] {
            let r = rcd(None, Auth::V3, &args);
            assert_eq!(r.code, 1, "{args:?}: {}", r.all());
            assert!(
                r.stderr.contains("is not a regular file"),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
    let missing = rcd(
        None,
        Auth::None,
        &["validate", "-f", "/nonexistent/domains.yaml"],
    );
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("rcdomains generate"),
        "says how to get one: {}",
        missing.stderr
    );
}

#[test]
fn plan_out_never_overwrites_the_desired_file_or_a_file_that_is_not_a_saved_plan() {
    let sb = live("");
    let f = plain_desired(&["main.example", "a.example"]);
    let before = std::fs::read_to_string(&f.path).unwrap();
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--out", f.arg()],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("is the desired-state file"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&f.path).unwrap(), before);

    let other = f.dir.path().join("notes.txt");
    std::fs::write(&other, "keep me\n").unwrap();
    let o = other.to_str().unwrap();
    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg(), "--out", o]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("is not a saved plan"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "keep me\n");

    // A new path, then the same path again (an earlier saved plan is replaced).
    let out = f.dir.path().join("plan.json");
    let o = out.to_str().unwrap();
    for _ in 0..2 {
        let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg(), "--out", o]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    // The advice for `apply domains.yaml` does not lead to overwriting it.
    let r = rcd(Some(&sb), Auth::V3, &["apply", f.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        !r.stderr.contains(&format!("--out {}", f.arg())),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("apply -f"), "{}", r.stderr);
}

#[test]
fn live_names_are_compared_as_runcloud_spells_them_and_never_posted() {
    let sb = live("");
    let w = sb.handle.world();
    let mut raw_ids = Vec::new();
    for raw in [
        "Shop.Example",
        "shop\u{ad}.example",
        "evil\n+ forged.example",
    ] {
        let d = w
            .add_raw_domain_behind_back(
                1,
                2,
                raw,
                rcdomains::sandbox::SeedDomainKind::Alias,
                "2024-01-01 00:00:00",
            )
            .unwrap();
        raw_ids.push(d.id);
    }
    let f = desired(
        "defaults: {www: false, redirection: none}\nremovals: {prune: true, max: 100, max_percent: 100}\n",
        &["main.example", "a.example", "shop.example"],
    );
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let actions = j["actions"].as_array().unwrap();
    let adds: Vec<&str> = actions
        .iter()
        .filter(|a| a["kind"] == "add")
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        adds,
        vec!["shop.example"],
        "not folded onto a live name: {j:#}"
    );
    let mut removed: Vec<u64> = actions
        .iter()
        .filter(|a| a["kind"] == "remove")
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    removed.sort();
    assert_eq!(removed, raw_ids, "removed by id under prune: {j:#}");
    assert!(!actions.iter().any(|a| a["kind"] == "update"), "{j:#}");

    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let posts: Vec<_> = sb
        .writes()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "only shop.example is posted: {posts:?}");
    assert_eq!(
        sb.domain_names(1, 2),
        vec!["a.example", "main.example", "shop.example"]
    );
}

#[test]
fn output_that_cannot_be_written_is_an_error_not_a_success() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on this system
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcdomains"))
        .arg("schema")
        .stdout(std::process::Stdio::from(full))
        .output()
        .expect("run rcdomains");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write the results"), "{stderr}");
}
