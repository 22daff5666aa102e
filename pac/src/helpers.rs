//! The PAC helper functions, native and with Chromium's semantics.
//!
//! Argument handling follows what Chromium's JavaScript library or C++ bindings do for every
//! type: string arguments take a fast path on the engine's own string storage (no copies);
//! exotic arguments (numbers, objects, `undefined`) go through small JavaScript fallbacks that
//! spell out the same expressions the library uses, so their errors and coercions are exact.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

use boa_engine::object::JsObject;
use boa_engine::string::JsStrVariant;
use boa_engine::{
    Context, JsError, JsNativeError, JsResult, JsString, JsValue, NativeFunction, Source, js_string,
};
use rustc_hash::FxHashMap;

use crate::date::{self, JsDate, MONTHS, WEEKDAYS};
use crate::host::PacHost;
use crate::ip;
use crate::shexp::{Matcher, ShError};

const MAX_PATTERN_CACHE: usize = 4096;
const MAX_LOG_ENTRIES: usize = 100;
const MAX_LOG_CHARS: usize = 1000;

/// Pattern cache keyed by (storage address, length and encoding).
type PtrCache = FxHashMap<(usize, usize), (JsString, Rc<Matcher>)>;

/// Per-context state shared by the helpers.
pub(crate) struct State {
    pub host: Arc<dyn PacHost>,
    shexp: RefCell<FxHashMap<JsString, Rc<Matcher>>>,
    /// Same cache keyed by the pattern's storage address; the entry keeps the string alive, so
    /// an address identifies its content. Literal patterns hit here without hashing content.
    shexp_by_ptr: RefCell<PtrCache>,
    fallbacks: RefCell<Option<Fallbacks>>,
    pub alerts: RefCell<Vec<String>>,
    pub dns_queries: RefCell<Vec<String>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

struct Fallbacks {
    dns_domain_is: JsObject,
    local_host_or_domain_is: JsObject,
    dns_domain_levels: JsObject,
    sh_exp_match: JsObject,
    weekday_range: JsObject,
    date_range: JsObject,
    time_range: JsObject,
    /// `String.prototype.replace` as it was before the script ran.
    string_replace: JsObject,
}

const FALLBACK_JS: &str = r"(function () {
  var days = {SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6};
  var months = {JAN: 0, FEB: 1, MAR: 2, APR: 3, MAY: 4, JUN: 5, JUL: 6, AUG: 7, SEP: 8, OCT: 9,
                NOV: 10, DEC: 11};
  return {
    dnsDomainIs: function (host, domain) {
      return (host.length >= domain.length &&
              host.substring(host.length - domain.length) == domain);
    },
    localHostOrDomainIs: function (host, hostdom) {
      return (host == hostdom) || (hostdom.lastIndexOf(host + '.', 0) == 0);
    },
    dnsDomainLevels: function (host) {
      return host.split('.').length - 1;
    },
    // For a pattern that is an object other than a String: the library calls its `replace`.
    shExpMatch: function (subject, pattern) {
      var re = pattern.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.');
      return new RegExp('^' + re + '$').test(subject);
    },
    // The date helpers for a script that replaced the global `Date`: the library's steps,
    // in the library's order, on whatever `new Date()` now returns.
    weekdayRange: function () {
      var now = new Date(), argc = arguments.length, day;
      if (argc < 1) return false;
      if (arguments[argc - 1] == 'GMT') {
        argc--;
        day = now.getUTCDay();
      } else {
        day = now.getDay();
      }
      var from = dayIndex(arguments[0]);
      var to = argc == 2 ? dayIndex(arguments[1]) : from;
      if (from == -1 || to == -1) return false;
      return from <= to ? (from <= day && day <= to) : (to >= day || day >= from);
    },
    dateRange: function () {
      var now = new Date(), argc = arguments.length;
      if (argc < 1) return false;
      var gmt = arguments[argc - 1] == 'GMT';
      if (gmt) argc--;
      var v;
      if (argc == 1) {
        v = parseInt(arguments[0]);
        if (isNaN(v)) return (gmt ? now.getUTCMonth() : now.getMonth()) == monthIndex(arguments[0]);
        if (v < 32) return (gmt ? now.getUTCDate() : now.getDate()) == v;
        return (gmt ? now.getUTCFullYear() : now.getFullYear()) == v;
      }
      var year = now.getFullYear();
      var lo = new Date(year, 0, 1, 0, 0, 0), hi = new Date(year, 11, 31, 23, 59, 59);
      var half = argc >> 1, sameMonth = false;
      for (var i = 0; i < argc; i++) {
        var d = i < half ? lo : hi;
        v = parseInt(arguments[i]);
        if (isNaN(v)) {
          d.setMonth(monthIndex(arguments[i]));
        } else if (v < 32) {
          if (i < half) sameMonth = argc <= 2;
          d.setDate(v);
        } else {
          d.setFullYear(v);
        }
      }
      if (sameMonth) {
        lo.setMonth(now.getMonth());
        hi.setMonth(now.getMonth());
      }
      if (gmt) now = toGmtFields(now);
      return lo <= hi ? (lo <= now && now <= hi) : (hi >= now || now >= lo);
    },
    timeRange: function () {
      var argc = arguments.length, now = new Date(), gmt = false;
      if (argc < 1) return false;
      if (arguments[argc - 1] == 'GMT') {
        gmt = true;
        argc--;
      }
      var hour = gmt ? now.getUTCHours() : now.getHours();
      var lo = new Date(), hi = new Date();
      if (argc == 1) return hour == arguments[0];
      if (argc == 2) return arguments[0] <= hour && hour <= arguments[1];
      if (argc != 4 && argc != 6) throw 'timeRange: bad number of arguments';
      if (argc == 6) {
        lo.setSeconds(arguments[2]);
        hi.setSeconds(arguments[5]);
      }
      var mid = argc >> 1;
      lo.setHours(arguments[0]);
      lo.setMinutes(arguments[1]);
      hi.setHours(arguments[mid]);
      hi.setMinutes(arguments[mid + 1]);
      if (mid == 2) hi.setSeconds(59);
      if (gmt) now = toGmtFields(now);
      return lo <= hi ? (lo <= now && now <= hi) : (hi >= now || now >= lo);
    }
  };
  function dayIndex(name) {
    return name in days ? days[name] : -1;
  }
  function monthIndex(name) {
    return name in months ? months[name] : -1;
  }
  // Moves the UTC fields into the local fields, one setter at a time, on the same object.
  function toGmtFields(d) {
    d.setFullYear(d.getUTCFullYear());
    d.setMonth(d.getUTCMonth());
    d.setDate(d.getUTCDate());
    d.setHours(d.getUTCHours());
    d.setMinutes(d.getUTCMinutes());
    d.setSeconds(d.getUTCSeconds());
    return d;
  }
})()";

