//! Parser tests on captured-style fixtures from all three OSes, routing tests, and collector
//! tests with injected files and tool output.
#![allow(clippy::unwrap_used)]

use super::*;
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddrV6};

macro_rules! fixture {
    ($p:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/",
            $p
        ))
    };
}

const RESOLV_STUB: &str = fixture!("linux/resolv.conf.stub");
const RESOLV_UPLINK: &str = fixture!("linux/resolv.conf.uplink");
const RESOLV_STATIC: &str = fixture!("linux/resolv.conf.static");
const RESOLV_ODD: &str = fixture!("linux/resolv.conf.odd");
const RESOLVECTL_255: &str = fixture!("linux/resolvectl-255-wg0-split.txt");
const RESOLVECTL_257: &str = fixture!("linux/resolvectl-257-tun0-default.txt");
const RESOLVECTL_245: &str = fixture!("linux/resolvectl-245-tun0-split.txt");
const RESOLVE_237: &str = fixture!("linux/systemd-resolve-237.txt");
const SCUTIL_VPN: &str = fixture!("macos/scutil-dns-vpn-split.txt");
const SCUTIL_PLAIN: &str = fixture!("macos/scutil-dns-plain.txt");
const IPCONFIG: &str = fixture!("windows/ipconfig-all-vpn.txt");
const NRPT: &str = fixture!("windows/nrpt-azure-vpn.txt");
const NRPT_DOT: &str = fixture!("windows/nrpt-dot-rule.txt");

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// (address, source, interface, domains, default_route) for compact assertions.
type Row = (SocketAddr, String, Option<String>, Vec<String>, bool);

fn rows(cfg: &DnsConfig) -> Vec<Row> {
    cfg.servers
        .iter()
        .map(|s| {
            (
                s.addr,
                s.source.clone(),
                s.interface.clone(),
                s.domains.clone(),
                s.default_route,
            )
        })
        .collect()
}

fn row(addr: &str, source: &str, iface: Option<&str>, domains: &[&str], default: bool) -> Row {
    (
        sa(addr),
        source.to_string(),
        iface.map(str::to_string),
        domains.iter().map(|d| d.to_string()).collect(),
        default,
    )
}

fn addrs(list: &[&DnsServerEntry]) -> Vec<SocketAddr> {
    list.iter().map(|s| s.addr).collect()
}

fn sources(list: &[&DnsServerEntry]) -> Vec<String> {
    list.iter().map(|s| s.source.clone()).collect()
}

fn v6_scope(addr: &SocketAddr) -> u32 {
    match addr {
        SocketAddr::V6(v6) => v6.scope_id(),
        SocketAddr::V4(_) => panic!("not v6"),
    }
}

// ---------------------------------------------------------------- routing

#[test]
fn normalize_domain_forms() {
    assert_eq!(
        normalize_domain("~Corp.Example."),
        Some("corp.example".into())
    );
    assert_eq!(normalize_domain(".azureml.ms"), Some("azureml.ms".into()));
    assert_eq!(normalize_domain("~."), Some(".".into()));
    assert_eq!(normalize_domain("."), Some(".".into()));
    assert_eq!(normalize_domain("~"), None);
    assert_eq!(normalize_domain("  "), None);
}

#[test]
fn most_specific_domain_wins_then_default_route() {
    let mut cfg = DnsConfig::default();
    cfg.push_server(DnsServerEntry::new(sa("192.168.1.1:53"), "home"));
    cfg.push_server(
        DnsServerEntry::new(sa("10.0.0.1:53"), "vpn-broad").with_domains(["azureml.ms"], false),
    );
    cfg.push_server(
        DnsServerEntry::new(sa("10.0.0.2:53"), "vpn-narrow")
            .with_domains(["~privatelink.api.azureml.ms"], false),
    );
    let by = |n: &str| sources(&cfg.servers_for(n));
    assert_eq!(by("ws.workspace.eastus.api.azureml.ms"), ["vpn-broad"]);
    assert_eq!(
        by("ws.workspace.eastus.privatelink.api.azureml.ms."),
        ["vpn-narrow"]
    );
    assert_eq!(by("PRIVATELINK.API.AZUREML.MS"), ["vpn-narrow"]);
    assert_eq!(by("azureml.ms"), ["vpn-broad"]);
    // Label boundary: "notazureml.ms" is not inside "azureml.ms".
    assert_eq!(by("notazureml.ms"), ["home"]);
    assert_eq!(by("www.example.com"), ["home"]);
    assert_eq!(by(""), ["home"]);
}

#[test]
fn root_routing_domain_beats_plain_default_route() {
    let mut cfg = DnsConfig::default();
    cfg.push_server(DnsServerEntry::new(sa("192.168.1.1:53"), "wifi"));
    cfg.push_server(DnsServerEntry::new(sa("10.8.0.1:53"), "tun0").with_domains(["~."], false));
    assert_eq!(sources(&cfg.servers_for("example.com")), ["tun0"]);
}

#[test]
fn duplicates_are_merged_by_address_and_domains() {
    let mut cfg = DnsConfig::default();
    cfg.push_server(DnsServerEntry::new(sa("10.0.0.1:53"), "a").with_domains(["x.example"], false));
    cfg.push_server(DnsServerEntry::new(sa("10.0.0.1:53"), "b").with_domains(["X.example."], true));
    cfg.push_server(DnsServerEntry::new(sa("10.0.0.1:53"), "c"));
    cfg.push_server(DnsServerEntry::new(sa("10.0.0.1:5353"), "d"));
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.0.0.1:53", "a", None, &["x.example"], true),
            row("10.0.0.1:53", "c", None, &[], true),
            row("10.0.0.1:5353", "d", None, &[], true),
        ]
    );
}

