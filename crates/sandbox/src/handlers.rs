//! The endpoints of the simulated RunCloud API: servers, web apps, domains and SSL, with bodies
//! shaped like RunCloud's (see shared/fixtures/runcloud).
//!
//! Owns request validation and the wire shape of answers. Authentication, faults and rate
//! limits are already handled by the gate in `api.rs`, whose shared state (`state.rs`) they
//! read; must not import `api.rs` (it imports this module), nor hold the world's lock across an
//! `.await`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::names;
use super::seed::{
    DEFAULT_CREATED_AT, SeedDomainKind, SeedRedirection, ServerIpField, SslModeFields,
};
use super::state::{Api, ApiError, InflatePages, Undeployed, Version};
use super::time;
use super::world::{App, Cert, CertOrder, Domain, State as WorldState};

type Params = Path<HashMap<String, String>>;
type Answer = Result<Response, ApiError>;

const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 40;
const DAY: i64 = 86_400;

fn id(params: &HashMap<String, String>, key: &str, what: &str) -> Result<u64, ApiError> {
    params
        .get(key)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::not_found(&format!("{what} not found.")))
}

/// Server and app ids of the path, checked against the world.
fn app_ids(api: &Api, params: &HashMap<String, String>) -> Result<(u64, u64), ApiError> {
    let server = id(params, "server", "Server")?;
    let app = id(params, "app", "Web application")?;
    let state = api.world.lock();
    if !state.servers.contains_key(&server) {
        return Err(ApiError::not_found("Server not found."));
    }
    if state.app(server, app).is_none() {
        return Err(ApiError::not_found("Web application not found."));
    }
    Ok((server, app))
}

fn app_mut(state: &mut WorldState, server: u64, app: u64) -> Result<&mut App, ApiError> {
    state
        .app_mut(server, app)
        .ok_or_else(|| ApiError::not_found("Web application not found."))
}

fn domain_index(app: &App, domain: u64) -> Result<usize, ApiError> {
    app.domains
        .iter()
        .position(|d| d.id == domain)
        .ok_or_else(|| ApiError::not_found("Domain not found."))
}

fn ok(value: impl Serialize) -> Answer {
    Ok(axum::Json(value).into_response())
}

/// A request body as a JSON object; anything else (empty, `[]`, not JSON) reads as no fields.
fn body_fields(body: &Bytes) -> Map<String, Value> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A boolean field sent as true/false, 0/1 or "true"/"1"...; Err when present but not boolean.
fn bool_field(fields: &Map<String, Value>, key: &str) -> Result<Option<bool>, ()> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(()),
        },
        Some(_) => Err(()),
    }
}

fn str_field<'a>(fields: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ()> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(()),
    }
}

fn field_error(errors: &mut Map<String, Value>, key: &str, message: String) {
    errors.insert(key.to_owned(), json!([message]));
}

/// A domain as RunCloud sends it: booleans as 0/1.
#[derive(Serialize)]
struct DomainJson<'a> {
    id: u64,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    www: u8,
    redirection: &'static str,
    wildcard: u8,
    dns_integration: &'static str,
    status: Option<&'static str>,
    created_at: &'a str,
}

fn domain_json(d: &Domain) -> DomainJson<'_> {
    DomainJson {
        id: d.id,
        name: &d.name,
        kind: d.kind.as_str(),
        www: u8::from(d.www),
        redirection: d.redirection.as_str(),
        wildcard: u8::from(d.wildcard),
        dns_integration: "none",
        status: None,
        created_at: &d.created_at,
    }
}

/// A certificate as RunCloud's clients see it (no names: those are read over TLS).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CertJson<'a> {
    id: u64,
    method: &'a str,
    valid_until: String,
    renewal_date: String,
    enable_http: bool,
    enable_hsts: bool,
    authorization_method: &'a str,
    staging: bool,
    #[serde(rename = "ssl_protocol_id")]
    ssl_protocol_id: u64,
    #[serde(rename = "created_at")]
    created_at: &'a str,
}

