//! Rendering plans and apply reports as text, JSON and Markdown.
//!
//! Owns the look of every result: pure functions from data to `String`. Must not print (that
//! is `output`'s job) nor decide anything (that is `plan`'s). Reads only the plan and model
//! types (the checks' findings, apply's report): it imports no module that owns a socket, and
//! not `saved`, which builds on `json`'s shapes. Every string from outside — a
//! name, an API message, a DNS or TLS error — is shown through `crate::escape` (`text_name`
//! and `md_name` for names): it stays data, whatever it holds.

pub mod audit;
pub mod fleet;
pub mod json;
pub mod markdown;
pub mod text;

/// Terminal styling; `plain()` when colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Self {
        Style { color: false }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// What an SSL order does, in words; `name` is the domain as the format shows names.
pub(crate) fn ssl_order_text(order: &crate::plan::SslOrder, name: &str) -> String {
    use crate::plan::SslOrder;
    match order {
        SslOrder::BasicInstall => "install the app's certificate".to_string(),
        SslOrder::BasicRedeploy { certificate_id } => {
            format!("redeploy the app's certificate {certificate_id}")
        }
        SslOrder::AdvancedInstall { .. } => format!("install a certificate for {name}"),
        SslOrder::AdvancedRedeploy { certificate_id, .. } => {
            format!("redeploy certificate {certificate_id} of {name}")
        }
    }
}

/// Names longer than any host name can be (253) are cut to this many characters for display.
const NAME_SHOWN: usize = 64;

/// A name for display: the part shown (cut when longer than any host name) and the mark that
/// follows it — empty for a host name (`DomainName::is_canonical`, the rule the planner looks
/// names up and sends them by), else " (invalid host name)", with the length when cut.
fn name_parts(name: &crate::model::DomainName) -> (&str, String) {
    if name.is_canonical() {
        return (name.as_str(), String::new());
    }
    let name = name.as_str();
    if name.len() <= 253 {
        return (name, " (invalid host name)".to_string());
    }
    let end = name
        .char_indices()
        .nth(NAME_SHOWN)
        .map_or(name.len(), |(i, _)| i);
    (
        &name[..end],
        format!("… (invalid host name, {} bytes, cut)", name.len()),
    )
}

/// Text from outside (an API message, a DNS or TLS error) is cut to this many characters for
/// display; the JSON output keeps it whole.
const OUTSIDE_SHOWN: usize = 1_000;

/// Text from outside for display: the part shown and the mark that follows it when cut.
fn outside_parts(s: &str) -> (&str, String) {
    match s.char_indices().nth(OUTSIDE_SHOWN) {
        None => (s, String::new()),
        Some((end, _)) => (&s[..end], format!("… ({} bytes in all, cut)", s.len())),
    }
}

/// Text from outside as the text formats show it: control characters escaped, cut when long.
pub(crate) fn text_outside(s: &str) -> String {
    let (shown, mark) = outside_parts(s);
    format!("{}{mark}", crate::escape::text(shown))
}

/// Text from outside as Markdown shows it: as code (`escape::md_code`), cut when long.
pub(crate) fn md_outside(s: &str) -> String {
    let (shown, mark) = outside_parts(s);
    format!("{}{mark}", crate::escape::md_code(shown))
}

/// A name as the text formats show it: control characters escaped, marked when invalid.
pub(crate) fn text_name(name: &crate::model::DomainName) -> String {
    let (shown, mark) = name_parts(name);
    format!("{}{mark}", crate::escape::text(shown))
}

/// A name as Markdown shows it: as code (`escape::md_code`), marked when invalid; an
/// international name (a punycode `xn--` label) with its Unicode form beside it, as code too.
pub(crate) fn md_name(name: &crate::model::DomainName) -> String {
    let (shown, mark) = name_parts(name);
    match unicode_form(name) {
        Some(unicode) => format!(
            "{}{mark} ({})",
            crate::escape::md_code(shown),
            crate::escape::md_code(&unicode)
        ),
        None => format!("{}{mark}", crate::escape::md_code(shown)),
    }
}

/// The Unicode form of a host name with a punycode (`xn--`) label, when it decodes cleanly
/// and differs; `None` for every other name (an invalid one included).
pub(crate) fn unicode_form(name: &crate::model::DomainName) -> Option<String> {
    let ascii = name.as_str();
    if !name.is_canonical() || !ascii.split('.').any(|l| l.starts_with("xn--")) {
        return None;
    }
    match idna::domain_to_unicode(ascii) {
        (unicode, Ok(())) if unicode != ascii => Some(unicode),
        _ => None,
    }
}

/// Stands around the index of a stand-in in a reason's wording (a private-use character: no
/// wording holds one).
const MARK: char = '\u{e000}';

