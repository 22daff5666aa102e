//! Whether pe-doctor runs on an Azure VM (a jump box inside the VNet, e.g. reached through
//! Bastion): SMBIOS system vendor `Microsoft Corporation` and chassis asset tag
//! `7783-7084-3265-9085-8269-3286-77`. The vendor alone also matches on-premises Hyper-V VMs;
//! the asset tag is the one Azure sets on every VM.
//!
//! Linux reads `/sys/class/dmi/id`; Windows asks CIM through PowerShell; macOS never runs on
//! Azure. Only local firmware tables are read — nothing is sent on the network (the Azure
//! instance metadata service is deliberately not asked).

use crate::host::dns_config::command::{self, CommandError};
use crate::host::routes::parse_format_list;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The SMBIOS system vendor of Hyper-V and Azure VMs.
pub const AZURE_SYS_VENDOR: &str = "Microsoft Corporation";
/// The SMBIOS chassis asset tag Azure sets on its VMs.
pub const AZURE_ASSET_TAG: &str = "7783-7084-3265-9085-8269-3286-77";

/// Why the firmware facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AzureVmError {
    /// A DMI file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The PowerShell CIM query failed.
    #[error("cannot read SMBIOS through CIM: {0}")]
    Cim(#[from] CommandError),
}

/// The verdict and the facts behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureVm {
    /// Both the vendor and the Azure asset tag match.
    pub is_azure: bool,
    /// The facts read, e.g. `sys_vendor = Microsoft Corporation`,
    /// `chassis_asset_tag = 7783-7084-3265-9085-8269-3286-77 (Azure)`.
    pub evidence: Vec<String>,
    /// What could not be read.
    pub notes: Vec<String>,
}

/// Decides from the SMBIOS system vendor and chassis asset tag (surrounding whitespace
/// ignored, exact otherwise).
pub fn from_dmi(sys_vendor: &str, chassis_asset_tag: &str) -> AzureVm {
    let vendor = sys_vendor.trim();
    let tag = chassis_asset_tag.trim();
    let vendor_ok = vendor == AZURE_SYS_VENDOR;
    let tag_ok = tag == AZURE_ASSET_TAG;
    let mut evidence = vec![
        format!(
            "sys_vendor = {}{}",
            shown(vendor),
            if vendor_ok {
                " (Microsoft Hyper-V / Azure)"
            } else {
                ""
            }
        ),
        format!(
            "chassis_asset_tag = {}{}",
            shown(tag),
            if tag_ok { " (Azure)" } else { "" }
        ),
    ];
    if vendor_ok && !tag_ok {
        evidence.push("Microsoft VM without the Azure asset tag: Hyper-V, not Azure".into());
    }
    AzureVm {
        is_azure: vendor_ok && tag_ok,
        evidence,
        notes: Vec::new(),
    }
}

fn shown(v: &str) -> &str {
    if v.is_empty() { "(empty)" } else { v }
}

/// Reads this machine's firmware facts, choosing the OS at run time. Never fails: what
/// could not be read is in [`AzureVm::notes`] (and the machine is then not called Azure).
pub fn collect() -> AzureVm {
    if cfg!(target_os = "windows") {
        match command::run(
            "powershell",
            &["-NoProfile", "-NonInteractive", "-Command", CIM_SCRIPT],
            command::TOOL_TIMEOUT,
        ) {
            Ok(text) => from_cim_output(&text),
            Err(e) => not_read(AzureVmError::from(e)),
        }
    } else if cfg!(target_os = "macos") {
        AzureVm {
            is_azure: false,
            evidence: vec!["macOS: Azure offers no macOS VMs".into()],
            notes: Vec::new(),
        }
    } else {
        collect_from(Path::new("/sys/class/dmi/id"))
    }
}

/// The PowerShell query for the Windows collector.
const CIM_SCRIPT: &str = "Get-CimInstance Win32_SystemEnclosure | Format-List SMBIOSAssetTag; \
                          Get-CimInstance Win32_ComputerSystem | Format-List Manufacturer";

fn not_read(e: AzureVmError) -> AzureVm {
    AzureVm {
        is_azure: false,
        evidence: Vec::new(),
        notes: vec![e.to_string()],
    }
}

/// Reads `sys_vendor` and `chassis_asset_tag` from a Linux DMI directory
/// (`/sys/class/dmi/id`, or a copy for tests). A missing directory (containers, ARM boards
/// without DMI) gives a note and `is_azure: false`.
pub fn collect_from(dir: &Path) -> AzureVm {
    let read = |name: &str| -> Result<String, AzureVmError> {
        let path = dir.join(name);
        std::fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .map_err(|source| AzureVmError::Read { path, source })
    };
    match (read("sys_vendor"), read("chassis_asset_tag")) {
        (Ok(vendor), Ok(tag)) => from_dmi(&vendor, &tag),
        (Ok(vendor), Err(e)) => {
            let mut vm = from_dmi(&vendor, "");
            vm.evidence.truncate(1);
            vm.notes.push(e.to_string());
            vm
        }
        (Err(e), _) => not_read(e),
    }
}

