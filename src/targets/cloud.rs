//! Azure clouds and the DNS suffixes and zones Azure Machine Learning uses in each.
//!
//! Sources: DOMAIN.md §1 and Microsoft's "use your workspace with a custom DNS server" article.
//! Where the two disagree (compute-instance suffix), both suffixes are listed and tested.

use super::TargetError;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// An Azure cloud (sovereign or public).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Azure public cloud (`AzureCloud`).
    #[default]
    Public,
    /// Azure US Government (`AzureUSGovernment`).
    UsGov,
    /// Azure operated by 21Vianet (`AzureChinaCloud`).
    China,
}

impl Cloud {
    /// All clouds, public first.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::UsGov, Cloud::China];

    /// The name used on the command line and in the report: `public`, `usgov`, `china`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::UsGov => "usgov",
            Cloud::China => "china",
        }
    }

    /// Workspace API suffix: `<guid>.workspace.<region>.<api>`.
    pub fn api_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "api.azureml.ms",
            Cloud::UsGov => "api.ml.azure.us",
            Cloud::China => "api.ml.azure.cn",
        }
    }

    /// Private DNS zone holding the workspace API, cert API and inference records.
    pub fn api_privatelink_zone(self) -> &'static str {
        match self {
            Cloud::Public => "privatelink.api.azureml.ms",
            Cloud::UsGov => "privatelink.api.ml.azure.us",
            Cloud::China => "privatelink.api.ml.azure.cn",
        }
    }

    /// Notebooks suffix: `ml-<name>-<region>-<guid>.<region>.<notebooks>`.
    pub fn notebooks_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "notebooks.azure.net",
            Cloud::UsGov => "notebooks.usgovcloudapi.net",
            Cloud::China => "notebooks.chinacloudapi.cn",
        }
    }

    /// Private DNS zone holding the notebooks record.
    pub fn notebooks_privatelink_zone(self) -> &'static str {
        match self {
            Cloud::Public => "privatelink.notebooks.azure.net",
            Cloud::UsGov => "privatelink.notebooks.usgovcloudapi.net",
            Cloud::China => "privatelink.notebooks.chinacloudapi.cn",
        }
    }

    /// Compute-instance suffixes, the primary one first.
    ///
    /// Microsoft's docs disagree: the zone table and the API's `endpointUri` use
    /// `instances.azureml.ms` (US Gov: `instances.azureml.us`), the custom-DNS article uses
    /// `instances.ml.azure.ms` (US Gov: `instances.ml.azure.us`). Both are listed so both get
    /// tested. For China the custom-DNS article repeats the public `instances.ml.azure.ms`, which
    /// looks like a copy of the public list, so only `instances.azureml.cn` is used.
    pub fn instance_suffixes(self) -> &'static [&'static str] {
        match self {
            Cloud::Public => &["instances.azureml.ms", "instances.ml.azure.ms"],
            Cloud::UsGov => &["instances.azureml.us", "instances.ml.azure.us"],
            Cloud::China => &["instances.azureml.cn"],
        }
    }

    /// Managed online endpoint suffix: `<endpoint>.<region>.<inference>`.
    pub fn inference_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "inference.ml.azure.com",
            Cloud::UsGov => "inference.ml.azure.us",
            Cloud::China => "inference.ml.azure.cn",
        }
    }

    /// Storage suffix: `<account>.<svc>.<storage>`.
    pub fn storage_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "core.windows.net",
            Cloud::UsGov => "core.usgovcloudapi.net",
            Cloud::China => "core.chinacloudapi.cn",
        }
    }

    /// Public zones a custom DNS server needs conditional forwarders for (to 168.63.129.16
    /// inside the VNet, or to a DNS Private Resolver inbound endpoint from on-premises), for the
    /// workspace itself. Storage and other associated resources add their own zones, see
    /// [`super::forwarder_zone_of`].
    ///
    /// Public: DOMAIN.md §1 plus `instances.ml.azure.ms` from the custom-DNS article.
    /// US Gov and China: the custom-DNS article's lists, with the instance suffixes of
    /// [`Cloud::instance_suffixes`] (derived the same way as for public).
    pub fn forwarder_zones(self) -> &'static [&'static str] {
        match self {
            Cloud::Public => &[
                "api.azureml.ms",
                "notebooks.azure.net",
                "instances.azureml.ms",
                "instances.ml.azure.ms",
                "aznbcontent.net",
                "inference.ml.azure.com",
            ],
            Cloud::UsGov => &[
                "api.ml.azure.us",
                "notebooks.usgovcloudapi.net",
                "instances.azureml.us",
                "instances.ml.azure.us",
                "aznbcontent.net",
                "inference.ml.azure.us",
            ],
            Cloud::China => &[
                "api.ml.azure.cn",
                "notebooks.chinacloudapi.cn",
                "instances.azureml.cn",
                "aznbcontent.net",
                "inference.ml.azure.cn",
            ],
        }
    }

    /// Private DNS zones a workspace private endpoint registers records in.
    pub fn privatelink_zones(self) -> [&'static str; 2] {
        [
            self.api_privatelink_zone(),
            self.notebooks_privatelink_zone(),
        ]
    }

    /// The cloud whose AML suffixes `fqdn` ends with, if any (public, private or instance names).
    pub fn of_fqdn(fqdn: &str) -> Option<Cloud> {
        let name = super::names::normalize(fqdn);
        Cloud::ALL.into_iter().find(|c| {
            let mut suffixes = vec![
                c.api_suffix(),
                c.notebooks_suffix(),
                c.inference_suffix(),
                c.storage_suffix(),
            ];
            suffixes.extend_from_slice(c.instance_suffixes());
            suffixes.iter().any(|s| super::names::has_suffix(&name, s))
        })
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cloud {
    type Err = TargetError;

    /// Accepts `public|usgov|china` and the `az cloud` names `AzureCloud`, `AzureUSGovernment`,
    /// `AzureChinaCloud`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" | "azurecloud" => Ok(Cloud::Public),
            "usgov" | "azureusgovernment" => Ok(Cloud::UsGov),
            "china" | "azurechinacloud" => Ok(Cloud::China),
            _ => Err(TargetError::InvalidFlag {
                flag: "--cloud",
                value: s.to_string(),
                reason: "unknown cloud; use public, usgov or china \
                         (or AzureCloud, AzureUSGovernment, AzureChinaCloud)"
                    .to_string(),
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_and_az_names_case_insensitively() {
        for (s, c) in [
            ("public", Cloud::Public),
            ("PUBLIC", Cloud::Public),
            ("AzureCloud", Cloud::Public),
            ("usgov", Cloud::UsGov),
            ("AzureUSGovernment", Cloud::UsGov),
            ("azureusgovernment", Cloud::UsGov),
            ("China", Cloud::China),
            ("AzureChinaCloud", Cloud::China),
            (" china ", Cloud::China),
        ] {
            assert_eq!(s.parse::<Cloud>().unwrap(), c, "{s}");
        }
    }

    #[test]
    fn unknown_cloud_names_the_flag() {
        let err = "azuregermancloud".parse::<Cloud>().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("--cloud 'azuregermancloud': unknown cloud"),
            "{msg}"
        );
        assert!(msg.contains("usgov"), "{msg}");
    }

    #[test]
    fn suffixes_per_cloud() {
        assert_eq!(Cloud::Public.api_suffix(), "api.azureml.ms");
        assert_eq!(Cloud::UsGov.api_suffix(), "api.ml.azure.us");
        assert_eq!(Cloud::China.api_suffix(), "api.ml.azure.cn");
        assert_eq!(
            Cloud::UsGov.notebooks_suffix(),
            "notebooks.usgovcloudapi.net"
        );
        assert_eq!(
            Cloud::China.notebooks_suffix(),
            "notebooks.chinacloudapi.cn"
        );
        assert_eq!(
            Cloud::Public.instance_suffixes(),
            &["instances.azureml.ms", "instances.ml.azure.ms"]
        );
        assert_eq!(Cloud::China.instance_suffixes(), &["instances.azureml.cn"]);
        assert_eq!(Cloud::China.inference_suffix(), "inference.ml.azure.cn");
        assert_eq!(Cloud::UsGov.storage_suffix(), "core.usgovcloudapi.net");
        assert_eq!(
            Cloud::China.privatelink_zones(),
            [
                "privatelink.api.ml.azure.cn",
                "privatelink.notebooks.chinacloudapi.cn"
            ]
        );
        // Forwarders always target the public zone, never the privatelink one.
        for c in Cloud::ALL {
            assert!(
                c.forwarder_zones()
                    .iter()
                    .all(|z| !z.contains("privatelink"))
            );
            assert!(c.forwarder_zones().contains(&c.api_suffix()));
            assert!(c.forwarder_zones().contains(&"aznbcontent.net"));
        }
        assert_eq!(Cloud::Public.to_string(), "public");
        assert_eq!(
            serde_json::to_string(&Cloud::UsGov).unwrap(),
            "\"usgov\"".to_string()
        );
    }

    #[test]
    fn cloud_of_fqdn() {
        assert_eq!(
            Cloud::of_fqdn("X.workspace.eastus.api.azureml.ms."),
            Some(Cloud::Public)
        );
        assert_eq!(
            Cloud::of_fqdn("ci1.usgovvirginia.instances.azureml.us"),
            Some(Cloud::UsGov)
        );
        assert_eq!(
            Cloud::of_fqdn("acct.blob.core.chinacloudapi.cn"),
            Some(Cloud::China)
        );
        assert_eq!(Cloud::of_fqdn("example.com"), None);
        // Label boundary: "xapi.azureml.ms" is not under "api.azureml.ms".
        assert_eq!(Cloud::of_fqdn("xapi.azureml.ms"), None);
    }
}
