//! Certificate coverage: asks the server, over a TLS handshake with a given SNI, which
//! certificate it presents, and judges whether that certificate covers a name now.
//!
//! Owns the TLS client side of the checks. It makes no trust decision (any certificate is
//! accepted, we only read what is presented), sends no application data, and must not be used
//! to protect a connection: it is an inspection tool.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// What a server presented for one SNI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedCert {
    /// DNS subject alternative names, lower case.
    pub names: Vec<String>,
    /// Start of validity, unix seconds.
    pub not_before: i64,
    /// End of validity, unix seconds.
    pub not_after: i64,
}

/// Why a probe learnt nothing; the caller reports coverage as unknown.
#[derive(Debug, thiserror::Error)]
pub enum TlsProbeError {
    /// The SNI is not a name a TLS client can send.
    #[error("`{sni}` cannot be sent as a TLS server name")]
    BadServerName {
        /// The name asked for.
        sni: String,
    },
    /// The TLS client could not be set up (a build problem, not the server's).
    #[error("could not set up the TLS client for certificate checks")]
    Config {
        /// What rustls reported.
        #[source]
        source: rustls::Error,
    },
    /// Nothing accepted the TCP connection.
    #[error("could not connect to {addr} to read the certificate for {sni}")]
    Connect {
        /// The address tried.
        addr: SocketAddr,
        /// The name asked for.
        sni: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The server refused or broke the handshake (for example: no certificate for that name).
    #[error("TLS handshake with {addr} for {sni} failed")]
    Handshake {
        /// The address tried.
        addr: SocketAddr,
        /// The name asked for.
        sni: String,
        /// What the TLS library reported.
        #[source]
        source: std::io::Error,
    },
    /// Connect and handshake did not finish in time.
    #[error("no TLS handshake with {addr} for {sni} within {}", humantime::format_duration(*.after))]
    Timeout {
        /// The address tried.
        addr: SocketAddr,
        /// The name asked for.
        sni: String,
        /// The time allowed.
        after: Duration,
    },
    /// The handshake finished without a certificate (not possible with TLS 1.2/1.3 servers
    /// that rustls accepts, kept for completeness).
    #[error("{addr} presented no certificate for {sni}")]
    NoCertificate {
        /// The address tried.
        addr: SocketAddr,
        /// The name asked for.
        sni: String,
    },
    /// The presented certificate could not be parsed.
    #[error("{addr} presented an unreadable certificate for {sni}")]
    BadCertificate {
        /// The address tried.
        addr: SocketAddr,
        /// The name asked for.
        sni: String,
        /// The parser's complaint.
        #[source]
        source: x509_parser::error::X509Error,
    },
}

/// Connects to `ip:port`, shakes hands with SNI `sni` and reads the leaf certificate.
pub async fn probe(
    ip: IpAddr,
    port: u16,
    sni: &str,
    timeout: Duration,
) -> Result<PresentedCert, TlsProbeError> {
    let addr = SocketAddr::new(ip, port);
    let server_name =
        ServerName::try_from(sni.to_owned()).map_err(|_| TlsProbeError::BadServerName {
            sni: sni.to_owned(),
        })?;
    let config = client_config().map_err(|source| TlsProbeError::Config { source })?;
    let connector = TlsConnector::from(config);

    let handshake = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|source| TlsProbeError::Connect {
                addr,
                sni: sni.to_owned(),
                source,
            })?;
        connector
            .connect(server_name, tcp)
            .await
            .map_err(|source| TlsProbeError::Handshake {
                addr,
                sni: sni.to_owned(),
                source,
            })
    };
    let mut stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| TlsProbeError::Timeout {
            addr,
            sni: sni.to_owned(),
            after: timeout,
        })??;

    let leaf = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|der| der.as_ref().to_vec());
    // Say goodbye politely; the server's manners do not matter to us.
    let _ = tokio::time::timeout(timeout, stream.shutdown()).await;

    let leaf = leaf.ok_or_else(|| TlsProbeError::NoCertificate {
        addr,
        sni: sni.to_owned(),
    })?;
    read_certificate(&leaf).map_err(|source| TlsProbeError::BadCertificate {
        addr,
        sni: sni.to_owned(),
        source,
    })
}

/// Reads DNS SANs and validity from a DER certificate.
fn read_certificate(der: &[u8]) -> Result<PresentedCert, x509_parser::error::X509Error> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| match e {
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e,
        x509_parser::nom::Err::Incomplete(_) => x509_parser::error::X509Error::InvalidCertificate,
    })?;
    let mut names = Vec::new();
    if let Some(san) = cert.subject_alternative_name()? {
        for general in &san.value.general_names {
            if let GeneralName::DNSName(name) = general {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    let validity = cert.validity();
    Ok(PresentedCert {
        names,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
    })
}

/// Whether `cert` names `name` (exactly, or through a wildcard `*.x` standing for exactly one
/// left-most label) and is valid at `now_unix` (`not_before <= now < not_after`).
pub fn covers(cert: &PresentedCert, name: &str, now_unix: i64) -> bool {
    if now_unix < cert.not_before || now_unix >= cert.not_after {
        return false;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    cert.names.iter().any(|san| {
        if *san == name {
            return true;
        }
        match (san.strip_prefix("*."), name.split_once('.')) {
            (Some(parent), Some((label, rest))) => {
                !label.is_empty() && !parent.is_empty() && rest == parent
            }
            _ => false,
        }
    })
}

/// Whole days until `not_after`, rounded down: negative once expired.
pub fn days_left(cert: &PresentedCert, now_unix: i64) -> i64 {
    (cert.not_after - now_unix).div_euclid(86_400)
}

/// A client that accepts any certificate, with the ring provider and the default versions.
fn client_config() -> Result<Arc<ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AcceptAnyCertificate {
        algorithms: provider.signature_verification_algorithms,
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Accepts whatever certificate is presented: the probe reads, it does not trust. Handshake
/// signatures are still checked, so the server proves it holds the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
