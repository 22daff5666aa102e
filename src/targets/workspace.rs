//! A workspace's identity and the names its private endpoint creates (DOMAIN.md §1).

use super::names::{check_label, is_guid};
use super::{Cloud, Target, TargetError, TargetKind};

/// What pe-doctor knows about the workspace: enough to derive every name.
///
/// Build it with [`WorkspaceSpec::new`] or literally, then call [`WorkspaceSpec::validated`]
/// before [`derive`]: that checks every field and normalises names to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkspaceSpec {
    /// Workspace GUID, lower case.
    pub id: String,
    /// Region's programmatic name (`eastus`), lower case.
    pub region: String,
    /// Workspace name; needed for the notebooks name.
    pub name: Option<String>,
    /// Cloud.
    pub cloud: Cloud,
    /// Compute instance names.
    pub instances: Vec<String>,
    /// Associated storage account names.
    pub storage_accounts: Vec<String>,
    /// Managed online endpoint names.
    pub inference_endpoints: Vec<String>,
    /// GUIDs of projects under a hub (AI Foundry): each gets its own API and cert names.
    pub project_ids: Vec<String>,
    /// Foundry / AI services account names (their custom subdomain): each gets its
    /// `cognitiveservices`, `openai` and `services.ai` names.
    pub ai_services: Vec<String>,
}

impl WorkspaceSpec {
    /// A validated spec for a workspace GUID and region, without optional parts.
    pub fn new(id: &str, region: &str, cloud: Cloud) -> Result<WorkspaceSpec, TargetError> {
        WorkspaceSpec {
            id: id.to_string(),
            region: region.to_string(),
            cloud,
            ..WorkspaceSpec::default()
        }
        .validated()
    }

    /// Checks every field (errors name the flag the value came from) and normalises them.
    pub fn validated(self) -> Result<WorkspaceSpec, TargetError> {
        fn all(
            v: Vec<String>,
            f: fn(&str) -> Result<String, TargetError>,
        ) -> Result<Vec<String>, TargetError> {
            let mut out: Vec<String> = Vec::with_capacity(v.len());
            for s in v {
                let s = f(&s)?;
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            Ok(out)
        }
        Ok(WorkspaceSpec {
            id: validate_workspace_id(&self.id)?,
            region: validate_region(&self.region)?,
            name: self
                .name
                .as_deref()
                .map(validate_workspace_name)
                .transpose()?,
            cloud: self.cloud,
            instances: all(self.instances, validate_instance_name)?,
            storage_accounts: all(self.storage_accounts, validate_storage_account)?,
            inference_endpoints: all(self.inference_endpoints, validate_endpoint_name)?,
            project_ids: all(self.project_ids, |s| {
                validate_workspace_id(s).map_err(|e| match e {
                    TargetError::InvalidFlag { value, reason, .. } => TargetError::InvalidFlag {
                        flag: "--project-id",
                        value,
                        reason,
                    },
                    other => other,
                })
            })?,
            ai_services: if self.ai_services.is_empty() || self.cloud == Cloud::Public {
                all(self.ai_services, validate_ai_services_name)?
            } else {
                return Err(invalid(
                    "--ai-services",
                    &self.ai_services.join(","),
                    format!(
                        "the AI services names are known for the public cloud only, not {}; \
                         give the account's names with --fqdn",
                        self.cloud.as_str()
                    ),
                ));
            },
        })
    }
}

fn invalid(flag: &'static str, value: &str, reason: impl Into<String>) -> TargetError {
    TargetError::InvalidFlag {
        flag,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// Validates `--workspace-id`: a GUID (surrounding braces allowed); returns it lower case.
pub fn validate_workspace_id(s: &str) -> Result<String, TargetError> {
    let t = s.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(t);
    if is_guid(t) {
        Ok(t.to_ascii_lowercase())
    } else {
        Err(invalid(
            "--workspace-id",
            s,
            "not a workspace GUID; expected 8-4-4-4-12 hex digits, \
             e.g. fb7e20a0-8891-458b-b969-55ddb3382f51 (the workspace ID, not its name)",
        ))
    }
}

/// Validates `--region`: the programmatic region name (letters and digits, e.g. `eastus`);
/// returns it lower case.
pub fn validate_region(s: &str) -> Result<String, TargetError> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(invalid("--region", s, "empty region"));
    }
    if t.len() > 40
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(invalid(
            "--region",
            s,
            "not a region name; use the programmatic name: lowercase letters and digits, \
             e.g. eastus or westeurope (not 'East US')",
        ));
    }
    Ok(t)
}

