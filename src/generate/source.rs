//! Reading the plugin's domain mappings: its REST API (`wu/v2`) and WP-CLI JSON exports.
//!
//! Owns HTTP to the network (the plugin's key and secret as Basic auth or, when asked, as query
//! parameters; the `/domain` → `/domains` fallback; paging in both conventions the plugin has
//! used; what reading an answer shares with the RunCloud client — the size cap, excerpts,
//! scrubbing, what a transport error was — is `crate::http`'s) and the lenient parsing of rows and sites
//! (numbers and booleans as numbers or strings), including refusing a WP-CLI list that
//! `wp wu domain list`'s cap may have cut short. It decides nothing about which rows count
//! (`select` does), prints nothing, and never lets the key or the secret (in any encoding), nor
//! a URL that carries them, into a message or a log line.

use super::{GenerateError, Row, Site};
use crate::http::{self, Cause, Kind, MAX_BODY, ReadError, TransportError};
use crate::secret::{Scrubber, Secret};
use reqwest::Url;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use tracing::{debug, info};

/// Rows asked for per request (the plugin's maximum `per_page`).
pub const PER_PAGE: u64 = 100;
/// The characters of text from the network kept in an error.
const EXCERPT_CHARS: usize = 200;
/// The most rows `wp wu domain list` returns: BerlinDB's default `number`, which the command
/// offers no option to raise. A list of exactly this many is probably cut short.
pub const WP_CLI_CAP: usize = 100;
/// The `export` tag of a complete export (`COMPLETE_EXPORT_COMMAND`'s output).
pub const COMPLETE_EXPORT_TAG: &str = "wu_domain_mappings";
/// A complete export of the mappings table, run on the server; `--from wp-cli` reads its output
/// (an object tagged `"export": "wu_domain_mappings"` with the row `count`, the query's `error`
/// and the `rows`). The README shows the same command; a test keeps the two equal.
pub const COMPLETE_EXPORT_COMMAND: &str = r#"wp eval --skip-plugins --skip-themes 'global $wpdb; $rows = $wpdb->get_results("SELECT id, blog_id, domain, active, primary_domain, stage FROM {$wpdb->base_prefix}wu_domain_mappings ORDER BY id", ARRAY_A); echo wp_json_encode(array("export" => "wu_domain_mappings", "count" => count($rows), "error" => $wpdb->last_error, "rows" => $rows));' > mappings.json"#;
/// Pages read at most (250,000 mappings), so a broken server cannot keep us reading forever.
pub const MAX_PAGES: u64 = 2_500;

/// The routes, in the order tried: the plugin's code registers the singular, its docs say plural.
pub const ROUTES: [&str; 2] = ["wp-json/wu/v2/domain", "wp-json/wu/v2/domains"];

/// How the plugin's key and secret are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic, in the `Authorization` header.
    Basic,
    /// The `api_key` and `api_secret` query parameters, which the plugin also accepts: the way
    /// through a web server that strips `Authorization`. The secret then travels in the URL,
    /// where web servers and proxies log it.
    Query,
}

/// Which paging convention the server turned out to honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Everything fitted in one page; no convention was needed.
    SinglePage,
    /// `page`/`per_page` (versions from March 2026): `X-WP-TotalPages` was sent.
    PageParam,
    /// BerlinDB's `number`/`offset` (released versions): full pages, then a short one.
    NumberOffset,
    /// The server ignored both and sent the same rows again; only those rows could be read.
    Ignored,
}

impl Paging {
    pub fn describe(self) -> &'static str {
        match self {
            Paging::SinglePage => "one page",
            Paging::PageParam => "page/per_page",
            Paging::NumberOffset => "number/offset",
            Paging::Ignored => "none (the server ignored paging)",
        }
    }
}

/// Rows read from a source, with what was noticed on the way.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub rows: Vec<Row>,
    pub warnings: Vec<String>,
}

/// The plugin's REST API at one network.
pub struct UmRest {
    http: reqwest::Client,
    base: Url,
    key: Secret,
    secret: Secret,
    auth: Auth,
    timeout: Duration,
    /// Blanks the key and secret in every spelling an answer could echo them in.
    scrubber: Scrubber,
}

