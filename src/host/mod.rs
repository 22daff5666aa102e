//! Facts read from this machine. Each source is a pure parser (tested on captured output from
//! all three OSes) plus a thin collector that runs the OS's own tools and picks the OS at run
//! time, so every line compiles on Linux.

pub mod dns_config;
pub mod nrpt;
pub mod os_doh;