// ---------------------------------------------------------------- resolv.conf

#[test]
fn resolv_conf_stub() {
    let cfg = parse_resolv_conf(RESOLV_STUB).unwrap();
    assert_eq!(
        rows(&cfg),
        vec![row("127.0.0.53:53", "resolv.conf", None, &[], true)]
    );
    assert_eq!(cfg.search, ["fritz.box"]);
    assert!(cfg.notes.is_empty(), "{:?}", cfg.notes);
}

#[test]
fn resolv_conf_static_with_comments_options_and_ipv6() {
    let cfg = parse_resolv_conf(RESOLV_STATIC).unwrap();
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.1.0.4:53", "resolv.conf", None, &[], true),
            row("10.1.0.5:53", "resolv.conf", None, &[], true),
            row("[fe80::1]:53", "resolv.conf", Some("eth0"), &[], true),
            row("[2001:db8:10::53]:53", "resolv.conf", None, &[], true),
        ]
    );
    assert_eq!(cfg.search, ["corp.contoso.com", "contoso.com"]);
    assert_eq!(cfg.notes.len(), 1, "{:?}", cfg.notes);
    assert!(
        cfg.notes[0].contains("glibc uses only the first 3"),
        "{:?}",
        cfg.notes
    );
    assert!(cfg.notes[0].contains("2001:db8:10::53"), "{:?}", cfg.notes);
}

#[test]
fn resolv_conf_bad_lines_become_notes() {
    let cfg = parse_resolv_conf(RESOLV_ODD).unwrap();
    assert_eq!(
        rows(&cfg),
        vec![row("192.168.1.1:53", "resolv.conf", None, &[], true)]
    );
    // `search` after `domain`: the last one wins, like glibc.
    assert_eq!(cfg.search, ["a.example", "b.example"]);
    assert_eq!(cfg.notes.len(), 3, "{:?}", cfg.notes);
    assert!(
        cfg.notes[0].starts_with("line 3: `nameserver 127.0.0.1:5353`"),
        "{:?}",
        cfg.notes
    );
    assert!(
        cfg.notes[1].starts_with("line 4: `nameserver not-an-address`"),
        "{:?}",
        cfg.notes
    );
    assert!(cfg.notes[2].contains("unknown option"), "{:?}", cfg.notes);
}

#[test]
fn resolv_conf_numeric_scope_goes_to_scope_id() {
    let cfg = parse_resolv_conf("nameserver fe80::53%3\n").unwrap();
    assert_eq!(
        cfg.servers[0].addr,
        SocketAddr::V6(SocketAddrV6::new("fe80::53".parse().unwrap(), 53, 0, 3))
    );
    assert_eq!(cfg.servers[0].interface, None);
}

#[test]
fn resolv_conf_rejects_what_is_not_one() {
    let err = parse_resolv_conf("<html>\n<body>Not found</body>\n").unwrap_err();
    assert!(matches!(err, DnsConfigError::NotResolvConf { .. }), "{err}");
    assert!(err.to_string().contains("line 1"), "{err}");
    let err = parse_resolv_conf("nameserver 127.0.0.1:5353\n").unwrap_err();
    assert!(err.to_string().contains("127.0.0.1:5353"), "{err}");
    // Empty and comment-only files are valid (glibc then asks 127.0.0.1).
    assert_eq!(parse_resolv_conf("").unwrap(), DnsConfig::default());
    assert_eq!(
        parse_resolv_conf("# nothing\n; here\n").unwrap(),
        DnsConfig::default()
    );
}

// ---------------------------------------------------------------- resolvectl

#[test]
fn resolvectl_255_wireguard_split_dns() {
    let cfg = parse_resolvectl_status(RESOLVECTL_255);
    let link2 = "systemd-resolved link 2 (enp0s31f6)";
    let wg = "systemd-resolved link 7 (wg0)";
    let vpn_domains = [
        "azureml.ms",
        "privatelink.api.azureml.ms",
        "notebooks.azure.net",
    ];
    assert_eq!(
        rows(&cfg),
        vec![
            row(
                "192.168.178.1:53",
                link2,
                Some("enp0s31f6"),
                &["fritz.box"],
                true
            ),
            row(
                "[fd00::ca0e:14ff:fe2b:1c4e]:53",
                link2,
                Some("enp0s31f6"),
                &["fritz.box"],
                true
            ),
            row("10.20.0.4:53", wg, Some("wg0"), &vpn_domains, false),
            row("10.20.0.5:53", wg, Some("wg0"), &vpn_domains, false),
        ]
    );
    assert_eq!(cfg.search, ["fritz.box"]);
    assert!(cfg.notes.is_empty(), "{:?}", cfg.notes);

    let ws = "4f1c2d3e-0000-4000-8000-000000000001.workspace.eastus.api.azureml.ms";
    assert_eq!(
        addrs(&cfg.servers_for(ws)),
        [sa("10.20.0.4:53"), sa("10.20.0.5:53")]
    );
    let pl = "4f1c2d3e-0000-4000-8000-000000000001.workspace.eastus.privatelink.api.azureml.ms";
    assert_eq!(sources(&cfg.servers_for(pl)), [wg, wg]);
    assert_eq!(sources(&cfg.servers_for("www.example.com")), [link2, link2]);
    assert_eq!(sources(&cfg.servers_for("nas.fritz.box")), [link2, link2]);
}

