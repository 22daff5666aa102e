//! Parser tests on captured-style fixtures from all three OSes, resolution rules, and
//! collector tests that walk synthetic homes laid out in temporary directories.
#![allow(clippy::unwrap_used)]

use super::firefox::ROLLOUT_REGIONS;
use super::*;
use serde_json::json;
use std::cell::RefCell;

macro_rules! fixture {
    ($p:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/browsers/",
            $p
        ))
    };
}

const REG_EDGE: &str = fixture!("windows/reg-query-hklm-edge.txt");
const REG_FIREFOX: &str = fixture!("windows/reg-query-hklm-firefox.txt");
const EDGE_LOCAL_STATE: &str = fixture!("windows/edge-local-state-secure.json");
const CHROME_LOCAL_STATE: &str = fixture!("windows/chrome-local-state-default.json");
const WIN_PROFILES_INI: &str = fixture!("windows/profiles.ini");
const MAC_EDGE: &str = fixture!("macos/defaults-read-com.microsoft.Edge.txt");
const MAC_FIREFOX: &str = fixture!("macos/defaults-read-org.mozilla.firefox.txt");
const LINUX_CHROME_POLICY: &str = fixture!("linux/chrome-managed-doh.json");
const LINUX_PROFILES_INI: &str = fixture!("linux/profiles.ini");
const PREFS_MODE2: &str = fixture!("firefox/prefs-mode2-custom.js");
const PREFS_MODE3: &str = fixture!("firefox/prefs-mode3.js");
const PREFS_MODE5: &str = fixture!("firefox/prefs-mode5.js");
const PREFS_ROLLOUT: &str = fixture!("firefox/prefs-rollout.js");
const USER_JS: &str = fixture!("firefox/user.js");
const POLICIES_JSON: &str = fixture!("firefox/policies.json");

const CONTOSO_DOH: &str = "https://doh.contoso.example/dns-query";

fn s(v: &str) -> String {
    v.to_string()
}

// ------------------------------------------------------------------ prefs.js