impl UmRest {
    pub fn new(
        url: &str,
        key: Secret,
        secret: Secret,
        auth: Auth,
        timeout: Duration,
    ) -> Result<UmRest, GenerateError> {
        if key.is_empty() || secret.is_empty() {
            return Err(GenerateError::MissingApiKey);
        }
        let scrubber = Scrubber::new(&[&key, &secret], &[(&key, &secret)]);
        let base = network_base(url, &scrubber)?;
        // A redirect is reported, never followed: it would carry the request (and, with
        // --auth query, the credentials in the URL) to wherever the answer points.
        let http =
            http::client(timeout, &scrubber).map_err(|source| GenerateError::Setup { source })?;
        Ok(UmRest {
            http,
            base,
            key,
            secret,
            auth,
            timeout,
            scrubber,
        })
    }

    /// Every mapping row, all pages. Fails rather than returning a partial list, except when the
    /// server ignores paging altogether (then the rows it did send, with a warning).
    pub async fn fetch(&self) -> Result<Fetched, GenerateError> {
        let (route, first) = self.first_page().await?;
        let mut rows = Rows::new(self.path_of(route));
        let mut page_no = 1u64;
        let mut page = first;
        let paging = loop {
            if let Some(paging) = rows.take(page_no, page) {
                break paging;
            }
            if page_no >= MAX_PAGES {
                return Err(GenerateError::RunawayPaging {
                    path: self.path_of(route),
                    page: page_no,
                    max: MAX_PAGES,
                });
            }
            page_no += 1;
            page = self
                .page(route, page_no)
                .await?
                .ok_or_else(|| GenerateError::WpError {
                    path: self.path_of(route),
                    status: 404,
                    code: "not_found".into(),
                    message: format!("page {page_no} was not found after page 1 was read"),
                })?;
        };
        info!(
            route,
            pages = page_no,
            rows = rows.fetched.rows.len(),
            paging = paging.describe(),
            "read the domain mappings"
        );
        Ok(rows.fetched)
    }

    /// The first page, at the first of `ROUTES` that exists.
    async fn first_page(&self) -> Result<(&'static str, Page), GenerateError> {
        for route in ROUTES {
            if let Some(page) = self.page(route, 1).await? {
                return Ok((route, page));
            }
        }
        Err(GenerateError::NotFound {
            path: self.path_of(ROUTES[0]),
            fallback: self.path_of(ROUTES[1]),
        })
    }

    fn path_of(&self, route: &str) -> String {
        format!("{}{route}", self.base.path())
    }

