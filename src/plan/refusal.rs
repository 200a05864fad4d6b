//! A safety gate's refusal of a whole run (`Refusal`, `Gate`) and how it reads.

use crate::model::DomainName;
use serde::Serialize;
use std::fmt;

/// A safety gate refused the run; nothing may be changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    #[serde(flatten)]
    pub gate: Gate,
    /// What would have been removed.
    pub would_remove: Vec<DomainName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "gate", rename_all = "kebab-case")]
pub enum Gate {
    RemovalCap {
        removals: u32,
        live_aliases: u32,
        max: u32,
        max_percent: u8,
        allowed: Option<u32>,
    },
    EmptyDesired,
}

impl Gate {
    /// The gate's name in reports: `removal-cap` or `empty-desired`.
    pub fn reason(&self) -> &'static str {
        match self {
            Gate::RemovalCap { .. } => "removal-cap",
            Gate::EmptyDesired => "empty-desired",
        }
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gate::RemovalCap {
                removals,
                live_aliases,
                allowed: Some(n),
                ..
            } => write!(
                f,
                "{removals} removals of {live_aliases} live aliases exceed --allow-removals {n}; re-run with --allow-removals {removals} if they are intended"
            ),
            Gate::RemovalCap {
                removals,
                live_aliases,
                max,
                max_percent,
                allowed: None,
            } => write!(
                f,
                "{removals} removals of {live_aliases} live aliases exceed the cap (removals.max {max}, removals.max_percent {max_percent}%); check the list, then re-run with --allow-removals {removals} or raise the cap in the file"
            ),
            Gate::EmptyDesired => write!(
                f,
                "the file lists no domains and removals.prune is true: every unprotected alias would be removed; re-run with --allow-empty if that is intended"
            ),
        }
    }
}
