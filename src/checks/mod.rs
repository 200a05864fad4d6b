//! Pre-flight checks against the outside world: DNS readiness (`dns`) and certificate
//! coverage over TLS (`tls`). The only module that speaks DNS or opens TLS connections; it
//! reports findings (`Checks`) and must not plan, print, or talk to RunCloud.

pub mod dns;
pub mod tls;
pub mod verify;

#[cfg(test)]
mod tests;

use crate::desired::Desired;
use crate::model::{DomainName, LiveDomain, LiveState};
use crate::progress::Counter;
use dns::{AcceptSet, DnsError, DnsFinding, HickoryResolver};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// What the certificate the server presents says about one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Coverage {
    /// A SAN (or a matching wildcard) names it and now is inside the validity window.
    Covered { days_left: i64 },
    /// The presented certificate does not name it, or is expired or not yet valid.
    NotCovered { why: String },
    /// No certificate could be read (the server refused or could not be reached): the planner
    /// treats it as "the set of names changed or not", never as a reason to order.
    Unknown { why: String },
}

/// Findings for the names of one run, as the planner sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// False when DNS was not checked (`--skip-dns`): the readiness gate is off and no
    /// certificate is ordered.
    pub dns_checked: bool,
    pub dns: BTreeMap<DomainName, DnsFinding>,
    /// What the server presents for each attached name, asked at the server's address whatever
    /// the name's DNS says (so a name that moved away still shows its certificate's expiry).
    pub tls: BTreeMap<DomainName, Coverage>,
    /// The name servers of the system's configuration when DNS was asked of them (no
    /// `--resolver`); `None` when servers were named, or DNS was not checked.
    pub system_resolvers: Option<Vec<IpAddr>>,
}

/// Every name checked through the system's resolvers failed to resolve (see
/// [`Checks::system_resolver_failed_all`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemResolverFailure {
    /// The system's name servers that were asked.
    pub servers: Vec<IpAddr>,
    /// How many names came back `nxdomain`, and how many `error`.
    pub nxdomain: usize,
    pub error: usize,
}

impl SystemResolverFailure {
    /// How many names were checked (all of them failed).
    pub fn names(&self) -> usize {
        self.nxdomain + self.error
    }
}

impl Checks {
    /// No checks were made (`--skip-dns`).
    pub fn skipped() -> Self {
        Checks::default()
    }

    /// The DNS finding for `name`, when DNS was checked.
    pub fn dns_finding(&self, name: &DomainName) -> Option<&DnsFinding> {
        self.dns.get(name)
    }

    /// Ready only with a `ready` finding: a name that was not looked up is not ready.
    pub fn is_ready(&self, name: &DomainName) -> bool {
        self.dns.get(name).is_some_and(DnsFinding::is_ready)
    }

    /// When the look-ups went through the system's resolvers and every name checked came back
    /// `nxdomain` or `error`: then the resolver itself (a broken `/etc/resolv.conf`, a network
    /// without DNS) is a likelier cause than every name at once. Only from two names on: one
    /// name that does not exist is ordinary.
    pub fn system_resolver_failed_all(&self) -> Option<SystemResolverFailure> {
        let servers = self.system_resolvers.as_ref()?;
        if !self.dns_checked || self.dns.len() < 2 {
            return None;
        }
        let mut failure = SystemResolverFailure {
            servers: servers.clone(),
            nxdomain: 0,
            error: 0,
        };
        for finding in self.dns.values() {
            match finding {
                DnsFinding::Nxdomain => failure.nxdomain += 1,
                DnsFinding::Error { .. } => failure.error += 1,
                _ => return None,
            }
        }
        Some(failure)
    }
}

/// How the checks are run.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Resolvers to ask; empty: the system's.
    pub resolvers: Vec<SocketAddr>,
    pub dns_timeout: Duration,
    /// Look-ups (and handshakes) in flight at once.
    pub concurrency: usize,
    pub tls_port: u16,
    pub tls_timeout: Duration,
    /// Advanced per name looked up, then per certificate read.
    pub progress: Counter,
}

/// A resolver that advances a counter after each look-up.
struct Counting<'a> {
    inner: &'a dyn dns::Resolve,
    progress: &'a Counter,
}

