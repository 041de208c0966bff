//! Scoped entries: an owned span current for one `in_scope` call or one
//! poll, and an attached context.

use super::cell::with_local;
use super::hand_over::{flush_if_due, hand_over};
use super::owned::{SpanState, finish_owned, finish_started_in};
use super::provider_scope::{foreign_owner, leave_default};
use super::stack::{FrameKind, Stack};
use super::state::LocalState;
use crate::model::{SpanContext, SpanId};
use crate::provider;

/// Marks an owned span current for a scope: `Span::in_scope` and one poll of
/// an instrumented future. Popped on drop, also when unwinding.
///
/// A span of another provider than the thread's default makes its provider
/// the default for the scope (see [`provider_scope`](super::provider_scope)).
pub(crate) struct ScopeGuard {
    state: Option<*mut SpanState>,
    /// The stack's depth below the frame it pushed: popping usually finds
    /// that frame on top, there, without a search.
    depth: u32,
    leaves_default: bool,
}

impl ScopeGuard {
    /// Makes the span whose state `state` points at current, if it has a
    /// context.
    ///
    /// # Safety
    /// `state` is a live span's state, which nothing else borrows during
    /// this call, and which outlives the guard (the stack points at it
    /// while the guard lives).
    #[inline]
    pub(crate) unsafe fn push(state: *mut SpanState) -> ScopeGuard {
        // SAFETY: the caller's promise; only read here.
        let Some(context) = unsafe { &*state }.context_ref() else {
            return ScopeGuard::inert();
        };
        if provider::scopes_used() {
            // SAFETY: the caller's promise.
            return unsafe { ScopeGuard::push_under_defaults(state) };
        }
        with_local(|local| {
            let depth = local.stack.frames.len() as u32;
            local.stack.push_scoped(context.clone(), state);
            ScopeGuard {
                state: Some(state),
                depth,
                leaves_default: false,
            }
        })
        .unwrap_or_else(ScopeGuard::inert)
    }

    /// A guard that pushed nothing.
    #[inline(always)]
    fn inert() -> ScopeGuard {
        ScopeGuard {
            state: None,
            depth: 0,
            leaves_default: false,
        }
    }

    /// [`push`](Self::push) once defaults are in use: a span of another
    /// provider than the thread's default brings its provider.
    ///
    /// # Safety
    /// As for [`push`](Self::push).
    #[inline(never)]
    unsafe fn push_under_defaults(state: *mut SpanState) -> ScopeGuard {
        with_local(|local| {
            // SAFETY: as in `push`.
            let current = unsafe { &*state };
            let foreign = foreign_owner(local, current);
            let leaves_default = foreign.is_some();
            if let Some(owner) = foreign {
                local.enter_default(owner, None);
            }
            let depth = local.stack.frames.len() as u32;
            if let Some(context) = current.context_ref() {
                local.stack.push_scoped(context.clone(), state);
            }
            ScopeGuard {
                state: Some(state),
                depth,
                leaves_default,
            }
        })
        .unwrap_or_else(ScopeGuard::inert)
    }
}

impl Drop for ScopeGuard {
    #[inline]
    fn drop(&mut self) {
        let Some(state) = self.state else { return };
        self.pop(state);
        if self.leaves_default {
            leave_default();
        }
    }
}

impl ScopeGuard {
    fn pop(&self, state: *mut SpanState) {
        hand_over(
            with_local(|local| {
                self.pop_in(local, state);
                flush_if_due(local)
            })
            .flatten(),
        );
    }

    #[inline(always)]
    fn pop_in(&self, local: &mut LocalState, state: *mut SpanState) {
        if !local.stack.pop_borrowed_top(self.depth as usize, state) {
            // Not on top where it was pushed (a guard dropped out of
            // order): found from the top.
            let Stack { frames, scoped } = &local.stack;
            let position = frames
                .iter()
                .rposition(|f| f.kind == FrameKind::Borrowed && scoped[f.slot as usize].state == state);
            if let Some(position) = position {
                local.stack.remove(position);
            }
        }
    }

    /// Ends the scope and finishes its span, which did not start during a
    /// panic (an instrumented future's last poll): for a `Started` span,
    /// the frame is popped and the record written, ended, in one borrow of
    /// the thread's state.
    ///
    /// # Safety
    /// `state` is the state this guard pushed (or tried to), which nothing
    /// else borrows during this call.
    #[inline]
    pub(crate) unsafe fn finish(self, state: *mut SpanState) {
        // SAFETY: the caller's promise.
        let span = unsafe { &mut *state };
        if self.state.is_none() || self.leaves_default || !matches!(span, SpanState::Started(_)) {
            drop(self);
            return finish_owned(span, None, false);
        }
        let this = std::mem::ManuallyDrop::new(self);
        match with_local(|local| {
            this.pop_in(local, state);
            finish_started_in(local, span, None)
        }) {
            Some(Some(due)) => hand_over(due),
            // Popped; the span is not for this buffer, or the thread is
            // panicking: finished as an owned span.
            Some(None) => finish_owned(span, None, false),
            // No thread state (the thread is exiting): each on its own.
            None => {
                drop(std::mem::ManuallyDrop::into_inner(this));
                finish_owned(span, None, false);
            }
        }
    }
}

/// Makes `context` current until [`detach`] with the span id it returns
/// (`None` when the thread's state is unavailable).
pub(crate) fn attach(context: SpanContext) -> Option<SpanId> {
    let span_id = context.span_id();
    with_local(|local| local.stack.push_scoped(context, std::ptr::null_mut())).map(|()| span_id)
}

/// Removes the context [`attach`] made current, wherever it is now.
pub(crate) fn detach(span_id: SpanId) {
    hand_over(
        with_local(|local| {
            let position = local
                .stack
                .frames
                .iter()
                .rposition(|f| f.kind == FrameKind::Context && f.span_id == span_id);
            if let Some(position) = position {
                local.stack.remove(position);
            }
            flush_if_due(local)
        })
        .flatten(),
    );
}
