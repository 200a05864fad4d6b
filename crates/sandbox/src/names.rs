//! Host-name rules of the simulated RunCloud: what counts as a valid domain name and how names
//! compare. Pure functions; must not touch the world or HTTP.

/// Lower case, without a trailing dot: the form names are stored and compared in.
pub(crate) fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A host name RunCloud would accept: at least two labels of letters, digits and hyphens
/// (no leading or trailing hyphen, 1..=63 characters), at most 253 characters, not an IP address,
/// and a top-level label that is not all digits.
pub(crate) fn is_hostname(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 || name.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    labels_ok
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether certificate name `pattern` (possibly `*.example.com`) covers host `name`.
pub(crate) fn cert_name_matches(pattern: &str, name: &str) -> bool {
    let pattern = normalise(pattern);
    let name = normalise(name);
    if let Some(suffix) = pattern.strip_prefix("*.") {
        name.split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix)
    } else {
        pattern == name
    }
}