impl dns::Resolve for Counting<'_> {
    fn lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = dns::Lookup> + Send + 'a>> {
        Box::pin(async move {
            let found = self.inner.lookup(name).await;
            self.progress.advance();
            found
        })
    }
}

/// The names a certificate for this domain covers: it, and its `www.` twin when www is on.
pub fn cert_names(d: &LiveDomain) -> Vec<DomainName> {
    let mut v = vec![d.name.clone()];
    if d.settings.www {
        v.push(d.name.www_twin());
    }
    v
}

/// Looks up every name a certificate would cover (desired and attached names, with their
/// `www.` twins), then reads the certificate the server presents for each attached name (at
/// the server's address, whatever its DNS says).
pub async fn run(
    desired: &Desired,
    live: &LiveState,
    opts: &CheckOptions,
) -> Result<Checks, DnsError> {
    let mut names: BTreeSet<DomainName> = BTreeSet::new();
    for d in &desired.domains {
        names.insert(d.name.clone());
        if d.settings.www {
            names.insert(d.name.www_twin());
        }
    }
    let mut attached: BTreeSet<DomainName> = BTreeSet::new();
    for d in &live.domains {
        // A live name that is not a canonical host name (RunCloud may hold anything) is never
        // looked up or probed: it is never ready, so no certificate covers it.
        attached.extend(cert_names(d).into_iter().filter(DomainName::is_canonical));
    }
    names.extend(attached.iter().cloned());

    let resolver = HickoryResolver::new(&opts.resolvers, opts.dns_timeout)?;
    let server_ip = live.server_ip.ok_or(DnsError::NoServerIp)?;
    let accept = AcceptSet::new(&[server_ip], &desired.dns.also_accept)?;
    let list: Vec<String> = names.iter().map(|n| n.as_str().to_string()).collect();
    tracing::info!(
        names = list.len(),
        concurrency = opts.concurrency,
        "checking DNS"
    );
    let started = std::time::Instant::now();
    opts.progress.start(list.len() as u64);
    let counting = Counting {
        inner: &resolver,
        progress: &opts.progress,
    };
    let found = dns::check_names(&counting, &list, &accept, opts.concurrency).await;
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        names = list.len(),
        dns_ms = (secs * 1000.0) as u64,
        lookups_per_sec = (list.len() as f64 / secs.max(1e-9)) as u64,
        "DNS checks done"
    );
    let dns: BTreeMap<DomainName, DnsFinding> = found
        .into_iter()
        .map(|(n, f)| (DomainName::from_live(&n), f))
        .collect();

    let probe_names: Vec<DomainName> = attached.into_iter().collect();
    tracing::info!(
        names = probe_names.len(),
        port = opts.tls_port,
        "reading presented certificates"
    );
    let started = std::time::Instant::now();
    let probes = probe_names.len();
    opts.progress.start(probes as u64);
    let progress = &opts.progress;
    let now = jiff::Timestamp::now().as_second();
    let ip = server_ip;
    let tls: BTreeMap<DomainName, Coverage> = futures_util::stream::iter(probe_names)
        .map(|name| async move {
            let coverage =
                match tls::probe(ip, opts.tls_port, name.as_str(), opts.tls_timeout).await {
                    Ok(cert) if tls::covers(&cert, name.as_str(), now) => Coverage::Covered {
                        days_left: tls::days_left(&cert, now),
                    },
                    Ok(cert) if cert.not_after <= now => Coverage::NotCovered {
                        why: format!(
                            "the certificate expired {} days ago",
                            -tls::days_left(&cert, now)
                        ),
                    },
                    Ok(cert) if cert.not_before > now => Coverage::NotCovered {
                        why: "the certificate is not valid yet".into(),
                    },
                    Ok(_) => Coverage::NotCovered {
                        why: "the presented certificate does not name it".into(),
                    },
                    Err(e) => Coverage::Unknown { why: e.to_string() },
                };
            progress.advance();
            (name, coverage)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    tracing::info!(
        names = probes,
        tls_ms = started.elapsed().as_millis() as u64,
        "certificate checks done"
    );
    Ok(Checks {
        dns_checked: true,
        dns,
        tls,
        system_resolvers: resolver.system_name_servers().map(<[IpAddr]>::to_vec),
    })
}
