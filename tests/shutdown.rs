//! Installation and shutdown: the guard flushes the batch processor, and
//! spans started after shutdown are not recorded.

use std::time::Duration;

use tracer::export::InMemoryExporter;
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{Span, TracerProvider, in_span};

#[test]
fn the_guard_flushes_then_recording_stops() {
    let exporter = InMemoryExporter::new();
    let guard = TracerProvider::builder()
        .with_processor(BatchSpanProcessor::new(
            exporter.clone(),
            // An interval far away: only shutdown can deliver.
            BatchConfig::default().export_interval(Duration::from_secs(3600)),
        ))
        .install()
        .unwrap();
    let root = Span::root("before_shutdown").entered();
    let trace_id = root.trace_id().unwrap();
    in_span("child", |_| {});
    drop(root);
    assert!(exporter.trace(trace_id).is_empty(), "still queued");

    guard.shutdown().unwrap();
    let delivered = exporter.trace(trace_id);
    assert_eq!(delivered.len(), 2);

    let after = Span::root("after_shutdown");
    assert!(!after.is_recording());
    assert_eq!(after.trace_id(), None);
    drop(after);
    assert!(exporter.spans().iter().all(|s| s.name != "after_shutdown"));
    let stats = TracerProvider::global().unwrap().stats();
    assert_eq!(stats.processors.exported, 2);
    assert_eq!(stats.processors.dropped_queue_full, 0);
    // Shutting down twice is harmless and reports what it can.
    assert!(tracer::shutdown().is_err(), "the batch processor is already shut down");
}
