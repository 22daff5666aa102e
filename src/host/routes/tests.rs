//! Route parsers on captured-style output from all three OSes, the VPN verdict on the
//! matching interface lists, and the collector with injected tool output.
#![allow(clippy::unwrap_used)]

use super::*;
use std::cell::RefCell;

macro_rules! fixture {
    ($p:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/",
            $p
        ))
    };
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn iface(name: &str, addrs: &[&str]) -> Interface {
    Interface::new(name, None, addrs.iter().map(|a| ip(a)).collect())
}

/// (interface, gateway, source, network) for compact assertions.
type Row = (
    Option<String>,
    Option<IpAddr>,
    Option<IpAddr>,
    Option<String>,
);

fn row(r: &RouteInfo) -> Row {
    (r.interface.clone(), r.gateway, r.source, r.network.clone())
}

fn expect(iface: Option<&str>, gw: Option<&str>, src: Option<&str>, net: Option<&str>) -> Row {
    (
        iface.map(str::to_string),
        gw.map(ip),
        src.map(ip),
        net.map(str::to_string),
    )
}

// ---------------------------------------------------------------- Linux

/// A Linux laptop with Wi-Fi, Docker and a WireGuard tunnel to the VNet.
fn linux_wg_interfaces() -> Vec<Interface> {
    vec![
        iface("lo", &["127.0.0.1", "::1"]),
        iface("wlp2s0", &["192.168.1.23", "fe80::3e2f:9a1b:44c0:1d2e"]),
        iface("docker0", &["172.17.0.1"]),
        iface("wg0", &["10.66.66.2"]),
    ]
}

fn linux_plain_interfaces() -> Vec<Interface> {
    vec![
        iface("lo", &["127.0.0.1", "::1"]),
        iface("wlp2s0", &["192.168.1.23", "fe80::3e2f:9a1b:44c0:1d2e"]),
    ]
}

#[test]
fn ip_route_get_wireguard_split_tunnel() {
    let r = parse_ip_route_get(fixture!("linux/ip-route-get-wg0-split.txt")).unwrap();
    assert_eq!(r.destination, ip("10.0.0.4"));
    assert_eq!(row(&r), expect(Some("wg0"), None, Some("10.66.66.2"), None));
    assert_eq!(
        r.raw,
        "10.0.0.4 dev wg0 src 10.66.66.2 uid 1000 \n    cache"
    );
    assert!(carried_by_vpn(&r, &linux_wg_interfaces()));
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &linux_wg_interfaces()),
        VpnVerdict::Carried {
            interface: "wg0".into()
        }
    );
}

#[test]
fn ip_route_get_wireguard_full_tunnel_policy_table() {
    let r = parse_ip_route_get(fixture!("linux/ip-route-get-wg0-full.txt")).unwrap();
    assert_eq!(row(&r), expect(Some("wg0"), None, Some("10.66.66.2"), None));
}

#[test]
fn ip_route_get_openvpn_tun() {
    let r = parse_ip_route_get(fixture!("linux/ip-route-get-tun0.txt")).unwrap();
    assert_eq!(
        row(&r),
        expect(Some("tun0"), Some("10.8.0.1"), Some("10.8.0.6"), None)
    );
    // tun0 is missing from the list (e.g. it came up after the scan): its name decides.
    assert!(carried_by_vpn(&r, &linux_plain_interfaces()));
}

#[test]
fn ip_route_get_wifi_is_not_carried() {
    let r = parse_ip_route_get(fixture!("linux/ip-route-get-wifi.txt")).unwrap();
    assert_eq!(
        row(&r),
        expect(
            Some("wlp2s0"),
            Some("192.168.1.1"),
            Some("192.168.1.23"),
            None
        )
    );
    assert!(!carried_by_vpn(&r, &linux_plain_interfaces()));
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &linux_plain_interfaces()),
        VpnVerdict::NotCarried {
            interface_used: Some("wlp2s0".into()),
            vpn_interfaces: vec![]
        }
    );
    // The WireGuard tunnel is up but its AllowedIPs lack the VNet: split tunnel.
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &linux_wg_interfaces()),
        VpnVerdict::NotCarried {
            interface_used: Some("wlp2s0".into()),
            vpn_interfaces: vec!["wg0".into()]
        }
    );
}

