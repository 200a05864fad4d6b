//! The desired-state file: loading, validating, and the checked `Desired` it becomes.
//!
//! Owns every rule a desired-state file must meet and the messages that explain a broken one
//! (file, line, fix), reporting all problems of a file at once. Reading the file is the only
//! I/O here; everything after `load_str` is pure. It must not talk to RunCloud or DNS.

pub mod name;
pub mod raw;
pub mod yaml;

use crate::model::{DomainName, DomainSettings, Redirection};
use ipnet::IpNet;
use name::Pattern;
use raw::{
    RawDefaults, RawDns, RawDomain, RawRemovals, RawSsl, RawTarget, SslEnvironment, SslMode, State,
    WwwMode, WwwSetting,
};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;
use yaml::{Node, Value};

/// A desired-state file that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// Where it came from, for messages.
    pub source: String,
    pub target: Target,
    pub ssl_mode: SslMode,
    pub ssl_environment: SslEnvironment,
    pub dns: DnsPolicy,
    pub removals: RemovalPolicy,
    /// Names that must be attached, sorted by name.
    pub domains: Vec<DesiredDomain>,
    /// Names that must not be attached (`state: absent`), sorted.
    pub tombstones: Vec<DomainName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target {
    pub server: Option<u64>,
    pub app: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredDomain {
    pub name: DomainName,
    pub settings: DomainSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsPolicy {
    pub require: bool,
    /// The networks that count as "the server" besides its own address, as written.
    pub also_accept: Vec<AlsoAccept>,
    /// `dns.server_ip`: the server's address when RunCloud's answer holds none.
    pub server_ip: Option<std::net::IpAddr>,
}

/// One `dns.also_accept` entry: the network it stands for (an IP address is a network of one),
/// parsed once when the file is validated, and the entry as written, which a saved plan keeps
/// as the reviewer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlsoAccept {
    pub net: IpNet,
    pub written: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPolicy {
    pub prune: bool,
    pub protect: Vec<Pattern>,
    pub max: u32,
    pub max_percent: u8,
    pub grace: Duration,
}

impl RemovalPolicy {
    pub fn is_protected(&self, name: &DomainName) -> bool {
        self.protect.iter().any(|p| p.matches(name))
    }
}

impl Desired {
    /// `domains` lists no present name while `prune` would remove every unlisted alias.
    pub fn is_empty_with_prune(&self) -> bool {
        self.domains.is_empty() && self.removals.prune
    }
}

pub const DEFAULT_WWW: bool = true;
pub const DEFAULT_REDIRECTION: Redirection = Redirection::NonWww;
pub const DEFAULT_MAX_REMOVALS: u32 = 10;
pub const DEFAULT_MAX_PERCENT: u8 = 30;
pub const DEFAULT_GRACE: Duration = Duration::from_secs(24 * 3600);

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

/// Why a desired-state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the desired-state file {file}")]
    Read {
        file: String,
        #[source]
        source: crate::input::InputError,
    },
    #[error(
        "there is no desired-state file {file}: point -f at yours, or create one with `rcdomains generate --from runcloud` (or --from um-rest / wp-cli); `rcdomains schema` describes the format"
    )]
    Missing { file: String },
    #[error(
        "{file}:{line}:{column}: the file is not valid YAML: {message}\n  fix: correct the YAML syntax at that position (indentation, a missing colon, an unclosed quote or bracket)"
    )]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}", render_problems(file, problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

fn render_problems(file: &str, problems: &[Problem]) -> String {
    let mut out = format!(
        "{file} has {} problem{}:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        match p.line {
            Some(l) => out.push_str(&format!(
                "\n  {file}:{l}: {}\n    fix: {}",
                p.message, p.fix
            )),
            None => out.push_str(&format!("\n  {file}: {}\n    fix: {}", p.message, p.fix)),
        }
    }
    out
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {} (fix: {})", self.message, self.fix),
            None => write!(f, "{} (fix: {})", self.message, self.fix),
        }
    }
}

/// Reads and validates a desired-state file.
pub fn load(path: &Path) -> Result<Desired, LoadError> {
    let file = path.display().to_string();
    let text = crate::input::read_to_string(path, "the desired-state file").map_err(|source| {
        if source.is_not_found() {
            LoadError::Missing { file: file.clone() }
        } else {
            LoadError::Read {
                file: file.clone(),
                source,
            }
        }
    })?;
    load_str(&text, &file)
}

