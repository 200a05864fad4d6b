//! The simulated world: servers, web apps, their domains and SSL state, and the DNS zone — one
//! shared state behind a cheap handle, read and changed by the sandbox's API, DNS server and TLS
//! endpoint.
//!
//! Owns the rules of that state (unique ids, Let's Encrypt-like issuance). Must not speak HTTP,
//! DNS or TLS itself, and never holds its lock across an `.await`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use super::names;
use super::seed::{
    DEFAULT_CREATED_AT, RecordType, Seed, SeedApp, SeedCert, SeedDomainKind, SeedRedirection,
    SeedSslMode,
};
use super::time;

const DAY: i64 = 86_400;
/// Let's Encrypt's certificate lifetime.
const CERT_DAYS: i64 = 90;
/// How many CNAMEs `resolve` follows.
const MAX_CNAME_DEPTH: usize = 8;

/// A handle on the shared world; clones share the same state.
#[derive(Clone)]
pub struct World {
    inner: Arc<Mutex<State>>,
}

/// A domain attached to a web app, as the world holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainView {
    pub id: u64,
    pub name: String,
    pub kind: SeedDomainKind,
    pub www: bool,
    pub redirection: SeedRedirection,
    pub wildcard: bool,
    pub created_at: String,
}

/// A certificate installed in the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertView {
    pub id: u64,
    pub names: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    pub staging: bool,
}

/// One record of the world's DNS zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    pub name: String,
    pub kind: RecordType,
    pub value: String,
}

/// A change the world refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("no web app {app} on server {server}")]
    UnknownApp { server: u64, app: u64 },
    #[error("{0:?} is not a host name")]
    InvalidName(String),
    #[error("{0} is already attached")]
    Duplicate(String),
    #[error("{value:?} is not a valid {kind:?} value")]
    InvalidRecord { kind: RecordType, value: String },
}

pub(super) struct State {
    pub servers: BTreeMap<u64, Server>,
    pub apps: BTreeMap<u64, App>,
    pub dns: Vec<DnsRecord>,
    next_id: u64,
}

pub(super) struct Server {
    pub id: u64,
    pub name: String,
    pub ip: IpAddr,
}

pub(super) struct App {
    pub id: u64,
    pub server: u64,
    pub name: String,
    pub domains: Vec<Domain>,
    pub advanced: bool,
    pub auto_ssl: bool,
    pub basic_cert: Option<Cert>,
    /// Advanced-mode certificates by domain id.
    pub domain_certs: BTreeMap<u64, Cert>,
    /// What the web server still presents instead of the certificate RunCloud holds, after an
    /// order whose certificate was not deployed (the `undeployed` fault): by slot (`None` the
    /// app's basic certificate, `Some(id)` a domain's), the certificate presented before
    /// (`None`: none).
    pub stale: BTreeMap<Option<u64>, Option<Cert>>,
}

impl App {
    /// The basic certificate the web server presents.
    fn presented_basic(&self) -> Option<&Cert> {
        match self.stale.get(&None) {
            Some(stale) => stale.as_ref(),
            None => self.basic_cert.as_ref(),
        }
    }

