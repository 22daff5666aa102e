//! Lab DNS servers on loopback: hickory-server's [`Server`] (real UDP and TCP framing) with a
//! handler that answers like a recursive resolver over a [`View`] of zones: it follows CNAMEs
//! across zones, so one server returns the whole chain as a corporate resolver would.

use hickory_proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

/// TTL of lab records.
const TTL: u32 = 300;

/// A set of zones and records, as one resolver sees the world.
#[derive(Debug, Clone, Default)]
pub struct View {
    records: HashMap<(String, RecordType), Vec<Record>>,
    zones: Vec<String>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn dns_name(name: &str) -> Result<Name, String> {
    Name::from_str(&format!("{}.", key(name))).map_err(|e| format!("bad lab name {name}: {e}"))
}

impl View {
    /// An empty view.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a zone this view is authoritative for: missing names in it are NXDOMAIN.
    pub fn zone(&mut self, origin: &str) -> &mut Self {
        let k = key(origin);
        if !self.zones.contains(&k) {
            self.zones.push(k);
        }
        self
    }

    /// Adds `name CNAME target` (a `*.` name is a wildcard).
    pub fn cname(&mut self, name: &str, target: &str) -> &mut Self {
        if let (Ok(n), Ok(t)) = (dns_name(name), dns_name(target)) {
            let rec = Record::from_rdata(n, TTL, RData::CNAME(CNAME(t)));
            self.records
                .insert((key(name), RecordType::CNAME), vec![rec]);
        }
        self
    }

    /// Adds an address record (A or AAAA by the address family).
    pub fn addr(&mut self, name: &str, ip: IpAddr) -> &mut Self {
        if let Ok(n) = dns_name(name) {
            let (rtype, data) = match ip {
                IpAddr::V4(v4) => (RecordType::A, RData::A(A(v4))),
                IpAddr::V6(v6) => (RecordType::AAAA, RData::AAAA(AAAA(v6))),
            };
            self.records
                .entry((key(name), rtype))
                .or_default()
                .push(Record::from_rdata(n, TTL, data));
        }
        self
    }

    /// Removes every record of `name` (used to model a missing record).
    pub fn remove(&mut self, name: &str) -> &mut Self {
        let k = key(name);
        self.records.retain(|(n, _), _| *n != k);
        self
    }

