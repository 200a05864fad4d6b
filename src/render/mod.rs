//! Rendering plans and apply reports as text, JSON and Markdown.
//!
//! Owns the look of every result: pure functions from data to `String`. Must not print (that
//! is `output`'s job) nor decide anything (that is `plan`'s). Every string from outside — a
//! name, an API message, a DNS or TLS error — is shown through `crate::escape` (`text_name`
//! and `md_name` for names): it stays data, whatever it holds.

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
/// follows it — empty for a valid host name, else " (invalid host name)", with the length
/// when cut.
fn name_parts(name: &str) -> (&str, String) {
    if crate::escape::is_host_name(name) {
        return (name, String::new());
    }
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

/// A name as the text formats show it: control characters escaped, marked when invalid.
pub(crate) fn text_name(name: &crate::model::DomainName) -> String {
    let (shown, mark) = name_parts(name.as_str());
    format!("{}{mark}", crate::escape::text(shown))
}

/// A name as Markdown shows it: as code (`escape::md_code`), marked when invalid.
pub(crate) fn md_name(name: &crate::model::DomainName) -> String {
    let (shown, mark) = name_parts(name.as_str());
    format!("{}{mark}", crate::escape::md_code(shown))
}

/// Stands around the index of a name in a reason's wording (a private-use character: no
/// wording holds one).
const NAME_MARK: char = '\u{e000}';

/// Why an item was deferred, for the reasons that hold names: `DeferReason`'s own wording,
/// with each name shown by `name` and the wording around them by `wording`. `None` for the
/// other reasons, which each format shows whole in its own way.
pub(crate) fn defer_reason_with_names(
    reason: &crate::plan::DeferReason,
    name: &dyn Fn(&crate::model::DomainName) -> String,
    wording: &dyn Fn(&str) -> String,
) -> Option<String> {
    use crate::model::DomainName;
    use crate::plan::DeferReason;
    // The reason is worded with stand-ins for its names, so that the wording stays the one
    // `Display` has, and the names are then put back, each shown as names are.
    let mut stand_in = reason.clone();
    let names = match &mut stand_in {
        DeferReason::SslNamesNotReady { names, .. }
        | DeferReason::AutoSsl {
            not_covered: names, ..
        } => names,
        _ => return None,
    };
    let real = std::mem::take(names);
    *names = (0..real.len())
        .map(|i| DomainName::new_unchecked(format!("{NAME_MARK}{i}{NAME_MARK}")))
        .collect();
    let worded = stand_in.to_string();
    Some(
        worded
            .split(NAME_MARK)
            .enumerate()
            .map(
                |(k, piece)| match piece.parse::<usize>().ok().and_then(|i| real.get(i)) {
                    Some(n) if k % 2 == 1 => name(n),
                    _ => wording(piece),
                },
            )
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DomainName;
    use crate::plan::DeferReason;

    #[test]
    fn defer_reasons_with_names_keep_the_wording_of_their_display() {
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
        ] {
            let ours = defer_reason_with_names(&reason, &|n| n.to_string(), &|s| s.to_string());
            assert_eq!(ours, Some(reason.to_string()));
        }
        let reason = DeferReason::OverCertificateLimit { names: 101 };
        assert_eq!(
            defer_reason_with_names(&reason, &|n| n.to_string(), &|s| s.to_string()),
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
}
