//! The desired-state file as written: the types the JSON Schema is generated from.
//!
//! Owns the file's shape (keys, value types, defaults documented for editors). These types
//! never reach the planner: `desired::validate` turns them into `Desired`.

use crate::model::Redirection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired-state file, format version 1.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rcdomains desired state")]
pub struct RawFile {
    /// Format version; must be 1.
    pub version: u32,
    pub target: Option<RawTarget>,
    pub defaults: Option<RawDefaults>,
    pub ssl: Option<RawSsl>,
    pub dns: Option<RawDns>,
    pub removals: Option<RawRemovals>,
    /// The names the web application should serve: a plain name (defaults apply) or an entry
    /// with per-domain overrides or `state: absent`.
    pub domains: Vec<RawEntry>,
}

/// The top-level keys of the file, in order. A test keeps this in step with `RawFile`.
pub const TOP_LEVEL_KEYS: [&str; 7] = [
    "version", "target", "defaults", "ssl", "dns", "removals", "domains",
];

/// Which RunCloud server and web application the file describes. Either may instead come
/// from `RUNCLOUD_SERVER_ID` / `RUNCLOUD_APP_ID`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// RunCloud server id.
    #[schemars(range(min = 1))]
    pub server: Option<u64>,
    /// RunCloud web application id.
    #[schemars(range(min = 1))]
    pub app: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    /// Also serve `www.<name>`: true, false, or `apex` (only for registrable domains, per the
    /// Public Suffix List). Default: true.
    pub www: Option<WwwSetting>,
    /// Default: non-www.
    pub redirection: Option<Redirection>,
}

/// `www: true | false | apex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum WwwSetting {
    Flag(bool),
    Mode(WwwMode),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WwwMode {
    /// `www.` only for registrable domains (`example.org`, not `shop.example.org`).
    Apex,
}

impl<'de> Deserialize<'de> for WwwSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(b) => Ok(WwwSetting::Flag(b)),
            serde_json::Value::String(s) if s == "apex" => Ok(WwwSetting::Mode(WwwMode::Apex)),
            other => Err(serde::de::Error::custom(format!(
                "`www` must be true, false or apex, not {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SslMode {
    /// Follow the app's live mode.
    #[default]
    Auto,
    /// One certificate for the whole app.
    Basic,
    /// One certificate per domain.
    Advanced,
    /// No SSL actions.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SslEnvironment {
    #[default]
    Live,
    Staging,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSsl {
    /// Default: auto.
    pub mode: Option<SslMode>,
    /// Let's Encrypt environment. Default: live.
    pub environment: Option<SslEnvironment>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDns {
    /// Order certificates only for names whose DNS points at the server. Default: true.
    pub require: Option<bool>,
    /// Extra IPs or CIDRs that count as "the server" (a proxy or CDN in front).
    pub also_accept: Option<Vec<String>>,
    /// The server's public IP address, used when RunCloud's answer for the server holds none
    /// readable. RunCloud's own address wins when it gives one.
    pub server_ip: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRemovals {
    /// Remove live aliases that the file does not list. Default: false.
    pub prune: Option<bool>,
    /// Names, or `*.suffix` patterns, that are never removed.
    pub protect: Option<Vec<String>>,
    /// At most this many removals in one run. Default: 10.
    pub max: Option<u32>,
    /// At most this share (percent) of the live aliases in one run. Default: 30.
    #[schemars(range(max = 100))]
    pub max_percent: Option<u8>,
    /// Never prune an alias RunCloud created less than this long ago (e.g. `24h`, `90m`,
    /// `0s`, or `0` to prune regardless of age). Default: 24h.
    pub grace: Option<Grace>,
}

/// `removals.grace`: a duration (`24h`, `90m`), or a number of seconds (`0`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Grace {
    Seconds(u64),
    Text(String),
}

/// One entry of `domains`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawEntry {
    /// A name; the defaults apply.
    Short(String),
    Long(RawDomain),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    pub name: String,
    pub www: Option<WwwSetting>,
    pub redirection: Option<Redirection>,
    /// `absent` removes the name even when `prune` is false (a tombstone).
    pub state: Option<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}
