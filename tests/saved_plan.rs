//! The CI workflow (issue 5): `plan --out FILE` then `apply FILE` applies exactly the reviewed
//! plan, and refuses (exit 3, no write request) when the live state, the desired file or the
//! DNS drifted, or when the file was edited; `plan --detailed-exitcode` in each case.

use crate::support::*;
use rcdomains::sandbox::RecordType;

const LIVE: &[&str] = &[
    "{name: network.example, type: primary, www: true, redirection: non-www}",
    "{name: shop.example.org, www: false, redirection: none}",
    "{name: orphan.example.com, www: true, redirection: non-www}",
];

fn file() -> DesiredFile {
    desired(
        "removals: {prune: true, max: 5, max_percent: 100, protect: [network.example]}\n",
        &["network.example", "shop.example.org", "new.example.net"],
    )
}

/// Runs `plan --out plan.json` beside the desired file; returns the plan file's path.
fn save_plan(sb: &Sandbox, f: &DesiredFile, extra: &[&str]) -> String {
    let out = f.dir.path().join("plan.json");
    let out = out.to_str().unwrap().to_string();
    let mut args = vec!["plan", "-f", f.arg(), "--out", &out];
    args.extend(extra);
    let run = rcd(Some(sb), Auth::V3, &args);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(sb.writes().is_empty(), "plan must not write");
    out
}

fn apply_saved(sb: &Sandbox, planfile: &str, extra: &[&str]) -> Run {
    let mut args = vec!["apply", planfile];
    args.extend(extra);
    rcd(Some(sb), Auth::V3, &args)
}

#[test]
fn an_unchanged_saved_plan_is_applied_and_reported() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let planfile = save_plan(&sb, &f, &[]);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).unwrap()).unwrap();
    assert!(
        saved["fingerprint"]
            .as_str()
            .is_some_and(|s| s.starts_with("sha256:")),
        "{saved}"
    );
    assert_eq!(saved["inputs"]["desired_file"], f.arg());
    assert_eq!(saved["summary"]["add"], 1);

    let report = f.dir.path().join("report.json");
    let run = apply_saved(&sb, &planfile, &["--report", report.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("Applied: 3 ok, 0 failed, 0 skipped"),
        "{}",
        run.stdout
    );
    assert_eq!(sb.writes().len(), 3, "{:?}", sb.writes());
    assert_eq!(
        sb.domain_names(1, 2),
        vec!["network.example", "new.example.net", "shop.example.org"]
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(report["summary"]["ok"], 3, "{report}");
    let statuses: Vec<&str> = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "ok", "ok"]);

    // The same plan file again: the live state moved on, so it is stale now.
    sb.handle.clear_requests();
    let again = apply_saved(&sb, &planfile, &[]);
    assert_eq!(again.code, 3, "{}", again.all());
    assert!(sb.writes().is_empty());
}

