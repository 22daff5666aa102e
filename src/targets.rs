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
