//! The `tracing` bridge: spans and events from the tokio ecosystem
//! (`tracing`'s macros, `#[instrument]`, tower-http, hyper, sqlx, ...)
//! join tracer's traces.
//!
//! Available with the `tracing` feature.
//!
//! [`layer()`] is a `tracing_subscriber` layer. Add it to the registry and
//! install a tracer provider as usual:
//!
//! ```
//! use tracing_subscriber::prelude::*;
//!
//! let _tracer = tracer_core::init(); // or TracerProvider::builder()...install()
//! tracing_subscriber::registry().with(tracer_core::bridge::layer()).init();
//!
//! #[tracing::instrument]
//! fn load(id: u64) -> u64 {
//!     tracing::info!(rows = 3, "loaded");
//!     let span = tracer_core::Span::new("decode").entered(); // a child of `load`
//!     id
//! }
//! load(7);
//! ```
//!
//! # One trace, both ways
//!
//! A `tracing` span becomes a tracer span when it is created, and is
//! current for tracer while it is entered, on whichever thread enters it:
//! a `tracing` span made while a tracer span is current is its child, and
//! a tracer span (`#[trace]`, `in_span`, `Span::new(..).entered()`) started
//! inside an entered `tracing` span is that span's child.
//! [`current_span()`](crate::current_span),
//! [`current_trace_id()`](crate::current_trace_id) and
//! [`inject_context`](crate::inject_context) see the `tracing` span, so
//! the HTTP client layer propagates from inside `#[instrument]` code.
//!
//! A span's start is its creation and its end its close (the last handle
//! dropped), wherever that happens; entering and exiting, any number of
//! times, on any thread (an `.instrument(span)` future on a work-stealing
//! runtime), only make it current. Its parent is its nearest ancestor the
//! layer sees: a span filtered out (by an `EnvFilter`, or a per-layer
//! filter on this layer) costs nothing here and breaks no chain.
//!
//! # Fields
//!
//! Fields become attributes, typed: `i64`, `u64` (a string above
//! `i64::MAX`), `f64`, `bool` and `&str` as themselves, anything else as its
//! `Debug` (or, with `%`, `Display`) text. Fields recorded later with
//! `tracing::Span::record` are added then. Each span also carries
//! `code.namespace` (the module path), `code.filepath`, `code.lineno` and
//! `target` ([`BridgeLayer::with_location`], [`BridgeLayer::with_target`]
//! turn them off). These fields mean what they do to tracing-opentelemetry:
//!
//! | field | effect |
//! |---|---|
//! | `otel.name` | the span's name |
//! | `otel.kind` | its kind: `server`, `client`, `producer`, `consumer` or `internal` |
//! | `otel.status_code` | `ok` or `error` |
//! | `otel.status_message` | the message of an `error` status (also `otel.status_description`) |
//! | `error` | status `Error`, with the field's text as the message (and kept as an attribute) |
//!
//! # Events
//!
//! An event becomes an event of the span it happens in (its explicit
//! parent, or else tracer's current span, which may be a tracer span inside
//! a `tracing` one). Its name is the message (or, without one, `tracing`'s
//! name for it, `event file:line`), its attributes are its fields, plus
//! `level` and `target`. With
//! [`with_error_events_fail_span(true)`](BridgeLayer::with_error_events_fail_span),
//! an `ERROR` event marks its span as failed. An event outside any span is
//! dropped and counted: see [`BridgeLayer::dropped_events`].
//!
//! # `log`, `tracing` and tracer together
//!
//! `tracing_subscriber`'s `init()`, with its `tracing-log` feature (on by
//! default), makes `tracing_log::LogTracer` the `log` facade's logger: `log`
//! records become `tracing` events, which this layer adds to the current
//! span like any other. In that setup use `LogTracer` and not tracer's
//! `TraceLogger`: the facade takes one logger, and installing both fails
//! (`init()` panics with `SetLoggerError`). To put the ids on every line,
//! format with [`TraceIdFormat`]:
//!
//! ```
//! use tracing_subscriber::prelude::*;
//! use tracer_core::bridge::{self, TraceIdFormat};
//!
//! tracing_subscriber::registry()
//!     .with(bridge::layer())
//!     .with(tracing_subscriber::fmt::layer().event_format(TraceIdFormat::new()))
//!     .init(); // also installs LogTracer for `log`
//! ```
//!
//! `TraceLogger` is for programs whose `log` records go to a `log` logger
//! (`env_logger`, ...), with no `tracing_subscriber` claiming the facade.

mod dropped;
mod fields;
mod format;
mod layer;
mod span_pool;

pub use dropped::DroppedEvents;
pub use format::TraceIdFormat;
pub use layer::BridgeLayer;

/// The bridge's layer, with its defaults: code location and target on
/// spans, `ERROR` events do not fail their span. See the
/// [module docs](self).
///
/// Available with the `tracing` feature.
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// let subscriber = tracing_subscriber::registry().with(tracer_core::bridge::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let _span = tracing::info_span!("checkout").entered();
///     assert!(tracer_core::current_span_id().is_none()); // no provider installed here
/// });
/// ```
pub fn layer() -> BridgeLayer {
    BridgeLayer::new()
}
