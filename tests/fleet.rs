//! Many networks in one run (issue 14): `-f` repeats and takes a directory; every file is a
//! target planned, applied or audited on one shared client; one summary table and a section
//! per file; JSON lists (`plans`, `reports`, `audits`) in file order; the exit code aggregates;
//! a refusal or an error in one target never stops nor hides the others, and a saved plan over
//! several files refuses only the target that drifted.

use crate::support::*;
use std::path::PathBuf;

/// A seed with server 1 (203.0.113.10) holding one app per `(id, live domains)`; the first
/// domain of each is its primary, the others are plain aliases (www off, no redirection).
fn world(extra: &str, apps: &[(u64, &[&str])]) -> Sandbox {
    let mut s = credentials_yaml();
    s.push_str(extra);
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 203.0.113.10\n    apps:\n");
    for (id, domains) in apps {
        s.push_str(&format!(
            "      - id: {id}\n        name: app-{id}\n        domains:\n"
        ));
        for (i, d) in domains.iter().enumerate() {
            if i == 0 {
                s.push_str(&format!("          - {{name: {d}, type: primary}}\n"));
            } else {
                s.push_str(&format!("          - {d}\n"));
            }
        }
    }
    Sandbox::start(&s)
}

/// A desired file's text for server 1 app `app`: settings as the seed's aliases have them,
/// `removals` YAML, then `domains`.
fn target(app: u64, removals: &str, domains: &[&str]) -> String {
    let mut s = format!(
        "version: 1\ntarget: {{server: 1, app: {app}}}\ndefaults: {{www: false, redirection: none}}\n{removals}domains:\n"
    );
    for d in domains {
        s.push_str(&format!("  - {d}\n"));
    }
    s
}

/// A directory of desired files (and whatever else `files` holds), in a fresh temporary
/// directory; `arg()` is the directory as `-f` takes it.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new(files: &[(&str, String)]) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let fleet = Fleet { dir };
        for (name, text) in files {
            fleet.write(name, text);
        }
        fleet
    }

    fn write(&self, name: &str, text: &str) {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A file's path as the run names it (the directory given to `-f`, joined with the name).
    fn file(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    fn arg(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }
}

fn plan_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_path("schema/plan.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the plan schema is a valid JSON Schema")
}

fn assert_valid_plan(what: &str, v: &serde_json::Value) {
    let validator = plan_schema();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against schema/plan.schema.json:\n{}\n{v:#}",
        errors.join("\n")
    );
}

/// The `file` of each element of `v[key]`, in order.
fn files_of(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} list: {v:#}"))
        .iter()
        .map(|p| p["file"].as_str().unwrap().to_string())
        .collect()
}

/// The summary table's row for `file`, split on white space.
fn row<'a>(stdout: &'a str, file: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{file} ")))
        .unwrap_or_else(|| panic!("no row for {file}:\n{stdout}"))
        .split_whitespace()
        .collect()
}

/// The `(method, path)` of every write request the sandbox received.
fn write_paths(sb: &Sandbox) -> Vec<(String, String)> {
    sb.writes()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect()
}

/// True when a request path is about app `app` of server 1.
fn is_app(path: &str, app: u64) -> bool {
    path.contains(&format!("/servers/1/webapps/{app}/"))
        || path.ends_with(&format!("/webapps/{app}"))
}

const ALPHA: &[&str] = &["alpha.example", "a1.alpha.example", "a2.alpha.example"];
const BETA: &[&str] = &["beta.example", "b1.beta.example", "b2.beta.example"];
const GAMMA: &[&str] = &["gamma.example", "g1.gamma.example", "g2.gamma.example"];

fn three_apps() -> Sandbox {
    world("", &[(2, ALPHA), (3, BETA), (4, GAMMA)])
}

/// One add (app 2), nothing (app 3), one removal (app 4), and a file that is not YAML.
fn mixed_fleet() -> Fleet {
    Fleet::new(&[
        (
            "a.yaml",
            target(
                2,
                "",
                &[
                    "alpha.example",
                    "a1.alpha.example",
                    "a2.alpha.example",
                    "new.alpha.example",
                ],
            ),
        ),
        ("b.yml", target(3, "", BETA)),
        (
            "c.yaml",
            target(
                4,
                "removals: {prune: true, max: 5, max_percent: 100}\n",
                &["gamma.example", "g1.gamma.example"],
            ),
        ),
        ("notes.txt", "this: [is not, a desired file\n".into()),
    ])
}

