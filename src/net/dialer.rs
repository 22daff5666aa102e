//! The dialer: `--connect-to` map and the loopback guard.
