//! The provider: several processors see every span, a panicking processor
//! is contained and counted, `on_start` opt-in, flush and stats.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tracer::export::InMemoryExporter;
use tracer::processor::SpanProcessor;
use tracer::{KeyValue, Span, SpanData, TracerProvider, Value, in_span};

/// Panics on the spans of one test's trace (named `multi`), so that the
/// binary's count of panics is that test's alone.
struct Panicking;

impl SpanProcessor for Panicking {
    fn on_end(&self, span: SpanData) {
        if span.name == "multi" {
            panic!("processor bug");
        }
    }
}

/// Tags spans as they start.
struct Stamping(Arc<AtomicUsize>);

impl SpanProcessor for Stamping {
    fn wants_on_start(&self) -> bool {
        true
    }
    fn on_start(&self, span: &mut SpanData) {
        self.0.fetch_add(1, Ordering::Relaxed);
        span.set_attribute("stamped", true);
    }
    fn on_end(&self, _: SpanData) {}
}

struct Setup {
    first: InMemoryExporter,
    second: InMemoryExporter,
    started: Arc<AtomicUsize>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let setup = Setup {
            first: InMemoryExporter::new(),
            second: InMemoryExporter::new(),
            started: Arc::new(AtomicUsize::new(0)),
        };
        std::mem::forget(
            TracerProvider::builder()
                .service_name("provider-tests")
                .resource_attribute("deployment.environment", "test")
                .with_simple_exporter(setup.first.clone())
                .with_processor(Panicking)
                .with_processor(Stamping(setup.started.clone()))
                .with_simple_exporter(setup.second.clone())
                .install()
                .unwrap(),
        );
        setup
    })
}

#[test]
fn every_processor_sees_every_span_despite_a_panicking_one() {
    let setup = setup();
    let root = Span::root("multi").entered();
    let trace_id = root.trace_id().unwrap();
    in_span("child", |_| {});
    drop(root);
    assert_eq!(setup.first.trace(trace_id).len(), 2);
    assert_eq!(setup.second.trace(trace_id), setup.first.trace(trace_id));
    let stats = TracerProvider::global().unwrap().stats();
    // One batch (the thread's hand-over of `multi` and its child), one
    // panic: the child handed over with it was lost for that processor only.
    assert_eq!(stats.processor_panics, 1);
    assert!(
        setup.started.load(Ordering::Relaxed) >= 2,
        "on_start ran for both spans"
    );
    let exported = setup.first.trace(trace_id);
    assert!(
        exported
            .iter()
            .all(|s| s.attribute("stamped") == Some(&Value::Bool(true)))
    );
}

#[test]
fn a_second_install_is_refused() {
    setup();
    let again = TracerProvider::builder().install();
    assert_eq!(again.unwrap_err(), tracer::InstallError::AlreadyInstalled);
    // The first provider still records.
    let span = Span::root("still_recording");
    assert!(span.is_recording());
}

#[test]
fn resource_describes_the_service() {
    setup();
    let resource = TracerProvider::global().unwrap().resource();
    assert_eq!(resource.service_name(), "provider-tests");
    assert_eq!(resource.get("deployment.environment"), Some(&Value::from("test")));
    assert_eq!(resource.get("telemetry.sdk.name"), Some(&Value::from("tracer")));
    assert_eq!(resource.get("telemetry.sdk.language"), Some(&Value::from("rust")));
    let _ = KeyValue::new("unused", 1);
}

#[test]
fn force_flush_hands_over_this_threads_buffer() {
    let setup = setup();
    let root = Span::root("open_root").entered();
    let trace_id = root.trace_id().unwrap();
    in_span("finished_child", |_| {});
    assert!(
        setup.first.trace(trace_id).is_empty(),
        "buffered while the root is open"
    );
    tracer::force_flush().unwrap();
    let flushed = setup.first.trace(trace_id);
    assert_eq!(flushed.len(), 1);
    assert_eq!(flushed[0].name, "finished_child");
    drop(root);
    assert_eq!(setup.first.trace(trace_id).len(), 2);
}