#[test]
fn ip_route_get_ipv6_via_router_advertisement() {
    let r = parse_ip_route_get(fixture!("linux/ip-route-get-v6-wifi.txt")).unwrap();
    assert_eq!(r.destination, ip("fd00:1::4"));
    assert_eq!(
        row(&r),
        expect(
            Some("wlp2s0"),
            Some("fe80::ca0e:14ff:fe2b:1c4e"),
            Some("2a02:8109:b6c0:1e00:3d2f:77a1:9c4e:12ab"),
            None
        )
    );
}

#[test]
fn ip_route_get_local_and_failures() {
    let r = parse_ip_route_get(fixture!("linux/ip-route-get-local.txt")).unwrap();
    assert_eq!(r.destination, ip("127.0.0.1"));
    assert_eq!(row(&r), expect(Some("lo"), None, Some("127.0.0.1"), None));
    assert_eq!(
        parse_ip_route_get(fixture!("linux/ip-route-get-unreachable.txt")),
        None
    );
    for text in [
        "",
        "unreachable 10.9.0.1 uid 0 \n    cache",
        "blackhole 10.10.0.1 uid 0",
        "RTNETLINK answers: No route to host",
        "Error: any valid prefix is expected rather than \"x\".",
        "garbage",
        "10.0.0.4 via",
        "10.0.0.4 dev",
    ] {
        assert_eq!(parse_ip_route_get(text), None, "{text:?}");
    }
    let r = parse_ip_route_get("10.0.0.4 via inet6 fe80::1 dev eth0 src 10.1.1.2 uid 0").unwrap();
    assert_eq!(r.gateway, Some(ip("fe80::1")));
}

// ---------------------------------------------------------------- macOS

/// A Mac with Wi-Fi, the system utuns (link-local only) and the Azure VPN Client on utun3.
fn macos_interfaces(vpn_up: bool) -> Vec<Interface> {
    let mut list = vec![
        iface("lo0", &["127.0.0.1", "::1", "fe80::1"]),
        iface("en0", &["192.168.1.42", "fe80::1c2b:3a4d:5e6f:7081"]),
        iface("utun0", &["fe80::9a1b:2c3d:4e5f:6071"]),
        iface("utun1", &["fe80::5d2e:1f30:4a5b:6c7d"]),
        iface("utun2", &["fe80::ce81:b1c:bd2c:69e"]),
    ];
    if vpn_up {
        list.push(iface("utun3", &["172.16.201.6"]));
    }
    list
}

#[test]
fn route_n_get_azure_vpn_utun() {
    let r = parse_route_n_get(fixture!("macos/route-get-utun3.txt")).unwrap();
    assert_eq!(r.destination, ip("10.0.0.4"));
    assert_eq!(
        row(&r),
        expect(Some("utun3"), None, None, Some("10.0.0.0/16"))
    );
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &macos_interfaces(true)),
        VpnVerdict::Carried {
            interface: "utun3".into()
        }
    );
}

#[test]
fn route_n_get_openvpn_gateway() {
    let r = parse_route_n_get(fixture!("macos/route-get-openvpn-utun.txt")).unwrap();
    assert_eq!(
        row(&r),
        expect(Some("utun5"), Some("10.8.0.5"), None, Some("10.0.0.0/16"))
    );
}

#[test]
fn route_n_get_default_via_wifi() {
    let r = parse_route_n_get(fixture!("macos/route-get-wifi.txt")).unwrap();
    assert_eq!(
        row(&r),
        expect(Some("en0"), Some("192.168.1.1"), None, Some("default"))
    );
    // The system utuns are VPN-like by name but carry no routable address: not listed.
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &macos_interfaces(false)),
        VpnVerdict::NotCarried {
            interface_used: Some("en0".into()),
            vpn_interfaces: vec![]
        }
    );
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &macos_interfaces(true)),
        VpnVerdict::NotCarried {
            interface_used: Some("en0".into()),
            vpn_interfaces: vec!["utun3".into()]
        }
    );
}

