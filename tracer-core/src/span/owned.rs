//! The owned span handle.

use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::time::SystemTime;

use super::builder::SpanBuilder;
use super::entered::EnteredSpan;
use super::methods::span_methods;
use crate::clock;
use crate::model::{SpanContext, SpanData, SpanKind};
use crate::runtime::{self, RecordBorrow, ScopeGuard, SpanState};

/// An owned span.
///
/// It starts as a child of the current span (or a root when there is none),
/// is *not* itself made current, can be moved to other threads and into
/// futures, and is finished by [`finish`](Span::finish) or when dropped.
/// Call [`entered`](Span::entered) to make it current on this thread.
///
/// ```
/// use tracer_core::Span;
///
/// // Started, changed, and finished by hand.
/// let span = Span::new("user_login");
/// span.set_tag("user_id", "usr_123");
/// span.set_tag("method", "password");
/// // ... do work ...
/// span.finish();
/// ```
pub struct Span {
    // Dropped by hand (see `Drop`): only a state that owns something
    // calls its drop.
    state: UnsafeCell<ManuallyDrop<SpanState>>,
    // `Span` methods take `&self` and mutate through the cell, so it is not
    // `Sync`; it stays `Send`.
    _not_sync: PhantomData<UnsafeCell<()>>,
}

impl Span {
    /// Starts a span named `name` as a child of the current span.
    #[inline]
    pub fn new(name: impl Into<Cow<'static, str>>) -> Span {
        if runtime::tracing_off() {
            // Built here, so that `Span::new(..).entered()` folds to the
            // check.
            return Span::noop();
        }
        Span::started(|out| runtime::start_child_on_into(name.into(), SpanKind::Internal, out))
    }

    /// Starts a span that begins a new trace, whatever is current.
    #[inline]
    pub fn root(name: impl Into<Cow<'static, str>>) -> Span {
        Span::started(|out| runtime::start_root_into(name.into(), SpanKind::Internal, out))
    }

    /// Starts a span whose parent is `parent`: a local span's context, or a
    /// remote one extracted from request headers.
    pub fn child_of(name: impl Into<Cow<'static, str>>, parent: &SpanContext) -> Span {
        SpanBuilder::new(name).parent(parent.clone()).start()
    }

    /// A builder for a span with a kind, attributes, links, an explicit
    /// start time or an explicit parent.
    pub fn builder(name: impl Into<Cow<'static, str>>) -> SpanBuilder {
        SpanBuilder::new(name)
    }

    /// A span that records nothing.
    #[inline]
    pub fn noop() -> Span {
        Span {
            state: UnsafeCell::new(ManuallyDrop::new(SpanState::NonRecording(None))),
            _not_sync: PhantomData,
        }
    }

    /// A span whose state `start` writes (it is given `Done`). The start
    /// functions note a start during a panic themselves (out of line).
    #[inline(always)]
    pub(crate) fn started(start: impl FnOnce(&mut SpanState)) -> Span {
        let mut state = SpanState::Done;
        start(&mut state);
        Span {
            state: UnsafeCell::new(ManuallyDrop::new(state)),
            _not_sync: PhantomData,
        }
    }

    /// A span of `state`, which starts being an owned span now: if the
    /// thread is panicking, only a panic that begins later marks it.
    #[inline(always)]
    pub(crate) fn from_state(mut state: SpanState) -> Span {
        state.note_start();
        Span {
            state: UnsafeCell::new(ManuallyDrop::new(state)),
            _not_sync: PhantomData,
        }
    }

    #[inline(always)]
    fn state_mut(&mut self) -> &mut SpanState {
        self.state.get_mut()
    }

    /// The state, for a scope in which the thread's stack points at it.
    pub(crate) fn state_ptr(&self) -> *mut SpanState {
        // `ManuallyDrop` is `repr(transparent)`.
        self.state.get().cast::<SpanState>()
    }

    /// Runs `f` on the open record. No user code runs while the record is
    /// borrowed, and `Span` is not `Sync`, so the borrow is exclusive.
    fn with_data<R>(&self, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
        // SAFETY: see above; the only other path to this state is the
        // thread's span stack while `in_scope` or a future's `poll` runs,
        // and it is used only between our calls, never during one.
        let state: &mut SpanState = unsafe { &mut *self.state.get() };
        state.open();
        state.record_mut().map(|data| {
            let _borrow = RecordBorrow::start();
            f(data)
        })
    }

    span_methods!();

    /// Whether the span is recorded (provider installed and sampled).
    pub fn is_recording(&self) -> bool {
        // SAFETY: a read between calls, as in `with_data`.
        unsafe { &*self.state.get() }.is_recording()
    }

    /// The span's context: trace id, span id, flags and trace state.
    /// `None` when tracing is off.
    #[inline]
    pub fn context(&self) -> Option<SpanContext> {
        // SAFETY: a read between calls, as in `with_data`.
        unsafe { &*self.state.get() }.context()
    }

    /// Ends the span now. Calling it again does nothing.
    #[inline(always)]
    pub fn finish(&self) {
        self.finish_at_nanos(None);
    }

