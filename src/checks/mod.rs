//! Pre-flight checks against the outside world: DNS readiness (`dns`) and certificate
//! coverage over TLS (`tls`). The only module that speaks DNS or opens TLS connections; it
//! reports findings as model types (`model::Checks`, which the planner reads without this
//! module) and must not plan, print, or talk to RunCloud.

pub mod dns;
pub mod tls;
pub mod verify;

#[cfg(test)]
mod tests;

use crate::desired::Desired;
use crate::model::Checks;
use crate::model::{Coverage, DnsFinding, DomainName, LiveState, cert_names};
use crate::progress::Counter;
use dns::{AcceptSet, DnsError, HickoryResolver};
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

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
    ) -> std::pin::Pin<Box<dyn Future<Output = dns::Lookup> + Send + 'a>> {
        Box::pin(async move {
            let found = self.inner.lookup(name).await;
            self.progress.advance();
            found
        })
    }
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
    let accept = AcceptSet::new(
        &[server_ip],
        desired.dns.also_accept.iter().map(|entry| entry.net),
    );
    let dns = look_up(&resolver, &names, &accept, opts).await;
    let tls = read_certificates(server_ip, attached.into_iter().collect(), opts).await;
    Ok(Checks {
        dns_checked: true,
        dns,
        tls,
        system_resolvers: resolver.system_name_servers().map(<[IpAddr]>::to_vec),
    })
}

/// The DNS finding of each of `names`.
async fn look_up(
    resolver: &HickoryResolver,
    names: &BTreeSet<DomainName>,
    accept: &AcceptSet,
    opts: &CheckOptions,
) -> BTreeMap<DomainName, DnsFinding> {
    let list: Vec<String> = names.iter().map(|n| n.as_str().to_string()).collect();
    tracing::info!(
        names = list.len(),
        concurrency = opts.concurrency,
        "checking DNS"
    );
    let started = std::time::Instant::now();
    opts.progress.start(list.len() as u64);
    let counting = Counting {
        inner: resolver,
        progress: &opts.progress,
    };
    let found = dns::check_names(&counting, &list, accept, opts.concurrency).await;
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        names = list.len(),
        dns_ms = (secs * 1000.0) as u64,
        lookups_per_sec = (list.len() as f64 / secs.max(1e-9)) as u64,
        "DNS checks done"
    );
    found
        .into_iter()
        .map(|(n, f)| (DomainName::from_live(&n), f))
        .collect()
}

/// What the certificate the server at `ip` presents for each of `names` says about it.
async fn read_certificates(
    ip: IpAddr,
    names: Vec<DomainName>,
    opts: &CheckOptions,
) -> BTreeMap<DomainName, Coverage> {
    tracing::info!(
        names = names.len(),
        port = opts.tls_port,
        "reading presented certificates"
    );
    let started = std::time::Instant::now();
    let probes = names.len();
    opts.progress.start(probes as u64);
    let progress = &opts.progress;
    let now = jiff::Timestamp::now().as_second();
    let tls = futures_util::stream::iter(names)
        .map(|name| async move {
            let found = tls::probe(ip, opts.tls_port, name.as_str(), opts.tls_timeout).await;
            let coverage = coverage(&name, found, now);
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
    tls
}

/// What a probe for `name` found says about its coverage at `now`.
fn coverage(
    name: &DomainName,
    found: Result<tls::PresentedCert, tls::TlsProbeError>,
    now: i64,
) -> Coverage {
    match found {
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
    }
}
