//! pe-doctor's integration tests: one binary, every peer on loopback.

mod cli;
mod getaddrinfo;
mod interop;
mod lab_scenarios;
mod support;
