//! The saved plan (`plan --out FILE`, `apply FILE`): the JSON plan wrapped with the inputs it
//! was computed from (`SavedPlan`, `SavedPlans`), its fingerprint, the integrity check of a
//! plan file, and what drifted between two sets of inputs. It builds on `render::json`'s
//! shapes; `render` knows nothing of it.
//!
//! Pure: no I/O and no clock. Reading and writing the file is the commands' job; deciding what
//! to do is the planner's. Holds no credential and no API URL — only what the reviewer saw.
//!
//! The fingerprint is a SHA-256 over a canonical JSON (sorted keys, no whitespace) of the
//! format version, the inputs (the normalised desired state and the path it was read from, the
//! whole live state, the DNS status of every name an action depends on, the run's options) and
//! the planned actions and refusal as the JSON plan shows them. Deferred items and certificate
//! expiry days are not covered: they change nothing that apply does.

use crate::desired::Desired;
use crate::model::{Checks, DomainName, LiveCertificate, LiveState};
use crate::plan::{Action, Plan, PlanOptions};
use crate::render::json::{FORMAT_VERSION, JsonPlan, JsonPlans};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What a plan was computed from; stored in a saved plan so that apply can recompute it and
/// say what drifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// The desired-state file, as given to `plan -f` (relative to the working directory); `apply
    /// PLANFILE` reads it again from there and refuses when its content changed.
    pub desired_file: String,
    pub options: SavedOptions,
    pub desired: DesiredInputs,
    pub live: LiveInputs,
    /// The DNS status of every name an action depends on (an addition through the DNS gate,
    /// the names a certificate covers).
    pub findings: BTreeMap<String, String>,
}

/// The command-line choices of the planning run; apply uses them again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedOptions {
    pub allow_removals: Option<u32>,
    pub allow_empty: bool,
    /// False when the plan was made with --skip-dns.
    pub dns_checked: bool,
    /// `--retry-now` names: orders covering them were planned through a back-off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry_now: Vec<String>,
    /// The plan was made with `--ledger` (apply must be given one too).
    #[serde(default, skip_serializing_if = "is_false")]
    pub ledger: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The desired state after validation and normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesiredInputs {
    pub server: Option<u64>,
    pub app: Option<u64>,
    pub ssl_mode: String,
    pub ssl_environment: String,
    pub dns_require: bool,
    pub dns_also_accept: Vec<String>,
    pub prune: bool,
    pub protect: Vec<String>,
    pub max: u32,
    pub max_percent: u8,
    pub grace_secs: u64,
    /// Name → "www on|off, redirection …".
    pub domains: BTreeMap<String, String>,
    pub tombstones: Vec<String>,
}

/// The live state as read from RunCloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveInputs {
    /// The RunCloud server and web application the plan is for; apply targets exactly these.
    pub server_id: u64,
    pub app_id: u64,
    pub api: String,
    pub server_ip: String,
    /// Name → "id 12, alias, www on, redirection non-www".
    pub domains: BTreeMap<String, String>,
    /// "basic" or "advanced", AutoSSL, the certificate id.
    pub ssl: String,
}

/// The inputs of one planning run.
pub fn inputs(desired: &Desired, live: &LiveState, checks: &Checks, plan: &Plan) -> Inputs {
    Inputs {
        desired_file: desired.source.clone(),
        options: SavedOptions {
            allow_removals: None,
            allow_empty: false,
            dns_checked: checks.dns_checked,
            retry_now: vec![],
            ledger: false,
        },
        desired: desired_inputs(desired),
        live: live_inputs(live),
        findings: deciding_findings(checks, plan),
    }
}

fn desired_inputs(desired: &Desired) -> DesiredInputs {
    DesiredInputs {
        server: desired.target.server,
        app: desired.target.app,
        ssl_mode: tag(&desired.ssl_mode),
        ssl_environment: tag(&desired.ssl_environment),
        dns_require: desired.dns.require,
        dns_also_accept: desired
            .dns
            .also_accept
            .iter()
            .map(|entry| entry.written.clone())
            .collect(),
        prune: desired.removals.prune,
        protect: desired
            .removals
            .protect
            .iter()
            .map(ToString::to_string)
            .collect(),
        max: desired.removals.max,
        max_percent: desired.removals.max_percent,
        grace_secs: desired.removals.grace.as_secs(),
        domains: desired
            .domains
            .iter()
            .map(|d| (d.name.to_string(), d.settings.to_string()))
            .collect(),
        tombstones: desired.tombstones.iter().map(ToString::to_string).collect(),
    }
}

