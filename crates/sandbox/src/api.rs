//! The simulated RunCloud HTTP API's front door: the router, and the gate every request passes
//! (request log, injected faults, rate limit, authentication) with the answers it gives itself.
//!
//! Owns transport-level behaviour only; what each endpoint does lives in `handlers.rs`, the
//! state both use in `state.rs` (this module imports both; neither imports it). Must never log
//! or record the Authorization header's value.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, put};

use super::conn::ConnHandle;
use super::fault::{Fault, FaultKind, FaultRequest};
use super::handlers;
use super::state::{Api, ApiError, InflatePages, Undeployed, Version};
use super::{AuthKind, RequestRecord};

/// The whole API: every route under `/api/{version}`, behind the gate.
pub(super) fn router(api: Arc<Api>) -> Router {
    let app = "/api/{version}/servers/{server}/webapps/{app}";
    Router::new()
        .route("/api/{version}/ping", get(handlers::ping))
        .route("/api/{version}/servers/{server}", get(handlers::get_server))
        .route(app, get(handlers::get_app))
        .route(
            &format!("{app}/domains"),
            get(handlers::list_domains).post(handlers::create_domain),
        )
        .route(
            &format!("{app}/domains/{{domain}}"),
            get(handlers::get_domain).delete(handlers::delete_domain),
        )
        .route(
            &format!("{app}/domains/{{domain}}/meta"),
            patch(handlers::update_domain_meta),
        )
        .route(
            &format!("{app}/ssl/advanced"),
            get(handlers::get_ssl_mode).post(handlers::set_ssl_mode),
        )
        .route(
            &format!("{app}/ssl"),
            get(handlers::get_basic_ssl).post(handlers::install_basic_ssl),
        )
        .route(
            &format!("{app}/ssl/{{ssl}}"),
            put(handlers::redeploy_basic_ssl),
        )
        .route(
            &format!("{app}/domains/{{domain}}/ssl"),
            get(handlers::get_domain_ssl).post(handlers::install_domain_ssl),
        )
        .route(
            &format!("{app}/domains/{{domain}}/ssl/{{ssl}}"),
            put(handlers::redeploy_domain_ssl),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found_route)
        .layer(middleware::from_fn_with_state(api.clone(), gate))
        .with_state(api)
}

async fn not_found_route() -> Response {
    ApiError::not_found("Not Found.").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed.").into_response()
}

fn version_of(path: &str) -> Option<Version> {
    let rest = path.strip_prefix("/api/")?;
    let (version, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if tail.is_empty() {
        return None;
    }
    match version {
        "v2" => Some(Version::V2),
        "v3" => Some(Version::V3),
        _ => None,
    }
}

fn is_domain_list(path: &str) -> bool {
    path.trim_end_matches('/').ends_with("/domains")
}

/// A certificate order: `POST …/ssl` (install, of the app or of a domain) or
/// `PUT …/ssl/{id}` (redeploy); not the SSL mode switch (`…/ssl/advanced`).
fn is_certificate_order(method: &str, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    match method {
        "POST" => path.ends_with("/ssl"),
        "PUT" => path
            .rsplit_once("/ssl/")
            .is_some_and(|(_, id)| id.bytes().all(|b| b.is_ascii_digit()) && !id.is_empty()),
        _ => false,
    }
}

/// The value of query parameter `key`.
pub(super) fn query_param<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Every request passes here: it is logged, may be hit by a fault, is counted against its
/// credential's rate limit, and must carry credentials valid for its API version.
async fn gate(State(api): State<Arc<Api>>, mut req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let auth = api.classify(req.headers());
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|c| c.0.clone());
    let index = api.record(RequestRecord {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        status: 0,
        auth,
    });
    let version = version_of(&path);
    let page = query_param(query.as_deref(), "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let fault = api.next_fault(&FaultRequest {
        method: &method,
        path: &path,
        is_list: method == "GET" && is_domain_list(&path),
        page,
        is_order: is_certificate_order(&method, &path),
    });
    let (limit, remaining, over, reset_in) = api.count(auth);
    if api.readings.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(api.readings.latency_ms)).await;
    }

    let mut early = None;
    let mut lose_after = None;
    if let Some(fault) = &fault {
        tracing::debug!(kind = ?fault.kind, %method, %path, "sandbox: fault hits request");
        match fault_effect(fault, &mut req).await {
            FaultEffect::Reset => {
                if let Some(conn) = &conn {
                    conn.kill();
                }
                api.finish(index, &method, &path, 0);
                tracing::debug!(%method, %path, "sandbox request: connection reset");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            FaultEffect::Answer(response) => early = Some(response),
            FaultEffect::LoseAfter(ms) => lose_after = Some(ms),
            FaultEffect::Pass => {}
        }
    }

    let mut response = match early {
        Some(response) => response,
        None => admit(&api, req, next, version, auth, over).await,
    };
    add_rate_limit_headers(
        &api,
        response.headers_mut(),
        limit,
        remaining,
        over,
        reset_in,
    );

    if let Some(ms) = lose_after {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        if let Some(conn) = &conn {
            conn.kill();
        }
        api.finish(index, &method, &path, 0);
        tracing::debug!(%method, %path, status = response.status().as_u16(), "sandbox request: answer lost");
        return response;
    }
    let status = response.status().as_u16();
    api.finish(index, &method, &path, status);
    tracing::debug!(%method, %path, status, "sandbox request");
    response
}

