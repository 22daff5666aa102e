//! Lab certificates (rcgen): a lab CA and leaf certificates.
