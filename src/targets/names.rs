//! Name handling: normalisation, validation, kind inference from a name, the privatelink
//! mapping (public name <-> `privatelink.` name) and the zones a name belongs to.

use super::{Cloud, TargetKind};

/// Lower-cases, trims and removes one trailing dot.
pub fn normalize(name: &str) -> String {
    let t = name.trim();
    let t = t.strip_suffix('.').unwrap_or(t);
    t.to_ascii_lowercase()
}

/// True when `name` equals `suffix` or ends with `.suffix` (label boundary). Both lower case.
pub(crate) fn has_suffix(name: &str, suffix: &str) -> bool {
    name == suffix
        || (name.len() > suffix.len()
            && name.ends_with(suffix)
            && name.as_bytes()[name.len() - suffix.len() - 1] == b'.')
}

/// The labels in front of `suffix` (`None` when `name` is not strictly under `suffix`).
fn prefix_labels<'a>(name: &'a str, suffix: &str) -> Option<Vec<&'a str>> {
    if name.len() > suffix.len() && has_suffix(name, suffix) {
        Some(name[..name.len() - suffix.len() - 1].split('.').collect())
    } else {
        None
    }
}

/// True for a GUID in the 8-4-4-4-12 hex form (either case).
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Checks one DNS label: 1..=63 characters of `a-z 0-9 - _`.
pub(crate) fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("empty label (two dots in a row?)".to_string());
    }
    if label.len() > 63 {
        return Err(format!(
            "label '{label}' is {} characters long; DNS allows at most 63",
            label.len()
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "label '{label}' contains '{c}'; only letters, digits, '-' and '_' are allowed"
        ));
    }
    Ok(())
}

/// Validates and normalises a DNS name. A leading `*` label is accepted when `allow_wildcard`.
/// Returns the normalised name or the reason it is not acceptable.
pub fn validate_fqdn(name: &str, allow_wildcard: bool) -> Result<String, String> {
    let n = normalize(name);
    if n.is_empty() {
        return Err("empty name".to_string());
    }
    if n.parse::<std::net::IpAddr>().is_ok() {
        return Err("this is an IP address, not a DNS name".to_string());
    }
    if n.len() > 253 {
        return Err(format!(
            "name is {} characters long; DNS allows at most 253",
            n.len()
        ));
    }
    let labels: Vec<&str> = n.split('.').collect();
    if labels.len() < 2 {
        return Err("not fully qualified (no dot); give the full name".to_string());
    }
    for (i, label) in labels.iter().enumerate() {
        if *label == "*" {
            if i == 0 && allow_wildcard {
                continue;
            }
            return Err(if i == 0 {
                "wildcard names cannot be resolved; give a concrete name".to_string()
            } else {
                "'*' is only allowed as the first label".to_string()
            });
        }
        check_label(label)?;
    }
    Ok(n)
}

/// True for a name whose first label is `*`.
pub fn is_wildcard(name: &str) -> bool {
    name.starts_with("*.")
}

/// True when `name` is matched by the wildcard `pattern` (`*.rest`): `name` is strictly under
/// `rest`. Both normalised.
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(rest) => name.len() > rest.len() && has_suffix(name, rest),
        None => false,
    }
}

/// How a public name maps into its private zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mapping {
    /// `X.<public>` CNAMEs to `X.<privatelink zone>`.
    Prefix,
    /// Needs information not in the name (inference: the workspace GUID).
    Special,
    /// Not a privatelink CNAME (compute instances resolve to the workspace PE's IP).
    None,
}

/// A public zone: the suffix of the names, the private DNS zone they CNAME into, and the cloud.
/// The conditional-forwarder zone is always the public suffix itself.
#[derive(Debug)]
struct ZoneRule {
    public: &'static str,
    privatelink: Option<&'static str>,
    mapping: Mapping,
    cloud: Option<Cloud>,
}