#[test]
fn a_directory_is_planned_in_one_run_with_a_row_and_a_section_per_file() {
    let sb = three_apps();
    let fleet = mixed_fleet();
    let (a, b, c) = (
        fleet.file("a.yaml"),
        fleet.file("b.yml"),
        fleet.file("c.yaml"),
    );

    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", fleet.arg()]);
    assert_eq!(r.code, 0, "{}", r.all());
    let served = sb.handle.requests().len();
    assert!(
        r.stdout.starts_with(&format!(
            "rcdomains plan over 3 files: 2 with changes, 0 refused, 0 errors, {served} API requests"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        row(&r.stdout, &a),
        [
            a.as_str(),
            "server",
            "1",
            "app",
            "2",
            "1",
            "0",
            "0",
            "0",
            "0",
            "changes"
        ]
    );
    assert_eq!(
        row(&r.stdout, &b),
        [
            b.as_str(),
            "server",
            "1",
            "app",
            "3",
            "0",
            "0",
            "0",
            "0",
            "0",
            "no",
            "changes"
        ]
    );
    assert_eq!(
        row(&r.stdout, &c),
        [
            c.as_str(),
            "server",
            "1",
            "app",
            "4",
            "0",
            "0",
            "1",
            "0",
            "0",
            "changes"
        ]
    );
    // A section per file, in file order, each holding that file's plan.
    let sections: Vec<usize> = [&a, &b, &c]
        .iter()
        .map(|f| {
            r.stdout
                .find(&format!("== {f} ==\nPlan for server 1 app "))
                .unwrap_or_else(|| panic!("no section for {f}:\n{}", r.stdout))
        })
        .collect();
    assert!(sections.windows(2).all(|w| w[0] < w[1]), "{}", r.stdout);
    let section_a = &r.stdout[sections[0]..sections[1]];
    assert!(section_a.contains("new.alpha.example"), "{section_a}");
    let section_c = &r.stdout[sections[2]..];
    assert!(section_c.contains("g2.gamma.example"), "{section_c}");
    assert!(!r.all().contains("notes.txt"), "{}", r.all());

    let j = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", fleet.arg(), "--format", "json"],
    );
    assert_eq!(j.code, 0, "{}", j.all());
    let v = stdout_json(&j);
    assert_valid_plan("a plan over a directory", &v);
    assert_eq!(v["format_version"], 1, "{v:#}");
    assert_eq!(files_of(&v, "plans"), [a.clone(), b.clone(), c.clone()]);
    let plans = v["plans"].as_array().unwrap();
    let apps: Vec<u64> = plans
        .iter()
        .map(|p| p["app_id"].as_u64().unwrap())
        .collect();
    assert_eq!(apps, [2, 3, 4]);
    let adds: Vec<u64> = plans
        .iter()
        .map(|p| p["summary"]["add"].as_u64().unwrap())
        .collect();
    let removes: Vec<u64> = plans
        .iter()
        .map(|p| p["summary"]["remove"].as_u64().unwrap())
        .collect();
    assert_eq!((adds, removes), (vec![1, 0, 0], vec![0, 0, 1]));
    for (i, p) in plans.iter().enumerate() {
        assert_valid_plan(&format!("plans[{i}] on its own"), p);
    }
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

#[test]
fn a_single_file_keeps_the_single_plan_json_shape() {
    let sb = three_apps();
    let fleet = Fleet::new(&[(
        "only.yaml",
        target(
            2,
            "",
            &[
                "alpha.example",
                "a1.alpha.example",
                "a2.alpha.example",
                "n.example",
            ],
        ),
    )]);
    // Named as a file, and as a directory that holds just that file.
    for given in [fleet.file("only.yaml"), fleet.arg().to_string()] {
        let r = rcd(
            Some(&sb),
            Auth::V3,
            &["plan", "-f", &given, "--format", "json"],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let v = stdout_json(&r);
        assert_valid_plan("a single plan", &v);
        assert!(v.get("plans").is_none(), "{given}: {v:#}");
        assert!(v.get("file").is_none(), "{given}: {v:#}");
        assert_eq!(v["app_id"], 2, "{v:#}");
        assert_eq!(v["summary"]["add"], 1, "{v:#}");

        let t = rcd(Some(&sb), Auth::V3, &["plan", "-f", &given]);
        assert_eq!(t.code, 0, "{}", t.all());
        assert!(
            t.stdout.starts_with("Plan for server 1 app 2"),
            "{}",
            t.stdout
        );
        assert!(!t.stdout.contains(" over "), "{}", t.stdout);
    }
}

#[test]
fn invalid_files_are_all_reported_at_once_and_nothing_is_read() {
    let sb = three_apps();
    let fleet = Fleet::new(&[
        ("a.yaml", target(2, "", ALPHA)),
        (
            "b.yaml",
            target(3, "", &["beta.example", "not a host name!"]),
        ),
        (
            "c.yaml",
            "version: 1\ntarget: {server: 1, app: 4}\ndomains:\n  - gamma.example\ncolour: blue\n"
                .into(),
        ),
    ]);
    for cmd in ["plan", "apply", "audit"] {
        let mut args = vec![cmd, "-f", fleet.arg()];
        if cmd == "apply" {
            args.push("--yes");
        }
        let r = rcd(Some(&sb), Auth::V3, &args);
        assert_eq!(r.code, 1, "{cmd}: {}", r.all());
        assert!(
            r.stderr
                .contains("2 of 3 desired files are invalid; nothing was read from RunCloud"),
            "{cmd}: {}",
            r.stderr
        );
        for bad in ["b.yaml", "c.yaml"] {
            assert!(
                r.stderr.contains(&fleet.file(bad)),
                "{cmd}: {bad} is named: {}",
                r.stderr
            );
        }
        assert!(r.stderr.contains("not a host name"), "{}", r.stderr);
        assert!(r.stderr.contains("colour"), "{}", r.stderr);
        assert!(!r.stderr.contains(&fleet.file("a.yaml")), "{}", r.stderr);
        assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
        assert!(
            sb.handle.requests().is_empty(),
            "{cmd}: {:?}",
            sb.handle.requests()
        );
    }
}

#[test]
fn two_files_naming_one_app_are_an_error_before_any_request() {
    let sb = three_apps();
    let fleet = Fleet::new(&[
        ("a.yaml", target(2, "", ALPHA)),
        ("b.yaml", target(3, "", BETA)),
        ("z.yaml", target(2, "", &["alpha.example"])),
    ]);
    for cmd in ["plan", "apply", "audit"] {
        let mut args = vec![cmd, "-f", fleet.arg()];
        if cmd == "apply" {
            args.push("--yes");
        }
        let r = rcd(Some(&sb), Auth::V3, &args);
        assert_eq!(r.code, 1, "{cmd}: {}", r.all());
        assert!(
            r.stderr.contains(&format!(
                "{} and {} both name server 1 app 2",
                fleet.file("a.yaml"),
                fleet.file("z.yaml")
            )),
            "{cmd}: {}",
            r.stderr
        );
        assert!(
            sb.handle.requests().is_empty(),
            "{cmd}: {:?}",
            sb.handle.requests()
        );
    }
}

#[test]
fn an_errored_target_exits_1_and_the_others_plan_is_still_printed() {
    let sb = three_apps();
    let fleet = Fleet::new(&[
        (
            "a.yaml",
            target(
                2,
                "",
                &[
                    "alpha.example",
                    "a1.alpha.example",
                    "a2.alpha.example",
                    "n.example",
                ],
            ),
        ),
        // The sandbox has no app 99.
        ("b.yaml", target(99, "", &["ghost.example"])),
    ]);
    let (a, b) = (fleet.file("a.yaml"), fleet.file("b.yaml"));
    for extra in [&[][..], &["--detailed-exitcode"][..]] {
        let mut args = vec!["plan", "-f", fleet.arg()];
        args.extend(extra);
        let r = rcd(Some(&sb), Auth::V3, &args);
        assert_eq!(r.code, 1, "{extra:?}: {}", r.all());
        assert!(
            r.stdout
                .starts_with("rcdomains plan over 2 files: 1 with changes, 0 refused, 1 error"),
            "{}",
            r.stdout
        );
        assert_eq!(row(&r.stdout, &a).last(), Some(&"changes"), "{}", r.stdout);
        assert_eq!(
            row(&r.stdout, &b),
            [b.as_str(), "server", "1", "app", "99", "error"],
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains(&format!("== {a} ==\nPlan for server 1 app 2")),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("+ n.example"), "{}", r.stdout);
        assert!(
            r.stdout.contains(&format!("== {b} ==\nerror: ")),
            "{}",
            r.stdout
        );
        assert!(
            r.stderr.contains(&b),
            "the error names its file: {}",
            r.stderr
        );
    }

    let j = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", fleet.arg(), "--format", "json"],
    );
    assert_eq!(j.code, 1, "{}", j.all());
    let v = stdout_json(&j);
    assert_valid_plan("a plan with an errored target", &v);
    assert_eq!(files_of(&v, "plans"), [a.clone(), b.clone()]);
    assert_eq!(v["plans"][0]["summary"]["add"], 1, "{v:#}");
    assert!(v["plans"][0].get("error").is_none(), "{v:#}");
    assert!(v["plans"][1]["error"].is_string(), "{v:#}");
    assert!(v["plans"][1].get("summary").is_none(), "{v:#}");
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

#[test]
fn exit_codes_aggregate_refused_over_changes_and_changes_over_none() {
    let sb = world(
        "",
        &[
            (
                2,
                &[
                    "alpha.example",
                    "a1.alpha.example",
                    "a2.alpha.example",
                    "a3.alpha.example",
                ],
            ),
            (3, BETA),
            (4, GAMMA),
        ],
    );
    let adds = target(
        3,
        "",
        &[
            "beta.example",
            "b1.beta.example",
            "b2.beta.example",
            "n.example",
        ],
    );
    let same = target(4, "", GAMMA);
    // 3 removals of 3 aliases: over the cap of 1.
    let refused = target(
        2,
        "removals: {prune: true, max: 1, max_percent: 100}\n",
        &["alpha.example"],
    );
    let exit = |files: &[(&str, String)], detailed: bool| {
        let fleet = Fleet::new(files);
        let mut args = vec!["plan", "-f", fleet.arg()];
        if detailed {
            args.push("--detailed-exitcode");
        }
        let r = rcd(Some(&sb), Auth::V3, &args);
        (r.code, r.stdout)
    };

    let (code, out) = exit(
        &[("a.yaml", refused.clone()), ("b.yaml", adds.clone())],
        false,
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("1 with changes, 1 refused, 0 errors"), "{out}");
    assert!(out.contains("refused (removal-cap)"), "{out}");
    assert!(
        out.contains("+ n.example"),
        "the other plan is shown: {out}"
    );
    let (code, out) = exit(&[("a.yaml", refused), ("b.yaml", adds.clone())], true);
    assert_eq!(code, 3, "a refusal outranks changes: {out}");

    let (code, out) = exit(&[("b.yaml", adds.clone()), ("c.yaml", same.clone())], true);
    assert_eq!(code, 2, "{out}");
    let (code, out) = exit(&[("b.yaml", adds), ("c.yaml", same.clone())], false);
    assert_eq!(code, 0, "without --detailed-exitcode changes exit 0: {out}");
    let (code, out) = exit(
        &[
            ("c.yaml", same),
            ("d.yaml", target(2, "", &["alpha.example"])),
        ],
        true,
    );
    assert_eq!(code, 0, "no target has changes: {out}");
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

#[test]
fn apply_over_many_applies_the_others_when_one_is_refused() {
    let mut alpha = vec!["alpha.example".to_string()];
    alpha.extend((1..=10).map(|i| format!("a{i}.alpha.example")));
    let alpha: Vec<&str> = alpha.iter().map(String::as_str).collect();
    let sb = world("", &[(2, &alpha), (3, BETA)]);
    let fleet = Fleet::new(&[
        // Keeps 4 of 10 aliases: 6 removals over the cap of 5.
        (
            "a.yaml",
            target(
                2,
                "removals: {prune: true, max: 5, max_percent: 100}\n",
                &alpha[..5],
            ),
        ),
        // One add and one removal.
        (
            "b.yaml",
            target(
                3,
                "removals: {prune: true, max: 5, max_percent: 100}\n",
                &["beta.example", "b1.beta.example", "n.beta.example"],
            ),
        ),
    ]);
    let (a, b) = (fleet.file("a.yaml"), fleet.file("b.yaml"));
    let report = fleet.path("out/report.json");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &[
            "apply",
            "-f",
            fleet.arg(),
            "--yes",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.stdout.contains("REFUSED"), "{}", r.stdout);
    assert!(
        r.stdout.contains("rcdomains apply over 2 files"),
        "{}",
        r.stdout
    );
    assert_eq!(
        row_after(&r.stdout, "rcdomains apply", &a).last(),
        Some(&"(removal-cap)")
    );
    assert_eq!(
        row_after(&r.stdout, "rcdomains apply", &b),
        [b.as_str(), "server", "1", "app", "3", "2", "0", "0", "ok"],
        "{}",
        r.stdout
    );

    let writes = write_paths(&sb);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|(_, p)| is_app(p, 3)), "{writes:?}");
    assert_eq!(
        sb.domain_names(1, 2).len(),
        11,
        "the refused app is untouched"
    );
    assert_eq!(
        sb.domain_names(1, 3),
        ["b1.beta.example", "beta.example", "n.beta.example"]
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["format_version"], 1, "{report:#}");
    assert_eq!(files_of(&report, "reports"), [a.clone(), b.clone()]);
    assert_eq!(
        report["reports"][0]["refusal"]["reason"], "removal-cap",
        "{report:#}"
    );
    assert_eq!(report["reports"][0]["summary"]["ok"], 0, "{report:#}");
    assert!(report["reports"][1].get("refusal").is_none(), "{report:#}");
    assert_eq!(report["reports"][1]["summary"]["ok"], 2, "{report:#}");
    let names: Vec<&str> = report["reports"][1]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{report:#}");
    assert!(names.contains(&"n.beta.example"), "{report:#}");
    assert!(names.contains(&"b2.beta.example"), "{report:#}");

    // The JSON output holds the same list.
    sb.handle.clear_requests();
    let j = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", fleet.arg(), "--yes", "--format", "json"],
    );
    assert_eq!(j.code, 3, "{}", j.all());
    let v = stdout_json(&j);
    assert_eq!(files_of(&v, "reports"), [a.clone(), b.clone()]);
    assert_eq!(v["reports"][0]["refusal"]["reason"], "removal-cap", "{v:#}");
    assert!(
        sb.writes().is_empty(),
        "converged, refused: {:?}",
        sb.writes()
    );
}

/// The row for `file` of the table that follows the line starting with `headline`.
fn row_after<'a>(stdout: &'a str, headline: &str, file: &str) -> Vec<&'a str> {
    let at = stdout
        .find(&format!("\n{headline}"))
        .or_else(|| stdout.starts_with(headline).then_some(0))
        .unwrap_or_else(|| panic!("no {headline:?}:\n{stdout}"));
    row(&stdout[at..], file)
}

