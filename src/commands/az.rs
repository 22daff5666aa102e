//! `--use-az`: the workspace ID and region of a studio link's workspace from the Azure CLI.
//!
//! Runs `az resource show --ids <resource ID> --output json` (core `az`, no extension to
//! install): the resource's `properties.workspaceId` is the GUID and `location` the region.
//! `az` never prompts here: standard input is closed, and a missing login is reported, not
//! started.

use std::process::Stdio;
use std::time::Duration;

/// The workspace's GUID and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzWorkspace {
    /// Workspace GUID, lower case.
    pub id: String,
    /// Region, lower case.
    pub region: String,
}

/// Asks `az` about `resource_id`, within `timeout`. The error is a sentence for the user.
pub async fn workspace(resource_id: &str, timeout: Duration) -> Result<AzWorkspace, String> {
    let program = if cfg!(windows) { "az.cmd" } else { "az" };
    let child = tokio::process::Command::new(program)
        .args(["resource", "show", "--ids", resource_id, "--output", "json"])
        .env("AZURE_CORE_ONLY_SHOW_ERRORS", "true")
        .env("AZURE_CORE_NO_COLOR", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("the Azure CLI (az) is not installed".to_string());
        }
        Err(e) => return Err(format!("cannot run az: {e}")),
    };
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("az failed: {e}")),
        Err(_) => return Err(format!("az did not answer within {timeout:?}")),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("az login") || err.to_ascii_lowercase().contains("not logged in") {
            return Err("az is not logged in (run `az login` yourself first)".to_string());
        }
        let first = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        let first: String = first
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        return Err(format!("az could not show the workspace: {first}"));
    }
    parse_show(&out.stdout)
}

/// Reads `az resource show` (or `az ml workspace show`) JSON.
pub fn parse_show(json: &[u8]) -> Result<AzWorkspace, String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("az answered no JSON: {e}"))?;
    let id = v
        .pointer("/properties/workspaceId")
        .or_else(|| v.get("workspace_id"))
        .and_then(|x| x.as_str())
        .ok_or("az's answer has no properties.workspaceId")?;
    let id = crate::targets::validate_workspace_id(id)
        .map_err(|_| format!("az's workspaceId '{id}' is not a GUID"))?;
    let region = v
        .get("location")
        .and_then(|x| x.as_str())
        .ok_or("az's answer has no location")?;
    let region = crate::targets::validate_region(&region.replace(' ', ""))
        .map_err(|_| format!("az's location '{region}' is not a region name"))?;
    Ok(AzWorkspace { id, region })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_resource_show_and_refuses_others() {
        let ok = br#"{"id": "/subscriptions/x", "location": "eastus2",
            "properties": {"workspaceId": "FB7E20A0-8891-458B-B969-55DDB3382F51"}}"#;
        assert_eq!(
            parse_show(ok).unwrap(),
            AzWorkspace {
                id: "fb7e20a0-8891-458b-b969-55ddb3382f51".into(),
                region: "eastus2".into()
            }
        );
        let ml = br#"{"workspace_id": "fb7e20a0-8891-458b-b969-55ddb3382f51", "location": "westeurope"}"#;
        assert_eq!(parse_show(ml).unwrap().region, "westeurope");
        for (bad, want) in [
            (&br"not json"[..], "no JSON"),
            (br#"{"location": "eastus"}"#, "no properties.workspaceId"),
            (
                br#"{"properties": {"workspaceId": "x"}, "location": "eastus"}"#,
                "not a GUID",
            ),
            (
                br#"{"properties": {"workspaceId": "fb7e20a0-8891-458b-b969-55ddb3382f51"}}"#,
                "no location",
            ),
        ] {
            let e = parse_show(bad).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }
}
