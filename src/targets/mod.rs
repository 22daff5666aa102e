//! The FQDN catalog: every name a workspace private endpoint creates, per cloud, and the
//! expected state imported from `az` JSON. Each target is tagged with its kind.
//!
//! - [`Cloud`]: suffixes and zones of each Azure cloud;
//! - [`WorkspaceSpec`] + [`derive`]: the names of one workspace;
//! - [`parse_fqdn_arg`]: `--fqdn NAME[=IP[,IP]]`;
//! - [`load_expected`] / [`parse_expected`] + [`merge_expected`]: expected names and IPs from
//!   `az network private-endpoint show`, `az network nic show` and
//!   `az network private-endpoint dns-zone-group list` output;
//! - [`privatelink_zone_of`] / [`forwarder_zone_of`]: which private zone a name lives in and
//!   which public zone a custom DNS server must forward;
//! - [`parse_input`]: what a pasted URL, name, studio link or error text carries;
//! - [`dedup`]: merge duplicates and put targets in their stable order.

mod cloud;
mod expected;
mod names;
mod pasted;
mod workspace;

pub use cloud::Cloud;
pub use expected::{
    ACCEPTED_SHAPES, ExpectedEntry, ExpectedShape, ExpectedState, load_expected, merge_expected,
    parse_expected,
};
pub use names::{
    forwarder_zone_of, forwarder_zones_needed, infer, is_guid, is_wildcard, normalize,
    private_name_of, privatelink_zone_of, public_name_of, validate_fqdn, wildcard_matches,
};
pub use pasted::{Derivation, EXAMPLE_INPUT, Found, InputForm, parse_input};
pub use workspace::{
    AI_SERVICES_ZONES, WorkspaceSpec, ai_services_targets, derive, notebooks_label,
    notebooks_label_within, validate_ai_services_name, validate_endpoint_name,
    validate_instance_name, validate_region, validate_storage_account, validate_workspace_id,
    validate_workspace_name,
};

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
    /// `<account>.cognitiveservices.azure.com`, `.openai.azure.com`, `.services.ai.azure.com`
    AiServices,
    /// Given with `--fqdn` or only known from the expected-state file.
    Custom,
}

impl TargetKind {
    /// A storage account's blob or file endpoint (the article's storage section).
    pub fn is_storage(self) -> bool {
        matches!(self, TargetKind::StorageBlob | TargetKind::StorageFile)
    }

    /// Position in the report order: workspace API, cert, notebooks, instances, storage,
    /// inference, AI services, custom.
    pub fn rank(self) -> u8 {
        match self {
            TargetKind::WorkspaceApi => 0,
            TargetKind::WorkspaceCertApi => 1,
            TargetKind::Notebooks => 2,
            TargetKind::ComputeInstance => 3,
            TargetKind::ComputeInstanceSsh => 4,
            TargetKind::StorageBlob => 5,
            TargetKind::StorageFile => 6,
            TargetKind::Inference => 7,
            TargetKind::AiServices => 8,
            TargetKind::Custom => 9,
        }
    }
}

/// Where a target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetSource {
    /// Derived from the workspace id/region/name and the resource flags.
    #[default]
    Derived,
    /// Given with `--fqdn`.
    FqdnFlag,
    /// Only known from the expected-state (`--expected`) file.
    ExpectedFile,
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
    /// The `privatelink.` name this name should CNAME to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_name: Option<String>,
    /// The name whose private IP this one must resolve to (compute instances resolve to the
    /// workspace private endpoint's IP, not to an IP of their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_ip_as: Option<String>,
    /// The primary name when this one is a documented alternative spelling of it (compute
    /// instances under `instances.ml.azure.ms` vs `instances.azureml.ms`): only one of the
    /// two has to resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative_of: Option<String>,
    /// Private DNS zone holding the name's record (see [`privatelink_zone_of`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privatelink_zone: Option<&'static str>,
    /// Public zone a custom DNS server must conditionally forward (see [`forwarder_zone_of`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarder_zone: Option<&'static str>,
    /// Cloud the name belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<Cloud>,
    /// Where the target came from.
    pub source: TargetSource,
}