    /// One page; `None` for a 404 (the route does not exist).
    async fn page(&self, route: &str, page: u64) -> Result<Option<Page>, GenerateError> {
        let path = self.path_of(route);
        let response = self
            .request(route, page)?
            .send()
            .await
            .map_err(|e| self.transport(&path, TransportError::new(e, &self.scrubber)))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(self.redirect(path, status, &response));
        }
        let total_pages = header_number(&response, "x-wp-totalpages");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = match http::read_capped(response, &self.scrubber).await {
            Ok(body) => body,
            Err(ReadError::TooLarge) => {
                return Err(GenerateError::TooLarge {
                    path,
                    mib: MAX_BODY >> 20,
                });
            }
            Err(ReadError::Transport(e)) => return Err(self.transport(&path, e)),
        };
        debug!(path = %path, status, bytes = body.len(), "answer");
        let Ok(json) = serde_json::from_slice::<Value>(&body) else {
            return match status {
                404 => Ok(None),
                _ => Err(self.not_json(path, status, &content_type, &body)),
            };
        };
        match status {
            200..=299 => self.rows(path, json, total_pages).map(Some),
            404 => Ok(None),
            _ => Err(self.refusal(path, status, &json)),
        }
    }

    /// The request for page `page` of `route`, in both paging conventions at once, with the key
    /// and secret as Basic auth or as query parameters.
    fn request(&self, route: &str, page: u64) -> Result<reqwest::RequestBuilder, GenerateError> {
        let mut url = self.base.join(route).map_err(|e| GenerateError::BadUrl {
            problem: format!("{route} cannot be added to it"),
            source: Some(Cause::of(&e, &self.scrubber)),
        })?;
        let offset = (page - 1) * PER_PAGE;
        url.query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string())
            .append_pair("page", &page.to_string())
            .append_pair("number", &PER_PAGE.to_string())
            .append_pair("offset", &offset.to_string());
        // The path (and paging) is what is logged and shown, never `url`: with --auth query it
        // holds the secret.
        debug!(path = %self.path_of(route), page, offset, "GET");
        let request = match self.auth {
            Auth::Basic => self
                .http
                .get(url)
                .basic_auth(self.key.expose(), Some(self.secret.expose())),
            Auth::Query => {
                url.query_pairs_mut()
                    .append_pair("api_key", self.key.expose())
                    .append_pair("api_secret", self.secret.expose());
                self.http.get(url)
            }
        };
        Ok(request.header("Accept", "application/json"))
    }

    /// No answer, or one that broke off.
    fn transport(&self, path: &str, e: TransportError) -> GenerateError {
        let path = path.to_string();
        match e.kind() {
            Kind::Timeout { .. } => GenerateError::Timeout {
                path,
                secs: self.timeout.as_secs(),
                source: e,
            },
            Kind::Unresolved { .. } => GenerateError::Dns {
                path,
                host: self.base.host_str().unwrap_or("?").to_string(),
                source: e,
            },
            Kind::NoConnection | Kind::Broken => GenerateError::Connect { path, source: e },
        }
    }

    fn redirect(&self, path: String, status: u16, response: &reqwest::Response) -> GenerateError {
        let location = response
            .headers()
            .get("location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_else(|| "(no Location)".into());
        // The Location may echo the query (and so the credentials): scrubbed, and cut.
        let location: String = self.scrub(&location).chars().take(200).collect();
        GenerateError::Redirect {
            path,
            status,
            location,
        }
    }

    /// An answer that is not JSON: what it looks like, and its first characters.
    fn not_json(
        &self,
        path: String,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> GenerateError {
        let what = if looks_like_html(content_type, &String::from_utf8_lossy(body)) {
            "an HTML page".to_string()
        } else if content_type.is_empty() {
            "a body that is not JSON".to_string()
        } else {
            format!("`{content_type}`")
        };
        GenerateError::NotJson {
            path,
            status,
            what,
            excerpt: http::body_excerpt(&self.scrubber, body, EXCERPT_CHARS),
        }
    }

    /// A JSON answer that refuses (WordPress's `code` and `message`), with what to check on a
    /// 401.
    fn refusal(&self, path: String, status: u16, json: &Value) -> GenerateError {
        let code = json
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("no code")
            .to_string();
        let message = self.excerpt(
            json.get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message"),
        );
        if status != 401 {
            return GenerateError::WpError {
                path,
                status,
                code,
                message,
            };
        }
        let hint = match self.auth {
            Auth::Basic => {
                "check WU_API_KEY and WU_API_SECRET, and that the web server passes the Authorization header through to PHP (Apache: `CGIPassAuth On`, or a rewrite rule setting HTTP_AUTHORIZATION); where it cannot, --auth query sends them as query parameters"
            }
            Auth::Query => {
                "check WU_API_KEY and WU_API_SECRET (sent as the api_key and api_secret query parameters)"
            }
        };
        GenerateError::Unauthorized {
            path,
            code,
            message,
            hint,
        }
    }

    /// A 2xx answer's rows: a JSON array.
    fn rows(
        &self,
        path: String,
        json: Value,
        total_pages: Option<u64>,
    ) -> Result<Page, GenerateError> {
        match json {
            Value::Array(rows) => Ok(Page { rows, total_pages }),
            other => Err(GenerateError::Shape {
                path,
                detail: format!(
                    "it is {}, not an array: {:?}",
                    kind(&other),
                    self.excerpt(&other.to_string())
                ),
            }),
        }
    }

    /// A short excerpt of text from the server, with the credentials blanked (before it is cut,
    /// so no part of one survives) should it echo them.
    fn excerpt(&self, text: &str) -> String {
        http::excerpt(&self.scrubber, text, EXCERPT_CHARS)
    }

    fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
    }
}

