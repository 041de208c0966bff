//! What the handles ask of the thread's state: the current span, and the
//! open record or context of a span on the stack.

use super::cell::with_local;
use super::record_borrow::RecordBorrow;
use super::shared::SharedSpan;
use crate::model::{SpanContext, SpanData, SpanId, TraceId};

/// Runs `f` on the open record of the span `span_id` names on this
/// thread's stack; `None` if it has none (not recorded, or ended).
#[inline]
pub(crate) fn with_open_record<R>(span_id: SpanId, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
    with_local(|local| match local.data_mut(span_id) {
        Some(record) => {
            let _borrow = RecordBorrow::start();
            Some(f(record))
        }
        // A shared span's record is behind its lock.
        None => local.shared_of(span_id)?.with_record(f),
    })
    .flatten()
}

/// Whether the span `span_id` names on this thread's stack is open and
/// recorded.
pub(crate) fn has_open_record(span_id: SpanId) -> bool {
    with_local(|local| local.has_record(span_id) || local.shared_of(span_id).is_some_and(SharedSpan::is_recording))
        .unwrap_or(false)
}

/// The context of the span `span_id` names on this thread's stack.
pub(crate) fn context_of(span_id: SpanId) -> Option<SpanContext> {
    with_local(|local| {
        let position = local.stack.position(span_id)?;
        Some(local.frame_context(&local.stack.frames[position]).clone())
    })
    .flatten()
}

/// The current span's context.
pub(crate) fn current_context() -> Option<SpanContext> {
    with_local(|local| local.top_context().cloned()).flatten()
}

/// The current trace id.
pub(crate) fn current_trace_id() -> Option<TraceId> {
    with_local(|local| local.top_context().map(SpanContext::trace_id)).flatten()
}

/// The current span id.
pub(crate) fn current_span_id() -> Option<SpanId> {
    with_local(|local| local.top_context().map(SpanContext::span_id)).flatten()
}
