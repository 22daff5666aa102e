//! One network layer: the PAC fetch goes through it (an https PAC served by a lab TLS server
//! is reached only through `--connect-to` and trusted only through `--ca-file`; the loopback
//! guard refuses a PAC URL that points off the machine), and when the platform TLS verifier
//! cannot start, the report says so instead of dropping the connections.

use pe_doctor::cli::DiagnoseArgs;
use pe_doctor::config::Config;
use pe_doctor::host::HostFacts;
use pe_doctor::lab::dns_server::{Behavior, LabDnsServer, ServerOptions};
use pe_doctor::lab::tls::LabCa;
use pe_doctor::report::model::Report;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAC: &str = "function FindProxyForURL(url, host) { return \"PROXY proxy.corp.test:3128\"; }";

/// A TLS server for `pac.corp.test` answering every request with the PAC; records the
/// `Host` headers it saw.
async fn pac_server(ca: &LabCa) -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let cert = ca.issue(&["pac.corp.test"]).unwrap();
    let tls = LabCa::server_config(cert, &[b"http/1.1"]).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hosts = Arc::new(Mutex::new(Vec::new()));
    let seen = hosts.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                if let Some(h) = req
                    .lines()
                    .find_map(|l| l.strip_prefix("host: ").or(l.strip_prefix("Host: ")))
                {
                    seen.lock().unwrap().push(h.trim().to_string());
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-ns-proxy-autoconfig\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAC}",
                    PAC.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, hosts)
}

async fn diagnose_with(
    pac: &str,
    connect_to: Vec<String>,
    ca_files: Vec<std::path::PathBuf>,
) -> Report {
    // A DNS server that refuses at once, so the PAC step has the time.
    let dns = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions {
            behavior: Behavior::Refused,
            latency: std::time::Duration::ZERO,
            truncate_udp: false,
        },
    )
    .await
    .unwrap();
    let args = DiagnoseArgs {
        fqdns: vec!["ws.example.test".into()],
        system_resolver: Some(dns.addr().to_string()),
        azure_dns: Some(dns.addr().to_string()),
        no_doh: true,
        no_host_dns: true,
        loopback_only: true,
        pac: Some(pac.into()),
        connect_to,
        ca_files,
        timeout: Some("3s".into()),
        ..Default::default()
    };
    let config = Config::from_args(&args).unwrap();
    pe_doctor::diagnose::diagnose(&config, &HostFacts::empty()).await
}

#[tokio::test]
async fn https_pac_uses_connect_to_and_ca_file() {
    let ca = LabCa::new("PAC test CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, ca.ca_pem()).unwrap();
    let (addr, hosts) = pac_server(&ca).await;
    let url = "https://pac.corp.test/proxy.pac";
    let rule = format!("pac.corp.test:443=127.0.0.1:{}", addr.port());

    let r = diagnose_with(url, vec![rule.clone()], vec![pem.clone()]).await;
    let pac = r.pac.expect("pac section");
    assert_eq!(pac.load_error, None);
    assert_eq!(
        pac.verdicts[0].result.as_deref(),
        Some("PROXY proxy.corp.test:3128")
    );
    assert_eq!(hosts.lock().unwrap().as_slice(), ["pac.corp.test"]);

    // Without --ca-file the lab certificate is not trusted...
    let r = diagnose_with(url, vec![rule], Vec::new()).await;
    let err = r.pac.unwrap().load_error.expect("untrusted");
    assert!(err.contains("TLS"), "{err}");
    // ...and without --connect-to the name would need a DNS lookup: refused in test mode.
    let r = diagnose_with(url, Vec::new(), vec![pem]).await;
    let err = r.pac.unwrap().load_error.expect("guarded");
    assert!(err.contains("refused in lab/test mode"), "{err}");
    assert_eq!(
        hosts.lock().unwrap().len(),
        1,
        "no other request reached the server"
    );
}

#[tokio::test]
async fn loopback_guard_refuses_a_pac_url_off_the_machine() {
    let r = diagnose_with("http://192.0.2.10/proxy.pac", Vec::new(), Vec::new()).await;
    let err = r.pac.unwrap().load_error.expect("guarded");
    assert!(
        err.contains("192.0.2.10:80 is not loopback: refused in lab/test mode"),
        "{err}"
    );
}

#[tokio::test]
async fn platform_verifier_that_cannot_start_is_in_the_report() {
    let dns = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions {
            behavior: Behavior::Refused,
            latency: std::time::Duration::ZERO,
            truncate_udp: false,
        },
    )
    .await
    .unwrap();
    let dns = dns.addr().to_string();
    // No system roots at all: rustls-native-certs reads only these (missing) paths.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(super::support::bin())
            .args([
                "diagnose",
                "--fqdn",
                "ws.example.test",
                "--system-resolver",
                dns.as_str(),
                "--azure-dns",
                dns.as_str(),
                "--no-doh",
                "--no-host-dns",
                "--loopback-only",
                "--proxy",
                "http://127.0.0.1:9",
                "--timeout",
                "2s",
                "--format",
                "json",
            ])
            .env("SSL_CERT_FILE", "/nonexistent/pe-doctor-test/ca.pem")
            .env("SSL_CERT_DIR", "/nonexistent/pe-doctor-test")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = super::support::json(&out);
    let conns = report["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{report:#}");
    let failure = conns[0]["failure"]["message"].as_str().unwrap_or_default();
    assert!(
        failure.contains("the platform TLS verifier cannot start"),
        "{report:#}"
    );
    // No cause is claimed from it.
    assert!(
        !super::support::finding_ids(&report)
            .iter()
            .any(|id| id.starts_with("connect.")
                || id.starts_with("proxy.")
                || id.starts_with("tls.")),
        "{report:#}"
    );
}
