//! The FQDN catalog: every name a workspace private endpoint creates, per cloud, and the
//! expected state imported from `az` JSON. Each target is tagged with its kind.

use serde::Serialize;
use std::net::IpAddr;

/// What a target name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// `<guid>.workspace.<region>.api.azureml.ms`
    WorkspaceApi,
    /// `<guid>.workspace.<region>.cert.api.azureml.ms`
    WorkspaceCertApi,
    /// `ml-<name>-<region>-<guid>.<region>.notebooks.azure.net`
    Notebooks,
    /// `<ci>.<region>.instances.azureml.ms` (and the alternative documented suffix)
    ComputeInstance,
    /// `<ci>-22.<region>.instances...` (SSH)
    ComputeInstanceSsh,
    /// `<account>.blob.core.windows.net`
    StorageBlob,
    /// `<account>.file.core.windows.net`
    StorageFile,
    /// `<endpoint>.<region>.inference.ml.azure.com`
    Inference,
    /// Given with `--fqdn` or only known from the expected-state file.
    Custom,
}

/// One name to diagnose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Fully qualified name, lower case, without trailing dot.
    pub fqdn: String,
    /// What the name is for.
    pub kind: TargetKind,
    /// Private IPs the name must resolve to, when known.
    pub expected_ips: Vec<IpAddr>,
}

/// Target derivation and expected-state errors (all exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A flag value is invalid.
    #[error("{flag}: {message}")]
    Invalid {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A file cannot be read.
    #[error("{file}: {message}")]
    Read {
        /// File name.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// Malformed JSON.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// Valid JSON with a bad value or an unknown shape.
    #[error("{file}: {path}: {message}")]
    Shape {
        /// File name.
        file: String,
        /// JSON path of the bad value (`$` for the document).
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(flag: &'static str, message: impl Into<String>) -> TargetError {
    TargetError::Invalid {
        flag,
        message: message.into(),
    }
}

/// Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// Azure public cloud.
    #[default]
    Public,
    /// Azure US Government.
    UsGov,
    /// Azure operated by 21Vianet (China).
    China,
}

/// DNS suffixes of one cloud.
#[derive(Debug, Clone, Copy)]
pub struct CloudSuffixes {
    /// Workspace API (`api.azureml.ms`).
    pub api: &'static str,
    /// Notebooks (`notebooks.azure.net`).
    pub notebooks: &'static str,
    /// Compute instances; the first is the one API answers use, the others documented variants.
    pub instances: &'static [&'static str],
    /// Managed online endpoints.
    pub inference: &'static str,
    /// Storage (`core.windows.net`).
    pub storage: &'static str,
}

impl Cloud {
    /// The cloud's suffixes. Public-cloud facts come from Microsoft's zone table; the US Gov and
    /// China instance/inference suffixes follow the same pattern as their API zones.
    pub fn suffixes(self) -> CloudSuffixes {
        match self {
            // Docs disagree on the instance suffix: the zone table and real API answers say
            // instances.azureml.ms, the custom-DNS page says instances.ml.azure.ms. Test both.
            Cloud::Public => CloudSuffixes {
                api: "api.azureml.ms",
                notebooks: "notebooks.azure.net",
                instances: &["instances.azureml.ms", "instances.ml.azure.ms"],
                inference: "inference.ml.azure.com",
                storage: "core.windows.net",
            },
            Cloud::UsGov => CloudSuffixes {
                api: "api.ml.azure.us",
                notebooks: "notebooks.usgovcloudapi.net",
                instances: &["instances.azureml.us"],
                inference: "inference.ml.azure.us",
                storage: "core.usgovcloudapi.net",
            },
            Cloud::China => CloudSuffixes {
                api: "api.ml.azure.cn",
                notebooks: "notebooks.chinacloudapi.cn",
                instances: &["instances.azureml.cn"],
                inference: "inference.ml.azure.cn",
                storage: "core.chinacloudapi.cn",
            },
        }
    }

    /// Lower-case name as the report shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::UsGov => "usgov",
            Cloud::China => "china",
        }
    }
}