#[test]
fn route_n_get_failures() {
    assert_eq!(
        parse_route_n_get(fixture!("macos/route-get-not-in-table.txt")),
        None
    );
    let reject = "   route to: 10.0.0.4\ndestination: 10.0.0.0\n       mask: 255.255.0.0\n  interface: lo0\n      flags: <UP,DONE,STATIC,REJECT>\n";
    assert_eq!(parse_route_n_get(reject), None);
    assert_eq!(parse_route_n_get(""), None);
    // IPv6 with a scoped gateway.
    let v6 = "   route to: fd00:1::4\ndestination: default\n       mask: default\n    gateway: fe80::ca0e:14ff:fe2b:1c4e%en0\n  interface: en0\n      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>\n";
    let r = parse_route_n_get(v6).unwrap();
    assert_eq!(r.gateway, Some(ip("fe80::ca0e:14ff:fe2b:1c4e")));
    assert_eq!(r.network.as_deref(), Some("default"));
}

// ---------------------------------------------------------------- Windows

fn windows_vpn_interfaces() -> Vec<Interface> {
    interfaces::parse_ipconfig_interfaces(fixture!("windows/ipconfig-all-vpn.txt"))
}

fn windows_plain_interfaces() -> Vec<Interface> {
    interfaces::parse_ipconfig_interfaces(fixture!("windows/ipconfig-all-novpn.txt"))
}

/// The route table of the diagnosis's PowerShell call on the Azure VPN laptop.
fn windows_table() -> crate::host::windows::route_table::RouteTable {
    let f = crate::host::windows::powershell::parse(fixture!("windows/powershell-facts-vpn.json"))
        .unwrap();
    crate::host::windows::route_table::RouteTable {
        routes: f.routes,
        interfaces: f.ip_interfaces,
    }
}

#[test]
fn route_table_azure_vpn_ppp() {
    let r = windows_table().route_to(ip("10.1.0.4")).unwrap();
    assert_eq!(
        row(&r),
        expect(Some("AzureVNet-ml-prod"), None, None, Some("10.1.0.0/16"))
    );
    assert_eq!(
        vpn_verdict(ip("10.1.0.4"), Some(&r), &windows_vpn_interfaces()),
        VpnVerdict::Carried {
            interface: "AzureVNet-ml-prod".into()
        }
    );
    // Without the adapter list the PPP adapter is unknown and its alias is not VPN-like by
    // name: the verdict cannot claim a VPN.
    assert!(!carried_by_vpn(&r, &[iface("Wi-Fi", &["192.168.178.34"])]));
}

#[test]
fn route_table_other_range_goes_out_the_default_route() {
    let r = windows_table().route_to(ip("10.9.0.4")).unwrap();
    assert_eq!(
        row(&r),
        expect(Some("Ethernet"), Some("10.20.30.1"), None, Some("default"))
    );
    assert_eq!(
        vpn_verdict(ip("10.9.0.4"), Some(&r), &windows_vpn_interfaces()),
        VpnVerdict::NotCarried {
            interface_used: Some("Ethernet".into()),
            vpn_interfaces: vec!["AzureVNet-ml-prod".into()]
        }
    );
}

