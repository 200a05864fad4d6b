//! Shared test helpers: a sandbox served from a background runtime, and the binary.

#![allow(dead_code)]

use rcdomains::sandbox::{self, RequestRecord, SandboxHandle, Seed};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const TOKEN: &str = "tok-3f9c-SECRET-token-value";
pub(crate) const KEY: &str = "key-71aa-SECRET-key-value";
pub(crate) const SECRET: &str = "sec-9d02-SECRET-secret-value";

/// A sandbox on 127.0.0.1:0, served by its own runtime for as long as this value lives.
pub(crate) struct Sandbox {
    pub handle: SandboxHandle,
    _rt: tokio::runtime::Runtime,
}

impl Sandbox {
    pub(crate) fn start(seed_yaml: &str) -> Sandbox {
        let seed = Seed::from_yaml_str(seed_yaml).expect("test seed");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = rt
            .block_on(sandbox::start(seed, "127.0.0.1:0".parse().unwrap()))
            .expect("sandbox starts");
        Sandbox { handle, _rt: rt }
    }

    pub(crate) fn writes(&self) -> Vec<RequestRecord> {
        self.handle.write_requests()
    }

    pub(crate) fn domain_names(&self, server: u64, app: u64) -> Vec<String> {
        let mut v: Vec<String> = self
            .handle
            .world()
            .domains(server, app)
            .into_iter()
            .map(|d| d.name)
            .collect();
        v.sort();
        v
    }
}

/// The credentials block every test seed uses.
pub(crate) fn credentials_yaml() -> String {
    format!("credentials: {{token: {TOKEN}, key: {KEY}, secret: {SECRET}}}\n")
}

/// A seed with one server (1, 203.0.113.10) and one app (2) holding `domains` (seed YAML list
/// items, already indented by 10 spaces).
pub(crate) fn seed(domains: &[&str], extra: &str) -> String {
    let mut s = credentials_yaml();
    s.push_str(extra);
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 203.0.113.10\n    apps:\n      - id: 2\n        name: app\n        domains:\n");
    for d in domains {
        s.push_str(&format!("          - {d}\n"));
    }
    s
}

