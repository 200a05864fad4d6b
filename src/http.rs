//! What the crate's two HTTP readers share: the RunCloud client (`runcloud`) and `generate`'s
//! reader of the plugin's REST API (`generate::source`).
//!
//! Owns the HTTP client both build (no redirect followed, bounded waits), reading an answer
//! under a size cap, cutting an excerpt of it with credentials scrubbed first, and telling what
//! a transport error (no answer, or one that broke off) was — with its causes kept as text that
//! names no URL and carries no credential. Knows no URL, credential, route or retry policy of
//! either reader, and prints nothing.

use crate::secret::Scrubber;
use std::error::Error;
use std::fmt;
use std::time::Duration;

/// The most of an answer that is read: a page of domains or mappings is a few KiB.
pub const MAX_BODY: usize = 16 << 20;

/// How much of the start of a body an excerpt is cut from: enough for any excerpt, and
/// scrubbing a whole 16 MiB answer for one would be wasteful.
const EXCERPT_WINDOW: usize = 8 << 10;

/// The HTTP client of a reader: a redirect is never followed (it would carry the request —
/// a write, or credentials in a query — to wherever the answer points; the reader reports it),
/// and every request is bounded by `timeout`.
pub fn client(timeout: Duration, scrubber: &Scrubber) -> Result<reqwest::Client, Cause> {
    // reqwest is built without a default crypto provider; use ring (lighter to build).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("rcdomains/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Cause::of(&e.without_url(), scrubber))
}

/// Why an answer's body could not be read whole.
#[derive(Debug)]
pub enum ReadError {
    /// It is (or grew) larger than `MAX_BODY`: a misbehaving server or proxy, not a reader's
    /// answer.
    TooLarge,
    /// The connection failed while it was read.
    Transport(TransportError),
}

/// The whole body of an answer, refused once it is larger than `MAX_BODY` (an endless answer
/// would otherwise grow without bound).
pub async fn read_capped(
    mut response: reqwest::Response,
    scrubber: &Scrubber,
) -> Result<Vec<u8>, ReadError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY => {
                return Err(ReadError::TooLarge);
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body),
            Err(e) => return Err(ReadError::Transport(TransportError::new(e, scrubber))),
        }
    }
}

/// At most `max` characters of text from outside, on one line, marked with `…` when cut —
/// scrubbed of credentials before the cut, so that no prefix of one survives it.
pub fn excerpt(scrubber: &Scrubber, text: &str, max: usize) -> String {
    one_line(&scrubber.scrub(text), max)
}

/// An excerpt of an answer's body (see `excerpt`), cut from its first KiB; `(empty body)` for
/// an empty one.
pub fn body_excerpt(scrubber: &Scrubber, body: &[u8], max: usize) -> String {
    let mut out = one_line(&scrubber.scrub_head(body, EXCERPT_WINDOW), max);
    if body.len() > EXCERPT_WINDOW && !out.ends_with('…') {
        out.push('…');
    }
    if out.is_empty() {
        out = "(empty body)".into();
    }
    out
}

/// At most `max` characters of `text` on one line, marked with `…` when cut.
fn one_line(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = line.chars().take(max).collect();
    if line.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// An error's chain of causes as text, each level scrubbed of credentials: a `source` that can
/// be kept, cloned and printed, and that shows neither a URL (the HTTP library's errors name
/// the one they were for, which holds the credentials with generate's `--auth query`) nor a
/// credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    text: String,
    next: Option<Box<Cause>>,
}