type Helper = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;

const HELPERS: &[(&str, usize, Helper)] = &[
    ("isPlainHostName", 1, is_plain_host_name),
    ("dnsDomainIs", 2, dns_domain_is),
    ("localHostOrDomainIs", 2, local_host_or_domain_is),
    ("isResolvable", 1, is_resolvable),
    ("isInNet", 3, is_in_net),
    ("dnsResolve", 1, dns_resolve),
    ("myIpAddress", 0, my_ip_address),
    ("dnsDomainLevels", 1, dns_domain_levels),
    ("shExpMatch", 2, sh_exp_match),
    ("weekdayRange", 0, weekday_range),
    ("dateRange", 0, date_range),
    ("timeRange", 0, time_range),
    ("alert", 1, alert),
    ("isResolvableEx", 1, is_resolvable_ex),
    ("isInNetEx", 2, is_in_net_ex),
    ("dnsResolveEx", 1, dns_resolve_ex),
    ("myIpAddressEx", 0, my_ip_address_ex),
    ("sortIpAddressList", 1, sort_ip_address_list),
];

/// Installs the helpers as global functions and the state they need. `microsoft` adds
/// `getClientVersion`, which only WinHTTP defines (Chromium does not).
pub(crate) fn install(
    ctx: &mut Context,
    host: Arc<dyn PacHost>,
    microsoft: bool,
) -> JsResult<Rc<State>> {
    let state = Rc::new(State {
        host,
        shexp: RefCell::new(FxHashMap::default()),
        shexp_by_ptr: RefCell::new(FxHashMap::default()),
        fallbacks: RefCell::new(None),
        alerts: RefCell::new(Vec::new()),
        dns_queries: RefCell::new(Vec::new()),
    });
    ctx.insert_data(state.clone());
    for (name, len, f) in HELPERS {
        ctx.register_global_builtin_callable(
            JsString::from(*name),
            *len,
            NativeFunction::from_fn_ptr(*f),
        )?;
    }
    if microsoft {
        ctx.register_global_builtin_callable(
            js_string!("getClientVersion"),
            0,
            NativeFunction::from_fn_ptr(get_client_version),
        )?;
    }
    let obj = ctx.eval(Source::from_bytes(FALLBACK_JS))?;
    let obj = obj
        .as_object()
        .ok_or_else(|| JsNativeError::error().with_message("fallback library"))?;
    let get = |name: &str, ctx: &mut Context| -> JsResult<JsObject> {
        obj.get(JsString::from(name), ctx)?
            .as_object()
            .ok_or_else(|| {
                JsNativeError::error()
                    .with_message("fallback library")
                    .into()
            })
    };
    let fb = Fallbacks {
        dns_domain_is: get("dnsDomainIs", ctx)?,
        local_host_or_domain_is: get("localHostOrDomainIs", ctx)?,
        dns_domain_levels: get("dnsDomainLevels", ctx)?,
        sh_exp_match: get("shExpMatch", ctx)?,
        weekday_range: get("weekdayRange", ctx)?,
        date_range: get("dateRange", ctx)?,
        time_range: get("timeRange", ctx)?,
        string_replace: ctx
            .intrinsics()
            .constructors()
            .string()
            .prototype()
            .get(js_string!("replace"), ctx)?
            .as_object()
            .ok_or_else(|| JsNativeError::error().with_message("String.prototype.replace"))?,
    };
    *state.fallbacks.borrow_mut() = Some(fb);
    Ok(state)
}

