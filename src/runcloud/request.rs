//! One request to RunCloud, with its retries: the loop that sends it, paced by the shared
//! limiter, and what to do with each outcome — a transport error (`after_transport_error`) or
//! an answer, whose decision is the pure `classify`.
//!
//! Owns when a request is sent again (a 429 for as long as the run's patience lasts; a 5xx or
//! a transport error on a request that may be repeated, with back-off; never a write that may
//! have been received), and the error that ends it. Parses no answer beyond its status, rate
//! headers and message.

use super::error::Request;
use super::wire::WireMessage;
use super::{ApiError, Client, Hint, pace};
use crate::http::{self, Cause, Kind, ReadError, TransportError};
use reqwest::{Method, Url};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tracing::debug;

/// The longest `Retry-After` waited for; a longer one ends the run with a clear error at once
/// (a billion seconds is a broken or hostile answer, not a rate limit).
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Retries after the API host's name did not resolve (see `after_transport_error`).
const DNS_RETRIES: u32 = 2;

/// The characters of a RunCloud message kept in an error.
const MESSAGE_CHARS: usize = 300;
/// The characters of a body kept in an error.
const BODY_CHARS: usize = 160;

/// A successful (2xx) answer to `request`.
pub(super) struct Answer {
    /// The request, as an error about the answer names it: without its query.
    pub request: Request,
    pub status: u16,
    pub body: Vec<u8>,
}

/// An answer as read, before it is judged.
struct Reply {
    status: u16,
    headers: pace::RateHeaders,
    /// Where a redirect pointed, scrubbed.
    location: Option<String>,
    body: Vec<u8>,
    /// RunCloud's `message` (with its validation errors), when the body has one.
    message: Option<String>,
}

impl Reply {
    fn new(
        status: u16,
        headers: pace::RateHeaders,
        location: Option<String>,
        body: Vec<u8>,
    ) -> Reply {
        let message = serde_json::from_slice::<WireMessage>(&body)
            .ok()
            .and_then(|m| m.text());
        Reply {
            status,
            headers,
            location,
            body,
            message,
        }
    }
}

/// How far a request has come: attempts in all (for messages), and failures that count against
/// the retries allowed — a 429 is not one (nothing was done; the patience bounds it instead).
#[derive(Default)]
struct Tries {
    attempts: u32,
    failures: u32,
}

/// What one attempt came to.
enum Step {
    Done(Answer),
    /// Send again once the pacer allows (it honours the server's hint): a 429.
    Again,
    /// Send again after a back-off, announced with `why`; `of`: the retries this kind of
    /// failure is allowed.
    Backoff {
        why: String,
        of: u32,
    },
    Fail(ApiError),
}

