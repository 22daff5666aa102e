//! Browser-exact, sandboxed evaluation of PAC (proxy auto-config) scripts.
//!
//! ```
//! use std::sync::Arc;
//! use pac::{PacOptions, PacScript, StaticHost, Directive};
//!
//! let src = r#"function FindProxyForURL(url, host) {
//!     if (shExpMatch(host, "*.internal.example")) return "DIRECT";
//!     return "PROXY proxy.example:3128; DIRECT";
//! }"#;
//! let options = PacOptions { host: Arc::new(StaticHost::new()), ..PacOptions::default() };
//! let pac = PacScript::compile(src, options).unwrap();
//! let r = pac.find_proxy_for_url("https://a.internal.example/x").unwrap();
//! assert_eq!(r.directives, vec![Directive::Direct]);
//! ```
//!
//! * Semantics are Chromium's (`pac_js_library.h`, `proxy_resolver_v8.cc`), helpers are native.
//! * The script runs on boa in a dedicated thread per [`PacScript`]; every call is bounded by a
//!   wall-clock limit (enforced between instruction budgets), loop-iteration, recursion and
//!   stack limits, and the source size limit browsers use (1 MiB).
//! * Nothing here touches the network, the clock or the file system except [`load::load_file`]:
//!   DNS, own addresses and time come from a [`PacHost`].

mod bypass;
mod date;
mod directive;
mod engine;
mod error;
mod helpers;
mod hoist;
mod host;
mod ip;
pub mod load;
mod local;
mod shexp;
mod url;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use bypass::{ImplicitBypass, implicit_bypass};
pub use directive::{Directive, parse_pac_result};
pub use error::PacError;
pub use host::{PacHost, StaticHost, my_ip_address};
pub use local::LocalScript;
pub use url::sanitize_url;

use engine::{Engine, Stop};

/// Which entry point ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryPoint {
    /// The standard `FindProxyForURL(url, host)`.
    FindProxyForURL,
    /// Microsoft's `FindProxyForURLEx(url, host)` (WinHTTP / IE prefer it when defined).
    FindProxyForURLEx,
}

impl std::fmt::Display for EntryPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::FindProxyForURL => "FindProxyForURL",
            Self::FindProxyForURLEx => "FindProxyForURLEx",
        })
    }
}

/// Which entry point to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryPreference {
    /// Always `FindProxyForURL`, as Chromium, Firefox and Safari do.
    #[default]
    Standard,
    /// `FindProxyForURLEx` when the script defines it, as WinHTTP does.
    PreferEx,
}

/// Limits and services for a compiled script.
#[derive(Debug, Clone)]
pub struct PacOptions {
    /// DNS, own addresses and clock seen by the script.
    pub host: Arc<dyn PacHost>,
    /// Wall-clock limit for the top-level code and for each call.
    pub timeout: Duration,
    /// Maximum loop iterations within one function activation.
    pub loop_iteration_limit: u64,
    /// Maximum call depth.
    pub recursion_limit: usize,
    /// Maximum engine value-stack size.
    pub stack_size_limit: usize,
    /// Maximum source size in bytes (browsers: 1 MiB).
    pub max_source_bytes: usize,
    /// Maximum bracket nesting in the source (protects the recursive parser).
    pub max_nesting: usize,
    /// Which entry point to call.
    pub entry_point: EntryPreference,
    /// Sanitise URLs as Chromium does before handing them to the script.
    pub sanitize_url: bool,
    /// Compile each regular-expression literal without `g`/`y` flags once per script instead of
    /// at every evaluation (as browsers' engines effectively do); only object identity differs.
    pub cache_regex_literals: bool,
}

impl Default for PacOptions {
    fn default() -> Self {
        Self {
            host: Arc::new(StaticHost::new()),
            timeout: Duration::from_secs(5),
            loop_iteration_limit: 10_000_000,
            recursion_limit: 400,
            stack_size_limit: 64 * 1024,
            max_source_bytes: load::MAX_PAC_BYTES,
            max_nesting: 1000,
            entry_point: EntryPreference::Standard,
            sanitize_url: true,
            cache_regex_literals: true,
        }
    }
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacResult {
    /// The string the script returned.
    pub raw: String,
    /// The entries that parse, in order.
    pub directives: Vec<Directive>,
    /// Which entry point ran.
    pub entry_point: EntryPoint,
    /// Entries that do not parse (browsers skip them).
    pub bad_entries: Vec<String>,
    /// Messages passed to `alert()` during the call.
    pub alerts: Vec<String>,
    /// Names the script asked to resolve during the call (IP literals and localhost excluded).
    pub dns_queries: Vec<String>,
}

impl PacResult {
    /// What a browser would try: the directives, or `DIRECT` when none parse.
    pub fn effective_directives(&self) -> Vec<Directive> {
        if self.directives.is_empty() {
            vec![Directive::Direct]
        } else {
            self.directives.clone()
        }
    }
}

/// Grace added to the per-call limit before the caller gives up on the engine thread (only
/// reached when the engine is stuck in a native callback that does not yield).
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);
/// Stack of the engine thread: the parser and compiler recurse on nested source.
const ENGINE_STACK_BYTES: usize = 256 << 20;