/// What a stand-in in a reason's wording stands for.
enum Quoted<'a> {
    Name(&'a crate::model::DomainName),
    Outside(&'a str),
}

/// Why an item was deferred, for the reasons that quote names or other text: `DeferReason`'s
/// own wording, with each name shown by `name`, each other quoted text by `outside`, and the
/// wording around them by `wording`. `None` for the other reasons, which each format shows
/// whole in its own way.
pub(crate) fn defer_reason_parts(
    reason: &crate::plan::DeferReason,
    name: &dyn Fn(&crate::model::DomainName) -> String,
    outside: &dyn Fn(&str) -> String,
    wording: &dyn Fn(&str) -> String,
) -> Option<String> {
    use crate::model::DomainName;
    use crate::plan::DeferReason;
    let stand_in = |i: usize| format!("{MARK}{i}{MARK}");
    // The reason is worded with stand-ins for what it quotes, so that the wording stays the
    // one `Display` has; the quoted text is then put back, each shown as its kind is shown.
    let mut worded = reason.clone();
    let quoted: Vec<Quoted<'_>> = match (reason, &mut worded) {
        (
            DeferReason::SslNamesNotReady { names, .. }
            | DeferReason::AutoSsl {
                not_covered: names, ..
            },
            DeferReason::SslNamesNotReady { names: slots, .. }
            | DeferReason::AutoSsl {
                not_covered: slots, ..
            },
        ) => {
            *slots = (0..names.len())
                .map(|i| DomainName::new_unchecked(stand_in(i)))
                .collect();
            names.iter().map(Quoted::Name).collect()
        }
        (DeferReason::DnsNotReady { finding }, DeferReason::DnsNotReady { finding: slot }) => {
            *slot = stand_in(0);
            vec![Quoted::Outside(finding)]
        }
        (
            DeferReason::BackingOff { last_error, .. },
            DeferReason::BackingOff {
                last_error: slot, ..
            },
        ) => {
            *slot = stand_in(0);
            vec![Quoted::Outside(last_error)]
        }
        (
            DeferReason::LetsEncryptLimit { key: name, .. }
            | DeferReason::RunCap {
                registered_domain: name,
                ..
            },
            DeferReason::LetsEncryptLimit { key: slot, .. }
            | DeferReason::RunCap {
                registered_domain: slot,
                ..
            },
        ) => {
            *slot = DomainName::new_unchecked(stand_in(0));
            vec![Quoted::Name(name)]
        }
        _ => return None,
    };
    let worded = worded.to_string();
    let pieces = worded.split(MARK).enumerate().map(|(k, piece)| {
        let quote = piece.parse::<usize>().ok().and_then(|i| quoted.get(i));
        match quote {
            Some(Quoted::Name(n)) if k % 2 == 1 => name(n),
            Some(Quoted::Outside(s)) if k % 2 == 1 => outside(s),
            _ => wording(piece),
        }
    });
    Some(pieces.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DomainName;
    use crate::plan::DeferReason;

    #[test]
    fn defer_reasons_that_quote_keep_the_wording_of_their_display() {
        let names: Vec<DomainName> = (0..7)
            .map(|i| DomainName::from_live(&format!("n{i}.example")))
            .collect();
        for reason in [
            DeferReason::SslNamesNotReady {
                names: names.clone(),
                total: 9,
            },
            DeferReason::SslNamesNotReady {
                names: names[..2].to_vec(),
                total: 2,
            },
            DeferReason::AutoSsl {
                not_covered: names.clone(),
                assumed: false,
            },
            DeferReason::DnsNotReady {
                finding: "nxdomain".into(),
            },
            DeferReason::BackingOff {
                failures: 2,
                due_at: 1_800_000_000,
                last_error: "Let's Encrypt said no".into(),
            },
            DeferReason::LetsEncryptLimit {
                limit: crate::plan::LetsEncryptLimit::FailedValidations,
                key: names[0].clone(),
                count: 5,
                due_at: Some(1_800_000_000),
            },
            DeferReason::LetsEncryptLimit {
                limit: crate::plan::LetsEncryptLimit::DuplicateCertificate,
                key: names[0].clone(),
                count: 5,
                due_at: None,
            },
            DeferReason::RunCap {
                registered_domain: names[1].clone(),
                cap: 10,
            },
        ] {
            let same = |s: &str| s.to_string();
            let ours = defer_reason_parts(&reason, &|n| n.to_string(), &same, &same);
            assert_eq!(ours, Some(reason.to_string()));
        }
        let reason = DeferReason::OverCertificateLimit { names: 101 };
        let same = |s: &str| s.to_string();
        assert_eq!(
            defer_reason_parts(&reason, &|n| n.to_string(), &same, &same),
            None
        );
    }

    #[test]
    fn names_are_escaped_marked_and_cut() {
        let n = |s: &str| DomainName::new_unchecked(s.to_string());
        assert_eq!(text_name(&n("shop.example.org")), "shop.example.org");
        assert_eq!(
            text_name(&n("a.example\n+ b")),
            "a.example\\n+ b (invalid host name)"
        );
        let long = n(&"a".repeat(100_000));
        let shown = text_name(&long);
        assert!(shown.len() < 200, "{shown}");
        assert!(
            shown.ends_with("… (invalid host name, 100000 bytes, cut)"),
            "{shown}"
        );
        assert_eq!(md_name(&n("x.example")), "`x.example`");
        assert_eq!(md_name(&n("a|b")), "`a`\\|`b` (invalid host name)");
    }

    #[test]
    fn long_text_from_outside_is_cut_with_its_length() {
        let message = "x\n".repeat(50_000);
        let shown = text_outside(&message);
        assert!(shown.ends_with("… (100000 bytes in all, cut)"), "{shown}");
        assert!(shown.len() < 1_600, "{}", shown.len());
        assert_eq!(md_outside("a`b"), "``a`b``");
    }
}