    /// The apex domains (last two labels) of every record and zone: one authoritative zone each
    /// when the view is exported for another DNS server.
    pub fn apexes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .records
            .keys()
            .map(|(n, _)| n.as_str())
            .chain(self.zones.iter().map(String::as_str))
            .map(|n| {
                let labels: Vec<&str> = n.rsplitn(3, '.').collect();
                match labels.as_slice() {
                    [tld, second, ..] => format!("{second}.{tld}"),
                    _ => n.to_string(),
                }
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The view as dnsmasq options (`--host-record`, `--cname`, and `--address=/zone/` so
    /// that missing names in the view's zones and apexes are NXDOMAIN), so dnsmasq can serve
    /// the same answers.
    pub fn dnsmasq_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut keys: Vec<&(String, RecordType)> = self.records.keys().collect();
        keys.sort();
        for k in keys {
            for r in self.records.get(k).into_iter().flatten() {
                match &r.data {
                    RData::CNAME(t) => {
                        out.push(format!("--cname={},{}", k.0, key(&t.0.to_ascii())))
                    }
                    RData::A(a) => out.push(format!("--host-record={},{}", k.0, a.0)),
                    RData::AAAA(a) => out.push(format!("--host-record={},{}", k.0, a.0)),
                    _ => {}
                }
            }
        }
        let mut zones: Vec<String> = self.zones.clone();
        zones.extend(self.apexes());
        zones.sort();
        zones.dedup();
        for z in zones {
            out.push(format!("--address=/{z}/"));
        }
        out
    }

    /// The records under `apex` as an RFC 1035 zone file (with SOA and NS), so a real DNS server
    /// (unbound, BIND...) can serve the same view.
    pub fn zone_text(&self, apex: &str) -> String {
        let apex = key(apex);
        let mut lines = vec![
            format!("$ORIGIN {apex}."),
            format!("@ {TTL} IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 {TTL}"),
            format!("@ {TTL} IN NS ns.lab.test."),
        ];
        let mut records: Vec<&Record> = self
            .records
            .iter()
            .filter(|((n, _), _)| *n == apex || n.ends_with(&format!(".{apex}")))
            .flat_map(|(_, recs)| recs.iter())
            .collect();
        records.sort_by_key(|r| (r.name.to_ascii(), r.record_type()));
        for r in records {
            let data = match &r.data {
                RData::CNAME(t) => t.0.to_ascii(),
                RData::A(a) => a.0.to_string(),
                RData::AAAA(a) => a.0.to_string(),
                _ => continue,
            };
            lines.push(format!(
                "{} {} IN {} {data}",
                r.name.to_ascii(),
                r.ttl,
                r.record_type()
            ));
        }
        lines.push(String::new());
        lines.join("\n")
    }

    /// Records of `name`/`rtype`, trying the exact name then wildcards of its ancestors.
    fn lookup(&self, name: &str, rtype: RecordType) -> Option<Vec<Record>> {
        if let Some(r) = self.records.get(&(name.to_string(), rtype)) {
            return Some(r.clone());
        }
        if self.name_exists(name) {
            return None;
        }
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            let wildcard = format!("*.{parent}");
            if let Some(recs) = self.records.get(&(wildcard, rtype)) {
                // Synthesise records owned by the queried name.
                let owner = dns_name(name).ok()?;
                return Some(
                    recs.iter()
                        .map(|r| Record::from_rdata(owner.clone(), r.ttl, r.data.clone()))
                        .collect(),
                );
            }
            rest = parent;
        }
        None
    }

    fn name_exists(&self, name: &str) -> bool {
        self.records.keys().any(|(n, _)| n == name)
    }

    fn wildcard_exists(&self, name: &str) -> bool {
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            let wildcard = format!("*.{parent}");
            if self.name_exists(&wildcard) {
                return true;
            }
            rest = parent;
        }
        false
    }

    /// Resolves like a recursive resolver: follows CNAMEs (across zones), returns the rcode and
    /// the answer records in order.
    pub fn resolve(&self, qname: &str, qtype: RecordType) -> (ResponseCode, Vec<Record>) {
        let mut name = key(qname);
        let mut answers = Vec::new();
        for _ in 0..16 {
            if let Some(recs) = self.lookup(&name, qtype) {
                answers.extend(recs);
                return (ResponseCode::NoError, answers);
            }
            if qtype != RecordType::CNAME
                && let Some(recs) = self.lookup(&name, RecordType::CNAME)
            {
                let next = recs.iter().find_map(|r| match &r.data {
                    RData::CNAME(t) => Some(key(&t.0.to_ascii())),
                    _ => None,
                });
                answers.extend(recs);
                match next {
                    Some(n) => {
                        name = n;
                        continue;
                    }
                    None => return (ResponseCode::NoError, answers),
                }
            }
            if self.name_exists(&name) || self.wildcard_exists(&name) {
                // NODATA: the name exists with other types.
                return (ResponseCode::NoError, answers);
            }
            return (ResponseCode::NXDomain, answers);
        }
        (ResponseCode::ServFail, answers)
    }
}

/// How a lab server behaves.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// Answer from the view.
    Answer(Arc<View>),
    /// Always SERVFAIL (e.g. a forwarder pointing at an unreachable server).
    Servfail,
    /// Always REFUSED.
    Refused,
    /// Never answer (black hole).
    BlackHole,
}

/// Options of one lab server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// What it answers.
    pub behavior: Behavior,
    /// Delay before every answer.
    pub latency: Duration,
    /// Answer UDP queries with TC set and no records, forcing a TCP retry.
    pub truncate_udp: bool,
}