/// Validates `--workspace-name`: letters, digits, `-` and `_`; returns it lower case.
pub fn validate_workspace_name(s: &str) -> Result<String, TargetError> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(invalid("--workspace-name", s, "empty workspace name"));
    }
    if t.len() > 255 {
        return Err(invalid("--workspace-name", s, "longer than 255 characters"));
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(invalid(
            "--workspace-name",
            s,
            format!("contains '{c}'; workspace names are letters, digits, '-' and '_'"),
        ));
    }
    Ok(t)
}

/// Validates `--instance`: a compute instance name, one DNS label short enough for its SSH
/// name `<name>-22` to stay within 63 characters; returns it lower case.
pub fn validate_instance_name(s: &str) -> Result<String, TargetError> {
    let t = s.trim().to_ascii_lowercase();
    if t.contains('.') {
        return Err(invalid(
            "--instance",
            s,
            "give the compute instance name only (e.g. ci-alice), not its full host name; \
             use --fqdn for a full name",
        ));
    }
    check_label(&t).map_err(|r| invalid("--instance", s, r))?;
    if t.len() > 60 {
        return Err(invalid(
            "--instance",
            s,
            "longer than 60 characters: the SSH name '<name>-22' would exceed 63",
        ));
    }
    Ok(t)
}

/// Validates `--storage-account`: 3 to 24 letters and digits; returns it lower case.
pub fn validate_storage_account(s: &str) -> Result<String, TargetError> {
    let t = s.trim().to_ascii_lowercase();
    if !(3..=24).contains(&t.len()) || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            "--storage-account",
            s,
            "storage account names are 3 to 24 lowercase letters and digits \
             (give the account name, not its URL)",
        ));
    }
    Ok(t)
}

/// Validates `--ai-services`: a Foundry / AI services account's custom subdomain name (one
/// DNS label, 2 to 64 characters, starting and ending with a letter or digit); returns it lower
/// case.
pub fn validate_ai_services_name(s: &str) -> Result<String, TargetError> {
    let t = s.trim().to_ascii_lowercase();
    if t.contains('.') {
        return Err(invalid(
            "--ai-services",
            s,
            "give the account name only (e.g. contoso-ai), not its URL",
        ));
    }
    check_label(&t).map_err(|r| invalid("--ai-services", s, r))?;
    let edges_ok = t.starts_with(|c: char| c.is_ascii_alphanumeric())
        && t.ends_with(|c: char| c.is_ascii_alphanumeric());
    if t.len() < 2 || !edges_ok || t.contains('_') {
        return Err(invalid(
            "--ai-services",
            s,
            "AI services names are 2 to 64 letters, digits and hyphens, starting and ending \
             with a letter or digit",
        ));
    }
    Ok(t)
}

/// Validates `--inference-endpoint`: a managed online endpoint name (one DNS label);
/// returns it lower case.
pub fn validate_endpoint_name(s: &str) -> Result<String, TargetError> {
    let t = s.trim().to_ascii_lowercase();
    if t.contains('.') {
        return Err(invalid(
            "--inference-endpoint",
            s,
            "give the endpoint name only (e.g. my-endpoint), not its URL",
        ));
    }
    check_label(&t).map_err(|r| invalid("--inference-endpoint", s, r))?;
    Ok(t)
}