/// `route print -4` captured in German, French and Japanese, decoded from their code pages:
/// the same routes as the English table.
#[test]
fn route_print_in_other_languages() {
    use crate::host::windows::codepage::decode_console;
    let fixtures: [(&[u8], u16); 3] = [
        (
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/host/windows/route-print-de-cp850.txt"
            )),
            850,
        ),
        (
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/host/windows/route-print-fr-cp850.txt"
            )),
            850,
        ),
        (
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/host/windows/route-print-ja-cp932.txt"
            )),
            932,
        ),
    ];
    for (bytes, cp) in fixtures {
        let text = decode_console(bytes, cp);
        let r = parse_route_print(&text, v4("10.1.0.4")).unwrap();
        assert_eq!(
            row(&r),
            expect(None, None, Some("172.16.201.3"), Some("10.1.0.0/16")),
            "{text}"
        );
        // Other addresses leave through the Wi-Fi's default route; the persistent route
        // below the active ones (German capture) is not read.
        let r = parse_route_print(&text, v4("10.99.0.4")).unwrap();
        assert_eq!(
            row(&r),
            expect(
                None,
                Some("192.168.178.1"),
                Some("192.168.178.34"),
                Some("default")
            )
        );
        let list = parse_route_print_interfaces(&text);
        assert_eq!(list.len(), 4, "{list:?}");
        assert_eq!(list[0].index, 35);
        assert_eq!(list[1].mac.as_deref(), Some("8c:16:45:2a:7b:91"));
        assert_eq!(list[3].description, "Software Loopback Interface 1");
        if cp == 932 {
            assert_eq!(list[0].description, "社内VPN");
        }
    }
}

#[test]
fn format_list_records_and_wrapping() {
    let text = "\r\nName  : a\r\nValue : first part\r\n        second part\r\n\r\nName : b\r\n";
    let recs = parse_format_list(text);
    assert_eq!(
        recs,
        vec![
            vec![
                ("Name".to_string(), "a".to_string()),
                ("Value".to_string(), "first partsecond part".to_string())
            ],
            vec![("Name".to_string(), "b".to_string())]
        ]
    );
}

#[test]
fn route_print_picks_longest_prefix_through_ppp() {
    let text = fixture!("windows/route-print-vpn.txt");
    let mut r = parse_route_print(text, v4("10.0.0.4")).unwrap();
    assert_eq!(r.destination, ip("10.0.0.4"));
    assert_eq!(
        row(&r),
        expect(None, None, Some("172.16.201.3"), Some("10.0.0.0/16"))
    );
    assert_eq!(
        r.raw,
        "10.0.0.0      255.255.0.0          On-link     172.16.201.3     26"
    );
    // Carried even before naming: the source address is the PPP adapter's.
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &windows_vpn_interfaces()),
        VpnVerdict::Carried {
            interface: "AzureVNet-ml-prod".into()
        }
    );
    r.name_interface_from(&windows_vpn_interfaces());
    assert_eq!(r.interface.as_deref(), Some("AzureVNet-ml-prod"));

    let r = parse_route_print(text, v4("10.1.7.9")).unwrap();
    assert_eq!(r.network.as_deref(), Some("10.1.0.0/16"));
}

#[test]
fn route_print_equal_prefixes_lowest_metric() {
    let text = fixture!("windows/route-print-vpn.txt");
    // Outside the VNet: two default routes, Ethernet (25) beats Wi-Fi (35).
    let r = parse_route_print(text, v4("10.99.0.4")).unwrap();
    assert_eq!(
        row(&r),
        expect(
            None,
            Some("10.20.30.1"),
            Some("10.20.30.44"),
            Some("default")
        )
    );
    assert_eq!(
        vpn_verdict(ip("10.99.0.4"), Some(&r), &windows_vpn_interfaces()),
        VpnVerdict::NotCarried {
            interface_used: Some("Ethernet".into()),
            vpn_interfaces: vec!["AzureVNet-ml-prod".into()]
        }
    );
    // Host route wins over the /24.
    let r = parse_route_print(text, v4("192.168.178.34")).unwrap();
    assert_eq!(r.network.as_deref(), Some("192.168.178.34/32"));
}

#[test]
fn route_print_default_via_wifi() {
    let text = fixture!("windows/route-print-wifi.txt");
    let r = parse_route_print(text, v4("10.0.0.4")).unwrap();
    assert_eq!(
        row(&r),
        expect(
            None,
            Some("192.168.178.1"),
            Some("192.168.178.34"),
            Some("default")
        )
    );
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &windows_plain_interfaces()),
        VpnVerdict::NotCarried {
            interface_used: Some("Wi-Fi".into()),
            vpn_interfaces: vec![]
        }
    );
    // Unknown interface address: the verdict still names it by address.
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &[]),
        VpnVerdict::NotCarried {
            interface_used: Some("interface with address 192.168.178.34".into()),
            vpn_interfaces: vec![]
        }
    );
}

