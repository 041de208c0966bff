//! What the handles ask of the thread's state: the current span, and the
//! open record or context of a span on the stack.

use super::cell::with_local;
use super::record_borrow::RecordBorrow;
use super::shared::SharedSpan;
use super::state::LocalState;
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
        None => with_shared_record(local, span_id, f),
    })
    .flatten()
}

/// [`with_open_record`] for a shared span, whose record is behind its
/// lock. Out of line: the other spans' changes stay as short as they were.
#[cold]
#[inline(never)]
fn with_shared_record<R>(local: &LocalState, span_id: SpanId, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
    local.shared_of(span_id)?.with_record(f)
}

/// Whether the span `span_id` names on this thread's stack is open and
/// recorded.
pub(crate) fn has_open_record(span_id: SpanId) -> bool {
    with_local(|local| local.has_record(span_id) || shared_is_recording(local, span_id)).unwrap_or(false)
}

/// [`has_open_record`] for a shared span. Out of line, as
/// [`with_shared_record`].
#[cold]
#[inline(never)]
fn shared_is_recording(local: &LocalState, span_id: SpanId) -> bool {
    local.shared_of(span_id).is_some_and(SharedSpan::is_recording)
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

/// The current span if it is open and recorded: one look at the stack.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn current_recording_span() -> Option<SpanId> {
    with_local(|local| {
        let top = local.stack.frames.last()?.span_id;
        let recording = local.has_record(top) || shared_is_recording(local, top);
        recording.then_some(top)
    })
    .flatten()
}

/// Whether the current span is a local one (not a remote context): a child
/// started under it inherits its sampling decision, no sampler is asked.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn current_is_local() -> bool {
    with_local(|local| local.top_context().is_some_and(|context| !context.is_remote())).unwrap_or(false)
}
