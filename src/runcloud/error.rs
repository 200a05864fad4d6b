//! Errors of the RunCloud client: each names the method, the path, the status and a short
//! excerpt of the body, with a hint saying what to do. Never a credential.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{method} {path}: RunCloud answered {status}: {excerpt}{hint}")]
    Status {
        method: String,
        path: String,
        status: u16,
        excerpt: String,
        hint: Hint,
    },
    #[error(
        "{method} {path}: the answer (HTTP {status}) is not JSON: {excerpt:?} — check --api-url (it must end in /api/v3 or /api/v2), or a proxy or firewall in between is answering instead of RunCloud"
    )]
    NotJson {
        method: String,
        path: String,
        status: u16,
        excerpt: String,
    },
    #[error(
        "{method} {path}: the JSON answer does not have the expected shape ({detail}): {excerpt:?}"
    )]
    Shape {
        method: String,
        path: String,
        detail: String,
        excerpt: String,
    },
    #[error("{method} {path}: no answer within {secs} s ({attempts} attempt{plural}) — RunCloud is slow or unreachable; raise --timeout or try again later", plural = if *attempts == 1 { "" } else { "s" })]
    Timeout {
        method: String,
        path: String,
        secs: u64,
        attempts: u32,
    },
    #[error(
        "{method} {path}: cannot resolve the API host {host}: {reason} (tried {attempts} time{plural}) — check --api-url / RUNCLOUD_API_URL, and this machine's DNS", plural = if *attempts == 1 { "" } else { "s" }
    )]
    Dns {
        method: String,
        path: String,
        host: String,
        /// What the system resolver said.
        reason: String,
        attempts: u32,
    },
    #[error(
        "{method} {path}: cannot reach {host} ({reason}) — check --api-url and this machine's network"
    )]
    Connect {
        method: String,
        path: String,
        host: String,
        reason: String,
    },
    #[error(
        "{method} {path}: the outcome is unknown ({why}); it is not repeated blindly — the list is re-read first"
    )]
    OutcomeUnknown {
        method: String,
        path: String,
        why: String,
    },
    #[error("reading the domain list stopped at page {page}{of}: nothing is planned from a partial list", of = total.map(|t| format!(" of {t}")).unwrap_or_default())]
    PartialList {
        page: u64,
        total: Option<u64>,
        #[source]
        source: Box<ApiError>,
    },
    #[error(
        "the domain list is inconsistent ({detail}); it probably changed while it was read — run again"
    )]
    InconsistentList { detail: String },
    #[error(
        "{path}: the domain's type is neither primary nor alias; rcdomains never changes such a domain"
    )]
    NotOurs { path: String },
    #[error(
        "{method} {path}: RunCloud answered {status} redirecting to {location:?}; its API does not redirect, so the request was not followed — check --api-url (it must be the API's own address, ending in /api/v3 or /api/v2)"
    )]
    Redirect {
        method: String,
        path: String,
        status: u16,
        location: String,
    },
    #[error(
        "{method} {path}: RunCloud asks to wait {secs} s before trying again (Retry-After), longer than rcdomains waits; run again later"
    )]
    WaitTooLong {
        method: String,
        path: String,
        secs: u64,
    },
    #[error(
        "{method} {path}: RunCloud's monthly API quota looks spent ({status}: {excerpt}); every call is blocked until the cycle resets — check the API usage in RunCloud's settings, or add quota"
    )]
    Quota {
        method: String,
        path: String,
        status: u16,
        excerpt: String,
    },
    #[error(
        "{method} {path}: RunCloud's rate limit would need another {wanted} s after {waited} s of waiting, beyond --max-wait {max_wait} s; run later, or raise --max-wait"
    )]
    Patience {
        method: String,
        path: String,
        waited: u64,
        wanted: u64,
        max_wait: u64,
    },
    #[error(
        "{method} {path}: not sent — RunCloud refused this run's credential earlier ({because})"
    )]
    Halted {
        method: String,
        path: String,
        because: String,
    },
    #[error("invalid RunCloud API URL: {0}")]
    BadUrl(String),
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::NotJson { status, .. } => Some(*status),
            ApiError::PartialList { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The API's own message for a refused request (what `apply` reports as `failed`).
    pub fn excerpt(&self) -> Option<&str> {
        match self {
            ApiError::Status { excerpt, .. } => Some(excerpt),
            _ => None,
        }
    }
}

/// What to do about an HTTP status, appended to the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    None,
    Unauthorized,
    Forbidden,
    NotFound,
    Invalid,
    RateLimited,
    ServerError,
}

impl Hint {
    pub fn for_status(status: u16) -> Hint {
        match status {
            401 => Hint::Unauthorized,
            403 => Hint::Forbidden,
            404 => Hint::NotFound,
            422 => Hint::Invalid,
            429 => Hint::RateLimited,
            500..=599 => Hint::ServerError,
            _ => Hint::None,
        }
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hint::None | Hint::Invalid => "",
            Hint::Unauthorized => " — check RUNCLOUD_API_TOKEN (or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET for API v2), and that this machine's IP is allowed in RunCloud's API settings",
            Hint::Forbidden => " — API access needs a RunCloud plan that includes it (Business or Enterprise), and a key allowed to manage this server",
            Hint::NotFound => " — check the server id and web app id (`target` in the file, or RUNCLOUD_SERVER_ID / RUNCLOUD_APP_ID), and that --api-url names the right API version",
            Hint::RateLimited => " — RunCloud's rate limit held after every retry; lower --rate-limit or run later",
            Hint::ServerError => " — RunCloud had a server error after every retry; try again later",
        })
    }
}
