//! The desired-state file as written: the types the JSON Schema is generated from.
//!
//! Owns the file's shape (keys, value types, defaults documented for editors) and where its
//! schema is published. These types never reach the planner: `desired::validate` turns them
//! into `Desired`.

use crate::model::Redirection;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Where the desired file's JSON Schema is published: the schema's `$id`, and the reference
/// `generate` writes into a new file's `# yaml-language-server: $schema=` line (a relative
/// file beside the output would usually not exist).
pub const SCHEMA_ID: &str =
    "https://github.com/rcdomains/rcdomains/raw/main/schema/desired.schema.json";

/// The desired-state file, format version 1.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rcdomains desired state", extend("$id" = SCHEMA_ID))]
pub struct RawFile {
    /// Format version; must be 1.
    #[schemars(schema_with = "version_one")]
    pub version: u32,
    pub target: Option<RawTarget>,
    pub defaults: Option<RawDefaults>,
    pub ssl: Option<RawSsl>,
    pub dns: Option<RawDns>,
    pub removals: Option<RawRemovals>,
    /// The names the web application should serve: a plain name (defaults apply) or an entry
    /// with per-domain overrides or `state: absent`. Required; left empty (null, e.g. when
    /// every entry is commented out) it lists no name, like `[]`.
    #[schemars(schema_with = "list_or_null")]
    pub domains: Vec<RawEntry>,
}

/// `domains:`, required, may be left empty (null): the validator reads it as `[]`.
fn list_or_null(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<Option<Vec<RawEntry>>>()
}

fn version_one(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "integer", "const": 1 })
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
    #[schemars(with = "Option<Vec<Protected>>")]
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
    Short(#[schemars(with = "HostName")] String),
    Long(RawDomain),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    #[schemars(with = "HostName")]
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

/// A name in `domains` (a plain entry, or `name:`), for the schema only: the program reads a
/// `String` and judges it with `name::normalise`.
struct HostName;

impl JsonSchema for HostName {
    fn schema_name() -> Cow<'static, str> {
        "HostName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A host name, in ASCII or in Unicode (IDN): it is lower-cased, a trailing dot is dropped, and Unicode becomes punycode.",
            "type": "string",
            "pattern": format!("^{TRIMMED}*(?:{}){TRIMMED}*$", host_name_core()),
        })
    }
}

/// A `removals.protect` entry, for the schema only (`name::Pattern::parse` judges it).
struct Protected;

impl JsonSchema for Protected {
    fn schema_name() -> Cow<'static, str> {
        "Protected".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A host name, or `*.` and a host name for every name below it.",
            "type": "string",
            "pattern": format!(r"^{TRIMMED}*(?:\*\.{TRIMMED}*)?(?:{}){TRIMMED}*$", host_name_core()),
        })
    }
}

// The patterns of names. The program's rules (`name::normalise`) are the judge; a pattern
// only catches in the editor what the program surely refuses, and accepts every name the
// program accepts (tests/desired_schema.rs checks this). So it refuses ASCII characters other
// than letters, digits, hyphens and dots; an ASCII label that is empty or starts or ends with
// a hyphen, or (but for the last) is longer than 63; a single ASCII label; and an all-digit
// last label (an IPv4 address). A label holding any other character is left to the program,
// since IDNA may map that character to letters, to a dot (`。`) or to nothing; for the same
// reason the whole name is not length checked. The white space `trim` removes around a name
// is allowed.

/// What `str::trim` removes around a name: Unicode's White_Space characters.
const TRIMMED: &str =
    r"[\x09-\x0D\x20\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A host name between the white space, with an optional trailing dot.
fn host_name_core() -> String {
    let alnum = "[A-Za-z0-9]";
    let ldh = "[A-Za-z0-9-]";
    let other = r"[^\x00-\x7F]";
    let ascii = format!("{alnum}(?:{ldh}{{0,61}}{alnum})?");
    // Punycode moves a label's ASCII to its front, so a hyphen at either end is fine here.
    let mixed = format!("{ldh}*{other}(?:{ldh}|{other})*");
    let top = format!("[0-9]*[A-Za-z](?:{ldh}*{alnum})?|[0-9]+-{ldh}*{alnum}");
    format!(r"(?:(?:{ascii}|{mixed})\.)+(?:{top}|{mixed})\.?|{mixed}\.?")
}
