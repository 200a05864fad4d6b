//! `run(approved, client, parallelism)`: carries out an approved plan and reports every
//! outcome.
//!
//! Owns the order (the `Phase`s: removals, then additions and updates, then SSL), bounded
//! parallelism, the per-action outcome, and the record of every certificate order sent (for
//! the ledger). It makes no decisions: what to do and whether is the planner's, and a plan a
//! safety gate refused cannot reach it (`Plan::approve`); here only the API's answer decides
//! `ok` or `failed`. Prints nothing. The report is a model type, so the renderers never need
//! this module.

use crate::model::{
    ActionKind, DomainName, DomainSettings, LedgerEntry, LiveDomain, OrderOutcome, Outcome, Status,
    cert_names,
};
use crate::model::{Refusal, Report};
use crate::plan::{Action, Approved, Phase, Plan, SslOrder};
use crate::runcloud::{ApiError, Client, DeleteOutcome};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::info;

/// Carries out an approved plan: each phase in turn, the actions of a phase with at most
/// `parallelism` at once; SSL only once every domain change succeeded.
pub async fn run(plan: Approved<'_>, client: &Client, parallelism: usize) -> Report {
    let plan = plan.plan();
    let mut outcomes = Vec::with_capacity(plan.actions.len());
    client.progress().start(plan.actions.len() as u64);
    for phase in [Phase::Removals, Phase::AddsAndUpdates] {
        let actions: Vec<Action> = plan
            .actions
            .iter()
            .filter(|a| a.phase() == phase)
            .cloned()
            .collect();
        if actions.is_empty() {
            continue;
        }
        info!(
            phase = phase.as_str(),
            actions = actions.len(),
            "apply phase"
        );
        outcomes.extend(run_phase(plan, client, actions, parallelism).await);
    }
    let ssl: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.phase() == Phase::Ssl)
        .collect();
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

/// The refusal of a plan that a safety gate stopped, as the report shows it.
pub fn gate_refusal(refused: &crate::plan::Refusal) -> Refusal {
    Refusal {
        reason: refused.gate.reason().into(),
        message: refused.gate.to_string(),
        would_remove: refused
            .would_remove
            .iter()
            .map(ToString::to_string)
            .collect(),
        drift: vec![],
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
            e.excerpt()
                .map_or_else(|| crate::errors::chain(e), str::to_string),
        ),
        Err(
            e @ (ApiError::OutcomeUnknown { .. }
            | ApiError::Timeout { .. }
            | ApiError::NotJson { .. }
            | ApiError::Shape { .. }),
        ) => (OrderOutcome::Unknown, crate::errors::chain(e)),
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
    let ssl = SslPhase {
        plan,
        client,
        attached_names: attached.iter().flat_map(cert_names).collect(),
        attached,
    };
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
                ssl.basic(name, order, covers, orders).await
            }
            SslOrder::AdvancedInstall { domain_id } => {
                ssl.advanced_install(name, *domain_id, covers, orders).await
            }
            SslOrder::AdvancedRedeploy {
                domain_id,
                certificate_id,
            } => {
                ssl.advanced_redeploy(name, *domain_id, *certificate_id, covers, orders)
                    .await
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

/// The SSL phase's view of the app: the domains attached when it started.
struct SslPhase<'a> {
    plan: &'a Plan,
    client: &'a Client,
    attached: Vec<LiveDomain>,
    /// Every name a certificate for the attached domains covers.
    attached_names: BTreeSet<DomainName>,
}

