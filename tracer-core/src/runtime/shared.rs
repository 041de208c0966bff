//! Shared spans: an owned span that any thread may make current, on
//! several threads at once, and change from any thread. The `tracing`
//! bridge keeps one per `tracing` span, whose handles are `Send + Sync`
//! and whose `enter` and `record` may come from any thread.
//!
//! The record sits behind a lock, which every way to it takes: the
//! bridge's changes, and the thread stacks' frames (`FrameKind::Shared`),
//! which reach it only in [`with_open_record`](super::with_open_record) and
//! [`has_open_record`](super::has_open_record), outside the span hot path.
//! Each frame holds a strong count, so that a frame left on a stack (a
//! `tracing` guard that was leaked) never points at freed memory.

// Only the `tracing` bridge makes shared spans; the frames they push are
// handled by the runtime in every build.
#![cfg_attr(not(feature = "tracing"), allow(dead_code))]

use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::cell::with_local;
use super::hand_over::{flush_if_due, hand_over};
use super::owned::{SpanState, finish_owned};
use super::record_borrow::RecordBorrow;
use super::stack::{FrameKind, Stack};
use super::start::{StartSpec, start_child_into, start_into};
use crate::buffer::SpanBatch;
use crate::model::{SpanContext, SpanData, SpanKind};

/// A span shared between threads. See the module docs.
// `state` comes first so that a frame's `*mut SpanState` is also the
// address of the whole `SharedSpan` (see `frame_pointer`).
#[repr(C)]
pub(crate) struct SharedSpan {
    /// Reached only while `lock` is held.
    state: UnsafeCell<SpanState>,
    lock: Mutex<()>,
    /// Fixed when the span starts: read without the lock.
    context: Option<SpanContext>,
    /// The owner's name for the span (the `tracing` span id), by which it
    /// is exited and recognised on a stack without a look-up.
    key: u64,
    panicking_at_start: bool,
}

// SAFETY: the state is reached only under `lock`, and a `SpanState` may
// move between threads (`Span` is `Send`).
unsafe impl Sync for SharedSpan {}

impl SharedSpan {
    /// Starts a span from `spec`, as `SpanBuilder::start` does; `key` is
    /// the owner's name for it.
    pub(crate) fn start(spec: StartSpec, key: u64) -> SharedSpan {
        let mut state = SpanState::Done;
        start_into(spec, &mut state);
        SharedSpan::from_state(state, key)
    }

    /// Starts a child of the current span named `name`, as `Span::new`
    /// does: no spec is built, and a child of a sampled local span keeps
    /// only what its record is made from until it needs the record.
    pub(crate) fn start_child(name: Cow<'static, str>, kind: SpanKind, key: u64) -> SharedSpan {
        let mut state = SpanState::Done;
        start_child_into(name, kind, &mut state);
        SharedSpan::from_state(state, key)
    }

    fn from_state(state: SpanState, key: u64) -> SharedSpan {
        let context = state.context();
        SharedSpan {
            panicking_at_start: state.is_recording() && std::thread::panicking(),
            state: UnsafeCell::new(state),
            lock: Mutex::new(()),
            context,
            key,
        }
    }

    /// The span's context; `None` when tracing is off.
    pub(crate) fn context(&self) -> Option<&SpanContext> {
        self.context.as_ref()
    }

    fn locked(&self) -> MutexGuard<'_, ()> {
        // Nothing of the user's runs under the lock, so a poisoned one only
        // means a bug of ours unwound: the state is still whole.
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the open record; `None` when it is not recorded or has
    /// finished. `f` must be this crate's code (the borrow rule).
    pub(crate) fn with_record<R>(&self, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
        let _lock = self.locked();
        // SAFETY: the lock is held, so this is the only reference.
        let state = unsafe { &mut *self.state.get() };
        // A started span gets its record, in its own box.
        state.open();
        state.record_mut().map(|data| {
            let _borrow = RecordBorrow::start();
            f(data)
        })
    }

    /// Whether the span is open and recorded.
    pub(crate) fn is_recording(&self) -> bool {
        let _lock = self.locked();
        // SAFETY: the lock is held.
        unsafe { &*self.state.get() }.is_recording()
    }

    /// Ends the span now, on this thread (its record joins this thread's
    /// buffer). Only the first call does anything.
    pub(crate) fn finish(&self) {
        let mut state = {
            let _lock = self.locked();
            // SAFETY: the lock is held.
            std::mem::replace(unsafe { &mut *self.state.get() }, SpanState::Done)
        };
        // Outside the lock: the hand-over runs processors.
        finish_owned(&mut state, None, self.panicking_at_start);
    }

