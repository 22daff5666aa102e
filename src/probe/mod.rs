//! Probes: each asks one peer one thing and records what happened, failures included.
//!
//! Failures are data: a [`ProbeError`] names the [`Phase`] that failed and a [`FailKind`], and
//! rules match on those, never on message strings.

pub mod answer;
pub mod connect;
pub mod dns;
pub mod doh;
pub mod http;
pub mod pac;
pub mod proxy;
pub mod system;
pub mod tls;