impl ServerOptions {
    /// Answers from `view` with no latency.
    pub fn answer(view: View) -> Self {
        Self {
            behavior: Behavior::Answer(Arc::new(view)),
            latency: Duration::ZERO,
            truncate_udp: false,
        }
    }
}

/// Query counters of a running lab server.
#[derive(Debug, Default)]
pub struct Counters {
    /// Queries received over UDP.
    pub udp: AtomicU64,
    /// Queries received over TCP.
    pub tcp: AtomicU64,
}

struct Handler {
    options: ServerOptions,
    counters: Arc<Counters>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let counter = if request.protocol() == Protocol::Udp {
            &self.counters.udp
        } else {
            &self.counters.tcp
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.recursion_available = true;
        let info = ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        });
        let view = match &self.options.behavior {
            Behavior::BlackHole => return info,
            Behavior::Servfail => None,
            Behavior::Refused => {
                metadata.response_code = ResponseCode::Refused;
                None
            }
            Behavior::Answer(view) => Some(view),
        };
        if !self.options.latency.is_zero() {
            tokio::time::sleep(self.options.latency).await;
        }
        let builder = MessageResponseBuilder::from_message_request(request);
        let answers = match (view, request.queries.queries().first()) {
            (Some(view), Some(q)) => {
                let (code, answers) = view.resolve(&q.name().to_string(), q.query_type());
                metadata.response_code = code;
                answers
            }
            (None, _) if metadata.response_code == ResponseCode::Refused => Vec::new(),
            (None, _) => {
                metadata.response_code = ResponseCode::ServFail;
                Vec::new()
            }
            (Some(_), None) => {
                metadata.response_code = ResponseCode::FormErr;
                Vec::new()
            }
        };
        let answers = if self.options.truncate_udp && request.protocol() == Protocol::Udp {
            metadata.truncation = true;
            Vec::new()
        } else {
            answers
        };
        let response = builder.build(metadata, answers.iter(), [], [], []);
        response_handle
            .send_response(response)
            .await
            .unwrap_or(info)
    }
}

/// A running lab DNS server (UDP and TCP on the same loopback port). Stops when dropped.
#[derive(Debug)]
pub struct LabDnsServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl LabDnsServer {
    /// Starts a server on `ip` (a loopback address) on a free port.
    pub async fn spawn(ip: IpAddr, options: ServerOptions) -> std::io::Result<Self> {
        Self::spawn_on(SocketAddr::new(ip, 0), options).await
    }

    /// Starts a server on `addr`; port 0 picks a port free for both UDP and TCP.
    pub async fn spawn_on(addr: SocketAddr, options: ServerOptions) -> std::io::Result<Self> {
        let (udp, tcp) = bind_pair(addr).await?;
        let addr = udp.local_addr()?;
        let counters = Arc::new(Counters::default());
        let mut server = Server::new(Handler {
            options,
            counters: counters.clone(),
        });
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(10), 64);
        let task = tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        Ok(Self {
            addr,
            counters,
            task,
        })
    }

    /// The address it listens on (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queries received so far (UDP, TCP).
    pub fn queries(&self) -> (u64, u64) {
        (
            self.counters.udp.load(Ordering::Relaxed),
            self.counters.tcp.load(Ordering::Relaxed),
        )
    }
}

