//! The live state as RunCloud holds it (`LiveState`: the domains of one web application and its
//! SSL), read by the client and never changed here.

use super::{DomainKind, DomainName, DomainSettings};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

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

/// The names a certificate for this domain covers: it, and its `www.` twin when www is on.
pub fn cert_names(d: &LiveDomain) -> Vec<DomainName> {
    let mut v = vec![d.name.clone()];
    if d.settings.www {
        v.push(d.name.www_twin());
    }
    v
}