fn cert_json(c: &Cert) -> CertJson<'_> {
    CertJson {
        id: c.id,
        method: &c.method,
        valid_until: time::format_secs(c.not_after),
        renewal_date: time::format_secs(c.not_after - 30 * DAY),
        enable_http: c.enable_http,
        enable_hsts: c.enable_hsts,
        authorization_method: &c.authorization_method,
        staging: c.staging,
        ssl_protocol_id: c.ssl_protocol_id,
        created_at: &c.created_at,
    }
}

/// "SSL not installed!", with the status the seed's reading gives it (200 by default).
fn no_ssl(api: &Api) -> Answer {
    let status = StatusCode::from_u16(api.readings.no_ssl_status).unwrap_or(StatusCode::OK);
    if status.is_success() {
        ok(json!({ "message": "SSL not installed!" }))
    } else {
        Err(ApiError::new(status, "SSL not installed!"))
    }
}

pub(super) async fn ping() -> Answer {
    ok(json!({ "message": "pong" }))
}

pub(super) async fn get_server(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let server = id(&p, "server", "Server")?;
    let state = api.world.lock();
    let s = state
        .servers
        .get(&server)
        .ok_or_else(|| ApiError::not_found("Server not found."))?;
    let mut server = json!({
        "id": s.id,
        "name": s.name,
        "provider": "Sandbox",
        "stack": "nginx",
        "country_iso_code": "ZZ",
        "os": "Ubuntu",
        "osVersion": "noble",
        "connected": true,
        "online": true,
        "agentVersion": "2.8.7-1+ubuntu24.04+1",
        "phpCLIVersion": "php83rc",
        "softwareUpdate": false,
        "securityUpdate": false,
        "transferStatus": "AVAILABLE",
        "created_at": DEFAULT_CREATED_AT,
        "tags": [],
    });
    let ip_field = match api.readings.server_ip_field {
        ServerIpField::IpAddress => Some("ipAddress"),
        ServerIpField::IpAddressSnake => Some("ip_address"),
        ServerIpField::Ip => Some("ip"),
        ServerIpField::None => None,
    };
    if let Some(field) = ip_field {
        server[field] = json!(s.ip.to_string());
    }
    ok(server)
}

pub(super) async fn get_app(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let state = api.world.lock();
    let a = state
        .app(server, app)
        .ok_or_else(|| ApiError::not_found("Web application not found."))?;
    let root = format!("/home/runcloud/webapps/{}", a.name);
    ok(json!({
        "id": a.id,
        "server_user_id": 1,
        "name": a.name,
        "rootPath": root,
        "publicPath": root,
        "phpVersion": "php83rc",
        "stack": "hybrid",
        "stackMode": "production",
        "type": "wordpress",
        "defaultApp": false,
        "alias": null,
        "pullKey1": format!("sandboxpullkey1app{}", a.id),
        "pullKey2": format!("sandboxpullkey2app{}", a.id),
        "created_at": DEFAULT_CREATED_AT,
    }))
}