/// The network's address from --url: http or https, without credentials (in its user part or
/// its query) and without `/wp-json`, ending in `/`.
fn network_base(url: &str, scrubber: &Scrubber) -> Result<Url, GenerateError> {
    let bad = |problem: &str| GenerateError::BadUrl {
        problem: problem.into(),
        source: None,
    };
    let mut base = Url::parse(url.trim()).map_err(|e| GenerateError::BadUrl {
        problem: "write it like https://network.example".into(),
        source: Some(Cause::of(&e, scrubber)),
    })?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(bad(&format!(
            "scheme `{}` is not http or https",
            base.scheme()
        )));
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err(bad(
            "it contains a user name or password; give them through WU_API_KEY and WU_API_SECRET instead",
        ));
    }
    let credentials_in_query = base.query_pairs().any(|(k, _)| {
        matches!(
            k.as_ref(),
            "api_key" | "api-key" | "api_secret" | "api-secret"
        )
    });
    if credentials_in_query {
        return Err(bad(
            "it carries the API key or secret; give them through WU_API_KEY and WU_API_SECRET (with --auth query to send them as parameters)",
        ));
    }
    base.set_query(None);
    base.set_fragment(None);
    let path = base.path().trim_end_matches('/');
    let path = path.strip_suffix("/wp-json").unwrap_or(path).to_string();
    base.set_path(&format!("{path}/"));
    Ok(base)
}

/// The rows of the pages read so far, and what was noticed on the way; decides when the list
/// has ended.
struct Rows {
    /// The route's path, for warnings.
    path: String,
    fetched: Fetched,
    seen: BTreeSet<RowKey>,
}

impl Rows {
    fn new(path: String) -> Rows {
        Rows {
            path,
            fetched: Fetched::default(),
            seen: BTreeSet::new(),
        }
    }

    /// Takes page `page_no`. `Some` when it was the last, with the paging convention the server
    /// turned out to honour.
    fn take(&mut self, page_no: u64, page: Page) -> Option<Paging> {
        let count = page.rows.len() as u64;
        let new = self.add(page_no, &page.rows);
        debug!(path = %self.path, page = page_no, count, new, total_pages = ?page.total_pages, "domain mapping page");
        if count > PER_PAGE {
            // More than asked for: the server ignored the page size and sent everything.
            return Some(Paging::Ignored);
        }
        if count > 0 && new == 0 {
            self.fetched.warnings.push(format!(
                "{}: page {page_no} repeated the rows of an earlier page: the server ignores both paging conventions, so only the first {} rows could be read — the list may be incomplete",
                self.path,
                self.fetched.rows.len()
            ));
            return Some(Paging::Ignored);
        }
        let last = match page.total_pages {
            Some(tp) => page_no >= tp || count == 0,
            None => count < PER_PAGE,
        };
        last.then_some(match (page_no, page.total_pages) {
            (1, _) => Paging::SinglePage,
            (_, Some(_)) => Paging::PageParam,
            (_, None) => Paging::NumberOffset,
        })
    }

    /// Adds the rows not seen on an earlier page (a row that cannot be read is skipped with a
    /// warning); returns how many were new.
    fn add(&mut self, page_no: u64, rows: &[Value]) -> u64 {
        let mut new = 0;
        for (i, value) in rows.iter().enumerate() {
            match parse_row(value) {
                Ok(row) => {
                    if self.seen.insert(RowKey::of(&row)) {
                        self.fetched.rows.push(row);
                        new += 1;
                    }
                }
                Err(why) => self.fetched.warnings.push(format!(
                    "{} page {page_no} row {}: skipped: {why}",
                    self.path,
                    i + 1
                )),
            }
        }
        new
    }
}

struct Page {
    rows: Vec<Value>,
    total_pages: Option<u64>,
}

/// What makes two rows the same row when a page repeats: the id, else the name and site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum RowKey {
    Id(u64),
    Name(String, Option<u64>),
}

impl RowKey {
    fn of(row: &Row) -> RowKey {
        match row.id {
            Some(id) => RowKey::Id(id),
            None => RowKey::Name(row.domain.clone(), row.blog_id),
        }
    }
}

