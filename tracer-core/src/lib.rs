//! The runtime of the `tracer` toolkit. Most users depend on the `tracer`
//! facade, which re-exports everything here together with `#[trace]`.
//!
//! # The model
//!
//! A **trace** is the journey of one request; a [`TraceId`] connects its
//! parts. A **span** is one timed operation in a trace: a name, a
//! [`SpanKind`], start and end times, attributes ("tags"), events, links, a
//! [`Status`] and a parent. Spans form a tree through their parents, also
//! across threads, tasks and (through propagated [`SpanContext`]s) services.
//!
//! Each thread has a **current span**. A new span is a child of the current
//! one unless told otherwise. [`Span::entered`], [`in_span`] and the
//! `#[trace]` attribute make a span current for a scope; for futures,
//! [`FutureExt::in_span`] makes it current on every poll. [`current_span()`],
//! [`current_trace_id()`] and [`current_span_id()`] work from anywhere.
//!
//! A **sampler** decides, when a trace starts, whether it is recorded.
//! Unrecorded spans cost a thread-local check and nothing else. Recorded
//! spans go, when finished, to the **span processors** of the installed
//! [`TracerProvider`], which hand them to **exporters**: the console, JSON
//! lines, memory, `log`, or a collector. A provider can also be built
//! without installing it and made the default for a thread, a closure or a
//! future ([`TracerProvider::set_default`], `in_scope`, `scope`): what a
//! test does, and what the `testing` feature's `testing::capture` wraps.
//!
//! ```
//! use tracer_core::export::InMemoryExporter;
//! use tracer_core::{in_span, Span, TracerProvider};
//!
//! let exporter = InMemoryExporter::new();
//! let _guard = TracerProvider::builder()
//!     .with_simple_exporter(exporter.clone())
//!     .install()
//!     .unwrap();
//!
//! {
//!     let order = Span::new("order_processing").entered();
//!     order.set_tag("order_id", "ord_123");
//!     in_span("payment_processing", |payment| payment.set_tag("amount", 99.99));
//! }
//!
//! let spans = exporter.spans();
//! let order = spans.iter().find(|s| s.name == "order_processing").unwrap();
//! let payment = spans.iter().find(|s| s.name == "payment_processing").unwrap();
//! assert_eq!(payment.parent_span_id, Some(order.span_id()));
//! assert_eq!(payment.trace_id(), order.trace_id());
//! ```
//!
//! # Cost
//!
//! Starting and finishing a span with a static name and up to four
//! attributes allocates nothing, takes no lock and touches no atomic shared
//! between threads: the record goes into a thread-local buffer, which is
//! handed to the processors as one [`SpanBatch`](processor::SpanBatch) when
//! the thread's outermost span ends.

//!
//! # Paths
//!
//! The types of the model and the span handles are at the crate root;
//! families of parts are in modules: [`export`], [`processor`],
//! [`sampler`], [`propagation`], [`env`](mod@env), `http`, `logging`, `bridge` and `testing`. The three
//! functions most programs call, [`init_from_env`], [`inject_context`] and
//! [`extract_context`], are also at the root, deliberately: they are the
//! same items as in their modules.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Plain data, then the runtime, then what it hands spans to. Each module
// imports only from those listed before it (CI checks for cycles).
#[cfg(feature = "tracing")]
pub mod bridge;
mod buffer;
mod clock;
mod diag;
pub mod env;
pub mod export;
mod future;
#[cfg(feature = "tonic")]
pub mod grpc;
#[cfg(feature = "tower")]
pub mod http;
mod install;
#[cfg(feature = "log")]
pub mod logging;
mod model;
pub mod processor;
pub mod propagation;
mod provider;
#[cfg(feature = "reqwest")]
pub mod reqwest;
mod runtime;
pub mod sampler;
mod scoped;
mod span;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use env::init_from_env;
pub use future::{FutureExt, Instrumented, OutputRecorder, WithContext};
pub use install::{ProviderGuard, force_flush, init, shutdown};
pub use model::{
    Array, Attributes, Event, Key, KeyValue, Link, ParseIdError, Resource, ResourceBuilder, SpanContext, SpanData,
    SpanId, SpanKind, SpanLimits, Status, TraceFlags, TraceId, TraceState, TraceStateError, Value,
};
pub use propagation::{extract_context, inject_context};
pub use provider::{DEFAULT_FLUSH_TIMEOUT, InstallError, ProviderBuilder, ProviderStats, TracerProvider};
pub use scoped::{DefaultGuard, WithProvider};
pub use span::{
    ContextGuard, EnteredSpan, Span, SpanBuilder, SpanRef, attach, current_context, current_span, current_span_id,
    current_trace_id, in_span, with_current_context,
};
