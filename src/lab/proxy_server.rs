//! Lab HTTP CONNECT proxy on loopback, answering as squid 5.7 or tinyproxy 1.11 do (status
//! lines, `X-Squid-Error`, `Via`, `Proxy-Authenticate`, error pages), so the diagnosis can be
//! tested end to end against a proxy that denies, wants credentials, cannot resolve or cannot
//! connect — or one that inspects TLS with a corporate CA.
//!
//! The proxy lives "on the internet side": it resolves CONNECT targets with a lab DNS server
//! (normally the public view) and connects to the resolved address through a [`Dialer`] whose
//! `--connect-to` rules map realistic addresses (20.x, 10.x) to lab endpoints on loopback; the
//! dialer's loopback guard keeps every connection on the machine.
//!
//! Order of checks, as in a typical corporate squid configuration: authentication, then the
//! destination ACL, then name resolution, then the connection to the target.

use super::tls::{LabCa, LabTlsError};
use crate::model::FailKind;
use crate::net::dialer::Dialer;
use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// How long an idle client connection is kept.
const IDLE: Duration = Duration::from_secs(30);

/// Errors building the proxy.
#[derive(Debug, thiserror::Error)]
pub enum ProxyServerError {
    /// A certificate for inspection could not be made.
    #[error(transparent)]
    Tls(#[from] LabTlsError),
    /// rustls refused a configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Which real proxy the lab proxy imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// squid 5.7: HTML error pages with `X-Squid-Error`, `Via`, keep-alive; 407 for missing and
    /// wrong credentials alike.
    Squid,
    /// tinyproxy 1.11: `403 Filtered`, `500 Unable to connect`, `Connection: close`; 407 without
    /// credentials, 401 with wrong ones.
    Tinyproxy,
}

/// Destination ACL on the CONNECT host, with squid `dstdomain` semantics: `.example.com`
/// matches `example.com` and every name under it; `example.com` only itself. Deny entries win
/// over allow entries; a host matching neither gets the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// Allowed domains.
    pub allow: Vec<String>,
    /// Denied domains.
    pub deny: Vec<String>,
    /// Whether a host on neither list is allowed.
    pub default_allow: bool,
}

impl Default for Acl {
    fn default() -> Self {
        Self::allow_all()
    }
}

fn domains(list: &[&str]) -> Vec<String> {
    list.iter().map(|d| d.to_ascii_lowercase()).collect()
}

fn dstdomain_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix('.') {
        Some(base) => host == base || host.ends_with(pattern),
        None => host == pattern,
    }
}

impl Acl {
    /// Everything allowed.
    pub fn allow_all() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            default_allow: true,
        }
    }

    /// Only these domains allowed (an allow-list, default deny).
    pub fn allow_only(allow: &[&str]) -> Self {
        Self {
            allow: domains(allow),
            deny: Vec::new(),
            default_allow: false,
        }
    }

    /// These domains denied, everything else allowed.
    pub fn deny_only(deny: &[&str]) -> Self {
        Self {
            allow: Vec::new(),
            deny: domains(deny),
            default_allow: true,
        }
    }

    /// Whether CONNECT to `host` is allowed.
    pub fn permits(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.deny.iter().any(|d| dstdomain_matches(d, &host)) {
            return false;
        }
        if self.allow.iter().any(|d| dstdomain_matches(d, &host)) {
            return true;
        }
        self.default_allow
    }
}

/// Basic credentials the proxy requires.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyAuth {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Realm of the `Basic` challenge.
    pub realm: String,
    /// Also challenge with `Negotiate` (first), as corporate squids with Kerberos do.
    pub negotiate: bool,
}

impl std::fmt::Debug for ProxyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyAuth")
            .field("user", &self.user)
            .field("realm", &self.realm)
            .field("negotiate", &self.negotiate)
            .finish_non_exhaustive()
    }
}

impl ProxyAuth {
    /// `Basic` with this realm, no `Negotiate`.
    pub fn basic(user: &str, password: &str, realm: &str) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
            realm: realm.into(),
            negotiate: false,
        }
    }

    fn accepts(&self, header: &str) -> bool {
        let Some((scheme, token)) = header.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .is_some_and(|pair| pair == format!("{}:{}", self.user, self.password))
    }
}

/// TLS inspection: after `200`, the proxy terminates the client's TLS with a leaf for the
/// requested host issued by a "corporate" CA, opens its own TLS connection to the origin and
/// relays the decrypted bytes between the two.
pub struct Inspection {
    ca: Arc<LabCa>,
    upstream: Arc<rustls::ClientConfig>,
    leaves: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
}

impl std::fmt::Debug for Inspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspection").finish_non_exhaustive()
    }
}