impl Client {
    /// Sends one request with retries; a POST is never repeated once it may have been received
    /// (see `send_with`).
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<String>,
    ) -> Result<Answer, ApiError> {
        let repeatable = method != Method::POST;
        self.send_with(method, path, query, body, repeatable).await
    }

    /// Sends one request. Returns the 2xx answer, or an error naming the request and the
    /// status. `repeatable`: whether it may be sent again after it may have been received (a
    /// 5xx or a transport error after sending); when not, such an outcome is `OutcomeUnknown`.
    /// A 429 and a refused connection are retried (nothing was done) for as long as the run's
    /// patience lasts. An answer that refuses the credential itself stops every later request
    /// of the run (see `halt_if_refused`).
    pub(super) async fn send_with(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<String>,
        repeatable: bool,
    ) -> Result<Answer, ApiError> {
        let request = Request::of(&method, path, query);
        // Checked before the pacer too, so a halted run does not wait out a window first.
        if let Some(e) = self.halted_error(&request) {
            return Err(e);
        }
        let url = self.url(path, query)?;
        self.send_until_done(method, &url, &request, body, repeatable)
            .await
    }

    /// The loop: an attempt, then what its outcome says — done, again, again after a back-off,
    /// or failed.
    async fn send_until_done(
        &self,
        method: Method,
        url: &Url,
        request: &Request,
        body: Option<String>,
        repeatable: bool,
    ) -> Result<Answer, ApiError> {
        let mut tries = Tries::default();
        loop {
            tries.attempts += 1;
            let ticket = self
                .pacer
                .acquire()
                .await
                .map_err(|e| self.out_of_patience(request, e))?;
            if let Some(e) = self.halted_error(request) {
                self.pacer.forget(ticket).await;
                return Err(e);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.all_requests.fetch_add(1, Ordering::Relaxed);
            let step = match self
                .http_request(&method, url, body.as_deref())
                .send()
                .await
            {
                Err(e) => {
                    self.pacer.forget(ticket).await;
                    let e = TransportError::new(e, &self.scrubber);
                    self.after_transport_error(request, e, repeatable, &tries)
                }
                Ok(response) => {
                    self.after_answer(request, response, ticket, repeatable, &tries)
                        .await
                }
            };
            match step {
                Step::Done(answer) => return Ok(answer),
                Step::Again => {}
                Step::Backoff { why, of } => {
                    tries.failures += 1;
                    self.backoff(request, tries.failures, of, &why).await?;
                }
                Step::Fail(e) => return Err(e),
            }
        }
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, ApiError> {
        let mut url = self.base.join(path).map_err(|e| ApiError::BadUrl {
            problem: format!("/{path} cannot be added to it"),
            source: Some(Cause::of(&e, &self.scrubber)),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    fn http_request(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&str>,
    ) -> reqwest::RequestBuilder {
        // RunCloud asks for both on every request, with a body or without.
        let req = self
            .http
            .request(method.clone(), url.clone())
            .header("Accept", "application/json")
            .header("Content-Type", "application/json");
        let req = match &self.credentials {
            super::Credentials::Token(t) => req.bearer_auth(t.expose()),
            super::Credentials::KeySecret { key, secret } => {
                req.basic_auth(key.expose(), Some(secret.expose()))
            }
        };
        match body {
            Some(b) => req.body(b.to_string()),
            None => req,
        }
    }

    /// No answer: retried when nothing was sent, or when the request may be repeated — a
    /// name that does not resolve only a couple of times (it is as often a typo in --api-url
    /// as a resolver's hiccup).
    fn after_transport_error(
        &self,
        request: &Request,
        e: TransportError,
        repeatable: bool,
        tries: &Tries,
    ) -> Step {
        debug!(method = %request.method, path = %request.path, attempt = tries.attempts, error = %e.reason(), "request failed");
        let kind = e.kind().clone();
        if kind.sent() && !repeatable {
            return Step::Fail(ApiError::OutcomeUnknown {
                request: request.clone(),
                why: kind.summary().to_string(),
                source: Some(e),
            });
        }
        let host = self.base.host_str().unwrap_or("?").to_string();
        let most = match kind {
            Kind::Unresolved { .. } => self.config.max_retries.min(DNS_RETRIES),
            _ => self.config.max_retries,
        };
        if tries.failures < most {
            let why = match kind {
                Kind::Unresolved { .. } => {
                    format!("cannot resolve the API host {host} ({})", e.reason())
                }
                Kind::Timeout { .. } => format!(
                    "no answer from {host} within {} s",
                    self.config.timeout.as_secs()
                ),
                Kind::NoConnection => format!("cannot reach {host} ({})", e.reason()),
                Kind::Broken => format!("the connection to {host} failed ({})", e.reason()),
            };
            return Step::Backoff { why, of: most };
        }
        let request = request.clone();
        Step::Fail(match kind {
            Kind::Unresolved { .. } => ApiError::Dns {
                request,
                host,
                attempts: tries.attempts,
                source: e,
            },
            Kind::Timeout { .. } => ApiError::Timeout {
                request,
                secs: self.config.timeout.as_secs(),
                attempts: tries.attempts,
                source: e,
            },
            Kind::NoConnection | Kind::Broken => ApiError::Connect {
                request,
                host,
                source: e,
            },
        })
    }

    /// An answer: read whole (a failure while reading is a transport error after sending),
    /// handed to the pacer — after a refusal of the credential has halted the run, so that no
    /// request waiting behind it starts — then judged by `classify`.
    async fn after_answer(
        &self,
        request: &Request,
        response: reqwest::Response,
        ticket: pace::Ticket,
        repeatable: bool,
        tries: &Tries,
    ) -> Step {
        let status = response.status().as_u16();
        let headers = rate_headers(response.headers());
        let location = response
            .headers()
            .get("location")
            .map(|v| self.scrub(&String::from_utf8_lossy(v.as_bytes())));
        let reply = http::read_capped(response, &self.scrubber)
            .await
            .map(|body| Reply::new(status, headers, location, body));
        let judged = reply.map(|reply| self.judge(request, reply, repeatable, tries));
        if let Ok(Step::Fail(e)) = &judged
            && stops_the_credential(e)
        {
            let _ = self.halted.set(Cause::text(e.to_string()));
        }
        self.pacer.observe(ticket, headers, status == 429).await;
        match judged {
            Ok(step) => step,
            Err(ReadError::TooLarge) => Step::Fail(ApiError::Shape {
                request: request.clone(),
                detail: Some(format!(
                    "the answer is larger than {} MiB; that is not RunCloud",
                    http::MAX_BODY >> 20
                )),
                excerpt: String::new(),
                source: None,
            }),
            Err(ReadError::Transport(e)) => self.after_broken_read(request, e, repeatable, tries),
        }
    }

    /// What an answer read whole says to do: `classify`'s decision, as the loop's next step.
    fn judge(&self, request: &Request, reply: Reply, repeatable: bool, tries: &Tries) -> Step {
        let status = reply.status;
        debug!(method = %request.method, path = %request.path, status, attempt = tries.attempts, "request");
        let retries_left = tries.failures < self.config.max_retries;
        let message = reply.message.as_deref();
        match classify(status, &reply.headers, message, repeatable, retries_left) {
            Decision::Done => Step::Done(Answer {
                request: request.without_query(),
                status,
                body: reply.body,
            }),
            Decision::RetryThrottled => Step::Again,
            Decision::RetryAfterBackoff => Step::Backoff {
                why: format!("RunCloud answered HTTP {status}"),
                of: self.config.max_retries,
            },
            Decision::Fail(kind) => Step::Fail(self.failure(kind, request.clone(), &reply)),
        }
    }

    /// The error of a request after an answer refused this run's credential (401, 403, a
    /// spent quota: every target shares it), which halts every later request.
    fn halted_error(&self, request: &Request) -> Option<ApiError> {
        self.halted.get().map(|because| ApiError::Halted {
            request: request.clone(),
            because: because.clone(),
        })
    }

    /// The connection failed while the answer was read: the request was received.
    fn after_broken_read(
        &self,
        request: &Request,
        e: TransportError,
        repeatable: bool,
        tries: &Tries,
    ) -> Step {
        if !repeatable {
            return Step::Fail(ApiError::OutcomeUnknown {
                request: request.clone(),
                why: "the connection failed while the answer was read".into(),
                source: Some(e),
            });
        }
        if tries.failures < self.config.max_retries {
            let why = format!(
                "reading the answer from {} failed ({})",
                self.base.host_str().unwrap_or("?"),
                e.reason()
            );
            return Step::Backoff {
                why,
                of: self.config.max_retries,
            };
        }
        Step::Fail(ApiError::Timeout {
            request: request.clone(),
            secs: self.config.timeout.as_secs(),
            attempts: tries.attempts,
            source: e,
        })
    }

    /// The error for a failed answer, by the kind `classify` chose.
    fn failure(&self, kind: Failure, request: Request, reply: &Reply) -> ApiError {
        let status = reply.status;
        match kind {
            Failure::Redirect => ApiError::Redirect {
                request,
                status,
                location: reply
                    .location
                    .as_deref()
                    .unwrap_or("(no Location)")
                    .chars()
                    .take(200)
                    .collect(),
            },
            Failure::WaitTooLong => ApiError::WaitTooLong {
                request,
                secs: reply.headers.retry_after.unwrap_or_default(),
            },
            Failure::Quota => ApiError::Quota {
                request,
                status,
                excerpt: self.message_excerpt(reply.message.as_deref().unwrap_or_default()),
            },
            Failure::OutcomeUnknown => ApiError::OutcomeUnknown {
                request,
                why: format!("HTTP {status}: {}", self.excerpt(&reply.body)),
                source: None,
            },
            Failure::Status => match &reply.message {
                Some(m) => ApiError::Status {
                    request,
                    status,
                    excerpt: self.message_excerpt(m),
                    hint: Hint::for_status(status),
                },
                None if looks_like_json(&reply.body) => ApiError::Status {
                    request,
                    status,
                    excerpt: self.excerpt(&reply.body),
                    hint: Hint::for_status(status),
                },
                None => ApiError::NotJson {
                    request,
                    status,
                    excerpt: self.excerpt(&reply.body),
                },
            },
        }
    }

    fn out_of_patience(&self, request: &Request, e: pace::OutOfPatience) -> ApiError {
        ApiError::Patience {
            request: request.clone(),
            waited: e.waited.as_secs(),
            wanted: e.wanted.as_secs_f64().ceil() as u64,
            max_wait: e.max_wait.as_secs(),
        }
    }

    /// Exponential back-off with full jitter before retry `attempt` of at most `of`, counted
    /// against the run's patience, and announced with `why` (what failed, not which request:
    /// requests that failed together the same way share one announcement).
    async fn backoff(
        &self,
        request: &Request,
        attempt: u32,
        of: u32,
        why: &str,
    ) -> Result<(), ApiError> {
        let cap = self
            .config
            .backoff_base
            .saturating_mul(1 << attempt.min(8))
            .min(Duration::from_secs(30));
        // Full jitter: anywhere between half the step and the step.
        let ms = cap.as_millis() as u64;
        let wait = Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2));
        debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "backing off before retrying"
        );
        let retry = pace::Retry {
            why,
            number: attempt,
            of,
        };
        self.pacer
            .backoff(wait, retry)
            .await
            .map_err(|e| self.out_of_patience(request, e))
    }

    /// The first characters of a body, on one line, scrubbed of credentials before the cut.
    pub(super) fn excerpt(&self, body: &[u8]) -> String {
        http::body_excerpt(&self.scrubber, body, BODY_CHARS)
    }

    /// RunCloud's message, scrubbed, on one line and cut.
    fn message_excerpt(&self, message: &str) -> String {
        http::excerpt(&self.scrubber, message, MESSAGE_CHARS)
    }

    pub(super) fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
    }
}

