//! **tracer**: see where the time goes in a request, across functions,
//! threads, async tasks and services.
//!
//! This is the crate applications depend on. It re-exports the runtime
//! ([`tracer_core`]) and the [`#[trace]`](macro@trace) attribute.
//!
//! ```
//! use tracer::{trace, Span, SpanKind};
//!
//! #[trace(kind = SpanKind::Server)]
//! fn checkout(order_id: u64) -> Result<u64, std::io::Error> {
//!     let span = Span::new("reserve_stock");
//!     span.set_tag("order_id", order_id);
//!     Ok(order_id)
//! }
//!
//! let _tracer = tracer::init(); // prints each trace as a tree
//! checkout(7).unwrap();
//! ```
//!
//! Read [`tracer_core`]'s crate docs for the model (spans, context,
//! sampling, processors, exporters).

#![warn(missing_docs)]

pub use tracer_core::*;

// The README's Rust examples compile and run as doctests, so that they
// cannot drift from the API (blocks marked `ignore` are fragments).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Instruments a function, method, or every method of an `impl` block with
/// a span.
///
/// The span is named after the function, is a child of the current span,
/// and is current for the whole body, across every `.await`. An `Err`
/// result sets the error status and adds an `exception` event; a panic
/// marks the span `panicked`. When the trace is not sampled, or no provider
/// is installed, the cost is a thread-local check.
///
/// Arguments, all optional:
///
/// | argument | meaning |
/// |---|---|
/// | `name = "checkout"` | the span name (default: the function's name) |
/// | `kind = SpanKind::Server` | the span kind (`Internal` by default) |
/// | `attributes(key = expr, "http.method" = expr)` | attributes, evaluated only when recorded; `tags(...)` is the same |
/// | `args(a, b)` | record these parameters as attributes (none by default) |
/// | `err = false` | do not record `Err` results |
/// | `ok = true` | set status `Ok` when the function succeeds |
/// | `root` | always start a new trace |
/// | `crate = path` | where the `tracer` crate is, for re-exporters |
///
/// On an `impl` block, every method with a body is instrumented; a method
/// marked `#[notrace]` is left alone, and a method's own `#[trace(...)]`
/// settings override the block's.
///
/// ```
/// use tracer::{trace, SpanKind};
///
/// #[trace(name = "checkout", kind = SpanKind::Server, args(user), attributes(cart.size = items.len()))]
/// async fn checkout(user: &str, items: Vec<u32>) -> Result<(), std::io::Error> {
///     Ok(())
/// }
///
/// struct Store;
///
/// #[trace]
/// impl Store {
///     fn lookup(&self, id: u32) -> Option<u32> { Some(id) }
///     #[notrace]
///     fn hot_helper(&self) {}
/// }
/// ```
pub use tracer_macros::trace;

/// Support for generated code. Not a public API.
#[doc(hidden)]
pub use tracer_core::__private;

/// The names most programs use: `use tracer::prelude::*;`.
pub mod prelude {
    pub use crate::{
        FutureExt, KeyValue, Span, SpanKind, Status, current_span, current_span_id, current_trace_id, in_span, trace,
    };
}
