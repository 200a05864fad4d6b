//! Where the RunCloud credentials and target ids come from.
//!
//! Owns the precedence of sources: `RUNCLOUD_*` environment variables, then the plugin's
//! `WU_RUNCLOUD_*` names, then the constants of a `wp-config.php` (`--wp-config`), read as PHP
//! reads them: comments are not code, only a literal counts as a value, and a constant that is
//! computed (`getenv(...)`), defined twice or unreadable is refused when it would be used, never
//! guessed at. Credentials are held as `Secret`s from the moment they are read; nothing here
//! prints them, and no message quotes a value from the file.

use crate::input::{self, InputError};
use crate::model::ApiVersion;
use crate::secret::Secret;
use std::path::Path;

/// How rcdomains authenticates to RunCloud.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// API v3 (and v2 workspace) Bearer token.
    Token(Secret),
    /// Legacy API v2 Basic key and secret.
    KeySecret { key: Secret, secret: Secret },
}

impl Credentials {
    pub fn api(&self) -> ApiVersion {
        match self {
            Credentials::Token(_) => ApiVersion::V3,
            Credentials::KeySecret { .. } => ApiVersion::V2,
        }
    }

    /// Every secret value, so that text from elsewhere can be scrubbed of them.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Credentials::Token(t) => vec![t],
            Credentials::KeySecret { key, secret } => vec![key, secret],
        }
    }

    /// What removes these credentials, in every encoding, from text that came back.
    pub fn scrubber(&self) -> crate::secret::Scrubber {
        match self {
            Credentials::Token(t) => crate::secret::Scrubber::new(&[t], &[]),
            Credentials::KeySecret { key, secret } => {
                crate::secret::Scrubber::new(&[key, secret], &[(key, secret)])
            }
        }
    }
}

/// What the environment (and `wp-config.php`) provide.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub credentials: Credentials,
    /// Which variables they came from, for messages (names only, never values).
    pub source: String,
    pub server: Option<(u64, String)>,
    pub app: Option<(u64, String)>,
}

/// What to set instead, in messages that send the operator to the environment.
const ENV_ADVICE: &str = "set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), and RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no RunCloud credentials: set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), or point --wp-config at a wp-config.php that defines WU_RUNCLOUD_API_TOKEN"
    )]
    Missing,
    #[error(
        "no RunCloud credentials: --wp-config {path} defines none of WU_RUNCLOUD_API_TOKEN, WU_RUNCLOUD_API_KEY, WU_RUNCLOUD_API_SECRET (commented-out lines do not count). The plugin's setup wizard (Ultimate Multisite 2.4.11 and later) may have stored them encrypted in the database (network options wu_hosting_credential_WU_RUNCLOUD_*), where rcdomains cannot read them; {ENV_ADVICE}"
    )]
    NotInWpConfig { path: String },
    #[error(
        "{name} in {path} (line {line}) is an expression ({shape}), not a literal; export {env} instead"
    )]
    Expression {
        name: String,
        path: String,
        line: usize,
        shape: String,
        env: String,
    },
    #[error(
        "{path} defines {name} twice (lines {first} and {second}); keep one definition (commenting the other out is enough), or export {env} instead"
    )]
    Twice {
        name: String,
        path: String,
        first: usize,
        second: usize,
        env: String,
    },
    #[error(
        "{path}:{line}: {what}, so rcdomains cannot tell its constants apart from comments and strings; fix the file, or {ENV_ADVICE}"
    )]
    PhpSyntax {
        path: String,
        line: usize,
        what: String,
    },
    #[error("{present} is set but {missing} is not: API v2 needs both the key and the secret")]
    HalfPair { present: String, missing: String },
    #[error("{name} is not a number (it must be the RunCloud id)")]
    BadId { name: String },
    #[error(transparent)]
    WpConfig(#[from] InputError),
}

/// Reads credentials and ids; `env` looks a variable up (the process environment in use).
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    wp_config: Option<&Path>,
) -> Result<Resolved, CredentialError> {
    let file = match wp_config {
        Some(p) => Some(WpConfig {
            path: p.display().to_string(),
            parsed: parse_defines(&input::read_to_string(p, "--wp-config")?),
        }),
        None => None,
    };
    // The first of `names` that is set: the environment first, then the file's WU_* constants.
    let lookup = |names: &[&str]| -> Result<Option<(String, String)>, CredentialError> {
        for n in names {
            if let Some(v) = env(n).filter(|v| !v.trim().is_empty()) {
                return Ok(Some((v.trim().to_string(), (*n).to_string())));
            }
        }
        let Some(file) = &file else { return Ok(None) };
        for n in names.iter().filter(|n| n.starts_with("WU_")) {
            if let Some(v) = file.literal(n)? {
                return Ok(Some((v, format!("{n} in {}", file.path))));
            }
        }
        Ok(None)
    };
    // The key pair is looked up only without a token: what is not used is not refused.
    let (credentials, source) = match lookup(&["RUNCLOUD_API_TOKEN", "WU_RUNCLOUD_API_TOKEN"])? {
        Some((t, from)) => (Credentials::Token(Secret::new(t)), from),
        None => {
            let key = lookup(&["RUNCLOUD_API_KEY", "WU_RUNCLOUD_API_KEY"])?;
            let secret = lookup(&["RUNCLOUD_API_SECRET", "WU_RUNCLOUD_API_SECRET"])?;
            match (key, secret) {
                (Some((k, kf)), Some((s, sf))) => (
                    Credentials::KeySecret {
                        key: Secret::new(k),
                        secret: Secret::new(s),
                    },
                    format!("{kf} and {sf}"),
                ),
                (Some((_, kf)), None) => {
                    return Err(CredentialError::HalfPair {
                        present: kf,
                        missing: "RUNCLOUD_API_SECRET".into(),
                    });
                }
                (None, Some((_, sf))) => {
                    return Err(CredentialError::HalfPair {
                        present: sf,
                        missing: "RUNCLOUD_API_KEY".into(),
                    });
                }
                (None, None) => {
                    return Err(match file {
                        Some(f) => CredentialError::NotInWpConfig { path: f.path },
                        None => CredentialError::Missing,
                    });
                }
            }
        }
    };
    let id = |names: &[&str]| -> Result<Option<(u64, String)>, CredentialError> {
        match lookup(names)? {
            None => Ok(None),
            Some((v, from)) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Some((n, from.clone())))
                .ok_or(CredentialError::BadId { name: from }),
        }
    };
    Ok(Resolved {
        credentials,
        source,
        server: id(&["RUNCLOUD_SERVER_ID", "WU_RUNCLOUD_SERVER_ID"])?,
        app: id(&["RUNCLOUD_APP_ID", "WU_RUNCLOUD_APP_ID"])?,
    })
}