/// Parses the Windows CIM query output (`SMBIOSAssetTag : ...`, `Manufacturer : ...` in
/// `Format-List` form). A missing property counts as empty.
pub fn from_cim_output(text: &str) -> AzureVm {
    let mut tag = None;
    let mut vendor = None;
    for (key, value) in parse_format_list(text).into_iter().flatten() {
        if key.eq_ignore_ascii_case("SMBIOSAssetTag") {
            tag = Some(value);
        } else if key.eq_ignore_ascii_case("Manufacturer") {
            vendor = Some(value);
        }
    }
    let mut vm = from_dmi(
        vendor.as_deref().unwrap_or(""),
        tag.as_deref().unwrap_or(""),
    );
    if vendor.is_none() || tag.is_none() {
        vm.notes
            .push("the CIM query did not return both Manufacturer and SMBIOSAssetTag".into());
    }
    vm
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture_dir(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/host/linux")
            .join(name)
    }

    #[test]
    fn azure_vm_from_dmi_values() {
        let vm = from_dmi(
            "Microsoft Corporation\n",
            " 7783-7084-3265-9085-8269-3286-77 ",
        );
        assert!(vm.is_azure);
        assert_eq!(
            vm.evidence,
            [
                "sys_vendor = Microsoft Corporation (Microsoft Hyper-V / Azure)",
                "chassis_asset_tag = 7783-7084-3265-9085-8269-3286-77 (Azure)"
            ]
        );
    }

    #[test]
    fn partial_matches_are_not_azure() {
        assert!(!from_dmi("LENOVO", AZURE_ASSET_TAG).is_azure);
        assert!(!from_dmi("microsoft corporation", AZURE_ASSET_TAG).is_azure);
        let hyperv = from_dmi(AZURE_SYS_VENDOR, "2133-9370-6521-2389-4729-8016-07");
        assert!(!hyperv.is_azure);
        assert_eq!(
            hyperv.evidence[2],
            "Microsoft VM without the Azure asset tag: Hyper-V, not Azure"
        );
        assert!(!from_dmi("", "").is_azure);
        assert_eq!(from_dmi("", "").evidence[0], "sys_vendor = (empty)");
    }

    #[test]
    fn linux_dmi_directories() {
        let azure = collect_from(&fixture_dir("dmi-azure"));
        assert!(azure.is_azure);
        assert!(azure.notes.is_empty());
        let hyperv = collect_from(&fixture_dir("dmi-hyperv"));
        assert!(!hyperv.is_azure);
        assert_eq!(hyperv.evidence.len(), 3);
        let laptop = collect_from(&fixture_dir("dmi-laptop"));
        assert!(!laptop.is_azure);
        assert_eq!(
            laptop.evidence,
            [
                "sys_vendor = LENOVO",
                "chassis_asset_tag = No Asset Information"
            ]
        );
    }

    #[test]
    fn missing_dmi_is_a_note() {
        let vm = collect_from(&fixture_dir("no-such-dmi-dir"));
        assert!(!vm.is_azure);
        assert!(vm.evidence.is_empty());
        assert_eq!(vm.notes.len(), 1);
        let missing = Path::new("no-such-dmi-dir").join("sys_vendor");
        assert!(
            vm.notes[0].contains(&missing.display().to_string()),
            "{:?}",
            vm.notes
        );
    }

    #[test]
    fn unreadable_asset_tag_keeps_vendor_evidence() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sys_vendor"), "Microsoft Corporation\n").unwrap();
        let vm = collect_from(dir.path());
        assert!(!vm.is_azure);
        assert_eq!(
            vm.evidence,
            ["sys_vendor = Microsoft Corporation (Microsoft Hyper-V / Azure)"]
        );
        assert!(vm.notes[0].contains("chassis_asset_tag"), "{:?}", vm.notes);
    }

    #[test]
    fn windows_cim_output() {
        let azure = from_cim_output(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/windows/cim-azure-vm.txt"
        )));
        assert!(azure.is_azure, "{azure:?}");
        assert!(azure.notes.is_empty());
        let laptop = from_cim_output(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/windows/cim-laptop.txt"
        )));
        assert!(!laptop.is_azure);
        assert_eq!(
            laptop.evidence,
            ["sys_vendor = LENOVO", "chassis_asset_tag = No Asset Tag"]
        );
        let empty = from_cim_output("");
        assert!(!empty.is_azure);
        assert_eq!(empty.notes.len(), 1);
    }

    #[test]
    fn collect_on_this_machine_does_not_panic() {
        // Whatever this machine is, the verdict follows the evidence; without DMI
        // (containers) a note says why.
        let vm = collect();
        let tag_seen = vm.evidence.iter().any(|e| e.ends_with("(Azure)"));
        assert_eq!(
            vm.is_azure,
            tag_seen && vm.evidence[0].contains("Hyper-V"),
            "{vm:?}"
        );
        assert!(!vm.evidence.is_empty() || !vm.notes.is_empty());
    }
}
