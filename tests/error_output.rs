//! The error output of the main failure paths, character for character (insta snapshots): a
//! message is part of the contract, so a change to one shows up in review. Temporary paths and
//! loopback ports are replaced by placeholders; everything else is as the user sees it.

use crate::support::*;

/// stderr with the run's temporary directory and the sandbox's address made stable.
fn stable(r: &Run, dir: &std::path::Path, sb: Option<&Sandbox>) -> String {
    let mut text = r.stderr.replace(dir.to_str().unwrap(), "[DIR]");
    if let Some(sb) = sb {
        let url = sb.handle.api_url_v3();
        let host = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        text = text.replace(&host, "[API]");
    }
    format!("exit {}\n{text}", r.code)
}

fn live() -> Sandbox {
    Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "a.example"],
        "",
    ))
}

#[test]
fn error_missing_desired_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("domains.yaml");
    let r = rcd(
        None,
        Auth::V3,
        &["plan", "-f", missing.to_str().unwrap(), "--skip-dns"],
    );
    insta::assert_snapshot!("error_missing_desired_file", stable(&r, dir.path(), None));
}

#[test]
fn error_invalid_desired_file() {
    let f = DesiredFile::new(
        "version: 1\ntarget: {server: 1, app: 2}\ndomains:\n  - bad_name.example\n  - a.example\n  - a.example\nwwww: 1\n",
    );
    let r = rcd(None, Auth::V3, &["validate", "-f", f.arg()]);
    insta::assert_snapshot!("error_invalid_desired_file", stable(&r, f.dir.path(), None));
}

#[test]
fn error_no_credentials() {
    let f = desired("", &["main.example"]);
    let r = rcd(None, Auth::None, &["plan", "-f", f.arg(), "--skip-dns"]);
    insta::assert_snapshot!("error_no_credentials", stable(&r, f.dir.path(), None));
}

#[test]
fn error_unauthorized() {
    let sb = live();
    let f = desired("", &["main.example", "a.example"]);
    let r = rcd(
        Some(&sb),
        Auth::Token("wrong-token"),
        &["plan", "-f", f.arg()],
    );
    insta::assert_snapshot!("error_unauthorized", stable(&r, f.dir.path(), Some(&sb)));
}

#[test]
fn error_unknown_app() {
    let sb = live();
    let f =
        DesiredFile::new("version: 1\ntarget: {server: 1, app: 99}\ndomains:\n  - main.example\n");
    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    insta::assert_snapshot!("error_unknown_app", stable(&r, f.dir.path(), Some(&sb)));
}

#[test]
fn error_html_instead_of_the_api() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}"],
        "faults:\n  - {kind: html, code: 200, times: 0, path: /domains}\n",
    ));
    let f = desired("", &["main.example"]);
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--max-wait", "5"],
    );
    insta::assert_snapshot!(
        "error_html_instead_of_the_api",
        stable(&r, f.dir.path(), Some(&sb))
    );
}

#[test]
fn error_refused_by_the_removal_cap() {
    let sb = Sandbox::start(&seed(
        &[
            "{name: main.example, type: primary}",
            "a.example",
            "b.example",
            "c.example",
        ],
        "",
    ));
    let f = desired(
        "removals: {prune: true, grace: 0, max: 1}\n",
        &["main.example"],
    );
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    // A refusal is a result (stdout), not an error: its lines are the contract here.
    let refusal: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("REFUSED"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(!refusal.is_empty(), "{}", r.stdout);
    insta::assert_snapshot!(
        "error_refused_by_the_removal_cap",
        format!(
            "{}{}\n",
            stable(&r, f.dir.path(), Some(&sb)),
            refusal.join("\n")
        )
    );
}
