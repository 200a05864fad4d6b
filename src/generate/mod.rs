//! `generate`: a desired-state file written from the network (Ultimate Multisite) or from the
//! live RunCloud app.
//!
//! Owns the rows read from the plugin (`Row`), the rules that turn them into names (`select`),
//! and rendering and merging the file (`write`). `source` is the only part that does I/O (HTTP
//! to the plugin's REST API). Nothing here prints, decides exit codes or talks to RunCloud:
//! that is the command's job (`commands::generate`).

pub mod select;
pub mod source;
pub mod write;

use crate::desired::LoadError;
use crate::http::{Cause, TransportError};

/// One domain-mapping row of the plugin's `wu_domain_mappings` table, parsed leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: Option<u64>,
    pub blog_id: Option<u64>,
    /// The host name as the plugin stores it; checked by `select`.
    pub domain: String,
    /// `None` when the row does not say (an export without the column): counted as active.
    pub active: Option<bool>,
    pub primary: bool,
    pub stage: Option<String>,
}

/// One site of `wp site list --format=json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub blog_id: u64,
    pub domain: String,
    pub archived: bool,
    pub spam: bool,
    pub deleted: bool,
}

impl Site {
    /// Archived, spam or deleted: its names are not served.
    pub fn is_retired(&self) -> bool {
        self.archived || self.spam || self.deleted
    }

    pub fn why_retired(&self) -> &'static str {
        if self.deleted {
            "deleted"
        } else if self.spam {
            "spam"
        } else {
            "archived"
        }
    }
}

/// Why `generate` could not read its source or write the file. Never holds a credential.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(
        "GET {path}: the network answered {status} redirecting to {location:?}; redirects are not followed — give --url as the network's final address (https, with or without www, as it redirects)"
    )]
    Redirect {
        path: String,
        status: u16,
        location: String,
    },
    #[error("invalid --url: {problem}")]
    BadUrl {
        problem: String,
        #[source]
        source: Option<Cause>,
    },
    #[error(
        "no Ultimate Multisite API credentials: set WU_API_KEY and WU_API_SECRET to the plugin's API key and secret (Ultimate Multisite → Settings → API & Webhooks)"
    )]
    MissingApiKey,
    #[error("GET {path}: 401 from Ultimate Multisite ({code}: {message}) — {hint}")]
    Unauthorized {
        path: String,
        code: String,
        message: String,
        hint: &'static str,
    },
    #[error(
        "GET {path}: 404 from the network, also at {fallback} — the WordPress REST API is disabled, or the Ultimate Multisite plugin is not network-active (or --url is not the network's main site)"
    )]
    NotFound { path: String, fallback: String },
    #[error("GET {path}: the network answered {status} ({code}: {message})")]
    WpError {
        path: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error(
        "GET {path}: the network answered {status} with {what}, not JSON: {excerpt:?} — check --url (the network's main site, without /wp-json), and whether a security plugin, maintenance mode or a proxy is answering instead of WordPress"
    )]
    NotJson {
        path: String,
        status: u16,
        what: String,
        excerpt: String,
    },
    #[error("GET {path}: the JSON answer is not a list of domain mappings ({detail})")]
    Shape { path: String, detail: String },
    #[error(
        "GET {path}: no answer within {secs} s — the network is slow or unreachable; raise --timeout or try again later"
    )]
    Timeout {
        path: String,
        secs: u64,
        #[source]
        source: TransportError,
    },
    #[error(
        "GET {path}: cannot resolve the network's host {host} — check --url, and this machine's DNS"
    )]
    Dns {
        path: String,
        host: String,
        /// What the system resolver said, among the causes.
        #[source]
        source: TransportError,
    },
    #[error("GET {path}: cannot reach the network — check --url and this machine's network")]
    Connect {
        path: String,
        #[source]
        source: TransportError,
    },
    #[error(
        "GET {path}: the answer is larger than {mib} MiB, far more than any page of domain mappings; check --url (a proxy or a misconfigured server is answering with something else)"
    )]
    TooLarge { path: String, mib: usize },
    #[error(
        "{file}: exactly {cap} rows, the most `wp wu domain list` returns (BerlinDB's default `number`; the command has no option to raise it), so the list is probably cut short and a file generated from it would drop every mapping past the {cap}th. Export the whole table instead and pass that file to --input (see the README, Generate), or read the REST API, which pages (--from um-rest). The export, run on the server:\n    {command}"
    )]
    CappedList {
        file: String,
        cap: usize,
        command: &'static str,
    },
    #[error(
        "GET {path}: reading page {page} repeated no new rows and paging went past {max} pages; the server's paging is broken"
    )]
    RunawayPaging { path: String, page: u64, max: u64 },
    #[error("{file}: {detail}")]
    Input { file: String, detail: String },
    #[error("{file}: not JSON; expected the output of {what}")]
    InputNotJson {
        file: String,
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{file}:{line}: the existing file is not valid YAML ({message}); fix it, or move it away to write a fresh one"
    )]
    ExistingSyntax {
        file: String,
        line: usize,
        message: String,
    },
    #[error(
        "{file}: the existing file is not a mapping with `version: 1` and `domains:`; fix it, or move it away to write a fresh one"
    )]
    ExistingShape { file: String },
    #[error(
        "the generated file does not validate (a bug in rcdomains generate, or a broken setting kept from the existing file)"
    )]
    Invalid {
        #[source]
        source: LoadError,
    },
    #[error("cannot set up the HTTP client")]
    Setup {
        #[source]
        source: Cause,
    },
}
