//! JSON renderer: `pe-doctor/report/v1`.

use super::model::Report;
use std::io::{self, Write};

/// Writes the report as pretty JSON followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
    writeln!(out)
}
