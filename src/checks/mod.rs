//! What the world says about each name beyond RunCloud: DNS readiness and TLS coverage.
//!
//! Owns DNS look-ups and TLS handshakes (the only module that makes them) and the `Checks`
//! value the planner reads. The planner never resolves anything itself; it reads `Checks`.

pub mod dns;

use crate::model::DomainName;
use dns::DnsFinding;
use std::collections::BTreeMap;

/// Findings for the names of one run, as the planner sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// False when DNS was not checked (`--skip-dns`): the readiness gate is off.
    pub dns_checked: bool,
    pub dns: BTreeMap<DomainName, DnsFinding>,
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
}
