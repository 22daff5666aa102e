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

// ---- provisional minimal catalog (replaced by the full catalog) ----

/// Target derivation and parsing errors.
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
    /// Malformed JSON.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// File name.
        file: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Parser message.
        message: String,
    },
}

/// Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// Public cloud.
    #[default]
    Public,
    /// US Government.
    UsGov,
    /// China.
    China,
}

impl std::str::FromStr for Cloud {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "public" => Ok(Cloud::Public),
            "usgov" => Ok(Cloud::UsGov),
            "china" => Ok(Cloud::China),
            other => Err(TargetError::Invalid {
                flag: "--cloud",
                message: format!("unknown cloud {other}"),
            }),
        }
    }
}

/// A workspace to derive names for.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceSpec {
    /// GUID.
    pub id: String,
    /// Region.
    pub region: String,
    /// Name.
    pub name: Option<String>,
    /// Cloud.
    pub cloud: Cloud,
    /// Compute instances.
    pub instances: Vec<String>,
    /// Storage accounts.
    pub storage_accounts: Vec<String>,
    /// Inference endpoints.
    pub inference_endpoints: Vec<String>,
}

/// Derives the target names of a workspace.
pub fn derive(spec: &WorkspaceSpec) -> Result<Vec<Target>, TargetError> {
    let id = spec.id.to_ascii_lowercase();
    let r = spec.region.to_ascii_lowercase();
    let t = |fqdn: String, kind| Target {
        fqdn,
        kind,
        expected_ips: Vec::new(),
    };
    let mut out = vec![
        t(
            format!("{id}.workspace.{r}.api.azureml.ms"),
            TargetKind::WorkspaceApi,
        ),
        t(
            format!("{id}.workspace.{r}.cert.api.azureml.ms"),
            TargetKind::WorkspaceCertApi,
        ),
    ];
    if let Some(name) = &spec.name {
        out.push(t(
            format!(
                "ml-{}-{r}-{id}.{r}.notebooks.azure.net",
                name.to_ascii_lowercase()
            ),
            TargetKind::Notebooks,
        ));
    }
    for ci in &spec.instances {
        out.push(t(
            format!("{ci}.{r}.instances.azureml.ms"),
            TargetKind::ComputeInstance,
        ));
    }
    Ok(out)
}

/// Parses `--fqdn NAME[=IP[,IP]]`.
pub fn parse_fqdn_arg(s: &str) -> Result<Target, TargetError> {
    let (name, ips) = s.split_once('=').unwrap_or((s, ""));
    let mut expected_ips = Vec::new();
    for ip in ips.split(',').filter(|i| !i.is_empty()) {
        expected_ips.push(ip.parse().map_err(|_| TargetError::Invalid {
            flag: "--fqdn",
            message: format!("{ip:?} is not an IP address"),
        })?);
    }
    Ok(Target {
        fqdn: name.trim_end_matches('.').to_ascii_lowercase(),
        kind: TargetKind::Custom,
        expected_ips,
    })
}

/// Expected state.
#[derive(Debug, Default)]
pub struct ExpectedState;

/// Loads expected state.
pub fn load_expected(_path: &std::path::Path) -> Result<ExpectedState, TargetError> {
    Ok(ExpectedState)
}

/// Merges expected state.
pub fn merge_expected(_targets: &mut Vec<Target>, _expected: &ExpectedState) {}