impl Target {
    /// A target of a known kind; the name is normalised and its zones and cloud are filled in
    /// from its suffix.
    pub fn new(fqdn: &str, kind: TargetKind) -> Target {
        let fqdn = normalize(fqdn);
        let cloud = Cloud::of_fqdn(&fqdn);
        Target {
            privatelink_zone: privatelink_zone_of(&fqdn),
            forwarder_zone: forwarder_zone_of(&fqdn, cloud.unwrap_or_default()),
            fqdn,
            kind,
            expected_ips: Vec::new(),
            private_name: None,
            same_ip_as: None,
            alternative_of: None,
            cloud,
            source: TargetSource::Derived,
        }
    }

    /// A target whose kind and `privatelink.` name are inferred from the name alone
    /// (`Custom` when the name matches no known pattern).
    pub fn from_name(fqdn: &str) -> Target {
        let (kind, _) = infer(fqdn);
        let mut t = Target::new(fqdn, kind);
        t.private_name = private_name_of(&t.fqdn);
        t
    }

    /// True when `name` (any case, optional trailing dot) is this target's name.
    pub fn is_named(&self, name: &str) -> bool {
        same_name(&self.fqdn, name)
    }
}

/// The form of a DNS name that [`same_name`] compares: trimmed, without one trailing dot, in
/// ASCII lower case.
fn name_key(name: &str) -> String {
    let n = name.trim();
    n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase()
}

/// Compares two DNS names case-insensitively, ignoring one trailing dot.
pub fn same_name(a: &str, b: &str) -> bool {
    let a = a.trim();
    let b = b.trim();
    a.strip_suffix('.')
        .unwrap_or(a)
        .eq_ignore_ascii_case(b.strip_suffix('.').unwrap_or(b))
}

