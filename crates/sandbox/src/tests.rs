//! Tests of the sandbox over real HTTP on loopback (reqwest against `start(seed, 127.0.0.1:0)`),
//! plus its seed parsing, fault grammar and world rules. Must not reach beyond loopback.

// Test scenarios read top to bottom.
#![allow(clippy::too_many_lines)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::*;

const TOKEN: &str = "sandbox-token";
const KEY: &str = "sandbox-key";
const SECRET: &str = "sandbox-secret";
const IP: &str = "127.0.0.1";

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Server 1 (127.0.0.1) with app 2: a primary domain and 44 bulk aliases (45 domains;
/// ids 12..=56, after the largest seeded id 11); server 10 with app 11 and no domain.
const SEED_45: &str = r#"
servers:
  - id: 1
    name: web-1
    ip: 127.0.0.1
    apps:
      - id: 2
        name: network
        domains:
          - {name: network.example, type: primary, www: true, redirection: non-www}
        bulk: {count: 44, template: "site{n}.bench.example"}
  - id: 10
    name: web-2
    ip: 127.0.0.2
    apps:
      - {id: 11, name: other}
"#;

async fn sandbox(yaml: &str) -> SandboxHandle {
    start(Seed::from_yaml_str(yaml).expect("seed"), any_port())
        .await
        .expect("start sandbox")
}

async fn get(client: &Client, url: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = client
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.expect("json body");
    (status, headers, body)
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.bearer_auth(TOKEN).send().await.expect("send");
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

fn names_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_45_domains_at_40_and_at_the_default_20() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let list = format!("{}/servers/1/webapps/2/domains", sb.api_url_v3());

    let (status, _, page1) = get(&c, &format!("{list}?page=1&perPage=40")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page1["data"].as_array().unwrap().len(), 40);
    let p = &page1["meta"]["pagination"];
    assert_eq!(
        (
            p["total"].as_u64(),
            p["count"].as_u64(),
            p["per_page"].as_u64()
        ),
        (Some(45), Some(40), Some(40))
    );
    assert_eq!(
        (p["current_page"].as_u64(), p["total_pages"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(page1["data"][0]["name"], "network.example");
    assert_eq!(page1["data"][1]["name"], "site1.bench.example");

    let (_, _, page2) = get(&c, &format!("{list}?page=2&perPage=40")).await;
    assert_eq!(
        names_of(&page2),
        (40..=44)
            .map(|n| format!("site{n}.bench.example"))
            .collect::<Vec<_>>()
    );
    assert_eq!(page2["meta"]["pagination"]["count"], 5);

    // Default 20: 20 + 20 + 5.
    let mut counts = Vec::new();
    let mut all = Vec::new();
    for page in 1..=3 {
        let (_, _, body) = get(&c, &format!("{list}?page={page}")).await;
        assert_eq!(body["meta"]["pagination"]["per_page"], 20);
        assert_eq!(body["meta"]["pagination"]["total_pages"], 3);
        counts.push(body["data"].as_array().unwrap().len());
        all.extend(names_of(&body));
    }
    assert_eq!(counts, vec![20, 20, 5]);
    all.dedup();
    assert_eq!(all.len(), 45);

    // No page argument: page 1 at 20; perPage above 40 is clamped.
    let (_, _, body) = get(&c, &list).await;
    assert_eq!(body["meta"]["pagination"]["current_page"], 1);
    assert_eq!(body["data"].as_array().unwrap().len(), 20);
    let (_, _, body) = get(&c, &format!("{list}?perPage=100")).await;
    assert_eq!(body["meta"]["pagination"]["per_page"], 40);
    assert_eq!(body["data"].as_array().unwrap().len(), 40);
    // Past the end: an empty page.
    let (_, _, body) = get(&c, &format!("{list}?page=9&perPage=40")).await;
    assert_eq!(body["data"], json!([]));
}

#[tokio::test]
async fn single_page_lists_match_the_fixture_envelope() {
    let sb = sandbox(
        r#"
servers:
  - id: 10101
    name: server minions
    ip: 2.2.2.2
    apps:
      - id: 646
        name: app-schimmel
        domains:
          - {name: schimmel.alirahman.site, type: primary, created_at: "2024-07-09 07:02:13"}
          - {name: yog.alirahman.site, redirection: non-www, created_at: "2024-07-18 01:31:10"}
"#,
    )
    .await;
    let (status, _, body) = get(
        &client(),
        &format!("{}/servers/10101/webapps/646/domains", sb.api_url_v3()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "data": [
                {"id": 10102, "name": "schimmel.alirahman.site", "type": "primary", "www": 0,
                 "redirection": "none", "wildcard": 0, "dns_integration": "none", "status": null,
                 "created_at": "2024-07-09 07:02:13"},
                {"id": 10103, "name": "yog.alirahman.site", "type": "alias", "www": 0,
                 "redirection": "non-www", "wildcard": 0, "dns_integration": "none",
                 "status": null, "created_at": "2024-07-18 01:31:10"}
            ],
            "meta": {"pagination": {"total": 2, "count": 2, "per_page": 20, "current_page": 1,
                                    "total_pages": 1, "links": {}}}
        })
    );
}

#[tokio::test]
async fn last_page_style_paging_has_no_pagination_object() {
    let sb = sandbox(&format!("pagination: last_page\n{SEED_45}")).await;
    let (_, _, body) = get(
        &client(),
        &format!(
            "{}/servers/1/webapps/2/domains?page=2&perPage=40",
            sb.api_url_v3()
        ),
    )
    .await;
    assert_eq!(body["meta"], json!({"currentPage": 2, "lastPage": 2}));
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn booleans_come_back_as_0_and_1() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let (_, _, body) = get(
        &c,
        &format!("{}/servers/1/webapps/2/domains/12", sb.api_url_v3()),
    )
    .await;
    assert_eq!(
        body,
        json!({"id": 12, "name": "network.example", "type": "primary", "www": 1,
               "redirection": "non-www", "wildcard": 0, "dns_integration": "none",
               "status": null, "created_at": "2024-01-01 00:00:00"})
    );
    let (_, _, body) = get(
        &c,
        &format!("{}/servers/1/webapps/2/domains/13", sb.api_url_v3()),
    )
    .await;
    assert_eq!(
        (body["www"].clone(), body["wildcard"].clone()),
        (json!(0), json!(0))
    );
}

#[tokio::test]
async fn wrong_credentials_get_401_on_v3_and_v2() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let v3 = format!("{}/ping", sb.api_url_v3());
    let v2 = format!("{}/ping", sb.api_url_v2());
    let refused = [
        c.get(&v3),
        c.get(&v3).bearer_auth("wrong-token"),
        c.get(&v3).basic_auth(KEY, Some(SECRET)), // Basic is v2 only
        c.get(&v3).header("Authorization", "Token sandbox-token"),
        c.get(&v2),
        c.get(&v2).bearer_auth("wrong-token"),
        c.get(&v2).basic_auth(KEY, Some("wrong-secret")),
        c.get(&v2).basic_auth("wrong-key", Some(SECRET)),
        c.get(&v2).header("Authorization", "Basic !!!"),
    ];
    for request in refused {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"message": "Invalid credentials."}));
    }
    let kinds: Vec<AuthKind> = sb.requests().iter().map(|r| r.auth).collect();
    use AuthKind::*;
    assert_eq!(
        kinds,
        vec![
            None, Invalid, Basic, Invalid, None, Invalid, Invalid, Invalid, Invalid
        ]
    );
    assert!(sb.requests().iter().all(|r| r.status == 401));

    for request in [
        c.get(&v3).bearer_auth(TOKEN),
        c.get(&v2).bearer_auth(TOKEN),
        c.get(&v2).basic_auth(KEY, Some(SECRET)),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"message": "pong"})
        );
    }
}

