//! Peers that break the connection in the ways real networks do, played by python3 socket
//! servers each test starts on 127.0.0.1: an endpoint that closes, resets (SO_LINGER 0), stays
//! silent or sends bytes that are not TLS after TCP; proxies answering CONNECT with each status,
//! or 200 followed by an HTML page, or nothing; an HTTPS server answering as a storage account
//! whose firewall refuses. pe-doctor's connection probe talks to them and the connection rules
//! judge the result; one case runs the whole binary.

use super::support::{finding_ids, json, run};
use base64::Engine;
use pe_doctor::findings::{Finding, connect as rules};
use pe_doctor::lab::dns_server::{LabDnsServer, ServerOptions, View};
use pe_doctor::lab::tls::LabCa;
use pe_doctor::model::{FailKind, Phase, ResolverInfo, ResolverRole, Transport};
use pe_doctor::net::dialer::Dialer;
use pe_doctor::probe::connect::{self, Connection, Route, RouteReason};
use pe_doctor::probe::proxy::ProxyEndpoint;
use pe_doctor::probe::tls::TrustStores;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WS: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.api.azureml.ms";
const STORE: &str = "contosomlstore.blob.core.windows.net";
const PE_IP: &str = "10.0.0.4";
const STORAGE_PUBLIC_IP: &str = "20.60.1.10";

/// One server script; `argv[1]` picks the behaviour, `argv[2]` its parameter.
const SERVER: &str = r#"
import socket, ssl, struct, sys, threading, time
mode = sys.argv[1]
arg = sys.argv[2] if len(sys.argv) > 2 else ""
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
print(srv.getsockname()[1], flush=True)

def head(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    return data

def serve(c):
    try:
        if mode == "close":
            c.recv(4096)
        elif mode == "reset":
            c.recv(4096)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "silent":
            time.sleep(30)
        elif mode == "garbage":
            c.recv(4096)
            c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
            time.sleep(2)
        elif mode == "proxy":
            head(c)
            c.sendall(("HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n" % arg).encode())
            time.sleep(2)
        elif mode == "proxy-200-html":
            head(c)
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            c.recv(4096)
            c.sendall(b"<html><body>Blocked by policy</body></html>\n")
            time.sleep(2)
        elif mode == "proxy-200-reset":
            head(c)
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            c.recv(4096)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "proxy-silent":
            head(c)
            time.sleep(30)
        elif mode == "aml-denied":
            cert, key = arg.split(",")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            s = ctx.wrap_socket(c, server_side=True)
            head(s)
            body = (b'{"error":{"code":"UserError","message":"Access to workspace was denied '
                    b'based on workspace private link configuration."}}')
            s.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                      b"Connection: close\r\n\r\n" + body)
            s.close()
        elif mode == "storage":
            cert, key, code = arg.split(",")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            s = ctx.wrap_socket(c, server_side=True)
            head(s)
            body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code><Message>"
                    "This request is not authorized to perform this operation.\n"
                    "RequestId:5d1c2b3a-801e-0042-2f3c-6b5d8e000000\n"
                    "Time:2026-11-30T10:00:00.0000000Z</Message></Error>" % code).encode()
            s.sendall(b"HTTP/1.1 403 This request is not authorized to perform this operation.\r\n"
                      b"Content-Type: application/xml\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
                      b"x-ms-error-code: " + code.encode() + b"\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                      b"Connection: close\r\n\r\n" + body)
            s.close()
    except OSError:
        pass
    finally:
        c.close()

while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// A python3 server; killed (by its own PID) when dropped.
struct Py {
    child: Child,
    port: u16,
}

impl Drop for Py {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python(mode: &str, arg: &str) -> Py {
    let mut child = Command::new("python3")
        .args(["-u", "-c", SERVER, mode, arg])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 is needed for these tests (apt-get install python3): {e}")
        });
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("python server {mode} printed {line:?}, not its port"));
    Py { child, port }
}

