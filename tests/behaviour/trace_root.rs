//! `root` (or `root = true`) starts a new trace whatever is current.
use crate::common;

use common::{one, traced};
use tracer::{TraceId, current_trace_id, trace};

#[trace(root)]
fn new_trace() -> Option<TraceId> {
    current_trace_id()
}

#[trace(root = true)]
async fn new_async_trace() -> Option<TraceId> {
    current_trace_id()
}

#[trace(root = false)]
fn same_trace() -> Option<TraceId> {
    current_trace_id()
}

#[test]
fn root_starts_a_new_trace() {
    let ((sync_trace, async_trace, same), spans) =
        traced(|| (new_trace(), futures_executor::block_on(new_async_trace()), same_trace()));
    let root = one(&spans, "test_root");
    assert_eq!(same, Some(root.trace_id()));
    assert_eq!(one(&spans, "same_trace").parent_span_id, Some(root.span_id()));

    for (trace_id, name) in [(sync_trace, "new_trace"), (async_trace, "new_async_trace")] {
        let trace_id = trace_id.expect("recorded");
        assert_ne!(trace_id, root.trace_id());
        assert!(spans.iter().all(|s| s.name != name), "not in the caller's trace");
        let own = common::trace(trace_id);
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].name, name);
        assert_eq!(own[0].parent_span_id, None);
    }
}
