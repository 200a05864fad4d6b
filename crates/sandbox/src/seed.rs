//! The sandbox's seed: the YAML description of the simulated world (servers, web apps, domains,
//! SSL state, DNS zone, credentials, rate limit, paging style and faults armed at start).
//!
//! Owns parsing and validating that file. It must not build the live world (that is `world.rs`)
//! nor know anything about HTTP.

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fault::Fault;
use super::names;

/// The whole simulated world as written in a seed file.
///
/// ```yaml
/// credentials: {token: sandbox-token}      # optional; key/secret for v2 Basic too
/// rate_limit: {per_minute: 60, window_seconds: 60, retry_after: true}
/// pagination: standard                     # or last_page, or none (no totals at all)
/// readings: {ignore_per_page: true, server_ip_field: ip, no_ssl_status: 422,
///            ssl_mode_fields: advanced_only, require_json_headers: true}
/// servers:
///   - id: 1
///     name: web-1
///     ip: 127.0.0.1
///     apps:
///       - id: 2
///         name: network
///         ssl: {mode: basic, certificate: {names: [network.example], valid_days: 30}}
///         domains:
///           - {name: network.example, type: primary, www: true, redirection: non-www}
///           - shop.example.org            # short form: an alias, www false, no redirection
///         bulk: {count: 5000, template: "site{n}.bench.example"}
/// dns:
///   - {name: network.example, type: A, value: 127.0.0.1}
///   - {name: www.network.example, type: CNAME, value: network.example}
/// faults:
///   - {kind: status, code: 503, times: 2, method: GET, path: /domains}
/// ```
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub credentials: SeedCredentials,
    #[serde(default)]
    pub rate_limit: SeedRateLimit,
    #[serde(default)]
    pub pagination: PaginationStyle,
    /// Which reading of RunCloud's unconfirmed points the API plays.
    #[serde(default)]
    pub readings: SeedReadings,
    pub servers: Vec<SeedServer>,
    #[serde(default)]
    pub dns: Vec<SeedRecord>,
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Random faults on a share of all requests, reproducible by seed.
    #[serde(default)]
    pub chaos: Option<SeedChaos>,
}

/// `chaos: {rate: 0.2, seed: 7}`: each request, with probability `rate`, gets one of a 500, an
/// nginx HTML 502, a 429 (`Retry-After: 1`), a connection reset, or — carried out — a lost
/// answer; the same seed gives the same sequence.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedChaos {
    pub rate: f64,
    #[serde(default)]
    pub seed: u64,
}

/// The credentials the simulated API accepts: the v3/v2 Bearer token and the v2 Basic key pair.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCredentials {
    #[serde(default = "default_token")]
    pub token: String,
    #[serde(default = "default_key")]
    pub key: String,
    #[serde(default = "default_secret")]
    pub secret: String,
}

impl Default for SeedCredentials {
    fn default() -> Self {
        SeedCredentials {
            token: default_token(),
            key: default_key(),
            secret: default_secret(),
        }
    }
}

fn default_token() -> String {
    "sandbox-token".to_owned()
}
fn default_key() -> String {
    "sandbox-key".to_owned()
}
fn default_secret() -> String {
    "sandbox-secret".to_owned()
}

/// A fixed-window rate limit per credential: at most `per_minute` requests in each window of
/// `window_seconds` (the name keeps RunCloud's "per minute" wording; the window is configurable
/// so that tests need not wait a minute).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRateLimit {
    #[serde(default = "default_per_minute")]
    pub per_minute: u32,
    #[serde(default = "default_window")]
    pub window_seconds: u64,
    /// Send `Retry-After` with a 429.
    #[serde(default = "default_true")]
    pub retry_after: bool,
    /// Send this `Retry-After` with every 429 whatever the window says (a server whose hint
    /// is too short).
    #[serde(default)]
    pub retry_after_lie: Option<u64>,
    /// Send `X-RateLimit-Reset` (Unix seconds of the window's end) on every answer, not only
    /// on a 429.
    #[serde(default)]
    pub reset_header: bool,
    /// `fixed`: a window opens at the first request and resets when it ends (Laravel's
    /// throttle); `sliding`: each request counts for `window_seconds` after it was made.
    #[serde(default)]
    pub window: WindowKind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    #[default]
    Fixed,
    Sliding,
}