impl Cause {
    /// `e` and its sources. An error of the HTTP library must have lost its URL first
    /// (`reqwest::Error::without_url`); the scrubber is the second line of defence.
    pub fn of(e: &(dyn Error + 'static), scrubber: &Scrubber) -> Cause {
        let mut texts = Vec::new();
        let mut level = Some(e);
        while let Some(l) = level {
            texts.push(scrubber.scrub(&l.to_string()));
            level = l.source();
        }
        let mut cause: Option<Cause> = None;
        for text in texts.into_iter().rev() {
            cause = Some(Cause {
                text,
                next: cause.map(Box::new),
            });
        }
        cause.unwrap_or_else(|| Cause::text(String::new()))
    }

    /// A cause that is only a text (the message of an error seen earlier).
    pub fn text(text: impl Into<String>) -> Cause {
        Cause {
            text: text.into(),
            next: None,
        }
    }

    /// The deepest cause's text: what the operating system or the peer said.
    fn deepest(&self) -> &str {
        let mut c = self;
        while let Some(next) = &c.next {
            c = next;
        }
        &c.text
    }

    fn levels(&self) -> impl Iterator<Item = &Cause> {
        std::iter::successors(Some(self), |c| c.next.as_deref())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.next.as_deref().map(|c| c as &(dyn Error + 'static))
    }
}

/// What a transport error was, as far as what to do next and what to say depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The host's name did not resolve; `reason` is what the system resolver said. Nothing was
    /// sent.
    Unresolved { reason: String },
    /// No connection could be made (refused, unreachable, the TLS handshake failed): nothing
    /// was sent.
    NoConnection,
    /// No answer within the timeout; `sent`: whether the request may have been received (the
    /// timeout struck after connecting).
    Timeout { sent: bool },
    /// The connection failed after the request went out, or while the answer was read.
    Broken,
}

impl Kind {
    /// Whether the request may have reached the server (then repeating it may repeat its
    /// effect).
    pub fn sent(&self) -> bool {
        matches!(self, Kind::Timeout { sent: true } | Kind::Broken)
    }

    /// What happened in a few words of rcdomains' own, for a message whose `source` holds the
    /// library's causes (which this does not repeat).
    pub fn summary(&self) -> &'static str {
        match self {
            Kind::Unresolved { .. } => "the host's name did not resolve",
            Kind::NoConnection => "no connection could be made",
            Kind::Timeout { .. } => "timed out",
            Kind::Broken => "the connection failed after the request was sent",
        }
    }
}

/// A request that got no answer, or whose answer broke off: what it was (`kind`) and the HTTP
/// library's causes (as a `Cause`: no URL, no credential). Its `Display` is the library's own
/// first line ("error sending request"); the causes follow as `source`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(Box<Transport>);

/// Boxed: errors that hold one stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Transport {
    kind: Kind,
    cause: Cause,
}

impl TransportError {
    pub fn new(e: reqwest::Error, scrubber: &Scrubber) -> TransportError {
        let e = e.without_url();
        let cause = Cause::of(&e, scrubber);
        let kind = if let Some(reason) = dns_failure(&e, &cause) {
            Kind::Unresolved { reason }
        } else if e.is_timeout() {
            Kind::Timeout {
                sent: !e.is_connect(),
            }
        } else if e.is_connect() {
            Kind::NoConnection
        } else {
            Kind::Broken
        };
        TransportError(Box::new(Transport { kind, cause }))
    }

    pub fn kind(&self) -> &Kind {
        &self.0.kind
    }

    /// What happened, for a one-line note that has no room for the causes (a retry's
    /// announcement): what the resolver or the peer said, or a few words.
    pub fn reason(&self) -> &str {
        match &self.0.kind {
            Kind::Unresolved { reason } => reason,
            Kind::Timeout { .. } => "timed out",
            Kind::NoConnection => "connection refused or failed",
            Kind::Broken => self.0.cause.deepest(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.cause.fmt(f)
    }
}

impl Error for TransportError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.cause.source()
    }
}

