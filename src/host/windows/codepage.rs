//! Text that Windows console tools print, decoded from the console code page.
//!
//! `ipconfig`, `route`, `netsh` and `reg` write in the OEM code page of the system locale
//! (CP437 English, CP850 Western Europe, CP932 Japanese...) unless the console was switched to
//! UTF-8 (`chcp 65001`). [`decode`] takes the bytes and the code page; [`decode_console`]
//! prefers UTF-8 when the bytes are valid UTF-8 (text in an OEM code page with any non-ASCII
//! byte almost never is) and falls back to the code page otherwise.

use std::borrow::Cow;

/// UTF-8's code page number.
pub const UTF8: u16 = 65001;

/// Decodes `bytes` written in Windows code page `codepage`. Single-byte OEM code pages
/// (437, 850, 852, 866...) use their tables, multi-byte ones (932 Shift_JIS, 936, 949, 950)
/// and the ANSI pages (125x) use `encoding_rs`; an unknown code page decodes as lossy UTF-8.
/// A UTF-8 or UTF-16 byte-order mark wins over the code page.
pub fn decode(bytes: &[u8], codepage: u16) -> String {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode(bytes).0.into_owned();
    }
    if codepage == UTF8 || bytes.is_ascii() {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    if let Some(table) = oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&codepage) {
        return table.decode_string_lossy(bytes);
    }
    match codepage::to_encoding(codepage) {
        Some(enc) => {
            let (text, _, _) = enc.decode(bytes);
            match text {
                Cow::Borrowed(s) => s.to_string(),
                Cow::Owned(s) => s,
            }
        }
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes console output: valid UTF-8 stays UTF-8 (a console set to `chcp 65001`, or
/// PowerShell told to write UTF-8), anything else is read in `codepage`.
pub fn decode_console(bytes: &[u8], codepage: u16) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if encoding_rs::Encoding::for_bom(bytes).is_none() => s.to_string(),
        _ => decode(bytes, codepage),
    }
}

/// The OEM code page of this machine (the registry's
/// `HKLM\SYSTEM\CurrentControlSet\Control\Nls\CodePage\OEMCP`), which console tools write in;
/// UTF-8 off Windows or when it cannot be read.
pub fn oem_codepage() -> u16 {
    #[cfg(windows)]
    {
        let read = || -> Option<u16> {
            let key = windows_registry::LOCAL_MACHINE
                .open(r"SYSTEM\CurrentControlSet\Control\Nls\CodePage")
                .ok()?;
            key.get_string("OEMCP").ok()?.trim().parse().ok()
        };
        read().unwrap_or(UTF8)
    }
    #[cfg(not(windows))]
    {
        UTF8
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cp850_umlauts_and_accents() {
        // "Primäres DNS-Suffix" and "Média déconnecté" as CP850 writes them.
        assert_eq!(
            decode(b"Prim\x84res DNS-Suffix", 850),
            "Primäres DNS-Suffix"
        );
        assert_eq!(
            decode(b"M\x82dia d\x82connect\x82", 850),
            "Média déconnecté"
        );
        // The same bytes are not valid UTF-8, so the console decoder uses the code page.
        assert_eq!(decode_console(b"M\x82dia", 850), "Média");
    }

    #[test]
    fn cp932_japanese() {
        // "イーサネット" in Shift_JIS.
        let sjis = b"\x83\x43\x81\x5b\x83\x54\x83\x6c\x83\x62\x83\x67";
        assert_eq!(decode(sjis, 932), "イーサネット");
        assert_eq!(decode_console(sjis, 932), "イーサネット");
    }

    #[test]
    fn utf8_and_boms_win() {
        assert_eq!(decode_console("Média".as_bytes(), 850), "Média");
        assert_eq!(decode(b"\xef\xbb\xbfabc", 850), "abc");
        assert_eq!(decode(b"\xff\xfea\x00b\x00", 850), "ab");
        assert_eq!(decode_console(b"\xff\xfea\x00", 932), "a");
        assert_eq!(decode(b"plain", 932), "plain");
        // Unknown code page: lossy UTF-8, never a panic.
        assert_eq!(decode(b"a\xffb", 12345), "a\u{fffd}b");
    }

    #[test]
    fn oem_codepage_off_windows_is_utf8() {
        if !cfg!(windows) {
            assert_eq!(oem_codepage(), UTF8);
        } else {
            assert_ne!(oem_codepage(), 0);
        }
    }
}