impl std::str::FromStr for Cloud {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "public" | "azurecloud" => Ok(Cloud::Public),
            "usgov" | "azureusgovernment" => Ok(Cloud::UsGov),
            "china" | "azurechinacloud" => Ok(Cloud::China),
            other => Err(invalid(
                "--cloud",
                format!("unknown cloud {other:?} (public, usgov or china)"),
            )),
        }
    }
}

/// A workspace to derive names for.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceSpec {
    /// Workspace GUID.
    pub id: String,
    /// Region, e.g. `eastus2`.
    pub region: String,
    /// Workspace name (adds the notebooks name).
    pub name: Option<String>,
    /// Cloud.
    pub cloud: Cloud,
    /// Compute instance names.
    pub instances: Vec<String>,
    /// Storage account names.
    pub storage_accounts: Vec<String>,
    /// Managed online endpoint names.
    pub inference_endpoints: Vec<String>,
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn target(fqdn: String, kind: TargetKind) -> Target {
    Target {
        fqdn,
        kind,
        expected_ips: Vec::new(),
    }
}

/// Derives every name the workspace's private endpoint creates (DOMAIN §1).
pub fn derive(spec: &WorkspaceSpec) -> Result<Vec<Target>, TargetError> {
    let id = spec.id.trim().to_ascii_lowercase();
    if !is_guid(&id) {
        return Err(invalid(
            "--workspace-id",
            format!(
                "{:?} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                spec.id
            ),
        ));
    }
    let r = spec.region.trim().to_ascii_lowercase();
    if r.is_empty()
        || !r
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(invalid(
            "--region",
            format!("{:?} is not a region name such as eastus2", spec.region),
        ));
    }
    let sx = spec.cloud.suffixes();
    let mut out = vec![
        target(
            format!("{id}.workspace.{r}.{}", sx.api),
            TargetKind::WorkspaceApi,
        ),
        target(
            format!("{id}.workspace.{r}.cert.{}", sx.api),
            TargetKind::WorkspaceCertApi,
        ),
    ];
    if let Some(name) = &spec.name {
        let name: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        // The label `ml-<name>-<region>-<guid>` is kept to 63 characters by truncating the name.
        let room = 63usize.saturating_sub("ml-".len() + 1 + r.len() + 1 + id.len());
        let name: String = name.chars().take(room).collect();
        let name = name.trim_end_matches('-');
        out.push(target(
            format!("ml-{name}-{r}-{id}.{r}.{}", sx.notebooks),
            TargetKind::Notebooks,
        ));
    }
    for ci in &spec.instances {
        let ci = ci.trim().to_ascii_lowercase();
        if !is_label(&ci) {
            return Err(invalid(
                "--instance",
                format!("{ci:?} is not a valid compute instance name"),
            ));
        }
        for suffix in sx.instances {
            out.push(target(
                format!("{ci}.{r}.{suffix}"),
                TargetKind::ComputeInstance,
            ));
        }
        out.push(target(
            format!("{ci}-22.{r}.{}", sx.instances[0]),
            TargetKind::ComputeInstanceSsh,
        ));
    }
    for acct in &spec.storage_accounts {
        let acct = acct.trim().to_ascii_lowercase();
        if acct.len() < 3
            || acct.len() > 24
            || !acct
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(invalid(
                "--storage-account",
                format!(
                    "{acct:?} is not a storage account name (3-24 lower-case letters and digits)"
                ),
            ));
        }
        out.push(target(
            format!("{acct}.blob.{}", sx.storage),
            TargetKind::StorageBlob,
        ));
        out.push(target(
            format!("{acct}.file.{}", sx.storage),
            TargetKind::StorageFile,
        ));
    }
    for ep in &spec.inference_endpoints {
        let ep = ep.trim().to_ascii_lowercase();
        if !is_label(&ep) {
            return Err(invalid(
                "--inference-endpoint",
                format!("{ep:?} is not a valid endpoint name"),
            ));
        }
        out.push(target(
            format!("{ep}.{r}.{}", sx.inference),
            TargetKind::Inference,
        ));
    }
    Ok(out)
}