/// Errors from building targets: bad flags, unreadable or unrecognised expected-state files.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A command-line value is not acceptable.
    #[error("{flag} '{value}': {reason}")]
    InvalidFlag {
        /// The flag, e.g. `--workspace-id`.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The expected-state file cannot be read.
    #[error("cannot read {file}: {source}")]
    Io {
        /// File name as given.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The expected-state file is not valid JSON.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// File name as given.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// Valid JSON of none of the accepted shapes.
    #[error("{file}: {detail}; pe-doctor accepts {}", ACCEPTED_SHAPES)]
    UnknownShape {
        /// File name as given.
        file: String,
        /// Which part of the file was not recognised.
        detail: String,
    },
    /// A value at a JSON path has the wrong type.
    #[error("{file}: {path}: expected {expected}, found {found}")]
    JsonType {
        /// File name as given.
        file: String,
        /// JSON path, e.g. `customDnsConfigs[2].ipAddresses`.
        path: String,
        /// Expected JSON type.
        expected: &'static str,
        /// JSON type found.
        found: &'static str,
    },
    /// An IP address in the file does not parse.
    #[error("{file}: {path}: '{value}' is not an IP address")]
    BadIp {
        /// File name as given.
        file: String,
        /// JSON path, e.g. `customDnsConfigs[2].ipAddresses[0]`.
        path: String,
        /// The text found.
        value: String,
    },
    /// A name in the file is not a DNS name.
    #[error("{file}: {path}: '{value}' is not a DNS name: {reason}")]
    BadFqdn {
        /// File name as given.
        file: String,
        /// JSON path of the name.
        path: String,
        /// The text found.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The file has the right shape but holds no names and no connections.
    #[error("{file}: no private-endpoint names or connections found ({detail})")]
    NoEntries {
        /// File name as given.
        file: String,
        /// Why, and what to run instead.
        detail: String,
    },
}

/// Parses `--fqdn NAME[=IP[,IP]]`: the kind is inferred from the name's suffix (`Custom` when
/// it matches no known pattern); IPs are validated.
pub fn parse_fqdn_arg(s: &str) -> Result<Target, TargetError> {
    let bad = |reason: String| TargetError::InvalidFlag {
        flag: "--fqdn",
        value: s.to_string(),
        reason,
    };
    let (name, ips) = match s.split_once('=') {
        Some((n, ips)) => (n, Some(ips)),
        None => (s, None),
    };
    let name = validate_fqdn(name, false).map_err(bad)?;
    let mut target = Target::from_name(&name);
    target.source = TargetSource::FqdnFlag;
    if let Some(ips) = ips {
        if ips.trim().is_empty() {
            return Err(bad("no IP after '='; use NAME or NAME=IP[,IP]".to_string()));
        }
        for ip in ips.split(',') {
            let ip = ip.trim();
            let parsed: IpAddr = ip
                .parse()
                .map_err(|_| bad(format!("'{ip}' is not an IP address")))?;
            if !target.expected_ips.contains(&parsed) {
                target.expected_ips.push(parsed);
            }
        }
    }
    Ok(target)
}

/// Merges targets with the same name (case-insensitive, trailing dot ignored): expected IPs
/// are united, a known kind wins over `Custom`, missing details are filled from the later
/// duplicate. Then puts the targets in their stable order (see [`TargetKind::rank`]); targets
/// of the same kind keep their relative order.
pub fn dedup(targets: &mut Vec<Target>) {
    let mut out: Vec<Target> = Vec::with_capacity(targets.len());
    // Position of each name in `out`, by the form `same_name` compares (linear in the names).
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for t in targets.drain(..) {
        let key = name_key(&t.fqdn);
        match seen.get(&key).and_then(|&i| out.get_mut(i)) {
            Some(o) => {
                for ip in t.expected_ips {
                    if !o.expected_ips.contains(&ip) {
                        o.expected_ips.push(ip);
                    }
                }
                if o.kind == TargetKind::Custom && t.kind != TargetKind::Custom {
                    o.kind = t.kind;
                }
                o.private_name = o.private_name.take().or(t.private_name);
                o.same_ip_as = o.same_ip_as.take().or(t.same_ip_as);
                o.alternative_of = o.alternative_of.take().or(t.alternative_of);
                o.privatelink_zone = o.privatelink_zone.or(t.privatelink_zone);
                o.forwarder_zone = o.forwarder_zone.or(t.forwarder_zone);
                o.cloud = o.cloud.or(t.cloud);
            }
            None => {
                seen.insert(key, out.len());
                out.push(t);
            }
        }
    }
    out.sort_by_key(|t| t.kind.rank());
    *targets = out;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const G: &str = "fb7e20a0-8891-458b-b969-55ddb3382f51";

    #[test]
    fn fqdn_arg_name_only_infers_kind() {
        let t = parse_fqdn_arg(&format!(
            "{}.Workspace.EastUS.api.azureml.ms.",
            G.to_uppercase()
        ))
        .unwrap();
        assert_eq!(t.fqdn, format!("{G}.workspace.eastus.api.azureml.ms"));
        assert_eq!(t.kind, TargetKind::WorkspaceApi);
        assert!(t.expected_ips.is_empty());
        assert_eq!(
            t.private_name.as_deref(),
            Some(format!("{G}.workspace.eastus.privatelink.api.azureml.ms").as_str())
        );
        assert_eq!(t.privatelink_zone, Some("privatelink.api.azureml.ms"));
        assert_eq!(t.forwarder_zone, Some("api.azureml.ms"));
        assert_eq!(t.cloud, Some(Cloud::Public));
        assert_eq!(t.source, TargetSource::FqdnFlag);
    }

    #[test]
    fn fqdn_arg_with_ips() {
        let t =
            parse_fqdn_arg("mystorage.blob.core.windows.net=10.1.0.8, fd00::8,10.1.0.8").unwrap();
        assert_eq!(t.kind, TargetKind::StorageBlob);
        assert_eq!(
            t.expected_ips,
            vec![
                "10.1.0.8".parse::<IpAddr>().unwrap(),
                "fd00::8".parse::<IpAddr>().unwrap()
            ]
        );
        assert_eq!(
            t.private_name.as_deref(),
            Some("mystorage.privatelink.blob.core.windows.net")
        );
        let t = parse_fqdn_arg("app.contoso.internal=10.2.3.4").unwrap();
        assert_eq!(t.kind, TargetKind::Custom);
        assert_eq!(t.private_name, None);
        assert_eq!(t.forwarder_zone, None);
        let t = parse_fqdn_arg("ci7-22.westeurope.instances.ml.azure.ms").unwrap();
        assert_eq!(t.kind, TargetKind::ComputeInstanceSsh);
        assert_eq!(t.forwarder_zone, Some("instances.ml.azure.ms"));
    }

    #[test]
    fn fqdn_arg_errors_name_the_flag() {
        let cases = [
            (
                "host.example.com=10.0.0.300",
                "'10.0.0.300' is not an IP address",
            ),
            ("host.example.com=10.0.0.1,,", "'' is not an IP address"),
            ("host.example.com=", "no IP after '='"),
            ("=10.0.0.1", "empty name"),
            ("localhost=127.0.0.1", "no dot"),
            ("*.eastus.inference.ml.azure.com", "wildcard"),
            ("10.0.0.4", "IP address, not a DNS name"),
            ("bad_host!.example.com", "'!'"),
        ];
        for (arg, want) in cases {
            let msg = parse_fqdn_arg(arg).unwrap_err().to_string();
            assert!(msg.starts_with(&format!("--fqdn '{arg}': ")), "{msg}");
            assert!(msg.contains(want), "{arg}: {msg}");
        }
    }

    #[test]
    fn dedup_merges_and_orders() {
        let mut ts = vec![
            parse_fqdn_arg("custom.example.com").unwrap(),
            parse_fqdn_arg("ep.eastus.inference.ml.azure.com").unwrap(),
            parse_fqdn_arg("acct.file.core.windows.net").unwrap(),
            parse_fqdn_arg("acct.blob.core.windows.net=10.0.0.9").unwrap(),
            parse_fqdn_arg("ci.eastus.instances.azureml.ms").unwrap(),
            parse_fqdn_arg(&format!("ml-w-eastus-{G}.eastus.notebooks.azure.net")).unwrap(),
            parse_fqdn_arg(&format!("{G}.workspace.eastus.cert.api.azureml.ms")).unwrap(),
            parse_fqdn_arg(&format!("{G}.workspace.eastus.api.azureml.ms=10.0.0.4")).unwrap(),
            parse_fqdn_arg(&format!(
                "{G}.WORKSPACE.eastus.api.azureml.ms.=10.0.0.5,10.0.0.4"
            ))
            .unwrap(),
            parse_fqdn_arg("ACCT.blob.core.windows.net.=10.0.0.10").unwrap(),
            parse_fqdn_arg("ci-22.eastus.instances.azureml.ms").unwrap(),
            parse_fqdn_arg("other.example.com").unwrap(),
        ];
        // A Custom duplicate of a known name takes the known kind.
        let mut unknown = Target::new("ep.eastus.inference.ml.azure.com", TargetKind::Custom);
        unknown.expected_ips.push("10.0.0.7".parse().unwrap());
        ts.insert(0, unknown);
        dedup(&mut ts);
        let kinds: Vec<TargetKind> = ts.iter().map(|t| t.kind).collect();
        use TargetKind::*;
        assert_eq!(
            kinds,
            vec![
                WorkspaceApi,
                WorkspaceCertApi,
                Notebooks,
                ComputeInstance,
                ComputeInstanceSsh,
                StorageBlob,
                StorageFile,
                Inference,
                Custom,
                Custom
            ]
        );
        assert_eq!(
            ts[0].expected_ips,
            vec![
                "10.0.0.4".parse::<IpAddr>().unwrap(),
                "10.0.0.5".parse::<IpAddr>().unwrap()
            ]
        );
        assert_eq!(ts[5].expected_ips.len(), 2);
        assert_eq!(
            ts[7].expected_ips,
            vec!["10.0.0.7".parse::<IpAddr>().unwrap()]
        );
        // Same kind keeps insertion order.
        assert_eq!(ts[8].fqdn, "custom.example.com");
        assert_eq!(ts[9].fqdn, "other.example.com");
    }

    #[test]
    fn target_serializes_kebab_case_and_skips_unknowns() {
        let t = parse_fqdn_arg("app.contoso.internal=10.2.3.4").unwrap();
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "fqdn": "app.contoso.internal",
                "kind": "custom",
                "expected_ips": ["10.2.3.4"],
                "source": "fqdn-flag"
            })
        );
        let t = parse_fqdn_arg("ci-22.eastus.instances.azureml.ms").unwrap();
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["kind"], "compute-instance-ssh");
        assert_eq!(v["forwarder_zone"], "instances.azureml.ms");
        assert_eq!(v["cloud"], "public");
    }

    #[test]
    fn same_name_ignores_case_and_dot() {
        assert!(same_name("A.example.com.", "a.EXAMPLE.com"));
        assert!(!same_name("a.example.com", "b.example.com"));
    }
}
