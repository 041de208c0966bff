//! The context a [`Span`](crate::Span) that records nothing keeps for
//! propagation, shared.
//!
//! A `Span` is held by every future it instruments, and a chain of nested
//! async functions holds each level's future inside the one above, so every
//! byte of a `Span` is copied once per level each time such a chain is
//! built. A context is five words; behind an [`Arc`], a `Span` of any state
//! is two.
//!
//! The children of an unsampled span show its context (they are not made),
//! so they share one `Arc`: this thread keeps the context it shared last,
//! and gives out clones of it while it is the one asked for. When it is not,
//! and nothing else holds it any more, its allocation takes the new context
//! (an unsampled trace after another one), so that unsampled spans still
//! cost no allocation.

use std::cell::Cell;
use std::sync::Arc;

use crate::model::{SpanContext, SpanId, TraceFlags, TraceId};

thread_local! {
    /// The context this thread shared last, holding one count of its
    /// `Arc` (null: none). A raw pointer, so that the slot has no
    /// destructor to register and a look at it is a load: the thread's
    /// state releases it when the thread exits.
    static LAST_SHARED: Cell<*const SpanContext> = const { Cell::new(std::ptr::null()) };

    /// `LAST_SHARED` once it is known to be the context that children of
    /// the unsampled span on top show (null: not known). It holds no count
    /// of its own: it is cleared whenever the top changes
    /// ([`forget_top`]) and whenever `LAST_SHARED` does, so it is never
    /// read past the count `LAST_SHARED` holds.
    static TOP_SHARED: Cell<*const SpanContext> = const { Cell::new(std::ptr::null()) };
}

/// The unsampled top's shared context, when it was found to be the last
/// shared one since the top last changed: one more count of it. The
/// caller has checked that the top is an unsampled span.
#[inline(always)]
pub(super) fn top_shared() -> Option<Arc<SpanContext>> {
    let top = TOP_SHARED.try_with(Cell::get).ok()?;
    if top.is_null() {
        return None;
    }
    // SAFETY: a non-null `TOP_SHARED` is `LAST_SHARED`, which holds a
    // count of a live `Arc`; the new count is the returned `Arc`'s.
    unsafe {
        Arc::increment_strong_count(top);
        Some(Arc::from_raw(top))
    }
}

/// The span on top of the stack changed: what [`top_shared`] knew no
/// longer holds.
#[inline(always)]
pub(super) fn forget_top() {
    let _ = TOP_SHARED.try_with(|top| top.set(std::ptr::null()));
}

/// The last shared context, when it is the plain (no trace state) local
/// context of `span_id` in `trace_id` with `trace_flags`: what a child of
/// the unsampled span on top shows, in the usual case (one more count).
/// `None` otherwise: the caller then [`share`]s it. A match is kept for
/// [`top_shared`], the cheaper look for the top's next children.
#[inline(always)]
pub(super) fn shared_plain(trace_id: TraceId, span_id: SpanId, trace_flags: TraceFlags) -> Option<Arc<SpanContext>> {
    let last = LAST_SHARED.try_with(Cell::get).ok()?;
    if last.is_null() {
        return None;
    }
    // SAFETY: a non-null slot holds a count of a live `Arc`.
    let shared = unsafe { &*last };
    let same = shared.span_id() == span_id
        && shared.trace_id() == trace_id
        && shared.trace_flags() == trace_flags
        && !shared.is_remote()
        && shared.trace_state().is_empty();
    // SAFETY: as above: the new count is the returned `Arc`'s.
    if !same {
        return None;
    }
    // Known now, until the top or the last shared context changes.
    let _ = TOP_SHARED.try_with(|top| top.set(last));
    // SAFETY: as above: the new count is the returned `Arc`'s.
    unsafe {
        Arc::increment_strong_count(last);
        Some(Arc::from_raw(last))
    }
}

/// `context`, shared: in the allocation of the thread's last shared
/// context when nothing else holds that one any more.
#[inline(never)]
pub(crate) fn share(context: SpanContext) -> Arc<SpanContext> {
    // `LAST_SHARED` changes (or its allocation takes a new context).
    forget_top();
    let Ok(last) = LAST_SHARED.try_with(|last| last.replace(std::ptr::null())) else {
        // The thread is exiting: not kept.
        return Arc::new(context);
    };
    let shared = if last.is_null() {
        Arc::new(context)
    } else {
        // SAFETY: the slot's count, taken out of it above.
        let mut kept = unsafe { Arc::from_raw(last) };
        match Arc::get_mut(&mut kept) {
            // Nothing else holds it: its allocation is reused.
            Some(unused) => {
                *unused = context;
                kept
            }
            None => Arc::new(context),
        }
    };
    let _ = LAST_SHARED.try_with(|last| last.set(Arc::into_raw(Arc::clone(&shared))));
    shared
}

/// Releases the thread's last shared context: the thread is exiting (the
/// thread's state calls it as it is dropped).
pub(super) fn release_last_shared() {
    forget_top();
    let last = LAST_SHARED.try_with(|last| last.replace(std::ptr::null()));
    if let Ok(last) = last {
        if !last.is_null() {
            // SAFETY: the slot's count, taken out of it.
            drop(unsafe { Arc::from_raw(last) });
        }
    }
}