/// A `wp-config.php` as read; a syntax error surfaces only when one of its constants is needed.
struct WpConfig {
    path: String,
    parsed: Result<Vec<Define>, PhpSyntax>,
}

impl WpConfig {
    /// The literal value of constant `name`, `None` when it is not defined (or defined empty).
    fn literal(&self, name: &str) -> Result<Option<String>, CredentialError> {
        let defines = self
            .parsed
            .as_ref()
            .map_err(|e| CredentialError::PhpSyntax {
                path: self.path.clone(),
                line: e.line,
                what: e.what.clone(),
            })?;
        let env = name.trim_start_matches("WU_").to_string();
        let mut found = defines.iter().filter(|d| d.name == name);
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if let Some(second) = found.next() {
            return Err(CredentialError::Twice {
                name: name.to_string(),
                path: self.path.clone(),
                first: first.line,
                second: second.line,
                env,
            });
        }
        match &first.value {
            DefineValue::Literal(v) => {
                let v = v.expose().trim();
                Ok((!v.is_empty()).then(|| v.to_string()))
            }
            DefineValue::Expression(shape) => Err(CredentialError::Expression {
                name: name.to_string(),
                path: self.path.clone(),
                line: first.line,
                shape: shape.clone(),
                env,
            }),
        }
    }
}

// --- Reading wp-config.php as PHP -----------------------------------------------------------

/// A constant a PHP file defines: `define('NAME', value)` (any case, anywhere) or a top-level
/// `const NAME = value;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Define {
    pub name: String,
    pub value: DefineValue,
    /// The line of the definition (1-based).
    pub line: usize,
}

/// What a constant is set to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefineValue {
    /// A string or number literal, as PHP reads it (escapes resolved). `false` and `null` read
    /// as the empty string, as PHP turns them into strings.
    Literal(Secret),
    /// Computed when PHP runs (`getenv(...)`, `$_ENV[...]`, `'a' . 'b'`, a constant's name…).
    /// The text describes its shape and quotes no literal of it.
    Expression(String),
}

/// Where and why a file cannot be read as PHP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhpSyntax {
    pub line: usize,
    pub what: String,
}

/// The constants a PHP file defines. Comments (`//`, `#`, `/* */`) and the text inside strings
/// are not code; inline HTML outside `<?php … ?>` is not either. A file this reader cannot
/// follow (an unclosed string or comment) is an error rather than a guess.
pub fn parse_defines(php: &str) -> Result<Vec<Define>, PhpSyntax> {
    constants(&lex(php)?)
}

/// One PHP token, as far as finding constants needs.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A name or keyword, as written.
    Ident(String),
    /// `$name` (without the `$`).
    Var(String),
    /// A quoted string without interpolation: its value, escapes resolved.
    Str(String),
    /// A string PHP computes (with `$variables` in it, a heredoc, a backtick command): its shape.
    Dynamic(&'static str),
    /// A number, as written.
    Num(String),
    /// An operator or punctuation mark; `?>` reads as `;`.
    Punct(String),
}

type Spanned = (Tok, usize);

