//! Lab DoH front-end (RFC 8484 GET and POST, HTTP/1.1 and h2) forwarding to a lab DNS server.
