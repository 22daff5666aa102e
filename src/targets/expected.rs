//! Expected state from `az` JSON (DOMAIN.md §4): which names the private endpoint serves and
//! which private IPs they must resolve to.
//!
//! Accepted, each as a single object or an array of them (nested arrays too), with fields at
//! the top level or under `properties` (ARM REST form), keys matched case-insensitively
//! (PowerShell's `ConvertTo-Json` capitalises them):
//! - `az network private-endpoint show` / `list`: `customDnsConfigs[].{fqdn, ipAddresses}`,
//!   `privateLinkServiceConnections[]` and `manualPrivateLinkServiceConnections[]`
//!   (`groupIds`, `privateLinkServiceConnectionState.status`); also a bare
//!   `customDnsConfigs` array;
//! - `az network nic show`: `ipConfigurations[].{privateIPAddress,
//!   privateLinkConnectionProperties.{fqdns, groupId}}`, and its
//!   `--query 'ipConfigurations[*].{IPAddress: privateIPAddress, FQDNs: ...}'` form;
//! - `az network private-endpoint dns-zone-group list` / `show`:
//!   `privateDnsZoneConfigs[].{privateDnsZoneId, recordSets[].{fqdn, ipAddresses, recordSetName,
//!   recordType}}`, where `fqdn` is the `privatelink.` name: it is mapped back to the public name
//!   (see [`super::public_name_of`]);
//! - an ARM list wrapper `{"value": [...]}`.

use super::names::{
    infer, is_wildcard, normalize, public_name_of, validate_fqdn, wildcard_matches,
};
use super::{Target, TargetError, TargetKind, TargetSource};
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;
use std::path::Path;

/// What the expected-state parser accepts, for error messages.
pub const ACCEPTED_SHAPES: &str = "the JSON output of `az network private-endpoint show` \
    (customDnsConfigs), `az network nic show` (ipConfigurations, or the \
    --query 'ipConfigurations[*].{IPAddress: privateIPAddress, FQDNs: \
    privateLinkConnectionProperties.fqdns}' form) or `az network private-endpoint \
    dns-zone-group list` (privateDnsZoneConfigs), as one object or an array, with fields at the \
    top level or under \"properties\"";

/// Which `az` output an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedShape {
    /// `az network private-endpoint show` (`customDnsConfigs`).
    PrivateEndpoint,
    /// A bare `customDnsConfigs` array (`--query customDnsConfigs`, PowerShell).
    CustomDnsConfigs,
    /// `az network nic show` (full output).
    Nic,
    /// `az network nic show --query 'ipConfigurations[*].{IPAddress: ..., FQDNs: ...}'`.
    NicQuery,
    /// `az network private-endpoint dns-zone-group list` / `show`.
    DnsZoneGroup,
}

/// One name the private endpoint serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedEntry {
    /// Public name (normalised). For zone-group records, mapped back from the
    /// `privatelink.` name. May be a wildcard (`*.eastus.inference.ml.azure.com`).
    pub fqdn: String,
    /// Private IPs the name must resolve to.
    pub ips: Vec<IpAddr>,
    /// Which `az` output it came from.
    pub source_shape: ExpectedShape,
    /// The `privatelink.` record name, when the file gave it (zone groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_name: Option<String>,
    /// Private-link group id (sub-resource) of the NIC ip configuration, e.g. `amlworkspace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// True for a wildcard record: never resolved itself, its IPs apply to matching targets.
    pub wildcard: bool,
}

/// Everything imported from one or more expected-state files.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ExpectedState {
    /// Names and their private IPs.
    pub entries: Vec<ExpectedEntry>,
    /// `(connection name, status)` of each private-link service connection; a status other
    /// than `Approved` (e.g. `Pending`, `Rejected`, `Disconnected`) means no traffic flows.
    pub connection_status: Vec<(String, String)>,
    /// Private-link group ids (sub-resources), e.g. `amlworkspace`, `blob`.
    pub group_ids: Vec<String>,
    /// Private DNS zones named by a zone group (`privatelink.api.azureml.ms`, ...).
    pub dns_zones: Vec<String>,
    /// Remarks for the report (wildcards, empty `customDnsConfigs`, unapproved connections).
    pub notes: Vec<String>,
}

impl ExpectedState {
    /// Adds another file's state (entries with the same name and shape are merged).
    pub fn extend(&mut self, other: ExpectedState) {
        for e in other.entries {
            self.push_entry(e);
        }
        for c in other.connection_status {
            if !self.connection_status.contains(&c) {
                self.connection_status.push(c);
            }
        }
        for g in other.group_ids {
            push_unique(&mut self.group_ids, g);
        }
        for z in other.dns_zones {
            push_unique(&mut self.dns_zones, z);
        }
        for n in other.notes {
            push_unique(&mut self.notes, n);
        }
    }

    /// Connections whose status is not `Approved`: `(name, status)`.
    pub fn unapproved(&self) -> impl Iterator<Item = &(String, String)> {
        self.connection_status
            .iter()
            .filter(|(_, s)| !s.eq_ignore_ascii_case("approved"))
    }

    /// The expected IPs for `fqdn`: from an entry of that name, else from a matching wildcard.
    pub fn ips_for(&self, fqdn: &str) -> Vec<IpAddr> {
        let name = normalize(fqdn);
        let exact: Vec<IpAddr> = self
            .entries
            .iter()
            .filter(|e| !e.wildcard && e.fqdn == name)
            .flat_map(|e| e.ips.iter().copied())
            .fold(Vec::new(), fold_unique);
        if !exact.is_empty() {
            return exact;
        }
        self.entries
            .iter()
            .filter(|e| e.wildcard && wildcard_matches(&e.fqdn, &name))
            .flat_map(|e| e.ips.iter().copied())
            .fold(Vec::new(), fold_unique)
    }

