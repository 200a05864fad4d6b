//! `execute(plan, client)`: carries out a plan and reports every outcome.
//!
//! Owns the order (removals, then additions and updates, then SSL), bounded parallelism, and
//! the per-action outcome, and the record of every certificate order sent (for the ledger). It
//! makes no decisions: what to do and whether is the planner's; here only the API's answer
//! decides `ok` or `failed`. Prints nothing.

use crate::checks::cert_names;
use crate::checks::verify::Verification;
use crate::model::DomainName;
use crate::model::{DomainSettings, LiveDomain};
use crate::plan::{Action, ActionKind, LedgerEntry, OrderOutcome, Plan, SslOrder};
use crate::runcloud::{ApiError, Client, DeleteOutcome};
use serde::Serialize;
use std::collections::BTreeSet;
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

/// Carries out `plan`. A plan with a refusal must not reach here (the caller exits 3).
pub async fn execute(plan: &Plan, client: &Client, parallelism: usize) -> Report {
    debug_assert!(plan.refusal.is_none());
    let mut outcomes = Vec::with_capacity(plan.actions.len());
    client.progress().start(plan.actions.len() as u64);
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
    let ssl: Vec<&Action> = plan.actions.iter().filter(|a| a.phase() == 2).collect();
    let mut orders = Vec::new();
    if !ssl.is_empty() {
        let domain_phase_failed = outcomes
            .iter()
            .any(|o| matches!(o.status, Status::Failed { .. }));
        outcomes.extend(run_ssl(plan, client, &ssl, domain_phase_failed, &mut orders).await);
    }
    Report {
        outcomes,
        api_requests: Some(client.request_count()),
        orders,
        verification: None,
        refusal: None,
    }
}

/// The ledger's record of an order that was sent, or `None` when the request never left
/// (it could not be placed: nothing to count against Let's Encrypt's limits).
fn order_record(
    plan: &Plan,
    covers: &[DomainName],
    result: &Result<(), ApiError>,
) -> Option<LedgerEntry> {
    let (outcome, message) = match result {
        Ok(()) => (OrderOutcome::Ok, "certificate ordered".to_string()),
        Err(e @ ApiError::Status { .. }) => (
            OrderOutcome::Failed,
            e.excerpt().map_or_else(|| e.to_string(), str::to_string),
        ),
        Err(
            e @ (ApiError::OutcomeUnknown { .. }
            | ApiError::Timeout { .. }
            | ApiError::NotJson { .. }
            | ApiError::Shape { .. }),
        ) => (OrderOutcome::Unknown, e.to_string()),
        Err(_) => return None,
    };
    let mut names = covers.to_vec();
    names.sort();
    names.dedup();
    Some(LedgerEntry {
        at: jiff::Timestamp::now().as_second(),
        server: plan.server_id,
        app: plan.app_id,
        names,
        outcome,
        message,
    })
}