/// Variables that would steer the binary from the developer's shell; every test run clears them.
pub(crate) const CLEARED_ENV: &[&str] = &[
    "RUNCLOUD_API_TOKEN",
    "RUNCLOUD_API_KEY",
    "RUNCLOUD_API_SECRET",
    "RUNCLOUD_API_URL",
    "RUNCLOUD_SERVER_ID",
    "RUNCLOUD_APP_ID",
    "WU_RUNCLOUD_API_TOKEN",
    "WU_RUNCLOUD_API_KEY",
    "WU_RUNCLOUD_API_SECRET",
    "WU_RUNCLOUD_SERVER_ID",
    "WU_RUNCLOUD_APP_ID",
    "RCDOMAINS_RATE_LIMIT",
    "NO_COLOR",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
];

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub(crate) enum Auth {
    V3,
    V2,
    Token(&'static str),
    None,
}

/// Runs the binary with a clean RunCloud environment.
pub(crate) fn rcd(sb: Option<&Sandbox>, auth: Auth, args: &[&str]) -> Run {
    rcd_env(sb, auth, args, &[])
}

/// `rcd` with extra environment variables set after the clean-up.
pub(crate) fn rcd_env(
    sb: Option<&Sandbox>,
    auth: Auth,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcdomains"));
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("RCDOMAINS_RATE_LIMIT", "100000");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    match auth {
        Auth::V3 => {
            cmd.env("RUNCLOUD_API_TOKEN", TOKEN);
        }
        Auth::V2 => {
            cmd.env("RUNCLOUD_API_KEY", KEY)
                .env("RUNCLOUD_API_SECRET", SECRET);
        }
        Auth::Token(t) => {
            cmd.env("RUNCLOUD_API_TOKEN", t);
        }
        Auth::None => {}
    }
    if let Some(sb) = sb {
        let url = match auth {
            Auth::V2 => sb.handle.api_url_v2(),
            _ => sb.handle.api_url_v3(),
        };
        cmd.env("RUNCLOUD_API_URL", url);
    }
    cmd.args(args);
    // The API tests run without DNS checks; `checks_args` opts a run into the sandbox's DNS
    // and TLS (never the system resolvers).
    // Only plan, apply and audit check DNS (and take the flag).
    let checks_dns = matches!(args.first(), Some(&("plan" | "apply" | "audit")));
    if sb.is_some() && checks_dns && !args.contains(&"--resolver") && !args.contains(&"--skip-dns")
    {
        cmd.arg("--skip-dns");
    }
    cmd.stdin(std::process::Stdio::null());
    let out = cmd.output().expect("run rcdomains");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Flags pointing the DNS and TLS checks at the sandbox's own servers.
pub(crate) fn checks_args(sb: &Sandbox) -> Vec<String> {
    vec![
        "--resolver".into(),
        sb.handle.dns_addr().to_string(),
        "--tls-port".into(),
        sb.handle.tls_addr().port().to_string(),
    ]
}

/// A desired file in a fresh temporary directory.
pub(crate) struct DesiredFile {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl DesiredFile {
    pub(crate) fn new(text: &str) -> DesiredFile {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domains.yaml");
        std::fs::write(&path, text).unwrap();
        DesiredFile { dir, path }
    }

    pub(crate) fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// A desired file for server 1 app 2 with `removals` settings and `domains` entries.
pub(crate) fn desired(removals: &str, domains: &[&str]) -> DesiredFile {
    let mut s = String::from("version: 1\ntarget: {server: 1, app: 2}\n");
    s.push_str(removals);
    s.push_str("domains:\n");
    for d in domains {
        s.push_str(&format!("  - {d}\n"));
    }
    DesiredFile::new(&s)
}

pub(crate) fn repo_path(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Standard base64 (what a Basic Authorization header carries), to look for leaked credentials.
pub(crate) fn base64(input: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = input.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A seed with server 1 at 127.0.0.1 (certificates are read from the server's address, so it
/// must be loopback), app 2 with `ssl` (YAML for the app's `ssl:`) and `domains`, DNS `records`,
/// and `extra` top-level seed keys (readings, faults, pagination).
pub(crate) fn loopback_world(
    extra: &str,
    ssl: &str,
    domains: &[&str],
    records: &[&str],
) -> Sandbox {
    let mut s = credentials_yaml();
    s.push_str(extra);
    s.push_str("servers:\n  - id: 1\n    name: web-1\n    ip: 127.0.0.1\n    apps:\n      - id: 2\n        name: app\n");
    s.push_str(&format!("        ssl: {ssl}\n        domains:\n"));
    for d in domains {
        s.push_str(&format!("          - {d}\n"));
    }
    s.push_str("dns:\n");
    for r in records {
        s.push_str(&format!("  - {r}\n"));
    }
    Sandbox::start(&s)
}

/// `rcd` with the DNS and TLS checks pointed at the sandbox's own servers.
pub(crate) fn rcd_checked(sb: &Sandbox, auth: Auth, args: &[&str]) -> Run {
    let mut v: Vec<String> = args.iter().map(ToString::to_string).collect();
    v.extend(checks_args(sb));
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    rcd(Some(sb), auth, &refs)
}

/// A run's stdout as JSON, or a panic showing the whole run.
pub(crate) fn stdout_json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.all()))
}

/// Paths the sandbox received more than once (none when no request was repeated).
pub(crate) fn repeated_paths(sb: &Sandbox) -> Vec<String> {
    let mut paths: Vec<String> = sb.handle.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    let mut repeated: Vec<String> = paths
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].clone())
        .collect();
    repeated.dedup();
    repeated
}

/// How many answers the sandbox gave with status 429.
pub(crate) fn throttled_answers(sb: &Sandbox) -> usize {
    sb.handle
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count()
}