/// Whether `e` refuses the credential rather than the request: then no other request of the
/// run (for any target: they share the credential) can succeed either.
fn stops_the_credential(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Quota { .. }
            | ApiError::Status {
                status: 401 | 403,
                ..
            }
    )
}

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// A 2xx: the answer.
    Done,
    /// A 429: nothing was done; send again when the pacer allows (it honours the hint).
    RetryThrottled,
    /// A 5xx on a repeatable request with retries left.
    RetryAfterBackoff,
    Fail(Failure),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Redirect,
    /// `Retry-After` beyond what is ever waited.
    WaitTooLong,
    /// RunCloud's monthly API quota is spent: every call is blocked, retrying is useless.
    Quota,
    /// A 5xx on a request that must not be repeated blindly.
    OutcomeUnknown,
    Status,
}

/// The decision for one answer, from its status, rate headers and message alone (pure).
fn classify(
    status: u16,
    headers: &pace::RateHeaders,
    message: Option<&str>,
    repeatable: bool,
    retries_left: bool,
) -> Decision {
    if (200..300).contains(&status) {
        return Decision::Done;
    }
    if (300..400).contains(&status) {
        return Decision::Fail(Failure::Redirect);
    }
    if message.is_some_and(is_quota_message) {
        return Decision::Fail(Failure::Quota);
    }
    let too_long = headers
        .retry_after
        .is_some_and(|s| s > MAX_RETRY_AFTER.as_secs());
    if status == 429 {
        return if too_long {
            Decision::Fail(Failure::WaitTooLong)
        } else {
            Decision::RetryThrottled
        };
    }
    if status >= 500 {
        return match (too_long, repeatable, retries_left) {
            (true, _, _) => Decision::Fail(Failure::WaitTooLong),
            (false, false, _) => Decision::Fail(Failure::OutcomeUnknown),
            (false, true, true) => Decision::RetryAfterBackoff,
            (false, true, false) => Decision::Fail(Failure::Status),
        };
    }
    Decision::Fail(Failure::Status)
}