impl Default for SeedRateLimit {
    fn default() -> Self {
        SeedRateLimit {
            per_minute: default_per_minute(),
            window_seconds: default_window(),
            retry_after: true,
            retry_after_lie: None,
            reset_header: false,
            window: WindowKind::Fixed,
        }
    }
}

fn default_per_minute() -> u32 {
    6000
}
fn default_window() -> u64 {
    60
}
fn default_true() -> bool {
    true
}

/// How list answers describe their paging.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaginationStyle {
    /// `meta.pagination.{total,count,per_page,current_page,total_pages,links}`.
    #[default]
    Standard,
    /// `meta.lastPage` and `meta.currentPage` only, no `pagination` object.
    LastPage,
    /// `data` only: no totals, no current page; a reader must page until an empty page.
    None,
}

/// Readings of the points of RunCloud's API that no source confirms (see
/// shared/runcloud-api.md). The defaults are the documented reading; each option plays
/// another one, so that the client can be tested against every reading.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedReadings {
    /// Serve RunCloud's default of 20 a page whatever `perPage` asks.
    #[serde(default)]
    pub ignore_per_page: bool,
    /// Serve the first page whatever `page` asks (a broken proxy or cache).
    #[serde(default)]
    pub ignore_page: bool,
    /// Under which name the server object carries its address (`none`: not at all).
    #[serde(default)]
    pub server_ip_field: ServerIpField,
    /// The status of the "SSL not installed!" answer.
    #[serde(default = "default_no_ssl_status")]
    pub no_ssl_status: u16,
    /// What `GET …/ssl/advanced` holds.
    #[serde(default)]
    pub ssl_mode_fields: SslModeFields,
    /// Refuse (415) a request without `Accept: application/json` and
    /// `Content-Type: application/json`.
    #[serde(default)]
    pub require_json_headers: bool,
    /// Answer every request after this many milliseconds (a distant API).
    #[serde(default)]
    pub latency_ms: u64,
}

impl Default for SeedReadings {
    fn default() -> Self {
        SeedReadings {
            ignore_per_page: false,
            ignore_page: false,
            server_ip_field: ServerIpField::default(),
            no_ssl_status: default_no_ssl_status(),
            ssl_mode_fields: SslModeFields::default(),
            require_json_headers: false,
            latency_ms: 0,
        }
    }
}

fn default_no_ssl_status() -> u16 {
    200
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum ServerIpField {
    #[default]
    #[serde(rename = "ipAddress")]
    IpAddress,
    #[serde(rename = "ip_address")]
    IpAddressSnake,
    #[serde(rename = "ip")]
    Ip,
    #[serde(rename = "none")]
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SslModeFields {
    /// `{"advancedSSL": …, "autoSSL": …}`.
    #[default]
    Both,
    /// `{"advancedSSL": …}` only.
    AdvancedOnly,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedServer {
    pub id: u64,
    pub name: String,
    pub ip: IpAddr,
    #[serde(default)]
    pub apps: Vec<SeedApp>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedApp {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub ssl: SeedSsl,
    #[serde(default)]
    pub domains: Vec<SeedDomain>,
    #[serde(default)]
    pub bulk: Option<SeedBulk>,
}

/// A domain attached to an app: a plain name (an alias, `www` false, no redirection, created
/// `2024-01-01 00:00:00`) or the long form.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SeedDomain {
    Name(String),
    Full(SeedDomainSpec),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDomainSpec {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: SeedDomainKind,
    #[serde(default)]
    pub www: bool,
    #[serde(default)]
    pub redirection: SeedRedirection,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub wildcard: bool,
}

/// The `created_at` of seeded domains that do not give one.
pub(crate) const DEFAULT_CREATED_AT: &str = "2024-01-01 00:00:00";

impl SeedDomain {
    /// The long form of this domain, with the short form's defaults filled in.
    pub fn spec(&self) -> SeedDomainSpec {
        match self {
            SeedDomain::Name(name) => SeedDomainSpec {
                name: name.clone(),
                kind: SeedDomainKind::Alias,
                www: false,
                redirection: SeedRedirection::None,
                created_at: None,
                wildcard: false,
            },
            SeedDomain::Full(spec) => spec.clone(),
        }
    }
}

/// `count` generated aliases named by `template` with `{n}` replaced by 1..=count.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBulk {
    pub count: usize,
    pub template: String,
    #[serde(default)]
    pub www: bool,
    #[serde(default)]
    pub redirection: SeedRedirection,
}

impl SeedBulk {
    /// The names this block generates, in order.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        (1..=self.count).map(|n| self.template.replace("{n}", &n.to_string()))
    }
}

/// A domain's `type` as the simulated RunCloud holds it (the sandbox's own type, not
/// rcdomains' `model::DomainKind`: the sandbox plays RunCloud and knows nothing of the tool).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedDomainKind {
    Primary,
    #[default]
    Alias,
    /// A type third-party clients show besides `primary` and `alias`; not the tool's to manage.
    Redirect,
}

impl SeedDomainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeedDomainKind::Primary => "primary",
            SeedDomainKind::Alias => "alias",
            SeedDomainKind::Redirect => "redirect",
        }
    }
}

