//! `rcdomains generate` end to end: against an in-process fake of Ultimate Multisite's REST API
//! (with its quirks: string-typed values, two paging styles, a server that ignores paging, 401 as
//! a WordPress error object, an HTML error page, the /domain → /domains fallback, the key and
//! secret as Basic auth or query parameters; and misbehaviour: endless and oversized answers, an
//! error that echoes the credentials), WP-CLI input files, `--wp-config`, and the RunCloud
//! sandbox.

use crate::support::*;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::{Arc, Mutex};

const WU_KEY: &str = "wukey-5b1e-SECRET-api-key";
const WU_SECRET: &str = "wusec-c7d4-SECRET-api-secret";

/// How the fake plugin behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `page`/`per_page` (max 100) with `X-WP-Total`/`X-WP-TotalPages`; values as strings.
    Page,
    /// `page` honoured but `per_page` ignored (pages of 10), with the headers.
    PageOfTen,
    /// BerlinDB's `number`/`offset`, no headers; values as numbers and booleans.
    Offset,
    /// Ignores paging: always the first 100 rows.
    Ignores,
    /// Only the plural route exists (`/domain` answers WordPress's `rest_no_route` 404).
    OnlyPlural,
    /// Every request: 401 as a WordPress error object.
    Unauthorized,
    /// A maintenance page in HTML.
    Html,
    /// Every request: 301 to another host, with the query (and so any credentials in it).
    Redirect,
    /// 200 and a JSON list that never ends.
    Endless,
    /// 200 and a 17 MiB JSON list, with its Content-Length.
    Huge,
    /// 403 with a WordPress error object that echoes the credentials it was sent, in every
    /// spelling it saw them (decoded, as sent in the query string, the Authorization header),
    /// JSON-escaped as PHP's json_encode does (`\/`).
    Echo,
    /// The same after a PHP notice, as a site with `display_errors` on answers: not JSON, so
    /// the excerpt is of the raw text.
    EchoAfterNotice,
}

struct FakeState {
    style: Style,
    rows: Vec<Value>,
    hits: Mutex<Vec<String>>,
    /// Per request: whether it carried an Authorization header.
    authorization: Mutex<Vec<bool>>,
    /// The key and secret it accepts.
    key: String,
    secret: String,
}

/// The fake plugin on 127.0.0.1:0, served by its own runtime for as long as this value lives.
struct FakeUm {
    url: String,
    state: Arc<FakeState>,
    _rt: tokio::runtime::Runtime,
}

impl FakeUm {
    fn start(style: Style, rows: Vec<Value>) -> FakeUm {
        FakeUm::start_with(style, rows, WU_KEY, WU_SECRET)
    }

    /// A fake that accepts `key` and `secret` (Basic auth, or the query parameters).
    fn start_with(style: Style, rows: Vec<Value>, key: &str, secret: &str) -> FakeUm {
        let state = Arc::new(FakeState {
            style,
            rows,
            hits: Mutex::new(Vec::new()),
            authorization: Mutex::new(Vec::new()),
            key: key.to_string(),
            secret: secret.to_string(),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, app).await });
        FakeUm {
            url: format!("http://{addr}"),
            state,
            _rt: rt,
        }
    }

    /// Each request's path and query, in order.
    fn hits(&self) -> Vec<String> {
        self.state.hits.lock().unwrap().clone()
    }

    /// Per request: whether it carried an Authorization header.
    fn authorization(&self) -> Vec<bool> {
        self.state.authorization.lock().unwrap().clone()
    }
}

/// A query-string value decoded as PHP decodes `$_GET` (`+` is a space, `%XX` a byte).
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message, "data": {"status": status.as_u16()}})),
    )
        .into_response()
}

