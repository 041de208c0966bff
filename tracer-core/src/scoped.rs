//! Providers that are not installed: the default for a thread, a closure
//! or a future.
//!
//! A provider built with [`ProviderBuilder::build`](crate::ProviderBuilder::build)
//! records the spans started where it is the default:
//! - [`TracerProvider::set_default`]: on this thread, until the guard drops
//!   (like `tracing::subscriber::set_default`);
//! - [`TracerProvider::in_scope`]: for one closure;
//! - [`TracerProvider::scope`]: for every poll of one future, on whatever
//!   thread polls it.
//!
//! Where no default is set, spans report to the installed provider, as
//! before; a program that never sets one pays nothing for the feature.
//!
//! A default starts with no current span: spans started under it begin
//! their own traces (or continue a context given to them explicitly), so a
//! test sees exactly the spans its code made. A span reports to the
//! provider it started under, even when it ends on another thread, and an
//! owned span or an instrumented future made current elsewhere makes its
//! provider the default while it is current. When a default ends, what its
//! spans left open (a leaked guard) ends with it.
//!
//! ```
//! use tracer_core::export::InMemoryExporter;
//! use tracer_core::sampler::AlwaysOff;
//! use tracer_core::{in_span, TracerProvider};
//!
//! let kept = InMemoryExporter::new();
//! let recording = TracerProvider::builder().with_simple_exporter(kept.clone()).build();
//! let silent = TracerProvider::builder().sampler(AlwaysOff).build();
//!
//! recording.in_scope(|| in_span("kept", |_| {}));
//! silent.in_scope(|| in_span("dropped", |_| {}));
//! assert_eq!(kept.spans().len(), 1);
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::provider::TracerProvider;
use crate::runtime;

impl TracerProvider {
    /// Makes this provider the default on this thread until the guard
    /// drops: spans started meanwhile report to it. Guards nest; the one
    /// set last wins.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::{Span, TracerProvider};
    ///
    /// let exporter = InMemoryExporter::new();
    /// let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    /// let default = provider.set_default();
    /// Span::new("recorded").finish();
    /// drop(default);
    /// Span::new("not recorded: no provider is installed").finish();
    /// assert_eq!(exporter.spans().len(), 1);
    /// ```
    pub fn set_default(&self) -> DefaultGuard {
        DefaultGuard {
            depth: runtime::enter_default(self.inner.owner_handle()),
            _not_send: PhantomData,
        }
    }

    /// Runs `f` with this provider as the thread's default.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::{in_span, TracerProvider};
    ///
    /// let exporter = InMemoryExporter::new();
    /// let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    /// let answer = provider.in_scope(|| in_span("compute", |_| 42));
    /// assert_eq!(answer, 42);
    /// assert_eq!(exporter.spans()[0].name, "compute");
    /// ```
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _default = self.set_default();
        f()
    }

    /// Makes this provider the default for every poll of `future`, on
    /// whatever thread polls it.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::{FutureExt, Span, TracerProvider};
    ///
    /// let exporter = InMemoryExporter::new();
    /// let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    /// let task = provider.scope(async { async {}.in_span(Span::new("step")).await });
    /// # let waker = std::task::Waker::noop();
    /// # let mut cx = std::task::Context::from_waker(&waker);
    /// # let mut task = std::pin::pin!(task);
    /// # assert!(task.as_mut().poll(&mut cx).is_ready());
    /// assert_eq!(exporter.spans()[0].name, "step");
    /// ```
    pub fn scope<F: Future>(&self, future: F) -> WithProvider<F> {
        WithProvider {
            future,
            provider: self.clone(),
        }
    }
}

/// The thread's default provider until dropped. See
/// [`TracerProvider::set_default`].
///
/// Not `Send`: a default belongs to the thread that set it. Dropping a
/// guard also ends the defaults set after it that are still in force.
#[must_use = "the provider is the default only until the guard drops"]
#[derive(Debug)]
pub struct DefaultGuard {
    depth: Option<usize>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for DefaultGuard {
    fn drop(&mut self) {
        if let Some(depth) = self.depth {
            runtime::leave_defaults_from(depth);
        }
    }
}

pin_project! {
    /// A future polled with a provider as the default. See
    /// [`TracerProvider::scope`].
    #[must_use = "futures do nothing unless polled"]
    pub struct WithProvider<F> {
        #[pin]
        future: F,
        provider: TracerProvider,
    }
}

impl<F: Future> Future for WithProvider<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _default = this.provider.set_default();
        this.future.poll(cx)
    }
}