fn state(ctx: &Context) -> JsResult<Rc<State>> {
    ctx.get_data::<Rc<State>>().cloned().ok_or_else(|| {
        JsNativeError::error()
            .with_message("PAC state missing")
            .into()
    })
}

fn fallback(
    ctx: &mut Context,
    pick: fn(&Fallbacks) -> &JsObject,
    args: &[JsValue],
) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let f = st
        .fallbacks
        .borrow()
        .as_ref()
        .map(|fb| pick(fb).clone())
        .ok_or_else(|| JsNativeError::error().with_message("PAC fallbacks missing"))?;
    f.call(&JsValue::undefined(), args, ctx)
}

fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

fn units(s: &JsString) -> Vec<u16> {
    s.as_str().iter().collect()
}

// ---- Netscape helpers -------------------------------------------------------------------------

fn is_plain_host_name(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let Some(host) = args.first().and_then(JsValue::as_string) else {
        return Err(JsNativeError::typ()
            .with_message("Requires 1 string parameter")
            .into());
    };
    if let JsStrVariant::Latin1(b) = host.as_str().variant()
        && b.contains(&b'.')
    {
        return Ok(false.into());
    }
    let s = host.to_std_string_lossy();
    Ok(ip::is_plain_host_name(&s).into())
}

fn ends_with_units(h: &JsString, d: &JsString) -> bool {
    let (h, d) = (h.as_str(), d.as_str());
    match (h.variant(), d.variant()) {
        (JsStrVariant::Latin1(a), JsStrVariant::Latin1(b)) => a.ends_with(b),
        _ => h.ends_with(d),
    }
}

fn dns_domain_is(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if let (Some(h), Some(d)) = (
        args.first().and_then(JsValue::as_string),
        args.get(1).and_then(JsValue::as_string),
    ) {
        return Ok(ends_with_units(&h, &d).into());
    }
    fallback(ctx, |f| &f.dns_domain_is, args)
}

fn local_host_or_domain_is(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if let (Some(h), Some(d)) = (
        args.first().and_then(JsValue::as_string),
        args.get(1).and_then(JsValue::as_string),
    ) {
        let (hs, ds) = (h.as_str(), d.as_str());
        if hs == ds {
            return Ok(true.into());
        }
        let r =
            ds.len() > hs.len() && ds.starts_with(hs) && ds.get(hs.len()) == Some(u16::from(b'.'));
        return Ok(r.into());
    }
    fallback(ctx, |f| &f.local_host_or_domain_is, args)
}

