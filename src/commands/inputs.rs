//! Pasted inputs (TARGETs, a URL given to `--workspace-id`) turned into the flags they imply,
//! keeping what each input yielded for the report.

use crate::cli::DiagnoseArgs;
use crate::targets::{self, Derivation};

/// Where a user finds the workspace ID when only a studio link is at hand.
pub const WHERE_IS_THE_ID: &str = "the workspace ID is in the Azure portal: open the workspace, \
     Overview, then \"JSON View\": it is properties.workspaceId (or, with the Azure CLI, \
     add --use-az); the workspace's private endpoint, DNS configuration, also lists the names \
     <workspace-id>.workspace.<region>.api.azureml.ms: paste one of them instead";

/// A workspace known by its Azure resource ID only (from a studio link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudioWorkspace {
    /// Subscription ID.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Workspace name.
    pub name: String,
}

impl StudioWorkspace {
    /// The workspace's Azure resource ID.
    pub fn resource_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}",
            self.subscription, self.resource_group, self.name
        )
    }
}

/// What the pasted inputs gave.
#[derive(Debug, Clone, Default)]
pub struct Pasted {
    /// Each input and what it yielded.
    pub derived: Vec<Derivation>,
    /// A studio link's workspace whose ID is still unknown.
    pub needs_id: Option<StudioWorkspace>,
}

/// Reads `args.targets` (and a non-GUID `--workspace-id`) and fills the flags they imply.
/// Flags given explicitly win when equal and are an error when contradicted. Region, name,
/// instances and endpoints are only filled in when the workspace ID is known (otherwise the
/// names found are checked as given).
pub fn apply(args: &mut DiagnoseArgs) -> Result<Pasted, String> {
    let mut inputs = std::mem::take(&mut args.targets);
    if let Some(id) = &args.workspace_id
        && targets::validate_workspace_id(id).is_err()
        && targets::parse_input(id).is_ok()
    {
        inputs.insert(0, id.clone());
        args.workspace_id = None;
    }
    let mut out = Pasted::default();
    for input in &inputs {
        let d = targets::parse_input(input).map_err(|e| e.to_string())?;
        out.derived.push(d);
    }
    // The workspace ID first: the other facts only count with one.
    for d in &out.derived {
        merge_one(
            &mut args.workspace_id,
            &d.found.workspace_id,
            "--workspace-id",
            d,
        )?;
    }
    let id_known = args.workspace_id.is_some();
    for d in &out.derived {
        let f = &d.found;
        for name in &f.names {
            if !args.fqdns.iter().any(|x| targets::same_name(x, name)) {
                args.fqdns.push(name.clone());
            }
        }
        if let Some(cloud) = f.cloud {
            match &args.cloud {
                None => args.cloud = Some(cloud.as_str().to_string()),
                Some(given) if given.parse::<targets::Cloud>().ok() != Some(cloud) => {
                    return Err(format!(
                        "--cloud '{given}' contradicts the {} given ({}): {}",
                        d.form.describe(),
                        cloud.as_str(),
                        d.input
                    ));
                }
                Some(_) => {}
            }
        }
        if id_known {
            merge_one(&mut args.region, &f.region, "--region", d)?;
            merge_one(
                &mut args.workspace_name,
                &f.workspace_name,
                "--workspace-name",
                d,
            )?;
            extend(&mut args.instances, &f.instances);
            extend(&mut args.inference_endpoints, &f.inference_endpoints);
            extend(&mut args.storage_accounts, &f.storage_accounts);
        }
        if !id_known
            && out.needs_id.is_none()
            && let (Some(sub), Some(rg), Some(name)) =
                (&f.subscription, &f.resource_group, &f.workspace_name)
        {
            out.needs_id = Some(StudioWorkspace {
                subscription: sub.clone(),
                resource_group: rg.clone(),
                name: name.clone(),
            });
        }
    }
    Ok(out)
}

fn merge_one(
    slot: &mut Option<String>,
    found: &Option<String>,
    flag: &str,
    d: &Derivation,
) -> Result<(), String> {
    let Some(v) = found else { return Ok(()) };
    match slot {
        Some(have) if !have.trim().eq_ignore_ascii_case(v) => Err(format!(
            "{flag} '{have}' contradicts the {} given ({v}): {}; give one workspace",
            d.form.describe(),
            d.input
        )),
        Some(_) => Ok(()),
        None => {
            *slot = Some(v.clone());
            Ok(())
        }
    }
}