#[tokio::test]
async fn unknown_ids_and_routes_get_404_json() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let v3 = sb.api_url_v3();
    for (path, message) in [
        ("/servers/99", "Server not found."),
        ("/servers/99/webapps/2/domains", "Server not found."),
        (
            "/servers/1/webapps/99/domains",
            "Web application not found.",
        ),
        (
            "/servers/1/webapps/11/domains",
            "Web application not found.",
        ), // app of server 10
        ("/servers/1/webapps/2/domains/99999", "Domain not found."),
        ("/servers/1/webapps/2/domains/abc", "Domain not found."),
        ("/servers/1/webapps/2/nothing", "Not Found."),
    ] {
        let (status, _, body) = get(&c, &format!("{v3}{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body, json!({ "message": message }), "{path}");
    }
    let (status, _, _) = get(&c, &format!("http://{}/api/v4/ping", sb.addr())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = send(c.delete(format!("{v3}/servers/1/webapps/2/domains/99999"))).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"message": "Domain not found."})
        )
    );
    // A known path with a method it does not serve: 405, still JSON.
    let (status, body) = send(c.put(format!("{v3}/servers/1/webapps/2/domains"))).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"message": "Method Not Allowed."})
        )
    );
}

#[tokio::test]
async fn server_and_webapp_objects_look_like_runclouds() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let (_, _, server) = get(&c, &format!("{}/servers/1", sb.api_url_v2())).await;
    assert_eq!(server["id"], 1);
    assert_eq!(server["ipAddress"], "127.0.0.1");
    assert_eq!(server["name"], "web-1");
    assert_eq!(
        (server["online"].clone(), server["connected"].clone()),
        (json!(true), json!(true))
    );
    let (_, _, app) = get(&c, &format!("{}/servers/1/webapps/2", sb.api_url_v3())).await;
    assert_eq!(app["id"], 2);
    assert_eq!(app["name"], "network");
    assert_eq!(app["type"], "wordpress");
    assert_eq!(app["created_at"], "2024-01-01 00:00:00");
}

