//! The shared state of the simulated API: what the gate in `api.rs` and the endpoints in
//! `handlers.rs` both use — the world, the seed's readings, the request log, the armed faults,
//! the rate-limit windows and the credentials — and the JSON error answer.
//!
//! Owns that state and the bookkeeping on it. Must not route or answer requests (that is
//! `api.rs` and `handlers.rs`, which import this module, never the reverse), and must never log
//! or record the Authorization header's value.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::fault::{Fault, FaultBook, FaultKind, FaultRequest};
use super::seed::{PaginationStyle, Seed, SeedCredentials, SeedRateLimit, SeedReadings};
use super::world::World;
use super::{AuthKind, RequestRecord};

/// The API version a request was addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V2,
    V3,
}

/// Marks a list request whose answer must claim one page more than there is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InflatePages;

/// Marks a certificate order whose certificate the web server will not present (the
/// `undeployed` fault).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Undeployed;

/// The shared state of the API server.
pub(crate) struct Api {
    pub world: World,
    pub pagination: PaginationStyle,
    pub readings: SeedReadings,
    /// `http://127.0.0.1:PORT`, for paging links.
    pub base: String,
    credentials: SeedCredentials,
    pub rate: SeedRateLimit,
    log: Mutex<Vec<RequestRecord>>,
    faults: Mutex<FaultBook>,
    windows: Mutex<HashMap<&'static str, (Instant, u32)>>,
    /// Random faults (`chaos` in the seed): the share of requests hit, and the dice.
    chaos: Option<(f64, Mutex<fastrand::Rng>)>,
    /// Sliding windows: when each counted request of a credential was made.
    sliding: Mutex<HashMap<&'static str, std::collections::VecDeque<Instant>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Api {
    pub(crate) fn new(world: World, seed: &Seed, addr: SocketAddr) -> Api {
        let mut faults = FaultBook::default();
        for fault in &seed.faults {
            faults.arm(fault.clone());
        }
        Api {
            world,
            pagination: seed.pagination,
            readings: seed.readings.clone(),
            base: format!("http://{addr}"),
            credentials: seed.credentials.clone(),
            rate: seed.rate_limit.clone(),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(faults),
            windows: Mutex::new(HashMap::new()),
            sliding: Mutex::new(HashMap::new()),
            chaos: seed.chaos.as_ref().map(|c| {
                (
                    c.rate.clamp(0.0, 1.0),
                    Mutex::new(fastrand::Rng::with_seed(c.seed)),
                )
            }),
        }
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.log).clone()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).clear();
    }

    pub(crate) fn inject(&self, fault: Fault) {
        lock(&self.faults).arm(fault);
    }

    /// The fault that hits a request: the first armed one that matches it, else a random one
    /// when chaos is on and the dice say so.
    pub(crate) fn next_fault(&self, request: &FaultRequest<'_>) -> Option<Fault> {
        lock(&self.faults)
            .hit(request)
            .or_else(|| self.roll_chaos())
    }

    /// A random fault for this request, when chaos is on and the dice say so.
    fn roll_chaos(&self) -> Option<Fault> {
        let (rate, rng) = self.chaos.as_ref()?;
        let mut rng = lock(rng);
        if rng.f64() >= *rate {
            return None;
        }
        let mut fault = match rng.u8(0..5) {
            0 => Fault::new(FaultKind::Status),
            1 => Fault::new(FaultKind::Html),
            2 => {
                let mut f = Fault::new(FaultKind::RateLimited);
                f.retry_after = Some(1);
                f
            }
            3 => Fault::new(FaultKind::Reset),
            _ => Fault::new(FaultKind::LostResponse),
        };
        fault.times = 1;
        Some(fault)
    }

    pub(crate) fn record(&self, record: RequestRecord) -> usize {
        let mut log = lock(&self.log);
        log.push(record);
        log.len() - 1
    }

    /// Sets the status of the request logged at `index` (if the log was not cleared since).
    pub(crate) fn finish(&self, index: usize, method: &str, path: &str, status: u16) {
        if let Some(r) = lock(&self.log).get_mut(index)
            && r.method == method
            && r.path == path
        {
            r.status = status;
        }
    }

    pub(crate) fn classify(&self, headers: &HeaderMap) -> AuthKind {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return AuthKind::None;
        };
        let Ok(value) = value.to_str() else {
            return AuthKind::Invalid;
        };
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            if !rest.is_empty() && rest == self.credentials.token {
                return AuthKind::Bearer;
            }
        } else if scheme.eq_ignore_ascii_case("basic") {
            let expected = format!("{}:{}", self.credentials.key, self.credentials.secret);
            if base64_decode(rest).is_some_and(|d| d == expected.as_bytes()) {
                return AuthKind::Basic;
            }
        }
        AuthKind::Invalid
    }

    /// Counts a request in its credential's window: (limit, remaining, Retry-After seconds when refused, seconds until
    /// the window resets).
    pub(crate) fn count(&self, auth: AuthKind) -> (u32, u32, Option<u64>, u64) {
        let key = match auth {
            AuthKind::Bearer => "bearer",
            AuthKind::Basic => "basic",
            AuthKind::None | AuthKind::Invalid => "anonymous",
        };
        let window = Duration::from_secs(self.rate.window_seconds);
        let limit = self.rate.per_minute;
        let now = Instant::now();
        // A refused request does not count (Laravel's throttle).
        let secs = |d: Duration| d.as_secs_f64().ceil().max(1.0) as u64;
        let (remaining, over, reset) = match self.rate.window {
            super::seed::WindowKind::Fixed => {
                let mut windows = lock(&self.windows);
                let entry = windows.entry(key).or_insert((now, 0));
                if now.duration_since(entry.0) >= window {
                    *entry = (now, 0);
                }
                let left = secs(window.saturating_sub(now.duration_since(entry.0)));
                if entry.1 >= limit {
                    (0, Some(left), left)
                } else {
                    entry.1 += 1;
                    (limit - entry.1, None, left)
                }
            }
            super::seed::WindowKind::Sliding => {
                let mut all = lock(&self.sliding);
                let made = all.entry(key).or_default();
                while made
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= window)
                {
                    made.pop_front();
                }
                let oldest = made.front().copied().unwrap_or(now);
                let left = secs(window.saturating_sub(now.duration_since(oldest)));
                if made.len() as u32 >= limit {
                    (0, Some(left), left)
                } else {
                    made.push_back(now);
                    (limit - made.len() as u32, None, left)
                }
            }
        };
        let over = over.map(|honest| self.rate.retry_after_lie.unwrap_or(honest));
        (limit, remaining, over, reset)
    }
}

/// An error answer: a status and a JSON body with at least `message`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: &str) -> ApiError {
        ApiError {
            status,
            body: json!({ "message": message }),
        }
    }

    pub(crate) fn not_found(message: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 422 with a plain message.
    pub(crate) fn unprocessable(message: &str) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 422 in Laravel's validation shape: `{"message":..., "errors":{field:[...]}}`.
    pub(crate) fn invalid(errors: serde_json::Map<String, Value>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "message": "The given data was invalid.", "errors": errors }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// Standard base64 (padding optional); None when malformed.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(
            base64_decode("c2FuZGJveC1rZXk6c2FuZGJveC1zZWNyZXQ=").as_deref(),
            Some(&b"sandbox-key:sandbox-secret"[..])
        );
        assert_eq!(base64_decode("YWI").as_deref(), Some(&b"ab"[..]));
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("!!"), None);
        assert_eq!(base64_decode("Y"), None);
    }
}