fn header_number(response: &reqwest::Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

fn looks_like_html(content_type: &str, text: &str) -> bool {
    let start = text.trim_start().to_ascii_lowercase();
    content_type.contains("html") || start.starts_with("<!doctype") || start.starts_with("<html")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A boolean sent as `true`, `1`, `"1"`, `"true"` (and their opposites); `None` when absent.
pub fn lenient_bool(v: Option<&Value>) -> Result<Option<bool>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(format!("{n} is not 0 or 1")),
        },
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" | "" => Ok(Some(false)),
            other => Err(format!("`{other}` is not a boolean")),
        },
        Some(other) => Err(format!("{} is not a boolean", kind(other))),
    }
}

/// A non-negative integer sent as a number or a string; `None` when absent.
pub fn lenient_u64(v: Option<&Value>) -> Result<Option<u64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{n} is not a whole number")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("`{s}` is not a whole number")),
        Some(other) => Err(format!("{} is not a number", kind(other))),
    }
}

/// One mapping row from its JSON object.
pub fn parse_row(v: &Value) -> Result<Row, String> {
    let Value::Object(_) = v else {
        return Err(format!("it is {}, not an object", kind(v)));
    };
    let field = |name: &str| v.get(name);
    let domain = match field("domain") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err("it has no `domain`".into()),
        Some(other) => return Err(format!("`domain` is {}, not a string", kind(other))),
    };
    let d = domain.as_str();
    let ctx = |name: &'static str| move |e: String| format!("`{name}` of `{d}`: {e}");
    Ok(Row {
        id: lenient_u64(field("id")).map_err(ctx("id"))?,
        blog_id: lenient_u64(field("blog_id")).map_err(ctx("blog_id"))?,
        active: lenient_bool(field("active")).map_err(ctx("active"))?,
        primary: lenient_bool(field("primary_domain"))
            .map_err(ctx("primary_domain"))?
            .unwrap_or(false),
        stage: field("stage").and_then(Value::as_str).map(str::to_string),
        domain,
    })
}

/// The JSON of `wp wu domain list --format=json`, or of the complete export
/// (`COMPLETE_EXPORT_COMMAND`). A plain list of exactly `WP_CLI_CAP` rows is refused: that is
/// what `wp wu domain list` prints when there are more, and a file generated from it would drop
/// every mapping past the 100th.
pub fn parse_wp_cli(text: &str, file: &str) -> Result<Fetched, GenerateError> {
    let rows = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(rows)) if rows.len() == WP_CLI_CAP => {
            return Err(GenerateError::CappedList {
                file: file.to_string(),
                cap: WP_CLI_CAP,
                command: COMPLETE_EXPORT_COMMAND,
            });
        }
        Ok(Value::Object(export))
            if export.get("export").and_then(Value::as_str) == Some(COMPLETE_EXPORT_TAG) =>
        {
            complete_export(export, file)?
        }
        _ => json_array(text, file, "`wp wu domain list --format=json`")?,
    };
    let mut fetched = Fetched::default();
    for (i, value) in rows.iter().enumerate() {
        match parse_row(value) {
            Ok(row) => fetched.rows.push(row),
            Err(why) => fetched
                .warnings
                .push(format!("{file} row {}: skipped: {why}", i + 1)),
        }
    }
    Ok(fetched)
}

/// The rows of a complete export, checked whole: its `count` matches its rows (else it was cut
/// short on the way), and its query reported no `error` (else the rows are not the table's).
fn complete_export(
    mut export: serde_json::Map<String, Value>,
    file: &str,
) -> Result<Vec<Value>, GenerateError> {
    let bad = |detail: String| GenerateError::Input {
        file: file.to_string(),
        detail: format!("the export of the mappings table {detail}"),
    };
    if let Some(error) = export
        .get("error")
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty())
    {
        let error: String = error.chars().take(200).collect();
        return Err(bad(format!(
            "reports that its query failed ({error:?}); check the table prefix and re-run the export"
        )));
    }
    let count = lenient_u64(export.get("count"))
        .map_err(|e| bad(format!("has an unreadable `count`: {e}")))?
        .ok_or_else(|| bad("has no `count`; re-run the export command as documented".into()))?;
    let Some(Value::Array(rows)) = export.remove("rows") else {
        return Err(bad(
            "has no `rows` list; re-run the export command as documented".into(),
        ));
    };
    if count != rows.len() as u64 {
        return Err(bad(format!(
            "says {count} rows but holds {}: it was cut short; re-run the export",
            rows.len()
        )));
    }
    Ok(rows)
}