/// A fleet of two targets, each with changes: app 2 gets an add, app 3 an add and a removal.
fn two_with_changes() -> (Sandbox, Fleet) {
    let sb = world("", &[(2, ALPHA), (3, BETA)]);
    let fleet = Fleet::new(&[
        (
            "a.yaml",
            target(
                2,
                "",
                &[
                    "alpha.example",
                    "a1.alpha.example",
                    "a2.alpha.example",
                    "n.alpha.example",
                ],
            ),
        ),
        (
            "b.yaml",
            target(
                3,
                "removals: {prune: true, max: 5, max_percent: 100}\n",
                &["beta.example", "b1.beta.example", "n.beta.example"],
            ),
        ),
    ]);
    (sb, fleet)
}

/// `plan -f a.yaml -f b.yaml --out plan.json`; returns the plan file's path.
fn save_fleet_plan(sb: &Sandbox, fleet: &Fleet) -> String {
    let out = fleet.file("plan.json");
    let r = rcd(
        Some(sb),
        Auth::V3,
        &[
            "plan",
            "-f",
            &fleet.file("a.yaml"),
            "-f",
            &fleet.file("b.yaml"),
            "--out",
            &out,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(sb.writes().is_empty(), "plan must not write");
    out
}

#[test]
fn a_saved_plan_over_two_files_refuses_only_the_target_that_drifted() {
    let (sb, fleet) = two_with_changes();
    let (a, b) = (fleet.file("a.yaml"), fleet.file("b.yaml"));
    let planfile = save_fleet_plan(&sb, &fleet);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).unwrap()).unwrap();
    assert_valid_plan("a saved plan over two files", &saved);
    assert!(
        saved["fingerprint"]
            .as_str()
            .is_some_and(|s| s.starts_with("sha256:")),
        "{saved:#}"
    );
    assert_eq!(files_of(&saved, "plans"), [a.clone(), b.clone()]);
    for p in saved["plans"].as_array().unwrap() {
        assert!(p["fingerprint"].is_string(), "{p:#}");
        assert!(p["inputs"].is_object(), "{p:#}");
    }

    // App 3 moves on behind the plan's back.
    sb.handle
        .world()
        .add_domain_behind_back(1, 3, "sneaky.example.com")
        .unwrap();
    sb.handle.clear_requests();
    let r = rcd(Some(&sb), Auth::V3, &["apply", &planfile]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(
        r.stdout.contains("live: + sneaky.example.com"),
        "{}",
        r.stdout
    );
    assert_eq!(
        row_after(&r.stdout, "rcdomains apply", &b).last(),
        Some(&"(drift)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        row_after(&r.stdout, "rcdomains apply", &a),
        [a.as_str(), "server", "1", "app", "2", "1", "0", "0", "ok"],
        "{}",
        r.stdout
    );
    let writes = write_paths(&sb);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].0, "POST", "{writes:?}");
    assert!(is_app(&writes[0].1, 2), "{writes:?}");
    assert_eq!(
        sb.domain_names(1, 2),
        [
            "a1.alpha.example",
            "a2.alpha.example",
            "alpha.example",
            "n.alpha.example"
        ]
    );
    assert_eq!(
        sb.domain_names(1, 3),
        [
            "b1.beta.example",
            "b2.beta.example",
            "beta.example",
            "sneaky.example.com"
        ],
        "the drifted target is untouched"
    );
}

