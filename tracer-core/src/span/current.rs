//! The current span: a handle on it, its ids, and `in_span`.

use std::borrow::Cow;
use std::marker::PhantomData;

use super::entered::EnteredSpan;
use super::methods::span_methods;
use crate::model::{SpanContext, SpanData, SpanId, TraceId};
use crate::runtime;

/// A handle on a span that is current on this thread, from
/// [`current_span()`], an [`EnteredSpan`], or [`in_span`].
///
/// It names the span it was made for, so it keeps referring to that span
/// even after other spans are entered. Every method does nothing when the
/// span is not recording or has ended. It is not `Send`.
///
/// ```
/// use tracer_core::{current_span, KeyValue};
///
/// fn some_function() {
///     // Works anywhere; does nothing when no span is current.
///     current_span().add_event("something_happened", []);
///     current_span().set_tag("step", 3);
/// }
/// # some_function();
/// ```
#[derive(Clone)]
pub struct SpanRef {
    id: Option<SpanId>,
    _not_send: PhantomData<*const ()>,
}

impl SpanRef {
    #[inline(always)]
    pub(super) fn new(id: Option<SpanId>) -> SpanRef {
        SpanRef {
            id,
            _not_send: PhantomData,
        }
    }

    fn with_data<R>(&self, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
        runtime::with_open_record(self.id?, f)
    }

    span_methods!();

    /// Whether the span is open and recorded.
    pub fn is_recording(&self) -> bool {
        self.id.is_some_and(runtime::has_open_record)
    }

    /// The span's context, or `None` when there is no span.
    pub fn context(&self) -> Option<SpanContext> {
        runtime::context_of(self.id?)
    }
}

impl std::fmt::Debug for SpanRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanRef").field("span_id", &self.id).finish()
    }
}

/// A handle on the current span. Safe to call anywhere: with no current
/// span, the handle's methods do nothing.
///
/// ```
/// use tracer_core::current_span;
///
/// let span = current_span();
/// span.set_tag("customer_id", "123");
/// ```
pub fn current_span() -> SpanRef {
    SpanRef::new(current_span_id())
}

/// The current span's context, if any: what `inject_context` sends on, and
/// what a task on another thread can use as its parent.
pub fn current_context() -> Option<SpanContext> {
    runtime::current_context()
}

/// The current trace id, if any. Also set while an unsampled trace is
/// current, so logs can still be correlated.
///
/// ```
/// assert_eq!(tracer_core::current_trace_id(), None);
/// ```
pub fn current_trace_id() -> Option<TraceId> {
    runtime::current_trace_id()
}

/// The current span id, if any.
pub fn current_span_id() -> Option<SpanId> {
    runtime::current_span_id()
}

/// Runs `f` inside a new span named `name`, a child of the current span.
/// The span is current during `f` and finished afterwards, also on panic.
///
/// ```
/// use tracer_core::in_span;
///
/// let total = in_span("payment_processing", |span| {
///     span.set_tag("amount", 99.99);
///     42
/// });
/// assert_eq!(total, 42);
/// ```
// The hint keeps the unsampled check a load and a branch in the caller:
// without it, a slightly larger body got it compiled out of line, costing
// an unsampled child 4 more instructions (a call and a frame).
#[inline]
pub fn in_span<R>(name: impl Into<Cow<'static, str>>, f: impl FnOnce(&SpanRef) -> R) -> R {
    // `SpanBuilder::new(name).entered()`, without building the builder.
    // The checks for "unsampled parent" and "no provider" inline here; the
    // name is converted only past them.
    //
    // A child of an unsampled span gets a bare handle on its parent, not a
    // guard: nothing is pushed, so there is nothing to check or pop after.
    if let Some(parent) = runtime::unsampled_top() {
        return f(&SpanRef::new(Some(parent)));
    }
    let span: EnteredSpan = runtime::enter_child(name);
    f(&span.span_ref())
}
