//! A certificate order as sent and recorded (`LedgerEntry`, with its `OrderOutcome`): `apply`
//! records each one it sends, the ledger file keeps them, the planner reads them back.

use super::DomainName;
use serde::Serialize;

/// One certificate order: sent at `at`, for `names` (sorted), with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// When it was sent, UTC seconds.
    pub at: i64,
    pub server: u64,
    pub app: u64,
    /// The names the certificate was to cover, sorted.
    pub names: Vec<DomainName>,
    pub outcome: OrderOutcome,
    /// The API's message (what it said on success, or why it refused).
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderOutcome {
    /// RunCloud accepted the order and answered success.
    Ok,
    /// RunCloud refused it (a failed validation, a Let's Encrypt limit, any other error).
    Failed,
    /// No answer came back: it may have been placed. Counted both ways — as a certificate
    /// against the issuance limits, and as a failure for the back-off.
    Unknown,
}

impl OrderOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderOutcome::Ok => "ok",
            OrderOutcome::Failed => "failed",
            OrderOutcome::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<OrderOutcome> {
        match s {
            "ok" => Some(OrderOutcome::Ok),
            "failed" => Some(OrderOutcome::Failed),
            "unknown" => Some(OrderOutcome::Unknown),
            _ => None,
        }
    }

    /// Counted as a certificate against Let's Encrypt's issuance limits.
    pub fn may_have_issued(self) -> bool {
        matches!(self, OrderOutcome::Ok | OrderOutcome::Unknown)
    }

    /// Counted as a failure for the back-off.
    pub fn may_have_failed(self) -> bool {
        matches!(self, OrderOutcome::Failed | OrderOutcome::Unknown)
    }
}
