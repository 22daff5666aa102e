//! Observations shared by probes, the plan, the findings and the report: resolutions, resolver
//! roles, DNS statuses, probe failures and address classes. The lowest layer: it imports nothing
//! of ours, so `probe`, `plan` and `findings` never need `report`.

use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// What kind of addresses an answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddrClass {
    /// Every address is private.
    Private,
    /// Every address is public.
    Public,
    /// Both private and public addresses.
    Mixed,
    /// No address at all.
    None,
}

/// The status of a DNS resolution, as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsStatus {
    /// NOERROR (possibly with no address: see [`AddrClass::None`]).
    Ok,
    /// The name does not exist.
    Nxdomain,
    /// The server failed (SERVFAIL).
    Servfail,
    /// The server refused (REFUSED / NOTIMP).
    Refused,
    /// No answer in time.
    Timeout,
    /// Transport or protocol error.
    Error,
}

impl DnsStatus {
    /// Short label for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsStatus::Ok => "ok",
            DnsStatus::Nxdomain => "nxdomain",
            DnsStatus::Servfail => "servfail",
            DnsStatus::Refused => "refused",
            DnsStatus::Timeout => "timeout",
            DnsStatus::Error => "error",
        }
    }

    /// Ranks statuses so that merging A and AAAA keeps the most informative one.
    pub(crate) fn rank(self) -> u8 {
        match self {
            DnsStatus::Ok => 5,
            DnsStatus::Nxdomain => 4,
            DnsStatus::Servfail => 3,
            DnsStatus::Refused => 2,
            DnsStatus::Error => 1,
            DnsStatus::Timeout => 0,
        }
    }
}

/// One record of the answer chain (CNAMEs then addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainRecord {
    /// Owner name, without the trailing dot.
    pub name: String,
    /// Record type (`CNAME`, `A`, `AAAA`).
    #[serde(rename = "type")]
    pub rtype: String,
    /// Record data (target name or address).
    pub data: String,
    /// TTL in seconds (0 when the transport does not expose it, e.g. getaddrinfo).
    pub ttl: u32,
}

/// The step of a probe that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Name resolution (including DoH transport).
    Dns,
    /// TCP connect.
    Connect,
    /// TLS handshake or certificate verification.
    Tls,
    /// HTTP exchange.
    Http,
    /// Proxy CONNECT.
    ProxyConnect,
    /// Proxy authentication.
    ProxyAuth,
    /// PAC fetch.
    PacLoad,
    /// PAC evaluation.
    PacEval,
}

impl Phase {
    /// The phase as people name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Dns => "DNS",
            Phase::Connect => "TCP connect",
            Phase::Tls => "TLS",
            Phase::Http => "HTTP",
            Phase::ProxyConnect => "proxy CONNECT",
            Phase::ProxyAuth => "proxy authentication",
            Phase::PacLoad => "PAC load",
            Phase::PacEval => "PAC evaluation",
        }
    }
}

/// How a probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailKind {
    /// No answer within the probe's time.
    Timeout,
    /// The peer refused the connection (TCP RST / ICMP port unreachable).
    Refused,
    /// No route / network unreachable.
    Unreachable,
    /// The peer reset the connection (TCP RST) mid-exchange.
    Reset,
    /// The peer closed the connection (FIN) before the exchange completed.
    Closed,
    /// The peer answered something that does not follow the protocol.
    Protocol,
    /// TLS failure (handshake or certificate).
    Tls,
    /// A non-success status (HTTP status, DNS rcode carried as an error).
    Status,
    /// Refused by the loopback guard (lab / test mode).
    Guard,
    /// The resolver library gave up for now (getaddrinfo `EAI_AGAIN`): no DNS server answered
    /// or one answered SERVFAIL; the library does not say which.
    TryAgain,
    /// Anything else (local I/O error, bad input).
    Other,
}

/// A probe failure: which phase, what kind, and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ProbeError {
    /// The phase that failed.
    pub phase: Phase,
    /// The kind of failure.
    pub kind: FailKind,
    /// Human-readable detail (never matched on).
    pub message: String,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}/{:?}: {}", self.phase, self.kind, self.message)
    }
}

impl ProbeError {
    /// Builds an error.
    pub fn new(phase: Phase, kind: FailKind, message: impl Into<String>) -> Self {
        Self {
            phase,
            kind,
            message: message.into(),
        }
    }

    /// Maps an I/O error to a probe error of the given phase.
    pub fn from_io(phase: Phase, err: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match err.kind() {
            K::TimedOut | K::WouldBlock => FailKind::Timeout,
            K::ConnectionRefused => FailKind::Refused,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => FailKind::Reset,
            K::UnexpectedEof => FailKind::Closed,
            K::NetworkUnreachable | K::HostUnreachable | K::AddrNotAvailable => {
                FailKind::Unreachable
            }
            K::InvalidData => FailKind::Protocol,
            _ => FailKind::Other,
        };
        Self::new(phase, kind, err.to_string())
    }

    /// A timeout in the given phase.
    pub fn timeout(phase: Phase) -> Self {
        Self::new(phase, FailKind::Timeout, "no answer in time")
    }
}

/// Who a resolver is, from the machine's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolverRole {
    /// The OS resolver (getaddrinfo), or a server standing in for it.
    System,
    /// A DNS server the OS is configured to use, asked directly.
    Configured,
    /// A server given with `--dns-server`.
    Custom,
    /// Azure DNS (168.63.129.16) or a resolver inbound endpoint.
    AzureDns,
    /// A DNS-over-HTTPS resolver.
    Doh,
    /// The DoH resolver a browser on this machine is configured with.
    BrowserDoh,
}

impl ResolverRole {
    /// True for resolvers whose answers the machine's applications actually use.
    pub fn is_used_by_machine(self) -> bool {
        matches!(self, ResolverRole::System | ResolverRole::Configured)
    }
}

/// How a resolver is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// The OS's getaddrinfo.
    Getaddrinfo,
    /// Plain DNS over UDP with TCP fallback on truncation.
    Udp,
    /// Plain DNS over TCP.
    Tcp,
    /// DNS over HTTPS (RFC 8484).
    Doh,
}

/// One resolver the diagnosis asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResolverInfo {
    /// Short label for tables (`system`, `corp-dns`, `doh:cloudflare`...).
    pub label: String,
    /// Role.
    pub role: ResolverRole,
    /// Transport.
    pub transport: Transport,
    /// `IP:PORT`, a DoH URL, or `getaddrinfo`.
    pub address: String,
    /// Where the machine's configuration named it (e.g. `resolv.conf`, `link wg0`), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What one resolver answered for one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The name asked.
    pub fqdn: String,
    /// Who was asked.
    pub resolver: ResolverInfo,
    /// Outcome.
    pub status: DnsStatus,
    /// CNAME chain and address records.
    pub chain: Vec<ChainRecord>,
    /// Addresses returned.
    pub addresses: Vec<IpAddr>,
    /// Private / public / mixed / none.
    pub class: AddrClass,
    /// Time until the answer (or the failure).
    pub elapsed_ms: u64,
    /// Failure detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why no answer arrived (transport failures only), as rules read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailKind>,
}