#[test]
fn prefs_js_mode2_custom_uri_and_escapes() {
    let p = parse_prefs_js(PREFS_MODE2);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.values.len(), 9);
    assert_eq!(p.int("network.trr.mode"), Some(2));
    assert_eq!(p.string("network.trr.uri"), Some(CONTOSO_DOH));
    assert_eq!(p.string("network.trr.custom_uri"), Some(CONTOSO_DOH));
    assert_eq!(p.bool("app.normandy.first_run"), Some(false));
    assert_eq!(
        p.string("browser.download.dir"),
        Some(r#"C:\Users\alex\Downloads\ml "exports""#)
    );
    assert_eq!(
        p.string("browser.newtabpage.pinned"),
        Some(r#"[{"url":"https://ml.azure.com/","label":"Azure ML é"}]"#)
    );
    // A string that looks like a number stays a string.
    assert_eq!(
        p.get("privacy.purge_trackers.date_in_cookie_database"),
        Some(&PrefValue::Str(s("0")))
    );
    assert_eq!(p.source("network.trr.mode"), Some("prefs.js"));
    assert_eq!(p.bool("network.trr.allow-rfc1918"), None);
}

#[test]
fn prefs_js_mode3_comments_and_a_broken_line() {
    let p = parse_prefs_js(PREFS_MODE3);
    assert_eq!(p.int("network.trr.mode"), Some(3));
    assert_eq!(p.bool("network.trr.allow-rfc1918"), Some(true));
    assert_eq!(
        p.string("network.trr.excluded-domains"),
        Some("contoso.example, Corp.Contoso.Example.,privatelink.api.azureml.ms")
    );
    assert_eq!(p.string("network.trr.uri"), Some(CONTOSO_DOH));
    assert_eq!(p.string("network.trr.bootstrapAddress"), Some("10.20.0.53"));
    // The statement after the broken one is still read.
    assert_eq!(p.bool("general.smoothScroll"), Some(false));
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert!(
        p.errors[0].starts_with("prefs.js:10: bad value"),
        "{:?}",
        p.errors
    );
}

#[test]
fn prefs_parser_survives_garbage() {
    for text in [
        "",
        "user_pref(",
        "user_pref(\"a\", \"unterminated);\nuser_pref(\"b\", 1);",
        "/* never closed",
        "user_pref(\"a\", 99999999999);",
        "user_pref(\"a\", \"\\u12\");",
        "\u{0}\u{1}garbage;;;",
        "user_pref(\"x\", 1, frozen);",
    ] {
        let p = parse_prefs_text(text, "prefs.js");
        assert!(p.get("a").is_none(), "{text:?}");
    }
    let p = parse_prefs_text(
        "user_pref(\"a\", \"unterminated);\nuser_pref(\"b\", -1);",
        "prefs.js",
    );
    assert_eq!(p.int("b"), Some(-1));
    assert_eq!(p.errors, vec![s("prefs.js:1: unterminated string")]);
    // Surrogate pairs and \x escapes.
    let p = parse_prefs_text(r#"pref("e", "\ud83d\ude00 \x41", locked);"#, "user.js");
    assert_eq!(p.string("e"), Some("😀 A"));
    assert_eq!(p.source("e"), Some("user.js"));
}

#[test]
fn user_js_overrides_prefs_js() {
    let mut p = parse_prefs_js(PREFS_MODE2);
    p.merge(parse_prefs_text(USER_JS, "user.js"));
    assert_eq!(p.int("network.trr.mode"), Some(3));
    assert_eq!(p.source("network.trr.mode"), Some("user.js"));
    assert_eq!(p.bool("network.trr.allow-rfc1918"), Some(true));
    let r = resolve_firefox(&p, None, false);
    assert_eq!(r.mode, DohMode::Only);
    assert_eq!(r.setting, "about:config network.trr.mode = 3 (user.js)");
}

// ------------------------------------------------------------- Firefox rules

#[test]
fn firefox_user_modes() {
    let r = resolve_firefox(&parse_prefs_js(PREFS_MODE2), None, false);
    assert_eq!(
        r,
        FirefoxResolved {
            mode: DohMode::First,
            templates: vec![s(CONTOSO_DOH)],
            excluded_domains: vec![],
            allow_rfc1918: false,
            managed: false,
            setting: s("about:config network.trr.mode = 2 (prefs.js)"),
            fix: r.fix.clone(),
        }
    );
    assert!(
        r.fix
            .starts_with("Firefox Settings > Privacy & Security > DNS over HTTPS: Off")
    );

    let r = resolve_firefox(&parse_prefs_js(PREFS_MODE3), None, true);
    assert_eq!(r.mode, DohMode::Only);
    assert_eq!(r.templates, vec![s(CONTOSO_DOH)]);
    assert_eq!(
        r.excluded_domains,
        vec![
            s("contoso.example"),
            s("corp.contoso.example"),
            s("privatelink.api.azureml.ms")
        ]
    );
    assert!(r.allow_rfc1918);

    let r = resolve_firefox(&parse_prefs_js(PREFS_MODE5), None, false);
    assert_eq!(r.mode, DohMode::OffByChoice);
    assert!(r.templates.is_empty());
    assert_eq!(r.setting, "about:config network.trr.mode = 5 (prefs.js)");

    // Reserved and out-of-range values count as 5, as in Firefox.
    for v in [1, 4, 6, 42, -1] {
        let p = parse_prefs_js(&format!("user_pref(\"network.trr.mode\", {v});"));
        assert_eq!(
            effective_firefox(&p, None, false),
            DohMode::OffByChoice,
            "{v}"
        );
    }
    // Nothing set: off, default provider not reported.
    let r = resolve_firefox(&FirefoxPrefs::default(), None, false);
    assert_eq!(r.mode, DohMode::Off);
    assert_eq!(r.setting, "network.trr.mode not set (default 0)");
}

#[test]
fn firefox_default_on_rollout_and_heuristics() {
    let p = parse_prefs_js(PREFS_ROLLOUT);
    let r = resolve_firefox(&p, None, false);
    assert_eq!(r.mode, DohMode::Automatic);
    assert_eq!(r.templates, vec![s(DEFAULT_FIREFOX_URI)]);
    assert!(
        r.setting
            .ends_with("Firefox default-on DoH: doh-rollout.mode = 2 (prefs.js)"),
        "{}",
        r.setting
    );
    // VPN / enterprise / canary: the heuristics switch the rollout off.
    let r = resolve_firefox(&p, None, true);
    assert_eq!(r.mode, DohMode::Off);
    assert!(
        r.setting.contains("switched off by its heuristics"),
        "{}",
        r.setting
    );
    // ... unless the heuristics are disabled.
    let mut p2 = p.clone();
    p2.merge(parse_prefs_text(
        "user_pref(\"doh-rollout.disable-heuristics\", true);",
        "prefs.js",
    ));
    assert_eq!(effective_firefox(&p2, None, true), DohMode::Automatic);
    // A home region alone is not evidence that DoH is on.
    let p3 = parse_prefs_js("user_pref(\"doh-rollout.home-region\", \"US\");");
    let r = resolve_firefox(&p3, None, false);
    assert_eq!(r.mode, DohMode::Off);
    assert!(r.setting.contains("home region US"), "{}", r.setting);
    assert!(ROLLOUT_REGIONS.contains(&"US"));
    // Any policy counts as an enterprise: effective_firefox turns the rollout off.
    let policy = FirefoxDohPolicy {
        provider_url: Some(s(CONTOSO_DOH)),
        source: s("policies.json"),
        ..FirefoxDohPolicy::default()
    };
    assert_eq!(
        effective_firefox(&p, Some(&policy), false),
        DohMode::Automatic
    );
}

#[test]
fn firefox_policy_precedence() {
    let mut policy = parse_firefox_policies_json(POLICIES_JSON).unwrap();
    policy.source = s("/etc/firefox/policies/policies.json");
    // Unlocked policy: only defaults. A user mode in prefs.js wins...
    let user = parse_prefs_js(PREFS_MODE5);
    let r = resolve_firefox(&user, Some(&policy), false);
    assert_eq!(r.mode, DohMode::OffByChoice);
    assert!(!r.managed);
    // ... and without one the policy applies: Fallback false → mode 3.
    let r = resolve_firefox(&FirefoxPrefs::default(), Some(&policy), false);
    assert_eq!(r.mode, DohMode::Only);
    assert!(r.managed);
    assert_eq!(r.templates, vec![s(CONTOSO_DOH)]);
    assert_eq!(
        r.excluded_domains,
        vec![s("contoso.example"), s("privatelink.api.azureml.ms")]
    );
    assert_eq!(
        r.setting,
        "Policy DNSOverHTTPS Enabled = true, Fallback = false, ProviderURL = \
         https://doh.contoso.example/dns-query (/etc/firefox/policies/policies.json)"
    );
    // A user network.trr.uri / excluded-domains override an unlocked policy.
    let r = resolve_firefox(&parse_prefs_js(PREFS_ROLLOUT), Some(&policy), false);
    assert_eq!(r.mode, DohMode::Only);
    assert_eq!(r.excluded_domains, Vec::<String>::new());
    // Locked: the policy wins over prefs.js.
    policy.locked = true;
    policy.fallback = None;
    let r = resolve_firefox(&user, Some(&policy), false);
    assert_eq!(r.mode, DohMode::First);
    assert!(r.managed);
    assert!(
        r.setting
            .ends_with(", Locked (/etc/firefox/policies/policies.json)")
    );
    assert!(
        r.fix
            .starts_with("The DNSOverHTTPS policy is locked by your organisation")
    );
    // Enabled false → 5.
    policy.enabled = Some(false);
    assert_eq!(
        effective_firefox(&parse_prefs_js(PREFS_MODE2), Some(&policy), false),
        DohMode::OffByChoice
    );
}

// ------------------------------------------------------------- policies.json

#[test]
fn policies_json_fixture() {
    let p = parse_firefox_policies(POLICIES_JSON, "policies.json").unwrap();
    assert!(p.active);
    assert_eq!(p.names, vec![s("DNSOverHTTPS"), s("DisableTelemetry")]);
    assert_eq!(
        p.doh,
        Some(FirefoxDohPolicy {
            enabled: Some(true),
            provider_url: Some(s(CONTOSO_DOH)),
            locked: false,
            excluded_domains: Some(vec![s("contoso.example"), s("privatelink.api.azureml.ms")]),
            fallback: Some(false),
            source: s("policies.json"),
        })
    );
    assert_eq!(p.doh.as_ref().unwrap().mode(), Some(3));
}

#[test]
fn policies_json_edge_cases() {
    let err = parse_firefox_policies("{\"policies\": {", "policies.json").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("policies.json is not valid JSON: EOF"),
        "{err}"
    );
    assert!(matches!(
        parse_firefox_policies("[1]", "p.json"),
        Err(BrowsersError::NotObject { .. })
    ));
    assert!(parse_firefox_policies_json("not json").is_none());
    // No "policies" key: nothing applies.
    let p = parse_firefox_policies("{\"DNSOverHTTPS\": {\"Enabled\": true}}", "x").unwrap();
    assert!(!p.active && p.doh.is_none());
    // Only Certificates.ImportEnterpriseRoots: Firefox does not count it as enterprise.
    let p = parse_firefox_policies(
        r#"{"policies": {"Certificates": {"ImportEnterpriseRoots": true}}}"#,
        "x",
    )
    .unwrap();
    assert!(!p.active);
    let p = parse_firefox_policies(
        r#"{"policies": {"Certificates": {"ImportEnterpriseRoots": true, "Install": ["a.pem"]}}}"#,
        "x",
    )
    .unwrap();
    assert!(p.active);
    // Wrong types are ignored, not fatal.
    let p = parse_firefox_policies(
        r#"{"policies": {"DNSOverHTTPS": {"Enabled": "maybe", "ProviderURL": 7, "Locked": 1}}}"#,
        "x",
    )
    .unwrap();
    let d = p.doh.unwrap();
    assert_eq!(
        (d.enabled, d.provider_url.clone(), d.locked),
        (None, None, true)
    );
    assert_eq!(d.mode(), None);
}

// ------------------------------------------------------------- reg query

#[test]
fn reg_query_edge_fixture() {
    let v = parse_reg_query_policies(REG_EDGE);
    let rows: Vec<(&str, &str, &str)> = v
        .iter()
        .map(|r| (r.name.as_str(), r.kind.as_str(), r.data.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("BuiltInDnsClientEnabled", "REG_DWORD", "1"),
            ("DnsOverHttpsMode", "REG_SZ", "secure"),
            (
                "DnsOverHttpsTemplates",
                "REG_SZ",
                "https://doh.contoso.example/dns-query{?dns}"
            ),
            ("HideFirstRunExperience", "REG_DWORD", "1"),
            (
                "RestoreOnStartupURLs Note",
                "REG_SZ",
                "managed by Contoso IT"
            ),
            ("ProxySettings", "REG_MULTI_SZ", "direct\\0pac"),
            (
                "1",
                "REG_SZ",
                "odfafepnkmbhccpbejgmiehpchacaeak;https://edge.microsoft.com/extensionwebstorebase/v1/crx"
            ),
            (
                "2",
                "REG_SZ",
                "nkbihfbeogaeaoehlefnkodbefgpgknn;https://edge.microsoft.com/extensionwebstorebase/v1/crx"
            ),
            ("ShowHomeButton", "REG_DWORD", "0"),
        ]
    );
    assert_eq!(
        v[0].key,
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Edge"
    );
    assert_eq!(
        v[8].key,
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Edge\Recommended"
    );

    let map = reg_values_to_policies(&v, r"HKLM\SOFTWARE\Policies\Microsoft\Edge");
    assert_eq!(map.get("DnsOverHttpsMode"), Some(&json!("secure")));
    assert_eq!(map.get("BuiltInDnsClientEnabled"), Some(&json!(1)));
    assert_eq!(map.get("ProxySettings"), Some(&json!(["direct", "pac"])));
    assert_eq!(
        map.get("ExtensionInstallForcelist")
            .and_then(|v| v.as_array())
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(map.get("Recommended"), Some(&json!({"ShowHomeButton": 0})));

    let policy =
        chromium::chromium_policy_from_map(&map, r"HKLM\SOFTWARE\Policies\Microsoft\Edge", true);
    assert_eq!(
        policy,
        ChromiumPolicy {
            mode: Some(s("secure")),
            mode_source: Some(s(r"HKLM\SOFTWARE\Policies\Microsoft\Edge")),
            templates: Some(s("https://doh.contoso.example/dns-query{?dns}")),
            templates_source: Some(s(r"HKLM\SOFTWARE\Policies\Microsoft\Edge")),
            machine_policies: true,
            machine_policies_source: Some(s(r"HKLM\SOFTWARE\Policies\Microsoft\Edge")),
        }
    );
}

#[test]
fn reg_query_firefox_fixture() {
    let v = parse_reg_query_policies(REG_FIREFOX);
    assert_eq!(v.len(), 8);
    let root = r"HKLM\SOFTWARE\Policies\Mozilla\Firefox";
    let map = reg_values_to_policies(&v, root);
    assert_eq!(
        serde_json::Value::Object(map.clone()),
        json!({
            "DisableTelemetry": 1,
            "DisableAppUpdate": 1,
            "DNSOverHTTPS": {
                "Enabled": 1,
                "ProviderURL": CONTOSO_DOH,
                "Locked": 1,
                "Fallback": 1,
                "ExcludedDomains": ["contoso.example", "Corp.Contoso.Example."]
            }
        })
    );
    let p = firefox::firefox_policies_from_value(&serde_json::Value::Object(map), root);
    assert!(p.active);
    assert_eq!(
        p.doh,
        Some(FirefoxDohPolicy {
            enabled: Some(true),
            provider_url: Some(s(CONTOSO_DOH)),
            locked: true,
            excluded_domains: Some(vec![s("contoso.example"), s("corp.contoso.example")]),
            fallback: Some(true),
            source: s(root),
        })
    );
    // Values of another key are not mixed in.
    assert!(reg_values_to_policies(&v, r"HKCU\SOFTWARE\Policies\Mozilla\Firefox").is_empty());
}

#[test]
fn reg_query_odd_lines() {
    let text = "ERROR: The system was unable to find the specified registry key or value.\n\
                HKEY_CURRENT_USER\\Software\\Policies\\Google\\Chrome\n\
                \x20   (Default)    REG_SZ    \n\
                \x20   Empty    REG_SZ\n\
                \x20   Hex    REG_DWORD    0xffffffff\n\
                \x20   Weird line without a type\n\
                End of search: 3 match(es) found.\n";
    let v = parse_reg_query_policies(text);
    let rows: Vec<(&str, &str, &str)> = v
        .iter()
        .map(|r| (r.name.as_str(), r.kind.as_str(), r.data.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("(Default)", "REG_SZ", ""),
            ("Empty", "REG_SZ", ""),
            ("Hex", "REG_DWORD", "4294967295"),
        ]
    );
    assert!(parse_reg_query_policies("").is_empty());
}

// ------------------------------------------------------------- defaults read

#[test]
fn defaults_read_edge_fixture() {
    let v = parse_defaults_read(MAC_EDGE).unwrap();
    assert_eq!(
        v,
        json!({
            "DnsOverHttpsMode": "secure",
            "DnsOverHttpsTemplates": "https://doh.contoso.example/dns-query{?dns}",
            "ExtensionInstallForcelist": [
                "odfafepnkmbhccpbejgmiehpchacaeak;https://edge.microsoft.com/extensionwebstorebase/v1/crx"
            ],
            "HideFirstRunExperience": "1",
            "HomepageLocation": "https://intranet.contoso.example/",
            "ManagedFavorites": [
                {"toplevel_name": "Contoso"},
                {"name": "Workspace \"prod\"", "url": "https://ml.azure.com/"}
            ]
        })
    );
    let map = v.as_object().unwrap();
    let p = chromium::chromium_policy_from_map(map, "defaults com.microsoft.Edge", true);
    assert_eq!(p.mode.as_deref(), Some("secure"));
    assert_eq!(
        p.templates.as_deref(),
        Some("https://doh.contoso.example/dns-query{?dns}")
    );
}

#[test]
fn defaults_read_firefox_fixture() {
    let v = parse_defaults_read(MAC_FIREFOX).unwrap();
    let mut map = v.as_object().unwrap().clone();
    assert_eq!(map.remove("EnterprisePoliciesEnabled"), Some(json!("1")));
    let p = firefox::firefox_policies_from_value(&serde_json::Value::Object(map), "mac");
    assert_eq!(p.names, vec![s("DNSOverHTTPS"), s("DisableTelemetry")]);
    let d = p.doh.unwrap();
    assert_eq!(
        d,
        FirefoxDohPolicy {
            enabled: Some(true),
            provider_url: Some(s(CONTOSO_DOH)),
            locked: true,
            excluded_domains: Some(vec![s("contoso.example"), s("privatelink.api.azureml.ms")]),
            fallback: Some(false),
            source: s("mac"),
        }
    );
    assert_eq!(d.mode(), Some(3));
}

#[test]
fn defaults_read_errors() {
    for (text, line) in [
        ("{\n    a = 1;\n", 3),
        ("{ a = \"open; }", 1),
        ("{ a = 1 }", 1),
        ("( 1 2 )", 1),
        ("{ a = <zz>; }", 1),
        ("{ } trailing", 1),
        ("", 1),
    ] {
        match parse_defaults_read(text) {
            Err(BrowsersError::Plist { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let deep = "(".repeat(500) + &")".repeat(500);
    let err = parse_defaults_read(&deep).unwrap_err();
    assert!(err.to_string().contains("nested too deeply"), "{err}");
    assert_eq!(
        parse_defaults_read("{ d = <0a0B 1c>; s = \"caf\\U00e9\\101\"; /* c */ }").unwrap(),
        json!({"d": "0a0B1c", "s": "caféA"})
    );
}

// ------------------------------------------------------------- Local State

#[test]
fn local_state_fixtures() {
    assert_eq!(
        parse_local_state(EDGE_LOCAL_STATE).unwrap(),
        ChromiumDoh {
            mode: Some(s("secure")),
            templates: Some(s(
                "https://dns.quad9.net/dns-query https://dns.google/dns-query{?dns}"
            )),
        }
    );
    assert_eq!(
        parse_local_state(CHROME_LOCAL_STATE).unwrap(),
        ChromiumDoh::default()
    );
    // Dotted keys (as written by automation) are accepted too.
    assert_eq!(
        parse_local_state(r#"{"dns_over_https.mode": "off"}"#)
            .unwrap()
            .mode,
        Some(s("off"))
    );
    let err = parse_local_state("{\"dns_over_https\": ").unwrap_err();
    assert!(
        err.to_string().starts_with("Local State is not valid JSON"),
        "{err}"
    );
    assert!(matches!(
        parse_local_state("\"text\""),
        Err(BrowsersError::NotObject { .. })
    ));
}

#[test]
fn chromium_policy_file_fixture() {
    let p = parse_chromium_policy_json(LINUX_CHROME_POLICY).unwrap();
    assert_eq!(p.mode.as_deref(), Some("automatic"));
    assert!(p.machine_policies);
    let (mode, templates) = effective_chromium(&ChromiumDoh::default(), &p, false);
    assert_eq!(mode, DohMode::Automatic);
    // Invalid and non-https templates are dropped.
    assert_eq!(
        templates,
        vec![s("https://doh.contoso.example/dns-query{?dns}")]
    );
    assert!(parse_chromium_policy_json("{").is_err());
    assert!(parse_chromium_policy_json("[]").is_err());
}

#[test]
fn chromium_rules() {
    let edge = parse_local_state(EDGE_LOCAL_STATE).unwrap();
    let none = ChromiumPolicy::default();
    let r = resolve_chromium(BrowserKind::Edge, &edge, &none, false);
    assert_eq!(r.mode, DohMode::Only);
    assert_eq!(
        r.templates,
        vec![
            s("https://dns.quad9.net/dns-query"),
            s("https://dns.google/dns-query{?dns}")
        ]
    );
    assert!(!r.managed);
    assert_eq!(
        r.setting,
        "Local State dns_over_https.mode = secure; Local State dns_over_https.templates = \
         https://dns.quad9.net/dns-query https://dns.google/dns-query{?dns}"
    );
    assert!(r.fix.starts_with(
        "Edge Settings > Privacy, search, and services > Security > Use secure DNS: off"
    ));

    // Domain-joined machine: even the user's "secure" is ignored when no policy sets a mode.
    let r = resolve_chromium(BrowserKind::Edge, &edge, &none, true);
    assert_eq!(r.mode, DohMode::Off);
    assert!(r.templates.is_empty());
    assert_eq!(
        r.setting,
        "DoH off on a managed machine: the machine is domain-joined and no DnsOverHttpsMode \
         policy; Local State dns_over_https.mode = secure is ignored"
    );
    // Any machine-level policy (here an unrelated one) does the same.
    let unrelated = ChromiumPolicy {
        machine_policies: true,
        machine_policies_source: Some(s("/etc/opt/chrome/policies/managed/homepage.json")),
        ..ChromiumPolicy::default()
    };
    let chrome = parse_local_state(CHROME_LOCAL_STATE).unwrap();
    assert_eq!(
        effective_chromium(&chrome, &unrelated, false),
        (DohMode::Off, vec![])
    );
    // No setting at all: automatic without templates.
    let r = resolve_chromium(BrowserKind::Chrome, &chrome, &none, false);
    assert_eq!((r.mode, r.templates.len()), (DohMode::Automatic, 0));
    assert!(r.setting.contains("default automatic"), "{}", r.setting);
    // A policy mode wins over the managed-machine rule and the user's choice.
    let policy = ChromiumPolicy {
        mode: Some(s("secure")),
        mode_source: Some(s(r"HKLM\SOFTWARE\Policies\Microsoft\Edge")),
        templates: Some(s(
            r#"{"servers": [{"template": "https://doh.contoso.example/dns-query{?dns}"}]}"#,
        )),
        templates_source: Some(s(r"HKLM\SOFTWARE\Policies\Microsoft\Edge")),
        machine_policies: true,
        machine_policies_source: Some(s(r"HKLM\SOFTWARE\Policies\Microsoft\Edge")),
    };
    let off_user = ChromiumDoh {
        mode: Some(s("off")),
        templates: None,
    };
    let r = resolve_chromium(BrowserKind::Edge, &off_user, &policy, true);
    assert_eq!(r.mode, DohMode::Only);
    assert!(r.managed);
    assert_eq!(
        r.templates,
        vec![s("https://doh.contoso.example/dns-query{?dns}")]
    );
    assert!(
        r.setting.starts_with(
            r"Policy DnsOverHttpsMode = secure (HKLM\SOFTWARE\Policies\Microsoft\Edge)"
        )
    );
    assert!(r.fix.contains("ask IT"), "{}", r.fix);
    // Unknown mode strings count as off.
    let odd = ChromiumDoh {
        mode: Some(s("on")),
        templates: Some(s(CONTOSO_DOH)),
    };
    assert_eq!(
        effective_chromium(&odd, &none, false),
        (DohMode::Off, vec![])
    );
}

#[test]
fn automatic_upgrade_table() {
    assert_eq!(
        automatic_upgrade_template("8.8.8.8".parse().unwrap()),
        Some("https://dns.google/dns-query{?dns}")
    );
    assert_eq!(
        automatic_upgrade_template("2606:4700:4700::1111".parse().unwrap()),
        Some("https://chrome.cloudflare-dns.com/dns-query")
    );
    assert_eq!(
        automatic_upgrade_template("10.20.0.53".parse().unwrap()),
        None
    );
    assert_eq!(
        automatic_upgrade_template("168.63.129.16".parse().unwrap()),
        None
    );
}

// ------------------------------------------------------------- profiles.ini

#[test]
fn profiles_ini_windows_and_linux() {
    let root = Path::new("/home/u/AppData/Roaming/Mozilla/Firefox");
    let got = parse_profiles_ini(WIN_PROFILES_INI, root);
    assert_eq!(
        got,
        vec![
            FirefoxProfileEntry {
                name: Some(s("default")),
                path: root.join("Profiles").join("7fj2w0ds.default"),
                is_default: true,
            },
            FirefoxProfileEntry {
                name: Some(s("default-release")),
                path: root.join("Profiles").join("k3x9q2lm.default-release"),
                is_default: true,
            },
            FirefoxProfileEntry {
                name: Some(s("work")),
                path: PathBuf::from(r"D:\FirefoxProfiles\work"),
                is_default: false,
            },
        ]
    );
    let root = Path::new("/home/u/.mozilla/firefox");
    let got = parse_profiles_ini(LINUX_PROFILES_INI, root);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, root.join("q8w7e6r5.default-release"));
    // Path traversal in a relative path does not leave the root.
    let got = parse_profiles_ini("[Profile0]\nPath=../../etc\n", root);
    assert_eq!(got[0].path, root.join("etc"));
    assert!(parse_profiles_ini("garbage\n[General]\nVersion=2\n", root).is_empty());
}

// ------------------------------------------------------------- collect()

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn failed() -> CommandError {
    let status = crate::host::dns_config::command::failed_exit_status();
    CommandError::Failed {
        program: s("reg"),
        status,
        stderr: s("ERROR: The system was unable to find the specified registry key or value."),
    }
}

/// Linux layout: its paths are written with `/`.
#[cfg(unix)]
#[test]
fn collect_linux_home() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home").join("alex");
    let ff = home.join(".mozilla").join("firefox");
    write(&ff.join("profiles.ini"), LINUX_PROFILES_INI);
    write(
        &ff.join("q8w7e6r5.default-release").join("prefs.js"),
        PREFS_MODE3,
    );
    // A profile listed nowhere but with prefs.js is found by the scan.
    write(&ff.join("zz11yy22.old").join("prefs.js"), PREFS_MODE5);
    // The snap Firefox, with the default-on rollout.
    let snap = home.join("snap/firefox/common/.mozilla/firefox");
    write(
        &snap.join("profiles.ini"),
        "[Profile0]\nPath=snapprof.default\n",
    );
    write(
        &snap.join("snapprof.default").join("prefs.js"),
        PREFS_ROLLOUT,
    );
    // Chrome with secure DoH; Edge with a broken Local State; Brave dir without Local State.
    write(
        &home.join(".config/google-chrome/Local State"),
        EDGE_LOCAL_STATE,
    );
    write(&home.join(".config/microsoft-edge/Local State"), "{broken");
    std::fs::create_dir_all(home.join(".config/BraveSoftware/Brave-Browser/Default")).unwrap();
    // Policies under a synthetic /etc.
    let etc = tmp.path().join("etc");
    write(
        &etc.join("opt/chrome/policies/managed/doh.json"),
        LINUX_CHROME_POLICY,
    );
    write(&etc.join("firefox/policies/policies.json"), POLICIES_JSON);
    let mut paths = BrowserPaths::synthetic(&home, Os::Linux);
    paths.policy_roots = vec![
        PolicyRoot {
            browser: BrowserKind::Chrome,
            source: PolicySource::Dir(etc.join("opt/chrome/policies/managed")),
            scope: PolicyScope::Machine,
        },
        PolicyRoot {
            browser: BrowserKind::Firefox,
            source: PolicySource::Dir(etc.join("firefox/policies")),
            scope: PolicyScope::Machine,
        },
    ];

    let (found, notes) = collect(&paths);
    let rows: Vec<(BrowserKind, &str, DohMode, Vec<String>, bool)> = found
        .iter()
        .map(|b| {
            (
                b.browser,
                b.profile.as_str(),
                b.mode,
                b.templates.clone(),
                b.managed,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                BrowserKind::Firefox,
                "q8w7e6r5.default-release",
                DohMode::Only,
                vec![s(CONTOSO_DOH)],
                false,
            ),
            (
                BrowserKind::Firefox,
                "zz11yy22.old",
                DohMode::OffByChoice,
                vec![],
                false
            ),
            // policies.json is an active, unlocked enterprise policy: the rollout profile
            // sets no mode itself, so the policy's default (Fallback false: mode 3) applies.
            (
                BrowserKind::Firefox,
                "snapprof.default (snap)",
                DohMode::Only,
                vec![s(CONTOSO_DOH)],
                true,
            ),
            (
                BrowserKind::Chrome,
                "all profiles",
                DohMode::Automatic,
                vec![s("https://doh.contoso.example/dns-query{?dns}")],
                true,
            ),
        ]
    );
    assert_eq!(
        found[0].setting,
        "about:config network.trr.mode = 3 (prefs.js)"
    );
    assert_eq!(
        found[1].setting,
        "about:config network.trr.mode = 5 (prefs.js)"
    );
    let chrome = &found[3];
    assert!(
        chrome
            .setting
            .starts_with("Policy DnsOverHttpsMode = automatic (")
    );
    assert!(
        chrome
            .setting
            .ends_with("/opt/chrome/policies/managed/doh.json)")
    );
    assert!(
        found[2]
            .setting
            .ends_with("/etc/firefox/policies/policies.json)")
    );
    assert!(
        found[2]
            .setting
            .starts_with("Policy DNSOverHTTPS Enabled = true, Fallback = false")
    );
    assert_eq!(
        found[0].excluded_domains,
        vec![
            s("contoso.example"),
            s("corp.contoso.example"),
            s("privatelink.api.azureml.ms")
        ]
    );
    assert_eq!(found[0].profile_path, ff.join("q8w7e6r5.default-release"));
    assert_eq!(
        found[0].shown_path(&home),
        format!(
            "~{}",
            ["", ".mozilla", "firefox", "q8w7e6r5.default-release"]
                .join(std::path::MAIN_SEPARATOR_STR)
        )
    );
    // Notes: the broken Local State and the broken prefs.js line, with home shown as ~.
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes.iter().any(|n| n.starts_with(
            "Edge ~/.config/microsoft-edge/Local State: Local State is not valid JSON"
        )),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("prefs.js:10: bad value")),
        "{notes:?}"
    );
    assert!(
        notes.iter().all(|n| !n.contains(home.to_str().unwrap())),
        "{notes:?}"
    );
    // The report form never carries the local path.
    let j = serde_json::to_value(&found[0]).unwrap();
    assert!(j.get("profile_path").is_none());
    assert_eq!(j["browser"], json!("firefox"));
    assert_eq!(j["mode"], json!("only"));
}

#[test]
fn collect_missing_browsers_gives_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for os in [Os::Linux, Os::Windows, Os::MacOs] {
        let (found, notes) = collect(&BrowserPaths::synthetic(tmp.path(), os));
        assert!(found.is_empty() && notes.is_empty(), "{os:?}");
    }
}

/// Canned `reg` / `powershell` answers, recording the calls.
struct FakeTools {
    answers: Vec<(String, Result<String, ()>)>,
    calls: RefCell<Vec<String>>,
}

impl FakeTools {
    fn run(&self, program: &str, args: &[&str]) -> Result<String, CommandError> {
        let line = format!("{program} {}", args.join(" "));
        self.calls.borrow_mut().push(line.clone());
        match self.answers.iter().find(|(k, _)| *k == line) {
            Some((_, Ok(text))) => Ok(text.clone()),
            Some((_, Err(()))) => Err(CommandError::TimedOut {
                program: program.to_string(),
                timeout: Duration::from_secs(8),
            }),
            None => Err(failed()),
        }
    }
}

fn windows_home(tmp: &Path) -> PathBuf {
    let home = tmp.join("Users").join("alex");
    let ff = join(&home, &["AppData", "Roaming", "Mozilla", "Firefox"]);
    write(&ff.join("profiles.ini"), WIN_PROFILES_INI);
    write(
        &join(&ff, &["Profiles", "k3x9q2lm.default-release", "prefs.js"]),
        PREFS_MODE2,
    );
    // Listed in profiles.ini but never started: no prefs.js, skipped.
    std::fs::create_dir_all(join(&ff, &["Profiles", "7fj2w0ds.default"])).unwrap();
    write(
        &join(
            &home,
            &[
                "AppData",
                "Local",
                "Microsoft",
                "Edge",
                "User Data",
                "Local State",
            ],
        ),
        EDGE_LOCAL_STATE,
    );
    write(
        &join(
            &home,
            &[
                "AppData",
                "Local",
                "Google",
                "Chrome",
                "User Data",
                "Local State",
            ],
        ),
        r#"{"dns_over_https":{"mode":"automatic","templates":"https://dns.google/dns-query{?dns}"}}"#,
    );
    home
}

#[test]
fn collect_windows_layout_with_registry_policies() {
    let tmp = tempfile::tempdir().unwrap();
    let home = windows_home(tmp.path());
    let mut paths = BrowserPaths::synthetic(&home, Os::Windows);
    paths.policy_roots = default_policy_roots(Os::Windows, &[], None);
    paths.run_os_tools = true;
    let tools = FakeTools {
        answers: vec![
            (
                s(r"reg query HKLM\SOFTWARE\Policies\Microsoft\Edge /s"),
                Ok(s(REG_EDGE)),
            ),
            (
                s(r"reg query HKLM\SOFTWARE\Policies\Mozilla\Firefox /s"),
                Ok(s(REG_FIREFOX)),
            ),
            (
                s(r"reg query HKCU\SOFTWARE\Policies\Google\Chrome /s"),
                Err(()),
            ),
            (
                s(
                    "powershell -NoProfile -NonInteractive -Command (Get-CimInstance Win32_ComputerSystem).PartOfDomain",
                ),
                Ok(s("False\r\n")),
            ),
        ],
        calls: RefCell::new(Vec::new()),
    };
    let run = |p: &str, a: &[&str], _t: Duration| tools.run(p, a);
    let (found, notes) = collect_with(&paths, &HostHints::default(), &run);

    assert_eq!(found.len(), 3, "{found:#?}");
    let firefox = &found[0];
    assert_eq!(firefox.browser, BrowserKind::Firefox);
    assert_eq!(firefox.profile, "k3x9q2lm.default-release");
    // The locked registry policy (Enabled, Fallback true → mode 2) wins over prefs.js.
    assert_eq!(firefox.mode, DohMode::First);
    assert!(firefox.managed);
    assert_eq!(firefox.templates, vec![s(CONTOSO_DOH)]);
    assert_eq!(
        firefox.setting,
        r"Policy DNSOverHTTPS Enabled = true, Fallback = true, ProviderURL = https://doh.contoso.example/dns-query, Locked (HKLM\SOFTWARE\Policies\Mozilla\Firefox)"
    );
    assert_eq!(
        firefox.excluded_domains,
        vec![s("contoso.example"), s("corp.contoso.example")]
    );
    assert!(firefox.excludes("ml-ws.westeurope.corp.contoso.example"));
    assert!(!firefox.excludes("ws.api.azureml.ms"));

    let chrome = &found[1];
    assert_eq!(chrome.browser, BrowserKind::Chrome);
    assert_eq!(chrome.mode, DohMode::Automatic);
    assert_eq!(
        chrome.templates,
        vec![s("https://dns.google/dns-query{?dns}")]
    );
    assert!(!chrome.managed);

    let edge = &found[2];
    assert_eq!(edge.browser, BrowserKind::Edge);
    assert_eq!(edge.profile, "all profiles");
    assert_eq!(edge.mode, DohMode::Only);
    assert!(edge.managed);
    assert_eq!(
        edge.templates,
        vec![s("https://doh.contoso.example/dns-query{?dns}")]
    );
    assert_eq!(
        edge.setting,
        r"Policy DnsOverHttpsMode = secure (HKLM\SOFTWARE\Policies\Microsoft\Edge); Policy DnsOverHttpsTemplates = https://doh.contoso.example/dns-query{?dns} (HKLM\SOFTWARE\Policies\Microsoft\Edge)"
    );
    assert!(edge.fix.contains("ask IT"), "{}", edge.fix);

    // The timed-out HKCU Chrome query is a note; missing keys are silent.
    assert_eq!(
        notes,
        vec![s(
            r"cannot read browser policies with `reg query HKCU\SOFTWARE\Policies\Google\Chrome /s`: `reg` did not answer within 8.0 s and was stopped"
        )]
    );
    let calls = tools.calls.borrow();
    assert!(calls.contains(&s(r"reg query HKCU\SOFTWARE\Policies\Mozilla\Firefox /s")));
    // Chrome's mode would be on with no policy: the domain join was asked once.
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("powershell")).count(),
        1,
        "{calls:?}"
    );
}

