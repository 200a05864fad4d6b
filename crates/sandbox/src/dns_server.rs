//! The sandbox's authoritative DNS server: answers A, AAAA and CNAME queries on loopback from
//! a [`ZoneSource`] that it reads on every query, over UDP and TCP on the same port.
//!
//! Owns the wire side of the simulated zone (built on hickory-server's `RequestHandler`). It
//! must not hold zone data of its own, cache answers, recurse, or listen anywhere the caller did
//! not ask for (tests and the sandbox pass loopback addresses only).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{
    Edns, Header, HeaderCounts, MessageType, Metadata, OpCode, ResponseCode,
};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::Notify;

/// One record of a name in the simulated zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneRecord {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// An alias to another name (written without the trailing dot).
    Cname(String),
}

/// Where the server reads the zone from, on every query (the zone changes while it runs).
pub trait ZoneSource: Send + Sync + 'static {
    /// The records of `name` (lower case, no trailing dot). `None`: the name does not exist
    /// (NXDOMAIN); `Some(vec![])`: it exists without records (NOERROR, empty answer).
    fn records(&self, name: &str) -> Option<Vec<ZoneRecord>>;

    /// Whether a CNAME answer carries the rest of the chain, as most authoritative servers do
    /// for targets they hold (`true`), or only the CNAME itself, leaving the resolver to follow
    /// it (`false`).
    fn answer_cname_chain(&self) -> bool {
        true
    }
}

/// A running DNS server; dropping the handle stops it too.
#[derive(Debug)]
pub struct DnsServerHandle {
    addr: SocketAddr,
    stop: Arc<Notify>,
}

impl DnsServerHandle {
    /// The address it listens on, for UDP and TCP alike.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting queries (in the background; returns at once).
    pub fn shutdown(&self) {
        self.stop.notify_one();
    }
}

impl Drop for DnsServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// How long a TCP client may stay idle before the server closes the connection.
const TCP_IDLE: Duration = Duration::from_secs(5);
/// Longest CNAME chain the server follows inside its zone when it answers a chain.
const MAX_CHAIN: usize = 8;
/// Tries at finding a port free for both UDP and TCP when the caller asked for port 0.
const PORT_TRIES: usize = 16;

/// Starts the server on `listen` (port 0 picks a port free for both UDP and TCP).
pub async fn serve_dns(
    source: Arc<dyn ZoneSource>,
    listen: SocketAddr,
) -> std::io::Result<DnsServerHandle> {
    let (udp, tcp) = bind_both(listen).await?;
    let addr = udp.local_addr()?;

    let mut server = Server::new(ZoneHandler { source });
    server.register_socket(udp);
    server.register_listener(tcp, TCP_IDLE, 64);

    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = stopped.notified() => {
                if let Err(error) = server.shutdown_gracefully().await {
                    tracing::debug!(%error, "sandbox DNS server stopped with an error");
                }
            }
            result = server.block_until_done() => {
                if let Err(error) = result {
                    tracing::warn!(%error, "sandbox DNS server failed");
                }
            }
        }
    });
    Ok(DnsServerHandle { addr, stop })
}

async fn bind_both(listen: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    if listen.port() != 0 {
        let udp = UdpSocket::bind(listen).await?;
        let tcp = TcpListener::bind(listen).await?;
        return Ok((udp, tcp));
    }
    let mut last_error = None;
    for _ in 0..PORT_TRIES {
        let udp = UdpSocket::bind(listen).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no port free for UDP and TCP")))
}

struct ZoneHandler {
    source: Arc<dyn ZoneSource>,
}

/// What the zone says for one query: the answer records and the response code.
fn answer(source: &dyn ZoneSource, qname: &Name, qtype: RecordType) -> (Vec<Record>, ResponseCode) {
    let mut answers = Vec::new();
    let mut owner = qname.clone();
    let mut key = plain(qname);
    for _ in 0..MAX_CHAIN {
        let Some(records) = source.records(&key) else {
            // The first name missing is NXDOMAIN; a missing chain target too (RFC 6604: the
            // code speaks for the last name of the chain).
            return (answers, ResponseCode::NXDomain);
        };
        let cname = records.iter().find_map(|r| match r {
            ZoneRecord::Cname(target) => Some(target.clone()),
            _ => None,
        });
        match cname {
            Some(target) if qtype != RecordType::CNAME => {
                let Ok(target_name) =
                    Name::from_ascii(format!("{}.", target.trim_end_matches('.')))
                else {
                    return (answers, ResponseCode::ServFail);
                };
                answers.push(Record::from_rdata(
                    owner.clone(),
                    0,
                    RData::CNAME(CNAME(target_name.clone())),
                ));
                if !source.answer_cname_chain() {
                    return (answers, ResponseCode::NoError);
                }
                owner = target_name;
                key = plain(&owner);
            }
            _ => {
                for record in &records {
                    let rdata = match (record, qtype) {
                        (ZoneRecord::A(ip), RecordType::A) => RData::A(A(*ip)),
                        (ZoneRecord::Aaaa(ip), RecordType::AAAA) => RData::AAAA(AAAA(*ip)),
                        (ZoneRecord::Cname(target), RecordType::CNAME) => {
                            match Name::from_ascii(format!("{}.", target.trim_end_matches('.'))) {
                                Ok(name) => RData::CNAME(CNAME(name)),
                                Err(_) => return (answers, ResponseCode::ServFail),
                            }
                        }
                        _ => continue,
                    };
                    answers.push(Record::from_rdata(owner.clone(), 0, rdata));
                }
                return (answers, ResponseCode::NoError);
            }
        }
    }
    // A chain longer than MAX_CHAIN (or a loop): what a real server would call a failure.
    (answers, ResponseCode::ServFail)
}

fn plain(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

#[async_trait::async_trait]
impl RequestHandler for ZoneHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let response_edns = request.edns.as_ref().map(|req_edns| {
            let mut edns = Edns::new();
            edns.set_max_payload(req_edns.max_payload().max(512));
            edns.set_version(0);
            edns
        });
        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &response_edns {
            builder.edns(edns);
        }

        let is_query = request.metadata.message_type == MessageType::Query
            && request.metadata.op_code == OpCode::Query;
        let info = match (is_query, request.request_info()) {
            (true, Ok(info)) => info,
            (true, Err(_)) => {
                let response = builder.error_msg(&request.metadata, ResponseCode::FormErr);
                return send(&mut response_handle, response, &request.metadata).await;
            }
            (false, _) => {
                let response = builder.error_msg(&request.metadata, ResponseCode::NotImp);
                return send(&mut response_handle, response, &request.metadata).await;
            }
        };

        let query = info.query;
        let (records, code) = answer(
            self.source.as_ref(),
            query.original().name(),
            query.query_type(),
        );
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        metadata.response_code = code;
        let response = builder.build(metadata, records.iter(), [], [], []);
        send(&mut response_handle, response, &request.metadata).await
    }
}

async fn send<'a, R: ResponseHandler>(
    handle: &mut R,
    response: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    request: &Metadata,
) -> ResponseInfo {
    match handle.send_response(response).await {
        Ok(info) => info,
        Err(error) => {
            tracing::debug!(%error, "sandbox DNS server could not send a response");
            let mut metadata = Metadata::response_from_request(request);
            metadata.response_code = ResponseCode::ServFail;
            ResponseInfo::from(Header {
                metadata,
                counts: HeaderCounts::default(),
            })
        }
    }
}