#[test]
fn route_print_without_match_or_table() {
    // No default route in this table: 8.8.8.8 matches nothing.
    let no_default: String = fixture!("windows/route-print-wifi.txt")
        .lines()
        .filter(|l| !l.trim_start().starts_with("0.0.0.0"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(parse_route_print(&no_default, v4("8.8.8.8")), None);
    assert_eq!(parse_route_print("", v4("10.0.0.4")), None);
    assert_eq!(
        parse_route_print(
            "Active Routes:\n 10.0.0.0 255.0.255.0 On-link 1.2.3.4 5\n",
            v4("10.0.0.4")
        ),
        None,
        "non-contiguous mask"
    );
}

#[test]
fn route_print_interface_list() {
    let list = parse_route_print_interfaces(fixture!("windows/route-print-vpn.txt"));
    assert_eq!(list.len(), 7);
    assert_eq!(
        list[0],
        RoutePrintInterface {
            index: 35,
            mac: None,
            description: "AzureVNet-ml-prod".into()
        }
    );
    assert_eq!(
        list[1],
        RoutePrintInterface {
            index: 12,
            mac: Some("8c:16:45:2a:7b:91".into()),
            description: "Intel(R) Ethernet Connection (7) I219-LM".into()
        }
    );
    assert_eq!(list[6].index, 1);
    assert_eq!(list[6].description, "Software Loopback Interface 1");
    let gp = parse_route_print_interfaces(fixture!("windows/route-print-wifi.txt"));
    assert_eq!(gp[0].description, "PANGP Virtual Ethernet Adapter Secure");
    assert!(interfaces::is_vpn_like("Ethernet 3", Some(&gp[0].description)).is_some());
}

// ---------------------------------------------------------------- verdict edge cases

#[test]
fn verdict_unknown_cases() {
    let list = linux_wg_interfaces();
    assert!(matches!(
        vpn_verdict(ip("10.0.0.4"), None, &list),
        VpnVerdict::Unknown { why } if why == "the route to 10.0.0.4 could not be determined"
    ));
    assert!(matches!(
        vpn_verdict(ip("127.0.0.1"), None, &list),
        VpnVerdict::Unknown { .. }
    ));
    let bare = RouteInfo::new(ip("10.0.0.4"), "");
    assert!(matches!(
        vpn_verdict(ip("10.0.0.4"), Some(&bare), &list),
        VpnVerdict::Unknown { why } if why.contains("names no interface")
    ));
}

#[test]
fn verdict_serializes_with_tag() {
    let v = VpnVerdict::NotCarried {
        interface_used: Some("en0".into()),
        vpn_interfaces: vec![],
    };
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"verdict":"not-carried","interface_used":"en0","vpn_interfaces":[]}"#
    );
}

#[test]
fn private_ranges() {
    for a in [
        "10.0.0.4",
        "172.16.201.3",
        "192.168.1.1",
        "100.64.0.1",
        "fd00::1",
    ] {
        assert!(crate::classify::is_private(ip(a)), "{a}");
    }
    for a in ["20.61.122.7", "100.128.0.1", "2a02:8109::1", "8.8.8.8"] {
        assert!(!crate::classify::is_private(ip(a)), "{a}");
    }
}

// ---------------------------------------------------------------- collector

/// A fake runner answering from a table of (program, first arg) → result, recording calls.
fn fake<'a>(
    calls: &'a RefCell<Vec<String>>,
    answers: &'a [(&'a str, Result<&'a str, &'a str>)],
) -> impl Fn(&str, &[&str], Duration) -> Result<String, CommandError> + 'a {
    move |program: &str, args: &[&str], _t: Duration| {
        let call = format!("{program} {}", args.join(" "));
        calls.borrow_mut().push(call.clone());
        for (prefix, answer) in answers {
            if call.starts_with(prefix) {
                return match answer {
                    Ok(text) => Ok(text.to_string()),
                    Err(stderr) if *stderr == "missing" => Err(CommandError::NotFound {
                        program: program.to_string(),
                    }),
                    Err(stderr) => Err(CommandError::Failed {
                        program: program.to_string(),
                        status: exit_status(),
                        stderr: stderr.to_string(),
                    }),
                };
            }
        }
        Err(CommandError::NotFound {
            program: program.to_string(),
        })
    }
}

