//! Span processors: what happens to spans when they start and end.
//!
//! The runtime gives each installed processor every finished span, in
//! batches ([`SpanBatch`], one per thread hand-over). Processors usually pass them to a
//! [`SpanExporter`](crate::export::SpanExporter):
//!
//! - [`SimpleSpanProcessor`] exports on the calling thread, at once. Good
//!   for tests and the console.
//! - [`BatchSpanProcessor`] queues spans (bounded) and exports them from a
//!   background thread, in batches, on an interval. Application threads
//!   never wait for the exporter; a full queue drops spans and counts them.
//! - [`TailSamplingProcessor`] sits in front of another processor and
//!   passes on only the traces worth keeping: every one that failed or was
//!   slow, those a predicate picks, and a ratio of the rest, decided once
//!   each trace's local root has ended.
//!
//! Built-in processors export only sampled spans.

mod batch;
mod counters;
mod flush_error;
mod simple;
mod tail;

pub use crate::buffer::SpanBatch;
pub use batch::{BatchConfig, BatchSpanProcessor};
pub(crate) use counters::Counters;
pub use counters::ProcessorStats;
pub use flush_error::FlushError;
pub use simple::SimpleSpanProcessor;
pub use tail::{TailSamplingBuilder, TailSamplingConfig, TailSamplingProcessor, TailSamplingStats, TailStatsHandle};

use std::time::Duration;

use crate::model::{Resource, SpanData};

/// Receives spans as they start and end.
///
/// A processor gets each thread's finished spans as one [`SpanBatch`]
/// ([`on_end_batch`](Self::on_end_batch)); the default hands them to
/// [`on_end`](Self::on_end) one by one.
///
/// ```
/// use tracer_core::processor::SpanProcessor;
/// use tracer_core::SpanData;
///
/// struct CountErrors(std::sync::atomic::AtomicUsize);
///
/// impl SpanProcessor for CountErrors {
///     fn on_end(&self, span: SpanData) {
///         if span.status.is_error() {
///             self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         }
///     }
/// }
/// ```
pub trait SpanProcessor: Send + Sync + 'static {
    /// Called when a recorded span starts, on the starting thread, with the
    /// span's record (attributes may be added). Called only if
    /// [`wants_on_start`](Self::wants_on_start) returns `true`, so that
    /// processors that do not need it cost nothing on the hot path.
    fn on_start(&self, span: &mut SpanData) {
        let _ = span;
    }

    /// Whether [`on_start`](Self::on_start) should be called.
    fn wants_on_start(&self) -> bool {
        false
    }

    /// Called with a finished span.
    fn on_end(&self, span: SpanData);

    /// Called with a batch of finished spans from one thread. The default
    /// calls [`on_end`](Self::on_end) for each. Dropping the batch gives its
    /// buffer back to the thread that filled it.
    fn on_end_batch(&self, mut spans: SpanBatch) {
        for span in spans.drain() {
            self.on_end(span);
        }
    }

    /// Called once, when the provider is built, with the resource that
    /// describes the process. Processors pass it on to their exporters
    /// ([`SpanExporter::set_resource`](crate::export::SpanExporter::set_resource)).
    fn set_resource(&mut self, resource: &Resource) {
        let _ = resource;
    }

    /// Exports everything received so far, waiting at most `timeout`.
    fn force_flush(&self, timeout: Duration) -> Result<(), FlushError> {
        let _ = timeout;
        Ok(())
    }

    /// Flushes and releases resources. Spans received afterwards are
    /// dropped and counted.
    fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        self.force_flush(timeout)
    }

    /// Counters, for monitoring.
    fn stats(&self) -> ProcessorStats {
        ProcessorStats::default()
    }
}
