//! The sandbox's TLS endpoint: presents, for each SNI, the certificate the simulated RunCloud
//! issued (asked of a [`CertSource`] on every handshake), self-signed with rcgen.
//!
//! Owns the server side of TLS in the sandbox. It must not serve real content (it answers a
//! bare `200 OK`), keep certificates beyond an in-memory cache keyed by their spec, or listen
//! anywhere the caller did not ask for (tests and the sandbox pass loopback addresses only).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rcgen::{CertificateParams, KeyPair};
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{Acceptor, ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::LazyConfigAcceptor;

/// The certificate to present: the names it covers and its validity (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertSpec {
    /// DNS names (may include wildcards such as `*.example.org`).
    pub names: Vec<String>,
    /// Start of validity, unix seconds.
    pub not_before: i64,
    /// End of validity, unix seconds.
    pub not_after: i64,
}

/// Where the endpoint learns which certificate to present, on every handshake.
pub trait CertSource: Send + Sync + 'static {
    /// The certificate for this SNI (lower case), or `None` to refuse the handshake.
    fn certificate_for(&self, sni: &str) -> Option<CertSpec>;
}

/// A running TLS endpoint; dropping the handle stops it too.
#[derive(Debug)]
pub struct TlsServerHandle {
    addr: SocketAddr,
    stop: Arc<Notify>,
}

impl TlsServerHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections (in the background; returns at once).
    pub fn shutdown(&self) {
        self.stop.notify_one();
    }
}

impl Drop for TlsServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Time a client gets to send its ClientHello, finish the handshake, and send a request.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// A fatal `unrecognized_name` (112) alert record, sent when the source has no certificate.
const UNRECOGNISED_NAME_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112];
/// The whole answer to any request over TLS.
const HTTP_OK: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n";

/// Starts the endpoint on `listen` (port 0 picks a free port).
pub async fn serve_tls(
    source: Arc<dyn CertSource>,
    listen: SocketAddr,
) -> std::io::Result<TlsServerHandle> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key_pair = KeyPair::generate().map_err(std::io::Error::other)?;
    let issuer = Arc::new(Issuer {
        provider,
        key_pair,
        configs: Mutex::new(HashMap::new()),
    });

    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stopped.notified() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let source = source.clone();
                        let issuer = issuer.clone();
                        tokio::spawn(async move {
                            let served = tokio::time::timeout(
                                CLIENT_TIMEOUT,
                                serve_connection(stream, source.as_ref(), &issuer),
                            )
                            .await;
                            match served {
                                Ok(Ok(())) => {}
                                Ok(Err(error)) => {
                                    tracing::debug!(%peer, %error, "sandbox TLS connection ended");
                                }
                                Err(_) => tracing::debug!(%peer, "sandbox TLS connection timed out"),
                            }
                        });
                    }
                    Err(error) => {
                        tracing::warn!(%error, "sandbox TLS endpoint could not accept");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
    });
    Ok(TlsServerHandle { addr, stop })
}

/// Reads the ClientHello, asks the source, and either refuses with `unrecognized_name` or
/// completes the handshake with the matching certificate and answers one request.
///
/// The SNI is looked up before the handshake (rather than inside a `ResolvesServerCert` that
/// returns `None`) because rustls refuses a `None` with `access_denied`, and a client should
/// see the alert a real server sends for a name it does not serve.
async fn serve_connection(
    stream: TcpStream,
    source: &dyn CertSource,
    issuer: &Issuer,
) -> std::io::Result<()> {
    let start = LazyConfigAcceptor::new(Acceptor::default(), stream).await?;
    let sni = start
        .client_hello()
        .server_name()
        .map(|name| name.trim_end_matches('.').to_ascii_lowercase());
    let spec = sni.as_deref().and_then(|sni| source.certificate_for(sni));
    let Some(spec) = spec else {
        let mut io = start.io;
        io.write_all(&UNRECOGNISED_NAME_ALERT).await?;
        io.shutdown().await?;
        return Ok(());
    };
    let config = issuer.config_for(&spec)?;
    let mut tls = start.into_stream(config).await?;

    // Answer a request if one comes; a probe that only wanted the certificate just leaves.
    let mut request = Vec::new();
    let mut buf = [0_u8; 1024];
    loop {
        let read = tls.read(&mut buf).await?;
        if read == 0 {
            break;
        }
        request.extend_from_slice(&buf[..read]);
        if request.windows(4).any(|w| w == b"\r\n\r\n") || request.len() > 16 * 1024 {
            tls.write_all(HTTP_OK).await?;
            break;
        }
    }
    tls.shutdown().await
}

/// Issues self-signed certificates (one key pair per endpoint) and caches a server
/// configuration per spec.
struct Issuer {
    provider: Arc<CryptoProvider>,
    key_pair: KeyPair,
    configs: Mutex<HashMap<CertSpec, Arc<ServerConfig>>>,
}

impl Issuer {
    fn config_for(&self, spec: &CertSpec) -> std::io::Result<Arc<ServerConfig>> {
        if let Some(config) = self
            .configs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(spec)
        {
            return Ok(config.clone());
        }
        let certified = Arc::new(self.certify(spec)?);
        let config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Presents(certified)));
        let config = Arc::new(config);
        self.configs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(spec.clone(), config.clone());
        Ok(config)
    }

    fn certify(&self, spec: &CertSpec) -> std::io::Result<CertifiedKey> {
        let mut params =
            CertificateParams::new(spec.names.clone()).map_err(std::io::Error::other)?;
        params.not_before = unix_to_datetime(spec.not_before)?;
        params.not_after = unix_to_datetime(spec.not_after)?;
        let cert = params
            .self_signed(&self.key_pair)
            .map_err(std::io::Error::other)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pair.serialize_der()));
        CertifiedKey::from_der(
            vec![CertificateDer::from(cert.der().to_vec())],
            key,
            &self.provider,
        )
        .map_err(std::io::Error::other)
    }
}

fn unix_to_datetime(seconds: i64) -> std::io::Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(seconds).map_err(std::io::Error::other)
}

/// The certificate chosen for this connection (the source was asked before the handshake).
#[derive(Debug)]
struct Presents(Arc<CertifiedKey>);

impl ResolvesServerCert for Presents {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}
