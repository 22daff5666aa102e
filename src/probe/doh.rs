//! DNS over HTTPS (RFC 8484) client: GET and POST, HTTP/1.1 and h2.