#[test]
fn resolvectl_257_default_route_lines_ports_names_and_ifindex() {
    let cfg = parse_resolvectl_status(RESOLVECTL_257);
    let global = "systemd-resolved global";
    let lan = "systemd-resolved link 2 (enp34s0)";
    let tun = "systemd-resolved link 9 (tun0)";
    let tun_domains = ["corp.contoso.com", "azureml.ms", "."];
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.255.0.53:53", global, None, &["home.arpa"], true),
            row("192.168.1.12:53", lan, Some("enp34s0"), &["lan"], true),
            row("192.168.1.13:53", lan, Some("enp34s0"), &["lan"], true),
            row(
                "[fe80::861e:a3ff:feb1:f8e7%2]:53",
                lan,
                Some("enp34s0"),
                &["lan"],
                true
            ),
            row("10.1.0.4:5353", tun, Some("tun0"), &tun_domains, true),
            row("[fd10:1::4]:853", tun, Some("tun0"), &tun_domains, true),
        ]
    );
    assert_eq!(v6_scope(&cfg.servers[3].addr), 2);
    assert_eq!(cfg.search, ["lan", "corp.contoso.com"]);
    // wlan0 has servers but no DNS scope; fallback servers are not used.
    assert_eq!(cfg.notes.len(), 1, "{:?}", cfg.notes);
    assert!(cfg.notes[0].contains("link 3 (wlan0)"), "{:?}", cfg.notes);

    assert_eq!(
        sources(&cfg.servers_for("ws.workspace.westeurope.api.azureml.ms")),
        [tun, tun]
    );
    // `~.` on tun0 takes every name no longer domain matches.
    assert_eq!(sources(&cfg.servers_for("www.example.com")), [tun, tun]);
    assert_eq!(sources(&cfg.servers_for("printer.lan")), [lan, lan, lan]);
    assert_eq!(sources(&cfg.servers_for("nas.home.arpa")), [global]);
}

#[test]
fn resolvectl_245_padded_lines_and_continuations() {
    let cfg = parse_resolvectl_status(RESOLVECTL_245);
    let tun = "systemd-resolved link 5 (tun0)";
    let eth = "systemd-resolved link 2 (ens33)";
    let d = ["azureml.ms", "privatelink.api.azureml.ms"];
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.8.0.1:53", tun, Some("tun0"), &d, false),
            row("10.8.0.2:53", tun, Some("tun0"), &d, false),
            row(
                "192.168.10.2:53",
                eth,
                Some("ens33"),
                &["localdomain"],
                true
            ),
        ]
    );
    assert_eq!(cfg.search, ["localdomain"]);
    assert!(cfg.notes.is_empty(), "{:?}", cfg.notes);
    assert_eq!(
        sources(&cfg.servers_for("x.privatelink.api.azureml.ms")),
        [tun, tun]
    );
    assert_eq!(
        sources(&cfg.servers_for("login.microsoftonline.com")),
        [eth]
    );
}

#[test]
fn systemd_resolve_237_without_default_route_field() {
    let cfg = parse_resolvectl_status(RESOLVE_237);
    let wifi = "systemd-resolved link 3 (wlp2s0)";
    let tun = "systemd-resolved link 4 (tun0)";
    assert_eq!(
        rows(&cfg),
        vec![
            row("192.168.0.1:53", wifi, Some("wlp2s0"), &["."], true),
            row(
                "10.8.0.1:53",
                tun,
                Some("tun0"),
                &["privatelink.api.azureml.ms"],
                false
            ),
        ]
    );
    assert!(cfg.search.is_empty());
    assert_eq!(
        sources(&cfg.servers_for("a.b.privatelink.api.azureml.ms")),
        [tun]
    );
    assert_eq!(sources(&cfg.servers_for("a.b.api.azureml.ms")), [wifi]);
}

#[test]
fn resolvectl_fallback_only_when_nothing_configured() {
    let text = "Global\n       Protocols: +LLMNR\nFallback DNS Servers: 192.0.2.1#a.example\n                      2001:db8::1\n\nLink 2 (eth0)\n    Current Scopes: LLMNR/IPv4\n";
    let cfg = parse_resolvectl_status(text);
    assert_eq!(
        rows(&cfg),
        vec![
            row("192.0.2.1:53", "systemd-resolved fallback", None, &[], true),
            row(
                "[2001:db8::1]:53",
                "systemd-resolved fallback",
                None,
                &[],
                true
            ),
        ]
    );
    assert!(cfg.notes[0].contains("fallback"), "{:?}", cfg.notes);
}

#[test]
fn resolvectl_link_not_default_without_domains_is_noted() {
    let text = "Link 4 (eth1)\n    Current Scopes: DNS\n         Protocols: -DefaultRoute\n       DNS Servers: 10.9.9.9\n";
    let cfg = parse_resolvectl_status(text);
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("no queries"), "{:?}", cfg.notes);
    let cfg = parse_resolvectl_status(
        "Failed to get global data: Unit dbus-org.freedesktop.resolve1.service not found.\n",
    );
    assert!(cfg.servers.is_empty());
}

// ---------------------------------------------------------------- scutil

