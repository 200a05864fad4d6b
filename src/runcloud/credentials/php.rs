//! Reading a `wp-config.php` as PHP reads it, as far as finding its constants needs.
//!
//! Owns the tokenizer (comments, strings with their escapes, heredocs, inline HTML outside
//! `<?php … ?>`) and finding `define(...)`s and top-level `const`s in the tokens: only a literal
//! counts as a value; anything computed is described by its shape, quoting no literal of it. A
//! file this reader cannot follow is an error rather than a guess. Knows nothing of which
//! constants matter or of the environment (`credentials` does).

use crate::secret::Secret;

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