struct Lab {
    _dir: tempfile::TempDir,
    ca: LabCa,
    ca_path: std::path::PathBuf,
    stores: TrustStores,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let ca = LabCa::new("pe-doctor test CA").unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();
    let stores = TrustStores::from_ca_files(
        std::slice::from_ref(&ca_path),
        std::slice::from_ref(&ca_path),
    )
    .unwrap();
    Lab {
        _dir: dir,
        ca,
        ca_path,
        stores,
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn system() -> Vec<ResolverInfo> {
    vec![ResolverInfo {
        label: "system".into(),
        role: ResolverRole::System,
        transport: Transport::Getaddrinfo,
        address: "getaddrinfo".into(),
        source: None,
    }]
}

fn reason() -> RouteReason {
    RouteReason {
        source: "none".into(),
        detail: None,
    }
}

/// Connects to `fqdn` at `address`:443, which `--connect-to` sends to 127.0.0.1:`port`.
async fn direct(lab: &Lab, fqdn: &str, address: &str, port: u16) -> Connection {
    let rule = format!("{address}:443=127.0.0.1:{port}").parse().unwrap();
    let dialer = Dialer::new(vec![rule], true);
    let route = Route::Direct {
        address: address.parse::<IpAddr>().unwrap(),
        resolver: "system".into(),
    };
    connect::probe(
        &dialer,
        &lab.stores,
        fqdn,
        route,
        None,
        reason(),
        Duration::from_millis(1500),
    )
    .await
}

async fn through_proxy(lab: &Lab, port: u16) -> Connection {
    let dialer = Dialer::new(Vec::new(), true);
    let ep = ProxyEndpoint {
        host: "127.0.0.1".into(),
        port,
        credentials: None,
    };
    connect::probe(
        &dialer,
        &lab.stores,
        WS,
        Route::Proxy {
            proxy: ep.display(),
        },
        Some(&ep),
        reason(),
        Duration::from_millis(1500),
    )
    .await
}

fn only(findings: &[Finding]) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    &findings[0]
}

#[tokio::test]
async fn an_endpoint_that_breaks_tls_is_connect_tls_failed_with_what_it_did() {
    let lab = lab();
    for (mode, kind, seen) in [
        ("close", FailKind::Closed, "closes the connection"),
        ("reset", FailKind::Reset, "resets the connection"),
        ("silent", FailKind::Timeout, "stays silent"),
        (
            "garbage",
            FailKind::Protocol,
            "answers with bytes that are not TLS",
        ),
    ] {
        let py = python(mode, "");
        let started = Instant::now();
        let c = direct(&lab, WS, PE_IP, py.port).await;
        assert!(started.elapsed() < Duration::from_secs(3), "{mode}");
        assert!(c.tcp_ms.is_some(), "{mode}: {c:?}");
        let f = c.failure.clone().unwrap();
        assert_eq!((f.phase, f.kind), (Phase::Tls, kind), "{mode}: {f:?}");
        if mode == "garbage" {
            assert!(f.message.contains("SSH-2.0-OpenSSH_9.2p1"), "{}", f.message);
        }
        let findings = rules::evaluate(&[], &system(), &[c]);
        let finding = only(&findings);
        assert_eq!(finding.id, "connect.tls-failed");
        assert_eq!(finding.severity, pe_doctor::findings::Severity::Error);
        assert_eq!(finding.subject, PE_IP);
        assert!(finding.title.contains(seen), "{mode}: {}", finding.title);
        assert!(
            finding.evidence[0].contains("TLS failed"),
            "{:?}",
            finding.evidence
        );
        assert_eq!(finding.affected[0].fqdn, WS);
    }
    // A name whose DNS is already reported wrong (typed affected names) has that cause.
    let py = python("reset", "");
    let c = direct(&lab, WS, PE_IP, py.port).await;
    let dns = Finding {
        id: pe_doctor::findings::FindingId::DnsWrongPrivateIp,
        severity: pe_doctor::findings::Severity::Error,
        section: pe_doctor::findings::Section::DnsCustom,
        subject: "corp-dns".into(),
        title: String::new(),
        detail: String::new(),
        evidence: Vec::new(),
        remediation: Vec::new(),
        affected: pe_doctor::findings::Affected::names([WS]),
        snippet: None,
    };
    assert!(rules::evaluate(&[dns], &system(), &[c]).is_empty());
}

#[tokio::test]
async fn a_healthy_tls_endpoint_gives_no_connection_finding() {
    // The same probe and rules against a TLS server that answers: nothing to report.
    let lab = lab();
    let cert = lab.ca.issue(&[WS]).unwrap();
    let tls = LabCa::server_config(cert, &[b"http/1.1"]).unwrap();
    let ok = pe_doctor::lab::https_server::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        tls,
        pe_doctor::lab::https_server::EndpointBehavior::PrivateOk,
        Duration::ZERO,
    )
    .await
    .unwrap();
    let c = direct(&lab, WS, PE_IP, ok.local_addr().port()).await;
    assert!(c.failure.is_none(), "{c:?}");
    assert!(rules::evaluate(&[], &system(), &[c]).is_empty());
}