/// What an injected fault does to the request it hits.
enum FaultEffect {
    /// The connection is reset: no answer at all.
    Reset,
    /// The fault answers in the endpoint's place.
    Answer(Response),
    /// The answer is made, then lost (the connection reset) this many milliseconds later.
    LoseAfter(u64),
    /// The request goes on, perhaps slowed or marked for its handler to play the fault out.
    Pass,
}

const QUOTA_EXHAUSTED: &str = "You have used 100% of your monthly API quota. API calls are blocked until your billing cycle resets.";
const ORDER_INVALID: &str = "Failed to issue the SSL certificate: Let's Encrypt could not validate the domains (urn:ietf:params:acme:error:unauthorized: Invalid response to the HTTP-01 challenge: 404)";
const ORDER_RATE_LIMITED: &str = "Failed to issue the SSL certificate: Let's Encrypt refused the order (urn:ietf:params:acme:error:rateLimited: too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s)";

/// Plays `fault` out on the request as far as the gate can: sleeps for `slow`, marks the
/// request for faults its handler plays out, and otherwise says how the gate must answer.
async fn fault_effect(fault: &Fault, req: &mut Request) -> FaultEffect {
    let status = status_code(fault.status_code());
    let answer = match fault.kind {
        FaultKind::Reset => return FaultEffect::Reset,
        FaultKind::Slow => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms())).await;
            return FaultEffect::Pass;
        }
        FaultKind::LostResponse => return FaultEffect::LoseAfter(fault.delay_ms()),
        FaultKind::Undeployed => {
            req.extensions_mut().insert(Undeployed);
            return FaultEffect::Pass;
        }
        FaultKind::TruncateList if fault.page.is_none() => {
            req.extensions_mut().insert(InflatePages);
            return FaultEffect::Pass;
        }
        FaultKind::TruncateList => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error.").into_response()
        }
        FaultKind::Status => {
            let reason = status.canonical_reason().unwrap_or("Server Error");
            ApiError::new(status, reason).into_response()
        }
        FaultKind::Html => html_error(status),
        FaultKind::Redirect => {
            let mut r = ApiError::new(status, "Moved.").into_response();
            r.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static("http://elsewhere.invalid/api/v3/moved"),
            );
            r
        }
        FaultKind::Quota => ApiError::new(status, QUOTA_EXHAUSTED).into_response(),
        FaultKind::EchoAuth => {
            let sent = req
                .headers()
                .get(header::AUTHORIZATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            let message = format!("{} Authorization: {sent}", "x".repeat(140));
            ApiError::new(StatusCode::BAD_REQUEST, &message).into_response()
        }
        FaultKind::RateLimited => too_many(fault.retry_after),
        FaultKind::Empty => {
            ([(header::CONTENT_TYPE, "application/json")], Body::empty()).into_response()
        }
        FaultKind::OrderInvalid => ApiError::unprocessable(ORDER_INVALID).into_response(),
        FaultKind::OrderRateLimited => ApiError::unprocessable(ORDER_RATE_LIMITED).into_response(),
    };
    FaultEffect::Answer(answer)
}

