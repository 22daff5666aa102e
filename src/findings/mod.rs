//! Rules: diagnosis results -> findings with evidence and remediation. Wording lives here, once,
//! so every report format says the same thing.

pub mod browser;
pub mod connect;
pub mod dns;
pub mod pac;
pub mod vpn;

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Breaks access.
    Error,
    /// A risk or a partial breakage.
    Warning,
    /// Context.
    Info,
}

/// The troubleshooting article's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// "Securely connect to your project".
    ConnectionMethod,
    /// "Custom DNS troubleshooting".
    DnsCustom,
    /// "Azure DNS troubleshooting".
    DnsAzure,
    /// "Browser configuration (DNS over HTTPS)".
    BrowserDoh,
    /// "Proxy configuration".
    Proxy,
    /// "Troubleshoot configurations on connecting to storage".
    Storage,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `dns.public-answer`.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Article section.
    pub section: Section,
    /// What it is about (a name, a resolver, a browser...).
    pub subject: String,
    /// One-line statement.
    pub title: String,
    /// A paragraph for the person at the laptop.
    pub detail: String,
    /// What was observed, one line each.
    pub evidence: Vec<String>,
    /// Steps to fix, in order.
    pub remediation: Vec<String>,
}

/// Sorts findings: errors first, then warnings, then info; stable within a severity.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| f.severity);
}

impl Section {
    /// The article section's heading, as users see it.
    pub fn title(self) -> &'static str {
        match self {
            Section::ConnectionMethod => "Securely connect to your project",
            Section::DnsCustom => "DNS configuration > Custom DNS troubleshooting",
            Section::DnsAzure => "DNS configuration > Azure DNS troubleshooting",
            Section::BrowserDoh => "Browser configuration (DNS over HTTPS)",
            Section::Proxy => "Proxy configuration",
            Section::Storage => "Troubleshoot configurations on connecting to storage",
        }
    }
}
