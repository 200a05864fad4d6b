//! What `apply --verify` found: for each name an order covered, whether the server presents a
//! certificate covering it. The probing is `checks::verify`'s job.

use super::DomainName;
use serde::Serialize;

/// The outcome of verifying the names of one apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The time allowed, in seconds (`--verify SECS`).
    pub allowed_secs: u64,
    /// One per name, sorted by name.
    pub names: Vec<NameVerification>,
}

impl Verification {
    pub fn verified(&self) -> usize {
        self.names.iter().filter(|n| n.verified).count()
    }

    pub fn unverified(&self) -> usize {
        self.names.len() - self.verified()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameVerification {
    pub name: DomainName,
    /// The server presented a certificate covering the name.
    pub verified: bool,
    /// What the server presented at the last probe; `None` when no certificate was read.
    pub presented: Option<Presented>,
    /// Why it is not verified: the probe's error, or why the certificate does not cover it.
    pub why: Option<String>,
    /// Probes made.
    pub probes: u32,
}

/// A certificate as the server presented it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presented {
    /// Its DNS names, as presented (lower case).
    pub names: Vec<String>,
    /// End of validity, UTC seconds.
    pub not_after: i64,
    /// Whole days left at the last probe.
    pub days_left: i64,
}
