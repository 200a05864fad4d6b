//! What the checks found, as the planner and the renderers read it: the DNS verdict of each name
//! (`DnsFinding`), what the certificate the server presents says about it (`Coverage`), and the
//! whole of one run's findings (`Checks`). The look-ups and handshakes are `checks`' job.

use super::DomainName;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What the certificate the server presents says about one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Coverage {
    /// A SAN (or a matching wildcard) names it and now is inside the validity window.
    Covered { days_left: i64 },
    /// The presented certificate does not name it, or is expired or not yet valid.
    NotCovered { why: String },
    /// No certificate could be read (the server refused or could not be reached): the planner
    /// treats it as "the set of names changed or not", never as a reason to order.
    Unknown { why: String },
}

/// Findings for the names of one run, as the planner sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// False when DNS was not checked (`--skip-dns`): the readiness gate is off and no
    /// certificate is ordered.
    pub dns_checked: bool,
    pub dns: BTreeMap<DomainName, DnsFinding>,
    /// What the server presents for each attached name, asked at the server's address whatever
    /// the name's DNS says (so a name that moved away still shows its certificate's expiry).
    pub tls: BTreeMap<DomainName, Coverage>,
    /// The name servers of the system's configuration when DNS was asked of them (no
    /// `--resolver`); `None` when servers were named, or DNS was not checked.
    pub system_resolvers: Option<Vec<IpAddr>>,
}

/// Every name checked through the system's resolvers failed to resolve (see
/// [`Checks::system_resolver_failed_all`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemResolverFailure {
    /// The system's name servers that were asked.
    pub servers: Vec<IpAddr>,
    /// How many names came back `nxdomain`, and how many `error`.
    pub nxdomain: usize,
    pub error: usize,
}

impl SystemResolverFailure {
    /// How many names were checked (all of them failed).
    pub fn names(&self) -> usize {
        self.nxdomain + self.error
    }
}

impl Checks {
    /// No checks were made (`--skip-dns`).
    pub fn skipped() -> Self {
        Checks::default()
    }

    /// The DNS finding for `name`, when DNS was checked.
    pub fn dns_finding(&self, name: &DomainName) -> Option<&DnsFinding> {
        self.dns.get(name)
    }

    /// Ready only with a `ready` finding: a name that was not looked up is not ready.
    pub fn is_ready(&self, name: &DomainName) -> bool {
        self.dns.get(name).is_some_and(DnsFinding::is_ready)
    }

    /// When the look-ups went through the system's resolvers and every name checked came back
    /// `nxdomain` or `error`: then the resolver itself (a broken `/etc/resolv.conf`, a network
    /// without DNS) is a likelier cause than every name at once. Only from two names on: one
    /// name that does not exist is ordinary.
    pub fn system_resolver_failed_all(&self) -> Option<SystemResolverFailure> {
        let servers = self.system_resolvers.as_ref()?;
        if !self.dns_checked || self.dns.len() < 2 {
            return None;
        }
        let mut failure = SystemResolverFailure {
            servers: servers.clone(),
            nxdomain: 0,
            error: 0,
        };
        for finding in self.dns.values() {
            match finding {
                DnsFinding::Nxdomain => failure.nxdomain += 1,
                DnsFinding::Error { .. } => failure.error += 1,
                _ => return None,
            }
        }
        Some(failure)
    }
}

/// The verdict on one name's DNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum DnsFinding {
    /// Every A and AAAA address is the server's.
    Ready {
        /// The addresses found, IPv4 first, sorted.
        addresses: Vec<IpAddr>,
    },
    /// No address is the server's.
    Mismatch {
        /// The addresses found, IPv4 first, sorted.
        addresses: Vec<IpAddr>,
    },
    /// Some addresses are the server's, some are not (often an AAAA left elsewhere).
    Partial {
        /// The addresses found, IPv4 first, sorted.
        addresses: Vec<IpAddr>,
    },
    /// The name does not exist.
    Nxdomain,
    /// The name exists but has no A or AAAA record.
    NoRecords,
    /// No usable answer (timeout, SERVFAIL, refused).
    Error {
        /// What went wrong.
        reason: String,
    },
}

impl DnsFinding {
    /// Whether a certificate for this name may be ordered.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready { .. })
    }

    /// The stable label used in plans and JSON (`status` field).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ready { .. } => "ready",
            Self::Mismatch { .. } => "mismatch",
            Self::Partial { .. } => "partial",
            Self::Nxdomain => "nxdomain",
            Self::NoRecords => "no-records",
            Self::Error { .. } => "error",
        }
    }
}
