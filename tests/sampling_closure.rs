//! A closure sampler (the seed's `set_sampler(my_sampler)`), asked for
//! roots and for each child of a sampled span; children of an unsampled
//! span inherit its "no" and cost nothing, while the trace id propagates.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use tracer::export::InMemoryExporter;
use tracer::{current_context, current_span, current_trace_id, in_span, Span, SpanId, TraceId};

static ASKED: AtomicUsize = AtomicUsize::new(0);

fn my_sampler(_trace_id: TraceId, _parent_id: Option<SpanId>, name: &str) -> bool {
    ASKED.fetch_add(1, Ordering::Relaxed);
    !name.starts_with("drop")
}

fn exporter() -> &'static InMemoryExporter {
    common::install_with(|builder| builder.sampler(my_sampler))
}

#[test]
fn unsampled_root_records_nothing_but_keeps_its_trace_id() {
    let exporter = exporter();
    let root = Span::root("drop_root").entered();
    assert!(!root.is_recording());
    let trace_id = current_trace_id().expect("an unsampled trace still has an id");
    let context = current_context().unwrap();
    assert!(!context.is_sampled(), "propagates with the sampled flag off");
    in_span("keep_child_of_dropped", |child| {
        assert!(!child.is_recording());
        assert_eq!(current_trace_id(), Some(trace_id));
        current_span().set_tag("ignored", 1);
    });
    drop(root);
    assert!(exporter.trace(trace_id).is_empty());
}

#[test]
fn the_closure_sees_children_of_sampled_spans() {
    let exporter = exporter();
    let root = Span::root("keep_root").entered();
    let trace_id = root.trace_id().unwrap();
    let asked_before = ASKED.load(Ordering::Relaxed);
    in_span("keep_child", |_| {
        in_span("drop_grandchild", |_| {
            // Inherits "no" without asking.
            in_span("keep_under_dropped", |_| {});
        });
    });
    assert!(ASKED.load(Ordering::Relaxed) >= asked_before + 2);
    drop(root);
    let names: Vec<String> = exporter
        .trace(trace_id)
        .into_iter()
        .map(|s| s.name.into_owned())
        .collect();
    assert!(names.contains(&"keep_root".to_string()));
    assert!(names.contains(&"keep_child".to_string()));
    assert!(!names.contains(&"drop_grandchild".to_string()));
    assert!(!names.contains(&"keep_under_dropped".to_string()));
}
