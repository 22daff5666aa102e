//! Parser tests on captured-style fixtures from all three OSes, `route_for` decisions for
//! private-endpoint names, the `no_proxy` conventions, and collector tests with injected tool
//! output and files.
#![allow(clippy::unwrap_used)]

use super::*;
use std::cell::RefCell;

macro_rules! fixture {
    ($p:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/proxy/",
            $p
        ))
    };
}

const REG_MANUAL_PAC: &str = fixture!("windows/reg-query-manual-pac.txt");
const REG_MANUAL: &str = fixture!("windows/reg-query-manual.txt");
const REG_AUTODETECT: &str = fixture!("windows/reg-query-autodetect.txt");
const NETSH_DIRECT: &str = fixture!("windows/netsh-winhttp-direct.txt");
const NETSH_SET: &str = fixture!("windows/netsh-winhttp-set.txt");
const SCUTIL_PAC: &str = fixture!("macos/scutil-proxy-pac.txt");
const SCUTIL_MANUAL: &str = fixture!("macos/scutil-proxy-manual-https.txt");
const GSETTINGS_MANUAL: &str = fixture!("linux/gsettings-manual.txt");
const GSETTINGS_AUTO: &str = fixture!("linux/gsettings-auto.txt");
const KDE_1: &str = fixture!("linux/kioslaverc-type1-manual");
const KDE_2: &str = fixture!("linux/kioslaverc-type2-pac");
const KDE_3: &str = fixture!("linux/kioslaverc-type3-wpad");
const KDE_4: &str = fixture!("linux/kioslaverc-type4-env");

const WS: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.workspace.eastus2.api.azureml.ms";
const WS_PRIVATELINK: &str =
    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.workspace.eastus2.privatelink.api.azureml.ms";
const CI: &str = "ci.eastus2.instances.azureml.ms";

