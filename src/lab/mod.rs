//! The lab: an embedded simulated network on loopback (DNS servers, DoH front-end, TLS
//! certificates), used by `pe-doctor lab` and by the tests. Nothing in it leaves the machine:
//! every server binds 127.0.0.1 and the diagnosis runs with the loopback guard on.

pub mod dns_server;
pub mod doh_server;
pub mod https_server;
pub mod proxy_server;
pub mod scenarios;
pub mod tls;
pub mod world;
