//! DNS readiness: resolves each name's A and AAAA records (following CNAMEs) and classifies the
//! answer against the addresses that count as "the server".
//!
//! Owns the resolver (hickory-resolver, UDP with TCP fallback, no cache) and the pure
//! classification rules of DESIGN.md ("DNS readiness of a name"). It must not decide what to do
//! about a finding (that is the planner's job), print anything, or speak anything but DNS.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use futures_util::StreamExt;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use ipnet::IpNet;

use crate::model::DnsFinding;

/// Errors while setting up DNS checks (never while checking a name: that is a [`DnsFinding`]).
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// RunCloud gave no readable address for the server, and the file sets none.
    #[error(
        "RunCloud's answer for the server holds no readable IP address (ipAddress, ip_address or ip), so DNS cannot be checked against it: set `dns.server_ip` in the desired file, or plan with --skip-dns"
    )]
    NoServerIp,
    /// The system resolver configuration (`/etc/resolv.conf`) could not be read.
    #[error(
        "could not read the system's DNS resolver configuration; name a resolver with --resolver IP:PORT"
    )]
    SystemConfig {
        /// What the resolver library reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The system configuration lists no name server.
    #[error(
        "the system's DNS resolver configuration lists no name server; name one with --resolver IP:PORT"
    )]
    NoNameServers,
    /// The resolver library refused the configuration.
    #[error("could not set up the DNS resolver")]
    Build {
        /// What the resolver library reported.
        #[source]
        source: NetError,
    },
}

/// What the resolver found for one name: the raw material that [`classify`] judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// At least one of the A / AAAA queries was answered (possibly only with CNAMEs).
    Answer {
        /// A records at the end of the CNAME chain.
        v4: Vec<Ipv4Addr>,
        /// AAAA records at the end of the CNAME chain.
        v6: Vec<Ipv6Addr>,
        /// CNAME targets met on the way, lower case, without the trailing dot.
        cnames: Vec<String>,
    },
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has neither A nor AAAA records.
    NoRecords,
    /// No usable answer: timeout, SERVFAIL, refused, network error.
    Error(String),
}

/// Something that resolves names; the real one is [`HickoryResolver`].
pub trait Resolve: Send + Sync {
    /// Looks up the A and AAAA records of `name` (a normalised host name, without trailing dot).
    fn lookup<'a>(&'a self, name: &'a str) -> Pin<Box<dyn Future<Output = Lookup> + Send + 'a>>;
}

/// [`Resolve`] through hickory-resolver: A and AAAA queried concurrently, CNAMEs followed,
/// UDP first with TCP after a truncated answer, no response cache, one retry.
#[derive(Clone)]
pub struct HickoryResolver {
    resolver: TokioResolver,
    /// Upper bound for one name, whatever retries and fallbacks happen inside the library.
    budget: Duration,
    /// The system's name servers, when no server was named (`None` then means `--resolver`).
    system: Option<Vec<IpAddr>>,
}

impl fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HickoryResolver")
            .field("budget", &self.budget)
            .field("system", &self.system)
            .finish_non_exhaustive()
    }
}

/// Attempts per query: the first try and one retry (a lost UDP datagram should not make a name
/// look broken, and a dead server should not stall a run).
const ATTEMPTS: usize = 2;

impl HickoryResolver {
    /// Builds a resolver that asks `servers` (or, when empty, the servers of the system's
    /// configuration). `per_query_timeout` bounds each query to a server; a whole name takes
    /// at most `ATTEMPTS + 1` times that.
    pub fn new(servers: &[SocketAddr], per_query_timeout: Duration) -> Result<Self, DnsError> {
        let name_servers = if servers.is_empty() {
            let (config, _system_opts) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsError::SystemConfig {
                    source: Box::new(e),
                })?;
            config.name_servers().to_vec()
        } else {
            servers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect()
        };
        if name_servers.is_empty() {
            return Err(DnsError::NoNameServers);
        }
        let system = servers.is_empty().then(|| {
            let mut ips: Vec<IpAddr> = name_servers.iter().map(|s| s.ip).collect();
            ips.dedup();
            ips
        });

        let mut opts = ResolverOpts::default();
        opts.timeout = per_query_timeout;
        opts.attempts = ATTEMPTS;
        // No cache: the zone may change between two checks of the same run (the sandbox), and
        // a stale "ready" is worse than a second query.
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.preserve_intermediates = true;
        opts.ndots = 0;
        // Concurrent names share one connection per server: let them in flight together.
        opts.max_active_requests = 1024;

        let resolver = Resolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        )
        .with_options(opts)
        .build()
        .map_err(|source| DnsError::Build { source })?;
        let budget = per_query_timeout.saturating_mul(ATTEMPTS as u32 + 1);
        Ok(Self {
            resolver,
            budget,
            system,
        })
    }

    /// The name servers of the system's configuration (`/etc/resolv.conf`) when they are the
    /// ones asked; `None` when servers were named (`--resolver`).
    pub fn system_name_servers(&self) -> Option<&[IpAddr]> {
        self.system.as_deref()
    }

    async fn lookup_name(&self, name: &str) -> Lookup {
        let fqdn = if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        };
        let both = async {
            tokio::join!(
                self.resolver.lookup(fqdn.as_str(), RecordType::A),
                self.resolver.lookup(fqdn.as_str(), RecordType::AAAA),
            )
        };
        match tokio::time::timeout(self.budget, both).await {
            Ok((a, aaaa)) => combine(one_type(a), one_type(aaaa)),
            Err(_) => Lookup::Error(format!(
                "no answer within {}",
                humantime::format_duration(self.budget)
            )),
        }
    }
}