#[test]
fn a_domain_added_behind_the_back_makes_apply_refuse() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let planfile = save_plan(&sb, &f, &[]);
    sb.handle
        .world()
        .add_domain_behind_back(1, 2, "sneaky.example.com")
        .unwrap();
    sb.handle.clear_requests();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    assert!(run.stdout.contains("Refused"), "{}", run.stdout);
    assert!(
        run.stdout.contains("live: + sneaky.example.com"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_domain_removed_behind_the_back_makes_apply_refuse() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let planfile = save_plan(&sb, &f, &[]);
    assert!(
        sb.handle
            .world()
            .remove_domain_behind_back(1, 2, "shop.example.org")
    );
    sb.handle.clear_requests();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    assert!(
        run.stdout.contains("live: - shop.example.org"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_changed_desired_file_makes_apply_refuse() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let planfile = save_plan(&sb, &f, &[]);
    let text = std::fs::read_to_string(&f.path).unwrap();
    std::fs::write(&f.path, format!("{text}  - late.example.net\n")).unwrap();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    assert!(
        run.stdout.contains("desired: + late.example.net"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_hand_edited_plan_file_is_refused() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let planfile = save_plan(&sb, &f, &[]);
    let original = std::fs::read_to_string(&planfile).unwrap();

    // An action dropped (here: the removal a reviewer might want to sneak out, or in).
    let mut doc: serde_json::Value = serde_json::from_str(&original).unwrap();
    doc["actions"].as_array_mut().unwrap().remove(0);
    std::fs::write(&planfile, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stdout.contains("was changed after"), "{}", run.stdout);

    // A renamed addition.
    let edited = original.replace("\"new.example.net\"", "\"evil.example.net\"");
    assert_ne!(edited, original);
    std::fs::write(&planfile, edited).unwrap();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 3, "{}", run.all());

    // A desired file path pointed elsewhere.
    let mut doc: serde_json::Value = serde_json::from_str(&original).unwrap();
    doc["inputs"]["desired_file"] = "/etc/other.yaml".into();
    std::fs::write(&planfile, doc.to_string()).unwrap();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());

    // Untouched, it still applies: the edits above were what was refused.
    std::fs::write(&planfile, &original).unwrap();
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_saved_plan_holds_no_credential_nor_the_api_url() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    for auth in [Auth::V3, Auth::V2] {
        let out = f.dir.path().join("plan.json");
        let run = rcd(
            Some(&sb),
            auth,
            &["plan", "-f", f.arg(), "--out", out.to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "{}", run.all());
        let text = std::fs::read_to_string(&out).unwrap();
        for secret in [TOKEN, KEY, SECRET] {
            assert!(!text.contains(secret), "{secret} in the plan file");
        }
        assert!(!text.contains(&sb.handle.api_url_v3()), "API URL stored");
        assert!(
            !text.contains("127.0.0.1:"),
            "an address with a port stored"
        );
    }
}

/// One server on loopback with a basic certificate, and DNS for the names.
fn dns_seed() -> String {
    let mut s = credentials_yaml();
    s.push_str(
        "dns:\n  - {name: main.example, type: A, value: 127.0.0.1}\n  - {name: new.example, type: A, value: 127.0.0.1}\n",
    );
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 127.0.0.1\n    apps:\n      - id: 2\n        name: app\n        ssl: {mode: basic, certificate: {names: [main.example], valid_days: 60}}\n        domains:\n          - {name: main.example, type: primary, www: false, redirection: none}\n");
    s
}

#[test]
fn a_dns_change_between_plan_and_apply_makes_apply_refuse() {
    let sb = Sandbox::start(&dns_seed());
    let f = desired(
        "defaults: {www: false, redirection: none}\nssl: {mode: basic}\n",
        &["main.example", "new.example"],
    );
    let checks = checks_args(&sb);
    let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
    let planfile = save_plan(&sb, &f, &checks);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).unwrap()).unwrap();
    assert_eq!(
        saved["inputs"]["findings"]["new.example"], "ready",
        "{saved}"
    );

    // Without --resolver the test helper passes --skip-dns: a DNS-checked plan refuses that.
    let run = apply_saved(&sb, &planfile, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("drop --skip-dns"), "{}", run.stderr);

    sb.handle
        .world()
        .set_record("new.example", RecordType::A, "198.51.100.7")
        .unwrap();
    let run = apply_saved(&sb, &planfile, &checks);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(
        run.stdout.contains("DNS of new.example: ready → mismatch"),
        "{}",
        run.stdout
    );
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());

    sb.handle
        .world()
        .set_record("new.example", RecordType::A, "127.0.0.1")
        .unwrap();
    let run = apply_saved(&sb, &planfile, &checks);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!sb.writes().is_empty());
}

fn plan_code(sb: &Sandbox, auth: Auth, f: &DesiredFile, extra: &[&str]) -> Run {
    let mut args = vec!["plan", "-f", f.arg(), "--detailed-exitcode"];
    args.extend(extra);
    rcd(Some(sb), auth, &args)
}

