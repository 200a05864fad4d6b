//! The RunCloud API client (v3 Bearer, v2 Basic).
//!
//! The only code that speaks HTTP to RunCloud. Owns timeouts, retries with exponential backoff
//! and jitter (429 and 5xx, honouring `Retry-After` and `X-RateLimit-Remaining`), the shared
//! rate limiter, complete paging, and turning wire types into model types. It makes no plan
//! decisions, prints nothing, and never lets a credential into a message or a log line.

pub mod credentials;
pub mod error;
pub mod wire;

pub use credentials::Credentials;
pub use error::{ApiError, Hint};

use crate::model::{ApiVersion, DomainKind, DomainSettings, LiveDomain, LiveSsl, LiveState};
use crate::progress::Counter;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{debug, info, warn};
use wire::{WireCertificate, WireDomain, WireList, WireMessage, WireServer, WireSslMode};

pub const DEFAULT_V3_URL: &str = "https://manage.runcloud.io/api/v3";
pub const DEFAULT_V2_URL: &str = "https://manage.runcloud.io/api/v2";
/// RunCloud's page size limit.
pub const PER_PAGE: u64 = 40;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL; `None` picks RunCloud's for the credentials' API version.
    pub api_url: Option<String>,
    pub credentials: Credentials,
    /// Per-request timeout (connect, send, and read the whole answer).
    pub timeout: Duration,
    /// Requests per minute, shared by every request of the run.
    pub rate_per_minute: u32,
    /// Retries after the first attempt, for 429, 5xx and transport errors.
    pub max_retries: u32,
    /// First backoff step; doubled on each retry, with full jitter.
    pub backoff_base: Duration,
}

impl ClientConfig {
    pub fn new(credentials: Credentials) -> Self {
        ClientConfig {
            api_url: None,
            credentials,
            timeout: Duration::from_secs(30),
            rate_per_minute: 60,
            max_retries: 4,
            backoff_base: Duration::from_millis(500),
        }
    }
}

/// A RunCloud API client. Cheap to clone; clones share the rate limiter and counters.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    limiter: Arc<DefaultDirectRateLimiter>,
    /// Set when RunCloud says the window is used up: no request starts before it.
    pause_until: Arc<Mutex<Option<Instant>>>,
    requests: Arc<AtomicU64>,
    config: Arc<ClientConfig>,
    progress: Counter,
}

/// A successful (2xx) answer.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