/// Whether a message says the monthly API quota (usage limit) is spent — not the per-minute
/// throttle ("Too Many Attempts.").
fn is_quota_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("quota")
        || m.contains("usage limit")
        || m.contains("monthly limit")
        || (m.contains("api") && m.contains("limit") && m.contains("month"))
}

/// The rate-limit headers of an answer.
fn rate_headers(h: &reqwest::header::HeaderMap) -> pace::RateHeaders {
    let num = |name: &str| -> Option<u64> { h.get(name)?.to_str().ok()?.trim().parse().ok() };
    pace::RateHeaders {
        limit: num("x-ratelimit-limit"),
        remaining: num("x-ratelimit-remaining"),
        retry_after: num("retry-after"),
        reset_at: num("x-ratelimit-reset"),
    }
}

pub(super) fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

impl Request {
    /// `path` (relative to the API's base) and `query` as errors show them.
    pub(super) fn of(method: &Method, path: &str, query: &[(&str, String)]) -> Request {
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let path = if q.is_empty() {
            format!("/{path}")
        } else {
            format!("/{path}?{}", q.join("&"))
        };
        Request {
            method: method.to_string(),
            path,
        }
    }

    /// The same request without its query (how errors about an answer's JSON name it).
    fn without_query(&self) -> Request {
        let path = self.path.split_once('?').map_or(&*self.path, |(p, _)| p);
        Request {
            method: self.method.clone(),
            path: path.to_string(),
        }
    }
}

