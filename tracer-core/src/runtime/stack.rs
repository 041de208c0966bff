//! The thread's span stack: which spans are current, innermost last.

use std::cell::Cell;
use std::sync::Arc;

use super::owned::SpanState;
use super::shared_context::{forget_top, shared_plain};
use crate::model::{SpanContext, SpanData, SpanId, TraceFlags, TraceId, TraceState};

/// What a stack frame refers to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FrameKind {
    /// An open record in `LocalState::records`; `slot` is its index.
    Local,
    /// An owned span, current for one `in_scope` call or one `poll`;
    /// `slot` indexes `Stack::scoped`.
    Borrowed,
    /// A sampled-out span or an attached context; `slot` indexes
    /// `Stack::scoped`.
    Context,
    /// A shared span (see [`shared`](super::shared)), current until it is
    /// exited; `slot` indexes `Stack::scoped`, whose `state` points at the
    /// `SharedSpan` and owns a strong count of it.
    Shared,
}

/// One entry of the span stack: 16 bytes, `Copy`, no drop glue, so that a
/// push or a pop is a couple of stores. The rare contexts of borrowed spans
/// and attached contexts live beside it, in `Stack::scoped`.
#[derive(Clone, Copy)]
pub(super) struct Frame {
    pub(super) span_id: SpanId,
    pub(super) slot: u32,
    pub(super) kind: FrameKind,
    /// A local span that is not sampled: its children are not made.
    pub(super) unsampled: bool,
}

/// The context of a `Borrowed` or `Context` frame.
pub(super) struct Scoped {
    pub(super) context: SpanContext,
    /// The owned span's state for `Borrowed`, the shared span for
    /// `Shared`, null for `Context`.
    pub(super) state: *mut SpanState,
}

/// The thread's span stack. Every change goes through these methods, so
/// that [`UNSAMPLED_TOP`] always mirrors the top frame.
pub(super) struct Stack {
    pub(super) frames: Vec<Frame>,
    pub(super) scoped: Vec<Scoped>,
}

impl Stack {
    pub(super) const fn new() -> Stack {
        Stack {
            frames: Vec::new(),
            scoped: Vec::new(),
        }
    }

    /// Pushes a recorded span: its children are made, so the flag is 0.
    #[inline(always)]
    pub(super) fn push_local(&mut self, span_id: SpanId, index: usize) {
        self.frames.push(Frame {
            span_id,
            slot: index as u32,
            kind: FrameKind::Local,
            unsampled: false,
        });
        clear_unsampled_top();
    }

    #[inline(always)]
    pub(super) fn push_scoped(&mut self, context: SpanContext, state: *mut SpanState) {
        let unsampled = !context.is_remote() && !context.is_sampled();
        let frame = Frame {
            span_id: context.span_id(),
            slot: self.scoped.len() as u32,
            kind: if state.is_null() {
                FrameKind::Context
            } else {
                FrameKind::Borrowed
            },
            unsampled,
        };
        // The new top is known: no need to read it back (`sync`).
        if unsampled {
            set_unsampled_top(&context);
        } else {
            clear_unsampled_top();
        }
        self.scoped.push(Scoped { context, state });
        self.frames.push(frame);
    }

    /// Pops the top frame if it is `state`'s `Borrowed` frame, pushed at
    /// `depth` with the last context: the usual end of a scope, which then
    /// moves nothing. `false` (and nothing changed) otherwise.
    #[inline(always)]
    pub(super) fn pop_borrowed_top(&mut self, depth: usize, state: *mut SpanState) -> bool {
        let Some(top) = self.frames.last() else { return false };
        let slot = top.slot as usize;
        let on_top = self.frames.len() == depth + 1
            && top.kind == FrameKind::Borrowed
            && slot + 1 == self.scoped.len()
            && self.scoped[slot].state == state;
        if on_top {
            self.frames.pop();
            // Dropped in place: `pop` would copy the context out first.
            self.scoped.truncate(slot);
            self.sync();
        }
        on_top
    }

    /// Pushes a shared span's frame; `state` owns a strong count, which the
    /// caller of [`remove`](Self::remove) gives back.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(super) fn push_shared(&mut self, context: SpanContext, state: *mut SpanState) {
        self.push_scoped(context, state);
        if let Some(frame) = self.frames.last_mut() {
            frame.kind = FrameKind::Shared;
        }
    }

    /// Removes the frame at `position` (usually the top), and its context
    /// if it has one. A `Shared` frame's strong count is the caller's to
    /// give back.
    #[inline(always)]
    pub(super) fn remove(&mut self, position: usize) -> (Frame, Option<Scoped>) {
        let frame = if position + 1 == self.frames.len() {
            // Popping the top moves nothing.
            self.frames.pop().expect("position is in the stack")
        } else {
            self.frames.remove(position)
        };
        let scoped = (frame.kind != FrameKind::Local).then(|| self.remove_scoped(frame.slot));
        self.sync();
        (frame, scoped)
    }

    pub(super) fn remove_scoped(&mut self, slot: u32) -> Scoped {
        let scoped = self.scoped.swap_remove(slot as usize);
        let moved = self.scoped.len() as u32;
        if moved == slot {
            // It was the last one (the usual case): nothing moved.
            return scoped;
        }
        // The last context moved into `slot`: point its frame there.
        if let Some(frame) = self
            .frames
            .iter_mut()
            .find(|f| f.kind != FrameKind::Local && f.slot == moved)
        {
            frame.slot = slot;
        }
        scoped
    }

    /// Points every local frame at its record's new index, `new_slot[old]`.
    pub(super) fn move_records(&mut self, new_slot: &[u32]) {
        for frame in &mut self.frames {
            if frame.kind == FrameKind::Local {
                frame.slot = new_slot[frame.slot as usize];
            }
        }
    }

    /// Points the local frame whose record moved from `from` to `to`.
    pub(super) fn move_record(&mut self, from: usize, to: usize) {
        for frame in &mut self.frames {
            if frame.kind == FrameKind::Local && frame.slot as usize == from {
                frame.slot = to as u32;
            }
        }
    }

    #[inline(always)]
    pub(super) fn sync(&self) {
        match self.frames.last() {
            Some(frame) if frame.unsampled => self.sync_unsampled(frame),
            _ => clear_unsampled_top(),
        }
    }

    /// Mirrors `frame`, an unsampled one (never `Local`: a local frame is
    /// a recorded span's), as the top.
    pub(super) fn sync_unsampled(&self, frame: &Frame) {
        if let Some(scoped) = self.scoped.get(frame.slot as usize) {
            set_unsampled_top(&scoped.context);
        }
    }

    /// The position of the frame for `span_id`, searching from the top.
    pub(super) fn position(&self, span_id: SpanId) -> Option<usize> {
        self.frames.iter().rposition(|f| f.span_id == span_id)
    }
}