    fn push_entry(&mut self, e: ExpectedEntry) {
        match self
            .entries
            .iter_mut()
            .find(|x| x.fqdn == e.fqdn && x.source_shape == e.source_shape)
        {
            Some(x) => {
                for ip in e.ips {
                    if !x.ips.contains(&ip) {
                        x.ips.push(ip);
                    }
                }
                x.private_name = x.private_name.take().or(e.private_name);
                x.group_id = x.group_id.take().or(e.group_id);
            }
            None => self.entries.push(e),
        }
    }
}

fn fold_unique(mut v: Vec<IpAddr>, ip: IpAddr) -> Vec<IpAddr> {
    if !v.contains(&ip) {
        v.push(ip);
    }
    v
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// Reads and parses an expected-state file (see [`parse_expected`]); errors name the file.
pub fn load_expected(path: &Path) -> Result<ExpectedState, TargetError> {
    let file = path.display().to_string();
    let text = crate::fsio::read_text(path, crate::fsio::Input::Expected).map_err(|source| {
        TargetError::Io {
            file: file.clone(),
            source,
        }
    })?;
    parse_expected(&text, &file)
}

/// Parses expected-state JSON; `source` names the file in errors
/// (`expected.json:3:17: expected ',' or '}'`).
pub fn parse_expected(text: &str, source: &str) -> Result<ExpectedState, TargetError> {
    // A UTF-8 BOM (PowerShell's Out-File) is not JSON whitespace.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(&e, source, text))?;
    let mut p = Parser {
        file: source,
        state: ExpectedState::default(),
    };
    p.node(&Node {
        v: &value,
        path: String::new(),
    })?;
    let state = p.state;
    if state.entries.is_empty() && state.connection_status.is_empty() {
        return Err(TargetError::NoEntries {
            file: source.to_string(),
            detail: "the JSON has the right shape but lists no names; for a private endpoint \
                     with private DNS integration run `az network private-endpoint \
                     dns-zone-group list --endpoint-name <pe> -g <rg>`"
                .to_string(),
        });
    }
    Ok(state)
}

fn json_error(e: &serde_json::Error, file: &str, text: &str) -> TargetError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = if text.trim().is_empty() {
        "the file is empty; expected az JSON output".to_string()
    } else {
        full.strip_suffix(&suffix)
            .unwrap_or(&full)
            .replace('`', "'")
    };
    TargetError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Fills `expected_ips` of matching targets (case-insensitive, trailing dot ignored) and adds
/// names not yet present as new targets (kind inferred, `Custom` when unknown, source
/// [`TargetSource::ExpectedFile`]). Wildcard entries are never added as targets: their IPs go
/// to targets they match that have no exact entry. The notebooks name is only a guess when
/// derived (the workspace name is truncated): when the file names a notebooks host, derived
/// notebooks names it does not list are dropped. Finally, targets with `same_ip_as` (compute
/// instances) and no IPs of their own take the IPs of the name they follow.
pub fn merge_expected(targets: &mut Vec<Target>, expected: &ExpectedState) {
    let mut exact_hit = vec![false; targets.len()];
    for e in expected.entries.iter().filter(|e| !e.wildcard) {
        match targets.iter().position(|t| t.is_named(&e.fqdn)) {
            Some(i) => {
                let t = &mut targets[i];
                for ip in &e.ips {
                    if !t.expected_ips.contains(ip) {
                        t.expected_ips.push(*ip);
                    }
                }
                if t.private_name.is_none() {
                    t.private_name = e.private_name.clone();
                }
                if let Some(hit) = exact_hit.get_mut(i) {
                    *hit = true;
                }
            }
            None => {
                let mut t = Target::from_name(&e.fqdn);
                t.source = TargetSource::ExpectedFile;
                t.expected_ips = e.ips.clone();
                if e.private_name.is_some() {
                    t.private_name = e.private_name.clone();
                }
                targets.push(t);
                exact_hit.push(true);
            }
        }
    }
    for e in expected.entries.iter().filter(|e| e.wildcard) {
        for (i, t) in targets.iter_mut().enumerate() {
            if !exact_hit.get(i).copied().unwrap_or(false) && wildcard_matches(&e.fqdn, &t.fqdn) {
                for ip in &e.ips {
                    if !t.expected_ips.contains(ip) {
                        t.expected_ips.push(*ip);
                    }
                }
            }
        }
    }
    let file_notebooks: Vec<&str> = expected
        .entries
        .iter()
        .filter(|e| !e.wildcard && infer(&e.fqdn).0 == TargetKind::Notebooks)
        .map(|e| e.fqdn.as_str())
        .collect();
    if !file_notebooks.is_empty() {
        targets.retain(|t| {
            t.kind != TargetKind::Notebooks
                || t.source != TargetSource::Derived
                || file_notebooks.iter().any(|n| t.is_named(n))
        });
        let names: Vec<String> = targets.iter().map(|t| t.fqdn.clone()).collect();
        for t in targets.iter_mut() {
            if t.alternative_of
                .as_deref()
                .is_some_and(|a| !names.iter().any(|n| super::same_name(n, a)))
            {
                t.alternative_of = None;
            }
        }
    }
    let follow: Vec<(usize, Vec<IpAddr>)> = targets
        .iter()
        .enumerate()
        .filter(|(_, t)| t.expected_ips.is_empty())
        .filter_map(|(i, t)| {
            let leader = t.same_ip_as.as_deref()?;
            let ips = &targets.iter().find(|o| o.is_named(leader))?.expected_ips;
            (!ips.is_empty()).then(|| (i, ips.clone()))
        })
        .collect();
    for (i, ips) in follow {
        if let Some(t) = targets.get_mut(i) {
            t.expected_ips = ips;
        }
    }
}

/// A JSON value and its path from the document root (`customDnsConfigs[2].ipAddresses[0]`).
struct Node<'a> {
    v: &'a Value,
    path: String,
}

