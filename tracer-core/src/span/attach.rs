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

/// Returns a closure that runs `f` under the context current here, on
/// whatever thread calls it: spans `f` starts are children of the span
/// current where `with_current_context` was called. For
/// `tokio::task::spawn_blocking`, `std::thread::spawn`, rayon and any pool
/// that runs closures (`tokio::spawn` takes a future: use
/// [`FutureExt::in_current_span`](crate::FutureExt::in_current_span)).
///
/// ```
/// use tracer_core::{current_span_id, with_current_context, Span};
///
/// let root = Span::root("request").entered();
/// let expected = current_span_id();
/// let seen = std::thread::spawn(with_current_context(current_span_id)).join().unwrap();
/// assert_eq!(seen, expected);
/// # drop(root);
/// ```
pub fn with_current_context<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    let context = runtime::current_context();
    move || {
        let _context: Option<ContextGuard> = context.map(attach);
        f()
    }
}
