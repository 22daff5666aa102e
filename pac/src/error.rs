//! Errors of the PAC engine.

use std::time::Duration;

/// Everything that can go wrong loading, compiling or evaluating a PAC script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacError {
    /// The script (or the fetched body) exceeds the size limit.
    #[error("PAC script is {size} bytes, larger than the {limit}-byte limit")]
    TooLarge {
        /// Size seen (at least this many bytes).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The script does not parse, or its top-level code throws.
    #[error("PAC script does not compile: {message}{}", position(*line, *column))]
    Compile {
        /// Engine message.
        message: String,
        /// 1-based line, when known.
        line: Option<u32>,
        /// 1-based column, when known.
        column: Option<u32>,
    },
    /// `FindProxyForURL` is missing or not a function.
    #[error("FindProxyForURL is undefined or not a function")]
    NoEntryPoint,
    /// The script threw an exception.
    #[error("PAC script threw: {message}")]
    Eval {
        /// Exception text.
        message: String,
    },
    /// A call (or the top-level code) ran longer than the wall-clock limit.
    #[error("PAC evaluation exceeded the {limit:?} time limit")]
    Timeout {
        /// The limit that was exceeded.
        limit: Duration,
    },
    /// A loop-iteration, recursion, stack or memory limit was hit.
    #[error("PAC evaluation exceeded a limit: {what}")]
    LimitExceeded {
        /// Which limit.
        what: String,
    },
    /// `FindProxyForURL` returned something other than a string.
    #[error("FindProxyForURL() did not return a string (returned {type_name})")]
    NotAString {
        /// JavaScript `typeof` of the returned value.
        type_name: String,
    },
    /// `FindProxyForURL` returned a string with non-ASCII characters (browsers reject it).
    #[error("FindProxyForURL() returned a non-ASCII string: {0:?}")]
    NotAscii(String),
    /// The URL to evaluate cannot be parsed.
    #[error("cannot parse URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Parser message.
        reason: String,
    },
    /// The PAC could not be loaded from its source.
    #[error("cannot load PAC from {location}: {reason}")]
    Load {
        /// File path or URL the PAC was loaded from.
        location: String,
        /// What went wrong.
        reason: String,
    },
    /// The evaluation thread could not be started or went away.
    #[error("PAC engine thread failed: {0}")]
    Engine(String),
}

fn position(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        (Some(l), None) => format!(" (line {l})"),
        _ => String::new(),
    }
}
