//! Foundry / hub names from flags and from the settings file (same keys as the flags), as the
//! binary reports them.

use super::support::{json, run};
use pe_doctor::cli::DiagnoseArgs;
use pe_doctor::config::Config;
use pe_doctor::lab::dns_server::{LabDnsServer, ServerOptions, View};

const HUB: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69";
const PROJECT: &str = "52882c08-ead2-44aa-af65-08a75cf094bd";

fn names(report: &serde_json::Value) -> Vec<String> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["fqdn"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn project_ids_and_ai_services_add_their_names_from_flags_and_config() {
    let dns = LabDnsServer::spawn([127, 0, 0, 1].into(), ServerOptions::answer(View::new()))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("pe-doctor.toml");
    std::fs::write(
        &toml,
        format!(
            "workspace-id = \"{HUB}\"\nregion = \"eastus2\"\nproject-id = [\"{PROJECT}\"]\n\
             ai-services = [\"contoso-ai\"]\n"
        ),
    )
    .unwrap();
    let common = [
        "--system-resolver".to_string(),
        dns.addr().to_string(),
        "--azure-dns".into(),
        dns.addr().to_string(),
        "--no-doh".into(),
        "--no-host-dns".into(),
        "--no-connect".into(),
        "--hosts-file".into(),
        "/nonexistent/hosts".into(),
        "--loopback-only".into(),
        "--timeout".into(),
        "3s".into(),
        "--format".into(),
        "json".into(),
    ];
    let by_flags: Vec<String> = [
        "diagnose",
        "--workspace-id",
        HUB,
        "--region",
        "eastus2",
        "--project-id",
        PROJECT,
        "--ai-services",
        "contoso-ai",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(common.iter().cloned())
    .collect();
    let by_file: Vec<String> = [
        "diagnose".to_string(),
        "--config".into(),
        toml.display().to_string(),
    ]
    .into_iter()
    .chain(common.iter().cloned())
    .collect();
    let mut seen = Vec::new();
    for args in [by_flags, by_file] {
        let out = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&a)
        })
        .await
        .unwrap();
        let report = json(&out);
        let got = names(&report);
        for want in [
            format!("{PROJECT}.workspace.eastus2.api.azureml.ms"),
            format!("{PROJECT}.workspace.eastus2.cert.api.azureml.ms"),
            "contoso-ai.cognitiveservices.azure.com".to_string(),
            "contoso-ai.openai.azure.com".to_string(),
            "contoso-ai.services.ai.azure.com".to_string(),
        ] {
            assert!(got.contains(&want), "{want} missing from {got:?}");
        }
        let kinds: Vec<&str> = report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["fqdn"].as_str().unwrap().starts_with("contoso-ai."))
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["ai-services"; 3]);
        seen.push(got);
    }
    assert_eq!(
        seen[0], seen[1],
        "flags and settings file give the same names"
    );
}

#[test]
fn a_bad_ai_services_name_is_a_usage_error() {
    let out = run(&[
        "diagnose",
        "--workspace-id",
        HUB,
        "--region",
        "eastus2",
        "--ai-services",
        "https://contoso-ai.openai.azure.com/",
        "--no-connect",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--ai-services"), "{err}");
    // Only the public cloud's AI services names are known: elsewhere, say so.
    for extra in [
        &["--workspace-id", HUB, "--region", "usgovvirginia"][..],
        &[][..],
    ] {
        let mut args = vec![
            "diagnose",
            "--cloud",
            "usgov",
            "--ai-services",
            "contoso-ai",
        ];
        args.extend_from_slice(extra);
        args.push("--no-connect");
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("public cloud only"), "{err}");
    }
}

#[test]
fn ai_services_alone_need_no_workspace_and_a_project_needs_its_hub() {
    let out = run(&[
        "diagnose",
        "--ai-services",
        "Contoso-AI",
        "--project-id",
        PROJECT,
        "--no-connect",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--project-id") && err.contains("--workspace-id"),
        "{err}"
    );

    let args = DiagnoseArgs {
        ai_services: vec!["Contoso-AI".into()],
        ..DiagnoseArgs::default()
    };
    let c = Config::from_args(&args).unwrap();
    let names: Vec<&str> = c.targets.iter().map(|t| t.fqdn.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "contoso-ai.cognitiveservices.azure.com",
            "contoso-ai.openai.azure.com",
            "contoso-ai.services.ai.azure.com"
        ]
    );
}
