//! DNS readiness findings.
//!
//! Owns the classification of a name's DNS answer against the server's addresses.

use serde::Serialize;
use std::net::IpAddr;

/// What DNS says about one name, compared with the server's addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum DnsFinding {
    Ready { addresses: Vec<IpAddr> },
    Mismatch { addresses: Vec<IpAddr> },
    Partial { addresses: Vec<IpAddr> },
    Nxdomain,
    NoRecords,
    Error { reason: String },
}

impl DnsFinding {
    pub fn is_ready(&self) -> bool {
        matches!(self, DnsFinding::Ready { .. })
    }

    pub fn label(&self) -> &'static str {
        match self {
            DnsFinding::Ready { .. } => "ready",
            DnsFinding::Mismatch { .. } => "mismatch",
            DnsFinding::Partial { .. } => "partial",
            DnsFinding::Nxdomain => "nxdomain",
            DnsFinding::NoRecords => "no-records",
            DnsFinding::Error { .. } => "error",
        }
    }
}
