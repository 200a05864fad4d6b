//! Pacing requests by RunCloud's own rate limit.
//!
//! Owns when the next request may start. The server's `X-RateLimit-Limit` /
//! `X-RateLimit-Remaining` are the pace: what remains is spent at once, and when it reaches zero
//! the next request waits for the window to end. A window is taken to open at the first request
//! sent after the last wait (Laravel's throttle, which RunCloud's "Too Many Attempts." answers
//! suggest) and to last a minute; after a wait, one request goes alone (a probe) and its answer
//! says what the new window allows — which keeps a sliding window within its limit too. A 429
//! blocks every request until its `Retry-After` / `X-RateLimit-Reset`, backing off further when
//! 429s repeat (a hint that proves too short). The user's `--rate-limit` is a ceiling on top;
//! a server that sends no rate headers is paced by that ceiling, or 60 a minute.
//!
//! All waiting is bounded by one patience (`--max-wait`): a wait that would exceed it is an
//! error. Makes no HTTP request and prints nothing (long waits for the rate limit, and every
//! retry, are logged at warn level, which the default verbosity shows).

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

/// How long a window is taken to last when the server does not say.
const WINDOW: Duration = Duration::from_secs(60);
/// Added to every computed end of a window (clocks and rounding).
const MARGIN: Duration = Duration::from_millis(250);
/// The pace of a server that sends no rate-limit headers and a user who set no ceiling:
/// RunCloud's documented limit.
const FALLBACK_PER_MINUTE: u32 = 60;
/// Waits at least this long are announced at the default verbosity.
const ANNOUNCE: Duration = Duration::from_secs(3);

/// What a wait is for, as it is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait<'a> {
    RateLimit,
    /// A back-off after a 5xx or a transport error.
    Retry(Retry<'a>),
}

/// A retry after a 5xx or a transport error, as it is announced: every retry is, since a
/// silent one looks like a hang; requests that failed together the same way (the concurrent
/// reads of a run) share one announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry<'a> {
    /// What failed, without the request: `cannot resolve the API host …`, `RunCloud answered
    /// HTTP 503`.
    pub why: &'a str,
    /// Which retry this is, of at most `of`.
    pub number: u32,
    pub of: u32,
}

/// What an answer said about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateHeaders {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
    /// `X-RateLimit-Reset`: Unix seconds.
    pub reset_at: Option<u64>,
}

/// The run's patience ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfPatience {
    /// What the next wait would have been.
    pub wanted: Duration,
    /// Waited so far.
    pub waited: Duration,
    pub max_wait: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// Requests the current window still allows, net of requests in flight; `None`: unknown.
    remaining: Option<i64>,
    /// When the first request of the current window (our view) was sent.
    window_opened: Option<Instant>,
    /// When the window ends, when the server said so on an ordinary answer
    /// (`X-RateLimit-Reset`); better than the assumed minute.
    window_ends: Option<Instant>,
    /// No request starts before this.
    blocked_until: Option<Instant>,
    /// After a wait: one request alone until an answer says what is left.
    probing: bool,
    /// Sequence numbers of requests in flight.
    in_flight: BTreeSet<u64>,
    next_seq: u64,
    /// Counts the waits for a window's end: an answer to a request sent before the last wait
    /// speaks of the old window and must not set what the new one allows.
    epoch: u64,
    /// The lowest `X-RateLimit-Remaining` reported in this epoch (what is left after the last
    /// request the server processed, in a window that only counts down).
    lowest_reported: Option<i64>,
    /// 429s in a row (for the back-off when the server's hint proves too short).
    throttled_in_a_row: u32,
    /// Whether any answer carried rate-limit headers; whether any answer came at all.
    headers_seen: bool,
    answers_seen: bool,
    /// Time spent waiting (the union of every task's waits: ten tasks waiting the same minute
    /// wait one minute), against the patience.
    waited: Duration,
    /// When the latest wait counted so far ends.
    horizon: Option<Instant>,
    /// Retries announced (what failed, which retry) and when their wait ends: another request
    /// waiting for the same retry for the same reason meanwhile is not announced again.
    retries_announced: Vec<(String, u32, Instant)>,
}

/// A request's place in the pace; hand it back with `observe`, or `forget` it for a failure
/// without an answer.
#[derive(Debug)]
pub struct Ticket {
    seq: u64,
    epoch: u64,
}

#[derive(Clone)]
pub struct Pacer {
    state: Arc<Mutex<State>>,
    wake: Arc<Notify>,
    /// The user's ceiling, when set.
    ceiling: Option<Arc<DefaultDirectRateLimiter>>,
    /// The pace when the server sends no headers.
    fallback: Arc<DefaultDirectRateLimiter>,
    max_wait: Duration,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pacer(max_wait {:?})", self.max_wait)
    }
}

fn per_minute(n: u32) -> Arc<DefaultDirectRateLimiter> {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(Quota::per_minute(n)))
}

