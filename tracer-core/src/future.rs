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
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::model::SpanContext;
use crate::provider::TracerProvider;
use crate::runtime::{self, ScopeGuard};
use crate::span::{ContextGuard, Span, attach};

/// Adds span adapters to every future.
pub trait FutureExt: Future + Sized {
    /// Makes `span` current on every poll of this future, and finishes it
    /// when the future completes or is dropped.
    fn in_span(self, span: Span) -> Instrumented<Self> {
        Instrumented::new(self, span, ())
    }

    /// Makes the *current* context (captured now) current on every poll, so
    /// spans started inside, even on another thread, join this trace. Use it
    /// on futures given to `tokio::spawn`. Under a default provider
    /// ([`TracerProvider::set_default`](crate::TracerProvider::set_default)),
    /// the future keeps that provider on every poll too.
    fn in_current_span(self) -> WithContext<Self> {
        WithContext {
            future: self,
            context: runtime::current_context(),
            provider: runtime::current_default(),
        }
    }
}

impl<F: Future> FutureExt for F {}

/// Looks at a future's output before its span finishes: how `#[trace]`
/// records `Err` results and the HTTP layers a response's status. It is
/// implemented for `()` (records nothing, what [`FutureExt::in_span`] uses)
/// and for closures `FnOnce(&T, &Span)`.
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

pin_project! {
    /// A future with its span. See [`FutureExt::in_span`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F, R = ()> {
        // `None` once completed or dropped: the future is dropped inside
        // the span's scope, before the span finishes (when it completes,
        // in the scope of the poll that completed it).
        #[pin]
        future: Option<F>,
        span: Span,
        recorder: Option<R>,
    }

    impl<F, R> PinnedDrop for Instrumented<F, R> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // Not completed: dropped halfway.
            if this.future.is_some() {
                {
                    // Whatever the future's drop does happens inside the span.
                    // SAFETY: the span is this future's, alive until after the
                    // guard, and not borrowed while it is pushed.
                    let _scope = unsafe { ScopeGuard::push(this.span.state_ptr()) };
                    this.future.set(None);
                }
                if this.span.is_recording() {
                    this.span.set_attribute("cancelled", true);
                }
            }
            this.span.finish();
        }
    }
}

impl<F, R> Instrumented<F, R> {
    /// Wraps `future` with `span`; `recorder` sees the output first.
    pub(crate) fn new(future: F, span: Span, recorder: R) -> Instrumented<F, R> {
        Instrumented {
            future: Some(future),
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
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`Instrumented` polled after it completed");
        };
        // SAFETY: the span is this future's, alive until after the guard,
        // and not borrowed while it is pushed.
        let scope = unsafe { ScopeGuard::push(this.span.state_ptr()) };
        let mut panic_guard = PanicGuard {
            span: this.span,
            armed: true,
        };
        let output = future.poll(cx);
        panic_guard.armed = false;
        let Poll::Ready(value) = &output else {
            return output;
        };
        // Done: dropped now, in this scope (a completed `async` block owns
        // nothing, and its drop then needs no scope of its own).
        this.future.set(None);
        if let Some(recorder) = this.recorder.take() {
            recorder.record(value, this.span);
        }
        // SAFETY: the state `scope` pushed, not borrowed during the call.
        unsafe { scope.finish(this.span.state_ptr()) };
        output
    }
}

pin_project! {
    /// A future that runs under a captured context. See
    /// [`FutureExt::in_current_span`].
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        #[pin]
        future: F,
        context: Option<SpanContext>,
        // The default provider where it was made, if any.
        provider: Option<TracerProvider>,
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _default = this.provider.as_ref().map(runtime::enter_default_unless_current);
        let _guard: Option<ContextGuard> = this.context.clone().map(attach);
        this.future.poll(cx)
    }
}