    /// The per-domain certificates the web server presents.
    fn presented_domain_certs(&self) -> Vec<&Cert> {
        let mut ids: Vec<u64> = self.domain_certs.keys().copied().collect();
        ids.extend(self.stale.keys().filter_map(|k| *k));
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| match self.stale.get(&Some(id)) {
                Some(stale) => stale.as_ref(),
                None => self.domain_certs.get(&id),
            })
            .collect()
    }

    /// Records a new certificate in `slot`: deployed, or (`undeployed`) held by RunCloud while
    /// the web server keeps presenting what it presented before.
    pub(crate) fn deployed(&mut self, slot: Option<u64>, undeployed: bool) {
        if !undeployed {
            self.stale.remove(&slot);
        }
    }

    /// Before replacing the certificate of `slot`: when it will not be deployed, remember what
    /// the web server presents now (unless it already presents an older one).
    pub(crate) fn keep_presented(&mut self, slot: Option<u64>, undeployed: bool) {
        if !undeployed || self.stale.contains_key(&slot) {
            return;
        }
        let now = match slot {
            None => self.basic_cert.clone(),
            Some(id) => self.domain_certs.get(&id).cloned(),
        };
        self.stale.insert(slot, now);
    }

    /// Builds the app `seed` describes, on server `server`. Its ids come from `state` in seed
    /// order: listed domains, bulk domains, the app's certificate, then domain certificates.
    fn from_seed(state: &mut State, server: u64, seed: &SeedApp, now: i64) -> App {
        let domains = App::domains_from_seed(state, seed);
        let basic_cert = seed
            .ssl
            .certificate
            .as_ref()
            .map(|c| Cert::from_seed(state.allocate_id(), c, now));
        let mut domain_certs = BTreeMap::new();
        for c in &seed.ssl.domain_certificates {
            let first = c.names.first().map(|n| names::normalise(n));
            if let Some(domain) = domains.iter().find(|d| Some(&d.name) == first.as_ref()) {
                domain_certs.insert(domain.id, Cert::from_seed(state.allocate_id(), c, now));
            }
        }
        App {
            id: seed.id,
            server,
            name: seed.name.clone(),
            domains,
            advanced: seed.ssl.mode == SeedSslMode::Advanced,
            auto_ssl: seed.ssl.auto_ssl,
            basic_cert,
            domain_certs,
            stale: BTreeMap::new(),
        }
    }

    /// The seeded app's domains: those it lists, then those its bulk block makes.
    fn domains_from_seed(state: &mut State, seed: &SeedApp) -> Vec<Domain> {
        let mut domains = Vec::new();
        for d in &seed.domains {
            let spec = d.spec();
            domains.push(Domain {
                id: state.allocate_id(),
                name: names::normalise(&spec.name),
                kind: spec.kind,
                www: spec.www,
                redirection: spec.redirection,
                wildcard: spec.wildcard,
                created_at: spec
                    .created_at
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CREATED_AT.to_owned()),
            });
        }
        if let Some(bulk) = &seed.bulk {
            for name in bulk.names() {
                domains.push(Domain {
                    id: state.allocate_id(),
                    name: names::normalise(&name),
                    kind: SeedDomainKind::Alias,
                    www: bulk.www,
                    redirection: bulk.redirection,
                    wildcard: false,
                    created_at: DEFAULT_CREATED_AT.to_owned(),
                });
            }
        }
        domains
    }
}

#[derive(Clone)]
pub(super) struct Domain {
    pub id: u64,
    pub name: String,
    pub kind: SeedDomainKind,
    pub www: bool,
    pub redirection: SeedRedirection,
    pub wildcard: bool,
    pub created_at: String,
}

#[derive(Clone)]
pub(super) struct Cert {
    pub id: u64,
    pub names: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
    pub staging: bool,
    pub enable_http: bool,
    pub enable_hsts: bool,
    pub authorization_method: String,
    pub ssl_protocol_id: u64,
    pub created_at: String,
    /// `letsencrypt`, or what a custom certificate says.
    pub method: String,
}

/// The options of a certificate order (the body of an install).
#[derive(Debug, Clone)]
pub(super) struct CertOrder {
    pub staging: bool,
    pub enable_http: bool,
    pub enable_hsts: bool,
    pub authorization_method: String,
    pub ssl_protocol_id: u64,
}

impl Cert {
    pub(crate) fn view(&self) -> CertView {
        CertView {
            id: self.id,
            names: self.names.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            staging: self.staging,
        }
    }

    fn from_seed(id: u64, seed: &SeedCert, now: i64) -> Cert {
        let not_after = now + seed.valid_days * DAY;
        Cert {
            id,
            names: seed.names.iter().map(|n| names::normalise(n)).collect(),
            not_before: not_after - CERT_DAYS * DAY,
            not_after,
            staging: seed.staging,
            enable_http: false,
            enable_hsts: false,
            authorization_method: "http-01".to_owned(),
            ssl_protocol_id: 2,
            created_at: time::format_secs(not_after - CERT_DAYS * DAY),
            method: seed.method.clone(),
        }
    }
}

impl Domain {
    fn view(&self) -> DomainView {
        DomainView {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind,
            www: self.www,
            redirection: self.redirection,
            wildcard: self.wildcard,
            created_at: self.created_at.clone(),
        }
    }

    /// The names a certificate for this domain must cover: it, and its `www.` twin when www=1.
    pub(crate) fn cert_names(&self) -> Vec<String> {
        let mut out = vec![self.name.clone()];
        if self.www {
            out.push(format!("www.{}", self.name));
        }
        out
    }
}