impl Inspection {
    /// Inspects with leaves issued by `ca`, trusting `upstream_roots` for the origins.
    pub fn new(
        ca: Arc<LabCa>,
        upstream_roots: &[CertificateDer<'static>],
    ) -> Result<Self, ProxyServerError> {
        let mut roots = rustls::RootCertStore::empty();
        for r in upstream_roots {
            roots.add(r.clone())?;
        }
        let mut upstream = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        upstream.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            ca,
            upstream: Arc::new(upstream),
            leaves: Mutex::new(HashMap::new()),
        })
    }

    /// The server configuration presenting a corporate leaf for `host` (cached per host).
    fn leaf_config(&self, host: &str) -> Result<Arc<rustls::ServerConfig>, ProxyServerError> {
        if let Ok(leaves) = self.leaves.lock()
            && let Some(cfg) = leaves.get(host)
        {
            return Ok(cfg.clone());
        }
        let cfg = LabCa::server_config(self.ca.issue(&[host])?, &[b"http/1.1"])?;
        if let Ok(mut leaves) = self.leaves.lock() {
            leaves.insert(host.to_string(), cfg.clone());
        }
        Ok(cfg)
    }
}

/// How the lab proxy behaves.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// Which proxy it imitates.
    pub flavor: Flavor,
    /// Destination ACL (default: allow all).
    pub acl: Acl,
    /// Credentials required, if any.
    pub auth: Option<ProxyAuth>,
    /// The lab DNS server that resolves CONNECT targets (the public view: the proxy lives on
    /// the internet side).
    pub dns: SocketAddr,
    /// Connects to resolved addresses (maps them to loopback, with the loopback guard).
    pub dialer: Arc<Dialer>,
    /// TLS inspection, if any.
    pub inspect: Option<Arc<Inspection>>,
    /// Delay before every answer.
    pub latency: Duration,
    /// Time allowed for resolving and connecting to a target.
    pub upstream_timeout: Duration,
    /// Host name in `Via` and `X-Cache` (squid's `visible_hostname`).
    pub hostname: String,
    /// Product token in `Server` and `Via` (`squid/5.7`, `tinyproxy/1.11.1`).
    pub identity: String,
}

impl ProxyOptions {
    /// A squid 5.7 allowing everything, without auth or inspection.
    pub fn squid(dns: SocketAddr, dialer: Arc<Dialer>) -> Self {
        Self {
            flavor: Flavor::Squid,
            acl: Acl::allow_all(),
            auth: None,
            dns,
            dialer,
            inspect: None,
            latency: Duration::ZERO,
            upstream_timeout: Duration::from_secs(5),
            hostname: "lab-proxy".into(),
            identity: "squid/5.7".into(),
        }
    }

    /// A tinyproxy 1.11.1 allowing everything, without auth.
    pub fn tinyproxy(dns: SocketAddr, dialer: Arc<Dialer>) -> Self {
        Self {
            flavor: Flavor::Tinyproxy,
            identity: "tinyproxy/1.11.1".into(),
            ..Self::squid(dns, dialer)
        }
    }
}

/// What the proxy has seen.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    /// Request heads received (any method).
    pub requests: AtomicU64,
    /// CONNECT requests received.
    pub connects: AtomicU64,
    /// Tunnels opened (answered 200).
    pub tunnels: AtomicU64,
    /// Tunnels whose TLS was terminated with a corporate leaf.
    pub inspected: AtomicU64,
    /// Connection attempts the dialer's loopback guard refused.
    pub guard_refusals: AtomicU64,
    statuses: Mutex<BTreeMap<u16, u64>>,
    targets: Mutex<Vec<String>>,
}

impl ProxyCounters {
    fn status(&self, code: u16) {
        if let Ok(mut s) = self.statuses.lock() {
            *s.entry(code).or_default() += 1;
        }
    }
}

/// A running lab proxy; stops (with its tunnels) when dropped.
#[derive(Debug)]
pub struct ProxyServer {
    addr: SocketAddr,
    counters: Arc<ProxyCounters>,
    task: tokio::task::JoinHandle<()>,
}

impl ProxyServer {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its counters.
    pub fn counters(&self) -> &ProxyCounters {
        &self.counters
    }

    /// CONNECT requests seen so far.
    pub fn connects(&self) -> u64 {
        self.counters.connects.load(Ordering::Relaxed)
    }

    /// Answers sent so far, per status code.
    pub fn statuses(&self) -> BTreeMap<u16, u64> {
        self.counters
            .statuses
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Answers with `status` sent so far.
    pub fn status_count(&self, status: u16) -> u64 {
        self.statuses().get(&status).copied().unwrap_or(0)
    }

    /// The `host:port` of every CONNECT, in order.
    pub fn targets(&self) -> Vec<String> {
        self.counters
            .targets
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the proxy on `listener` (a loopback address).
pub async fn spawn(listener: TcpListener, options: ProxyOptions) -> std::io::Result<ProxyServer> {
    let addr = listener.local_addr()?;
    let counters = Arc::new(ProxyCounters::default());
    let ctx = Arc::new(Ctx {
        options,
        port: addr.port(),
        counters: counters.clone(),
    });
    let task = tokio::spawn(async move {
        // Connections and tunnels live in this set: aborting the accept task ends them all.
        let mut conns = JoinSet::new();
        loop {
            while conns.try_join_next().is_some() {}
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            // As servers do (nginx's tcp_nodelay): answers are not held for the peer's ACK.
            let _ = tcp.set_nodelay(true);
            conns.spawn(serve(ctx.clone(), tcp));
        }
    });
    Ok(ProxyServer {
        addr,
        counters,
        task,
    })
}

struct Ctx {
    options: ProxyOptions,
    port: u16,
    counters: Arc<ProxyCounters>,
}

/// One parsed request head.
#[derive(Debug)]
struct RequestHead {
    method: String,
    target: String,
    proxy_authorization: Option<String>,
}

/// Reads one request head byte by byte (so no tunnel byte is consumed). None at EOF, on
/// error, on an oversized head or when the client stays idle.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(IDLE, stream.read(&mut byte))
            .await
            .ok()?
            .ok()?;
        if n == 0 || head.len() >= MAX_HEAD {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

fn parse_head(raw: &[u8]) -> Option<RequestHead> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split_whitespace();
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return None;
    }
    let proxy_authorization = lines.find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("proxy-authorization")
            .then(|| v.trim().to_string())
    });
    Some(RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        proxy_authorization,
    })
}

