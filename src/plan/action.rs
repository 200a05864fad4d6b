//! What a plan does: `Action` (add, update, remove, SSL order), its kinds, and the `Phase` of
//! apply it runs in.
//!
//! Data only; the planner makes them, `apply` carries them out, the renderers show them.

use crate::model::{ActionKind, DomainKind, DomainName, DomainSettings};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    Remove {
        id: u64,
        name: DomainName,
        reason: RemoveReason,
    },
    Add {
        name: DomainName,
        #[serde(flatten)]
        settings: DomainSettings,
    },
    Update {
        id: u64,
        name: DomainName,
        domain_kind: DomainKind,
        from: DomainSettings,
        to: DomainSettings,
    },
    /// A certificate order, after the domain changes. `name` is the domain it is for (basic
    /// mode: the app's primary domain, or the first name); `covers` every name it must cover,
    /// each of them DNS-ready when planned.
    Ssl {
        name: DomainName,
        order: SslOrder,
        covers: Vec<DomainName>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "order", rename_all = "kebab-case")]
pub enum SslOrder {
    /// Basic mode, no certificate yet: `POST …/webapps/{w}/ssl`.
    BasicInstall,
    /// Basic mode: `PUT …/webapps/{w}/ssl/{certificate_id}` (Let's Encrypt redeploy).
    BasicRedeploy { certificate_id: u64 },
    /// Advanced mode: `POST …/domains/{d}/ssl` for a domain without a certificate;
    /// `domain_id` is `None` for a domain this run adds (apply reads its id after adding it,
    /// and posts only when RunCloud says it has no certificate).
    AdvancedInstall { domain_id: Option<u64> },
    /// Advanced mode: `PUT …/domains/{d}/ssl/{certificate_id}`, a Let's Encrypt redeploy of
    /// the domain's certificate (a POST over an existing certificate is refused by RunCloud).
    AdvancedRedeploy { domain_id: u64, certificate_id: u64 },
}

impl SslOrder {
    /// The `order` tag of the JSON plan.
    pub fn as_str(&self) -> &'static str {
        match self {
            SslOrder::BasicInstall => "basic-install",
            SslOrder::BasicRedeploy { .. } => "basic-redeploy",
            SslOrder::AdvancedInstall { .. } => "advanced-install",
            SslOrder::AdvancedRedeploy { .. } => "advanced-redeploy",
        }
    }
}

/// Let's Encrypt's limit of names on one certificate.
pub const CERTIFICATE_NAME_LIMIT: usize = 100;

impl Action {
    pub fn name(&self) -> &DomainName {
        match self {
            Action::Remove { name, .. }
            | Action::Add { name, .. }
            | Action::Update { name, .. }
            | Action::Ssl { name, .. } => name,
        }
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Remove { .. } => ActionKind::Remove,
            Action::Add { .. } => ActionKind::Add,
            Action::Update { .. } => ActionKind::Update,
            Action::Ssl { .. } => ActionKind::Ssl,
        }
    }

    /// The phase `apply` runs it in.
    pub fn phase(&self) -> Phase {
        match self {
            Action::Remove { .. } => Phase::Removals,
            Action::Add { .. } | Action::Update { .. } => Phase::AddsAndUpdates,
            Action::Ssl { .. } => Phase::Ssl,
        }
    }
}

/// The phases of apply, in the order they run: removals, then additions and updates, then SSL.
/// A phase starts once the one before it has ended, so the SSL orders cover the names the
/// domain changes left attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Removals,
    AddsAndUpdates,
    Ssl,
}

impl Phase {
    /// How the phase is named in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Removals => "removals",
            Phase::AddsAndUpdates => "additions and updates",
            Phase::Ssl => "ssl",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoveReason {
    /// Attached, not in the file, and `prune: true`.
    Unlisted,
    /// `state: absent` in the file.
    Tombstone,
}
