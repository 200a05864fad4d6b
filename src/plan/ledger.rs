//! The order ledger as the planner reads it (`Ledger`: every certificate order placed, with
//! its time, names, outcome and the API's message) and the rules read from it: the back-off
//! after a failed order of a name set, and Let's Encrypt's published rate limits. Without a
//! ledger, a cap on the orders of one run stands in for the history.
//!
//! Data and pure functions of `now`: reading and writing the file is `commands::ledger`'s job,
//! recording orders is `apply`'s.

use super::DeferReason;
use crate::model::{DomainName, LedgerEntry, OrderOutcome};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

const HOUR: i64 = 3_600;
const WEEK: i64 = 7 * 24 * HOUR;

/// How long a name set waits after its last failed order: 1 h after the first failure in a
/// row, 6 h after the second, 24 h after the third and every one after.
pub const BACKOFF_SECS: [i64; 3] = [HOUR, 6 * HOUR, 24 * HOUR];

/// Orders per registered domain in one run when there is no ledger to count from.
pub const RUN_CAP_WITHOUT_LEDGER: usize = 10;

/// How long the ledger keeps an order: longer than any window a rule reads.
pub const KEPT_SECS: i64 = 30 * 24 * HOUR;

/// Every certificate order placed, as far as this ledger knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub orders: Vec<LedgerEntry>,
}

/// One of Let's Encrypt's published rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LetsEncryptLimit {
    /// 5 failed validations per name per hour.
    FailedValidations,
    /// 5 certificates for the identical set of names per week.
    DuplicateCertificate,
    /// 50 certificates per registered domain per week.
    CertificatesPerRegisteredDomain,
}

impl LetsEncryptLimit {
    /// The JSON tag.
    pub fn as_str(self) -> &'static str {
        match self {
            LetsEncryptLimit::FailedValidations => "failed-validations",
            LetsEncryptLimit::DuplicateCertificate => "duplicate-certificate",
            LetsEncryptLimit::CertificatesPerRegisteredDomain => {
                "certificates-per-registered-domain"
            }
        }
    }

    /// How many are allowed in the window.
    pub fn max(self) -> usize {
        match self {
            LetsEncryptLimit::FailedValidations | LetsEncryptLimit::DuplicateCertificate => 5,
            LetsEncryptLimit::CertificatesPerRegisteredDomain => 50,
        }
    }

    /// The window, in seconds.
    pub fn window_secs(self) -> i64 {
        match self {
            LetsEncryptLimit::FailedValidations => HOUR,
            LetsEncryptLimit::DuplicateCertificate
            | LetsEncryptLimit::CertificatesPerRegisteredDomain => WEEK,
        }
    }
}

impl fmt::Display for LetsEncryptLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LetsEncryptLimit::FailedValidations => "5 failed validations per name per hour",
            LetsEncryptLimit::DuplicateCertificate => {
                "5 certificates for the same set of names per week"
            }
            LetsEncryptLimit::CertificatesPerRegisteredDomain => {
                "50 certificates per registered domain per week"
            }
        })
    }
}

/// The registered domain of a name (the Public Suffix List's registrable domain:
/// `example.co.uk` for `shop.example.co.uk`); the name itself when the list has none.
pub fn registered_domain(name: &DomainName) -> DomainName {
    match psl::domain_str(name.as_str()) {
        Some(d) => DomainName::new_unchecked(d.to_string()),
        None => name.clone(),
    }
}

/// A name set's back-off window: `failures` in a row, the last at `last_at`, due at `due_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackOff {
    pub failures: u32,
    pub due_at: i64,
    pub last_message: String,
}

impl Ledger {
    /// The back-off of exactly this name set at `now`, while its window is open: the failures
    /// (or unknown outcomes) in a row since its last successful order.
    pub fn back_off(&self, names: &[DomainName], now: i64) -> Option<BackOff> {
        let set = sorted(names);
        let mut mine: Vec<&LedgerEntry> = self.orders.iter().filter(|e| e.names == set).collect();
        mine.sort_by_key(|e| e.at);
        let failed: Vec<&LedgerEntry> = mine
            .iter()
            .rev()
            .take_while(|e| e.outcome.may_have_failed())
            .copied()
            .collect();
        let last = failed.first()?;
        let failures = failed.len() as u32;
        let wait = BACKOFF_SECS[(failed.len() - 1).min(BACKOFF_SECS.len() - 1)];
        let due_at = last.at + wait;
        (now < due_at).then(|| BackOff {
            failures,
            due_at,
            last_message: last.message.clone(),
        })
    }