async fn handle(State(st): State<Arc<FakeState>>, uri: Uri, headers: HeaderMap) -> Response {
    st.hits.lock().unwrap().push(uri.to_string());
    st.authorization
        .lock()
        .unwrap()
        .push(headers.contains_key(header::AUTHORIZATION));
    let raw_query: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let q: Vec<(String, String)> = raw_query
        .iter()
        .map(|(k, v)| (url_decode(k), url_decode(v)))
        .collect();
    let param = |name: &str| -> Option<usize> {
        q.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
    };
    if st.style == Style::Redirect {
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("https://elsewhere.invalid{uri}"))],
            "",
        )
            .into_response();
    }
    if st.style == Style::Html {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
            "<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>Briefly unavailable for scheduled maintenance. Check back in a minute.</body></html>",
        )
            .into_response();
    }
    let path = uri.path();
    let known = match st.style {
        Style::OnlyPlural => path == "/wp-json/wu/v2/domains",
        _ => path == "/wp-json/wu/v2/domain",
    };
    if !known {
        return wp_error(
            StatusCode::NOT_FOUND,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        );
    }
    let expected = format!("Basic {}", base64(&format!("{}:{}", st.key, st.secret)));
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let text = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    // The plugin takes either: Basic auth, or the api_key and api_secret parameters.
    let authorised = sent == expected
        || (text("api_key") == Some(st.key.as_str())
            && text("api_secret") == Some(st.secret.as_str()));
    if matches!(st.style, Style::Echo | Style::EchoAfterNotice) {
        let raw = |name: &str| {
            raw_query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let echo = format!(
            "k={} s={} q={}&{} h={sent}",
            text("api_key").unwrap_or(&st.key),
            text("api_secret").unwrap_or(&st.secret),
            raw("api_key"),
            raw("api_secret"),
        );
        let message = serde_json::to_string(&echo).unwrap().replace('/', "\\/");
        let notice = if st.style == Style::EchoAfterNotice {
            "<b>Notice</b>: x<br />"
        } else {
            ""
        };
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                r#"{notice}{{"code":"rest_forbidden","message":{message},"data":{{"status":403}}}}"#
            ),
        )
            .into_response();
    }
    if st.style == Style::Unauthorized || !authorised {
        let body = std::fs::read_to_string(repo_path(
            "tests/fixtures/ultimate-multisite/error-401.json",
        ))
        .unwrap();
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    if st.style == Style::Endless {
        use futures_util::StreamExt;
        let row = row_strings(1, "endless.example.org", true).to_string();
        let chunk = axum::body::Bytes::from(format!("{row},").repeat(100));
        let body = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"["))
        })
        .chain(futures_util::stream::repeat_with(move || Ok(chunk.clone())));
        return (
            [(header::CONTENT_TYPE, "application/json")],
            axum::body::Body::from_stream(body),
        )
            .into_response();
    }
    if st.style == Style::Huge {
        let row = row_strings(1, "huge.example.org", true).to_string();
        let mut body = String::from("[");
        while body.len() < 17 << 20 {
            body.push_str(&row);
            body.push(',');
        }
        body.push_str(&row);
        body.push(']');
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let total = st.rows.len();
    let (start, len) = match st.style {
        Style::Page | Style::OnlyPlural => {
            let per = param("per_page").unwrap_or(10).min(100);
            ((param("page").unwrap_or(1) - 1) * per, per)
        }
        Style::PageOfTen => ((param("page").unwrap_or(1) - 1) * 10, 10),
        Style::Offset => (param("offset").unwrap_or(0), param("number").unwrap_or(100)),
        _ => (0, 100),
    };
    let page: Vec<Value> = st.rows.iter().skip(start).take(len).cloned().collect();
    let mut response = axum::Json(Value::Array(page)).into_response();
    if matches!(st.style, Style::Page | Style::PageOfTen | Style::OnlyPlural) {
        let h = response.headers_mut();
        h.insert("X-WP-Total", total.into());
        h.insert("X-WP-TotalPages", total.div_ceil(len).into());
    }
    response
}

/// A mapping row as the plugin sends it: every value a string.
fn row_strings(id: u64, domain: &str, active: bool) -> Value {
    json!({"id": id.to_string(), "model": "domain", "blog_id": (id + 1).to_string(), "domain": domain,
           "active": if active { "1" } else { "0" }, "primary_domain": "0", "secure": "1", "stage": "done",
           "date_created": "2025-01-02 03:04:05", "date_modified": "2025-01-02 03:04:05"})
}

/// The same, with numbers and booleans (as other versions and exports send them).
fn row_typed(id: u64, domain: &str, active: bool) -> Value {
    json!({"id": id, "blog_id": id + 1, "domain": domain, "active": active, "primary_domain": false,
           "secure": true, "stage": "done"})
}

fn many(n: u64, typed: bool) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            let d = format!("site{i:03}.example.org");
            if typed {
                row_typed(i, &d, true)
            } else {
                row_strings(i, &d, true)
            }
        })
        .collect()
}

/// Runs `rcdomains generate` with the plugin's credentials and no RunCloud ones.
fn gen_run(args: &[&str], stdin: Option<&str>) -> Run {
    gen_run_as(WU_KEY, WU_SECRET, args, stdin)
}

