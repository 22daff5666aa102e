//! Plain DNS over UDP with TCP fallback on truncation.
//!
//! UDP goes over a *connected* socket (hickory-net's client sends from an unconnected one, which
//! never learns of ICMP port unreachable): a closed port is `refused` at once, not a timeout.
//! TCP uses hickory-net's client. DNS-level outcomes (NXDOMAIN, SERVFAIL, REFUSED) are a
//! [`DnsAnswer`] status; only transport failures become a [`ProbeError`].

use super::answer::{DnsAnswer, answer_from_message};
use crate::model::DnsStatus;
use crate::model::{FailKind, Phase, ProbeError};
use hickory_net::NetError;
use hickory_net::client::{Client, ClientHandle};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_proto::op::{DnsResponse, Edns, Message, MessageType, Query};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// Which transport answered (TCP only after a truncated UDP answer, or when forced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    /// UDP answered.
    Udp,
    /// TCP answered (after truncation, or forced).
    Tcp,
}

/// Asks `server` for `name`/`rtype` over UDP; on a truncated answer asks again over TCP.
pub async fn query(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    timeout: Duration,
) -> Result<(DnsAnswer, Used), ProbeError> {
    let qname = parse_name(name)?;
    let msg = query_udp(server, qname.clone(), rtype, timeout).await?;
    if msg.metadata.truncation {
        let msg = query_tcp(server, qname, rtype, timeout).await?;
        return Ok((answer_from_message(&msg), Used::Tcp));
    }
    Ok((answer_from_message(&msg), Used::Udp))
}

/// Asks A and AAAA concurrently and merges the answers. Transport failures become a failed
/// answer so that one resolution always results.
pub async fn resolve(server: SocketAddr, name: &str, timeout: Duration) -> DnsAnswer {
    let (a, aaaa) = tokio::join!(
        query(server, name, RecordType::A, timeout),
        query(server, name, RecordType::AAAA, timeout)
    );
    DnsAnswer::merge(into_answer(a), into_answer(aaaa))
}

/// Turns a probe result into an answer, mapping transport failures to a status.
pub fn into_answer(result: Result<(DnsAnswer, Used), ProbeError>) -> DnsAnswer {
    match result {
        Ok((answer, _)) => answer,
        Err(e) => failed_answer(&e),
    }
}

/// The answer recorded for a transport failure.
pub fn failed_answer(e: &ProbeError) -> DnsAnswer {
    let status = match e.kind {
        FailKind::Timeout => DnsStatus::Timeout,
        FailKind::Refused => DnsStatus::Refused,
        _ => DnsStatus::Error,
    };
    DnsAnswer::unanswered(status, e.kind, e.message.clone())
}

fn parse_name(name: &str) -> Result<Name, ProbeError> {
    let fqdn = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    Name::from_str(&fqdn)
        .map_err(|e| ProbeError::new(Phase::Dns, FailKind::Other, format!("bad name {name}: {e}")))
}

fn map_net_error(e: NetError) -> ProbeError {
    match e {
        NetError::Timeout => ProbeError::timeout(Phase::Dns),
        NetError::Io(io) => ProbeError::from_io(Phase::Dns, &io),
        other => ProbeError::new(Phase::Dns, FailKind::Protocol, other.to_string()),
    }
}

/// Largest UDP answer read (the EDNS payload size offered).
const UDP_PAYLOAD: u16 = 1232;

async fn query_udp(
    server: SocketAddr,
    name: Name,
    rtype: RecordType,
    timeout: Duration,
) -> Result<Message, ProbeError> {
    let io = |e: std::io::Error| match e.kind() {
        // ICMP port unreachable: ECONNREFUSED on Linux and macOS, WSAECONNRESET on Windows.
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset => {
            ProbeError::new(
                Phase::Dns,
                FailKind::Refused,
                format!("nothing listens on {server} (ICMP port unreachable): {e}"),
            )
        }
        _ => ProbeError::from_io(Phase::Dns, &e),
    };
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name, rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_PAYLOAD);
    query.set_edns(edns);
    let id = query.metadata.id;
    let bytes = query
        .to_vec()
        .map_err(|e| ProbeError::new(Phase::Dns, FailKind::Other, e.to_string()))?;
    let local: SocketAddr = if server.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let work = async {
        let socket = tokio::net::UdpSocket::bind(local).await.map_err(io)?;
        // Connected: only the server's datagrams arrive, and ICMP errors surface as
        // ECONNREFUSED on the next receive.
        socket.connect(server).await.map_err(io)?;
        socket.send(&bytes).await.map_err(io)?;
        let mut buf = vec![0u8; usize::from(UDP_PAYLOAD).max(512) * 4];
        loop {
            let n = socket.recv(&mut buf).await.map_err(io)?;
            // A datagram that is not the answer to this query (stale, spoofed, garbage) is
            // skipped, as stub resolvers do.
            let Some(msg) = buf.get(..n).and_then(|b| Message::from_vec(b).ok()) else {
                continue;
            };
            if msg.metadata.id == id && msg.metadata.message_type == MessageType::Response {
                return Ok(msg);
            }
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ProbeError::timeout(Phase::Dns))?
}

async fn query_tcp(
    server: SocketAddr,
    name: Name,
    rtype: RecordType,
    timeout: Duration,
) -> Result<Message, ProbeError> {
    let (connect, handle) =
        TcpClientStream::new(server, None, Some(timeout), TokioRuntimeProvider::new());
    let stream = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| ProbeError::timeout(Phase::Dns))?
        .map_err(map_net_error)?;
    let (mut client, bg) = Client::<TokioRuntimeProvider>::with_timeout(stream, handle, timeout);
    let bg = tokio::spawn(bg);
    let result = first_response(client.query(name, DNSClass::IN, rtype), timeout).await;
    bg.abort();
    result
}

async fn first_response<F>(response: F, timeout: Duration) -> Result<Message, ProbeError>
where
    F: std::future::Future<Output = Result<DnsResponse, NetError>>,
{
    match tokio::time::timeout(timeout, response).await {
        Err(_) => Err(ProbeError::timeout(Phase::Dns)),
        Ok(Err(e)) => Err(map_net_error(e)),
        Ok(Ok(resp)) => Ok(resp.into_message()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn closed_udp_port_is_refused_not_a_timeout() {
        let port = {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap().port()
        };
        let start = Instant::now();
        let server = SocketAddr::from(([127, 0, 0, 1], port));
        let answer = resolve(server, "ws.eastus2.api.azureml.ms", Duration::from_secs(3)).await;
        assert_eq!(answer.status, DnsStatus::Refused, "{answer:?}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn silent_udp_server_is_a_timeout() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = silent.local_addr().unwrap();
        let answer = resolve(
            server,
            "ws.eastus2.api.azureml.ms",
            Duration::from_millis(300),
        )
        .await;
        assert_eq!(answer.status, DnsStatus::Timeout, "{answer:?}");
    }
}
