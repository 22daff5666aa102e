//! `pe-doctor diagnose --save-raw DIR`: writes what the OS tools printed and the configuration
//! files read (one file each), the facts parsed from them (`facts.json`) and an index
//! (`captures.json`: source, file, how it was encoded), so a helpdesk can send captures from a
//! real laptop that become test fixtures. Redacted like the report unless `--no-redact`: then
//! the bytes are kept exactly as the tool wrote them (in its console code page). Files are
//! written like `--output` (through a temporary file, never through a symbolic link).

use crate::host::raw_capture::{self, Recorded};
use crate::host::windows::codepage;
use crate::report::redact::{RedactionContext, redact_str};
use std::io;
use std::path::{Path, PathBuf};

/// Creates `dir` (and its parents) so a bad path fails before the diagnosis runs.
pub fn prepare(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".pe-doctor-write-test");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

/// Writes the captures and facts into `dir`; returns the files written.
pub fn save(dir: &Path, recorded: &Recorded, redact: bool) -> io::Result<Vec<PathBuf>> {
    let captures = &recorded.captures;
    let ctx = RedactionContext::for_this_machine();
    let cp = codepage::oem_codepage();
    let mut written = Vec::new();
    let mut index = Vec::new();
    for (i, c) in captures.iter().enumerate() {
        let source = if redact {
            redact_str(&c.source, &ctx)
        } else {
            c.source.clone()
        };
        let name = raw_capture::file_name(i + 1, &source);
        let (bytes, encoding) = if redact {
            let text = codepage::decode_console(&c.bytes, cp);
            (
                redact_str(&text, &ctx).into_bytes(),
                "utf-8 (redacted)".to_string(),
            )
        } else {
            let enc = if std::str::from_utf8(&c.bytes).is_ok() {
                "utf-8".to_string()
            } else {
                format!("code page {cp}")
            };
            (c.bytes.clone(), enc)
        };
        let path = dir.join(&name);
        crate::fsio::write_atomically(&path, &bytes)?;
        index.push(serde_json::json!({
            "source": source,
            "file": name,
            "encoding": encoding,
        }));
        written.push(path);
    }
    let mut facts = recorded.facts.clone().unwrap_or(serde_json::Value::Null);
    if redact {
        redact_value(&mut facts, &ctx);
    }
    for (name, value) in [
        ("facts.json", facts),
        ("captures.json", serde_json::Value::Array(index)),
    ] {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
        crate::fsio::write_atomically(&path, (text + "\n").as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Redacts every string of a JSON value.
fn redact_value(v: &mut serde_json::Value, ctx: &RedactionContext) {
    match v {
        serde_json::Value::String(s) => *s = redact_str(s, ctx),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, ctx)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| redact_value(x, ctx)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::host::HostFacts;
    use crate::host::raw_capture::Capture;

    fn recorded(captures: &[Capture], facts: &HostFacts) -> Recorded {
        Recorded {
            captures: captures.to_vec(),
            facts: Some(serde_json::to_value(facts).unwrap()),
        }
    }

    #[test]
    fn writes_redacted_captures_facts_and_index() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("captures");
        prepare(&out).unwrap();
        let captures = vec![
            Capture {
                source: "ipconfig /all".into(),
                bytes: b"   Physical Address. . . : 8C-16-45-2A-7B-91\r\n   M\x82dia\r\n".to_vec(),
            },
            Capture {
                source: "reg query HKCU".into(),
                bytes: b"ProxyServer    REG_SZ    http://bob:s3cret@proxy:8080\r\n".to_vec(),
            },
        ];
        let mut facts = HostFacts::empty();
        facts
            .notes
            .push("proxy http://bob:s3cret@proxy:8080 failed".into());
        let files = save(&out, &recorded(&captures, &facts), true).unwrap();
        assert_eq!(files.len(), 4);
        let first = std::fs::read_to_string(out.join("01-ipconfig__all.txt")).unwrap();
        assert!(!first.contains("8C-16-45-2A-7B-91"), "{first}");
        let second = std::fs::read_to_string(out.join("02-reg_query_HKCU.txt")).unwrap();
        assert!(!second.contains("s3cret"), "{second}");
        let facts: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("facts.json")).unwrap())
                .unwrap();
        assert!(!facts.to_string().contains("s3cret"));
        assert_eq!(facts["os"], std::env::consts::OS);
        let index: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("captures.json")).unwrap())
                .unwrap();
        assert_eq!(index[0]["source"], "ipconfig /all");
        assert_eq!(index[1]["file"], "02-reg_query_HKCU.txt");

        // Unredacted: the bytes exactly as the tool wrote them.
        let raw = dir.path().join("raw");
        prepare(&raw).unwrap();
        save(&raw, &recorded(&captures, &facts_empty()), false).unwrap();
        assert_eq!(
            std::fs::read(raw.join("01-ipconfig__all.txt")).unwrap(),
            captures[0].bytes
        );
    }

    fn facts_empty() -> HostFacts {
        HostFacts::empty()
    }

    #[test]
    fn unwritable_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        assert!(prepare(&file.join("sub")).is_err());
    }
}
