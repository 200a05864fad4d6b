//! `Secret`: a credential that can be used but never shown.
//!
//! Owns the one place a credential's text can be read (`expose`). Its `Debug` and `Display`
//! print `[redacted]`, so a credential cannot leak through a log line, an error or a panic.
//! Must not implement `Serialize`: nothing that writes plans or reports can hold one.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential's text, for the one place that sends it (the HTTP client).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Removes credentials from text that came back from outside (an error page echoing the
/// request, a proxy's diagnostics) in every form a credential can come back in: as sent, URL
/// percent-encoded (either hex case, `+` for spaces), JSON-escaped, base64, and a key pair's
/// `key:secret` in base64 (what `Authorization: Basic …` carries). Scrub before cutting an
/// excerpt, so that no prefix of a secret survives the cut.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Every form, longest first.
    forms: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} forms)", self.forms.len())
    }
}

impl Scrubber {
    /// `secrets`: each credential alone; `pairs`: key and secret sent together as Basic auth.
    pub fn new(secrets: &[&Secret], pairs: &[(&Secret, &Secret)]) -> Scrubber {
        let mut forms = Vec::new();
        for s in secrets.iter().filter(|s| !s.is_empty()) {
            let raw = s.expose();
            forms.push(raw.to_string());
            for (lower, plus) in [(false, false), (true, false), (false, true), (true, true)] {
                forms.push(percent_encode(raw, lower, plus));
            }
            let json = serde_json::to_string(raw).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            forms.push(json.replace('/', "\\/"));
            forms.push(json);
            forms.push(base64(raw.as_bytes()));
        }
        for (k, v) in pairs {
            let joined = format!("{}:{}", k.expose(), v.expose());
            forms.push(base64(joined.as_bytes()));
            forms.push(base64(joined.as_bytes()).trim_end_matches('=').to_string());
        }
        // Every non-empty form, however short: a short secret is still a secret.
        forms.retain(|f| !f.is_empty());
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        Scrubber { forms }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for f in &self.forms {
            if out.contains(f.as_str()) {
                out = out.replace(f.as_str(), "[redacted]");
            }
        }
        out
    }

    /// The scrubbed text of the first `max` bytes of `body`. When that cuts the body short, a
    /// credential the cut split is no longer whole, so no form matches it: the text then ends
    /// before where such a partial credential could begin (the longest form's length, less
    /// one, from its end).
    pub fn scrub_head(&self, body: &[u8], max: usize) -> String {
        if body.len() <= max {
            return self.scrub(&String::from_utf8_lossy(body));
        }
        let mut text = self.scrub(&String::from_utf8_lossy(&body[..max]));
        let longest = self.forms.first().map_or(0, String::len);
        let mut keep = text.len().saturating_sub(longest.saturating_sub(1));
        while !text.is_char_boundary(keep) {
            keep -= 1;
        }
        text.truncate(keep);
        text
    }
}

/// `%XX` for every byte but RFC 3986's unreserved ones; `lower` hex digits; `plus`: a space
/// as `+` (form encoding).
fn percent_encode(s: &str, lower: bool, plus: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char);
            }
            b' ' if plus => out.push('+'),
            _ if lower => out.push_str(&format!("%{b:02x}")),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_a_secret_is_scrubbed() {
        let key = Secret::new("key-1");
        let secret = Secret::new("s3cr/et+ value");
        let sc = Scrubber::new(&[&key, &secret], &[(&key, &secret)]);
        let basic = base64(b"key-1:s3cr/et+ value");
        for leak in [
            "s3cr/et+ value".to_string(),
            "s3cr%2Fet%2B%20value".to_string(),
            "s3cr%2fet%2b%20value".to_string(),
            "s3cr%2Fet%2B+value".to_string(),
            "s3cr\\/et+ value".to_string(),
            base64(b"s3cr/et+ value"),
            format!("Authorization: Basic {basic}"),
            format!("Basic {}", basic.trim_end_matches('=')),
        ] {
            let out = sc.scrub(&format!("echo: {leak} end"));
            assert!(out.contains("[redacted]"), "{leak} -> {out}");
            assert!(!out.contains("s3cr"), "{leak} -> {out}");
            assert!(
                !out.contains(basic.trim_end_matches('=')),
                "{leak} -> {out}"
            );
        }
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn a_head_cut_across_a_secret_shows_no_part_of_it() {
        let secret = Secret::new("s3cr/et+ value");
        let sc = Scrubber::new(&[&secret], &[]);
        let body = format!("{}s3cr/et+ value tail", "x".repeat(20));
        let whole = format!("{}[redacted] tail", "x".repeat(20));
        assert_eq!(sc.scrub_head(body.as_bytes(), body.len()), whole);
        for max in 0..body.len() {
            let head = sc.scrub_head(body.as_bytes(), max);
            assert!(!head.contains("s3"), "{max}: {head}");
            assert!(whole.starts_with(&head), "{max}: {head}");
        }
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-token");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
        assert_eq!(s.expose(), "hunter2-token");
    }
}