#[test]
fn collect_windows_domain_joined_turns_chrome_off() {
    let tmp = tempfile::tempdir().unwrap();
    let home = windows_home(tmp.path());
    let mut paths = BrowserPaths::synthetic(&home, Os::Windows);
    paths.policy_roots = default_policy_roots(Os::Windows, &[], None);
    paths.run_os_tools = true;
    let tools = FakeTools {
        answers: vec![(
            s(
                "powershell -NoProfile -NonInteractive -Command (Get-CimInstance Win32_ComputerSystem).PartOfDomain",
            ),
            Ok(s("True\r\n")),
        )],
        calls: RefCell::new(Vec::new()),
    };
    let run = |p: &str, a: &[&str], _t: Duration| tools.run(p, a);
    let (found, notes) = collect_with(&paths, &HostHints::default(), &run);
    assert!(notes.is_empty(), "{notes:?}");
    let modes: Vec<(BrowserKind, DohMode)> = found.iter().map(|b| (b.browser, b.mode)).collect();
    assert_eq!(
        modes,
        vec![
            (BrowserKind::Firefox, DohMode::First),
            (BrowserKind::Chrome, DohMode::Off),
            (BrowserKind::Edge, DohMode::Off),
        ]
    );
    assert!(
        found[1].setting.contains("domain-joined"),
        "{}",
        found[1].setting
    );
    // Without OS tools the hint decides.
    paths.run_os_tools = false;
    let hints = HostHints {
        domain_joined: Some(true),
        vpn_or_enterprise: false,
    };
    let (found, _) = collect_with(&paths, &hints, &run);
    assert_eq!(found[2].mode, DohMode::Off);
}