/// Infers a target's kind from its name.
pub fn kind_of(fqdn: &str) -> TargetKind {
    let f = fqdn.to_ascii_lowercase();
    let has = |s: &str| f.contains(s);
    if has(".workspace.") && has(".cert.") {
        TargetKind::WorkspaceCertApi
    } else if has(".workspace.") {
        TargetKind::WorkspaceApi
    } else if has(".notebooks.") {
        TargetKind::Notebooks
    } else if has(".instances.") {
        if f.split('.').next().is_some_and(|l| l.ends_with("-22")) {
            TargetKind::ComputeInstanceSsh
        } else {
            TargetKind::ComputeInstance
        }
    } else if has(".blob.core.") {
        TargetKind::StorageBlob
    } else if has(".file.core.") {
        TargetKind::StorageFile
    } else if has(".inference.") {
        TargetKind::Inference
    } else {
        TargetKind::Custom
    }
}

fn normalise(fqdn: &str) -> String {
    fqdn.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Parses `--fqdn NAME[=IP[,IP]]`.
pub fn parse_fqdn_arg(s: &str) -> Result<Target, TargetError> {
    let (name, ips) = s.split_once('=').unwrap_or((s, ""));
    let name = normalise(name);
    if name.is_empty() || name.split('.').any(|l| !is_label(l) && l != "*") {
        return Err(invalid("--fqdn", format!("{name:?} is not a DNS name")));
    }
    let mut expected_ips = Vec::new();
    for ip in ips.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        expected_ips.push(
            ip.parse()
                .map_err(|_| invalid("--fqdn", format!("{ip:?} is not an IP address")))?,
        );
    }
    Ok(Target {
        kind: kind_of(&name),
        fqdn: name,
        expected_ips,
    })
}

/// `X.privatelink.Z` -> `X.Z`: the public name a privatelink record set answers for.
pub fn public_name_of(fqdn: &str) -> String {
    let f = normalise(fqdn);
    match f.split_once(".privatelink.") {
        Some((host, zone)) => format!("{host}.{zone}"),
        None => f
            .strip_prefix("privatelink.")
            .map_or(f.clone(), str::to_string),
    }
}

/// One name with its expected private IPs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedEntry {
    /// Public FQDN (privatelink names are mapped back).
    pub fqdn: String,
    /// Expected private IPs.
    pub ips: Vec<IpAddr>,
}

/// The expected state read from az JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedState {
    /// Names with their private IPs.
    pub entries: Vec<ExpectedEntry>,
    /// Private link connection states (`Approved`, `Pending`...), one per connection.
    pub connection_states: Vec<String>,
    /// Names that cannot be asked (wildcards), kept for the report.
    pub skipped: Vec<String>,
}

impl ExpectedState {
    fn add(&mut self, fqdn: &str, ips: Vec<IpAddr>) {
        if fqdn.contains('*') {
            self.skipped.push(normalise(fqdn));
            return;
        }
        let name = public_name_of(fqdn);
        match self.entries.iter_mut().find(|e| e.fqdn == name) {
            Some(e) => {
                for ip in ips {
                    if !e.ips.contains(&ip) {
                        e.ips.push(ip);
                    }
                }
            }
            None => self.entries.push(ExpectedEntry { fqdn: name, ips }),
        }
    }
}

/// Reads the expected state from a file.
pub fn load_expected(path: &std::path::Path) -> Result<ExpectedState, TargetError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TargetError::Read {
        file: file.clone(),
        message: e.to_string(),
    })?;
    parse_expected(&text, &file)
}

fn ips_at(v: &serde_json::Value, file: &str, path: &str) -> Result<Vec<IpAddr>, TargetError> {
    let shape = |message: String| TargetError::Shape {
        file: file.to_string(),
        path: path.to_string(),
        message,
    };
    let list: Vec<&serde_json::Value> = match v {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::String(_) => vec![v],
        serde_json::Value::Null => Vec::new(),
        other => {
            return Err(shape(format!(
                "expected a list of IP addresses, found {other}"
            )));
        }
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let text = item.as_str().unwrap_or_default();
        let ip = text.parse::<IpAddr>().map_err(|_| TargetError::Shape {
            file: file.to_string(),
            path: if matches!(v, serde_json::Value::Array(_)) {
                format!("{path}[{i}]")
            } else {
                path.to_string()
            },
            message: format!("{item} is not an IP address"),
        })?;
        out.push(ip);
    }
    Ok(out)
}

