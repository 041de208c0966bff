//! Spans nested thousands deep cost what shallow ones do, and keep their
//! parents: a recursion 10,000 spans deep, sync and async.

use std::future::Future;
use std::pin::Pin;

use tracer::{Span, SpanData, SpanId, in_span, trace};

use crate::common;

const DEPTH: usize = 10_000;

/// Runs `f` on a thread with room for a deep recursion.
fn with_big_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn nested(depth: usize) {
    if depth > 0 {
        in_span("level", |span| {
            span.set_attribute("depth", depth as i64);
            nested(depth - 1)
        });
    }
}

#[trace(name = "level", attributes(depth = depth as i64))]
fn nested_async(depth: usize) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if depth > 1 {
            nested_async(depth - 1).await;
        }
    })
}

/// Checks that the spans form one chain from the root down, each level a
/// child of the one above: `depth` attributes from `DEPTH` down to 1.
fn check_chain(spans: &[SpanData], root: SpanId) {
    assert_eq!(spans.len(), DEPTH + 1);
    let mut by_depth: Vec<Option<&SpanData>> = vec![None; DEPTH + 1];
    for span in spans.iter().filter(|s| s.name == "level") {
        let Some(tracer::Value::I64(depth)) = span.attribute("depth") else {
            panic!("no depth on {span:?}")
        };
        assert!(by_depth[*depth as usize].replace(span).is_none(), "depth {depth} twice");
    }
    let mut parent = root;
    for depth in (1..=DEPTH).rev() {
        let span = by_depth[depth].unwrap_or_else(|| panic!("no span at depth {depth}"));
        assert_eq!(span.parent_span_id, Some(parent), "depth {depth}");
        assert!(span.start_time_unix_nano <= span.end_time_unix_nano);
        parent = span.span_id();
    }
}

#[test]
fn a_sync_recursion_ten_thousand_deep_keeps_every_parent() {
    common::exporter();
    let (root, trace_id) = with_big_stack(|| {
        let root = Span::root("deep_root").entered();
        let ids = (root.span_id().unwrap(), root.trace_id().unwrap());
        nested(DEPTH);
        ids
    });
    check_chain(&common::trace(trace_id), root);
}

#[test]
fn an_async_recursion_ten_thousand_deep_keeps_every_parent() {
    common::exporter();
    let (root, trace_id) = with_big_stack(|| {
        let root = Span::root("deep_async_root").entered();
        let ids = (root.span_id().unwrap(), root.trace_id().unwrap());
        futures_executor::block_on(nested_async(DEPTH));
        ids
    });
    check_chain(&common::trace(trace_id), root);
}