/// The SSL phase. Re-checks its preconditions first: every domain change succeeded, and the
/// names attached now are the ones the plan saw ready — a certificate order covers what is
/// attached at that moment, so an order is never placed for a name the plan did not check.
async fn run_ssl(
    plan: &Plan,
    client: &Client,
    actions: &[&Action],
    domain_phase_failed: bool,
    orders: &mut Vec<LedgerEntry>,
) -> Vec<Outcome> {
    let skip_all = |why: String| -> Vec<Outcome> {
        actions
            .iter()
            .map(|a| Outcome {
                kind: ActionKind::Ssl,
                name: a.name().clone(),
                status: Status::Skipped { why: why.clone() },
            })
            .collect()
    };
    if domain_phase_failed {
        return skip_all("a domain change failed, so the certificate would not cover the planned names; re-run apply".into());
    }
    let attached = match client.list_domains(plan.server_id, plan.app_id).await {
        Ok(list) => list,
        Err(e) => {
            return skip_all(format!(
                "cannot re-read the domain list before ordering: {e}"
            ));
        }
    };
    let attached_names: BTreeSet<DomainName> = attached.iter().flat_map(cert_names).collect();
    let mut out = Vec::new();
    for action in actions {
        let Action::Ssl {
            name,
            order,
            covers,
        } = action
        else {
            continue;
        };
        let status = match order {
            SslOrder::BasicInstall | SslOrder::BasicRedeploy { .. } => {
                let planned: BTreeSet<DomainName> = covers.iter().cloned().collect();
                if planned != attached_names {
                    let extra: Vec<&str> = attached_names
                        .difference(&planned)
                        .map(DomainName::as_str)
                        .take(5)
                        .collect();
                    let missing: Vec<&str> = planned
                        .difference(&attached_names)
                        .map(DomainName::as_str)
                        .take(5)
                        .collect();
                    Status::Skipped {
                        why: format!(
                            "the attached names changed since the plan (new: [{}], gone: [{}]); run plan again",
                            extra.join(", "),
                            missing.join(", ")
                        ),
                    }
                } else {
                    let result = match order {
                        SslOrder::BasicRedeploy { certificate_id } => {
                            client
                                .redeploy_basic_ssl(plan.server_id, plan.app_id, *certificate_id)
                                .await
                        }
                        _ => {
                            client
                                .install_basic_ssl(plan.server_id, plan.app_id, plan.ssl_staging)
                                .await
                        }
                    };
                    orders.extend(order_record(plan, covers, &result));
                    match result {
                        Ok(()) => ok(format!(
                            "certificate ordered for {} names ({})",
                            covers.len(),
                            name
                        )),
                        Err(e) => failed(e),
                    }
                }
            }
            SslOrder::AdvancedInstall { domain_id } => {
                let current = attached.iter().find(|d| &d.name == name);
                match (current, domain_id) {
                    (None, _) => Status::Skipped {
                        why: format!("{name} is not attached any more"),
                    },
                    (Some(d), _) if cert_names(d) != *covers => Status::Skipped {
                        why: format!("{name}'s www setting changed since the plan; run plan again"),
                    },
                    (Some(d), Some(id)) if d.id != *id => Status::Skipped {
                        why: format!("{name} was re-attached since the plan; run plan again"),
                    },
                    (Some(d), _) => install_advanced(plan, client, d.id, covers, orders).await,
                }
            }
            SslOrder::AdvancedRedeploy {
                domain_id,
                certificate_id,
            } => {
                let current = attached.iter().find(|d| &d.name == name);
                match current {
                    None => Status::Skipped {
                        why: format!("{name} is not attached any more"),
                    },
                    Some(d) if d.id != *domain_id => Status::Skipped {
                        why: format!("{name} was re-attached since the plan; run plan again"),
                    },
                    Some(d) if cert_names(d) != *covers => Status::Skipped {
                        why: format!("{name}'s www setting changed since the plan; run plan again"),
                    },
                    Some(_) => {
                        let result = client
                            .redeploy_advanced_ssl(
                                plan.server_id,
                                plan.app_id,
                                *domain_id,
                                *certificate_id,
                            )
                            .await;
                        orders.extend(order_record(plan, covers, &result));
                        match result {
                            Ok(()) => ok(format!(
                                "certificate {certificate_id} redeployed for {}",
                                joined(covers)
                            )),
                            Err(e) => failed(e),
                        }
                    }
                }
            }
        };
        out.push(Outcome {
            kind: ActionKind::Ssl,
            name: name.clone(),
            status,
        });
    }
    out
}

/// Advanced SSL install for one domain: RunCloud refuses a POST over an existing certificate,
/// so the domain's certificate is read first and the install is sent only when there is none.
/// One found since the plan is left for the next plan (a redeploy, or nothing if custom).
async fn install_advanced(
    plan: &Plan,
    client: &Client,
    domain: u64,
    covers: &[DomainName],
    orders: &mut Vec<LedgerEntry>,
) -> Status {
    match client
        .domain_certificate(plan.server_id, plan.app_id, domain)
        .await
    {
        Ok(None) => {}
        Ok(Some(c)) => {
            return Status::Skipped {
                why: format!(
                    "it has certificate {} now ({}), which the plan did not see; run plan again",
                    c.id,
                    c.method_label()
                ),
            };
        }
        Err(e) => {
            return Status::Skipped {
                why: format!("cannot read its certificate before ordering: {e}"),
            };
        }
    }
    let result = client
        .install_advanced_ssl(plan.server_id, plan.app_id, domain, plan.ssl_staging)
        .await;
    orders.extend(order_record(plan, covers, &result));
    match result {
        Ok(()) => ok(format!("certificate ordered for {}", joined(covers))),
        Err(e) => failed(e),
    }
}

