//! Host-name normalisation and checking, and `protect` patterns.
//!
//! Owns the rules a desired name must meet: lower case, no trailing dot, IDN to punycode (via
//! the `idna` crate, UTS #46), labels of at most 63 and names of at most 253 characters,
//! letters/digits/hyphens, at least two labels, not an IP address. Pure; no I/O.

use crate::model::DomainName;
use std::fmt;

/// Why a name was refused, phrased so that it can follow "name `x` is invalid: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

fn bad(reason: impl Into<String>) -> NameError {
    NameError {
        reason: reason.into(),
    }
}

/// Normalises and checks a host name.
pub fn normalise(input: &str) -> Result<DomainName, NameError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad("the name is empty"));
    }
    if trimmed.contains("://") || trimmed.contains('/') {
        return Err(bad(
            "it looks like a URL; write only the host name (e.g. `shop.example.org`)",
        ));
    }
    if trimmed.contains('*') {
        return Err(bad("wildcards are not domain names; list each name"));
    }
    let no_dot = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if no_dot.parse::<std::net::IpAddr>().is_ok()
        || no_dot
            .trim_matches(['[', ']'])
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
    {
        return Err(bad("it is an IP address, not a domain name"));
    }
    let ascii = idna::domain_to_ascii(no_dot)
        .map_err(|_| bad("it is not a valid internationalised domain name (IDNA)"))?;
    if ascii.len() > 253 {
        return Err(bad(format!(
            "it is {} characters long; a name has at most 253",
            ascii.len()
        )));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err(bad(
            "it has only one label; a domain name has at least two (e.g. `example.org`)",
        ));
    }
    for label in &labels {
        if label.is_empty() {
            return Err(bad("it has an empty label (two dots in a row)"));
        }
        if label.len() > 63 {
            return Err(bad(format!(
                "the label `{label}` is {} characters long; a label has at most 63",
                label.len()
            )));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(bad(format!(
                "the label `{label}` holds `{c}`; only letters, digits and hyphens are allowed"
            )));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad(format!(
                "the label `{label}` starts or ends with a hyphen"
            )));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad(
            "its last label is all digits; that is not a top-level domain",
        ));
    }
    Ok(DomainName::new_unchecked(ascii))
}

/// Whether `name` is a registrable domain (`example.co.uk`, not `shop.example.co.uk`), per the
/// Public Suffix List. Used for `www: apex`.
pub fn is_registrable(name: &DomainName) -> bool {
    psl::domain(name.as_str().as_bytes()).is_some_and(|d| d.as_bytes() == name.as_str().as_bytes())
}

/// A `removals.protect` entry: an exact name, or `*.suffix` matching any name below `suffix`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pattern {
    Exact(DomainName),
    Below(DomainName),
}

impl Pattern {
    pub fn parse(input: &str) -> Result<Pattern, NameError> {
        match input.trim().strip_prefix("*.") {
            Some(rest) => normalise(rest).map(Pattern::Below),
            None => normalise(input).map(Pattern::Exact),
        }
    }

    pub fn matches(&self, name: &DomainName) -> bool {
        match self {
            Pattern::Exact(n) => n == name,
            Pattern::Below(suffix) => name
                .as_str()
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(n) => write!(f, "{n}"),
            Pattern::Below(n) => write!(f, "*.{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        normalise(s).unwrap().as_str().to_string()
    }

    #[test]
    fn normalises_case_trailing_dot_and_idn() {
        assert_eq!(ok("Shop.Example.ORG."), "shop.example.org");
        assert_eq!(ok("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(ok("ÉCOLE.example"), "xn--cole-9oa.example");
        assert_eq!(ok(" a-b.example "), "a-b.example");
    }

    #[test]
    fn refuses_invalid_names_with_a_reason() {
        for (input, needle) in [
            ("localhost", "only one label"),
            ("10.0.0.1", "IP address"),
            ("::1", "IP address"),
            ("a..example", "empty label"),
            ("under_score.example", "`_`"),
            ("-lead.example", "hyphen"),
            ("https://shop.example", "URL"),
            ("*.example.org", "wildcard"),
            ("", "empty"),
            ("example.123", "all digits"),
        ] {
            let err = normalise(input).expect_err(input);
            assert!(err.reason.contains(needle), "{input}: {}", err.reason);
        }
        let long_label = format!("{}.example", "a".repeat(64));
        assert!(normalise(&long_label).unwrap_err().reason.contains("63"));
        let long_name = format!("{}example", "abcdefghi.".repeat(25));
        assert!(normalise(&long_name).unwrap_err().reason.contains("253"));
    }

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert!(is_registrable(&normalise("example.co.uk").unwrap()));
        assert!(!is_registrable(&normalise("shop.example.co.uk").unwrap()));
        assert!(is_registrable(&normalise("example.org").unwrap()));
        assert!(!is_registrable(&normalise("blog.example.org").unwrap()));
    }

    #[test]
    fn patterns_match_exact_names_and_names_below() {
        let p = Pattern::parse("*.network.example").unwrap();
        assert!(p.matches(&normalise("a.network.example").unwrap()));
        assert!(p.matches(&normalise("b.a.network.example").unwrap()));
        assert!(!p.matches(&normalise("network.example").unwrap()));
        assert!(!p.matches(&normalise("evilnetwork.example").unwrap()));
        let e = Pattern::parse("Network.Example").unwrap();
        assert!(e.matches(&normalise("network.example").unwrap()));
        assert!(!e.matches(&normalise("a.network.example").unwrap()));
    }
}
