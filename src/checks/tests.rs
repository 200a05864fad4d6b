//! Tests of the DNS and TLS checks against the sandbox's real DNS and TLS servers on loopback.
//!
//! Owns no production code. Every socket here is bound to 127.0.0.1; no test may reach a
//! system resolver or any address off this machine (addresses in zone data are documentation
//! ranges that are never contacted).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::dns::{AcceptSet, HickoryResolver, Lookup, Resolve, check_names, classify};
use super::tls::{PresentedCert, TlsProbeError, covers, days_left, probe};
use crate::model::DnsFinding;
use rcdomains_sandbox::dns_server::{DnsServerHandle, ZoneRecord, ZoneSource, serve_dns};
use rcdomains_sandbox::tls_server::{CertSource, CertSpec, TlsServerHandle, serve_tls};

const SERVER_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
const ELSEWHERE_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const ELSEWHERE_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x99);
const LOOPBACK: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

// ---------------------------------------------------------------- DNS helpers

#[derive(Default)]
struct MapZone {
    names: Mutex<HashMap<String, Vec<ZoneRecord>>>,
    chain: bool,
}

impl MapZone {
    fn new(chain: bool) -> Arc<Self> {
        Arc::new(Self {
            names: Mutex::new(HashMap::new()),
            chain,
        })
    }

    fn set(&self, name: &str, records: Vec<ZoneRecord>) {
        self.names
            .lock()
            .expect("zone lock")
            .insert(name.to_owned(), records);
    }
}

impl ZoneSource for MapZone {
    fn records(&self, name: &str) -> Option<Vec<ZoneRecord>> {
        self.names.lock().expect("zone lock").get(name).cloned()
    }

    fn answer_cname_chain(&self) -> bool {
        self.chain
    }
}

fn accept_server() -> AcceptSet {
    AcceptSet::new(&[IpAddr::V4(SERVER_V4)], [])
}

async fn start(zone: Arc<MapZone>) -> (DnsServerHandle, HickoryResolver) {
    let server = serve_dns(zone, LOOPBACK).await.expect("DNS server starts");
    let resolver =
        HickoryResolver::new(&[server.addr()], Duration::from_secs(2)).expect("resolver");
    (server, resolver)
}

async fn finding(resolver: &HickoryResolver, name: &str, accept: &AcceptSet) -> DnsFinding {
    classify(&resolver.lookup(name).await, accept)
}

fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|s| s.parse().expect("ip")).collect()
}

// ---------------------------------------------------------------- DNS findings

#[tokio::test]
async fn ready_when_the_only_address_is_the_server() {
    let zone = MapZone::new(true);
    zone.set("shop.example.org", vec![ZoneRecord::A(SERVER_V4)]);
    let (_server, resolver) = start(zone).await;

    let found = finding(&resolver, "shop.example.org", &accept_server()).await;
    assert_eq!(
        found,
        DnsFinding::Ready {
            addresses: ips(&["203.0.113.10"])
        }
    );
    assert!(found.is_ready());
    assert_eq!(found.label(), "ready");
}

#[tokio::test]
async fn mismatch_lists_the_addresses_found() {
    let zone = MapZone::new(true);
    zone.set(
        "blog.example.net",
        vec![
            ZoneRecord::A(ELSEWHERE_V4),
            ZoneRecord::A(Ipv4Addr::new(198, 51, 100, 8)),
        ],
    );
    let (_server, resolver) = start(zone).await;

    let found = finding(&resolver, "blog.example.net", &accept_server()).await;
    assert_eq!(
        found,
        DnsFinding::Mismatch {
            addresses: ips(&["198.51.100.7", "198.51.100.8"])
        }
    );
    assert!(!found.is_ready());
}

#[tokio::test]
async fn partial_when_one_a_record_points_elsewhere() {
    let zone = MapZone::new(true);
    zone.set(
        "half.example.com",
        vec![ZoneRecord::A(ELSEWHERE_V4), ZoneRecord::A(SERVER_V4)],
    );
    let (_server, resolver) = start(zone).await;

    let found = finding(&resolver, "half.example.com", &accept_server()).await;
    assert_eq!(
        found,
        DnsFinding::Partial {
            addresses: ips(&["198.51.100.7", "203.0.113.10"])
        }
    );
    assert_eq!(found.label(), "partial");
}

