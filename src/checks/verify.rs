//! Post-apply verification (`apply --verify`): probes each name an order covered — a TLS
//! handshake with its SNI at the server's address — until the server presents a certificate
//! covering it, or the time allowed is up. Reports what was presented; decides nothing.

use super::tls;
use crate::model::Verification;
use crate::model::{DomainName, NameVerification, Presented};
use futures_util::StreamExt;
use std::net::IpAddr;
use std::time::Duration;

/// Pause between rounds of probes for the names not verified yet.
const ROUND_PAUSE: Duration = Duration::from_secs(5);

/// How to probe.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    pub port: u16,
    /// The time allowed in all; 0 probes each name once.
    pub allowed: Duration,
    /// For each handshake.
    pub probe_timeout: Duration,
    pub concurrency: usize,
}

/// Probes `names` at `ip` until each is covered or `opts.allowed` has passed. `ip` is `None`
/// when the server's address is unknown: nothing can be probed then.
pub async fn verify(ip: Option<IpAddr>, names: &[DomainName], opts: VerifyOptions) -> Verification {
    let mut state: Vec<NameVerification> = names
        .iter()
        .map(|n| NameVerification {
            name: n.clone(),
            verified: false,
            presented: None,
            why: Some("not probed".into()),
            probes: 0,
        })
        .collect();
    state.sort_by(|a, b| a.name.cmp(&b.name));
    state.dedup_by(|a, b| a.name == b.name);
    let allowed_secs = opts.allowed.as_secs();
    let Some(ip) = ip else {
        for s in &mut state {
            s.why = Some("the server's address is unknown, so nothing can be probed".into());
        }
        return Verification {
            allowed_secs,
            names: state,
        };
    };
    let deadline = tokio::time::Instant::now() + opts.allowed;
    loop {
        let pending: Vec<usize> = (0..state.len()).filter(|&i| !state[i].verified).collect();
        if pending.is_empty() {
            break;
        }
        let probed: Vec<(usize, Result<tls::PresentedCert, tls::TlsProbeError>)> =
            futures_util::stream::iter(pending)
                .map(|i| {
                    let name = state[i].name.clone();
                    async move {
                        let found =
                            tls::probe(ip, opts.port, name.as_str(), opts.probe_timeout).await;
                        (i, found)
                    }
                })
                .buffer_unordered(opts.concurrency.max(1))
                .collect()
                .await;
        let now = jiff::Timestamp::now().as_second();
        for (i, found) in probed {
            record(&mut state[i], found, now);
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() || state.iter().all(|s| s.verified) {
            break;
        }
        tokio::time::sleep(left.min(ROUND_PAUSE)).await;
    }
    Verification {
        allowed_secs,
        names: state,
    }
}

/// What one probe found for a name, at `now`.
fn record(
    s: &mut NameVerification,
    found: Result<tls::PresentedCert, tls::TlsProbeError>,
    now: i64,
) {
    s.probes += 1;
    match found {
        Ok(cert) => {
            s.verified = tls::covers(&cert, s.name.as_str(), now);
            s.why = (!s.verified).then(|| {
                if cert.not_after <= now {
                    "the presented certificate has expired".to_string()
                } else if cert.not_before > now {
                    "the presented certificate is not valid yet".to_string()
                } else {
                    "the presented certificate does not name it".to_string()
                }
            });
            s.presented = Some(Presented {
                days_left: tls::days_left(&cert, now),
                names: cert.names,
                not_after: cert.not_after,
            });
        }
        Err(e) => {
            s.verified = false;
            s.presented = None;
            s.why = Some(e.to_string());
        }
    }
}
