//! Errors of the RunCloud client: each names the request (method and path), the status and a
//! short excerpt of the body, with a hint saying what to do; what caused it (a transport
//! error, a JSON parser's complaint) is its `source`, never repeated in its message. Never a
//! credential.

use crate::http::{Cause, TransportError};
use std::fmt;

/// A request as errors name it: the method and the path (with the query), never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{request}: RunCloud answered {status}: {excerpt}{hint}")]
    Status {
        request: Request,
        status: u16,
        excerpt: String,
        hint: Hint,
    },
    #[error(
        "{request}: the answer (HTTP {status}) is not JSON: {excerpt:?} — check --api-url (it must end in /api/v3 or /api/v2), or a proxy or firewall in between is answering instead of RunCloud"
    )]
    NotJson {
        request: Request,
        status: u16,
        excerpt: String,
    },
    /// `detail` says what is missing when rcdomains found it; a JSON parser's complaint is the
    /// `source`.
    #[error(
        "{request}: the JSON answer does not have the expected shape{}: {excerpt:?}",
        detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    Shape {
        request: Request,
        detail: Option<String>,
        excerpt: String,
        #[source]
        source: Option<serde_json::Error>,
    },
    #[error("{request}: no answer within {secs} s ({attempts} attempt{plural}) — RunCloud is slow or unreachable; raise --timeout or try again later", plural = if *attempts == 1 { "" } else { "s" })]
    Timeout {
        request: Request,
        secs: u64,
        attempts: u32,
        #[source]
        source: TransportError,
    },
    #[error(
        "{request}: cannot resolve the API host {host} (tried {attempts} time{plural}) — check --api-url / RUNCLOUD_API_URL, and this machine's DNS", plural = if *attempts == 1 { "" } else { "s" }
    )]
    Dns {
        request: Request,
        host: String,
        attempts: u32,
        /// What the system resolver said, among the causes.
        #[source]
        source: TransportError,
    },
    #[error("{request}: cannot reach {host} — check --api-url and this machine's network")]
    Connect {
        request: Request,
        host: String,
        #[source]
        source: TransportError,
    },
    /// `why` in a few words; a transport error's causes are the `source`.
    #[error(
        "{request}: the outcome is unknown ({why}); it is not repeated blindly — the list is re-read first"
    )]
    OutcomeUnknown {
        request: Request,
        why: String,
        #[source]
        source: Option<TransportError>,
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
        "{request}: RunCloud answered {status} redirecting to {location:?}; its API does not redirect, so the request was not followed — check --api-url (it must be the API's own address, ending in /api/v3 or /api/v2)"
    )]
    Redirect {
        request: Request,
        status: u16,
        location: String,
    },
    #[error(
        "{request}: RunCloud asks to wait {secs} s before trying again (Retry-After), longer than rcdomains waits; run again later"
    )]
    WaitTooLong { request: Request, secs: u64 },
    #[error(
        "{request}: RunCloud's monthly API quota looks spent ({status}: {excerpt}); every call is blocked until the cycle resets — check the API usage in RunCloud's settings, or add quota"
    )]
    Quota {
        request: Request,
        status: u16,
        excerpt: String,
    },
    #[error(
        "{request}: RunCloud's rate limit would need another {wanted} s after {waited} s of waiting, beyond --max-wait {max_wait} s; run later, or raise --max-wait"
    )]
    Patience {
        request: Request,
        waited: u64,
        wanted: u64,
        max_wait: u64,
    },
    /// `because`: the answer that refused the credential.
    #[error("{request}: not sent — RunCloud refused this run's credential earlier")]
    Halted {
        request: Request,
        #[source]
        because: Cause,
    },
    #[error("invalid RunCloud API URL: {problem}")]
    BadUrl {
        problem: String,
        #[source]
        source: Option<Cause>,
    },
    #[error("{request}: the request body cannot be written as JSON (a bug in rcdomains)")]
    Encode {
        request: Request,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot set up the HTTP client")]
    Setup {
        #[source]
        source: Cause,
    },
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

#[cfg(test)]
mod tests {
    //! A message says what its own layer knows; its causes are `source`s, never repeated in it.
    use super::*;
    use crate::secret::Scrubber;
    use std::error::Error;

    fn request() -> Request {
        Request {
            method: "GET".into(),
            path: "/servers/1".into(),
        }
    }

    /// No level of `e`'s chain repeats the text of a level below it.
    fn assert_no_repeated_cause(e: &(dyn Error + 'static)) {
        let mut level = Some(e);
        while let Some(l) = level {
            let text = l.to_string();
            let mut cause = l.source();
            while let Some(c) = cause {
                let said = c.to_string();
                assert!(!text.contains(&said), "{text:?} repeats its cause {said:?}");
                cause = c.source();
            }
            level = l.source();
        }
    }

    async fn refused() -> TransportError {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let scrubber = Scrubber::default();
        let client = crate::http::client(std::time::Duration::from_secs(5), &scrubber).unwrap();
        let e = client
            .get(format!("http://127.0.0.1:{port}/api/v3/ping"))
            .send()
            .await
            .unwrap_err();
        TransportError::new(e, &scrubber)
    }

    #[tokio::test]
    async fn no_message_repeats_its_cause() {
        let transport = refused().await;
        let json = serde_json::from_str::<serde_json::Value>("{\"id\": ").unwrap_err();
        let url = reqwest::Url::parse("not a url").unwrap_err();
        let errors = [
            ApiError::Connect {
                request: request(),
                host: "127.0.0.1".into(),
                source: transport.clone(),
            },
            ApiError::Timeout {
                request: request(),
                secs: 30,
                attempts: 2,
                source: transport.clone(),
            },
            ApiError::Dns {
                request: request(),
                host: "x.invalid".into(),
                attempts: 3,
                source: transport.clone(),
            },
            ApiError::OutcomeUnknown {
                request: request(),
                why: transport.kind().summary().into(),
                source: Some(transport.clone()),
            },
            ApiError::Shape {
                request: request(),
                detail: None,
                excerpt: "{\"id\": ".into(),
                source: Some(json),
            },
            ApiError::Halted {
                request: request(),
                because: Cause::text("GET /ping: RunCloud answered 401: Invalid credentials."),
            },
            ApiError::BadUrl {
                problem: "write it like https://manage.runcloud.io/api/v3".into(),
                source: Some(Cause::of(&url, &Scrubber::default())),
            },
            ApiError::Setup {
                source: Cause::of(&transport, &Scrubber::default()),
            },
        ];
        for e in &errors {
            assert!(e.source().is_some(), "{e}");
            assert_no_repeated_cause(e);
        }
    }

    #[test]
    fn a_request_reads_as_method_and_path() {
        assert_eq!(request().to_string(), "GET /servers/1");
        let e = ApiError::WaitTooLong {
            request: request(),
            secs: 900,
        };
        assert!(
            e.to_string()
                .starts_with("GET /servers/1: RunCloud asks to wait 900 s")
        );
    }
}