impl Pacer {
    /// `ceiling`: the user's requests per minute at most; `max_wait`: the run's patience.
    pub fn new(ceiling: Option<u32>, max_wait: Duration) -> Pacer {
        Pacer {
            // The first request goes alone: until an answer says what the window allows (other
            // runs on the credential may have spent it), nothing is sent in a burst.
            state: Arc::new(Mutex::new(State {
                probing: true,
                ..State::default()
            })),
            wake: Arc::new(Notify::new()),
            ceiling: ceiling.map(per_minute),
            fallback: per_minute(ceiling.unwrap_or(FALLBACK_PER_MINUTE)),
            max_wait,
        }
    }

    /// Waits until a request may start, and counts it as sent.
    pub async fn acquire(&self) -> Result<Ticket, OutOfPatience> {
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                let spent = s.remaining.is_some_and(|r| r <= 0);
                match s.blocked_until {
                    Some(t) if t > now => Some(t - now),
                    _ if s.probing && !s.in_flight.is_empty() => None,
                    // Spent by the estimate, but answers are out: they say what is left.
                    _ if spent && !s.in_flight.is_empty() => None,
                    _ => {
                        if spent {
                            // The window is spent: wait for its end, then probe.
                            let opened = s.window_opened.unwrap_or(now);
                            let end = match s.window_ends.take() {
                                Some(e) => e + MARGIN,
                                None => opened + WINDOW + MARGIN,
                            }
                            .max(now + MARGIN);
                            s.blocked_until = Some(end);
                            s.new_epoch();
                            continue;
                        }
                        if let Some(r) = s.remaining.as_mut() {
                            *r -= 1;
                        }
                        if s.window_opened.is_none() {
                            s.window_opened = Some(now);
                        }
                        let seq = s.next_seq;
                        let epoch = s.epoch;
                        s.next_seq += 1;
                        s.in_flight.insert(seq);
                        let paced_by_fallback = s.answers_seen && !s.headers_seen;
                        drop(s);
                        if let Some(c) = &self.ceiling {
                            c.until_ready().await;
                        } else if paced_by_fallback {
                            self.fallback.until_ready().await;
                        }
                        return Ok(Ticket { seq, epoch });
                    }
                }
            };
            match wait {
                Some(d) => self.sleep(d, Wait::RateLimit).await?,
                // A probe (or the answers that say what is left) is out: wait for it.
                None => {
                    let notified = self.wake.notified();
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        }
    }

    /// Sleeps `d` against the patience; an error instead when it would run out. Only the part
    /// of a wait beyond every wait already counted adds to the time waited, and for the rate
    /// limit only that part is announced, so concurrent requests waiting for the same window
    /// count it once. A retry is announced whatever its length, once for the requests waiting
    /// for the same retry for the same reason.
    async fn sleep(&self, d: Duration, why: Wait<'_>) -> Result<(), OutOfPatience> {
        let announce = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            let end = now + d;
            let from = s.horizon.map_or(now, |h| h.max(now));
            let added = end.saturating_duration_since(from);
            if s.waited + added > self.max_wait {
                return Err(OutOfPatience {
                    wanted: d,
                    waited: s.waited,
                    max_wait: self.max_wait,
                });
            }
            s.waited += added;
            s.horizon = Some(s.horizon.map_or(end, |h| h.max(end)));
            match why {
                Wait::RateLimit => added >= ANNOUNCE,
                Wait::Retry(r) => {
                    s.retries_announced.retain(|(_, _, until)| *until > now);
                    let shared = s
                        .retries_announced
                        .iter()
                        .any(|(w, n, _)| w == r.why && *n == r.number);
                    if !shared {
                        s.retries_announced.push((r.why.to_string(), r.number, end));
                    }
                    !shared
                }
            }
        };
        let secs = d.as_secs_f64().ceil() as u64;
        match why {
            Wait::RateLimit if announce => {
                tracing::warn!("RunCloud's rate limit: waiting {secs} s");
            }
            Wait::Retry(r) if announce => tracing::warn!(
                "{}; retrying in {secs} s (retry {} of {})",
                r.why,
                r.number,
                r.of
            ),
            _ => tracing::debug!(wait_ms = d.as_millis() as u64, "waiting"),
        }
        tokio::time::sleep(d).await;
        Ok(())
    }

    /// A back-off before a retry (5xx, transport errors), counted against the same patience.
    pub async fn backoff(&self, d: Duration, retry: Retry<'_>) -> Result<(), OutOfPatience> {
        self.sleep(d, Wait::Retry(retry)).await
    }

    /// Takes in what an answer said. `throttled`: it was a 429.
    pub async fn observe(&self, ticket: Ticket, headers: RateHeaders, throttled: bool) {
        let mut s = self.state.lock().await;
        s.in_flight.remove(&ticket.seq);
        s.answers_seen = true;
        let now = Instant::now();
        if headers.limit.is_some() || headers.remaining.is_some() {
            s.headers_seen = true;
        }
        if throttled {
            s.throttled_in_a_row += 1;
            let hint = headers
                .retry_after
                .map(Duration::from_secs)
                .or_else(|| headers.reset_at.map(until_unix))
                .unwrap_or(Duration::from_secs(1));
            // A hint that proved too short (429 again) is stretched: 1, 2, 4, … up to a window.
            let stretch = Duration::from_secs(1u64 << (s.throttled_in_a_row - 1).min(6));
            let wait = hint.max(stretch.min(WINDOW)) + MARGIN;
            let until = now + wait;
            s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
            if ticket.epoch == s.epoch {
                s.new_epoch();
            }
        } else if ticket.epoch == s.epoch {
            s.throttled_in_a_row = 0;
            if let Some(at) = headers.reset_at {
                s.window_ends = Some(now + until_unix(at));
            }
            if let Some(rem) = headers.remaining {
                // A lower bound of what is left: every other request in flight may be counted
                // after this one. Bounds only tighten (the window counts down) until nothing
                // is in flight: then the lowest count reported is what is left.
                let rem = rem as i64;
                let lowest = s.lowest_reported.map_or(rem, |l| l.min(rem));
                s.lowest_reported = Some(lowest);
                let others = s.in_flight.len() as i64;
                let bound = rem - others;
                s.remaining = Some(if others == 0 {
                    lowest
                } else {
                    s.remaining.map_or(bound, |r| r.min(bound))
                });
            }
            s.probing = false;
        }
        drop(s);
        self.wake.notify_waiters();
    }

    /// A request that ended without an answer (a transport error): no longer in flight.
    pub async fn forget(&self, ticket: Ticket) {
        let mut s = self.state.lock().await;
        s.in_flight.remove(&ticket.seq);
        s.probing = false;
        drop(s);
        self.wake.notify_waiters();
    }

    /// Time spent waiting so far.
    pub async fn waited(&self) -> Duration {
        self.state.lock().await.waited
    }
}