/// A domain's `redirection` as the simulated RunCloud holds it (not rcdomains'
/// `model::Redirection`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum SeedRedirection {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "www")]
    Www,
    #[serde(rename = "non-www")]
    NonWww,
}

impl SeedRedirection {
    pub fn as_str(self) -> &'static str {
        match self {
            SeedRedirection::None => "none",
            SeedRedirection::Www => "www",
            SeedRedirection::NonWww => "non-www",
        }
    }

    pub fn parse(s: &str) -> Option<SeedRedirection> {
        match s {
            "none" => Some(SeedRedirection::None),
            "www" => Some(SeedRedirection::Www),
            "non-www" => Some(SeedRedirection::NonWww),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSsl {
    #[serde(default)]
    pub mode: SeedSslMode,
    #[serde(default)]
    pub auto_ssl: bool,
    /// The app's basic-mode certificate.
    #[serde(default)]
    pub certificate: Option<SeedCert>,
    /// Advanced-mode certificates, one per domain: `names[0]` is the domain it belongs to.
    #[serde(default)]
    pub domain_certificates: Vec<SeedCert>,
}

/// An app's SSL mode as the simulated RunCloud holds it (not the desired file's `ssl.mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedSslMode {
    #[default]
    Basic,
    Advanced,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCert {
    pub names: Vec<String>,
    /// Days until it expires; negative means it expired that many days ago.
    #[serde(default = "default_valid_days")]
    pub valid_days: i64,
    #[serde(default)]
    pub staging: bool,
    /// How it was issued: `letsencrypt` (the default) or anything else (`custom`), which
    /// RunCloud never redeploys.
    #[serde(default = "default_method")]
    pub method: String,
}

fn default_method() -> String {
    "letsencrypt".to_owned()
}

fn default_valid_days() -> i64 {
    90
}

/// One record of the world's DNS zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RecordType,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum RecordType {
    #[serde(rename = "A", alias = "a")]
    A,
    #[serde(rename = "AAAA", alias = "aaaa")]
    Aaaa,
    #[serde(rename = "CNAME", alias = "cname")]
    Cname,
}

/// A seed that cannot be read, parsed or accepted.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read sandbox seed {file}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: invalid sandbox seed: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: invalid sandbox seed: {message}")]
    Invalid { file: String, message: String },
}

/// How a seed given as a string (not a file) is named in errors.
const INLINE: &str = "<seed>";

impl Seed {
    /// Parses and validates a seed given as YAML text.
    pub fn from_yaml_str(s: &str) -> Result<Seed, SeedError> {
        Self::parse(s, INLINE)
    }

