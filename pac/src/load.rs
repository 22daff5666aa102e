//! Loading PAC text: the size limit and the character decoding browsers apply.
//!
//! Fetching over HTTP lives outside this crate (it opens no sockets); the fetched body is
//! decoded here with [`decode_pac_bytes`].

use std::path::Path;

use crate::PacError;

/// Browsers refuse PAC files larger than this (1 MiB).
pub const MAX_PAC_BYTES: usize = 1 << 20;

/// Decodes a PAC body: a byte-order mark selects UTF-8 / UTF-16LE / UTF-16BE (and is removed);
/// otherwise the `charset` from the response's Content-Type is used when it names UTF-8,
/// UTF-16 or Latin-1, and everything else is read as Latin-1. Invalid sequences become U+FFFD.
pub fn decode_pac_bytes(bytes: &[u8], charset: Option<&str>) -> Result<String, PacError> {
    if bytes.len() > MAX_PAC_BYTES {
        return Err(PacError::TooLarge {
            size: bytes.len(),
            limit: MAX_PAC_BYTES,
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok(utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok(utf16(rest, u16::from_be_bytes));
    }
    let cs = charset.map(|c| c.trim().trim_matches('"').to_ascii_lowercase());
    Ok(match cs.as_deref() {
        Some("utf-8" | "utf8") => String::from_utf8_lossy(bytes).into_owned(),
        Some("utf-16le" | "utf-16") => utf16(bytes, u16::from_le_bytes),
        Some("utf-16be") => utf16(bytes, u16::from_be_bytes),
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    })
}

fn utf16(bytes: &[u8], f: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                f([c[0], c[1]])
            } else {
                0xFFFD
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
}

/// Reads and decodes a PAC file (no charset information: BOM, else Latin-1).
pub fn load_file(path: &Path) -> Result<String, PacError> {
    let load_err = |reason: String| PacError::Load {
        location: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| load_err(e.to_string()))?;
    if meta.len() > MAX_PAC_BYTES as u64 {
        return Err(load_err(format!(
            "file is {} bytes, larger than the {MAX_PAC_BYTES}-byte limit",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| load_err(e.to_string()))?;
    decode_pac_bytes(&bytes, None).map_err(|e| load_err(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bom_sniffing_and_latin1() {
        assert_eq!(
            decode_pac_bytes(b"\xEF\xBB\xBFvar a='\xC3\xA9';", None).unwrap(),
            "var a='é';"
        );
        assert_eq!(decode_pac_bytes(b"\xFF\xFEa\x00b\x00", None).unwrap(), "ab");
        assert_eq!(decode_pac_bytes(b"\xFE\xFF\x00a\x00b", None).unwrap(), "ab");
        // No BOM: Latin-1, so UTF-8 bytes become two characters.
        assert_eq!(decode_pac_bytes(b"\xC3\xA9", None).unwrap(), "Ã©");
        assert_eq!(decode_pac_bytes(b"\xC3\xA9", Some("UTF-8")).unwrap(), "é");
        assert_eq!(
            decode_pac_bytes(b"\xE9", Some("windows-1252")).unwrap(),
            "é"
        );
    }

    #[test]
    fn size_limit() {
        let big = vec![b' '; MAX_PAC_BYTES + 1];
        assert!(matches!(
            decode_pac_bytes(&big, None),
            Err(PacError::TooLarge { .. })
        ));
        assert!(decode_pac_bytes(&big[..MAX_PAC_BYTES], None).is_ok());
    }

    #[test]
    fn file_errors_name_the_file() {
        let err = load_file(Path::new("/nonexistent/proxy.pac")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/proxy.pac"));
    }
}
