//! pe-doctor's integration tests: one binary, every peer on loopback.

#![allow(clippy::unwrap_used)]

// Their peers are python3 scripts started by the test.
#[cfg(unix)]
mod broken_peers;
mod cli;
#[cfg(unix)]
mod files;
mod foundry_names;
mod getaddrinfo;
// Namespaces, shell scripts and process groups: Linux only.
#[cfg(unix)]
mod hung_tools;
mod interop;
mod interop_proxy;
mod lab_scenarios;
mod net_layer;
#[cfg(target_os = "linux")]
mod pac_machine;
mod pactester;
mod rules;
mod scale;
mod support;