fn live_inputs(live: &LiveState) -> LiveInputs {
    LiveInputs {
        server_id: live.server_id,
        app_id: live.app_id,
        api: live.api.to_string(),
        server_ip: live
            .server_ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into()),
        domains: live
            .domains
            .iter()
            .map(|d| {
                let kind = d.kind.as_str();
                let wildcard = if d.wildcard { ", wildcard" } else { "" };
                let created = d
                    .created_at
                    .map(|c| format!(", created {c}"))
                    .unwrap_or_default();
                (
                    d.name.to_string(),
                    format!("id {}, {kind}, {}{wildcard}{created}", d.id, d.settings),
                )
            })
            .collect(),
        ssl: format!(
            "{}, AutoSSL {}, certificate {}",
            if live.ssl.advanced {
                "advanced"
            } else {
                "basic"
            },
            match live.ssl.auto_ssl {
                Some(true) => "on",
                Some(false) => "off",
                None => "unknown",
            },
            live.ssl
                .certificate
                .as_ref()
                .map(certificate_text)
                .unwrap_or_else(|| "none".into())
        ) + &domain_certificates_text(&live.ssl.domain_certificates),
    }
}

fn certificate_text(c: &LiveCertificate) -> String {
    format!(
        "{}{}{}",
        c.id,
        if c.staging { " (staging)" } else { "" },
        if c.is_lets_encrypt() {
            String::new()
        } else {
            format!(" ({})", c.method_label())
        }
    )
}

/// The per-domain certificates read for advanced-mode orders, in the SSL line.
fn domain_certificates_text(certs: &BTreeMap<u64, Option<LiveCertificate>>) -> String {
    certs
        .iter()
        .map(|(domain, c)| {
            format!(
                "; domain {domain}: {}",
                c.as_ref()
                    .map(certificate_text)
                    .unwrap_or_else(|| "none".into())
            )
        })
        .collect()
}

impl Inputs {
    pub fn with_options(mut self, options: &PlanOptions) -> Inputs {
        self.options.allow_removals = options.allow_removals;
        self.options.allow_empty = options.allow_empty;
        self.options.retry_now = options.retry_now.iter().map(ToString::to_string).collect();
        self
    }

    /// Whether the plan was made with a ledger.
    pub fn with_ledger(mut self, ledger: bool) -> Inputs {
        self.options.ledger = ledger;
        self
    }

    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            allow_removals: self.options.allow_removals,
            allow_empty: self.options.allow_empty,
            retry_now: self
                .options
                .retry_now
                .iter()
                .map(|n| DomainName::from_live(n))
                .collect(),
        }
    }
}

/// The DNS status of the names the actions depend on: an added name (it passed the DNS gate)
/// and every name a certificate order covers.
fn deciding_findings(checks: &Checks, plan: &Plan) -> BTreeMap<String, String> {
    let mut names: BTreeSet<&DomainName> = BTreeSet::new();
    for a in &plan.actions {
        match a {
            Action::Add { name, .. } => {
                names.insert(name);
            }
            Action::Ssl { covers, .. } => names.extend(covers),
            Action::Remove { .. } | Action::Update { .. } => {}
        }
    }
    names
        .into_iter()
        .filter_map(|n| {
            checks
                .dns
                .get(n)
                .map(|f| (n.to_string(), f.label().to_string()))
        })
        .collect()
}

/// The string serde gives a unit variant.
fn tag<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The fingerprint of a plan: `sha256:` and 64 hex digits.
pub fn fingerprint(inputs: &Value, actions: &Value, refusal: &Value) -> String {
    let mut doc = serde_json::Map::new();
    doc.insert("format_version".into(), Value::from(FORMAT_VERSION));
    doc.insert("inputs".into(), inputs.clone());
    doc.insert("actions".into(), actions.clone());
    doc.insert("refusal".into(), refusal.clone());
    sha256(&Value::Object(doc))
}

/// The fingerprint of a saved plan over several files: over each file, in order, with its
/// plan's fingerprint or its error, so that a plan taken out, added or moved is noticed.
pub fn fleet_fingerprint<'a>(
    entries: impl IntoIterator<Item = (&'a str, Option<&'a str>, Option<&'a str>)>,
) -> String {
    let list: Vec<Value> = entries
        .into_iter()
        .map(|(file, fingerprint, error)| {
            serde_json::json!({"file": file, "fingerprint": fingerprint, "error": error})
        })
        .collect();
    let mut doc = serde_json::Map::new();
    doc.insert("format_version".into(), Value::from(FORMAT_VERSION));
    doc.insert("plans".into(), Value::Array(list));
    sha256(&Value::Object(doc))
}

