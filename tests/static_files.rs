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
fn shell_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    (Some("run" | "script"), Value::String(s)) => out.push(s.clone()),
                    (Some("script"), Value::Sequence(items)) => {
                        let mut flat = vec![];
                        items.iter().for_each(|i| shell_text_items(i, &mut flat));
                        out.extend(flat);
                    }
                    _ => shell_text(v, out),
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| shell_text(v, out)),
        _ => {}
    }
}

fn shell_text_items(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(s) => s.iter().for_each(|v| shell_text_items(v, out)),
        _ => {}
    }
}

/// Each `rcdomains …` invocation in a piece of shell, as arguments (up to a redirection or the
/// next command). Only `rcdomains` in a command's place counts: first on a line, or after `|`,
/// `&&`, `;`, `then`, `$(` and the like — not inside an `echo`'s text or a marker.
fn invocations(shell: &str) -> Vec<Vec<String>> {
    let joined = shell.replace("\\\n", " ");
    let mut found = vec![];
    for line in joined.lines().filter(|l| !l.contains("cargo install")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            let at_command = i == 0
                || ["|", "||", "&&", "then", "do", "else", "!", "{", "("].contains(&words[i - 1])
                || words[i - 1].ends_with(';')
                || words[i - 1].ends_with("$(");
            let name = w.trim_start_matches("$(");
            if name != "rcdomains" || !(at_command || w.starts_with("$(")) {
                continue;
            }
            let mut args = vec!["rcdomains".to_string()];
            for w in &words[i + 1..] {
                if [">", ">>", "2>", "|", "||", "&&", ";", ")"].contains(w) {
                    break;
                }
                let stop = w.ends_with(';') || w.ends_with(')');
                args.push(
                    w.trim_end_matches(';')
                        .trim_end_matches(')')
                        .trim_matches('"')
                        .to_string(),
                );
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
        let doc: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
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
    assert_eq!(
        files, 3,
        "a GitHub Actions, a GitHub Actions fleet and a GitLab CI example"
    );
    for wanted in [
        "plan --format markdown --out plan.json",
        "apply plan.json --verify=",
        "audit",
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

const COMMANDS: &[&str] = &[
    "validate",
    "audit",
    "plan",
    "apply",
    "schema",
    "generate",
    "sandbox",
    "demo",
    "completions",
    "man",
];

#[test]
fn man_prints_a_roff_page_naming_every_command() {
    let run = rcd(None, Auth::None, &["man"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let page = &run.stdout;
    assert!(
        page.starts_with(".ie ") || page.starts_with(".TH "),
        "{page}"
    );
    assert!(page.contains(".TH rcdomains 1"), "a section-1 page: {page}");
    for heading in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS"] {
        assert!(page.contains(heading), "{heading}: {page}");
    }
    for cmd in COMMANDS {
        let section = format!(".SH \"RCDOMAINS {}\"", cmd.to_uppercase());
        assert!(page.contains(&section), "{section}: {page}");
        assert!(
            page.contains(&format!("\\fBrcdomains {cmd}\\fR")),
            "the synopsis of {cmd}"
        );
    }
    // Roff: a dash in an option is escaped, not left to become a hyphen.
    assert!(page.contains("\\-\\-detailed\\-exitcode"), "{page}");
}

#[test]
fn every_command_help_ends_with_examples() {
    for cmd in COMMANDS {
        let run = rcd(None, Auth::None, &[cmd, "--help"]);
        assert_eq!(run.code, 0, "{cmd}: {}", run.all());
        let (_, examples) = run
            .stdout
            .rsplit_once("Examples:\n")
            .unwrap_or_else(|| panic!("{cmd} --help has no examples: {}", run.stdout));
        let lines: Vec<&str> = examples.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!lines.is_empty(), "{cmd}");
        for l in lines {
            assert!(
                l.trim_start().starts_with(&format!("rcdomains {cmd}")),
                "{cmd}: every example line runs the command: {l:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Installing and the pipelines: the project's home, the version every install takes, and the
// rules the example pipelines keep (these complement actionlint and GitLab's CI schema, which
// `.ci/lint-pipelines` runs).

use serde_yaml::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `owner/name` of the repository Cargo.toml names: everything else derives from it.
fn slug() -> &'static str {
    env!("CARGO_PKG_REPOSITORY")
        .strip_prefix("https://github.com/")
        .expect("Cargo.toml's repository is a GitHub repository")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value at a path of mapping keys, or Null.
fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    static NULL: Value = Value::Null;
    path.iter().try_fold(v, |v, k| v.get(*k)).unwrap_or(&NULL)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap(),
    }
}

/// The jobs of a workflow (GitHub) or of a pipeline (GitLab: every top-level mapping with a
/// `script`), by name.
fn jobs(doc: &Value) -> Vec<(String, &Value)> {
    let map = match doc.get("jobs") {
        Some(Value::Mapping(m)) => m,
        _ => doc.as_mapping().expect("a mapping"),
    };
    map.iter()
        .filter(|(_, job)| doc.get("jobs").is_some() || job.get("script").is_some())
        .map(|(name, job)| (name.as_str().unwrap().to_string(), job))
        .collect()
}

/// The rcdomains commands a job runs (subcommand and arguments).
fn job_commands(job: &Value) -> Vec<String> {
    let mut shell = vec![];
    shell_text(job, &mut shell);
    shell
        .iter()
        .flat_map(|s| invocations(s))
        .map(|args| args[1..].join(" "))
        .collect()
}

/// All the shell a job or step runs, as one text.
fn shell_of(v: &Value) -> String {
    let mut shell = vec![];
    shell_text(v, &mut shell);
    shell.join("\n")
}

fn runs(job: &Value, command: &str) -> bool {
    job_commands(job).iter().any(|c| c.starts_with(command))
}

/// Where the examples, README and release files point: never a placeholder host, and every
/// mention of the project's repository or image is the one Cargo.toml names.
#[test]
fn the_project_home_is_named_once() {
    assert_eq!(
        env!("CARGO_PKG_REPOSITORY"),
        "https://github.com/rcdomains/rcdomains"
    );
    let slug = slug();
    let project = slug.rsplit('/').next().unwrap();
    let files = [
        "README.md",
        "action.yml",
        "dist/Dockerfile",
        ".github/workflows/release.yml",
        "examples/ci/github-actions.yml",
        "examples/ci/github-actions-fleet.yml",
        "examples/ci/gitlab-ci.yml",
    ];
    for file in files {
        let text = read(file);
        assert!(
            !text.contains("example.invalid"),
            "{file}: a placeholder host"
        );
        for prefix in ["github.com/", "ghcr.io/", "uses: "] {
            for (i, _) in text.match_indices(prefix) {
                let rest = &text[i + prefix.len()..];
                let target: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "-_./".contains(*c))
                    .collect();
                let mut parts = target.split('/');
                let (owner, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let name = name.trim_end_matches(".git");
                if owner == project || name == project {
                    assert_eq!(
                        format!("{owner}/{name}"),
                        slug,
                        "{file}: `{prefix}{target}` is not the repository Cargo.toml names"
                    );
                }
            }
        }
    }
}

#[test]
fn every_install_takes_this_version() {
    // The action installs, by default, the release it was published with.
    let action = yaml("action.yml");
    assert_eq!(
        text(at(&action, &["inputs", "version", "default"])),
        VERSION
    );
    assert_eq!(
        text(at(&action, &["inputs", "repository", "default"])),
        slug()
    );

    let github = read("examples/ci/github-actions.yml");
    let doc = yaml("examples/ci/github-actions.yml");
    let wanted = format!("{}@v{VERSION}", slug());
    for (name, job) in jobs(&doc) {
        if job_commands(job).is_empty() {
            continue;
        }
        let steps = at(job, &["steps"]).as_sequence().unwrap();
        let install = steps
            .iter()
            .position(|s| text(at(s, &["uses"])).starts_with(&format!("{}@", slug())));
        let first_run = steps.iter().position(|s| !job_commands(s).is_empty());
        let install = install.unwrap_or_else(|| panic!("job {name} runs rcdomains uninstalled"));
        assert!(install < first_run.unwrap(), "job {name}: install first");
        assert_eq!(text(at(&steps[install], &["uses"])), wanted, "job {name}");
    }
    let gitlab = yaml("examples/ci/gitlab-ci.yml");
    assert_eq!(
        text(at(&gitlab, &["default", "image"])),
        format!("ghcr.io/{}:{VERSION}-ci", slug()),
        "GitLab's jobs run in the release's image"
    );
    for (name, job) in jobs(&gitlab) {
        assert!(
            job.get("image").is_none(),
            "job {name}: every job runs the default image"
        );
    }
    let gitlab = read("examples/ci/gitlab-ci.yml");
    for (file, text) in [("github-actions.yml", &github), ("gitlab-ci.yml", &gitlab)] {
        assert!(!text.contains("cargo install"), "{file} compiles rcdomains");
    }
    // The README's install instructions name this version too.
    let readme = read("README.md");
    for prefix in [
        format!("{}@v", slug()),
        format!("ghcr.io/{}:", slug()),
        "version=".to_string(),
    ] {
        let mut seen = 0;
        for (i, _) in readme.match_indices(&prefix) {
            let rest = &readme[i + prefix.len()..];
            if rest.starts_with(['<', '$']) {
                continue;
            }
            assert!(
                rest.starts_with(VERSION),
                "README: `{prefix}{}` is not version {VERSION}",
                &rest[..rest.len().min(10)]
            );
            seen += 1;
        }
        assert!(seen > 0, "README: no `{prefix}{VERSION}`");
    }
}

/// Every `uses:` in the GitHub workflows: a local action, the rcdomains action at this release,
/// or a third-party action pinned by a full commit SHA with its version in a comment.
#[test]
fn third_party_actions_are_pinned_by_commit() {
    for file in [
        "examples/ci/github-actions.yml",
        "examples/ci/github-actions-fleet.yml",
        ".github/workflows/release.yml",
    ] {
        let mut seen = 0;
        for line in read(file).lines() {
            let line = line.trim_start().trim_start_matches("- ");
            let Some(uses) = line.strip_prefix("uses: ") else {
                continue;
            };
            seen += 1;
            let (action, comment) = uses.split_once(" # ").unwrap_or((uses, ""));
            if action.starts_with("./") || action == format!("{}@v{VERSION}", slug()) {
                continue;
            }
            let (_, rev) = action
                .split_once('@')
                .unwrap_or_else(|| panic!("{file}: {uses}"));
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "{file}: `{action}` is not pinned by a commit SHA"
            );
            assert!(
                comment.starts_with('v'),
                "{file}: `{action}` has no version comment"
            );
        }
        assert!(seen > 0, "{file}: no actions found");
    }
}

#[test]
fn github_example_keeps_credentials_from_forks_and_applies_one_at_a_time() {
    let doc = yaml("examples/ci/github-actions.yml");
    let on = at(&doc, &["on"]);
    assert!(
        on.get("pull_request_target").is_none(),
        "pull_request_target runs a fork's pull request with secrets"
    );
    assert!(!text(at(&doc, &["env"])).contains("secrets."));
    let fork_guard = "github.event.pull_request.head.repo.full_name == github.repository";
    let mut apply_groups = vec![];
    for (name, job) in jobs(&doc) {
        let cond = text(at(job, &["if"]));
        let uses_secrets = serde_yaml::to_string(job).unwrap().contains("secrets.");
        if uses_secrets {
            // A job with secrets either cannot run on a pull request, or not on a fork's.
            assert!(
                !cond.is_empty() && (!cond.contains("pull_request") || cond.contains(fork_guard)),
                "job {name} has secrets and runs on a fork's pull request: `{cond}`"
            );
        }
        if runs(job, "apply") {
            let group = match at(job, &["concurrency"]) {
                Value::String(g) => g.clone(),
                c => {
                    assert_ne!(
                        at(c, &["cancel-in-progress"]),
                        &Value::Bool(true),
                        "job {name}: an apply is never cancelled half-way"
                    );
                    text(at(c, &["group"]))
                }
            };
            assert!(
                !group.is_empty(),
                "job {name} applies without a concurrency group"
            );
            apply_groups.push(group);
        }
    }
    assert!(apply_groups.len() >= 2, "apply on merge and after approval");
    assert!(
        apply_groups.windows(2).all(|w| w[0] == w[1]),
        "every apply job shares one concurrency group: {apply_groups:?}"
    );
}

#[test]
fn github_example_comments_once_and_shows_errors() {
    let doc = yaml("examples/ci/github-actions.yml");
    let (_, plan) = jobs(&doc)
        .into_iter()
        .find(|(_, j)| runs(j, "plan --format markdown --out"))
        .expect("a plan job");
    let steps = at(plan, &["steps"]).as_sequence().unwrap();
    let plan_step = steps
        .iter()
        .position(|s| !job_commands(s).is_empty() && text(at(s, &["run"])).contains("plan"))
        .unwrap();
    let plan_run = text(at(&steps[plan_step], &["run"]));
    assert!(
        plan_run.contains("2> plan.err"),
        "stderr is kept for the comment"
    );
    let comment = steps
        .iter()
        .position(|s| text(at(s, &["run"])).contains("<!-- rcdomains plan: "))
        .expect("a comment with the hidden marker");
    let comment_step = &steps[comment];
    let run = text(at(comment_step, &["run"]));
    assert!(text(at(comment_step, &["if"])).contains("always()"));
    for wanted in [
        "--method PATCH",
        "issues/comments/",
        ".user.login == $bot",
        "startswith($marker)",
        "plan.err",
    ] {
        assert!(run.contains(wanted), "the comment step lacks `{wanted}`");
    }
    let fail = steps[comment + 1..]
        .iter()
        .find(|s| text(at(s, &["run"])).contains("exit"))
        .expect("a step after the comment that fails the job");
    assert!(text(at(fail, &["if"])).contains("steps.plan.outputs.code != '0'"));
}

#[test]
fn github_example_has_a_way_forward_after_a_refused_apply() {
    let doc = yaml("examples/ci/github-actions.yml");
    assert!(at(&doc, &["on", "workflow_dispatch"]).is_mapping());
    let all = jobs(&doc);
    let (name, gated) = all
        .iter()
        .find(|(_, j)| runs(j, "apply plan.json") && j.get("environment").is_some())
        .expect("an apply gated on an environment's approval");
    let needs = text(at(gated, &["needs"]));
    let (_, replan) = all
        .iter()
        .find(|(n, _)| needs.trim() == n)
        .unwrap_or_else(|| panic!("job {name} needs the job that plans"));
    assert!(runs(replan, "plan --format markdown --out plan.json"));
    assert!(text(at(replan, &["if"])).contains("workflow_dispatch"));
    // The apply on merge says how to go on when it refuses.
    let (_, on_merge) = all
        .iter()
        .find(|(_, j)| runs(j, "apply plan.json") && j.get("environment").is_none())
        .unwrap();
    assert!(shell_of(on_merge).contains("\"$code\" = 3"));
}

#[test]
fn github_example_regenerates_into_one_branch_and_pull_request() {
    let doc = yaml("examples/ci/github-actions.yml");
    let (_, job) = jobs(&doc)
        .into_iter()
        .find(|(_, j)| runs(j, "generate --from"))
        .unwrap();
    let branch = text(at(job, &["env", "BRANCH"]));
    assert!(!branch.is_empty() && !branch.contains('$') && !branch.contains("${{"));
    let body = serde_yaml::to_string(job).unwrap() + &shell_of(job);
    for wanted in [
        "secrets.RCDOMAINS_PR_TOKEN",
        "git switch -C \"$BRANCH\"",
        "git push --force",
        "gh pr list --head \"$BRANCH\"",
    ] {
        assert!(body.contains(wanted), "generate-check lacks `{wanted}`");
    }
    assert!(
        !body.contains("GITHUB_RUN_ID"),
        "one branch, not one a night"
    );
    assert!(read("examples/ci/github-actions.yml").contains("fine-grained personal access token"));
}

#[test]
fn gitlab_example_notes_once_applies_one_at_a_time_and_keeps_forks_out() {
    let doc = yaml("examples/ci/gitlab-ci.yml");
    let all = jobs(&doc);
    let job = |wanted: &str| {
        all.iter()
            .find(|(n, _)| n == wanted)
            .map(|(_, j)| *j)
            .unwrap_or_else(|| panic!("no job {wanted}"))
    };
    let plan = job("plan");
    let script = shell_of(plan);
    for wanted in [
        "<!-- rcdomains plan: ",
        "2> plan.err",
        "api PUT \"$notes/$note\"",
        ".author.id == $me",
        "startswith($marker)",
        "exit \"$code\"",
    ] {
        assert!(script.contains(wanted), "the plan job lacks `{wanted}`");
    }
    let rules = text(at(plan, &["rules"]));
    assert!(rules.contains("$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID"));

    let mut groups = vec![];
    for (name, j) in &all {
        if runs(j, "apply") {
            let group = text(at(j, &["resource_group"]));
            assert!(
                !group.is_empty(),
                "job {name} applies without a resource_group"
            );
            groups.push(group);
        }
    }
    assert!(groups.len() >= 2 && groups.windows(2).all(|w| w[0] == w[1]));

    let gated = job("apply-replanned");
    assert!(gated.get("environment").is_some());
    assert!(text(at(gated, &["rules"])).contains("manual"));
    assert_eq!(text(at(gated, &["needs"])).trim(), "- replan");
    assert!(runs(
        job("replan"),
        "plan --format markdown --out plan.json"
    ));
    assert!(shell_of(job("apply")).contains("RCDOMAINS_REPLAN"));

    let generate = job("generate-check");
    let branch = text(at(generate, &["variables", "BRANCH"]));
    assert!(!branch.is_empty() && !branch.contains('$'));
    let script = shell_of(generate);
    assert!(script.contains("force: true") && script.contains("state=opened&source_branch="));
    assert!(
        !script.contains("CI_PIPELINE_ID"),
        "one branch, not one a night"
    );
}

/// The action installs what the release workflow builds: the same four targets, checked
/// against the same SHA256SUMS, from a release of the repository Cargo.toml names.
#[test]
fn action_and_release_agree() {
    let action = yaml("action.yml");
    assert_eq!(text(at(&action, &["runs", "using"])), "composite");
    assert!(at(&action, &["outputs", "version", "value"]).is_string());
    let steps = at(&action, &["runs", "steps"]).as_sequence().unwrap();
    let script: String = steps.iter().map(|s| text(at(s, &["run"]))).collect();
    for s in steps {
        assert_eq!(text(at(s, &["shell"])), "bash");
    }
    assert!(script.contains("SHA256SUMS") && script.contains("sha256sum"));
    assert!(
        !script.contains("${{"),
        "inputs reach the script through env, never spliced into it"
    );

    let release = yaml(".github/workflows/release.yml");
    assert!(text(at(&release, &["on", "push", "tags"])).contains("v[0-9]"));
    let matrix = at(
        &release,
        &["jobs", "build", "strategy", "matrix", "include"],
    );
    let mut built: Vec<String> = matrix
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| text(at(m, &["target"])))
        .collect();
    built.sort();
    assert_eq!(
        built,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-unknown-linux-musl"
        ]
    );
    for target in &built {
        assert!(
            script.contains(target.as_str()),
            "action.yml misses {target}"
        );
    }
    let release_text = read(".github/workflows/release.yml");
    assert!(release_text.contains("sha256sum rcdomains-*.tar.gz > SHA256SUMS"));
    assert!(release_text.contains("ghcr.io/${GITHUB_REPOSITORY,,}"));
    let dockerfile = read("dist/Dockerfile");
    assert!(dockerfile.contains("distroless/static") && dockerfile.contains("ca-certificates"));
}

#[test]
fn version_names_the_commit_when_built_from_git() {
    let run = rcd(None, Auth::None, &["--version"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let line = run.stdout.trim();
    let rest = line
        .strip_prefix(&format!("rcdomains {VERSION}"))
        .unwrap_or_else(|| panic!("{line}"));
    if let Some(commit) = option_env!("RCDOMAINS_COMMIT") {
        assert_eq!(rest, format!(" ({commit})"));
        assert_eq!(commit.len(), 12);
        assert!(commit.bytes().all(|b| b.is_ascii_hexdigit()));
    } else {
        assert_eq!(rest, "");
    }
}
