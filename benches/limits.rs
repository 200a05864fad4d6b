#![allow(clippy::too_many_lines)] // each case reads top to bottom, as its table row does

//! Speed under RunCloud's limits, side by side (issue 10). Everything on loopback against the
//! sandbox, with the release binary:
//!
//! 1. `plan` at 50 ms latency per request, no server limit, vs a plain sequential
//!    page-by-page lister (the same requests, one at a time).
//! 2. `plan` with the server at 600/min (headers say so) and the client's defaults, vs the
//!    same plan against an unlimited server (the limit allows it all without waiting).
//! 3. 60/min per fixed window from the first request, honest `Retry-After`: wall time vs the
//!    floor the limit sets, and 429 answers.
//! 4. The same with every 429 saying `Retry-After: 1`.
//! 5. The same with a sliding window.
//! 6. A fault campaign: 40 seeded applies with 20% of requests hit (500, HTML 502, 429,
//!    resets, lost answers), ~30 adds, 20 removals, 5 updates: how many converge in one apply,
//!    duplicates, wrongful deletions.
//! 7. A fleet under one credential (issue 14): 20 apps of 500 live domains on one server, a
//!    desired file each with 10 adds and 10 removals; one `plan -f DIR` over the 20 files vs 20
//!    runs one after another vs 20 runs started at once (20 parallel CI jobs), all against one
//!    limit of 100 requests per 10-second window (600/min; the reset time on every answer).
//!    Each arm needs 340 requests (17 a target), 3.4 windows' worth, so the limit is what
//!    the comparison measures; the window is 10 s rather than RunCloud's minute so the case
//!    takes two and a half minutes, not a quarter of an hour. Each arm starts on a fresh
//!    sandbox (a full window).
//!
//!   cargo build --release && cargo bench --bench limits
//!   QUICK=1 cargo bench --bench limits      # skips 3–5 and 7 (minutes each)
//!   DOMAINS=5000 RUNS=40 cargo bench --bench limits
//!   FLEET_TARGETS=20 FLEET_DOMAINS=500 cargo bench --bench limits
//!   FLEET_ONLY=1 cargo bench --bench limits  # case 7 alone
//!
//! No assertion here: it prints figures (the README quotes them). Cases 1 and 2 are the
//! median of five runs.

use rcdomains::sandbox::{self, SandboxHandle, Seed};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const TOKEN: &str = "bench-token";

struct Sandbox {
    handle: SandboxHandle,
    _rt: tokio::runtime::Runtime,
}

