//! Testing your own instrumentation: run code under a fresh provider and
//! look at the spans it made.
//!
//! [`capture`] runs a closure with a new provider as the thread's default
//! (see [`TracerProvider::set_default`]), recording into memory, and
//! returns the closure's result with the spans it produced, as
//! [`Captured`]. [`capture_future`] does the same for a future, on every
//! poll, on any thread. Nothing is installed globally, so tests that
//! capture run in parallel in one test binary, each with its own sampler,
//! limits and processors (the `_with` forms take a builder).
//!
//! ```
//! use tracer_core::{in_span, testing};
//!
//! fn checkout() -> u32 {
//!     in_span("checkout", |_| in_span("charge", |_| 42))
//! }
//!
//! let (total, spans) = testing::capture(checkout);
//! assert_eq!(total, 42);
//! assert_eq!(spans.tree(), "checkout\n  charge\n");
//! spans.assert_child_of("charge", "checkout");
//! ```
//!
//! Spans still open when the closure returns are not in the result (an
//! owned span moved elsewhere and not finished yet); those left open by a
//! leaked guard end when the capture ends, and are.
#![cfg_attr(docsrs, doc(cfg(feature = "testing")))]

mod captured;

use std::future::Future;

pub use captured::Captured;

use crate::export::InMemoryExporter;
use crate::provider::{DEFAULT_FLUSH_TIMEOUT, ProviderBuilder, TracerProvider};

/// Runs `f` under a new recording provider (`ParentBased(AlwaysOn)`) and
/// returns its result with the spans it produced.
///
/// ```
/// use tracer_core::{testing, Span};
///
/// let ((), spans) = testing::capture(|| Span::new("job").finish());
/// assert_eq!(spans.span("job").parent_span_id, None);
/// ```
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Captured) {
    capture_with(TracerProvider::builder(), f)
}

/// [`capture`] with a provider built from `builder`: its sampler, limits,
/// resource and processors, plus the kit's in-memory exporter.
///
/// ```
/// use tracer_core::sampler::AlwaysOff;
/// use tracer_core::{in_span, testing, TracerProvider};
///
/// let ((), spans) = testing::capture_with(TracerProvider::builder().sampler(AlwaysOff), || {
///     in_span("not_sampled", |_| {})
/// });
/// assert!(spans.is_empty());
/// ```
pub fn capture_with<R>(builder: ProviderBuilder, f: impl FnOnce() -> R) -> (R, Captured) {
    let (provider, exporter) = recording(builder);
    let result = provider.in_scope(f);
    (result, collect(&provider, &exporter))
}

/// Polls `future` under a new recording provider, on whatever thread polls
/// it, and returns its output with the spans it produced.
///
/// ```
/// use tracer_core::{testing, FutureExt, Span};
///
/// # let waker = std::task::Waker::noop();
/// # let mut cx = std::task::Context::from_waker(&waker);
/// let captured = testing::capture_future(async {
///     async { 7 }.in_span(Span::new("load")).await
/// });
/// # let mut captured = std::pin::pin!(captured);
/// # let std::task::Poll::Ready((value, spans)) = captured.as_mut().poll(&mut cx) else { panic!() };
/// // let (value, spans) = captured.await;
/// assert_eq!(value, 7);
/// assert_eq!(spans.tree(), "load\n");
/// ```
pub async fn capture_future<F: Future>(future: F) -> (F::Output, Captured) {
    capture_future_with(TracerProvider::builder(), future).await
}

/// [`capture_future`] with a provider built from `builder`, as
/// [`capture_with`].
pub async fn capture_future_with<F: Future>(builder: ProviderBuilder, future: F) -> (F::Output, Captured) {
    let (provider, exporter) = recording(builder);
    let output = provider.scope(future).await;
    let captured = collect(&provider, &exporter);
    (output, captured)
}

fn recording(builder: ProviderBuilder) -> (TracerProvider, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let provider = builder.with_simple_exporter(exporter.clone()).build();
    (provider, exporter)
}

fn collect(provider: &TracerProvider, exporter: &InMemoryExporter) -> Captured {
    // A batching processor of the builder's may still hold spans; the
    // kit's own exporter is written to synchronously.
    let _ = provider.flush_processors(DEFAULT_FLUSH_TIMEOUT);
    Captured::new(exporter.take())
}
