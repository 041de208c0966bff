//! Futures: keeping a span current across `.await`.
//!
//! A future runs in pieces, one per `poll`, possibly on different threads,
//! interleaved with other tasks. So a span cannot simply be "entered" around
//! an `.await`. Instead, [`FutureExt::in_span`] wraps the future: on every
//! poll the span becomes current, and between polls it is not. When the
//! future completes, the span finishes. If the future is dropped before it
//! completes, the span finishes with the attribute `cancelled = true`; if a
//! poll panics, the span is marked as an error (`panicked`).
//!
//! This is also how context crosses `tokio::spawn` and
//! `std::thread::spawn`: make the span (or capture the context) before
//! spawning, and move it in.
//!
//! ```
//! use tracer_core::{FutureExt, Span};
//!
//! # futures_executor_stub::block_on(async {
//! async fn load() -> u32 { 7 }
//! // A child of whatever is current here, current inside `load` on every poll.
//! let value = load().in_span(Span::new("load")).await;
//! // Or continue the current span's context inside a spawned task:
//! // tokio::spawn(async { /* ... */ }.in_current_span());
//! # assert_eq!(value, 7);
//! # });
//! # mod futures_executor_stub {
//! #     pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #         let waker = std::task::Waker::noop();
//! #         let mut cx = std::task::Context::from_waker(&waker);
//! #         let mut f = std::pin::pin!(f);
//! #         loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! #     }
//! # }
//! ```

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context::SpanContext;
use crate::current::{self, ContextGuard, ScopeGuard};
use crate::span::Span;

/// Adds span adapters to every future.
pub trait FutureExt: Future + Sized {
    /// Makes `span` current on every poll of this future, and finishes it
    /// when the future completes or is dropped.
    fn in_span(self, span: Span) -> Instrumented<Self> {
        Instrumented::new(self, span, ())
    }

    /// Makes the *current* context (captured now) current on every poll, so
    /// spans started inside, even on another thread, join this trace. Use it
    /// on futures given to `tokio::spawn`.
    fn in_current_span(self) -> WithContext<Self> {
        WithContext {
            future: self,
            context: current::current_context(),
        }
    }
}

impl<F: Future> FutureExt for F {}

/// Looks at a future's output before its span finishes (used by `#[trace]`
/// to record `Err` results).
pub trait OutputRecorder<T> {
    /// Called once, with the output and the still-open span.
    fn record(self, output: &T, span: &Span);
}

impl<T> OutputRecorder<T> for () {
    fn record(self, _: &T, _: &Span) {}
}

impl<T, F: FnOnce(&T, &Span)> OutputRecorder<T> for F {
    fn record(self, output: &T, span: &Span) {
        self(output, span)
    }
}

/// A future with its span. See [`FutureExt::in_span`].
#[must_use = "futures do nothing unless polled"]
pub struct Instrumented<F, R = ()> {
    // Dropped by hand, inside the span's scope.
    future: ManuallyDrop<F>,
    span: Span,
    recorder: Option<R>,
}

impl<F, R> Instrumented<F, R> {
    /// Wraps `future` with `span`; `recorder` sees the output first.
    pub fn new(future: F, span: Span, recorder: R) -> Instrumented<F, R> {
        Instrumented {
            future: ManuallyDrop::new(future),
            span,
            recorder: Some(recorder),
        }
    }

    /// The span.
    pub fn span(&self) -> &Span {
        &self.span
    }
}

/// Finishes the span as `panicked` if a poll unwinds.
struct PanicGuard<'a> {
    span: &'a Span,
    armed: bool,
}

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if self.armed && std::thread::panicking() {
            // `Span::finish` sees the panic and marks the span.
            self.span.finish();
        }
    }
}

impl<F: Future, R: OutputRecorder<F::Output>> Future for Instrumented<F, R> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved, and is
        // dropped in place in `drop`. The other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        let output = {
            let _scope = ScopeGuard::push(this.span.state_ptr(), this.span.context());
            let mut panic_guard = PanicGuard {
                span: &this.span,
                armed: true,
            };
            let output = future.poll(cx);
            panic_guard.armed = false;
            output
        };
        if let Poll::Ready(value) = &output {
            if let Some(recorder) = this.recorder.take() {
                recorder.record(value, &this.span);
            }
            this.span.finish();
        }
        output
    }
}

impl<F, R> Drop for Instrumented<F, R> {
    fn drop(&mut self) {
        {
            // Whatever the future's drop does happens inside the span.
            let _scope = ScopeGuard::push(self.span.state_ptr(), self.span.context());
            // SAFETY: dropped once, here, in place.
            unsafe { ManuallyDrop::drop(&mut self.future) };
        }
        if self.recorder.is_some() && self.span.is_recording() {
            self.span.set_attribute("cancelled", true);
        }
        self.span.finish();
    }
}

/// A future that runs under a captured context. See
/// [`FutureExt::in_current_span`].
#[must_use = "futures do nothing unless polled"]
pub struct WithContext<F> {
    future: F,
    context: Option<SpanContext>,
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned and never moved.
        let this = unsafe { self.get_unchecked_mut() };
        let _guard: Option<ContextGuard> = this.context.clone().map(current::attach);
        unsafe { Pin::new_unchecked(&mut this.future) }.poll(cx)
    }
}