    /// The times of the orders inside `limit`'s window before `now` that count against it
    /// for `key` (a name, a name set, or a registered domain), oldest first.
    fn counted(&self, limit: LetsEncryptLimit, now: i64, key: &Key<'_>) -> Vec<i64> {
        let from = now - limit.window_secs();
        let mut times: Vec<i64> = self
            .orders
            .iter()
            .filter(|e| e.at > from && e.at <= now)
            .filter(|e| match limit {
                LetsEncryptLimit::FailedValidations => e.outcome == OrderOutcome::Failed,
                _ => e.outcome.may_have_issued(),
            })
            .filter(|e| match key {
                Key::Name(n) => e.names.contains(n),
                Key::Set(s) => e.names == *s,
                Key::Registered(r) => e.names.iter().any(|n| registered_domain(n) == **r),
            })
            .map(|e| e.at)
            .collect();
        times.sort_unstable();
        times
    }

    /// Drops the orders older than `KEPT_SECS` before `now`.
    pub fn prune(&mut self, now: i64) {
        self.orders.retain(|e| e.at > now - KEPT_SECS);
    }
}

enum Key<'a> {
    Name(&'a DomainName),
    Set(&'a [DomainName]),
    Registered(&'a DomainName),
}

fn sorted(names: &[DomainName]) -> Vec<DomainName> {
    let set: BTreeSet<&DomainName> = names.iter().collect();
    set.into_iter().cloned().collect()
}

/// Admits the certificate orders of one plan, one at a time, against the ledger's history and
/// the orders admitted before them; or, without a ledger, against the cap of one run.
pub(super) struct OrderGate<'a> {
    ledger: Option<&'a Ledger>,
    now: i64,
    retry_now: &'a BTreeSet<DomainName>,
    /// Orders admitted so far, per registered domain.
    admitted: BTreeMap<DomainName, usize>,
}

impl<'a> OrderGate<'a> {
    pub(crate) fn new(
        ledger: Option<&'a Ledger>,
        now: i64,
        retry_now: &'a BTreeSet<DomainName>,
    ) -> Self {
        OrderGate {
            ledger,
            now,
            retry_now,
            admitted: BTreeMap::new(),
        }
    }

    /// Whether an order covering `names` may be placed now; it then counts against what
    /// follows. Otherwise the reason to defer it.
    pub(crate) fn admit(&mut self, names: &[DomainName]) -> Result<(), DeferReason> {
        let set = sorted(names);
        let registered: BTreeSet<DomainName> = set.iter().map(registered_domain).collect();
        match self.ledger {
            Some(ledger) => self.check_history(ledger, &set, &registered)?,
            None => {
                for r in &registered {
                    if self.admitted.get(r).copied().unwrap_or(0) >= RUN_CAP_WITHOUT_LEDGER {
                        return Err(DeferReason::RunCap {
                            registered_domain: r.clone(),
                            cap: RUN_CAP_WITHOUT_LEDGER,
                        });
                    }
                }
            }
        }
        for r in registered {
            *self.admitted.entry(r).or_insert(0) += 1;
        }
        Ok(())
    }

    fn check_history(
        &self,
        ledger: &Ledger,
        set: &[DomainName],
        registered: &BTreeSet<DomainName>,
    ) -> Result<(), DeferReason> {
        let now = self.now;
        let retry = set.iter().any(|n| self.retry_now.contains(n));
        if !retry && let Some(b) = ledger.back_off(set, now) {
            return Err(DeferReason::BackingOff {
                failures: b.failures,
                due_at: b.due_at,
                last_error: b.last_message,
            });
        }
        let over = |limit: LetsEncryptLimit, times: &[i64], extra: usize, key: DomainName| {
            let count = times.len() + extra;
            if count < limit.max() {
                return None;
            }
            // Due when enough of the counted orders have left the window.
            let leaving = count + 1 - limit.max();
            let due_at = times.get(leaving - 1).map(|t| t + limit.window_secs());
            Some(DeferReason::LetsEncryptLimit {
                limit,
                key,
                count,
                due_at,
            })
        };
        for name in set {
            let times = ledger.counted(LetsEncryptLimit::FailedValidations, now, &Key::Name(name));
            if let Some(r) = over(LetsEncryptLimit::FailedValidations, &times, 0, name.clone()) {
                return Err(r);
            }
        }
        let times = ledger.counted(LetsEncryptLimit::DuplicateCertificate, now, &Key::Set(set));
        let first = set
            .first()
            .cloned()
            .unwrap_or_else(|| DomainName::new_unchecked(String::new()));
        if let Some(r) = over(LetsEncryptLimit::DuplicateCertificate, &times, 0, first) {
            return Err(r);
        }
        for r in registered {
            let times = ledger.counted(
                LetsEncryptLimit::CertificatesPerRegisteredDomain,
                now,
                &Key::Registered(r),
            );
            let before = self.admitted.get(r).copied().unwrap_or(0);
            if let Some(reason) = over(
                LetsEncryptLimit::CertificatesPerRegisteredDomain,
                &times,
                before,
                r.clone(),
            ) {
                return Err(reason);
            }
        }
        Ok(())
    }
}

/// A time as the plan shows it: `2027-01-15 10:00 UTC`.
pub fn time_text(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => format!("{secs} (unix seconds)"),
    }
}

/// A time as JSON gives it: RFC 3339, UTC.
pub fn time_rfc3339(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => secs.to_string(),
    }
}
