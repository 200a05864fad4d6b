//! Faults the simulated API can be told to inject: their description (seed YAML and the
//! `--fault SPEC` grammar) and the book that decides which request a fault hits.
//!
//! Owns only the choice of *whether* a request is hit; what a hit does to the answer is carried
//! out by `api.rs`. Must not touch the world.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A fault to inject into the answers of the simulated API.
///
/// In a seed: `{kind: status, code: 503, times: 2, method: GET, path: /domains}`.
///
/// As a `--fault SPEC` flag, a comma-separated list whose first item is the kind, optionally with
/// `=VALUE` for its main parameter, then `KEY=VALUE` items:
///
/// ```text
/// SPEC  := KIND[=VALUE] ( "," KEY "=" VALUE )*
/// KIND  := status[=CODE]          answer CODE (default 500) with {"message": ...}
///        | html[=CODE]            answer CODE (default 502) with an nginx-style HTML page
///        | rate_limited[=SECS]    answer 429; with SECS, send Retry-After: SECS
///        | slow[=MS]              answer normally after MS milliseconds (default 1000)
///        | reset                  close the connection (TCP reset) without any HTTP answer
///        | lost_response[=MS]     carry the request out, wait MS ms (default 0), then close the
///                                 connection without answering
///        | empty                  answer 200 with an empty body
///        | redirect[=CODE]        answer CODE (default 302) with `Location:` another host
///        | quota[=CODE]           answer CODE (default 429) saying the monthly API quota is spent
///        | echo_auth              answer 400 whose message echoes the request's Authorization
///                                 header (as a misconfigured proxy would), after 300 bytes
///        | truncate_list[=PAGE]   on domain-list GETs: with PAGE, that page answers 500; without,
///                                 the answer claims one page more (and per_page more items) than
///                                 there are
///        | order_invalid          on certificate orders: 422, Let's Encrypt could not validate
///                                 the names (nothing is issued)
///        | order_rate_limited     on certificate orders: 422, Let's Encrypt refuses the order
///                                 for its rate limit (nothing is issued)
///        | undeployed             on certificate orders: the order succeeds, but the web server
///                                 keeps presenting the certificate it had (a reload that did
///                                 not happen)
/// KEY   := method (GET, POST, ...) | path (substring of the request path)
///        | times (requests hit; default 1; 0 = every matching request)
///        | after (matching requests let through before the first hit; default 0)
///        | code | retry_after | ms | page   (the kind's parameter, spelt out)
/// ```
///
/// Examples: `status=503,times=2,method=GET,path=/domains`, `rate_limited=7`, `reset,method=POST`,
/// `lost_response,method=POST,path=/domains`, `truncate_list=2`, `slow=1500,after=3`,
/// `order_invalid,times=3`, `undeployed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    /// `status` and `html`: the HTTP status to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// `rate_limited`: the `Retry-After` seconds; none means no header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `slow` and `lost_response`: the delay in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
    /// `truncate_list`: the page that fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Only requests with this method (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path contains this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How many requests it hits; 0 means every matching request.
    #[serde(default = "one")]
    pub times: usize,
    /// How many matching requests pass untouched before the first hit.
    #[serde(default)]
    pub after: usize,
}

fn one() -> usize {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Status,
    Html,
    RateLimited,
    Slow,
    Reset,
    LostResponse,
    Empty,
    TruncateList,
    Redirect,
    EchoAuth,
    Quota,
    OrderInvalid,
    OrderRateLimited,
    Undeployed,
}

impl FaultKind {
    /// Kinds that hit only certificate orders (an SSL install or redeploy).
    pub fn hits_orders_only(self) -> bool {
        matches!(
            self,
            FaultKind::OrderInvalid | FaultKind::OrderRateLimited | FaultKind::Undeployed
        )
    }

    fn parse(s: &str) -> Option<FaultKind> {
        Some(match s.replace('-', "_").as_str() {
            "status" => FaultKind::Status,
            "html" => FaultKind::Html,
            "rate_limited" => FaultKind::RateLimited,
            "slow" => FaultKind::Slow,
            "reset" => FaultKind::Reset,
            "lost_response" => FaultKind::LostResponse,
            "empty" => FaultKind::Empty,
            "truncate_list" => FaultKind::TruncateList,
            "redirect" => FaultKind::Redirect,
            "echo_auth" => FaultKind::EchoAuth,
            "quota" => FaultKind::Quota,
            "order_invalid" => FaultKind::OrderInvalid,
            "order_rate_limited" => FaultKind::OrderRateLimited,
            "undeployed" => FaultKind::Undeployed,
            _ => return None,
        })
    }
}

