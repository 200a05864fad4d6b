//! The RunCloud API client (v3 Bearer, v2 Basic).
//!
//! The only code that speaks HTTP to RunCloud. Owns timeouts, retries with exponential backoff
//! and jitter (429 and 5xx, honouring `Retry-After` and `X-RateLimit-Remaining`), the shared
//! rate limiter, complete paging, and turning wire types into model types. It makes no plan
//! decisions, prints nothing, and never lets a credential into a message or a log line.

pub mod credentials;
pub mod error;
pub mod pace;
pub mod wire;

pub use credentials::Credentials;
pub use error::{ApiError, Hint};

use crate::model::{
    ApiVersion, DomainKind, DomainSettings, LiveCertificate, LiveDomain, LiveSsl, LiveState,
};
use crate::progress::Counter;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::{debug, info, warn};
use wire::{
    CertificateAnswer, WireCertificate, WireDomain, WireList, WireMessage, WireServer, WireSslMode,
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
    /// The user's ceiling in requests per minute (`--rate-limit`); the pace is RunCloud's own
    /// limit, read from its answers.
    pub rate_ceiling: Option<u32>,
    /// The run's patience: all rate-limit waits and back-offs together (`--max-wait`).
    pub max_wait: Duration,
    /// Pages of a list read at once once the first page gives the total (`--read-concurrency`).
    pub read_concurrency: usize,
    /// Retries after the first attempt, for 5xx and transport errors (a 429 is retried as long
    /// as the patience lasts).
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
            rate_ceiling: None,
            max_wait: Duration::from_secs(600),
            read_concurrency: 8,
            max_retries: 5,
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
    /// Shared by every clone: RunCloud's limit is per credential.
    pacer: pace::Pacer,
    requests: Arc<AtomicU64>,
    /// Every request of the client it was made from and of all its targets (`for_target`).
    all_requests: Arc<AtomicU64>,
    /// Set by an answer that refuses the credential itself (401, 403, a spent quota): every
    /// later request of the run, for any target, fails at once instead of asking again.
    halted: Arc<std::sync::OnceLock<String>>,
    config: Arc<ClientConfig>,
    progress: Counter,
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

/// A successful (2xx) answer.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
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
        Ok(Client {
            http,
            base,
            api,
            scrubber: config.credentials.scrubber(),
            credentials: config.credentials.clone(),
            pacer: pace::Pacer::new(config.rate_ceiling, config.max_wait),
            requests: Arc::new(AtomicU64::new(0)),
            all_requests: Arc::new(AtomicU64::new(0)),
            halted: Arc::new(std::sync::OnceLock::new()),
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

    /// A client for one target of a run over several: it counts its own requests and shows its
    /// own progress, and shares the pacer (RunCloud limits a credential, not an app) and the
    /// run's total (`all_request_count`) with the client it was made from.
    pub fn for_target(&self) -> Client {
        let mut c = self.clone();
        c.requests = Arc::new(AtomicU64::new(0));
        c.progress = Counter::default();
        c
    }

    /// How many HTTP requests this client and every client made from it sent.
    pub fn all_request_count(&self) -> u64 {
        self.all_requests.load(Ordering::Relaxed)
    }

    /// `GET /ping`: checks the credentials.
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.send(Method::GET, "ping", &[], None).await.map(|_| ())
    }

    /// Reads everything the planner needs about one web application: the server, the app,
    /// the SSL state and the domain list's first page at once, then the other pages (see
    /// `list_domains`). Fails rather than returning a partial domain list.
    pub async fn live_state(&self, server: u64, app: u64) -> Result<LiveState, ApiError> {
        let app_path = format!("servers/{server}/webapps/{app}");
        // All four run to their end, and the first error in this order is the one reported:
        // the same failure always reads the same (a wrong app id names the app, not whichever
        // read of it happened to fail first).
        let (server_ip, app_read, domains, ssl) = tokio::join!(
            self.server_ip(server),
            self.send(Method::GET, &app_path, &[], None),
            self.list_domains(server, app),
            self.ssl_state(server, app),
        );
        let server_ip = server_ip?;
        app_read?;
        let domains = domains?;
        let ssl = ssl?;
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
            warn!(
                server,
                "RunCloud's answer for the server holds no readable ipAddress"
            );
        }
        Ok(ip)
    }

    /// Every domain of the app, all pages. Any failed page aborts the whole list. With totals
    /// (`total_pages`, `lastPage`) the pages after the first are read at once (at most
    /// `read_concurrency` in flight, under the shared pace) and assembled in order, and the
    /// count is checked against `total`; without, pages are read one by one until an empty
    /// page — never stopping on a short page alone, since a server that ignores `perPage`
    /// serves 20 a page. An id read twice is an error (the list changed while read, or the
    /// server ignored `page`), never silently dropped.
    pub async fn list_domains(&self, server: u64, app: u64) -> Result<Vec<LiveDomain>, ApiError> {
        self.read_domains(server, app, false).await
    }

    /// The domain list read only to see whether names are attached, while other writes of an
    /// apply phase may change it: a count that no longer adds up, or a row seen on two pages
    /// (the list shifted while read), is tolerated — never for planning. A name it misses is
    /// only ever sent again, which RunCloud refuses as a duplicate; it never invents one.
    pub async fn domains_attached_now(
        &self,
        server: u64,
        app: u64,
    ) -> Result<Vec<LiveDomain>, ApiError> {
        self.read_domains(server, app, true).await
    }

    async fn read_domains(
        &self,
        server: u64,
        app: u64,
        changing: bool,
    ) -> Result<Vec<LiveDomain>, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains");
        let mut list = DomainList {
            changing,
            ..DomainList::default()
        };
        self.progress.start(0);
        let first = self.domain_page(&path, 1, None).await?;
        let total_pages = list.take(first, 1)?;
        self.progress.set_total(total_pages.unwrap_or(1));
        self.progress.set_done(1);
        match total_pages {
            Some(tp) => {
                if tp > 100_000 {
                    return Err(ApiError::InconsistentList {
                        detail: format!("the API announced {tp} pages"),
                    });
                }
                let mut pages = futures_util::stream::iter(2..=tp)
                    .map(|page| {
                        let path = &path;
                        async move { (page, self.domain_page(path, page, Some(tp)).await) }
                    })
                    .buffered(self.config.read_concurrency.max(1));
                while let Some((page, answer)) = pages.next().await {
                    let count = list.take(answer?, page)?;
                    let _ = count;
                    self.progress.set_done(page);
                    if list.last_count == 0 && page < tp {
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
                }
            }
            None => {
                // No totals: only an empty page ends the list.
                let mut page = 1u64;
                while list.last_count > 0 {
                    if page >= MAX_PAGES_WITHOUT_TOTAL {
                        return Err(ApiError::InconsistentList {
                            detail: format!(
                                "more than {MAX_PAGES_WITHOUT_TOTAL} pages and still not an empty one"
                            ),
                        });
                    }
                    page += 1;
                    let answer = self.domain_page(&path, page, None).await?;
                    list.take(answer, page)?;
                    self.progress.set_total(page);
                    self.progress.set_done(page);
                }
            }
        }
        list.finish()
    }

    /// One page of the domain list; a failure past the first page is a `PartialList`.
    async fn domain_page(
        &self,
        path: &str,
        page: u64,
        total: Option<u64>,
    ) -> Result<WireList<WireDomain>, ApiError> {
        let query = [
            ("page", page.to_string()),
            ("perPage", PER_PAGE.to_string()),
        ];
        match self.get_json(path, &query).await {
            Ok(l) => Ok(l),
            Err(source) if page == 1 => Err(source),
            Err(source) => Err(ApiError::PartialList {
                page,
                total,
                source: Box::new(source),
            }),
        }
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

    /// `POST …/domains`, once. A timeout or 5xx leaves the outcome unknown
    /// (`OutcomeUnknown`), and RunCloud refuses a name attached already with 422: the caller
    /// re-reads the list before anything else (`apply` shares one re-read among the adds of a
    /// phase), and sends again only a name the re-read shows absent.
    pub async fn add_domain(
        &self,
        server: u64,
        app: u64,
        name: &str,
        settings: DomainSettings,
    ) -> Result<LiveDomain, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains");
        let body = serde_json::json!({
            "name": name,
            "www": settings.www,
            "redirection": settings.redirection.as_str(),
            "type": "alias",
        });
        let answer = self.send(Method::POST, &path, &[], Some(&body)).await?;
        let d: WireDomain = self.parse(&answer, "POST", &path)?;
        Ok(d.into_model())
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
    /// `OutcomeUnknown`. A 429 and a refused connection are retried (nothing was done) for as
    /// long as the run's patience lasts; what to do with each answer is `classify`'s decision.
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        repeatable: bool,
    ) -> Result<Answer, ApiError> {
        if let Some(because) = self.halted.get() {
            return Err(ApiError::Halted {
                method: method.to_string(),
                path: shown_path(path, query),
                because: because.clone(),
            });
        }
        self.send_once(method, path, query, body, repeatable).await
    }

    /// One request, with its retries (see `send_with`).
    async fn send_once(
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
        let request = Request {
            method: method.to_string(),
            path: shown_path(path, query),
        };
        // Attempts in all (for messages), and failures that count against `max_retries`: a 429
        // is not one (nothing was done; the patience bounds it instead).
        let mut attempt = 0u32;
        let mut failures = 0u32;
        loop {
            attempt += 1;
            let ticket = self
                .pacer
                .acquire()
                .await
                .map_err(|e| self.out_of_patience(&request, e))?;
            if let Some(because) = self.halted.get() {
                self.pacer.forget(ticket).await;
                return Err(ApiError::Halted {
                    method: request.method,
                    path: request.path,
                    because: because.clone(),
                });
            }
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
            self.all_requests.fetch_add(1, Ordering::Relaxed);
            let retries_left = failures < self.config.max_retries;
            let response = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    self.pacer.forget(ticket).await;
                    let sent = !e.is_connect();
                    let host = self.base.host_str().unwrap_or("?").to_string();
                    let unresolved = dns_failure(&e);
                    let why = unresolved.clone().unwrap_or_else(|| transport_reason(&e));
                    debug!(method = %request.method, path = %request.path, attempt, error = %why, "request failed");
                    if sent && !repeatable {
                        return Err(ApiError::OutcomeUnknown {
                            method: request.method,
                            path: request.path,
                            why,
                        });
                    }
                    // A name that does not resolve is as often a typo in --api-url as a
                    // resolver's hiccup: a couple of retries, not the full number.
                    let most = match unresolved {
                        Some(_) => self.config.max_retries.min(DNS_RETRIES),
                        None => self.config.max_retries,
                    };
                    if failures < most {
                        failures += 1;
                        let what = match &unresolved {
                            Some(_) => format!("cannot resolve the API host {host} ({why})"),
                            None if e.is_timeout() => format!(
                                "no answer from {host} within {} s",
                                self.config.timeout.as_secs()
                            ),
                            None if !sent => format!("cannot reach {host} ({why})"),
                            None => format!("the connection to {host} failed ({why})"),
                        };
                        self.backoff(&request, failures, most, &what).await?;
                        continue;
                    }
                    return Err(match unresolved {
                        Some(reason) => ApiError::Dns {
                            method: request.method,
                            path: request.path,
                            host,
                            reason,
                            attempts: attempt,
                        },
                        None if e.is_timeout() => ApiError::Timeout {
                            method: request.method,
                            path: request.path,
                            secs: self.config.timeout.as_secs(),
                            attempts: attempt,
                        },
                        None => ApiError::Connect {
                            method: request.method,
                            path: request.path,
                            host,
                            reason: why,
                        },
                    });
                }
            };
            let status = response.status();
            let headers = rate_headers(response.headers());
            let location = response
                .headers()
                .get("location")
                .map(|v| self.scrub(&String::from_utf8_lossy(v.as_bytes())));
            let read = read_capped(response).await;
            // An answer that refuses the credential itself stops the run before the pacer lets
            // any waiting request go: no other target asks again.
            if let Ok(Some(bytes)) = &read {
                self.halt_if_refused(&request, status.as_u16(), bytes, &headers, &location);
            }
            self.pacer
                .observe(ticket, headers, status.as_u16() == 429)
                .await;
            let bytes = match read {
                Ok(Some(b)) => b,
                Ok(None) => {
                    return Err(ApiError::Shape {
                        method: request.method,
                        path: request.path,
                        detail: format!(
                            "the answer is larger than {} MiB; that is not RunCloud",
                            MAX_BODY >> 20
                        ),
                        excerpt: String::new(),
                    });
                }
                Err(e) => {
                    let why = transport_reason(&e);
                    if !repeatable {
                        return Err(ApiError::OutcomeUnknown {
                            method: request.method,
                            path: request.path,
                            why,
                        });
                    }
                    if retries_left {
                        failures += 1;
                        let what = format!(
                            "reading the answer from {} failed ({why})",
                            self.base.host_str().unwrap_or("?")
                        );
                        self.backoff(&request, failures, self.config.max_retries, &what)
                            .await?;
                        continue;
                    }
                    return Err(ApiError::Timeout {
                        method: request.method,
                        path: request.path,
                        secs: self.config.timeout.as_secs(),
                        attempts: attempt,
                    });
                }
            };
            debug!(method = %request.method, path = %request.path, status = status.as_u16(), attempt, "request");
            let message = serde_json::from_slice::<WireMessage>(&bytes)
                .ok()
                .and_then(|m| m.text());
            match classify(
                status.as_u16(),
                &headers,
                message.as_deref(),
                repeatable,
                retries_left,
            ) {
                Decision::Done => {
                    return Ok(Answer {
                        status,
                        body: bytes,
                    });
                }
                Decision::RetryThrottled => continue,
                Decision::RetryAfterBackoff => {
                    failures += 1;
                    let what = format!("RunCloud answered HTTP {}", status.as_u16());
                    self.backoff(&request, failures, self.config.max_retries, &what)
                        .await?;
                    continue;
                }
                Decision::Fail(kind) => {
                    return Err(self.failure(
                        kind,
                        request,
                        status.as_u16(),
                        &bytes,
                        message,
                        location,
                        &headers,
                    ));
                }
            }
        }
    }

    /// Remembers, for every later request of the run, an answer that refuses the credential
    /// itself (401, 403, a spent quota).
    fn halt_if_refused(
        &self,
        request: &Request,
        code: u16,
        bytes: &[u8],
        headers: &pace::RateHeaders,
        location: &Option<String>,
    ) {
        let message = serde_json::from_slice::<WireMessage>(bytes)
            .ok()
            .and_then(|m| m.text());
        if let Decision::Fail(kind) = classify(code, headers, message.as_deref(), true, false) {
            let e = self.failure(
                kind,
                request.clone(),
                code,
                bytes,
                message,
                location.clone(),
                headers,
            );
            if stops_the_credential(&e) {
                let _ = self.halted.set(e.to_string());
            }
        }
    }

    /// The error for a failed request, by the kind `classify` chose.
    #[allow(clippy::too_many_arguments)]
    fn failure(
        &self,
        kind: Failure,
        request: Request,
        code: u16,
        bytes: &[u8],
        message: Option<String>,
        location: Option<String>,
        headers: &pace::RateHeaders,
    ) -> ApiError {
        let Request { method, path } = request;
        match kind {
            Failure::Redirect => ApiError::Redirect {
                method,
                path,
                status: code,
                location: location
                    .unwrap_or_else(|| "(no Location)".into())
                    .chars()
                    .take(200)
                    .collect(),
            },
            Failure::WaitTooLong => ApiError::WaitTooLong {
                method,
                path,
                secs: headers.retry_after.unwrap_or_default(),
            },
            Failure::Quota => ApiError::Quota {
                method,
                path,
                status: code,
                excerpt: cut(&self.scrub(message.as_deref().unwrap_or_default()), 300),
            },
            Failure::OutcomeUnknown => ApiError::OutcomeUnknown {
                method,
                path,
                why: format!("HTTP {code}: {}", self.excerpt(bytes)),
            },
            Failure::Status => match message {
                Some(m) => ApiError::Status {
                    method,
                    path,
                    status: code,
                    excerpt: cut(&self.scrub(&m), 300),
                    hint: Hint::for_status(code),
                },
                None if looks_like_json(bytes) => ApiError::Status {
                    method,
                    path,
                    status: code,
                    excerpt: self.excerpt(bytes),
                    hint: Hint::for_status(code),
                },
                None => ApiError::NotJson {
                    method,
                    path,
                    status: code,
                    excerpt: self.excerpt(bytes),
                },
            },
        }
    }

    fn out_of_patience(&self, request: &Request, e: pace::OutOfPatience) -> ApiError {
        ApiError::Patience {
            method: request.method.clone(),
            path: request.path.clone(),
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

/// A domain list as its pages arrive, in order: checks each page and the whole.
#[derive(Default)]
struct DomainList {
    domains: Vec<LiveDomain>,
    /// Domain id → the page it was read on.
    seen: std::collections::BTreeMap<u64, u64>,
    total: Option<u64>,
    total_pages: Option<u64>,
    /// Rows on the page taken last.
    last_count: u64,
    /// The list may change while read (see `Client::domains_attached_now`).
    changing: bool,
}

impl DomainList {
    /// Takes page `page`; returns the page count the answer announces, if any.
    fn take(&mut self, list: WireList<WireDomain>, page: u64) -> Result<Option<u64>, ApiError> {
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
        self.total_pages = self.total_pages.or(meta.total_pages());
        self.total = self.total.or(meta.total());
        self.last_count = list.data.len() as u64;
        for d in list.data {
            let d = d.into_model();
            if let Some(first) = self.seen.insert(d.id, page) {
                if self.changing {
                    continue;
                }
                return Err(ApiError::InconsistentList {
                    detail: format!(
                        "domain id {} appeared on page {first} and again on page {page}",
                        d.id
                    ),
                });
            }
            self.domains.push(d);
        }
        debug!(
            page,
            count = self.last_count,
            total_pages = self.total_pages,
            "domain page"
        );
        Ok(self.total_pages)
    }

    fn finish(self) -> Result<Vec<LiveDomain>, ApiError> {
        if let Some(t) = self.total
            && t != self.domains.len() as u64
            && !self.changing
        {
            return Err(ApiError::InconsistentList {
                detail: format!(
                    "the API reported {t} domains but {} were read",
                    self.domains.len()
                ),
            });
        }
        Ok(self.domains)
    }
}

/// A request as errors name it: method and path (with the query), never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    method: String,
    path: String,
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

/// Retries after the API host's name did not resolve (see `send_with`).
const DNS_RETRIES: u32 = 2;

/// What the system resolver said, when a transport error is that the API host's name did not
/// resolve. hyper's connector reports it as a "dns error" (reqwest's resolver as "error
/// resolving DNS") caused by getaddrinfo's answer ("failed to lookup address information: …"),
/// which is the reason returned.
fn dns_failure(e: &reqwest::Error) -> Option<String> {
    if !e.is_connect() {
        return None;
    }
    let mut dns = false;
    let mut deepest = None;
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        dns |= text == "dns error"
            || text == "error resolving DNS"
            || text.starts_with("failed to lookup address information");
        deepest = Some(text);
        cause = c.source();
    }
    dns.then(|| deepest.unwrap_or_default())
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
            (
                429,
                Some(5),
                Some("You have used your monthly API quota."),
                true,
                true,
                Fail(Quota),
            ),
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

#[cfg(test)]
mod transport_tests {
    //! Which transport errors are the API host's name not resolving.
    use super::*;

    async fn error_for(url: &str) -> reqwest::Error {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().build().unwrap();
        client.get(url).send().await.expect_err(url)
    }

    #[tokio::test]
    async fn a_host_name_that_does_not_resolve_is_a_dns_failure() {
        // A label longer than 63 octets cannot be put in a DNS query: the system resolver
        // fails the name without asking any server.
        let host = format!("rcdomains-test-{}.invalid", "k".repeat(64));
        let e = error_for(&format!("http://{host}/api/v3/ping")).await;
        let reason = dns_failure(&e).unwrap_or_else(|| panic!("not a DNS failure: {e:?}"));
        assert!(!reason.is_empty());
    }

    #[tokio::test]
    async fn a_refused_connection_is_not_a_dns_failure() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let e = error_for(&format!("http://127.0.0.1:{port}/api/v3/ping")).await;
        assert!(e.is_connect(), "{e:?}");
        assert_eq!(dns_failure(&e), None);
    }
}