/// A real non-zero exit status.
fn exit_status() -> std::process::ExitStatus {
    crate::host::dns_config::command::failed_exit_status()
}

#[test]
fn collector_linux_uses_ip_route_get() {
    let calls = RefCell::new(Vec::new());
    let answers = [(
        "ip route get",
        Ok(fixture!("linux/ip-route-get-wg0-split.txt")),
    )];
    let run = fake(&calls, &answers);
    let r = route_to_with(ip("10.0.0.4"), "linux", &run).unwrap();
    assert_eq!(r.interface.as_deref(), Some("wg0"));
    assert_eq!(*calls.borrow(), ["ip route get 10.0.0.4"]);
}

#[test]
fn collector_linux_unreachable_is_no_route() {
    let calls = RefCell::new(Vec::new());
    let answers = [(
        "ip route get",
        Err("RTNETLINK answers: Network is unreachable"),
    )];
    let run = fake(&calls, &answers);
    let err = route_to_with(ip("10.0.0.4"), "linux", &run).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no route to 10.0.0.4: RTNETLINK answers: Network is unreachable"
    );
    let answers = [("ip route get", Err("missing"))];
    let run = fake(&calls, &answers);
    let err = route_to_with(ip("10.0.0.4"), "linux", &run).unwrap_err();
    assert!(matches!(err, RouteError::Tool { .. }), "{err:?}");
}

#[test]
fn collector_macos_adds_inet6_for_ipv6() {
    let calls = RefCell::new(Vec::new());
    let answers = [("route -n get", Ok(fixture!("macos/route-get-utun3.txt")))];
    let run = fake(&calls, &answers);
    let r = route_to_with(ip("10.0.0.4"), "macos", &run).unwrap();
    assert_eq!(r.interface.as_deref(), Some("utun3"));
    let _ = route_to_with(ip("fd00:1::4"), "macos", &run);
    assert_eq!(
        *calls.borrow(),
        ["route -n get 10.0.0.4", "route -n get -inet6 fd00:1::4"]
    );
    let answers = [(
        "route -n get",
        Err("route: writing to routing socket: not in table"),
    )];
    let run = fake(&calls, &answers);
    assert!(matches!(
        route_to_with(ip("10.0.0.4"), "macos", &run),
        Err(RouteError::NoRoute { .. })
    ));
}

#[test]
fn collector_windows_uses_route_print() {
    let calls = RefCell::new(Vec::new());
    let answers = [("route print", Ok(fixture!("windows/route-print-vpn.txt")))];
    let run = fake(&calls, &answers);
    let r = route_to_with(ip("10.0.0.4"), "windows", &run).unwrap();
    assert_eq!(
        row(&r),
        expect(None, None, Some("172.16.201.3"), Some("10.0.0.0/16"))
    );
    assert_eq!(*calls.borrow(), ["route print -4"]);
    // The verdict names the interface from the adapter list.
    assert_eq!(
        vpn_verdict(ip("10.0.0.4"), Some(&r), &windows_vpn_interfaces()),
        VpnVerdict::Carried {
            interface: "AzureVNet-ml-prod".into()
        }
    );
    // IPv6 has no text fallback.
    let err = route_to_with(ip("fd00::4"), "windows", &run).unwrap_err();
    assert!(matches!(err, RouteError::Unparsable { .. }), "{err:?}");
    let answers = [("route print", Err("missing"))];
    let run = fake(&calls, &answers);
    let err = route_to_with(ip("10.0.0.4"), "windows", &run).unwrap_err();
    assert!(matches!(err, RouteError::Tool { .. }), "{err:?}");
}