#[tokio::test]
async fn proxy_answers_map_to_their_findings() {
    let lab = lab();
    for (status, id) in [
        ("400 Bad Request", "proxy.bad-response"),
        ("404 Not Found", "proxy.bad-response"),
        ("405 Method Not Allowed", "proxy.bad-response"),
        ("429 Too Many Requests", "proxy.bad-response"),
        (
            "302 Found\r\nLocation: https://login.corp.example/",
            "proxy.bad-response",
        ),
        ("403 Forbidden", "proxy.denied"),
        ("407 Proxy Authentication Required", "proxy.auth-required"),
        ("502 Bad Gateway", "proxy.upstream-failed"),
    ] {
        let py = python("proxy", status);
        let c = through_proxy(&lab, py.port).await;
        let code: u16 = status[..3].parse().unwrap();
        assert_eq!(c.proxy.as_ref().map(|p| p.status), Some(code), "{c:?}");
        let findings = rules::evaluate(&[], &system(), &[c]);
        let f = only(&findings);
        assert_eq!(f.id, id, "{status}");
        assert_eq!(f.subject, format!("127.0.0.1:{}", py.port));
        assert!(
            f.evidence[0].contains(&format!("→ HTTP/1.1 {code}")),
            "{:?}",
            f.evidence
        );
        // Fix lists name the region's zone, not a placeholder.
        if id != "proxy.auth-required" {
            assert!(
                f.remediation
                    .iter()
                    .any(|s| s.contains("*.eastus2.api.azureml.ms")),
                "{:?}",
                f.remediation
            );
        }
        assert!(!f.remediation.iter().any(|s| s.contains("<region>")));
    }
}

#[tokio::test]
async fn proxy_200_then_html_is_a_bad_response() {
    let lab = lab();
    let py = python("proxy-200-html", "");
    let c = through_proxy(&lab, py.port).await;
    assert_eq!(c.proxy.as_ref().map(|p| p.status), Some(200));
    let e = c.failure.clone().unwrap();
    assert_eq!((e.phase, e.kind), (Phase::Tls, FailKind::Protocol), "{e:?}");
    assert!(e.message.contains("<html><body>Blocked"), "{}", e.message);
    let findings = rules::evaluate(&[], &system(), &[c]);
    let f = only(&findings);
    assert_eq!(f.id, "proxy.bad-response");
    assert!(f.evidence[0].contains("200 Connection established"));
}

