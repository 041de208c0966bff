//! Attaching a context: continuing a trace on another thread, or under a
//! context extracted from a request.

use std::marker::PhantomData;

use crate::model::{SpanContext, SpanId};
use crate::runtime;

/// Makes `context` current on this thread until the guard drops, so that
/// new spans become its children. Use it to continue a trace on another
/// thread, or under a context extracted from a request.
///
/// ```
/// use tracer_core::{attach, current_context, current_trace_id, Span};
///
/// let parent = Span::new("parent");
/// let context = parent.context();
/// std::thread::spawn(move || {
///     let _guard = context.map(attach);
///     let child = Span::new("child_on_worker");
///     assert_eq!(child.trace_id(), current_trace_id());
/// })
/// .join()
/// .unwrap();
/// ```
pub fn attach(context: SpanContext) -> ContextGuard {
    ContextGuard {
        span_id: runtime::attach(context),
        _not_send: PhantomData,
    }
}

/// Restores the previous context when dropped. See [`attach`].
#[must_use = "the context is detached when this guard is dropped"]
pub struct ContextGuard {
    span_id: Option<SpanId>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if let Some(span_id) = self.span_id {
            runtime::detach(span_id);
        }
    }
}