/// `sha256:` and the hex digest of `v`'s canonical JSON.
fn sha256(v: &Value) -> String {
    let mut text = String::new();
    canonical(v, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(71);
    hex.push_str("sha256:");
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Compact JSON with object keys sorted, whatever order they were read in.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Sets the plan's fingerprint, of `inputs` and of what the plan does.
pub fn seal(plan: &mut JsonPlan, inputs: &Inputs) {
    plan.fingerprint = Some(fingerprint(
        &value(inputs),
        &value(&plan.actions),
        &value(&plan.refusal),
    ));
}

/// A plan as `plan --out` saves it: the JSON plan, sealed with its fingerprint, and the inputs
/// it was computed from.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "rcdomains saved plan")]
pub struct SavedPlan {
    #[serde(flatten)]
    pub plan: JsonPlan,
    /// What the plan was computed from, so that `apply PLANFILE` can recompute it and say what
    /// drifted.
    pub inputs: Inputs,
}

impl SavedPlan {
    /// `plan`, sealed with the fingerprint of `inputs`, kept with them.
    pub fn new(mut plan: JsonPlan, inputs: Inputs) -> SavedPlan {
        seal(&mut plan, &inputs);
        SavedPlan { plan, inputs }
    }

    /// The fingerprint it was sealed with.
    pub fn fingerprint(&self) -> &str {
        self.plan.fingerprint.as_deref().unwrap_or_default()
    }
}

/// The plans of a run over several desired files as `plan --out` saves them: `JsonPlans`, each
/// plan a `SavedPlan`, with a fingerprint over the whole list.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "rcdomains saved plans")]
pub struct SavedPlans {
    pub format_version: u32,
    /// SHA-256 over each file with its plan's fingerprint (or error), so that a plan taken out
    /// of the file or added to it is noticed.
    pub fingerprint: String,
    pub plans: Vec<SavedTargetPlan>,
}

/// One file's saved plan, or why there is none.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SavedTargetPlan {
    /// The desired-state file, as given to `-f`.
    pub file: String,
    /// Set when this file could not be planned (the other files were): the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(flatten)]
    pub plan: Option<SavedPlan>,
}

impl SavedPlans {
    /// The saved plans of several files, in file order: each file with its plan, or the error
    /// that kept it from one; sealed with the fingerprint of the list.
    pub fn new(entries: Vec<(String, Result<SavedPlan, String>)>) -> SavedPlans {
        let plans: Vec<SavedTargetPlan> = entries
            .into_iter()
            .map(|(file, plan)| match plan {
                Ok(plan) => SavedTargetPlan {
                    file,
                    error: None,
                    plan: Some(plan),
                },
                Err(error) => SavedTargetPlan {
                    file,
                    error: Some(error),
                    plan: None,
                },
            })
            .collect();
        let fingerprint = fleet_fingerprint(plans.iter().map(|p| {
            (
                p.file.as_str(),
                p.plan.as_ref().map(SavedPlan::fingerprint),
                p.error.as_deref(),
            )
        }));
        SavedPlans {
            format_version: FORMAT_VERSION,
            fingerprint,
            plans,
        }
    }
}

/// Every document `plan` writes — printed (`--format json`: one plan, or the plans of several
/// files) or saved (`--out`: the same with their inputs) — as `rcdomains schema plan`
/// describes it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(title = "rcdomains plan")]
pub enum PlanDocument {
    One(Box<JsonPlan>),
    Saved(Box<SavedPlan>),
    Many(JsonPlans),
    SavedMany(SavedPlans),
}

fn value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Why a saved plan file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error(
        "{file} is not a saved plan (it is not JSON); to apply a desired-state file run `rcdomains apply -f {file}`, or save a plan with `rcdomains plan --out plan.json` and apply that"
    )]
    NotJson {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{file} has format_version {found}, this rcdomains reads {FORMAT_VERSION}; plan again with this version"
    )]
    Version { file: String, found: String },
    #[error(
        "{file} has no `{field}`: it is not a saved plan (save one with `rcdomains plan --out plan.json`, not --format json)"
    )]
    Missing { file: String, field: &'static str },
    #[error("{file}: `inputs` is not what `plan --out` writes; the file was edited")]
    BadInputs {
        file: String,
        #[source]
        source: serde_json::Error,
    },
}

/// A saved plan as read back: what it was computed from and what it promised.
#[derive(Debug, Clone)]
pub struct Saved {
    pub inputs: Inputs,
    pub fingerprint: String,
    pub actions: Value,
    pub refusal: Value,
}