/// What the system resolver said, when a transport error is that the host's name did not
/// resolve. hyper's connector reports it as a "dns error" (reqwest's resolver as "error
/// resolving DNS") caused by getaddrinfo's answer ("failed to lookup address information: …"),
/// which is the reason returned (scrubbed, from `cause`).
fn dns_failure(e: &reqwest::Error, cause: &Cause) -> Option<String> {
    if !e.is_connect() {
        return None;
    }
    let dns = cause.levels().skip(1).any(|c| {
        c.text == "dns error"
            || c.text == "error resolving DNS"
            || c.text.starts_with("failed to lookup address information")
    });
    dns.then(|| cause.deepest().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    async fn error_for(url: &str) -> reqwest::Error {
        let client = client(Duration::from_secs(5), &Scrubber::default()).unwrap();
        client.get(url).send().await.expect_err(url)
    }

    #[tokio::test]
    async fn a_host_name_that_does_not_resolve_is_a_dns_failure() {
        // A label longer than 63 octets cannot be put in a DNS query: the system resolver
        // fails the name without asking any server.
        let host = format!("rcdomains-test-{}.invalid", "k".repeat(64));
        let e = TransportError::new(
            error_for(&format!("http://{host}/api/v3/ping")).await,
            &Scrubber::default(),
        );
        let Kind::Unresolved { reason } = e.kind() else {
            panic!("not a DNS failure: {e:?}")
        };
        assert!(!reason.is_empty());
        assert!(!e.kind().sent());
    }

    #[tokio::test]
    async fn a_refused_connection_is_not_a_dns_failure_and_was_not_sent() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let e = TransportError::new(
            error_for(&format!("http://127.0.0.1:{port}/api/v3/ping")).await,
            &Scrubber::default(),
        );
        assert_eq!(e.kind(), &Kind::NoConnection, "{e:?}");
        assert!(!e.kind().sent());
        assert_eq!(e.reason(), "connection refused or failed");
    }

    #[tokio::test]
    async fn a_transport_error_names_no_url_and_no_credential_at_any_level() {
        let secret = Secret::new("s3cr3t-in-query");
        let scrubber = Scrubber::new(&[&secret], &[]);
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("http://127.0.0.1:{port}/wp-json?api_secret=s3cr3t-in-query");
        let e = TransportError::new(error_for(&url).await, &scrubber);
        let mut level: Option<&(dyn Error + 'static)> = Some(&e);
        let mut levels = 0;
        while let Some(l) = level {
            let text = l.to_string();
            assert!(
                !text.contains("s3cr3t") && !text.contains("api_secret"),
                "{text}"
            );
            assert!(!text.contains("127.0.0.1"), "{text}");
            levels += 1;
            level = l.source();
        }
        assert!(levels > 1, "the causes are kept: {e:?}");
        assert!(!format!("{e:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_cause_keeps_every_level_of_a_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner with token-123"));
        let token = Secret::new("token-123");
        let c = Cause::of(&e, &Scrubber::new(&[&token], &[]));
        assert_eq!(c.to_string(), "outer");
        assert_eq!(
            c.source().map(ToString::to_string).as_deref(),
            Some("inner with [redacted]")
        );
        assert_eq!(c.deepest(), "inner with [redacted]");
    }

    #[test]
    fn an_excerpt_is_one_line_scrubbed_before_it_is_cut_and_marked_when_cut() {
        let secret = Secret::new("abcdef-secret");
        let sc = Scrubber::new(&[&secret], &[]);
        assert_eq!(excerpt(&sc, "a\n  b\tc", 10), "a b c");
        assert_eq!(excerpt(&sc, "0123456789abc", 10), "0123456789…");
        // A secret across the cut: no first part of it survives.
        let e = excerpt(&sc, &format!("{}abcdef-secret", "x".repeat(8)), 12);
        assert!(!e.contains("ab"), "{e}");
        assert_eq!(body_excerpt(&sc, b"", 10), "(empty body)");
        assert_eq!(body_excerpt(&sc, b"  \n ", 10), "(empty body)");
    }

    #[test]
    fn a_body_excerpt_never_shows_the_start_of_a_secret_its_window_cut() {
        let secret = Secret::new("abcdef-secret");
        let sc = Scrubber::new(&[&secret], &[]);
        // Whitespace up to the window, then the secret across its end: collapsed, the
        // whitespace leaves the secret's first bytes at the start of the excerpt.
        for before in 1..secret.expose().len() {
            let mut body = vec![b' '; EXCERPT_WINDOW - before];
            body.extend_from_slice(b"abcdef-secret and more");
            let e = body_excerpt(&sc, &body, 160);
            assert!(!e.contains("abc"), "{before}: {e}");
        }
    }
}