#[tokio::test]
async fn nxdomain_when_the_name_does_not_exist() {
    let zone = MapZone::new(true);
    zone.set("exists.example.org", vec![ZoneRecord::A(SERVER_V4)]);
    let (_server, resolver) = start(zone).await;

    assert_eq!(
        resolver.lookup("missing.example.org").await,
        Lookup::NxDomain
    );
    let found = finding(&resolver, "missing.example.org", &accept_server()).await;
    assert_eq!(found, DnsFinding::Nxdomain);
    assert_eq!(found.label(), "nxdomain");
}

#[tokio::test]
async fn no_records_when_the_name_exists_without_addresses() {
    let zone = MapZone::new(true);
    zone.set("empty.example.org", vec![]);
    let (_server, resolver) = start(zone).await;

    assert_eq!(
        resolver.lookup("empty.example.org").await,
        Lookup::NoRecords
    );
    let found = finding(&resolver, "empty.example.org", &accept_server()).await;
    assert_eq!(found, DnsFinding::NoRecords);
    assert_eq!(found.label(), "no-records");
}

#[tokio::test]
async fn servfail_from_a_cname_loop_is_an_error() {
    let zone = MapZone::new(true);
    zone.set(
        "a.loop.example",
        vec![ZoneRecord::Cname("b.loop.example".into())],
    );
    zone.set(
        "b.loop.example",
        vec![ZoneRecord::Cname("a.loop.example".into())],
    );
    let (_server, resolver) = start(zone).await;

    let found = finding(&resolver, "a.loop.example", &accept_server()).await;
    match &found {
        DnsFinding::Error { reason } => {
            assert!(
                reason.contains("SERVFAIL") || reason.contains("Server Failure"),
                "{reason}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Binds a UDP socket and a TCP listener on one loopback port; `truncate` makes the UDP side
/// answer every query with TC=1 (pushing the resolver to TCP), otherwise it never answers.
/// The TCP side accepts and never answers.
async fn silent_server(
    truncate: bool,
) -> (SocketAddr, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    // The UDP port the system picks may be taken for TCP (another test's connection): try
    // another until both bind.
    let mut tries = 0;
    let (udp, tcp, addr) = loop {
        let udp = tokio::net::UdpSocket::bind(LOOPBACK).await.expect("udp");
        let addr = udp.local_addr().expect("addr");
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => break (udp, tcp, addr),
            Err(e) if tries < 50 => {
                tries += 1;
                let _ = e;
            }
            Err(e) => panic!("no port free for both UDP and TCP: {e}"),
        }
    };
    let tcp_accepts = Arc::new(AtomicUsize::new(0));
    let accepts = tcp_accepts.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        let mut buf = vec![0_u8; 4096];
        loop {
            tokio::select! {
                received = udp.recv_from(&mut buf) => {
                    let Ok((len, peer)) = received else { continue };
                    if truncate && let Some(reply) = truncated_reply(&buf[..len]) {
                        let _ = udp.send_to(&reply, peer).await;
                    }
                }
                accepted = tcp.accept() => {
                    if let Ok((stream, _)) = accepted {
                        accepts.fetch_add(1, Ordering::SeqCst);
                        held.push(stream);
                    }
                }
            }
        }
    });
    (addr, tcp_accepts, task)
}

/// The header and question of `query`, flagged as a truncated response with no records.
fn truncated_reply(query: &[u8]) -> Option<Vec<u8>> {
    let mut end = 12;
    loop {
        let len = usize::from(*query.get(end)?);
        end += 1;
        if len == 0 {
            break;
        }
        end += len;
    }
    end += 4; // QTYPE and QCLASS
    let mut reply = query.get(..end)?.to_vec();
    reply[2] = 0x80 | (reply[2] & 0x79) | 0x02; // QR, keep opcode and RD, set TC
    reply[3] = 0; // NOERROR
    reply[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    Some(reply)
}

#[tokio::test]
async fn error_not_ready_when_the_resolver_never_answers() {
    let (addr, _tcp_accepts, task) = silent_server(false).await;
    let timeout = Duration::from_millis(300);
    let resolver = HickoryResolver::new(&[addr], timeout).expect("resolver");

    let found = finding(&resolver, "shop.example.org", &accept_server()).await;
    task.abort();

    assert_eq!(found.label(), "error", "{found:?}");
    assert!(!found.is_ready());
}

#[tokio::test]
async fn error_not_ready_when_tcp_fallback_never_answers() {
    let (addr, tcp_accepts, task) = silent_server(true).await;
    let timeout = Duration::from_millis(300);
    let resolver = HickoryResolver::new(&[addr], timeout).expect("resolver");

    let found = finding(&resolver, "shop.example.org", &accept_server()).await;
    task.abort();

    assert_eq!(found.label(), "error", "{found:?}");
    assert!(!found.is_ready());
    assert!(
        tcp_accepts.load(Ordering::SeqCst) >= 1,
        "the truncated UDP answer should have sent the resolver to TCP"
    );
}

async fn two_hop_chain(chain: bool) {
    let zone = MapZone::new(chain);
    zone.set(
        "www.shop.example",
        vec![ZoneRecord::Cname("edge.cdn.example".into())],
    );
    zone.set(
        "edge.cdn.example",
        vec![ZoneRecord::Cname("origin.host.example".into())],
    );
    zone.set("origin.host.example", vec![ZoneRecord::A(SERVER_V4)]);
    let (_server, resolver) = start(zone).await;

    let lookup = resolver.lookup("www.shop.example").await;
    assert_eq!(
        lookup,
        Lookup::Answer {
            v4: vec![SERVER_V4],
            v6: vec![],
            cnames: vec!["edge.cdn.example".into(), "origin.host.example".into()],
        }
    );
    assert_eq!(
        classify(&lookup, &accept_server()),
        DnsFinding::Ready {
            addresses: ips(&["203.0.113.10"])
        }
    );
}

#[tokio::test]
async fn cname_chain_of_two_hops_to_the_server_is_ready_when_the_server_answers_the_chain() {
    two_hop_chain(true).await;
}

#[tokio::test]
async fn cname_chain_of_two_hops_to_the_server_is_ready_when_the_resolver_follows_it() {
    two_hop_chain(false).await;
}

#[tokio::test]
async fn an_aaaa_elsewhere_makes_a_name_at_the_server_not_ready() {
    let zone = MapZone::new(true);
    zone.set(
        "dual.example.org",
        vec![ZoneRecord::A(SERVER_V4), ZoneRecord::Aaaa(ELSEWHERE_V6)],
    );
    let (_server, resolver) = start(zone).await;

    let found = finding(&resolver, "dual.example.org", &accept_server()).await;
    assert_eq!(
        found,
        DnsFinding::Partial {
            addresses: ips(&["203.0.113.10", "2001:db8::99"])
        }
    );
    assert!(!found.is_ready());
}

#[tokio::test]
async fn also_accept_cidrs_count_as_the_server_for_v4_and_v6() {
    let zone = MapZone::new(true);
    zone.set(
        "cdn.example.org",
        vec![
            ZoneRecord::A(Ipv4Addr::new(198, 51, 100, 77)),
            ZoneRecord::Aaaa("2001:db8:cafe::1".parse().expect("v6")),
        ],
    );
    zone.set(
        "other.example.org",
        vec![ZoneRecord::Aaaa("2001:db8:beef::1".parse().expect("v6"))],
    );
    let (_server, resolver) = start(zone).await;
    let accept = AcceptSet::new(
        &[IpAddr::V4(SERVER_V4)],
        ["198.51.100.0/24", "2001:db8:cafe::/48"].map(|n| n.parse().expect("net")),
    );

    assert_eq!(
        finding(&resolver, "cdn.example.org", &accept).await,
        DnsFinding::Ready {
            addresses: ips(&["198.51.100.77", "2001:db8:cafe::1"])
        }
    );
    assert_eq!(
        finding(&resolver, "other.example.org", &accept).await,
        DnsFinding::Mismatch {
            addresses: ips(&["2001:db8:beef::1"])
        }
    );
}

#[test]
fn accept_set_holds_the_server_and_the_accepted_networks() {
    let accept = AcceptSet::new(
        &[IpAddr::V4(SERVER_V4)],
        ["192.0.2.1/32", "2001:db8::/64"].map(|n| n.parse().expect("net")),
    );
    assert!(accept.contains(IpAddr::V4(SERVER_V4)));
    assert!(accept.contains("192.0.2.1".parse().expect("ip")));
    assert!(!accept.contains("192.0.2.2".parse().expect("ip")));
    assert!(accept.contains("2001:db8::1".parse().expect("ip")));
    assert!(!accept.contains("2001:db8:1::1".parse().expect("ip")));
}

#[tokio::test]
async fn the_zone_is_read_on_every_query() {
    let zone = MapZone::new(true);
    zone.set("moving.example.org", vec![ZoneRecord::A(ELSEWHERE_V4)]);
    let (_server, resolver) = start(zone.clone()).await;
    let accept = accept_server();

    assert_eq!(
        finding(&resolver, "moving.example.org", &accept)
            .await
            .label(),
        "mismatch"
    );
    zone.set("moving.example.org", vec![ZoneRecord::A(SERVER_V4)]);
    assert_eq!(
        finding(&resolver, "moving.example.org", &accept)
            .await
            .label(),
        "ready"
    );
}

#[test]
fn classify_is_pure_and_an_answer_without_addresses_has_no_records() {
    let accept = accept_server();
    let only_cname = Lookup::Answer {
        v4: vec![],
        v6: vec![],
        cnames: vec!["gone.example".into()],
    };
    assert_eq!(classify(&only_cname, &accept), DnsFinding::NoRecords);
    assert_eq!(
        classify(&Lookup::Error("request timed out".into()), &accept),
        DnsFinding::Error {
            reason: "request timed out".into()
        }
    );
}

#[test]
fn findings_serialise_with_a_kebab_case_status_tag() {
    let json = serde_json::to_value(DnsFinding::Mismatch {
        addresses: ips(&["198.51.100.7"]),
    })
    .expect("json");
    assert_eq!(
        json,
        serde_json::json!({"status": "mismatch", "addresses": ["198.51.100.7"]})
    );
    let json = serde_json::to_value(DnsFinding::NoRecords).expect("json");
    assert_eq!(json, serde_json::json!({"status": "no-records"}));
}

fn big_zone(count: usize) -> (Arc<MapZone>, Vec<String>) {
    let zone = MapZone::new(true);
    let mut names = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("site{i}.example.org");
        match i % 4 {
            0 => zone.set(&name, vec![ZoneRecord::A(SERVER_V4)]),
            1 => zone.set(&name, vec![ZoneRecord::A(ELSEWHERE_V4)]),
            2 => {} // NXDOMAIN
            _ => zone.set(&name, vec![]),
        }
        names.push(name);
    }
    (zone, names)
}

fn count_labels(
    findings: &std::collections::BTreeMap<String, DnsFinding>,
) -> HashMap<&'static str, usize> {
    let mut counts = HashMap::new();
    for finding in findings.values() {
        *counts.entry(finding.label()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_classifies_two_thousand_names_at_concurrency_64() {
    let (zone, names) = big_zone(2_000);
    let (_server, resolver) = start(zone).await;

    let findings = check_names(&resolver, &names, &accept_server(), 64).await;

    assert_eq!(findings.len(), 2_000);
    let counts = count_labels(&findings);
    assert_eq!(counts.get("ready"), Some(&500), "{counts:?}");
    assert_eq!(counts.get("mismatch"), Some(&500), "{counts:?}");
    assert_eq!(counts.get("nxdomain"), Some(&500), "{counts:?}");
    assert_eq!(counts.get("no-records"), Some(&500), "{counts:?}");
    assert_eq!(
        findings.get("site0.example.org"),
        Some(&DnsFinding::Ready {
            addresses: ips(&["203.0.113.10"])
        })
    );
}

/// Throughput of the real resolver against the sandbox server; run with
/// `cargo test --lib -- --ignored --nocapture measure_`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a test"]
async fn measure_two_thousand_names_at_concurrency_64() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_test_writer())
        .with(
            tracing_subscriber::filter::Targets::new()
                .with_target("rcdomains", tracing::Level::INFO),
        )
        .try_init();
    let (zone, names) = big_zone(2_000);
    let (_server, resolver) = start(zone).await;
    let accept = accept_server();

    for round in 1..=3 {
        let began = Instant::now();
        let findings = check_names(&resolver, &names, &accept, 64).await;
        let took = began.elapsed();
        let errors = count_labels(&findings).get("error").copied().unwrap_or(0);
        tracing::info!(
            round,
            names = findings.len(),
            errors,
            wall_ms = took.as_millis() as u64,
            lookups_per_second = (findings.len() as f64 / took.as_secs_f64()).round(),
            "2,000 names through HickoryResolver against serve_dns on loopback, concurrency 64"
        );
    }
}

// ---------------------------------------------------------------- TLS helpers

#[derive(Default)]
struct MapCerts {
    certs: HashMap<String, CertSpec>,
}

impl CertSource for MapCerts {
    fn certificate_for(&self, sni: &str) -> Option<CertSpec> {
        if let Some(spec) = self.certs.get(sni) {
            return Some(spec.clone());
        }
        let (_, parent) = sni.split_once('.')?;
        self.certs.get(&format!("*.{parent}")).cloned()
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

const DAY: i64 = 86_400;

async fn tls_endpoint(now: i64) -> TlsServerHandle {
    let mut certs = MapCerts::default();
    let live = CertSpec {
        names: vec!["shop.example.org".into(), "www.shop.example.org".into()],
        not_before: now - DAY,
        not_after: now + 60 * DAY,
    };
    certs.certs.insert("shop.example.org".into(), live.clone());
    certs.certs.insert("www.shop.example.org".into(), live);
    certs.certs.insert(
        "old.example.net".into(),
        CertSpec {
            names: vec!["old.example.net".into()],
            not_before: now - 90 * DAY,
            not_after: now - DAY,
        },
    );
    certs.certs.insert(
        "*.wild.example".into(),
        CertSpec {
            names: vec!["*.wild.example".into()],
            not_before: now - DAY,
            not_after: now + 30 * DAY,
        },
    );
    serve_tls(Arc::new(certs), LOOPBACK)
        .await
        .expect("TLS endpoint starts")
}

async fn probe_local(server: &TlsServerHandle, sni: &str) -> Result<PresentedCert, TlsProbeError> {
    probe(
        server.addr().ip(),
        server.addr().port(),
        sni,
        Duration::from_secs(5),
    )
    .await
}

// ---------------------------------------------------------------- TLS coverage

#[tokio::test]
async fn probe_reads_the_sans_of_a_covering_certificate() {
    let now = now_unix();
    let server = tls_endpoint(now).await;

    let cert = probe_local(&server, "shop.example.org")
        .await
        .expect("probe");
    assert_eq!(
        cert.names,
        vec![
            "shop.example.org".to_owned(),
            "www.shop.example.org".to_owned()
        ]
    );
    assert_eq!(cert.not_before, now - DAY);
    assert_eq!(cert.not_after, now + 60 * DAY);
    assert!(covers(&cert, "shop.example.org", now));
    assert!(covers(&cert, "WWW.shop.example.org.", now));
    assert!(!covers(&cert, "blog.example.org", now));
    assert_eq!(days_left(&cert, now), 60);
}

#[tokio::test]
async fn an_expired_certificate_does_not_cover_and_has_negative_days_left() {
    let now = now_unix();
    let server = tls_endpoint(now).await;

    let cert = probe_local(&server, "old.example.net")
        .await
        .expect("probe");
    assert_eq!(cert.names, vec!["old.example.net".to_owned()]);
    assert!(!covers(&cert, "old.example.net", now));
    assert_eq!(days_left(&cert, now), -1);
}

#[tokio::test]
async fn a_wildcard_covers_exactly_one_left_label() {
    let now = now_unix();
    let server = tls_endpoint(now).await;

    let cert = probe_local(&server, "a.wild.example").await.expect("probe");
    assert_eq!(cert.names, vec!["*.wild.example".to_owned()]);
    assert!(covers(&cert, "a.wild.example", now));
    assert!(covers(&cert, "b.wild.example", now));
    assert!(!covers(&cert, "wild.example", now));
    assert!(!covers(&cert, "x.a.wild.example", now));
    assert_eq!(days_left(&cert, now), 30);
}

#[tokio::test]
async fn an_sni_without_a_certificate_is_refused_with_unrecognised_name() {
    let server = tls_endpoint(now_unix()).await;

    let err = probe_local(&server, "nobody.example.com")
        .await
        .expect_err("no certificate for that name");
    let TlsProbeError::Handshake { source, sni, .. } = &err else {
        panic!("expected a handshake error, got {err:?}");
    };
    assert_eq!(sni, "nobody.example.com");
    let tls_error = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    assert_eq!(
        tls_error,
        Some(&rustls::Error::AlertReceived(
            rustls::AlertDescription::UnrecognisedName
        ))
    );
}

#[tokio::test]
async fn a_port_with_nothing_listening_is_a_connect_error() {
    let listener = std::net::TcpListener::bind(LOOPBACK).expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);

    let err = probe(
        addr.ip(),
        addr.port(),
        "shop.example.org",
        Duration::from_secs(5),
    )
    .await
    .expect_err("nothing listens");
    assert!(
        matches!(err, TlsProbeError::Connect { addr: a, .. } if a == addr),
        "{err:?}"
    );
}

#[test]
fn validity_window_is_half_open() {
    let cert = PresentedCert {
        names: vec!["a.example".into()],
        not_before: 1_000,
        not_after: 2_000,
    };
    assert!(!covers(&cert, "a.example", 999));
    assert!(covers(&cert, "a.example", 1_000));
    assert!(covers(&cert, "a.example", 1_999));
    assert!(!covers(&cert, "a.example", 2_000));
    assert_eq!(days_left(&cert, 2_000 - DAY), 1);
    assert_eq!(days_left(&cert, 2_001), -1);
}

// ---------------------------------------------------------------- the system resolver

#[test]
fn named_resolvers_are_not_the_systems() {
    let resolver =
        HickoryResolver::new(&["127.0.0.1:53".parse().unwrap()], Duration::from_secs(1)).unwrap();
    assert_eq!(resolver.system_name_servers(), None);
}

/// Checks through the system resolver (10.0.0.53) with these findings.
fn through_the_system(findings: &[(&str, DnsFinding)]) -> super::Checks {
    super::Checks {
        dns_checked: true,
        dns: findings
            .iter()
            .map(|(name, f)| (crate::model::DomainName::from_live(name), f.clone()))
            .collect(),
        system_resolvers: Some(ips(&["10.0.0.53"])),
        ..super::Checks::default()
    }
}

#[test]
fn every_name_failing_through_the_system_resolver_suspects_the_resolver() {
    let failed = || DnsFinding::Error {
        reason: "A: request timed out".into(),
    };
    let checks = through_the_system(&[
        ("a.example", DnsFinding::Nxdomain),
        ("b.example", failed()),
        ("www.b.example", failed()),
    ]);
    let failure = checks.system_resolver_failed_all().expect("all failed");
    assert_eq!(
        (failure.servers.clone(), failure.nxdomain, failure.error),
        (ips(&["10.0.0.53"]), 1, 2)
    );
    assert_eq!(failure.names(), 3);

    // Through a named resolver (`--resolver`) there is nothing to suspect ...
    let mut named = checks.clone();
    named.system_resolvers = None;
    assert_eq!(named.system_resolver_failed_all(), None);
    // ... nor when DNS was not checked ...
    let mut skipped = checks.clone();
    skipped.dns_checked = false;
    assert_eq!(skipped.system_resolver_failed_all(), None);
    // ... nor when one name resolved, whatever to ...
    for answered in [
        DnsFinding::Ready {
            addresses: vec![IpAddr::V4(SERVER_V4)],
        },
        DnsFinding::Mismatch {
            addresses: vec![IpAddr::V4(ELSEWHERE_V4)],
        },
        DnsFinding::NoRecords,
    ] {
        let one_answered = through_the_system(&[
            ("a.example", DnsFinding::Nxdomain),
            ("b.example", failed()),
            ("c.example", answered.clone()),
        ]);
        assert_eq!(
            one_answered.system_resolver_failed_all(),
            None,
            "{answered:?}"
        );
    }
    // ... nor for one name that does not exist, an ordinary thing.
    let one = through_the_system(&[("a.example", DnsFinding::Nxdomain)]);
    assert_eq!(one.system_resolver_failed_all(), None);
    let none = through_the_system(&[]);
    assert_eq!(none.system_resolver_failed_all(), None);
}
