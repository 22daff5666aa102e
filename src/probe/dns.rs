//! Plain DNS over UDP with TCP fallback on truncation.