    /// Reads, parses and validates a seed file.
    pub fn load(path: &Path) -> Result<Seed, SeedError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            file: file.clone(),
            source,
        })?;
        Self::parse(&text, &file)
    }

    fn parse(s: &str, file: &str) -> Result<Seed, SeedError> {
        let seed: Seed = serde_yaml::from_str(s).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            let mut message = e.to_string();
            if let Some(cut) = message.find(" at line ") {
                message.truncate(cut);
            }
            SeedError::Parse {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        })?;
        seed.validate().map_err(|message| SeedError::Invalid {
            file: file.to_owned(),
            message,
        })?;
        Ok(seed)
    }

    /// Checks what serde cannot: unique ids, valid and unique names, well-formed records,
    /// certificates that belong to a domain, faults with sane parameters.
    pub fn validate(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for (si, server) in self.servers.iter().enumerate() {
            if !ids.insert(server.id) {
                return Err(format!("servers[{si}]: id {} is used twice", server.id));
            }
            for (ai, app) in server.apps.iter().enumerate() {
                let at = format!("servers[{si}].apps[{ai}]");
                if !ids.insert(app.id) {
                    return Err(format!("{at}: id {} is used twice", app.id));
                }
                app.validate(&at)?;
            }
        }
        self.validate_dns()?;
        for (fi, fault) in self.faults.iter().enumerate() {
            fault.validate().map_err(|e| format!("faults[{fi}]: {e}"))?;
        }
        if self.rate_limit.window_seconds == 0 {
            return Err("rate_limit.window_seconds must be at least 1".to_owned());
        }
        Ok(())
    }

    /// Checks each DNS record: a value of its type's form, and a name.
    fn validate_dns(&self) -> Result<(), String> {
        for (ri, record) in self.dns.iter().enumerate() {
            let ok = match record.kind {
                RecordType::A => record.value.parse::<std::net::Ipv4Addr>().is_ok(),
                RecordType::Aaaa => record.value.parse::<std::net::Ipv6Addr>().is_ok(),
                RecordType::Cname => names::is_hostname(&names::normalise(&record.value)),
            };
            if !ok {
                return Err(format!(
                    "dns[{ri}]: {:?} is not a valid {:?} value",
                    record.value, record.kind
                ));
            }
            if names::normalise(&record.name).is_empty() {
                return Err(format!("dns[{ri}]: empty name"));
            }
        }
        Ok(())
    }
}

impl SeedApp {
    /// Checks the app's domains (listed and bulk) and its certificates; `at` names the app in
    /// messages.
    fn validate(&self, at: &str) -> Result<(), String> {
        let mut seen = self.validate_domains(at)?;
        if let Some(bulk) = &self.bulk {
            bulk.validate(at, &mut seen)?;
        }
        self.validate_certificates(at, &seen)
    }

    /// Checks the listed domains: host names, none twice, at most one primary. Returns their
    /// names in lower case.
    fn validate_domains(&self, at: &str) -> Result<std::collections::HashSet<String>, String> {
        let mut seen = std::collections::HashSet::new();
        let mut primaries = 0;
        for (di, domain) in self.domains.iter().enumerate() {
            let spec = domain.spec();
            let name = spec.name.to_ascii_lowercase();
            if !names::is_hostname(&name) {
                return Err(format!(
                    "{at}.domains[{di}]: {:?} is not a host name",
                    spec.name
                ));
            }
            if !seen.insert(name) {
                return Err(format!("{at}.domains[{di}]: {} is listed twice", spec.name));
            }
            if spec.kind == SeedDomainKind::Primary {
                primaries += 1;
            }
        }
        if primaries > 1 {
            return Err(format!("{at}: more than one primary domain"));
        }
        Ok(seen)
    }

    /// Checks the certificates: the app's names something, and each domain certificate's first
    /// name is one of `domains` (lower case).
    fn validate_certificates(
        &self,
        at: &str,
        domains: &std::collections::HashSet<String>,
    ) -> Result<(), String> {
        if let Some(cert) = &self.ssl.certificate
            && cert.names.is_empty()
        {
            return Err(format!("{at}.ssl.certificate: names is empty"));
        }
        for (ci, cert) in self.ssl.domain_certificates.iter().enumerate() {
            match cert.names.first() {
                Some(first) if domains.contains(&first.to_ascii_lowercase()) => {}
                Some(first) => {
                    return Err(format!(
                        "{at}.ssl.domain_certificates[{ci}]: {first} is not a domain of this app"
                    ));
                }
                None => {
                    return Err(format!(
                        "{at}.ssl.domain_certificates[{ci}]: names is empty"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl SeedBulk {
    /// Checks the template and the names it makes: host names, none twice with each other or
    /// with `seen` (lower case), which they join.
    fn validate(
        &self,
        at: &str,
        seen: &mut std::collections::HashSet<String>,
    ) -> Result<(), String> {
        if !self.template.contains("{n}") {
            return Err(format!("{at}.bulk: template must contain {{n}}"));
        }
        for name in self.names() {
            let name = name.to_ascii_lowercase();
            if !names::is_hostname(&name) {
                return Err(format!("{at}.bulk: {name:?} is not a host name"));
            }
            if !seen.insert(name.clone()) {
                return Err(format!("{at}.bulk: {name} is listed twice"));
            }
        }
        Ok(())
    }
}