/// Validates a desired-state file's text; `file` names it in messages.
pub fn load_str(text: &str, file: &str) -> Result<Desired, LoadError> {
    let root = yaml::parse(text).map_err(|e| LoadError::Syntax {
        file: file.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let mut v = Validator::default();
    for d in yaml::duplicate_keys(&root) {
        let at = if d.path.is_empty() {
            "the top level".to_string()
        } else {
            format!("`{}`", d.path)
        };
        v.problem(
            d.line,
            format!(
                "`{}` appears twice in {at} (lines {} and {}); YAML keys must be unique, and a reader could take either value",
                d.key, d.first_line, d.line
            ),
            "keep one of the two lines",
        );
    }
    let desired = v.file(&root, file);
    match desired {
        Some(d) if v.problems.is_empty() => Ok(d),
        _ => Err(LoadError::Invalid {
            file: file.to_string(),
            problems: v.problems,
        }),
    }
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, line: impl Into<Option<usize>>, message: String, fix: impl Into<String>) {
        self.problems.push(Problem {
            line: line.into(),
            message,
            fix: fix.into(),
        });
    }

    /// Deserialises a mapping section; on failure reports each bad key at its own line.
    fn section<T: DeserializeOwned + Default>(&mut self, node: Option<&Node>, what: &str) -> T {
        let Some(node) = node else {
            return T::default();
        };
        if node.value == Value::Null {
            return T::default();
        }
        self.mapping::<T>(node, what, &[]).unwrap_or_default()
    }

    fn mapping<T: DeserializeOwned>(
        &mut self,
        node: &Node,
        what: &str,
        keep: &[&str],
    ) -> Option<T> {
        let Value::Map(entries) = &node.value else {
            self.problem(
                node.line,
                format!(
                    "`{what}` must be a mapping of keys, but it is {}",
                    node.kind()
                ),
                format!("write `{what}:` followed by indented `key: value` lines"),
            );
            return None;
        };
        if let Ok(v) = serde_json::from_value::<T>(node.to_json()) {
            return Some(v);
        }
        let kept: Vec<(String, serde_json::Value)> = entries
            .iter()
            .filter_map(|(k, v)| {
                k.as_str()
                    .filter(|k| keep.contains(k))
                    .map(|k| (k.to_string(), v.to_json()))
            })
            .collect();
        let before = self.problems.len();
        for (k, v) in entries {
            let key = k
                .as_str()
                .map_or_else(|| format!("{:?}", k.to_json()), str::to_string);
            let mut single: serde_json::Map<String, serde_json::Value> =
                kept.iter().cloned().collect();
            single.insert(key.clone(), v.to_json());
            if let Err(e) = serde_json::from_value::<T>(serde_json::Value::Object(single)) {
                let msg = e.to_string();
                if msg.starts_with("unknown field") {
                    self.problem(
                        k.line,
                        format!("unknown key `{key}` in `{what}`"),
                        format!(
                            "remove it or correct its spelling; {}",
                            msg.replace("unknown field", "the key").replacen(
                                ", expected",
                                " is not allowed, expected",
                                1
                            )
                        ),
                    );
                } else if !msg.starts_with("missing field") {
                    self.problem(
                        v.line,
                        format!("`{key}` in `{what}` is invalid: {msg}"),
                        fix_for(what, &key),
                    );
                }
            }
        }
        if self.problems.len() == before {
            let e = serde_json::from_value::<T>(node.to_json()).err();
            let msg = e.map(|e| e.to_string()).unwrap_or_default();
            let fix = if msg.starts_with("missing field `name`") {
                "add `name: <domain>` to the entry".to_string()
            } else {
                format!("correct `{what}` as the schema describes (rcdomains schema)")
            };
            self.problem(node.line, format!("`{what}` is invalid: {msg}"), fix);
        }
        None
    }

    fn file(&mut self, root: &Node, file: &str) -> Option<Desired> {
        let Value::Map(entries) = &root.value else {
            self.problem(
                root.line,
                format!(
                    "the file must be a mapping with `version: 1` and `domains:`, but it is {}",
                    root.kind()
                ),
                "start from examples/domains.yaml",
            );
            return None;
        };
        self.top_level_keys(entries);
        self.version(root);
        let target = self.target(root);
        let defaults: RawDefaults = self.section(root.get("defaults"), "defaults");
        let ssl: RawSsl = self.section(root.get("ssl"), "ssl");
        let dns: RawDns = self.section(root.get("dns"), "dns");
        let removals: RawRemovals = self.section(root.get("removals"), "removals");
        let dns = self.dns_policy(root.get("dns"), dns);
        let policy = self.removal_policy(root.get("removals"), removals);

        let default_www = defaults.www.unwrap_or(WwwSetting::Flag(DEFAULT_WWW));
        let default_redirection = defaults.redirection.unwrap_or(DEFAULT_REDIRECTION);
        let (domains, tombstones) = self.domains(root, default_www, default_redirection, &policy);

        Some(Desired {
            source: file.to_string(),
            target,
            ssl_mode: ssl.mode.unwrap_or_default(),
            ssl_environment: ssl.environment.unwrap_or_default(),
            dns,
            removals: policy,
            domains,
            tombstones,
        })
    }

    fn top_level_keys(&mut self, entries: &[(Node, Node)]) {
        for (k, _) in entries {
            match k.as_str() {
                Some(key) if raw::TOP_LEVEL_KEYS.contains(&key) => {}
                _ => {
                    let key = k
                        .as_str()
                        .map_or_else(|| format!("{:?}", k.to_json()), str::to_string);
                    self.problem(
                        k.line,
                        format!("unknown top-level key `{key}`"),
                        format!(
                            "remove it or correct its spelling; allowed keys: {}",
                            raw::TOP_LEVEL_KEYS.join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn version(&mut self, root: &Node) {
        match root.get("version").map(|n| &n.value) {
            Some(Value::Int(1)) => {}
            Some(_) => self.problem(
                root.get("version").map(|n| n.line),
                "unsupported `version`; this rcdomains reads format version 1".to_string(),
                "set `version: 1`",
            ),
            None => self.problem(
                None,
                "`version` is missing".to_string(),
                "add `version: 1` as the first line",
            ),
        }
    }

    fn target(&mut self, root: &Node) -> Target {
        let target: RawTarget = self.section(root.get("target"), "target");
        for (key, value) in [("server", target.server), ("app", target.app)] {
            if value == Some(0) {
                let line = root.get("target").and_then(|t| t.get(key)).map(|n| n.line);
                self.problem(
                    line,
                    format!("`target.{key}` is 0"),
                    "use the id RunCloud shows for it (a positive number)",
                );
            }
        }
        Target {
            server: target.server,
            app: target.app,
        }
    }

    /// `dns`: each `also_accept` entry read into a network, and `server_ip` into an address.
    fn dns_policy(&mut self, dns_node: Option<&Node>, dns: RawDns) -> DnsPolicy {
        let mut also_accept = Vec::new();
        for (i, entry) in dns.also_accept.unwrap_or_default().into_iter().enumerate() {
            match parse_ip_or_cidr(&entry) {
                Ok(net) => also_accept.push(AlsoAccept {
                    net,
                    written: entry,
                }),
                Err(why) => {
                    let line = item_line(dns_node, "also_accept", i);
                    self.problem(
                        line,
                        format!("`dns.also_accept` entry `{entry}` is invalid: {why}"),
                        "write an IP address (203.0.113.7, 2001:db8::1) or a CIDR (203.0.113.0/24)",
                    );
                }
            }
        }
        let server_ip = match dns.server_ip.as_deref().map(str::trim) {
            None => None,
            Some(raw) => match raw.parse::<std::net::IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    let line = dns_node.and_then(|d| d.get("server_ip")).map(|n| n.line);
                    self.problem(
                        line,
                        format!("`dns.server_ip` `{raw}` is not an IP address"),
                        "write the server's public address as RunCloud shows it (203.0.113.7, or 2001:db8::1)",
                    );
                    None
                }
            },
        };
        DnsPolicy {
            require: dns.require.unwrap_or(true),
            also_accept,
            server_ip,
        }
    }

    /// `removals`: the protect patterns, the grace period and the caps.
    fn removal_policy(&mut self, rem_node: Option<&Node>, removals: RawRemovals) -> RemovalPolicy {
        let mut protect = Vec::new();
        for (i, p) in removals.protect.unwrap_or_default().iter().enumerate() {
            match Pattern::parse(p) {
                Ok(pat) => protect.push(pat),
                Err(e) => {
                    let line = item_line(rem_node, "protect", i);
                    self.problem(
                        line,
                        format!("`removals.protect` entry `{p}` is invalid: {e}"),
                        "write a domain name or `*.` followed by one",
                    );
                }
            }
        }
        let grace = match &removals.grace {
            None => DEFAULT_GRACE,
            Some(raw::Grace::Seconds(s)) => Duration::from_secs(*s),
            Some(raw::Grace::Text(g)) if g.trim().parse::<u64>().is_ok() => {
                Duration::from_secs(g.trim().parse().unwrap_or_default())
            }
            Some(raw::Grace::Text(g)) => match humantime::parse_duration(g.trim()) {
                Ok(d) => d,
                Err(e) => {
                    let line = rem_node.and_then(|r| r.get("grace")).map(|n| n.line);
                    self.problem(
                        line,
                        format!("`removals.grace` `{g}` is not a duration: {e}"),
                        "write a duration such as `24h`, `90m` or `0s`",
                    );
                    DEFAULT_GRACE
                }
            },
        };
        if let Some(p) = removals.max_percent
            && p > 100
        {
            let line = rem_node.and_then(|r| r.get("max_percent")).map(|n| n.line);
            self.problem(
                line,
                format!("`removals.max_percent` is {p}"),
                "use a percentage from 0 to 100",
            );
        }
        RemovalPolicy {
            prune: removals.prune.unwrap_or(false),
            protect,
            max: removals.max.unwrap_or(DEFAULT_MAX_REMOVALS),
            max_percent: removals.max_percent.unwrap_or(DEFAULT_MAX_PERCENT),
            grace,
        }
    }

    fn domains(
        &mut self,
        root: &Node,
        default_www: WwwSetting,
        default_redirection: Redirection,
        policy: &RemovalPolicy,
    ) -> (Vec<DesiredDomain>, Vec<DomainName>) {
        let defaults = (default_www, default_redirection);
        // name -> (line, settings; `None` for a tombstone)
        let mut seen: BTreeMap<DomainName, (usize, Option<DomainSettings>)> = BTreeMap::new();
        for item in self.domain_items(root) {
            let Some((raw, name, settings)) = self.entry(item, defaults, policy) else {
                continue;
            };
            if let Some((first, _)) = seen.get(&name) {
                let same = if raw.trim() == name.as_str() {
                    String::new()
                } else {
                    format!(" (`{}` normalises to it)", raw.trim())
                };
                self.problem(
                    item.line,
                    format!("`{name}` is listed twice{same}: first on line {first}"),
                    "keep one entry per name; merge their settings",
                );
                continue;
            }
            seen.insert(name, (item.line, settings));
        }
        self.www_twins(&seen);
        let mut domains = Vec::new();
        let mut tombstones = Vec::new();
        for (name, (_, settings)) in seen {
            match settings {
                Some(settings) => domains.push(DesiredDomain { name, settings }),
                None => tombstones.push(name),
            }
        }
        (domains, tombstones)
    }

    /// The entries of `domains`: none when it is missing (a problem), null, or not a list (a
    /// problem).
    fn domain_items<'n>(&mut self, root: &'n Node) -> &'n [Node] {
        match root.get("domains") {
            None => {
                self.problem(None, "`domains` is missing".to_string(), "add `domains:` with one name per line (`- shop.example.org`), or `domains: []`");
                &[]
            }
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => items,
            Some(Node {
                value: Value::Null, ..
            }) => &[],
            Some(n) => {
                self.problem(
                    n.line,
                    format!("`domains` must be a list, but it is {}", n.kind()),
                    "write one entry per line, each starting with `- `",
                );
                &[]
            }
        }
    }

    /// One entry of `domains`: the name as written, normalised, and its settings (`None` for
    /// a tombstone); `None` when the entry is broken (each problem recorded).
    fn entry(
        &mut self,
        item: &Node,
        (default_www, default_redirection): (WwwSetting, Redirection),
        policy: &RemovalPolicy,
    ) -> Option<(String, DomainName, Option<DomainSettings>)> {
        let raw: RawDomain = match &item.value {
            Value::Str(s) => RawDomain {
                name: s.clone(),
                ..RawDomain::default()
            },
            Value::Map(_) => {
                let what = match item.get("name").and_then(Node::as_str) {
                    Some(n) => format!("domains entry {n}"),
                    None => "domains entry".to_string(),
                };
                self.mapping::<RawDomain>(item, &what, &["name"])?
            }
            _ => {
                self.problem(
                    item.line,
                    format!(
                        "a `domains` entry must be a name or a mapping with `name:`, but it is {}",
                        item.kind()
                    ),
                    "write `- shop.example.org` or `- name: shop.example.org`",
                );
                return None;
            }
        };
        let name = match name::normalise(&raw.name) {
            Ok(n) => n,
            Err(e) => {
                self.problem(
                    item.line,
                    format!("`{}` is not a valid domain name: {e}", raw.name),
                    "correct the name or remove the entry",
                );
                return None;
            }
        };
        let settings = match raw.state.unwrap_or_default() {
            State::Absent => {
                if raw.www.is_some() || raw.redirection.is_some() {
                    self.problem(
                        item.line,
                        format!("`{name}` has `state: absent` and also `www`/`redirection`"),
                        "a removed name has no settings; drop `www` and `redirection`",
                    );
                }
                if let Some(p) = policy.protect.iter().find(|p| p.matches(&name)) {
                    self.problem(item.line, format!("`{name}` has `state: absent` but is protected by `{p}` in `removals.protect`"), "remove the tombstone, or remove the name from `removals.protect` first");
                }
                None
            }
            State::Present => {
                let www = match raw.www.unwrap_or(default_www) {
                    WwwSetting::Flag(b) => b,
                    WwwSetting::Mode(WwwMode::Apex) => name::is_registrable(&name),
                };
                Some(DomainSettings {
                    www,
                    redirection: raw.redirection.unwrap_or(default_redirection),
                })
            }
        };
        Some((raw.name, name, settings))
    }

    /// `www.x` listed beside `x` with `www: true`: the same host twice.
    fn www_twins(&mut self, seen: &BTreeMap<DomainName, (usize, Option<DomainSettings>)>) {
        for (name, (line, settings)) in seen {
            if settings.is_none() {
                continue;
            }
            if let Some(apex) = name
                .as_str()
                .strip_prefix("www.")
                .map(|a| DomainName::new_unchecked(a.to_string()))
                && let Some((apex_line, Some(s))) = seen.get(&apex)
                && s.www
            {
                self.problem(*line, format!("`{name}` is the www twin of `{apex}` (line {apex_line}), which has `www: true`: the same host would be listed twice"), format!("remove `{name}`, or set `www: false` on `{apex}`"));
            }
        }
    }
}

/// The line of item `i` of the list under `key` in `section`, when it is a list.
fn item_line(section: Option<&Node>, key: &str, i: usize) -> Option<usize> {
    section
        .and_then(|s| s.get(key))
        .and_then(|n| match &n.value {
            Value::Seq(items) => items.get(i).map(|n| n.line),
            _ => None,
        })
}

fn fix_for(what: &str, key: &str) -> String {
    match key {
        "www" => "write `www: true`, `www: false` or `www: apex`".to_string(),
        "redirection" => "write `redirection: none`, `www` or `non-www`".to_string(),
        "mode" => "write `mode: auto`, `basic`, `advanced` or `off`".to_string(),
        "environment" => "write `environment: live` or `staging`".to_string(),
        "state" => "write `state: present` or `state: absent`".to_string(),
        "server" | "app" => "write the numeric id RunCloud shows".to_string(),
        "prune" | "require" => format!("write `{key}: true` or `{key}: false`"),
        "max" | "max_percent" => format!("write a whole number for `{key}`"),
        _ => format!("correct `{what}.{key}` as the schema describes (rcdomains schema)"),
    }
}

/// The network `s` stands for: an IP address (a network of one) or a CIDR block.
pub fn parse_ip_or_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: std::net::IpAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an IP address"))?;
    let Some(p) = prefix else {
        return Ok(IpNet::from(ip));
    };
    let bits: u8 = p
        .parse()
        .map_err(|_| format!("`/{p}` is not a prefix length"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    // The address's bits past the prefix do not matter: 10.0.0.5/24 is 10.0.0.0/24.
    IpNet::new(ip, bits)
        .map(|net| net.trunc())
        .map_err(|_| format!("a prefix of /{bits} is longer than /{max}"))
}

#[cfg(test)]
mod tests;
