//! Safety gates: each refuses with exit 3, lists what would have been removed, and the sandbox
//! shows that no write request was made.

use crate::support::*;

fn aliases(n: usize) -> Vec<String> {
    let mut v = vec!["{name: main.example, type: primary}".to_string()];
    v.extend((1..=n).map(|i| format!("a{i}.example")));
    v
}

fn sandbox(n: usize) -> Sandbox {
    let live = aliases(n);
    let refs: Vec<&str> = live.iter().map(String::as_str).collect();
    Sandbox::start(&seed(&refs, ""))
}

#[test]
fn removal_cap_by_count_refuses_with_exit_3_and_no_writes() {
    let sb = sandbox(10);
    // Keep 4 of 10 aliases: 6 removals > max 5 (60% ≤ max_percent 100).
    let f = desired(
        "removals: {prune: true, max: 5, max_percent: 100}\ndefaults: {www: false, redirection: none}\n",
        &[
            "main.example",
            "a1.example",
            "a2.example",
            "a3.example",
            "a4.example",
        ],
    );
    for cmd in ["plan", "apply"] {
        let mut args = vec![cmd, "-f", f.arg()];
        if cmd == "apply" {
            args.push("--yes");
        }
        let run = rcd(Some(&sb), Auth::V3, &args);
        assert_eq!(run.code, 3, "{cmd}: {}", run.all());
        assert!(run.stdout.contains("REFUSED"), "{}", run.stdout);
        assert!(
            run.stdout
                .contains("6 removals of 10 live aliases exceed the cap"),
            "{}",
            run.stdout
        );
        for i in 5..=10 {
            assert!(
                run.stdout.contains(&format!("- a{i}.example")),
                "lists a{i}: {}",
                run.stdout
            );
        }
    }
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    // --allow-removals raises the cap for one run.
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--allow-removals", "6"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(sb.writes().len(), 6);
}

#[test]
fn removal_cap_by_share_applies_to_small_sets() {
    let sb = sandbox(2);
    // 1 removal of 2 aliases = 50% > 30% (the default), although 1 ≤ max.
    let f = desired(
        "removals: {prune: true}\ndefaults: {www: false, redirection: none}\n",
        &["main.example", "a1.example"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(
        run.stdout.contains("removals.max_percent 30%"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("- a2.example"));
    assert!(sb.writes().is_empty());
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--allow-removals", "0"],
    );
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(sb.writes().is_empty());
}

#[test]
fn an_empty_desired_set_with_prune_is_refused_unless_allowed() {
    let sb = sandbox(3);
    let f = DesiredFile::new(
        "version: 1\ntarget: {server: 1, app: 2}\nremovals: {prune: true, max: 10, max_percent: 100}\ndomains: []\n",
    );
    let v = rcd(None, Auth::None, &["validate", "-f", f.arg()]);
    assert_eq!(v.code, 3, "{}", v.all());
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stdout.contains("lists no domains"), "{}", run.stdout);
    assert!(run.stdout.contains("--allow-empty"));
    assert!(sb.writes().is_empty());
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &["apply", "-f", f.arg(), "--yes", "--allow-empty"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        sb.domain_names(1, 2),
        vec!["main.example"],
        "the primary stays"
    );
}

#[test]
fn primary_and_protected_names_are_never_removed() {
    let sb = Sandbox::start(&seed(
        &[
            "{name: main.example, type: primary}",
            "a.network.example",
            "b.example",
            "c.example",
        ],
        "",
    ));
    let f = desired(
        "removals: {prune: true, protect: ['*.network.example'], max: 10, max_percent: 100}\n",
        &["c.example", "name: main.example\n    state: absent"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg(), "--yes"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("= main.example: the app's primary domain is never removed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("= a.network.example: protected"),
        "{}",
        run.stdout
    );
    assert_eq!(
        sb.domain_names(1, 2),
        vec!["a.network.example", "c.example", "main.example"]
    );
}

#[test]
fn apply_without_a_terminal_needs_yes() {
    let sb = sandbox(1);
    let f = desired(
        "defaults: {www: false, redirection: none}\n",
        &["main.example", "a1.example", "new.example"],
    );
    let run = rcd(Some(&sb), Auth::V3, &["apply", "-f", f.arg()]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("refusing to apply without --yes"),
        "{}",
        run.stderr
    );
    assert!(sb.writes().is_empty());
}
