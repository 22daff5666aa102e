//! Compile-once regular-expression literals.
//!
//! boa compiles a regular-expression literal every time the expression is evaluated, which for
//! typical PAC files (`/^\d+\.\d+\.\d+\.\d+$/.test(host)` in `FindProxyForURL`) costs more than
//! the rest of the call. Browsers' engines cache the compiled pattern per literal. This module
//! finds literals without the `g`/`y` flags (whose objects carry no matching state) and replaces
//! each by a reference to one object created once, so a literal is compiled once per script.
//! The only observable difference is object identity across evaluations of the same literal.
//!
//! The scan is a conservative tokenizer: when unsure whether `/` starts a literal it assumes
//! division, and the caller falls back to the original source if the rewrite does not compile.

/// Name of the array holding the hoisted literals.
pub(crate) const REGEX_ARRAY: &str = "__pe_doctor_pac_re";

/// A rewritten source and the literals it now refers to (by index in [`REGEX_ARRAY`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hoisted {
    pub source: String,
    pub literals: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of input or a punctuator after which an expression starts.
    Operator,
    /// A keyword after which an expression starts (`return`, `typeof`...).
    Keyword,
    /// A value (identifier, literal, `)`, `]`, `}`, `++`, `--`): `/` divides.
    Value,
}

const EXPR_KEYWORDS: [&str; 13] = [
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "instanceof",
    "new",
    "delete",
    "void",
    "throw",
    "yield",
    "await",
];

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || u32::from(c) > 0x7f
}

/// Rewrites `src`; `None` when there is nothing to hoist or the scan meets something it does
/// not understand.
pub(crate) fn hoist(src: &str) -> Option<Hoisted> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let mut i = 0usize;
    let mut prev = Prev::Operator;
    // Brace depths at which an enclosing template literal resumes.
    let mut templates: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let mut found: Vec<(usize, usize, String)> = Vec::new();
    while i < n {
        let c = chars[i].1;
        match c {
            c if c.is_whitespace() => i += 1,
            '/' if at(i + 1) == Some('/') => {
                while i < n && !matches!(chars[i].1, '\n' | '\r' | '\u{2028}' | '\u{2029}') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                i += 2;
                while i < n && !(chars[i].1 == '*' && at(i + 1) == Some('/')) {
                    i += 1;
                }
                i += 2;
            }
            '\'' | '"' => {
                i += 1;
                while i < n && chars[i].1 != c {
                    if chars[i].1 == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                prev = Prev::Value;
            }
            '`' => {
                let (next, open) = scan_template(&chars, i + 1, &mut templates, braces)?;
                i = next;
                prev = if open { Prev::Operator } else { Prev::Value };
            }
            '}' if templates.last() == Some(&braces) => {
                templates.pop();
                let (next, open) = scan_template(&chars, i + 1, &mut templates, braces)?;
                i = next;
                prev = if open { Prev::Operator } else { Prev::Value };
            }
            '/' if prev != Prev::Value => {
                let start = i;
                i += 1;
                let mut in_class = false;
                loop {
                    match at(i)? {
                        '\\' => i += 2,
                        '[' => {
                            in_class = true;
                            i += 1;
                        }
                        ']' => {
                            in_class = false;
                            i += 1;
                        }
                        '/' if !in_class => break,
                        '\n' | '\r' | '\u{2028}' | '\u{2029}' => return None,
                        _ => i += 1,
                    }
                }
                i += 1;
                let flags_start = i;
                while at(i).is_some_and(is_ident_char) {
                    i += 1;
                }
                let flags: String = chars[flags_start..i].iter().map(|(_, c)| *c).collect();
                let byte_start = chars[start].0;
                let byte_end = chars.get(i).map_or(src.len(), |(b, _)| *b);
                if !flags.contains(['g', 'y']) && flags.chars().all(|f| "dimsuv".contains(f)) {
                    found.push((byte_start, byte_end, src[byte_start..byte_end].to_string()));
                }
                prev = Prev::Value;
            }
            c if is_ident_char(c) => {
                let s = i;
                while i < n && is_ident_char(chars[i].1) {
                    i += 1;
                }
                let word: String = chars[s..i].iter().map(|(_, c)| *c).collect();
                prev = if EXPR_KEYWORDS.contains(&word.as_str()) {
                    Prev::Keyword
                } else {
                    Prev::Value
                };
            }
            ')' | ']' => {
                i += 1;
                prev = Prev::Value;
            }
            '}' => {
                braces = braces.saturating_sub(1);
                i += 1;
                prev = Prev::Value;
            }
            '{' => {
                braces += 1;
                i += 1;
                prev = Prev::Operator;
            }
            '+' | '-' if at(i + 1) == Some(c) => {
                i += 2;
                prev = Prev::Value;
            }
            _ => {
                i += 1;
                prev = Prev::Operator;
            }
        }
    }
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(src.len() + found.len() * 24);
    let mut last = 0;
    let mut literals = Vec::new();
    for (k, (s, e, text)) in found.into_iter().enumerate() {
        out.push_str(&src[last..s]);
        out.push_str(&format!("({REGEX_ARRAY}[{k}])"));
        literals.push(text);
        last = e;
    }
    out.push_str(&src[last..]);
    Some(Hoisted {
        source: out,
        literals,
    })
}

/// Scans template characters from `i` (just after a backtick or a closing `}` of a
/// substitution); returns the index after the closing backtick (`false`), or after `${` with
/// the substitution's brace depth pushed (`true`).
fn scan_template(
    chars: &[(usize, char)],
    mut i: usize,
    templates: &mut Vec<usize>,
    braces: usize,
) -> Option<(usize, bool)> {
    loop {
        match chars.get(i)?.1 {
            '\\' => i += 2,
            '`' => return Some((i + 1, false)),
            '$' if chars.get(i + 1).map(|(_, c)| *c) == Some('{') => {
                templates.push(braces);
                return Some((i + 2, true));
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hoists_plain_literals_only() {
        let h =
            hoist("var isIp = /^\\d+$/.test(host); var g = /a/g; x = a / b / c; return /x[/]y/i;")
                .unwrap();
        assert_eq!(
            h.literals,
            vec!["/^\\d+$/".to_string(), "/x[/]y/i".to_string()]
        );
        assert_eq!(
            h.source,
            "var isIp = (__pe_doctor_pac_re[0]).test(host); var g = /a/g; x = a / b / c; return (__pe_doctor_pac_re[1]);"
        );
    }

    #[test]
    fn skips_strings_comments_templates() {
        assert_eq!(
            hoist("var s = '/a/'; // /b/\n /* /c/ */ var t = `/d/ ${ {a:1}.a / 2 } /e/`;"),
            None
        );
        let h = hoist("var t = `${ /z/.test(q) }`; y = (a) / 2;").unwrap();
        assert_eq!(h.literals, vec!["/z/".to_string()]);
        assert_eq!(hoist("i++ / 2 / 3"), None);
    }
}