#[test]
fn collect_macos_layout_with_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("Users").join("alex");
    write(
        &join(
            &home,
            &[
                "Library",
                "Application Support",
                "Microsoft Edge",
                "Local State",
            ],
        ),
        CHROME_LOCAL_STATE,
    );
    let ff = join(&home, &["Library", "Application Support", "Firefox"]);
    write(
        &join(&ff, &["Profiles", "ab12cd34.default-release", "prefs.js"]),
        PREFS_ROLLOUT,
    );
    let managed = tmp.path().join("Managed Preferences");
    write(&managed.join("com.microsoft.Edge.plist"), "binary plist");
    write(&managed.join("org.mozilla.firefox.plist"), "binary plist");
    let edge_src = format!("{}/com.microsoft.Edge", managed.display());
    let ff_src = format!("{}/org.mozilla.firefox", managed.display());
    let mut paths = BrowserPaths::synthetic(&home, Os::MacOs);
    paths.run_os_tools = true;
    paths.policy_roots = vec![
        PolicyRoot {
            browser: BrowserKind::Edge,
            source: PolicySource::Defaults(edge_src.clone()),
            scope: PolicyScope::Machine,
        },
        PolicyRoot {
            browser: BrowserKind::Firefox,
            source: PolicySource::Defaults(ff_src.clone()),
            scope: PolicyScope::Machine,
        },
        PolicyRoot {
            browser: BrowserKind::Chrome,
            source: PolicySource::Defaults(s("com.google.Chrome")),
            scope: PolicyScope::Unmanaged,
        },
    ];
    let tools = FakeTools {
        answers: vec![
            (format!("defaults read {edge_src}"), Ok(s(MAC_EDGE))),
            (format!("defaults read {ff_src}"), Ok(s(MAC_FIREFOX))),
            (
                s("defaults read com.google.Chrome"),
                Ok(s("{\n    DnsOverHttpsMode = off;\n}\n")),
            ),
        ],
        calls: RefCell::new(Vec::new()),
    };
    let run = |p: &str, a: &[&str], _t: Duration| tools.run(p, a);
    let (found, notes) = collect_with(&paths, &HostHints::default(), &run);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(
        (found[0].browser, found[0].mode, found[0].managed),
        (BrowserKind::Firefox, DohMode::Only, true)
    );
    assert!(
        found[0]
            .setting
            .ends_with(&format!("Locked (defaults {ff_src})")),
        "{}",
        found[0].setting
    );
    assert_eq!(
        (found[1].browser, found[1].mode, found[1].managed),
        (BrowserKind::Edge, DohMode::Only, true)
    );
    assert_eq!(
        found[1].setting,
        format!(
            "Policy DnsOverHttpsMode = secure (defaults {edge_src}); Policy DnsOverHttpsTemplates = https://doh.contoso.example/dns-query{{?dns}} (defaults {edge_src})"
        )
    );
    // Chrome is not installed, but its plain preference is worth a note? No: only notes
    // for DoH-on policies of uninstalled browsers; a plain `off` preference is noted as
    // not applied.
    assert_eq!(
        notes,
        vec![s(
            "defaults com.google.Chrome sets DnsOverHttpsMode = off as a plain preference, not a \
             managed policy; Chrome does not apply it"
        )]
    );
}

