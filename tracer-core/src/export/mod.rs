//! Exporters: where finished spans go.
//!
//! An exporter receives batches of finished [`SpanData`] from a processor.
//! Built in:
//!
//! - [`InMemoryExporter`]: keeps spans in memory, for tests.
//! - [`ConsoleExporter`]: prints a readable tree per trace (the default of
//!   [`init`](crate::init)).
//! - [`JsonLinesExporter`]: one JSON object per span per line, with OTLP
//!   JSON field names, to any `io::Write`.
//! - [`ChromeTraceExporter`]: a Chrome trace-event file, streamed, for
//!   Perfetto and `chrome://tracing`.
//! - [`HtmlExporter`]: one self-contained HTML page with a waterfall per
//!   trace, to open in any browser.
//! - `LogExporter` (feature `log`): one `log` record per span.
//! - [`otlp`]: `OtlpExporter` (feature `otlp`) sends spans to a collector
//!   over OTLP/HTTP.

mod chrome;
mod console;
mod html;
mod json;
mod memory;

pub use chrome::ChromeTraceExporter;
pub use console::ConsoleExporter;
pub use html::HtmlExporter;
pub use json::JsonLinesExporter;
pub use memory::InMemoryExporter;
pub mod otlp;

use std::fmt;
use std::time::Duration;

use crate::model::{Resource, SpanData};

/// Sends batches of finished spans somewhere.
///
/// Exporters run on the processor's thread: the application's thread for
/// [`SimpleSpanProcessor`](crate::processor::SimpleSpanProcessor), the
/// export thread for [`BatchSpanProcessor`](crate::processor::BatchSpanProcessor).
///
/// ```
/// use tracer_core::export::{ExportError, SpanExporter};
/// use tracer_core::SpanData;
///
/// struct Stdout;
///
/// impl SpanExporter for Stdout {
///     fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
///         for span in batch {
///             println!("{} took {:?}", span.name, span.duration());
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait SpanExporter: Send + 'static {
    /// Exports one batch.
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError>;

    /// Delivers anything the exporter buffers.
    fn force_flush(&mut self) -> Result<(), ExportError> {
        Ok(())
    }

    /// Flushes and releases resources.
    fn shutdown(&mut self) -> Result<(), ExportError> {
        self.force_flush()
    }

    /// The longest one export may take; exporters that can abandon a slow
    /// export should honour it.
    fn set_timeout(&mut self, timeout: Duration) {
        let _ = timeout;
    }

    /// Called with the resource describing the process, when the provider
    /// is built (through its processor). Exporters that send a resource
    /// (OTLP) keep it.
    fn set_resource(&mut self, resource: &Resource) {
        let _ = resource;
    }

    /// How many export attempts this exporter has retried so far, in all
    /// (exporters that retry count them; the default is 0). Processors
    /// read it after each export into
    /// [`ProcessorStats::retries`](crate::processor::ProcessorStats::retries).
    ///
    /// ```
    /// use tracer_core::export::{InMemoryExporter, SpanExporter};
    ///
    /// assert_eq!(InMemoryExporter::new().retries(), 0);
    /// ```
    fn retries(&self) -> u64 {
        0
    }
}

impl SpanExporter for Box<dyn SpanExporter> {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        (**self).export(batch)
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        (**self).force_flush()
    }

    fn shutdown(&mut self) -> Result<(), ExportError> {
        (**self).shutdown()
    }

    fn set_timeout(&mut self, timeout: Duration) {
        (**self).set_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        (**self).set_resource(resource);
    }

    fn retries(&self) -> u64 {
        (**self).retries()
    }
}

/// Why an export did not fully succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// Nothing was delivered.
    Failed(String),
    /// The export took too long and was abandoned.
    Timeout,
    /// The backend accepted the batch but rejected some spans.
    PartialSuccess {
        /// Spans rejected.
        rejected: u64,
        /// The backend's explanation.
        message: String,
    },
    /// The exporter was shut down.
    ShutDown,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Failed(reason) => write!(f, "export failed: {reason}"),
            ExportError::Timeout => f.write_str("export timed out"),
            ExportError::PartialSuccess { rejected, message } => {
                write!(f, "backend rejected {rejected} spans: {message}")
            }
            ExportError::ShutDown => f.write_str("exporter is shut down"),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<std::io::Error> for ExportError {
    fn from(error: std::io::Error) -> ExportError {
        ExportError::Failed(error.to_string())
    }
}
