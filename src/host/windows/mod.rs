//! Windows facts from sources that do not depend on the display language: the adapter table
//! (`GetAdaptersAddresses`), the registry, and one PowerShell script per diagnosis whose
//! objects arrive as JSON. Text tools (`ipconfig /all`, `route print`, `netsh`) remain as
//! fallbacks, decoded from the console code page.

pub mod adapters;
pub mod codepage;
pub mod collect;
pub mod nrpt_registry;
pub mod powershell;
pub mod route_table;