#[test]
fn scutil_vpn_supplemental_resolvers() {
    let cfg = parse_scutil_dns(SCUTIL_VPN);
    let r = |n: u32| format!("scutil resolver #{n}");
    let rows_got = rows(&cfg);
    assert_eq!(
        rows_got,
        vec![
            row("192.168.178.1:53", &r(1), Some("en0"), &[], true),
            row(
                "[fe80::ca0e:14ff:fe2b:1c4e%14]:53",
                &r(1),
                Some("en0"),
                &[],
                true
            ),
            row(
                "10.20.0.4:53",
                &r(2),
                Some("utun4"),
                &["api.azureml.ms"],
                false
            ),
            row(
                "10.20.0.5:53",
                &r(2),
                Some("utun4"),
                &["api.azureml.ms"],
                false
            ),
            row(
                "10.20.0.4:53",
                &r(3),
                Some("utun4"),
                &["privatelink.api.azureml.ms"],
                false
            ),
            row(
                "10.20.0.5:53",
                &r(3),
                Some("utun4"),
                &["privatelink.api.azureml.ms"],
                false
            ),
            row(
                "10.20.0.4:53",
                &r(4),
                Some("utun4"),
                &["notebooks.azure.net"],
                false
            ),
            row("127.0.0.1:5353", &r(5), None, &["test"], false),
            row(
                "10.20.0.6:53",
                "scutil scoped resolver #2",
                Some("utun4"),
                &[],
                false
            ),
        ]
    );
    assert_eq!(v6_scope(&cfg.servers[1].addr), 14);
    assert_eq!(cfg.search, ["fritz.box"]);
    assert_eq!(cfg.notes.len(), 1, "{:?}", cfg.notes);
    assert!(
        cfg.notes[0].contains("10.20.0.6 used only for queries bound to utun4"),
        "{:?}",
        cfg.notes
    );

    let ws = "4f1c2d3e-0000-4000-8000-000000000001.workspace.eastus.api.azureml.ms";
    assert_eq!(sources(&cfg.servers_for(ws)), [r(2), r(2)]);
    let pl = "4f1c2d3e-0000-4000-8000-000000000001.workspace.eastus.privatelink.api.azureml.ms";
    assert_eq!(sources(&cfg.servers_for(pl)), [r(3), r(3)]);
    assert_eq!(
        addrs(&cfg.servers_for("ml-x.eastus.notebooks.azure.net")),
        [sa("10.20.0.4:53")]
    );
    assert_eq!(addrs(&cfg.servers_for("app.test")), [sa("127.0.0.1:5353")]);
    // Neither the scoped-only server nor split DNS servers take general names.
    assert_eq!(sources(&cfg.servers_for("www.apple.com")), [r(1), r(1)]);
}

#[test]
fn scutil_plain_home_network() {
    let cfg = parse_scutil_dns(SCUTIL_PLAIN);
    assert_eq!(
        rows(&cfg),
        vec![row(
            "192.168.1.1:53",
            "scutil resolver #1",
            Some("en0"),
            &[],
            true
        )]
    );
    assert_eq!(cfg.search, ["lan"]);
    assert!(cfg.notes.is_empty(), "{:?}", cfg.notes);
}

#[test]
fn scutil_no_network_and_garbage() {
    let text = "DNS configuration\n\nresolver #1\n  flags    : Request A records\nNot Reachable\n\nresolver #2\n  domain   : local\n  options  : mdns\n";
    let cfg = parse_scutil_dns(text);
    assert!(cfg.servers.is_empty());
    assert!(
        cfg.notes[0].contains("no default resolver"),
        "{:?}",
        cfg.notes
    );
    let cfg = parse_scutil_dns("No DNS configuration available\n");
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("not recognised"), "{:?}", cfg.notes);
    let cfg = parse_scutil_dns(
        "DNS configuration\nresolver #1\n  nameserver[0] : bogus\n  port : 99999\n",
    );
    assert!(cfg.servers.is_empty());
    assert_eq!(cfg.notes.len(), 2, "{:?}", cfg.notes);
}

// ---------------------------------------------------------------- ipconfig + NRPT

#[test]
fn ipconfig_all_adapters_vpn_and_disconnected() {
    let cfg = parse_ipconfig_all(IPCONFIG);
    let ppp = "ipconfig AzureVNet-ml-prod";
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.1.0.4:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row("10.1.0.5:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row(
                "10.20.0.10:53",
                "ipconfig Ethernet",
                Some("Ethernet"),
                &[],
                true
            ),
            row(
                "10.20.0.11:53",
                "ipconfig Ethernet",
                Some("Ethernet"),
                &[],
                true
            ),
            row(
                "[fe80::1%12]:53",
                "ipconfig Ethernet",
                Some("Ethernet"),
                &[],
                true
            ),
            row(
                "192.168.178.1:53",
                "ipconfig Wi-Fi",
                Some("Wi-Fi"),
                &[],
                true
            ),
        ]
    );
    assert_eq!(v6_scope(&cfg.servers[4].addr), 12);
    // The disconnected dock's stale suffix is not in the search list.
    assert_eq!(cfg.search, ["corp.contoso.com", "contoso.com", "home.arpa"]);
    assert_eq!(cfg.notes.len(), 1, "{:?}", cfg.notes);
    assert!(
        cfg.notes[0].starts_with("ipconfig Wi-Fi: skipped the IPv6 site-local"),
        "{:?}",
        cfg.notes
    );
    assert!(
        cfg.notes[0].contains("fec0:0:0:ffff::1%1"),
        "{:?}",
        cfg.notes
    );
}

#[test]
fn ipconfig_unrecognised_output_is_noted() {
    let cfg = parse_ipconfig_all("Der Befehl wurde nicht gefunden.\n");
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("not recognised"), "{:?}", cfg.notes);
    // Adapters that are up but list no server are worth a note too.
    let cfg = parse_ipconfig_all(
        "Windows IP Configuration\n\nEthernet adapter Ethernet:\n\n   IPv4 Address. . . : 10.0.0.5(Preferred)\n",
    );
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("no DNS server"), "{:?}", cfg.notes);
}

