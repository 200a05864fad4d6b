//! Credentials appear nowhere: every command, at the highest verbosity, on success and on
//! failure, for both credential forms.

use crate::support::*;

fn assert_no_secret(label: &str, run: &Run) {
    for s in [TOKEN, KEY, SECRET] {
        assert!(
            !run.stdout.contains(s),
            "{label}: secret in stdout:\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(s),
            "{label}: secret in stderr:\n{}",
            run.stderr
        );
    }
    // base64 of key:secret, as the Basic header carries it
    let basic = base64(&format!("{KEY}:{SECRET}"));
    assert!(
        !run.all().contains(&basic),
        "{label}: Basic header value leaked"
    );
}

#[test]
fn no_command_prints_a_credential_at_any_verbosity() {
    let sb = Sandbox::start(&seed(
        &[
            "{name: main.example, type: primary}",
            "a.example",
            "b.example",
        ],
        "faults:\n  - {kind: status, code: 500, times: 1, method: GET, path: /domains}\n",
    ));
    let f = desired(
        "removals: {prune: true, max: 10, max_percent: 100}\n",
        &["main.example", "a.example", "new.example"],
    );
    let bad = DesiredFile::new("version: 1\ndomains:\n  - bad_name\n");
    let saved = f.dir.path().join("plan.json");
    let saved = saved.to_str().unwrap();
    let generated = f.dir.path().join("generated.yaml");
    let report = f.dir.path().join("report.json");
    for auth in [Auth::V3, Auth::V2] {
        for args in [
            vec![
                "plan",
                "-f",
                f.arg(),
                "--out",
                saved,
                "--format",
                "markdown",
            ],
            vec!["apply", saved, "--report", report.to_str().unwrap()],
            vec!["plan", "-f", f.arg(), "--detailed-exitcode"],
            vec!["completions", "bash"],
            vec![
                "generate",
                "--from",
                "runcloud",
                "-o",
                generated.to_str().unwrap(),
                "--server",
                "1",
                "--app",
                "2",
            ],
            vec!["validate", "-f", f.arg()],
            vec!["validate", "-f", bad.arg()],
            vec!["plan", "-f", f.arg()],
            vec![
                "plan",
                "-f",
                f.arg(),
                "--format",
                "json",
                "--log-format",
                "json",
            ],
            vec!["apply", "-f", f.arg(), "--yes"],
            vec!["apply", "-f", f.arg()],
            vec!["schema"],
            vec!["schema", "plan"],
            vec!["--help"],
        ] {
            let mut args = args.clone();
            args.push("-vvv");
            let auth_copy = match auth {
                Auth::V3 => Auth::V3,
                _ => Auth::V2,
            };
            let run = rcd(Some(&sb), auth_copy, &args);
            assert_no_secret(&args.join(" "), &run);
        }
        for file in [
            &saved.to_string(),
            &report.to_str().unwrap().to_string(),
            &generated.to_str().unwrap().to_string(),
        ] {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for secret in [TOKEN, KEY, SECRET] {
                assert!(!text.contains(secret), "{file} holds a credential");
            }
        }
    }
    // The sandbox command itself, whose seed holds the credentials it accepts.
    let seed_file = f.dir.path().join("seed.yaml");
    std::fs::write(
        &seed_file,
        seed(&["{name: main.example, type: primary}"], ""),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rcdomains"))
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--seed",
            seed_file.to_str().unwrap(),
            "-vvv",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("Rehearse") {
        use std::io::Read;
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let all = format!(
        "{seen}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("API v3: http://127.0.0.1:"),
        "the sandbox started: {all}"
    );
    for secret in [TOKEN, KEY, SECRET] {
        assert!(
            !all.contains(secret),
            "the sandbox printed a credential: {all}"
        );
    }
    // Refused credentials too: the token that was sent must not be echoed.
    let run = rcd(
        Some(&sb),
        Auth::Token("wrong-SECRET-token-value-42"),
        &["plan", "-f", f.arg(), "-vvv"],
    );
    assert_eq!(run.code, 1);
    assert!(
        !run.all().contains("wrong-SECRET-token-value-42"),
        "{}",
        run.all()
    );
    // The demo at the highest verbosity.
    let run = rcd(
        None,
        Auth::None,
        &[
            "demo",
            "-vvv",
            "--dir",
            repo_path("examples").to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !run.all().contains("sandbox-token"),
        "the demo's token leaked"
    );
}

#[test]
fn the_debug_logs_do_show_requests() {
    // Guards the test above against passing because nothing was logged at all.
    let sb = Sandbox::start(&seed(&["{name: main.example, type: primary}"], ""));
    let f = desired("", &["main.example"]);
    let run = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg(), "-vvv"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("/servers/1/webapps/2/domains"),
        "{}",
        run.stderr
    );
}