/// A saved plan file: one target's plan, or the plans of several desired files.
#[derive(Debug, Clone)]
pub enum SavedFile {
    One(Box<Saved>),
    Many {
        fingerprint: String,
        entries: Vec<SavedEntry>,
    },
}

/// One file's part of a saved plan over several: its plan, or the error that kept it from
/// being planned.
#[derive(Debug, Clone)]
pub struct SavedEntry {
    pub file: String,
    pub plan: Result<Saved, String>,
}

impl SavedFile {
    /// Parses a plan file. Does not judge it: see `is_intact`.
    pub fn parse(text: &str, file: &str) -> Result<SavedFile, SavedError> {
        let doc: Value = serde_json::from_str(text).map_err(|source| SavedError::NotJson {
            file: file.into(),
            source,
        })?;
        check_version(&doc, file)?;
        let Some(plans) = doc.get("plans") else {
            return Saved::from_value(&doc, file).map(|s| SavedFile::One(Box::new(s)));
        };
        let Value::Array(plans) = plans else {
            return Err(SavedError::Missing {
                file: file.into(),
                field: "plans",
            });
        };
        let fingerprint = match doc.get("fingerprint") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(SavedError::Missing {
                    file: file.into(),
                    field: "fingerprint",
                });
            }
        };
        let mut entries = Vec::with_capacity(plans.len());
        for p in plans {
            let Some(Value::String(target)) = p.get("file") else {
                return Err(SavedError::Missing {
                    file: file.into(),
                    field: "plans[].file",
                });
            };
            let plan = match p.get("error") {
                Some(Value::String(e)) => Err(e.clone()),
                _ => Ok(Saved::from_value(p, &format!("{file} ({target})"))?),
            };
            entries.push(SavedEntry {
                file: target.clone(),
                plan,
            });
        }
        Ok(SavedFile::Many {
            fingerprint,
            entries,
        })
    }

    /// True when every stored fingerprint matches what is stored with it (see `Saved::is_intact`),
    /// and for several files, when the file's own fingerprint matches the list of them.
    pub fn is_intact(&self) -> bool {
        match self {
            SavedFile::One(s) => s.is_intact(),
            SavedFile::Many {
                fingerprint,
                entries,
            } => {
                let list = entries.iter().map(|e| match &e.plan {
                    Ok(s) => (e.file.as_str(), Some(s.fingerprint.as_str()), None),
                    Err(err) => (e.file.as_str(), None, Some(err.as_str())),
                });
                *fingerprint == fleet_fingerprint(list)
                    && entries
                        .iter()
                        .all(|e| e.plan.as_ref().map_or(true, Saved::is_intact))
            }
        }
    }
}

fn check_version(doc: &Value, file: &str) -> Result<(), SavedError> {
    let version = doc.get("format_version").cloned().unwrap_or(Value::Null);
    if version != FORMAT_VERSION {
        return Err(SavedError::Version {
            file: file.into(),
            found: version.to_string(),
        });
    }
    Ok(())
}

impl Saved {
    /// Parses a plan file of one target. Does not judge it: see `is_intact`.
    pub fn parse(text: &str, file: &str) -> Result<Saved, SavedError> {
        let doc: Value = serde_json::from_str(text).map_err(|source| SavedError::NotJson {
            file: file.into(),
            source,
        })?;
        check_version(&doc, file)?;
        Saved::from_value(&doc, file)
    }

    /// One target's saved plan, from its JSON object.
    fn from_value(doc: &Value, file: &str) -> Result<Saved, SavedError> {
        check_version(doc, file)?;
        let field = |name: &'static str| {
            doc.get(name).cloned().ok_or(SavedError::Missing {
                file: file.into(),
                field: name,
            })
        };
        let inputs =
            serde_json::from_value(field("inputs")?).map_err(|source| SavedError::BadInputs {
                file: file.into(),
                source,
            })?;
        let Value::String(fingerprint) = field("fingerprint")? else {
            return Err(SavedError::Missing {
                file: file.into(),
                field: "fingerprint",
            });
        };
        Ok(Saved {
            inputs,
            fingerprint,
            actions: field("actions")?,
            refusal: doc.get("refusal").cloned().unwrap_or(Value::Null),
        })
    }

    /// True when the stored fingerprint matches the stored inputs, actions and refusal: a file
    /// edited by hand (an action added or removed, an input changed) fails this.
    pub fn is_intact(&self) -> bool {
        fingerprint(&value(&self.inputs), &self.actions, &self.refusal) == self.fingerprint
    }
}

