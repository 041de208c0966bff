//! Spans: one timed operation inside a trace.
//!
//! A span has a name, a [`SpanKind`](crate::SpanKind), start and end times, typed attributes
//! ("tags"), timestamped [`Event`](crate::Event)s, [`Link`](crate::Link)s to other spans, a [`Status`](crate::Status),
//! and a parent. While it is open you change it through a handle:
//!
//! - [`Span`]: an owned span. It can move between threads and into futures;
//!   it is finished by [`Span::finish`] or when dropped.
//! - [`EnteredSpan`](crate::EnteredSpan): a span that is *current* on this
//!   thread until the guard drops. New spans become its children.
//! - [`SpanRef`](crate::SpanRef): a handle on the current span, from
//!   [`current_span()`](crate::current_span), usable from anywhere.
//!
//! All three offer the same methods. When a span is not recorded (no
//! provider installed, or not sampled) every method does nothing.
//!
//! A finished span becomes a [`SpanData`](crate::SpanData), the record that processors and
//! exporters receive.

mod attach;
mod builder;
mod current;
mod entered;
mod methods;
mod owned;

pub use attach::{ContextGuard, attach, with_current_context};
pub use builder::SpanBuilder;
pub use current::{SpanRef, current_context, current_span, current_span_id, current_trace_id, in_span};
pub use entered::EnteredSpan;
pub use owned::Span;
