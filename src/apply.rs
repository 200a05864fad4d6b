//! `execute(plan, client)`: carries out a plan and reports every outcome.
//!
//! Owns the order (removals, then additions and updates, then SSL), bounded parallelism, and
//! the per-action outcome. It makes no decisions: what to do and whether is the planner's; here
//! only the API's answer decides `ok` or `failed`. Prints nothing.

use crate::model::DomainName;
use crate::plan::{Action, ActionKind, Plan};
use crate::runcloud::{AddOutcome, ApiError, Client, DeleteOutcome};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::info;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
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

/// Carries out `plan`. A plan with a refusal must not reach here (the caller exits 3).
pub async fn execute(plan: &Plan, client: &Client, parallelism: usize) -> Report {
    debug_assert!(plan.refusal.is_none());
    let mut outcomes = Vec::with_capacity(plan.actions.len());
    let phases: [u8; 2] = [0, 1];
    for phase in phases {
        let actions: Vec<Action> = plan
            .actions
            .iter()
            .filter(|a| a.phase() == phase)
            .cloned()
            .collect();
        if actions.is_empty() {
            continue;
        }
        info!(phase, actions = actions.len(), "apply phase");
        outcomes.extend(run_phase(plan, client, actions, parallelism).await);
    }
    Report { outcomes }
}

async fn run_phase(
    plan: &Plan,
    client: &Client,
    actions: Vec<Action>,
    parallelism: usize,
) -> Vec<Outcome> {
    let sem = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut set = JoinSet::new();
    let total = actions.len();
    for (i, action) in actions.into_iter().enumerate() {
        let client = client.clone();
        let sem = sem.clone();
        let (server, app) = (plan.server_id, plan.app_id);
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, run_one(&client, server, app, &action).await)
        });
    }
    let mut done: Vec<(usize, Outcome)> = Vec::with_capacity(total);
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => done.push(r),
            Err(e) => tracing::error!("an apply task failed: {e}"),
        }
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}

async fn run_one(client: &Client, server: u64, app: u64, action: &Action) -> Outcome {
    let status = match action {
        Action::Remove { id, name, .. } => match client.delete_domain(server, app, *id).await {
            Ok(DeleteOutcome::Deleted) => ok(format!("removed {name}")),
            Ok(DeleteOutcome::AlreadyGone) => ok(format!("{name} was gone already")),
            Err(e) => failed(e),
        },
        Action::Add { name, settings } => match client
            .add_domain(server, app, name.as_str(), *settings)
            .await
        {
            Ok(AddOutcome::Added(d)) => ok(format!("attached {name} (id {})", d.id)),
            Ok(AddOutcome::AlreadyAttached(d)) => {
                ok(format!("{name} was attached already (id {})", d.id))
            }
            Err(e) => failed(e),
        },
        Action::Update {
            id,
            name,
            domain_kind,
            to,
            ..
        } => {
            match client
                .update_domain(server, app, *id, *domain_kind, *to)
                .await
            {
                Ok(()) => ok(format!("updated {name}: {to}")),
                Err(e) => failed(e),
            }
        }
    };
    Outcome {
        kind: action.kind(),
        name: action.name().clone(),
        status,
    }
}

fn ok(detail: String) -> Status {
    Status::Ok { detail }
}

fn failed(e: ApiError) -> Status {
    Status::Failed {
        error: e.to_string(),
    }
}