/// The first label of the notebooks name: `ml-<name>-<region>-<guid>`, with the workspace
/// name truncated so the label stays within 63 characters (lower case).
pub fn notebooks_label(name: &str, region: &str, guid: &str) -> String {
    notebooks_label_within(name, region, guid, 63)
}

/// [`notebooks_label`] with the workspace name truncated to keep the label within `max_len`.
pub fn notebooks_label_within(name: &str, region: &str, guid: &str, max_len: usize) -> String {
    let name = name.to_ascii_lowercase();
    let fixed = "ml-".len() + 1 + region.len() + 1 + guid.len();
    let room = max_len.saturating_sub(fixed);
    let short: String = name.chars().take(room).collect();
    format!(
        "ml-{short}-{}-{}",
        region.to_ascii_lowercase(),
        guid.to_ascii_lowercase()
    )
}

/// The public zones of a Foundry / AI services account's names (DOMAIN.md §1; Microsoft's
/// private-endpoint DNS table: `privatelink.` + each is the private zone).
pub const AI_SERVICES_ZONES: [&str; 3] = [
    "cognitiveservices.azure.com",
    "openai.azure.com",
    "services.ai.azure.com",
];

/// Every name the workspace's private endpoint (and the listed resources) create, in the
/// stable order: workspace API, cert API (hub, then each project), notebooks (only with a
/// workspace name; when the name is truncated, also the 62-character reading, marked
/// `alternative_of`), compute instances (every documented suffix, plus the `-22` SSH name),
/// storage blob and file, inference endpoints, AI services accounts. Each target records its `privatelink.` name,
/// zone and forwarder zone; instance names record `same_ip_as` the workspace API name.
///
/// Expects a [`WorkspaceSpec::validated`] spec; an unvalidated one never panics but may give
/// names that do not resolve.
pub fn derive(spec: &WorkspaceSpec) -> Vec<Target> {
    let cloud = spec.cloud;
    let guid = spec.id.to_ascii_lowercase();
    let region = spec.region.to_ascii_lowercase();
    let api = cloud.api_suffix();
    let mut out = Vec::new();

    let make = |fqdn: String, kind: TargetKind, private: Option<String>| {
        let mut t = Target::new(&fqdn, kind);
        t.private_name = private;
        t.cloud = Some(cloud);
        t
    };

    let workspace_api = format!("{guid}.workspace.{region}.{api}");
    let mut ids = vec![guid.clone()];
    ids.extend(spec.project_ids.iter().map(|p| p.to_ascii_lowercase()));
    for id in &ids {
        out.push(make(
            format!("{id}.workspace.{region}.{api}"),
            TargetKind::WorkspaceApi,
            Some(format!("{id}.workspace.{region}.privatelink.{api}")),
        ));
    }
    for id in &ids {
        out.push(make(
            format!("{id}.workspace.{region}.cert.{api}"),
            TargetKind::WorkspaceCertApi,
            Some(format!("{id}.workspace.{region}.cert.privatelink.{api}")),
        ));
    }

    if let Some(name) = &spec.name {
        let nb = cloud.notebooks_suffix();
        let label = notebooks_label(name, &region, &guid);
        let primary = format!("{label}.{region}.{nb}");
        out.push(make(
            primary.clone(),
            TargetKind::Notebooks,
            Some(format!("{label}.{region}.privatelink.{nb}")),
        ));
        // Microsoft's article says the name is truncated to keep the label "at 63 characters
        // or less", but its own US Gov example (`ml-mype-plt-usgovvirginia-<guid>`, next to
        // the China example's untruncated `mype-pltest`) is a 62-character label, one shorter
        // than a 63-character cut. When the two readings differ, both names are tested.
        let alt = notebooks_label_within(name, &region, &guid, 62);
        if alt != label {
            let mut t = make(
                format!("{alt}.{region}.{nb}"),
                TargetKind::Notebooks,
                Some(format!("{alt}.{region}.privatelink.{nb}")),
            );
            t.alternative_of = Some(primary);
            out.push(t);
        }
    }

    for ci in &spec.instances {
        let ci = ci.to_ascii_lowercase();
        for (label, kind) in [
            (ci.clone(), TargetKind::ComputeInstance),
            (format!("{ci}-22"), TargetKind::ComputeInstanceSsh),
        ] {
            let primary = format!("{label}.{region}.{}", cloud.instance_suffixes()[0]);
            for (i, suffix) in cloud.instance_suffixes().iter().enumerate() {
                let mut t = make(format!("{label}.{region}.{suffix}"), kind, None);
                t.same_ip_as = Some(workspace_api.clone());
                if i > 0 {
                    t.alternative_of = Some(primary.clone());
                }
                out.push(t);
            }
        }
    }

    let storage = cloud.storage_suffix();
    for acct in &spec.storage_accounts {
        let acct = acct.to_ascii_lowercase();
        for (svc, kind) in [
            ("blob", TargetKind::StorageBlob),
            ("file", TargetKind::StorageFile),
        ] {
            out.push(make(
                format!("{acct}.{svc}.{storage}"),
                kind,
                Some(format!("{acct}.privatelink.{svc}.{storage}")),
            ));
        }
    }

    for ep in &spec.inference_endpoints {
        let ep = ep.to_ascii_lowercase();
        out.push(make(
            format!("{ep}.{region}.{}", cloud.inference_suffix()),
            TargetKind::Inference,
            Some(format!("{ep}.{guid}.inference.{region}.privatelink.{api}")),
        ));
    }

    // Foundry / AI services accounts (public cloud; `validated` refuses the others).
    out.extend(ai_services_targets(&spec.ai_services));

    super::dedup(&mut out);
    out
}

