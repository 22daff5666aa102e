//! Policy stores as OS tools print them: `reg query KEY /s` (Windows) and `defaults read`
//! (macOS, the old-style ASCII property-list format). Both become a JSON tree shaped like a
//! `policies.json` / managed `*.json` file, so one extractor serves every OS.

use super::BrowsersError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One registry value from `reg query` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegValue {
    /// The full key as `reg` prints it (`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\...`).
    pub key: String,
    /// The value name (`(Default)` for the unnamed value).
    pub name: String,
    /// The registry type (`REG_SZ`, `REG_DWORD`, `REG_MULTI_SZ`...).
    pub kind: String,
    /// The data: strings as printed, DWORD/QWORD in decimal, MULTI_SZ items joined by `\0`
    /// exactly as `reg` prints them.
    pub data: String,
}

impl RegValue {
    /// The data as a JSON value: numbers for DWORD/QWORD, an array for MULTI_SZ, else a string.
    pub fn to_json(&self) -> Value {
        match self.kind.as_str() {
            "REG_DWORD" | "REG_QWORD" => self
                .data
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(self.data.clone())),
            "REG_MULTI_SZ" => Value::Array(
                self.data
                    .split("\\0")
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
            _ => Value::String(self.data.clone()),
        }
    }
}

/// Parses `reg query <key> /s` output: key headers (lines starting with `HKEY_`) followed by
/// indented `name    TYPE    data` lines. DWORD/QWORD data (`0x1`) is given in decimal.
/// Lines that are neither (blank lines, `End of search` summaries) are skipped.
pub fn parse_reg_query_policies(text: &str) -> Vec<RegValue> {
    let mut out = Vec::new();
    let mut key: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("HKEY_") || line.starts_with("HKLM") || line.starts_with("HKCU") {
            key = Some(line.trim().to_string());
            continue;
        }
        let Some(current) = key.as_ref() else {
            continue;
        };
        let body = line.trim_start();
        // `name    REG_TYPE    data`: the type is the first 4-space-separated REG_ token.
        let Some(pos) = find_type(body) else {
            continue;
        };
        let name = body[..pos].trim_end().to_string();
        let rest = &body[pos..];
        let (kind, data) = match rest.find("    ") {
            Some(i) => (&rest[..i], rest[i..].trim_start_matches(' ')),
            None => (rest.trim_end(), ""),
        };
        let data = match kind {
            "REG_DWORD" | "REG_QWORD" => hex_to_decimal(data.trim()),
            _ => data.to_string(),
        };
        out.push(RegValue {
            key: current.clone(),
            name,
            kind: kind.to_string(),
            data,
        });
    }
    out
}

/// Byte offset of the ` REG_` type token in a value line (after the name's padding).
fn find_type(body: &str) -> Option<usize> {
    if body.starts_with("REG_") {
        // An empty value name would make the type the first token.
        return None;
    }
    let mut from = 0;
    while let Some(i) = body[from..].find("    REG_") {
        let start = from + i + 4;
        let token_end = body[start..]
            .find(' ')
            .map(|e| start + e)
            .unwrap_or(body.len());
        let token = &body[start..token_end];
        if token.len() > 4
            && token[4..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Some(start);
        }
        from = start;
    }
    None
}

/// `0x1f` → `31`; anything else unchanged.
fn hex_to_decimal(text: &str) -> String {
    text.strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .map(|v| v.to_string())
        .unwrap_or_else(|| text.to_string())
}

/// Expands `HKLM\`/`HKCU\` to the names `reg` prints and lower-cases, for key comparison.
fn normalize_key(key: &str) -> String {
    let k = key.trim().trim_end_matches('\\');
    let lower = k.to_ascii_lowercase();
    for (short, long) in [
        ("hklm", "hkey_local_machine"),
        ("hkcu", "hkey_current_user"),
    ] {
        if lower == short {
            return long.to_string();
        }
        if let Some(rest) = lower.strip_prefix(&format!("{short}\\")) {
            return format!("{long}\\{rest}");
        }
    }
    lower
}

/// Builds a policy tree from the values under `root` (e.g. `HKLM\SOFTWARE\Policies\Microsoft\Edge`):
/// values of the root become top-level entries, subkeys become nested objects, and a subkey
/// whose value names are all numbers (`1`, `2`... as Chrome/Edge/Firefox list policies use)
/// becomes an array in numeric order. Values outside `root` are ignored.
pub fn reg_values_to_policies(values: &[RegValue], root: &str) -> Map<String, Value> {
    let root = normalize_key(root);
    let mut tree = Map::new();
    for v in values {
        let key = normalize_key(&v.key);
        let rel = if key == root {
            ""
        } else if let Some(rest) = key.strip_prefix(&format!("{root}\\")) {
            rest
        } else {
            continue;
        };
        // Keep the original spelling of subkey names (the policy names are case-sensitive
        // in JSON); take them from the printed key.
        let printed = v.key.trim().trim_end_matches('\\');
        let original_rel = printed
            .get(printed.len().saturating_sub(rel.len())..)
            .unwrap_or(rel);
        let parts: Vec<&str> = original_rel.split('\\').filter(|p| !p.is_empty()).collect();
        insert_at(&mut tree, &parts, &v.name, v.to_json());
    }
    for value in tree.values_mut() {
        numbered_objects_to_arrays(value);
    }
    tree
}

