//! The simulated world: one workspace with its private endpoint, the views of DNS that
//! different servers have of it (public internet, Azure DNS with the private zones linked), and
//! realistic addresses (10.x private, 20.x/40.x public).

use super::dns_server::View;
use crate::targets::{self, Cloud, Target, TargetKind, WorkspaceSpec, forwarder_zone_of};
use std::net::IpAddr;

/// The lab workspace GUID.
pub const WORKSPACE_ID: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69";
/// The lab region.
pub const REGION: &str = "eastus2";
/// The lab workspace name.
pub const WORKSPACE_NAME: &str = "contoso-ml";
/// The lab managed online endpoint.
pub const INFERENCE_ENDPOINT: &str = "score";
/// The lab storage account.
pub const STORAGE_ACCOUNT: &str = "contosomlstore";
/// The lab compute instance.
pub const INSTANCE: &str = "ci-one";

/// The private endpoint's IP for the workspace API names (and compute instances).
pub const PE_IP: [u8; 4] = [10, 0, 0, 4];
/// The private endpoint's IP for the notebooks name.
pub const PE_NOTEBOOKS_IP: [u8; 4] = [10, 0, 0, 5];
/// The public front ends' addresses.
pub const PUBLIC_IPS: [[u8; 4]; 3] = [[20, 41, 5, 7], [20, 41, 5, 8], [40, 70, 1, 9]];
/// A private IP the endpoint had before it was recreated.
pub const STALE_IP: [u8; 4] = [10, 0, 0, 99];

fn ip(o: [u8; 4]) -> IpAddr {
    IpAddr::from(o)
}

/// The lab workspace spec.
pub fn workspace() -> WorkspaceSpec {
    WorkspaceSpec {
        id: WORKSPACE_ID.into(),
        region: REGION.into(),
        name: Some(WORKSPACE_NAME.into()),
        instances: vec![INSTANCE.into()],
        storage_accounts: vec![STORAGE_ACCOUNT.into()],
        inference_endpoints: vec![INFERENCE_ENDPOINT.into()],
        ..WorkspaceSpec::default()
    }
}

/// The lab targets.
pub fn targets() -> Vec<Target> {
    targets::derive(&workspace())
}

/// `X.<zone>` -> `X.privatelink.<zone>`; None when the name is not in a known zone.
pub fn privatelink_name(fqdn: &str) -> Option<String> {
    let zone = forwarder_zone_of(fqdn, Cloud::Public)?;
    let host = fqdn.strip_suffix(zone)?;
    Some(format!("{host}privatelink.{zone}"))
}

/// The privatelink name a target's CNAME leads to (none for compute instances, which have
/// direct records).
pub fn private_name(t: &Target) -> Option<String> {
    if is_instance(t) {
        return None;
    }
    t.private_name.clone().or_else(|| privatelink_name(&t.fqdn))
}

fn is_instance(t: &Target) -> bool {
    matches!(
        t.kind,
        TargetKind::ComputeInstance | TargetKind::ComputeInstanceSsh
    )
}

fn private_ip(t: &Target) -> IpAddr {
    if t.kind == TargetKind::Notebooks {
        ip(PE_NOTEBOOKS_IP)
    } else {
        ip(PE_IP)
    }
}

fn public_frontend(t: &Target) -> (String, IpAddr) {
    match t.kind {
        TargetKind::Notebooks => (
            format!("{REGION}.notebooks.frontend.example.net"),
            ip([40, 70, 1, 9]),
        ),
        _ if is_instance(t) => (
            format!("{REGION}.instances.frontend.example.net"),
            ip([20, 41, 5, 8]),
        ),
        _ => (
            format!("{REGION}.api.frontend.example.net"),
            ip([20, 41, 5, 7]),
        ),
    }
}

/// What the public internet (an ISP resolver, public DoH) answers: the privatelink CNAME leads on
/// to the service's public front end.
pub fn public_view(targets: &[Target]) -> View {
    let mut v = View::new();
    for t in targets {
        let (frontend, public) = public_frontend(t);
        match private_name(t) {
            Some(pl) => {
                v.cname(&t.fqdn, &pl).cname(&pl, &frontend);
            }
            None => {
                v.cname(&t.fqdn, &frontend);
            }
        }
        v.addr(&frontend, public);
    }
    v
}

/// What Azure DNS answers inside the VNet (and any resolver that forwards to it): the
/// privatelink zones hold the private endpoint's records.
pub fn private_view(targets: &[Target]) -> View {
    let mut v = View::new();
    for zone in [
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
        "privatelink.blob.core.windows.net",
        "privatelink.file.core.windows.net",
        "instances.azureml.ms",
        "instances.ml.azure.ms",
    ] {
        v.zone(zone);
    }
    for t in targets {
        match private_name(t) {
            Some(pl) => {
                v.cname(&t.fqdn, &pl).addr(&pl, private_ip(t));
            }
            None => {
                v.addr(&t.fqdn, private_ip(t));
            }
        }
    }
    v
}
