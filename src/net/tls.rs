//! TLS client configurations (OS trust store + extra CAs; public roots only).
