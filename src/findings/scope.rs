//! The narrowest patterns covering the names that failed, shared by every fix that lists names
//! (PAC DIRECT rules, proxy allow-lists, TLS-inspection exemptions, bypass lists).
//!
//! Workspace names go by their zone, in the region-specific form when the name carries the
//! region (`.eastus2.api.azureml.ms`, `.eastus2.instances.azureml.ms`); storage accounts, AI
//! services accounts and any other name go by exact host, never by a shared zone such as
//! `.blob.core.windows.net`.

use crate::targets::{Cloud, normalize};

/// One pattern of a fix list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Every name below this zone; written with its leading dot (`.eastus2.api.azureml.ms`).
    Zone(String),
    /// Exactly this host.
    Host(String),
}

/// Workspace zones whose names may go by zone (the forwarder zones of a workspace, both
/// compute-instance spellings included).
fn workspace_zones() -> impl Iterator<Item = &'static str> {
    Cloud::ALL.into_iter().flat_map(|c| {
        let mut z = vec![c.api_suffix(), c.notebooks_suffix(), c.inference_suffix()];
        z.extend_from_slice(c.instance_suffixes());
        z
    })
}

/// The zone shared by every workspace cloud with no documented name shape.
const AZNBCONTENT: &str = "aznbcontent.net";