#[tokio::test]
async fn invalid_and_duplicate_names_get_422() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let url = format!("{}/servers/1/webapps/2/domains", sb.api_url_v3());
    let cases = [
        (
            json!({"name": "site1.bench.example", "www": false, "redirection": "none", "type": "alias"}),
            "name",
            "The name has already been taken.",
        ),
        (
            json!({"name": "SITE1.bench.example.", "www": false}),
            "name",
            "The name has already been taken.",
        ),
        (
            json!({"name": "not a host", "www": false}),
            "name",
            "The name format is invalid.",
        ),
        (
            json!({"name": "localhost"}),
            "name",
            "The name format is invalid.",
        ),
        (
            json!({"name": "10.0.0.1"}),
            "name",
            "The name format is invalid.",
        ),
        (
            json!({"name": "-bad.example"}),
            "name",
            "The name format is invalid.",
        ),
        (json!({"www": true}), "name", "The name field is required."),
        (json!({"name": 7}), "name", "The name must be a string."),
        (
            json!({"name": "ok.example", "redirection": "sideways"}),
            "redirection",
            "The selected redirection is invalid.",
        ),
        (
            json!({"name": "ok.example", "www": "maybe"}),
            "www",
            "The www field must be true or false.",
        ),
        (
            json!({"name": "ok.example", "type": "primary"}),
            "type",
            "The selected type is invalid.",
        ),
    ];
    for (body, field, message) in cases {
        let (status, answer) = send(c.post(&url).json(&body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer["message"], "The given data was invalid.", "{body}");
        assert_eq!(answer["errors"][field], json!([message]), "{body}");
    }
    // Not JSON at all reads as no fields.
    let (status, answer) = send(c.post(&url).body("name=x")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer["errors"]["name"],
        json!(["The name field is required."])
    );
    assert_eq!(sb.world().domains(1, 2).len(), 45, "nothing was attached");
    assert_eq!(sb.write_requests().len(), 12);
    assert!(sb.write_requests().iter().all(|r| r.status == 422));
}

#[tokio::test]
async fn add_list_delete_round_trip() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let base = format!("{}/servers/1/webapps/2/domains", sb.api_url_v3());
    let (status, created) = send(c.post(&base).json(
        &json!({"name": "Shop.Example.org", "www": true, "redirection": "non-www", "type": "alias"}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["id"], 57, "ids continue after the seeded ones");
    assert_eq!(created["name"], "shop.example.org");
    assert_eq!(created["type"], "alias");
    assert_eq!(created["www"], 1);
    assert_eq!(created["redirection"], "non-www");
    assert_eq!(created["wildcard"], 0);
    assert_eq!(created["dns_integration"], "none");
    assert_eq!(created["status"], Value::Null);
    let created_at = created["created_at"].as_str().unwrap();
    assert!(time::is_timestamp(created_at), "{created_at}");
    let year = time::format_secs(time::now_secs())[..4].to_owned();
    assert!(created_at.starts_with(&year), "{created_at}");

    let (_, _, page3) = get(&c, &format!("{base}?page=3")).await;
    assert_eq!(page3["meta"]["pagination"]["total"], 46);
    assert_eq!(names_of(&page3).last().unwrap(), "shop.example.org");
    let (_, _, one) = get(&c, &format!("{base}/57")).await;
    assert_eq!(one, created);

    let (status, deleted) = send(c.delete(format!("{base}/57")).body("[]")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, created);
    let (status, _, _) = get(&c, &format!("{base}/57")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !sb.world()
            .domains(1, 2)
            .iter()
            .any(|d| d.name == "shop.example.org")
    );

    // The primary domain cannot be removed.
    let (status, body) = send(c.delete(format!("{base}/12"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("primary"));
    assert_eq!(sb.world().domains(1, 2)[0].name, "network.example");

    let writes: Vec<(String, u16)> = sb
        .write_requests()
        .into_iter()
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        writes,
        vec![
            ("POST".into(), 200),
            ("DELETE".into(), 200),
            ("DELETE".into(), 422)
        ]
    );
    let first = &sb.requests()[0];
    assert_eq!(first.path, "/api/v3/servers/1/webapps/2/domains");
    assert_eq!(first.query, None);
    assert_eq!(first.auth, AuthKind::Bearer);
    assert_eq!(sb.requests()[1].query.as_deref(), Some("page=3"));
}

#[tokio::test]
async fn v2_serves_domains_but_has_no_patch_meta() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let meta = json!({"type": "alias", "redirection": "www", "www": true});
    let v2 = format!("{}/servers/1/webapps/2/domains/13/meta", sb.api_url_v2());
    let response = c
        .patch(&v2)
        .basic_auth(KEY, Some(SECRET))
        .json(&meta)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    assert_eq!(
        sb.world().domains(1, 2)[1].redirection,
        SeedRedirection::None
    );

    let v3 = format!("{}/servers/1/webapps/2/domains/13/meta", sb.api_url_v3());
    let (status, body) = send(c.patch(&v3).json(&meta)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"message": "Domain settings have been successfully updated."})
    );
    let d = &sb.world().domains(1, 2)[1];
    assert_eq!(
        (d.id, d.www, d.redirection),
        (13, true, SeedRedirection::Www)
    );

    let (status, body) = send(c.patch(&v3).json(&json!({"redirection": "up"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["redirection"],
        json!(["The selected redirection is invalid."])
    );

    // v2 lists with Basic auth.
    let response = c
        .get(format!("{}/servers/1/webapps/2/domains", sb.api_url_v2()))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["meta"]["pagination"]["total"],
        45
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_headers_and_retry_after() {
    let sb = sandbox(&format!(
        "rate_limit: {{per_minute: 3, window_seconds: 60}}\n{SEED_45}"
    ))
    .await;
    let c = client();
    let ping = format!("{}/ping", sb.api_url_v3());
    for remaining in ["2", "1", "0"] {
        let (status, headers, _) = get(&c, &ping).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-ratelimit-limit"], "3");
        assert_eq!(headers["x-ratelimit-remaining"], remaining);
    }
    let (status, headers, body) = get(&c, &ping).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body, json!({"message": "Too Many Attempts."}));
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another credential has its own window.
    let response = c
        .get(format!("{}/ping", sb.api_url_v2()))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ratelimit-remaining"], "2");

    let quiet = sandbox(&format!(
        "rate_limit: {{per_minute: 1, retry_after: false}}\n{SEED_45}"
    ))
    .await;
    let ping = format!("{}/ping", quiet.api_url_v3());
    assert_eq!(get(&c, &ping).await.0, StatusCode::OK);
    let (status, headers, _) = get(&c, &ping).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.get("retry-after").is_none());
}

#[tokio::test]
async fn status_html_empty_and_rate_limited_faults() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let ping = format!("{}/ping", sb.api_url_v3());

    sb.inject("status=503,times=2".parse().unwrap());
    for _ in 0..2 {
        let (status, headers, body) = get(&c, &ping).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, json!({"message": "Service Unavailable"}));
        assert!(headers.contains_key("x-ratelimit-limit"));
    }
    assert_eq!(get(&c, &ping).await.0, StatusCode::OK, "spent after 2");

    sb.inject("html=502".parse().unwrap());
    let response = c.get(&ping).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("<title>502 Bad Gateway</title>"), "{text}");
    assert!(text.contains("<center>nginx</center>"), "{text}");

    sb.inject(Fault::new(FaultKind::Empty));
    let response = c.get(&ping).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "");

    sb.inject("rate_limited=7".parse().unwrap());
    let (status, headers, body) = get(&c, &ping).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(body, json!({"message": "Too Many Attempts."}));
    sb.inject("rate_limited".parse().unwrap());
    let (status, headers, _) = get(&c, &ping).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.get("retry-after").is_none());

    let statuses: Vec<u16> = sb.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200, 502, 200, 429, 429]);
}

