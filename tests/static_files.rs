//! Committed artefacts stay true: the JSON Schemas are fresh, every example validates.

use crate::support::*;
use rcdomains::cli::SchemaKind;

#[test]
fn committed_schemas_are_fresh() {
    for (kind, file) in [
        (SchemaKind::Desired, "schema/desired.schema.json"),
        (SchemaKind::Plan, "schema/plan.schema.json"),
    ] {
        let committed = std::fs::read_to_string(repo_path(file)).unwrap_or_default();
        let fresh = rcdomains::commands::schema_json(kind);
        assert!(
            committed == fresh,
            "{file} is stale: run `cargo run -- schema {} > {file}` and commit it",
            if kind == SchemaKind::Desired {
                "desired"
            } else {
                "plan"
            }
        );
    }
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let run = rcd(None, Auth::None, &["schema"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        std::fs::read_to_string(repo_path("schema/desired.schema.json")).unwrap()
    );
}

#[test]
fn every_example_file_validates() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo_path("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        if name.contains("seed") {
            rcdomains::sandbox::Seed::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            let run = rcd(
                None,
                Auth::None,
                &["validate", "-f", path.to_str().unwrap()],
            );
            assert_eq!(run.code, 0, "{name}: {}", run.all());
        }
        checked += 1;
    }
    assert!(checked >= 2, "examples/ holds the demo's files");
}

#[test]
fn exit_codes_are_pinned() {
    use rcdomains::exit::Exit;
    assert_eq!(
        [
            Exit::Success,
            Exit::Error,
            Exit::Changes,
            Exit::Refused,
            Exit::Partial
        ]
        .map(Exit::code),
        [0, 1, 2, 3, 4]
    );
}

/// The shell text of every step: GitHub's `run`, GitLab's `script` (nested lists flattened).
fn shell_text(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    (Some("run" | "script"), serde_yaml::Value::String(s)) => out.push(s.clone()),
                    (Some("script"), serde_yaml::Value::Sequence(items)) => {
                        let mut flat = vec![];
                        items.iter().for_each(|i| shell_text_items(i, &mut flat));
                        out.extend(flat);
                    }
                    _ => shell_text(v, out),
                }
            }
        }
        serde_yaml::Value::Sequence(s) => s.iter().for_each(|v| shell_text(v, out)),
        _ => {}
    }
}

fn shell_text_items(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(s) => s.iter().for_each(|v| shell_text_items(v, out)),
        _ => {}
    }
}

/// Each `rcdomains …` invocation in a line of shell, as arguments (up to a redirection or the
/// next command).
fn invocations(shell: &str) -> Vec<Vec<String>> {
    let mut found = vec![];
    for line in shell.lines().filter(|l| !l.contains("cargo install")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            if *w != "rcdomains" {
                continue;
            }
            let mut args = vec!["rcdomains".to_string()];
            for w in &words[i + 1..] {
                if [">", ">>", "|", "||", "&&", ";"].contains(w) {
                    break;
                }
                let stop = w.ends_with(';');
                args.push(w.trim_end_matches(';').trim_matches('"').to_string());
                if stop {
                    break;
                }
            }
            found.push(args);
        }
    }
    found
}

#[test]
fn ci_examples_parse_and_run_only_real_rcdomains_commands() {
    use clap::Parser;
    let mut files = 0;
    let mut commands: Vec<String> = vec![];
    for entry in std::fs::read_dir(repo_path("examples/ci")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut shell = vec![];
        shell_text(&doc, &mut shell);
        assert!(!shell.is_empty(), "{name}: no steps found");
        for s in &shell {
            for args in invocations(s) {
                if let Err(e) = rcdomains::cli::Cli::try_parse_from(&args) {
                    panic!("{name}: `{}` does not parse: {e}", args.join(" "));
                }
                commands.push(args[1..].join(" "));
            }
        }
        files += 1;
    }
    assert_eq!(files, 2, "a GitHub Actions and a GitLab CI example");
    for wanted in [
        "plan --format markdown --out plan.json",
        "apply plan.json",
        "plan --detailed-exitcode",
        "generate --from um-rest",
    ] {
        assert!(
            commands.iter().any(|c| c.starts_with(wanted)),
            "no `rcdomains {wanted}` in the examples: {commands:?}"
        );
    }
    assert!(
        !commands.iter().any(|c| c.contains("--yes")),
        "the pipelines apply saved plans, never a fresh plan with --yes: {commands:?}"
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef rcdomains"),
        ("fish", "complete -c rcdomains"),
    ] {
        let run = rcd(None, Auth::None, &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.all());
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("detailed-exitcode"), "{shell}");
    }
}
