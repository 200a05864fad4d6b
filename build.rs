//! Names the commit a binary was built from, for `rcdomains --version`.
//!
//! Sets `RCDOMAINS_COMMIT` (12 hex digits) when it is known, and always `RCDOMAINS_VERSION`, the
//! string `--version` prints: `0.1.0 (abc123def456)`, or `0.1.0` alone when no commit is known.
//! The commit comes from, in order:
//! - the `RCDOMAINS_COMMIT` environment variable at build time (a build from a source archive,
//!   a distribution's package);
//! - `git rev-parse --short=12 HEAD`, only when this crate's own directory is a git checkout
//!   (a `.git` beside Cargo.toml: a packaged crate unpacked inside some other repository — a
//!   `cargo publish` verification under `target/package/`, a home directory kept in git — must
//!   not take that repository's commit);
//! - `.cargo_vcs_info.json`, which `cargo package` writes: the commit a crates.io release was
//!   published from, unless it was published from a dirty tree;
//! - otherwise nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RCDOMAINS_COMMIT");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let commit = from_env()
        .or_else(|| from_git(&dir))
        .or_else(|| from_vcs_info(&dir));
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by cargo");
    match commit {
        Some(commit) => {
            println!("cargo:rustc-env=RCDOMAINS_COMMIT={commit}");
            println!("cargo:rustc-env=RCDOMAINS_VERSION={version} ({commit})");
        }
        None => println!("cargo:rustc-env=RCDOMAINS_VERSION={version}"),
    }
}

/// 7 to 40 hex digits, shortened to 12.
fn commit_id(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = (7..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| text[..text.len().min(12)].to_ascii_lowercase())
}

fn from_env() -> Option<String> {
    commit_id(&std::env::var("RCDOMAINS_COMMIT").ok()?)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn from_git(dir: &Path) -> Option<String> {
    // `.git` is a directory in a clone, a file in a worktree or submodule.
    if !dir.join(".git").exists() {
        return None;
    }
    // Re-run when HEAD moves: HEAD itself (a checkout), the branch it points to (a commit), and
    // packed-refs (where a branch lives after `git pack-refs`). Paths come from git, so that
    // worktrees, whose HEAD and refs live in different directories, are followed too.
    let mut watched = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(dir, &["rev-parse", "--git-path", &branch]));
    }
    watched.push(git(dir, &["rev-parse", "--git-path", "packed-refs"]));
    for path in watched.into_iter().flatten() {
        let path = dir.join(path);
        // A path that does not exist would make cargo re-run this script on every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    commit_id(&git(dir, &["rev-parse", "--short=12", "HEAD"])?)
}

fn from_vcs_info(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    let text = std::fs::read_to_string(&path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    // {"git": {"sha1": "…", "dirty": true}, "path_in_vcs": ""}: read without a JSON parser (a
    // build dependency would be built for every user).
    if text.contains("\"dirty\"") {
        return None;
    }
    let rest = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    commit_id(&rest[..rest.find('"')?])
}
