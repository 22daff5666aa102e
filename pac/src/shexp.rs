//! `shExpMatch` with Chromium's semantics on a linear-time engine.
//!
//! Chromium builds `new RegExp('^' + glob + '$')` after replacing `.` by `\.`, `*` by `.*` and
//! `?` by `.`; every other regular-expression character passes through (`(a|b)`, `[0-9]`, `+`,
//! `{2}`, `\d`...), and the anchors only bind the first and last alternative. This module
//! reproduces that: it translates the resulting JavaScript (Annex B) pattern into the syntax of
//! the `regex-lite` crate, whose matching time is linear in the input, so a hostile pattern cannot
//! hang the host. Plain globs (only literals, `*` and `?`) skip the regex entirely and are
//! matched on UTF-16 code units, which is exactly what the JavaScript engine does.
//! JavaScript features that need backtracking (backreferences) are reported as errors.

use std::cell::OnceCell;

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShError {
    /// JavaScript itself rejects the pattern (`new RegExp` throws a SyntaxError).
    Syntax(String),
    /// Valid JavaScript, but it needs a feature a linear-time engine does not have, or is too big.
    Unsupported(String),
}

/// One element of a plain glob, on UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    Unit(u16),
    Any,
    Star,
}

/// A glob with `*` only (no `?`), split at the stars, in Latin-1 (every unit below 256):
/// matched by prefix, suffix and leftmost search of the middle parts, which is exact for
/// star-only globs and linear in the subject.
#[derive(Debug)]
struct StarGlob {
    parts: Vec<Vec<u8>>,
}

impl StarGlob {
    fn new(pattern: &[u16]) -> Option<Self> {
        if pattern.iter().any(|&u| u == 0x3f || u > 0xff) {
            return None;
        }
        let parts = pattern
            .split(|&u| u == 0x2a)
            .map(|p| p.iter().map(|&u| u8::try_from(u).unwrap_or(0)).collect())
            .collect();
        Some(Self { parts })
    }

    fn is_match(&self, hay: &[u8]) -> bool {
        let Some((first, rest)) = self.parts.split_first() else {
            return hay.is_empty();
        };
        let Some((last, middles)) = rest.split_last() else {
            return hay == first.as_slice();
        };
        if hay.len() < first.len() + last.len() || !hay.starts_with(first) || !hay.ends_with(last) {
            return false;
        }
        let mut window = &hay[first.len()..hay.len() - last.len()];
        for m in middles {
            if m.is_empty() {
                continue;
            }
            match find(window, m) {
                Some(i) => window = &window[i + m.len()..],
                None => return false,
            }
        }
        true
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        let pos = hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        let start = i + pos;
        if hay[start + 1..start + needle.len()] == *tail {
            return Some(start);
        }
        i = start + 1;
    }
    None
}

/// A compiled `shExpMatch` pattern.
#[derive(Debug)]
pub struct Matcher {
    star: Option<StarGlob>,
    glob: Option<Vec<Elem>>,
    js_source: String,
    regex: OnceCell<Result<regex_lite::Regex, ShError>>,
}

const LINE_TERMINATORS: [u16; 4] = [0x0a, 0x0d, 0x2028, 0x2029];

impl Matcher {
    /// Compiles a glob given as UTF-16 code units.
    pub fn new(pattern: &[u16]) -> Self {
        let text = String::from_utf16_lossy(pattern);
        let mut js = String::with_capacity(text.len() + 8);
        js.push('^');
        for c in text.chars() {
            match c {
                '.' => js.push_str("\\."),
                '*' => js.push_str(".*"),
                '?' => js.push('.'),
                c => js.push(c),
            }
        }
        js.push('$');
        let plain = !text.chars().any(|c| "\\^$+()[]{}|".contains(c));
        let glob = plain.then(|| {
            pattern
                .iter()
                .map(|&u| match u {
                    0x2a => Elem::Star,
                    0x3f => Elem::Any,
                    u => Elem::Unit(u),
                })
                .collect()
        });
        let star = if plain { StarGlob::new(pattern) } else { None };
        Self {
            star,
            glob,
            js_source: js,
            regex: OnceCell::new(),
        }
    }

    /// The JavaScript regular expression Chromium would build.
    pub fn js_source(&self) -> &str {
        &self.js_source
    }

