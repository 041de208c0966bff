//! What `SpanProcessor`'s defaults and `BatchSpanProcessor` promise, each on
//! a provider of its own (built, not installed): `on_start` only when asked
//! for, `shutdown` flushes, the batch processor's direct `on_end`, its
//! resource hand-off, its export thread woken by a large hand-over but not
//! before the interval by a small one, and its drop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracer::export::{ExportError, InMemoryExporter, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor, FlushError, SpanProcessor};
use tracer::{Resource, Span, SpanData, TracerProvider, in_span};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Waits, up to ten seconds, for `done`.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Counts its calls; overrides `on_start` and `force_flush` but not
/// `wants_on_start` or `shutdown`.
#[derive(Clone, Default)]
struct Defaults {
    started: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
    flushed: Arc<AtomicUsize>,
}

impl SpanProcessor for Defaults {
    fn on_start(&self, _: &mut SpanData) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }
    fn on_end(&self, _: SpanData) {
        self.ended.fetch_add(1, Ordering::Relaxed);
    }
    fn force_flush(&self, _: Duration) -> Result<(), FlushError> {
        self.flushed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn on_start_runs_only_for_processors_that_ask_and_shutdown_flushes() {
    let processor = Defaults::default();
    let provider = TracerProvider::builder().with_processor(processor.clone()).build();
    provider.in_scope(|| {
        let _root = Span::root("root").entered();
        in_span("child", |_| {});
    });
    provider.force_flush(TIMEOUT).unwrap();
    assert_eq!(processor.ended.load(Ordering::Relaxed), 2);
    // `wants_on_start` is `false` unless overridden.
    assert_eq!(processor.started.load(Ordering::Relaxed), 0);
    let flushed = processor.flushed.load(Ordering::Relaxed);
    assert_eq!(flushed, 1);
    // The default `shutdown` is a flush.
    provider.shutdown(TIMEOUT).unwrap();
    assert_eq!(processor.flushed.load(Ordering::Relaxed), flushed + 1);
}

/// Keeps what it is given and says when it is shut down.
#[derive(Clone, Default)]
struct Keeping {
    spans: InMemoryExporter,
    batch_sizes: Arc<Mutex<Vec<usize>>>,
    resource: Arc<Mutex<Option<Resource>>>,
    shut_down: Arc<AtomicUsize>,
}

impl SpanExporter for Keeping {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.batch_sizes.lock().unwrap().push(batch.len());
        self.spans.export(batch)
    }
    fn shutdown(&mut self) -> Result<(), ExportError> {
        self.shut_down.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap() = Some(resource.clone());
    }
}

/// A finished span, made under a provider of its own.
fn finished_span(name: &'static str) -> SpanData {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    provider.in_scope(|| Span::root(name).finish());
    provider.force_flush(TIMEOUT).unwrap();
    drop(provider);
    exporter.spans().pop().expect("the span was recorded")
}

#[test]
fn the_batch_processor_exports_what_on_end_is_given_and_hands_on_the_resource() {
    let exporter = Keeping::default();
    let provider = TracerProvider::builder()
        .service_name("contract")
        .with_processor(BatchSpanProcessor::new(exporter.clone(), BatchConfig::default()))
        .build();
    // The export thread takes the resource before the flush.
    provider.force_flush(TIMEOUT).unwrap();
    let resource = exporter.resource.lock().unwrap().clone();
    assert_eq!(
        resource.expect("the exporter was given the resource").service_name(),
        "contract"
    );

    let processor = BatchSpanProcessor::new(exporter.clone(), BatchConfig::default());
    processor.on_end(finished_span("given_directly"));
    processor.force_flush(TIMEOUT).unwrap();
    let names: Vec<_> = exporter.spans.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["given_directly"]);
    drop(provider);
}

#[test]
fn a_dropped_batch_processor_exports_what_it_holds_and_shuts_its_exporter_down() {
    let exporter = Keeping::default();
    let config = BatchConfig::default().export_interval(Duration::from_secs(3600));
    let processor = BatchSpanProcessor::new(exporter.clone(), config);
    let span = finished_span("held");
    // The export thread is asleep before the span comes, and again before
    // the drop: the drop must wake it.
    std::thread::sleep(Duration::from_millis(100));
    processor.on_end(span);
    std::thread::sleep(Duration::from_millis(100));
    drop(processor);
    eventually("the exporter's shutdown", || {
        exporter.shut_down.load(Ordering::Relaxed) == 1
    });
    let names: Vec<_> = exporter.spans.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["held"]);
}

/// A provider whose batch processor exports batches of 2, wakes its export
/// thread once 16 spans are queued (eight batches), and otherwise exports
/// once an hour.
fn hourly(exporter: impl SpanExporter) -> TracerProvider {
    let config = BatchConfig::default()
        .max_batch_size(2)
        .max_queue_size(1024)
        .export_interval(Duration::from_secs(3600));
    let provider = TracerProvider::builder()
        .with_processor(BatchSpanProcessor::new(exporter, config))
        .build();
    // The export thread is asleep before anything is handed over.
    std::thread::sleep(Duration::from_millis(100));
    provider
}

/// One trace of `children + 1` spans, handed over together when its root
/// ends.
fn one_trace(provider: &TracerProvider, children: usize) {
    provider.in_scope(|| {
        let _root = Span::root("root").entered();
        for _ in 0..children {
            in_span("child", |_| {});
        }
    });
}

#[test]
fn a_hand_over_past_the_wake_threshold_is_exported_without_waiting_for_the_interval() {
    let exporter = InMemoryExporter::new();
    let provider = hourly(exporter.clone());
    // 20 spans: past the threshold (16), below the size exported straight
    // from the thread's buffer (32), so they join the pending spans first.
    one_trace(&provider, 19);
    eventually("20 spans exported", || exporter.spans().len() == 20);
}

#[test]
fn a_small_hand_over_waits_for_the_interval_or_a_flush() {
    let exporter = InMemoryExporter::new();
    let provider = hourly(exporter.clone());
    one_trace(&provider, 4);
    std::thread::sleep(Duration::from_millis(300));
    assert!(exporter.spans().is_empty(), "exported before the interval");
    provider.force_flush(TIMEOUT).unwrap();
    assert_eq!(exporter.spans().len(), 5);
}

#[test]
fn a_large_hand_over_is_exported_whole_in_batches_of_at_most_the_batch_size() {
    let exporter = Keeping::default();
    let provider = hourly(exporter.clone());
    // 41 spans: exported as they came, the last batch short, none left
    // waiting for the interval.
    one_trace(&provider, 40);
    eventually("41 spans exported", || exporter.spans.spans().len() == 41);
    let sizes = exporter.batch_sizes.lock().unwrap().clone();
    assert!(sizes.iter().all(|&size| (1..=2).contains(&size)), "{sizes:?}");
}
