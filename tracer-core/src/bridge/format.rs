//! Trace ids on `tracing_subscriber::fmt` lines.

use std::fmt;

use tracing_core::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::layer::bridged;
use crate::model::SpanContext;
use crate::span::current_context;

/// A `tracing_subscriber::fmt` event format that starts each line with the
/// event's `trace_id=… span_id=…`, then writes the line as the format it
/// wraps does (by default, `fmt`'s own). The ids are those of the span the
/// event lands on: its explicit parent, or else tracer's current span
/// (a `tracing` span the bridge records, or a tracer span inside it). A
/// line outside any span has no ids.
///
/// With `tracing_log::LogTracer` as the `log` facade's logger (what
/// `tracing_subscriber`'s `init()` installs with its `tracing-log` feature),
/// `log` records become `tracing` events and get the ids the same way.
///
/// Available with the `tracing` feature.
///
/// ```
/// use tracing_subscriber::prelude::*;
/// use tracer_core::bridge::TraceIdFormat;
///
/// let subscriber = tracing_subscriber::registry()
///     .with(tracer_core::bridge::layer())
///     .with(tracing_subscriber::fmt::layer().event_format(TraceIdFormat::new()));
/// let _default = tracing::subscriber::set_default(subscriber);
/// // trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 2026-…  INFO app: paid
/// ```
#[derive(Clone, Debug)]
pub struct TraceIdFormat<F = Format> {
    inner: F,
}

impl TraceIdFormat {
    /// Ids before `fmt`'s default format.
    ///
    /// ```
    /// let format = tracer_core::bridge::TraceIdFormat::new();
    /// ```
    pub fn new() -> TraceIdFormat {
        TraceIdFormat {
            inner: Format::default(),
        }
    }
}

impl Default for TraceIdFormat {
    fn default() -> TraceIdFormat {
        TraceIdFormat::new()
    }
}

impl<F> TraceIdFormat<F> {
    /// Ids before the lines `inner` writes, for example a configured
    /// `fmt::format()`.
    ///
    /// ```
    /// use tracer_core::bridge::TraceIdFormat;
    ///
    /// let format = TraceIdFormat::wrap(tracing_subscriber::fmt::format().without_time().with_target(false));
    /// ```
    pub fn wrap(inner: F) -> TraceIdFormat<F> {
        TraceIdFormat { inner }
    }
}

/// The context of the span `event` lands on.
fn event_context<S, N>(ctx: &FmtContext<'_, S, N>, event: &Event<'_>) -> Option<SpanContext>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    if event.is_root() {
        return None;
    }
    match event.parent() {
        Some(parent) => bridged(&ctx.span(parent)?)?.context().cloned(),
        None => current_context(),
    }
}

impl<S, N, F> FormatEvent<S, N> for TraceIdFormat<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        if let Some(context) = event_context(ctx, event) {
            write!(writer, "trace_id={} span_id={} ", context.trace_id(), context.span_id())?;
        }
        self.inner.format_event(ctx, writer, event)
    }
}