fn start(seed: &str) -> Sandbox {
    let seed = Seed::from_yaml_str(seed).expect("bench seed");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let handle = rt
        .block_on(sandbox::start(seed, "127.0.0.1:0".parse().expect("addr")))
        .expect("sandbox starts");
    Sandbox { handle, _rt: rt }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed(domains: u64, extra: &str) -> String {
    format!(
        "credentials: {{token: {TOKEN}}}\n{extra}servers:\n  - id: 1\n    name: bench\n    ip: 203.0.113.10\n    apps:\n      - id: 2\n        name: bench\n        domains:\n          - {{name: network.example, type: primary, www: true, redirection: non-www}}\n        bulk: {{count: {domains}, template: 'site{{n}}.bench.example', www: true, redirection: non-www}}\n"
    )
}

/// A desired file listing every live name (a plan with nothing to do: pure reading).
fn desired_all(dir: &Path, domains: u64) -> PathBuf {
    let mut s =
        String::from("version: 1\ntarget: {server: 1, app: 2}\ndomains:\n  - network.example\n");
    for n in 1..=domains {
        s.push_str(&format!("  - site{n}.bench.example\n"));
    }
    let p = dir.join("domains.yaml");
    std::fs::write(&p, s).expect("write desired");
    p
}

struct Timed {
    secs: f64,
    code: i32,
    stdout: String,
    stderr: String,
}

fn rcd(sb: &Sandbox, args: &[&str], extra_env: &[(&str, &str)]) -> Timed {
    let mut cmd = command(sb, args, extra_env);
    let started = Instant::now();
    let out = cmd.output().expect("run rcdomains");
    Timed {
        secs: started.elapsed().as_secs_f64(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The release binary against `sb`, with the client's defaults, no DNS checks, quiet.
fn command(sb: &Sandbox, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcdomains"));
    for v in [
        "RUNCLOUD_API_KEY",
        "RUNCLOUD_API_SECRET",
        "RCDOMAINS_RATE_LIMIT",
        "RCDOMAINS_MAX_WAIT",
        "NO_COLOR",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("RUNCLOUD_API_TOKEN", TOKEN)
        .env("RUNCLOUD_API_URL", sb.handle.api_url_v3());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.args(args).arg("--skip-dns").arg("-q");
    cmd
}

/// The plain lister: the requests a plan needs (server, app, SSL mode, certificate, every
/// page), one after the other.
fn sequential_lister(sb: &Sandbox) -> (f64, u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let base = sb.handle.api_url_v3();
        let get = |path: String| {
            let http = http.clone();
            async move {
                let r = http
                    .get(path)
                    .bearer_auth(TOKEN)
                    .header("Accept", "application/json")
                    .send()
                    .await
                    .expect("request");
                r.json::<serde_json::Value>().await.expect("json")
            }
        };
        let started = Instant::now();
        let mut requests = 0u64;
        for p in [
            "servers/1",
            "servers/1/webapps/2",
            "servers/1/webapps/2/ssl/advanced",
            "servers/1/webapps/2/ssl",
        ] {
            get(format!("{base}/{p}")).await;
            requests += 1;
        }
        let mut page = 1;
        loop {
            let v = get(format!(
                "{base}/servers/1/webapps/2/domains?page={page}&perPage=40"
            ))
            .await;
            requests += 1;
            let last = v["meta"]["pagination"]["total_pages"].as_u64().unwrap_or(1);
            if page >= last {
                break;
            }
            page += 1;
        }
        (started.elapsed().as_secs_f64(), requests)
    })
}

/// The run with the median wall time of `n`.
fn median_run(n: usize, mut f: impl FnMut() -> Timed) -> Timed {
    let mut runs: Vec<Timed> = (0..n).map(|_| f()).collect();
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    runs.swap_remove(n / 2)
}

/// The median of `n` timings (and the count that goes with it).
fn median_of(n: usize, mut f: impl FnMut() -> (f64, u64)) -> (f64, u64) {
    let mut runs: Vec<(f64, u64)> = (0..n).map(|_| f()).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[n / 2]
}

fn throttled(sb: &Sandbox) -> usize {
    sb.handle
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count()
}

fn main() {
    // `cargo test --all-targets` runs bench targets too (without `--bench`): the benchmark
    // takes minutes, so it runs only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("limits: run with `cargo bench --bench limits`");
        return;
    }
    let domains = env_num("DOMAINS", 5000);
    let quick = std::env::var("QUICK").is_ok();
    let dir = tempfile::tempdir().expect("tempdir");
    if std::env::var("FLEET_ONLY").is_ok() {
        fleet(dir.path());
        return;
    }
    let desired = desired_all(dir.path(), domains);
    let f = desired.to_str().expect("utf-8 path");
    println!(
        "rcdomains limits benchmark: {} live domains ({} pages of 40), loopback, release binary\n",
        domains + 1,
        (domains + 1).div_ceil(40)
    );

    // 1. Latency, no limit.
    let sb = start(&seed(
        domains,
        "rate_limit: {per_minute: 1000000}\nreadings: {latency_ms: 50}\n",
    ));
    let (seq_secs, seq_requests) = median_of(5, || sequential_lister(&sb));
    sb.handle.clear_requests();
    let plan = median_run(5, || rcd(&sb, &["plan", "-f", f], &[]));
    let plan_requests = sb.handle.requests().len() / 5;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    println!("1. 50 ms per request, no server limit");
    println!(
        "   sequential lister   {seq_secs:7.2} s  {seq_requests} requests\n   rcdomains plan      {:7.2} s  {plan_requests} requests   ratio {:.2} (goal ≤ 0.20)\n",
        plan.secs,
        plan.secs / seq_secs
    );
    drop(sb);

    // 2. The server says 600/min; the client keeps its defaults.
    let unlimited = start(&seed(domains, "rate_limit: {per_minute: 1000000}\n"));
    let base = median_run(5, || rcd(&unlimited, &["plan", "-f", f], &[]));
    drop(unlimited);
    // A fresh server per run: each run must fit its own 600/min window.
    let mut n = 0;
    let mut throttled_600 = 0;
    let plan = median_run(5, || {
        let sb = start(&seed(
            domains,
            "rate_limit: {per_minute: 600, window_seconds: 60}\n",
        ));
        let r = rcd(&sb, &["plan", "-f", f], &[]);
        n = sb.handle.requests().len();
        throttled_600 += throttled(&sb);
        r
    });
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    println!(
        "2. server limit 600/min in its headers, client defaults ({n} requests: no wait needed)"
    );
    println!(
        "   unlimited server    {:7.2} s\n   600/min server      {:7.2} s   ratio {:.2} (goal ≤ 1.10), {} answers 429\n",
        base.secs,
        plan.secs,
        plan.secs / base.secs.max(1e-3),
        throttled_600
    );

    if !quick {
        for (title, extra) in [
            (
                "3. 60/min, fixed window from the first request, honest Retry-After",
                "rate_limit: {per_minute: 60, window_seconds: 60}\n",
            ),
            (
                "4. 60/min, fixed window, every 429 says Retry-After: 1",
                "rate_limit: {per_minute: 60, window_seconds: 60, retry_after_lie: 1}\n",
            ),
            (
                "5. 60/min, sliding window",
                "rate_limit: {per_minute: 60, window_seconds: 60, window: sliding}\n",
            ),
        ] {
            let sb = start(&seed(domains, extra));
            let plan = rcd(&sb, &["plan", "-f", f], &[]);
            let n = sb.handle.requests().len() as f64;
            let ok = sb
                .handle
                .requests()
                .iter()
                .filter(|r| r.status == 200)
                .count() as f64;
            // The floor: every window after the first is waited out in full.
            let floor = ((ok - 1.0) / 60.0).floor() * 60.0;
            println!("{title}");
            println!(
                "   exit {}  {:7.2} s for a {floor:.0} s floor   ratio {:.2}  {} requests, {} answers 429\n",
                plan.code,
                plan.secs,
                plan.secs / floor.max(1.0),
                n,
                throttled(&sb)
            );
        }
    } else {
        println!("3–5. skipped (QUICK)\n");
    }

    // 6. The fault campaign.
    let runs = env_num("RUNS", 40);
    let mut converged = 0;
    let mut wrongful = 0;
    let mut duplicates = 0;
    let mut total_secs = 0.0;
    for seed_n in 1..=runs {
        let mut live = String::new();
        // 20 to remove, 5 to update, 20 to keep as they are.
        for n in 1..=20 {
            live.push_str(&format!("          - {{name: gone{n}.example}}\n"));
        }
        for n in 1..=5 {
            live.push_str(&format!(
                "          - {{name: change{n}.example, www: false, redirection: none}}\n"
            ));
        }
        for n in 1..=20 {
            live.push_str(&format!(
                "          - {{name: keep{n}.example, www: true, redirection: non-www}}\n"
            ));
        }
        let s = format!(
            "credentials: {{token: {TOKEN}}}\nrate_limit: {{per_minute: 1000000}}\nchaos: {{rate: 0.2, seed: {seed_n}}}\nservers:\n  - id: 1\n    name: bench\n    ip: 203.0.113.10\n    apps:\n      - id: 2\n        name: bench\n        domains:\n          - {{name: network.example, type: primary, www: true, redirection: non-www}}\n{live}"
        );
        let sb = start(&s);
        let mut want: Vec<String> = vec!["network.example".into()];
        want.extend((1..=5).map(|n| format!("change{n}.example")));
        want.extend((1..=20).map(|n| format!("keep{n}.example")));
        want.extend((1..=30).map(|n| format!("new{n}.example")));
        let mut yaml = String::from(
            "version: 1\ntarget: {server: 1, app: 2}\ndefaults: {www: true, redirection: non-www}\nremovals: {prune: true, grace: 0, max: 100, max_percent: 100}\ndomains:\n",
        );
        for n in &want {
            yaml.push_str(&format!("  - {n}\n"));
        }
        let p = dir.path().join(format!("campaign-{seed_n}.yaml"));
        std::fs::write(&p, yaml).expect("write");
        let run = rcd(
            &sb,
            &["apply", "-f", p.to_str().expect("path"), "--yes"],
            &[],
        );
        total_secs += run.secs;
        let world = sb.handle.world().domains(1, 2);
        let mut names: Vec<String> = world.iter().map(|d| d.name.clone()).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        duplicates += before - names.len();
        let kept_ok = ["network.example"]
            .iter()
            .map(ToString::to_string)
            .chain((1..=5).map(|n| format!("change{n}.example")))
            .chain((1..=20).map(|n| format!("keep{n}.example")))
            .filter(|n| !names.contains(n))
            .count();
        wrongful += kept_ok;
        let mut want_sorted = want.clone();
        want_sorted.sort();
        let settings_ok = world
            .iter()
            .all(|d| d.name == "network.example" || (d.www && d.redirection.as_str() == "non-www"));
        if run.code == 0 && names == want_sorted && settings_ok {
            converged += 1;
        } else {
            let why = run
                .stdout
                .lines()
                .chain(run.stderr.lines())
                .find(|l| l.contains("FAILED") || l.starts_with("error"))
                .unwrap_or("(the live list differs from the file)")
                .trim()
                .chars()
                .take(300)
                .collect::<String>();
            println!("   seed {seed_n}: exit {}: {why}", run.code);
        }
    }
    println!("6. fault campaign: 20% of requests hit, 30 adds, 20 removals, 5 updates");
    println!(
        "   converged in one apply: {converged} of {runs} ({:.0}%, goal ≥ 95%)   duplicates {duplicates}   wrongful deletions {wrongful}   mean apply {:.2} s",
        100.0 * converged as f64 / runs as f64,
        total_secs / runs as f64
    );

    // 7. A fleet under one credential.
    if !quick {
        fleet(dir.path());
    } else {
        println!("\n7. skipped (QUICK)");
    }
}

/// Case 7's limit, the same for every arm: 100 requests per 10-second window (600/min), the
/// window's end on every answer.
const FLEET_LIMIT: &str = "rate_limit: {per_minute: 100, window_seconds: 10, reset_header: true}\n";
const FLEET_PER_WINDOW: f64 = 100.0;
const FLEET_WINDOW_SECS: f64 = 10.0;

/// One server with `targets` apps (ids 101, 102, …), each holding `domains` live names: a
/// primary and `domains - 1` generated aliases.
fn fleet_seed(targets: u64, domains: u64) -> String {
    let mut s = format!(
        "credentials: {{token: {TOKEN}}}\n{FLEET_LIMIT}servers:\n  - id: 1\n    name: bench\n    ip: 203.0.113.10\n    apps:\n"
    );
    for k in 1..=targets {
        s.push_str(&format!(
            "      - id: {}\n        name: net{k}\n        domains:\n          - {{name: net{k}.example, type: primary}}\n        bulk: {{count: {}, template: 'site{{n}}.net{k}.example'}}\n",
            100 + k,
            domains - 1
        ));
    }
    s
}

/// A desired file per app in `dir`: every live name but the last 10 aliases (10 removals,
/// within the file's cap) and 10 new names (10 adds).
fn fleet_files(dir: &Path, targets: u64, domains: u64) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("fleet dir");
    (1..=targets)
        .map(|k| {
            let mut s = format!(
                "version: 1\ntarget: {{server: 1, app: {}}}\ndefaults: {{www: false, redirection: none}}\nremovals: {{prune: true, max: 20, max_percent: 100}}\ndomains:\n  - net{k}.example\n",
                100 + k
            );
            for n in 1..=(domains - 1).saturating_sub(10) {
                s.push_str(&format!("  - site{n}.net{k}.example\n"));
            }
            for n in 1..=10 {
                s.push_str(&format!("  - new{n}.net{k}.example\n"));
            }
            let p = dir.join(format!("net{k:02}.yaml"));
            std::fs::write(&p, s).expect("write desired");
            p
        })
        .collect()
}

/// What one arm of case 7 cost, and whether its plans came out right.
struct Arm {
    secs: f64,
    requests: usize,
    ok_requests: usize,
    throttled: usize,
    failed_runs: usize,
    /// Plans with exactly 10 adds and 10 removals, not refused.
    right: usize,
}

impl Arm {
    fn measured(sb: &Sandbox, secs: f64, exits: &[i32], plans: &[serde_json::Value]) -> Arm {
        let requests = sb.handle.requests();
        Arm {
            secs,
            requests: requests.len(),
            ok_requests: requests.iter().filter(|r| r.status == 200).count(),
            throttled: requests.iter().filter(|r| r.status == 429).count(),
            failed_runs: exits.iter().filter(|c| **c != 0).count(),
            right: plans
                .iter()
                .filter(|p| {
                    p["summary"]["add"] == 10
                        && p["summary"]["remove"] == 10
                        && p["refusal"].is_null()
                })
                .count(),
        }
    }
}

/// The plan JSON a run wrote to `path`: its plans (one, or the list of several).
fn plans_in(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut m)) => match m.remove("plans") {
            Some(serde_json::Value::Array(list)) => list,
            _ => vec![serde_json::Value::Object(m)],
        },
        _ => vec![],
    }
}