impl State {
    pub(crate) fn allocate_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn app(&self, server: u64, app: u64) -> Option<&App> {
        self.apps.get(&app).filter(|a| a.server == server)
    }

    pub(crate) fn app_mut(&mut self, server: u64, app: u64) -> Option<&mut App> {
        self.apps.get_mut(&app).filter(|a| a.server == server)
    }

    /// Attaches a new alias; `name` must already be normalised.
    pub(crate) fn add_domain(
        &mut self,
        server: u64,
        app: u64,
        name: &str,
        www: bool,
        redirection: SeedRedirection,
        wildcard: bool,
    ) -> Result<Domain, WorldError> {
        if !names::is_hostname(name) {
            return Err(WorldError::InvalidName(name.to_owned()));
        }
        let known = self
            .app(server, app)
            .ok_or(WorldError::UnknownApp { server, app })?;
        if known.domains.iter().any(|d| d.name == name) {
            return Err(WorldError::Duplicate(name.to_owned()));
        }
        let domain = Domain {
            id: self.allocate_id(),
            name: name.to_owned(),
            kind: SeedDomainKind::Alias,
            www,
            redirection,
            wildcard,
            created_at: time::format_secs(time::now_secs()),
        };
        if let Some(a) = self.app_mut(server, app) {
            a.domains.push(domain.clone());
        }
        Ok(domain)
    }

    /// Detaches a domain (and its advanced-mode certificate).
    pub(crate) fn remove_domain(&mut self, server: u64, app: u64, id: u64) -> Option<Domain> {
        let a = self.app_mut(server, app)?;
        let index = a.domains.iter().position(|d| d.id == id)?;
        a.domain_certs.remove(&id);
        a.stale.remove(&Some(id));
        Some(a.domains.remove(index))
    }

    /// The addresses `name` resolves to in the zone, following CNAMEs (at most 8).
    pub(crate) fn resolve(&self, name: &str) -> Vec<IpAddr> {
        let mut current = names::normalise(name);
        for _ in 0..=MAX_CNAME_DEPTH {
            let records: Vec<&DnsRecord> = self.dns.iter().filter(|r| r.name == current).collect();
            if let Some(cname) = records.iter().find(|r| r.kind == RecordType::Cname) {
                current = names::normalise(&cname.value);
                continue;
            }
            return records
                .iter()
                .filter_map(|r| r.value.parse::<IpAddr>().ok())
                .collect();
        }
        Vec::new()
    }