/// Result of adding a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added(LiveDomain),
    /// RunCloud refused it as a duplicate, and the list shows it attached: done already.
    AlreadyAttached(LiveDomain),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// 404: it is gone already.
    AlreadyGone,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        // reqwest is built without a default crypto provider; use ring (lighter to build).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let api = config.credentials.api();
        let raw = config.api_url.clone().unwrap_or_else(|| {
            match api {
                ApiVersion::V3 => DEFAULT_V3_URL,
                ApiVersion::V2 => DEFAULT_V2_URL,
            }
            .to_string()
        });
        let mut base = Url::parse(raw.trim())
            .map_err(|e| ApiError::BadUrl(format!("{e}; write it like {DEFAULT_V3_URL}")))?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ApiError::BadUrl(
                "it contains a user name or password; give credentials through RUNCLOUD_API_TOKEN (or RUNCLOUD_API_KEY / RUNCLOUD_API_SECRET) instead".into(),
            ));
        }
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ApiError::BadUrl(format!(
                "scheme `{}` is not http or https",
                base.scheme()
            )));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("rcdomains/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        let per_minute = NonZeroU32::new(config.rate_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Client {
            http,
            base,
            credentials: config.credentials.clone(),
            limiter: Arc::new(RateLimiter::direct(Quota::per_minute(per_minute))),
            pause_until: Arc::new(Mutex::new(None)),
            requests: Arc::new(AtomicU64::new(0)),
            config: Arc::new(config),
            progress: Counter::default(),
        })
    }

    pub fn api(&self) -> ApiVersion {
        self.credentials.api()
    }

    /// Advanced while the domain list is read (pages); `apply` uses it for actions.
    pub fn progress(&self) -> &Counter {
        &self.progress
    }

    /// How many HTTP requests this client (and its clones) sent.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET /ping`: checks the credentials.
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.send(Method::GET, "ping", &[], None).await.map(|_| ())
    }

    /// Reads everything the planner needs about one web application. Fails rather than
    /// returning a partial domain list.
    pub async fn live_state(&self, server: u64, app: u64) -> Result<LiveState, ApiError> {
        let server_ip = self.server_ip(server).await?;
        let path = format!("servers/{server}/webapps/{app}");
        self.send(Method::GET, &path, &[], None).await?;
        let domains = self.list_domains(server, app).await?;
        let ssl = self.ssl_state(server, app).await?;
        info!(
            server,
            app,
            domains = domains.len(),
            requests = self.request_count(),
            "read live state"
        );
        Ok(LiveState {
            api: self.api(),
            server_id: server,
            app_id: app,
            server_ip,
            domains,
            ssl,
        })
    }

    pub async fn server_ip(&self, server: u64) -> Result<IpAddr, ApiError> {
        let path = format!("servers/{server}");
        let s: WireServer = self.get_json(&path, &[]).await?;
        let raw = s.ip_address.unwrap_or_default();
        raw.trim().parse().map_err(|_| ApiError::Shape {
            method: "GET".into(),
            path: format!("/{path}"),
            detail: format!("`ipAddress` is {raw:?}, not an IP address"),
            excerpt: String::new(),
        })
    }

    /// Every domain of the app, all pages. Any failed page aborts the whole list.
    pub async fn list_domains(&self, server: u64, app: u64) -> Result<Vec<LiveDomain>, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains");
        let mut out: Vec<LiveDomain> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        self.progress.start(0);
        let mut page = 1u64;
        let mut total_pages: Option<u64> = None;
        let mut total: Option<u64> = None;
        loop {
            let query = [
                ("page", page.to_string()),
                ("perPage", PER_PAGE.to_string()),
            ];
            let list: WireList<WireDomain> = match self.get_json(&path, &query).await {
                Ok(l) => l,
                Err(source) if page == 1 => return Err(source),
                Err(source) => {
                    return Err(ApiError::PartialList {
                        page,
                        total: total_pages,
                        source: Box::new(source),
                    });
                }
            };
            let meta = list.meta.unwrap_or_default();
            total_pages = meta.total_pages().or(total_pages);
            total = meta.total().or(total);
            self.progress.set_total(total_pages.unwrap_or(page));
            self.progress.set_done(page);
            let count = list.data.len() as u64;
            let mut new = 0;
            for d in list.data {
                let d = d.into_model();
                if seen.insert(d.id) {
                    out.push(d);
                    new += 1;
                }
            }
            debug!(page, count, new, total_pages, "domain page");
            if count > 0 && new == 0 {
                return Err(ApiError::InconsistentList {
                    detail: format!(
                        "page {page} repeated domains already read; the API ignored the page parameter"
                    ),
                });
            }
            let last = match total_pages {
                Some(tp) => page >= tp,
                None => count < PER_PAGE,
            };
            if last || count == 0 {
                if let Some(tp) = total_pages
                    && page < tp
                {
                    return Err(ApiError::PartialList {
                        page,
                        total: Some(tp),
                        source: Box::new(ApiError::InconsistentList {
                            detail: format!(
                                "page {page} was empty but the API reported {tp} pages"
                            ),
                        }),
                    });
                }
                break;
            }
            if page >= 100_000 {
                return Err(ApiError::InconsistentList {
                    detail: "more than 100,000 pages".into(),
                });
            }
            page += 1;
        }
        if let Some(t) = total
            && t != out.len() as u64
        {
            return Err(ApiError::InconsistentList {
                detail: format!("the API reported {t} domains but {} were read", out.len()),
            });
        }
        Ok(out)
    }

    pub async fn ssl_state(&self, server: u64, app: u64) -> Result<LiveSsl, ApiError> {
        let base = format!("servers/{server}/webapps/{app}/ssl");
        let mode: WireSslMode = self.get_json(&format!("{base}/advanced"), &[]).await?;
        let certificate = if mode.advanced.0 {
            None
        } else {
            match self.get_json::<WireCertificate>(&base, &[]).await {
                Ok(c) => c.into_model(),
                // "SSL not installed!" may come as a 404.
                Err(ApiError::Status { status: 404, .. }) => None,
                Err(e) => return Err(e),
            }
        };
        Ok(LiveSsl {
            advanced: mode.advanced.0,
            auto_ssl: mode.auto_ssl.0,
            certificate,
        })
    }

    /// `POST …/domains`. A timeout or 5xx leaves the outcome unknown: the list is re-read and
    /// the name looked for before anything else happens; it is never blindly re-sent.
    pub async fn add_domain(
        &self,
        server: u64,
        app: u64,
        name: &str,
        settings: DomainSettings,
    ) -> Result<AddOutcome, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains");
        let body = serde_json::json!({
            "name": name,
            "www": settings.www,
            "redirection": settings.redirection.as_str(),
            "type": "alias",
        });
        let result = self.send(Method::POST, &path, &[], Some(&body)).await;
        match result {
            Ok(answer) => {
                let d: WireDomain = self.parse(&answer, "POST", &path)?;
                Ok(AddOutcome::Added(d.into_model()))
            }
            Err(e @ (ApiError::OutcomeUnknown { .. } | ApiError::Status { status: 422, .. })) => {
                warn!(name, "add: {e}; re-reading the domain list");
                let list = self.list_domains(server, app).await?;
                match list.into_iter().find(|d| d.name.as_str() == name) {
                    Some(d) => Ok(AddOutcome::AlreadyAttached(d)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// `PATCH …/domains/{id}/meta` (API v3).
    pub async fn update_domain(
        &self,
        server: u64,
        app: u64,
        id: u64,
        kind: DomainKind,
        settings: DomainSettings,
    ) -> Result<(), ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains/{id}/meta");
        let body = serde_json::json!({
            "type": match kind { DomainKind::Primary => "primary", DomainKind::Alias => "alias" },
            "redirection": settings.redirection.as_str(),
            "www": settings.www,
        });
        self.send(Method::PATCH, &path, &[], Some(&body))
            .await
            .map(|_| ())
    }

    /// `DELETE …/domains/{id}`; a 404 means it is gone already.
    pub async fn delete_domain(
        &self,
        server: u64,
        app: u64,
        id: u64,
    ) -> Result<DeleteOutcome, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains/{id}");
        match self.send(Method::DELETE, &path, &[], None).await {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(ApiError::Status { status: 404, .. }) => Ok(DeleteOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Basic SSL: `POST …/webapps/{w}/ssl` (Let's Encrypt, HTTP-01).
    pub async fn install_basic_ssl(
        &self,
        server: u64,
        app: u64,
        staging: bool,
    ) -> Result<(), ApiError> {
        let path = format!("servers/{server}/webapps/{app}/ssl");
        self.send(Method::POST, &path, &[], Some(&ssl_body(false, staging)))
            .await
            .map(|_| ())
    }

    /// Basic SSL: `PUT …/webapps/{w}/ssl/{ssl}` — Let's Encrypt redeploy for the current names.
    pub async fn redeploy_basic_ssl(
        &self,
        server: u64,
        app: u64,
        certificate: u64,
    ) -> Result<(), ApiError> {
        let path = format!("servers/{server}/webapps/{app}/ssl/{certificate}");
        // A certificate order: repeating it could order twice (Let's Encrypt rate-limits
        // duplicate certificates), so an unknown outcome is reported, not retried.
        self.send_with(Method::PUT, &path, &[], None, false)
            .await
            .map(|_| ())
    }

    /// Advanced SSL: `POST …/domains/{d}/ssl` for one domain.
    pub async fn install_advanced_ssl(
        &self,
        server: u64,
        app: u64,
        domain: u64,
        staging: bool,
    ) -> Result<(), ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains/{domain}/ssl");
        self.send(Method::POST, &path, &[], Some(&ssl_body(true, staging)))
            .await
            .map(|_| ())
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let answer = self.send(Method::GET, path, query, None).await?;
        self.parse(&answer, "GET", path)
    }

    /// Sends one request with retries; a POST is never repeated once it may have been received
    /// (see `send_with`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        let repeatable = method != Method::POST;
        self.send_with(method, path, query, body, repeatable).await
    }

    /// Sends one request. Returns the 2xx answer, or an error naming the method, the path and
    /// the status. `repeatable`: whether it may be sent again after it may have been received
    /// (a 5xx or a transport error after sending); when not, such an outcome is
    /// `OutcomeUnknown`. A 429 and a refused connection are always retried: nothing was done.
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        repeatable: bool,
    ) -> Result<Answer, ApiError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| ApiError::BadUrl(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let shown = shown_path(path, query);
        let idempotent = repeatable;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.wait_turn().await;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header("Accept", "application/json");
            req = match &self.credentials {
                Credentials::Token(t) => req.bearer_auth(t.expose()),
                Credentials::KeySecret { key, secret } => {
                    req.basic_auth(key.expose(), Some(secret.expose()))
                }
            };
            if let Some(b) = body {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.to_string());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let retries_left = attempt <= self.config.max_retries;
            let response = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let sent = !e.is_connect();
                    let why = transport_reason(&e);
                    debug!(method = %method, path = %shown, attempt, error = %why, "request failed");
                    if sent && !idempotent {
                        return Err(ApiError::OutcomeUnknown {
                            method: method.to_string(),
                            path: shown,
                            why,
                        });
                    }
                    if retries_left {
                        self.backoff(attempt, None).await;
                        continue;
                    }
                    return Err(if e.is_timeout() {
                        ApiError::Timeout {
                            method: method.to_string(),
                            path: shown,
                            secs: self.config.timeout.as_secs(),
                            attempts: attempt,
                        }
                    } else {
                        ApiError::Connect {
                            method: method.to_string(),
                            path: shown,
                            host: self.base.host_str().unwrap_or("?").to_string(),
                            reason: why,
                        }
                    });
                }
            };
            let status = response.status();
            let retry_after = header_secs(&response, "retry-after");
            if let Some(remaining) = header_secs(&response, "x-ratelimit-remaining")
                && remaining == 0
            {
                let wait = Duration::from_secs(retry_after.unwrap_or(1).min(120));
                *self.pause_until.lock().await = Some(Instant::now() + wait);
            }
            let bytes = match read_capped(response).await {
                Ok(Some(b)) => b,
                Ok(None) => {
                    return Err(ApiError::Shape {
                        method: method.to_string(),
                        path: shown,
                        detail: format!(
                            "the answer is larger than {} MiB; that is not RunCloud",
                            MAX_BODY >> 20
                        ),
                        excerpt: String::new(),
                    });
                }
                Err(e) => {
                    let why = transport_reason(&e);
                    if !idempotent {
                        return Err(ApiError::OutcomeUnknown {
                            method: method.to_string(),
                            path: shown,
                            why,
                        });
                    }
                    if retries_left {
                        self.backoff(attempt, None).await;
                        continue;
                    }
                    return Err(ApiError::Timeout {
                        method: method.to_string(),
                        path: shown,
                        secs: self.config.timeout.as_secs(),
                        attempts: attempt,
                    });
                }
            };
            debug!(method = %method, path = %shown, status = status.as_u16(), attempt, "request");
            if status.is_success() {
                return Ok(Answer {
                    status,
                    body: bytes,
                });
            }
            let code = status.as_u16();
            let retryable = code == 429 || (status.is_server_error() && idempotent);
            if code >= 500 && !idempotent {
                return Err(ApiError::OutcomeUnknown {
                    method: method.to_string(),
                    path: shown,
                    why: format!("HTTP {code}: {}", self.excerpt(&bytes)),
                });
            }
            if retryable && retries_left {
                self.backoff(attempt, retry_after.map(Duration::from_secs))
                    .await;
                continue;
            }
            let message = serde_json::from_slice::<WireMessage>(&bytes)
                .ok()
                .and_then(|m| m.text());
            return Err(match message {
                Some(m) => ApiError::Status {
                    method: method.to_string(),
                    path: shown,
                    status: code,
                    excerpt: self.scrub(&m),
                    hint: Hint::for_status(code),
                },
                None if looks_like_json(&bytes) => ApiError::Status {
                    method: method.to_string(),
                    path: shown,
                    status: code,
                    excerpt: self.excerpt(&bytes),
                    hint: Hint::for_status(code),
                },
                None => ApiError::NotJson {
                    method: method.to_string(),
                    path: shown,
                    status: code,
                    excerpt: self.excerpt(&bytes),
                },
            });
        }
    }

    /// Waits for the shared rate limiter, and for a pause RunCloud asked for.
    async fn wait_turn(&self) {
        let until = *self.pause_until.lock().await;
        if let Some(t) = until
            && t > Instant::now()
        {
            tokio::time::sleep_until(t).await;
        }
        self.limiter.until_ready().await;
    }

    async fn backoff(&self, attempt: u32, retry_after: Option<Duration>) {
        let wait = match retry_after {
            Some(d) => d.min(Duration::from_secs(120)),
            None => {
                let cap = self
                    .config
                    .backoff_base
                    .saturating_mul(1 << attempt.min(8))
                    .min(Duration::from_secs(30));
                // Full jitter: anywhere between half the step and the step.
                let ms = cap.as_millis() as u64;
                Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))
            }
        };
        debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "backing off before retrying"
        );
        tokio::time::sleep(wait).await;
    }

    /// A 2xx answer's JSON, or an error naming the request and the first bytes of the body.
    fn parse<T: DeserializeOwned>(
        &self,
        answer: &Answer,
        method: &str,
        path: &str,
    ) -> Result<T, ApiError> {
        let shown = format!("/{path}");
        if !looks_like_json(&answer.body) {
            return Err(ApiError::NotJson {
                method: method.into(),
                path: shown,
                status: answer.status.as_u16(),
                excerpt: self.excerpt(&answer.body),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|e| ApiError::Shape {
            method: method.into(),
            path: shown,
            detail: e.to_string(),
            excerpt: self.excerpt(&answer.body),
        })
    }

    /// The first bytes of a body, on one line, scrubbed of credentials.
    fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cut: String = one_line.chars().take(160).collect();
        if one_line.chars().count() > 160 {
            cut.push('…');
        }
        if cut.is_empty() {
            cut = "(empty body)".into();
        }
        self.scrub(&cut)
    }

    fn scrub(&self, text: &str) -> String {
        let mut t = text.to_string();
        for s in self.credentials.secrets() {
            if !s.is_empty() {
                t = t.replace(s.expose(), "[redacted]");
            }
        }
        t
    }
}

