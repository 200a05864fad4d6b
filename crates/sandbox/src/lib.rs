//! The sandbox: an in-process simulated RunCloud HTTP API (v3 and v2), DNS zone and TLS
//! endpoint on loopback, over one shared world, for tests, the demo and `rcdomains sandbox`.
//!
//! Owns starting and stopping the servers and the handle tests use to inspect and steer them.
//! Must not depend on rcdomains (it simulates what rcdomains talks to; rcdomains re-exports it
//! as `rcdomains::sandbox` behind its `sandbox` feature), must not print (logs go to
//! `tracing`), and must never log or record credentials.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod api;
mod conn;
pub mod dns_server;
mod fault;
mod handlers;
mod names;
mod seed;
mod state;
mod time;
pub mod tls_server;
mod world;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use dns_server::{DnsServerHandle, ZoneRecord, ZoneSource};
use tls_server::{CertSource, CertSpec, TlsServerHandle};

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use fault::{Fault, FaultKind, FaultParseError};
pub use seed::{
    PaginationStyle, RecordType, Seed, SeedApp, SeedBulk, SeedCert, SeedCredentials, SeedDomain,
    SeedDomainKind, SeedDomainSpec, SeedError, SeedRateLimit, SeedReadings, SeedRecord,
    SeedRedirection, SeedServer, SeedSsl, SeedSslMode, ServerIpField, SslModeFields,
};
pub use world::{CertView, DnsRecord, DomainView, World, WorldError};

/// One request the API received, as logged (never with its credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// Without the query, e.g. `/api/v3/servers/1/webapps/2/domains`.
    pub path: String,
    pub query: Option<String>,
    /// The status answered; 0 when no answer reached the client (`reset`, `lost_response`), or
    /// while the request is still being served.
    pub status: u16,
    pub auth: AuthKind,
}

/// The credentials a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// The configured Bearer token.
    Bearer,
    /// Basic with the configured key and secret (accepted by v2 only).
    Basic,
    /// No Authorization header.
    None,
    /// Anything else: a wrong token or secret, a malformed header, another scheme.
    Invalid,
}

/// A running sandbox. Clones share it; it keeps serving until [`SandboxHandle::shutdown`] (or
/// until the tokio runtime ends).
#[derive(Clone)]
pub struct SandboxHandle {
    api: Arc<state::Api>,
    addr: SocketAddr,
    dns: Arc<DnsServerHandle>,
    tls: Arc<TlsServerHandle>,
    stop: Arc<watch::Sender<bool>>,
    done: watch::Receiver<bool>,
}

/// Where the sandbox's three servers listen.
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    pub api: SocketAddr,
    /// UDP and TCP.
    pub dns: SocketAddr,
    pub tls: SocketAddr,
}

/// Starts the simulated API on `listen` (e.g. `127.0.0.1:0` for any free port), and its DNS
/// zone and TLS endpoint on free ports of the same address; returns once they accept
/// connections. An invalid seed is an `InvalidInput` error.
pub async fn start(seed: Seed, listen: SocketAddr) -> std::io::Result<SandboxHandle> {
    let any = SocketAddr::new(listen.ip(), 0);
    start_on(
        seed,
        Listen {
            api: listen,
            dns: any,
            tls: any,
        },
    )
    .await
}

/// The world as the DNS server's zone.
struct Zone(World);

impl ZoneSource for Zone {
    fn records(&self, name: &str) -> Option<Vec<ZoneRecord>> {
        let records = self.0.zone_records(name)?;
        Some(
            records
                .into_iter()
                .filter_map(|r| match r.kind {
                    RecordType::A => r.value.parse().ok().map(ZoneRecord::A),
                    RecordType::Aaaa => r.value.parse().ok().map(ZoneRecord::Aaaa),
                    RecordType::Cname => Some(ZoneRecord::Cname(r.value)),
                })
                .collect(),
        )
    }
}

/// The world as the TLS endpoint's certificate store.
struct Certs(World);

impl CertSource for Certs {
    fn certificate_for(&self, sni: &str) -> Option<CertSpec> {
        self.0.presented_certificate(sni).map(|c| CertSpec {
            names: c.names,
            not_before: c.not_before,
            not_after: c.not_after,
        })
    }
}

/// Starts the API, the DNS zone and the TLS endpoint where `listen` says.
pub async fn start_on(seed: Seed, listen: Listen) -> std::io::Result<SandboxHandle> {
    seed.validate().map_err(|message| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid sandbox seed: {message}"),
        )
    })?;
    let listener = TcpListener::bind(listen.api).await?;
    let addr = listener.local_addr()?;
    let world = World::from_seed(&seed);
    let dns = dns_server::serve_dns(Arc::new(Zone(world.clone())), listen.dns).await?;
    let tls = tls_server::serve_tls(Arc::new(Certs(world.clone())), listen.tls).await?;
    let api = Arc::new(state::Api::new(world, &seed, addr));
    let service =
        api::router(api.clone()).into_make_service_with_connect_info::<conn::ConnHandle>();
    let (stop, mut stop_rx) = watch::channel(false);
    let (done_tx, done) = watch::channel(false);
    tokio::spawn(async move {
        let signal = async move {
            if stop_rx.wait_for(|stop| *stop).await.is_err() {
                // Every handle is gone without a shutdown: serve until the runtime ends.
                std::future::pending::<()>().await;
            }
        };
        let served = axum::serve(conn::KillListener::new(listener), service)
            .with_graceful_shutdown(signal)
            .await;
        if let Err(e) = served {
            tracing::warn!("sandbox API server stopped: {e}");
        }
        let _ = done_tx.send(true);
    });
    tracing::info!(%addr, dns = %dns.addr(), tls = %tls.addr(), "sandbox RunCloud API, DNS and TLS listening");
    Ok(SandboxHandle {
        api,
        addr,
        dns: Arc::new(dns),
        tls: Arc::new(tls),
        stop: Arc::new(stop),
        done,
    })
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The DNS server (UDP and TCP) serving the world's zone.
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns.addr()
    }

    /// The TLS endpoint presenting the certificates the simulated RunCloud issued.
    pub fn tls_addr(&self) -> SocketAddr {
        self.tls.addr()
    }

    /// The address servers are simulated at (the API's), for seeds' `ip`.
    pub fn ip(&self) -> IpAddr {
        self.addr.ip()
    }

    /// `http://127.0.0.1:PORT/api/v3`.
    pub fn api_url_v3(&self) -> String {
        format!("http://{}/api/v3", self.addr)
    }

    /// `http://127.0.0.1:PORT/api/v2`.
    pub fn api_url_v2(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// The shared world (a cheap clone of the handle).
    pub fn world(&self) -> World {
        self.api.world.clone()
    }

    /// Every request received, in order of arrival.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.api.requests()
    }

    /// The requests with method POST, PUT, PATCH or DELETE, refused ones included.
    pub fn write_requests(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
            .collect()
    }

    pub fn clear_requests(&self) {
        self.api.clear_requests();
    }

    /// Arms a fault now; it hits the next matching requests (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.api.inject(fault);
    }

    /// Stops accepting connections and lets the requests in flight finish.
    pub fn shutdown(&self) {
        self.dns.shutdown();
        self.tls.shutdown();
        let _ = self.stop.send(true);
    }

    /// Waits until the server has stopped (after [`SandboxHandle::shutdown`]).
    pub async fn closed(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|done| *done).await;
    }
}
