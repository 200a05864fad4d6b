//! What apply did (`Report`): the outcome of every action, each certificate order sent, and why
//! a run was refused. `apply` fills it in; the renderers show it.

use super::{DomainName, LedgerEntry, Verification};
use serde::Serialize;

/// The kind of an action of a plan, and of the outcome that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Remove,
    Add,
    Update,
    Ssl,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Remove => "remove",
            ActionKind::Add => "add",
            ActionKind::Update => "update",
            ActionKind::Ssl => "ssl",
        }
    }
}

/// What became of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub kind: ActionKind,
    pub name: DomainName,
    #[serde(flatten)]
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    Ok { detail: String },
    Failed { error: String },
    Skipped { why: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// API requests the whole run made (filled in by the command).
    pub api_requests: Option<u64>,
    /// Every certificate order sent (refused ones and those of unknown outcome included), for
    /// the ledger.
    pub orders: Vec<LedgerEntry>,
    /// With `--verify`: what the server presents for each name the orders covered (filled in
    /// by the command).
    pub verification: Option<Verification>,
    /// Set when apply refused (exit 3) and changed nothing (filled in by the command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

/// Why apply refused: a safety gate of the plan, or a saved plan that drifted or was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// removal-cap | empty-desired | drift | tampered
    pub reason: String,
    pub message: String,
    /// What the refused plan would have removed (a safety gate).
    pub would_remove: Vec<String>,
    /// What drifted since the saved plan was made (drift).
    pub drift: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, Status::Failed { .. }))
            .count()
    }

    pub fn ok(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, Status::Ok { .. }))
            .count()
    }

    pub fn skipped(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, Status::Skipped { .. }))
            .count()
    }
}