impl Drop for LabDnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn bind_pair(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    if addr.port() != 0 {
        return Ok((UdpSocket::bind(addr).await?, TcpListener::bind(addr).await?));
    }
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(addr).await?;
        let port_addr = udp.local_addr()?;
        match TcpListener::bind(port_addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DnsStatus;
    use crate::probe::dns::{self, Used};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn view() -> View {
        let mut v = View::new();
        v.zone("privatelink.api.azureml.ms")
            .cname(
                "ws.workspace.eastus2.api.azureml.ms",
                "ws.workspace.eastus2.privatelink.api.azureml.ms",
            )
            .addr(
                "ws.workspace.eastus2.privatelink.api.azureml.ms",
                ip("10.0.0.4"),
            )
            .addr("*.eastus2.instances.azureml.ms", ip("10.0.0.4"));
        v
    }

    #[tokio::test]
    async fn answers_chain_over_udp_and_nxdomain_in_zone() {
        let server = LabDnsServer::spawn(ip("127.0.0.1"), ServerOptions::answer(view()))
            .await
            .unwrap();
        let t = Duration::from_secs(2);
        let (ans, used) = dns::query(
            server.addr(),
            "ws.workspace.eastus2.api.azureml.ms",
            RecordType::A,
            t,
        )
        .await
        .unwrap();
        assert_eq!(used, Used::Udp);
        assert_eq!(ans.status, DnsStatus::Ok);
        assert_eq!(ans.addresses, vec![ip("10.0.0.4")]);
        assert_eq!(ans.chain.len(), 2);
        assert_eq!(ans.chain[0].rtype, "CNAME");
        assert_eq!(
            ans.chain[0].data,
            "ws.workspace.eastus2.privatelink.api.azureml.ms"
        );

        let (ans, _) = dns::query(
            server.addr(),
            "other.privatelink.api.azureml.ms",
            RecordType::A,
            t,
        )
        .await
        .unwrap();
        assert_eq!(ans.status, DnsStatus::Nxdomain);

        let (ans, _) = dns::query(
            server.addr(),
            "ci-one.eastus2.instances.azureml.ms",
            RecordType::A,
            t,
        )
        .await
        .unwrap();
        assert_eq!(ans.addresses, vec![ip("10.0.0.4")]);
        // NODATA for AAAA of an existing name.
        let (ans, _) = dns::query(
            server.addr(),
            "ws.workspace.eastus2.api.azureml.ms",
            RecordType::AAAA,
            t,
        )
        .await
        .unwrap();
        assert_eq!(ans.status, DnsStatus::Ok);
        assert!(ans.addresses.is_empty());
        assert_eq!(server.queries().0, 4);
    }

    #[test]
    fn exports_zone_files_per_apex() {
        let v = view();
        assert_eq!(v.apexes(), vec!["azureml.ms".to_string()]);
        let z = v.zone_text("azureml.ms");
        assert!(z.starts_with("$ORIGIN azureml.ms.\n@ 300 IN SOA"));
        assert!(z.contains("ws.workspace.eastus2.api.azureml.ms. 300 IN CNAME ws.workspace.eastus2.privatelink.api.azureml.ms."));
        assert!(z.contains("ws.workspace.eastus2.privatelink.api.azureml.ms. 300 IN A 10.0.0.4"));
    }

    #[tokio::test]
    async fn truncated_udp_falls_back_to_tcp() {
        let mut opts = ServerOptions::answer(view());
        opts.truncate_udp = true;
        let server = LabDnsServer::spawn(ip("127.0.0.1"), opts).await.unwrap();
        let (ans, used) = dns::query(
            server.addr(),
            "ws.workspace.eastus2.api.azureml.ms",
            RecordType::A,
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        assert_eq!(used, Used::Tcp);
        assert_eq!(ans.addresses, vec![ip("10.0.0.4")]);
        assert_eq!(server.queries(), (1, 1));
    }

    #[tokio::test]
    async fn servfail_refused_and_black_hole() {
        let t = Duration::from_millis(300);
        for (behavior, status) in [
            (Behavior::Servfail, DnsStatus::Servfail),
            (Behavior::Refused, DnsStatus::Refused),
            (Behavior::BlackHole, DnsStatus::Timeout),
        ] {
            let opts = ServerOptions {
                behavior,
                latency: Duration::ZERO,
                truncate_udp: false,
            };
            let server = LabDnsServer::spawn(ip("127.0.0.1"), opts).await.unwrap();
            let started = std::time::Instant::now();
            let ans = dns::resolve(server.addr(), "x.api.azureml.ms", t).await;
            assert_eq!(ans.status, status);
            assert!(started.elapsed() < Duration::from_secs(2));
        }
    }
}