fn extend(list: &mut Vec<String>, found: &[String]) {
    for v in found {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(v)) {
            list.push(v.clone());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const G: &str = "fb7e20a0-8891-458b-b969-55ddb3382f51";
    const SUB: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn args(targets: &[&str]) -> DiagnoseArgs {
        DiagnoseArgs {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn url_fills_id_region_and_checks_the_name_given() {
        let mut a = args(&[&format!("https://{G}.workspace.eastus2.api.azureml.ms/")]);
        let p = apply(&mut a).unwrap();
        assert_eq!(a.workspace_id.as_deref(), Some(G));
        assert_eq!(a.region.as_deref(), Some("eastus2"));
        assert_eq!(a.cloud.as_deref(), Some("public"));
        assert_eq!(
            a.fqdns,
            vec![format!("{G}.workspace.eastus2.api.azureml.ms")]
        );
        assert_eq!(p.derived.len(), 1);
        assert_eq!(p.needs_id, None);
    }

    #[test]
    fn workspace_id_flag_accepts_a_url() {
        let mut a = args(&[]);
        a.workspace_id = Some(format!("https://{G}.workspace.westeurope.api.azureml.ms"));
        apply(&mut a).unwrap();
        assert_eq!(a.workspace_id.as_deref(), Some(G));
        assert_eq!(a.region.as_deref(), Some("westeurope"));
        // A plain bad value stays for the validator to refuse with its own message.
        let mut a = args(&[]);
        a.workspace_id = Some("my-workspace".into());
        apply(&mut a).unwrap();
        assert_eq!(a.workspace_id.as_deref(), Some("my-workspace"));
    }

    #[test]
    fn instance_without_workspace_is_checked_by_name_only() {
        let mut a = args(&["https://ci-alice.westeurope.instances.azureml.ms/lab"]);
        apply(&mut a).unwrap();
        assert_eq!(a.workspace_id, None);
        assert_eq!(a.region, None);
        assert!(a.instances.is_empty());
        assert_eq!(a.fqdns, vec!["ci-alice.westeurope.instances.azureml.ms"]);
        // With the workspace ID from another input, the instance joins the derivation.
        let mut a = args(&["https://ci-alice.westeurope.instances.azureml.ms/lab", G]);
        apply(&mut a).unwrap();
        assert_eq!(a.workspace_id.as_deref(), Some(G));
        assert_eq!(a.region.as_deref(), Some("westeurope"));
        assert_eq!(a.instances, vec!["ci-alice"]);
    }

    #[test]
    fn sovereign_cloud_names_set_the_cloud() {
        let mut a = args(&[&format!("{G}.workspace.usgovvirginia.api.ml.azure.us")]);
        apply(&mut a).unwrap();
        assert_eq!(a.cloud.as_deref(), Some("usgov"));
        let mut a = args(&[&format!("{G}.workspace.usgovvirginia.api.ml.azure.us")]);
        a.cloud = Some("AzureUSGovernment".into());
        apply(&mut a).unwrap();
        let mut a = args(&[&format!("{G}.workspace.chinaeast2.api.ml.azure.cn")]);
        a.cloud = Some("public".into());
        assert!(
            apply(&mut a)
                .unwrap_err()
                .starts_with("--cloud 'public' contradicts")
        );
    }

    #[test]
    fn contradictions_are_errors() {
        let mut a = args(&[&format!("{G}.workspace.eastus2.api.azureml.ms")]);
        a.region = Some("westeurope".into());
        let e = apply(&mut a).unwrap_err();
        assert!(
            e.starts_with("--region 'westeurope' contradicts the host name given (eastus2)"),
            "{e}"
        );
        let mut a = args(&[G, "52882c08-ead2-44aa-af65-08a75cf094bd"]);
        assert!(apply(&mut a).unwrap_err().starts_with("--workspace-id"));
        let mut a = args(&["nothing here"]);
        assert!(
            apply(&mut a)
                .unwrap_err()
                .starts_with("TARGET 'nothing here'")
        );
    }

    #[test]
    fn studio_link_needs_the_id() {
        let link = format!(
            "https://ml.azure.com/?wsid=/subscriptions/{SUB}/resourcegroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1&tid=t"
        );
        let mut a = args(&[&link]);
        let p = apply(&mut a).unwrap();
        let ws = p.needs_id.unwrap();
        assert_eq!(ws.name, "ws1");
        assert_eq!(
            ws.resource_id(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1"
            )
        );
        assert_eq!(a.workspace_name, None);
        // With the ID given, the link's name is used.
        let mut a = args(&[&link]);
        a.workspace_id = Some(G.into());
        let p = apply(&mut a).unwrap();
        assert_eq!(p.needs_id, None);
        assert_eq!(a.workspace_name.as_deref(), Some("ws1"));
    }
}