/// What differs between the inputs a plan was saved with and the inputs of now, one line per
/// change, for the refusal message. Empty when only the outcome differs (see `action_drift`).
/// `dns_now` gives the current DNS status of a name no action depends on any more.
pub fn drift(
    saved: &Inputs,
    now: &Inputs,
    dns_now: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    if saved.desired_file != now.desired_file {
        out.push(format!(
            "desired file: {} → {}",
            saved.desired_file, now.desired_file
        ));
    }
    if saved.options != now.options {
        out.push(format!(
            "options: {} → {}",
            json(&saved.options),
            json(&now.options)
        ));
    }
    map_drift(
        "desired",
        &saved.desired.domains,
        &now.desired.domains,
        &mut out,
    );
    let (mut a, mut b) = (saved.desired.clone(), now.desired.clone());
    a.domains.clear();
    b.domains.clear();
    if let (Value::Object(a), Value::Object(b)) = (
        serde_json::to_value(&a).unwrap_or(Value::Null),
        serde_json::to_value(&b).unwrap_or(Value::Null),
    ) {
        for (k, va) in &a {
            let vb = b.get(k).unwrap_or(&Value::Null);
            if va != vb {
                out.push(format!("desired {k}: {va} → {vb}"));
            }
        }
    }
    if (saved.live.server_id, saved.live.app_id) != (now.live.server_id, now.live.app_id) {
        out.push(format!(
            "target: server {} app {} → server {} app {}",
            saved.live.server_id, saved.live.app_id, now.live.server_id, now.live.app_id
        ));
    }
    if saved.live.api != now.live.api {
        out.push(format!("live API: {} → {}", saved.live.api, now.live.api));
    }
    if saved.live.server_ip != now.live.server_ip {
        out.push(format!(
            "live server IP: {} → {}",
            saved.live.server_ip, now.live.server_ip
        ));
    }
    if saved.live.ssl != now.live.ssl {
        out.push(format!("live SSL: {} → {}", saved.live.ssl, now.live.ssl));
    }
    map_drift("live", &saved.live.domains, &now.live.domains, &mut out);
    let names: BTreeSet<&String> = saved.findings.keys().chain(now.findings.keys()).collect();
    for n in names {
        let a = saved.findings.get(n).cloned();
        let b = now.findings.get(n).cloned().or_else(|| dns_now(n));
        if a != b {
            out.push(format!(
                "DNS of {n}: {} → {}",
                a.as_deref().unwrap_or("not checked"),
                b.as_deref().unwrap_or("not checked")
            ));
        }
    }
    out
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn map_drift(
    side: &str,
    saved: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
    out: &mut Vec<String>,
) {
    for (name, v) in now {
        match saved.get(name) {
            None => out.push(format!("{side}: + {name} ({v})")),
            Some(old) if old != v => out.push(format!("{side}: ~ {name}: {old} → {v}")),
            Some(_) => {}
        }
    }
    for (name, v) in saved {
        if !now.contains_key(name) {
            out.push(format!("{side}: - {name} ({v})"));
        }
    }
}

/// The actions that differ between the saved plan and the recomputed one, as "kind name" lines.
pub fn action_drift(saved: &Value, now: &Value) -> Vec<String> {
    let lines = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| a.iter().map(canonical_string).collect())
            .unwrap_or_default()
    };
    let (a, b) = (lines(saved), lines(now));
    let mut out: Vec<String> = b
        .difference(&a)
        .map(|l| format!("planned now: {l}"))
        .collect();
    out.extend(a.difference(&b).map(|l| format!("no longer planned: {l}")));
    out
}

fn canonical_string(v: &Value) -> String {
    let mut s = String::new();
    canonical(v, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_key_order_but_not_values() {
        let a: Value = serde_json::from_str(r#"{"x": 1, "y": [1, 2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"y": [1, 2], "x": 1}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"y": [2, 1], "x": 1}"#).unwrap();
        let f = |v: &Value| fingerprint(v, &Value::Null, &Value::Null);
        assert_eq!(f(&a), f(&b));
        assert_ne!(f(&a), f(&c));
        assert!(f(&a).starts_with("sha256:") && f(&a).len() == 71);
    }

    #[test]
    fn map_drift_names_added_removed_and_changed() {
        let old: BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), "1".into())].into();
        let new: BTreeMap<String, String> =
            [("b".into(), "2".into()), ("c".into(), "1".into())].into();
        let mut out = vec![];
        map_drift("live", &old, &new, &mut out);
        assert_eq!(
            out,
            vec!["live: ~ b: 1 → 2", "live: + c (1)", "live: - a (1)"]
        );
    }
}