fn dns_domain_levels(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if let Some(h) = args.first().and_then(JsValue::as_string) {
        let n = h.as_str().iter().filter(|u| *u == u16::from(b'.')).count();
        return Ok(JsValue::new(i32::try_from(n).unwrap_or(i32::MAX)));
    }
    fallback(ctx, |f| &f.dns_domain_levels, args)
}

fn sh_exp_match(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let pattern = match args.get(1) {
        Some(v) if v.is_string() => v.as_string().unwrap_or_default(),
        Some(v) if v.is_object() => match string_object_value(v, ctx)? {
            Some(s) => s,
            None => return fallback(ctx, |f| &f.sh_exp_match, args),
        },
        Some(v) if !v.is_null_or_undefined() => {
            return Err(JsNativeError::typ()
                .with_message("pattern.replace is not a function")
                .into());
        }
        _ => {
            return Err(JsNativeError::typ()
                .with_message("Cannot read properties of undefined (reading 'replace')")
                .into());
        }
    };
    let subject = match args.first() {
        Some(v) if v.is_string() => v.as_string().unwrap_or_default(),
        Some(v) => v.to_string(ctx)?,
        None => js_string!("undefined"),
    };
    let st = state(ctx)?;
    let key = match pattern.as_str().variant() {
        JsStrVariant::Latin1(b) => (b.as_ptr() as usize, b.len() << 1),
        JsStrVariant::Utf16(u) => (u.as_ptr() as usize, (u.len() << 1) | 1),
    };
    let cached = st.shexp_by_ptr.borrow().get(&key).map(|(_, m)| m.clone());
    let matcher = if let Some(m) = cached {
        m
    } else {
        let mut cache = st.shexp.borrow_mut();
        let m = match cache.get(&pattern) {
            Some(m) => m.clone(),
            None => {
                if cache.len() >= MAX_PATTERN_CACHE {
                    cache.clear();
                }
                let m = Rc::new(Matcher::new(&units(&pattern)));
                cache.insert(pattern.clone(), m.clone());
                m
            }
        };
        let mut by_ptr = st.shexp_by_ptr.borrow_mut();
        if by_ptr.len() >= MAX_PATTERN_CACHE {
            by_ptr.clear();
        }
        by_ptr.insert(key, (pattern.clone(), m.clone()));
        m
    };
    let r = match subject.as_str().variant() {
        JsStrVariant::Latin1(b) => matcher.is_match_latin1(b),
        JsStrVariant::Utf16(u) => matcher.is_match_utf16(u),
    };
    match r {
        Ok(b) => Ok(b.into()),
        Err(ShError::Syntax(msg)) => Err(JsNativeError::syntax()
            .with_message(format!(
                "Invalid regular expression: /{}/: {msg}",
                matcher.js_source()
            ))
            .into()),
        Err(ShError::Unsupported(msg)) => Err(JsNativeError::error()
            .with_message(format!("shExpMatch({}): {msg}", matcher.js_source()))
            .into()),
    }
}

/// The value of a `String` object whose `replace` is still the built-in one (the library's
/// `pattern.replace(...)` then acts on that string); `None` for any other object.
fn string_object_value(v: &JsValue, ctx: &mut Context) -> JsResult<Option<JsString>> {
    let Some(obj) = v.as_object() else {
        return Ok(None);
    };
    let Some(s) = obj.downcast_ref::<JsString>().map(|s| s.clone()) else {
        return Ok(None);
    };
    let replace = obj.get(js_string!("replace"), ctx)?;
    let st = state(ctx)?;
    let builtin = st.fallbacks.borrow().as_ref().is_some_and(|fb| {
        replace
            .as_object()
            .is_some_and(|r| JsObject::equals(&r, &fb.string_replace))
    });
    Ok(builtin.then_some(s))
}

/// Whether the script replaced the global `Date`; the date helpers then run the library's
/// steps on the script's `Date`, as Chromium's JavaScript library does.
fn date_replaced(ctx: &mut Context) -> JsResult<bool> {
    let current = ctx.global_object().get(js_string!("Date"), ctx)?;
    let original = ctx.intrinsics().constructors().date().constructor();
    Ok(!current
        .as_object()
        .is_some_and(|c| JsObject::equals(&c, &original)))
}

/// Chromium's hostname argument: a string, converted to punycode when not ASCII.
fn hostname_arg(v: Option<&JsValue>) -> Option<String> {
    let s = v?.as_string()?.to_std_string_lossy();
    if s.is_ascii() {
        return Some(s);
    }
    idna::domain_to_ascii(&s).ok()
}