#[test]
fn route_to_loopback_on_this_machine() {
    if !cfg!(target_os = "linux") {
        return;
    }
    // `ip route get` is a netlink query: nothing is sent.
    let r = route_to(ip("127.0.0.1")).unwrap();
    assert_eq!(r.interface.as_deref(), Some("lo"));
    assert_eq!(r.source, Some(ip("127.0.0.1")));
    assert!(!carried_by_vpn(&r, &interfaces::collect()));
}

#[test]
fn verdict_from_lookup_distinguishes_no_route_from_tool_failure() {
    let list = linux_wg_interfaces();
    let calls = RefCell::new(Vec::new());
    let answers = [(
        "ip route get",
        Err("RTNETLINK answers: Network is unreachable"),
    )];
    let run = fake(&calls, &answers);
    let lookup = route_to_with(ip("10.0.0.4"), "linux", &run);
    // No route at all: certainly not through the VPN.
    assert_eq!(
        vpn_verdict_from_lookup(ip("10.0.0.4"), &lookup, &list),
        VpnVerdict::NotCarried {
            interface_used: None,
            vpn_interfaces: vec!["wg0".into()]
        }
    );
    let answers = [("ip route get", Err("missing"))];
    let run = fake(&calls, &answers);
    let lookup = route_to_with(ip("10.0.0.4"), "linux", &run);
    assert_eq!(
        vpn_verdict_from_lookup(ip("10.0.0.4"), &lookup, &list),
        VpnVerdict::Unknown {
            why: "cannot look up the route to 10.0.0.4: `ip` not found".into()
        }
    );
    let ok = parse_ip_route_get(fixture!("linux/ip-route-get-wg0-split.txt")).ok_or_else(|| {
        RouteError::Unparsable {
            dest: ip("10.0.0.4"),
            tool: "ip route get".into(),
        }
    });
    assert_eq!(
        vpn_verdict_from_lookup(ip("10.0.0.4"), &ok, &list),
        VpnVerdict::Carried {
            interface: "wg0".into()
        }
    );
}

/// Prefixes and suffixes of every fixture (every 5th char boundary and every line break),
/// plus mangled variants, through every parser: none may panic.
#[test]
fn parsers_never_panic_on_truncated_or_mangled_input() {
    let fixtures = [
        fixture!("linux/ip-route-get-wg0-split.txt"),
        fixture!("linux/ip-route-get-v6-wifi.txt"),
        fixture!("linux/ip-route-get-local.txt"),
        fixture!("macos/route-get-utun3.txt"),
        fixture!("macos/route-get-wifi.txt"),
        fixture!("windows/route-print-vpn.txt"),
        fixture!("windows/ipconfig-all-vpn.txt"),
        fixture!("windows/ipconfig-all-wireguard.txt"),
        fixture!("windows/cim-azure-vm.txt"),
    ];
    let run_all = |t: &str| {
        let _ = parse_ip_route_get(t);
        let _ = parse_route_n_get(t);
        let _ = parse_route_print(t, v4("10.0.0.4"));
        let _ = parse_route_print_interfaces(t);
        let _ = parse_format_list(t);
        let _ = interfaces::parse_ipconfig_interfaces(t);
        let _ = crate::host::azure_vm::from_cim_output(t);
    };
    for text in fixtures {
        let cuts = text
            .char_indices()
            .filter(|(i, c)| i % 5 == 0 || *c == '\n')
            .map(|(i, _)| i);
        for i in cuts {
            run_all(&text[..i]);
            run_all(&text[i..]);
        }
        run_all(&text.replace(':', ""));
        run_all(&text.replace(' ', ""));
        run_all(&text.replace('.', ":"));
        run_all(&text.replace("\n", " : \u{e9}\u{1f600}\n"));
    }
    for odd in [
        " : ",
        ":",
        "...",
        "1...",
        "Active Routes:\n0 0 0 0 0",
        "via",
        "dev",
        "local",
    ] {
        run_all(odd);
    }
}
