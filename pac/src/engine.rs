//! One boa `Context` holding a compiled PAC script, evaluated under the sandbox limits.
//!
//! An [`Engine`] is not `Send`: [`crate::PacScript`] keeps it on a dedicated thread.

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Instant;

use boa_engine::context::time::JsInstant;
use boa_engine::context::{Clock, HostHooks};
use boa_engine::error::EngineError;
use boa_engine::property::PropertyDescriptor;
use boa_engine::{Context, JsError, JsString, JsValue, Script, Source, js_string};

use crate::directive::parse_pac_result;
use crate::helpers::{self, State};
use crate::hoist;
use crate::host::PacHost;
use crate::{EntryPoint, PacError, PacOptions, PacResult};

/// Instruction budget between two deadline checks.
const BUDGET: u32 = 2_000;

const URL_VAR: &str = "__pe_doctor_pac_url";
const HOST_VAR: &str = "__pe_doctor_pac_host";
/// The global object, so the entry point is called as its method: `this` is the global object
/// even in a strict-mode script, as in Chromium (which calls it with the global as receiver).
const GLOBAL_VAR: &str = "__pe_doctor_pac_global";

struct Hooks(Arc<dyn PacHost>);

impl HostHooks for Hooks {
    fn local_timezone_offset_seconds(&self, unix_time_seconds: i64) -> i32 {
        self.0.local_offset_seconds(unix_time_seconds)
    }
}

struct HostClock(Arc<dyn PacHost>);

impl Clock for HostClock {
    fn now(&self) -> JsInstant {
        let ms = u64::try_from(self.0.now_utc_millis()).unwrap_or(0);
        JsInstant::new(
            ms / 1000,
            u32::try_from((ms % 1000) * 1_000_000).unwrap_or(0),
        )
    }

    fn system_time_millis(&self) -> i64 {
        self.0.now_utc_millis()
    }
}

/// How a run ended when it did not return a value.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The deadline passed; the context is left mid-execution and must be discarded.
    Timeout,
    /// An exception or engine limit.
    Error(PacError),
}

/// A compiled PAC script in its own context.
pub(crate) struct Engine {
    ctx: Context,
    state: Rc<State>,
    call_std: Script,
    call_ex: Option<Script>,
    options: PacOptions,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("has_ex", &self.call_ex.is_some())
            .finish_non_exhaustive()
    }
}

fn engine_err(e: impl std::fmt::Display) -> PacError {
    PacError::Engine(e.to_string())
}

/// Converts a thrown error to a message (or a limit).
fn describe(e: &JsError, ctx: &mut Context) -> PacError {
    if let Some(EngineError::RuntimeLimit(l)) = e.as_engine() {
        return PacError::LimitExceeded {
            what: l.to_string(),
        };
    }
    let message = match e.try_native(ctx) {
        Ok(n) => {
            let l = split_position(&n.to_string());
            match (l.line, l.column) {
                (Some(line), Some(col)) => format!("{} (line {line}, column {col})", l.message),
                _ => l.message,
            }
        }
        Err(_) => match e.as_opaque() {
            Some(v) => v.display().to_string(),
            None => e.to_string(),
        },
    };
    PacError::Eval { message }
}

/// Polls a future to completion, giving up at `deadline` (checked each time it yields).
fn run_until<F: Future>(fut: F, deadline: Instant) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
    }
}

fn evaluate(script: &Script, ctx: &mut Context, deadline: Instant) -> Result<JsValue, Stop> {
    match run_until(script.evaluate_async_with_budget(ctx, BUDGET), deadline) {
        None => Err(Stop::Timeout),
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(Stop::Error(describe(&e, ctx))),
    }
}

/// A message without the engine's position decorations, and the position they carried.
#[derive(Debug, PartialEq, Eq)]
struct Located {
    message: String,
    line: Option<u32>,
    column: Option<u32>,
}

/// Splits the ` (line L, column C)` that [`describe`] appends off a message.
fn split_described(msg: &str) -> Located {
    if let Some(open) = msg.rfind(" (line ")
        && let Some((l, c)) = msg[open + " (line ".len()..]
            .strip_suffix(')')
            .and_then(|r| r.split_once(", column "))
        && let (Ok(line), Ok(column)) = (l.parse::<u32>(), c.parse::<u32>())
    {
        return Located {
            message: msg[..open].to_string(),
            line: Some(line),
            column: Some(column),
        };
    }
    Located {
        message: msg.to_string(),
        line: None,
        column: None,
    }
}