/// `plan --format json` of `files`, its output to `out` (a file, not a pipe: 20 processes
/// must not wait on a reader), started but not awaited.
fn spawn_plan(sb: &Sandbox, files: &[&Path], out: &Path) -> std::process::Child {
    let mut args = vec!["plan".to_string()];
    for f in files {
        args.push("-f".into());
        args.push(f.to_str().expect("utf-8 path").into());
    }
    args.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command(sb, &args, &[])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).expect("output file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start rcdomains")
}

fn exit_code(child: std::process::Child) -> i32 {
    child
        .wait_with_output()
        .map(|o| o.status.code().unwrap_or(-1))
        .unwrap_or(-1)
}

/// 7. One run over every file vs a run per file in turn vs a run per file all at once.
fn fleet(dir: &Path) {
    let targets = env_num("FLEET_TARGETS", 20);
    let domains = env_num("FLEET_DOMAINS", 500).max(11);
    let seed = fleet_seed(targets, domains);
    let fleet_dir = dir.join("fleet");
    let files = fleet_files(&fleet_dir, targets, domains);
    let outs = dir.join("fleet-out");
    std::fs::create_dir_all(&outs).expect("output dir");
    let out = |i: usize| outs.join(format!("{i}.json"));

    // One run over the directory.
    let sb = start(&seed);
    let started = Instant::now();
    let code = exit_code(spawn_plan(&sb, &[&fleet_dir], &out(0)));
    let one = Arm::measured(
        &sb,
        started.elapsed().as_secs_f64(),
        &[code],
        &plans_in(&out(0)),
    );
    drop(sb);

    // A run per file, one after another.
    let sb = start(&seed);
    let started = Instant::now();
    let exits: Vec<i32> = files
        .iter()
        .enumerate()
        .map(|(i, f)| exit_code(spawn_plan(&sb, &[f], &out(i + 1))))
        .collect();
    let secs = started.elapsed().as_secs_f64();
    let plans: Vec<_> = (1..=files.len()).flat_map(|i| plans_in(&out(i))).collect();
    let in_turn = Arm::measured(&sb, secs, &exits, &plans);
    drop(sb);

    // A run per file, all started at once (parallel CI jobs on one credential).
    let sb = start(&seed);
    let started = Instant::now();
    let children: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, f)| spawn_plan(&sb, &[f], &out(100 + i)))
        .collect();
    let exits: Vec<i32> = children.into_iter().map(exit_code).collect();
    let secs = started.elapsed().as_secs_f64();
    let plans: Vec<_> = (0..files.len())
        .flat_map(|i| plans_in(&out(100 + i)))
        .collect();
    let at_once = Arm::measured(&sb, secs, &exits, &plans);
    drop(sb);

    println!(
        "\n7. {targets} targets of {domains} domains each (10 adds, 10 removals each), one credential at {FLEET_PER_WINDOW:.0} requests per {FLEET_WINDOW_SECS:.0}-second window"
    );
    println!(
        "   {:<26} {:>9} {:>9} {:>9} {:>9} {:>12} {:>12}",
        "", "wall", "floor", "requests", "429s", "failed runs", "plans right"
    );
    let rows = [
        ("one run, plan -f DIR".to_string(), &one),
        (format!("{targets} runs in turn"), &in_turn),
        (format!("{targets} runs at once"), &at_once),
    ];
    for (name, arm) in rows {
        // The floor: every window after the first is waited out in full.
        let floor = ((arm.ok_requests as f64 - 1.0) / FLEET_PER_WINDOW)
            .floor()
            .max(0.0)
            * FLEET_WINDOW_SECS;
        println!(
            "   {name:<26} {:>7.2} s {floor:>7.0} s {:>9} {:>9} {:>12} {:>7} of {targets}",
            arm.secs, arm.requests, arm.throttled, arm.failed_runs, arm.right
        );
    }
}
