//! RunCloud's JSON as it arrives, and its conversion into model types; and the bodies the
//! client sends, as RunCloud documents them.
//!
//! Owns the wire shapes (lenient: `www` as 0/1 or a boolean, ids as numbers or strings, both
//! paging styles) and the request bodies (typed: a field renamed by mistake fails a test
//! against RunCloud's documented examples). Nothing here leaves the `runcloud` module except
//! through `into_model`.

use crate::model::{
    DomainKind, DomainName, DomainSettings, LiveCertificate, LiveDomain, Redirection,
};
use serde::{Deserialize, Serialize};

// --- What the client sends ------------------------------------------------------------------

/// A domain's `type` as sent: only the two rcdomains understands (any other is never sent back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SentKind {
    Primary,
    Alias,
}

impl SentKind {
    /// `None` for a type rcdomains does not understand.
    pub fn of(kind: DomainKind) -> Option<SentKind> {
        match kind {
            DomainKind::Primary => Some(SentKind::Primary),
            DomainKind::Alias => Some(SentKind::Alias),
            DomainKind::Other => None,
        }
    }
}

/// `POST …/domains`: attach a name (`add-domain-v3.request.json`). Always as an alias: the
/// primary domain is the app's own.
#[derive(Debug, Serialize)]
pub struct NewDomain<'a> {
    pub name: &'a str,
    pub www: bool,
    /// `none`, `www` or `non-www`.
    pub redirection: &'static str,
    #[serde(rename = "type")]
    pub kind: SentKind,
}

impl NewDomain<'_> {
    pub fn alias(name: &str, settings: DomainSettings) -> NewDomain<'_> {
        NewDomain {
            name,
            www: settings.www,
            redirection: settings.redirection.as_str(),
            kind: SentKind::Alias,
        }
    }
}

/// `PATCH …/domains/{d}/meta` (API v3): a domain's settings, its `type` unchanged.
#[derive(Debug, Serialize)]
pub struct DomainMeta {
    #[serde(rename = "type")]
    pub kind: SentKind,
    /// `none`, `www` or `non-www`.
    pub redirection: &'static str,
    pub www: bool,
}

impl DomainMeta {
    pub fn new(kind: SentKind, settings: DomainSettings) -> DomainMeta {
        DomainMeta {
            kind,
            redirection: settings.redirection.as_str(),
            www: settings.www,
        }
    }
}

/// A Let's Encrypt order over HTTP-01: `POST …/webapps/{w}/ssl` (basic SSL) or
/// `POST …/domains/{d}/ssl` (advanced SSL, which also says the mode:
/// `install-advanced-ssl-v3.request.json`).
#[derive(Debug, Serialize)]
pub struct CertificateOrder {
    #[serde(rename = "advancedSSL", skip_serializing_if = "Option::is_none")]
    pub advanced_ssl: Option<bool>,
    #[serde(rename = "autoSSL", skip_serializing_if = "Option::is_none")]
    pub auto_ssl: Option<bool>,
    /// Always `letsencrypt`.
    pub provider: &'static str,
    #[serde(rename = "enableHttp")]
    pub enable_http: bool,
    #[serde(rename = "enableHsts")]
    pub enable_hsts: bool,
    /// Always `http-01`: the names' DNS points at the server.
    #[serde(rename = "authorizationMethod")]
    pub authorization_method: &'static str,
    /// `live` or `staging`.
    pub environment: &'static str,
}

impl CertificateOrder {
    /// The order for the app's one certificate (basic SSL).
    pub fn basic(staging: bool) -> CertificateOrder {
        CertificateOrder {
            advanced_ssl: None,
            auto_ssl: None,
            ..CertificateOrder::lets_encrypt(staging)
        }
    }

    /// The order for one domain's certificate (advanced SSL), AutoSSL left off.
    pub fn advanced(staging: bool) -> CertificateOrder {
        CertificateOrder {
            advanced_ssl: Some(true),
            auto_ssl: Some(false),
            ..CertificateOrder::lets_encrypt(staging)
        }
    }