    /// Ends the span at an explicit time.
    pub fn finish_at(&self, time: SystemTime) {
        self.finish_at_nanos(Some(clock::system_time_to_unix_nanos(time)));
    }

    // Inlined: only the check for a span that owns nothing (finished,
    // entered, or made with no provider), which then costs a compare.
    #[inline(always)]
    fn finish_at_nanos(&self, end: Option<u64>) {
        // SAFETY: as in `with_data`; the record leaves the span before any
        // other code runs.
        let state: &mut SpanState = unsafe { &mut *self.state.get() };
        runtime::finish_owned(state, end, false);
    }

    /// Makes the span current on this thread until the returned guard is
    /// dropped, which finishes it. New spans started meanwhile are its
    /// children.
    ///
    /// Do not hold the guard across an `.await`: while the task waits, other
    /// futures polled on the thread would see the span as current. In async
    /// code use [`FutureExt::in_span`](crate::FutureExt::in_span) or
    /// `#[trace]`, which make the span current only while their future is
    /// polled.
    ///
    /// ```
    /// use tracer_core::{current_span_id, Span};
    ///
    /// let span = Span::new("order_processing").entered();
    /// assert_eq!(current_span_id(), span.span_id());
    /// ```
    // Inlined, so that a span started in the same expression
    // (`Span::root(..).entered()`) is taken where it was made.
    #[inline(always)]
    pub fn entered(mut self) -> EnteredSpan {
        match self.state_mut() {
            SpanState::NonRecording(None) => {
                // Not recorded and no context (no provider): it owns
                // nothing, and nothing becomes current.
                std::mem::forget(self);
                return EnteredSpan::inert();
            }
            SpanState::NonRecording(Some(context)) if runtime::unsampled_top() == Some(context.span_id()) => {
                // A child of the unsampled span on top, showing its
                // context: its guard names that span and pushes nothing.
                let parent = context.span_id();
                // SAFETY: the context is all the span owns; it is dropped
                // once, here, and the span is forgotten.
                unsafe { std::ptr::drop_in_place(context) };
                std::mem::forget(self);
                return EnteredSpan::inherited(parent);
            }
            SpanState::Started(_) => {
                // The usual state: the record is written into the buffer.
                if let Some(entered) = runtime::enter_started(self.state_mut()) {
                    std::mem::forget(self);
                    return entered;
                }
            }
            _ => {}
        }
        // The record moves into the thread's buffer; `self` is left `Done`
        // (or, if the thread is exiting, finishes as an owned span).
        let entered: EnteredSpan = runtime::enter_state(self.state_mut());
        if matches!(self.state_mut(), SpanState::Done) {
            // Nothing left to finish or free.
            std::mem::forget(self);
        }
        entered
    }

    /// Runs `f` with this span current, then restores the previous span.
    /// The span stays open.
    ///
    /// ```
    /// use tracer_core::{current_span_id, Span};
    ///
    /// let span = Span::new("batch");
    /// let id = span.in_scope(current_span_id);
    /// assert_eq!(id, span.span_id());
    /// ```
    // The checks inline into the caller: with nothing to make current,
    // `f` runs where it is.
    #[inline(always)]
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY: a read between calls, as in `with_data`.
        match unsafe { &**self.state.get() } {
            // Nothing to make current (no provider, or finished).
            SpanState::NonRecording(None) | SpanState::Done => f(),
            // A child of the unsampled span on top shows that span's
            // context: it is current already.
            SpanState::NonRecording(Some(context)) if runtime::unsampled_top() == Some(context.span_id()) => f(),
            _ => self.in_own_scope(f),
        }
    }

    /// [`in_scope`](Self::in_scope) with the span pushed.
    fn in_own_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY: `self` outlives the guard, and its state is not borrowed
        // while it is pushed (`Span` methods borrow it only within a call).
        let _scope = unsafe { ScopeGuard::push(self.state_ptr()) };
        f()
    }
}

impl Drop for Span {
    // Inlined: a finished span, or one made with no provider, costs a
    // compare (no call to the state's drop).
    #[inline(always)]
    fn drop(&mut self) {
        // A span that is not recorded has nothing to finish: its context,
        // if any, is dropped with the state.
        if self.state_mut().is_recording() {
            self.finish();
        }
        let state = self.state.get_mut();
        if !matches!(**state, SpanState::Done | SpanState::NonRecording(None)) {
            // SAFETY: dropped once, here; the span is not used again.
            unsafe { ManuallyDrop::drop(state) };
        }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Span")
            .field("recording", &self.is_recording())
            .field("context", &self.context())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanData;

    #[test]
    fn record_sizes_stay_small() {
        // The record is written once per span on the hot path.
        assert!(
            std::mem::size_of::<SpanData>() <= 448,
            "{}",
            std::mem::size_of::<SpanData>()
        );
        // A span is held by every future it instruments, and nested
        // futures hold each other, so each of its bytes is copied once per
        // level when a chain of them is built: two words, whatever its
        // state (see `runtime::shared_context`).
        assert_eq!(std::mem::size_of::<Span>(), 16);
    }
}