#[test]
fn a_saved_plan_with_a_plan_taken_out_is_refused_whole() {
    let (sb, fleet) = two_with_changes();
    let planfile = save_fleet_plan(&sb, &fleet);
    let original = std::fs::read_to_string(&planfile).unwrap();

    let mut doc: serde_json::Value = serde_json::from_str(&original).unwrap();
    doc["plans"].as_array_mut().unwrap().remove(1);
    std::fs::write(&planfile, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    sb.handle.clear_requests();
    let r = rcd(Some(&sb), Auth::V3, &["apply", &planfile]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.stdout.contains("was changed after"), "{}", r.stdout);
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());

    // One plan's fingerprint replaced by the other's: refused whole as well.
    let mut doc: serde_json::Value = serde_json::from_str(&original).unwrap();
    doc["plans"][1]["fingerprint"] = doc["plans"][0]["fingerprint"].clone();
    std::fs::write(&planfile, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let r = rcd(Some(&sb), Auth::V3, &["apply", &planfile]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.stdout.contains("was changed after"), "{}", r.stdout);
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    assert!(
        sb.handle.requests().is_empty(),
        "a tampered file is refused before RunCloud is asked: {:?}",
        sb.handle.requests()
    );

    // Untouched, it applies both.
    std::fs::write(&planfile, &original).unwrap();
    let r = rcd(Some(&sb), Auth::V3, &["apply", &planfile]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(sb.writes().len(), 3, "{:?}", sb.writes());
}

#[test]
fn audit_over_a_directory_reports_each_file_and_exits_2_on_findings() {
    let sb = three_apps();
    let fleet = mixed_fleet();
    let (a, b, c) = (
        fleet.file("a.yaml"),
        fleet.file("b.yml"),
        fleet.file("c.yaml"),
    );
    let r = rcd(Some(&sb), Auth::V3, &["audit", "-f", fleet.arg()]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout
            .starts_with("rcdomains audit over 3 files: 2 with changes, 0 refused, 0 errors"),
        "{}",
        r.stdout
    );
    assert_eq!(row(&r.stdout, &a).last(), Some(&"findings"), "{}", r.stdout);
    assert_eq!(
        row(&r.stdout, &b)[5..],
        ["0", "nothing", "to", "report"],
        "{}",
        r.stdout
    );
    assert_eq!(row(&r.stdout, &c).last(), Some(&"findings"), "{}", r.stdout);
    for f in [&a, &b, &c] {
        assert!(r.stdout.contains(&format!("== {f} ==")), "{}", r.stdout);
    }

    let j = rcd(
        Some(&sb),
        Auth::V3,
        &["audit", "-f", fleet.arg(), "--format", "json"],
    );
    assert_eq!(j.code, 2, "{}", j.all());
    let v = stdout_json(&j);
    assert_eq!(v["format_version"], 1, "{v:#}");
    assert_eq!(files_of(&v, "audits"), [a.clone(), b.clone(), c.clone()]);
    let drift: Vec<u64> = v["audits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["summary"]["drift"].as_u64().unwrap())
        .collect();
    assert_eq!(drift, [1, 0, 1], "{v:#}");

    // Only the clean file: nothing to report.
    let clean = Fleet::new(&[
        ("b.yaml", target(3, "", BETA)),
        ("d.yaml", target(4, "", GAMMA)),
    ]);
    let r = rcd(Some(&sb), Auth::V3, &["audit", "-f", clean.arg()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .starts_with("rcdomains audit over 2 files: 0 with changes, 0 refused, 0 errors"),
        "{}",
        r.stdout
    );
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

#[test]
fn repeated_f_and_a_directory_take_only_yaml_files_in_order() {
    let sb = three_apps();
    let fleet = Fleet::new(&[
        ("dir/b.yml", target(3, "", BETA)),
        ("dir/a.yaml", target(2, "", ALPHA)),
        ("dir/README.md", "# the networks\n".into()),
        (
            "dir/notes.txt",
            "version: 1\ntarget: {server: 1, app: 2}\n".into(),
        ),
        ("dir/old.yaml.bak", "not: [yaml".into()),
        ("other/gamma.yaml", target(4, "", GAMMA)),
    ]);
    let dir = fleet.file("dir");
    let gamma = fleet.file("other/gamma.yaml");
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", &gamma, "-f", &dir, "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let v = stdout_json(&r);
    assert_eq!(
        files_of(&v, "plans"),
        [
            gamma.clone(),
            fleet.file("dir/a.yaml"),
            fleet.file("dir/b.yml")
        ],
        "-f order, then each directory sorted by name"
    );

    // The same file twice (once inside a directory) is an error before any request.
    sb.handle.clear_requests();
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", &dir, "-f", &fleet.file("dir/a.yaml")],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("is given twice"), "{}", r.stderr);
    assert!(
        sb.handle.requests().is_empty(),
        "{:?}",
        sb.handle.requests()
    );

    // A file named on its own is read as a desired file whatever its name: here, not one.
    let readme = fleet.file("dir/README.md");
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", &fleet.file("other"), "-f", &readme],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("1 of 2 desired files are invalid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&readme), "{}", r.stderr);
    // A directory with no desired file in it.
    let empty = Fleet::new(&[("README.md", "# nothing\n".into())]);
    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", empty.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("holds no *.yaml file"), "{}", r.stderr);
    assert!(
        sb.handle.requests().is_empty(),
        "{:?}",
        sb.handle.requests()
    );
}

#[test]
fn three_targets_under_one_tight_limit_get_no_429() {
    // 8 requests per 2-second window for the one credential all three targets share; each
    // target reads its app and 120 domains (3 pages), so the run needs several windows.
    let mut apps: Vec<(u64, Vec<String>)> = Vec::new();
    for (id, stem) in [(2, "alpha"), (3, "beta"), (4, "gamma")] {
        let mut v = vec![format!("{stem}.example")];
        v.extend((1..=120).map(|i| format!("s{i}.{stem}.example")));
        apps.push((id, v));
    }
    let refs: Vec<(u64, Vec<&str>)> = apps
        .iter()
        .map(|(id, v)| (*id, v.iter().map(String::as_str).collect()))
        .collect();
    let spec: Vec<(u64, &[&str])> = refs.iter().map(|(id, v)| (*id, v.as_slice())).collect();
    let sb = world(
        "rate_limit: {per_minute: 8, window_seconds: 2, retry_after: true, reset_header: true}\n",
        &spec,
    );
    let files: Vec<(String, String)> = apps
        .iter()
        .map(|(id, v)| {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            (format!("app{id}.yaml"), target(*id, "", &refs))
        })
        .collect();
    let named: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let fleet = Fleet::new(&named);
    let r = rcd(
        Some(&sb),
        Auth::V3,
        &["plan", "-f", fleet.arg(), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let served = sb.handle.requests().len();
    assert!(
        served > 12,
        "the run must span windows to prove pacing: {served}"
    );
    assert_eq!(
        throttled_answers(&sb),
        0,
        "one limiter for the credential: {:?}",
        sb.handle.requests()
    );
    let v = stdout_json(&r);
    let counted: u64 = v["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["summary"]["api_requests"].as_u64().unwrap())
        .sum();
    assert_eq!(
        counted, served as u64,
        "each target counts its own requests: {v:#}"
    );
    for p in v["plans"].as_array().unwrap() {
        assert_eq!(p["summary"]["changes"], false, "every page was read: {p:#}");
    }
}

#[test]
fn a_failed_apply_in_one_target_exits_4_and_the_other_is_still_applied() {
    // Every POST to app 3 is refused by RunCloud; app 2's add goes through.
    let sb = world(
        "faults:\n  - {kind: status, code: 422, method: POST, path: /webapps/3/, times: 0}\n",
        &[(2, ALPHA), (3, BETA)],
    );
    let fleet = Fleet::new(&[
        (
            "a.yaml",
            target(
                2,
                "",
                &[
                    "alpha.example",
                    "a1.alpha.example",
                    "a2.alpha.example",
                    "n.alpha.example",
                ],
            ),
        ),
        (
            "b.yaml",
            target(
                3,
                "",
                &[
                    "beta.example",
                    "b1.beta.example",
                    "b2.beta.example",
                    "n.beta.example",
                ],
            ),
        ),
    ]);
    let (a, b) = (fleet.file("a.yaml"), fleet.file("b.yaml"));
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", fleet.arg(), "--yes"]);
    assert_eq!(r.code, 4, "{}", r.all());
    assert_eq!(
        row_after(&r.stdout, "rcdomains apply", &a),
        [a.as_str(), "server", "1", "app", "2", "1", "0", "0", "ok"],
        "{}",
        r.stdout
    );
    assert_eq!(
        row_after(&r.stdout, "rcdomains apply", &b),
        [
            b.as_str(),
            "server",
            "1",
            "app",
            "3",
            "0",
            "1",
            "0",
            "failures"
        ],
        "{}",
        r.stdout
    );
    assert!(
        sb.domain_names(1, 2)
            .contains(&"n.alpha.example".to_string())
    );
    assert!(
        !sb.domain_names(1, 3)
            .contains(&"n.beta.example".to_string())
    );
}

/// Found in review: a spent quota (or a refused credential) made every target of the run ask
/// again, each getting the same answer. The targets share the credential, so the first such
/// answer stops them all: the other targets send nothing and say why.
#[test]
fn a_spent_quota_in_one_target_stops_every_target_without_asking_again() {
    let sb = world(
        "faults:\n  - {kind: quota, code: 429, times: 0}\n",
        &[(2, ALPHA), (3, BETA), (4, GAMMA)],
    );
    let fleet = Fleet::new(&[
        ("a.yaml", target(2, "", ALPHA)),
        ("b.yaml", target(3, "", BETA)),
        ("c.yaml", target(4, "", GAMMA)),
    ]);
    let r = rcd(Some(&sb), Auth::V3, &["plan", "-f", fleet.arg()]);
    assert_eq!(r.code, 1, "{}", r.all());
    for f in ["a.yaml", "b.yaml", "c.yaml"] {
        assert_eq!(row(&r.stdout, &fleet.file(f)).last(), Some(&"error"), "{f}");
    }
    assert!(r.stderr.contains("monthly API quota"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("not sent — RunCloud refused this run's credential earlier"),
        "{}",
        r.stderr
    );
    // The run's first request goes alone (nothing is known of the window yet); its answer
    // halts the credential before any other request starts. Without the halt every target
    // sent its own four.
    let sent = sb.handle.requests().len();
    assert_eq!(sent, 1, "{:?}", sb.handle.requests());
}

/// Found in review: the apply headline counted no applied file ("0 with changes").
#[test]
fn the_apply_headline_counts_the_files_it_applied() {
    let sb = world("", &[(2, ALPHA), (3, BETA)]);
    let fleet = Fleet::new(&[
        (
            "a.yaml",
            target(
                2,
                "",
                &[
                    "alpha.example",
                    "a1.alpha.example",
                    "a2.alpha.example",
                    "new.alpha.example",
                ],
            ),
        ),
        ("b.yaml", target(3, "", BETA)),
    ]);
    let r = rcd(Some(&sb), Auth::V3, &["apply", "-f", fleet.arg(), "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("rcdomains apply over 2 files: 1 with changes, 0 refused, 0 errors"),
        "{}",
        r.stdout
    );
}
