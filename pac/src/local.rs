//! A compiled script evaluated on the calling thread, for a host that gives the engine a thread
//! (and a process) of its own choosing: its stack size, its memory limit, its kill switch.

use crate::engine::{Engine, Stop};
use crate::{EntryPoint, EntryPreference, PacError, PacOptions, PacResult, sanitize_url};

/// A compiled PAC script bound to the thread that compiled it (not `Send`).
///
/// Unlike [`crate::PacScript`] no thread is started: the caller's thread must have a stack big
/// enough for the parser (the engine recurses on nested source). A call that runs out of time
/// leaves the context mid-execution, so the script is compiled afresh for the next call.
#[derive(Debug)]
pub struct LocalScript {
    engine: Engine,
    source: String,
    options: PacOptions,
}

impl LocalScript {
    /// Compiles `source` and runs its top-level code on this thread.
    pub fn compile(source: &str, options: PacOptions) -> Result<Self, PacError> {
        let engine = Engine::new(source, &options)?;
        Ok(Self {
            engine,
            source: source.to_string(),
            options,
        })
    }

    /// Whether the script defines `FindProxyForURLEx`.
    pub fn has_find_proxy_for_url_ex(&self) -> bool {
        self.engine.has_ex()
    }

    /// Evaluates the script for `url`, deriving the host as a browser does.
    pub fn find_proxy_for_url(&mut self, url: &str) -> Result<PacResult, PacError> {
        let (sanitized, host) = sanitize_url(url)?;
        let url = if self.options.sanitize_url {
            sanitized
        } else {
            url.to_string()
        };
        self.call(&url, &host)
    }

    /// Evaluates the script for `url` and an explicit `host` (the URL is sanitised first when
    /// [`PacOptions::sanitize_url`] is set and it parses).
    pub fn find_proxy(&mut self, url: &str, host: &str) -> Result<PacResult, PacError> {
        let url = if self.options.sanitize_url {
            sanitize_url(url).map_or_else(|_| url.to_string(), |(u, _)| u)
        } else {
            url.to_string()
        };
        self.call(&url, host)
    }

    fn call(&mut self, url: &str, host: &str) -> Result<PacResult, PacError> {
        let entry = match (self.options.entry_point, self.engine.has_ex()) {
            (EntryPreference::PreferEx, true) => EntryPoint::FindProxyForURLEx,
            _ => EntryPoint::FindProxyForURL,
        };
        match self.engine.call(url, host, entry) {
            Ok(r) => Ok(r),
            Err(Stop::Error(e)) => Err(e),
            Err(Stop::Timeout) => {
                self.engine = Engine::new(&self.source, &self.options)?;
                Err(PacError::Timeout {
                    limit: self.options.timeout,
                })
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn evaluates_and_recovers_after_a_timeout() {
        let src = "function FindProxyForURL(u, h) { if (h == 'loop') { while (true) {} } \
                   return 'PROXY ' + h + ':1'; }";
        let options = PacOptions {
            timeout: Duration::from_millis(200),
            ..PacOptions::default()
        };
        let mut s = LocalScript::compile(src, options).unwrap();
        assert!(!s.has_find_proxy_for_url_ex());
        assert_eq!(s.find_proxy_for_url("http://a/").unwrap().raw, "PROXY a:1");
        let start = Instant::now();
        let e = s.find_proxy_for_url("http://loop/").unwrap_err();
        assert!(matches!(e, PacError::Timeout { .. }), "{e}");
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(s.find_proxy("http://x/", "b").unwrap().raw, "PROXY b:1");
    }

    #[test]
    fn my_ip_address_favours_ipv4_and_the_ex_form_lists_all() {
        let host = crate::StaticHost::new().with_my_ips(vec![
            "2001:db8::7".parse().unwrap(),
            "10.1.2.3".parse().unwrap(),
        ]);
        let options = PacOptions {
            host: std::sync::Arc::new(host),
            ..PacOptions::default()
        };
        let src = "function FindProxyForURL(u, h) { \
                   return 'PROXY ' + myIpAddress() + ':1; PROXY x:' + myIpAddressEx().length; }";
        let mut s = LocalScript::compile(src, options).unwrap();
        let r = s.find_proxy_for_url("http://a/").unwrap();
        assert_eq!(r.raw, "PROXY 10.1.2.3:1; PROXY x:20");
    }
}
