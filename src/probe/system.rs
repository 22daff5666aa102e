//! The OS resolver (getaddrinfo): what applications on this machine actually get, hosts file,
//! VPN split DNS and NRPT included. It reports addresses and the canonical name, not the chain.

use super::answer::DnsAnswer;
use crate::model::{ChainRecord, DnsStatus, FailKind};
use dns_lookup::{AddrInfoHints, LookupErrorKind};
use std::net::IpAddr;
use std::time::Duration;

/// `AI_CANONNAME`: the same value (2) on Linux, macOS and Windows.
const AI_CANONNAME: i32 = 2;
/// `SOCK_STREAM`: 1 on Linux, macOS and Windows; asking for one socket type avoids duplicates.
const SOCK_STREAM: i32 = 1;

/// Resolves `name` through getaddrinfo on a blocking thread, bounded by `timeout`.
///
/// getaddrinfo cannot be cancelled: on timeout the thread finishes in the background and the
/// answer is recorded as a timeout.
pub async fn resolve(name: &str, timeout: Duration) -> DnsAnswer {
    let owned = name.to_string();
    let task = tokio::task::spawn_blocking(move || lookup_blocking(&owned));
    match tokio::time::timeout(timeout, task).await {
        Err(_) => DnsAnswer::unanswered(
            DnsStatus::Timeout,
            FailKind::Timeout,
            "getaddrinfo did not return in time",
        ),
        Ok(Err(e)) => DnsAnswer::unanswered(
            DnsStatus::Error,
            FailKind::Other,
            format!("resolver thread failed: {e}"),
        ),
        Ok(Ok(answer)) => answer,
    }
}

fn lookup_blocking(name: &str) -> DnsAnswer {
    let hints = AddrInfoHints {
        flags: AI_CANONNAME,
        socktype: SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let iter = match dns_lookup::getaddrinfo(Some(name), None, Some(hints)) {
        Ok(iter) => iter,
        Err(e) => {
            let kind = e.kind();
            return from_lookup_error(kind, &std::io::Error::from(e));
        }
    };
    let mut addresses: Vec<IpAddr> = Vec::new();
    let mut canonical: Option<String> = None;
    for info in iter.flatten() {
        if canonical.is_none() {
            canonical = info.canonname.clone();
        }
        let ip = info.sockaddr.ip();
        if !addresses.contains(&ip) {
            addresses.push(ip);
        }
    }
    let mut chain = Vec::new();
    let canonical = canonical
        .map(|c| c.trim_end_matches('.').to_ascii_lowercase())
        .filter(|c| !c.eq_ignore_ascii_case(name.trim_end_matches('.')));
    if let Some(c) = &canonical {
        chain.push(ChainRecord {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            rtype: "CNAME".into(),
            data: c.clone(),
            ttl: 0,
        });
    }
    let owner = canonical.unwrap_or_else(|| name.trim_end_matches('.').to_ascii_lowercase());
    for ip in &addresses {
        chain.push(ChainRecord {
            name: owner.clone(),
            rtype: if ip.is_ipv4() { "A" } else { "AAAA" }.into(),
            data: ip.to_string(),
            ttl: 0,
        });
    }
    DnsAnswer {
        status: DnsStatus::Ok,
        chain,
        addresses,
        error: None,
        failure: None,
    }
}

/// Maps getaddrinfo's error kinds to report statuses and typed failure kinds, with a message
/// for people (never the library's debug text).
fn from_lookup_error(kind: LookupErrorKind, io: &std::io::Error) -> DnsAnswer {
    match kind {
        // EAI_NONAME covers NXDOMAIN and NODATA.
        LookupErrorKind::NoName => DnsAnswer::failed(
            DnsStatus::Nxdomain,
            "getaddrinfo: name does not exist (EAI_NONAME)",
        ),
        LookupErrorKind::NoData => DnsAnswer::failed(
            DnsStatus::Ok,
            "getaddrinfo: the name has no address (EAI_NODATA)",
        ),
        // EAI_AGAIN is not SERVFAIL: no server answered in time, or one answered SERVFAIL.
        LookupErrorKind::Again => DnsAnswer::unanswered(
            DnsStatus::Error,
            FailKind::TryAgain,
            "getaddrinfo: temporary failure in name resolution (EAI_AGAIN): no DNS server \
             answered, or one answered SERVFAIL",
        ),
        // EAI_FAIL: a non-recoverable answer (REFUSED, NOTIMP, FORMERR).
        LookupErrorKind::Fail => DnsAnswer::failed(
            DnsStatus::Refused,
            "getaddrinfo: non-recoverable failure in name resolution (EAI_FAIL)",
        ),
        LookupErrorKind::System | LookupErrorKind::IO => DnsAnswer::unanswered(
            DnsStatus::Error,
            crate::model::ProbeError::from_io(crate::model::Phase::Dns, io).kind,
            format!("getaddrinfo: {io}"),
        ),
        other => DnsAnswer::unanswered(
            DnsStatus::Error,
            FailKind::Other,
            format!("getaddrinfo failed: {}", eai_name(other)),
        ),
    }
}

fn eai_name(kind: LookupErrorKind) -> &'static str {
    match kind {
        LookupErrorKind::Badflags => "invalid flags (EAI_BADFLAGS)",
        LookupErrorKind::Family => "address family not supported (EAI_FAMILY)",
        LookupErrorKind::Memory => "out of memory (EAI_MEMORY)",
        LookupErrorKind::Service => "service not supported (EAI_SERVICE)",
        LookupErrorKind::Socktype => "socket type not supported (EAI_SOCKTYPE)",
        _ => "unknown error",
    }
}