impl<'a> Node<'a> {
    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The member `key` (case-insensitive); `None` when absent or null.
    fn key(&self, key: &str) -> Option<Node<'a>> {
        let obj = self.v.as_object()?;
        let (k, v) = obj
            .get_key_value(key)
            .or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))?;
        if v.is_null() {
            return None;
        }
        Some(Node {
            v,
            path: self.child_path(k),
        })
    }

    /// The member `key`, at the top level or under `properties`.
    fn flat(&self, key: &str) -> Option<Node<'a>> {
        self.key(key)
            .or_else(|| self.key("properties").and_then(|p| p.key(key)))
    }

    fn has_flat(&self, key: &str) -> bool {
        let obj_has = |n: &Node<'_>| {
            n.v.as_object()
                .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(key)))
        };
        obj_has(self) || self.key("properties").is_some_and(|p| obj_has(&p))
    }

    /// The elements of an array (a missing or null member counts as empty).
    fn items(&self, file: &str) -> Result<Vec<Node<'a>>, TargetError> {
        match self.v {
            Value::Array(a) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| Node {
                    v,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            Value::Null => Ok(Vec::new()),
            other => Err(self.type_error(file, "an array", other)),
        }
    }

    fn string(&self, file: &str) -> Result<&'a str, TargetError> {
        self.v
            .as_str()
            .ok_or_else(|| self.type_error(file, "a string", self.v))
    }

    fn type_error(&self, file: &str, expected: &'static str, found: &Value) -> TargetError {
        TargetError::JsonType {
            file: file.to_string(),
            path: if self.path.is_empty() {
                "(top level)".to_string()
            } else {
                self.path.clone()
            },
            expected,
            found: type_name(found),
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Parser<'f> {
    file: &'f str,
    state: ExpectedState,
}

impl Parser<'_> {
    fn node(&mut self, n: &Node<'_>) -> Result<(), TargetError> {
        match n.v {
            Value::Array(_) => {
                for item in n.items(self.file)? {
                    self.node(&item)?;
                }
                Ok(())
            }
            Value::Object(_) => self.object(n),
            other => Err(self.unknown(n, &format!("is {}", type_name(other)))),
        }
    }

    fn unknown(&self, n: &Node<'_>, what: &str) -> TargetError {
        let place = if n.path.is_empty() {
            "the top level".to_string()
        } else {
            format!("element {}", n.path)
        };
        TargetError::UnknownShape {
            file: self.file.to_string(),
            detail: format!("{place} {what}"),
        }
    }

    fn object(&mut self, n: &Node<'_>) -> Result<(), TargetError> {
        if n.has_flat("customDnsConfigs")
            || n.has_flat("privateLinkServiceConnections")
            || n.has_flat("manualPrivateLinkServiceConnections")
        {
            return self.private_endpoint(n);
        }
        if n.has_flat("privateDnsZoneConfigs") {
            let Some(configs) = n.flat("privateDnsZoneConfigs") else {
                return Ok(());
            };
            for cfg in configs.items(self.file)? {
                self.zone_config(&cfg)?;
            }
            return Ok(());
        }
        if n.has_flat("recordSets") {
            return self.zone_config(n);
        }
        if n.has_flat("ipConfigurations") {
            return self.nic(n);
        }
        if n.has_flat("fqdns") {
            return self.nic_query(n);
        }
        if n.has_flat("recordSetName") || n.has_flat("recordType") {
            return self.record_set(n, None);
        }
        if n.has_flat("fqdn") && n.has_flat("ipAddresses") {
            return self.custom_dns_config(n, ExpectedShape::CustomDnsConfigs);
        }
        if let Some(value) = n.key("value")
            && value.v.is_array()
        {
            return self.node(&value);
        }
        let keys: Vec<&str> =
            n.v.as_object()
                .map(|o| o.keys().take(6).map(String::as_str).collect())
                .unwrap_or_default();
        let what = if keys.is_empty() {
            "is an empty object".to_string()
        } else {
            format!("(keys: {}) is not a recognised az output", keys.join(", "))
        };
        Err(self.unknown(n, &what))
    }

    fn private_endpoint(&mut self, n: &Node<'_>) -> Result<(), TargetError> {
        let pe = n
            .key("name")
            .and_then(|v| v.v.as_str().map(str::to_string))
            .unwrap_or_else(|| "the private endpoint".to_string());
        if let Some(configs) = n.flat("customDnsConfigs") {
            let items = configs.items(self.file)?;
            if items.is_empty() {
                push_unique(
                    &mut self.state.notes,
                    format!(
                        "{pe}: customDnsConfigs is empty; with private DNS zone integration the \
                         names and IPs are in its DNS zone group \
                         (`az network private-endpoint dns-zone-group list`)"
                    ),
                );
            }
            for c in items {
                self.custom_dns_config(&c, ExpectedShape::PrivateEndpoint)?;
            }
        }
        for key in [
            "privateLinkServiceConnections",
            "manualPrivateLinkServiceConnections",
        ] {
            let Some(conns) = n.flat(key) else { continue };
            for (i, c) in conns.items(self.file)?.into_iter().enumerate() {
                let name = c
                    .key("name")
                    .and_then(|v| v.v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{key}[{i}]"));
                if let Some(groups) = c.flat("groupIds") {
                    for g in groups.items(self.file)? {
                        let g = g.string(self.file)?;
                        push_unique(&mut self.state.group_ids, g.to_string());
                    }
                }
                if let Some(state) = c.flat("privateLinkServiceConnectionState") {
                    let status = match state.key("status") {
                        Some(s) => s.string(self.file)?.to_string(),
                        None => continue,
                    };
                    if !status.eq_ignore_ascii_case("approved") {
                        let why = state
                            .key("description")
                            .and_then(|d| d.v.as_str())
                            .filter(|d| !d.is_empty())
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default();
                        push_unique(
                            &mut self.state.notes,
                            format!(
                                "{pe}: private-link connection '{name}' is {status}{why}, not \
                                 Approved: no traffic flows through it until it is approved"
                            ),
                        );
                    }
                    let pair = (name, status);
                    if !self.state.connection_status.contains(&pair) {
                        self.state.connection_status.push(pair);
                    }
                }
            }
        }
        Ok(())
    }

    fn custom_dns_config(&mut self, c: &Node<'_>, shape: ExpectedShape) -> Result<(), TargetError> {
        let Some(fqdn_node) = c.flat("fqdn") else {
            return Ok(());
        };
        let fqdn = self.fqdn(&fqdn_node)?;
        let ips = match c.flat("ipAddresses") {
            Some(list) => self.ips(&list)?,
            None => Vec::new(),
        };
        self.add(fqdn, ips, shape, None, None);
        Ok(())
    }

    fn nic(&mut self, n: &Node<'_>) -> Result<(), TargetError> {
        let Some(configs) = n.flat("ipConfigurations") else {
            return Ok(());
        };
        for cfg in configs.items(self.file)? {
            let Some(plc) = cfg.flat("privateLinkConnectionProperties") else {
                continue;
            };
            let ip = match cfg.flat("privateIPAddress") {
                Some(ip) => vec![self.ip(&ip)?],
                None => Vec::new(),
            };
            let group = match plc.key("groupId") {
                Some(g) => Some(g.string(self.file)?.to_string()),
                None => None,
            };
            if let Some(g) = &group {
                push_unique(&mut self.state.group_ids, g.clone());
            }
            if let Some(fqdns) = plc.key("fqdns") {
                for f in fqdns.items(self.file)? {
                    let fqdn = self.fqdn(&f)?;
                    self.add(fqdn, ip.clone(), ExpectedShape::Nic, None, group.clone());
                }
            }
        }
        Ok(())
    }

    fn nic_query(&mut self, n: &Node<'_>) -> Result<(), TargetError> {
        let ip = match n.flat("IPAddress").or_else(|| n.flat("privateIPAddress")) {
            Some(ip) => vec![self.ip(&ip)?],
            None => Vec::new(),
        };
        if let Some(fqdns) = n.flat("FQDNs") {
            for f in fqdns.items(self.file)? {
                let fqdn = self.fqdn(&f)?;
                self.add(fqdn, ip.clone(), ExpectedShape::NicQuery, None, None);
            }
        }
        Ok(())
    }

    fn zone_config(&mut self, cfg: &Node<'_>) -> Result<(), TargetError> {
        let zone = match cfg.flat("privateDnsZoneId") {
            Some(id) => {
                let id = id.string(self.file)?;
                let zone = normalize(id.rsplit('/').next().unwrap_or(id));
                if !zone.is_empty() {
                    push_unique(&mut self.state.dns_zones, zone.clone());
                }
                Some(zone)
            }
            None => None,
        };
        let Some(sets) = cfg.flat("recordSets") else {
            return Ok(());
        };
        for rs in sets.items(self.file)? {
            self.record_set(&rs, zone.as_deref())?;
        }
        Ok(())
    }

    /// One zone-group record set; `zone` is the zone it belongs to, when known.
    fn record_set(&mut self, rs: &Node<'_>, zone: Option<&str>) -> Result<(), TargetError> {
        if let Some(t) = rs.key("recordType")
            && let Some(t) = t.v.as_str()
            && !t.eq_ignore_ascii_case("a")
            && !t.eq_ignore_ascii_case("aaaa")
        {
            return Ok(());
        }
        let private = match rs.key("fqdn") {
            Some(f) => self.fqdn(&f)?,
            None => {
                // No fqdn: rebuild it from the record set name and the zone.
                let (Some(name), Some(zone)) = (rs.key("recordSetName"), zone) else {
                    return Ok(());
                };
                let full = format!("{}.{zone}", name.string(self.file)?);
                validate_fqdn(&full, true).map_err(|reason| TargetError::BadFqdn {
                    file: self.file.to_string(),
                    path: name.path.clone(),
                    value: full.clone(),
                    reason,
                })?
            }
        };
        let ips = match rs.key("ipAddresses") {
            Some(list) => self.ips(&list)?,
            None => Vec::new(),
        };
        let (public, private_name) = match public_name_of(&private) {
            Some(p) => (p, Some(private)),
            None => (private, None),
        };
        self.add(public, ips, ExpectedShape::DnsZoneGroup, private_name, None);
        Ok(())
    }

    fn add(
        &mut self,
        fqdn: String,
        ips: Vec<IpAddr>,
        shape: ExpectedShape,
        private_name: Option<String>,
        group_id: Option<String>,
    ) {
        let wildcard = is_wildcard(&fqdn);
        if wildcard {
            push_unique(
                &mut self.state.notes,
                format!(
                    "{fqdn} is a wildcard record: not resolved itself; its IPs are expected for \
                     every name under it (managed online endpoints)"
                ),
            );
        }
        self.state.push_entry(ExpectedEntry {
            fqdn,
            ips,
            source_shape: shape,
            private_name,
            group_id,
            wildcard,
        });
    }

    fn fqdn(&self, n: &Node<'_>) -> Result<String, TargetError> {
        let s = n.string(self.file)?;
        validate_fqdn(s, true).map_err(|reason| TargetError::BadFqdn {
            file: self.file.to_string(),
            path: n.path.clone(),
            value: s.to_string(),
            reason,
        })
    }

    fn ip(&self, n: &Node<'_>) -> Result<IpAddr, TargetError> {
        let s = n.string(self.file)?;
        s.trim().parse().map_err(|_| TargetError::BadIp {
            file: self.file.to_string(),
            path: n.path.clone(),
            value: s.to_string(),
        })
    }

    fn ips(&self, list: &Node<'_>) -> Result<Vec<IpAddr>, TargetError> {
        let mut out = Vec::new();
        for item in list.items(self.file)? {
            let ip = self.ip(&item)?;
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::targets::{Cloud, TargetKind, WorkspaceSpec, derive};
    use std::path::PathBuf;

    const G: &str = "3f1b6c2e-8d4a-4e7b-9c21-5a0f7d9e2b64";

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/expected")
            .join(name)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn api() -> String {
        format!("{G}.workspace.eastus.api.azureml.ms")
    }
    fn cert() -> String {
        format!("{G}.workspace.eastus.cert.api.azureml.ms")
    }
    fn nb() -> String {
        format!("ml-contoso-ml-prod-eastus-{G}.eastus.notebooks.azure.net")
    }
    const INFER_WILDCARD: &str = "*.eastus.inference.ml.azure.com";

    /// (fqdn, ips, wildcard) of each entry, in file order.
    fn pairs(s: &ExpectedState) -> Vec<(String, Vec<IpAddr>, bool)> {
        s.entries
            .iter()
            .map(|e| (e.fqdn.clone(), e.ips.clone(), e.wildcard))
            .collect()
    }

    fn workspace_pairs() -> Vec<(String, Vec<IpAddr>, bool)> {
        vec![
            (api(), vec![ip("10.20.1.4")], false),
            (cert(), vec![ip("10.20.1.4")], false),
            (nb(), vec![ip("10.20.1.5")], false),
            (INFER_WILDCARD.to_string(), vec![ip("10.20.1.6")], true),
        ]
    }

    #[test]
    fn private_endpoint_show_fixture() {
        let s = load_expected(&fixture("pe-show.json")).unwrap();
        assert_eq!(pairs(&s), workspace_pairs());
        assert!(
            s.entries
                .iter()
                .all(|e| e.source_shape == ExpectedShape::PrivateEndpoint)
        );
        assert_eq!(
            s.connection_status,
            vec![("pe-contoso-ml-prod".to_string(), "Approved".to_string())]
        );
        assert_eq!(s.group_ids, vec!["amlworkspace".to_string()]);
        assert_eq!(s.unapproved().count(), 0);
        assert_eq!(s.notes.len(), 1);
        assert!(s.notes[0].contains("*.eastus.inference.ml.azure.com is a wildcard record"));
    }

    #[test]
    fn private_endpoint_list_under_properties_with_pending_connection() {
        let s = load_expected(&fixture("pe-list-properties.json")).unwrap();
        assert_eq!(
            pairs(&s),
            vec![
                (api(), vec![ip("10.20.1.4")], false),
                (cert(), vec![ip("10.20.1.4")], false),
                (
                    "contosomlstore.blob.core.windows.net".to_string(),
                    vec![ip("10.20.1.8")],
                    false
                ),
            ]
        );
        assert_eq!(
            s.connection_status,
            vec![
                ("pe-contoso-ml-prod".to_string(), "Approved".to_string()),
                ("pe-contosomlstore-blob".to_string(), "Pending".to_string()),
            ]
        );
        assert_eq!(
            s.unapproved().collect::<Vec<_>>(),
            vec![&("pe-contosomlstore-blob".to_string(), "Pending".to_string())]
        );
        assert_eq!(
            s.group_ids,
            vec!["amlworkspace".to_string(), "blob".to_string()]
        );
        assert!(
            s.notes.iter().any(|n| n.contains(
                "private-link connection 'pe-contosomlstore-blob' is Pending (Awaiting approval)"
            )),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn nic_show_fixture() {
        let s = load_expected(&fixture("nic-show.json")).unwrap();
        assert_eq!(pairs(&s), workspace_pairs());
        assert!(
            s.entries
                .iter()
                .all(|e| e.source_shape == ExpectedShape::Nic
                    && e.group_id.as_deref() == Some("amlworkspace"))
        );
        assert_eq!(s.group_ids, vec!["amlworkspace".to_string()]);
        assert!(s.connection_status.is_empty());
    }

    #[test]
    fn nic_query_fixture() {
        let s = load_expected(&fixture("nic-query.json")).unwrap();
        assert_eq!(pairs(&s), workspace_pairs());
        assert!(
            s.entries
                .iter()
                .all(|e| e.source_shape == ExpectedShape::NicQuery)
        );
        // Any capitalisation of the --query keys; null FQDNs (ip config without private link).
        let s = parse_expected(
            r#"[{"fqdns": ["a.example.com"], "ipAddress": "10.0.0.1"},
                {"FQDNs": null, "IPAddress": "10.0.0.2"}]"#,
            "q.json",
        )
        .unwrap();
        assert_eq!(
            pairs(&s),
            vec![("a.example.com".to_string(), vec![ip("10.0.0.1")], false)]
        );
    }

    #[test]
    fn dns_zone_group_fixture_maps_privatelink_names_back() {
        let s = load_expected(&fixture("dns-zone-group-list.json")).unwrap();
        assert_eq!(
            pairs(&s),
            vec![
                (api(), vec![ip("10.20.1.4")], false),
                (cert(), vec![ip("10.20.1.4")], false),
                (INFER_WILDCARD.to_string(), vec![ip("10.20.1.6")], true),
                (nb(), vec![ip("10.20.1.5")], false),
                (
                    "contosomlstore.blob.core.windows.net".to_string(),
                    vec![ip("10.20.1.8")],
                    false
                ),
            ]
        );
        let privs: Vec<Option<&str>> = s
            .entries
            .iter()
            .map(|e| e.private_name.as_deref())
            .collect();
        assert_eq!(
            privs[0],
            Some(format!("{G}.workspace.eastus.privatelink.api.azureml.ms").as_str())
        );
        assert_eq!(
            privs[2],
            Some(format!("*.{G}.inference.eastus.privatelink.api.azureml.ms").as_str())
        );
        assert_eq!(
            privs[4],
            Some("contosomlstore.privatelink.blob.core.windows.net")
        );
        assert_eq!(
            s.dns_zones,
            vec![
                "privatelink.api.azureml.ms".to_string(),
                "privatelink.notebooks.azure.net".to_string(),
                "privatelink.blob.core.windows.net".to_string()
            ]
        );
        assert!(
            s.entries
                .iter()
                .all(|e| e.source_shape == ExpectedShape::DnsZoneGroup)
        );
    }

    #[test]
    fn dns_zone_group_under_properties_without_fqdn() {
        // ARM REST form of `dns-zone-group show`: one object, everything under `properties`,
        // record sets without `fqdn` (rebuilt from recordSetName + zone), a CNAME skipped.
        let text = r#"{
          "name": "default",
          "id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe/privateDnsZoneGroups/default",
          "properties": {
            "provisioningState": "Succeeded",
            "privateDnsZoneConfigs": [{
              "name": "privatelink-api-ml-azure-us",
              "properties": {
                "privateDnsZoneId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.api.ml.azure.us",
                "recordSets": [
                  {"recordType": "A", "recordSetName": "52882c08-ead2-44aa-af65-08a75cf094bd.workspace.usgovvirginia", "ttl": 10, "ipAddresses": ["10.1.0.5"]},
                  {"recordType": "A", "recordSetName": "ep1.52882c08-ead2-44aa-af65-08a75cf094bd.inference.usgovvirginia", "ttl": 10, "ipAddresses": ["10.1.0.7"]},
                  {"recordType": "CNAME", "recordSetName": "alias", "ttl": 10}
                ]
              }
            }]
          }
        }"#;
        let s = parse_expected(text, "zg.json").unwrap();
        assert_eq!(
            pairs(&s),
            vec![
                (
                    "52882c08-ead2-44aa-af65-08a75cf094bd.workspace.usgovvirginia.api.ml.azure.us"
                        .to_string(),
                    vec![ip("10.1.0.5")],
                    false
                ),
                (
                    "ep1.usgovvirginia.inference.ml.azure.us".to_string(),
                    vec![ip("10.1.0.7")],
                    false
                ),
            ]
        );
        assert_eq!(s.dns_zones, vec!["privatelink.api.ml.azure.us".to_string()]);
    }

    #[test]
    fn powershell_custom_dns_configs_with_bom() {
        let text = "\u{feff}[{\"Fqdn\": \"3f1b6c2e-8d4a-4e7b-9c21-5a0f7d9e2b64.workspace.eastus.api.azureml.ms\", \"IpAddresses\": [\"10.20.1.4\", \"fd00:20::4\"]}]";
        let s = parse_expected(text, "ps.json").unwrap();
        assert_eq!(
            pairs(&s),
            vec![(api(), vec![ip("10.20.1.4"), ip("fd00:20::4")], false)]
        );
        assert_eq!(s.entries[0].source_shape, ExpectedShape::CustomDnsConfigs);
    }

    #[test]
    fn empty_custom_dns_configs_is_a_note_not_an_error() {
        let text = r#"{"name": "pe1", "customDnsConfigs": [],
            "privateLinkServiceConnections": [{"name": "c1", "groupIds": ["amlworkspace"],
              "privateLinkServiceConnectionState": {"status": "Rejected", "description": ""}}]}"#;
        let s = parse_expected(text, "pe.json").unwrap();
        assert!(s.entries.is_empty());
        assert_eq!(
            s.connection_status,
            vec![("c1".to_string(), "Rejected".to_string())]
        );
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("customDnsConfigs is empty"))
        );
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("'c1' is Rejected, not Approved"))
        );
    }

    #[test]
    fn merge_fills_derived_targets() {
        let spec = WorkspaceSpec {
            name: Some("contoso-ml-prod".into()),
            instances: vec!["ci-alice".into()],
            storage_accounts: vec!["contosomlstore".into()],
            inference_endpoints: vec!["score".into()],
            ..WorkspaceSpec::new(G, "eastus", Cloud::Public).unwrap()
        }
        .validated()
        .unwrap();
        let mut targets = derive(&spec);
        let n = targets.len();
        let s = load_expected(&fixture("dns-zone-group-list.json")).unwrap();
        merge_expected(&mut targets, &s);
        // Every name was already derived: nothing added, the wildcard never becomes a target.
        assert_eq!(targets.len(), n);
        let got: Vec<(&str, Vec<IpAddr>)> = targets
            .iter()
            .map(|t| (t.fqdn.as_str(), t.expected_ips.clone()))
            .collect();
        let four = vec![ip("10.20.1.4")];
        assert_eq!(
            got,
            vec![
                (api().as_str(), four.clone()),
                (cert().as_str(), four.clone()),
                (nb().as_str(), vec![ip("10.20.1.5")]),
                // Instances follow the workspace API's IP.
                ("ci-alice.eastus.instances.azureml.ms", four.clone()),
                ("ci-alice.eastus.instances.ml.azure.ms", four.clone()),
                ("ci-alice-22.eastus.instances.azureml.ms", four.clone()),
                ("ci-alice-22.eastus.instances.ml.azure.ms", four.clone()),
                (
                    "contosomlstore.blob.core.windows.net",
                    vec![ip("10.20.1.8")]
                ),
                // Nothing known for the file endpoint.
                ("contosomlstore.file.core.windows.net", vec![]),
                // From the wildcard record.
                ("score.eastus.inference.ml.azure.com", vec![ip("10.20.1.6")]),
            ]
        );
        assert!(targets.iter().all(|t| t.source == TargetSource::Derived));
    }

    #[test]
    fn merge_adds_unknown_names_with_inferred_kind() {
        let mut targets = derive(&WorkspaceSpec::new(G, "EastUS", Cloud::Public).unwrap());
        let mut s = load_expected(&fixture("nic-query.json")).unwrap();
        s.extend(
            parse_expected(
                r#"[{"fqdn": "API.Contoso.Internal.", "ipAddresses": ["10.9.9.9"]},
                    {"fqdn": "3F1B6C2E-8D4A-4E7B-9C21-5A0F7D9E2B64.workspace.eastus.api.azureml.ms.",
                     "ipAddresses": ["10.20.1.40"]}]"#,
                "extra.json",
            )
            .unwrap(),
        );
        merge_expected(&mut targets, &s);
        crate::targets::dedup(&mut targets);
        let got: Vec<(&str, TargetKind, TargetSource, Vec<IpAddr>)> = targets
            .iter()
            .map(|t| (t.fqdn.as_str(), t.kind, t.source, t.expected_ips.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    api().as_str(),
                    TargetKind::WorkspaceApi,
                    TargetSource::Derived,
                    vec![ip("10.20.1.4"), ip("10.20.1.40")]
                ),
                (
                    cert().as_str(),
                    TargetKind::WorkspaceCertApi,
                    TargetSource::Derived,
                    vec![ip("10.20.1.4")]
                ),
                (
                    nb().as_str(),
                    TargetKind::Notebooks,
                    TargetSource::ExpectedFile,
                    vec![ip("10.20.1.5")]
                ),
                (
                    "api.contoso.internal",
                    TargetKind::Custom,
                    TargetSource::ExpectedFile,
                    vec![ip("10.9.9.9")]
                ),
            ]
        );
        assert_eq!(
            targets[2].private_name.as_deref(),
            Some(
                format!("ml-contoso-ml-prod-eastus-{G}.eastus.privatelink.notebooks.azure.net")
                    .as_str()
            )
        );
        assert_eq!(
            s.ips_for("score.eastus.inference.ml.azure.com"),
            vec![ip("10.20.1.6")]
        );
        assert_eq!(
            s.ips_for(&format!("{}.", api().to_uppercase())),
            vec![ip("10.20.1.4"), ip("10.20.1.40")]
        );
        assert!(s.ips_for("other.example.com").is_empty());
    }

    #[test]
    fn file_notebooks_name_replaces_derived_guesses() {
        // A 30-character name in a 13-character region: derive guesses two truncations.
        let spec = WorkspaceSpec {
            name: Some("contoso-machine-learning-prod1".into()),
            ..WorkspaceSpec::new(G, "usgovvirginia", Cloud::UsGov).unwrap()
        }
        .validated()
        .unwrap();
        let mut targets = derive(&spec);
        let guesses: Vec<String> = targets
            .iter()
            .filter(|t| t.kind == TargetKind::Notebooks)
            .map(|t| t.fqdn.clone())
            .collect();
        assert_eq!(guesses.len(), 2);
        // The file lists the 62-character one (the alternative): it stays, without alternative_of.
        let text = format!(
            r#"[{{"FQDNs": ["{}"], "IPAddress": "10.1.0.6"}}]"#,
            guesses[1].to_uppercase()
        );
        let s = parse_expected(&text, "nic.json").unwrap();
        merge_expected(&mut targets, &s);
        let nbs: Vec<&Target> = targets
            .iter()
            .filter(|t| t.kind == TargetKind::Notebooks)
            .collect();
        assert_eq!(nbs.len(), 1);
        assert_eq!(nbs[0].fqdn, guesses[1]);
        assert_eq!(nbs[0].alternative_of, None);
        assert_eq!(nbs[0].expected_ips, vec![ip("10.1.0.6")]);
        // A file naming some other notebooks host replaces both guesses.
        let mut targets = derive(&spec);
        let other =
            format!("ml-contoso-usgovvirginia-{G}.usgovvirginia.notebooks.usgovcloudapi.net");
        let s = parse_expected(
            &format!(r#"[{{"FQDNs": ["{other}"], "IPAddress": "10.1.0.6"}}]"#),
            "nic.json",
        )
        .unwrap();
        merge_expected(&mut targets, &s);
        let nbs: Vec<&str> = targets
            .iter()
            .filter(|t| t.kind == TargetKind::Notebooks)
            .map(|t| t.fqdn.as_str())
            .collect();
        assert_eq!(nbs, vec![other.as_str()]);
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let path = fixture("malformed-missing-comma.json");
        let err = load_expected(&path).unwrap_err();
        match &err {
            TargetError::Json {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((*line, *column), (5, 7));
                assert_eq!(message, "expected ',' or '}'");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!("{}:5:7: expected ',' or '}}'", path.display())
        );
        let cases = [
            ("{\n  \"customDnsConfigs\": [],\n}", 3, 1, "trailing comma"),
            (
                "[\n  {\"FQDNs\": [\"a.b\"]",
                2,
                19,
                "EOF while parsing an object",
            ),
            ("", 1, 0, "the file is empty"),
            (" \n", 2, 0, "the file is empty"),
            ("{'fqdn': 'a.b'}", 1, 2, "key must be a string"),
        ];
        for (text, line, column, want) in cases {
            let err = parse_expected(text, "expected.json").unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("expected.json:{line}:{column}: ")),
                "{text:?}: {msg}"
            );
            assert!(msg.contains(want), "{text:?}: {msg}");
        }
    }

    #[test]
    fn bad_ip_names_file_and_json_path() {
        let path = fixture("bad-ip.json");
        let err = load_expected(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: customDnsConfigs[2].ipAddresses[0]: '10.20.1.500' is not an IP address",
                path.display()
            )
        );
        let err = parse_expected(
            r#"[{"FQDNs": ["a.example.com"], "IPAddress": "10.0.0.1"},
                {"FQDNs": ["b.example.com"], "IPAddress": "ten"}]"#,
            "q.json",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "q.json: [1].IPAddress: 'ten' is not an IP address"
        );
        let err = parse_expected(
            r#"{"properties": {"ipConfigurations": [{"properties": {"privateIPAddress": "10.0.0.x",
                "privateLinkConnectionProperties": {"fqdns": ["a.example.com"]}}}]}}"#,
            "nic.json",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "nic.json: properties.ipConfigurations[0].properties.privateIPAddress: '10.0.0.x' is not an IP address"
        );
    }

    #[test]
    fn unknown_shapes_are_named() {
        let path = fixture("not-az.json");
        let msg = load_expected(&path).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "{}: the top level (keys: id, location, name,",
                path.display()
            )),
            "{msg}"
        );
        assert!(msg.contains("is not a recognised az output"), "{msg}");
        assert!(msg.contains("az network private-endpoint show"), "{msg}");
        assert!(msg.contains("az network nic show"), "{msg}");
        assert!(msg.contains("dns-zone-group list"), "{msg}");

        let msg = parse_expected("42", "n.json").unwrap_err().to_string();
        assert!(
            msg.starts_with("n.json: the top level is a number; pe-doctor accepts"),
            "{msg}"
        );
        let msg = parse_expected(
            r#"[{"FQDNs": ["a.example.com"], "IPAddress": "10.0.0.1"}, "x"]"#,
            "a.json",
        )
        .unwrap_err()
        .to_string();
        assert!(msg.starts_with("a.json: element [1] is a string;"), "{msg}");
        let msg = parse_expected("{}", "e.json").unwrap_err().to_string();
        assert!(
            msg.starts_with("e.json: the top level is an empty object;"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_types_and_bad_names_are_located() {
        let msg = parse_expected(r#"{"customDnsConfigs": {"fqdn": "a.b"}}"#, "t.json")
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "t.json: customDnsConfigs: expected an array, found an object"
        );
        let msg = parse_expected(
            r#"{"customDnsConfigs": [{"fqdn": "a.b", "ipAddresses": "10.0.0.1"}]}"#,
            "t.json",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            msg,
            "t.json: customDnsConfigs[0].ipAddresses: expected an array, found a string"
        );
        let msg = parse_expected(
            r#"{"customDnsConfigs": [{"fqdn": "bad name.example.com", "ipAddresses": []}]}"#,
            "t.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg.starts_with(
                "t.json: customDnsConfigs[0].fqdn: 'bad name.example.com' is not a DNS name: label"
            ),
            "{msg}"
        );
    }

    #[test]
    fn empty_and_missing_files() {
        let msg = parse_expected("[]", "empty.json").unwrap_err().to_string();
        assert!(
            msg.starts_with("empty.json: no private-endpoint names or connections found"),
            "{msg}"
        );
        let missing = fixture("does-not-exist.json");
        let msg = load_expected(&missing).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("cannot read {}: ", missing.display())),
            "{msg}"
        );
    }

    #[test]
    fn all_shapes_agree_on_the_same_endpoint() {
        let mut seen = Vec::new();
        for f in [
            "pe-show.json",
            "nic-show.json",
            "nic-query.json",
            "dns-zone-group-list.json",
        ] {
            let s = load_expected(&fixture(f)).unwrap();
            let mut p = pairs(&s);
            p.retain(|(n, _, _)| !n.contains("contosomlstore"));
            p.sort();
            seen.push((f, p));
        }
        for (f, p) in &seen[1..] {
            assert_eq!(p, &seen[0].1, "{f} vs {}", seen[0].0);
        }
    }
}
