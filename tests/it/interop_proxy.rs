//! Interop: pe-doctor's CONNECT client against proxies it did not write. Real squid and
//! tinyproxy from the distribution run on 127.0.0.1 with generated configurations (allow-lists,
//! Basic auth), resolve names only through a pe-doctor lab DNS server on 127.0.0.1:53, and tunnel
//! to a lab HTTPS endpoint playing the workspace's public endpoint (403 with the AML body). Each
//! case is also asked of the lab proxy imitating the same daemon, and both must answer alike:
//! that is what keeps the lab honest.
//!
//! Runs when PE_DOCTOR_INTEROP=1 (set by .ci/run, which installs squid and tinyproxy and runs the
//! tests as root inside `unshare -n`, where 127.0.0.1:53 is free); skips visibly otherwise. When
//! enabled, a missing daemon or a busy port 53 is a failure.

use pe_doctor::lab::dns_server::{LabDnsServer, ServerOptions, View};
use pe_doctor::lab::https_server::{self, EndpointBehavior, HttpsServer};
use pe_doctor::lab::proxy_server::{self, Acl, ProxyAuth, ProxyOptions, ProxyServer};
use pe_doctor::lab::tls::LabCa;
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

/// Tests that bind 127.0.0.1:53 (squid's `dns_nameservers` takes no port) run one at a time.
static PORT_53: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const WS: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.api.azureml.ms";
const CI: &str = "ci-one.eastus2.instances.azureml.ms";
const REFUSING: &str = "refusing.api.azureml.ms";
const NOWHERE: &str = "nowhere.api.azureml.ms";
const T: Duration = Duration::from_secs(10);
const USER: &str = "alice";
const PASSWORD: &str = "s3cret";

fn enabled(test: &str) -> bool {
    if std::env::var("PE_DOCTOR_INTEROP").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: set PE_DOCTOR_INTEROP=1 (and install squid and tinyproxy; run as root \
         inside `unshare -n`) to run the proxy interop suite"
    );
    false
}

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
/// that is never asked: pe-doctor sends Basic only) and Basic via `basic_ncsa_auth`.
async fn squid(auth: bool) -> Daemon {
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
         cache_effective_user proxy\n\
         acl allowed dstdomain .api.azureml.ms\nacl denied dstdomain .instances.azureml.ms\n"
    );
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
    conf.push_str("http_access deny denied\nhttp_access allow allowed\nhttp_access deny all\n");
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

/// tinyproxy 1.11 on 127.0.0.1 with a default-deny filter allowing 127.0.0.1 and
/// `.api.azureml.ms`, optionally with Basic auth.
async fn tinyproxy(auth: bool) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let port = free_port();
    std::fs::write(
        dir.path().join("filter"),
        "^127\\.0\\.0\\.1$\n\\.api\\.azureml\\.ms$\n",
    )
    .unwrap();
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
        let addr: SocketAddr = "127.0.0.1:53".parse().unwrap();
        // The previous test's server closes its sockets when that test's runtime ends, which
        // can be just after the port-53 lock was handed over: retry briefly.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match LabDnsServer::spawn_on(addr, ServerOptions::answer(view.clone())).await {
                Ok(server) => break Some(server),
                Err(e)
                    if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!(
                    "the lab DNS server needs 127.0.0.1:53 ({e}): run as root inside \
                     `unshare -n sh -c 'ip link set lo up; ...'`"
                ),
            }
        }
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
    assert_eq!(got.private_link_denied.as_deref(), Some("aml"));
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
async fn squid_allow_list_tunnels_denies_and_fails_as_the_lab_proxy_does() {
    if !enabled("squid_allow_list_tunnels_denies_and_fails_as_the_lab_proxy_does") {
        return;
    }
    let _port53 = PORT_53.lock().await;
    let w = world(true).await;
    let squid = squid(false).await;
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
async fn squid_basic_auth_407_as_the_lab_proxy_does() {
    if !enabled("squid_basic_auth_407_as_the_lab_proxy_does") {
        return;
    }
    let _port53 = PORT_53.lock().await;
    let w = world(true).await;
    let squid = squid(true).await;
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
async fn tinyproxy_filter_as_the_lab_proxy_does() {
    if !enabled("tinyproxy_filter_as_the_lab_proxy_does") {
        return;
    }
    // tinyproxy resolves with the system resolver: every case here avoids a lookup (IP
    // literals, or names refused by the filter before any resolution).
    let w = world(false).await;
    let tp = tinyproxy(false).await;
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
async fn tinyproxy_basic_auth_407_then_401_as_the_lab_proxy_does() {
    if !enabled("tinyproxy_basic_auth_407_then_401_as_the_lab_proxy_does") {
        return;
    }
    let w = world(false).await;
    let tp = tinyproxy(true).await;
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