fn server(scheme: &str, host: &str, port: u16, credentials: bool) -> ProxyServer {
    ProxyServer {
        scheme: scheme.to_string(),
        host: host.to_string(),
        port,
        credentials,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn proxy(route: &Route) -> Option<&ProxyServer> {
    match route {
        Route::Proxy { server, .. } => Some(server),
        _ => None,
    }
}

fn direct_reason(route: &Route) -> &str {
    match route {
        Route::Direct { reason } => reason,
        other => panic!("expected DIRECT, got {other:?}"),
    }
}

// ---------------------------------------------------------------- proxy URLs and redaction

#[test]
fn proxy_url_forms() {
    assert_eq!(
        parse_proxy_url("http://user:pass@proxy.corp:3128").unwrap(),
        server("http", "proxy.corp", 3128, true)
    );
    assert_eq!(
        parse_proxy_url("Proxy.Corp:3128").unwrap(),
        server("http", "proxy.corp", 3128, false)
    );
    assert_eq!(
        parse_proxy_url("socks5://h:1080").unwrap(),
        server("socks5", "h", 1080, false)
    );
    assert_eq!(
        parse_proxy_url("SOCKS5H://h").unwrap(),
        server("socks5h", "h", 1080, false)
    );
    assert_eq!(
        parse_proxy_url("https://h/").unwrap(),
        server("https", "h", 443, false)
    );
    assert_eq!(
        parse_proxy_url("http://token@h:8080/path?q").unwrap(),
        server("http", "h", 8080, true)
    );
    assert_eq!(
        parse_proxy_url("[fd00::1]:3128").unwrap(),
        server("http", "fd00::1", 3128, false)
    );
    assert_eq!(
        parse_proxy_url("http://p@ss:w@rd@h:1").unwrap(),
        server("http", "h", 1, true)
    );
    assert_eq!(
        server("http", "fd00::1", 3128, true).to_string(),
        "http://[fd00::1]:3128"
    );
}

#[test]
fn bad_proxy_urls_name_the_value_without_password() {
    for (input, needle) in [
        ("", "empty"),
        ("ftp://h:21", "unsupported scheme `ftp`"),
        ("http://h:0", "`0` is not a port"),
        ("http://h:99999", "`99999` is not a port"),
        ("http://h:abc", "`abc` is not a port"),
        ("http://:3128", "no host"),
        ("fd00::1:3128", "brackets"),
        ("http://[fd00::1:3128", "unclosed"),
        ("http://pr oxy:1", "`pr oxy` is not a host name"),
    ] {
        let err = parse_proxy_url(input).unwrap_err().to_string();
        assert!(err.contains(needle), "{input:?}: {err}");
    }
    let err = parse_proxy_url("http://alice:hunter2@h:notaport")
        .unwrap_err()
        .to_string();
    assert!(err.contains("http://***@h:notaport"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn redaction() {
    assert_eq!(redact_url("http://user:pass@h:3128"), "http://***@h:3128");
    assert_eq!(redact_url("user:pass@h:3128"), "***@h:3128");
    assert_eq!(redact_url("http://h:3128"), "http://h:3128");
    assert_eq!(
        redact_url("https=u:p@a:80;http=b:80"),
        "https=***@a:80;http=b:80"
    );
    assert_eq!(
        redact_url("proxy is socks5://tok@h:1080/x, fine"),
        "proxy is socks5://***@h:1080/x, fine"
    );
    assert_eq!(redact_url("http://a:b@c@h:1/p@q"), "http://***@h:1/p@q");
    // An e-mail address has no password part: left alone.
    assert_eq!(
        redact_url("mail admin@corp.example"),
        "mail admin@corp.example"
    );
}

// ---------------------------------------------------------------- Windows

#[test]
fn reg_query_manual_per_protocol_and_pac() {
    let s = parse_reg_query_internet_settings(REG_MANUAL_PAC);
    assert_eq!(s.source, ProxySource::WinInet);
    assert_eq!(
        s.http,
        Some(server("http", "proxy.corp.contoso.com", 8080, false))
    );
    assert_eq!(
        s.https,
        Some(server("http", "proxy.corp.contoso.com", 8443, false))
    );
    assert_eq!(
        s.socks,
        Some(server("socks4", "socks.corp.contoso.com", 1080, false))
    );
    assert_eq!(
        s.bypass,
        strings(&[
            "*.corp.contoso.com",
            "10.*",
            "*.privatelink.api.azureml.ms",
            "<local>"
        ])
    );
    assert_eq!(
        s.pac_url.as_deref(),
        Some("http://pac.corp.contoso.com/proxy.pac")
    );
    assert!(!s.auto_detect);
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    // PAC wins over the manual proxy, as WinINET does.
    assert_eq!(
        s.route_for(WS),
        Route::Pac {
            url: "http://pac.corp.contoso.com/proxy.pac".to_string(),
            source: ProxySource::WinInet
        }
    );
}

#[test]
fn reg_query_manual_routes() {
    let s = parse_reg_query_internet_settings(REG_MANUAL);
    let p = server("http", "proxy.corp.contoso.com", 3128, false);
    assert_eq!(s.http, Some(p.clone()));
    assert_eq!(s.https, Some(p.clone()));
    assert_eq!(s.socks, None);
    assert_eq!(s.pac_url, None);
    assert!(!s.auto_detect);
    assert!(s.notes.is_empty(), "{:?}", s.notes);

    // The privatelink zone is bypassed, but clients connect to the public name: proxied.
    assert_eq!(
        s.route_for(WS),
        Route::Proxy {
            server: p.clone(),
            source: ProxySource::WinInet
        }
    );
    assert_eq!(proxy(&s.route_for(CI)), Some(&p));
    assert_eq!(
        direct_reason(&s.route_for(WS_PRIVATELINK)),
        "bypass entry `*.privatelink.api.azureml.ms` in Windows Internet Settings (WinINET)"
    );
    assert!(direct_reason(&s.route_for("intranet")).contains("`<local>` (plain host name)"));
    assert!(direct_reason(&s.route_for("INTRANET.")).contains("<local>"));
    assert!(direct_reason(&s.route_for("10.0.0.4")).contains("`10.*`"));
    assert!(direct_reason(&s.route_for("Build.Corp.Contoso.com")).contains("*.corp.contoso.com"));
    // `*.corp.contoso.com` is not the bare domain in WinINET's reading.
    assert_eq!(proxy(&s.route_for("corp.contoso.com")), Some(&p));
    assert!(direct_reason(&s.route_for("localhost")).contains("loopback"));
    assert!(direct_reason(&s.route_for("[::1]")).contains("loopback"));
}

#[test]
fn reg_query_default_autodetect_with_stale_proxy() {
    let s = parse_reg_query_internet_settings(REG_AUTODETECT);
    assert!(s.auto_detect);
    assert_eq!(s.http, None);
    assert_eq!(s.https, None);
    assert_eq!(s.pac_url, None);
    assert_eq!(s.bypass, strings(&["<local>"]));
    assert_eq!(
        s.notes,
        strings(&["ProxyServer 127.0.0.1:8888 is set but the manual proxy is off (not used)"])
    );
    assert_eq!(
        s.route_for(WS),
        Route::Wpad {
            source: ProxySource::WinInet,
            otherwise: Box::new(Route::Direct {
                reason: "no proxy for https configured in Windows Internet Settings (WinINET)"
                    .to_string()
            })
        }
    );
}

#[test]
fn reg_query_without_blob_and_disagreements() {
    // Only the plain values: ProxyEnable decides, auto-detect is unknown.
    let idx = REG_MANUAL.rfind("\r\nHKEY_CURRENT_USER").unwrap();
    let s = parse_reg_query_internet_settings(&REG_MANUAL[..idx]);
    assert!(s.https.is_some());
    assert!(!s.auto_detect);
    assert!(
        s.notes
            .iter()
            .any(|n| n.starts_with("auto-detect (WPAD) state unknown"))
    );

    // ProxyEnable says on, the blob says off (flags 0x01): WinINET follows the blob.
    let text = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\n    ProxyEnable    REG_DWORD    0x1\n    ProxyServer    REG_SZ    p:1\n\nHKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\n    DefaultConnectionSettings    REG_BINARY    46000000020000000100000003000000703A3100000000000000000000000000\n";
    let s = parse_reg_query_internet_settings(text);
    assert_eq!(s.https, None);
    assert!(
        s.notes.iter().any(|n| n.contains(
            "ProxyEnable is 1 but DefaultConnectionSettings says the manual proxy is off"
        )),
        "{:?}",
        s.notes
    );

    // A truncated blob is a note, not a panic.
    let text = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\n    DefaultConnectionSettings    REG_BINARY    4600000002000000030000004000000070\n";
    let s = parse_reg_query_internet_settings(text);
    assert!(
        s.notes.iter().any(|n| n.contains("runs past the end")),
        "{:?}",
        s.notes
    );

    let text = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\n    DefaultConnectionSettings    REG_BINARY    46\u{e9}00\n";
    let s = parse_reg_query_internet_settings(text);
    assert!(
        s.notes.iter().any(|n| n.contains("unreadable (not hex)")),
        "{:?}",
        s.notes
    );

    let s = parse_reg_query_internet_settings("garbage\n");
    assert!(s.is_direct());
    assert_eq!(
        s.notes,
        strings(&["no Internet Settings key in the reg query output"])
    );
}

#[test]
fn netsh_winhttp_direct_and_set() {
    let s = parse_netsh_winhttp(NETSH_DIRECT);
    assert_eq!(s.source, ProxySource::WinHttp);
    assert!(s.is_direct());
    assert!(s.bypass.is_empty());
    assert!(s.notes.is_empty(), "{:?}", s.notes);

    let s = parse_netsh_winhttp(NETSH_SET);
    assert_eq!(
        s.http,
        Some(server("http", "proxy.corp.contoso.com", 8080, false))
    );
    assert_eq!(
        s.https,
        Some(server("http", "proxy.corp.contoso.com", 8443, false))
    );
    assert_eq!(
        s.bypass,
        strings(&["<local>", "*.corp.contoso.com", "10.*"])
    );
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    assert_eq!(proxy(&s.route_for(CI)).map(|p| p.port), Some(8443));

    // WinHTTP is for services: it never decides what browsers do.
    let d = ProxyDiscovery {
        sources: vec![s],
        notes: Vec::new(),
    };
    assert_eq!(direct_reason(&d.route_for(CI)), "no proxy configured");

    // Localised output is read by position.
    let fr = "\nParamètres actuels du proxy WinHTTP :\n\n    Serveur(s) proxy :  proxy.corp:3128\n    Liste de contournement :  <local>\n";
    let s = parse_netsh_winhttp(fr);
    assert_eq!(s.https, Some(server("http", "proxy.corp", 3128, false)));
    assert_eq!(s.bypass, strings(&["<local>"]));
}

/// `netsh winhttp show proxy` captured in German, French and Japanese, in their code pages.
#[test]
fn netsh_winhttp_in_other_languages() {
    use crate::host::windows::codepage::decode_console;
    macro_rules! raw {
        ($p:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/host/proxy/windows/",
                $p
            ))
        };
    }
    let direct: [(&[u8], u16); 3] = [
        (raw!("netsh-winhttp-direct-de-cp850.txt"), 850),
        (raw!("netsh-winhttp-direct-fr-cp850.txt"), 850),
        (raw!("netsh-winhttp-direct-ja-cp932.txt"), 932),
    ];
    for (bytes, cp) in direct {
        let s = parse_netsh_winhttp(&decode_console(bytes, cp));
        assert!(s.is_direct(), "code page {cp}: {s:?}");
        assert!(s.notes.is_empty(), "code page {cp}: {:?}", s.notes);
    }
    let de = parse_netsh_winhttp(&decode_console(raw!("netsh-winhttp-set-de-cp850.txt"), 850));
    assert_eq!(
        de.http,
        Some(server("http", "proxy.corp.contoso.de", 8080, false))
    );
    assert_eq!(
        de.https,
        Some(server("http", "proxy.corp.contoso.de", 8443, false))
    );
    assert_eq!(
        de.bypass,
        strings(&["<local>", "*.corp.contoso.de", "10.*"])
    );
    let fr = parse_netsh_winhttp(&decode_console(raw!("netsh-winhttp-set-fr-cp850.txt"), 850));
    assert_eq!(
        fr.https,
        Some(server("http", "proxy.corp.contoso.fr", 3128, false))
    );
    assert_eq!(fr.bypass, strings(&["<local>", "*.corp.contoso.fr"]));
    let ja = parse_netsh_winhttp(&decode_console(raw!("netsh-winhttp-set-ja-cp932.txt"), 932));
    assert_eq!(
        ja.http,
        Some(server("http", "proxy.corp.contoso.co.jp", 8080, false))
    );
    assert_eq!(ja.bypass, strings(&["<local>", "*.contoso.co.jp"]));
}

// ---------------------------------------------------------------- macOS

#[test]
fn scutil_pac_with_exceptions() {
    let s = parse_scutil_proxy(SCUTIL_PAC);
    assert_eq!(s.source, ProxySource::MacScutil);
    assert_eq!(
        s.pac_url.as_deref(),
        Some("http://pac.corp.contoso.com/proxy.pac")
    );
    assert_eq!(
        (s.http.clone(), s.https.clone(), s.socks.clone()),
        (None, None, None)
    );
    assert!(!s.auto_detect);
    assert_eq!(
        s.bypass,
        strings(&["*.local", "169.254/16", "*.corp.contoso.com", "<local>"])
    );
    assert!(matches!(s.route_for(WS), Route::Pac { .. }));
}

#[test]
fn scutil_manual_https_routes() {
    let s = parse_scutil_proxy(SCUTIL_MANUAL);
    assert_eq!(
        s.http,
        Some(server("http", "proxy.corp.contoso.com", 3128, false))
    );
    // HTTPSUser present: credentials, the scoped copy (port 9999) ignored.
    let https = server("http", "proxy.corp.contoso.com", 3128, true);
    assert_eq!(s.https, Some(https.clone()));
    assert_eq!(
        s.bypass,
        strings(&[
            "*.local",
            "169.254/16",
            "10.0.0.0/8",
            "*.instances.azureml.ms"
        ])
    );
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    assert_eq!(proxy(&s.route_for(WS)), Some(&https));
    assert!(direct_reason(&s.route_for(CI)).contains("`*.instances.azureml.ms`"));
    assert!(direct_reason(&s.route_for("10.0.0.4")).contains("`10.0.0.0/8`"));
    assert!(direct_reason(&s.route_for("printer.local")).contains("`*.local`"));
    // No ExcludeSimpleHostnames here: a plain name goes to the proxy.
    assert_eq!(proxy(&s.route_for("intranet")), Some(&https));
    // Abbreviated network `169.254/16` (also an implicit link-local bypass).
    assert!(s.route_for("169.254.1.1").to_string().starts_with("DIRECT"));
    let mut s2 = s.clone();
    s2.bypass = strings(&["<-loopback>", "172.16/12"]);
    assert!(direct_reason(&s2.route_for("172.20.1.1")).contains("`172.16/12`"));
    assert_eq!(proxy(&s2.route_for("127.0.0.1")), Some(&https));
}

// ---------------------------------------------------------------- GNOME

#[test]
fn gsettings_manual_routes_and_no_password() {
    let s = parse_gsettings_list(GSETTINGS_MANUAL);
    assert_eq!(s.source, ProxySource::Gnome);
    assert_eq!(
        s.http,
        Some(server("http", "proxy.corp.contoso.com", 3128, true))
    );
    let https = server("http", "proxy.corp.contoso.com", 3129, false);
    assert_eq!(s.https, Some(https.clone()));
    assert_eq!(s.socks, None);
    assert_eq!(
        s.bypass,
        strings(&[
            "localhost",
            "127.0.0.0/8",
            "::1",
            "*.corp.contoso.com",
            ".privatelink.api.azureml.ms",
            "10.0.0.0/8",
            "instances.azureml.ms:443"
        ])
    );
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    assert!(!format!("{s:?}").contains("S3cret"));

    assert_eq!(proxy(&s.route_for(WS)), Some(&https));
    assert!(direct_reason(&s.route_for(WS_PRIVATELINK)).contains(".privatelink.api.azureml.ms"));
    // GLib: an entry with a port only matches URLs naming that port, so never https://host/.
    assert_eq!(proxy(&s.route_for(CI)), Some(&https));
    assert!(direct_reason(&s.route_for("10.0.0.4")).contains("`10.0.0.0/8`"));
    // `*.corp.contoso.com` covers the domain itself in GLib's reading.
    assert!(direct_reason(&s.route_for("corp.contoso.com")).contains("*.corp.contoso.com"));
    assert!(direct_reason(&s.route_for("::1")).contains("`::1`"));
    assert_eq!(proxy(&s.route_for("intranet")), Some(&https));
    // No implicit loopback rule in GLib: 127.0.0.1 is covered by the listed range only.
    assert!(direct_reason(&s.route_for("127.0.0.1")).contains("127.0.0.0/8"));
}

#[test]
fn gsettings_auto_and_single_values() {
    let s = parse_gsettings_list(GSETTINGS_AUTO);
    assert_eq!(
        s.pac_url.as_deref(),
        Some("http://pac.corp.contoso.com/proxy.pac")
    );
    assert!(!s.auto_detect);
    assert!(matches!(s.route_for(WS), Route::Pac { .. }));
    // ignore-hosts applies before the PAC file in GNOME's auto mode.
    assert!(direct_reason(&s.route_for("localhost")).contains("`localhost`"));

    let s = parse_gsettings("'auto'", "''", "@as []", "''", "0", "''", "0", "''", "0");
    assert!(s.auto_detect);
    assert!(s.bypass.is_empty());
    assert!(matches!(s.route_for(WS), Route::Wpad { .. }));

    let s = parse_gsettings(
        "'manual'",
        "''",
        "['it\\'s', \"a'b\"]",
        "'proxy'",
        "uint32 8443",
        "''",
        "0",
        "'socks.corp'",
        "1080",
    );
    assert_eq!(s.https, Some(server("http", "proxy", 8443, false)));
    assert_eq!(s.socks, Some(server("socks", "socks.corp", 1080, false)));
    assert_eq!(s.bypass, strings(&["it's", "a'b"]));

    // No https host: https URLs use the http proxy (glib-networking).
    let s = parse_gsettings(
        "'manual'", "''", "[]", "''", "0", "'web'", "8080", "''", "0",
    );
    assert_eq!(s.https, Some(server("http", "web", 8080, false)));

    let s = parse_gsettings(
        "'none'", "''", "[]", "'proxy'", "3128", "''", "0", "''", "0",
    );
    assert!(s.is_direct());
    let s = parse_gsettings("'manual'", "''", "[]", "'proxy'", "0", "''", "0", "''", "0");
    assert_eq!(s.https, None);
    assert!(
        s.notes.iter().any(|n| n.contains("no usable port")),
        "{:?}",
        s.notes
    );
}

// ---------------------------------------------------------------- KDE

#[test]
fn kioslaverc_types() {
    let s = parse_kioslaverc(KDE_1);
    assert_eq!(s.source, ProxySource::Kde);
    let p = server("http", "proxy.corp.contoso.com", 3128, false);
    assert_eq!(s.http, Some(p.clone()));
    assert_eq!(s.https, Some(p.clone()));
    assert_eq!(
        s.socks,
        Some(server("socks", "socks.corp.contoso.com", 1080, false))
    );
    assert_eq!(
        s.bypass,
        strings(&["localhost", "127.0.0.1", ".corp.contoso.com", "10.0.0.0/8"])
    );
    assert!(!s.bypass_reversed);
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    assert_eq!(proxy(&s.route_for(WS)), Some(&p));
    assert!(direct_reason(&s.route_for("build.corp.contoso.com")).contains(".corp.contoso.com"));
    assert!(direct_reason(&s.route_for("10.0.0.4")).contains("10.0.0.0/8"));
    assert_eq!(proxy(&s.route_for("intranet")), Some(&p));

    let s = parse_kioslaverc(KDE_2);
    assert_eq!(
        s.pac_url.as_deref(),
        Some("http://pac.corp.contoso.com/proxy.pac")
    );
    assert!(s.bypass.is_empty());
    assert!(matches!(s.route_for(CI), Route::Pac { .. }));

    let s = parse_kioslaverc(KDE_3);
    assert!(s.auto_detect);
    assert!(matches!(s.route_for(CI), Route::Wpad { .. }));

    let s = parse_kioslaverc(KDE_4);
    assert!(s.defer_to_env);
    assert!(s.bypass.is_empty());
    assert_eq!(s.http, None);
    assert_eq!(
        s.notes,
        strings(&[
            "ProxyType is 4: KDE uses the environment variables (httpProxy=http_proxy, httpsProxy=https_proxy, NoProxyFor=no_proxy)"
        ])
    );
}

#[test]
fn kioslaverc_suffix_match_and_reversed() {
    // KIO compares the text as a suffix: `contoso.com` also covers `notcontoso.com`.
    let text = "[Proxy Settings]\nProxyType=1\nhttpsProxy=proxy:3128\nNoProxyFor=contoso.com\n";
    let s = parse_kioslaverc(text);
    assert!(
        s.route_for("notcontoso.com")
            .to_string()
            .starts_with("DIRECT")
    );
    let text = "[Proxy Settings]\nProxyType=1\nhttpsProxy=proxy 3128\nNoProxyFor=*.azureml.ms\nReversedException=true\n";
    let s = parse_kioslaverc(text);
    assert!(s.bypass_reversed);
    assert_eq!(
        proxy(&s.route_for(WS)),
        Some(&server("http", "proxy", 3128, false))
    );
    assert!(direct_reason(&s.route_for("example.org")).contains("ReversedException"));
    let s = parse_kioslaverc("[Proxy Settings]\nProxyType=1\nhttpsProxy=http://bad host:x\n");
    assert!(s.https.is_none());
    assert!(
        s.notes
            .iter()
            .any(|n| n.starts_with("httpsProxy: invalid proxy")),
        "{:?}",
        s.notes
    );
}

// ---------------------------------------------------------------- environment

#[test]
fn env_parse_and_notes() {
    let v = vars(&[
        (
            "https_proxy",
            "http://alice:hunter2@proxy.corp.contoso.com:3128",
        ),
        ("HTTP_PROXY", "http://upper.corp:8080"),
        (
            "no_proxy",
            ".corp.contoso.com, *.azureml.ms,10.0.0.0/8 localhost",
        ),
        ("NO_PROXY", "localhost"),
        ("PATH", "/usr/bin"),
    ]);
    let s = parse_env(&v);
    assert_eq!(s.source, ProxySource::Env("https_proxy".to_string()));
    let https = server("http", "proxy.corp.contoso.com", 3128, true);
    assert_eq!(s.https, Some(https.clone()));
    assert_eq!(s.http, None, "curl ignores upper-case HTTP_PROXY");
    assert_eq!(
        s.bypass,
        strings(&[
            ".corp.contoso.com",
            "*.azureml.ms",
            "10.0.0.0/8",
            "localhost"
        ])
    );
    assert_eq!(
        s.notes,
        strings(&[
            "HTTP_PROXY=http://upper.corp:8080 is ignored by curl (it reads only lower-case http_proxy); Python, Go and Node use it for http:// URLs",
            "no_proxy=.corp.contoso.com, *.azureml.ms,10.0.0.0/8 localhost and NO_PROXY=localhost differ: curl, Python and Node use no_proxy, Go uses NO_PROXY",
        ])
    );
    assert!(!format!("{s:?}").contains("hunter2"));

    // curl's reading decides the environment route.
    assert_eq!(
        proxy(&s.route_for(WS)),
        Some(&https),
        "curl ignores *.azureml.ms"
    );
    assert!(direct_reason(&s.route_for("10.0.0.4")).contains("no_proxy"));
    assert!(
        s.route_for("build.corp.contoso.com")
            .to_string()
            .starts_with("DIRECT")
    );
    assert_eq!(env_route(&v, CI), s.route_for(CI));

    let s = parse_env(&vars(&[("ALL_PROXY", "socks5h://socks.corp:1080")]));
    assert_eq!(s.source, ProxySource::Env("ALL_PROXY".to_string()));
    assert_eq!(s.https, Some(server("socks5h", "socks.corp", 1080, false)));
    assert_eq!(s.socks, s.https);
    assert!(s.notes[0].contains("curl and Node only"), "{:?}", s.notes);

    let s = parse_env(&vars(&[("https_proxy", "http://u:pw@:1")]));
    assert_eq!(s.https, None);
    assert_eq!(
        s.notes,
        strings(&["https_proxy: invalid proxy `http://***@:1`: no host"])
    );

    let s = parse_env(&[]);
    assert_eq!(s.source, ProxySource::Env("*_proxy".to_string()));
    assert!(s.is_direct());
    assert_eq!(
        direct_reason(&s.route_for(WS)),
        "no proxy for https configured in environment (*_proxy)"
    );
}

fn verdicts(no_proxy: &str, host: &str) -> [bool; 4] {
    let v = no_proxy_verdicts(no_proxy, host);
    assert_eq!(
        v.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![
            Convention::Curl,
            Convention::Python,
            Convention::Go,
            Convention::Node
        ]
    );
    [v[0].1, v[1].1, v[2].1, v[3].1]
}

#[test]
fn no_proxy_conventions() {
    //                                                       curl   python go     node
    assert_eq!(verdicts("*.azureml.ms", WS), [false, false, true, true]);
    assert_eq!(verdicts(".azureml.ms", WS), [true, true, true, true]);
    assert_eq!(
        verdicts(".azureml.ms", "azureml.ms"),
        [true, true, false, false]
    );
    assert_eq!(verdicts("azureml.ms", WS), [true, true, true, false]);
    assert_eq!(
        verdicts("azureml.ms", "azureml.ms"),
        [true, true, true, true]
    );
    assert_eq!(
        verdicts("10.0.0.0/8", "10.0.0.4"),
        [true, false, true, false]
    );
    assert_eq!(verdicts("10.0.0.4", "10.0.0.4"), [true, true, true, true]);
    assert_eq!(
        verdicts(&format!("{CI}:443"), CI),
        [false, false, true, true]
    );
    assert_eq!(
        verdicts(&format!("{CI}:8443"), CI),
        [false, false, false, false]
    );
    assert_eq!(verdicts("*", "intranet"), [true, true, true, true]);
    assert_eq!(verdicts("", "localhost"), [false, false, true, false]);
    assert_eq!(verdicts("", "127.0.0.1"), [false, false, true, false]);
    assert_eq!(
        verdicts("contoso.com", "notcontoso.com"),
        [false, false, false, false]
    );
    assert_eq!(
        verdicts("*contoso.com", "notcontoso.com"),
        [false, false, false, true]
    );
    assert_eq!(
        verdicts(".AzureML.ms", "X.azureml.MS"),
        [true, true, true, true]
    );
    assert_eq!(verdicts("intranet", "intranet."), [true, true, true, true]);
    assert_eq!(verdicts("fd00::/8", "fd00::5"), [true, false, true, false]);
    // curl splits on blanks too; Python and Go only on commas (the entry then holds a space).
    assert_eq!(
        verdicts("a.example b.example", "b.example"),
        [true, false, false, true]
    );

    assert_eq!(
        no_proxy_note("*.azureml.ms", WS).unwrap(),
        format!("no_proxy `*.azureml.ms` for {WS}: Go, Node go direct, curl, Python use the proxy")
    );
    assert_eq!(no_proxy_note(".azureml.ms", WS), None);
}

// ---------------------------------------------------------------- discovery and flags

#[test]
fn precedence_and_flags() {
    let wininet = parse_reg_query_internet_settings(REG_MANUAL);
    let env = parse_env(&vars(&[("https_proxy", "http://envproxy:8080")]));
    let winhttp = parse_netsh_winhttp(NETSH_SET);
    let d = ProxyDiscovery {
        sources: vec![winhttp.clone(), env.clone(), wininet.clone()],
        notes: Vec::new(),
    };
    assert_eq!(d.decisive().map(|s| &s.source), Some(&ProxySource::WinInet));
    assert_eq!(proxy(&d.route_for(WS)).map(|p| p.port), Some(3128));
    assert_eq!(
        d.env_route_for(WS)
            .as_ref()
            .and_then(proxy)
            .map(|p| p.host.as_str()),
        Some("envproxy")
    );

    let none = flag_settings(&Overrides {
        proxy: Some("none".to_string()),
        pac: None,
    })
    .unwrap()
    .unwrap();
    let mut d2 = d.clone();
    d2.sources.insert(0, none);
    assert_eq!(direct_reason(&d2.route_for(WS)), "--proxy none");

    let flag = flag_settings(&Overrides {
        proxy: Some("http://u:p@flag.corp:3128".to_string()),
        pac: None,
    })
    .unwrap()
    .unwrap();
    let mut d3 = d.clone();
    d3.sources.push(flag);
    assert_eq!(
        d3.route_for("intranet"),
        Route::Proxy {
            server: server("http", "flag.corp", 3128, true),
            source: ProxySource::Flag
        }
    );

    let pac = flag_settings(&Overrides {
        proxy: Some("http://flag.corp:3128".to_string()),
        pac: Some("./corp.pac".to_string()),
    })
    .unwrap()
    .unwrap();
    assert_eq!(
        pac.route_for(WS),
        Route::Pac {
            url: "./corp.pac".to_string(),
            source: ProxySource::Flag
        }
    );
    assert_eq!(
        pac.notes,
        strings(&["--pac and --proxy both given: the PAC file decides"])
    );

    assert!(flag_settings(&Overrides::default()).unwrap().is_none());
    let err = flag_settings(&Overrides {
        proxy: Some("http://u:secret@h:bad".to_string()),
        pac: None,
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("***@h:bad") && !err.contains("secret"),
        "{err}"
    );

    // KDE "use environment variables" hands the decision to the environment.
    let d4 = ProxyDiscovery {
        sources: vec![parse_kioslaverc(KDE_4), env.clone()],
        notes: Vec::new(),
    };
    assert_eq!(
        proxy(&d4.route_for(WS)).map(|p| p.host.as_str()),
        Some("envproxy")
    );
    assert_eq!(
        direct_reason(&ProxyDiscovery::default().route_for(WS)),
        "no proxy configured"
    );
}

// ---------------------------------------------------------------- collectors

type Calls = RefCell<Vec<String>>;

fn not_found(program: &str) -> CommandError {
    CommandError::NotFound {
        program: program.to_string(),
    }
}

#[test]
fn windows_collector_runs_reg_and_netsh() {
    let idx = REG_MANUAL_PAC.rfind("\r\nHKEY_CURRENT_USER").unwrap();
    let calls: Calls = RefCell::new(Vec::new());
    let run = |program: &str, args: &[&str], _t: Duration| -> Result<String, CommandError> {
        calls
            .borrow_mut()
            .push(format!("{program} {}", args.join(" ")));
        match (program, args) {
            ("reg", [_, key, "/v", "ProxySettingsPerUser"]) if key.starts_with("HKLM") => {
                Err(not_found("reg"))
            }
            ("reg", [_, key]) if key.ends_with("Internet Settings") => {
                Ok(REG_MANUAL_PAC[..idx].to_string())
            }
            ("reg", [_, key, "/v", "DefaultConnectionSettings"])
                if key.ends_with("Connections") =>
            {
                Ok(REG_MANUAL_PAC[idx..].to_string())
            }
            ("netsh", ["winhttp", "show", "proxy"]) => Ok(NETSH_DIRECT.to_string()),
            _ => Err(not_found(program)),
        }
    };
    let env = vars(&[("HTTPS_PROXY", "http://envproxy:8080")]);
    let d = collect_with(&Overrides::default(), Os::Windows, &env, &run);
    assert_eq!(
        d.sources
            .iter()
            .map(|s| s.source.clone())
            .collect::<Vec<_>>(),
        vec![
            ProxySource::WinInet,
            ProxySource::WinHttp,
            ProxySource::Env("HTTPS_PROXY".to_string())
        ]
    );
    assert_eq!(
        d.sources[0],
        parse_reg_query_internet_settings(REG_MANUAL_PAC)
    );
    assert!(matches!(d.route_for(WS), Route::Pac { .. }));
    assert_eq!(
        d.notes,
        strings(&[
            "browsers and the OS follow Windows Internet Settings (WinINET); command-line tools (curl, az, Python, Go, Node) follow the *_proxy environment variables"
        ])
    );
    assert!(
        calls.borrow()[1].starts_with(r"reg query HKCU\Software\Microsoft"),
        "{:?}",
        calls.borrow()
    );
}

#[test]
fn windows_collector_per_machine_policy_and_failures() {
    let calls: Calls = RefCell::new(Vec::new());
    let run = |program: &str, args: &[&str], _t: Duration| -> Result<String, CommandError> {
        calls
            .borrow_mut()
            .push(format!("{program} {}", args.join(" ")));
        match (program, args) {
            ("reg", [_, _, "/v", "ProxySettingsPerUser"]) => Ok(format!(
                "\r\n{POLICY_INTERNET_SETTINGS}\r\n    ProxySettingsPerUser    REG_DWORD    0x0\r\n"
            )),
            ("reg", [_, key]) if key.starts_with("HKLM") => Ok(REG_MANUAL.to_string()),
            ("reg", _) => Err(CommandError::TimedOut {
                program: "reg".to_string(),
                timeout: Duration::from_secs(8),
            }),
            _ => Err(not_found(program)),
        }
    };
    let d = collect_with(&Overrides::default(), Os::Windows, &[], &run);
    assert!(calls.borrow().iter().any(
        |c| c == r"reg query HKLM\Software\Microsoft\Windows\CurrentVersion\Internet Settings"
    ));
    assert_eq!(
        d.notes[0],
        "group policy ProxySettingsPerUser=0: proxy settings are per machine (HKLM)"
    );
    assert!(d.notes.iter().any(|n| n.starts_with(r"cannot read HKLM\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections: `reg` did not answer within")), "{:?}", d.notes);
    assert!(
        d.notes
            .iter()
            .any(|n| n
                == "cannot read the WinHTTP proxy (netsh winhttp show proxy): `netsh` not found"),
        "{:?}",
        d.notes
    );
    assert_eq!(proxy(&d.route_for(WS)).map(|p| p.port), Some(3128));
}

#[test]
fn macos_collector_and_flag_override() {
    let run = |program: &str, args: &[&str], _t: Duration| -> Result<String, CommandError> {
        match (program, args) {
            ("scutil", ["--proxy"]) => Ok(SCUTIL_MANUAL.to_string()),
            _ => Err(not_found(program)),
        }
    };
    let d = collect_with(&Overrides::default(), Os::Mac, &[], &run);
    assert_eq!(d.sources.len(), 2);
    assert!(proxy(&d.route_for(WS)).is_some());
    assert_eq!(
        d.notes,
        strings(&["browsers and the OS follow macOS network proxies (scutil --proxy)"])
    );

    let over = Overrides {
        proxy: Some("none".to_string()),
        pac: None,
    };
    let d = collect_with(&over, Os::Mac, &[], &run);
    assert_eq!(d.sources[0].source, ProxySource::Flag);
    assert_eq!(direct_reason(&d.route_for(WS)), "--proxy none");

    let bad = Overrides {
        proxy: Some("gopher://h:70".to_string()),
        pac: None,
    };
    let failing = |program: &str, _a: &[&str], _t: Duration| Err(not_found(program));
    let d = collect_with(&bad, Os::Mac, &[], &failing);
    assert!(
        d.notes[0].starts_with("flag ignored: invalid proxy `gopher://h:70`: unsupported scheme"),
        "{:?}",
        d.notes
    );
    assert_eq!(
        d.notes[1],
        "cannot read the macOS proxy settings: `scutil` not found"
    );
    assert_eq!(d.sources.len(), 1, "only the environment");
}

/// Linux desktops: the paths in the notes are written with `/`.
#[cfg(unix)]
#[test]
fn linux_collectors_follow_the_desktop() {
    let run = |program: &str, args: &[&str], _t: Duration| -> Result<String, CommandError> {
        match (program, args) {
            ("gsettings", ["list-recursively", "org.gnome.system.proxy"]) => {
                Ok(GSETTINGS_MANUAL.to_string())
            }
            _ => Err(not_found(program)),
        }
    };
    let d = collect_with(
        &Overrides::default(),
        Os::Linux,
        &vars(&[("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")]),
        &run,
    );
    assert_eq!(d.sources[0], parse_gsettings_list(GSETTINGS_MANUAL));
    assert_eq!(proxy(&d.route_for(WS)).map(|p| p.port), Some(3129));

    // KDE: kioslaverc from $XDG_CONFIG_HOME.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kioslaverc"), KDE_4).unwrap();
    let env = vars(&[
        ("XDG_CURRENT_DESKTOP", "KDE"),
        ("XDG_CONFIG_HOME", dir.path().to_str().unwrap()),
        ("https_proxy", "envproxy:3128"),
    ]);
    let d = collect_with(&Overrides::default(), Os::Linux, &env, &run);
    assert_eq!(d.sources[0], parse_kioslaverc(KDE_4));
    assert_eq!(
        d.route_for(WS),
        Route::Proxy {
            server: server("http", "envproxy", 3128, false),
            source: ProxySource::Env("https_proxy".to_string())
        }
    );

    // KDE with ~/.config and no file.
    let home = tempfile::tempdir().unwrap();
    let env = vars(&[
        ("XDG_CURRENT_DESKTOP", "KDE"),
        ("HOME", home.path().to_str().unwrap()),
    ]);
    let d = collect_with(&Overrides::default(), Os::Linux, &env, &run);
    assert_eq!(d.sources.len(), 1);
    assert!(
        d.notes[0].ends_with(".config/kioslaverc does not exist: KDE uses no proxy"),
        "{:?}",
        d.notes
    );

    // No desktop: environment only.
    let d = collect_with(&Overrides::default(), Os::Linux, &[], &run);
    assert_eq!(
        d.notes[0],
        "no desktop session detected: only the *_proxy environment variables apply"
    );
    assert_eq!(
        direct_reason(&d.route_for(WS)),
        "no proxy for https configured in environment (*_proxy)"
    );

    // GNOME without gsettings installed: a note.
    let d = collect_with(
        &Overrides::default(),
        Os::Linux,
        &vars(&[("XDG_CURRENT_DESKTOP", "GNOME")]),
        &|p: &str, _a: &[&str], _t: Duration| Err(not_found(p)),
    );
    assert_eq!(
        d.notes[0],
        "cannot read the GNOME proxy settings: `gsettings` not found"
    );
}

#[test]
fn collect_on_this_machine_never_fails() {
    // Runs the real collector for this OS (tools may be missing: that is a note).
    let d = collect(&Overrides::default());
    assert!(
        d.sources
            .iter()
            .any(|s| matches!(s.source, ProxySource::Env(_)))
    );
    let _ = d.route_for(WS);
}