type Reply = Result<PacResult, PacError>;

/// How long the engine thread keeps polling for the next job before it parks, and how long a
/// caller polls for its answer before it blocks. Short calls then cost no thread wake-ups.
const WORKER_SPIN: Duration = Duration::from_micros(100);
const CALLER_SPIN: Duration = Duration::from_micros(500);

/// Polls `rx` for up to `limit`; `None` when nothing arrived (or the sender is gone).
fn spin_recv<T>(rx: &mpsc::Receiver<T>, limit: Duration) -> Option<T> {
    let start = std::time::Instant::now();
    let mut i = 0u32;
    loop {
        match rx.try_recv() {
            Ok(v) => return Some(v),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        i = i.wrapping_add(1);
        if i.is_multiple_of(64) && start.elapsed() >= limit {
            return None;
        }
        std::thread::yield_now();
    }
}

#[derive(Debug)]
struct Job {
    /// (url, host) pairs, evaluated in order.
    items: Vec<(String, String)>,
    entry: EntryPoint,
    reply: mpsc::SyncSender<Vec<Reply>>,
}

/// A compiled PAC script. Compile once, then call [`PacScript::find_proxy`] from any thread;
/// calls are serialised onto the script's engine thread.
#[derive(Debug)]
pub struct PacScript {
    source: Arc<str>,
    options: PacOptions,
    has_ex: bool,
    worker: Mutex<Option<mpsc::Sender<Job>>>,
}

fn spawn_worker(
    source: Arc<str>,
    options: PacOptions,
) -> Result<(mpsc::Sender<Job>, bool), PacError> {
    let (init_tx, init_rx) = mpsc::sync_channel::<Result<bool, PacError>>(1);
    let (tx, rx) = mpsc::channel::<Job>();
    let limit = options.timeout;
    std::thread::Builder::new()
        .name("pac-engine".into())
        .stack_size(ENGINE_STACK_BYTES)
        .spawn(move || {
            let mut engine = match Engine::new(&source, &options) {
                Ok(e) => {
                    let _ = init_tx.send(Ok(e.has_ex()));
                    e
                }
                Err(e) => {
                    let _ = init_tx.send(Err(e));
                    return;
                }
            };
            while let Some(job) = spin_recv(&rx, WORKER_SPIN).or_else(|| rx.recv().ok()) {
                let mut replies = Vec::with_capacity(job.items.len());
                for (url, host) in &job.items {
                    match engine.call(url, host, job.entry) {
                        Ok(r) => replies.push(Ok(r)),
                        Err(Stop::Error(e)) => replies.push(Err(e)),
                        Err(Stop::Timeout) => {
                            replies.push(Err(PacError::Timeout {
                                limit: options.timeout,
                            }));
                            // The interrupted context is mid-execution: start from a fresh one.
                            match Engine::new(&source, &options) {
                                Ok(e) => engine = e,
                                Err(_) => {
                                    let _ = job.reply.send(replies);
                                    return;
                                }
                            }
                        }
                    }
                }
                let _ = job.reply.send(replies);
            }
        })
        .map_err(|e| PacError::Engine(e.to_string()))?;
    match init_rx.recv_timeout(limit + WATCHDOG_GRACE) {
        Ok(Ok(has_ex)) => Ok((tx, has_ex)),
        Ok(Err(e)) => Err(e),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(PacError::Timeout { limit }),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(PacError::Engine("engine thread exited".into()))
        }
    }
}

impl PacScript {
    /// Compiles `source` and runs its top-level code on a new engine thread.
    pub fn compile(source: &str, options: PacOptions) -> Result<Self, PacError> {
        if source.len() > options.max_source_bytes {
            return Err(PacError::TooLarge {
                size: source.len(),
                limit: options.max_source_bytes,
            });
        }
        let source: Arc<str> = Arc::from(source);
        let (tx, has_ex) = spawn_worker(source.clone(), options.clone())?;
        Ok(Self {
            source,
            options,
            has_ex,
            worker: Mutex::new(Some(tx)),
        })
    }

    /// Whether the script defines `FindProxyForURLEx`.
    pub fn has_find_proxy_for_url_ex(&self) -> bool {
        self.has_ex
    }

    /// The options the script was compiled with.
    pub fn options(&self) -> &PacOptions {
        &self.options
    }

