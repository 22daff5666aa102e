//! The outcome of one DNS question, whatever the transport: status, CNAME chain, addresses.

use crate::model::{ChainRecord, DnsStatus, FailKind};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};
use serde::Serialize;
use std::net::IpAddr;

/// What one resolver said about one name (A and AAAA merged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsAnswer {
    /// Outcome.
    pub status: DnsStatus,
    /// CNAME chain and address records, in answer order, de-duplicated.
    pub chain: Vec<ChainRecord>,
    /// Addresses (A then AAAA), de-duplicated.
    pub addresses: Vec<IpAddr>,
    /// Transport or protocol detail when the status is not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why no DNS answer arrived (transport failures only; DNS response codes are the status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailKind>,
}

impl DnsAnswer {
    /// An answer that carries only a failure status.
    pub fn failed(status: DnsStatus, error: impl Into<String>) -> Self {
        Self {
            status,
            chain: Vec::new(),
            addresses: Vec::new(),
            error: Some(error.into()),
            failure: None,
        }
    }

    /// An answer that never arrived, with the typed reason.
    pub fn unanswered(status: DnsStatus, kind: FailKind, error: impl Into<String>) -> Self {
        Self {
            failure: Some(kind),
            ..Self::failed(status, error)
        }
    }

    /// Merges the answers to the A and AAAA questions for the same name.
    pub fn merge(a: DnsAnswer, aaaa: DnsAnswer) -> DnsAnswer {
        let status = if a.status.rank() >= aaaa.status.rank() {
            a.status
        } else {
            aaaa.status
        };
        let mut chain = a.chain;
        for rec in aaaa.chain {
            if !chain.contains(&rec) {
                chain.push(rec);
            }
        }
        let mut addresses = a.addresses;
        for ip in aaaa.addresses {
            if !addresses.contains(&ip) {
                addresses.push(ip);
            }
        }
        let (error, failure) = if status == DnsStatus::Ok {
            (None, None)
        } else if a.status == status {
            (a.error.or(aaaa.error), a.failure.or(aaaa.failure))
        } else {
            (aaaa.error.or(a.error), aaaa.failure.or(a.failure))
        };
        DnsAnswer {
            status,
            chain,
            addresses,
            error,
            failure,
        }
    }
}

fn trim_dot(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_string()
}

/// Maps a DNS response code to a report status.
pub fn status_of(code: ResponseCode) -> DnsStatus {
    match code {
        ResponseCode::NoError => DnsStatus::Ok,
        ResponseCode::NXDomain => DnsStatus::Nxdomain,
        ResponseCode::ServFail => DnsStatus::Servfail,
        ResponseCode::Refused | ResponseCode::NotImp => DnsStatus::Refused,
        _ => DnsStatus::Error,
    }
}

/// Extracts status, CNAME chain and addresses from a response message.
///
/// Address records are kept only when they belong to the queried name or to a name the CNAME
/// chain leads to, so stray additional data cannot pose as an answer.
pub fn answer_from_message(msg: &Message) -> DnsAnswer {
    let status = status_of(msg.metadata.response_code);
    let mut owners: Vec<String> = msg
        .queries
        .first()
        .map(|q| vec![q.name().to_ascii().to_ascii_lowercase()])
        .unwrap_or_default();
    let mut chain = Vec::new();
    let mut addresses = Vec::new();
    // CNAMEs may come in any order; follow them until no new owner appears.
    loop {
        let before = owners.len();
        for rec in &msg.answers {
            if let RData::CNAME(target) = &rec.data {
                let owner = rec.name.to_ascii().to_ascii_lowercase();
                let target = target.0.to_ascii().to_ascii_lowercase();
                if owners.contains(&owner) && !owners.contains(&target) {
                    owners.push(target);
                }
            }
        }
        if owners.len() == before {
            break;
        }
    }
    for rec in &msg.answers {
        let owner = rec.name.to_ascii().to_ascii_lowercase();
        if !owners.is_empty() && !owners.contains(&owner) {
            continue;
        }
        let (rtype, data) = match &rec.data {
            RData::CNAME(t) => ("CNAME", trim_dot(&t.0.to_ascii())),
            RData::A(a) => {
                let ip = IpAddr::V4(a.0);
                if !addresses.contains(&ip) {
                    addresses.push(ip);
                }
                ("A", ip.to_string())
            }
            RData::AAAA(a) => {
                let ip = IpAddr::V6(a.0);
                if !addresses.contains(&ip) {
                    addresses.push(ip);
                }
                ("AAAA", ip.to_string())
            }
            _ => continue,
        };
        let rec = ChainRecord {
            name: trim_dot(&rec.name.to_ascii()),
            rtype: rtype.to_string(),
            data,
            ttl: rec.ttl,
        };
        if !chain.contains(&rec) {
            chain.push(rec);
        }
    }
    let error = match status {
        DnsStatus::Ok => None,
        other => Some(format!("server answered {}", other.as_str().to_uppercase())),
    };
    DnsAnswer {
        status,
        chain,
        addresses,
        error,
        failure: None,
    }
}

/// The record types every target is asked for.
pub const QUERY_TYPES: [RecordType; 2] = [RecordType::A, RecordType::AAAA];