#[test]
fn detailed_exitcode_is_0_without_changes_and_2_with_changes() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let run = plan_code(&sb, Auth::V3, &f, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    let plain = rcd(Some(&sb), Auth::V3, &["plan", "-f", f.arg()]);
    assert_eq!(
        plain.code, 0,
        "without the flag a plan with changes exits 0"
    );
    let apply = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let run = plan_code(&sb, Auth::V3, &f, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn detailed_exitcode_counts_deferred_only_as_no_changes_unless_asked() {
    // API v2 cannot update www/redirection in place: the drift is deferred, nothing else.
    let sb = Sandbox::start(&seed(LIVE[..2].as_ref(), ""));
    let f = desired(
        "removals: {protect: [network.example]}\n",
        &["network.example", "shop.example.org"],
    );
    let run = plan_code(&sb, Auth::V2, &f, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("1 deferred"), "{}", run.stdout);
    let run = plan_code(&sb, Auth::V2, &f, &["--deferred-as-changes"]);
    assert_eq!(run.code, 2, "{}", run.all());
}

#[test]
fn detailed_exitcode_keeps_3_for_a_refusal_and_1_for_an_error() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = desired(
        "removals: {prune: true, max: 1, max_percent: 100}\n",
        &["network.example"],
    );
    let run = plan_code(&sb, Auth::V3, &f, &[]);
    assert_eq!(run.code, 3, "{}", run.all());
    let run = plan_code(&sb, Auth::Token("wrong-token"), &f, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(sb.writes().is_empty());
}

/// A refusal (exit 3) is said in the format asked for, and `--report FILE` records it.
#[test]
fn a_refusal_is_printed_in_the_format_asked_for_and_reported() {
    let sb = Sandbox::start(&seed(LIVE, ""));
    let f = file();
    let planfile = save_plan(&sb, &f, &[]);
    sb.handle
        .world()
        .add_domain_behind_back(1, 2, "sneaky.example.com")
        .unwrap();
    sb.handle.clear_requests();
    let report = f.dir.path().join("report.json");
    let report_arg = report.to_str().unwrap();

    // A drifted saved plan, as JSON: the report with its refusal, on stdout and in the file.
    let run = apply_saved(
        &sb,
        &planfile,
        &["--format", "json", "--report", report_arg],
    );
    assert_eq!(run.code, 3, "{}", run.all());
    let printed: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout is not JSON: {}", run.stdout));
    assert_eq!(printed["refusal"]["reason"], "drift", "{printed}");
    assert!(
        printed["refusal"]["drift"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("live: + sneaky.example.com")),
        "{printed}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written, printed);
    assert_eq!(written["summary"]["ok"], 0);

    // As Markdown: no plain-text-only output.
    let run = apply_saved(&sb, &planfile, &["--format", "markdown"]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(
        run.stdout.contains("- `live: + sneaky.example.com"),
        "{}",
        run.stdout
    );

    // A saved plan edited after it was written.
    let text = std::fs::read_to_string(&planfile).unwrap();
    std::fs::write(
        &planfile,
        text.replace("new.example.net", "evil.example.net"),
    )
    .unwrap();
    std::fs::remove_file(&report).unwrap();
    let run = apply_saved(
        &sb,
        &planfile,
        &["--format", "json", "--report", report_arg],
    );
    assert_eq!(run.code, 3, "{}", run.all());
    let printed: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout is not JSON: {}", run.stdout));
    assert_eq!(printed["refusal"]["reason"], "tampered", "{printed}");
    assert!(report.exists(), "--report is written for a refusal");
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

/// A safety gate refuses a fresh apply: the plan in the format asked for, and the report file.
#[test]
fn a_gate_refusal_writes_the_report() {
    let mut live = vec!["{name: main.example, type: primary}".to_string()];
    live.extend((1..=10).map(|i| format!("a{i}.example")));
    let refs: Vec<&str> = live.iter().map(String::as_str).collect();
    let sb = Sandbox::start(&seed(&refs, ""));
    let f = desired(
        "removals: {prune: true, max: 5, max_percent: 100}\ndefaults: {www: false, redirection: none}\n",
        &["main.example", "a1.example"],
    );
    let report = f.dir.path().join("report.json");
    for format in ["json", "markdown"] {
        let run = rcd(
            Some(&sb),
            Auth::V3,
            &[
                "apply",
                "-f",
                f.arg(),
                "--yes",
                "--format",
                format,
                "--report",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 3, "{format}: {}", run.all());
        if format == "json" {
            let plan: serde_json::Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{e}: stdout is not JSON: {}", run.stdout));
            assert_eq!(plan["refusal"]["gate"], "removal-cap");
        } else {
            assert!(!run.stdout.trim_start().starts_with('{'), "{}", run.stdout);
            assert!(run.stdout.contains("a10.example"), "{}", run.stdout);
        }
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(written["refusal"]["reason"], "removal-cap", "{written}");
        assert_eq!(
            written["refusal"]["would_remove"].as_array().unwrap().len(),
            9,
            "{written}"
        );
        std::fs::remove_file(&report).unwrap();
    }
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}