thread_local! {
    /// The top stack frame when it is a local span that is not sampled.
    /// Such a span's children are not made (they inherit its "no"), and
    /// this tells them so with one thread-local read: no borrow of the
    /// state, no destructor check (it has none).
    static UNSAMPLED_TOP: UnsampledTop = const {
        UnsampledTop {
            span_id: Cell::new(0),
            trace_id: Cell::new(PLACEHOLDER_TRACE_ID),
            trace_flags: Cell::new(TraceFlags::NONE),
            plain: Cell::new(false),
        }
    };
}

/// What [`UNSAMPLED_TOP`] mirrors of the top frame: its span id (0 when the
/// top is not an unsampled local span) and, for the owned children that
/// show it (`Span::new`), the rest of its context when that is plain
/// (no trace state), so that they are made without a borrow.
struct UnsampledTop {
    span_id: Cell<u64>,
    trace_id: Cell<TraceId>,
    trace_flags: Cell<TraceFlags>,
    /// The context has no trace state (to clone): `trace_id` and
    /// `trace_flags` make it whole.
    plain: Cell<bool>,
}

/// Never read: `trace_id` is read only while `span_id` is not 0.
const PLACEHOLDER_TRACE_ID: TraceId = match TraceId::from_u128(1) {
    Some(id) => id,
    None => panic!("1 is a valid trace id"),
};

/// The top is not an unsampled local span: one store.
#[inline(always)]
pub(super) fn clear_unsampled_top() {
    let _ = UNSAMPLED_TOP.try_with(|top| top.span_id.set(0));
}

/// The top is the unsampled local span of `context`.
#[inline(always)]
pub(super) fn set_unsampled_top(context: &SpanContext) {
    // A top that is not an unsampled span (`clear_unsampled_top`) is never
    // asked for its shared context, so only a new unsampled top forgets it.
    forget_top();
    let _ = UNSAMPLED_TOP.try_with(|top| {
        top.span_id.set(context.span_id().to_u64());
        top.trace_id.set(context.trace_id());
        top.trace_flags.set(context.trace_flags());
        top.plain.set(context.trace_state().is_empty());
    });
}

/// The unsampled local span that is current, if it is on top: its children
/// are not recorded whatever the sampler.
#[inline(always)]
pub(crate) fn unsampled_top() -> Option<SpanId> {
    SpanId::from_u64(UNSAMPLED_TOP.try_with(|top| top.span_id.get()).unwrap_or(0))
}

/// The context a child of the unsampled span on top shows (its parent's),
/// when this thread shared it last (see
/// [`shared_context`](super::shared_context)): `None` when the top is not
/// such a span, its context has a trace state, or it was not shared last
/// (the caller then makes it, from [`unsampled_top_context`] or the stack).
#[inline(always)]
pub(crate) fn unsampled_child_shared() -> Option<Arc<SpanContext>> {
    UNSAMPLED_TOP
        .try_with(|top| {
            let span_id = SpanId::from_u64(top.span_id.get())?;
            if !top.plain.get() {
                return None;
            }
            shared_plain(top.trace_id.get(), span_id, top.trace_flags.get())
        })
        .ok()
        .flatten()
}

/// The context of the unsampled span on top, made from the mirror alone:
/// `None` when the top is not such a span, or its context has a trace
/// state (the caller then clones it from the stack).
pub(crate) fn unsampled_top_context() -> Option<SpanContext> {
    UNSAMPLED_TOP
        .try_with(|top| {
            let span_id = SpanId::from_u64(top.span_id.get())?;
            top.plain.get().then(|| {
                SpanContext::new(
                    top.trace_id.get(),
                    span_id,
                    top.trace_flags.get(),
                    false,
                    TraceState::empty(),
                )
            })
        })
        .ok()
        .flatten()
}

pub(super) fn frame_context<'a>(records: &'a [SpanData], scoped: &'a [Scoped], frame: &Frame) -> &'a SpanContext {
    match frame.kind {
        FrameKind::Local => &records[frame.slot as usize].context,
        FrameKind::Borrowed | FrameKind::Context | FrameKind::Shared => &scoped[frame.slot as usize].context,
    }
}
