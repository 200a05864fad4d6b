//! The RunCloud API client (v3 Bearer, v2 Basic).
//!
//! The only code that speaks HTTP to RunCloud. Owns timeouts, retries with exponential backoff
//! and jitter (429 and 5xx, honouring `Retry-After` and `X-RateLimit-Remaining`), the shared
//! rate limiter, complete paging, and turning wire types into model types. It makes no plan
//! decisions, prints nothing, and never lets a credential into a message or a log line.
//!
//! Here: the client and what it reads and writes; `request`: one request with its retries;
//! `domain_list`: the paged domain list; `wire`: RunCloud's JSON, both ways; `error`: what
//! fails; `pace`: the rate limiter; `credentials`: where the credentials come from. What it
//! shares with generate's HTTP reader (size cap, excerpts, transport errors) is `crate::http`.

pub mod credentials;
mod domain_list;
pub mod error;
pub mod pace;
mod request;
pub mod wire;

pub use credentials::Credentials;
pub use error::{ApiError, Hint};

use crate::http::{self, Cause};
use crate::model::{
    ApiVersion, DomainKind, DomainSettings, LiveCertificate, LiveDomain, LiveSsl, LiveState,
};
use crate::progress::Counter;
use error::Request;
use request::{Answer, looks_like_json};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::{info, warn};
use wire::{
    CertificateAnswer, CertificateOrder, DomainMeta, NewDomain, SentKind, WireCertificate,
    WireDomain, WireServer, WireSslMode,
};

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
    halted: Arc<std::sync::OnceLock<Cause>>,
    config: Arc<ClientConfig>,
    progress: Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// 404: it is gone already.
    AlreadyGone,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let (base, api) = api_base(&config)?;
        let scrubber = config.credentials.scrubber();
        // RunCloud's API does not redirect: a 3xx is an error naming where it pointed, and no
        // request (a write above all) is ever re-sent to another host.
        let http =
            http::client(config.timeout, &scrubber).map_err(|source| ApiError::Setup { source })?;
        Ok(Client {
            http,
            base,
            api,
            scrubber,
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

    /// The app's SSL mode, and in basic mode its certificate. An answer that does not say the
    /// mode, or that is neither a certificate nor "SSL not installed!", is an error: what is
    /// ordered depends on it, so nothing is assumed.
    pub async fn ssl_state(&self, server: u64, app: u64) -> Result<LiveSsl, ApiError> {
        let base = format!("servers/{server}/webapps/{app}/ssl");
        let mode_path = format!("{base}/advanced");
        let mode: WireSslMode = self.get_json(&mode_path, &[]).await?;
        let advanced = mode.advanced.ok_or_else(|| ApiError::Shape {
            request: Request::of(&Method::GET, &mode_path, &[]),
            detail: Some("it does not say `advancedSSL`, so the SSL mode is unknown".into()),
            excerpt: String::new(),
            source: None,
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
        let mut value: serde_json::Value = self.parse(&answer)?;
        // Tolerate a `data` envelope around the single object.
        if let Some(inner) = value.get("data").filter(|d| d.is_object()).cloned() {
            value = inner;
        }
        let shape = |detail: Option<&str>, source| ApiError::Shape {
            request: answer.request.clone(),
            detail: detail.map(str::to_string),
            excerpt: self.excerpt(&answer.body),
            source,
        };
        let cert: WireCertificate =
            serde_json::from_value(value).map_err(|e| shape(None, Some(e)))?;
        match cert.into_answer() {
            CertificateAnswer::Installed(c) => Ok(Some(c)),
            CertificateAnswer::None => Ok(None),
            CertificateAnswer::Unclear => Err(shape(
                Some(
                    "it is neither a certificate (no `id`) nor \"SSL not installed!\", so whether one is installed is unknown",
                ),
                None,
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
        let body = NewDomain::alias(name, settings);
        let answer = self.send_json(Method::POST, &path, &body).await?;
        let d: WireDomain = self.parse(&answer)?;
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
        // Never sent back with a type the tool does not understand (or another one).
        let kind = SentKind::of(kind).ok_or_else(|| ApiError::NotOurs {
            path: format!("/{path}"),
        })?;
        let body = DomainMeta::new(kind, settings);
        self.send_json(Method::PATCH, &path, &body)
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
        self.send_json(Method::POST, &path, &CertificateOrder::basic(staging))
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
        self.send_json(Method::POST, &path, &CertificateOrder::advanced(staging))
            .await
            .map(|_| ())
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let answer = self.send(Method::GET, path, query, None).await?;
        self.parse(&answer)
    }

    /// `send` with a JSON body (one of `wire`'s request bodies).
    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Answer, ApiError> {
        let json = serde_json::to_string(body).map_err(|source| ApiError::Encode {
            request: Request::of(&method, path, &[]),
            source,
        })?;
        self.send(method, path, &[], Some(json)).await
    }

    /// A 2xx answer's JSON, or an error naming the request and the first bytes of the body.
    fn parse<T: DeserializeOwned>(&self, answer: &Answer) -> Result<T, ApiError> {
        if !looks_like_json(&answer.body) {
            return Err(ApiError::NotJson {
                request: answer.request.clone(),
                status: answer.status,
                excerpt: self.excerpt(&answer.body),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|e| ApiError::Shape {
            request: answer.request.clone(),
            detail: None,
            excerpt: self.excerpt(&answer.body),
            source: Some(e),
        })
    }
}

/// The API's base URL (`--api-url`, or RunCloud's for the credentials), ending in `/`, and the
/// version it speaks. A URL holding a user name or password, or naming v3 for a v2 key pair, is
/// refused.
fn api_base(config: &ClientConfig) -> Result<(Url, ApiVersion), ApiError> {
    let bad = |problem: &str| ApiError::BadUrl {
        problem: problem.into(),
        source: None,
    };
    let raw = config.api_url.clone().unwrap_or_else(|| {
        match config.credentials.api() {
            ApiVersion::V3 => DEFAULT_V3_URL,
            ApiVersion::V2 => DEFAULT_V2_URL,
        }
        .to_string()
    });
    let mut base = Url::parse(raw.trim()).map_err(|e| ApiError::BadUrl {
        problem: format!("write it like {DEFAULT_V3_URL}"),
        source: Some(Cause::of(&e, &config.credentials.scrubber())),
    })?;
    if !base.username().is_empty() || base.password().is_some() {
        return Err(bad(
            "it contains a user name or password; give credentials through RUNCLOUD_API_TOKEN (or RUNCLOUD_API_KEY / RUNCLOUD_API_SECRET) instead",
        ));
    }
    if !matches!(base.scheme(), "http" | "https") {
        return Err(bad(&format!(
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
        return Err(bad(
            "it names API v3, which takes a token (RUNCLOUD_API_TOKEN); an API key and secret work only with API v2 (an --api-url ending in /api/v2)",
        ));
    }
    Ok((base, api))
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