/// The names of Foundry / AI services accounts (public cloud), without a workspace: each
/// account's `cognitiveservices`, `openai` and `services.ai` names. Expects validated names
/// ([`validate_ai_services_name`]).
pub fn ai_services_targets(accounts: &[String]) -> Vec<Target> {
    let mut out = Vec::new();
    for acct in accounts {
        let acct = acct.to_ascii_lowercase();
        for zone in AI_SERVICES_ZONES {
            let mut t = Target::new(&format!("{acct}.{zone}"), TargetKind::AiServices);
            t.private_name = Some(format!("{acct}.privatelink.{zone}"));
            t.cloud = Some(Cloud::Public);
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::targets::{forwarder_zone_of, infer, privatelink_zone_of, public_name_of};

    const G: &str = "fb7e20a0-8891-458b-b969-55ddb3382f51";

    fn full(cloud: Cloud, region: &str) -> WorkspaceSpec {
        WorkspaceSpec {
            id: G.to_uppercase(),
            region: region.to_string(),
            name: Some("MyWorkspace".to_string()),
            cloud,
            instances: vec!["CI-Alice".to_string()],
            storage_accounts: vec!["mystorage01".to_string()],
            inference_endpoints: vec!["score-ep".to_string()],
            project_ids: vec![],
            ai_services: vec![],
        }
        .validated()
        .unwrap()
    }

    fn names(ts: &[Target]) -> Vec<(&str, TargetKind, Option<&str>)> {
        ts.iter()
            .map(|t| (t.fqdn.as_str(), t.kind, t.private_name.as_deref()))
            .collect()
    }

    #[test]
    fn public_cloud_derivation() {
        use TargetKind::*;
        let ts = derive(&full(Cloud::Public, "EastUS"));
        let api = format!("{G}.workspace.eastus.api.azureml.ms");
        let cert = format!("{G}.workspace.eastus.cert.api.azureml.ms");
        let nb = format!("ml-myworkspace-eastus-{G}.eastus.notebooks.azure.net");
        let api_pl = format!("{G}.workspace.eastus.privatelink.api.azureml.ms");
        let cert_pl = format!("{G}.workspace.eastus.cert.privatelink.api.azureml.ms");
        let nb_pl = format!("ml-myworkspace-eastus-{G}.eastus.privatelink.notebooks.azure.net");
        let inf_pl = format!("score-ep.{G}.inference.eastus.privatelink.api.azureml.ms");
        assert_eq!(
            names(&ts),
            vec![
                (api.as_str(), WorkspaceApi, Some(api_pl.as_str())),
                (cert.as_str(), WorkspaceCertApi, Some(cert_pl.as_str())),
                (nb.as_str(), Notebooks, Some(nb_pl.as_str())),
                (
                    "ci-alice.eastus.instances.azureml.ms",
                    ComputeInstance,
                    None
                ),
                (
                    "ci-alice.eastus.instances.ml.azure.ms",
                    ComputeInstance,
                    None
                ),
                (
                    "ci-alice-22.eastus.instances.azureml.ms",
                    ComputeInstanceSsh,
                    None
                ),
                (
                    "ci-alice-22.eastus.instances.ml.azure.ms",
                    ComputeInstanceSsh,
                    None
                ),
                (
                    "mystorage01.blob.core.windows.net",
                    StorageBlob,
                    Some("mystorage01.privatelink.blob.core.windows.net")
                ),
                (
                    "mystorage01.file.core.windows.net",
                    StorageFile,
                    Some("mystorage01.privatelink.file.core.windows.net")
                ),
                (
                    "score-ep.eastus.inference.ml.azure.com",
                    Inference,
                    Some(inf_pl.as_str())
                ),
            ]
        );
        // Instances resolve to the workspace PE IP; the second suffix is an alternative.
        for t in ts
            .iter()
            .filter(|t| t.kind == ComputeInstance || t.kind == ComputeInstanceSsh)
        {
            assert_eq!(t.same_ip_as.as_deref(), Some(api.as_str()), "{}", t.fqdn);
            assert_eq!(t.privatelink_zone, None);
        }
        assert_eq!(ts[3].alternative_of, None);
        assert_eq!(
            ts[4].alternative_of.as_deref(),
            Some("ci-alice.eastus.instances.azureml.ms")
        );
        assert_eq!(
            ts[6].alternative_of.as_deref(),
            Some("ci-alice-22.eastus.instances.azureml.ms")
        );
        // Zones, forwarders and cloud are filled in; the kind inferred from each derived name
        // agrees with the derivation, and the private name maps back to the public one.
        let fwd: Vec<_> = ts.iter().map(|t| t.forwarder_zone.unwrap()).collect();
        assert_eq!(
            fwd,
            vec![
                "api.azureml.ms",
                "api.azureml.ms",
                "notebooks.azure.net",
                "instances.azureml.ms",
                "instances.ml.azure.ms",
                "instances.azureml.ms",
                "instances.ml.azure.ms",
                "blob.core.windows.net",
                "file.core.windows.net",
                "inference.ml.azure.com"
            ]
        );
        for t in &ts {
            assert_eq!(t.cloud, Some(Cloud::Public));
            assert_eq!(infer(&t.fqdn), (t.kind, Some(Cloud::Public)), "{}", t.fqdn);
            if let Some(p) = &t.private_name {
                assert_eq!(public_name_of(p).as_deref(), Some(t.fqdn.as_str()));
                assert_eq!(privatelink_zone_of(p), t.privatelink_zone);
            }
        }
        assert_eq!(ts[9].privatelink_zone, Some("privatelink.api.azureml.ms"));
    }

    #[test]
    fn usgov_derivation() {
        let ts = derive(&full(Cloud::UsGov, "usgovvirginia"));
        let got: Vec<&str> = ts.iter().map(|t| t.fqdn.as_str()).collect();
        assert_eq!(
            got,
            vec![
                format!("{G}.workspace.usgovvirginia.api.ml.azure.us").as_str(),
                format!("{G}.workspace.usgovvirginia.cert.api.ml.azure.us").as_str(),
                // 13-character region: the name is truncated to 9 characters (label of 63).
                format!("ml-myworkspa-usgovvirginia-{G}.usgovvirginia.notebooks.usgovcloudapi.net")
                    .as_str(),
                // ... and the 62-character reading of the documented truncation.
                format!("ml-myworksp-usgovvirginia-{G}.usgovvirginia.notebooks.usgovcloudapi.net")
                    .as_str(),
                "ci-alice.usgovvirginia.instances.azureml.us",
                "ci-alice.usgovvirginia.instances.ml.azure.us",
                "ci-alice-22.usgovvirginia.instances.azureml.us",
                "ci-alice-22.usgovvirginia.instances.ml.azure.us",
                "mystorage01.blob.core.usgovcloudapi.net",
                "mystorage01.file.core.usgovcloudapi.net",
                "score-ep.usgovvirginia.inference.ml.azure.us",
            ]
        );
        assert_eq!(
            ts[0].private_name.as_deref(),
            Some(format!("{G}.workspace.usgovvirginia.privatelink.api.ml.azure.us").as_str())
        );
        assert_eq!(ts[0].privatelink_zone, Some("privatelink.api.ml.azure.us"));
        assert_eq!(
            ts[2].privatelink_zone,
            Some("privatelink.notebooks.usgovcloudapi.net")
        );
        assert_eq!(ts[2].alternative_of, None);
        assert_eq!(ts[3].alternative_of.as_deref(), Some(ts[2].fqdn.as_str()));
        assert_eq!(
            ts[8].private_name.as_deref(),
            Some("mystorage01.privatelink.blob.core.usgovcloudapi.net")
        );
        assert_eq!(
            ts[10].private_name.as_deref(),
            Some(
                format!("score-ep.{G}.inference.usgovvirginia.privatelink.api.ml.azure.us")
                    .as_str()
            )
        );
        for t in &ts {
            assert_eq!(
                t.forwarder_zone,
                forwarder_zone_of(&t.fqdn, Cloud::UsGov),
                "{}",
                t.fqdn
            );
            assert!(t.forwarder_zone.is_some(), "{}", t.fqdn);
        }
    }

    #[test]
    fn china_derivation() {
        let ts = derive(&full(Cloud::China, "chinaeast2"));
        let got: Vec<&str> = ts.iter().map(|t| t.fqdn.as_str()).collect();
        assert_eq!(
            got,
            vec![
                format!("{G}.workspace.chinaeast2.api.ml.azure.cn").as_str(),
                format!("{G}.workspace.chinaeast2.cert.api.ml.azure.cn").as_str(),
                format!("ml-myworkspace-chinaeast2-{G}.chinaeast2.notebooks.chinacloudapi.cn")
                    .as_str(),
                "ci-alice.chinaeast2.instances.azureml.cn",
                "ci-alice-22.chinaeast2.instances.azureml.cn",
                "mystorage01.blob.core.chinacloudapi.cn",
                "mystorage01.file.core.chinacloudapi.cn",
                "score-ep.chinaeast2.inference.ml.azure.cn",
            ]
        );
        assert_eq!(
            ts[2].private_name.as_deref(),
            Some(
                format!("ml-myworkspace-chinaeast2-{G}.chinaeast2.privatelink.notebooks.chinacloudapi.cn")
                    .as_str()
            )
        );
        assert_eq!(ts[3].alternative_of, None);
        assert_eq!(ts[7].forwarder_zone, Some("inference.ml.azure.cn"));
        assert_eq!(ts[7].privatelink_zone, Some("privatelink.api.ml.azure.cn"));
    }

    #[test]
    fn minimal_spec_gives_api_and_cert_only() {
        let ts = derive(&WorkspaceSpec::new(G, "westeurope", Cloud::Public).unwrap());
        assert_eq!(ts.len(), 2);
        assert_eq!(ts[0].kind, TargetKind::WorkspaceApi);
        assert_eq!(ts[1].kind, TargetKind::WorkspaceCertApi);
        assert!(ts.iter().all(|t| t.expected_ips.is_empty()));
    }

    #[test]
    fn projects_get_api_and_cert_names() {
        let p = "52882c08-ead2-44aa-af65-08a75cf094bd";
        let spec = WorkspaceSpec {
            project_ids: vec![p.to_uppercase()],
            ..WorkspaceSpec::new(G, "eastus", Cloud::Public).unwrap()
        }
        .validated()
        .unwrap();
        let got: Vec<String> = derive(&spec).into_iter().map(|t| t.fqdn).collect();
        assert_eq!(
            got,
            vec![
                format!("{G}.workspace.eastus.api.azureml.ms"),
                format!("{p}.workspace.eastus.api.azureml.ms"),
                format!("{G}.workspace.eastus.cert.api.azureml.ms"),
                format!("{p}.workspace.eastus.cert.api.azureml.ms"),
            ]
        );
    }

    #[test]
    fn ai_services_accounts_get_their_three_names() {
        let spec = WorkspaceSpec {
            ai_services: vec!["Contoso-AI".into()],
            ..WorkspaceSpec::new(G, "eastus", Cloud::Public).unwrap()
        }
        .validated()
        .unwrap();
        let ai: Vec<(String, TargetKind, Option<String>, Option<&str>)> = derive(&spec)
            .into_iter()
            .filter(|t| t.kind == TargetKind::AiServices)
            .map(|t| (t.fqdn, t.kind, t.private_name, t.privatelink_zone))
            .collect();
        assert_eq!(
            ai,
            vec![
                (
                    "contoso-ai.cognitiveservices.azure.com".into(),
                    TargetKind::AiServices,
                    Some("contoso-ai.privatelink.cognitiveservices.azure.com".into()),
                    Some("privatelink.cognitiveservices.azure.com")
                ),
                (
                    "contoso-ai.openai.azure.com".into(),
                    TargetKind::AiServices,
                    Some("contoso-ai.privatelink.openai.azure.com".into()),
                    Some("privatelink.openai.azure.com")
                ),
                (
                    "contoso-ai.services.ai.azure.com".into(),
                    TargetKind::AiServices,
                    Some("contoso-ai.privatelink.services.ai.azure.com".into()),
                    Some("privatelink.services.ai.azure.com")
                ),
            ]
        );
        for (name, ..) in &ai {
            assert_eq!(infer(name).0, TargetKind::AiServices, "{name}");
        }
        for bad in ["contoso-ai.openai.azure.com", "-x", "x", "a_b", ""] {
            assert!(validate_ai_services_name(bad).is_err(), "{bad}");
        }
        let usgov = WorkspaceSpec {
            ai_services: vec!["contoso-ai".into()],
            ..WorkspaceSpec::new(G, "usgovvirginia", Cloud::UsGov).unwrap()
        }
        .validated()
        .unwrap_err()
        .to_string();
        assert!(usgov.starts_with("--ai-services"), "{usgov}");
    }

    #[test]
    fn notebooks_label_truncated_to_63() {
        // Short name: untouched (the documented example).
        assert_eq!(
            notebooks_label("myworkspace", "eastus", G),
            format!("ml-myworkspace-eastus-{G}")
        );
        // "ml-" + name + "-" + "eastus" + "-" + 36 = 47 + name: room for 16 characters.
        let exact = notebooks_label("abcdefghijklmnop", "eastus", G);
        assert_eq!(exact.len(), 63);
        assert_eq!(exact, format!("ml-abcdefghijklmnop-eastus-{G}"));
        let long = notebooks_label("a-very-long-workspace-name-33chars", "eastus", G);
        assert_eq!(long.len(), 63);
        assert_eq!(long, format!("ml-a-very-long-work-eastus-{G}"));
        // Longer region, less room; upper case folded.
        let l = notebooks_label("Contoso-Research-Hub", "australiasoutheast", G);
        assert_eq!(l.len(), 63);
        assert_eq!(l, format!("ml-cont-australiasoutheast-{G}"));
        // Through derive, every label stays a valid DNS label.
        let spec = WorkspaceSpec {
            name: Some("x".repeat(200)),
            ..WorkspaceSpec::new(G, "southcentralus", Cloud::UsGov).unwrap()
        }
        .validated()
        .unwrap();
        let nbs: Vec<Target> = derive(&spec)
            .into_iter()
            .filter(|t| t.kind == TargetKind::Notebooks)
            .collect();
        assert_eq!(nbs.len(), 2);
        let label = nbs[0].fqdn.split('.').next().unwrap();
        assert_eq!(label.len(), 63);
        assert!(nbs[0].private_name.as_deref().unwrap().starts_with(label));
        let alt = nbs[1].fqdn.split('.').next().unwrap();
        assert_eq!(alt.len(), 62);
        assert_eq!(nbs[1].alternative_of.as_deref(), Some(nbs[0].fqdn.as_str()));
        // The documented US Gov example is the 62-character reading.
        assert_eq!(
            notebooks_label_within("mype-pltest", "usgovvirginia", G, 62),
            format!("ml-mype-plt-usgovvirginia-{G}")
        );
    }

    #[test]
    fn validation_errors_name_the_flag() {
        let cases: Vec<(WorkspaceSpec, &str)> = vec![
            (
                WorkspaceSpec {
                    id: "my-workspace".into(),
                    region: "eastus".into(),
                    ..Default::default()
                },
                "--workspace-id 'my-workspace': not a workspace GUID",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "East US".into(),
                    ..Default::default()
                },
                "--region 'East US': not a region name",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "".into(),
                    ..Default::default()
                },
                "--region '': empty region",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "eastus".into(),
                    name: Some("my ws".into()),
                    ..Default::default()
                },
                "--workspace-name 'my ws': contains ' '",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "eastus".into(),
                    instances: vec!["ci1.eastus.instances.azureml.ms".into()],
                    ..Default::default()
                },
                "--instance 'ci1.eastus.instances.azureml.ms': give the compute instance name only",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "eastus".into(),
                    instances: vec!["c".repeat(61)],
                    ..Default::default()
                },
                "longer than 60 characters",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "eastus".into(),
                    storage_accounts: vec!["my-storage".into()],
                    ..Default::default()
                },
                "--storage-account 'my-storage': storage account names are 3 to 24",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "eastus".into(),
                    inference_endpoints: vec!["https://ep.eastus.inference.ml.azure.com".into()],
                    ..Default::default()
                },
                "--inference-endpoint 'https://ep.eastus.inference.ml.azure.com': give the endpoint name only",
            ),
            (
                WorkspaceSpec {
                    id: G.into(),
                    region: "eastus".into(),
                    project_ids: vec!["proj".into()],
                    ..Default::default()
                },
                "--project-id 'proj': not a workspace GUID",
            ),
        ];
        for (spec, want) in cases {
            let msg = spec.validated().unwrap_err().to_string();
            assert!(msg.contains(want), "want {want:?}, got {msg:?}");
        }
    }

    #[test]
    fn validation_normalises() {
        let spec = WorkspaceSpec {
            id: format!("{{{}}}", G.to_uppercase()),
            region: " WestEurope ".into(),
            name: Some("My_WS".into()),
            instances: vec!["CI1".into(), "ci1".into()],
            storage_accounts: vec!["MyStorage".into()],
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(spec.id, G);
        assert_eq!(spec.region, "westeurope");
        assert_eq!(spec.name.as_deref(), Some("my_ws"));
        assert_eq!(spec.instances, vec!["ci1".to_string()]);
        assert_eq!(spec.storage_accounts, vec!["mystorage".to_string()]);
    }
}
