//! Terminal safety: text that came from outside (a PAC's `alert`, `throw` or return value, a
//! server header, a certificate, a file) is shown with its control characters escaped visibly,
//! so none reaches a terminal raw.
//!
//! Escaped: C0 controls and DEL (`\x1b`, `\x07`; `\n`, `\r`, `\t` by name), C1 controls
//! (`\u{9b}`, a one-character CSI on some terminals), bidirectional overrides and isolates
//! (`\u{202e}`, which make text read differently from what it is) and the Unicode line and
//! paragraph separators. Backslashes are kept as they are, so Windows paths stay readable.

use super::model::Report;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Escapes every control character of `s` visibly, newlines included (for one-line fields).
pub fn sanitize(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Like [`sanitize`], but keeps `\n` and `\t` (for messages of several lines, e.g. a parser's
/// error with the offending line quoted).
pub fn sanitize_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// A copy of `report` in which every string is sanitised, for the text and Markdown renderers.
/// Strings are reached through [`super::redact::for_each_string`], so none is forgotten.
pub fn report(report: &Report) -> Report {
    let mut copy = report.clone();
    super::redact::for_each_string(&mut copy, &mut |s| {
        if let Cow::Owned(clean) = sanitize(s) {
            *s = clean;
        }
    });
    // Code to paste keeps its lines.
    for (f, original) in copy.findings.iter_mut().zip(&report.findings) {
        f.snippet = original
            .snippet
            .as_deref()
            .map(|s| sanitize_lines(s).into_owned());
    }
    copy
}

/// True for a character a terminal may act on or that changes how the text around it reads.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// Serialised JSON with every control character JSON leaves raw (C1 controls, `DEL`, bidi
/// overrides, line separators) written as a `\uXXXX` escape: the same value, safe to print.
pub fn json(text: &str) -> Cow<'_, str> {
    let raw = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(raw) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if raw(c) {
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

fn escape(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_lines && matches!(c, '\n' | '\t');
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_value_and_loses_raw_controls() {
        let value = serde_json::json!({"a": "x\u{9b}31m\u{1b}[2J\u{202e}\u{7f}"});
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let safe = json(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, value);
    }

    #[test]
    fn escapes_terminal_controls_visibly() {
        let hostile = "a\x1b]0;pwned\x07b\x1b[2Jc\u{9b}31md\u{202e}txt.exe\u{7f}\0";
        let clean = sanitize(hostile);
        assert_eq!(
            clean,
            "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\u{9b}31md\\u{202e}txt.exe\\x7f\\x00"
        );
        assert!(!clean.chars().any(is_unsafe));
    }

    #[test]
    fn newlines_and_tabs_by_name_or_kept() {
        assert_eq!(sanitize("one\ntwo\r\tthree"), "one\\ntwo\\r\\tthree");
        assert_eq!(sanitize_lines("one\ntwo\r\tthree"), "one\ntwo\\r\tthree");
        assert_eq!(sanitize_lines("x\u{2028}y\u{2066}"), "x\\u{2028}y\\u{2066}");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in [
            "C:\\Users\\alice\\pac.js",
            "Prüfung des Zertifikats fehlgeschlagen",
            "échec de la résolution",
            "名前解決に失敗しました",
            "✗ 20.41.5.7 PUBLIC",
            "",
        ] {
            assert!(matches!(sanitize(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    /// Every format, with a hostile suffix on every string of a report that went through a
    /// PAC, a proxy and a TLS-inspecting middlebox.
    #[tokio::test]
    async fn no_control_character_reaches_any_format() {
        use crate::cli::Format;
        use crate::lab::scenarios::{self, LabOptions};
        const HOSTILE: &str = "\x1b]0;owned\x07\x1b[8m\u{9b}2J\u{202e}gpj.exe\r\n\0";
        let mut report = scenarios::setup("tls-inspection", &LabOptions::default())
            .await
            .unwrap()
            .diagnose()
            .await;
        assert!(report.connections.iter().any(|c| c.tls.is_some()));
        // Code to paste is reached too, and keeps its own line breaks.
        report.findings[0].snippet = Some("if (a ||\n    b)\n    return \"DIRECT\";".into());
        crate::report::redact::for_each_string(&mut report, &mut |s| s.push_str(HOSTILE));
        // The renderers' own colour codes are the only escapes allowed on a colour terminal.
        let sgr = regex_lite::Regex::new(r"\x1b\[[0-9;]*m").unwrap();
        let md_punct = regex_lite::Regex::new(r"\\([!-/:-@\[-`{-~])").unwrap();
        for (format, color) in [
            (Format::Text, false),
            (Format::Text, true),
            (Format::Markdown, false),
            (Format::Html, false),
        ] {
            let mut buf = Vec::new();
            crate::report::render(&report, format, color, &mut buf).unwrap();
            let out = String::from_utf8(buf).unwrap();
            let own = if color {
                sgr.replace_all(&out, "").into_owned()
            } else {
                out.clone()
            };
            let bad: Vec<char> = own.chars().filter(|&c| is_unsafe(c) && c != '\n').collect();
            assert!(bad.is_empty(), "{format:?} color={color}: {:?}", &bad[..3]);
            // Markdown escapes punctuation, the backslash too: compare what it renders as.
            let shown = if format == Format::Markdown {
                md_punct.replace_all(&out, "$1").into_owned()
            } else {
                out.clone()
            };
            assert!(shown.contains("\\x1b]0;owned\\x07"), "{format:?} shows it");
            assert!(shown.contains("\\u{202e}gpj.exe"), "{format:?}");
            assert!(!out.contains("\x1b[8m"), "{format:?}: hostile SGR");
            assert!(out.contains("    b)\n"), "{format:?}: the snippet's lines");
        }
        // JSON keeps the data exactly (its own escaping makes it safe to parse).
        let mut buf = Vec::new();
        crate::report::render(&report, Format::Json, false, &mut buf).unwrap();
        let json = String::from_utf8(buf).unwrap();
        assert!(!json.contains('\x1b') && json.contains("\\u001b]0;owned\\u0007"));
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, serde_json::to_value(&report).unwrap());
    }
}
