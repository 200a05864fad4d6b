//! The ledger file (`--ledger FILE`): JSON, for CI to cache between runs. Read like every input
//! file (a regular file under the size cap; a missing file is an empty ledger), and written
//! atomically — a temporary file beside it, flushed, then renamed over it — so that a run
//! killed half-way never leaves a torn ledger for the next one.
//!
//! Owns the file format only; the rules read from the ledger are `plan::ledger`'s.

use crate::model::DomainName;
use crate::model::{LedgerEntry, OrderOutcome};
use crate::plan::Ledger;
use crate::plan::ledger::time_rfc3339;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format_version: u32,
    /// Oldest first.
    orders: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    /// RFC 3339, UTC.
    at: String,
    server: u64,
    app: u64,
    names: Vec<String>,
    /// ok | failed | unknown
    outcome: String,
    message: String,
}

/// A ledger and the file it lives in (`None`: kept in memory, as the demo does).
#[derive(Debug, Clone)]
pub struct LedgerFile {
    pub path: Option<PathBuf>,
    pub ledger: Ledger,
}

impl LedgerFile {
    /// Reads `path`; a missing file is an empty ledger (it is created when apply records an
    /// order).
    pub fn open(path: &Path) -> anyhow::Result<LedgerFile> {
        Ok(LedgerFile {
            path: Some(path.to_path_buf()),
            ledger: read(path)?,
        })
    }

    /// An empty ledger kept in memory only.
    pub fn in_memory() -> LedgerFile {
        LedgerFile {
            path: None,
            ledger: Ledger::default(),
        }
    }

    /// Whether the file exists (an in-memory ledger always does).
    pub fn exists(&self) -> bool {
        self.path.as_ref().is_none_or(|p| p.exists())
    }

    /// Appends the orders of a run (dropping those older than the rules read), and writes the
    /// file atomically. The file is read again first, so that orders another run recorded
    /// meanwhile are kept.
    pub fn record(&mut self, orders: &[LedgerEntry], now: i64) -> anyhow::Result<()> {
        let mut ledger = match &self.path {
            Some(path) => read(path)?,
            None => self.ledger.clone(),
        };
        ledger.orders.extend(orders.iter().cloned());
        ledger.prune(now);
        ledger.orders.sort_by_key(|e| e.at);
        if let Some(path) = &self.path {
            write(path, &ledger)?;
        }
        self.ledger = ledger;
        Ok(())
    }
}

fn read(path: &Path) -> anyhow::Result<Ledger> {
    let shown = path.display();
    let text = match crate::input::read_to_string(path, "the ledger") {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(Ledger::default()),
        Err(e) => return Err(e.into()),
    };
    let file: File = serde_json::from_str(&text).with_context(|| {
        format!("{shown} is not an rcdomains ledger; point --ledger at a new file, or at one an earlier run wrote")
    })?;
    if file.format_version != FORMAT_VERSION {
        bail!(
            "{shown} has format_version {}, this rcdomains reads {FORMAT_VERSION}; point --ledger at a new file",
            file.format_version
        );
    }
    let mut orders = Vec::with_capacity(file.orders.len());
    for (i, e) in file.orders.into_iter().enumerate() {
        let at =
            e.at.parse::<jiff::Timestamp>()
                .with_context(|| {
                    format!(
                        "{shown}: order {i} has `at` {:?}, not an RFC 3339 time",
                        e.at
                    )
                })?
                .as_second();
        let Some(outcome) = OrderOutcome::parse(&e.outcome) else {
            bail!(
                "{shown}: order {i} has outcome {:?}; it is one of ok, failed, unknown",
                e.outcome
            );
        };
        let mut names: Vec<DomainName> = e.names.iter().map(|n| DomainName::from_live(n)).collect();
        names.sort();
        names.dedup();
        orders.push(LedgerEntry {
            at,
            server: e.server,
            app: e.app,
            names,
            outcome,
            message: e.message,
        });
    }
    Ok(Ledger { orders })
}

fn write(path: &Path, ledger: &Ledger) -> anyhow::Result<()> {
    let file = File {
        format_version: FORMAT_VERSION,
        orders: ledger
            .orders
            .iter()
            .map(|e| FileEntry {
                at: time_rfc3339(e.at),
                server: e.server,
                app: e.app,
                names: e.names.iter().map(ToString::to_string).collect(),
                outcome: e.outcome.as_str().to_string(),
                message: e.message.clone(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).context("cannot encode the ledger")?;
    text.push('\n');
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ledger".into());
    let temp = dir.join(format!(".{base}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| {
            format!(
                "cannot write the ledger {} (through {}); the orders of this run are in the report",
                path.display(),
                temp.display()
            )
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ledger::KEPT_SECS;

    fn entry(at: i64, names: &[&str], outcome: OrderOutcome) -> LedgerEntry {
        LedgerEntry {
            at,
            server: 1,
            app: 2,
            names: names.iter().map(|n| DomainName::from_live(n)).collect(),
            outcome,
            message: "said \"no\"\n".into(),
        }
    }

    #[test]
    fn a_missing_ledger_is_empty_and_recording_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let mut f = LedgerFile::open(&path).unwrap();
        assert!(f.ledger.orders.is_empty());
        assert!(!path.exists(), "reading does not create it");
        let now = 1_800_000_000;
        f.record(&[entry(now, &["a.example"], OrderOutcome::Failed)], now)
            .unwrap();
        let again = LedgerFile::open(&path).unwrap();
        assert_eq!(
            again.ledger.orders,
            vec![entry(now, &["a.example"], OrderOutcome::Failed)]
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            1,
            "no temporary file is left: {leftovers:?}"
        );
    }

    #[test]
    fn recording_keeps_what_another_run_wrote_and_drops_old_orders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let now = 1_800_000_000;
        let mut mine = LedgerFile::open(&path).unwrap();
        let mut theirs = LedgerFile::open(&path).unwrap();
        theirs
            .record(
                &[
                    entry(now - KEPT_SECS - 1, &["old.example"], OrderOutcome::Ok),
                    entry(now - 10, &["b.example"], OrderOutcome::Ok),
                ],
                now,
            )
            .unwrap();
        mine.record(&[entry(now, &["a.example"], OrderOutcome::Unknown)], now)
            .unwrap();
        let names: Vec<String> = mine
            .ledger
            .orders
            .iter()
            .map(|e| e.names[0].to_string())
            .collect();
        assert_eq!(names, ["b.example", "a.example"]);
    }

    #[test]
    fn a_file_that_is_not_a_ledger_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domains.yaml");
        std::fs::write(&path, "version: 1\n").unwrap();
        let e = LedgerFile::open(&path).unwrap_err();
        assert!(
            format!("{e:#}").contains("is not an rcdomains ledger"),
            "{e:#}"
        );
    }
}
