//! A closure sampler, asked for
//! roots and for each child of a sampled span; children of an unsampled
//! span inherit its "no" and cost nothing, while the trace id propagates.

mod common;

use std::sync::Mutex;

use tracer::export::InMemoryExporter;
use tracer::{
    Span, SpanContext, SpanId, TraceFlags, TraceId, TraceState, attach, current_context, current_span,
    current_trace_id, in_span,
};

/// Every span the closure was asked about: its name and trace.
static ASKED: Mutex<Vec<(String, TraceId)>> = Mutex::new(Vec::new());

/// What the closure was given for spans named `args_*`.
static ARGS: Mutex<Vec<(String, TraceId, Option<SpanId>)>> = Mutex::new(Vec::new());

fn my_sampler(trace_id: TraceId, parent_id: Option<SpanId>, name: &str) -> bool {
    ASKED.lock().unwrap().push((name.to_string(), trace_id));
    if name.starts_with("args_") {
        ARGS.lock().unwrap().push((name.to_string(), trace_id, parent_id));
    }
    !name.starts_with("drop")
}

fn args_for(name: &str) -> (TraceId, Option<SpanId>) {
    let args = ARGS.lock().unwrap();
    let found: Vec<_> = args.iter().filter(|(n, _, _)| n == name).collect();
    assert_eq!(found.len(), 1, "the closure is asked once for {name}: {args:?}");
    (found[0].1, found[0].2)
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
    in_span("keep_child", |_| {
        in_span("drop_grandchild", |_| {
            // Inherits "no" without asking.
            in_span("keep_under_dropped", |_| {});
        });
    });
    // Asked for the root and for each child of a sampled span; the child
    // of the unsampled one inherits its "no" without asking.
    let asked: Vec<String> = ASKED
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, t)| *t == trace_id)
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(asked, ["keep_root", "keep_child", "drop_grandchild"]);
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

#[test]
fn the_closure_gets_the_trace_id_and_the_parent_id() {
    let exporter = exporter();
    let root = Span::root("args_root").entered();
    let (trace_id, root_id) = (root.trace_id().unwrap(), root.span_id().unwrap());
    in_span("args_child", |child| {
        assert_eq!(child.trace_id(), Some(trace_id));
    });
    drop(root);
    assert_eq!(args_for("args_root"), (trace_id, None), "a root has no parent");
    // Under the default parent-based rule a sampled local parent's child is
    // kept without asking; the closure replaces that rule here, so it is asked.
    assert_eq!(args_for("args_child"), (trace_id, Some(root_id)));
    let exported = exporter.trace(trace_id);
    assert_eq!(exported.len(), 2, "both kept by the closure");

    // A remote parent, as extracted from a request.
    let remote = SpanContext::new(
        TraceId::random(),
        SpanId::random(),
        TraceFlags::SAMPLED,
        true,
        TraceState::empty(),
    );
    let guard = attach(remote.clone());
    let child = Span::new("args_remote_child");
    drop(child);
    drop(guard);
    assert_eq!(
        args_for("args_remote_child"),
        (remote.trace_id(), Some(remote.span_id()))
    );
}