#[test]
fn this_machine_paths_are_complete() {
    let p = BrowserPaths::for_this_machine();
    assert_eq!(p.os, Os::current());
    assert!(p.run_os_tools);
    if p.os == Os::Linux {
        assert!(
            p.policy_roots
                .iter()
                .any(|r| r.browser == BrowserKind::Chrome
                    && r.source == PolicySource::Dir("/etc/opt/chrome/policies/managed".into()))
        );
        assert!(p.policy_roots.iter().any(|r| r.browser == BrowserKind::Edge
            && r.source == PolicySource::Dir("/etc/opt/edge/policies/managed".into())));
    }
    let mac = default_policy_roots(Os::MacOs, &[], Some(s("alex")));
    assert!(mac.contains(&PolicyRoot {
        browser: BrowserKind::Edge,
        source: PolicySource::Defaults(s("/Library/Managed Preferences/alex/com.microsoft.Edge")),
        scope: PolicyScope::User,
    }));
}

fn edge_secure() -> BrowserDoh {
    BrowserDoh {
        browser: BrowserKind::Edge,
        profile: s("all profiles"),
        profile_path: PathBuf::from("/nowhere"),
        mode: DohMode::Only,
        templates: vec![s("https://dns.quad9.net/dns-query")],
        excluded_domains: vec![],
        allow_rfc1918: true,
        managed: false,
        setting: s("Local State dns_over_https.mode = secure"),
        fix: s(BrowserKind::Edge.secure_dns_setting()),
    }
}

