//! Interop: pe-doctor's CONNECT client against proxies it did not write. Real squid and
//! tinyproxy from the distribution run on 127.0.0.1 with generated configurations (allow-lists,
//! Basic auth), resolve names only through a pe-doctor lab DNS server on 127.0.0.1:53, and tunnel
//! to a lab HTTPS endpoint playing the workspace's public endpoint (403 with the AML body). Each
//! case is also asked of the lab proxy imitating the same daemon, and both must answer alike:
//! that is what keeps the lab honest. Then the whole diagnosis runs through the real daemons
//! (the pe-doctor binary with `--proxy`, its JSON report checked finding by finding), with the
//! workspace endpoint on 127.0.0.1:443, where pe-doctor's CONNECT requests lead.
//!
//! `#[ignore]`d where the daemons cannot run; `.ci/test` with PE_DOCTOR_INTEROP=1 (as `.ci/run`
//! sets it, after installing squid and tinyproxy, running as root inside `unshare -n`, where
//! 127.0.0.1:53 and :443 are free) runs them, and then a missing daemon or a busy port 53 or
//! 443 is a failure.

use super::support::{self, finding_ids};
use pe_doctor::lab::dns_server::{LabDnsServer, ServerOptions, View};
use pe_doctor::lab::https_server::{self, EndpointBehavior, HttpsServer};
use pe_doctor::lab::proxy_server::{self, Acl, ProxyAuth, ProxyOptions, ProxyServer};
use pe_doctor::lab::tls::LabCa;
use pe_doctor::lab::world;
use pe_doctor::net::dialer::Dialer;
use pe_doctor::probe::http;
use pe_doctor::probe::proxy::{ConnectOutcome, ProxyEndpoint, connect};
use pe_doctor::probe::tls::{TrustStores, handshake};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Tests that bind 127.0.0.1:53 (squid's `dns_nameservers` takes no port) or 127.0.0.1:443
/// (pe-doctor's CONNECT always names port 443) run one at a time.
static LOW_PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const WS: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.api.azureml.ms";
const CI: &str = "ci-one.eastus2.instances.azureml.ms";
const REFUSING: &str = "refusing.api.azureml.ms";
const NOWHERE: &str = "nowhere.api.azureml.ms";
const T: Duration = Duration::from_secs(10);
const USER: &str = "alice";
const PASSWORD: &str = "s3cret";
/// The CONNECT-level tinyproxy filter: 127.0.0.1 and the API zone.
const TINYPROXY_ALLOW: &[&str] = &["^127\\.0\\.0\\.1$", "\\.api\\.azureml\\.ms$"];

/// A daemon started by a test, stopped by its PID on drop (SIGTERM, then SIGKILL).
struct Daemon {
    name: &'static str,
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn endpoint(&self, creds: Option<(&str, &str)>) -> ProxyEndpoint {
        ProxyEndpoint {
            host: "127.0.0.1".into(),
            port: self.port,
            credentials: creds.map(|(u, p)| (u.into(), p.into())),
        }
    }

    fn log(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Gives the temp dir to the account the daemon drops to (when running as root).
fn chown(dir: &Path, owner: &str) {
    let _ = Command::new("chown")
        .arg("-R")
        .arg(owner)
        .arg(dir)
        .stderr(Stdio::null())
        .status();
}

/// Starts `program args` and waits until it accepts TCP on `port`.
async fn start(
    name: &'static str,
    program: &str,
    args: &[&str],
    dir: tempfile::TempDir,
    port: u16,
    log: &str,
) -> Daemon {
    let out = std::fs::File::create(dir.path().join(format!("{name}.stderr"))).unwrap();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is not installed (apt-get install {name}): {e}"));
    let mut d = Daemon {
        name,
        child,
        dir,
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return d;
        }
        let exited = d.child.try_wait().unwrap();
        if exited.is_some() || Instant::now() > deadline {
            panic!(
                "{} did not start on 127.0.0.1:{port} ({exited:?}):\n{}\n{}",
                d.name,
                d.log(&format!("{name}.stderr")),
                d.log(log)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// squid 5 on 127.0.0.1 resolving only through 127.0.0.1:53; `auth` adds Negotiate (a helper
/// that is never asked: pe-doctor sends Basic only) and Basic via `basic_ncsa_auth`. CONNECT is
/// refused to the `deny` domains, allowed to the `allow` domains, refused to the rest.
async fn squid(auth: bool, allow: &[&str], deny: &[&str]) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let port = free_port();
    let mut conf = format!(
        "http_port 127.0.0.1:{port}\nvisible_hostname lab-proxy\n\
         dns_nameservers 127.0.0.1\nhosts_file none\n\
         pid_filename {d}/squid.pid\ncache_log {d}/cache.log\ncoredump_dir {d}\n\
         access_log none\ncache_store_log none\ncache deny all\n\
         pinger_enable off\nnetdb_filename none\nicp_port 0\nhtcp_port 0\n\
         shutdown_lifetime 0 seconds\nconnect_timeout 5 seconds\ndns_timeout 5 seconds\n\
         cache_effective_user proxy\nacl allowed dstdomain {}\n",
        allow.join(" ")
    );
    if !deny.is_empty() {
        conf.push_str(&format!("acl denied dstdomain {}\n", deny.join(" ")));
    }
    if auth {
        let hash = Command::new("openssl")
            .args(["passwd", "-apr1", PASSWORD])
            .output()
            .expect("openssl is installed");
        assert!(hash.status.success());
        let line = format!("{USER}:{}", String::from_utf8(hash.stdout).unwrap().trim());
        std::fs::write(dir.path().join("htpasswd"), line + "\n").unwrap();
        conf.push_str(&format!(
            "auth_param negotiate program /usr/lib/squid/negotiate_wrapper_auth \
             --ntlm /usr/lib/squid/ntlm_fake_auth \
             --kerberos /usr/lib/squid/negotiate_kerberos_auth -s GSS_C_NO_NAME\n\
             auth_param negotiate children 1\n\
             auth_param basic program /usr/lib/squid/basic_ncsa_auth {d}/htpasswd\n\
             auth_param basic children 1\nauth_param basic realm pe-doctor lab\n\
             acl authed proxy_auth REQUIRED\nhttp_access deny !authed\n"
        ));
    }
    if !deny.is_empty() {
        conf.push_str("http_access deny denied\n");
    }
    conf.push_str("http_access allow allowed\nhttp_access deny all\n");
    let conf_path = dir.path().join("squid.conf");
    std::fs::write(&conf_path, conf).unwrap();
    chown(dir.path(), "proxy:proxy");
    let conf_arg = conf_path.display().to_string();
    let parse = Command::new("squid")
        .args(["-k", "parse", "-f", &conf_arg])
        .output()
        .unwrap_or_else(|e| panic!("squid is not installed (apt-get install squid): {e}"));
    assert!(
        parse.status.success(),
        "squid -k parse: {}",
        String::from_utf8_lossy(&parse.stderr)
    );
    start(
        "squid",
        "squid",
        &["-N", "-f", &conf_arg],
        dir,
        port,
        "cache.log",
    )
    .await
}

/// tinyproxy 1.11 on 127.0.0.1 with a default-deny filter allowing the hosts matching `allow`
/// (extended regular expressions), optionally with Basic auth.
async fn tinyproxy(auth: bool, allow: &[&str]) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let port = free_port();
    let filter: String = allow.iter().map(|p| format!("{p}\n")).collect();
    std::fs::write(dir.path().join("filter"), filter).unwrap();
    let mut conf = format!(
        "User nobody\nGroup nogroup\nPort {port}\nListen 127.0.0.1\nTimeout 30\n\
         LogFile \"{d}/tinyproxy.log\"\nLogLevel Info\nMaxClients 10\n\
         Filter \"{d}/filter\"\nFilterType ere\nFilterDefaultDeny Yes\n"
    );
    if auth {
        conf.push_str(&format!("BasicAuth {USER} {PASSWORD}\n"));
    }
    let conf_path = dir.path().join("tinyproxy.conf");
    std::fs::write(&conf_path, conf).unwrap();
    chown(dir.path(), "nobody:nogroup");
    let conf_arg = conf_path.display().to_string();
    start(
        "tinyproxy",
        "tinyproxy",
        &["-d", "-c", &conf_arg],
        dir,
        port,
        "tinyproxy.log",
    )
    .await
}

/// Binds a privileged loopback port. The previous test's server closes its sockets when that
/// test's runtime ends, which can be just after the port lock was handed over: retry briefly.
async fn bind_low<T, F, Fut>(addr: &str, mut bind: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match bind().await {
            Ok(bound) => return bound,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!(
                "the lab needs {addr} ({e}): run as root inside \
                 `unshare -n sh -c 'ip link set lo up; ...'`"
            ),
        }
    }
}

/// The lab DNS server on 127.0.0.1:53, where squid looks names up.
async fn dns_on_53(view: View) -> LabDnsServer {
    let addr: SocketAddr = "127.0.0.1:53".parse().unwrap();
    bind_low("127.0.0.1:53", || {
        LabDnsServer::spawn_on(addr, ServerOptions::answer(view.clone()))
    })
    .await
}

/// The internet side both proxies see: the public DNS view on 127.0.0.1:53 (names resolve to
/// 127.0.0.1, since the real daemons connect to what they resolve) and the workspace's public
/// endpoint answering 403 with the AML private-link body.
struct World {
    _dns: Option<LabDnsServer>,
    endpoint: HttpsServer,
    stores: TrustStores,
    closed_port: u16,
    _dir: tempfile::TempDir,
}

async fn world(with_dns: bool) -> World {
    let dns = if with_dns {
        let mut view = View::new();
        view.zone("api.azureml.ms")
            .zone("privatelink.api.azureml.ms")
            .cname(
                WS,
                "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.privatelink.api.azureml.ms",
            )
            .cname(
                "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.privatelink.api.azureml.ms",
                "eastus2.workspace.public.lab.test",
            )
            .addr("eastus2.workspace.public.lab.test", [127, 0, 0, 1].into())
            .addr(CI, [127, 0, 0, 1].into())
            .addr(REFUSING, [127, 0, 0, 1].into());
        Some(dns_on_53(view).await)
    } else {
        None
    };
    let ca = LabCa::new("pe-doctor lab public CA").unwrap();
    let cfg = LabCa::server_config(ca.issue(&[WS]).unwrap(), &[b"http/1.1"]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = https_server::spawn(
        listener,
        cfg,
        EndpointBehavior::PrivateLinkDenied { service: "aml" },
        Duration::ZERO,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file: PathBuf = dir.path().join("lab-ca.pem");
    std::fs::write(&ca_file, ca.ca_pem()).unwrap();
    let stores = TrustStores::from_ca_files(
        std::slice::from_ref(&ca_file),
        std::slice::from_ref(&ca_file),
    )
    .unwrap();
    World {
        _dns: dns,
        endpoint,
        stores,
        closed_port: free_port(),
        _dir: dir,
    }
}

impl World {
    fn https_port(&self) -> u16 {
        self.endpoint.local_addr().port()
    }

    /// The lab proxy imitating a daemon, resolving with the same DNS server.
    async fn lab_proxy(&self, f: impl FnOnce(&mut ProxyOptions)) -> (ProxyServer, u16) {
        let mut o = ProxyOptions::squid(
            "127.0.0.1:53".parse().unwrap(),
            Arc::new(Dialer::new(Vec::new(), true)),
        );
        f(&mut o);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let p = proxy_server::spawn(listener, o).await.unwrap();
        let port = p.local_addr().port();
        (p, port)
    }
}

fn proxy_at(port: u16, creds: Option<(&str, &str)>) -> ProxyEndpoint {
    ProxyEndpoint {
        host: "127.0.0.1".into(),
        port,
        credentials: creds.map(|(u, p)| (u.into(), p.into())),
    }
}

async fn ask(proxy: &ProxyEndpoint, host: &str, port: u16) -> ConnectOutcome {
    let dialer = Dialer::new(Vec::new(), true);
    connect(&dialer, proxy, host, port, T)
        .await
        .unwrap_or_else(|e| panic!("CONNECT {host}:{port} via {}: {e}", proxy.display()))
        .1
}

/// CONNECT, then TLS to the workspace name and one GET: the public endpoint's 403 must come
/// back through the tunnel.
async fn tunnel_reaches_public_endpoint(w: &World, proxy: &ProxyEndpoint, host: &str) {
    let dialer = Dialer::new(Vec::new(), true);
    let (tcp, outcome) = connect(&dialer, proxy, host, w.https_port(), T)
        .await
        .unwrap();
    assert_eq!(outcome.status, 200, "{outcome:?}");
    let (tls, tls_outcome) = handshake(tcp, WS, &w.stores, T).await.unwrap();
    assert!(
        tls_outcome.os_trusted && !tls_outcome.intercepted(),
        "{tls_outcome:?}"
    );
    let got = http::get(tls, WS, T).await.unwrap();
    assert_eq!(got.status, 403);
    assert_eq!(got.private_link_denied, Some(http::Denial::Aml));
}

/// What must agree between a real daemon and the lab proxy imitating it.
type Shape = (
    String,
    Option<String>,
    Vec<String>,
    Option<String>,
    Option<String>,
);

fn shape(o: &ConnectOutcome) -> Shape {
    (
        o.status_line.clone(),
        o.squid_error.clone(),
        o.authenticate.clone(),
        o.server.clone(),
        o.via.clone(),
    )
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn squid_allow_list_tunnels_denies_and_fails_as_the_lab_proxy_does() {
    let _ports = LOW_PORTS.lock().await;
    let w = world(true).await;
    let squid = squid(false, &[".api.azureml.ms"], &[".instances.azureml.ms"]).await;
    let (lab, lab_port) = w
        .lab_proxy(|o| {
            o.acl = Acl {
                deny: vec![".instances.azureml.ms".into()],
                ..Acl::allow_only(&[".api.azureml.ms"])
            }
        })
        .await;
    let real = squid.endpoint(None);
    let imitation = proxy_at(lab_port, None);

    // Allowed: 200, then TLS through the tunnel to the public endpoint's 403.
    tunnel_reaches_public_endpoint(&w, &real, WS).await;
    tunnel_reaches_public_endpoint(&w, &imitation, WS).await;
    assert_eq!(w.endpoint.requests(), 2);

    let cases: [(&str, u16, &str, Option<&str>); 3] = [
        (
            CI,
            443,
            "HTTP/1.1 403 Forbidden",
            Some("ERR_ACCESS_DENIED 0"),
        ),
        (
            NOWHERE,
            443,
            "HTTP/1.1 500 Internal Server Error",
            Some("ERR_CANNOT_FORWARD 0"),
        ),
        (
            REFUSING,
            w.closed_port,
            "HTTP/1.1 503 Service Unavailable",
            Some("ERR_CONNECT_FAIL 111"),
        ),
    ];
    for (host, port, status_line, squid_error) in cases {
        let o = ask(&real, host, port).await;
        assert_eq!(
            (o.status_line.as_str(), o.squid_error.as_deref()),
            (status_line, squid_error),
            "squid, CONNECT {host}:{port}: {o:?}\n{}",
            squid.log("cache.log")
        );
        // squid 5.7 adds Via to policy answers, not to forwarding failures.
        let via = (o.status == 403).then_some("1.1 lab-proxy (squid/5.7)");
        assert_eq!(o.via.as_deref(), via, "{host}: {o:?}");
        assert_eq!(o.server.as_deref(), Some("squid/5.7"));
        let l = ask(&imitation, host, port).await;
        assert_eq!(
            shape(&l),
            shape(&o),
            "lab proxy vs squid, CONNECT {host}:{port}"
        );
        assert_eq!(l.via, o.via);
    }
    assert_eq!(lab.statuses().values().sum::<u64>(), 4);
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn squid_basic_auth_407_as_the_lab_proxy_does() {
    let _ports = LOW_PORTS.lock().await;
    let w = world(true).await;
    let squid = squid(true, &[".api.azureml.ms"], &[".instances.azureml.ms"]).await;
    let (_lab, lab_port) = w
        .lab_proxy(|o| {
            o.acl = Acl {
                deny: vec![".instances.azureml.ms".into()],
                ..Acl::allow_only(&[".api.azureml.ms"])
            };
            o.auth = Some(ProxyAuth {
                negotiate: true,
                ..ProxyAuth::basic(USER, PASSWORD, "pe-doctor lab")
            });
        })
        .await;
    for creds in [None, Some((USER, "wrong"))] {
        let o = ask(&squid.endpoint(creds), WS, w.https_port()).await;
        assert_eq!(o.status_line, "HTTP/1.1 407 Proxy Authentication Required");
        assert_eq!(o.squid_error.as_deref(), Some("ERR_CACHE_ACCESS_DENIED 0"));
        assert_eq!(
            o.authenticate,
            vec![
                "Negotiate".to_string(),
                "Basic realm=\"pe-doctor lab\"".to_string()
            ],
            "{}",
            squid.log("cache.log")
        );
        let l = ask(&proxy_at(lab_port, creds), WS, w.https_port()).await;
        assert_eq!(
            shape(&l),
            shape(&o),
            "lab proxy vs squid, credentials {creds:?}"
        );
    }
    // The right credentials pass the helper; the ACL still applies after authentication.
    let good = Some((USER, PASSWORD));
    tunnel_reaches_public_endpoint(&w, &squid.endpoint(good), WS).await;
    tunnel_reaches_public_endpoint(&w, &proxy_at(lab_port, good), WS).await;
    let o = ask(&squid.endpoint(good), CI, 443).await;
    assert_eq!(o.squid_error.as_deref(), Some("ERR_ACCESS_DENIED 0"));
    let l = ask(&proxy_at(lab_port, good), CI, 443).await;
    assert_eq!(shape(&l), shape(&o));
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn tinyproxy_filter_as_the_lab_proxy_does() {
    // tinyproxy resolves with the system resolver: every case here avoids a lookup (IP
    // literals, or names refused by the filter before any resolution).
    let w = world(false).await;
    let tp = tinyproxy(false, TINYPROXY_ALLOW).await;
    let (_lab, lab_port) = w
        .lab_proxy(|o| {
            *o = ProxyOptions::tinyproxy(o.dns, o.dialer.clone());
            o.acl = Acl::allow_only(&["127.0.0.1", ".api.azureml.ms"]);
        })
        .await;
    let real = tp.endpoint(None);
    let imitation = proxy_at(lab_port, None);
    tunnel_reaches_public_endpoint(&w, &real, "127.0.0.1").await;
    tunnel_reaches_public_endpoint(&w, &imitation, "127.0.0.1").await;
    let o = ask(&real, "127.0.0.1", w.https_port()).await;
    let l = ask(&imitation, "127.0.0.1", w.https_port()).await;
    assert_eq!(o.status_line, "HTTP/1.0 200 Connection established");
    assert_eq!(shape(&l), shape(&o));

    let cases = [
        (CI, 443, "HTTP/1.1 403 Filtered"),
        ("127.0.0.1", w.closed_port, "HTTP/1.1 500 Unable to connect"),
    ];
    for (host, port, status_line) in cases {
        let o = ask(&real, host, port).await;
        assert_eq!(
            o.status_line,
            status_line,
            "tinyproxy, CONNECT {host}:{port}\n{}",
            tp.log("tinyproxy.log")
        );
        assert_eq!(o.server.as_deref(), Some("tinyproxy/1.11.1"));
        assert_eq!(o.squid_error, None);
        let l = ask(&imitation, host, port).await;
        assert_eq!(
            shape(&l),
            shape(&o),
            "lab proxy vs tinyproxy, CONNECT {host}:{port}"
        );
    }
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn tinyproxy_basic_auth_407_then_401_as_the_lab_proxy_does() {
    let w = world(false).await;
    let tp = tinyproxy(true, TINYPROXY_ALLOW).await;
    let (_lab, lab_port) = w
        .lab_proxy(|o| {
            *o = ProxyOptions::tinyproxy(o.dns, o.dialer.clone());
            o.acl = Acl::allow_only(&["127.0.0.1", ".api.azureml.ms"]);
            o.auth = Some(ProxyAuth::basic(USER, PASSWORD, "Tinyproxy"));
        })
        .await;
    let port = w.https_port();
    let o = ask(&tp.endpoint(None), "127.0.0.1", port).await;
    assert_eq!(o.status_line, "HTTP/1.0 407 Proxy Authentication Required");
    assert_eq!(
        o.authenticate,
        vec!["Basic realm=\"Tinyproxy\"".to_string()]
    );
    assert_eq!(
        shape(&ask(&proxy_at(lab_port, None), "127.0.0.1", port).await),
        shape(&o)
    );
    let wrong = Some((USER, "wrong"));
    let o = ask(&tp.endpoint(wrong), "127.0.0.1", port).await;
    assert_eq!(o.status_line, "HTTP/1.0 401 Unauthorized");
    assert_eq!(
        o.authenticate,
        vec!["Basic realm=\"Tinyproxy\"".to_string()]
    );
    assert_eq!(
        shape(&ask(&proxy_at(lab_port, wrong), "127.0.0.1", port).await),
        shape(&o)
    );
    let good = Some((USER, PASSWORD));
    tunnel_reaches_public_endpoint(&w, &tp.endpoint(good), "127.0.0.1").await;
    tunnel_reaches_public_endpoint(&w, &proxy_at(lab_port, good), "127.0.0.1").await;
}

// ---------------------------------------------------------------------------------------------
// The full diagnosis (`pe-doctor diagnose --proxy ... --format json`) through the real daemons:
// the finding ids and their evidence must be what the real proxies' answers imply.
// ---------------------------------------------------------------------------------------------

/// Every zone the lab workspace's names live in, as squid `dstdomain` values.
const ALL_ZONES: &[&str] = &[
    ".api.azureml.ms",
    ".notebooks.azure.net",
    ".instances.azureml.ms",
    ".instances.ml.azure.ms",
];
/// Wall-clock bound of one pe-doctor run (its own deadline is `--timeout 8s`).
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The lab workspace's names (`--workspace-name` and `--instance` included).
fn lab_names() -> Vec<String> {
    // The names `diagnose` derives from the flags these tests pass (workspace, notebooks and the
    // compute instance; no storage account or inference endpoint).
    world::targets()
        .into_iter()
        .filter(|t| {
            !matches!(
                t.kind,
                pe_doctor::targets::TargetKind::StorageBlob
                    | pe_doctor::targets::TargetKind::StorageFile
                    | pe_doctor::targets::TargetKind::Inference
            )
        })
        .map(|t| t.fqdn)
        .collect()
}

/// Every lab name → 127.0.0.1 (`names == false`: the zones exist, the names do not).
fn loopback_view(names: bool) -> View {
    let mut v = View::new();
    for zone in ALL_ZONES {
        v.zone(zone.trim_start_matches('.'));
    }
    if names {
        for n in lab_names() {
            v.addr(&n, [127, 0, 0, 1].into());
        }
    }
    v
}

/// What squid finds on 127.0.0.1:53.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProxyDns {
    /// Nothing listens there (the proxy under test never resolves).
    Absent,
    /// The lab names resolve to 127.0.0.1; pe-doctor asks the same server.
    Resolving,
    /// The zones exist but hold no record of the lab names (NXDOMAIN); pe-doctor asks its own
    /// server, which resolves them, as a machine whose DNS is right behind a proxy whose is not.
    Missing,
}

/// A diagnosis site: DNS for pe-doctor (and for squid on :53), the workspace endpoint on
/// 127.0.0.1:443 with a certificate from a lab CA, that CA in a PEM file (given as both
/// `--ca-file` and `--public-roots`, so the certificate is not taken for interception) and a hosts
/// file naming only localhost.
struct Site {
    resolver: SocketAddr,
    /// The servers (squid's on 127.0.0.1:53 first, when there is one).
    dns: Vec<LabDnsServer>,
    endpoint: Option<HttpsServer>,
    dir: tempfile::TempDir,
}

/// The outcome of one `pe-doctor diagnose` run.
struct Diagnosis {
    code: Option<i32>,
    report: serde_json::Value,
    stdout: String,
}

async fn site(proxy_dns: ProxyDns, endpoint: Option<EndpointBehavior>) -> Site {
    let mut dns = Vec::new();
    let resolver = match proxy_dns {
        ProxyDns::Resolving => {
            let s = dns_on_53(loopback_view(true)).await;
            let addr = s.addr();
            dns.push(s);
            addr
        }
        ProxyDns::Absent | ProxyDns::Missing => {
            if proxy_dns == ProxyDns::Missing {
                dns.push(dns_on_53(loopback_view(false)).await);
            }
            let s = LabDnsServer::spawn(
                [127, 0, 0, 1].into(),
                ServerOptions::answer(loopback_view(true)),
            )
            .await
            .unwrap();
            let addr = s.addr();
            dns.push(s);
            addr
        }
    };
    let ca = LabCa::new("pe-doctor interop public CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab-ca.pem"), ca.ca_pem()).unwrap();
    std::fs::write(dir.path().join("hosts"), "127.0.0.1 localhost\n").unwrap();
    let endpoint = match endpoint {
        Some(behavior) => {
            let names = lab_names();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let cfg = LabCa::server_config(ca.issue(&names).unwrap(), &[b"http/1.1"]).unwrap();
            let listener = bind_low("127.0.0.1:443", || TcpListener::bind("127.0.0.1:443")).await;
            Some(
                https_server::spawn(listener, cfg, behavior, Duration::ZERO)
                    .await
                    .unwrap(),
            )
        }
        None => None,
    };
    Site {
        resolver,
        dns,
        endpoint,
        dir,
    }
}

impl Site {
    fn endpoint(&self) -> &HttpsServer {
        self.endpoint.as_ref().unwrap()
    }

    /// Runs the real binary through `proxy` (a URL), bounded by [`RUN_LIMIT`].
    async fn diagnose(&self, proxy: &str, extra: &[&str]) -> Diagnosis {
        let pem = self.dir.path().join("lab-ca.pem").display().to_string();
        let resolver = self.resolver.to_string();
        let args: Vec<String> = [
            "diagnose",
            "--workspace-id",
            world::WORKSPACE_ID,
            "--region",
            world::REGION,
            "--workspace-name",
            world::WORKSPACE_NAME,
            "--instance",
            world::INSTANCE,
            "--system-resolver",
            &resolver,
            "--azure-dns",
            &resolver,
            "--no-doh",
            "--no-host-dns",
            "--loopback-only",
            "--hosts-file",
            &self.dir.path().join("hosts").display().to_string(),
            "--timeout",
            "8s",
            "--proxy",
            proxy,
            "--ca-file",
            &pem,
            "--public-roots",
            &pem,
            "--format",
            "json",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
        tokio::task::spawn_blocking(move || run_bounded(&args))
            .await
            .unwrap()
    }
}

/// Runs pe-doctor (output to files, so a large report cannot block it) and kills it by its PID
/// past [`RUN_LIMIT`].
fn run_bounded(args: &[String]) -> Diagnosis {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = Command::new(support::bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pe-doctor ran longer than {RUN_LIMIT:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}",
            std::fs::read_to_string(&err).unwrap_or_default()
        )
    });
    Diagnosis {
        code: status.code(),
        report,
        stdout,
    }
}

impl Diagnosis {
    fn ids(&self) -> Vec<String> {
        finding_ids(&self.report)
    }

    /// The only finding, which must have this id; its subject and evidence.
    fn only(&self, id: &str) -> (String, Vec<String>) {
        assert_eq!(self.ids(), vec![id.to_string()], "{:#}", self.report);
        assert_eq!(self.code, Some(1), "{:#}", self.report["findings"]);
        assert_eq!(self.report["verdict"], "problems");
        let f = &self.report["findings"][0];
        let evidence = f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect();
        (f["subject"].as_str().unwrap().to_string(), evidence)
    }

    /// The connection record for `fqdn` (one per name through a proxy).
    fn connection(&self, fqdn: &str) -> &serde_json::Value {
        let found: Vec<_> = self.report["connections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["fqdn"] == fqdn)
            .collect();
        assert_eq!(found.len(), 1, "{fqdn}: {:#}", self.report["connections"]);
        found[0]
    }
}

/// The evidence is one `CONNECT <name>:443 → <answer>` line per name in `names`.
fn assert_evidence(evidence: &[String], names: &[String], answer: &str) {
    let mut want: Vec<String> = names
        .iter()
        .map(|n| format!("CONNECT {n}:443 → {answer}"))
        .collect();
    want.sort();
    let mut got = evidence.to_vec();
    got.sort();
    assert_eq!(got, want);
}

/// The names a proxy finding's evidence lines speak of (`CONNECT <name>:443 ...`), sorted.
fn connect_names(evidence: &[String]) -> Vec<String> {
    let mut names: Vec<String> = evidence
        .iter()
        .map(|e| {
            e.strip_prefix("CONNECT ")
                .and_then(|r| r.split_once(":443 "))
                .unwrap_or_else(|| panic!("not a CONNECT evidence line: {e}"))
                .0
                .to_string()
        })
        .collect();
    names.sort();
    names
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every lab name was sent through `proxy_port`, each route names the proxy without credentials.
fn assert_all_through(d: &Diagnosis, proxy_port: u16) {
    let conns = d.report["connections"].as_array().unwrap();
    let mut names: Vec<String> = conns
        .iter()
        .map(|c| c["fqdn"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, sorted(lab_names()));
    for c in conns {
        assert_eq!(c["route"]["kind"], "proxy", "{c:#}");
        assert_eq!(c["route"]["proxy"], format!("127.0.0.1:{proxy_port}"));
        assert_eq!(c["reason"]["source"], "flag");
    }
}

/// Through the tunnel: TLS verified by both stores (not intercepted) and HTTP `status`.
fn assert_tunnelled(d: &Diagnosis, fqdn: &str, status: u16) {
    let c = d.connection(fqdn);
    assert_eq!(c["proxy"]["status"], 200, "{c:#}");
    assert_eq!(c["tls"]["os_trusted"], true, "{c:#}");
    assert_eq!(c["tls"]["public_trusted"], true, "{c:#}");
    assert_eq!(c["http"]["status"], status, "{c:#}");
    assert!(c.get("failure").is_none(), "{c:#}");
}

fn proxy_url(port: u16, creds: Option<(&str, &str)>) -> String {
    match creds {
        Some((u, p)) => format!("http://{u}:{p}@127.0.0.1:{port}"),
        None => format!("http://127.0.0.1:{port}"),
    }
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_squid_allow_list_reports_proxy_denied_for_instances() {
    let _ports = LOW_PORTS.lock().await;
    let s = site(ProxyDns::Resolving, Some(EndpointBehavior::PrivateOk)).await;
    let squid = squid(false, &[".api.azureml.ms", ".notebooks.azure.net"], &[]).await;
    let d = s.diagnose(&proxy_url(squid.port, None), &[]).await;
    let (subject, evidence) = d.only("proxy.denied");
    assert_eq!(subject, format!("127.0.0.1:{}", squid.port));
    let (instances, reached): (Vec<String>, Vec<String>) = lab_names()
        .into_iter()
        .partition(|n| n.contains(".instances."));
    assert_eq!(instances.len(), 4);
    assert_evidence(
        &evidence,
        &instances,
        "HTTP/1.1 403 Forbidden; X-Squid-Error: ERR_ACCESS_DENIED 0; \
         Via: 1.1 lab-proxy (squid/5.7)",
    );
    assert_all_through(&d, squid.port);
    // The API and notebooks names went through squid's tunnel to the endpoint: HTTP 200.
    for n in &reached {
        assert_tunnelled(&d, n, 200);
    }
    for n in &instances {
        let c = d.connection(n);
        assert_eq!(c["proxy"]["status"], 403);
        assert_eq!(c["failure"]["phase"], "proxy-connect", "{c:#}");
    }
    assert_eq!(sorted(s.endpoint().hosts()), sorted(reached));
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_squid_basic_auth_reports_auth_required_then_redacts_credentials() {
    let _ports = LOW_PORTS.lock().await;
    let s = site(ProxyDns::Resolving, Some(EndpointBehavior::PrivateOk)).await;
    let squid = squid(true, ALL_ZONES, &[]).await;

    let d = s.diagnose(&proxy_url(squid.port, None), &[]).await;
    let (subject, evidence) = d.only("proxy.auth-required");
    assert_eq!(subject, format!("127.0.0.1:{}", squid.port));
    assert_evidence(
        &evidence,
        &lab_names(),
        "HTTP/1.1 407 Proxy Authentication Required; \
         X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0; Proxy-Authenticate: Negotiate; \
         Proxy-Authenticate: Basic realm=\"pe-doctor lab\"; Via: 1.1 lab-proxy (squid/5.7)",
    );
    assert_eq!(s.endpoint().requests(), 0);

    // The right credentials: every name tunnels to the endpoint, nothing to report, and the
    // credentials are nowhere in the report (redacted or not).
    let good = proxy_url(squid.port, Some((USER, PASSWORD)));
    for extra in [&[][..], &["--no-redact"][..]] {
        let d = s.diagnose(&good, extra).await;
        assert_eq!(d.ids(), Vec::<String>::new(), "{extra:?}: {:#}", d.report);
        assert_eq!(d.code, Some(0));
        assert_eq!(d.report["verdict"], "healthy");
        assert_all_through(&d, squid.port);
        for n in lab_names() {
            assert_tunnelled(&d, &n, 200);
        }
        for secret in [USER, PASSWORD] {
            assert!(
                !d.stdout.contains(secret),
                "{extra:?}: {secret:?} in the report:\n{}",
                d.stdout
            );
        }
    }
    assert_eq!(s.endpoint().requests() as usize, 2 * lab_names().len());
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_squid_without_the_private_names_reports_upstream_failed() {
    let _ports = LOW_PORTS.lock().await;
    let s = site(ProxyDns::Missing, Some(EndpointBehavior::PrivateOk)).await;
    let squid = squid(false, ALL_ZONES, &[]).await;
    let d = s.diagnose(&proxy_url(squid.port, None), &[]).await;
    let (subject, evidence) = d.only("proxy.upstream-failed");
    assert_eq!(subject, format!("127.0.0.1:{}", squid.port));
    assert_evidence(
        &evidence,
        &lab_names(),
        "HTTP/1.1 500 Internal Server Error; X-Squid-Error: ERR_CANNOT_FORWARD 0",
    );
    assert_all_through(&d, squid.port);
    // pe-doctor's own DNS resolved every name (privately); squid's did not.
    let res = d.report["resolutions"].as_array().unwrap();
    assert!(
        res.iter()
            .all(|r| r["class"] == "private" && r["addresses"][0] == "127.0.0.1"),
        "{res:#?}"
    );
    let (udp, tcp) = s.dns[0].queries();
    assert!(udp + tcp > 0, "squid never asked 127.0.0.1:53");
    assert_eq!(s.endpoint().requests(), 0);
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_squid_to_the_public_endpoint_reports_private_link_forbidden() {
    let _ports = LOW_PORTS.lock().await;
    let s = site(
        ProxyDns::Resolving,
        Some(EndpointBehavior::PrivateLinkDenied { service: "aml" }),
    )
    .await;
    let squid = squid(false, ALL_ZONES, &[]).await;
    let d = s.diagnose(&proxy_url(squid.port, None), &[]).await;
    let (subject, evidence) = d.only("connect.public-endpoint-forbidden");
    assert_eq!(subject, format!("through proxy 127.0.0.1:{}", squid.port));
    let mut names: Vec<String> = evidence
        .iter()
        .map(|e| {
            assert!(
                e.contains(&format!(
                    " (through proxy 127.0.0.1:{}): HTTP 403 with the aml private-link denial: ",
                    squid.port
                )) && e.contains("Access to workspace was denied based on workspace private link"),
                "{e}"
            );
            e.split_once(' ').unwrap().0.to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, sorted(lab_names()));
    assert_all_through(&d, squid.port);
    for n in lab_names() {
        assert_tunnelled(&d, &n, 403);
        assert_eq!(d.connection(&n)["http"]["private_link_denied"], "aml");
    }
    assert_eq!(s.endpoint().requests() as usize, lab_names().len());
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_tinyproxy_filter_reports_proxy_denied() {
    // Default deny, nothing of the workspace allowed: tinyproxy refuses before any lookup.
    let s = site(ProxyDns::Absent, None).await;
    let tp = tinyproxy(false, &["^127\\.0\\.0\\.1$"]).await;
    let d = s.diagnose(&proxy_url(tp.port, None), &[]).await;
    let (subject, evidence) = d.only("proxy.denied");
    assert_eq!(subject, format!("127.0.0.1:{}", tp.port));
    assert_evidence(&evidence, &lab_names(), "HTTP/1.1 403 Filtered");
    assert_all_through(&d, tp.port);
    for n in lab_names() {
        assert_eq!(d.connection(&n)["proxy"]["server"], "tinyproxy/1.11.1");
    }
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_tinyproxy_basic_auth_reports_auth_required_for_407_and_401() {
    let s = site(ProxyDns::Absent, None).await;
    let tp = tinyproxy(true, &["^127\\.0\\.0\\.1$"]).await;
    let cases = [
        (None, "HTTP/1.0 407 Proxy Authentication Required"),
        (Some((USER, "wrong")), "HTTP/1.0 401 Unauthorized"),
    ];
    for (creds, status_line) in cases {
        let d = s.diagnose(&proxy_url(tp.port, creds), &[]).await;
        let (subject, evidence) = d.only("proxy.auth-required");
        assert_eq!(subject, format!("127.0.0.1:{}", tp.port));
        assert_evidence(
            &evidence,
            &lab_names(),
            &format!("{status_line}; Proxy-Authenticate: Basic realm=\"Tinyproxy\""),
        );
        assert_all_through(&d, tp.port);
        assert!(!d.stdout.contains("wrong"), "{}", d.stdout);
    }
}

#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_a_closed_proxy_port_reports_proxy_unreachable() {
    let s = site(ProxyDns::Absent, None).await;
    let port = free_port();
    let d = s.diagnose(&proxy_url(port, None), &[]).await;
    let (subject, evidence) = d.only("proxy.unreachable");
    assert_eq!(subject, format!("127.0.0.1:{port}"));
    assert_eq!(connect_names(&evidence), sorted(lab_names()));
    for e in &evidence {
        assert!(e.contains(":443 → TCP connect failed: "), "{e}");
    }
    assert_all_through(&d, port);
    for n in lab_names() {
        let c = d.connection(&n);
        assert!(c.get("proxy").is_none());
        // TCP to the proxy failed: not an unanswered CONNECT.
        assert_eq!(c["failure"]["phase"], "connect", "{c:#}");
        assert_eq!(c["failure"]["kind"], "refused", "{c:#}");
    }
}

/// Real squid opens the tunnel (200) and the endpoint behind it resets the TLS handshake, as a
/// firewall between the proxy and the service does: connect.tls-failed through that proxy,
/// not a healthy verdict and not a proxy refusal. squid passes the endpoint's reset on as an
/// ordinary close, so the client sees the connection closed.
#[tokio::test]
#[ignore = "needs squid and tinyproxy, root and unshare -n (ports 53, 443); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn diagnose_through_squid_to_an_endpoint_that_resets_tls_reports_tls_failed() {
    let _ports = LOW_PORTS.lock().await;
    let s = site(ProxyDns::Resolving, Some(EndpointBehavior::ResetAfterHello)).await;
    let squid = squid(false, ALL_ZONES, &[]).await;
    let d = s.diagnose(&proxy_url(squid.port, None), &[]).await;
    let (subject, evidence) = d.only("connect.tls-failed");
    assert_eq!(subject, format!("127.0.0.1:{}", squid.port));
    assert_eq!(connect_names(&evidence), sorted(lab_names()));
    for e in &evidence {
        assert!(
            e.contains("→ HTTP/1.1 200 Connection established")
                && e.contains("then the server closed the connection without a TLS answer"),
            "{e}"
        );
    }
    assert_all_through(&d, squid.port);
    for n in lab_names() {
        let c = d.connection(&n);
        assert_eq!(c["proxy"]["status"], 200, "{c:#}");
        assert_eq!(c["failure"]["phase"], "tls", "{c:#}");
        assert_eq!(c["failure"]["kind"], "closed", "{c:#}");
    }
}
