//! pe-doctor: finds out why a machine cannot reach an Azure Machine Learning / AI Foundry
//! workspace secured with a private endpoint.
//!
//! The layers, from the bottom up:
//! - [`targets`]: the names a workspace private endpoint creates, what a pasted link or error text
//!   carries, and the expected state;
//! - [`host`]: facts read from this machine (DNS servers, ...), each a pure parser plus a thin
//!   collector;
//! - [`net`] and [`probe`]: the dialer (with `--connect-to` and the loopback guard) and the
//!   probes (DNS over UDP/TCP, DoH, system resolver);
//! - [`plan`] and [`run`]: what to ask whom, then one concurrent fan-out under one deadline;
//! - [`findings`]: rules that turn results into findings with remediation;
//! - [`report`]: the report model and its renderers;
//! - [`lab`]: an embedded simulated network on loopback, used by `pe-doctor lab` and the tests;
//! - [`cli`], [`app`], [`commands`] on top: parsing, the edge (exit codes, output), one file per
//!   command.

pub mod app;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnose;
pub mod findings;
pub mod fsio;
pub mod host;
pub mod lab;
pub mod model;
pub mod net;
pub mod pac_cmd;
pub mod pac_fetch;
pub mod pac_worker;
pub mod plan;
pub mod probe;
pub mod report;
pub mod run;
pub mod save_raw;
pub mod serde_list;
pub mod targets;