/// A localised capture as the console wrote it, decoded from its code page.
fn localized(bytes: &[u8], codepage: u16) -> String {
    let text = crate::host::windows::codepage::decode_console(bytes, codepage);
    assert!(!text.contains('\u{fffd}'), "undecodable bytes in fixture");
    text
}

macro_rules! fixture_bytes {
    ($p:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/",
            $p
        ))
    };
}

#[test]
fn ipconfig_german_cp850() {
    let text = localized(fixture_bytes!("windows/ipconfig-all-de-cp850.txt"), 850);
    let cfg = parse_ipconfig_all(&text);
    let ppp = "ipconfig AzureVNet-ml-prod";
    let wlan = "ipconfig WLAN";
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.1.0.4:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row("10.1.0.5:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row(
                "[fd00::ca0e:14ff:fe2b:1c4e]:53",
                wlan,
                Some("WLAN"),
                &[],
                true
            ),
            row("192.168.178.1:53", wlan, Some("WLAN"), &[], true),
        ]
    );
    // The disconnected dock's suffix is left out; the Teredo pseudo adapter has no server.
    assert_eq!(cfg.search, ["corp.contoso.de", "contoso.de", "fritz.box"]);
    assert!(cfg.notes.is_empty(), "{:?}", cfg.notes);

    let all = parse_ipconfig_adapters(&text);
    let names: Vec<&str> = all.adapters.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "AzureVNet-ml-prod",
            "Ethernet",
            "WLAN",
            "Bluetooth-Netzwerkverbindung",
            "Teredo Tunneling Pseudo-Interface"
        ]
    );
    let kinds: Vec<AdapterKind> = all.adapters.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            AdapterKind::Ppp,
            AdapterKind::Ethernet,
            AdapterKind::Wireless,
            AdapterKind::Ethernet,
            AdapterKind::Tunnel
        ]
    );
    let wlan = &all.adapters[2];
    assert_eq!(
        wlan.description.as_deref(),
        Some("Intel(R) Wi-Fi 6 AX201 160MHz")
    );
    assert_eq!(wlan.mac.as_deref(), Some("3c:f0:11:8d:52:a7"));
    assert_eq!(wlan.addresses.len(), 4);
    assert_eq!(
        wlan.addresses[3],
        "192.168.178.34".parse::<IpAddr>().unwrap()
    );
    let eth = &all.adapters[1];
    assert!(!eth.connected());
    assert_eq!(
        eth.description.as_deref(),
        Some("Intel(R) Ethernet Connection (7) I219-LM")
    );
    assert_eq!(all.adapters[0].mac, None);
    assert_eq!(
        all.adapters[4].mac, None,
        "a tunnel's 8-byte address is no MAC"
    );
}

#[test]
fn ipconfig_french_cp850() {
    let text = localized(fixture_bytes!("windows/ipconfig-all-fr-cp850.txt"), 850);
    let cfg = parse_ipconfig_all(&text);
    let ppp = "ipconfig AzureVNet-ml-prod";
    let wifi = "Connexion réseau sans fil";
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.1.0.4:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row("10.1.0.5:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row(
                "192.168.1.254:53",
                &format!("ipconfig {wifi}"),
                Some(wifi),
                &[],
                true
            ),
        ]
    );
    assert_eq!(cfg.search, ["corp.contoso.fr", "contoso.fr", "home"]);
    assert_eq!(cfg.notes.len(), 1, "{:?}", cfg.notes);
    assert!(cfg.notes[0].contains("site-local"), "{:?}", cfg.notes);

    let all = parse_ipconfig_adapters(&text);
    let a = &all.adapters;
    assert_eq!(a.len(), 3);
    assert_eq!(
        (a[0].kind, a[0].name.as_str()),
        (AdapterKind::Ppp, "AzureVNet-ml-prod")
    );
    assert_eq!(
        (a[1].kind, a[1].name.as_str()),
        (AdapterKind::Ethernet, "Ethernet")
    );
    assert_eq!(
        (a[2].kind, a[2].name.as_str()),
        (AdapterKind::Wireless, wifi)
    );
    assert_eq!(a[0].addresses, ["172.16.201.3".parse::<IpAddr>().unwrap()]);
    assert_eq!(
        a[1].description.as_deref(),
        Some("Realtek USB GbE Family Controller")
    );
    assert_eq!(a[1].mac.as_deref(), Some("00:e0:4c:68:1a:2f"));
    assert!(!a[1].connected());
}

#[test]
fn ipconfig_japanese_cp932() {
    let text = localized(fixture_bytes!("windows/ipconfig-all-ja-cp932.txt"), 932);
    let cfg = parse_ipconfig_all(&text);
    let ppp = "ipconfig AzureVNet-ml-prod";
    let eth = "イーサネット";
    assert_eq!(
        rows(&cfg),
        vec![
            row("10.1.0.4:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row("10.1.0.5:53", ppp, Some("AzureVNet-ml-prod"), &[], true),
            row(
                "10.20.0.10:53",
                &format!("ipconfig {eth}"),
                Some(eth),
                &[],
                true
            ),
            row(
                "10.20.0.11:53",
                &format!("ipconfig {eth}"),
                Some(eth),
                &[],
                true
            ),
        ]
    );
    assert_eq!(cfg.search, ["corp.contoso.co.jp"]);
    let all = parse_ipconfig_adapters(&text);
    let a = &all.adapters;
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].kind, AdapterKind::Ppp);
    assert_eq!(
        (a[1].kind, a[1].name.as_str()),
        (AdapterKind::Ethernet, eth)
    );
    assert_eq!(
        (a[2].kind, a[2].name.as_str()),
        (AdapterKind::Wireless, "Wi-Fi")
    );
    assert_eq!(
        a[1].addresses,
        [
            "fe80::4c1d:9a2b:3e5f:1a7c".parse::<IpAddr>().unwrap(),
            "10.20.30.44".parse().unwrap()
        ]
    );
    assert_eq!(a[1].mac.as_deref(), Some("8c:16:45:2a:7b:91"));
    assert_eq!(
        a[2].description.as_deref(),
        Some("Intel(R) Wi-Fi 6 AX201 160MHz")
    );
    assert!(!a[2].connected());
}

