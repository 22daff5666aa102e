//! Private-endpoint rules over the expected state (`--expected`): a connection that is not
//! approved carries no traffic whatever DNS says, and a zone group that lacks a record set for
//! one of the endpoint's names leaves that name without a private record.

use super::{Affected, Finding, FindingId, Section, Severity};
use crate::targets::{Cloud, ExpectedShape, ExpectedState, Target, forwarder_zone_of};

/// Evaluates `pe.connection-not-approved` and `pe.zone-group-missing`.
pub fn evaluate(expected: &ExpectedState, targets: &[Target]) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(not_approved(expected, targets));
    out.extend(zone_group_missing(expected));
    out
}

fn endpoint_names(expected: &ExpectedState, targets: &[Target]) -> Vec<String> {
    let mut names: Vec<String> = expected
        .entries
        .iter()
        .filter(|e| !e.wildcard)
        .map(|e| e.fqdn.clone())
        .collect();
    if names.is_empty() {
        names = targets.iter().map(|t| t.fqdn.clone()).collect();
    }
    names.dedup();
    names
}

fn not_approved(expected: &ExpectedState, targets: &[Target]) -> Option<Finding> {
    let bad: Vec<&(String, String)> = expected.unapproved().collect();
    if bad.is_empty() {
        return None;
    }
    let pending = bad.iter().any(|(_, s)| s.eq_ignore_ascii_case("pending"));
    let gone = bad.iter().any(|(_, s)| !s.eq_ignore_ascii_case("pending"));
    let states: Vec<String> = bad.iter().map(|(_, s)| s.clone()).collect();
    let mut remediation = Vec::new();
    if pending {
        remediation.push(
            "Pending: the owner of the workspace approves the request. Azure portal > the \
             workspace > Networking > Private endpoint connections > select the connection > \
             Approve."
                .to_string(),
        );
    }
    if gone {
        remediation.push(
            "Rejected or Disconnected: delete this private endpoint and create it again, then have \
             the workspace's owner approve the new connection (Networking > Private endpoint \
             connections)."
                .to_string(),
        );
    }
    remediation.push(
        "When the connection shows Approved, run pe-doctor again with a fresh `az network \
         private-endpoint show` output."
            .to_string(),
    );
    Some(Finding {
        id: FindingId::PeConnectionNotApproved,
        severity: Severity::Error,
        section: Section::ConnectionMethod,
        subject: bad
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        title: format!(
            "The private endpoint connection is not approved ({})",
            states.join(", ")
        ),
        detail: "Only an Approved private endpoint connection carries traffic. Until the \
                 workspace's owner approves it, nothing reaches the workspace through this private \
                 endpoint, whatever DNS answers."
            .into(),
        evidence: bad
            .iter()
            .map(|(n, s)| format!("connection {n}: privateLinkServiceConnectionState.status = {s}"))
            .collect(),
        remediation,
        snippet: None,
        affected: Affected::names(endpoint_names(expected, targets)),
    })
}