/// Splits boa's position decorations off a message: `... at line N, col M` (syntax errors),
/// ` (native)`, ` (native at F:L:C)` and ` (SOURCE:L:C)` / ` (SOURCE:?:?)` (thrown errors).
fn split_position(msg: &str) -> Located {
    let mut message = msg.trim_end().to_string();
    let (mut line, mut column) = (None, None);
    while let Some(open) = message.rfind(" (") {
        let inner = match message[open + 2..].strip_suffix(')') {
            Some(i) if !i.contains(['(', ')']) => i.to_string(),
            _ => break,
        };
        let inner = inner
            .strip_prefix("native")
            .map_or(inner.as_str(), str::trim_start);
        let inner = inner.strip_prefix("at ").unwrap_or(inner);
        if !inner.is_empty() {
            let mut parts = inner.rsplitn(3, ':');
            let (c, l) = (parts.next(), parts.next());
            if parts.next().is_none() {
                break;
            }
            let num = |s: Option<&str>| s.and_then(|s| s.parse::<u32>().ok());
            let known = |s: Option<&str>| s == Some("?") || num(s).is_some();
            if !known(c) || !known(l) {
                break;
            }
            line = line.or(num(l));
            column = column.or(num(c));
        }
        message.truncate(open);
    }
    if let Some(at) = message.rfind(" at line ") {
        let rest = &message[at + " at line ".len()..];
        if let Some((l, c)) = rest.split_once(", col ")
            && let (Ok(l), Ok(c)) = (l.trim().parse::<u32>(), c.trim().parse::<u32>())
        {
            line = Some(l);
            column = Some(c);
            message.truncate(at);
        }
    }
    Located {
        message,
        line,
        column,
    }
}

fn is_callable(ctx: &mut Context, name: &str) -> Result<bool, PacError> {
    let g = ctx.global_object();
    match g.get(JsString::from(name), ctx) {
        Ok(v) => Ok(v.is_callable()),
        Err(e) => Err(describe(&e, ctx)),
    }
}

impl Engine {
    /// Builds a context, installs the helpers, compiles and runs the script's top-level code.
    pub(crate) fn new(source: &str, options: &PacOptions) -> Result<Self, PacError> {
        if source.len() > options.max_source_bytes {
            return Err(PacError::TooLarge {
                size: source.len(),
                limit: options.max_source_bytes,
            });
        }
        if source.trim().is_empty() {
            return Err(PacError::Compile {
                message: "the PAC script is empty".into(),
                line: None,
                column: None,
            });
        }
        if let Some(depth) = crate::nesting_depth_exceeds(source, options.max_nesting) {
            return Err(PacError::LimitExceeded {
                what: format!("source nesting deeper than {depth} levels"),
            });
        }
        let host = options.host.clone();
        let mut ctx = Context::builder()
            .host_hooks(Rc::new(Hooks(host.clone())))
            .clock(Rc::new(HostClock(host.clone())))
            .build()
            .map_err(engine_err)?;
        {
            let limits = ctx.runtime_limits_mut();
            limits.set_loop_iteration_limit(options.loop_iteration_limit);
            limits.set_recursion_limit(options.recursion_limit);
            limits.set_stack_size_limit(options.stack_size_limit);
        }
        let microsoft = options.entry_point == crate::EntryPreference::PreferEx;
        let state = helpers::install(&mut ctx, host, microsoft).map_err(engine_err)?;
        for var in [URL_VAR, HOST_VAR] {
            ctx.global_object()
                .define_property_or_throw(
                    JsString::from(var),
                    PropertyDescriptor::builder()
                        .value(js_string!(""))
                        .writable(true)
                        .enumerable(false)
                        .configurable(false),
                    &mut ctx,
                )
                .map_err(engine_err)?;
        }
        let global = ctx.global_object();
        global
            .define_property_or_throw(
                JsString::from(GLOBAL_VAR),
                PropertyDescriptor::builder()
                    .value(global.clone())
                    .writable(false)
                    .enumerable(false)
                    .configurable(false),
                &mut ctx,
            )
            .map_err(engine_err)?;
        let hoisted = if options.cache_regex_literals {
            hoist::hoist(source)
        } else {
            None
        };
        let script = match hoisted.and_then(|h| Self::parse_hoisted(&h, &mut ctx)) {
            Some(s) => s,
            None => Script::parse(Source::from_bytes(source), None, &mut ctx).map_err(|e| {
                let l = split_position(&e.to_string());
                PacError::Compile {
                    message: l.message,
                    line: l.line,
                    column: l.column,
                }
            })?,
        };
        let deadline = Instant::now() + options.timeout;
        match evaluate(&script, &mut ctx, deadline) {
            Ok(_) => {}
            Err(Stop::Timeout) => {
                return Err(PacError::Timeout {
                    limit: options.timeout,
                });
            }
            Err(Stop::Error(PacError::Eval { message })) => {
                let l = split_described(&message);
                return Err(PacError::Compile {
                    message: format!("top-level code threw: {}", l.message),
                    line: l.line,
                    column: l.column,
                });
            }
            Err(Stop::Error(e)) => return Err(e),
        }
        if !is_callable(&mut ctx, "FindProxyForURL")? {
            return Err(PacError::NoEntryPoint);
        }
        let has_ex = is_callable(&mut ctx, "FindProxyForURLEx")?;
        let call = |name: &str, ctx: &mut Context| {
            let src = format!("{GLOBAL_VAR}.{name}({URL_VAR}, {HOST_VAR})");
            Script::parse(Source::from_bytes(&src), None, ctx).map_err(engine_err)
        };
        let call_std = call("FindProxyForURL", &mut ctx)?;
        let call_ex = if has_ex {
            Some(call("FindProxyForURLEx", &mut ctx)?)
        } else {
            None
        };
        Ok(Self {
            ctx,
            state,
            call_std,
            call_ex,
            options: options.clone(),
        })
    }

