//! The thread's span stack: which spans are current, innermost last.

use std::cell::Cell;

use super::owned::SpanState;
use crate::model::{SpanContext, SpanData, SpanId};

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
        set_unsampled_top(0);
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
        self.scoped.push(Scoped { context, state });
        self.frames.push(frame);
        // The new top is known: no need to read it back (`sync`).
        set_unsampled_top(if unsampled { frame.span_id.to_u64() } else { 0 });
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
        let top = match self.frames.last() {
            Some(frame) if frame.unsampled => frame.span_id.to_u64(),
            _ => 0,
        };
        set_unsampled_top(top);
    }

    /// The position of the frame for `span_id`, searching from the top.
    pub(super) fn position(&self, span_id: SpanId) -> Option<usize> {
        self.frames.iter().rposition(|f| f.span_id == span_id)
    }
}

thread_local! {
    /// The span id of the top stack frame when it is a local span that is
    /// not sampled, else 0. Such a span's children are not made (they
    /// inherit its "no"), and this tells them so with one thread-local
    /// read: no borrow of the state, no destructor check (it has none).
    static UNSAMPLED_TOP: Cell<u64> = const { Cell::new(0) };
}

#[inline(always)]
pub(super) fn set_unsampled_top(value: u64) {
    let _ = UNSAMPLED_TOP.try_with(|cell| cell.set(value));
}

/// The unsampled local span that is current, if it is on top: its children
/// are not recorded whatever the sampler.
#[inline(always)]
pub(crate) fn unsampled_top() -> Option<SpanId> {
    SpanId::from_u64(UNSAMPLED_TOP.try_with(Cell::get).unwrap_or(0))
}

pub(super) fn frame_context<'a>(records: &'a [SpanData], scoped: &'a [Scoped], frame: &Frame) -> &'a SpanContext {
    match frame.kind {
        FrameKind::Local => &records[frame.slot as usize].context,
        FrameKind::Borrowed | FrameKind::Context | FrameKind::Shared => &scoped[frame.slot as usize].context,
    }
}
