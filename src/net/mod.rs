//! Network plumbing shared by the probes: the dialer (`--connect-to`, loopback guard) and TLS
//! client configurations.

pub mod dialer;
pub mod tls;