#[cfg(test)]
mod classify_tests {
    //! The request loop's decisions, one answer at a time.
    use super::*;

    fn h(retry_after: Option<u64>) -> pace::RateHeaders {
        pace::RateHeaders {
            retry_after,
            ..Default::default()
        }
    }

    #[test]
    fn each_answer_gets_its_decision() {
        use Decision::*;
        use Failure::*;
        let too_long = Some(MAX_RETRY_AFTER.as_secs() + 1);
        // (status, Retry-After, message, repeatable, retries left) → decision
        type Row<'a> = (u16, Option<u64>, Option<&'a str>, bool, bool, Decision);
        let quota = Some("You have used your monthly API quota.");
        let table: &[Row] = &[
            (200, None, None, false, false, Done),
            (204, None, None, true, true, Done),
            (301, None, None, true, true, Fail(Redirect)),
            (307, None, None, false, true, Fail(Redirect)),
            // A 429 is retried whatever the retries left: it is not a failure.
            (
                429,
                Some(1),
                Some("Too Many Attempts."),
                true,
                false,
                RetryThrottled,
            ),
            (429, None, None, false, false, RetryThrottled),
            (429, too_long, None, true, true, Fail(WaitTooLong)),
            (429, Some(5), quota, true, true, Fail(Quota)),
            (
                403,
                None,
                Some("API usage limit for this month reached"),
                true,
                true,
                Fail(Quota),
            ),
            (500, None, None, true, true, RetryAfterBackoff),
            (502, None, None, true, false, Fail(Status)),
            // A write that may have been received is never repeated blindly.
            (500, None, None, false, true, Fail(OutcomeUnknown)),
            (503, too_long, None, true, true, Fail(WaitTooLong)),
            (
                401,
                None,
                Some("Invalid credentials."),
                true,
                true,
                Fail(Status),
            ),
            (
                404,
                None,
                Some("SSL not installed!"),
                true,
                true,
                Fail(Status),
            ),
            (
                422,
                None,
                Some("The name has already been taken."),
                false,
                true,
                Fail(Status),
            ),
        ];
        for (status, retry_after, message, repeatable, retries_left, want) in table {
            assert_eq!(
                classify(
                    *status,
                    &h(*retry_after),
                    *message,
                    *repeatable,
                    *retries_left
                ),
                *want,
                "{status} {retry_after:?} {message:?} repeatable={repeatable} retries_left={retries_left}"
            );
        }
    }
}
