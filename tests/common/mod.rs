//! The one test reporter every behaviour test shares: a global provider
//! with an in-memory exporter behind a simple (synchronous) processor.
//!
//! Tests in one binary run in parallel and share it, so each test runs its
//! code inside its own root span and reads back only that trace.
#![allow(dead_code)]

use std::sync::OnceLock;

use tracer::export::InMemoryExporter;
use tracer::{ProviderBuilder, Span, SpanContext, SpanData, SpanId, TraceFlags, TraceId, TraceState, TracerProvider};

static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();

/// The shared exporter, installing the provider on first use.
pub fn exporter() -> &'static InMemoryExporter {
    install_with(|builder| builder.service_name("tracer-tests"))
}

/// The shared exporter, installing on first use a provider that `configure`
/// sets up (a sampler, more processors) before the exporter is added. A test
/// binary uses one configuration.
pub fn install_with(configure: impl FnOnce(ProviderBuilder) -> ProviderBuilder) -> &'static InMemoryExporter {
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let guard = configure(TracerProvider::builder())
            .with_simple_exporter(exporter.clone())
            .install()
            .expect("the test reporter is the only provider in this binary");
        // Keep recording for the whole test binary.
        std::mem::forget(guard);
        exporter
    })
}

/// A local parent context whose trace is not sampled.
pub fn unsampled_context() -> SpanContext {
    SpanContext::new(
        TraceId::random(),
        SpanId::random(),
        TraceFlags::NONE,
        false,
        TraceState::empty(),
    )
}

/// Runs `f` inside a fresh root span named `test_root` and returns its
/// result and every span of that trace, the root included.
pub fn traced<R>(f: impl FnOnce() -> R) -> (R, Vec<SpanData>) {
    let exporter = exporter();
    let root = Span::root("test_root").entered();
    let trace_id = root.trace_id().expect("the test root is recorded");
    let out = f();
    drop(root);
    (out, exporter.trace(trace_id))
}

/// Every span of `trace_id` exported so far.
pub fn trace(trace_id: TraceId) -> Vec<SpanData> {
    exporter().trace(trace_id)
}

/// The one span called `name`; panics if there is not exactly one.
pub fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one span named {name:?}, got {} in {:#?}",
        found.len(),
        names(spans)
    );
    found[0]
}

/// The span names, for failure messages.
pub fn names(spans: &[SpanData]) -> Vec<&str> {
    spans.iter().map(|s| &*s.name).collect()
}

/// Asserts `child`'s parent is `parent`, in the same trace.
pub fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.parent_span_id,
        Some(parent.span_id()),
        "{} should be a child of {}",
        child.name,
        parent.name
    );
    assert_eq!(child.trace_id(), parent.trace_id());
}
