//! The OS resolver (getaddrinfo).