/// Parses az JSON: `private-endpoint show` (customDnsConfigs), `nic show` (the `--query` form
/// or the full output), or `private-endpoint dns-zone-group list` (record sets); each as one
/// object or a list, flattened or under `properties`.
pub fn parse_expected(text: &str, file: &str) -> Result<ExpectedState, TargetError> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| TargetError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_string(),
    })?;
    let items: Vec<(String, &serde_json::Value)> = match &doc {
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("$[{i}]"), v))
            .collect(),
        v => vec![("$".to_string(), v)],
    };
    let mut state = ExpectedState::default();
    let mut recognised = false;
    for (base, item) in items {
        let (obj, base) = match item.get("properties") {
            Some(p) if p.is_object() => (p, format!("{base}.properties")),
            _ => (item, base),
        };
        if let Some(cfgs) = obj.get("customDnsConfigs").and_then(|v| v.as_array()) {
            recognised = true;
            for (i, c) in cfgs.iter().enumerate() {
                let path = format!("{base}.customDnsConfigs[{i}]");
                if let Some(fqdn) = c.get("fqdn").and_then(|f| f.as_str()) {
                    let ips = ips_at(
                        c.get("ipAddresses").unwrap_or(&serde_json::Value::Null),
                        file,
                        &format!("{path}.ipAddresses"),
                    )?;
                    state.add(fqdn, ips);
                }
            }
        }
        for key in [
            "privateLinkServiceConnections",
            "manualPrivateLinkServiceConnections",
        ] {
            for c in obj
                .get(key)
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let c = c.get("properties").unwrap_or(c);
                if let Some(st) = c
                    .pointer("/privateLinkServiceConnectionState/status")
                    .and_then(|s| s.as_str())
                {
                    state.connection_states.push(st.to_string());
                }
            }
        }
        // nic show --query '...{IPAddress, FQDNs}'
        if let (Some(fqdns), Some(ip)) = (item.get("FQDNs"), item.get("IPAddress")) {
            recognised = true;
            let ips = ips_at(ip, file, &format!("{base}.IPAddress"))?;
            for f in fqdns
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
            {
                state.add(f, ips.clone());
            }
        }
        // full nic show
        if let Some(ipcs) = obj.get("ipConfigurations").and_then(|v| v.as_array()) {
            for (i, ipc) in ipcs.iter().enumerate() {
                let (p, path) = match ipc.get("properties") {
                    Some(p) => (p, format!("{base}.ipConfigurations[{i}].properties")),
                    None => (ipc, format!("{base}.ipConfigurations[{i}]")),
                };
                let fqdns = p
                    .pointer("/privateLinkConnectionProperties/fqdns")
                    .and_then(|v| v.as_array());
                if let (Some(fqdns), Some(ip)) = (fqdns, p.get("privateIPAddress")) {
                    recognised = true;
                    let ips = ips_at(ip, file, &format!("{path}.privateIPAddress"))?;
                    for f in fqdns.iter().filter_map(|f| f.as_str()) {
                        state.add(f, ips.clone());
                    }
                }
            }
        }
        // dns-zone-group list
        if let Some(zones) = obj.get("privateDnsZoneConfigs").and_then(|v| v.as_array()) {
            recognised = true;
            for (i, z) in zones.iter().enumerate() {
                let (z, zpath) = match z.get("properties") {
                    Some(p) if p.get("recordSets").is_some() => {
                        (p, format!("{base}.privateDnsZoneConfigs[{i}].properties"))
                    }
                    _ => (z, format!("{base}.privateDnsZoneConfigs[{i}]")),
                };
                for (j, rs) in z
                    .get("recordSets")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(fqdn) = rs.get("fqdn").and_then(|f| f.as_str()) {
                        let ips = ips_at(
                            rs.get("ipAddresses").unwrap_or(&serde_json::Value::Null),
                            file,
                            &format!("{zpath}.recordSets[{j}].ipAddresses"),
                        )?;
                        state.add(fqdn, ips);
                    }
                }
            }
        }
    }
    if !recognised {
        return Err(TargetError::Shape {
            file: file.to_string(),
            path: "$".into(),
            message: "not a known az output: expected `az network private-endpoint show` \
                      (customDnsConfigs), `az network nic show` (ipConfigurations or the \
                      {IPAddress, FQDNs} query) or `az network private-endpoint dns-zone-group list` \
                      (privateDnsZoneConfigs)"
                .into(),
        });
    }
    Ok(state)
}