    /// The pointer a frame keeps, owning one strong count.
    fn frame_pointer(span: Arc<SharedSpan>) -> *mut SpanState {
        Arc::into_raw(span).cast::<SpanState>().cast_mut()
    }
}

impl Drop for SharedSpan {
    fn drop(&mut self) {
        // A span nobody finished (its `tracing` subscriber was dropped)
        // still ends, rather than vanishing. No lock: this is the last
        // reference.
        let state = self.state.get_mut();
        if !matches!(state, SpanState::Done) {
            finish_owned(state, None, self.panicking_at_start);
        }
    }
}

/// Gives back the strong count a `Shared` frame's pointer owns.
///
/// # Safety
/// `pointer` comes from [`SharedSpan::frame_pointer`] and is released once.
pub(super) unsafe fn release_frame(pointer: *mut SpanState) {
    // SAFETY: the caller's contract; `SharedSpan` is `repr(C)` with the
    // state first, so the pointer is the `Arc`'s own.
    drop(unsafe { Arc::from_raw(pointer.cast_const().cast::<SharedSpan>()) });
}

/// The shared span a `Shared` frame's pointer names.
///
/// # Safety
/// `pointer` comes from [`SharedSpan::frame_pointer`] and its frame is still
/// on the stack (it owns a strong count).
pub(super) unsafe fn frame_span<'a>(pointer: *mut SpanState) -> &'a SharedSpan {
    // SAFETY: the caller's contract.
    unsafe { &*pointer.cast_const().cast::<SharedSpan>() }
}

/// Makes `span` current on this thread until [`exit_shared`]: new spans
/// become its children. A span with no context (tracing off) is not
/// pushed. It may be entered on several threads, and several times.
pub(crate) fn enter_shared(span: &Arc<SharedSpan>) {
    let Some(context) = span.context.clone() else { return };
    let pointer = SharedSpan::frame_pointer(Arc::clone(span));
    let pushed = with_local(|local| local.stack.push_shared(context, pointer));
    if pushed.is_none() {
        // SAFETY: made just above and never pushed.
        unsafe { release_frame(pointer) };
    }
}

/// Undoes the latest [`enter_shared`] of the shared span named `key` on
/// this thread, wherever its frame is now; does nothing if none is current
/// here. What is left to do (giving the frame's count back, handing
/// finished spans over) is done when the returned value drops, so that a
/// caller holding a lock can let go of it first.
pub(crate) fn exit_shared(key: u64) -> Exited {
    let removed = with_local(|local| {
        let position = local.stack.position_of_shared(key)?;
        let pointer = local.stack.scoped[local.stack.frames[position].slot as usize].state;
        local.stack.remove(position);
        Some((pointer, flush_if_due(local)))
    })
    .flatten();
    Exited { done: removed }
}

/// The rest of an [`exit_shared`], done on drop.
#[must_use = "the rest of the exit is done when this drops"]
pub(crate) struct Exited {
    /// The removed frame's pointer, and the finished spans due.
    done: Option<(*mut SpanState, Option<SpanBatch>)>,
}

impl Drop for Exited {
    fn drop(&mut self) {
        let Some((pointer, batch)) = self.done.take() else {
            return;
        };
        // SAFETY: its frame was removed from the stack, and owned this
        // count; it may be the last, whose drop finishes the span.
        unsafe { release_frame(pointer) };
        hand_over(batch);
    }
}

/// Whether `span` is current on this thread (entered and not exited),
/// under whatever was entered since.
pub(crate) fn is_entered_here(span: &SharedSpan) -> bool {
    let pointer = std::ptr::from_ref(span).cast::<SpanState>().cast_mut();
    with_local(|local| {
        let Stack { frames, scoped } = &local.stack;
        frames
            .iter()
            .any(|f| f.kind == FrameKind::Shared && scoped[f.slot as usize].state == pointer)
    })
    .unwrap_or(false)
}

/// The key of the current span if it is a shared one: the top frame.
pub(crate) fn current_shared_key() -> Option<u64> {
    with_local(|local| {
        let frame = local.stack.frames.last().filter(|f| f.kind == FrameKind::Shared)?;
        // SAFETY: the frame is on the stack, so it owns a strong count.
        Some(unsafe { frame_span(local.stack.scoped[frame.slot as usize].state) }.key)
    })
    .flatten()
}

impl Stack {
    /// The position of the latest frame of the shared span named `key`.
    pub(super) fn position_of_shared(&self, key: u64) -> Option<usize> {
        self.frames.iter().rposition(|f| {
            // SAFETY: the frame is on the stack, so it owns a strong count.
            f.kind == FrameKind::Shared && unsafe { frame_span(self.scoped[f.slot as usize].state) }.key == key
        })
    }
}