impl SslPhase<'_> {
    /// Basic mode: the app's one certificate, ordered only when the attached names are the
    /// ones it was planned to cover.
    async fn basic(
        &self,
        name: &DomainName,
        order: &SslOrder,
        covers: &[DomainName],
        orders: &mut Vec<LedgerEntry>,
    ) -> Status {
        let (plan, client) = (self.plan, self.client);
        let planned: BTreeSet<DomainName> = covers.iter().cloned().collect();
        if planned != self.attached_names {
            let extra: Vec<&str> = self
                .attached_names
                .difference(&planned)
                .map(DomainName::as_str)
                .take(5)
                .collect();
            let missing: Vec<&str> = planned
                .difference(&self.attached_names)
                .map(DomainName::as_str)
                .take(5)
                .collect();
            return Status::Skipped {
                why: format!(
                    "the attached names changed since the plan (new: [{}], gone: [{}]); run plan again",
                    extra.join(", "),
                    missing.join(", ")
                ),
            };
        }
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

    /// Advanced mode, a domain without a certificate: installed when it is still attached as
    /// planned (`domain_id`: `None` for a domain this run added).
    async fn advanced_install(
        &self,
        name: &DomainName,
        domain_id: Option<u64>,
        covers: &[DomainName],
        orders: &mut Vec<LedgerEntry>,
    ) -> Status {
        let current = self.attached.iter().find(|d| &d.name == name);
        match (current, domain_id) {
            (None, _) => Status::Skipped {
                why: format!("{name} is not attached any more"),
            },
            (Some(d), _) if cert_names(d) != *covers => Status::Skipped {
                why: format!("{name}'s www setting changed since the plan; run plan again"),
            },
            (Some(d), Some(id)) if d.id != id => Status::Skipped {
                why: format!("{name} was re-attached since the plan; run plan again"),
            },
            (Some(d), _) => install_advanced(self.plan, self.client, d.id, covers, orders).await,
        }
    }

    /// Advanced mode, a domain's Let's Encrypt certificate redeployed, when the domain is
    /// still attached as planned.
    async fn advanced_redeploy(
        &self,
        name: &DomainName,
        domain_id: u64,
        certificate_id: u64,
        covers: &[DomainName],
        orders: &mut Vec<LedgerEntry>,
    ) -> Status {
        let plan = self.plan;
        let current = self.attached.iter().find(|d| &d.name == name);
        match current {
            None => Status::Skipped {
                why: format!("{name} is not attached any more"),
            },
            Some(d) if d.id != domain_id => Status::Skipped {
                why: format!("{name} was re-attached since the plan; run plan again"),
            },
            Some(d) if cert_names(d) != *covers => Status::Skipped {
                why: format!("{name}'s www setting changed since the plan; run plan again"),
            },
            Some(_) => {
                let result = self
                    .client
                    .redeploy_advanced_ssl(plan.server_id, plan.app_id, domain_id, certificate_id)
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

/// One phase's actions against RunCloud, at most `parallelism` at once.
async fn run_phase(
    plan: &Plan,
    client: &Client,
    actions: Vec<Action>,
    parallelism: usize,
) -> Vec<Outcome> {
    let reread = Arc::new(Reread::default());
    let (server, app) = (plan.server_id, plan.app_id);
    each_at_most(actions, parallelism, |action| {
        let (client, reread) = (client.clone(), reread.clone());
        async move {
            let status = run_one(&client, &reread, server, app, &action).await;
            client.progress().advance();
            status
        }
    })
    .await
}

/// Carries out each action as a task of its own, at most `parallelism` at once, started in
/// order. Every action gets an outcome: one whose task panicked, was cancelled or never
/// started is `failed`, never a silent gap.
async fn each_at_most<F, Fut>(
    actions: Vec<Action>,
    parallelism: usize,
    carry_out: F,
) -> Vec<Outcome>
where
    F: Fn(Action) -> Fut,
    Fut: Future<Output = Status> + Send + 'static,
{
    let sem = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut set = JoinSet::new();
    let shells: Vec<(ActionKind, DomainName)> = actions
        .iter()
        .map(|a| (a.kind(), a.name().clone()))
        .collect();
    // Which action each task carries out, to report a task that ends without an outcome.
    let mut task_action: HashMap<tokio::task::Id, usize> = HashMap::new();
    for (i, action) in actions.into_iter().enumerate() {
        // Taken before the task starts, so actions start in plan order (one by one with
        // --parallelism 1) and at most `parallelism` run at once.
        let Ok(permit) = sem.clone().acquire_owned().await else {
            break;
        };
        let work = carry_out(action);
        let task = set.spawn(async move {
            let _permit = permit;
            work.await
        });
        task_action.insert(task.id(), i);
    }
    let mut done: Vec<Option<Status>> = vec![None; shells.len()];
    while let Some(joined) = set.join_next_with_id().await {
        let (id, status) = match joined {
            Ok(finished) => finished,
            Err(e) => {
                let how = if e.is_panic() {
                    "panicked"
                } else if e.is_cancelled() {
                    "was cancelled"
                } else {
                    "stopped unexpectedly"
                };
                tracing::error!("an apply task {how}: {e}");
                let error = format!(
                    "the task carrying it out {how}; its outcome is unknown — run plan again"
                );
                (e.id(), Status::Failed { error })
            }
        };
        if let Some(&i) = task_action.get(&id) {
            done[i] = Some(status);
        }
    }
    done.into_iter()
        .zip(shells)
        .map(|(status, (kind, name))| Outcome {
            kind,
            name,
            status: status.unwrap_or_else(|| Status::Failed {
                error: "it was not started; its outcome is unknown — run plan again".into(),
            }),
        })
        .collect()
}

async fn run_one(
    client: &Client,
    reread: &Reread,
    server: u64,
    app: u64,
    action: &Action,
) -> Status {
    match action {
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
    }
}

fn ok(detail: String) -> Status {
    Status::Ok { detail }
}

fn failed(e: ApiError) -> Status {
    Status::Failed {
        error: crate::errors::chain(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DomainSettings, Redirection};

    fn add(name: &str) -> Action {
        Action::Add {
            name: DomainName::new_unchecked(name.into()),
            settings: DomainSettings {
                www: false,
                redirection: Redirection::None,
            },
        }
    }

    #[tokio::test]
    async fn a_task_that_panics_is_a_failed_outcome_not_a_gap() {
        let actions = vec![add("a.example"), add("boom.example"), add("c.example")];
        let outcomes = each_at_most(actions, 2, |action| async move {
            if action.name().as_str() == "boom.example" {
                panic!("a bug while carrying out {}", action.name());
            }
            Status::Ok {
                detail: format!("done {}", action.name()),
            }
        })
        .await;
        let shown: Vec<(&str, &Status)> = outcomes
            .iter()
            .map(|o| (o.name.as_str(), &o.status))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(
            matches!(shown[0], ("a.example", Status::Ok { .. })),
            "{shown:?}"
        );
        assert!(
            matches!(shown[1], ("boom.example", Status::Failed { error }) if error.contains("panicked")),
            "{shown:?}"
        );
        assert!(
            matches!(shown[2], ("c.example", Status::Ok { .. })),
            "{shown:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn outcomes_keep_the_order_of_the_plan() {
        let actions: Vec<Action> = (0..6).map(|i| add(&format!("n{i}.example"))).collect();
        let outcomes = each_at_most(actions, 3, |action| async move {
            // Later actions finish first.
            let n: u64 = action.name().as_str()[1..2].parse().unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(30 - 5 * n)).await;
            Status::Ok {
                detail: String::new(),
            }
        })
        .await;
        let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "n0.example",
                "n1.example",
                "n2.example",
                "n3.example",
                "n4.example",
                "n5.example"
            ]
        );
    }
}