/// Fills the expected IPs of matching targets and adds names only the expected state knows.
pub fn merge_expected(targets: &mut Vec<Target>, expected: &ExpectedState) {
    for e in &expected.entries {
        match targets.iter_mut().find(|t| t.fqdn == e.fqdn) {
            Some(t) => {
                for ip in &e.ips {
                    if !t.expected_ips.contains(ip) {
                        t.expected_ips.push(*ip);
                    }
                }
            }
            None => targets.push(Target {
                fqdn: e.fqdn.clone(),
                kind: kind_of(&e.fqdn),
                expected_ips: e.ips.clone(),
            }),
        }
    }
    // Compute instances resolve to the workspace endpoint's IP.
    let ws_ips: Vec<IpAddr> = targets
        .iter()
        .find(|t| t.kind == TargetKind::WorkspaceApi)
        .map(|t| t.expected_ips.clone())
        .unwrap_or_default();
    if !ws_ips.is_empty() {
        for t in targets.iter_mut().filter(|t| {
            matches!(
                t.kind,
                TargetKind::ComputeInstance | TargetKind::ComputeInstanceSsh
            ) && t.expected_ips.is_empty()
        }) {
            t.expected_ips = ws_ips.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69";

    fn spec() -> WorkspaceSpec {
        WorkspaceSpec {
            id: ID.to_uppercase(),
            region: "EastUS2".into(),
            name: Some("Contoso_ML".into()),
            instances: vec!["ci-one".into()],
            storage_accounts: vec!["contosostore".into()],
            inference_endpoints: vec!["score".into()],
            ..WorkspaceSpec::default()
        }
    }

    #[test]
    fn derives_every_public_cloud_name() {
        let names: Vec<String> = derive(&spec())
            .unwrap()
            .into_iter()
            .map(|t| t.fqdn)
            .collect();
        assert_eq!(
            names,
            vec![
                format!("{ID}.workspace.eastus2.api.azureml.ms"),
                format!("{ID}.workspace.eastus2.cert.api.azureml.ms"),
                format!("ml-contoso-ml-eastus2-{ID}.eastus2.notebooks.azure.net"),
                "ci-one.eastus2.instances.azureml.ms".into(),
                "ci-one.eastus2.instances.ml.azure.ms".into(),
                "ci-one-22.eastus2.instances.azureml.ms".into(),
                "contosostore.blob.core.windows.net".into(),
                "contosostore.file.core.windows.net".into(),
                "score.eastus2.inference.ml.azure.com".into(),
            ]
        );
    }

    #[test]
    fn other_clouds_and_label_limit() {
        let mut s = spec();
        s.cloud = "usgov".parse().unwrap();
        s.name = Some("a".repeat(80));
        let t = derive(&s).unwrap();
        assert_eq!(t[0].fqdn, format!("{ID}.workspace.eastus2.api.ml.azure.us"));
        let nb = &t[2].fqdn;
        assert!(nb.ends_with(".eastus2.notebooks.usgovcloudapi.net"));
        assert_eq!(nb.split('.').next().unwrap().len(), 63);
        s.cloud = Cloud::China;
        assert!(
            derive(&s).unwrap()[3]
                .fqdn
                .ends_with("instances.azureml.cn")
        );
    }

    #[test]
    fn rejects_bad_identity() {
        let mut s = spec();
        s.id = "not-a-guid".into();
        assert!(
            derive(&s)
                .unwrap_err()
                .to_string()
                .starts_with("--workspace-id")
        );
        let mut s = spec();
        s.region = "east us".into();
        assert!(derive(&s).unwrap_err().to_string().starts_with("--region"));
        assert!("mars".parse::<Cloud>().is_err());
    }

    #[test]
    fn fqdn_args() {
        let t = parse_fqdn_arg("X.Workspace.eastus.api.azureml.ms.=10.0.0.4,10.0.0.5").unwrap();
        assert_eq!(t.fqdn, "x.workspace.eastus.api.azureml.ms");
        assert_eq!(t.kind, TargetKind::WorkspaceApi);
        assert_eq!(t.expected_ips.len(), 2);
        assert!(parse_fqdn_arg("a.example=10.0.0.999").is_err());
        assert!(parse_fqdn_arg("bad name.example").is_err());
    }

    #[test]
    fn privatelink_names_map_back() {
        assert_eq!(
            public_name_of("ws.workspace.eastus.privatelink.api.azureml.ms."),
            "ws.workspace.eastus.api.azureml.ms"
        );
        assert_eq!(
            public_name_of("acct.privatelink.blob.core.windows.net"),
            "acct.blob.core.windows.net"
        );
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/expected/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn private_endpoint_show() {
        let s = parse_expected(&fixture("pe-show.json"), "pe-show.json").unwrap();
        assert_eq!(s.entries.len(), 3);
        assert_eq!(
            s.entries[0].fqdn,
            format!("{ID}.workspace.eastus2.api.azureml.ms")
        );
        assert_eq!(
            s.entries[0].ips,
            vec!["10.1.0.5".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(s.connection_states, vec!["Approved"]);
        assert_eq!(
            s.skipped,
            vec![format!("*.{ID}.inference.eastus2.api.azureml.ms")]
        );
    }

    #[test]
    fn nic_show_both_forms() {
        let q = parse_expected(&fixture("nic-query.json"), "nic-query.json").unwrap();
        let full = parse_expected(&fixture("nic-show.json"), "nic-show.json").unwrap();
        assert_eq!(q.entries, full.entries);
        assert_eq!(q.entries.len(), 3);
        assert!(
            q.entries
                .iter()
                .any(|e| e.fqdn.ends_with("notebooks.azure.net")
                    && e.ips[0].to_string() == "10.1.0.6")
        );
    }

    #[test]
    fn dns_zone_group_list_maps_privatelink_names() {
        let s = parse_expected(&fixture("zone-group.json"), "zone-group.json").unwrap();
        let names: Vec<&str> = s.entries.iter().map(|e| e.fqdn.as_str()).collect();
        assert!(names.contains(&format!("{ID}.workspace.eastus2.api.azureml.ms").as_str()));
        assert!(names.contains(&"contosostore.blob.core.windows.net"));
        assert!(
            names
                .iter()
                .any(|n| n.ends_with(".eastus2.notebooks.azure.net"))
        );
        let mut targets = derive(&spec()).unwrap();
        merge_expected(&mut targets, &s);
        let ws = targets
            .iter()
            .find(|t| t.kind == TargetKind::WorkspaceApi)
            .unwrap();
        assert_eq!(ws.expected_ips[0].to_string(), "10.1.0.5");
        let ci = targets
            .iter()
            .find(|t| t.kind == TargetKind::ComputeInstance)
            .unwrap();
        assert_eq!(
            ci.expected_ips, ws.expected_ips,
            "instances use the workspace endpoint's IP"
        );
    }

    #[test]
    fn malformed_and_unknown_shapes() {
        let e = parse_expected(
            "{\n  \"customDnsConfigs\": [\n    {\"fqdn\": \"a\" \"x\"}\n  ]\n}",
            "bad.json",
        )
        .unwrap_err();
        match e {
            TargetError::Json {
                line,
                column,
                ref file,
                ..
            } => {
                assert_eq!((file.as_str(), line), ("bad.json", 3));
                assert!(column > 10);
            }
            other => panic!("{other:?}"),
        }
        let e = parse_expected("{\"name\": \"x\"}", "other.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dns-zone-group list"), "{e}");
        let e = parse_expected(
            "{\"customDnsConfigs\": [{\"fqdn\": \"a.example\", \"ipAddresses\": [\"10.0.0.1\", \"ten\"]}]}",
            "ip.json",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "ip.json: $.customDnsConfigs[0].ipAddresses[1]: \"ten\" is not an IP address"
        );
    }
}
