//! Raw captures for the helpdesk (`diagnose --save-raw DIR`): while recording is on, every OS
//! tool's output and every configuration file a collector reads is kept, so captures from a
//! real laptop can become test fixtures. Off by default; nothing is kept then.

use std::sync::Mutex;

/// One captured output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// What produced it: `ipconfig /all`, `/etc/resolv.conf`, `GetAdaptersAddresses.json`.
    pub source: String,
    /// The bytes as the tool wrote them (in its code page).
    pub bytes: Vec<u8>,
}

/// What was kept while recording.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// Tool outputs and files, in the order read.
    pub captures: Vec<Capture>,
    /// The host facts the diagnosis ended with (JSON).
    pub facts: Option<serde_json::Value>,
}

static RECORDING: Mutex<Option<Recorded>> = Mutex::new(None);

/// Starts keeping captures (clearing earlier ones).
pub fn start() {
    if let Ok(mut r) = RECORDING.lock() {
        *r = Some(Recorded::default());
    }
}

/// Stops recording and returns what was kept.
pub fn take() -> Recorded {
    RECORDING
        .lock()
        .ok()
        .and_then(|mut r| r.take())
        .unwrap_or_default()
}

/// Keeps `bytes` under `source` when recording is on.
pub fn record(source: &str, bytes: &[u8]) {
    if let Ok(mut r) = RECORDING.lock()
        && let Some(rec) = r.as_mut()
    {
        rec.captures.push(Capture {
            source: source.to_string(),
            bytes: bytes.to_vec(),
        });
    }
}

/// Keeps the host facts the diagnosis ended with, when recording is on.
pub fn record_facts(facts: &super::HostFacts) {
    if let Ok(mut r) = RECORDING.lock()
        && let Some(rec) = r.as_mut()
    {
        rec.facts = serde_json::to_value(facts).ok();
    }
}

/// A file name for a capture: `03-ipconfig_all.txt` (letters, digits, `-`, `_` and `.` only).
pub fn file_name(index: usize, source: &str) -> String {
    let mut name: String = source
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.truncate(80);
    let name = name.trim_matches(['_', '.']).to_string();
    if name.contains('.') {
        format!("{index:02}-{name}")
    } else {
        format!("{index:02}-{name}.txt")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name(3, "ipconfig /all"), "03-ipconfig__all.txt");
        assert_eq!(file_name(1, "/etc/resolv.conf"), "01-etc_resolv.conf");
        assert_eq!(
            file_name(2, "GetAdaptersAddresses.json"),
            "02-GetAdaptersAddresses.json"
        );
        assert_eq!(file_name(4, "../../x"), "04-x.txt");
        assert!(!file_name(5, "a\\..\\b").contains(['\\', '/']));
    }
}