impl Resolve for HickoryResolver {
    fn lookup<'a>(&'a self, name: &'a str) -> Pin<Box<dyn Future<Output = Lookup> + Send + 'a>> {
        Box::pin(self.lookup_name(name))
    }
}

/// The outcome of one query type.
enum TypeOutcome {
    Records {
        addrs: Vec<IpAddr>,
        cnames: Vec<String>,
    },
    NxDomain,
    Empty,
    Failed(String),
}

fn one_type(result: Result<hickory_resolver::lookup::Lookup, NetError>) -> TypeOutcome {
    match result {
        Ok(lookup) => {
            let mut addrs = Vec::new();
            let mut cnames = Vec::new();
            for record in lookup.answers() {
                match &record.data {
                    RData::A(a) => addrs.push(IpAddr::V4(a.0)),
                    RData::AAAA(aaaa) => addrs.push(IpAddr::V6(aaaa.0)),
                    RData::CNAME(target) => cnames.push(plain_name(&target.0.to_ascii())),
                    _ => {}
                }
            }
            if addrs.is_empty() && cnames.is_empty() {
                TypeOutcome::Empty
            } else {
                TypeOutcome::Records { addrs, cnames }
            }
        }
        Err(e) if e.is_nx_domain() => TypeOutcome::NxDomain,
        Err(e) if e.is_no_records_found() => TypeOutcome::Empty,
        Err(e) => TypeOutcome::Failed(e.to_string()),
    }
}

fn plain_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Joins the A and AAAA outcomes: any failure makes the whole lookup an error (a name whose
/// AAAA timed out is not known to be ready).
fn combine(a: TypeOutcome, aaaa: TypeOutcome) -> Lookup {
    use TypeOutcome::{Empty, Failed, NxDomain, Records};
    match (a, aaaa) {
        (Failed(reason), Failed(other)) if reason != other => {
            Lookup::Error(format!("A: {reason}; AAAA: {other}"))
        }
        (Failed(reason), _) => Lookup::Error(format!("A: {reason}")),
        (_, Failed(reason)) => Lookup::Error(format!("AAAA: {reason}")),
        (NxDomain, NxDomain | Empty) | (Empty, NxDomain) => Lookup::NxDomain,
        (Empty, Empty) => Lookup::NoRecords,
        (first, second) => {
            let mut v4 = Vec::new();
            let mut v6 = Vec::new();
            let mut cnames: Vec<String> = Vec::new();
            for outcome in [first, second] {
                if let Records {
                    addrs,
                    cnames: found,
                } = outcome
                {
                    for addr in addrs {
                        match addr {
                            IpAddr::V4(ip) if !v4.contains(&ip) => v4.push(ip),
                            IpAddr::V6(ip) if !v6.contains(&ip) => v6.push(ip),
                            _ => {}
                        }
                    }
                    for cname in found {
                        if !cnames.contains(&cname) {
                            cnames.push(cname);
                        }
                    }
                }
            }
            Lookup::Answer { v4, v6, cnames }
        }
    }
}

/// The addresses that count as "the server": its own IPs and the networks of
/// `dns.also_accept` (parsed when the desired file was validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptSet {
    nets: Vec<IpNet>,
}

impl AcceptSet {
    pub fn new(server_ips: &[IpAddr], also_accept: impl IntoIterator<Item = IpNet>) -> Self {
        let mut nets: Vec<IpNet> = server_ips.iter().map(|ip| IpNet::from(*ip)).collect();
        nets.extend(also_accept);
        Self { nets }
    }

    /// Whether `ip` is one of the server's addresses or inside an accepted network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

/// Judges one lookup: ready when there is at least one address and every A and AAAA address is
/// accepted; partial when some are; mismatch when none are.
pub fn classify(lookup: &Lookup, accept: &AcceptSet) -> DnsFinding {
    match lookup {
        Lookup::Answer { v4, v6, .. } => {
            let mut addresses: Vec<IpAddr> = v4
                .iter()
                .map(|ip| IpAddr::V4(*ip))
                .chain(v6.iter().map(|ip| IpAddr::V6(*ip)))
                .collect();
            addresses.sort();
            addresses.dedup();
            if addresses.is_empty() {
                return DnsFinding::NoRecords;
            }
            let accepted = addresses.iter().filter(|ip| accept.contains(**ip)).count();
            if accepted == addresses.len() {
                DnsFinding::Ready { addresses }
            } else if accepted == 0 {
                DnsFinding::Mismatch { addresses }
            } else {
                DnsFinding::Partial { addresses }
            }
        }
        Lookup::NxDomain => DnsFinding::Nxdomain,
        Lookup::NoRecords => DnsFinding::NoRecords,
        Lookup::Error(reason) => DnsFinding::Error {
            reason: reason.clone(),
        },
    }
}

/// Checks every name with at most `concurrency` look-ups in flight. Every name gets a finding;
/// a name whose look-up fails or times out is `Error`, never `Ready`.
pub async fn check_names(
    resolver: &dyn Resolve,
    names: &[String],
    accept: &AcceptSet,
    concurrency: usize,
) -> BTreeMap<String, DnsFinding> {
    futures_util::stream::iter(names)
        .map(|name| async move {
            let lookup = resolver.lookup(name).await;
            (name.clone(), classify(&lookup, accept))
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}