fn is_localhost(name: &str) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    n == "localhost" || n.ends_with(".localhost")
}

fn log_query(st: &State, name: &str) {
    let mut q = st.dns_queries.borrow_mut();
    if q.len() < MAX_LOG_ENTRIES {
        q.push(name.chars().take(MAX_LOG_CHARS).collect());
    }
}

/// `dnsResolve` semantics: first IPv4 address, `None` on failure.
fn resolve_v4(st: &State, name: &str) -> Option<String> {
    if let Some(lit) = ip::parse_ip_literal(name) {
        return match lit {
            IpAddr::V4(v4) => Some(v4.to_string()),
            IpAddr::V6(_) => None,
        };
    }
    if name.is_empty() {
        return None;
    }
    if is_localhost(name) {
        return Some("127.0.0.1".into());
    }
    log_query(st, name);
    st.host.resolve_v4(name).first().map(ToString::to_string)
}

/// `dnsResolveEx` semantics: every address joined with `;`, `None` on failure.
fn resolve_all(st: &State, name: &str) -> Option<String> {
    if let Some(lit) = ip::parse_ip_literal(name) {
        return Some(ip::canonical(lit));
    }
    if name.is_empty() {
        return None;
    }
    if is_localhost(name) {
        return Some("127.0.0.1;::1".into());
    }
    log_query(st, name);
    let all = st.host.resolve_all(name);
    if all.is_empty() {
        return None;
    }
    Some(
        all.iter()
            .map(|ip| ip::canonical(*ip))
            .collect::<Vec<_>>()
            .join(";"),
    )
}

fn dns_resolve(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    Ok(
        match hostname_arg(args.first()).and_then(|h| resolve_v4(&st, &h)) {
            Some(ip) => JsString::from(ip.as_str()).into(),
            None => JsValue::null(),
        },
    )
}

fn is_resolvable(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    Ok(hostname_arg(args.first())
        .and_then(|h| resolve_v4(&st, &h))
        .is_some()
        .into())
}

fn is_in_net(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let pattern = arg(args, 1).to_string(ctx)?.to_std_string_lossy();
    let mask = arg(args, 2).to_string(ctx)?.to_std_string_lossy();
    let (Some(p), Some(m)) = (
        ip::parse_dotted_quad(&pattern),
        ip::parse_dotted_quad(&mask),
    ) else {
        return Ok(false.into());
    };
    let host_v = arg(args, 0);
    let host_s = host_v.to_string(ctx)?.to_std_string_lossy();
    let h = match ip::parse_dotted_quad(&host_s) {
        Some(h) => h,
        None => {
            let st = state(ctx)?;
            let resolved = hostname_arg(Some(&host_v)).and_then(|h| resolve_v4(&st, &h));
            match resolved.as_deref().and_then(ip::parse_dotted_quad) {
                Some(h) => h,
                None => return Ok(false.into()),
            }
        }
    };
    let (h, p, m) = (
        u32::from_be_bytes(h),
        u32::from_be_bytes(p),
        u32::from_be_bytes(m),
    );
    Ok((h & m == p & m).into())
}

fn my_ip_address(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let ip = crate::host::my_ip_address(st.host.as_ref())
        .map_or_else(|| "127.0.0.1".to_string(), ip::canonical);
    Ok(JsString::from(ip.as_str()).into())
}

fn alert(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let msg = match args.first() {
        None => "undefined".to_string(),
        Some(v) => v.to_string(ctx)?.to_std_string_lossy(),
    };
    let st = state(ctx)?;
    let mut a = st.alerts.borrow_mut();
    if a.len() < MAX_LOG_ENTRIES {
        a.push(msg.chars().take(MAX_LOG_CHARS).collect());
    }
    Ok(JsValue::undefined())
}

// ---- Microsoft IPv6 extensions ----------------------------------------------------------------

fn dns_resolve_ex(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let Some(h) = hostname_arg(args.first()) else {
        // Chromium sets no return value here: the call yields undefined.
        return Ok(JsValue::undefined());
    };
    let r = resolve_all(&st, &h).unwrap_or_default();
    Ok(JsString::from(r.as_str()).into())
}