/// `gen_run` with another key and secret.
fn gen_run_as(key: &str, secret: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcdomains"));
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("WU_API_KEY", key).env("WU_API_SECRET", secret);
    cmd.arg("generate").args(args);
    let out = match stdin {
        None => cmd.stdin(std::process::Stdio::null()).output().unwrap(),
        Some(text) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The names of a generated file, after validating it.
fn names_of(text: &str) -> Vec<String> {
    let d = rcdomains::desired::load_str(text, "generated").expect("the generated file validates");
    d.domains.iter().map(|d| d.name.to_string()).collect()
}

fn domain_list_fixture() -> String {
    repo_path("tests/fixtures/ultimate-multisite/domain-list.json")
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn generate_reads_250_mappings_in_each_paging_style() {
    for (style, requests) in [(Style::Page, 3), (Style::Offset, 3), (Style::PageOfTen, 25)] {
        let fake = FakeUm::start(style, many(250, style == Style::Offset));
        let run = gen_run(&["--from", "um-rest", "--url", &fake.url], None);
        assert_eq!(run.code, 0, "{style:?}: {}", run.all());
        let names = names_of(&run.stdout);
        assert_eq!(names.len(), 250, "{style:?}");
        assert_eq!(names[0], "site001.example.org");
        assert_eq!(names[249], "site250.example.org");
        let hits = fake.hits();
        assert_eq!(hits.len(), requests, "{style:?}: {hits:?}");
        assert_eq!(
            hits[1],
            "/wp-json/wu/v2/domain?per_page=100&page=2&number=100&offset=100"
        );
        assert!(
            run.stderr.contains("250 names (250 added, 0 removed)"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn generate_from_a_server_that_ignores_paging_stops_without_duplicates() {
    let fake = FakeUm::start(Style::Ignores, many(250, false));
    let run = gen_run(&["--from", "um-rest", "--url", &fake.url], None);
    assert_eq!(run.code, 0, "{}", run.all());
    let names = names_of(&run.stdout);
    assert_eq!(names.len(), 100);
    assert_eq!(names[99], "site100.example.org");
    assert_eq!(fake.hits().len(), 2, "{:?}", fake.hits());
    assert!(
        run.stderr
            .contains("ignores both paging conventions, so only the first 100 rows could be read"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("; 1 warning"), "{}", run.stderr);
}

#[test]
fn generate_falls_back_from_domain_to_domains() {
    let fake = FakeUm::start(Style::OnlyPlural, many(3, false));
    let run = gen_run(
        &["--from", "um-rest", "--url", &format!("{}/", fake.url)],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        names_of(&run.stdout),
        vec![
            "site001.example.org",
            "site002.example.org",
            "site003.example.org"
        ]
    );
    let hits = fake.hits();
    assert!(hits[0].starts_with("/wp-json/wu/v2/domain?"), "{hits:?}");
    assert!(hits[1].starts_with("/wp-json/wu/v2/domains?"), "{hits:?}");
    assert!(
        run.stdout.contains(&format!("from {}/.", fake.url)),
        "{}",
        run.stdout
    );
}

#[test]
fn generate_explains_a_401_an_html_page_and_a_missing_route() {
    let fake = FakeUm::start(Style::Unauthorized, many(3, false));
    let run = gen_run(&["--from", "um-rest", "--url", &fake.url], None);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("GET /wp-json/wu/v2/domain: 401 from Ultimate Multisite (wu_rest_unauthorized: Sorry, you are not allowed to do that.) — check WU_API_KEY and WU_API_SECRET, and that the web server passes the Authorization header through"),
        "{}",
        run.stderr
    );

    let fake = FakeUm::start(Style::Html, many(3, false));
    let run = gen_run(&["--from", "um-rest", "--url", &fake.url], None);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(
            "GET /wp-json/wu/v2/domain: the network answered 503 with an HTML page, not JSON: \"<!DOCTYPE html> <html><head><title>Maintenance"
        ),
        "{}",
        run.stderr
    );

    // A WordPress without the plugin: both routes are 404 (rest_no_route).
    let fake = FakeUm::start(Style::OnlyPlural, many(3, false));
    let run = gen_run(
        &["--from", "um-rest", "--url", &format!("{}/sub", fake.url)],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("GET /sub/wp-json/wu/v2/domain: 404 from the network, also at /sub/wp-json/wu/v2/domains — the WordPress REST API is disabled, or the Ultimate Multisite plugin is not network-active"),
        "{}",
        run.stderr
    );

    let run = Command::new(env!("CARGO_BIN_EXE_rcdomains"))
        .args(["generate", "--from", "um-rest", "--url", &fake.url])
        .env_remove("WU_API_KEY")
        .env_remove("WU_API_SECRET")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("set WU_API_KEY and WU_API_SECRET"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn generate_applies_the_selection_rules_and_their_overrides() {
    let rows = json!([
        {"id": "1", "blog_id": "1", "domain": "network.example", "active": "1", "primary_domain": "1", "stage": "done"},
        {"id": "2", "blog_id": "2", "domain": "Shop.Example.ORG", "active": "1", "primary_domain": "1", "stage": "done"},
        {"id": "3", "blog_id": "2", "domain": "shop.example.org", "active": "1", "primary_domain": "0", "stage": "done"},
        {"id": "4", "blog_id": "3", "domain": "site3.network.example", "active": "1", "primary_domain": "1", "stage": "done"},
        {"id": "5", "blog_id": "4", "domain": "off.example.com", "active": "0", "primary_domain": "0", "stage": "failed"},
        {"id": "6", "blog_id": "5", "domain": "bad_name.example", "active": "1", "primary_domain": "0", "stage": "checking-dns"},
        {"id": "7", "blog_id": "6", "domain": "dns-pending.example.net", "active": 1, "primary_domain": 0, "stage": "checking-dns"}
    ])
    .to_string();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("domains.json");
    std::fs::write(&input, &rows).unwrap();
    let input = input.to_str().unwrap();

    let run = gen_run(&["--from", "wp-cli", "--input", input], None);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        names_of(&run.stdout),
        vec![
            "dns-pending.example.net",
            "network.example",
            "shop.example.org",
            "site3.network.example"
        ]
    );
    assert!(
        run.stderr
            .contains("skipped `bad_name.example` (mapping 6): not a valid domain name"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "4 names (4 added, 0 removed), 0 tombstones; 7 rows read, left out: 1 inactive, 1 invalid, 1 duplicate; 1 warning"
        ),
        "{}",
        run.stderr
    );

    // --network-domain alone cannot see the app (no RunCloud credentials): it keeps the names
    // and says so; with --exclude-subdomains they are left out. --include-inactive keeps off rows.
    let run = gen_run(
        &[
            "--from",
            "wp-cli",
            "--input",
            input,
            "--network-domain",
            "network.example",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(names_of(&run.stdout).contains(&"site3.network.example".to_string()));
    assert!(
        run.stderr.contains("names below network.example are kept: no RunCloud credentials to look at the app; pass --exclude-subdomains"),
        "{}",
        run.stderr
    );
    let run = gen_run(
        &[
            "--from",
            "wp-cli",
            "--input",
            input,
            "--network-domain",
            "network.example",
            "--exclude-subdomains",
            "--include-inactive",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        names_of(&run.stdout),
        vec![
            "dns-pending.example.net",
            "network.example",
            "off.example.com",
            "shop.example.org"
        ]
    );
}

#[test]
fn generate_from_wp_cli_on_stdin_with_a_site_list() {
    let sites = json!([
        {"blog_id": "2", "domain": "shop.example.org", "archived": "0", "spam": "0", "deleted": "0"},
        {"blog_id": "3", "domain": "blog.example.net", "archived": "1", "spam": "0", "deleted": "0"},
        {"blog_id": "4", "domain": "site4.network.example", "archived": "0", "spam": "1", "deleted": "0"}
    ]);
    let dir = tempfile::tempdir().unwrap();
    let sites_path = dir.path().join("sites.json");
    std::fs::write(&sites_path, sites.to_string()).unwrap();
    let fixture = std::fs::read_to_string(domain_list_fixture()).unwrap();

    let run = gen_run(&["--from", "wp-cli", "--input", "-"], Some(&fixture));
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        names_of(&run.stdout),
        vec![
            "blog.example.net",
            "shop.example.org",
            "site4.network.example"
        ]
    );
    assert!(
        run.stdout.contains("--from wp-cli` from stdin."),
        "{}",
        run.stdout
    );

    let run = gen_run(
        &[
            "--from",
            "wp-cli",
            "--input",
            "-",
            "--sites",
            sites_path.to_str().unwrap(),
        ],
        Some(&fixture),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(names_of(&run.stdout), vec!["shop.example.org"]);
    assert!(
        run.stderr
            .contains("left out: 1 inactive, 2 of archived, spam or deleted sites"),
        "{}",
        run.stderr
    );
}

const HAND_WRITTEN: &str = "\
# yaml-language-server: $schema=../schema/desired.schema.json
# Our network. Ask ops before touching removals.
version: 1
target:
  server: 11667            # web-1
  app: 940288
defaults:
  www: true                # www twins everywhere
  redirection: non-www
ssl:
  mode: basic
dns:
  require: true
  also_accept: [198.51.100.0/24]   # the CDN
removals:
  prune: true
  protect: [\"network.example\"]
  max: 5                   # reviewed 2025-06
domains:
  - old.example.com
  - name: shop.example.org   # the big customer
    www: false
    redirection: none
  - name: gone.example.net
    state: absent
";

#[test]
fn generate_merges_into_an_existing_file_and_check_reports_changes() {
    let f = DesiredFile::new(HAND_WRITTEN);
    let input = domain_list_fixture();
    let args = ["--from", "wp-cli", "--input", &input, "-o", f.arg()];

    let check = gen_run(&[&args[..], &["--check"]].concat(), None);
    assert_eq!(check.code, 2, "{}", check.all());
    assert_eq!(std::fs::read_to_string(&f.path).unwrap(), HAND_WRITTEN);
    assert!(
        check
            .stderr
            .contains("would change (--check: nothing written)"),
        "{}",
        check.stderr
    );

    let run = gen_run(&args, None);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let written = std::fs::read_to_string(&f.path).unwrap();
    let expected = format!(
        "\
# yaml-language-server: $schema=../schema/desired.schema.json
# Generated by `rcdomains generate --from wp-cli` from {input}.
# Regenerate rather than edit `domains:` by hand; the other sections and per-domain settings are kept.
# Our network. Ask ops before touching removals.
version: 1
target:
  server: 11667            # web-1
  app: 940288
defaults:
  www: true                # www twins everywhere
  redirection: non-www
ssl:
  mode: basic
dns:
  require: true
  also_accept: [198.51.100.0/24]   # the CDN
removals:
  prune: true
  protect: [\"network.example\"]
  max: 5                   # reviewed 2025-06
domains:
  - blog.example.net
  - name: gone.example.net
    state: absent
  - name: shop.example.org
    www: false
    redirection: none
  - site4.network.example
"
    );
    assert_eq!(written, expected);
    assert!(
        run.stderr
            .contains("3 names (2 added, 1 removed), 1 tombstone"),
        "{}",
        run.stderr
    );

    // Regenerating from the same data: byte-identical, and --check says so.
    let again = gen_run(&args, None);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(std::fs::read_to_string(&f.path).unwrap(), expected);
    let check = gen_run(&[&args[..], &["--check"]].concat(), None);
    assert_eq!(check.code, 0, "{}", check.all());
    assert!(check.stderr.contains("is up to date"), "{}", check.stderr);

    // The file still validates through the binary.
    let v = rcd(None, Auth::None, &["validate", "-f", f.arg()]);
    assert_eq!(v.code, 0, "{}", v.all());
}

#[test]
fn generate_from_runcloud_adopts_the_live_app_and_plans_nothing() {
    let sb = Sandbox::start(&seed(
        &[
            "{name: network.example, type: primary, www: true, redirection: non-www, wildcard: true}",
            "{name: shop.example.org, www: false, redirection: none}",
            "{name: docs.example.org, www: true, redirection: non-www}",
            "{name: staging.network.example, www: false, redirection: none}",
        ],
        "",
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("domains.yaml");
    let out = path.to_str().unwrap();
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &[
            "generate", "--from", "runcloud", "--server", "1", "--app", "2", "-o", out,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with(
            "version: 1\ntarget:\n  server: 1\n  app: 2\ndomains:\n  - docs.example.org\n  - network.example\n  - name: shop.example.org\n    www: false\n    redirection: none\n  - name: staging.network.example\n    www: false\n    redirection: none\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("--from runcloud` from RunCloud server 1 app 2."),
        "{text}"
    );
    assert!(
        run.stderr
            .contains("`network.example` is a wildcard domain"),
        "{}",
        run.stderr
    );

    let plan = rcd(Some(&sb), Auth::V3, &["plan", "-f", out, "--skip-dns"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("0 to add, 0 to update, 0 to remove, 0 SSL, 0 deferred")
            && plan.stdout.contains("No changes"),
        "{}",
        plan.stdout
    );
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());

    // The ids now come from the file; the app's wildcard leaves out names below the network.
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &[
            "generate",
            "--from",
            "runcloud",
            "-o",
            out,
            "--network-domain",
            "network.example",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("staging.network.example"), "{text}");
    assert!(
        run.stderr.contains("(0 added, 1 removed)"),
        "{}",
        run.stderr
    );

    // With the plugin's rows: the app's wildcard (seen through the RunCloud credentials) leaves
    // out site4.network.example.
    let input = domain_list_fixture();
    let run = rcd(
        Some(&sb),
        Auth::V3,
        &[
            "generate",
            "--from",
            "wp-cli",
            "--input",
            &input,
            "--network-domain",
            "network.example",
            "--server",
            "1",
            "--app",
            "2",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        names_of(&run.stdout),
        vec!["blog.example.net", "shop.example.org"]
    );
}

#[test]
fn generate_never_shows_the_plugin_credentials() {
    let basic = base64(&format!("{WU_KEY}:{WU_SECRET}"));
    let ok = FakeUm::start(Style::Page, many(120, false));
    let refused = FakeUm::start(Style::Unauthorized, many(3, false));
    let html = FakeUm::start(Style::Html, many(3, false));
    let mut saw_requests = false;
    for (fake, code) in [(&ok, 0), (&refused, 1), (&html, 1)] {
        for extra in [&[][..], &["--log-format", "json"][..]] {
            let args = [
                &["--from", "um-rest", "--url", &fake.url, "-vvv"][..],
                extra,
            ]
            .concat();
            let run = gen_run(&args, None);
            assert_eq!(run.code, code, "{}", run.all());
            for s in [WU_KEY, WU_SECRET, basic.as_str()] {
                assert!(!run.all().contains(s), "credential leaked:\n{}", run.all());
            }
            saw_requests |= run.stderr.contains("/wp-json/wu/v2/domain");
        }
    }
    assert!(
        saw_requests,
        "the -vvv logs show the requests (else this test proves nothing)"
    );
}

/// The REST reader tells a host that does not resolve from one that refuses, as the RunCloud
/// client does: a typo in --url reads as that, not as "cannot reach".
#[test]
fn generate_from_a_network_whose_host_does_not_resolve_says_so() {
    // A label longer than 63 octets cannot be put in a DNS query: the system resolver fails the
    // name without asking any server (and `.invalid` never resolves anyway).
    let host = format!("rcdomains-test-{}.invalid", "k".repeat(64));
    let run = gen_run(
        &["--from", "um-rest", "--url", &format!("http://{host}")],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "GET /wp-json/wu/v2/domain: cannot resolve the network's host {host} — check --url, and this machine's DNS"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("cannot reach"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing generated");
}

#[test]
fn generate_from_a_network_that_never_answers_times_out_with_the_path() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4).flatten() {
            held.push(stream);
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let run = gen_run(
        &["--from", "um-rest", "--url", &url, "--timeout", "1"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("/wp-json/wu/v2/domain"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.to_lowercase().contains("time"),
        "says it timed out: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing generated from no answer");
    drop(holder);
}

#[test]
fn generate_with_auth_query_sends_parameters_and_no_authorization_header() {
    let fake = FakeUm::start(Style::Page, many(150, false));
    let run = gen_run(
        &["--from", "um-rest", "--url", &fake.url, "--auth", "query"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(names_of(&run.stdout).len(), 150);
    assert_eq!(fake.authorization(), vec![false, false]);
    for hit in fake.hits() {
        assert!(
            hit.contains(&format!("&api_key={WU_KEY}&api_secret={WU_SECRET}")),
            "{hit}"
        );
    }
    // At the default verbosity, a warning says where the secret goes.
    assert!(
        run.stderr.contains(
            "--auth query: the API key and secret travel in the URL's query string, which the network's web server and any proxy on the way may write to their access logs"
        ),
        "{}",
        run.stderr
    );

    // Basic (the default) sends the header, no parameters and no warning.
    let fake = FakeUm::start(Style::Page, many(3, false));
    let run = gen_run(&["--from", "um-rest", "--url", &fake.url], None);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(fake.authorization(), vec![true]);
    assert!(!fake.hits()[0].contains("api_"), "{:?}", fake.hits());
    assert!(!run.stderr.contains("--auth query"), "{}", run.stderr);

    // A 401 with query auth does not send the operator to the Authorization header.
    let refused = FakeUm::start(Style::Unauthorized, many(3, false));
    let run = gen_run(
        &[
            "--from",
            "um-rest",
            "--url",
            &refused.url,
            "--auth",
            "query",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("— check WU_API_KEY and WU_API_SECRET (sent as the api_key and api_secret query parameters)"),
        "{}",
        run.stderr
    );

    // Credentials in --url are refused, not sent along or written to the file's header.
    let run = gen_run(
        &[
            "--from",
            "um-rest",
            "--url",
            &format!("{}/?api_key={WU_KEY}", fake.url),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("it carries the API key or secret"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains(WU_KEY), "{}", run.all());
}

#[test]
fn generate_never_shows_the_plugin_credentials_sent_as_query_parameters() {
    let basic = base64(&format!("{WU_KEY}:{WU_SECRET}"));
    let ok = FakeUm::start(Style::Page, many(120, false));
    let refused = FakeUm::start(Style::Unauthorized, many(3, false));
    let html = FakeUm::start(Style::Html, many(3, false));
    // Nothing listens here: a connection error, whose text reqwest would give the URL.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut saw_requests = false;
    for (url, code) in [
        (&ok.url, 0),
        (&refused.url, 1),
        (&html.url, 1),
        (&closed_url, 1),
    ] {
        for verbosity in ["-vv", "-vvv"] {
            let run = gen_run(
                &[
                    "--from", "um-rest", "--url", url, "--auth", "query", verbosity,
                ],
                None,
            );
            assert_eq!(run.code, code, "{}", run.all());
            for s in [WU_KEY, WU_SECRET, basic.as_str(), "api_secret="] {
                assert!(!run.all().contains(s), "credential leaked:\n{}", run.all());
            }
            saw_requests |= run.stderr.contains("/wp-json/wu/v2/domain");
        }
    }
    assert!(
        saw_requests,
        "the logs show the requests (else this test proves nothing)"
    );
}

#[test]
fn generate_scrubs_echoed_credentials_in_every_spelling() {
    // Characters that URL-encoding, base64 and JSON each spell differently.
    const KEY: &str = "wukey+7f3a/SECRET key";
    const SECRET: &str = "wusec&9b2e=SECRET/secret";
    let spellings = [
        KEY.to_string(),
        SECRET.to_string(),
        base64(&format!("{KEY}:{SECRET}")),
        "wukey%2B7f3a%2FSECRET+key".to_string(),
        "wusec%269b2e%3DSECRET%2Fsecret".to_string(),
        "wukey+7f3a\\/SECRET key".to_string(),
        "wusec&9b2e=SECRET\\/secret".to_string(),
        // What is unique to each, so that no part of one survives either.
        "7f3a".to_string(),
        "9b2e".to_string(),
    ];
    for style in [Style::Echo, Style::EchoAfterNotice] {
        let fake = FakeUm::start_with(style, many(3, false), KEY, SECRET);
        for auth in ["basic", "query"] {
            let run = gen_run_as(
                KEY,
                SECRET,
                &[
                    "--from", "um-rest", "--url", &fake.url, "--auth", auth, "-vv",
                ],
                None,
            );
            assert_eq!(run.code, 1, "{}", run.all());
            assert!(
                run.stderr.contains("403") && run.stderr.contains("[redacted]"),
                "{style:?} {auth}: {}",
                run.stderr
            );
            for s in &spellings {
                assert!(
                    !run.all().contains(s.as_str()),
                    "{style:?} {auth}: {s:?} leaked:\n{}",
                    run.all()
                );
            }
        }
    }
}

#[test]
fn generate_refuses_an_endless_or_oversized_answer() {
    for style in [Style::Endless, Style::Huge] {
        let fake = FakeUm::start(style, Vec::new());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("domains.yaml");
        let run = gen_run(
            &[
                "--from",
                "um-rest",
                "--url",
                &fake.url,
                "--timeout",
                "60",
                "-o",
                out.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(run.code, 1, "{style:?}: {}", run.all());
        assert!(
            run.stderr.contains(
                "GET /wp-json/wu/v2/domain: the answer is larger than 16 MiB, far more than any page of domain mappings"
            ),
            "{style:?}: {}",
            run.stderr
        );
        assert!(!out.exists(), "{style:?}: nothing is written");
        assert!(run.stdout.is_empty());
    }
}

/// `n` rows as the complete export prints them (`COMPLETE_EXPORT_COMMAND`: `$wpdb` rows, every
/// value a string, in PHP's `wp_json_encode`).
fn complete_export(rows: Vec<Value>, count: usize, error: &str) -> String {
    json!({"export": "wu_domain_mappings", "count": count, "error": error, "rows": rows})
        .to_string()
}

#[test]
fn generate_refuses_exactly_100_rows_from_wp_wu_domain_list() {
    use rcdomains::generate::source::COMPLETE_EXPORT_COMMAND;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mappings.json");
    let input_arg = input.to_str().unwrap();
    let out = dir.path().join("domains.yaml");
    let out_arg = out.to_str().unwrap();

    std::fs::write(&input, Value::Array(many(100, false)).to_string()).unwrap();
    let run = gen_run(
        &["--from", "wp-cli", "--input", input_arg, "-o", out_arg],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!out.exists(), "nothing is written");
    assert!(
        run.stderr.contains(&format!(
            "{input_arg}: exactly 100 rows, the most `wp wu domain list` returns (BerlinDB's default `number`; the command has no option to raise it)"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "The export, run on the server:\n      {COMPLETE_EXPORT_COMMAND}"
        )),
        "{}",
        run.stderr
    );
    // The same from stdin.
    let run = gen_run(
        &["--from", "wp-cli", "--input", "-"],
        Some(&Value::Array(many(100, true)).to_string()),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("stdin: exactly 100 rows"),
        "{}",
        run.stderr
    );

    // Fewer than the cap is a whole list; more cannot come from that command.
    for n in [99, 101] {
        std::fs::write(&input, Value::Array(many(n, false)).to_string()).unwrap();
        let run = gen_run(&["--from", "wp-cli", "--input", input_arg], None);
        assert_eq!(run.code, 0, "{n}: {}", run.all());
        assert_eq!(names_of(&run.stdout).len(), n as usize);
    }

    // The complete export of the same 100 rows is read whole.
    std::fs::write(&input, complete_export(many(100, false), 100, "")).unwrap();
    let run = gen_run(
        &["--from", "wp-cli", "--input", input_arg, "-o", out_arg],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(names_of(&written).len(), 100);
    std::fs::remove_file(&out).unwrap();

    // An export cut short on the way, or whose query failed, is refused.
    for (text, says) in [
        (
            complete_export(many(100, false), 250, ""),
            "says 250 rows but holds 100: it was cut short",
        ),
        (
            complete_export(
                Vec::new(),
                0,
                "Table 'wp.wp_wu_domain_mappings' doesn't exist",
            ),
            "reports that its query failed (\"Table 'wp.wp_wu_domain_mappings' doesn't exist\")",
        ),
    ] {
        std::fs::write(&input, text).unwrap();
        let run = gen_run(
            &["--from", "wp-cli", "--input", input_arg, "-o", out_arg],
            None,
        );
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert!(!out.exists());
    }
}

#[test]
fn generate_reads_the_complete_export_the_readme_documents() {
    use rcdomains::generate::source::COMPLETE_EXPORT_COMMAND;
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    assert!(
        readme.contains(COMPLETE_EXPORT_COMMAND),
        "the README shows the export command rcdomains reads:\n{COMPLETE_EXPORT_COMMAND}"
    );
    let fixture = repo_path("tests/fixtures/ultimate-multisite/mappings-export.json");
    let run = gen_run(
        &["--from", "wp-cli", "--input", fixture.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        names_of(&run.stdout),
        vec![
            "blog.example.net",
            "shop.example.org",
            "site4.network.example"
        ]
    );
}

#[test]
fn generate_reads_wp_config_as_php_and_explains_the_setup_wizard() {
    let sb = Sandbox::start(&seed(&["{name: shop.example.org}"], ""));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wp-config.php");
    let config_arg = config.to_str().unwrap();
    let args = [
        "generate",
        "--from",
        "runcloud",
        "--server",
        "1",
        "--app",
        "2",
        "--wp-config",
        config_arg,
    ];
    // A commented-out old token above the live one: the live one is sent.
    std::fs::write(
        &config,
        format!(
            "<?php\n// define( 'WU_RUNCLOUD_API_TOKEN', 'old-revoked-token' );\ndefine( 'WU_RUNCLOUD_API_TOKEN', '{TOKEN}' );\n"
        ),
    )
    .unwrap();
    let run = rcd(Some(&sb), Auth::None, &args);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(names_of(&run.stdout).contains(&"shop.example.org".to_string()));

    // The wizard's way: no constants in the file. Nothing is sent, and the error says why.
    std::fs::write(
        &config,
        "<?php\ndefine( 'DB_NAME', 'wp' );\n// define( 'WU_RUNCLOUD_API_TOKEN', '' );\n",
    )
    .unwrap();
    let run = rcd(Some(&sb), Auth::None, &args);
    assert_eq!(run.code, 1, "{}", run.all());
    for needle in [
        "setup wizard",
        "encrypted in the database",
        "RUNCLOUD_API_TOKEN",
        "RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }

    // A computed token is refused, never sent as a literal.
    std::fs::write(
        &config,
        "<?php\ndefine( 'WU_RUNCLOUD_API_TOKEN', getenv( 'RC_TOKEN' ) );\n",
    )
    .unwrap();
    let run = rcd(Some(&sb), Auth::None, &args);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "WU_RUNCLOUD_API_TOKEN in {config_arg} (line 2) is an expression (getenv(...)), not a literal; export RUNCLOUD_API_TOKEN instead"
        )),
        "{}",
        run.stderr
    );
    assert!(sb.writes().is_empty());
}

#[test]
fn generate_refuses_inputs_that_are_not_regular_files() {
    let fixture = domain_list_fixture();
    for args in [
        &["--from", "wp-cli", "--input", "/dev/zero"][..],
        &[
            "--from",
            "wp-cli",
            "--input",
            &fixture,
            "--sites",
            "/dev/zero",
        ][..],
        &["--from", "wp-cli", "--input", &fixture, "-o", "/dev/zero"][..],
    ] {
        let run = gen_run(args, None);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert!(
            run.stderr
                .contains("/dev/zero is not a regular file (it is a character device)"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn generate_reports_a_redirect_and_never_follows_it() {
    let fake = FakeUm::start(Style::Redirect, many(3, false));
    for auth in ["basic", "query"] {
        let run = gen_run(
            &["--from", "um-rest", "--url", &fake.url, "--auth", auth],
            None,
        );
        assert_eq!(run.code, 1, "{auth}: {}", run.all());
        assert!(
            run.stderr.contains("redirecting to") && run.stderr.contains("elsewhere.invalid"),
            "{auth}: {}",
            run.stderr
        );
        assert!(
            !run.all().contains(WU_SECRET) && !run.all().contains(WU_KEY),
            "{auth}: no credential in the Location shown: {}",
            run.all()
        );
    }
    assert_eq!(
        fake.hits().len(),
        2,
        "one request per run: {:?}",
        fake.hits()
    );
}