#[test]
fn nrpt_azure_vpn_rules() {
    let rules = parse_nrpt_policy(NRPT);
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert_eq!(rules.len(), 4);
    assert_eq!(rules[0].namespace, [".azureml.ms"]);
    assert_eq!(rules[0].name_servers, [ip("10.1.0.4"), ip("10.1.0.5")]);
    assert_eq!(rules[0].dnssec_validation_required, Some(false));
    assert_eq!(rules[0].doh, None);
    assert!(!rules[0].truncated);
    assert_eq!(rules[1].namespace, [".privatelink.api.azureml.ms"]);
    assert_eq!(rules[2].namespace, ["nls.corp.contoso.com"]);
    assert!(rules[2].name_servers.is_empty());
    assert_eq!(
        rules[3].namespace,
        [".notebooks.azure.net", ".instances.azureml.ms"]
    );
    assert_eq!(rules[3].name_servers, [ip("10.1.0.4")]);

    let mut cfg = DnsConfig::default();
    add_nrpt_rules(&rules, &mut cfg);
    cfg.merge(parse_ipconfig_all(IPCONFIG));
    let nb = "NRPT .notebooks.azure.net, .instances.azureml.ms";
    assert_eq!(
        rows(&cfg)[..5].to_vec(),
        vec![
            row(
                "10.1.0.4:53",
                "NRPT .azureml.ms",
                None,
                &["azureml.ms"],
                false
            ),
            row(
                "10.1.0.5:53",
                "NRPT .azureml.ms",
                None,
                &["azureml.ms"],
                false
            ),
            row(
                "10.1.0.4:53",
                "NRPT .privatelink.api.azureml.ms",
                None,
                &["privatelink.api.azureml.ms"],
                false
            ),
            row(
                "10.1.0.5:53",
                "NRPT .privatelink.api.azureml.ms",
                None,
                &["privatelink.api.azureml.ms"],
                false
            ),
            row(
                "10.1.0.4:53",
                nb,
                None,
                &["notebooks.azure.net", "instances.azureml.ms"],
                false
            ),
        ]
    );
    assert_eq!(cfg.servers.len(), 11);
    assert!(
        cfg.notes
            .iter()
            .any(|n| n.starts_with("NRPT nls.corp.contoso.com: rule has no DNS servers")),
        "{:?}",
        cfg.notes
    );

    let ws = "4f1c2d3e-0000-4000-8000-000000000001.workspace.eastus.api.azureml.ms";
    assert_eq!(
        sources(&cfg.servers_for(ws)),
        ["NRPT .azureml.ms", "NRPT .azureml.ms"]
    );
    assert_eq!(
        sources(&cfg.servers_for("ci-1.eastus.instances.azureml.ms")),
        [nb]
    );
    assert_eq!(
        sources(&cfg.servers_for("x.privatelink.api.azureml.ms")),
        [
            "NRPT .privatelink.api.azureml.ms",
            "NRPT .privatelink.api.azureml.ms"
        ]
    );
    // Other names go to every adapter's servers (not to NRPT-only entries).
    let other = cfg.servers_for("www.bing.com");
    assert_eq!(other.len(), 6);
    assert!(other.iter().all(|s| s.source.starts_with("ipconfig ")));
}

#[test]
fn nrpt_catch_all_rule_with_truncated_list() {
    let rules = parse_nrpt_policy(NRPT_DOT);
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].namespace, ["."]);
    assert_eq!(rules[0].name_servers.len(), 4);
    assert!(rules[0].truncated);
    let mut cfg = DnsConfig::default();
    add_nrpt_rules(&rules, &mut cfg);
    cfg.merge(parse_ipconfig_all(IPCONFIG));
    assert!(
        cfg.notes.iter().any(|n| n.contains("truncated")),
        "{:?}",
        cfg.notes
    );
    let got = cfg.servers_for("www.example.com");
    assert_eq!(got.len(), 4);
    assert!(
        got.iter()
            .all(|s| s.source == "NRPT ." && s.domains == ["."])
    );
}