    fn lets_encrypt(staging: bool) -> CertificateOrder {
        CertificateOrder {
            advanced_ssl: None,
            auto_ssl: None,
            provider: "letsencrypt",
            enable_http: false,
            enable_hsts: false,
            authorization_method: "http-01",
            environment: if staging { "staging" } else { "live" },
        }
    }
}

// --- What RunCloud answers ------------------------------------------------------------------

/// A boolean that RunCloud may send as `true`, `1`, `"1"` or `"true"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(Flag(b)),
            Value::Number(n) => Ok(Flag(n.as_f64().is_some_and(|f| f != 0.0))),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Flag(true)),
                "0" | "false" | "no" | "off" | "" => Ok(Flag(false)),
                other => Err(serde::de::Error::custom(format!(
                    "`{other}` is not a boolean"
                ))),
            },
            Value::Null => Ok(Flag(false)),
            other => Err(serde::de::Error::custom(format!(
                "{other} is not a boolean"
            ))),
        }
    }
}

/// An id that may arrive as a number or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub u64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .map(Id)
                .ok_or_else(|| serde::de::Error::custom("id is not a positive integer")),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Id)
                .map_err(|_| serde::de::Error::custom(format!("id `{s}` is not a number"))),
            other => Err(serde::de::Error::custom(format!(
                "id {other} is not a number"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WireDomain {
    pub id: Id,
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<serde_json::Value>,
    #[serde(default)]
    pub www: Flag,
    pub redirection: Option<String>,
    #[serde(default)]
    pub wildcard: Flag,
    /// Any JSON: a string in every form seen is parsed; anything else counts as unreadable.
    #[serde(default)]
    pub created_at: Option<serde_json::Value>,
}

impl WireDomain {
    pub fn into_model(self) -> LiveDomain {
        LiveDomain {
            id: self.id.0,
            name: DomainName::from_live(&self.name),
            kind: domain_kind(self.kind.as_ref()),
            settings: DomainSettings {
                www: self.www.0,
                redirection: self
                    .redirection
                    .as_deref()
                    .and_then(Redirection::parse)
                    .unwrap_or(Redirection::None),
            },
            wildcard: self.wildcard.0,
            created_at: self
                .created_at
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .and_then(parse_timestamp),
        }
    }
}

/// `primary` and `alias` are understood; any other type, or none, is `Other` (never ours).
fn domain_kind(raw: Option<&serde_json::Value>) -> DomainKind {
    match raw
        .and_then(serde_json::Value::as_str)
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("primary") => DomainKind::Primary,
        Some("alias") => DomainKind::Alias,
        _ => DomainKind::Other,
    }
}

/// A RunCloud timestamp as Unix seconds: `"YYYY-MM-DD HH:MM:SS"` (no zone: taken as UTC, as
/// RunCloud's examples are), or ISO 8601 / RFC 3339 with `T`, fractions, `Z` or an offset.
/// `None` when it is none of these: the caller must then fail closed.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    // With a zone (`Z`, `+02:00`, `+0200`): an instant.
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    let t = s.replacen(' ', "T", 1);
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    // Without a zone: a civil time, taken as UTC.
    let dt: jiff::civil::DateTime = t.parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[derive(Debug, Deserialize)]
pub struct WireList<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub meta: Option<WireMeta>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireMeta {
    pub pagination: Option<WirePagination>,
    #[serde(rename = "lastPage", alias = "last_page")]
    pub last_page: Option<u64>,
    #[serde(rename = "currentPage", alias = "current_page")]
    pub current_page: Option<u64>,
    pub total: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WirePagination {
    pub total: Option<u64>,
    pub current_page: Option<u64>,
    pub total_pages: Option<u64>,
}

impl WireMeta {
    pub fn total_pages(&self) -> Option<u64> {
        self.pagination
            .as_ref()
            .and_then(|p| p.total_pages)
            .or(self.last_page)
    }

    pub fn total(&self) -> Option<u64> {
        self.pagination
            .as_ref()
            .and_then(|p| p.total)
            .or(self.total)
    }

    pub fn current_page(&self) -> Option<u64> {
        self.pagination
            .as_ref()
            .and_then(|p| p.current_page)
            .or(self.current_page)
    }
}

/// A server: only its address is read, under any of the names clients have seen.
#[derive(Debug, Deserialize)]
pub struct WireServer {
    #[serde(rename = "ipAddress", default)]
    pub ip_address_camel: Option<serde_json::Value>,
    #[serde(rename = "ip_address", default)]
    pub ip_address_snake: Option<serde_json::Value>,
    #[serde(default)]
    pub ip: Option<serde_json::Value>,
}

impl WireServer {
    /// The first of `ipAddress`, `ip_address`, `ip` that holds an IP address.
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        [&self.ip_address_camel, &self.ip_address_snake, &self.ip]
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .find_map(|s| s.trim().parse().ok())
    }
}

/// `GET …/ssl/advanced`. `advancedSSL` must be there (the mode decides what is ordered);
/// `autoSSL` may not be, and then it is unknown, not off.
#[derive(Debug, Deserialize)]
pub struct WireSslMode {
    #[serde(rename = "advancedSSL", alias = "advanced_ssl", default)]
    pub advanced: Option<Flag>,
    #[serde(rename = "autoSSL", alias = "auto_ssl", default)]
    pub auto_ssl: Option<Flag>,
}

/// A certificate, or `{"message": "SSL not installed!"}`.
#[derive(Debug, Deserialize)]
pub struct WireCertificate {
    pub id: Option<Id>,
    #[serde(rename = "validUntil", alias = "valid_until", default)]
    pub valid_until: Option<serde_json::Value>,
    #[serde(default)]
    pub staging: Flag,
    #[serde(default)]
    pub method: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<serde_json::Value>,
}

/// What a certificate read says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateAnswer {
    Installed(LiveCertificate),
    /// RunCloud said "SSL not installed!".
    None,
    /// Neither a certificate nor that message: the caller must not assume there is none.
    Unclear,
}

/// Whether a message is RunCloud's "SSL not installed!" (whatever the status it came with).
pub fn says_not_installed(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("ssl not installed") || m.contains("ssl is not installed")
}

impl WireCertificate {
    pub fn into_answer(self) -> CertificateAnswer {
        if let Some(id) = self.id {
            return CertificateAnswer::Installed(LiveCertificate {
                id: id.0,
                valid_until: self
                    .valid_until
                    .as_ref()
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
                staging: self.staging.0,
                method: self
                    .method
                    .as_ref()
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
            });
        }
        match self.message.as_ref().and_then(serde_json::Value::as_str) {
            Some(m) if says_not_installed(m) => CertificateAnswer::None,
            _ => CertificateAnswer::Unclear,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WireMessage {
    pub message: Option<String>,
    pub errors: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WireMessage {
    /// The message with the first validation error of each field, on one line.
    pub fn text(&self) -> Option<String> {
        let mut out = self.message.clone()?;
        if let Some(errors) = &self.errors {
            for (field, v) in errors {
                let first = match v {
                    serde_json::Value::Array(a) => {
                        a.first().and_then(|x| x.as_str()).map(str::to_string)
                    }
                    serde_json::Value::String(s) => Some(s.clone()),
                    _ => None,
                };
                if let Some(e) = first {
                    out.push_str(&format!(" ({field}: {e})"));
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    //! Parsing the bodies RunCloud's documentation shows (shared/fixtures/runcloud).
    use super::*;

    fn fixture(name: &str) -> String {
        // A copy of shared/fixtures/runcloud: the bodies RunCloud's documentation shows.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/runcloud")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn list_domains_fixture_parses() {
        let list: WireList<WireDomain> =
            serde_json::from_str(&fixture("list-domains-v3.json")).unwrap();
        let meta = list.meta.as_ref().unwrap();
        assert_eq!(meta.total_pages(), Some(1));
        assert_eq!(meta.total(), Some(2));
        let d: Vec<LiveDomain> = list.data.into_iter().map(WireDomain::into_model).collect();
        assert_eq!(d[0].name.as_str(), "schimmel.alirahman.site");
        assert_eq!(d[0].kind, DomainKind::Primary);
        assert_eq!(d[1].id, 710);
        assert_eq!(d[1].kind, DomainKind::Alias);
        assert_eq!(
            d[1].settings,
            DomainSettings {
                www: false,
                redirection: Redirection::NonWww
            }
        );
        assert_eq!(d[1].created_at, Some(1721266270));
        assert_eq!(d[0].created_at, Some(1720508533)); // 2024-07-09 07:02:13 UTC
    }

    #[test]
    fn add_domain_response_fixture_parses() {
        let d: WireDomain = serde_json::from_str(&fixture("add-domain-v3.response.json")).unwrap();
        let d = d.into_model();
        assert_eq!(
            (d.id, d.name.as_str(), d.settings.www),
            (710, "yog.alirahman.site", false)
        );
    }

    #[test]
    fn server_fixture_gives_the_ip() {
        let s: WireServer = serde_json::from_str(&fixture("server-v2.json")).unwrap();
        assert_eq!(s.ip(), Some("2.2.2.2".parse().unwrap()));
    }

    #[test]
    fn error_and_message_fixtures_parse() {
        let m: WireMessage = serde_json::from_str(&fixture("error-401.json")).unwrap();
        assert_eq!(m.text().as_deref(), Some("Invalid credentials."));
        let m: WireMessage =
            serde_json::from_str(&fixture("update-domain-meta-v3.response.json")).unwrap();
        assert_eq!(
            m.text().as_deref(),
            Some("Domain settings have been successfully updated.")
        );
        let m: WireMessage = serde_json::from_str(r#"{"message":"The given data was invalid.","errors":{"name":["The name has already been taken."]}}"#).unwrap();
        assert_eq!(
            m.text().unwrap(),
            "The given data was invalid. (name: The name has already been taken.)"
        );
    }

    #[test]
    fn flags_and_ids_parse_leniently() {
        let d: WireDomain = serde_json::from_str(r#"{"id":"12","name":"a.example","type":"alias","www":"1","wildcard":true,"redirection":"www"}"#).unwrap();
        let d = d.into_model();
        assert_eq!(
            (d.id, d.name.as_str(), d.settings.www, d.wildcard),
            (12, "a.example", true, true)
        );
        let m: WireSslMode = serde_json::from_str(r#"{"advancedSSL":1,"autoSSL":"0"}"#).unwrap();
        assert_eq!(
            (m.advanced, m.auto_ssl),
            (Some(Flag(true)), Some(Flag(false)))
        );
    }

    #[test]
    fn live_names_are_kept_as_runcloud_spells_them_never_folded() {
        for raw in [
            "A.Example.",
            "shop\u{ad}.example",
            "bücher.example",
            " shop.example",
            "evil\n+ x.example",
        ] {
            let body = serde_json::json!({"id": 1, "name": raw, "type": "alias"}).to_string();
            let d: WireDomain = serde_json::from_str(&body).unwrap();
            let d = d.into_model();
            assert_eq!(d.name.as_str(), raw);
            assert!(!d.name.is_canonical(), "{raw:?}");
        }
        let d: WireDomain =
            serde_json::from_str(r#"{"id":1,"name":"xn--bcher-kva.example","type":"alias"}"#)
                .unwrap();
        assert!(d.into_model().name.is_canonical());
    }

    #[test]
    fn the_last_page_paging_style_is_understood() {
        let list: WireList<WireDomain> =
            serde_json::from_str(r#"{"data":[],"meta":{"lastPage":3,"currentPage":2}}"#).unwrap();
        let meta = list.meta.unwrap();
        assert_eq!(
            (meta.total_pages(), meta.current_page()),
            (Some(3), Some(2))
        );
    }

    #[test]
    fn no_certificate_message_is_none() {
        let c: WireCertificate =
            serde_json::from_str(r#"{"message":"SSL not installed!"}"#).unwrap();
        assert_eq!(c.into_answer(), CertificateAnswer::None);
    }

    #[test]
    fn an_answer_that_is_neither_a_certificate_nor_not_installed_is_unclear() {
        for body in [
            r#"{}"#,
            r#"{"message":"Server Error"}"#,
            r#"{"validUntil":"x"}"#,
        ] {
            let c: WireCertificate = serde_json::from_str(body).unwrap();
            assert_eq!(c.into_answer(), CertificateAnswer::Unclear, "{body}");
        }
    }

    #[test]
    fn a_certificate_keeps_its_method() {
        let c: WireCertificate = serde_json::from_str(
            r#"{"id":7,"method":"custom","validUntil":"2026-01-01 00:00:00"}"#,
        )
        .unwrap();
        let CertificateAnswer::Installed(c) = c.into_answer() else {
            panic!("installed")
        };
        assert!(!c.is_lets_encrypt());
        for m in [
            "letsencrypt",
            "LetsEncrypt",
            "Let's Encrypt",
            "lets_encrypt",
        ] {
            let c = LiveCertificate {
                method: Some(m.into()),
                ..c.clone()
            };
            assert!(c.is_lets_encrypt(), "{m}");
        }
        let c = LiveCertificate { method: None, ..c };
        assert!(
            !c.is_lets_encrypt(),
            "an unstated method is not Let's Encrypt"
        );
    }

    #[test]
    fn created_at_is_read_in_every_form_runcloud_may_send() {
        let want = 1721266270; // 2024-07-18 01:31:10 UTC
        for s in [
            "2024-07-18 01:31:10",
            "2024-07-18T01:31:10",
            "2024-07-18T01:31:10Z",
            "2024-07-18T01:31:10.123456Z",
            "2024-07-18 01:31:10.5",
            "2024-07-18T03:31:10+02:00",
            "2024-07-18T03:31:10+0200",
            "2024-07-17T20:31:10-05:00",
            " 2024-07-18 01:31:10 ",
        ] {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        for s in [
            "",
            "yesterday",
            "0000-00-00 00:00:00",
            "1721266270",
            "2024-13-01 00:00:00",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }

    #[test]
    fn types_other_than_primary_and_alias_are_not_ours() {
        for (body, want) in [
            (
                r#"{"id":1,"name":"a.example","type":"redirect"}"#,
                DomainKind::Other,
            ),
            (r#"{"id":1,"name":"a.example"}"#, DomainKind::Other),
            (
                r#"{"id":1,"name":"a.example","type":null}"#,
                DomainKind::Other,
            ),
            (r#"{"id":1,"name":"a.example","type":7}"#, DomainKind::Other),
            (
                r#"{"id":1,"name":"a.example","type":"Alias"}"#,
                DomainKind::Alias,
            ),
        ] {
            let d: WireDomain = serde_json::from_str(body).unwrap();
            assert_eq!(d.into_model().kind, want, "{body}");
        }
    }

    #[test]
    fn the_server_address_is_read_under_any_of_its_names() {
        for body in [
            r#"{"ipAddress":"192.0.2.1"}"#,
            r#"{"ip_address":"192.0.2.1"}"#,
            r#"{"ip":"192.0.2.1"}"#,
            r#"{"ipAddress":"","ip":"192.0.2.1"}"#,
            r#"{"ipAddress":null,"ip_address":"192.0.2.1","ip":"x"}"#,
        ] {
            let s: WireServer = serde_json::from_str(body).unwrap();
            assert_eq!(s.ip(), Some("192.0.2.1".parse().unwrap()), "{body}");
        }
        let s: WireServer = serde_json::from_str(r#"{"name":"web"}"#).unwrap();
        assert_eq!(s.ip(), None);
    }
}

#[cfg(test)]
mod request_tests {
    //! The bodies the client sends, against what RunCloud documents: the copies of its request
    //! examples in tests/fixtures/runcloud, and, where no file holds one, the example or the
    //! fields in the endpoint table of the API notes (runcloud-api.md, "Endpoints used"). Field
    //! names, value types and fixed values must match, so a field renamed by mistake fails here.
    use super::*;
    use serde_json::{Value, json};

    fn fixture(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/runcloud")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn sent(body: &impl Serialize) -> Value {
        serde_json::to_value(body).unwrap()
    }

    /// The same field names as `documented`, each value of the same JSON type.
    fn same_fields(got: &Value, documented: &Value) {
        let (Value::Object(got), Value::Object(documented)) = (got, documented) else {
            panic!("not objects: {got} / {documented}")
        };
        let names = |m: &serde_json::Map<String, Value>| {
            let mut names: Vec<String> = m.keys().cloned().collect();
            names.sort();
            names
        };
        assert_eq!(names(got), names(documented));
        for (field, value) in documented {
            let same_type = std::mem::discriminant(value) == std::mem::discriminant(&got[field]);
            assert!(
                same_type,
                "{field}: sent {}, documented {value}",
                got[field]
            );
        }
    }

    fn settings(www: bool, redirection: Redirection) -> DomainSettings {
        DomainSettings { www, redirection }
    }

    #[test]
    fn adding_a_domain_sends_the_documented_example() {
        let documented = fixture("add-domain-v3.request.json");
        let body = NewDomain::alias("yog.alirahman.site", settings(false, Redirection::NonWww));
        assert_eq!(sent(&body), documented);
        let other = NewDomain::alias("shop.example", settings(true, Redirection::Www));
        same_fields(&sent(&other), &documented);
    }

    #[test]
    fn updating_a_domain_sends_the_documented_example() {
        // runcloud-api.md, "update domain" (`PATCH …/domains/{d}/meta`).
        let documented = json!({"type": "alias", "redirection": "non-www", "www": true});
        let body = DomainMeta::new(SentKind::Alias, settings(true, Redirection::NonWww));
        assert_eq!(sent(&body), documented);
        let primary = sent(&DomainMeta::new(
            SentKind::Primary,
            settings(false, Redirection::None),
        ));
        same_fields(&primary, &documented);
        assert_eq!(primary["type"], "primary");
        assert_eq!(SentKind::of(DomainKind::Other), None, "never sent back");
    }

    #[test]
    fn every_redirection_is_sent_as_runcloud_spells_it() {
        for r in [Redirection::None, Redirection::Www, Redirection::NonWww] {
            let body = sent(&NewDomain::alias("a.example", settings(true, r)));
            let spelled = body["redirection"].as_str().unwrap();
            assert!(
                ["none", "www", "non-www"].contains(&spelled),
                "{r:?}: {spelled}"
            );
        }
    }

    #[test]
    fn an_advanced_ssl_order_sends_the_documented_example() {
        let documented = fixture("install-advanced-ssl-v3.request.json");
        assert_eq!(sent(&CertificateOrder::advanced(false)), documented);
        let staging = sent(&CertificateOrder::advanced(true));
        same_fields(&staging, &documented);
        assert_eq!(staging["environment"], "staging");
    }

    #[test]
    fn a_basic_ssl_order_sends_the_documented_fields() {
        // runcloud-api.md, "basic SSL: install" (`POST …/webapps/{w}/ssl`): `{provider:
        // "letsencrypt", enableHttp, enableHsts, authorizationMethod: "http-01"|"dns-01",
        // externalApi?, environment: "live"|"staging", ssl_protocol_id?}` — the optional ones
        // are not sent, and neither is the advanced order's mode.
        let documented = json!({
            "provider": "letsencrypt",
            "enableHttp": false,
            "enableHsts": false,
            "authorizationMethod": "http-01",
            "environment": "live",
        });
        assert_eq!(sent(&CertificateOrder::basic(false)), documented);
        let staging = sent(&CertificateOrder::basic(true));
        same_fields(&staging, &documented);
        assert_eq!(staging["environment"], "staging");
    }
}
