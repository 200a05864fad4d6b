//! The targets of a run: which desired files `-f` names (repeatable; a directory means its
//! `*.yaml` files), each loaded and checked on its own, and a session for each on one shared
//! client — RunCloud counts its rate limit and quota per credential, so every target of the
//! run spends one budget, paced by one limiter.

use super::Session;
use crate::config::{ApiConfig, DEFAULT_FILE};
use crate::desired::{self, Desired};
use crate::exit::Exit;
use crate::runcloud::credentials;
use anyhow::bail;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The desired files `-f` names, in order: a directory stands for its `*.yaml` and `*.yml`
/// files, sorted by name; no `-f` means `domains.yaml`. The same file named twice is an error.
pub(crate) fn paths(files: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if files.is_empty() {
        return Ok(vec![PathBuf::from(DEFAULT_FILE)]);
    }
    let mut out = Vec::new();
    for given in files {
        if given.is_dir() {
            let shown = crate::escape::text(&given.display().to_string()).into_owned();
            let mut found: Vec<PathBuf> = std::fs::read_dir(given)
                .map_err(|e| anyhow::anyhow!("-f {shown}: cannot list the directory: {e}"))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml") && !p.is_dir())
                .collect();
            if found.is_empty() {
                bail!(
                    "-f {shown}: the directory holds no *.yaml file; give the desired-state files (one per network), or a directory of them"
                );
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(given.clone());
        }
    }
    let mut seen: BTreeMap<PathBuf, &Path> = BTreeMap::new();
    for p in &out {
        let key = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if let Some(first) = seen.insert(key, p) {
            bail!(
                "-f: {} is given twice (also as {}); each desired file is one target, named once",
                crate::escape::text(&p.display().to_string()),
                crate::escape::text(&first.display().to_string())
            );
        }
    }
    Ok(out)
}

/// Every file loaded and validated. With one file its error is returned as is; with several,
/// every file is read and the problems of all of them are reported at once.
pub(crate) fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<Desired>> {
    if let [one] = paths {
        return Ok(vec![desired::load(one)?]);
    }
    let mut loaded = Vec::with_capacity(paths.len());
    let mut problems = Vec::new();
    for p in paths {
        match desired::load(p) {
            Ok(d) => loaded.push(d),
            Err(e) => problems.push(crate::errors::chain(&e)),
        }
    }
    if !problems.is_empty() {
        let mut msg = format!(
            "{} of {} desired files are invalid; nothing was read from RunCloud:",
            problems.len(),
            paths.len()
        );
        for p in &problems {
            msg.push_str("\n  - ");
            msg.push_str(&p.replace('\n', "\n    "));
        }
        bail!(msg);
    }
    Ok(loaded)
}

/// One target of the run: a desired file and the RunCloud app it names.
pub(crate) struct Target {
    pub desired: Desired,
    pub session: Session,
}

/// The sessions of `desired`, all on one client (one limiter, one patience). Two files naming
/// the same server and app are an error: each would undo the other's plan.
pub(crate) fn open(api: &ApiConfig, desired: Vec<Desired>) -> anyhow::Result<Vec<Target>> {
    let env = |name: &str| std::env::var(name).ok();
    let resolved = credentials::resolve(&env, api.wp_config.as_deref())?;
    let client = super::client(api, &resolved)?;
    let single = desired.len() == 1;
    let mut targets = Vec::with_capacity(desired.len());
    let mut problems = Vec::new();
    for d in desired {
        match Session::with_client(&client, d.target, &d.source, &resolved) {
            Ok(session) => targets.push(Target {
                desired: d,
                session,
            }),
            Err(e) => problems.push(crate::errors::chain(e.as_ref())),
        }
    }
    problems.extend(same_app(targets.iter().map(|t| {
        let ids = (t.session.server, t.session.app);
        (ids, t.desired.source.as_str())
    })));
    match problems.len() {
        0 => Ok(targets),
        1 if single => bail!(problems.remove(0)),
        _ => bail!(
            "the targets of the desired files are not clear; nothing was read from RunCloud:\n  - {}",
            problems.join("\n  - ")
        ),
    }
}

/// Files that name a web application another file named already, each as a message: each
/// would undo the other's plan. `files` gives each file's (server, app) and name, in order.
pub(crate) fn same_app<'a>(files: impl IntoIterator<Item = ((u64, u64), &'a str)>) -> Vec<String> {
    let mut named: BTreeMap<(u64, u64), &str> = BTreeMap::new();
    let mut problems = Vec::new();
    for ((server, app), file) in files {
        if let Some(first) = named.insert((server, app), file) {
            problems.push(format!(
                "{first} and {file} both name server {server} app {app}: one desired file per web application (merge them, or correct `target`)"
            ));
        }
    }
    problems
}

/// The exit code of a run over several targets: 1 if any errored, else 3 if any was refused,
/// else 4 if any apply failed, else 2 if any has changes (or findings), else 0.
pub(crate) fn aggregate(exits: impl IntoIterator<Item = Exit>) -> Exit {
    let rank = |e: Exit| match e {
        Exit::Error => 4,
        Exit::Refused => 3,
        Exit::Partial => 2,
        Exit::Changes => 1,
        Exit::Success => 0,
    };
    exits
        .into_iter()
        .max_by_key(|e| rank(*e))
        .unwrap_or(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_orders_error_refused_partial_changes_success() {
        use Exit::*;
        assert_eq!(aggregate([]), Success);
        assert_eq!(aggregate([Success, Changes]), Changes);
        assert_eq!(aggregate([Changes, Partial, Success]), Partial);
        assert_eq!(aggregate([Partial, Refused, Changes]), Refused);
        assert_eq!(aggregate([Refused, Error, Partial]), Error);
        assert_eq!(aggregate([Success]), Success);
    }

    #[test]
    fn a_directory_means_its_yaml_files_sorted_and_a_file_twice_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.yaml", "a.yml", "c.txt", "d.yaml"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("e.yaml")).unwrap();
        let got = paths(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "d.yaml"]);
        let twice = paths(&[dir.path().to_path_buf(), dir.path().join("b.yaml")]).unwrap_err();
        assert!(twice.to_string().contains("given twice"), "{twice}");
        let empty = tempfile::tempdir().unwrap();
        let none = paths(&[empty.path().to_path_buf()]).unwrap_err();
        assert!(none.to_string().contains("no *.yaml"), "{none}");
        assert_eq!(paths(&[]).unwrap(), [PathBuf::from(DEFAULT_FILE)]);
    }
}
