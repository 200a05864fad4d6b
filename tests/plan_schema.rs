//! `schema/plan.schema.json` is the contract of `plan --format json`: real outputs of every
//! kind (refused, v2, DNS findings with and without addresses, a saved plan) validate against
//! it.

use crate::support::*;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_path("schema/plan.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the plan schema is a valid JSON Schema")
}

/// Parses `text` and asserts it validates, listing every error.
fn assert_valid(what: &str, text: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against schema/plan.schema.json:\n{}\n{text}",
        errors.join("\n")
    );
    v
}

#[test]
fn a_refused_plan_validates() {
    let mut live = vec!["{name: main.example, type: primary}".to_string()];
    live.extend((1..=10).map(|i| format!("a{i}.example")));
    let refs: Vec<&str> = live.iter().map(String::as_str).collect();
    let sb = Sandbox::start(&seed(&refs, ""));
    let f = desired(
        "removals: {prune: true, max: 5, max_percent: 100}\ndefaults: {www: false, redirection: none}\n",
        &["main.example", "a1.example"],
    );
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(r.code, 3, "{}", r.all());
    let v = assert_valid("a refused plan", &r.stdout);
    assert_eq!(v["refusal"]["gate"], "removal-cap");
}

#[test]
fn a_v2_plan_validates() {
    let sb = Sandbox::start(&seed(
        &["{name: main.example, type: primary}", "old.example"],
        "",
    ));
    let f = desired(
        "removals: {prune: true, max_percent: 100}\ndefaults: {www: false, redirection: none}\n",
        &["main.example", "new.example"],
    );
    let r = rcd(
        Some(&sb),
        Auth::V2,
        &["plan", "-f", f.arg(), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let v = assert_valid("a v2 plan", &r.stdout);
    assert_eq!(v["api"], "v2");
    assert!(v["summary"]["changes"].as_bool().unwrap(), "{v}");
}

/// A world at 127.0.0.1 with its own DNS: ready, mismatch, nxdomain and no-records names.
fn dns_world() -> (Sandbox, DesiredFile) {
    let mut s = credentials_yaml();
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 127.0.0.1\n    apps:\n      - id: 2\n        name: app\n        ssl: {mode: basic}\n        domains:\n          - {name: ready.example, type: primary}\n");
    s.push_str("dns:\n");
    s.push_str("  - {name: ready.example, type: A, value: 127.0.0.1}\n");
    s.push_str("  - {name: elsewhere.example, type: A, value: 198.51.100.7}\n");
    s.push_str("  - {name: leaf.parent.example, type: A, value: 127.0.0.1}\n");
    let sb = Sandbox::start(&s);
    let f = desired(
        "defaults: {www: false}\n",
        &[
            "ready.example",
            "elsewhere.example",
            "missing.example",
            "parent.example",
        ],
    );
    (sb, f)
}

fn with_checks(sb: &Sandbox, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(ToString::to_string).collect();
    v.extend(checks_args(sb));
    v
}

#[test]
fn a_plan_with_dns_findings_validates() {
    let (sb, f) = dns_world();
    let args = with_checks(&sb, &["plan", "-f", f.arg(), "--format", "json"]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = rcd(Some(&sb), Auth::V3, &refs);
    assert_eq!(r.code, 0, "{}", r.all());
    let v = assert_valid("a plan with DNS findings", &r.stdout);
    let findings = &v["dns"]["findings"];
    assert_eq!(findings["missing.example"]["status"], "nxdomain");
    assert_eq!(findings["parent.example"]["status"], "no-records");
    assert_eq!(findings["elsewhere.example"]["status"], "mismatch");
}

#[test]
fn a_saved_plan_validates() {
    let (sb, f) = dns_world();
    let out = f.dir.path().join("plan.json");
    let args = with_checks(
        &sb,
        &["plan", "-f", f.arg(), "--out", out.to_str().unwrap()],
    );
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = rcd(Some(&sb), Auth::V3, &refs);
    assert_eq!(r.code, 0, "{}", r.all());
    let text = std::fs::read_to_string(&out).unwrap();
    let v = assert_valid("a saved plan", &text);
    assert!(v["fingerprint"].is_string(), "{v}");
    assert!(v["inputs"].is_object(), "{v}");
}