pub(super) async fn list_domains(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    Query(q): Query<HashMap<String, String>>,
    inflate: Option<Extension<InflatePages>>,
    uri: Uri,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let page = if api.readings.ignore_page {
        1
    } else {
        q.get("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let per_page = if api.readings.ignore_per_page {
        DEFAULT_PER_PAGE
    } else {
        q.get("perPage")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(DEFAULT_PER_PAGE)
            .clamp(1, MAX_PER_PAGE)
    };
    let state = api.world.lock();
    let a = state
        .app(server, app)
        .ok_or_else(|| ApiError::not_found("Web application not found."))?;
    let data: Vec<DomainJson<'_>> = a
        .domains
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(domain_json)
        .collect();
    let mut total = a.domains.len();
    let mut total_pages = total.div_ceil(per_page).max(1);
    if inflate.is_some() {
        total += per_page;
        total_pages += 1;
    }
    let meta = match api.pagination {
        super::seed::PaginationStyle::Standard => {
            let mut links = Map::new();
            let link = |n: usize| format!("{}{}?page={n}&perPage={per_page}", api.base, uri.path());
            if page > 1 {
                links.insert("previous".to_owned(), json!(link(page - 1)));
            }
            if page < total_pages {
                links.insert("next".to_owned(), json!(link(page + 1)));
            }
            json!({ "pagination": {
                "total": total,
                "count": data.len(),
                "per_page": per_page,
                "current_page": page,
                "total_pages": total_pages,
                "links": links,
            }})
        }
        super::seed::PaginationStyle::LastPage => {
            json!({ "currentPage": page, "lastPage": total_pages })
        }
        super::seed::PaginationStyle::None => return ok(json!({ "data": data })),
    };
    ok(json!({ "data": data, "meta": meta }))
}

pub(super) async fn get_domain(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let domain = id(&p, "domain", "Domain")?;
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    let i = domain_index(a, domain)?;
    ok(domain_json(&a.domains[i]))
}

pub(super) async fn create_domain(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    body: Bytes,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let NewDomain {
        name,
        www,
        wildcard,
        redirection,
        mut errors,
    } = new_domain(&body_fields(&body));
    let mut state = api.world.lock();
    if let Some(name) = &name {
        let a = app_mut(&mut state, server, app)?;
        if a.domains.iter().any(|d| d.name == *name) {
            field_error(
                &mut errors,
                "name",
                "The name has already been taken.".into(),
            );
        }
    }
    let (Some(name), Some(redirection), true) = (name, redirection, errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    let domain = state
        .add_domain(
            server,
            app,
            &name,
            www.unwrap_or(false),
            redirection,
            wildcard.unwrap_or(false),
        )
        .map_err(|e| ApiError::unprocessable(&e.to_string()))?;
    ok(domain_json(&domain))
}

/// The fields of a domain to create, each as far as the body gave it validly; `errors` has a
/// message for every field that was not valid.
struct NewDomain {
    name: Option<String>,
    www: Option<bool>,
    wildcard: Option<bool>,
    redirection: Option<SeedRedirection>,
    errors: Map<String, Value>,
}

/// Checks `create_domain`'s body field by field, as Laravel validates it: everything but the
/// name's uniqueness, which needs the world.
fn new_domain(fields: &Map<String, Value>) -> NewDomain {
    let mut errors = Map::new();
    let name = new_domain_name(fields, &mut errors);
    let www = bool_field(fields, "www").unwrap_or_else(|()| {
        field_error(
            &mut errors,
            "www",
            "The www field must be true or false.".into(),
        );
        None
    });
    let wildcard = bool_field(fields, "wildcard").unwrap_or_else(|()| {
        field_error(
            &mut errors,
            "wildcard",
            "The wildcard field must be true or false.".into(),
        );
        None
    });
    let redirection = match str_field(fields, "redirection") {
        Ok(None) => Some(SeedRedirection::None),
        Ok(Some(r)) => SeedRedirection::parse(r),
        Err(()) => None,
    };
    if redirection.is_none() {
        field_error(
            &mut errors,
            "redirection",
            "The selected redirection is invalid.".into(),
        );
    }
    match str_field(fields, "type") {
        Ok(None | Some("alias")) => {}
        _ => field_error(&mut errors, "type", "The selected type is invalid.".into()),
    }
    NewDomain {
        name,
        www,
        wildcard,
        redirection,
        errors,
    }
}

/// The new domain's name, normalised, when it is given as a valid host name.
fn new_domain_name(fields: &Map<String, Value>, errors: &mut Map<String, Value>) -> Option<String> {
    match fields.get("name") {
        None | Some(Value::Null) => {
            field_error(errors, "name", "The name field is required.".into());
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            field_error(errors, "name", "The name field is required.".into());
            None
        }
        Some(Value::String(s)) => {
            let name = names::normalise(s);
            if names::is_hostname(&name) {
                Some(name)
            } else {
                field_error(errors, "name", "The name format is invalid.".into());
                None
            }
        }
        Some(_) => {
            field_error(errors, "name", "The name must be a string.".into());
            None
        }
    }
}

pub(super) async fn delete_domain(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let domain = id(&p, "domain", "Domain")?;
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    let i = domain_index(a, domain)?;
    if a.domains[i].kind == SeedDomainKind::Primary {
        return Err(ApiError::unprocessable(
            "You cannot delete the primary domain of a web application.",
        ));
    }
    let removed = state
        .remove_domain(server, app, domain)
        .ok_or_else(|| ApiError::not_found("Domain not found."))?;
    ok(domain_json(&removed))
}

pub(super) async fn update_domain_meta(
    State(api): State<Arc<Api>>,
    Extension(version): Extension<Version>,
    Path(p): Params,
    body: Bytes,
) -> Answer {
    if version != Version::V3 {
        return Err(ApiError::not_found("Not Found."));
    }
    let (server, app) = app_ids(&api, &p)?;
    let domain = id(&p, "domain", "Domain")?;
    let fields = body_fields(&body);
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    let i = domain_index(a, domain)?;
    let mut errors = Map::new();
    let www = bool_field(&fields, "www").unwrap_or_else(|()| {
        field_error(
            &mut errors,
            "www",
            "The www field must be true or false.".into(),
        );
        None
    });
    let redirection = match str_field(&fields, "redirection") {
        Ok(None) => None,
        Ok(Some(r)) => {
            let parsed = SeedRedirection::parse(r);
            if parsed.is_none() {
                field_error(
                    &mut errors,
                    "redirection",
                    "The selected redirection is invalid.".into(),
                );
            }
            parsed
        }
        Err(()) => {
            field_error(
                &mut errors,
                "redirection",
                "The selected redirection is invalid.".into(),
            );
            None
        }
    };
    match str_field(&fields, "type") {
        Ok(None) => {}
        Ok(Some(t)) if t == a.domains[i].kind.as_str() => {}
        _ => field_error(&mut errors, "type", "The selected type is invalid.".into()),
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let d = &mut a.domains[i];
    if let Some(www) = www {
        d.www = www;
    }
    if let Some(redirection) = redirection {
        d.redirection = redirection;
    }
    ok(json!({ "message": "Domain settings have been successfully updated." }))
}

pub(super) async fn get_ssl_mode(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let (advanced, auto) = api.world.ssl_mode(server, app);
    match api.readings.ssl_mode_fields {
        SslModeFields::Both => ok(json!({ "advancedSSL": advanced, "autoSSL": auto })),
        SslModeFields::AdvancedOnly => ok(json!({ "advancedSSL": advanced })),
    }
}

/// Switches basic ⇄ advanced. The certificates of the mode left behind are removed, as the
/// server stops presenting them.
pub(super) async fn set_ssl_mode(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    body: Bytes,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let fields = body_fields(&body);
    let mut errors = Map::new();
    let advanced = match bool_field(&fields, "advancedSSL") {
        Ok(Some(b)) => Some(b),
        Ok(None) => {
            field_error(
                &mut errors,
                "advancedSSL",
                "The advanced s s l field is required.".into(),
            );
            None
        }
        Err(()) => {
            field_error(
                &mut errors,
                "advancedSSL",
                "The advanced s s l field must be true or false.".into(),
            );
            None
        }
    };
    let auto = bool_field(&fields, "autoSSL").unwrap_or_else(|()| {
        field_error(
            &mut errors,
            "autoSSL",
            "The auto s s l field must be true or false.".into(),
        );
        None
    });
    let (Some(advanced), true) = (advanced, errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    if a.advanced != advanced {
        if advanced {
            a.basic_cert = None;
        } else {
            a.domain_certs.clear();
        }
        a.stale.clear();
        a.advanced = advanced;
    }
    if let Some(auto) = auto {
        a.auto_ssl = auto;
    }
    ok(json!({ "advancedSSL": a.advanced, "autoSSL": a.auto_ssl }))
}

/// The options of an install body; `base` supplies what a redeploy (no body) keeps.
fn cert_order(fields: &Map<String, Value>, base: Option<&Cert>) -> Result<CertOrder, ApiError> {
    let mut errors = Map::new();
    match str_field(fields, "provider") {
        Ok(None | Some("letsencrypt")) => {}
        _ => field_error(
            &mut errors,
            "provider",
            "The selected provider is invalid.".into(),
        ),
    }
    let staging = match str_field(fields, "environment") {
        Ok(None) => base.is_some_and(|c| c.staging),
        Ok(Some("live")) => false,
        Ok(Some("staging")) => true,
        _ => {
            field_error(
                &mut errors,
                "environment",
                "The selected environment is invalid.".into(),
            );
            false
        }
    };
    let mut flag = |key: &str, old: bool| {
        bool_field(fields, key)
            .unwrap_or_else(|()| {
                field_error(
                    &mut errors,
                    key,
                    format!("The {key} field must be true or false."),
                );
                None
            })
            .unwrap_or(old)
    };
    let enable_http = flag("enableHttp", base.is_some_and(|c| c.enable_http));
    let enable_hsts = flag("enableHsts", base.is_some_and(|c| c.enable_hsts));
    let authorization_method = match str_field(fields, "authorizationMethod") {
        Ok(None) => base
            .map_or("http-01", |c| c.authorization_method.as_str())
            .to_owned(),
        Ok(Some(m @ ("http-01" | "dns-01"))) => m.to_owned(),
        _ => {
            field_error(
                &mut errors,
                "authorizationMethod",
                "The selected authorization method is invalid.".into(),
            );
            String::new()
        }
    };
    let ssl_protocol_id = match fields.get("ssl_protocol_id") {
        None | Some(Value::Null) => base.map_or(2, |c| c.ssl_protocol_id),
        Some(v) => v.as_u64().unwrap_or_else(|| {
            field_error(
                &mut errors,
                "ssl_protocol_id",
                "The ssl protocol id must be an integer.".into(),
            );
            0
        }),
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    Ok(CertOrder {
        staging,
        enable_http,
        enable_hsts,
        authorization_method,
        ssl_protocol_id,
    })
}

/// Orders a certificate for `names` the way Let's Encrypt would: every name must resolve to the
/// server's IP and only to it.
fn issue(
    state: &mut WorldState,
    server: u64,
    names: Vec<String>,
    order: &CertOrder,
) -> Result<Cert, ApiError> {
    let ip = state
        .servers
        .get(&server)
        .map(|s| s.ip)
        .ok_or_else(|| ApiError::not_found("Server not found."))?;
    state
        .check_names(&names, ip)
        .map_err(|m| ApiError::unprocessable(&m))?;
    Ok(state.new_cert(names, order))
}

/// Only Let's Encrypt certificates can be redeployed.
fn refuse_custom(cert: &Cert) -> Result<(), ApiError> {
    if cert.method == "letsencrypt" {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "Only Let's Encrypt certificates can be redeployed.",
        ))
    }
}

pub(super) async fn get_basic_ssl(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let state = api.world.lock();
    match state.app(server, app).and_then(|a| a.basic_cert.as_ref()) {
        Some(cert) => ok(cert_json(cert)),
        None => no_ssl(&api),
    }
}

fn basic_names(a: &App) -> Result<Vec<String>, ApiError> {
    if a.advanced {
        return Err(ApiError::unprocessable(
            "This web application uses advanced SSL: manage certificates per domain.",
        ));
    }
    let names: Vec<String> = a.domains.iter().flat_map(Domain::cert_names).collect();
    if names.is_empty() {
        return Err(ApiError::unprocessable(
            "This web application has no domain to secure.",
        ));
    }
    Ok(names)
}

pub(super) async fn install_basic_ssl(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    undeployed: Option<Extension<Undeployed>>,
    body: Bytes,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let order = cert_order(&body_fields(&body), None)?;
    let mut state = api.world.lock();
    let names = basic_names(app_mut(&mut state, server, app)?)?;
    let cert = issue(&mut state, server, names, &order)?;
    let a = app_mut(&mut state, server, app)?;
    let answer = ok(cert_json(&cert));
    a.keep_presented(None, undeployed.is_some());
    a.basic_cert = Some(cert);
    a.deployed(None, undeployed.is_some());
    answer
}

pub(super) async fn redeploy_basic_ssl(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    undeployed: Option<Extension<Undeployed>>,
    body: Bytes,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let ssl = id(&p, "ssl", "SSL certificate")?;
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    let old = a
        .basic_cert
        .clone()
        .filter(|c| c.id == ssl)
        .ok_or_else(|| ApiError::not_found("SSL certificate not found."))?;
    refuse_custom(&old)?;
    let order = cert_order(&body_fields(&body), Some(&old))?;
    let names = basic_names(a)?;
    let cert = issue(&mut state, server, names, &order)?;
    let a = app_mut(&mut state, server, app)?;
    let answer = ok(cert_json(&cert));
    a.keep_presented(None, undeployed.is_some());
    a.basic_cert = Some(cert);
    a.deployed(None, undeployed.is_some());
    answer
}

pub(super) async fn get_domain_ssl(State(api): State<Arc<Api>>, Path(p): Params) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let domain = id(&p, "domain", "Domain")?;
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    domain_index(a, domain)?;
    match a.domain_certs.get(&domain) {
        Some(cert) => ok(cert_json(cert)),
        None => no_ssl(&api),
    }
}

fn domain_names(a: &App, domain: u64) -> Result<Vec<String>, ApiError> {
    let i = domain_index(a, domain)?;
    if !a.advanced {
        return Err(ApiError::unprocessable(
            "This web application uses basic SSL: switch it to advanced SSL first.",
        ));
    }
    Ok(a.domains[i].cert_names())
}

pub(super) async fn install_domain_ssl(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    undeployed: Option<Extension<Undeployed>>,
    body: Bytes,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let domain = id(&p, "domain", "Domain")?;
    let order = cert_order(&body_fields(&body), None)?;
    let mut state = api.world.lock();
    if app_mut(&mut state, server, app)?
        .domain_certs
        .contains_key(&domain)
    {
        return Err(ApiError::unprocessable(
            "This domain already has an SSL certificate: redeploy it instead.",
        ));
    }
    let names = domain_names(app_mut(&mut state, server, app)?, domain)?;
    let cert = issue(&mut state, server, names, &order)?;
    let a = app_mut(&mut state, server, app)?;
    a.keep_presented(Some(domain), undeployed.is_some());
    a.domain_certs.insert(domain, cert);
    a.deployed(Some(domain), undeployed.is_some());
    ok(json!({}))
}

pub(super) async fn redeploy_domain_ssl(
    State(api): State<Arc<Api>>,
    Path(p): Params,
    undeployed: Option<Extension<Undeployed>>,
    body: Bytes,
) -> Answer {
    let (server, app) = app_ids(&api, &p)?;
    let domain = id(&p, "domain", "Domain")?;
    let ssl = id(&p, "ssl", "SSL certificate")?;
    let mut state = api.world.lock();
    let a = app_mut(&mut state, server, app)?;
    domain_index(a, domain)?;
    let old = a
        .domain_certs
        .get(&domain)
        .filter(|c| c.id == ssl)
        .cloned()
        .ok_or_else(|| ApiError::not_found("SSL certificate not found."))?;
    refuse_custom(&old)?;
    let order = cert_order(&body_fields(&body), Some(&old))?;
    let names = domain_names(a, domain)?;
    let cert = issue(&mut state, server, names, &order)?;
    let a = app_mut(&mut state, server, app)?;
    a.keep_presented(Some(domain), undeployed.is_some());
    a.domain_certs.insert(domain, cert);
    a.deployed(Some(domain), undeployed.is_some());
    ok(json!({}))
}