    /// Tests a subject given as Latin-1 bytes.
    pub fn is_match_latin1(&self, hay: &[u8]) -> Result<bool, ShError> {
        if let Some(st) = &self.star
            && !hay.iter().any(|&b| b == b'\n' || b == b'\r')
        {
            return Ok(st.is_match(hay));
        }
        if let Some(g) = &self.glob
            && !hay.iter().any(|&b| b == b'\n' || b == b'\r')
        {
            return Ok(glob_match(g, hay));
        }
        let s: String = hay.iter().map(|&b| char::from(b)).collect();
        self.regex_match(&s)
    }

    /// Tests a subject given as UTF-16 code units.
    pub fn is_match_utf16(&self, hay: &[u16]) -> Result<bool, ShError> {
        if let Some(g) = &self.glob
            && !hay.iter().any(|u| LINE_TERMINATORS.contains(u))
        {
            return Ok(glob_match(g, hay));
        }
        self.regex_match(&String::from_utf16_lossy(hay))
    }

    fn regex_match(&self, s: &str) -> Result<bool, ShError> {
        let re = self.regex.get_or_init(|| compile_js(&self.js_source));
        match re {
            Ok(re) => Ok(re.is_match(s)),
            Err(e) => Err(e.clone()),
        }
    }

    /// Compiles the regex path now (used to report syntax errors even for plain subjects).
    #[cfg(test)]
    pub fn check(&self) -> Result<(), ShError> {
        if self.glob.is_some() {
            return Ok(());
        }
        match self.regex.get_or_init(|| compile_js(&self.js_source)) {
            Ok(_) => Ok(()),
            Err(e) => Err(e.clone()),
        }
    }
}