    /// Parses the rewritten source and creates its regular-expression objects; `None` (use the
    /// original source) if either step fails.
    fn parse_hoisted(h: &hoist::Hoisted, ctx: &mut Context) -> Option<Script> {
        let script = Script::parse(Source::from_bytes(&h.source), None, ctx).ok()?;
        let array_src = format!("[{}]", h.literals.join(",\n"));
        let array = ctx.eval(Source::from_bytes(&array_src)).ok()?;
        ctx.global_object()
            .define_property_or_throw(
                JsString::from(hoist::REGEX_ARRAY),
                PropertyDescriptor::builder()
                    .value(array)
                    .writable(false)
                    .enumerable(false)
                    .configurable(false),
                ctx,
            )
            .ok()?;
        Some(script)
    }

    /// Whether the script defines `FindProxyForURLEx`.
    pub(crate) fn has_ex(&self) -> bool {
        self.call_ex.is_some()
    }

    /// Runs the entry point once.
    pub(crate) fn call(
        &mut self,
        url: &str,
        host: &str,
        entry: EntryPoint,
    ) -> Result<PacResult, Stop> {
        let script = match (entry, &self.call_ex) {
            (EntryPoint::FindProxyForURLEx, Some(s)) => s,
            _ => &self.call_std,
        };
        let entry = if std::ptr::eq(script, &self.call_std) {
            EntryPoint::FindProxyForURL
        } else {
            EntryPoint::FindProxyForURLEx
        };
        let g = self.ctx.global_object();
        for (var, val) in [(URL_VAR, url), (HOST_VAR, host)] {
            g.set(
                JsString::from(var),
                JsString::from(val),
                false,
                &mut self.ctx,
            )
            .map_err(|e| Stop::Error(describe(&e, &mut self.ctx)))?;
        }
        self.state.alerts.borrow_mut().clear();
        self.state.dns_queries.borrow_mut().clear();
        let deadline = Instant::now() + self.options.timeout;
        let v = evaluate(script, &mut self.ctx, deadline)?;
        let Some(s) = v.as_string() else {
            return Err(Stop::Error(PacError::NotAString {
                type_name: v.type_of().to_string(),
            }));
        };
        let raw = s.to_std_string_lossy();
        if !raw.is_ascii() {
            return Err(Stop::Error(PacError::NotAscii(raw)));
        }
        let (directives, bad_entries) = parse_pac_result(&raw);
        Ok(PacResult {
            raw,
            directives,
            entry_point: entry,
            bad_entries,
            alerts: self.state.alerts.borrow().clone(),
            dns_queries: self.state.dns_queries.borrow().clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(message: &str, line: Option<u32>, column: Option<u32>) -> Located {
        Located {
            message: message.into(),
            line,
            column,
        }
    }

    #[test]
    fn positions_are_split_off_once() {
        assert_eq!(
            split_position(
                "SyntaxError: unexpected token ';', primary expression at line 3, col 11 (native)"
            ),
            located(
                "SyntaxError: unexpected token ';', primary expression",
                Some(3),
                Some(11)
            )
        );
        assert_eq!(
            split_position("ReferenceError: foo is not defined (unknown at :?:?)"),
            located("ReferenceError: foo is not defined", None, None)
        );
        assert_eq!(
            split_position("TypeError: x (native at src/a.rs:10:4)"),
            located("TypeError: x", Some(10), Some(4))
        );
        assert_eq!(
            split_position("Error: boom (unknown:2:7)"),
            located("Error: boom", Some(2), Some(7))
        );
        // Parentheses that are not positions stay.
        assert_eq!(
            split_position("Error: call f(a) (see docs)"),
            located("Error: call f(a) (see docs)", None, None)
        );
        assert_eq!(
            split_position("Error: time (10:30)"),
            located("Error: time (10:30)", None, None)
        );
        assert_eq!(
            split_described("Error: boom (line 2, column 7)"),
            located("Error: boom", Some(2), Some(7))
        );
        assert_eq!(
            split_described("Error: boom"),
            located("Error: boom", None, None)
        );
    }
}