impl Fault {
    /// A fault of this kind with default parameters, hitting the next matching request once.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            code: None,
            retry_after: None,
            ms: None,
            page: None,
            method: None,
            path: None,
            times: 1,
            after: 0,
        }
    }

    /// The status a `status` or `html` fault answers.
    pub fn status_code(&self) -> u16 {
        match (self.code, self.kind) {
            (Some(code), _) => code,
            (None, FaultKind::Html) => 502,
            (None, FaultKind::Redirect) => 302,
            (None, FaultKind::Quota) => 429,
            (None, _) => 500,
        }
    }

    /// The delay of a `slow` or `lost_response` fault, in milliseconds.
    pub fn delay_ms(&self) -> u64 {
        match (self.ms, self.kind) {
            (Some(ms), _) => ms,
            (None, FaultKind::Slow) => 1000,
            (None, _) => 0,
        }
    }

    /// Checks that each parameter belongs to the kind and is in range.
    pub fn validate(&self) -> Result<(), String> {
        use FaultKind::*;
        let kind = self.kind;
        if self.code.is_some() && !matches!(kind, Status | Html | Redirect | Quota) {
            return Err(
                "`code` applies only to status, html, redirect and quota faults".to_owned(),
            );
        }
        if let Some(code) = self.code
            && !(100..=599).contains(&code)
        {
            return Err(format!("`code` {code} is not an HTTP status (100..=599)"));
        }
        if self.retry_after.is_some() && kind != RateLimited {
            return Err("`retry_after` applies only to rate_limited faults".to_owned());
        }
        if self.ms.is_some() && !matches!(kind, Slow | LostResponse) {
            return Err("`ms` applies only to slow and lost_response faults".to_owned());
        }
        if self.page.is_some() && kind != TruncateList {
            return Err("`page` applies only to truncate_list faults".to_owned());
        }
        if self.page == Some(0) {
            return Err("`page` starts at 1".to_owned());
        }
        if let Some(method) = &self.method
            && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(format!("`method` {method:?} is not an HTTP method"));
        }
        Ok(())
    }

    fn matches(&self, req: &FaultRequest<'_>) -> bool {
        if let Some(method) = &self.method
            && !method.eq_ignore_ascii_case(req.method)
        {
            return false;
        }
        if let Some(path) = &self.path
            && !req.path.contains(path.as_str())
        {
            return false;
        }
        if self.kind.hits_orders_only() && !req.is_order {
            return false;
        }
        if self.kind == FaultKind::TruncateList {
            if !req.is_list {
                return false;
            }
            if let Some(page) = self.page {
                return req.page == page;
            }
        }
        true
    }
}

/// Parse error of a `--fault SPEC`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault {spec:?}: {reason} (expected e.g. status=503,times=2,method=GET,path=/domains)"
)]
pub struct FaultParseError {
    pub spec: String,
    pub reason: String,
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(spec: &str) -> Result<Fault, FaultParseError> {
        let fail = |reason: String| FaultParseError {
            spec: spec.to_owned(),
            reason,
        };
        let mut items = spec.split(',').map(str::trim);
        let head = items.next().unwrap_or_default();
        let (kind_text, value) = match head.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (head, None),
        };
        let kind = FaultKind::parse(kind_text)
            .ok_or_else(|| fail(format!("unknown kind {kind_text:?}")))?;
        let mut fault = Fault::new(kind);
        if let Some(value) = value {
            let key = match kind {
                FaultKind::Status | FaultKind::Html | FaultKind::Redirect | FaultKind::Quota => {
                    "code"
                }
                FaultKind::RateLimited => "retry_after",
                FaultKind::Slow | FaultKind::LostResponse => "ms",
                FaultKind::TruncateList => "page",
                FaultKind::Reset
                | FaultKind::Empty
                | FaultKind::EchoAuth
                | FaultKind::OrderInvalid
                | FaultKind::OrderRateLimited
                | FaultKind::Undeployed => {
                    return Err(fail(format!("{kind_text} takes no value")));
                }
            };
            fault.set(key, value).map_err(fail)?;
        }
        for item in items.filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| fail(format!("{item:?} is not KEY=VALUE")))?;
            fault.set(key.trim(), value.trim()).map_err(fail)?;
        }
        fault.validate().map_err(fail)?;
        Ok(fault)
    }
}

impl Fault {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        fn number<T: FromStr>(key: &str, value: &str) -> Result<T, String> {
            value
                .parse()
                .map_err(|_| format!("{key}={value:?} is not a number"))
        }
        match key {
            "code" => self.code = Some(number(key, value)?),
            "retry_after" => self.retry_after = Some(number(key, value)?),
            "ms" => self.ms = Some(number(key, value)?),
            "page" => self.page = Some(number(key, value)?),
            "times" => self.times = number(key, value)?,
            "after" => self.after = number(key, value)?,
            "method" => self.method = Some(value.to_ascii_uppercase()),
            "path" => self.path = Some(value.to_owned()),
            _ => return Err(format!("unknown key {key:?}")),
        }
        Ok(())
    }
}

/// What the fault book needs to know about a request.
pub(super) struct FaultRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// A GET of a domain list.
    pub is_list: bool,
    /// The `page` asked for (1 when absent).
    pub page: u32,
    /// A certificate order: an SSL install (POST) or redeploy (PUT).
    pub is_order: bool,
}

struct Armed {
    fault: Fault,
    seen: usize,
    hits: usize,
}

/// The armed faults, in the order they were armed; the first that hits a request wins.
#[derive(Default)]
pub(super) struct FaultBook {
    armed: Vec<Armed>,
}

impl FaultBook {
    pub(crate) fn arm(&mut self, fault: Fault) {
        self.armed.push(Armed {
            fault,
            seen: 0,
            hits: 0,
        });
    }

    /// The fault that hits this request, if any; spent faults are dropped.
    pub(crate) fn hit(&mut self, req: &FaultRequest<'_>) -> Option<Fault> {
        let mut chosen = None;
        for (i, armed) in self.armed.iter_mut().enumerate() {
            if !armed.fault.matches(req) {
                continue;
            }
            armed.seen += 1;
            if armed.seen <= armed.fault.after {
                continue;
            }
            armed.hits += 1;
            chosen = Some(i);
            break;
        }
        let i = chosen?;
        let fault = self.armed[i].fault.clone();
        if fault.times != 0 && self.armed[i].hits >= fault.times {
            self.armed.remove(i);
        }
        Some(fault)
    }
}