/// Splits a CONNECT target `host:port` / `[v6]:port`.
fn split_target(target: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = target.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        (h, after.strip_prefix(':')?)
    } else {
        target.rsplit_once(':')?
    };
    let port: u16 = port.parse().ok()?;
    if host.is_empty() || port == 0 {
        return None;
    }
    Some((host.trim_end_matches('.').to_ascii_lowercase(), port))
}

/// The answers the proxy can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    BadRequest,
    NotConnect,
    AuthMissing,
    AuthWrong,
    Denied,
    CannotResolve,
    ConnectFailed(u32, IpAddr),
}

fn http_date() -> String {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

impl Ctx {
    /// The full answer (head and body) for a refusal.
    fn refusal(&self, r: Refusal, target: &str) -> Vec<u8> {
        match self.options.flavor {
            Flavor::Squid => self.squid_refusal(r, target),
            Flavor::Tinyproxy => self.tinyproxy_refusal(r),
        }
    }

    fn squid_refusal(&self, r: Refusal, target: &str) -> Vec<u8> {
        let o = &self.options;
        let not_retrieved = "The requested URL could not be retrieved";
        let https_url = format!("https://{target}/*");
        let (status, reason, code, errno, heading, title, text, url) = match r {
            Refusal::BadRequest => (
                400,
                "Bad Request",
                "ERR_INVALID_REQ",
                0,
                not_retrieved,
                "Invalid Request".to_string(),
                "Some aspect of the HTTP Request is invalid.".to_string(),
                target.to_string(),
            ),
            Refusal::NotConnect => (
                501,
                "Not Implemented",
                "ERR_UNSUP_REQ",
                0,
                not_retrieved,
                "Unsupported Request Method and Protocol".to_string(),
                "This lab proxy only tunnels CONNECT requests.".to_string(),
                target.to_string(),
            ),
            Refusal::AuthMissing | Refusal::AuthWrong => (
                407,
                "Proxy Authentication Required",
                "ERR_CACHE_ACCESS_DENIED",
                0,
                "Cache Access Denied.",
                "Cache Access Denied.".to_string(),
                format!(
                    "Sorry, you are not currently allowed to request {https_url} from this cache until you have authenticated yourself."
                ),
                https_url,
            ),
            Refusal::Denied => (
                403,
                "Forbidden",
                "ERR_ACCESS_DENIED",
                0,
                not_retrieved,
                "Access Denied.".to_string(),
                "Access control configuration prevents your request from being allowed at this time. Please contact your service provider if you feel this is incorrect.".to_string(),
                https_url,
            ),
            Refusal::CannotResolve => (
                500,
                "Internal Server Error",
                "ERR_CANNOT_FORWARD",
                0,
                not_retrieved,
                "Unable to forward this request at this time.".to_string(),
                "This request could not be forwarded to the origin server or to any parent caches.".to_string(),
                https_url,
            ),
            Refusal::ConnectFailed(errno, ip) => (
                503,
                "Service Unavailable",
                "ERR_CONNECT_FAIL",
                errno,
                not_retrieved,
                format!("Connection to {ip} failed."),
                format!(
                    "The system returned: <i>({errno}) {}</i>",
                    match errno {
                        111 => "Connection refused",
                        110 => "Connection timed out",
                        113 => "No route to host",
                        _ => "Network is unreachable",
                    }
                ),
                target.to_string(),
            ),
        };
        let date = http_date();
        let body = format!(
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n\
             <html><head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
             <title>ERROR: {heading}</title>\n</head><body id={code}>\n\
             <div id=\"titles\">\n<h1>ERROR</h1>\n<h2>{heading}</h2>\n</div>\n<hr>\n\
             <div id=\"content\">\n<p>The following error was encountered while trying to retrieve the URL: \
             <a href=\"{url}\">{url}</a></p>\n<blockquote id=\"error\">\n<p><b>{title}</b></p>\n</blockquote>\n\
             <p>{text}</p>\n</div>\n<hr>\n\
             <div id=\"footer\">\n<p>Generated {date} by {host} ({id})</p>\n<!-- {code} -->\n</div>\n</body></html>\n",
            host = o.hostname,
            id = o.identity,
        );
        let mut head = format!(
            "HTTP/1.1 {status} {reason}\r\nServer: {id}\r\nMime-Version: 1.0\r\nDate: {date}\r\n\
             Content-Type: text/html;charset=utf-8\r\nContent-Length: {len}\r\n\
             X-Squid-Error: {code} {errno}\r\nVary: Accept-Language\r\nContent-Language: en\r\n",
            id = o.identity,
            len = body.len(),
        );
        if status == 407
            && let Some(auth) = &o.auth
        {
            if auth.negotiate {
                head.push_str("Proxy-Authenticate: Negotiate\r\n");
            }
            head.push_str(&format!(
                "Proxy-Authenticate: Basic realm=\"{}\"\r\n",
                auth.realm
            ));
        }
        // squid 5.7 sends forwarding failures without X-Cache, Via or Connection.
        if !Self::ends_connection(r, Flavor::Squid) {
            head.push_str(&format!(
                "X-Cache: MISS from {h}\r\nX-Cache-Lookup: NONE from {h}:{p}\r\nVia: 1.1 {h} ({id})\r\n\
                 Connection: keep-alive\r\n",
                h = o.hostname,
                p = self.port,
                id = o.identity,
            ));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(body.as_bytes());
        out
    }

    /// Whether the connection is closed after this refusal.
    fn ends_connection(r: Refusal, flavor: Flavor) -> bool {
        flavor == Flavor::Tinyproxy
            || matches!(
                r,
                Refusal::BadRequest | Refusal::CannotResolve | Refusal::ConnectFailed(..)
            )
    }

    fn tinyproxy_refusal(&self, r: Refusal) -> Vec<u8> {
        let o = &self.options;
        let realm = o.auth.as_ref().map_or("Tinyproxy", |a| a.realm.as_str());
        let (version, status, reason, header, detail) = match r {
            Refusal::BadRequest | Refusal::NotConnect => (
                "1.1",
                400,
                "Bad Request",
                None,
                "Could not retrieve all the headers from the client.",
            ),
            Refusal::AuthMissing => (
                "1.0",
                407,
                "Proxy Authentication Required",
                Some("Proxy-Authenticate"),
                "This proxy requires authentication.",
            ),
            Refusal::AuthWrong => (
                "1.0",
                401,
                "Unauthorized",
                Some("WWW-Authenticate"),
                "The administrator of this proxy has not configured it to service requests from you.",
            ),
            Refusal::Denied => (
                "1.1",
                403,
                "Filtered",
                None,
                "The request you made has been filtered",
            ),
            Refusal::CannotResolve | Refusal::ConnectFailed(..) => (
                "1.1",
                500,
                "Unable to connect",
                None,
                "Tinyproxy was unable to connect to the remote web server.",
            ),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.1//EN\" \
             \"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd\">\n<html>\n<head><title>{status} {reason}</title></head>\n\
             <body>\n<h1>{reason}</h1>\n<p>{detail}</p>\n<hr />\n<p><em>Generated by {id}.</em></p>\n</body>\n</html>\n",
            id = o.identity.replace('/', " version "),
        );
        let mut head = format!(
            "HTTP/{version} {status} {reason}\r\nServer: {}\r\nContent-Type: text/html\r\n",
            o.identity
        );
        if let Some(h) = header {
            head.push_str(&format!("{h}: Basic realm=\"{realm}\"\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(body.as_bytes());
        out
    }

    fn established(&self) -> Vec<u8> {
        match self.options.flavor {
            Flavor::Squid => b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec(),
            Flavor::Tinyproxy => format!(
                "HTTP/1.0 200 Connection established\r\nProxy-agent: {}\r\n\r\n",
                self.options.identity
            )
            .into_bytes(),
        }
    }

    fn status_of(r: Refusal, flavor: Flavor) -> u16 {
        match (r, flavor) {
            (Refusal::BadRequest, _) => 400,
            (Refusal::NotConnect, Flavor::Squid) => 501,
            (Refusal::NotConnect, Flavor::Tinyproxy) => 400,
            (Refusal::AuthMissing, _) => 407,
            (Refusal::AuthWrong, Flavor::Squid) => 407,
            (Refusal::AuthWrong, Flavor::Tinyproxy) => 401,
            (Refusal::Denied, _) => 403,
            (Refusal::CannotResolve, Flavor::Squid) => 500,
            (Refusal::ConnectFailed(..), Flavor::Squid) => 503,
            (Refusal::CannotResolve | Refusal::ConnectFailed(..), Flavor::Tinyproxy) => 500,
        }
    }

    /// Resolves `host` (an IP literal is used as is) with the lab DNS server.
    async fn resolve(&self, host: &str) -> Vec<IpAddr> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return vec![ip];
        }
        crate::probe::dns::resolve(self.options.dns, host, self.options.upstream_timeout)
            .await
            .addresses
    }

    /// Connects to the first address that answers; on failure, the errno squid reports for
    /// the last address tried.
    async fn connect(&self, addrs: &[IpAddr], port: u16) -> Result<TcpStream, Refusal> {
        let mut failure = Refusal::CannotResolve;
        for ip in addrs {
            match self
                .options
                .dialer
                .connect_tcp(&ip.to_string(), port, self.options.upstream_timeout)
                .await
            {
                Ok((stream, _)) => return Ok(stream),
                Err(e) => {
                    let errno = match e.kind {
                        FailKind::Refused => 111,
                        FailKind::Timeout => 110,
                        FailKind::Guard => {
                            self.counters.guard_refusals.fetch_add(1, Ordering::Relaxed);
                            101
                        }
                        FailKind::Unreachable => 113,
                        _ => 110,
                    };
                    failure = Refusal::ConnectFailed(errno, *ip);
                }
            }
        }
        Err(failure)
    }
}

/// Serves one client connection: requests until a tunnel opens, the client leaves, or (for
/// tinyproxy) after the first refusal.
async fn serve(ctx: Arc<Ctx>, mut client: TcpStream) {
    let c = &ctx.counters;
    while let Some(raw) = read_head(&mut client).await {
        c.requests.fetch_add(1, Ordering::Relaxed);
        if !ctx.options.latency.is_zero() {
            tokio::time::sleep(ctx.options.latency).await;
        }
        let (target, outcome) = match parse_head(&raw) {
            None => (String::new(), Err(Refusal::BadRequest)),
            Some(req) => {
                let outcome = decide(&ctx, &req).await;
                (req.target, outcome)
            }
        };
        match outcome {
            Err(refusal) => {
                c.status(Ctx::status_of(refusal, ctx.options.flavor));
                let answer = ctx.refusal(refusal, &target);
                if client.write_all(&answer).await.is_err() {
                    return;
                }
                if Ctx::ends_connection(refusal, ctx.options.flavor) {
                    let _ = client.shutdown().await;
                    return;
                }
            }
            Ok((upstream, host)) => {
                c.status(200);
                c.tunnels.fetch_add(1, Ordering::Relaxed);
                if client.write_all(&ctx.established()).await.is_err() {
                    return;
                }
                match &ctx.options.inspect {
                    None => {
                        let mut upstream = upstream;
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                    Some(inspect) => {
                        c.inspected.fetch_add(1, Ordering::Relaxed);
                        let _ = relay_inspected(inspect, client, upstream, &host).await;
                    }
                }
                return;
            }
        }
    }
}

/// Applies auth, ACL, resolution and connection; the upstream stream and host on success.
async fn decide(ctx: &Ctx, req: &RequestHead) -> Result<(TcpStream, String), Refusal> {
    if !req.method.eq_ignore_ascii_case("CONNECT") {
        return Err(Refusal::NotConnect);
    }
    ctx.counters.connects.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut t) = ctx.counters.targets.lock() {
        t.push(req.target.clone());
    }
    let (host, port) = split_target(&req.target).ok_or(Refusal::BadRequest)?;
    if let Some(auth) = &ctx.options.auth {
        match &req.proxy_authorization {
            None => return Err(Refusal::AuthMissing),
            Some(h) if !auth.accepts(h) => return Err(Refusal::AuthWrong),
            Some(_) => {}
        }
    }
    if !ctx.options.acl.permits(&host) {
        return Err(Refusal::Denied);
    }
    let addrs = ctx.resolve(&host).await;
    if addrs.is_empty() {
        return Err(Refusal::CannotResolve);
    }
    let stream = ctx.connect(&addrs, port).await?;
    Ok((stream, host))
}

/// Terminates the client's TLS with a corporate leaf for `host` and relays to the origin over
/// a fresh TLS connection.
async fn relay_inspected(
    inspect: &Inspection,
    client: TcpStream,
    upstream: TcpStream,
    host: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let cfg = inspect.leaf_config(host)?;
    let mut client_tls = tokio_rustls::TlsAcceptor::from(cfg).accept(client).await?;
    let name = ServerName::try_from(host.to_string())?;
    let mut origin_tls = tokio_rustls::TlsConnector::from(inspect.upstream.clone())
        .connect(name, upstream)
        .await?;
    tokio::io::copy_bidirectional(&mut client_tls, &mut origin_tls).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::dns_server::{LabDnsServer, ServerOptions, View};
    use crate::lab::https_server::{self, EndpointBehavior, HttpsServer};
    use crate::model::Phase;
    use crate::probe::http::{self, Denial};
    use crate::probe::proxy::{ConnectOutcome, ProxyEndpoint, connect};
    use crate::probe::tls::{TlsOutcome, TrustStores, handshake};
    use std::path::PathBuf;

    const WS: &str = "ws.workspace.eastus2.api.azureml.ms";
    const CI: &str = "ci-one.eastus2.instances.azureml.ms";
    const PUBLIC_IP: &str = "20.60.1.10";
    const T: Duration = Duration::from_secs(3);

    /// The internet side: public DNS, the workspace's public endpoint (403 with the AML body)
    /// behind a realistic address, and a port that refuses.
    struct World {
        dns: LabDnsServer,
        endpoint: HttpsServer,
        public_ca: LabCa,
        dialer: Arc<Dialer>,
        dir: tempfile::TempDir,
    }

    async fn world(behavior: EndpointBehavior) -> World {
        let public_ca = LabCa::new("pe-doctor lab public CA").unwrap();
        let cfg =
            LabCa::server_config(public_ca.issue(&[WS, CI]).unwrap(), &[b"http/1.1"]).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = https_server::spawn(listener, cfg, behavior, Duration::ZERO)
            .await
            .unwrap();
        let mut view = View::new();
        view.zone("privatelink.api.azureml.ms")
            .cname(WS, "ws.workspace.eastus2.privatelink.api.azureml.ms")
            .cname(
                "ws.workspace.eastus2.privatelink.api.azureml.ms",
                "eastus2.workspace.public.example.net",
            )
            .addr(
                "eastus2.workspace.public.example.net",
                PUBLIC_IP.parse().unwrap(),
            )
            .addr("refusing.api.azureml.ms", "20.60.1.11".parse().unwrap())
            .addr("unmapped.api.azureml.ms", "20.60.1.12".parse().unwrap())
            .addr(CI, "20.60.1.10".parse().unwrap());
        let dns = LabDnsServer::spawn([127, 0, 0, 1].into(), ServerOptions::answer(view))
            .await
            .unwrap();
        // A port nobody listens on.
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let rules = vec![
            format!("{PUBLIC_IP}:443=127.0.0.1:{}", endpoint.local_addr().port())
                .parse()
                .unwrap(),
            format!("20.60.1.11:443=127.0.0.1:{closed_port}")
                .parse()
                .unwrap(),
        ];
        World {
            dns,
            endpoint,
            public_ca,
            dialer: Arc::new(Dialer::new(rules, true)),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    impl World {
        fn pem(&self, name: &str, pem: &str) -> PathBuf {
            let p = self.dir.path().join(name);
            std::fs::write(&p, pem).unwrap();
            p
        }

        /// "OS" store: the lab public CA (+ the corporate CA); public store: the lab public CA.
        fn stores(&self, corporate: Option<&LabCa>) -> TrustStores {
            let public = self.pem("public.pem", self.public_ca.ca_pem());
            let mut os = vec![public.clone()];
            if let Some(corp) = corporate {
                os.push(self.pem("corp.pem", corp.ca_pem()));
            }
            TrustStores::from_ca_files(&os, &[public]).unwrap()
        }

        async fn proxy(&self, f: impl FnOnce(&mut ProxyOptions)) -> ProxyServer {
            let mut o = ProxyOptions::squid(self.dns.addr(), self.dialer.clone());
            f(&mut o);
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            spawn(listener, o).await.unwrap()
        }
    }

    fn endpoint(p: &ProxyServer, creds: Option<(&str, &str)>) -> ProxyEndpoint {
        ProxyEndpoint {
            host: "127.0.0.1".into(),
            port: p.local_addr().port(),
            credentials: creds.map(|(u, pw)| (u.into(), pw.into())),
        }
    }

    async fn ask(p: &ProxyServer, creds: Option<(&str, &str)>, host: &str) -> ConnectOutcome {
        let client = Dialer::new(Vec::new(), true);
        connect(&client, &endpoint(p, creds), host, 443, T)
            .await
            .unwrap()
            .1
    }

    async fn through(
        p: &ProxyServer,
        stores: &TrustStores,
    ) -> (ConnectOutcome, TlsOutcome, http::HttpOutcome) {
        let client = Dialer::new(Vec::new(), true);
        let (tcp, outcome) = connect(&client, &endpoint(p, None), WS, 443, T)
            .await
            .unwrap();
        assert_eq!(outcome.status, 200, "{outcome:?}");
        let (tls, tls_outcome) = handshake(tcp, WS, stores, T).await.unwrap();
        let http = http::get(tls, WS, T).await.unwrap();
        (outcome, tls_outcome, http)
    }

    #[tokio::test]
    async fn allowed_connect_tunnels_to_the_public_endpoint_403() {
        let w = world(EndpointBehavior::PrivateLinkDenied { service: "aml" }).await;
        let p = w
            .proxy(|o| o.acl = Acl::allow_only(&[".api.azureml.ms"]))
            .await;
        let stores = w.stores(None);
        let (outcome, tls, http) = through(&p, &stores).await;
        assert_eq!(outcome.status_line, "HTTP/1.1 200 Connection established");
        assert!(outcome.authenticate.is_empty() && outcome.squid_error.is_none());
        assert!(tls.os_trusted && tls.public_trusted && !tls.intercepted());
        assert_eq!(http.status, 403);
        assert_eq!(http.private_link_denied, Some(Denial::Aml));
        assert_eq!(w.endpoint.requests(), 1);
        assert_eq!(w.endpoint.hosts(), vec![WS.to_string()]);
        assert_eq!(p.connects(), 1);
        assert_eq!(p.status_count(200), 1);
        assert_eq!(p.targets(), vec![format!("{WS}:443")]);
        // The proxy resolved the name with the lab DNS server.
        assert!(w.dns.queries().0 >= 1);
    }

    #[tokio::test]
    async fn allowed_connect_to_a_healthy_endpoint_200() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w.proxy(|_| {}).await;
        let stores = w.stores(None);
        let (_, _, http) = through(&p, &stores).await;
        assert_eq!(http.status, 200);
        assert_eq!(http.private_link_denied, None);
    }

    #[tokio::test]
    async fn squid_denies_with_x_squid_error() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w
            .proxy(|o| o.acl = Acl::allow_only(&[".api.azureml.ms"]))
            .await;
        let o = ask(&p, None, CI).await;
        assert_eq!(o.status_line, "HTTP/1.1 403 Forbidden");
        assert_eq!(o.squid_error.as_deref(), Some("ERR_ACCESS_DENIED 0"));
        assert_eq!(o.via.as_deref(), Some("1.1 lab-proxy (squid/5.7)"));
        assert_eq!(o.server.as_deref(), Some("squid/5.7"));
        assert!(o.authenticate.is_empty());
        // A deny-list gives the same answer; nothing reached the endpoint.
        let p2 = w
            .proxy(|o| o.acl = Acl::deny_only(&[".instances.azureml.ms"]))
            .await;
        assert_eq!(ask(&p2, None, CI).await.status, 403);
        assert_eq!(ask(&p2, None, "instances.azureml.ms").await.status, 403);
        assert_eq!(w.endpoint.requests(), 0);
        assert_eq!(p.status_count(403), 1);
        assert_eq!(p2.status_count(403), 2);
    }

    #[tokio::test]
    async fn squid_wants_credentials_with_negotiate_then_basic() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w
            .proxy(|o| {
                o.auth = Some(ProxyAuth {
                    negotiate: true,
                    ..ProxyAuth::basic("alice", "s3cret", "corp proxy")
                })
            })
            .await;
        for creds in [None, Some(("alice", "wrong"))] {
            let o = ask(&p, creds, WS).await;
            assert_eq!(o.status_line, "HTTP/1.1 407 Proxy Authentication Required");
            assert_eq!(
                o.authenticate,
                vec!["Negotiate".to_string(), "Basic realm=\"corp proxy\"".into()]
            );
            assert_eq!(o.squid_error.as_deref(), Some("ERR_CACHE_ACCESS_DENIED 0"));
        }
        let o = ask(&p, Some(("alice", "s3cret")), WS).await;
        assert_eq!(o.status, 200);
        assert_eq!(p.status_count(407), 2);
    }

    #[tokio::test]
    async fn squid_keeps_the_connection_after_407() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w
            .proxy(|o| o.auth = Some(ProxyAuth::basic("alice", "s3cret", "lab")))
            .await;
        let mut s = TcpStream::connect(p.local_addr()).await.unwrap();
        let token = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        s.write_all(format!("CONNECT {WS}:443 HTTP/1.1\r\nHost: {WS}:443\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let first = read_answer(&mut s).await;
        assert!(first.starts_with("HTTP/1.1 407 "), "{first}");
        s.write_all(
            format!(
                "CONNECT {WS}:443 HTTP/1.1\r\nHost: {WS}:443\r\nProxy-Authorization: Basic {token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let second = read_answer(&mut s).await;
        assert_eq!(second, "HTTP/1.1 200 Connection established\r\n\r\n");
    }

    /// Reads one answer: the head, then Content-Length bytes of body.
    async fn read_answer(s: &mut TcpStream) -> String {
        let head = String::from_utf8(read_head(s).await.unwrap()).unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |v| v.trim().parse().unwrap());
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).await.unwrap();
        head
    }

    #[tokio::test]
    async fn tinyproxy_407_without_and_401_with_wrong_credentials() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w
            .proxy(|o| {
                *o = ProxyOptions::tinyproxy(o.dns, o.dialer.clone());
                o.auth = Some(ProxyAuth::basic("alice", "s3cret", "Tinyproxy"));
                o.acl = Acl::allow_only(&[".api.azureml.ms"]);
            })
            .await;
        let o = ask(&p, None, WS).await;
        assert_eq!(o.status_line, "HTTP/1.0 407 Proxy Authentication Required");
        assert_eq!(
            o.authenticate,
            vec!["Basic realm=\"Tinyproxy\"".to_string()]
        );
        assert_eq!(o.server.as_deref(), Some("tinyproxy/1.11.1"));
        assert_eq!(o.squid_error, None);
        let o = ask(&p, Some(("alice", "wrong")), WS).await;
        assert_eq!(o.status_line, "HTTP/1.0 401 Unauthorized");
        assert_eq!(
            o.authenticate,
            vec!["Basic realm=\"Tinyproxy\"".to_string()]
        );
        let o = ask(&p, Some(("alice", "s3cret")), CI).await;
        assert_eq!(o.status_line, "HTTP/1.1 403 Filtered");
        let o = ask(&p, Some(("alice", "s3cret")), "nowhere.api.azureml.ms").await;
        assert_eq!(o.status_line, "HTTP/1.1 500 Unable to connect");
        let o = ask(&p, Some(("alice", "s3cret")), WS).await;
        assert_eq!(o.status_line, "HTTP/1.0 200 Connection established");
        assert_eq!(
            p.statuses(),
            BTreeMap::from([(200, 1), (401, 1), (403, 1), (407, 1), (500, 1)])
        );
    }

    #[tokio::test]
    async fn squid_unresolvable_refused_and_guarded_targets() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w.proxy(|_| {}).await;
        let o = ask(&p, None, "nowhere.api.azureml.ms").await;
        assert_eq!(o.status_line, "HTTP/1.1 500 Internal Server Error");
        assert_eq!(o.squid_error.as_deref(), Some("ERR_CANNOT_FORWARD 0"));
        // As squid 5.7: forwarding failures carry no Via.
        assert_eq!(o.via, None);
        let o = ask(&p, None, "refusing.api.azureml.ms").await;
        assert_eq!(o.status_line, "HTTP/1.1 503 Service Unavailable");
        assert_eq!(o.squid_error.as_deref(), Some("ERR_CONNECT_FAIL 111"));
        assert_eq!(o.via, None);
        // ... and the connection ends after the page.
        let mut s = TcpStream::connect(p.local_addr()).await.unwrap();
        s.write_all(b"CONNECT refusing.api.azureml.ms:443 HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let a = read_answer(&mut s).await;
        assert!(a.contains("X-Squid-Error: ERR_CONNECT_FAIL 111"), "{a}");
        assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0);
        // A public address with no --connect-to rule: the guard keeps it on the machine.
        let o = ask(&p, None, "unmapped.api.azureml.ms").await;
        assert_eq!(o.status, 503);
        assert_eq!(p.counters().guard_refusals.load(Ordering::Relaxed), 1);
        assert_eq!(p.connects(), 4);
        assert_eq!(p.statuses(), BTreeMap::from([(500, 1), (503, 3)]));
    }

    #[tokio::test]
    async fn inspection_presents_the_corporate_ca_and_relays_to_the_origin() {
        let w = world(EndpointBehavior::PrivateLinkDenied { service: "aml" }).await;
        let corp = Arc::new(LabCa::new("Contoso Corporate Inspection CA").unwrap());
        let inspect =
            Arc::new(Inspection::new(corp.clone(), &[w.public_ca.ca_der().clone()]).unwrap());
        let p = w.proxy(|o| o.inspect = Some(inspect)).await;
        let stores = w.stores(Some(&corp));
        let (outcome, tls, http) = through(&p, &stores).await;
        assert_eq!(outcome.status, 200);
        assert!(tls.intercepted(), "{tls:?}");
        assert!(
            tls.issuer.contains("Contoso Corporate Inspection CA"),
            "{}",
            tls.issuer
        );
        assert!(tls.public_error.is_some());
        // The request still reached the origin, decrypted and re-encrypted by the proxy.
        assert_eq!(http.status, 403);
        assert_eq!(http.private_link_denied, Some(Denial::Aml));
        assert_eq!(w.endpoint.requests(), 1);
        assert_eq!(p.counters().inspected.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn latency_garbage_and_stop_on_drop() {
        let w = world(EndpointBehavior::PrivateOk).await;
        let p = w
            .proxy(|o| {
                o.latency = Duration::from_millis(150);
                o.acl = Acl::allow_only(&[])
            })
            .await;
        let o = ask(&p, None, WS).await;
        assert_eq!(o.status, 403);
        assert!(o.elapsed_ms >= 150, "{}", o.elapsed_ms);

        let mut s = TcpStream::connect(p.local_addr()).await.unwrap();
        s.write_all(b"\x16\x03\x01 not http\r\n\r\n").await.unwrap();
        let a = read_answer(&mut s).await;
        assert!(a.starts_with("HTTP/1.1 400 Bad Request"), "{a}");

        let mut s = TcpStream::connect(p.local_addr()).await.unwrap();
        s.write_all(b"CONNECT no-port.example HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let a = read_answer(&mut s).await;
        assert!(a.starts_with("HTTP/1.1 400 Bad Request"), "{a}");
        assert!(a.contains("X-Squid-Error: ERR_INVALID_REQ 0"), "{a}");
        assert_eq!(p.status_count(400), 2);

        let client = Dialer::new(Vec::new(), true);
        let addr = p.local_addr();
        drop(p);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let e = connect(
            &client,
            &ProxyEndpoint::parse(&addr.to_string()).unwrap(),
            WS,
            443,
            T,
        )
        .await
        .unwrap_err();
        assert_eq!((e.phase, e.kind), (Phase::Connect, FailKind::Refused));
    }

    #[test]
    fn dstdomain_semantics() {
        let acl = Acl::allow_only(&[".api.azureml.ms", "exact.example"]);
        assert!(acl.permits("ws.workspace.eastus2.api.azureml.ms"));
        assert!(acl.permits("API.AzureML.ms."));
        assert!(!acl.permits("evilapi.azureml.ms"));
        assert!(acl.permits("exact.example"));
        assert!(!acl.permits("sub.exact.example"));
        let deny = Acl {
            deny: domains(&[".instances.azureml.ms"]),
            ..Acl::allow_only(&[".azureml.ms"])
        };
        assert!(!deny.permits("ci.eastus2.instances.azureml.ms"));
        assert!(deny.permits("ws.api.azureml.ms"));
        assert_eq!(split_target("[::1]:443"), Some(("::1".into(), 443)));
        assert_eq!(
            split_target("Host.Example.:8443"),
            Some(("host.example".into(), 8443))
        );
        assert_eq!(split_target("host"), None);
        assert_eq!(split_target("host:0"), None);
        assert_eq!(split_target("host:99999"), None);
        let auth = ProxyAuth::basic("alice", "s3cret", "r");
        assert!(auth.accepts("Basic YWxpY2U6czNjcmV0"));
        assert!(auth.accepts("basic  YWxpY2U6czNjcmV0 "));
        assert!(!auth.accepts("Basic !!!"));
        assert!(!auth.accepts("Negotiate YWxpY2U6czNjcmV0"));
        assert!(!format!("{auth:?}").contains("s3cret"));
    }
}