/// The JSON of `wp site list --format=json` (values as strings). A site that cannot be read is
/// an error: guessing its state could drop a live site's names or keep a spam site's.
pub fn parse_sites(text: &str, file: &str) -> Result<Vec<Site>, GenerateError> {
    let rows = json_array(text, file, "`wp site list --format=json`")?;
    let mut sites = Vec::with_capacity(rows.len());
    for (i, v) in rows.iter().enumerate() {
        let bad = |detail: String| GenerateError::Input {
            file: file.to_string(),
            detail: format!("site {}: {detail}", i + 1),
        };
        let flag = |name: &str| {
            lenient_bool(v.get(name))
                .map(|b| b.unwrap_or(false))
                .map_err(|e| bad(format!("`{name}`: {e}")))
        };
        let blog_id = lenient_u64(v.get("blog_id"))
            .map_err(|e| bad(format!("`blog_id`: {e}")))?
            .ok_or_else(|| bad("it has no `blog_id`".into()))?;
        sites.push(Site {
            blog_id,
            domain: v
                .get("domain")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            archived: flag("archived")?,
            spam: flag("spam")?,
            deleted: flag("deleted")?,
        });
    }
    Ok(sites)
}

fn json_array(text: &str, file: &str, what: &str) -> Result<Vec<Value>, GenerateError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(rows)) => Ok(rows),
        Ok(other) => Err(GenerateError::Input {
            file: file.to_string(),
            detail: format!(
                "expected the JSON array that {what} prints, found {}",
                kind(&other)
            ),
        }),
        Err(source) => Err(GenerateError::InputNotJson {
            file: file.to_string(),
            what: what.to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::base64;
    use serde_json::json;

    #[test]
    fn numbers_and_booleans_parse_as_numbers_or_strings() {
        let a = parse_row(&json!({"id": "7", "blog_id": 3, "domain": "a.example", "active": "1", "primary_domain": "0", "stage": "done"})).unwrap();
        let b = parse_row(&json!({"id": 7, "blog_id": "3", "domain": "a.example", "active": true, "primary_domain": false, "stage": "done"})).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.id, Some(7));
        assert_eq!(a.blog_id, Some(3));
        assert_eq!(a.active, Some(true));
        assert!(!a.primary);
        let off = parse_row(&json!({"domain": "b.example", "active": 0})).unwrap();
        assert_eq!(off.active, Some(false));
        assert_eq!(off.id, None);
        let missing = parse_row(&json!({"domain": "c.example"})).unwrap();
        assert_eq!(missing.active, None);
    }

    #[test]
    fn unreadable_rows_say_why() {
        assert_eq!(
            parse_row(&json!({"domain": "a.example", "active": "maybe"})).unwrap_err(),
            "`active` of `a.example`: `maybe` is not a boolean"
        );
        assert_eq!(
            parse_row(&json!({"id": 1})).unwrap_err(),
            "it has no `domain`"
        );
        assert_eq!(
            parse_row(&json!({"domain": "a.example", "blog_id": "x"})).unwrap_err(),
            "`blog_id` of `a.example`: `x` is not a whole number"
        );
    }

    #[test]
    fn the_fixture_parses() {
        let text = include_str!("../../tests/fixtures/ultimate-multisite/domain-list.json");
        let f = parse_wp_cli(text, "domain-list.json").unwrap();
        assert!(f.warnings.is_empty());
        let names: Vec<(&str, Option<bool>)> = f
            .rows
            .iter()
            .map(|r| (r.domain.as_str(), r.active))
            .collect();
        assert_eq!(
            names,
            vec![
                ("shop.example.org", Some(true)),
                ("blog.example.net", Some(true)),
                ("site4.network.example", Some(true)),
                ("old.example.com", Some(false)),
            ]
        );
    }

    #[test]
    fn the_key_and_secret_are_scrubbed_in_every_spelling_before_an_excerpt_is_cut() {
        let (key, secret) = ("k+7f3a/x y", "s&9b2e=z/w");
        let api = UmRest::new(
            "http://network.example",
            Secret::new(key),
            Secret::new(secret),
            Auth::Query,
            Duration::from_secs(1),
        )
        .unwrap();
        let echoed = format!(
            "{key} {secret} {} k%2B7f3a%2Fx+y s%269b2e%3Dz%2Fw k%2b7f3a%2fx%20y k+7f3a\\/x y s&9b2e=z\\/w",
            base64(format!("{key}:{secret}").as_bytes())
        );
        let e = api.excerpt(&echoed);
        assert!(!e.contains("7f3a") && !e.contains("9b2e"), "{e}");
        assert!(
            !e.contains(&base64(format!("{key}:{secret}").as_bytes())),
            "{e}"
        );
        // A secret across the cut: no first half of it survives.
        let e = api.excerpt(&format!("{}{secret}", "x".repeat(195)));
        assert!(!e.contains("s&9b"), "{e}");
    }

    #[test]
    fn a_wp_cli_list_of_exactly_100_rows_is_refused_and_a_complete_export_is_not() {
        let rows = |n: usize| -> Vec<Value> {
            (1..=n)
                .map(|i| json!({"id": i.to_string(), "domain": format!("s{i}.example.org"), "active": "1"}))
                .collect()
        };
        let e = parse_wp_cli(&Value::Array(rows(100)).to_string(), "m.json").unwrap_err();
        assert!(
            matches!(e, GenerateError::CappedList { cap: 100, .. }),
            "{e}"
        );
        assert_eq!(
            parse_wp_cli(&Value::Array(rows(99)).to_string(), "m.json")
                .unwrap()
                .rows
                .len(),
            99
        );
        let export =
            json!({"export": "wu_domain_mappings", "count": "100", "error": "", "rows": rows(100)});
        assert_eq!(
            parse_wp_cli(&export.to_string(), "m.json")
                .unwrap()
                .rows
                .len(),
            100
        );
        let short =
            json!({"export": "wu_domain_mappings", "count": 101, "error": "", "rows": rows(100)});
        assert!(
            parse_wp_cli(&short.to_string(), "m.json")
                .unwrap_err()
                .to_string()
                .contains("it was cut short")
        );
        let uncounted = json!({"export": "wu_domain_mappings", "rows": rows(3)});
        assert!(
            parse_wp_cli(&uncounted.to_string(), "m.json")
                .unwrap_err()
                .to_string()
                .contains("has no `count`")
        );
        let text = include_str!("../../tests/fixtures/ultimate-multisite/mappings-export.json");
        assert_eq!(
            parse_wp_cli(text, "mappings-export.json")
                .unwrap()
                .rows
                .len(),
            4
        );
    }

    #[test]
    fn input_that_is_not_json_keeps_the_parser_s_complaint_as_its_cause() {
        let e = parse_wp_cli("<html>", "m.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.json: not JSON; expected the output of `wp wu domain list --format=json`"
        );
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert!(cause.is_some_and(|c| !c.is_empty() && !e.to_string().contains(&c)));
    }

    #[test]
    fn sites_parse_from_strings() {
        let sites = parse_sites(
            r#"[{"blog_id":"2","domain":"a.example","archived":"0","spam":"0","deleted":"0"},
                {"blog_id":"3","domain":"b.example","archived":"1","spam":"0","deleted":"0"}]"#,
            "sites.json",
        )
        .unwrap();
        assert_eq!(sites.len(), 2);
        assert!(!sites[0].is_retired());
        assert!(sites[1].is_retired());
        assert_eq!(sites[1].why_retired(), "archived");
        let err = parse_sites(r#"{"blog_id":"2"}"#, "sites.json").unwrap_err();
        assert!(err.to_string().contains("expected the JSON array"), "{err}");
    }
}