const fn rule(
    public: &'static str,
    privatelink: Option<&'static str>,
    mapping: Mapping,
    cloud: Option<Cloud>,
) -> ZoneRule {
    ZoneRule {
        public,
        privatelink,
        mapping,
        cloud,
    }
}

use Cloud::{China, Public, UsGov};
use Mapping::{None as NoMap, Prefix, Special};

/// Known public zones. AML zones per DOMAIN.md §1 and Microsoft's custom-DNS article. Storage
/// zones for US Gov and China are derived the same way as public (`privatelink.<svc>.<suffix>`).
/// Key vault, ACR and AI-services zones are only listed for the public cloud (DOMAIN.md §1).
#[rustfmt::skip]
static ZONES: &[ZoneRule] = &[
    rule("api.azureml.ms", Some("privatelink.api.azureml.ms"), Prefix, Some(Public)),
    rule("notebooks.azure.net", Some("privatelink.notebooks.azure.net"), Prefix, Some(Public)),
    rule("instances.azureml.ms", None, NoMap, Some(Public)),
    rule("instances.ml.azure.ms", None, NoMap, Some(Public)),
    rule("inference.ml.azure.com", Some("privatelink.api.azureml.ms"), Special, Some(Public)),
    rule("api.ml.azure.us", Some("privatelink.api.ml.azure.us"), Prefix, Some(UsGov)),
    rule("notebooks.usgovcloudapi.net", Some("privatelink.notebooks.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("instances.azureml.us", None, NoMap, Some(UsGov)),
    rule("instances.ml.azure.us", None, NoMap, Some(UsGov)),
    rule("inference.ml.azure.us", Some("privatelink.api.ml.azure.us"), Special, Some(UsGov)),
    rule("api.ml.azure.cn", Some("privatelink.api.ml.azure.cn"), Prefix, Some(China)),
    rule("notebooks.chinacloudapi.cn", Some("privatelink.notebooks.chinacloudapi.cn"), Prefix, Some(China)),
    rule("instances.azureml.cn", None, NoMap, Some(China)),
    rule("inference.ml.azure.cn", Some("privatelink.api.ml.azure.cn"), Special, Some(China)),
    rule("aznbcontent.net", None, NoMap, None),
    rule("blob.core.windows.net", Some("privatelink.blob.core.windows.net"), Prefix, Some(Public)),
    rule("file.core.windows.net", Some("privatelink.file.core.windows.net"), Prefix, Some(Public)),
    rule("queue.core.windows.net", Some("privatelink.queue.core.windows.net"), Prefix, Some(Public)),
    rule("table.core.windows.net", Some("privatelink.table.core.windows.net"), Prefix, Some(Public)),
    rule("web.core.windows.net", Some("privatelink.web.core.windows.net"), Prefix, Some(Public)),
    rule("dfs.core.windows.net", Some("privatelink.dfs.core.windows.net"), Prefix, Some(Public)),
    rule("blob.core.usgovcloudapi.net", Some("privatelink.blob.core.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("file.core.usgovcloudapi.net", Some("privatelink.file.core.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("queue.core.usgovcloudapi.net", Some("privatelink.queue.core.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("table.core.usgovcloudapi.net", Some("privatelink.table.core.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("web.core.usgovcloudapi.net", Some("privatelink.web.core.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("dfs.core.usgovcloudapi.net", Some("privatelink.dfs.core.usgovcloudapi.net"), Prefix, Some(UsGov)),
    rule("blob.core.chinacloudapi.cn", Some("privatelink.blob.core.chinacloudapi.cn"), Prefix, Some(China)),
    rule("file.core.chinacloudapi.cn", Some("privatelink.file.core.chinacloudapi.cn"), Prefix, Some(China)),
    rule("queue.core.chinacloudapi.cn", Some("privatelink.queue.core.chinacloudapi.cn"), Prefix, Some(China)),
    rule("table.core.chinacloudapi.cn", Some("privatelink.table.core.chinacloudapi.cn"), Prefix, Some(China)),
    rule("web.core.chinacloudapi.cn", Some("privatelink.web.core.chinacloudapi.cn"), Prefix, Some(China)),
    rule("dfs.core.chinacloudapi.cn", Some("privatelink.dfs.core.chinacloudapi.cn"), Prefix, Some(China)),
    rule("vault.azure.net", Some("privatelink.vaultcore.azure.net"), Prefix, Some(Public)),
    rule("vaultcore.azure.net", Some("privatelink.vaultcore.azure.net"), Prefix, Some(Public)),
    rule("azurecr.io", Some("privatelink.azurecr.io"), Prefix, Some(Public)),
    rule("cognitiveservices.azure.com", Some("privatelink.cognitiveservices.azure.com"), Prefix, Some(Public)),
    rule("openai.azure.com", Some("privatelink.openai.azure.com"), Prefix, Some(Public)),
    rule("services.ai.azure.com", Some("privatelink.services.ai.azure.com"), Prefix, Some(Public)),
];

/// The most specific public-zone rule for a (normalised) name, preferring rules of `cloud`.
fn public_rule(name: &str, cloud: Option<Cloud>) -> Option<&'static ZoneRule> {
    ZONES
        .iter()
        .filter(|r| has_suffix(name, r.public))
        .max_by_key(|r| {
            let cloud_match = cloud.is_none() || r.cloud.is_none() || r.cloud == cloud;
            (cloud_match, r.public.len())
        })
}

/// The privatelink zone `name` lives in, when it is itself a `privatelink.` name.
fn containing_privatelink_zone(name: &str) -> Option<&'static str> {
    ZONES
        .iter()
        .filter_map(|r| r.privatelink)
        .filter(|z| has_suffix(name, z))
        .max_by_key(|z| z.len())
}

/// The private DNS zone a name's records live in: the `privatelink.` zone its CNAME points
/// into, or the zone containing it when it already is a privatelink name. `None` for names
/// without a private zone (compute instances, unknown names).
///
/// `privatelink_zone_of("x.workspace.eastus.api.azureml.ms") == Some("privatelink.api.azureml.ms")`
pub fn privatelink_zone_of(fqdn: &str) -> Option<&'static str> {
    let name = normalize(fqdn);
    containing_privatelink_zone(&name).or_else(|| public_rule(&name, None)?.privatelink)
}

/// The public zone a custom DNS server needs a conditional forwarder for so that `fqdn`
/// resolves privately (forwarders target the public zone, never `privatelink.`).
/// For a `privatelink.` name it is that zone without `privatelink.`; `cloud` breaks ties.
///
/// `forwarder_zone_of("x.workspace.eastus.api.azureml.ms", Cloud::Public) == Some("api.azureml.ms")`
pub fn forwarder_zone_of(fqdn: &str, cloud: Cloud) -> Option<&'static str> {
    let name = normalize(fqdn);
    if let Some(zone) = containing_privatelink_zone(&name) {
        return zone.strip_prefix("privatelink.");
    }
    public_rule(&name, Some(cloud)).map(|r| r.public)
}

/// Every public zone that must be forwarded for `fqdn` to resolve privately: the name's own
/// zone plus the public parent of the privatelink zone its CNAME points into, when different
/// (an inference name needs `inference.ml.azure.com` and `api.azureml.ms`).
pub fn forwarder_zones_needed(fqdn: &str, cloud: Cloud) -> Vec<&'static str> {
    let mut zones = Vec::new();
    if let Some(z) = forwarder_zone_of(fqdn, cloud) {
        zones.push(z);
    }
    if let Some(z) = privatelink_zone_of(fqdn).and_then(|z| z.strip_prefix("privatelink."))
        && !zones.contains(&z)
    {
        zones.push(z);
    }
    zones
}

/// The `privatelink.` name a public name CNAMEs to, when it follows from the name alone
/// (`X.<public zone>` -> `X.<privatelink zone>`). `None` for inference names (need the
/// workspace GUID), compute instances, privatelink names and unknown names.
pub fn private_name_of(fqdn: &str) -> Option<String> {
    let name = normalize(fqdn);
    if containing_privatelink_zone(&name).is_some() {
        return None;
    }
    let r = public_rule(&name, None)?;
    if r.mapping != Mapping::Prefix {
        return None;
    }
    let labels = prefix_labels(&name, r.public)?;
    Some(format!("{}.{}", labels.join("."), r.privatelink?))
}

/// Maps a `privatelink.` name (as found in a DNS zone group) back to the public name clients
/// use: `X.privatelink.Z` -> `X.Z`, except inference records
/// (`<ep>.<guid>.inference.<region>.privatelink.<api>` -> `<ep>.<region>.<inference suffix>`)
/// and key vault (`X.privatelink.vaultcore.azure.net` -> `X.vault.azure.net`).
/// `None` when the name has no `privatelink` label or nothing in front of it.
pub fn public_name_of(private_fqdn: &str) -> Option<String> {
    let name = normalize(private_fqdn);
    let labels: Vec<&str> = name.split('.').collect();
    let pos = labels.iter().position(|l| *l == "privatelink")?;
    if pos == 0 || pos + 1 >= labels.len() {
        return None;
    }
    let prefix = &labels[..pos];
    let zone = labels[pos + 1..].join(".");
    if let Some(cloud) = Cloud::ALL.into_iter().find(|c| c.api_suffix() == zone)
        && prefix.len() >= 4
        && prefix[prefix.len() - 2] == "inference"
    {
        let region = prefix[prefix.len() - 1];
        let endpoint = prefix[..prefix.len() - 3].join(".");
        return Some(format!("{endpoint}.{region}.{}", cloud.inference_suffix()));
    }
    if zone == "vaultcore.azure.net" {
        return Some(format!("{}.vault.azure.net", prefix.join(".")));
    }
    Some(format!("{}.{zone}", prefix.join(".")))
}

/// What a name is, inferred from its shape: kind and cloud. `Custom` when unknown; the cloud is
/// still reported when the name is under a known suffix of one.
pub fn infer(fqdn: &str) -> (TargetKind, Option<Cloud>) {
    let name = normalize(fqdn);
    for cloud in Cloud::ALL {
        if let Some(p) = prefix_labels(&name, cloud.api_suffix()) {
            match p.as_slice() {
                [guid, "workspace", region] if is_guid(guid) && !region.is_empty() => {
                    return (TargetKind::WorkspaceApi, Some(cloud));
                }
                [guid, "workspace", region, "cert"] if is_guid(guid) && !region.is_empty() => {
                    return (TargetKind::WorkspaceCertApi, Some(cloud));
                }
                _ => {}
            }
        }
        if let Some(p) = prefix_labels(&name, cloud.notebooks_suffix())
            && let [label, _region] = p.as_slice()
            && label.starts_with("ml-")
        {
            return (TargetKind::Notebooks, Some(cloud));
        }
        for suffix in cloud.instance_suffixes() {
            if let Some(p) = prefix_labels(&name, suffix)
                && let [ci, _region] = p.as_slice()
            {
                let kind = if ci.ends_with("-22") {
                    TargetKind::ComputeInstanceSsh
                } else {
                    TargetKind::ComputeInstance
                };
                return (kind, Some(cloud));
            }
        }
        if let Some(p) = prefix_labels(&name, cloud.inference_suffix())
            && let [_ep, _region] = p.as_slice()
        {
            return (TargetKind::Inference, Some(cloud));
        }
        if let Some(p) = prefix_labels(&name, cloud.storage_suffix()) {
            match p.as_slice() {
                [_acct, "blob"] => return (TargetKind::StorageBlob, Some(cloud)),
                [_acct, "file"] => return (TargetKind::StorageFile, Some(cloud)),
                _ => {}
            }
        }
    }
    if super::AI_SERVICES_ZONES
        .iter()
        .any(|z| matches!(prefix_labels(&name, z).as_deref(), Some([_acct])))
    {
        return (TargetKind::AiServices, Some(Cloud::Public));
    }
    (TargetKind::Custom, Cloud::of_fqdn(&name))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const G: &str = "fb7e20a0-8891-458b-b969-55ddb3382f51";

    #[test]
    fn normalize_strips_dot_and_case() {
        assert_eq!(normalize("  ABC.Example.COM. "), "abc.example.com");
        assert_eq!(normalize("a.b"), "a.b");
    }

    #[test]
    fn guid_check() {
        assert!(is_guid(G));
        assert!(is_guid(&G.to_uppercase()));
        assert!(!is_guid("fb7e20a08891458bb96955ddb3382f51"));
        assert!(!is_guid("fb7e20a0-8891-458b-b969-55ddb3382f5g"));
        assert!(!is_guid("fb7e20a0-8891-458b-b969-55ddb3382f511"));
    }

    #[test]
    fn fqdn_validation() {
        assert_eq!(
            validate_fqdn("Foo.Example.com.", false).unwrap(),
            "foo.example.com"
        );
        assert!(
            validate_fqdn("localhost", false)
                .unwrap_err()
                .contains("no dot")
        );
        assert!(
            validate_fqdn("10.0.0.4", false)
                .unwrap_err()
                .contains("IP address")
        );
        assert!(
            validate_fqdn("a..b", false)
                .unwrap_err()
                .contains("empty label")
        );
        assert!(validate_fqdn("a b.com", false).unwrap_err().contains("' '"));
        assert!(
            validate_fqdn(&format!("{}.com", "a".repeat(64)), false)
                .unwrap_err()
                .contains("at most 63")
        );
        assert!(
            validate_fqdn("*.eastus.inference.ml.azure.com", false)
                .unwrap_err()
                .contains("wildcard")
        );
        assert_eq!(
            validate_fqdn("*.eastus.inference.ml.azure.com", true).unwrap(),
            "*.eastus.inference.ml.azure.com"
        );
        assert!(
            validate_fqdn("a.*.com", true)
                .unwrap_err()
                .contains("first label")
        );
        assert!(
            validate_fqdn(&"a.".repeat(130), false)
                .unwrap_err()
                .contains("253")
        );
    }

    #[test]
    fn wildcard_matching() {
        let p = "*.eastus.inference.ml.azure.com";
        assert!(wildcard_matches(p, "ep.eastus.inference.ml.azure.com"));
        assert!(wildcard_matches(p, "a.b.eastus.inference.ml.azure.com"));
        assert!(!wildcard_matches(p, "eastus.inference.ml.azure.com"));
        assert!(!wildcard_matches(p, "ep.westus.inference.ml.azure.com"));
        assert!(!wildcard_matches(
            "ep.eastus.inference.ml.azure.com",
            "ep.eastus.inference.ml.azure.com"
        ));
    }

    #[test]
    fn privatelink_zones() {
        let cases = [
            (
                format!("{G}.workspace.eastus.api.azureml.ms"),
                Some("privatelink.api.azureml.ms"),
            ),
            (
                format!("{G}.workspace.eastus.cert.api.azureml.ms"),
                Some("privatelink.api.azureml.ms"),
            ),
            (
                format!("{G}.workspace.eastus.privatelink.api.azureml.ms."),
                Some("privatelink.api.azureml.ms"),
            ),
            (
                "ep1.eastus.inference.ml.azure.com".to_string(),
                Some("privatelink.api.azureml.ms"),
            ),
            (
                "ml-x-eastus-g.eastus.notebooks.azure.net".to_string(),
                Some("privatelink.notebooks.azure.net"),
            ),
            (
                "acct.blob.core.windows.net".to_string(),
                Some("privatelink.blob.core.windows.net"),
            ),
            (
                "acct.privatelink.file.core.windows.net".to_string(),
                Some("privatelink.file.core.windows.net"),
            ),
            (
                "acct.dfs.core.usgovcloudapi.net".to_string(),
                Some("privatelink.dfs.core.usgovcloudapi.net"),
            ),
            (
                "kv.vault.azure.net".to_string(),
                Some("privatelink.vaultcore.azure.net"),
            ),
            (
                "reg.eastus.data.privatelink.azurecr.io".to_string(),
                Some("privatelink.azurecr.io"),
            ),
            (
                "ep.usgovvirginia.inference.ml.azure.us".to_string(),
                Some("privatelink.api.ml.azure.us"),
            ),
            ("ci.eastus.instances.azureml.ms".to_string(), None),
            ("example.com".to_string(), None),
        ];
        for (name, zone) in cases {
            assert_eq!(privatelink_zone_of(&name), zone, "{name}");
        }
    }

    #[test]
    fn forwarder_zones() {
        let p = Cloud::Public;
        assert_eq!(
            forwarder_zone_of(&format!("{G}.workspace.eastus.api.azureml.ms"), p),
            Some("api.azureml.ms")
        );
        assert_eq!(
            forwarder_zone_of(&format!("{G}.workspace.eastus.cert.api.azureml.ms"), p),
            Some("api.azureml.ms")
        );
        assert_eq!(
            forwarder_zone_of(
                &format!("{G}.workspace.eastus.privatelink.api.azureml.ms"),
                p
            ),
            Some("api.azureml.ms")
        );
        assert_eq!(
            forwarder_zone_of("ci.eastus.instances.azureml.ms", p),
            Some("instances.azureml.ms")
        );
        assert_eq!(
            forwarder_zone_of("ci-22.eastus.instances.ml.azure.ms", p),
            Some("instances.ml.azure.ms")
        );
        assert_eq!(
            forwarder_zone_of("ep.eastus.inference.ml.azure.com", p),
            Some("inference.ml.azure.com")
        );
        assert_eq!(
            forwarder_zone_of("acct.privatelink.blob.core.windows.net", p),
            Some("blob.core.windows.net")
        );
        assert_eq!(
            forwarder_zone_of("x.aznbcontent.net", p),
            Some("aznbcontent.net")
        );
        assert_eq!(
            forwarder_zone_of("ci.chinaeast2.instances.azureml.cn", Cloud::China),
            Some("instances.azureml.cn")
        );
        assert_eq!(forwarder_zone_of("www.example.com", p), None);
        assert_eq!(
            forwarder_zones_needed("ep.eastus.inference.ml.azure.com", p),
            vec!["inference.ml.azure.com", "api.azureml.ms"]
        );
        assert_eq!(
            forwarder_zones_needed("kv.vault.azure.net", p),
            vec!["vault.azure.net", "vaultcore.azure.net"]
        );
        assert_eq!(
            forwarder_zones_needed(&format!("{G}.workspace.eastus.api.azureml.ms"), p),
            vec!["api.azureml.ms"]
        );
        assert!(forwarder_zones_needed("www.example.com", p).is_empty());
    }

    #[test]
    fn private_names_from_public() {
        assert_eq!(
            private_name_of(&format!("{G}.workspace.eastus.api.azureml.ms")).unwrap(),
            format!("{G}.workspace.eastus.privatelink.api.azureml.ms")
        );
        assert_eq!(
            private_name_of(&format!("{G}.workspace.eastus.cert.api.azureml.ms")).unwrap(),
            format!("{G}.workspace.eastus.cert.privatelink.api.azureml.ms")
        );
        assert_eq!(
            private_name_of("Acct.Blob.Core.Windows.Net.").unwrap(),
            "acct.privatelink.blob.core.windows.net"
        );
        assert_eq!(
            private_name_of("kv.vault.azure.net").unwrap(),
            "kv.privatelink.vaultcore.azure.net"
        );
        assert_eq!(private_name_of("ep.eastus.inference.ml.azure.com"), None);
        assert_eq!(private_name_of("ci.eastus.instances.azureml.ms"), None);
        assert_eq!(
            private_name_of("acct.privatelink.blob.core.windows.net"),
            None
        );
        assert_eq!(private_name_of("blob.core.windows.net"), None);
    }

    #[test]
    fn public_names_from_private() {
        assert_eq!(
            public_name_of(&format!("{G}.workspace.eastus.privatelink.api.azureml.ms.")).unwrap(),
            format!("{G}.workspace.eastus.api.azureml.ms")
        );
        assert_eq!(
            public_name_of(&format!(
                "{G}.workspace.eastus.cert.privatelink.api.azureml.ms"
            ))
            .unwrap(),
            format!("{G}.workspace.eastus.cert.api.azureml.ms")
        );
        assert_eq!(
            public_name_of("acct.privatelink.blob.core.windows.net").unwrap(),
            "acct.blob.core.windows.net"
        );
        assert_eq!(
            public_name_of(&format!(
                "ml-ws-eastus-{G}.eastus.privatelink.notebooks.azure.net"
            ))
            .unwrap(),
            format!("ml-ws-eastus-{G}.eastus.notebooks.azure.net")
        );
        assert_eq!(
            public_name_of(&format!(
                "*.{G}.inference.eastus.privatelink.api.azureml.ms"
            ))
            .unwrap(),
            "*.eastus.inference.ml.azure.com"
        );
        assert_eq!(
            public_name_of(&format!(
                "ep1.{G}.inference.usgovvirginia.privatelink.api.ml.azure.us"
            ))
            .unwrap(),
            "ep1.usgovvirginia.inference.ml.azure.us"
        );
        assert_eq!(
            public_name_of("kv.privatelink.vaultcore.azure.net").unwrap(),
            "kv.vault.azure.net"
        );
        assert_eq!(public_name_of("acct.blob.core.windows.net"), None);
        assert_eq!(public_name_of("privatelink.blob.core.windows.net"), None);
    }

    #[test]
    fn kind_inference() {
        use TargetKind::*;
        let cases = [
            (
                format!("{G}.workspace.eastus.api.azureml.ms"),
                WorkspaceApi,
                Some(Cloud::Public),
            ),
            (
                format!("{}.WORKSPACE.eastus.api.azureml.ms.", G.to_uppercase()),
                WorkspaceApi,
                Some(Cloud::Public),
            ),
            (
                format!("{G}.workspace.usgovvirginia.cert.api.ml.azure.us"),
                WorkspaceCertApi,
                Some(Cloud::UsGov),
            ),
            (
                format!("ml-ws-chinaeast2-{G}.chinaeast2.notebooks.chinacloudapi.cn"),
                Notebooks,
                Some(Cloud::China),
            ),
            (
                "ci1.eastus.instances.azureml.ms".to_string(),
                ComputeInstance,
                Some(Cloud::Public),
            ),
            (
                "ci1.eastus.instances.ml.azure.ms".to_string(),
                ComputeInstance,
                Some(Cloud::Public),
            ),
            (
                "ci1-22.eastus.instances.ml.azure.ms".to_string(),
                ComputeInstanceSsh,
                Some(Cloud::Public),
            ),
            (
                "ci1-22.usgovvirginia.instances.azureml.us".to_string(),
                ComputeInstanceSsh,
                Some(Cloud::UsGov),
            ),
            (
                "acct.blob.core.windows.net".to_string(),
                StorageBlob,
                Some(Cloud::Public),
            ),
            (
                "acct.file.core.chinacloudapi.cn".to_string(),
                StorageFile,
                Some(Cloud::China),
            ),
            (
                "ep.eastus.inference.ml.azure.com".to_string(),
                Inference,
                Some(Cloud::Public),
            ),
            // Not a GUID: not a workspace name.
            (
                "nope.workspace.eastus.api.azureml.ms".to_string(),
                Custom,
                Some(Cloud::Public),
            ),
            (
                "acct.queue.core.windows.net".to_string(),
                Custom,
                Some(Cloud::Public),
            ),
            ("www.example.com".to_string(), Custom, None),
        ];
        for (name, kind, cloud) in cases {
            assert_eq!(infer(&name), (kind, cloud), "{name}");
        }
    }
}