/// The Let's Encrypt order body RunCloud documents (see install-advanced-ssl-v3.request.json).
fn ssl_body(advanced: bool, staging: bool) -> serde_json::Value {
    let mut body = serde_json::json!({
        "provider": "letsencrypt",
        "enableHttp": false,
        "enableHsts": false,
        "authorizationMethod": "http-01",
        "environment": if staging { "staging" } else { "live" },
    });
    if advanced {
        body["advancedSSL"] = serde_json::Value::Bool(true);
        body["autoSSL"] = serde_json::Value::Bool(false);
    }
    body
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

fn shown_path(path: &str, query: &[(&str, String)]) -> String {
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if q.is_empty() {
        format!("/{path}")
    } else {
        format!("/{path}?{}", q.join("&"))
    }
}

/// The most of an answer that is read: a page of 40 domains is a few KiB.
const MAX_BODY: usize = 16 << 20;

/// Reads the body, or `None` when it grows past `MAX_BODY` (a misbehaving proxy).
async fn read_capped(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn header_secs(r: &reqwest::Response, name: &str) -> Option<u64> {
    r.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A transport error's reason without the URL (which reqwest includes in its Display).
fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    if e.is_connect() {
        return "connection refused or failed".into();
    }
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    last.unwrap_or_else(|| "connection closed".into())
}