    /// Let's Encrypt's check: every name resolves to `ip` and only to it. The error names the
    /// first name that does not, and what it resolves to.
    pub(crate) fn check_names(&self, names: &[String], ip: IpAddr) -> Result<(), String> {
        for name in names {
            let found = self.resolve(name);
            if found.is_empty() {
                return Err(format!(
                    "Let's Encrypt could not validate {name}: it does not resolve (expected {ip})"
                ));
            }
            if found.iter().any(|a| *a != ip) {
                let list: Vec<String> = found.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "Let's Encrypt could not validate {name}: it resolves to {} (expected {ip})",
                    list.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// A fresh certificate for `names`, valid from now for 90 days.
    pub(crate) fn new_cert(&mut self, names: Vec<String>, order: &CertOrder) -> Cert {
        let now = time::now_secs();
        Cert {
            id: self.allocate_id(),
            names,
            not_before: now,
            not_after: now + CERT_DAYS * DAY,
            staging: order.staging,
            enable_http: order.enable_http,
            enable_hsts: order.enable_hsts,
            authorization_method: order.authorization_method.clone(),
            ssl_protocol_id: order.ssl_protocol_id,
            created_at: time::format_secs(now),
            method: "letsencrypt".to_owned(),
        }
    }
}

impl World {
    /// Builds the world a (validated) seed describes. Domain and certificate ids are allocated
    /// after the largest server or app id, so every id in the world is unique.
    pub fn from_seed(seed: &Seed) -> World {
        let now = time::now_secs();
        let max_id = seed
            .servers
            .iter()
            .flat_map(|s| std::iter::once(s.id).chain(s.apps.iter().map(|a| a.id)))
            .max()
            .unwrap_or(0);
        let mut state = State {
            servers: BTreeMap::new(),
            apps: BTreeMap::new(),
            dns: seed
                .dns
                .iter()
                .map(|r| DnsRecord {
                    name: names::normalise(&r.name),
                    kind: r.kind,
                    value: if r.kind == RecordType::Cname {
                        names::normalise(&r.value)
                    } else {
                        r.value.clone()
                    },
                })
                .collect(),
            next_id: max_id + 1,
        };
        for server in &seed.servers {
            state.servers.insert(
                server.id,
                Server {
                    id: server.id,
                    name: server.name.clone(),
                    ip: server.ip,
                },
            );
            for app in &server.apps {
                let built = App::from_seed(&mut state, server.id, app, now);
                state.apps.insert(app.id, built);
            }
        }
        World {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    /// The state, locked. A poisoned lock is taken over: the state stays usable for tests.
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The domains attached to the app, in id order (empty for an unknown app).
    pub fn domains(&self, server: u64, app: u64) -> Vec<DomainView> {
        self.lock()
            .app(server, app)
            .map(|a| a.domains.iter().map(Domain::view).collect())
            .unwrap_or_default()
    }

    /// Attaches an alias the way someone else would (the plugin, a person in RunCloud's panel).
    pub fn add_domain_behind_back(
        &self,
        server: u64,
        app: u64,
        name: &str,
    ) -> Result<DomainView, WorldError> {
        let name = names::normalise(name);
        self.lock()
            .add_domain(server, app, &name, false, SeedRedirection::None, false)
            .map(|d| d.view())
    }

    /// Attaches a domain exactly as spelt, unchecked and unnormalised, with the given type
    /// (`alias`, `primary`, or anything else) and `created_at` text: what a hostile or merely
    /// different RunCloud could hold. For tests of the client's tolerance; the API never
    /// creates such a domain itself.
    pub fn add_raw_domain_behind_back(
        &self,
        server: u64,
        app: u64,
        name: &str,
        kind: SeedDomainKind,
        created_at: &str,
    ) -> Result<DomainView, WorldError> {
        let mut state = self.lock();
        state
            .app(server, app)
            .ok_or(WorldError::UnknownApp { server, app })?;
        let domain = Domain {
            id: state.allocate_id(),
            name: name.to_owned(),
            kind,
            www: false,
            redirection: SeedRedirection::None,
            wildcard: false,
            created_at: created_at.to_owned(),
        };
        if let Some(a) = state.app_mut(server, app) {
            a.domains.push(domain.clone());
        }
        Ok(domain.view())
    }

    /// Detaches a domain by name the way someone else would; false when it was not attached.
    pub fn remove_domain_behind_back(&self, server: u64, app: u64, name: &str) -> bool {
        let name = names::normalise(name);
        let mut state = self.lock();
        let id = state
            .app(server, app)
            .and_then(|a| a.domains.iter().find(|d| d.name == name))
            .map(|d| d.id);
        match id {
            Some(id) => state.remove_domain(server, app, id).is_some(),
            None => false,
        }
    }

    pub fn server_ip(&self, server: u64) -> Option<IpAddr> {
        self.lock().servers.get(&server).map(|s| s.ip)
    }

    /// The addresses `name` resolves to in the zone, following CNAMEs within it (bounded depth).
    pub fn resolve(&self, name: &str) -> Vec<IpAddr> {
        self.lock().resolve(name)
    }

    /// The zone's records of exactly this name (for the sandbox's DNS server).
    pub fn records(&self, name: &str) -> Vec<DnsRecord> {
        let name = names::normalise(name);
        self.lock()
            .dns
            .iter()
            .filter(|r| r.name == name)
            .cloned()
            .collect()
    }

    /// Replaces the records of `name` of this type with one record.
    pub fn set_record(&self, name: &str, kind: RecordType, value: &str) -> Result<(), WorldError> {
        let record = Self::record(name, kind, value)?;
        let mut state = self.lock();
        state
            .dns
            .retain(|r| !(r.name == record.name && r.kind == record.kind));
        state.dns.push(record);
        Ok(())
    }

    /// Adds a record to `name`, keeping the others.
    pub fn add_record(&self, name: &str, kind: RecordType, value: &str) -> Result<(), WorldError> {
        let record = Self::record(name, kind, value)?;
        let mut state = self.lock();
        if !state.dns.contains(&record) {
            state.dns.push(record);
        }
        Ok(())
    }

    /// Removes every record of `name`.
    pub fn remove_records(&self, name: &str) {
        let name = names::normalise(name);
        self.lock().dns.retain(|r| r.name != name);
    }

    fn record(name: &str, kind: RecordType, value: &str) -> Result<DnsRecord, WorldError> {
        let bad = || WorldError::InvalidRecord {
            kind,
            value: value.to_owned(),
        };
        let value = match kind {
            RecordType::A => value
                .parse::<std::net::Ipv4Addr>()
                .map_err(|_| bad())?
                .to_string(),
            RecordType::Aaaa => value
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| bad())?
                .to_string(),
            RecordType::Cname => {
                let target = names::normalise(value);
                if !names::is_hostname(&target) {
                    return Err(bad());
                }
                target
            }
        };
        Ok(DnsRecord {
            name: names::normalise(name),
            kind,
            value,
        })
    }

    /// The certificate the server would present for this SNI: an advanced-mode certificate of a
    /// domain that covers it, else a basic-mode app certificate that lists it (wildcards match
    /// one label). Exact names win over wildcards.
    pub fn certificate_for_name(&self, name: &str) -> Option<CertView> {
        let name = names::normalise(name);
        let state = self.lock();
        let advanced = state
            .apps
            .values()
            .filter(|a| a.advanced)
            .flat_map(|a| a.presented_domain_certs());
        let basic = state
            .apps
            .values()
            .filter(|a| !a.advanced)
            .filter_map(|a| a.presented_basic());
        let candidates: Vec<&Cert> = advanced.chain(basic).collect();
        candidates
            .iter()
            .find(|c| c.names.contains(&name))
            .or_else(|| {
                candidates
                    .iter()
                    .find(|c| c.names.iter().any(|n| names::cert_name_matches(n, &name)))
            })
            .map(|c| c.view())
    }

    /// The app's SSL mode: (advanced, auto_ssl); (false, false) for an unknown app.
    pub fn ssl_mode(&self, server: u64, app: u64) -> (bool, bool) {
        self.lock()
            .app(server, app)
            .map_or((false, false), |a| (a.advanced, a.auto_ssl))
    }

    /// The app's basic-mode certificate.
    pub fn basic_certificate(&self, server: u64, app: u64) -> Option<CertView> {
        self.lock()
            .app(server, app)
            .and_then(|a| a.basic_cert.as_ref().map(Cert::view))
    }

    /// The advanced-mode certificate of the app's domain `name`.
    pub fn domain_certificate(&self, server: u64, app: u64, name: &str) -> Option<CertView> {
        let name = names::normalise(name);
        let state = self.lock();
        let a = state.app(server, app)?;
        let domain = a.domains.iter().find(|d| d.name == name)?;
        a.domain_certs.get(&domain.id).map(Cert::view)
    }
}

impl World {
    /// The zone's answer for `name`: its records; an empty list when the name exists only as
    /// the parent of names with records (an empty non-terminal); `None` when it does not exist.
    pub fn zone_records(&self, name: &str) -> Option<Vec<DnsRecord>> {
        let name = names::normalise(name);
        let state = self.lock();
        let records: Vec<DnsRecord> = state
            .dns
            .iter()
            .filter(|r| r.name == name)
            .cloned()
            .collect();
        if !records.is_empty() {
            return Some(records);
        }
        let suffix = format!(".{name}");
        state
            .dns
            .iter()
            .any(|r| r.name.ends_with(&suffix))
            .then(Vec::new)
    }

    /// The certificate the server presents for this SNI: one that names it, else — as a web
    /// server falls back to its default — the basic certificate of the app the name (or its
    /// `www.` twin's apex) is attached to; `None` when the name is unknown here.
    pub fn presented_certificate(&self, sni: &str) -> Option<CertView> {
        if let Some(c) = self.certificate_for_name(sni) {
            return Some(c);
        }
        let name = names::normalise(sni);
        let apex = name.strip_prefix("www.").unwrap_or(&name).to_string();
        let state = self.lock();
        let app = state
            .apps
            .values()
            .find(|a| a.domains.iter().any(|d| d.name == name || d.name == apex))?;
        // Like nginx without a matching server block: the app's certificate, or a default
        // self-signed one that names no customer domain.
        Some(match app.presented_basic() {
            Some(c) => c.view(),
            None => {
                let now = jiff::Timestamp::now().as_second();
                CertView {
                    id: 0,
                    names: vec!["default.sandbox.invalid".into()],
                    not_before: now - DAY,
                    not_after: now + 365 * DAY,
                    staging: false,
                }
            }
        })
    }
}
