//! Span processors: what happens to spans when they start and end.
//!
//! The runtime gives each installed processor every finished span, in
//! batches (one per thread hand-over). Processors usually pass them to a
//! [`SpanExporter`]:
//!
//! - [`SimpleSpanProcessor`] exports on the calling thread, at once. Good
//!   for tests and the console.
//! - [`BatchSpanProcessor`] queues spans (bounded) and exports them from a
//!   background thread, in batches, on an interval. Application threads
//!   never wait for the exporter; a full queue drops spans and counts them.
//!
//! Built-in processors export only sampled spans.

mod batch;

#[cfg(feature = "log")]
pub use crate::logging::LogProcessor;
pub use batch::{BatchConfig, BatchSpanProcessor};

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::current::Batch;
use crate::export::{ExportError, SpanExporter};
use crate::span::SpanData;

/// Receives spans as they start and end.
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
    /// calls [`on_end`](Self::on_end) for each.
    fn on_end_batch(&self, spans: Vec<SpanData>) {
        for span in spans {
            self.on_end(span);
        }
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

/// Counters kept by a processor. Every span handed to a processor ends up
/// in exactly one of `exported`, `dropped_queue_full`, `failed` or
/// `rejected`, or is still `queued`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessorStats {
    /// Spans received (sampled ones only).
    pub received: u64,
    /// Spans waiting to be exported.
    pub queued: u64,
    /// Spans the exporter accepted.
    pub exported: u64,
    /// Spans dropped because the queue was full or the processor was shut
    /// down.
    pub dropped_queue_full: u64,
    /// Spans in batches whose export failed.
    pub failed: u64,
    /// Spans the backend rejected in a partial success.
    pub rejected: u64,
    /// Export attempts that were retried.
    pub retries: u64,
}

impl std::ops::Add for ProcessorStats {
    type Output = ProcessorStats;
    fn add(self, o: ProcessorStats) -> ProcessorStats {
        ProcessorStats {
            received: self.received + o.received,
            queued: self.queued + o.queued,
            exported: self.exported + o.exported,
            dropped_queue_full: self.dropped_queue_full + o.dropped_queue_full,
            failed: self.failed + o.failed,
            rejected: self.rejected + o.rejected,
            retries: self.retries + o.retries,
        }
    }
}

/// A flush or shutdown that did not deliver everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlushError {
    /// How many spans were not delivered.
    pub undelivered: u64,
    /// Why.
    pub reason: String,
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} spans not delivered: {}", self.undelivered, self.reason)
    }
}

impl std::error::Error for FlushError {}

/// The shared counters behind [`ProcessorStats`].
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub(crate) received: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) dropped_queue_full: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) retries: AtomicU64,
    reported_failure: AtomicBool,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ProcessorStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ProcessorStats {
            received: get(&self.received),
            queued: get(&self.queued),
            exported: get(&self.exported),
            dropped_queue_full: get(&self.dropped_queue_full),
            failed: get(&self.failed),
            rejected: get(&self.rejected),
            retries: get(&self.retries),
        }
    }

    /// Counts the outcome of exporting `count` spans, and reports the first
    /// failure on stderr so a broken exporter is noticed, without flooding.
    pub(crate) fn record_export(&self, count: usize, result: &Result<(), ExportError>) {
        let count = count as u64;
        match result {
            Ok(()) => {
                self.exported.fetch_add(count, Ordering::Relaxed);
            }
            Err(ExportError::PartialSuccess { rejected, .. }) => {
                let rejected = (*rejected).min(count);
                self.rejected.fetch_add(rejected, Ordering::Relaxed);
                self.exported.fetch_add(count - rejected, Ordering::Relaxed);
            }
            Err(_) => {
                self.failed.fetch_add(count, Ordering::Relaxed);
            }
        }
        if let Err(error) = result {
            if !self.reported_failure.swap(true, Ordering::Relaxed) {
                crate::diag::warn(&format!(
                    "span export failed ({count} spans): {error}; further failures are only counted"
                ));
            }
        }
    }
}

/// Exports each batch at once, on the thread that handed it over.
///
/// The calling thread waits for the exporter, so use it for tests, the
/// console and other fast local sinks; use [`BatchSpanProcessor`] for the
/// network.
///
/// ```
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::processor::SimpleSpanProcessor;
///
/// let exporter = InMemoryExporter::new();
/// let processor = SimpleSpanProcessor::new(exporter.clone());
/// # let _ = processor;
/// ```
pub struct SimpleSpanProcessor {
    exporter: Mutex<Box<dyn SpanExporter>>,
    counters: Counters,
    shut_down: AtomicBool,
}

impl SimpleSpanProcessor {
    /// A processor that exports through `exporter`.
    pub fn new(exporter: impl SpanExporter) -> SimpleSpanProcessor {
        SimpleSpanProcessor {
            exporter: Mutex::new(Box::new(exporter)),
            counters: Counters::default(),
            shut_down: AtomicBool::new(false),
        }
    }
}

impl SpanProcessor for SimpleSpanProcessor {
    fn on_end(&self, span: SpanData) {
        self.on_end_batch(vec![span]);
    }

    fn on_end_batch(&self, spans: Vec<SpanData>) {
        // Asked first: the exporter may hand over batches of its own.
        let Batch {
            records: mut spans,
            facts,
        } = crate::current::received_batch(spans);
        if !facts.all_sampled {
            spans.retain(|s| s.context.is_sampled());
        }
        if spans.is_empty() {
            return;
        }
        let count = spans.len() as u64;
        self.counters.received.fetch_add(count, Ordering::Relaxed);
        if self.shut_down.load(Ordering::Relaxed) {
            self.counters.dropped_queue_full.fetch_add(count, Ordering::Relaxed);
            return;
        }
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let result = exporter.export(&spans);
        self.counters.record_export(spans.len(), &result);
        self.counters.retries.store(exporter.retries(), Ordering::Relaxed);
        drop(exporter);
        // The buffer goes back to the threads for their next records.
        crate::current::recycle(Batch { records: spans, facts });
    }

    fn force_flush(&self, _timeout: Duration) -> Result<(), FlushError> {
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        exporter.force_flush().map_err(|e| FlushError {
            undelivered: 0,
            reason: e.to_string(),
        })
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        let flushed = self.force_flush(timeout);
        self.shut_down.store(true, Ordering::Relaxed);
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let shut = exporter.shutdown().map_err(|e| FlushError {
            undelivered: 0,
            reason: e.to_string(),
        });
        flushed.and(shut)
    }

    fn stats(&self) -> ProcessorStats {
        self.counters.snapshot()
    }
}
