//! Escaping of text that came from outside — names from RunCloud or a desired file, API
//! messages, DNS and TLS error text — before it is shown.
//!
//! Owns the schemes every renderer and `output` use: `text` for terminals and logs (control
//! characters shown visibly, `\n`, `\u{202e}`), `md_code` for Markdown (the text as code, safe
//! in any inline position: a table cell, a list item, a quote), and `json` for JSON text (the
//! controls serde_json lets through, as `\uXXXX`). Pure: no I/O; it never decides what is
//! shown, only how.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is: C0 and C1 controls, DEL, the bidirectional
/// controls (embeddings, overrides, isolates, marks) and the Unicode line and paragraph
/// separators. `text` escapes exactly these (and the backslash).
pub fn is_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character shown visibly: `\n`, `\r`, `\t`, and `\u{1b}`,
/// `\u{202e}`… for the rest (C0, DEL, C1, bidirectional controls, U+2028/U+2029). A backslash
/// is doubled, so an escape in the output always stands for exactly one character of the
/// input. Borrows when there is nothing to escape.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || is_control(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` as Markdown code, safe wherever inline Markdown goes — a table cell, a list item, a
/// quote — for GitHub's renderer and GitLab's alike.
///
/// Code is the one place where neither CommonMark nor GitHub's own filters (mentions, issue
/// and commit references, emoji, URL and e-mail autolinks) make anything of the text, and
/// where `<`, `&`, `*`, `[`, `@`, `#`… are shown as they are. What a code span cannot hold is
/// dealt with around it: control characters and line breaks are escaped first (`text`); the
/// backtick fence is longer than any run of backticks inside, with a space of padding where
/// the text starts or ends with a backtick or a space; and a `|`, which splits a GFM table
/// cell even inside a code span (and whose `\|` escape works only in tables), is written
/// between code spans as `\|` — a plain, escaped pipe in any position. Empty text is one
/// space of code.
pub fn md_code(s: &str) -> String {
    let escaped = text(s);
    if escaped.is_empty() {
        return "` `".to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 4);
    for (i, part) in escaped.split('|').enumerate() {
        if i > 0 {
            out.push_str("\\|");
        }
        if !part.is_empty() {
            code_span(&mut out, part);
        }
    }
    out
}

/// JSON text (as serde_json writes it) with the control characters that JSON lets through as
/// they are — DEL, C1 and bidirectional controls, U+2028/U+2029 — written as `\uXXXX`
/// escapes: the same JSON values, with nothing a terminal acts on. serde_json escapes C0
/// inside strings itself, so a raw line break is one of pretty-printing, and is kept.
pub fn json(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c != '\n' && is_control(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One code span holding `s` (no line break, no `|`) exactly.
fn code_span(out: &mut String, s: &str) {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // CommonMark strips one space from each end when both ends are spaces (and not all of it
    // is); a backtick at an end would merge with the fence. Padding both ends keeps either as
    // it is.
    let all_spaces = s.bytes().all(|b| b == b' ');
    let pad = s.starts_with('`')
        || s.ends_with('`')
        || (!all_spaces && s.starts_with(' ') && s.ends_with(' '));
    let space = if pad { " " } else { "" };
    let _ = write!(out, "{fence}{space}{s}{space}{fence}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_leaves_ordinary_text_borrowed() {
        assert!(matches!(text("shop.example.org — ok"), Cow::Borrowed(_)));
        assert!(matches!(text("café.example"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_shows_every_control_character_visibly() {
        assert_eq!(text("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(text("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(
            text("\u{0}\u{7f}\u{85}\u{9b}"),
            "\\u{0}\\u{7f}\\u{85}\\u{9b}"
        );
        assert_eq!(
            text("\u{202e}\u{2066}\u{200e}\u{200f}\u{61c}\u{2028}\u{2029}"),
            "\\u{202e}\\u{2066}\\u{200e}\\u{200f}\\u{61c}\\u{2028}\\u{2029}"
        );
    }

    #[test]
    fn text_doubles_backslashes_so_an_escape_is_unambiguous() {
        assert_eq!(text("a\\nb"), "a\\\\nb");
        assert_ne!(text("a\\nb"), text("a\nb"));
    }

    #[test]
    fn md_code_fences_backticks_and_splits_pipes() {
        assert_eq!(md_code("shop.example.org"), "`shop.example.org`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`a"), "`` `a ``");
        assert_eq!(md_code("a|b"), "`a`\\|`b`");
        assert_eq!(md_code("|"), "\\|");
        assert_eq!(md_code(""), "` `");
        assert_eq!(md_code(" a "), "`  a  `");
        assert_eq!(md_code("  "), "`  `");
        assert_eq!(md_code("x\n# y"), "`x\\n# y`");
    }

    #[test]
    fn json_escapes_what_serde_lets_through_and_keeps_the_values() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{7f}\u{85}\u{2028}\n\u{1b}"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json(&text);
        assert!(!safe.chars().any(|c| c != '\n' && is_control(c)), "{safe}");
        assert!(safe.contains("\\u202e"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
