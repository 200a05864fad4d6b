//! Names and the settings of a domain, as the tool manages them: `DomainName`, `DomainSettings`
//! (`www`, `Redirection`) and RunCloud's `DomainKind`.

use serde::{Deserialize, Serialize};
use std::fmt;

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