fn zone_group_missing(expected: &ExpectedState) -> Option<Finding> {
    let group: Vec<&str> = expected
        .entries
        .iter()
        .filter(|e| e.source_shape == ExpectedShape::DnsZoneGroup)
        .map(|e| e.fqdn.as_str())
        .collect();
    if group.is_empty() && expected.dns_zones.is_empty() {
        return None;
    }
    let covered = |fqdn: &str| {
        group.iter().any(|g| {
            *g == fqdn
                || g.strip_prefix("*.").is_some_and(|zone| {
                    fqdn.strip_suffix(zone).is_some_and(|host| {
                        host.ends_with('.') && !host[..host.len() - 1].contains('.')
                    })
                })
        })
    };
    let mut missing: Vec<(&str, Vec<std::net::IpAddr>)> = Vec::new();
    for e in expected.entries.iter().filter(|e| {
        !e.wildcard
            && matches!(
                e.source_shape,
                ExpectedShape::PrivateEndpoint | ExpectedShape::CustomDnsConfigs
            )
    }) {
        if !covered(&e.fqdn) && !missing.iter().any(|(n, _)| *n == e.fqdn) {
            missing.push((&e.fqdn, e.ips.clone()));
        }
    }
    if missing.is_empty() {
        return None;
    }
    let mut zones: Vec<String> = missing
        .iter()
        .filter_map(|(n, _)| forwarder_zone_of(n, Cloud::Public))
        .map(|z| format!("privatelink.{z}"))
        .collect();
    zones.sort();
    zones.dedup();
    let zones_text = if zones.is_empty() {
        "the private DNS zone of each name".to_string()
    } else {
        zones
            .iter()
            .map(|z| format!("`{z}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(Finding {
        id: FindingId::PeZoneGroupMissing,
        severity: Severity::Warning,
        section: Section::DnsAzure,
        subject: missing
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
        title: format!(
            "The private endpoint's DNS zone group has no record for {} name{}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        ),
        detail: "The private endpoint expects these names (customDnsConfigs), but its DNS zone \
                 group has no record set for them, so no private DNS record is created for them \
                 automatically."
            .into(),
        evidence: missing
            .iter()
            .map(|(n, ips)| {
                format!(
                    "{n} ({}): in customDnsConfigs, no record set in the zone group",
                    ips.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect(),
        remediation: vec![
            format!(
                "Azure portal > the private endpoint > DNS configuration > Add configuration: add \
                 the private DNS zone {zones_text} to the zone group."
            ),
            "Or create the A records for the names above (with the IPs shown) in that private \
             DNS zone yourself."
                .into(),
        ],
        snippet: None,
        affected: missing
            .iter()
            .map(|(n, ips)| match ips.first() {
                Some(ip) => Affected::at(*n, *ip),
                None => Affected::name(*n),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::parse_expected;

    const PE: &str = r#"{"name":"pe-ml","customDnsConfigs":[
        {"fqdn":"ws1.workspace.eastus2.api.azureml.ms","ipAddresses":["10.0.0.4"]},
        {"fqdn":"ml-contoso-eastus2-ws1.eastus2.notebooks.azure.net","ipAddresses":["10.0.0.5"]}],
      "privateLinkServiceConnections":[{"name":"pe-ml-conn",
        "privateLinkServiceConnectionState":{"status":"Approved"}}],
      "manualPrivateLinkServiceConnections":[]}"#;

    fn state(text: &str) -> ExpectedState {
        parse_expected(text, "expected.json").unwrap()
    }

    #[test]
    fn approved_is_silent_and_pending_names_the_connection() {
        assert!(evaluate(&state(PE), &[]).is_empty());
        let manual = PE
            .replace(
                r#""manualPrivateLinkServiceConnections":[]"#,
                r#""manualPrivateLinkServiceConnections":[{"name":"manual-conn","privateLinkServiceConnectionState":{"status":"Pending","description":"please"}}]"#,
            )
            .replace(
                r#""privateLinkServiceConnections":[{"name":"pe-ml-conn",
        "privateLinkServiceConnectionState":{"status":"Approved"}}],"#,
                r#""privateLinkServiceConnections":[],"#,
            );
        let f = evaluate(&state(&manual), &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].id, FindingId::PeConnectionNotApproved);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].title.contains("Pending"));
        assert_eq!(f[0].subject, "manual-conn");
        assert!(f[0].affects("ws1.workspace.eastus2.api.azureml.ms"));
        for status in ["Rejected", "Disconnected"] {
            let f = evaluate(&state(&PE.replace("Approved", status)), &[]);
            assert_eq!(f[0].id, FindingId::PeConnectionNotApproved);
            assert!(f[0].remediation[0].contains("create it again"), "{status}");
        }
    }

    #[test]
    fn a_custom_dns_name_without_record_set_is_reported() {
        let group = r#"[{"name":"default","privateDnsZoneConfigs":[{"name":"api",
            "privateDnsZoneId":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms",
            "recordSets":[{"fqdn":"ws1.workspace.eastus2.privatelink.api.azureml.ms","ipAddresses":["10.0.0.4"],"recordSetName":"ws1.workspace.eastus2","recordType":"A"}]}]}]"#;
        let both = format!("[{PE}, {group}]");
        let f = evaluate(&state(&both), &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].id, FindingId::PeZoneGroupMissing);
        assert_eq!(
            f[0].subject,
            "ml-contoso-eastus2-ws1.eastus2.notebooks.azure.net"
        );
        assert!(f[0].remediation[0].contains("`privatelink.notebooks.azure.net`"));
        assert!(!f[0].affects("ws1.workspace.eastus2.api.azureml.ms"));
        // Without a zone group in the file nothing can be said.
        assert!(evaluate(&state(PE), &[]).is_empty());
    }
}