fn is_resolvable_ex(this: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    // The library computes `dnsResolveEx(host) != ''`; undefined != '' is true.
    let r = dns_resolve_ex(this, args, ctx)?;
    Ok(match r.as_string() {
        Some(s) => !s.is_empty(),
        None => true,
    }
    .into())
}

fn my_ip_address_ex(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let all: Vec<String> = st
        .host
        .my_addresses()
        .iter()
        .map(|ip| ip::canonical(*ip))
        .collect();
    Ok(JsString::from(all.join(";").as_str()).into())
}

fn sort_ip_address_list(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let Some(list) = args.first().and_then(JsValue::as_string) else {
        return Ok(JsValue::null());
    };
    let list = list.to_std_string_lossy();
    if !list.is_ascii() {
        return Ok(JsValue::null());
    }
    Ok(match ip::sort_ip_address_list(&list) {
        Some(s) => JsString::from(s.as_str()).into(),
        None => false.into(),
    })
}

fn is_in_net_ex(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let (Some(a), Some(p)) = (
        args.first().and_then(JsValue::as_string),
        args.get(1).and_then(JsValue::as_string),
    ) else {
        return Ok(JsValue::null());
    };
    let (a, p) = (a.to_std_string_lossy(), p.to_std_string_lossy());
    if !a.is_ascii() || !p.is_ascii() {
        return Ok(false.into());
    }
    Ok(ip::is_in_net_ex(&a, &p).into())
}

fn get_client_version(_: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    Ok(js_string!("1.0").into())
}

// ---- date and time ----------------------------------------------------------------------------

struct Clock {
    host: Arc<dyn PacHost>,
}

impl date::Offset for Clock {
    fn offset_seconds(&self, utc_seconds: i64) -> i32 {
        self.host.local_offset_seconds(utc_seconds)
    }
}

#[allow(clippy::cast_precision_loss)]
fn clock(ctx: &Context) -> JsResult<(Clock, JsDate)> {
    let st = state(ctx)?;
    let now = JsDate(st.host.now_utc_millis() as f64);
    Ok((
        Clock {
            host: st.host.clone(),
        },
        now,
    ))
}

/// `arguments[argc - 1] == 'GMT'` (loose equality).
fn is_gmt(args: &[JsValue], ctx: &mut Context) -> JsResult<bool> {
    match args.last() {
        Some(v) => v.equals(&js_string!("GMT").into(), ctx),
        None => Ok(false),
    }
}

fn name_of(v: &JsValue, ctx: &mut Context) -> JsResult<Option<String>> {
    if v.is_symbol() {
        return Ok(None);
    }
    Ok(Some(v.to_string(ctx)?.to_std_string_lossy()))
}

fn lookup(table: &[&str], v: &JsValue, ctx: &mut Context) -> JsResult<f64> {
    Ok(match name_of(v, ctx)? {
        Some(n) => date::table_lookup(table, &n),
        None => -1.0,
    })
}

fn parse_int_value(v: &JsValue, ctx: &mut Context) -> JsResult<f64> {
    if v.is_symbol() {
        return Err(JsNativeError::typ()
            .with_message("Cannot convert a Symbol value to a string")
            .into());
    }
    Ok(date::parse_int(&v.to_string(ctx)?.to_std_string_lossy()))
}

#[allow(clippy::float_cmp)]
fn weekday_range(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if date_replaced(ctx)? {
        return fallback(ctx, |f| &f.weekday_range, args);
    }
    let mut argc = args.len();
    if argc < 1 {
        return Ok(false.into());
    }
    let (tz, now) = clock(ctx)?;
    let wday = if is_gmt(args, ctx)? {
        argc -= 1;
        now.utc_fields().weekday
    } else {
        now.local_fields(&tz).weekday
    };
    let wd1 = lookup(&WEEKDAYS, &arg(args, 0), ctx)?;
    let wd2 = if argc == 2 {
        lookup(&WEEKDAYS, &arg(args, 1), ctx)?
    } else {
        wd1
    };
    let r = if wd1 == -1.0 || wd2 == -1.0 {
        false
    } else if wd1 <= wd2 {
        wd1 <= wday && wday <= wd2
    } else {
        wd2 >= wday || wday >= wd1
    };
    Ok(r.into())
}

