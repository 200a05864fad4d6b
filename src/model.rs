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

    /// A name as RunCloud reports it: lower-cased and without a trailing dot, not rejected
    /// (live state may hold names the validator would refuse; they must still be comparable).
    pub fn from_live(name: &str) -> Self {
        let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
        match idna::domain_to_ascii(&n) {
            Ok(ascii) if !ascii.is_empty() => DomainName(ascii),
            _ => DomainName(n),
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainKind {
    Primary,
    Alias,
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
    pub auto_ssl: bool,
    /// The basic-mode certificate of the app, when one is installed.
    pub certificate: Option<LiveCertificate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCertificate {
    pub id: u64,
    pub valid_until: Option<String>,
    pub staging: bool,
}

/// Everything read from RunCloud for one web application. Complete by construction: the
/// client returns an error rather than a partial list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveState {
    pub api: ApiVersion,
    pub server_id: u64,
    pub app_id: u64,
    pub server_ip: IpAddr,
    pub domains: Vec<LiveDomain>,
    pub ssl: LiveSsl,
}

impl LiveState {
    pub fn domain(&self, name: &DomainName) -> Option<&LiveDomain> {
        self.domains.iter().find(|d| &d.name == name)
    }
}