#[tokio::test]
async fn fault_filters_method_path_after_and_times() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let v3 = sb.api_url_v3();
    let list = format!("{v3}/servers/1/webapps/2/domains");
    sb.inject(
        "status=500,method=POST,path=/domains,after=1,times=0"
            .parse()
            .unwrap(),
    );
    // GETs are not hit; the first POST passes (after=1), every later POST fails (times=0).
    assert_eq!(get(&c, &list).await.0, StatusCode::OK);
    let (first, _) = send(c.post(&list).json(&json!({"name": "a.example"}))).await;
    assert_eq!(first, StatusCode::OK);
    for name in ["b.example", "c.example", "d.example"] {
        let (status, _) = send(c.post(&list).json(&json!({ "name": name }))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(get(&c, &format!("{v3}/ping")).await.0, StatusCode::OK);
    assert_eq!(sb.world().domains(1, 2).len(), 46);
}

#[tokio::test]
async fn slow_fault_delays_the_answer() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let ping = format!("{}/ping", sb.api_url_v3());
    // A slow answer still arrives whole...
    sb.inject("slow=400".parse().unwrap());
    let (status, _, body) = get(&c, &ping).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"message": "pong"})));
    // ... and a client that gives up before it sees a timeout.
    sb.inject("slow=2000".parse().unwrap());
    let err = c
        .get(&ping)
        .bearer_auth(TOKEN)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn reset_fault_is_a_connection_error_and_changes_nothing() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let list = format!("{}/servers/1/webapps/2/domains", sb.api_url_v3());
    sb.inject("reset,method=POST".parse().unwrap());
    let err = c
        .post(&list)
        .bearer_auth(TOKEN)
        .json(&json!({"name": "reset.example"}))
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "no HTTP answer: {err}");
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert_eq!(sb.world().domains(1, 2).len(), 45);
    let writes = sb.write_requests();
    assert_eq!(
        (writes.len(), writes[0].status),
        (1, 0),
        "recorded once, not retried"
    );
    // The next request is served.
    assert_eq!(get(&c, &list).await.0, StatusCode::OK);
}

