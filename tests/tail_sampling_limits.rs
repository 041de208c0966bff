//! A tail sampler's memory limits under a flood of spans that end before
//! their local root: it never holds more than `max_traces` traces and
//! `max_spans` spans, the oldest trace is decided with what it has when room
//! is needed, its root follows that decision, and every span is counted.
//!
//! One test, so the counters are this test's alone. Each child is an owned
//! span ending with nothing current, so each is handed over alone, in order.

use tracer::export::InMemoryExporter;
use tracer::processor::{SimpleSpanProcessor, TailSamplingProcessor};
use tracer::{Span, SpanData, Status, TraceId, TracerProvider};

const MAX_TRACES: usize = 4;
const MAX_SPANS: usize = 10;

/// The exported spans of `trace_id`, by name.
fn names(exporter: &InMemoryExporter, trace_id: TraceId) -> Vec<String> {
    let mut names: Vec<String> = exporter.trace(trace_id).iter().map(|s| s.name.to_string()).collect();
    names.sort_unstable();
    names
}

#[test]
fn held_spans_stay_within_the_limits_and_every_span_is_counted() {
    let exporter = InMemoryExporter::new();
    let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(exporter.clone()))
        .keep_errors(true)
        .ratio(0.0)
        .max_traces(MAX_TRACES)
        .max_spans(MAX_SPANS)
        .build();
    let stats = tail.stats_handle();
    let _guard = TracerProvider::builder().with_processor(tail).install().unwrap();

    // 200 open roots, each with two children that end first; every fiftieth
    // trace (3, 53, 103, 153) has a failed child.
    let mut roots = Vec::new();
    for n in 0..200 {
        let root = Span::root("root");
        let context = root.context().unwrap();
        for child in ["child_a", "child_b"] {
            let span = Span::child_of(child, &context);
            if n % 50 == 3 && child == "child_b" {
                span.set_status(Status::error("failed"));
            }
            drop(span);
            let now = stats.get();
            assert!(
                now.held_traces <= MAX_TRACES as u64 && now.held_spans <= MAX_SPANS as u64,
                "{now:?}"
            );
        }
        roots.push(root);
    }
    // Each trace from the fifth on made room by deciding the oldest: 196
    // traces decided with their two children, the four failed ones kept.
    let flooded = stats.get();
    assert_eq!((flooded.forced_by_limits, flooded.spans_forced_by_limits), (196, 392));
    assert_eq!((flooded.kept_error, flooded.dropped_traces), (4, 192));
    assert_eq!((flooded.held_traces, flooded.held_spans), (4, 8));
    assert_eq!((flooded.passed_spans, flooded.dropped_spans), (8, 384));

    let trace_ids: Vec<TraceId> = roots.iter().map(|r| r.trace_id().unwrap()).collect();
    drop(roots);
    // The roots of decided traces follow their decision; the last four are
    // decided with what was held for them.
    let ended = stats.get();
    assert_eq!(ended.followed_spans, 196);
    assert_eq!((ended.kept_error, ended.dropped_traces), (4, 196));
    assert_eq!((ended.passed_spans, ended.dropped_spans), (12, 588));
    assert_eq!((ended.received_spans, ended.held_spans), (600, 0));
    for (n, trace_id) in trace_ids.iter().enumerate() {
        let expected: &[&str] = if n % 50 == 3 {
            &["child_a", "child_b", "root"]
        } else {
            &[]
        };
        assert_eq!(names(&exporter, *trace_id), expected, "trace {n}");
    }

    // One trace over the span limit alone: at its eleventh child it is
    // decided with those eleven (kept: the second failed); the twelfth
    // child and the root follow.
    let root = Span::root("long_root");
    let trace_id = root.trace_id().unwrap();
    let context = root.context().unwrap();
    for k in 1..=12 {
        let span = Span::child_of(format!("step{k:02}"), &context);
        if k == 2 {
            span.set_status(Status::error("failed"));
        }
    }
    drop(root);
    let long = stats.get();
    assert_eq!((long.forced_by_limits, long.spans_forced_by_limits), (197, 403));
    assert_eq!((long.kept_error, long.followed_spans), (5, 198));
    assert_eq!((long.received_spans, long.passed_spans, long.held_spans), (613, 25, 0));
    let spans: Vec<SpanData> = exporter.trace(trace_id);
    assert_eq!(spans.len(), 13, "the whole trace");
    let root_id = spans.iter().find(|s| s.name == "long_root").unwrap().span_id();
    assert!(
        spans
            .iter()
            .filter(|s| s.name != "long_root")
            .all(|s| s.parent_span_id == Some(root_id))
    );

    // The provider's counters: the next processor's, with the policy's
    // drops as `sampled_out`.
    let provider = TracerProvider::global().unwrap().stats().processors;
    assert_eq!(
        (
            provider.received,
            provider.exported,
            provider.sampled_out,
            provider.queued
        ),
        (613, 25, 588, 0)
    );
}