    /// Evaluates the script for `url` and `host` (the URL is sanitised first when
    /// [`PacOptions::sanitize_url`] is set and it parses; `host` is passed as given).
    pub fn find_proxy(&self, url: &str, host: &str) -> Result<PacResult, PacError> {
        let url = if self.options.sanitize_url {
            sanitize_url(url).map_or_else(|_| url.to_string(), |(u, _)| u)
        } else {
            url.to_string()
        };
        self.call(url, host.to_string())
    }

    /// Evaluates the script for `url`, deriving the host as a browser does.
    pub fn find_proxy_for_url(&self, url: &str) -> Result<PacResult, PacError> {
        let (sanitized, host) = sanitize_url(url)?;
        let url = if self.options.sanitize_url {
            sanitized
        } else {
            url.to_string()
        };
        self.call(url, host)
    }

    /// Evaluates the script for many URLs in one round trip to the engine thread (hosts
    /// derived as browsers do). Results are in input order; each URL has its own time limit.
    pub fn find_proxy_for_urls<S: AsRef<str>>(
        &self,
        urls: &[S],
    ) -> Vec<Result<PacResult, PacError>> {
        let mut out: Vec<Option<Result<PacResult, PacError>>> = Vec::with_capacity(urls.len());
        let mut items = Vec::with_capacity(urls.len());
        let mut slots = Vec::with_capacity(urls.len());
        for (i, u) in urls.iter().enumerate() {
            match sanitize_url(u.as_ref()) {
                Ok((sanitized, host)) => {
                    let url = if self.options.sanitize_url {
                        sanitized
                    } else {
                        u.as_ref().to_string()
                    };
                    items.push((url, host));
                    slots.push(i);
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        match self.call_many(items) {
            Ok(results) => {
                for (slot, r) in slots.into_iter().zip(results) {
                    out[slot] = Some(r);
                }
            }
            Err(e) => {
                for slot in slots {
                    out[slot] = Some(Err(e.clone()));
                }
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(PacError::Engine("no answer".into()))))
            .collect()
    }

    fn call(&self, url: String, host: String) -> Result<PacResult, PacError> {
        self.call_many(vec![(url, host)])?
            .pop()
            .unwrap_or_else(|| Err(PacError::Engine("no answer".into())))
    }

    fn call_many(&self, items: Vec<(String, String)>) -> Result<Vec<Reply>, PacError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
        let entry = match (self.options.entry_point, self.has_ex) {
            (EntryPreference::PreferEx, true) => EntryPoint::FindProxyForURLEx,
            _ => EntryPoint::FindProxyForURL,
        };
        let tx = {
            let mut guard = self
                .worker
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if guard.is_none() {
                *guard = Some(spawn_worker(self.source.clone(), self.options.clone())?.0);
            }
            guard.clone()
        };
        let Some(tx) = tx else {
            return Err(PacError::Engine("no engine thread".into()));
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        tx.send(Job {
            items,
            entry,
            reply: reply_tx,
        })
        .map_err(|_| PacError::Engine("engine thread exited".into()))?;
        let waited = match spin_recv(&reply_rx, CALLER_SPIN) {
            Some(r) => Ok(r),
            None => reply_rx.recv_timeout(self.options.timeout.saturating_mul(n) + WATCHDOG_GRACE),
        };
        match waited {
            Ok(r) => Ok(r),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // The engine is stuck where it cannot be interrupted: abandon its thread (it exits
                // once the call unwinds) and start a fresh one for the next call.
                let mut guard = self
                    .worker
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *guard = None;
                Err(PacError::Timeout {
                    limit: self.options.timeout,
                })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let mut guard = self
                    .worker
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *guard = None;
                Err(PacError::Engine("engine thread exited".into()))
            }
        }
    }
}

/// Returns the limit when the bracket nesting of `source` (a conservative over-estimate that
/// also counts brackets in strings and comments) exceeds `max`.
fn nesting_depth_exceeds(source: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for b in source.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(max);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn script_is_send_and_sync() {
        assert_send_sync::<PacScript>();
    }
}

/// Measurement hooks for the benchmark binary; not part of the supported API.
#[doc(hidden)]
pub mod __bench {
    use super::*;

    /// Runs `rounds` cycles over `urls` on the calling thread, without the engine thread.
    pub fn in_thread(source: &str, urls: &[&str], rounds: usize) -> Result<u64, PacError> {
        let options = PacOptions::default();
        let mut engine = Engine::new(source, &options)?;
        let mut n = 0;
        for _ in 0..rounds {
            for u in urls {
                let (url, host) = sanitize_url(u)?;
                engine
                    .call(&url, &host, EntryPoint::FindProxyForURL)
                    .map_err(|e| match e {
                        Stop::Timeout => PacError::Timeout {
                            limit: options.timeout,
                        },
                        Stop::Error(e) => e,
                    })?;
                n += 1;
            }
        }
        Ok(n)
    }
}