fn lex(php: &str) -> Result<Vec<Spanned>, PhpSyntax> {
    let mut lx = Lexer {
        s: php.as_bytes(),
        i: 0,
        line: 1,
        out: Vec::new(),
    };
    while lx.skip_html() {
        lx.code()?;
    }
    Ok(lx.out)
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
    out: Vec<Spanned>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

impl Lexer<'_> {
    /// The byte `k` ahead, 0 past the end.
    fn peek(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn starts(&self, p: &str) -> bool {
        self.s[self.i..].starts_with(p.as_bytes())
    }

    fn bump(&mut self) -> u8 {
        let c = self.s[self.i];
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
        }
        c
    }

    fn push(&mut self, tok: Tok, line: usize) {
        self.out.push((tok, line));
    }

    fn unclosed(line: usize, what: &str) -> PhpSyntax {
        PhpSyntax {
            line,
            what: format!("{what} is never closed"),
        }
    }

    /// Inline HTML up to and including the next open tag; false at the end of the file.
    fn skip_html(&mut self) -> bool {
        while !self.at_end() {
            if self.starts("<?") {
                let lower = self.s[self.i..]
                    .iter()
                    .take(5)
                    .map(u8::to_ascii_lowercase)
                    .collect::<Vec<_>>();
                self.i += if lower == b"<?php" {
                    5
                } else if self.peek(2) == b'=' {
                    3
                } else {
                    2
                };
                return true;
            }
            self.bump();
        }
        false
    }

    /// PHP code up to `?>` or the end of the file.
    fn code(&mut self) -> Result<(), PhpSyntax> {
        while !self.at_end() {
            let line = self.line;
            let c = self.peek(0);
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => {
                    self.bump();
                }
                b'?' if self.peek(1) == b'>' => {
                    self.i += 2;
                    self.push(Tok::Punct(";".into()), line);
                    return Ok(());
                }
                b'#' if self.peek(1) == b'[' => {
                    self.i += 2;
                    self.push(Tok::Punct("#[".into()), line);
                }
                b'#' => self.line_comment(),
                b'/' if self.peek(1) == b'/' => self.line_comment(),
                b'/' if self.peek(1) == b'*' => self.block_comment()?,
                b'\'' => self.single_quoted()?,
                b'"' => self.double_quoted()?,
                b'`' => self.backtick()?,
                b'<' if self.starts("<<<") => self.heredoc()?,
                b'$' if is_ident_start(self.peek(1)) => {
                    self.i += 1;
                    let name = self.ident();
                    self.push(Tok::Var(name), line);
                }
                c if is_ident_start(c) => {
                    let name = self.ident();
                    self.push(Tok::Ident(name), line);
                }
                c if c.is_ascii_digit() => {
                    let n = self.number();
                    self.push(Tok::Num(n), line);
                }
                _ => {
                    let p = ["?->", "->", "::", "=>"]
                        .into_iter()
                        .find(|p| self.starts(p))
                        .map(str::to_string)
                        .unwrap_or_else(|| char::from(c).to_string());
                    self.i += p.len();
                    self.push(Tok::Punct(p), line);
                }
            }
        }
        Ok(())
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while !self.at_end() && is_ident_char(self.peek(0)) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn number(&mut self) -> String {
        let start = self.i;
        while !self.at_end() {
            let c = self.peek(0);
            let exponent_sign = (c == b'+' || c == b'-')
                && self.i > start
                && matches!(self.s[self.i - 1], b'e' | b'E')
                && self.peek(1).is_ascii_digit()
                && !self.s[start..].starts_with(b"0x");
            if c.is_ascii_alphanumeric()
                || c == b'_'
                || (c == b'.' && self.peek(1).is_ascii_digit())
                || exponent_sign
            {
                self.i += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// `//` or `#` to the end of the line; `?>` ends it too (and is left for `code`).
    fn line_comment(&mut self) {
        while !self.at_end() && self.peek(0) != b'\n' && !self.starts("?>") {
            self.bump();
        }
    }

    fn block_comment(&mut self) -> Result<(), PhpSyntax> {
        let line = self.line;
        self.i += 2;
        while !self.at_end() {
            if self.starts("*/") {
                self.i += 2;
                return Ok(());
            }
            self.bump();
        }
        Err(Self::unclosed(line, "a /* comment"))
    }

    /// `'…'`: only `\'` and `\\` are escapes; every other backslash stays.
    fn single_quoted(&mut self) -> Result<(), PhpSyntax> {
        let line = self.line;
        self.i += 1;
        let mut value = Vec::new();
        loop {
            if self.at_end() {
                return Err(Self::unclosed(line, "a '…' string"));
            }
            match self.bump() {
                b'\'' => break,
                b'\\' if matches!(self.peek(0), b'\'' | b'\\') => value.push(self.bump()),
                c => value.push(c),
            }
        }
        self.push(Tok::Str(String::from_utf8_lossy(&value).into_owned()), line);
        Ok(())
    }

    /// `"…"` with PHP's escapes; a `$variable` or `{$…}` in it makes it computed.
    fn double_quoted(&mut self) -> Result<(), PhpSyntax> {
        let line = self.line;
        self.i += 1;
        let mut value: Vec<u8> = Vec::new();
        let mut interpolated = false;
        loop {
            if self.at_end() {
                return Err(Self::unclosed(line, "a \"…\" string"));
            }
            match self.bump() {
                b'"' => break,
                b'\\' => self.escape(&mut value, line)?,
                b'$' if is_ident_start(self.peek(0)) || self.peek(0) == b'{' => {
                    interpolated = true;
                    value.push(b'$');
                }
                b'{' if self.peek(0) == b'$' => {
                    interpolated = true;
                    value.push(b'{');
                }
                c => value.push(c),
            }
        }
        let tok = if interpolated {
            Tok::Dynamic("a \"…\" string with $variables in it")
        } else {
            Tok::Str(String::from_utf8_lossy(&value).into_owned())
        };
        self.push(tok, line);
        Ok(())
    }

    /// The escape after a backslash in a double-quoted string.
    fn escape(&mut self, value: &mut Vec<u8>, line: usize) -> Result<(), PhpSyntax> {
        let simple = match self.peek(0) {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'v' => Some(0x0b),
            b'e' => Some(0x1b),
            b'f' => Some(0x0c),
            b'\\' => Some(b'\\'),
            b'$' => Some(b'$'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(b) = simple {
            self.i += 1;
            value.push(b);
            return Ok(());
        }
        let digits = |lx: &Self, radix: u32, max: usize| {
            (0..max)
                .take_while(|k| char::from(lx.peek(*k)).is_digit(radix))
                .count()
        };
        let number = |lx: &mut Self, radix: u32, len: usize| {
            let text = String::from_utf8_lossy(&lx.s[lx.i..lx.i + len]).into_owned();
            lx.i += len;
            u32::from_str_radix(&text, radix).unwrap_or(0)
        };
        match self.peek(0) {
            b'0'..=b'7' => {
                let n = digits(self, 8, 3);
                value.push((number(self, 8, n) & 0xff) as u8);
            }
            b'x' if self.peek(1).is_ascii_hexdigit() => {
                self.i += 1;
                let n = digits(self, 16, 2);
                value.push(number(self, 16, n) as u8);
            }
            b'u' if self.peek(1) == b'{' => {
                self.i += 2;
                let n = digits(self, 16, 8);
                let code = number(self, 16, n);
                let ch = char::from_u32(code).filter(|_| n > 0 && self.peek(0) == b'}');
                let Some(ch) = ch else {
                    return Err(PhpSyntax {
                        line,
                        what: "a \\u{…} escape that is not a Unicode code point".into(),
                    });
                };
                self.i += 1;
                value.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
            // Not an escape: the backslash stays, and the next character is read as usual.
            _ => value.push(b'\\'),
        }
        Ok(())
    }

    fn backtick(&mut self) -> Result<(), PhpSyntax> {
        let line = self.line;
        self.i += 1;
        loop {
            if self.at_end() {
                return Err(Self::unclosed(line, "a `…` command"));
            }
            match self.bump() {
                b'`' => break,
                b'\\' if !self.at_end() => {
                    self.bump();
                }
                _ => {}
            }
        }
        self.push(Tok::Dynamic("a `…` shell command"), line);
        Ok(())
    }

    /// `<<<LABEL`, `<<<"LABEL"` or `<<<'LABEL'` up to the line that closes it: opaque.
    fn heredoc(&mut self) -> Result<(), PhpSyntax> {
        let line = self.line;
        self.i += 3;
        while matches!(self.peek(0), b' ' | b'\t') {
            self.i += 1;
        }
        let quote = matches!(self.peek(0), b'\'' | b'"').then(|| self.bump());
        let label = self.ident();
        if label.is_empty() || quote.is_some_and(|q| self.peek(0) != q) {
            return Err(PhpSyntax {
                line,
                what: "`<<<` is not followed by a heredoc label".into(),
            });
        }
        if quote.is_some() {
            self.i += 1;
        }
        loop {
            // To the start of the next line, then: is it the closing label?
            while !self.at_end() && self.peek(0) != b'\n' {
                self.bump();
            }
            if self.at_end() {
                return Err(Self::unclosed(line, &format!("the heredoc <<<{label}")));
            }
            self.bump();
            while matches!(self.peek(0), b' ' | b'\t') {
                self.i += 1;
            }
            if self.starts(&label) && !is_ident_char(self.peek(label.len())) {
                self.i += label.len();
                break;
            }
        }
        self.push(Tok::Dynamic("a <<< heredoc"), line);
        Ok(())
    }
}

fn is_punct(t: Option<&Spanned>, p: &str) -> bool {
    matches!(t, Some((Tok::Punct(q), _)) if q == p)
}

fn is_word(t: Option<&Spanned>, words: &[&str]) -> bool {
    matches!(t, Some((Tok::Ident(w), _)) if words.iter().any(|k| w.eq_ignore_ascii_case(k)))
}

/// The `define(...)`s and top-level `const`s of a token stream.
fn constants(toks: &[Spanned]) -> Result<Vec<Define>, PhpSyntax> {
    let mut out = Vec::new();
    // One entry per open `{`: whether it opens a namespace block (where `const` is top-level).
    let mut frames: Vec<bool> = Vec::new();
    let mut namespaced = false;
    let mut namespace_decl = false;
    let mut i = 0;
    while i < toks.len() {
        let prev = i.checked_sub(1).and_then(|j| toks.get(j));
        let statement_start =
            prev.is_none() || is_punct(prev, ";") || is_punct(prev, "{") || is_punct(prev, "}");
        let (tok, line) = &toks[i];
        match tok {
            Tok::Punct(p) if p == "{" => {
                frames.push(namespace_decl);
                namespace_decl = false;
            }
            Tok::Punct(p) if p == "}" => {
                frames.pop();
            }
            Tok::Punct(p) if p == ";" => namespace_decl = false,
            Tok::Ident(w) if w.eq_ignore_ascii_case("__halt_compiler") => break,
            Tok::Ident(w) if statement_start && w.eq_ignore_ascii_case("namespace") => {
                match toks.get(i + 1) {
                    Some((Tok::Ident(_), _)) => {
                        namespaced = true;
                        namespace_decl = true;
                    }
                    next if is_punct(next, "{") => {
                        namespaced = false;
                        namespace_decl = true;
                    }
                    _ => {}
                }
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("define") && is_global_call(toks, i) => {
                let (args, end) = call_args(toks, i + 1, *line)?;
                if let [name, value, ..] = args.as_slice()
                    && let [(Tok::Str(name), _)] = name
                {
                    out.push(Define {
                        name: name.clone(),
                        value: value_of(value),
                        line: *line,
                    });
                }
                i = end;
                continue;
            }
            Tok::Ident(w)
                if w.eq_ignore_ascii_case("const")
                    && statement_start
                    && frames.iter().all(|ns| *ns) =>
            {
                let (defines, end) = const_statement(toks, i + 1);
                if !namespaced {
                    out.extend(defines);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(out)
}

/// Whether `define` at `i` calls PHP's global `define()` (not a method, a declaration, or a
/// function of some namespace).
fn is_global_call(toks: &[Spanned], i: usize) -> bool {
    if !is_punct(toks.get(i + 1), "(") {
        return false;
    }
    let before = |k: usize| i.checked_sub(k).and_then(|j| toks.get(j));
    let prev = before(1);
    if ["->", "?->", "::"].iter().any(|p| is_punct(prev, p))
        || is_word(prev, &["function", "fn", "new", "const"])
    {
        return false;
    }
    // `\define(` is the global one; `Foo\define(` and `namespace\define(` are not.
    !(is_punct(prev, "\\") && matches!(before(2), Some((Tok::Ident(_), _))))
}

/// The arguments of a call whose `(` is at `open`, split at top-level commas, and the index
/// after its `)`.
fn call_args(
    toks: &[Spanned],
    open: usize,
    line: usize,
) -> Result<(Vec<&[Spanned]>, usize), PhpSyntax> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    for (j, (tok, _)) in toks.iter().enumerate().skip(open + 1) {
        let Tok::Punct(p) = tok else { continue };
        match p.as_str() {
            "(" | "[" | "{" | "#[" => depth += 1,
            ")" if depth == 0 => {
                if j > start {
                    args.push(&toks[start..j]);
                }
                return Ok((args, j + 1));
            }
            ")" | "]" | "}" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                args.push(&toks[start..j]);
                start = j + 1;
            }
            ";" if depth == 0 => break,
            _ => {}
        }
    }
    Err(PhpSyntax {
        line,
        what: "`define(` is not closed by `)` before the end of its statement".into(),
    })
}

/// `NAME = value, NAME2 = value2;` after `const`, and the index after it.
fn const_statement(toks: &[Spanned], mut i: usize) -> (Vec<Define>, usize) {
    let mut out = Vec::new();
    while let Some((Tok::Ident(name), line)) = toks.get(i) {
        if !is_punct(toks.get(i + 1), "=") {
            break;
        }
        let start = i + 2;
        let mut depth = 0usize;
        let mut end = start;
        while let Some((tok, _)) = toks.get(end) {
            if let Tok::Punct(p) = tok {
                match p.as_str() {
                    "(" | "[" | "{" | "#[" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    "," | ";" if depth == 0 => break,
                    _ => {}
                }
            }
            end += 1;
        }
        out.push(Define {
            name: name.clone(),
            value: value_of(&toks[start..end]),
            line: *line,
        });
        i = end + 1;
        if !is_punct(toks.get(end), ",") {
            break;
        }
    }
    (out, i)
}

/// A literal's value, or the shape of an expression.
fn value_of(tokens: &[Spanned]) -> DefineValue {
    let literal = |s: String| DefineValue::Literal(Secret::new(s));
    match tokens {
        [(Tok::Str(s), _)] => literal(s.clone()),
        [(Tok::Num(n), _)] => literal(n.replace('_', "")),
        [(Tok::Punct(sign), _), (Tok::Num(n), _)] if sign == "-" || sign == "+" => literal(
            format!("{}{}", sign.trim_start_matches('+'), n.replace('_', "")),
        ),
        [t] if is_word(Some(t), &["false", "null"]) => literal(String::new()),
        _ => DefineValue::Expression(shape(tokens)),
    }
}

/// How an expression looks, for a message: function and variable names, never a literal (nor
/// a bare word, which could be a token someone forgot to quote).
fn shape(tokens: &[Spanned]) -> String {
    let (first, used) = match tokens {
        [] => ("nothing".to_string(), 0),
        [(Tok::Ident(f), _), next, ..] if is_punct(Some(next), "(") => {
            (format!("{f}(...)"), past_group(tokens, 1))
        }
        [(Tok::Var(v), _), next, ..] if is_punct(Some(next), "[") => {
            (format!("${v}[...]"), past_group(tokens, 1))
        }
        [(Tok::Var(v), _), ..] => (format!("${v}"), 1),
        [(Tok::Ident(w), _), ..] if is_word(tokens.first(), &["true"]) => (w.clone(), 1),
        [(Tok::Ident(_), _), ..] => ("a constant's name".to_string(), 1),
        [(Tok::Str(_), _), ..] => ("'…'".to_string(), 1),
        [(Tok::Num(_), _), ..] => ("a number".to_string(), 1),
        [(Tok::Dynamic(d), _), ..] => (d.to_string(), 1),
        [first, ..] if is_punct(Some(first), "(") => ("(...)".to_string(), past_group(tokens, 0)),
        _ => ("…".to_string(), 1),
    };
    match tokens.get(used) {
        None => first,
        next if is_punct(next, ".") => format!("{first} . …"),
        Some(_) => format!("{first} …"),
    }
}

/// The index after the bracket group that opens at `open`.
fn past_group(tokens: &[Spanned], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, (tok, _)) in tokens.iter().enumerate().skip(open) {
        if let Tok::Punct(p) = tok {
            match p.as_str() {
                "(" | "[" | "{" | "#[" => depth += 1,
                ")" | "]" | "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
        }
    }
    tokens.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    /// A realistic network wp-config.php (written for these tests), with `custom` where
    /// custom values go.
    fn sample_with(custom: &str) -> String {
        let sample = include_str!("../../tests/fixtures/wordpress/wp-config-sample.php");
        let marker = "/* Custom values below this line. */\n";
        assert!(sample.contains(marker));
        sample.replace(marker, &format!("{marker}{custom}"))
    }

    /// `php` written as a wp-config.php in a fresh directory.
    struct File {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    fn file(php: &str) -> File {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wp-config.php");
        std::fs::write(&path, php).unwrap();
        File { _dir: dir, path }
    }

    fn resolve_file(
        php: &str,
        vars: &[(&str, &str)],
    ) -> (Result<Resolved, CredentialError>, String) {
        let f = file(php);
        (
            resolve(&env(vars), Some(&f.path)),
            f.path.display().to_string(),
        )
    }

    fn token_of(r: &Resolved) -> &str {
        match &r.credentials {
            Credentials::Token(t) => t.expose(),
            other => panic!("{other:?}"),
        }
    }

    /// The literal values of `php`'s constants, by name.
    fn literals(php: &str) -> Vec<(String, String)> {
        parse_defines(php)
            .unwrap()
            .into_iter()
            .map(|d| match d.value {
                DefineValue::Literal(v) => (d.name, v.expose().to_string()),
                DefineValue::Expression(shape) => (d.name, format!("<expression {shape}>")),
            })
            .collect()
    }

    const PLUGIN_DEFINES: &str = "\
/* Ultimate Multisite: RunCloud integration */
define( 'WU_RUNCLOUD_API_TOKEN', 'rc-live-token' );
define( 'WU_RUNCLOUD_SERVER_ID', 11667 );
define( 'WU_RUNCLOUD_APP_ID', '940288' );
define( 'WP_ALLOW_MULTISITE', true );
define( 'MULTISITE', true );
define( 'SUBDOMAIN_INSTALL', true );
define( 'DOMAIN_CURRENT_SITE', 'network.example' );
";

    #[test]
    fn a_token_selects_v3_and_wins_over_a_key_pair() {
        let r = resolve(
            &env(&[
                ("RUNCLOUD_API_TOKEN", "t"),
                ("RUNCLOUD_API_KEY", "k"),
                ("RUNCLOUD_API_SECRET", "s"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(r.credentials.api(), ApiVersion::V3);
        assert_eq!(r.source, "RUNCLOUD_API_TOKEN");
    }

    #[test]
    fn a_key_pair_selects_v2_and_half_a_pair_is_an_error() {
        let r = resolve(
            &env(&[
                ("WU_RUNCLOUD_API_KEY", "k"),
                ("WU_RUNCLOUD_API_SECRET", "s"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(r.credentials.api(), ApiVersion::V2);
        let e = resolve(&env(&[("RUNCLOUD_API_KEY", "k")]), None).unwrap_err();
        assert!(e.to_string().contains("RUNCLOUD_API_SECRET"), "{e}");
        assert!(matches!(
            resolve(&env(&[]), None),
            Err(CredentialError::Missing)
        ));
    }

    #[test]
    fn wp_config_defines_are_read() {
        let php = r#"<?php
define( 'WU_RUNCLOUD_API_TOKEN', 'tok\'en' );
define("WU_RUNCLOUD_SERVER_ID", 11667);
define('WU_RUNCLOUD_APP_ID', '940288');
define('DB_NAME', 'wp');
"#;
        let f = file(php);
        let r = resolve(&env(&[]), Some(&f.path)).unwrap();
        assert_eq!(token_of(&r), "tok'en");
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        assert!(r.source.contains("WU_RUNCLOUD_API_TOKEN in"));
        // The environment wins over the file.
        let r = resolve(&env(&[("RUNCLOUD_APP_ID", "5")]), Some(&f.path)).unwrap();
        assert_eq!(r.app.map(|s| s.0), Some(5));
    }

    #[test]
    fn the_stock_wp_config_sample_with_the_plugins_defines_is_read() {
        let php = sample_with(PLUGIN_DEFINES);
        let (r, path) = resolve_file(&php, &[]);
        let r = r.unwrap();
        assert_eq!(token_of(&r), "rc-live-token");
        assert_eq!(r.source, format!("WU_RUNCLOUD_API_TOKEN in {path}"));
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        // WordPress's own constants read as PHP reads them; ABSPATH is computed (and unused).
        let all = literals(&php);
        assert!(
            all.contains(&("DB_COLLATE".into(), String::new())),
            "{all:?}"
        );
        assert!(all.contains(&("WP_DEBUG".into(), String::new())), "{all:?}");
        assert!(
            all.contains(&(
                "ABSPATH".into(),
                "<expression a constant's name . …>".into()
            )),
            "{all:?}"
        );
        assert_eq!(all.iter().filter(|(n, _)| n == "AUTH_KEY").count(), 1);
    }

    #[test]
    fn commented_out_definitions_are_not_definitions() {
        let php = sample_with(
            "\
// define( 'WU_RUNCLOUD_API_TOKEN', 'old-line-comment' );
# define( 'WU_RUNCLOUD_API_TOKEN', 'old-hash-comment' );
/* define( 'WU_RUNCLOUD_API_TOKEN', 'old-block-comment' ); */
/**
 * RunCloud for Ultimate Multisite. Example:
 *
 *     define( 'WU_RUNCLOUD_API_TOKEN', 'docblock-example' );
 *     define( 'WU_RUNCLOUD_SERVER_ID', 1 );
 */
define( 'WU_RUNCLOUD_API_TOKEN', 'the-live-one' ); // was: define( 'WU_RUNCLOUD_API_TOKEN', 'x' );
define( 'WU_RUNCLOUD_SERVER_ID', 11667 ); # ids from the RunCloud dashboard
define( 'WU_RUNCLOUD_APP_ID', /* web app */ 940288 );
",
        );
        let (r, _) = resolve_file(&php, &[]);
        let r = r.unwrap();
        assert_eq!(token_of(&r), "the-live-one");
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
    }

    #[test]
    fn text_inside_strings_is_not_code() {
        let php = r#"<?php
$note = "define('WU_RUNCLOUD_API_TOKEN', 'in-a-string'); // not a comment";
$other = 'a /* not a comment */ define("WU_RUNCLOUD_SERVER_ID", 1) # nor this';
define( 'WU_NOTE', 'it\'s // not a comment, nor # this, nor /* this' );
define( 'WU_RUNCLOUD_API_TOKEN', "real" );
$text = <<<EOT
define('WU_RUNCLOUD_API_TOKEN', 'in-a-heredoc');
EOT;
$raw = <<<'EOT'
    define('WU_RUNCLOUD_APP_ID', 3);
    EOT;
?>
<p>define('WU_RUNCLOUD_API_TOKEN', 'inline-html')</p>
<?php define( 'WU_RUNCLOUD_APP_ID', 940288 ); // a comment ends at ?> define('WU_RUNCLOUD_SERVER_ID', 9)
"#;
        let all = literals(php);
        assert_eq!(
            all,
            vec![
                (
                    "WU_NOTE".to_string(),
                    "it's // not a comment, nor # this, nor /* this".to_string()
                ),
                ("WU_RUNCLOUD_API_TOKEN".into(), "real".into()),
                ("WU_RUNCLOUD_APP_ID".into(), "940288".into()),
            ]
        );
    }

    #[test]
    fn define_in_any_case_and_top_level_const_are_definitions() {
        let php = r#"<?php
DEFINE('WU_RUNCLOUD_API_KEY', 'key-upper');
Define ( 'WU_RUNCLOUD_API_SECRET' , 'secret-mixed' ) ;
\define('A_GLOBAL', 'fq');
const WU_RUNCLOUD_SERVER_ID = 11667;
const FIRST = 'one', WU_RUNCLOUD_APP_ID = '940288';
class Settings {
    const WU_RUNCLOUD_API_TOKEN = 'class-constant';
    public function define($name, $value) {}
}
$settings->define('WU_RUNCLOUD_API_TOKEN', 'a-method');
Settings::define('WU_RUNCLOUD_API_TOKEN', 'a-static-method');
My\Space\define('WU_RUNCLOUD_API_TOKEN', 'another-namespace');
if ( ! defined( 'WP_CACHE' ) ) {
    define( 'WP_CACHE', true );
}
"#;
        let names: Vec<String> = literals(php).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            vec![
                "WU_RUNCLOUD_API_KEY",
                "WU_RUNCLOUD_API_SECRET",
                "A_GLOBAL",
                "WU_RUNCLOUD_SERVER_ID",
                "FIRST",
                "WU_RUNCLOUD_APP_ID",
                "WP_CACHE",
            ]
        );
        let (r, _) = resolve_file(php, &[]);
        let r = r.unwrap();
        match &r.credentials {
            Credentials::KeySecret { key, secret } => {
                assert_eq!(key.expose(), "key-upper");
                assert_eq!(secret.expose(), "secret-mixed");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        // A namespaced file's `const` is not the global constant.
        let names: Vec<String> =
            literals("<?php\nnamespace Acme;\nconst WU_RUNCLOUD_APP_ID = 1;\n")
                .into_iter()
                .map(|(n, _)| n)
                .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn escapes_read_as_php_reads_them() {
        let php = r#"<?php
define('SINGLE_NEWLINE', 'a\nb');
define('SINGLE_QUOTE', 'it\'s');
define('SINGLE_BACKSLASH', 'c:\\dir\tmp');
define('SINGLE_TRAILING', 'ends\\');
define("DOUBLE", "a\tb\\c\"d\$e\x41\101\u{e9}\q");
define('NEGATIVE', -5);
define('SEPARATED', 1_000);
define('NOTHING', null);
"#;
        assert_eq!(
            literals(php),
            vec![
                ("SINGLE_NEWLINE".to_string(), "a\\nb".to_string()),
                ("SINGLE_QUOTE".into(), "it's".into()),
                ("SINGLE_BACKSLASH".into(), "c:\\dir\\tmp".into()),
                ("SINGLE_TRAILING".into(), "ends\\".into()),
                ("DOUBLE".into(), "a\tb\\c\"d$eAAé\\q".into()),
                ("NEGATIVE".into(), "-5".into()),
                ("SEPARATED".into(), "1000".into()),
                ("NOTHING".into(), String::new()),
            ]
        );
        assert_eq!("a\\nb".chars().count(), 4);
    }

    #[test]
    fn expressions_are_refused_when_used_and_never_sent() {
        for (value, shape) in [
            ("getenv( 'RC_TOKEN' )", "getenv(...)"),
            ("$_ENV['RC_TOKEN']", "$_ENV[...]"),
            ("$_SERVER[ \"RC_TOKEN\" ]", "$_SERVER[...]"),
            ("'sekrit-part-one' . 'sekrit-part-two'", "'…' . …"),
            ("SOME_OTHER_CONSTANT", "a constant's name"),
            ("trim( file_get_contents( '/etc/rc-token' ) )", "trim(...)"),
            ("getenv('RC_TOKEN') ?: 'sekrit-fallback'", "getenv(...) …"),
            ("\"tok-{$suffix}\"", "a \"…\" string with $variables in it"),
        ] {
            let php = sample_with(&format!(
                "define( 'WU_RUNCLOUD_SERVER_ID', 11667 );\ndefine( 'WU_RUNCLOUD_API_TOKEN', {value} );\n"
            ));
            let (r, path) = resolve_file(&php, &[]);
            let e = r.unwrap_err();
            let line = php
                .lines()
                .position(|l| l.contains("'WU_RUNCLOUD_API_TOKEN'"))
                .unwrap()
                + 1;
            assert_eq!(
                e.to_string(),
                format!(
                    "WU_RUNCLOUD_API_TOKEN in {path} (line {line}) is an expression ({shape}), not a literal; export RUNCLOUD_API_TOKEN instead"
                )
            );
            assert!(!e.to_string().contains("sekrit"), "{e}");
            // Not refused when the environment provides the value instead.
            let (r, _) = resolve_file(&php, &[("RUNCLOUD_API_TOKEN", "from-env")]);
            assert_eq!(token_of(&r.unwrap()), "from-env");
        }
        // The same for an id; and a computed constant rcdomains does not read is no concern.
        let php = sample_with(
            "define( 'WU_RUNCLOUD_API_TOKEN', 't' );\nconst WU_RUNCLOUD_APP_ID = (int) getenv('APP');\ndefine( 'DB_HOST', getenv('DB_HOST') );\n",
        );
        let (r, _) = resolve_file(&php, &[]);
        let e = r.unwrap_err();
        assert!(
            e.to_string().contains("WU_RUNCLOUD_APP_ID in ")
                && e.to_string().contains("export RUNCLOUD_APP_ID instead"),
            "{e}"
        );
        let (r, _) = resolve_file(&php, &[("RUNCLOUD_APP_ID", "7")]);
        assert_eq!(r.unwrap().app.map(|a| a.0), Some(7));
        // A computed key pair is not used (nor refused) when there is a token.
        let php = sample_with(
            "define( 'WU_RUNCLOUD_API_TOKEN', 'tok' );\ndefine( 'WU_RUNCLOUD_API_KEY', getenv('K') );\ndefine( 'WU_RUNCLOUD_API_SECRET', getenv('S') );\n",
        );
        let (r, _) = resolve_file(&php, &[]);
        assert_eq!(token_of(&r.unwrap()), "tok");
    }

    #[test]
    fn two_live_definitions_are_refused_naming_both_lines() {
        let php = "<?php
define( 'WU_RUNCLOUD_API_TOKEN', 'first' );
// define( 'WU_RUNCLOUD_API_TOKEN', 'commented-out' );
if ( WP_DEBUG ) {
    DEFINE( 'WU_RUNCLOUD_API_TOKEN', 'second' );
}
";
        let (r, path) = resolve_file(php, &[]);
        assert_eq!(
            r.unwrap_err().to_string(),
            format!(
                "{path} defines WU_RUNCLOUD_API_TOKEN twice (lines 2 and 5); keep one definition (commenting the other out is enough), or export RUNCLOUD_API_TOKEN instead"
            )
        );
        let (r, _) = resolve_file(php, &[("RUNCLOUD_API_TOKEN", "env")]);
        assert!(r.is_ok());
        // A commented-out copy beside one live definition is fine.
        let (r, _) = resolve_file(
            "<?php\n// define( 'WU_RUNCLOUD_API_TOKEN', 'old' );\ndefine( 'WU_RUNCLOUD_API_TOKEN', 'new' );\n",
            &[],
        );
        assert_eq!(token_of(&r.unwrap()), "new");
    }

    #[test]
    fn a_wp_config_without_the_constants_points_at_the_setup_wizard() {
        let php = sample_with(
            "// Set by the setup wizard:\n// define( 'WU_RUNCLOUD_API_TOKEN', '' );\ndefine( 'WU_RUNCLOUD_SERVER_ID', 11667 );\n",
        );
        let (r, path) = resolve_file(&php, &[]);
        let e = r.unwrap_err();
        assert!(matches!(e, CredentialError::NotInWpConfig { .. }), "{e:?}");
        let msg = e.to_string();
        for needle in [
            path.as_str(),
            "defines none of WU_RUNCLOUD_API_TOKEN",
            "setup wizard",
            "encrypted in the database",
            "wu_hosting_credential_WU_RUNCLOUD_*",
            "set RUNCLOUD_API_TOKEN",
            "RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET",
            "RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID",
        ] {
            assert!(msg.contains(needle), "{needle:?} not in {msg}");
        }
    }

    #[test]
    fn a_file_that_is_not_php_this_reader_can_follow_is_refused_when_needed() {
        let php = "<?php\ndefine( 'WU_RUNCLOUD_API_TOKEN', 'tok' );\n/* never closed\n";
        let (r, path) = resolve_file(php, &[]);
        assert_eq!(
            r.unwrap_err().to_string(),
            format!(
                "{path}:3: a /* comment is never closed, so rcdomains cannot tell its constants apart from comments and strings; fix the file, or set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), and RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID"
            )
        );
        let (r, _) = resolve_file(
            php,
            &[
                ("RUNCLOUD_API_TOKEN", "t"),
                ("RUNCLOUD_SERVER_ID", "1"),
                ("RUNCLOUD_APP_ID", "2"),
            ],
        );
        assert!(r.is_ok());
        for bad in [
            "<?php define('X', 'never closed);",
            "<?php define(\"X\", \"never closed);",
            "<?php $x = <<<EOT\nno end\n",
            "<?php define('X', 'y';",
        ] {
            assert!(parse_defines(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_or_special_wp_config_is_an_input_error() {
        let e = resolve(&env(&[]), Some(Path::new("/dev/zero"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("--wp-config /dev/zero is not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn bad_ids_name_the_variable() {
        let e = resolve(
            &env(&[("RUNCLOUD_API_TOKEN", "t"), ("RUNCLOUD_SERVER_ID", "abc")]),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "RUNCLOUD_SERVER_ID is not a number (it must be the RunCloud id)"
        );
    }
}