fn joined(names: &[DomainName]) -> String {
    names
        .iter()
        .map(DomainName::as_str)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// One re-read of the domain list, shared by the adds of a phase whose outcome must be
/// checked: an add that failed before the last re-read started uses it instead of reading the
/// whole list again (125 requests at 5,000 domains).
#[derive(Default)]
struct Reread {
    last: tokio::sync::Mutex<Option<(tokio::time::Instant, Arc<Vec<LiveDomain>>)>>,
}

impl Reread {
    /// The list as read after `since`.
    async fn list(
        &self,
        client: &Client,
        server: u64,
        app: u64,
        since: tokio::time::Instant,
    ) -> Result<Arc<Vec<LiveDomain>>, ApiError> {
        let mut last = self.last.lock().await;
        if let Some((at, list)) = last.as_ref()
            && *at >= since
        {
            return Ok(list.clone());
        }
        let started = tokio::time::Instant::now();
        let list = Arc::new(client.domains_attached_now(server, app).await?);
        *last = Some((started, list.clone()));
        Ok(list)
    }
}

/// How many times an add is sent again after a re-read showed it absent.
const ADD_RESENDS: u32 = 3;

/// Adds a name. When the outcome is unknown (a lost answer, a 5xx) or RunCloud refuses it
/// (422, as for a name attached already), the list is re-read (shared) before anything else:
/// attached means done; absent after an unknown outcome means RunCloud did not take it, so it
/// is sent again after a short pause (at most `ADD_RESENDS` times, each only after a re-read
/// showed it absent) — a duplicate would be refused with 422, never attached twice. Absent
/// after a 422 is a real refusal.
async fn add(
    client: &Client,
    reread: &Reread,
    server: u64,
    app: u64,
    name: &DomainName,
    settings: DomainSettings,
) -> Status {
    let mut resends = 0;
    loop {
        let error = match client
            .add_domain(server, app, name.as_str(), settings)
            .await
        {
            Ok(d) if resends > 0 => {
                return ok(format!(
                    "attached {name} (id {}) when sent again after the list showed it absent",
                    d.id
                ));
            }
            Ok(d) => return ok(format!("attached {name} (id {})", d.id)),
            Err(e @ (ApiError::OutcomeUnknown { .. } | ApiError::Status { status: 422, .. })) => e,
            Err(e) => return failed(e),
        };
        let failed_at = tokio::time::Instant::now();
        tracing::debug!(%name, "add: {error}; re-reading the domain list");
        let list = match reread.list(client, server, app, failed_at).await {
            Ok(l) => l,
            Err(re) => {
                return Status::Failed {
                    error: format!("{error}; and the list could not be re-read: {re}"),
                };
            }
        };
        if let Some(d) = list.iter().find(|d| &d.name == name) {
            return ok(format!("{name} was attached already (id {})", d.id));
        }
        if resends >= ADD_RESENDS || !matches!(error, ApiError::OutcomeUnknown { .. }) {
            return failed(error);
        }
        resends += 1;
        tokio::time::sleep(std::time::Duration::from_millis(
            500 + fastrand::u64(0..500),
        ))
        .await;
    }
}

async fn run_phase(
    plan: &Plan,
    client: &Client,
    actions: Vec<Action>,
    parallelism: usize,
) -> Vec<Outcome> {
    let sem = Arc::new(Semaphore::new(parallelism.max(1)));
    let reread = Arc::new(Reread::default());
    let mut set = JoinSet::new();
    let total = actions.len();
    let shells: Vec<(ActionKind, DomainName)> = actions
        .iter()
        .map(|a| (a.kind(), a.name().clone()))
        .collect();
    for (i, action) in actions.into_iter().enumerate() {
        let client = client.clone();
        let reread = reread.clone();
        // Taken before the task starts, so actions start in plan order (one by one with
        // --parallelism 1) and at most `parallelism` run at once.
        let Ok(permit) = sem.clone().acquire_owned().await else {
            break;
        };
        let (server, app) = (plan.server_id, plan.app_id);
        set.spawn(async move {
            let _permit = permit;
            let outcome = run_one(&client, &reread, server, app, &action).await;
            client.progress().advance();
            (i, outcome)
        });
    }
    let mut done: Vec<Option<Outcome>> = vec![None; total];
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, o)) => done[i] = Some(o),
            Err(e) => tracing::error!("an apply task failed: {e}"),
        }
    }
    // A task that panicked or was cancelled is a failure, never a silent gap.
    done.into_iter()
        .zip(shells)
        .map(|(o, (kind, name))| {
            o.unwrap_or_else(|| Outcome {
                kind,
                name,
                status: Status::Failed {
                    error: "the task carrying it out stopped unexpectedly; its outcome is unknown — run plan again".into(),
                },
            })
        })
        .collect()
}

async fn run_one(
    client: &Client,
    reread: &Reread,
    server: u64,
    app: u64,
    action: &Action,
) -> Outcome {
    let status = match action {
        Action::Remove { id, name, .. } => match client.delete_domain(server, app, *id).await {
            Ok(DeleteOutcome::Deleted) => ok(format!("removed {name}")),
            Ok(DeleteOutcome::AlreadyGone) => ok(format!("{name} was gone already")),
            Err(e) => failed(e),
        },
        Action::Add { name, settings } => add(client, reread, server, app, name, *settings).await,
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
        Action::Ssl { .. } => Status::Skipped {
            why: "SSL runs in its own phase".into(),
        },
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
