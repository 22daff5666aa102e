//! `pe-doctor diagnose`: flags, pasted inputs and (with `--use-az`) the Azure CLI resolved into
//! one [`Config`], then the diagnosis.

use super::{az, inputs};
use crate::cli::DiagnoseArgs;
use crate::config::{self, Config, ConfigError};

/// Resolves flags, the settings file, pasted inputs and `az` into a validated configuration.
/// The error is the whole message for the user (exit code 2).
pub async fn resolve(args: &DiagnoseArgs) -> Result<Config, String> {
    let mut args = args.clone();
    let mut pasted = inputs::apply(&mut args)?;
    let mut missing_id = None;
    let mut spent_on_az = std::time::Duration::ZERO;
    if let Some(ws) = pasted.needs_id.clone() {
        let mut studio = pasted
            .derived
            .iter_mut()
            .find(|d| d.found.workspace_name.as_deref() == Some(ws.name.as_str()));
        let found_by_az = if args.use_az {
            let timeout = match &args.timeout {
                Some(t) => config::parse_duration("--timeout", t).map_err(|e| e.to_string())?,
                None => config::DEFAULT_TIMEOUT,
            };
            // One --timeout bounds everything: az gets at most half, the diagnosis the rest.
            let started = std::time::Instant::now();
            let answer = az::workspace(&ws.resource_id(), timeout / 2).await;
            spent_on_az = started.elapsed();
            match answer {
                Ok(found) => Some(found),
                Err(why) => {
                    eprintln!("pe-doctor: note: --use-az: {why}");
                    if let Some(d) = studio.as_deref_mut() {
                        d.notes.push(format!("--use-az: {why}"));
                    }
                    None
                }
            }
        } else {
            None
        };
        match (found_by_az, studio) {
            (Some(found), d) => {
                if let Some(d) = d {
                    d.found.workspace_id = Some(found.id.clone());
                    d.found.region = Some(found.region.clone());
                    d.notes
                        .push("workspace ID and region from `az resource show`".to_string());
                }
                args.workspace_id = Some(found.id);
                args.region.get_or_insert(found.region);
                args.workspace_name.get_or_insert(ws.name.clone());
            }
            (None, d) => {
                if let Some(d) = d {
                    d.notes.push(inputs::WHERE_IS_THE_ID.to_string());
                }
                missing_id = Some(ws);
            }
        }
    }
    let mut config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(ConfigError::NoTargets) => {
            return Err(match missing_id {
                Some(ws) => format!(
                    "the link names workspace '{}' (resource group {}) but not its workspace \
                     ID, which pe-doctor needs to derive the names to check: {}",
                    ws.name,
                    ws.resource_group,
                    inputs::WHERE_IS_THE_ID
                ),
                None => ConfigError::NoTargets.to_string(),
            });
        }
        Err(e) => return Err(e.to_string()),
    };
    config.timeout = config.timeout.saturating_sub(spent_on_az);
    // A name given as pasted is often one the workspace derivation also yields.
    crate::targets::dedup(&mut config.targets);
    config.derived_from = pasted.derived;
    Ok(config)
}