#[test]
fn nrpt_wrapped_values_direct_access_and_garbage() {
    let text = "Namespace : .corp.example\nDirectAccessDnsServers : {fd00::1,\n                          fd00::2}\nDirectAccessEnabled : True\nNameServers : {bogus}\nDohEnabled : True\nNamespace : .other.example\nNameServers : 10.0.0.9\n";
    let rules = parse_nrpt_policy(text);
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].name_servers.len(), 2);
    assert_eq!(rules[0].invalid, ["bogus"]);
    assert_eq!(rules[0].doh, Some(true));
    assert_eq!(
        rules[1].name_servers,
        ["10.0.0.9".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(parse_nrpt_policy("Get-DnsClientNrptPolicy : Access denied\n").is_empty());
    assert!(parse_nrpt_policy("").is_empty());
}

// ---------------------------------------------------------------- robustness

#[test]
fn parsers_never_panic_on_truncated_or_mangled_input() {
    let all = [
        RESOLV_STUB,
        RESOLV_UPLINK,
        RESOLV_STATIC,
        RESOLV_ODD,
        RESOLVECTL_255,
        RESOLVECTL_257,
        RESOLVECTL_245,
        RESOLVE_237,
        SCUTIL_VPN,
        SCUTIL_PLAIN,
        IPCONFIG,
        NRPT,
        NRPT_DOT,
    ];
    for text in all {
        let cuts: Vec<usize> = (0..text.len())
            .step_by(7)
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for cut in cuts {
            for t in [&text[..cut], &text[cut..]] {
                let _ = parse_resolv_conf(t);
                let _ = parse_resolvectl_status(t);
                let _ = parse_scutil_dns(t);
                let _ = parse_ipconfig_all(t);
                let _ = parse_nrpt_policy(t);
                let _ = crate::host::os_doh::parse_netsh_dns_encryption(t);
            }
        }
        let mangled = text.replace(':', "::").replace(' ', "%");
        let _ = parse_resolvectl_status(&mangled);
        let _ = parse_scutil_dns(&mangled);
        let _ = parse_ipconfig_all(&mangled);
        let _ = parse_nrpt_policy(&mangled);
    }
}

// ---------------------------------------------------------------- collectors

/// A tool runner answering from a table; records the calls.
struct FakeTools {
    answers: Vec<(&'static str, Result<&'static str, &'static str>)>,
    calls: RefCell<Vec<String>>,
}

impl FakeTools {
    fn new(answers: Vec<(&'static str, Result<&'static str, &'static str>)>) -> Self {
        Self {
            answers,
            calls: RefCell::new(Vec::new()),
        }
    }

    fn run(
        &self,
        program: &str,
        _args: &[&str],
        timeout: Duration,
    ) -> Result<String, CommandError> {
        self.calls.borrow_mut().push(program.to_string());
        match self.answers.iter().find(|(p, _)| *p == program) {
            Some((_, Ok(text))) => Ok(text.to_string()),
            Some((_, Err("timeout"))) => Err(CommandError::TimedOut {
                program: program.to_string(),
                timeout,
            }),
            Some((_, Err(_))) | None => Err(CommandError::NotFound {
                program: program.to_string(),
            }),
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn linux_stub_is_replaced_by_resolvectl_upstreams() {
    let dir = tempfile::tempdir().unwrap();
    let resolv = write(dir.path(), "resolv.conf", RESOLV_STUB);
    let tools = FakeTools::new(vec![("resolvectl", Ok(RESOLVECTL_255))]);
    let cfg = collect_linux_with(&resolv, &dir.path().join("absent"), &|p, a, t| {
        tools.run(p, a, t)
    });
    assert_eq!(cfg.servers, parse_resolvectl_status(RESOLVECTL_255).servers);
    assert_eq!(cfg.search, ["fritz.box"]);
    assert!(
        cfg.notes[0].contains("systemd-resolved stub 127.0.0.53"),
        "{:?}",
        cfg.notes
    );
    assert!(cfg.notes[0].contains("resolvectl"), "{:?}", cfg.notes);
    assert_eq!(*tools.calls.borrow(), ["resolvectl"]);
}

#[test]
fn linux_stub_without_resolvectl_uses_uplink_file() {
    let dir = tempfile::tempdir().unwrap();
    let resolv = write(dir.path(), "resolv.conf", RESOLV_STUB);
    let uplink = write(dir.path(), "uplink.conf", RESOLV_UPLINK);
    let tools = FakeTools::new(vec![]);
    let cfg = collect_linux_with(&resolv, &uplink, &|p, a, t| tools.run(p, a, t));
    let src = "systemd-resolved resolv.conf";
    assert_eq!(
        rows(&cfg),
        vec![
            row("192.168.178.1:53", src, None, &[], true),
            row("10.20.0.4:53", src, None, &[], true),
            row("10.20.0.5:53", src, None, &[], true),
            row("[fd00::ca0e:14ff:fe2b:1c4e]:53", src, None, &[], true),
        ]
    );
    assert_eq!(*tools.calls.borrow(), ["resolvectl", "systemd-resolve"]);
    assert!(cfg.notes[0].contains("uplink.conf"), "{:?}", cfg.notes);
    assert!(
        cfg.notes
            .iter()
            .any(|n| n.contains("`resolvectl` not found")),
        "{:?}",
        cfg.notes
    );
}

#[test]
fn linux_stub_with_stuck_resolvectl_and_no_uplink_keeps_stub() {
    let dir = tempfile::tempdir().unwrap();
    let resolv = write(dir.path(), "resolv.conf", RESOLV_STUB);
    let tools = FakeTools::new(vec![("resolvectl", Err("timeout"))]);
    let cfg = collect_linux_with(&resolv, &dir.path().join("absent"), &|p, a, t| {
        tools.run(p, a, t)
    });
    assert_eq!(
        rows(&cfg),
        vec![row("127.0.0.53:53", "resolv.conf", None, &[], true)]
    );
    assert!(
        cfg.notes
            .iter()
            .any(|n| n.contains("did not answer within")),
        "{:?}",
        cfg.notes
    );
    assert!(
        cfg.notes
            .iter()
            .any(|n| n.contains("only the stub is listed")),
        "{:?}",
        cfg.notes
    );
}

#[test]
fn linux_static_resolv_conf_does_not_ask_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let resolv = write(dir.path(), "resolv.conf", RESOLV_STATIC);
    let tools = FakeTools::new(vec![("resolvectl", Ok(RESOLVECTL_255))]);
    let cfg = collect_linux_with(&resolv, &dir.path().join("absent"), &|p, a, t| {
        tools.run(p, a, t)
    });
    assert_eq!(cfg.servers.len(), 4);
    assert!(tools.calls.borrow().is_empty());
}

#[test]
fn linux_missing_resolv_conf_is_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let tools = FakeTools::new(vec![]);
    let cfg = collect_linux_with(
        &dir.path().join("nope"),
        &dir.path().join("absent"),
        &|p, a, t| tools.run(p, a, t),
    );
    assert_eq!(
        rows(&cfg),
        vec![row(
            "127.0.0.1:53",
            "glibc default (no nameserver in resolv.conf)",
            None,
            &[],
            true
        )]
    );
    assert!(cfg.notes[0].starts_with("cannot read"), "{:?}", cfg.notes);
    assert!(
        cfg.notes
            .iter()
            .any(|n| n.contains("`resolvectl` not found")),
        "{:?}",
        cfg.notes
    );
    assert!(
        cfg.notes.last().unwrap().contains("glibc falls back"),
        "{:?}",
        cfg.notes
    );

    // An empty resolv.conf on a systemd-resolved machine: resolved's servers are used.
    let empty = write(dir.path(), "empty.conf", "# nothing\n");
    let tools = FakeTools::new(vec![("resolvectl", Ok(RESOLVE_237))]);
    let cfg = collect_linux_with(&empty, &dir.path().join("absent"), &|p, a, t| {
        tools.run(p, a, t)
    });
    assert_eq!(
        cfg.unique_addrs(),
        [sa("192.168.0.1:53"), sa("10.8.0.1:53")]
    );
    assert!(
        cfg.notes[0].contains("lists no nameserver"),
        "{:?}",
        cfg.notes
    );
}

#[test]
fn collect_from_paths_reads_the_given_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "resolv.conf",
        "nameserver 127.0.0.1\nnameserver ::1\nsearch lab.test\n",
    );
    let cfg = collect_from_paths(&p);
    assert_eq!(
        rows(&cfg),
        vec![
            row("127.0.0.1:53", "resolv.conf", None, &[], true),
            row("[::1]:53", "resolv.conf", None, &[], true),
        ]
    );
    assert_eq!(cfg.search, ["lab.test"]);
    assert!(cfg.notes.is_empty());

    let stub = write(dir.path(), "stub.conf", RESOLV_STUB);
    let cfg = collect_from_paths(&stub);
    assert!(
        cfg.notes[0].contains("systemd-resolved stub"),
        "{:?}",
        cfg.notes
    );

    let cfg = collect_from_paths(&dir.path().join("missing"));
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("missing"), "{:?}", cfg.notes);

    let bad = write(dir.path(), "bad.conf", "this is not\na resolv.conf\n");
    let cfg = collect_from_paths(&bad);
    assert!(cfg.servers.is_empty());
    assert!(
        cfg.notes[0].starts_with("not a resolv.conf"),
        "{:?}",
        cfg.notes
    );
}

#[test]
fn linux_scope_ids_from_sysfs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("eth0")).unwrap();
    std::fs::write(dir.path().join("eth0/ifindex"), "2\n").unwrap();
    let mut cfg = parse_resolv_conf(RESOLV_STATIC).unwrap();
    cfg.push_server(
        DnsServerEntry::new(sa("[fe80::2]:53"), "x").with_interface(Some("../etc".into())),
    );
    fill_linux_scope_ids(&mut cfg, dir.path());
    assert_eq!(v6_scope(&cfg.servers[2].addr), 2);
    assert_eq!(v6_scope(&cfg.servers[3].addr), 0); // not link-local
    assert_eq!(v6_scope(&cfg.servers[4].addr), 0); // unsafe name ignored
}

