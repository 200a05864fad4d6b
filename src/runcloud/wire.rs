//! RunCloud's JSON as it arrives, and its conversion into model types.
//!
//! Owns the wire shapes (lenient: `www` as 0/1 or a boolean, ids as numbers or strings, both
//! paging styles). Nothing here leaves the `runcloud` module except through `into_model`.

use crate::model::{
    DomainKind, DomainName, DomainSettings, LiveCertificate, LiveDomain, Redirection,
};
use serde::Deserialize;

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
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub www: Flag,
    pub redirection: Option<String>,
    #[serde(default)]
    pub wildcard: Flag,
    pub created_at: Option<String>,
}

impl WireDomain {
    pub fn into_model(self) -> LiveDomain {
        LiveDomain {
            id: self.id.0,
            name: DomainName::from_live(&self.name),
            kind: match self.kind.as_deref() {
                Some("primary") => DomainKind::Primary,
                _ => DomainKind::Alias,
            },
            settings: DomainSettings {
                www: self.www.0,
                redirection: self
                    .redirection
                    .as_deref()
                    .and_then(Redirection::parse)
                    .unwrap_or(Redirection::None),
            },
            wildcard: self.wildcard.0,
            created_at: self.created_at.as_deref().and_then(parse_timestamp),
        }
    }
}

/// RunCloud's `"YYYY-MM-DD HH:MM:SS"` (taken as UTC) as Unix seconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().ok()?;
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

#[derive(Debug, Deserialize)]
pub struct WireServer {
    #[serde(rename = "ipAddress", alias = "ip_address", alias = "ip")]
    pub ip_address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WireSslMode {
    #[serde(rename = "advancedSSL", alias = "advanced_ssl", default)]
    pub advanced: Flag,
    #[serde(rename = "autoSSL", alias = "auto_ssl", default)]
    pub auto_ssl: Flag,
}

/// A basic-mode certificate, or `{"message": "SSL not installed!"}`.
#[derive(Debug, Deserialize)]
pub struct WireCertificate {
    pub id: Option<Id>,
    #[serde(rename = "validUntil", alias = "valid_until")]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub staging: Flag,
}

impl WireCertificate {
    pub fn into_model(self) -> Option<LiveCertificate> {
        self.id.map(|id| LiveCertificate {
            id: id.0,
            valid_until: self.valid_until,
            staging: self.staging.0,
        })
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
        assert_eq!(s.ip_address.as_deref(), Some("2.2.2.2"));
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
        let d: WireDomain = serde_json::from_str(r#"{"id":"12","name":"A.Example.","type":"alias","www":"1","wildcard":true,"redirection":"www"}"#).unwrap();
        let d = d.into_model();
        assert_eq!(
            (d.id, d.name.as_str(), d.settings.www, d.wildcard),
            (12, "a.example", true, true)
        );
        let m: WireSslMode = serde_json::from_str(r#"{"advancedSSL":1,"autoSSL":"0"}"#).unwrap();
        assert_eq!((m.advanced.0, m.auto_ssl.0), (true, false));
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
        assert!(c.into_model().is_none());
    }
}