/// Inserts `name = value` into the object reached through `parts` (created as needed).
fn insert_at(map: &mut Map<String, Value>, parts: &[&str], name: &str, value: Value) {
    match parts.split_first() {
        None => {
            map.insert(name.to_string(), value);
        }
        Some((first, rest)) => {
            let entry = map
                .entry(first.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(next) = entry {
                insert_at(next, rest, name, value);
            }
        }
    }
}

/// Turns `{"1": a, "2": b}` objects into `[a, b]`, recursively.
fn numbered_objects_to_arrays(value: &mut Value) {
    let Value::Object(map) = value else {
        return;
    };
    for v in map.values_mut() {
        numbered_objects_to_arrays(v);
    }
    if map.is_empty() || !map.keys().all(|k| k.parse::<u64>().is_ok()) {
        return;
    }
    let mut items: Vec<(u64, Value)> = std::mem::take(map)
        .into_iter()
        .filter_map(|(k, v)| k.parse::<u64>().ok().map(|n| (n, v)))
        .collect();
    items.sort_by_key(|(n, _)| *n);
    *value = Value::Array(items.into_iter().map(|(_, v)| v).collect());
}

/// Deepest nesting `defaults read` output may have before the parser gives up.
const MAX_DEPTH: usize = 64;

/// Parses `defaults read <domain>` output (the old-style ASCII property list: `{ key = value; }`,
/// `( a, b )`, quoted or bare strings, `<hex data>`) into JSON. Every scalar becomes a string
/// (`1`, `secure`, ...): `defaults` prints booleans as `1`/`0`, so the extractors coerce.
pub fn parse_defaults_read(text: &str) -> Result<Value, BrowsersError> {
    let mut p = PlistParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        return Err(p.error("unexpected text after the property list"));
    }
    Ok(v)
}

struct PlistParser {
    chars: Vec<char>,
    pos: usize,
}

impl PlistParser {
    fn error(&self, message: &str) -> BrowsersError {
        let line = self.chars[..self.pos.min(self.chars.len())]
            .iter()
            .filter(|c| **c == '\n')
            .count()
            + 1;
        BrowsersError::Plist {
            line,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => self.pos += 1,
                Some('/') if self.chars.get(self.pos + 1) == Some(&'/') => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some('/') if self.chars.get(self.pos + 1) == Some(&'*') => {
                    self.pos += 2;
                    while self.pos < self.chars.len()
                        && !(self.chars[self.pos] == '*'
                            && self.chars.get(self.pos + 1) == Some(&'/'))
                    {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 2).min(self.chars.len());
                }
                _ => return,
            }
        }
    }

    fn expect(&mut self, c: char) -> Result<(), BrowsersError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{c}`")))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, BrowsersError> {
        if depth > MAX_DEPTH {
            return Err(self.error("property list nested too deeply"));
        }
        self.skip_ws();
        match self.peek() {
            Some('{') => self.dict(depth),
            Some('(') => self.array(depth),
            Some('"') => self.quoted().map(Value::String),
            Some('<') => self.data().map(Value::String),
            Some(c) if is_bare(c) => Ok(Value::String(self.bare())),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of the property list")),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, BrowsersError> {
        self.pos += 1; // '{'
        let mut map = Map::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                None => return Err(self.error("unterminated dictionary")),
                _ => {}
            }
            let key = match self.peek() {
                Some('"') => self.quoted()?,
                Some(c) if is_bare(c) => self.bare(),
                _ => return Err(self.error("expected a dictionary key")),
            };
            self.expect('=')?;
            let v = self.value(depth + 1)?;
            self.expect(';')?;
            map.insert(key, v);
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, BrowsersError> {
        self.pos += 1; // '('
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(')') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("unterminated array")),
                _ => {}
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {}
                _ => return Err(self.error("expected `,` or `)` in an array")),
            }
        }
    }

    fn bare(&mut self) -> String {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if is_bare(c)) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn data(&mut self) -> Result<String, BrowsersError> {
        self.pos += 1; // '<'
        let mut out = String::new();
        loop {
            match self.peek() {
                Some('>') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) if c.is_ascii_hexdigit() => {
                    out.push(c);
                    self.pos += 1;
                }
                Some(c) if c.is_whitespace() => self.pos += 1,
                _ => return Err(self.error("bad <data> in the property list")),
            }
        }
    }

    fn quoted(&mut self) -> Result<String, BrowsersError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'U' | 'u' => {
                            let hex: String = self.chars
                                [self.pos..(self.pos + 4).min(self.chars.len())]
                                .iter()
                                .collect();
                            let code = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == 4)
                                .ok_or_else(|| self.error("bad \\U escape"))?;
                            self.pos += 4;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        d @ '0'..='7' => {
                            let mut code = d.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match self.peek().and_then(|c| c.to_digit(8)) {
                                    Some(v) => {
                                        code = code * 8 + v;
                                        self.pos += 1;
                                    }
                                    None => break,
                                }
                            }
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }
}

/// Characters of an unquoted string in the ASCII property-list format.
fn is_bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '+' | '/' | ':' | '.' | '-')
}

/// Reads a JSON value as a policy boolean: `true`/`false`, `1`/`0` (registry DWORDs, plist
/// output) and the strings `"true"`/`"false"`/`"1"`/`"0"`/`"YES"`/`"NO"`.
pub fn json_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Some(true),
            "0" | "false" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
