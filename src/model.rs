//! The domain model shared by every stage: names, domain settings and the live state.
//!
//! Owns the types the planner reasons about. It holds no I/O and no wire formats: RunCloud's
//! JSON shapes stay in `runcloud`, the YAML shapes stay in `desired`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// A host name after normalisation: lower case, no trailing dot, IDN as punycode, checked.
/// Only `desired::name::normalise` (checked) and `DomainName::from_live` (lenient) make one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DomainName(String);

impl DomainName {
    /// Wraps an already-checked name. Used by the validator.
    pub(crate) fn new_unchecked(name: String) -> Self {
        DomainName(name)
    }

    /// A name exactly as RunCloud spells it: not folded (no lower-casing, trimming or IDNA
    /// mapping), so a live name that is not already canonical — upper case, a soft hyphen, a
    /// Unicode form, a trailing dot — never matches a desired name it merely resembles. It is
    /// shown escaped and marked invalid, and can only be removed by id.
    pub fn from_live(name: &str) -> Self {
        DomainName(name.to_string())
    }

    /// Whether this is a canonical host name as the validator makes them: lower-case ASCII
    /// letters, digits and hyphens, labels of 1 to 63 without a hyphen at either end, at least
    /// two labels, at most 253 characters.
    pub fn is_canonical(&self) -> bool {
        let n = &self.0;
        if n.is_empty() || n.len() > 253 {
            return false;
        }
        let labels: Vec<&str> = n.split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `www.` twin of this name (`www.example.org` for `example.org`).
    pub fn www_twin(&self) -> DomainName {
        DomainName(format!("www.{}", self.0))
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RunCloud's redirection setting of a domain.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Redirection {
    None,
    Www,
    NonWww,
}

impl Redirection {
    pub fn as_str(self) -> &'static str {
        match self {
            Redirection::None => "none",
            Redirection::Www => "www",
            Redirection::NonWww => "non-www",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Redirection::None),
            "www" => Some(Redirection::Www),
            "non-www" => Some(Redirection::NonWww),
            _ => None,
        }
    }
}

impl fmt::Display for Redirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The settings of one domain that the tool manages (and can update in place on API v3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DomainSettings {
    pub www: bool,
    pub redirection: Redirection,
}

impl fmt::Display for DomainSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "www {}, redirection {}",
            if self.www { "on" } else { "off" },
            self.redirection
        )
    }
}

/// A domain's `type` in RunCloud. Only `primary` and `alias` are understood; anything else
/// (third-party clients show `redirect`), or no type at all, is `Other`: not the tool's to
/// remove, update or send back with another type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainKind {
    Primary,
    Alias,
    Other,
}

impl DomainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainKind::Primary => "primary",
            DomainKind::Alias => "alias",
            DomainKind::Other => "other",
        }
    }
}

/// Which RunCloud API the live state was read through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    V3,
    V2,
}

impl ApiVersion {
    /// Whether a domain's www/redirection can be changed in place (`PATCH …/meta`).
    pub fn can_update_in_place(self) -> bool {
        matches!(self, ApiVersion::V3)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiVersion::V3 => "v3",
            ApiVersion::V2 => "v2",
        })
    }
}

/// One domain attached to the web application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveDomain {
    pub id: u64,
    pub name: DomainName,
    pub kind: DomainKind,
    pub settings: DomainSettings,
    pub wildcard: bool,
    /// When RunCloud created it (UTC seconds), when RunCloud said.
    pub created_at: Option<i64>,
}

/// The app's SSL configuration as RunCloud reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LiveSsl {
    pub advanced: bool,
    /// `None` when RunCloud's answer did not say (only `advancedSSL`): unknown is not off.
    pub auto_ssl: Option<bool>,
    /// The basic-mode certificate of the app, when one is installed.
    pub certificate: Option<LiveCertificate>,
    /// Advanced mode: the certificate of each domain that was read (by domain id; `None` when
    /// RunCloud says none is installed). Read only for domains the plan would order for.
    #[serde(default)]
    pub domain_certificates: std::collections::BTreeMap<u64, Option<LiveCertificate>>,
}

impl LiveSsl {
    /// Whether AutoSSL may be on: on, or not reported. Either way the tool orders nothing, so
    /// that it never orders a certificate RunCloud orders too.
    pub fn auto_ssl_may_be_on(&self) -> bool {
        self.auto_ssl != Some(false)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCertificate {
    pub id: u64,
    pub valid_until: Option<String>,
    pub staging: bool,
    /// How it was issued, as RunCloud says (`letsencrypt`, `custom`, …); `None` when not said.
    #[serde(default)]
    pub method: Option<String>,
}

impl LiveCertificate {
    /// Only a Let's Encrypt certificate may be redeployed or replaced. A custom certificate, or
    /// one whose method RunCloud did not state, is never touched.
    pub fn is_lets_encrypt(&self) -> bool {
        self.method.as_deref().is_some_and(|m| {
            let m: String = m
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            m == "letsencrypt"
        })
    }

    /// How the certificate's method reads in a message.
    pub fn method_label(&self) -> String {
        match &self.method {
            Some(m) => format!("method {m:?}"),
            None => "no method stated".to_string(),
        }
    }
}

/// Everything read from RunCloud for one web application. Complete by construction: the
/// client returns an error rather than a partial list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveState {
    pub api: ApiVersion,
    pub server_id: u64,
    pub app_id: u64,
    /// The server's address; `None` when RunCloud's answer held none readable (then DNS
    /// checks need `dns.server_ip` in the file).
    pub server_ip: Option<IpAddr>,
    pub domains: Vec<LiveDomain>,
    pub ssl: LiveSsl,
}

impl LiveState {
    pub fn domain(&self, name: &DomainName) -> Option<&LiveDomain> {
        self.domains.iter().find(|d| &d.name == name)
    }
}