#[test]
fn macos_collector_runs_scutil_or_notes() {
    let tools = FakeTools::new(vec![("scutil", Ok(SCUTIL_VPN))]);
    let cfg = collect_macos_with(&|p, a, t| tools.run(p, a, t));
    assert_eq!(cfg, parse_scutil_dns(SCUTIL_VPN));
    let none = FakeTools::new(vec![]);
    let cfg = collect_macos_with(&|p, a, t| none.run(p, a, t));
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("scutil"), "{:?}", cfg.notes);
}

#[test]
fn windows_text_collector_runs_ipconfig_or_notes() {
    let tools = FakeTools::new(vec![("ipconfig", Ok(IPCONFIG))]);
    let cfg = collect_windows_with(&|p, a, t| tools.run(p, a, t));
    assert_eq!(cfg, parse_ipconfig_all(IPCONFIG));
    assert_eq!(cfg.servers.len(), 6);
    let none = FakeTools::new(vec![]);
    let cfg = collect_windows_with(&|p, a, t| none.run(p, a, t));
    assert!(cfg.servers.is_empty());
    assert!(cfg.notes[0].contains("ipconfig /all"), "{:?}", cfg.notes);
}

#[test]
fn collect_on_this_machine_finishes_without_panicking() {
    let start = std::time::Instant::now();
    let cfg = collect();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    // Whatever this machine has, every entry is usable: a port and a source.
    for s in &cfg.servers {
        assert_ne!(s.addr.port(), 0);
        assert!(!s.source.is_empty());
    }
}
