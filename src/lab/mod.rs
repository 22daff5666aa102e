//! The lab: an embedded simulated network on loopback (DNS servers, DoH front-end, TLS
//! certificates), used by `pe-doctor lab` and by the tests.

pub mod dns_server;
pub mod doh_server;
pub mod tls;