#[tokio::test]
async fn lost_response_fault_creates_the_domain_but_never_answers() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let list = format!("{}/servers/1/webapps/2/domains", sb.api_url_v3());
    sb.inject("lost_response,method=POST,path=/domains".parse().unwrap());
    let err = c
        .post(&list)
        .bearer_auth(TOKEN)
        .json(
            &json!({"name": "lost.example", "www": false, "redirection": "none", "type": "alias"}),
        )
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "{err}");
    let domains = sb.world().domains(1, 2);
    assert_eq!(domains.last().unwrap().name, "lost.example");
    let writes = sb.write_requests();
    assert_eq!((writes.len(), writes[0].status), (1, 0));
    // Re-reading shows it attached; repeating the POST is refused as a duplicate.
    let (_, _, page3) = get(&c, &format!("{list}?page=3")).await;
    assert!(names_of(&page3).contains(&"lost.example".to_owned()));
    let (status, body) = send(c.post(&list).json(&json!({"name": "lost.example"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["name"],
        json!(["The name has already been taken."])
    );
}

#[tokio::test]
async fn truncate_list_faults() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let list = format!("{}/servers/1/webapps/2/domains", sb.api_url_v3());
    // Page 2 fails.
    sb.inject("truncate_list=2".parse().unwrap());
    assert_eq!(
        get(&c, &format!("{list}?page=1&perPage=40")).await.0,
        StatusCode::OK
    );
    let (status, _, body) = get(&c, &format!("{list}?page=2&perPage=40")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["message"].is_string());
    assert_eq!(
        get(&c, &format!("{list}?page=2&perPage=40")).await.0,
        StatusCode::OK
    );

    // The list claims a page more than there is; that page is empty.
    sb.inject("truncate_list,times=2".parse().unwrap());
    let (_, _, page1) = get(&c, &format!("{list}?page=1&perPage=40")).await;
    assert_eq!(page1["meta"]["pagination"]["total_pages"], 3);
    assert_eq!(page1["meta"]["pagination"]["total"], 85);
    let (_, _, page3) = get(&c, &format!("{list}?page=3&perPage=40")).await;
    assert_eq!(page3["meta"]["pagination"]["total_pages"], 3);
    assert_eq!(page3["data"], json!([]));
    // Spent after two hits: the next list is truthful.
    let (_, _, page1) = get(&c, &format!("{list}?page=1&perPage=40")).await;
    assert_eq!(page1["meta"]["pagination"]["total_pages"], 2);
}

#[tokio::test]
async fn faults_armed_in_the_seed_hit_from_the_start() {
    let sb = sandbox(&format!(
        "{SEED_45}faults:\n  - {{kind: status, code: 500, method: GET, path: /ping}}\n"
    ))
    .await;
    let c = client();
    let ping = format!("{}/ping", sb.api_url_v3());
    assert_eq!(get(&c, &ping).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(get(&c, &ping).await.0, StatusCode::OK);
}

#[test]
fn fault_specs_parse_and_bad_ones_are_refused() {
    let f: Fault = "status=503,times=2,method=get,path=/domains"
        .parse()
        .unwrap();
    assert_eq!(
        f,
        Fault {
            kind: FaultKind::Status,
            code: Some(503),
            method: Some("GET".into()),
            path: Some("/domains".into()),
            times: 2,
            ..Fault::new(FaultKind::Status)
        }
    );
    assert_eq!(
        "lost-response".parse::<Fault>().unwrap().kind,
        FaultKind::LostResponse
    );
    assert_eq!(
        "slow,ms=250,after=3".parse::<Fault>().unwrap().delay_ms(),
        250
    );
    assert_eq!("slow".parse::<Fault>().unwrap().delay_ms(), 1000);
    assert_eq!("html".parse::<Fault>().unwrap().status_code(), 502);
    assert_eq!("truncate_list=3".parse::<Fault>().unwrap().page, Some(3));
    assert_eq!(
        "rate_limited=30".parse::<Fault>().unwrap().retry_after,
        Some(30)
    );
    for (bad, reason) in [
        ("explode", "unknown kind \"explode\""),
        ("status=abc", "code=\"abc\" is not a number"),
        ("status=999", "`code` 999 is not an HTTP status (100..=599)"),
        ("reset=3", "reset takes no value"),
        (
            "slow,code=500",
            "`code` applies only to status, html, redirect and quota faults",
        ),
        ("status,colour=red", "unknown key \"colour\""),
        ("status,times", "\"times\" is not KEY=VALUE"),
        ("truncate_list=0", "`page` starts at 1"),
    ] {
        let err = bad.parse::<Fault>().unwrap_err();
        assert_eq!(err.reason, reason, "{bad}");
        assert!(err.to_string().contains(bad), "{err}");
    }
}

#[tokio::test]
async fn certificate_is_refused_while_a_name_resolves_elsewhere_and_the_old_one_is_kept() {
    let sb = sandbox(
        r#"
servers:
  - id: 1
    name: web-1
    ip: 127.0.0.1
    apps:
      - id: 2
        name: network
        ssl: {certificate: {names: [network.example], valid_days: 10}}
        domains:
          - {name: network.example, type: primary, www: true}
          - shop.example.org
dns:
  - {name: network.example, type: A, value: 127.0.0.1}
  - {name: www.network.example, type: CNAME, value: network.example}
  - {name: shop.example.org, type: A, value: 10.9.9.9}
"#,
    )
    .await;
    let c = client();
    let ssl = format!("{}/servers/1/webapps/2/ssl", sb.api_url_v3());
    let (status, _, old) = get(&c, &ssl).await;
    assert_eq!(status, StatusCode::OK);
    let old_id = old["id"].as_u64().unwrap();
    assert_eq!(old_id, 5, "after server 1, app 2, domains 3 and 4");
    assert_eq!(old["method"], "letsencrypt");
    assert_eq!(old["staging"], false);
    for key in [
        "validUntil",
        "renewalDate",
        "created_at",
        "authorizationMethod",
    ] {
        assert!(old[key].is_string(), "{key}");
    }
    let seeded = sb.world().certificate_for_name("network.example").unwrap();
    assert_eq!(seeded.id, old_id);
    assert_eq!(seeded.not_after - seeded.not_before, 90 * 86_400);
    assert!(seeded.not_after > time::now_secs() + 9 * 86_400);

    let install = json!({"provider": "letsencrypt", "enableHttp": false, "enableHsts": false,
                         "authorizationMethod": "http-01", "environment": "staging"});
    let (status, body) = send(c.post(&ssl).json(&install)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("shop.example.org") && message.contains("10.9.9.9"),
        "{message}"
    );
    assert_eq!(
        get(&c, &ssl).await.2["id"],
        old_id,
        "the old certificate stays"
    );
    assert_eq!(
        sb.world()
            .certificate_for_name("network.example")
            .unwrap()
            .id,
        old_id
    );
    assert_eq!(sb.world().certificate_for_name("shop.example.org"), None);

    // An AAAA elsewhere spoils it too; an unresolvable name is named as such.
    sb.world()
        .set_record("shop.example.org", RecordType::A, IP)
        .unwrap();
    sb.world()
        .add_record("shop.example.org", RecordType::Aaaa, "2001:db8::1")
        .unwrap();
    let (status, body) = send(c.post(&ssl).json(&install)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("2001:db8::1"));
    sb.world().remove_records("shop.example.org");
    let (_, body) = send(c.post(&ssl).json(&install)).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("does not resolve")
    );

    sb.world()
        .set_record("shop.example.org", RecordType::Cname, "network.example")
        .unwrap();
    let (status, new) = send(c.post(&ssl).json(&install)).await;
    assert_eq!(status, StatusCode::OK, "{new}");
    let new_id = new["id"].as_u64().unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(new["staging"], true);
    assert_eq!(get(&c, &ssl).await.2["id"], new_id);
    let cert = sb
        .world()
        .certificate_for_name("www.network.example")
        .unwrap();
    assert_eq!(
        cert.names,
        vec!["network.example", "www.network.example", "shop.example.org"]
    );
    assert_eq!((cert.id, cert.staging), (new_id, true));
    assert_eq!(cert.not_after - cert.not_before, 90 * 86_400);

    // Redeploy: the app's certificate id only.
    let (status, _) = send(c.put(format!("{ssl}/{old_id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, redeployed) = send(c.put(format!("{ssl}/{new_id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        redeployed["staging"], true,
        "kept from the certificate it replaces"
    );
    assert_ne!(redeployed["id"], json!(new_id));
    assert_eq!(
        sb.world().basic_certificate(1, 2).unwrap().id,
        redeployed["id"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn advanced_ssl_issues_per_domain_certificates() {
    let sb = sandbox(
        r#"
servers:
  - id: 1
    name: web-1
    ip: 127.0.0.1
    apps:
      - id: 2
        name: network
        domains:
          - {name: network.example, type: primary}
          - {name: shop.example.org, www: true}
dns:
  - {name: network.example, type: A, value: 127.0.0.1}
  - {name: shop.example.org, type: A, value: 127.0.0.1}
"#,
    )
    .await;
    let c = client();
    let app = format!("{}/servers/1/webapps/2", sb.api_url_v3());
    let (_, _, mode) = get(&c, &format!("{app}/ssl/advanced")).await;
    assert_eq!(mode, json!({"advancedSSL": false, "autoSSL": false}));
    let (_, _, none) = get(&c, &format!("{app}/ssl")).await;
    assert_eq!(none, json!({"message": "SSL not installed!"}));

    let install = json!({"advancedSSL": true, "autoSSL": false, "provider": "letsencrypt",
                         "enableHttp": false, "enableHsts": false,
                         "authorizationMethod": "http-01", "environment": "live"});
    let (status, _) = send(c.post(format!("{app}/domains/4/ssl")).json(&install)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "basic mode");

    let (status, mode) = send(
        c.post(format!("{app}/ssl/advanced"))
            .json(&json!({"advancedSSL": true, "autoSSL": false})),
    )
    .await;
    assert_eq!(
        (status, mode),
        (
            StatusCode::OK,
            json!({"advancedSSL": true, "autoSSL": false})
        )
    );
    assert_eq!(sb.world().ssl_mode(1, 2), (true, false));
    let (status, _) = send(c.post(format!("{app}/ssl")).json(&json!({}))).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "basic install in advanced mode"
    );

    // shop has www=1: www.shop.example.org does not resolve yet.
    let (status, body) = send(c.post(format!("{app}/domains/4/ssl")).json(&install)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("www.shop.example.org")
    );
    sb.world()
        .set_record(
            "www.shop.example.org",
            RecordType::Cname,
            "shop.example.org",
        )
        .unwrap();
    let (status, body) = send(c.post(format!("{app}/domains/4/ssl")).json(&install)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let (_, _, cert) = get(&c, &format!("{app}/domains/4/ssl")).await;
    let cert_id = cert["id"].as_u64().unwrap();
    let presented = sb
        .world()
        .certificate_for_name("www.shop.example.org")
        .unwrap();
    assert_eq!(presented.id, cert_id);
    assert_eq!(
        presented.names,
        vec!["shop.example.org", "www.shop.example.org"]
    );
    assert_eq!(
        sb.world()
            .domain_certificate(1, 2, "shop.example.org")
            .map(|c| c.id),
        Some(cert_id)
    );
    assert_eq!(sb.world().certificate_for_name("network.example"), None);
    let (_, _, none) = get(&c, &format!("{app}/domains/3/ssl")).await;
    assert_eq!(none, json!({"message": "SSL not installed!"}));

    let (status, _) = send(c.put(format!("{app}/domains/4/ssl/999"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = send(c.put(format!("{app}/domains/4/ssl/{cert_id}"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_ne!(
        sb.world()
            .domain_certificate(1, 2, "shop.example.org")
            .unwrap()
            .id,
        cert_id
    );

    // Removing the domain removes its certificate.
    assert!(
        sb.world()
            .remove_domain_behind_back(1, 2, "shop.example.org")
    );
    assert_eq!(sb.world().certificate_for_name("shop.example.org"), None);
}

#[tokio::test]
async fn changes_behind_the_back_show_in_the_api() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let world = sb.world();
    let added = world
        .add_domain_behind_back(1, 2, "Plugin.Example")
        .unwrap();
    assert_eq!(added.id, 57);
    assert_eq!(added.kind, SeedDomainKind::Alias);
    assert_eq!(
        world.add_domain_behind_back(1, 2, "plugin.example"),
        Err(WorldError::Duplicate("plugin.example".into()))
    );
    assert_eq!(
        world.add_domain_behind_back(1, 99, "x.example"),
        Err(WorldError::UnknownApp { server: 1, app: 99 })
    );
    let (_, _, one) = get(
        &c,
        &format!("{}/servers/1/webapps/2/domains/57", sb.api_url_v3()),
    )
    .await;
    assert_eq!(one["name"], "plugin.example");
    assert!(world.remove_domain_behind_back(1, 2, "site1.bench.example"));
    assert!(!world.remove_domain_behind_back(1, 2, "site1.bench.example"));
    let (_, _, page) = get(
        &c,
        &format!("{}/servers/1/webapps/2/domains", sb.api_url_v3()),
    )
    .await;
    assert_eq!(page["meta"]["pagination"]["total"], 45);
    assert_eq!(
        world.server_ip(10),
        Some("127.0.0.2".parse::<IpAddr>().unwrap())
    );
    assert_eq!(world.server_ip(7), None);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sb = sandbox(SEED_45).await;
    let c = client();
    let ping = format!("{}/ping", sb.api_url_v3());
    assert_eq!(get(&c, &ping).await.0, StatusCode::OK);
    sb.shutdown();
    tokio::time::timeout(Duration::from_secs(10), sb.closed())
        .await
        .expect("stopped");
    let fresh = client();
    let err = fresh
        .get(&ping)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

#[test]
fn resolve_follows_cnames_and_stops_on_loops() {
    let seed = Seed::from_yaml_str(
        r#"
servers: []
dns:
  - {name: a.example, type: CNAME, value: b.example.}
  - {name: B.example, type: CNAME, value: c.example}
  - {name: c.example, type: A, value: 192.0.2.1}
  - {name: c.example, type: AAAA, value: "2001:db8::2"}
  - {name: loop1.example, type: CNAME, value: loop2.example}
  - {name: loop2.example, type: CNAME, value: loop1.example}
"#,
    )
    .unwrap();
    let world = World::from_seed(&seed);
    let expected: Vec<IpAddr> = vec!["192.0.2.1".parse().unwrap(), "2001:db8::2".parse().unwrap()];
    assert_eq!(world.resolve("A.example."), expected);
    assert_eq!(world.resolve("loop1.example"), Vec::<IpAddr>::new());
    assert_eq!(world.resolve("nowhere.example"), Vec::<IpAddr>::new());
    assert_eq!(world.records("c.example").len(), 2);
    assert!(
        world
            .set_record("x.example", RecordType::A, "not-an-ip")
            .is_err()
    );
}

#[test]
fn certificate_for_name_matches_wildcards_after_exact_names() {
    let seed = Seed::from_yaml_str(
        r#"
servers:
  - id: 1
    name: s
    ip: 192.0.2.1
    apps:
      - id: 2
        name: a
        domains: [x.example]
        ssl: {certificate: {names: ["*.example", "x.example"], valid_days: -3, staging: true}}
"#,
    )
    .unwrap();
    let world = World::from_seed(&seed);
    let cert = world.certificate_for_name("shop.example").unwrap();
    assert_eq!(cert.names, vec!["*.example", "x.example"]);
    assert!(cert.staging);
    assert!(cert.not_after < time::now_secs(), "expired three days ago");
    assert_eq!(world.certificate_for_name("a.b.example"), None);
    assert_eq!(world.certificate_for_name("example"), None);
}

#[test]
fn seed_parses_the_documented_example_with_bulk() {
    let seed = Seed::from_yaml_str(
        r#"
credentials: {token: t0k3n}
rate_limit: {per_minute: 60, window_seconds: 60, retry_after: true}
pagination: standard
servers:
  - id: 1
    name: web-1
    ip: 127.0.0.1
    apps:
      - id: 2
        name: network
        ssl: {mode: basic, certificate: {names: [network.example], valid_days: 30}}
        domains:
          - {name: network.example, type: primary, www: true, redirection: non-www}
          - shop.example.org
        bulk: {count: 5000, template: "site{n}.bench.example"}
dns:
  - {name: network.example, type: A, value: 127.0.0.1}
  - {name: www.network.example, type: CNAME, value: network.example}
faults:
  - {kind: status, code: 503, times: 2, method: GET, path: /domains}
"#,
    )
    .unwrap();
    assert_eq!(seed.credentials.token, "t0k3n");
    assert_eq!(seed.credentials.key, "sandbox-key");
    assert_eq!(seed.rate_limit.per_minute, 60);
    assert_eq!(seed.faults[0].status_code(), 503);
    assert_eq!(seed.faults[0].times, 2);
    let world = World::from_seed(&seed);
    let domains = world.domains(1, 2);
    assert_eq!(domains.len(), 5002);
    assert_eq!(domains[1].name, "shop.example.org");
    assert!(!domains[1].www);
    assert_eq!(domains[1].created_at, "2024-01-01 00:00:00");
    assert_eq!(domains[5001].name, "site5000.bench.example");
    assert_eq!(world.ssl_mode(1, 2), (false, false));

    let defaults = Seed::from_yaml_str("servers: []").unwrap();
    assert_eq!(defaults.credentials.token, "sandbox-token");
    assert_eq!(defaults.credentials.secret, "sandbox-secret");
    assert_eq!(defaults.rate_limit.per_minute, 6000);
    assert_eq!(defaults.rate_limit.window_seconds, 60);
    assert!(defaults.rate_limit.retry_after);
    assert_eq!(defaults.pagination, PaginationStyle::Standard);
}

#[test]
fn seed_errors_name_the_line_and_the_file() {
    let err = Seed::from_yaml_str(
        "servers:\n  - id: 1\n    name: a\n    ip: 127.0.0.1\n    colour: red\n",
    )
    .unwrap_err();
    match &err {
        SeedError::Parse {
            file,
            line,
            message,
            ..
        } => {
            assert_eq!((file.as_str(), *line), ("<seed>", 5));
            assert!(message.contains("colour"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(err.to_string().starts_with("<seed>:5:"), "{err}");

    let err =
        Seed::from_yaml_str("servers:\n  - id: 1\n    name: a\n    ip: not-an-ip\n").unwrap_err();
    assert!(matches!(err, SeedError::Parse { line: 4, .. }), "{err}");

    let dir = std::env::temp_dir().join(format!("rcdomains-seed-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.yaml");
    std::fs::write(
        &path,
        "servers:\n  - {id: 1, name: a, ip: 127.0.0.1, apps: [{id: 1, name: b}]}\n",
    )
    .unwrap();
    let err = Seed::load(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: invalid sandbox seed: servers[0].apps[0]: id 1 is used twice",
            path.display()
        )
    );
    let err = Seed::load(&dir.join("missing.yaml")).unwrap_err();
    assert!(matches!(err, SeedError::Read { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();

    for (yaml, expected) in [
        (
            "servers: [{id: 1, name: a, ip: 127.0.0.1, apps: [{id: 2, name: b, domains: [a.example, A.example]}]}]",
            "servers[0].apps[0].domains[1]: A.example is listed twice",
        ),
        (
            "servers: [{id: 1, name: a, ip: 127.0.0.1, apps: [{id: 2, name: b, bulk: {count: 2, template: x.example}}]}]",
            "servers[0].apps[0].bulk: template must contain {n}",
        ),
        (
            "servers: []\ndns: [{name: a.example, type: A, value: '::1'}]",
            "dns[0]: \"::1\" is not a valid A value",
        ),
        (
            "servers: []\nfaults: [{kind: slow, code: 500}]",
            "faults[0]: `code` applies only to status, html, redirect and quota faults",
        ),
    ] {
        match Seed::from_yaml_str(yaml) {
            Err(SeedError::Invalid { message, .. }) => assert_eq!(message, expected),
            other => panic!("{yaml}: expected Invalid, got {other:?}"),
        }
    }
}