#[test]
fn doh_resolvers_once_per_template() {
    let mut ff = edge_secure();
    ff.browser = BrowserKind::Firefox;
    ff.profile = s("abc.default");
    ff.templates = vec![s("https://dns.quad9.net/dns-query"), s(CONTOSO_DOH)];
    let mut off = edge_secure();
    off.browser = BrowserKind::Chrome;
    off.mode = DohMode::Off;
    off.templates = vec![s("https://should-not-appear.example/dns-query")];
    let got = doh_resolvers(&[edge_secure(), ff, off, edge_secure()]);
    let got: Vec<(String, String)> = got.into_iter().map(|d| (d.label, d.url)).collect();
    assert_eq!(
        got,
        vec![
            (
                s("Edge (all profiles), Firefox (abc.default)"),
                s("https://dns.quad9.net/dns-query")
            ),
            (s("Firefox (abc.default)"), s(CONTOSO_DOH)),
        ]
    );
}

#[test]
fn parsers_never_panic_on_truncated_or_odd_input() {
    let all = [
        REG_EDGE,
        REG_FIREFOX,
        EDGE_LOCAL_STATE,
        WIN_PROFILES_INI,
        MAC_EDGE,
        MAC_FIREFOX,
        LINUX_CHROME_POLICY,
        PREFS_MODE2,
        PREFS_MODE3,
        POLICIES_JSON,
        "httpsé://x httpséé",
        "user_pref(\"a\", \"\\ud800\\x4\");",
    ];
    for text in all {
        let cuts: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for i in cuts {
            let t = &text[..i];
            let _ = parse_prefs_text(t, "prefs.js");
            let _ = parse_reg_query_policies(t);
            let _ = parse_defaults_read(t);
            let _ = parse_local_state(t);
            let _ = parse_firefox_policies(t, "p");
            let _ = parse_chromium_policy_json(t);
            let _ = parse_profiles_ini(t, Path::new("/r"));
            let _ = chromium::split_templates(t);
            let _ = firefox::split_domains(t);
        }
    }
    assert_eq!(
        chromium::split_templates("httpsé://x.example"),
        Vec::<String>::new()
    );
}