/// The answer to a request no fault answered: refused for missing JSON headers, an unknown
/// API version, the rate limit or its credentials, in that order; else the endpoint's.
async fn admit(
    api: &Api,
    mut req: Request,
    next: Next,
    version: Option<Version>,
    auth: AuthKind,
    over: Option<u64>,
) -> Response {
    let json_headers_missing = api.readings.require_json_headers
        && !(header_is_json(req.headers(), header::ACCEPT)
            && header_is_json(req.headers(), header::CONTENT_TYPE));
    match version {
        Some(_) if json_headers_missing => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send Accept: application/json and Content-Type: application/json.",
        )
        .into_response(),
        None => ApiError::not_found("Not Found.").into_response(),
        Some(_) if over.is_some() => too_many(over.filter(|_| api.rate.retry_after)),
        Some(version) if !auth_accepted(auth, version) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "Invalid credentials.").into_response()
        }
        Some(version) => {
            req.extensions_mut().insert(version);
            next.run(req).await
        }
    }
}

/// The rate-limit headers every answer carries: the limit and what remains of it, and the
/// reset time with a refusal (or with every answer when `reset_header` is on).
fn add_rate_limit_headers(
    api: &Api,
    headers: &mut HeaderMap,
    limit: u32,
    remaining: u32,
    over: Option<u64>,
    reset_in: u64,
) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    // Laravel sends the reset time with a 429; `reset_header` sends it with every answer.
    let refused = over.is_some() && headers.contains_key(header::RETRY_AFTER);
    if api.rate.reset_header || refused {
        // Never earlier than the window's end: a whole-second header rounds up.
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let wait = if refused {
            over.unwrap_or(reset_in)
        } else {
            reset_in
        };
        let at = (unix + wait as f64).ceil() as u64;
        headers.insert("x-ratelimit-reset", HeaderValue::from(at));
    }
}

fn header_is_json(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"))
}

fn auth_accepted(auth: AuthKind, version: Version) -> bool {
    matches!(
        (auth, version),
        (AuthKind::Bearer, _) | (AuthKind::Basic, Version::V2)
    )
}

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn too_many(retry_after: Option<u64>) -> Response {
    let mut response =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.").into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The page nginx answers with when the upstream fails.
fn html_error(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn certificate_orders_are_told_from_other_ssl_requests() {
        let app = "/api/v3/servers/1/webapps/2";
        assert!(is_certificate_order("POST", &format!("{app}/ssl")));
        assert!(is_certificate_order("PUT", &format!("{app}/ssl/7")));
        assert!(is_certificate_order(
            "POST",
            &format!("{app}/domains/3/ssl")
        ));
        assert!(is_certificate_order(
            "PUT",
            &format!("{app}/domains/3/ssl/9")
        ));
        assert!(!is_certificate_order(
            "POST",
            &format!("{app}/ssl/advanced")
        ));
        assert!(!is_certificate_order("GET", &format!("{app}/ssl")));
        assert!(!is_certificate_order("POST", &format!("{app}/domains")));
    }

    #[test]
    fn version_is_read_from_the_path() {
        assert_eq!(version_of("/api/v3/ping"), Some(Version::V3));
        assert_eq!(version_of("/api/v2/servers/1"), Some(Version::V2));
        assert_eq!(version_of("/api/v4/ping"), None);
        assert_eq!(version_of("/api/v3"), None);
        assert_eq!(version_of("/ping"), None);
    }
}
