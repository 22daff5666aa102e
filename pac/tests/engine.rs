//! Behaviour of the compiled script: entry points, results, errors and the sandbox limits.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use pac::{Directive, EntryPoint, EntryPreference, PacError, PacOptions, PacScript, StaticHost};

fn compile(src: &str) -> Result<PacScript, PacError> {
    PacScript::compile(src, PacOptions::default())
}

fn quick() -> PacOptions {
    PacOptions {
        timeout: Duration::from_millis(300),
        ..PacOptions::default()
    }
}

fn raw(pac: &PacScript, url: &str) -> String {
    pac.find_proxy_for_url(url).unwrap().raw
}

#[test]
fn netscape_examples() {
    // Netscape's documented examples (as used by pac-resolver's tests).
    let ex1 = compile(
        "function FindProxyForURL(url, host) {
           if (isPlainHostName(host) || dnsDomainIs(host, \".netscape.com\")) return \"DIRECT\";
           else return \"PROXY w3proxy.netscape.com:8080; DIRECT\"; }",
    )
    .unwrap();
    assert_eq!(raw(&ex1, "http://localhost/hello"), "DIRECT");
    assert_eq!(raw(&ex1, "http://foo.netscape.com/"), "DIRECT");
    assert_eq!(
        raw(&ex1, "http://google.com/t"),
        "PROXY w3proxy.netscape.com:8080; DIRECT"
    );

    let ex1b = compile(
        "function FindProxyForURL(url, host) {
           if ((isPlainHostName(host) || dnsDomainIs(host, \".netscape.com\")) &&
               !localHostOrDomainIs(host, \"www.netscape.com\") &&
               !localHostOrDomainIs(host, \"merchant.netscape.com\")) return \"DIRECT\";
           return \"PROXY w3proxy.netscape.com:8080; DIRECT\"; }",
    )
    .unwrap();
    assert_eq!(raw(&ex1b, "http://localhost/hello"), "DIRECT");
    assert_eq!(raw(&ex1b, "http://foo.netscape.com/"), "DIRECT");
    assert_eq!(
        raw(&ex1b, "http://www.netscape.com/"),
        "PROXY w3proxy.netscape.com:8080; DIRECT"
    );
    assert_eq!(
        raw(&ex1b, "http://merchant.netscape.com/"),
        "PROXY w3proxy.netscape.com:8080; DIRECT"
    );

    let ex5 = compile(
        "function FindProxyForURL(url, host) {
           if (url.substring(0, 5) == \"http:\") return \"PROXY http-proxy.mydomain.com:8080\";
           else if (url.substring(0, 4) == \"ftp:\") return \"PROXY ftp-proxy.mydomain.com:8080\";
           else if (url.substring(0, 7) == \"gopher:\") return \"PROXY gopher-proxy.mydomain.com:8080\";
           else if (url.substring(0, 6) == \"https:\" || url.substring(0, 6) == \"snews:\")
             return \"PROXY security-proxy.mydomain.com:8080\";
           else return \"DIRECT\"; }",
    )
    .unwrap();
    assert_eq!(raw(&ex5, "foo://netscape.com/hello"), "DIRECT");
    assert_eq!(
        raw(&ex5, "http://netscape.com/hello"),
        "PROXY http-proxy.mydomain.com:8080"
    );
    assert_eq!(
        raw(&ex5, "ftp://netscape.com/hello"),
        "PROXY ftp-proxy.mydomain.com:8080"
    );
    assert_eq!(
        raw(&ex5, "gopher://netscape.com/hello"),
        "PROXY gopher-proxy.mydomain.com:8080"
    );
    assert_eq!(
        raw(&ex5, "https://netscape.com/hello"),
        "PROXY security-proxy.mydomain.com:8080"
    );
    assert_eq!(
        raw(&ex5, "snews://netscape.com/hello"),
        "PROXY security-proxy.mydomain.com:8080"
    );

    // pac-resolver issue #3: helper functions defined after use, implicit globals in loops.
    let issue3 = compile(
        "function FindProxyForURL(url, host) {
           if (isHostInAnySubnet(host, [\"10.1.2.0\", \"10.1.3.0\"], \"255.255.255.0\")) return \"HTTPS proxy.example.com\";
           return \"DIRECT\"; }
         function isHostInAnySubnet(host, subnets, mask) {
           for (i = 0; i < subnets.length; i++) if (isInNet(host, subnets[i], mask)) return true; }",
    )
    .unwrap();
    let r = issue3
        .find_proxy_for_url("http://10.1.2.3/bar.html")
        .unwrap();
    assert_eq!(r.raw, "HTTPS proxy.example.com");
    assert_eq!(
        r.directives,
        vec![Directive::Https {
            host: "proxy.example.com".into(),
            port: 443
        }]
    );
    assert_eq!(raw(&issue3, "http://foo.com/bar.html"), "DIRECT");
}

#[test]
fn url_is_sanitised_like_chromium() {
    let pac =
        compile("function FindProxyForURL(url, host) { return 'DIRECT; ' + url + ' ' + host; }")
            .unwrap();
    assert_eq!(
        raw(
            &pac,
            "https://user:pw@Login.Example.com:8443/secret/path?token=1#frag"
        ),
        "DIRECT; https://login.example.com:8443/ login.example.com"
    );
    assert_eq!(
        raw(&pac, "http://u:p@a.example/x?y#z"),
        "DIRECT; http://a.example/x?y a.example"
    );
    assert_eq!(
        raw(&pac, "http://[2001:db8::1]:8080/"),
        "DIRECT; http://[2001:db8::1]:8080/ 2001:db8::1"
    );
    // find_proxy sanitises the URL but passes the host as given.
    let r = pac
        .find_proxy("https://a.example/p?q", "A.example")
        .unwrap();
    assert_eq!(r.raw, "DIRECT; https://a.example/ A.example");
    let no_sanitize = PacScript::compile(
        "function FindProxyForURL(url, host) { return url; }",
        PacOptions {
            sanitize_url: false,
            ..PacOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        no_sanitize
            .find_proxy("https://a.example/p?q", "a.example")
            .unwrap()
            .raw,
        "https://a.example/p?q"
    );
    assert!(matches!(
        pac.find_proxy_for_url("not a url"),
        Err(PacError::BadUrl { .. })
    ));
}

#[test]
fn result_parsing_reports_bad_entries() {
    let pac =
        compile("function FindProxyForURL(u, h) { return 'PROXY a:1; BOGUS x; SOCKS5 s:2;;'; }")
            .unwrap();
    let r = pac.find_proxy_for_url("http://x/").unwrap();
    assert_eq!(
        r.directives,
        vec![
            Directive::Proxy {
                host: "a".into(),
                port: 1
            },
            Directive::Socks {
                version: Some(5),
                host: "s".into(),
                port: 2
            }
        ]
    );
    assert_eq!(r.bad_entries, vec!["BOGUS x".to_string()]);
    let junk = compile("function FindProxyForURL(u, h) { return 'nonsense'; }").unwrap();
    let r = junk.find_proxy_for_url("http://x/").unwrap();
    assert!(r.directives.is_empty());
    assert_eq!(r.effective_directives(), vec![Directive::Direct]);
}

#[test]
fn entry_points() {
    let src = "function FindProxyForURL(u, h) { return 'PROXY std:1'; }
               function FindProxyForURLEx(u, h) { return 'PROXY ex:1'; }";
    let std_pac = compile(src).unwrap();
    assert!(std_pac.has_find_proxy_for_url_ex());
    let r = std_pac.find_proxy_for_url("http://x/").unwrap();
    assert_eq!(
        (r.raw.as_str(), r.entry_point),
        ("PROXY std:1", EntryPoint::FindProxyForURL)
    );
    let ex_pac = PacScript::compile(
        src,
        PacOptions {
            entry_point: EntryPreference::PreferEx,
            ..PacOptions::default()
        },
    )
    .unwrap();
    let r = ex_pac.find_proxy_for_url("http://x/").unwrap();
    assert_eq!(
        (r.raw.as_str(), r.entry_point),
        ("PROXY ex:1", EntryPoint::FindProxyForURLEx)
    );
    // PreferEx without an Ex function falls back to the standard one.
    let only_std = PacScript::compile(
        "function FindProxyForURL(u, h) { return 'DIRECT'; }",
        PacOptions {
            entry_point: EntryPreference::PreferEx,
            ..PacOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        only_std
            .find_proxy_for_url("http://x/")
            .unwrap()
            .entry_point,
        EntryPoint::FindProxyForURL
    );
}

#[test]
fn script_errors_are_classified() {
    match compile("function FindProxyForURL(u, h) {\n  return 'DIRECT'\n  var = 3;\n}") {
        Err(e @ PacError::Compile { .. }) => {
            let PacError::Compile {
                message,
                line,
                column,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((*line, *column), (Some(3), Some(7)), "{e}");
            // One position: in the fields, not repeated in the message.
            assert!(
                !message.contains("line") && !message.contains("native"),
                "{e}"
            );
            assert_eq!(e.to_string().matches("line").count(), 1, "{e}");
        }
        other => panic!("{other:?}"),
    }
    match compile("var a = 1;\nnoSuchFunction();\nfunction FindProxyForURL(u, h) {}") {
        Err(e @ PacError::Compile { .. }) => {
            let text = e.to_string();
            assert!(text.contains("ReferenceError"), "{text}");
            assert!(
                !text.contains(":?:?") && !text.contains("unknown"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(compile("var x = 1;").unwrap_err(), PacError::NoEntryPoint);
    assert_eq!(
        compile("var FindProxyForURL = 'DIRECT';").unwrap_err(),
        PacError::NoEntryPoint
    );
    assert!(matches!(compile("   \n"), Err(PacError::Compile { .. })));
    assert!(
        matches!(compile("throw new Error('boom'); function FindProxyForURL(){}"), Err(PacError::Compile { message, .. }) if message.contains("boom"))
    );
    let big = format!(
        "function FindProxyForURL(u,h){{return 'DIRECT';}}//{}",
        "x".repeat(1 << 20)
    );
    assert!(matches!(compile(&big), Err(PacError::TooLarge { .. })));

    let pac = compile(
        "function FindProxyForURL(u, h) {
           if (h == 'obj') return {foo: 'bar'};
           if (h == 'undef') return;
           if (h == 'num') return 42;
           if (h == 'wide') return 'PROXY b\\u00fccher.example:80';
           if (h == 'throw') throw new TypeError('bad host');
           if (h == 'throwstr') throw 'just a string';
           return 'DIRECT'; }",
    )
    .unwrap();
    let err = |h: &str| pac.find_proxy("http://x/", h).unwrap_err();
    assert_eq!(
        err("obj"),
        PacError::NotAString {
            type_name: "object".into()
        }
    );
    assert_eq!(
        err("undef"),
        PacError::NotAString {
            type_name: "undefined".into()
        }
    );
    assert_eq!(
        err("num"),
        PacError::NotAString {
            type_name: "number".into()
        }
    );
    assert!(matches!(err("wide"), PacError::NotAscii(_)));
    assert!(
        matches!(err("throw"), PacError::Eval { message } if message.contains("TypeError") && message.contains("bad host"))
    );
    assert!(
        matches!(err("throwstr"), PacError::Eval { message } if message.contains("just a string"))
    );
    // The script is still usable after errors.
    assert_eq!(pac.find_proxy("http://x/", "ok").unwrap().raw, "DIRECT");
}

#[test]
fn sandbox_has_no_host_objects() {
    // From pac-resolver's tests: the constructor chain reaches Function, not the host.
    let e = compile(
        "function FindProxyForURL(u, h) { return 'DIRECT'; }
         var f = this.constructor.constructor('process.exit(1)'); f();",
    )
    .unwrap_err();
    assert!(e.to_string().contains("process"), "{e}");
    let pac = compile(
        "function FindProxyForURL(u, h) {
           return [typeof require, typeof process, typeof fetch, typeof XMLHttpRequest, typeof setTimeout].join(); }",
    )
    .unwrap();
    assert_eq!(
        pac.find_proxy("http://x/", "x").unwrap().raw,
        "undefined,undefined,undefined,undefined,undefined"
    );
}

fn assert_limited(r: Result<pac::PacResult, PacError>, started: Instant, limit: Duration) {
    match r {
        Err(PacError::Timeout { .. } | PacError::LimitExceeded { .. }) => {}
        other => panic!("expected a limit error, got {other:?}"),
    }
    assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
}

#[test]
fn hostile_scripts_hit_limits() {
    let cases = [
        ("while (true) {}", "infinite loop"),
        ("for (;;) { for (;;) {} }", "nested infinite loop"),
        (
            "function r(n) { return r(n + 1) + 1; } return r(0);",
            "deep recursion",
        ),
        (
            "var s = ''; while (true) s += '0123456789';",
            "linear string growth",
        ),
        (
            "var a = []; while (true) a.push({x: a.length});",
            "object growth",
        ),
        (
            "[3, 1, 2].sort(function (a, b) { while (true) {} });",
            "loop in a native callback",
        ),
        (
            "var o = {}; Object.defineProperty(o, 'x', {get: function () { for (;;) {} }}); return o.x;",
            "loop in a getter",
        ),
        (
            "return h.replace(/x/g, function () { return h.replace(/x/g, arguments.callee); });",
            "recursion through replace",
        ),
    ];
    for (body, what) in cases {
        let src = format!("function FindProxyForURL(url, h) {{ {body} }}");
        let pac = PacScript::compile(&src, quick()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let start = Instant::now();
        let r = pac.find_proxy("http://x/", "xxxxxxxx");
        match &r {
            Err(PacError::Timeout { .. } | PacError::LimitExceeded { .. }) => {}
            other => panic!("{what}: expected a limit error, got {other:?}"),
        }
        // Limit 0.3 s, watchdog at limit + 2 s; the rest is margin for a loaded machine.
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "{what}: took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn hostile_top_level_and_recovery() {
    let start = Instant::now();
    let r = PacScript::compile("while (true) {} function FindProxyForURL() {}", quick());
    assert!(
        matches!(
            r,
            Err(PacError::Timeout { .. } | PacError::LimitExceeded { .. })
        ),
        "{r:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(3));

    // A call that times out leaves the script usable for the next call.
    let pac = PacScript::compile(
        "function FindProxyForURL(u, h) { if (h == 'spin') { var i = 0; while (true) { i++; } } return 'DIRECT'; }",
        PacOptions { loop_iteration_limit: u64::MAX, ..quick() },
    )
    .unwrap();
    let start = Instant::now();
    assert_limited(
        pac.find_proxy("http://x/", "spin"),
        start,
        Duration::from_secs(2),
    );
    assert!(matches!(
        pac.find_proxy("http://x/", "spin"),
        Err(PacError::Timeout { .. })
    ));
    assert_eq!(pac.find_proxy("http://x/", "fine").unwrap().raw, "DIRECT");

    // Deeply nested source is refused before it reaches the recursive parser.
    let nested = format!(
        "function FindProxyForURL(u,h){{return {}1{};}}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(matches!(
        compile(&nested),
        Err(PacError::LimitExceeded { .. })
    ));
}

#[test]
fn catastrophic_patterns_are_fast() {
    let pac = compile(
        "function FindProxyForURL(u, h) {
           var s = ''; for (var i = 0; i < 20000; i++) s += 'a';
           return shExpMatch(s + '!', '(a+)+b') || shExpMatch(s, '*a*a*a*a*a*a*a*a*a*a*b') ? 'PROXY x:1' : 'DIRECT'; }",
    )
    .unwrap();
    let start = Instant::now();
    assert_eq!(pac.find_proxy("http://x/", "x").unwrap().raw, "DIRECT");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn dns_and_alerts_are_reported_and_injected() {
    let host = StaticHost::new()
        .with_name("proxy-check.corp.example", "10.0.0.5".parse().unwrap())
        .with_my_ips(vec!["10.20.30.40".parse().unwrap()]);
    let pac = PacScript::compile(
        "function FindProxyForURL(u, h) {
           alert('checking ' + h);
           if (isInNet(myIpAddress(), '10.20.0.0', '255.255.0.0') && isResolvable('proxy-check.corp.example'))
             return 'PROXY ' + dnsResolve('proxy-check.corp.example') + ':3128';
           return 'DIRECT'; }",
        PacOptions { host: Arc::new(host), ..PacOptions::default() },
    )
    .unwrap();
    let r = pac
        .find_proxy_for_url("https://ws.api.azureml.ms/")
        .unwrap();
    assert_eq!(r.raw, "PROXY 10.0.0.5:3128");
    assert_eq!(r.alerts, vec!["checking ws.api.azureml.ms".to_string()]);
    assert_eq!(
        r.dns_queries,
        vec!["proxy-check.corp.example".to_string(); 2]
    );
}

#[test]
fn scripts_may_redefine_helpers_and_keep_state() {
    let pac = compile(
        "function dnsDomainIs(h, d) { return true; }
         var calls = 0;
         function FindProxyForURL(u, h) { calls++; return dnsDomainIs(h, 'x') ? 'DIRECT; ' + calls : 'PROXY p:1'; }",
    )
    .unwrap();
    assert_eq!(raw(&pac, "http://a/"), "DIRECT; 1");
    assert_eq!(raw(&pac, "http://a/"), "DIRECT; 2");
}

#[test]
fn regex_literals_keep_their_semantics() {
    let pac = compile(
        "function FindProxyForURL(u, h) {
           var g = /a/g; g.test('aa');
           var plain = /^\\d+\\.\\d+$/;
           var twice = /x/ === /x/;
           var div = 10 / 2 / 5;
           return [g.lastIndex, plain.test(h), plain.lastIndex, twice, div, `${ /t/.test('t') }`].join(); }",
    )
    .unwrap();
    assert_eq!(
        pac.find_proxy("http://x/", "12.5").unwrap().raw,
        "1,true,0,false,1,true"
    );
    assert_eq!(
        pac.find_proxy("http://x/", "12.5").unwrap().raw,
        "1,true,0,false,1,true"
    );
}

#[test]
fn callable_from_many_threads() {
    let pac = Arc::new(
        compile("function FindProxyForURL(u, h) { return 'PROXY ' + h + ':1'; }").unwrap(),
    );
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let pac = pac.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let host = format!("h{t}-{i}.example");
                    let r = pac.find_proxy_for_url(&format!("http://{host}/")).unwrap();
                    assert_eq!(r.raw, format!("PROXY {host}:1"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn clock_and_timezone_are_injected() {
    // 2024-03-15T19:54:30Z at +05:30.
    let host = StaticHost::new().with_time(1_710_532_470_000, 19_800);
    let pac = PacScript::compile(
        "function FindProxyForURL(u, h) { var d = new Date(); return [d.getDate(), d.getHours(), d.getMinutes(), Date.now()].join(); }",
        PacOptions { host: Arc::new(host), ..PacOptions::default() },
    )
    .unwrap();
    assert_eq!(
        pac.find_proxy("http://x/", "x").unwrap().raw,
        "16,1,24,1710532470000"
    );
}

#[test]
fn batch_evaluation_keeps_order_and_isolates_failures() {
    let pac = PacScript::compile(
        "function FindProxyForURL(u, h) { if (h == 'spin.example') for (;;) {} if (h == 'bad.example') return 1; return 'PROXY ' + h + ':1'; }",
        PacOptions { loop_iteration_limit: u64::MAX, ..quick() },
    )
    .unwrap();
    let r = pac.find_proxy_for_urls(&[
        "http://a.example/",
        "not a url",
        "http://spin.example/",
        "http://bad.example/",
        "http://b.example/",
    ]);
    assert_eq!(r.len(), 5);
    assert_eq!(r[0].as_ref().unwrap().raw, "PROXY a.example:1");
    assert!(matches!(r[1], Err(PacError::BadUrl { .. })));
    assert!(matches!(r[2], Err(PacError::Timeout { .. })));
    assert!(matches!(r[3], Err(PacError::NotAString { .. })));
    assert_eq!(r[4].as_ref().unwrap().raw, "PROXY b.example:1");
    assert!(pac.find_proxy_for_urls::<&str>(&[]).is_empty());
}

#[test]
fn entry_point_is_read_from_the_global_object_at_each_call() {
    // Chromium's proxy_resolver_v8 tests: a getter for FindProxyForURL that throws on the
    // first access fails the script; one that throws on the second fails the first call.
    let getter = |countdown: u32| {
        format!(
            "function realFindProxyForURL(url, host) {{ return 'DIRECT'; }}
             var counter = {countdown};
             Object.defineProperty(this, 'FindProxyForURL', {{ get: function () {{
               counter--;
               if (counter <= 0) throw 'crash!';
               return realFindProxyForURL;
             }} }});"
        )
    };
    assert!(compile(&getter(1)).is_err());
    let pac = compile(&getter(2)).unwrap();
    match pac.find_proxy_for_url("http://query.com/path") {
        Err(PacError::Eval { message }) => assert!(message.contains("crash!"), "{message}"),
        other => panic!("{other:?}"),
    }
    // A script may replace its entry point; the next call uses the new one.
    let pac = compile(
        "function FindProxyForURL(u, h) {
           FindProxyForURL = function () { return 'PROXY second.example:1'; };
           return 'DIRECT';
         }",
    )
    .unwrap();
    assert_eq!(raw(&pac, "http://a/"), "DIRECT");
    assert_eq!(raw(&pac, "http://a/"), "PROXY second.example:1");
}
