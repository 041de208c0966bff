//! Processors: batching, bounded queue with exact drop counts, flush and
//! shutdown (also with a hung exporter), several processors at once.

use crate::common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracer::export::{ExportError, InMemoryExporter, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor, SimpleSpanProcessor, SpanProcessor};
use tracer::{SpanData, in_span};

/// `n` real finished spans, made through the shared reporter.
fn spans(n: usize) -> Vec<SpanData> {
    let ((), spans) = common::traced(|| {
        for _ in 0..n {
            in_span("work", |_| {});
        }
    });
    spans.into_iter().filter(|s| s.name == "work").collect()
}

/// Records the size of every batch it is given.
#[derive(Clone, Default)]
struct BatchSizes(Arc<Mutex<Vec<usize>>>);

impl SpanExporter for BatchSizes {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.0.lock().unwrap().push(batch.len());
        Ok(())
    }
}

/// Blocks each export until a permit arrives.
struct Gated {
    permits: mpsc::Receiver<()>,
    delivered: InMemoryExporter,
}

impl SpanExporter for Gated {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        let _ = self.permits.recv();
        self.delivered.export(batch)
    }
}

fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "condition not reached");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn batch_processor_exports_in_batches_of_max_size() {
    let sizes = BatchSizes::default();
    let processor = BatchSpanProcessor::new(
        sizes.clone(),
        BatchConfig::default()
            .max_batch_size(10)
            .export_interval(Duration::from_secs(3600)),
    );
    processor.on_end_batch(spans(25).into());
    processor.force_flush(Duration::from_secs(5)).unwrap();
    assert_eq!(*sizes.0.lock().unwrap(), [10, 10, 5]);
    let stats = processor.stats();
    assert_eq!((stats.received, stats.exported, stats.queued), (25, 25, 0));
}

#[test]
fn batch_processor_exports_on_the_interval() {
    let exporter = InMemoryExporter::new();
    let processor = BatchSpanProcessor::new(
        exporter.clone(),
        BatchConfig::default()
            .max_batch_size(100)
            .export_interval(Duration::from_millis(20)),
    );
    let input = spans(3);
    processor.on_end_batch(input.clone().into());
    // No flush: the interval alone delivers them.
    wait_until(|| exporter.spans().len() == 3);
    assert_eq!(exporter.spans(), input);
}

#[test]
fn a_full_queue_drops_and_counts_exactly_without_blocking() {
    let (permit, permits) = mpsc::channel();
    let delivered = InMemoryExporter::new();
    let processor = BatchSpanProcessor::new(
        Gated {
            permits,
            delivered: delivered.clone(),
        },
        BatchConfig::default().max_queue_size(10).max_batch_size(5),
    );
    // The exporter is blocked: only 10 spans fit, the rest are dropped,
    // and handing them over returns at once (a deadline, generous for a
    // loaded machine: a blocked hand-over would wait forever).
    let batches = [spans(4), spans(4), spans(4), spans(13)];
    let start = Instant::now();
    for batch in batches {
        processor.on_end_batch(batch.into());
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "handing over blocked: {:?}",
        start.elapsed()
    );
    let stats = processor.stats();
    assert_eq!(stats.received, 25);
    assert_eq!(stats.dropped_queue_full, 15);
    assert_eq!(stats.queued, 10);
    for _ in 0..10 {
        permit.send(()).unwrap();
    }
    processor.force_flush(Duration::from_secs(5)).unwrap();
    let stats = processor.stats();
    assert_eq!(delivered.spans().len(), 10);
    assert_eq!((stats.exported, stats.queued), (10, 0));
    assert_eq!(stats.exported + stats.dropped_queue_full, stats.received);
}

#[test]
fn flush_and_shutdown_give_up_on_a_hung_exporter_and_count() {
    let (_never, permits) = mpsc::channel::<()>();
    let processor = BatchSpanProcessor::new(
        Gated {
            permits,
            delivered: InMemoryExporter::new(),
        },
        BatchConfig::default().max_batch_size(2),
    );
    processor.on_end_batch(spans(6).into());
    let flushed = processor.force_flush(Duration::from_millis(50)).unwrap_err();
    assert_eq!((flushed.queued, flushed.failed, flushed.rejected), (6, 0, 0));
    assert!(flushed.reason.contains("timed out"), "{flushed}");
    let shut = processor.shutdown(Duration::from_millis(50)).unwrap_err();
    assert_eq!((shut.queued, shut.failed, shut.rejected), (6, 0, 0));
    // Still responsive: handing over more spans returns at once, and they
    // are counted as dropped (the processor is shut down).
    let more = spans(1);
    let start = Instant::now();
    processor.on_end_batch(more.into());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "handing over blocked: {:?}",
        start.elapsed()
    );
    assert_eq!(processor.stats().dropped_queue_full, 1);
}

#[test]
fn shutdown_delivers_everything_then_drops_and_counts() {
    let exporter = InMemoryExporter::new();
    let processor = BatchSpanProcessor::new(exporter.clone(), BatchConfig::default());
    processor.on_end_batch(spans(7).into());
    processor.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(exporter.spans().len(), 7);
    processor.on_end_batch(spans(2).into());
    let stats = processor.stats();
    assert_eq!((stats.exported, stats.dropped_queue_full), (7, 2));
    assert!(processor.force_flush(Duration::from_millis(100)).is_err());
}

#[test]
fn failed_exports_are_counted() {
    struct Failing;
    impl SpanExporter for Failing {
        fn export(&mut self, _: &[SpanData]) -> Result<(), ExportError> {
            Err(ExportError::Failed("collector down".into()))
        }
    }
    let processor = SimpleSpanProcessor::new(Failing);
    processor.on_end_batch(spans(3).into());
    let stats = processor.stats();
    assert_eq!((stats.received, stats.failed, stats.exported), (3, 3, 0));
}

#[test]
fn simple_processor_exports_at_once() {
    let exporter = InMemoryExporter::new();
    let processor = SimpleSpanProcessor::new(exporter.clone());
    let input = spans(2);
    processor.on_end_batch(input.clone().into());
    assert_eq!(exporter.spans(), input);
    processor.on_end(input[0].clone());
    assert_eq!(exporter.spans().len(), 3);
}