fn glob_match<T: Copy + Into<u16>>(pat: &[Elem], hay: &[T]) -> bool {
    let (mut p, mut h) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while h < hay.len() {
        let unit: u16 = hay[h].into();
        match pat.get(p) {
            Some(Elem::Unit(u)) if *u == unit => {
                p += 1;
                h += 1;
                continue;
            }
            Some(Elem::Any) => {
                p += 1;
                h += 1;
                continue;
            }
            Some(Elem::Star) => {
                star = Some((p, h));
                p += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sh)) => {
                p = sp + 1;
                h = sh + 1;
                star = Some((sp, sh + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|e| *e == Elem::Star)
}

/// Translates a JavaScript (non-Unicode, Annex B) pattern to `regex-lite` syntax (its `\b` is
/// ASCII, as JavaScript's) and compiles it.
pub fn compile_js(js: &str) -> Result<regex_lite::Regex, ShError> {
    let rust = translate(js)?;
    regex_lite::RegexBuilder::new(&rust)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            ShError::Unsupported(format!("pattern too complex for a linear-time engine: {e}"))
        })
}

const DOT: &str = r"[^\n\r\x{2028}\x{2029}]";
/// JavaScript's `\s`: WhiteSpace and LineTerminator.
const WS: &[(u32, u32)] = &[
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
];
const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

/// A class escape set (`\d`, `\W`, ...): its members (sorted, disjoint code point ranges)
/// and whether it is negated.
#[derive(Clone, Copy)]
struct Set {
    body: &'static [(u32, u32)],
    negated: bool,
}

fn set_for(c: char) -> Option<Set> {
    let (body, negated) = match c {
        'd' => (DIGIT, false),
        'D' => (DIGIT, true),
        'w' => (WORD, false),
        'W' => (WORD, true),
        's' => (WS, false),
        'S' => (WS, true),
        _ => return None,
    };
    Some(Set { body, negated })
}

/// The code points a set matches, as ranges: a negated set is complemented here, because the
/// engine has no classes inside classes.
fn set_ranges(s: Set) -> Vec<(u32, u32)> {
    if !s.negated {
        return s.body.to_vec();
    }
    let mut out = Vec::new();
    let mut next = 0u32;
    for &(lo, hi) in s.body {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= 0x10FFFF {
        out.push((next, 0x10FFFF));
    }
    out
}

/// `[...]` (or `[^...]`) of `ranges`, merged, with the surrogates left out (they are no
/// characters; the subject is matched as text).
fn class_str(mut ranges: Vec<(u32, u32)>, negated: bool) -> String {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    let mut out = String::from(if negated { "[^" } else { "[" });
    for (lo, hi) in merged {
        for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
            if a <= b {
                out.push_str(&format!("\\x{{{a:X}}}"));
                if b > a {
                    out.push_str(&format!("-\\x{{{b:X}}}"));
                }
            }
        }
    }
    out.push(']');
    out
}

fn set_str(s: Set) -> String {
    class_str(s.body.to_vec(), s.negated)
}

fn lit(c: char) -> String {
    format!("\\x{{{:X}}}", u32::from(c))
}

struct Tr {
    src: Vec<char>,
    i: usize,
    out: String,
    groups: usize,
}

fn syntax(msg: &str) -> ShError {
    ShError::Syntax(msg.to_string())
}

fn translate(js: &str) -> Result<String, ShError> {
    let src: Vec<char> = js.chars().collect();
    let groups = count_groups(&src);
    let mut t = Tr {
        src,
        i: 0,
        out: String::with_capacity(js.len() * 2),
        groups,
    };
    t.run()?;
    Ok(t.out)
}

fn count_groups(src: &[char]) -> usize {
    let (mut i, mut n, mut in_class) = (0, 0, false);
    while i < src.len() {
        match src[i] {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class && src.get(i + 1) != Some(&'?') => n += 1,
            _ => {}
        }
        i += 1;
    }
    n
}

impl Tr {
    fn peek(&self, k: usize) -> Option<char> {
        self.src.get(self.i + k).copied()
    }

    fn run(&mut self) -> Result<(), ShError> {
        let mut open = 0usize;
        let mut quantifiable = false;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                '|' => {
                    self.out.push('|');
                    quantifiable = false;
                }
                '(' => {
                    if self.peek(0) == Some('?') {
                        return Err(ShError::Unsupported("group modifiers".into()));
                    }
                    self.out.push('(');
                    open += 1;
                    quantifiable = false;
                }
                ')' => {
                    if open == 0 {
                        return Err(syntax("Unmatched ')'"));
                    }
                    open -= 1;
                    self.out.push(')');
                    quantifiable = true;
                }
                '^' | '$' => {
                    self.out.push(c);
                    quantifiable = false;
                }
                '.' => {
                    self.out.push_str(DOT);
                    quantifiable = true;
                }
                '[' => {
                    self.class()?;
                    quantifiable = true;
                }
                '\\' => quantifiable = self.escape()?,
                '*' | '+' | '?' => {
                    if !quantifiable {
                        return Err(syntax("Nothing to repeat"));
                    }
                    self.out.push(c);
                    self.lazy();
                    quantifiable = false;
                }
                '{' => match self.braces() {
                    Some((min, max)) => {
                        if !quantifiable {
                            return Err(syntax("Nothing to repeat"));
                        }
                        if let Some(max) = max
                            && max < min
                        {
                            return Err(syntax("numbers out of order in {} quantifier"));
                        }
                        self.out.push_str(&match max {
                            Some(m) if m == min => format!("{{{min}}}"),
                            Some(m) => format!("{{{min},{m}}}"),
                            None => format!("{{{min},}}"),
                        });
                        self.lazy();
                        quantifiable = false;
                    }
                    None => {
                        self.out.push_str(&lit('{'));
                        quantifiable = true;
                    }
                },
                c => {
                    self.out.push_str(&lit(c));
                    quantifiable = true;
                }
            }
        }
        if open > 0 {
            return Err(syntax("Unterminated group"));
        }
        Ok(())
    }

    fn lazy(&mut self) {
        if self.peek(0) == Some('?') {
            self.i += 1;
            self.out.push('?');
        }
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` after the `{`; `None` (nothing consumed) if not one.
    fn braces(&mut self) -> Option<(u64, Option<u64>)> {
        let start = self.i;
        let min = self.number();
        let Some(min) = min else {
            self.i = start;
            return None;
        };
        let max = if self.peek(0) == Some(',') {
            self.i += 1;
            if self.peek(0) == Some('}') {
                None
            } else {
                match self.number() {
                    Some(m) => Some(m),
                    None => {
                        self.i = start;
                        return None;
                    }
                }
            }
        } else {
            Some(min)
        };
        if self.peek(0) != Some('}') {
            self.i = start;
            return None;
        }
        self.i += 1;
        Some((min, max))
    }

    fn number(&mut self) -> Option<u64> {
        let mut v: Option<u64> = None;
        while let Some(d) = self.peek(0).and_then(|c| c.to_digit(10)) {
            v = Some(
                v.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
            self.i += 1;
        }
        v
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for k in 0..n {
            v = v * 16 + self.peek(k)?.to_digit(16)?;
        }
        self.i += n;
        Some(v)
    }

    fn octal(&mut self, first: char) -> char {
        // Legacy octal escape: up to three digits, value at most 0o377.
        let mut v = first.to_digit(8).unwrap_or(0);
        let max_more = if v <= 3 { 2 } else { 1 };
        for _ in 0..max_more {
            match self.peek(0).and_then(|c| c.to_digit(8)) {
                Some(d) => {
                    v = v * 8 + d;
                    self.i += 1;
                }
                None => break,
            }
        }
        char::from_u32(v).unwrap_or('\0')
    }

    fn code_unit(v: u32) -> Result<char, ShError> {
        char::from_u32(v).ok_or_else(|| ShError::Unsupported("lone surrogate escapes".into()))
    }

    /// Escape outside a class; returns whether the result can take a quantifier.
    fn escape(&mut self) -> Result<bool, ShError> {
        let Some(c) = self.peek(0) else {
            return Err(syntax("\\ at end of pattern"));
        };
        self.i += 1;
        if let Some(set) = set_for(c) {
            self.out.push_str(&set_str(set));
            return Ok(true);
        }
        let ch = match c {
            'b' => {
                self.out.push_str(r"\b");
                return Ok(false);
            }
            'B' => {
                self.out.push_str(r"\B");
                return Ok(false);
            }
            't' => '\t',
            'n' => '\n',
            'v' => '\u{b}',
            'f' => '\u{c}',
            'r' => '\r',
            'c' => match self.peek(0) {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.i += 1;
                    char::from(u8::try_from(u32::from(l) % 32).unwrap_or(0))
                }
                _ => {
                    // Annex B: `\c` not followed by a letter is a literal backslash.
                    self.i -= 1;
                    '\\'
                }
            },
            '0' if !self.peek(0).is_some_and(|d| d.is_ascii_digit()) => '\0',
            '1'..='9' => {
                let start = self.i - 1;
                self.i = start;
                let n = self.number().unwrap_or(0);
                if n as usize <= self.groups && n > 0 {
                    return Err(ShError::Unsupported(
                        "backreferences need a backtracking engine".into(),
                    ));
                }
                self.i = start + 1;
                if c == '8' || c == '9' {
                    c
                } else {
                    self.octal(c)
                }
            }
            '0' => {
                let first = c;
                self.octal(first)
            }
            'x' => match self.hex(2) {
                Some(v) => Self::code_unit(v)?,
                None => 'x',
            },
            'u' => match self.hex(4) {
                Some(v) => Self::code_unit(v)?,
                None => 'u',
            },
            other => other,
        };
        self.out.push_str(&lit(ch));
        Ok(true)
    }

    /// One atom inside a class: a character or a class-escape set.
    fn class_atom(&mut self) -> Result<Result<char, Set>, ShError> {
        let Some(c) = self.peek(0) else {
            return Err(syntax("Unterminated character class"));
        };
        self.i += 1;
        if c != '\\' {
            return Ok(Ok(c));
        }
        let Some(e) = self.peek(0) else {
            return Err(syntax("\\ at end of pattern"));
        };
        self.i += 1;
        if let Some(set) = set_for(e) {
            return Ok(Err(set));
        }
        let ch = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'v' => '\u{b}',
            'f' => '\u{c}',
            'r' => '\r',
            'c' => match self.peek(0) {
                Some(l) if l.is_ascii_alphanumeric() || l == '_' => {
                    self.i += 1;
                    char::from(u8::try_from(u32::from(l) % 32).unwrap_or(0))
                }
                _ => {
                    self.i -= 1;
                    '\\'
                }
            },
            '0'..='7' => self.octal(e),
            'x' => match self.hex(2) {
                Some(v) => Self::code_unit(v)?,
                None => 'x',
            },
            'u' => match self.hex(4) {
                Some(v) => Self::code_unit(v)?,
                None => 'u',
            },
            other => other,
        };
        Ok(Ok(ch))
    }

    fn class(&mut self) -> Result<(), ShError> {
        let negated = self.peek(0) == Some('^');
        if negated {
            self.i += 1;
        }
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut empty = true;
        loop {
            match self.peek(0) {
                None => return Err(syntax("Unterminated character class")),
                Some(']') => {
                    self.i += 1;
                    break;
                }
                Some(_) => {}
            }
            empty = false;
            let a = self.class_atom()?;
            let is_range = self.peek(0) == Some('-') && self.peek(1).is_some_and(|c| c != ']');
            if !is_range {
                push_atom(&mut ranges, a);
                continue;
            }
            self.i += 1; // '-'
            let b = self.class_atom()?;
            match (a, b) {
                (Ok(x), Ok(y)) => {
                    if x > y {
                        return Err(syntax("Range out of order in character class"));
                    }
                    ranges.push((u32::from(x), u32::from(y)));
                }
                (a, b) => {
                    // Annex B: a range with a class escape is the union of its parts and '-'.
                    push_atom(&mut ranges, a);
                    ranges.push((0x2D, 0x2D));
                    push_atom(&mut ranges, b);
                }
            }
        }
        if empty {
            // `[]` matches nothing, `[^]` matches any code unit.
            self.out.push_str(if negated {
                r"[\x{0}-\x{10FFFF}]"
            } else {
                r"[^\x{0}-\x{10FFFF}]"
            });
        } else {
            self.out.push_str(&class_str(ranges, negated));
        }
        Ok(())
    }
}

fn push_atom(ranges: &mut Vec<(u32, u32)>, a: Result<char, Set>) {
    match a {
        Ok(c) => ranges.push((u32::from(c), u32::from(c))),
        Err(s) => ranges.extend(set_ranges(s)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn m(hay: &str, pat: &str) -> Result<bool, ShError> {
        let p: Vec<u16> = pat.encode_utf16().collect();
        let h: Vec<u16> = hay.encode_utf16().collect();
        let matcher = Matcher::new(&p);
        matcher.check()?;
        let r16 = matcher.is_match_utf16(&h)?;
        if hay.chars().all(|c| u32::from(c) < 256) {
            let l1: Vec<u8> = hay
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect();
            assert_eq!(
                matcher.is_match_latin1(&l1)?,
                r16,
                "latin1 vs utf16 for {hay} {pat}"
            );
        }
        Ok(r16)
    }

    #[test]
    fn star_globs_agree_with_the_general_matcher() {
        let pats = [
            "*",
            "",
            "a",
            "*a",
            "a*",
            "*a*",
            "a*b*c",
            "**",
            "*ab*ab*",
            "x*y*",
            "*.svc1.corp.example",
            "http://*.cdn2.example.net/*",
            "app3-*.saas.example.org",
        ];
        let hays = [
            "",
            "a",
            "ab",
            "abab",
            "aXbYc",
            "abc",
            "ababab",
            "x.svc1.corp.example",
            "http://b.cdn2.example.net/lib.js",
            "app3-eu.saas.example.org",
            "app3.saas.example.org",
            "xy",
            "yx",
        ];
        for p in pats {
            let units: Vec<u16> = p.encode_utf16().collect();
            let star = StarGlob::new(&units).unwrap();
            let elems: Vec<Elem> = units
                .iter()
                .map(|&u| if u == 0x2a { Elem::Star } else { Elem::Unit(u) })
                .collect();
            for h in hays {
                assert_eq!(
                    star.is_match(h.as_bytes()),
                    glob_match(&elems, h.as_bytes()),
                    "{p} vs {h}"
                );
            }
        }
    }

    #[test]
    fn globs() {
        assert_eq!(m("www.example.com", "*.example.com"), Ok(true));
        assert_eq!(m("example.com", "*.example.com"), Ok(false));
        assert_eq!(m("wwwXexample.com", "www.example.com"), Ok(false));
        assert_eq!(m("a.com", "?.com"), Ok(true));
        assert_eq!(m("ab.com", "?.com"), Ok(false));
        assert_eq!(m("", "*"), Ok(true));
        assert_eq!(m("abc", "a*b*c*"), Ok(true));
        assert_eq!(m("ABC.com", "abc.com"), Ok(false));
        assert_eq!(m("a\nb", "a*b"), Ok(false));
        assert_eq!(m("a\nb", "a?b"), Ok(false));
    }

    #[test]
    fn regex_characters_leak_through() {
        assert_eq!(
            m("abcdomain.com", "(*.abcdomain.com|abcdomain.com)"),
            Ok(true)
        );
        assert_eq!(
            m("foo.abcdomain.com", "(*.abcdomain.com|abcdomain.com)"),
            Ok(true)
        );
        assert_eq!(
            m("abddomain.com", "(*.abcdomain.com|abcdomain.com)"),
            Ok(false)
        );
        assert_eq!(m("host7.example", "host[0-9].example"), Ok(true));
        assert_eq!(m("hostx.example", "host[0-9].example"), Ok(false));
        assert_eq!(m("aaa", "a+"), Ok(true));
        assert_eq!(m("ab", "a{2}b"), Ok(false));
        assert_eq!(m("aab", "a{2}b"), Ok(true));
        assert_eq!(m("a{b", "a{b"), Ok(true));
        assert_eq!(m("x12", "x\\d\\d"), Ok(true));
        // Unbracketed alternation: the anchors only bind the outer alternatives.
        assert_eq!(m("xxb", "a|b"), Ok(true));
        assert_eq!(m("axx", "a|b"), Ok(true));
        // A backslash before `*` escapes the inserted dot: zero or more literal dots.
        assert_eq!(m("a...b", "a\\*b"), Ok(true));
        assert_eq!(m("axb", "a\\*b"), Ok(false));
        assert_eq!(m("a]b", "a]b"), Ok(true));
        assert_eq!(m("a", "[^]"), Ok(true));
        assert_eq!(m("a", "[]"), Ok(false));
        assert_eq!(m("a-", "a[\\d-z]"), Ok(true));
    }

    #[test]
    fn negated_escapes_inside_classes_and_ascii_word_boundaries() {
        // `\D`, `\W`, `\S` inside a class are complemented in place (no nested classes).
        assert_eq!(m("x", "[\\D]"), Ok(true));
        assert_eq!(m("7", "[\\D]"), Ok(false));
        assert_eq!(m("é", "[\\W]"), Ok(true));
        assert_eq!(m("_", "[\\W]"), Ok(false));
        assert_eq!(m("_", "[^\\W]"), Ok(true));
        assert_eq!(m("\u{3000}", "[\\S]"), Ok(false));
        assert_eq!(m("é", "[\\s\\S]"), Ok(true));
        assert_eq!(m("-", "[\\S-x]"), Ok(true));
        // JavaScript's `\b` knows ASCII word characters only.
        assert_eq!(m("a", "\\ba"), Ok(true));
        assert_eq!(m("é", "\\bé"), Ok(false));
        assert_eq!(m("é", "\\Bé"), Ok(true));
    }

    #[test]
    fn syntax_errors_like_javascript() {
        assert!(matches!(m("a", "("), Err(ShError::Syntax(_))));
        assert!(matches!(m("a", ")"), Err(ShError::Syntax(_))));
        assert!(matches!(m("a", "+a"), Err(ShError::Syntax(_))));
        assert!(matches!(m("a", "a++"), Err(ShError::Syntax(_))));
        assert!(matches!(m("a", "[b-a]"), Err(ShError::Syntax(_))));
        assert!(matches!(m("a", "a{3,2}"), Err(ShError::Syntax(_))));
        assert!(matches!(m("a", "[a"), Err(ShError::Syntax(_))));
        // A trailing backslash escapes the appended `$`: the end is no longer anchored.
        assert_eq!(m("a$tail", "a\\"), Ok(true));
        assert!(matches!(m("aa", "(a)\\1"), Err(ShError::Unsupported(_))));
    }

    #[test]
    fn catastrophic_patterns_are_linear() {
        let hay = "a".repeat(5000) + "!";
        let start = std::time::Instant::now();
        assert_eq!(m(&hay, "(a+)+b"), Ok(false));
        assert_eq!(m(&hay, "(a|aa)+$x"), Ok(false));
        assert_eq!(m(&hay, "*a*a*a*a*a*a*a*a*b"), Ok(false));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
