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
//! lines, memory, `log`, or a collector.
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
//! handed to the processors as one batch when the thread's outermost span
//! ends. See the `current` module docs in the source for the details.

#![warn(missing_docs)]

pub mod clock;
pub mod context;
mod current;
mod diag;
pub mod env;
pub mod export;
pub mod future;
#[cfg(feature = "tower")]
pub mod http;
mod id;
#[cfg(feature = "log")]
pub mod logging;
pub mod processor;
pub mod propagation;
pub mod provider;
pub mod resource;
pub mod sampler;
mod span;
mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use context::{SpanContext, TraceFlags, TraceState, TraceStateError};
pub use current::{
    attach, current_context, current_span, current_span_id, current_trace_id, in_span, ContextGuard, EnteredSpan,
    SpanRef, LOCAL_BATCH_LIMIT,
};
pub use env::init_from_env;
pub use future::{FutureExt, Instrumented, WithContext};
pub use id::{ParseIdError, SpanId, TraceId};
pub use propagation::{extract_context, inject_context};
pub use provider::{
    force_flush, init, shutdown, InstallError, ProviderBuilder, ProviderGuard, ProviderStats, TracerProvider,
};
pub use resource::Resource;
pub use span::{Attributes, Event, Link, Span, SpanBuilder, SpanData, SpanKind, SpanLimits, Status};
pub use value::{Array, Key, KeyValue, Value};
