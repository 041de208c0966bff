//! The simple processor: export at once, on the calling thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Counters, FlushError, ProcessorStats, SpanBatch, SpanProcessor};
use crate::export::SpanExporter;
use crate::model::{Resource, SpanData};

/// Exports each batch at once, on the thread that handed it over.
///
/// The calling thread waits for the exporter, so use it for tests, the
/// console and other fast local sinks; use [`BatchSpanProcessor`](super::BatchSpanProcessor) for the
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
        self.on_end_batch(SpanBatch::from(vec![span]));
    }

    fn on_end_batch(&self, mut spans: SpanBatch) {
        spans.retain_sampled();
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
        // Dropping `spans` gives the buffer back to the thread for its next
        // records.
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.exporter
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .set_resource(resource);
    }

    fn force_flush(&self, _timeout: Duration) -> Result<(), FlushError> {
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let answer = exporter.force_flush().map_err(|e| e.to_string());
        drop(exporter);
        self.counters.flush_outcome(0, answer)
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        let flushed = self.force_flush(timeout);
        self.shut_down.store(true, Ordering::Relaxed);
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let answer = exporter.shutdown().map_err(|e| e.to_string());
        drop(exporter);
        let shut = self.counters.flush_outcome(0, answer);
        match (flushed, shut) {
            (Err(a), Err(b)) => Err(a.and(b)),
            (flushed, shut) => flushed.and(shut),
        }
    }

    fn stats(&self) -> ProcessorStats {
        self.counters.snapshot()
    }
}