impl State {
    /// After a wait for a window's end (or a 429): what is left is unknown until a probe's
    /// answer; answers to requests sent before it speak of the old window.
    fn new_epoch(&mut self) {
        self.epoch += 1;
        self.remaining = None;
        self.lowest_reported = None;
        self.window_opened = None;
        self.probing = true;
    }
}

/// From now until Unix second `at` (a reset time), at most a window.
fn until_unix(at: u64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(at).saturating_sub(now).min(WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(limit: u64, remaining: u64) -> RateHeaders {
        RateHeaders {
            limit: Some(limit),
            remaining: Some(remaining),
            ..Default::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn what_remains_is_spent_at_once_then_the_window_is_waited_out() {
        let p = Pacer::new(None, Duration::from_secs(600));
        let start = Instant::now();
        // First answer: 3 left in a window of 5.
        let t = p.acquire().await.unwrap();
        p.observe(t, h(5, 4), false).await;
        for left in [3, 2, 1, 0] {
            let t = p.acquire().await.unwrap();
            p.observe(t, h(5, left), false).await;
        }
        assert!(
            Instant::now() - start < Duration::from_millis(10),
            "no wait yet"
        );
        // The window is spent: the next request waits for its end (a minute after the first).
        let t = p.acquire().await.unwrap();
        let waited = Instant::now() - start;
        assert!(
            waited >= WINDOW && waited < WINDOW + Duration::from_secs(1),
            "{waited:?}"
        );
        p.observe(t, h(5, 4), false).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_blocks_until_its_hint_and_a_repeated_one_backs_off_further() {
        let p = Pacer::new(None, Duration::from_secs(600));
        let t = p.acquire().await.unwrap();
        let start = Instant::now();
        let lying = RateHeaders {
            retry_after: Some(1),
            ..Default::default()
        };
        p.observe(t, lying, true).await;
        let t = p.acquire().await.unwrap();
        let first = Instant::now() - start;
        assert!(first >= Duration::from_secs(1), "{first:?}");
        p.observe(t, lying, true).await;
        let t = p.acquire().await.unwrap();
        let second = Instant::now() - start - first;
        assert!(second >= Duration::from_secs(2), "stretched: {second:?}");
        p.observe(t, h(60, 59), false).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_patience_is_an_error() {
        let p = Pacer::new(None, Duration::from_secs(30));
        let t = p.acquire().await.unwrap();
        p.observe(
            t,
            RateHeaders {
                retry_after: Some(45),
                ..Default::default()
            },
            true,
        )
        .await;
        let e = p.acquire().await.unwrap_err();
        assert_eq!(e.max_wait, Duration::from_secs(30));
        assert!(e.wanted >= Duration::from_secs(45));
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_wait_one_probe_goes_alone() {
        let p = Pacer::new(None, Duration::from_secs(600));
        let t = p.acquire().await.unwrap();
        p.observe(t, h(2, 0), false).await;
        let probe = p.acquire().await.unwrap();
        // A second request must wait for the probe's answer.
        let p2 = p.clone();
        let second = tokio::spawn(async move { p2.acquire().await.map(|t| t.seq) });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!second.is_finished(), "the second waits for the probe");
        p.observe(probe, h(2, 1), false).await;
        assert!(second.await.unwrap().is_ok());
    }
}
