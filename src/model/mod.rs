//! The domain model shared by every stage: names and domain settings, the live state, what the
//! DNS and TLS checks found, and what apply did.
//!
//! Owns the types the planner and the renderers reason about, so that they need no module that
//! owns a socket: `checks`, the RunCloud client and `apply` produce these values, `plan` and
//! `render` read them. It holds no I/O and no wire formats: RunCloud's JSON shapes stay in
//! `runcloud`, the YAML shapes stay in `desired`. It imports nothing else of the crate.

mod domain;
mod findings;
mod live;
mod order;
mod report;
mod verification;

pub use domain::{DomainKind, DomainName, DomainSettings, Redirection};
pub use findings::{Checks, Coverage, DnsFinding, SystemResolverFailure};
pub use live::{ApiVersion, LiveCertificate, LiveDomain, LiveSsl, LiveState, cert_names};
pub use order::{LedgerEntry, OrderOutcome};
pub use report::{ActionKind, Outcome, Refusal, Report, Status};
pub use verification::{NameVerification, Presented, Verification};