fn is_region(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Scope {
    /// The narrowest pattern for one name.
    pub fn of(fqdn: &str) -> Scope {
        let name = normalize(fqdn);
        if name == AZNBCONTENT || name.ends_with(&format!(".{AZNBCONTENT}")) {
            return Scope::Zone(format!(".{AZNBCONTENT}"));
        }
        let zone = workspace_zones()
            .filter(|z| name.ends_with(&format!(".{z}")))
            .max_by_key(|z| z.len());
        let Some(zone) = zone else {
            return Scope::Host(name);
        };
        let prefix = &name[..name.len() - zone.len() - 1];
        let labels: Vec<&str> = prefix.split('.').collect();
        let api = Cloud::ALL.iter().any(|c| c.api_suffix() == zone);
        // The labels from the region on: `<region>` or, for cert names, `<region>.cert`.
        let tail: Option<String> = match labels.as_slice() {
            [.., "workspace", region, "cert"] if api && is_region(region) => {
                Some(format!("{region}.cert"))
            }
            [.., "workspace", region] if api && is_region(region) => Some(region.to_string()),
            [_, .., region] if !api && is_region(region) => Some(region.to_string()),
            _ => None,
        };
        match tail {
            Some(t) => Scope::Zone(format!(".{t}.{zone}")),
            None => Scope::Host(name),
        }
    }

    /// True when the pattern covers `fqdn`.
    pub fn covers(&self, fqdn: &str) -> bool {
        let name = normalize(fqdn);
        match self {
            Scope::Zone(z) => name.ends_with(z.as_str()),
            Scope::Host(h) => name == *h,
        }
    }

    /// As proxy administrators write it: `*.eastus2.api.azureml.ms` or the host.
    pub fn glob(&self) -> String {
        match self {
            Scope::Zone(z) => format!("*{z}"),
            Scope::Host(h) => h.clone(),
        }
    }

    /// The PAC test for it: `dnsDomainIs(host, ".zone")` or `host == "name"`.
    pub fn pac_test(&self) -> String {
        match self {
            Scope::Zone(z) => format!("dnsDomainIs(host, \"{z}\")"),
            Scope::Host(h) => format!("host == \"{h}\""),
        }
    }
}

/// The patterns covering `names`: zones first, then the hosts no zone covers, each sorted.
pub fn scopes<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Scope> {
    let mut out: Vec<Scope> = names.into_iter().map(Scope::of).collect();
    out.sort();
    out.dedup();
    let zones: Vec<Scope> = out
        .iter()
        .filter(|s| matches!(s, Scope::Zone(_)))
        .cloned()
        .collect();
    out.retain(|s| match s {
        Scope::Host(h) => !zones.iter().any(|z| z.covers(h)),
        Scope::Zone(_) => true,
    });
    out
}

/// `*.eastus2.api.azureml.ms, contosomlstore.blob.core.windows.net` for `names`.
pub fn glob_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    scopes(names)
        .iter()
        .map(Scope::glob)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A PAC fragment to paste at the top of `FindProxyForURL`: `names` (and nothing broader than
/// their [`Scope`]s) go DIRECT.
pub fn pac_snippet<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let tests: Vec<String> = scopes(names).iter().map(Scope::pac_test).collect();
    format!(
        "// The workspace's private-endpoint names go DIRECT\n\
         // (paste as the first lines of FindProxyForURL).\n\
         if ({})\n    return \"DIRECT\";",
        tests.join(" ||\n    ")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const G: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69";

    #[test]
    fn workspace_names_go_by_region_zone_others_by_host() {
        let z = |s: &str| Scope::Zone(s.to_string());
        let h = |s: &str| Scope::Host(s.to_string());
        let cases = [
            (
                format!("{G}.workspace.eastus2.api.azureml.ms"),
                z(".eastus2.api.azureml.ms"),
            ),
            (
                format!("{G}.workspace.eastus2.cert.api.azureml.ms"),
                z(".eastus2.cert.api.azureml.ms"),
            ),
            (
                format!("ml-contoso-ml-eastus2-{G}.eastus2.notebooks.azure.net"),
                z(".eastus2.notebooks.azure.net"),
            ),
            (
                "ci-one.eastus2.instances.azureml.ms".into(),
                z(".eastus2.instances.azureml.ms"),
            ),
            (
                "ci-one-22.eastus2.instances.ml.azure.ms".into(),
                z(".eastus2.instances.ml.azure.ms"),
            ),
            (
                "score.eastus2.inference.ml.azure.com".into(),
                z(".eastus2.inference.ml.azure.com"),
            ),
            (
                format!("{G}.workspace.usgovvirginia.api.ml.azure.us"),
                z(".usgovvirginia.api.ml.azure.us"),
            ),
            ("x.y.aznbcontent.net".into(), z(".aznbcontent.net")),
            (
                "contosomlstore.blob.core.windows.net".into(),
                h("contosomlstore.blob.core.windows.net"),
            ),
            (
                "contoso-ai.openai.azure.com".into(),
                h("contoso-ai.openai.azure.com"),
            ),
            // No region label: only the name itself.
            ("odd.api.azureml.ms".into(), h("odd.api.azureml.ms")),
            ("Other.Example.".into(), h("other.example")),
        ];
        for (name, want) in cases {
            let got = Scope::of(&name);
            assert_eq!(got, want, "{name}");
            assert!(got.covers(&name), "{name}");
        }
    }

    #[test]
    fn lists_are_deduplicated_and_never_cover_a_whole_storage_zone() {
        let api = format!("{G}.workspace.eastus2.api.azureml.ms");
        let names = [
            api.as_str(),
            "ci-one.eastus2.instances.azureml.ms",
            "ci-one-22.eastus2.instances.azureml.ms",
            "contosomlstore.blob.core.windows.net",
            "contosomlstore.file.core.windows.net",
        ];
        assert_eq!(
            glob_list(names),
            "*.eastus2.api.azureml.ms, *.eastus2.instances.azureml.ms, \
             contosomlstore.blob.core.windows.net, contosomlstore.file.core.windows.net"
        );
        let s = scopes(names);
        assert!(!s.iter().any(|s| s.covers("other.blob.core.windows.net")));
        assert!(
            !s.iter()
                .any(|s| s.covers("x.workspace.westus.api.azureml.ms"))
        );
        assert!(
            s.iter()
                .any(|s| s.covers("ci-two.eastus2.instances.azureml.ms"))
        );
    }
}