#[allow(clippy::float_cmp)]
fn date_range(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if date_replaced(ctx)? {
        return fallback(ctx, |f| &f.date_range, args);
    }
    let mut argc = args.len();
    if argc < 1 {
        return Ok(false.into());
    }
    let (tz, now) = clock(ctx)?;
    let gmt = is_gmt(args, ctx)?;
    if gmt {
        argc -= 1;
    }
    let fields = |d: JsDate| {
        if gmt {
            d.utc_fields()
        } else {
            d.local_fields(&tz)
        }
    };
    if argc == 1 {
        let a = arg(args, 0);
        let tmp = parse_int_value(&a, ctx)?;
        let f = fields(now);
        let r = if tmp.is_nan() {
            f.month == lookup(&MONTHS, &a, ctx)?
        } else if tmp < 32.0 {
            f.date == tmp
        } else {
            f.year == tmp
        };
        return Ok(r.into());
    }
    let year = now.local_fields(&tz).year;
    let mut d1 = JsDate::local(&tz, year, 0.0, 1.0, 0.0, 0.0, 0.0);
    let mut d2 = JsDate::local(&tz, year, 11.0, 31.0, 23.0, 59.0, 59.0);
    let mut adjust_month = false;
    let half = argc >> 1;
    for (i, a) in args.iter().enumerate().take(argc) {
        let d = if i < half { &mut d1 } else { &mut d2 };
        let tmp = parse_int_value(a, ctx)?;
        if tmp.is_nan() {
            let mon = lookup(&MONTHS, a, ctx)?;
            d.set_month(&tz, mon);
        } else if tmp < 32.0 {
            if i < half {
                adjust_month = argc <= 2;
            }
            d.set_date(&tz, tmp);
        } else {
            d.set_full_year(&tz, tmp);
        }
    }
    if adjust_month {
        let m = now.local_fields(&tz).month;
        d1.set_month(&tz, m);
        d2.set_month(&tz, m);
    }
    let mut date = now;
    if gmt {
        date.shift_to_gmt_fields(&tz);
    }
    Ok(in_range(d1.0, date.0, d2.0).into())
}

/// `(date1 <= date2) ? (date1 <= date && date <= date2) : (date2 >= date || date >= date1)`.
fn in_range(d1: f64, d: f64, d2: f64) -> bool {
    if d1 <= d2 {
        d1 <= d && d <= d2
    } else {
        d2 >= d || d >= d1
    }
}

fn time_range(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if date_replaced(ctx)? {
        return fallback(ctx, |f| &f.time_range, args);
    }
    let mut argc = args.len();
    if argc < 1 {
        return Ok(false.into());
    }
    let (tz, now) = clock(ctx)?;
    let gmt = is_gmt(args, ctx)?;
    if gmt {
        argc -= 1;
    }
    let hour = if gmt {
        now.utc_fields().hours
    } else {
        now.local_fields(&tz).hours
    };
    let hour_v = JsValue::new(hour);
    let (mut d1, mut d2) = (now, now);
    match argc {
        1 => return Ok(hour_v.equals(&arg(args, 0), ctx)?.into()),
        2 => {
            let r = arg(args, 0).le(&hour_v, ctx)? && hour_v.le(&arg(args, 1), ctx)?;
            return Ok(r.into());
        }
        4 | 6 => {
            let num = |i: usize, ctx: &mut Context| arg(args, i).to_number(ctx);
            if argc == 6 {
                let s1 = num(2, ctx)?;
                d1.set_seconds(&tz, s1);
                let s2 = num(5, ctx)?;
                d2.set_seconds(&tz, s2);
            }
            let middle = argc >> 1;
            let h1 = num(0, ctx)?;
            d1.set_hours(&tz, h1);
            let m1 = num(1, ctx)?;
            d1.set_minutes(&tz, m1);
            let h2 = num(middle, ctx)?;
            d2.set_hours(&tz, h2);
            let m2 = num(middle + 1, ctx)?;
            d2.set_minutes(&tz, m2);
            if middle == 2 {
                d2.set_seconds(&tz, 59.0);
            }
        }
        _ => {
            return Err(JsError::from_opaque(
                js_string!("timeRange: bad number of arguments").into(),
            ));
        }
    }
    let mut date = now;
    if gmt {
        date.shift_to_gmt_fields(&tz);
    }
    Ok(in_range(d1.0, date.0, d2.0).into())
}
