//! The report model and its renderers. Renderers write to any `io::Write`.

pub mod model;