#[tokio::test]
async fn a_tunnel_cut_after_200_is_tls_failed_through_the_proxy() {
    let lab = lab();
    let py = python("proxy-200-reset", "");
    let c = through_proxy(&lab, py.port).await;
    assert_eq!(c.proxy.as_ref().map(|p| p.status), Some(200));
    let e = c.failure.clone().unwrap();
    assert_eq!((e.phase, e.kind), (Phase::Tls, FailKind::Reset), "{e:?}");
    let findings = rules::evaluate(&[], &system(), &[c]);
    let f = only(&findings);
    assert_eq!(f.id, "connect.tls-failed");
    assert_eq!(f.subject, format!("127.0.0.1:{}", py.port));
    assert!(f.title.contains("resets the connection"), "{}", f.title);
    assert!(
        f.evidence[0].contains("then the server reset"),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn a_proxy_that_accepts_tcp_but_never_answers_is_no_answer_not_unreachable() {
    let lab = lab();
    let py = python("proxy-silent", "");
    let started = Instant::now();
    let c = through_proxy(&lab, py.port).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let e = c.failure.clone().unwrap();
    assert_eq!(
        (e.phase, e.kind),
        (Phase::ProxyConnect, FailKind::Timeout),
        "{e:?}"
    );
    let f = rules::evaluate(&[], &system(), &[c]);
    assert_eq!(only(&f).id, "proxy.no-answer");
    assert!(only(&f).title.contains("does not answer CONNECT"));

    // A proxy port where nothing listens: that one does not accept connections.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = through_proxy(&lab, closed).await;
    let e = c.failure.clone().unwrap();
    assert_eq!((e.phase, e.kind), (Phase::Connect, FailKind::Refused));
    let f = rules::evaluate(&[], &system(), &[c]);
    assert_eq!(only(&f).id, "proxy.unreachable");
}

/// A storage account's own 403 over its public path is storage.firewall-denied (storage
/// section), and only with the `AuthorizationFailure` code: another 403 is not blamed on the
/// firewall.
#[tokio::test]
async fn storage_firewall_refusal_from_a_python_https_server() {
    let lab = lab();
    let dir = tempfile::tempdir().unwrap();
    let cert = lab.ca.issue(&[STORE]).unwrap();
    let chain: String = cert
        .chain
        .iter()
        .map(|c| pem("CERTIFICATE", c.as_ref()))
        .collect();
    let cert_path = dir.path().join("store.pem");
    let key_path = dir.path().join("store.key");
    std::fs::write(&cert_path, chain).unwrap();
    std::fs::write(&key_path, pem("PRIVATE KEY", cert.key.secret_der())).unwrap();
    let files = format!("{},{}", cert_path.display(), key_path.display());

    let py = python("storage", &format!("{files},AuthorizationFailure"));
    let c = direct(&lab, STORE, STORAGE_PUBLIC_IP, py.port).await;
    let h = c.http.clone().unwrap_or_else(|| panic!("{c:?}"));
    assert_eq!(h.status, 403);
    assert_eq!(h.error_code.as_deref(), Some("AuthorizationFailure"));
    assert!(h.storage_firewall_denied());
    let findings = rules::evaluate(&[], &system(), &[c]);
    let f = only(&findings);
    assert_eq!(f.id, "storage.firewall-denied");
    assert_eq!(f.section, pe_doctor::findings::Section::Storage);
    assert!(f.subject.contains(STORE));
    assert!(
        f.remediation
            .iter()
            .any(|s| s.contains("contosomlstore") && s.contains("Networking"))
    );

    let other = python("storage", &format!("{files},AuthenticationFailed"));
    let c = direct(&lab, STORE, STORAGE_PUBLIC_IP, other.port).await;
    assert_eq!(c.http.as_ref().map(|h| h.status), Some(403));
    assert!(!c.http.as_ref().unwrap().storage_firewall_denied());
    assert!(rules::evaluate(&[], &system(), &[c]).is_empty());
}

/// The workspace's private-link 403 on the direct path, for a name public DNS shows without a
/// private endpoint: the fix is the missing endpoint, not a PAC or proxy change. Through a
/// proxy (or without that DNS finding) the old advice stands.
#[tokio::test]
async fn private_link_refusal_without_a_private_endpoint_names_the_missing_endpoint() {
    let lab = lab();
    let dir = tempfile::tempdir().unwrap();
    let cert = lab.ca.issue(&[WS]).unwrap();
    let chain: String = cert
        .chain
        .iter()
        .map(|c| pem("CERTIFICATE", c.as_ref()))
        .collect();
    let (cert_path, key_path) = (dir.path().join("ws.pem"), dir.path().join("ws.key"));
    std::fs::write(&cert_path, chain).unwrap();
    std::fs::write(&key_path, pem("PRIVATE KEY", cert.key.secret_der())).unwrap();
    let py = python(
        "aml-denied",
        &format!("{},{}", cert_path.display(), key_path.display()),
    );
    let c = direct(&lab, WS, "20.41.5.7", py.port).await;
    assert_eq!(c.http.as_ref().map(|h| h.status), Some(403), "{c:?}");

    let no_endpoint = Finding {
        id: pe_doctor::findings::FindingId::TargetNoPrivateEndpoint,
        severity: pe_doctor::findings::Severity::Info,
        section: pe_doctor::findings::Section::ConnectionMethod,
        subject: String::new(),
        title: String::new(),
        detail: String::new(),
        evidence: Vec::new(),
        remediation: Vec::new(),
        affected: pe_doctor::findings::Affected::names([WS]),
        snippet: None,
    };
    let findings = rules::evaluate(
        std::slice::from_ref(&no_endpoint),
        &system(),
        std::slice::from_ref(&c),
    );
    let f = only(&findings);
    assert_eq!(f.id, "connect.public-endpoint-forbidden");
    assert!(f.title.contains("has no private endpoint"), "{}", f.title);
    assert!(
        f.remediation[0].contains("Private endpoint connections"),
        "{:?}",
        f.remediation
    );
    assert!(
        f.remediation.iter().all(|r| !r.contains("PAC")),
        "{:?}",
        f.remediation
    );

    // Without the DNS finding: the refusal is blamed on the path, as before.
    let findings = rules::evaluate(&[], &system(), &[c]);
    let f = only(&findings);
    assert_eq!(f.id, "connect.public-endpoint-forbidden");
    assert!(f.remediation[0].contains("DIRECT"), "{:?}", f.remediation);
}

/// The whole binary: a `--connect-to` target that resets TLS is an error, exit 1 (it used to
/// be "healthy", exit 0).
#[tokio::test]
async fn diagnose_with_a_connect_to_target_that_resets_exits_1() {
    let lab = lab();
    let py = python("reset", "");
    let mut view = View::new();
    view.addr(WS, PE_IP.parse().unwrap());
    let dns = LabDnsServer::spawn([127, 0, 0, 1].into(), ServerOptions::answer(view))
        .await
        .unwrap();
    let args: Vec<String> = [
        "diagnose",
        "--fqdn",
        &format!("{WS}={PE_IP}"),
        "--system-resolver",
        &dns.addr().to_string(),
        "--azure-dns",
        &dns.addr().to_string(),
        "--no-doh",
        "--no-host-dns",
        "--proxy",
        "none",
        "--hosts-file",
        "/nonexistent/hosts",
        "--connect-to",
        &format!("{PE_IP}:443=127.0.0.1:{}", py.port),
        "--ca-file",
        &lab.ca_path.display().to_string(),
        "--public-roots",
        &lab.ca_path.display().to_string(),
        "--loopback-only",
        "--timeout",
        "4s",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&a)
    })
    .await
    .unwrap();
    let report = json(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["verdict"], "problems");
    assert_eq!(finding_ids(&report), vec!["connect.tls-failed"]);
    let f = &report["findings"][0];
    assert_eq!(f["section"], "connection-method");
    assert!(
        f["evidence"][0]
            .as_str()
            .unwrap()
            .contains("reset the connection"),
        "{f:#}"
    );
}
