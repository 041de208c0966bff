//! Scoped entries: an owned span current for one `in_scope` call or one
//! poll, and an attached context.

use super::cell::with_local;
use super::hand_over::{flush_if_due, hand_over};
use super::owned::SpanState;
use super::provider_scope::{foreign_owner, leave_default};
use super::stack::{FrameKind, Stack};
use crate::model::{SpanContext, SpanId};
use crate::provider;

/// Marks an owned span current for a scope: `Span::in_scope` and one poll of
/// an instrumented future. Popped on drop, also when unwinding.
///
/// A span of another provider than the thread's default makes its provider
/// the default for the scope (see [`provider_scope`](super::provider_scope)).
pub(crate) struct ScopeGuard {
    state: Option<*mut SpanState>,
    leaves_default: bool,
}

impl ScopeGuard {
    pub(crate) fn push(state: *mut SpanState, context: Option<SpanContext>) -> ScopeGuard {
        let Some(context) = context else {
            return ScopeGuard {
                state: None,
                leaves_default: false,
            };
        };
        if provider::scopes_used() {
            return ScopeGuard::push_under_defaults(state, context);
        }
        let pushed = with_local(|local| local.stack.push_scoped(context, state));
        ScopeGuard {
            state: pushed.map(|()| state),
            leaves_default: false,
        }
    }

    /// [`push`](Self::push) once defaults are in use: a span of another
    /// provider than the thread's default brings its provider.
    #[inline]
    fn push_under_defaults(state: *mut SpanState, context: SpanContext) -> ScopeGuard {
        let pushed = with_local(|local| {
            // SAFETY: `state` is the caller's live span, which nothing else
            // borrows during this call (the borrow rule); only read here.
            let foreign = foreign_owner(local, unsafe { &*state });
            let leaves_default = foreign.is_some();
            if let Some(owner) = foreign {
                local.enter_default(owner, None);
            }
            local.stack.push_scoped(context, state);
            leaves_default
        });
        ScopeGuard {
            state: pushed.map(|_| state),
            leaves_default: pushed.unwrap_or(false),
        }
    }
}

impl Drop for ScopeGuard {
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
                let Stack { frames, scoped } = &local.stack;
                let position = frames
                    .iter()
                    .rposition(|f| f.kind == FrameKind::Borrowed && scoped[f.slot as usize].state == state);
                if let Some(position) = position {
                    local.stack.remove(position);
                }
                flush_if_due(local)
            })
            .flatten(),
        );
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
