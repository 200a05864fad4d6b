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

use crate::model::{
    ApiVersion, DomainKind, DomainSettings, LiveCertificate, LiveDomain, LiveSsl, LiveState,
};
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
use wire::{
    CertificateAnswer, WireCertificate, WireDomain, WireList, WireMessage, WireServer,
    WireSslMode,
};

pub const DEFAULT_V3_URL: &str = "https://manage.runcloud.io/api/v3";
pub const DEFAULT_V2_URL: &str = "https://manage.runcloud.io/api/v2";
/// RunCloud's page size limit.
pub const PER_PAGE: u64 = 40;
/// Pages read from a list that announces no total before giving up: 5,000 pages are 100,000
/// domains even at RunCloud's default of 20 a page.
const MAX_PAGES_WITHOUT_TOTAL: u64 = 5_000;

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
    /// The API spoken: the URL's version when it names one, else the credentials'.
    api: ApiVersion,
    credentials: Credentials,
    scrubber: crate::secret::Scrubber,
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
        let raw = config.api_url.clone().unwrap_or_else(|| {
            match config.credentials.api() {
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
        let api = url_version(&base).unwrap_or_else(|| config.credentials.api());
        if api == ApiVersion::V3 && matches!(config.credentials, Credentials::KeySecret { .. }) {
            return Err(ApiError::BadUrl(
                "it names API v3, which takes a token (RUNCLOUD_API_TOKEN); an API key and secret work only with API v2 (an --api-url ending in /api/v2)".into(),
            ));
        }
        let http = reqwest::Client::builder()
            // RunCloud's API does not redirect: a 3xx is an error naming where it pointed, and
            // no request (a write above all) is ever re-sent to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("rcdomains/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        let per_minute = NonZeroU32::new(config.rate_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Client {
            http,
            base,
            api,
            scrubber: config.credentials.scrubber(),
            credentials: config.credentials.clone(),
            limiter: Arc::new(RateLimiter::direct(Quota::per_minute(per_minute))),
            pause_until: Arc::new(Mutex::new(None)),
            requests: Arc::new(AtomicU64::new(0)),
            config: Arc::new(config),
            progress: Counter::default(),
        })
    }

    /// The API version spoken: the one the URL names (a workspace token on a `/api/v2` URL
    /// speaks v2, as RunCloud documents), else the credentials' (a token v3, a key pair v2).
    pub fn api(&self) -> ApiVersion {
        self.api
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

    /// The server's address from `ipAddress`, `ip_address` or `ip`; `None` when none of them
    /// holds one (the caller decides whether it can do without).
    pub async fn server_ip(&self, server: u64) -> Result<Option<IpAddr>, ApiError> {
        let path = format!("servers/{server}");
        let s: WireServer = self.get_json(&path, &[]).await?;
        let ip = s.ip();
        if ip.is_none() {
            warn!(server, "RunCloud's answer for the server holds no readable ipAddress");
        }
        Ok(ip)
    }

    /// Every domain of the app, all pages. Any failed page aborts the whole list. With totals
    /// (`total_pages`, `lastPage`, `total`) it reads that many pages and checks the count;
    /// without, it reads until an empty page — never stopping on a short page alone, since a
    /// server that ignores `perPage` serves 20 a page. An id read twice is an error (the list
    /// changed while read, or the server ignored `page`), never silently dropped.
    pub async fn list_domains(&self, server: u64, app: u64) -> Result<Vec<LiveDomain>, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains");
        let mut out: Vec<LiveDomain> = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
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
            if let Some(current) = meta.current_page()
                && current != page
            {
                return Err(ApiError::InconsistentList {
                    detail: format!(
                        "page {page} was asked for but the answer says it is page {current}; the API ignored the page parameter"
                    ),
                });
            }
            total_pages = meta.total_pages().or(total_pages);
            total = meta.total().or(total);
            self.progress.set_total(total_pages.unwrap_or(page));
            self.progress.set_done(page);
            let count = list.data.len() as u64;
            for d in list.data {
                let d = d.into_model();
                if let Some(first) = seen.insert(d.id, page) {
                    return Err(ApiError::InconsistentList {
                        detail: format!(
                            "domain id {} appeared on page {first} and again on page {page}",
                            d.id
                        ),
                    });
                }
                out.push(d);
            }
            debug!(page, count, total_pages, "domain page");
            if count == 0
                && let Some(tp) = total_pages
                && page < tp
            {
                return Err(ApiError::PartialList {
                    page,
                    total: Some(tp),
                    source: Box::new(ApiError::InconsistentList {
                        detail: format!("page {page} was empty but the API reported {tp} pages"),
                    }),
                });
            }
            let last = match total_pages {
                Some(tp) => page >= tp,
                // No totals: only an empty page ends the list.
                None => count == 0,
            };
            if last {
                break;
            }
            let cap = total_pages.map_or(MAX_PAGES_WITHOUT_TOTAL, |_| 100_000);
            if page >= cap {
                return Err(ApiError::InconsistentList {
                    detail: format!("more than {cap} pages and still not an empty one"),
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

    /// The app's SSL mode, and in basic mode its certificate. An answer that does not say the
    /// mode, or that is neither a certificate nor "SSL not installed!", is an error: what is
    /// ordered depends on it, so nothing is assumed.
    pub async fn ssl_state(&self, server: u64, app: u64) -> Result<LiveSsl, ApiError> {
        let base = format!("servers/{server}/webapps/{app}/ssl");
        let mode_path = format!("{base}/advanced");
        let mode: WireSslMode = self.get_json(&mode_path, &[]).await?;
        let advanced = mode.advanced.ok_or_else(|| ApiError::Shape {
            method: "GET".into(),
            path: format!("/{mode_path}"),
            detail: "it does not say `advancedSSL`, so the SSL mode is unknown".into(),
            excerpt: String::new(),
        })?;
        let certificate = if advanced.0 {
            None
        } else {
            self.certificate(&base).await?
        };
        Ok(LiveSsl {
            advanced: advanced.0,
            auto_ssl: mode.auto_ssl.map(|f| f.0),
            certificate,
            domain_certificates: Default::default(),
        })
    }

    /// Advanced SSL: the certificate of one domain (`GET …/domains/{d}/ssl`), `None` when
    /// RunCloud says none is installed.
    pub async fn domain_certificate(
        &self,
        server: u64,
        app: u64,
        domain: u64,
    ) -> Result<Option<LiveCertificate>, ApiError> {
        self.certificate(&format!(
            "servers/{server}/webapps/{app}/domains/{domain}/ssl"
        ))
        .await
    }

    /// A certificate read: "SSL not installed!" means none whatever the status it comes with
    /// (200, 400, 404 and 422 are all possible); an answer that is neither is an error.
    async fn certificate(&self, path: &str) -> Result<Option<LiveCertificate>, ApiError> {
        let answer = match self.send(Method::GET, path, &[], None).await {
            Ok(a) => a,
            Err(ApiError::Status { ref excerpt, .. }) if wire::says_not_installed(excerpt) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let mut value: serde_json::Value = self.parse(&answer, "GET", path)?;
        // Tolerate a `data` envelope around the single object.
        if let Some(inner) = value.get("data").filter(|d| d.is_object()).cloned() {
            value = inner;
        }
        let shape = |detail: String| ApiError::Shape {
            method: "GET".into(),
            path: format!("/{path}"),
            detail,
            excerpt: self.excerpt(&answer.body),
        };
        let cert: WireCertificate =
            serde_json::from_value(value).map_err(|e| shape(e.to_string()))?;
        match cert.into_answer() {
            CertificateAnswer::Installed(c) => Ok(Some(c)),
            CertificateAnswer::None => Ok(None),
            CertificateAnswer::Unclear => Err(shape(
                "it is neither a certificate (no `id`) nor \"SSL not installed!\", so whether one is installed is unknown".into(),
            )),
        }
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
        let kind = match kind {
            DomainKind::Primary => "primary",
            DomainKind::Alias => "alias",
            // Never sent back with a type the tool does not understand (or another one).
            DomainKind::Other => {
                return Err(ApiError::NotOurs {
                    path: format!("/{path}"),
                });
            }
        };
        let body = serde_json::json!({
            "type": kind,
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

    /// Advanced SSL: `PUT …/domains/{d}/ssl/{ssl}` — Let's Encrypt redeploy of a domain's
    /// certificate. An unknown outcome is reported, not retried (a duplicate order).
    pub async fn redeploy_advanced_ssl(
        &self,
        server: u64,
        app: u64,
        domain: u64,
        certificate: u64,
    ) -> Result<(), ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains/{domain}/ssl/{certificate}");
        self.send_with(Method::PUT, &path, &[], None, false)
            .await
            .map(|_| ())
    }

    /// Advanced SSL: `POST …/domains/{d}/ssl` for one domain that has no certificate.
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
            // RunCloud asks for both on every request, with a body or without.
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header("Accept", "application/json")
                .header("Content-Type", "application/json");
            req = match &self.credentials {
                Credentials::Token(t) => req.bearer_auth(t.expose()),
                Credentials::KeySecret { key, secret } => {
                    req.basic_auth(key.expose(), Some(secret.expose()))
                }
            };
            if let Some(b) = body {
                req = req.body(b.to_string());
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
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get("location")
                    .map(|v| self.scrub(&String::from_utf8_lossy(v.as_bytes())))
                    .unwrap_or_else(|| "(no Location)".into());
                return Err(ApiError::Redirect {
                    method: method.to_string(),
                    path: shown,
                    status: status.as_u16(),
                    location: location.chars().take(200).collect(),
                });
            }
            let retry_after = header_secs(&response, "retry-after");
            if let Some(secs) = retry_after
                && secs > MAX_RETRY_AFTER.as_secs()
                && (status.as_u16() == 429 || status.is_server_error())
            {
                return Err(ApiError::WaitTooLong {
                    method: method.to_string(),
                    path: shown,
                    secs,
                });
            }
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
                    excerpt: cut(&self.scrub(&m), 300),
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

    /// The first bytes of a body, on one line, scrubbed of credentials — before the cut, so
    /// that no prefix of a secret survives it.
    fn excerpt(&self, body: &[u8]) -> String {
        // Scrubbing a whole 16 MiB answer is wasteful; a few KiB around the start is enough
        // to hold any credential that reaches the first 160 characters.
        let head = &body[..body.len().min(8 << 10)];
        let text = self.scrub(&String::from_utf8_lossy(head));
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cut: String = one_line.chars().take(160).collect();
        if one_line.chars().count() > 160 {
            cut.push('…');
        }
        if cut.is_empty() {
            cut = "(empty body)".into();
        }
        cut
    }

    fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
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

/// The API version a base URL names (`…/api/v2/`, `…/v3/`), if any.
fn url_version(base: &Url) -> Option<ApiVersion> {
    let last = base
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .to_ascii_lowercase();
    match last.as_str() {
        "v2" => Some(ApiVersion::V2),
        "v3" => Some(ApiVersion::V3),
        _ => None,
    }
}

/// At most `max` characters of an (already scrubbed) text, marked when cut.
fn cut(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
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

/// The longest `Retry-After` waited for; a longer one ends the run with a clear error at once
/// (a billion seconds is a broken or hostile answer, not a rate limit).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

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
