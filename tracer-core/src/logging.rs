//! Integration with the `log` facade (feature `log`).
//!
//! - [`TraceLogger`] wraps your logger (`env_logger`, `fern`, ...): every
//!   record logged inside a span carries `trace_id` and `span_id` as
//!   key-values, so your log lines can be joined with traces. Optionally,
//!   records also become events on the current span.
//! - [`LogExporter`] writes each finished span as one log record (the
//!   Python tracers' `LoggingSpanExporter`).
//! - [`LogProcessor`] logs spans as they start and end, synchronously (the
//!   Python tracers' `LoggingSpanProcessor`).
//!
//! ```no_run
//! use tracer_core::logging::TraceLogger;
//!
//! # struct MyLogger;
//! # impl log::Log for MyLogger {
//! #     fn enabled(&self, _: &log::Metadata) -> bool { true }
//! #     fn log(&self, _: &log::Record) {}
//! #     fn flush(&self) {}
//! # }
//! // With env_logger: TraceLogger::new(env_logger::Builder::from_default_env().build())
//! TraceLogger::new(MyLogger).install(log::LevelFilter::Info).unwrap();
//! log::info!("operation_started"); // carries trace_id=… span_id=… inside a span
//! ```

use std::fmt::Write as _;

use ::log::kv::{self, Key, Source, VisitSource};
use ::log::{Level, LevelFilter, Log, Metadata, Record};

use crate::export::{ExportError, SpanExporter};
use crate::model::KeyValue;
use crate::model::{SpanData, Status};
use crate::processor::SpanProcessor;
use crate::span::{current_context, current_span};

/// A logger that adds the current trace and span ids to every record, then
/// passes it to the logger it wraps.
pub struct TraceLogger<L> {
    inner: L,
    span_events: bool,
}

impl<L: Log + 'static> TraceLogger<L> {
    /// Wraps `inner`.
    pub fn new(inner: L) -> TraceLogger<L> {
        TraceLogger {
            inner,
            span_events: false,
        }
    }

    /// Also adds each record logged inside a recorded span to that span, as
    /// an event named `log` with `log.severity`, `log.target` and
    /// `log.message`.
    pub fn with_span_events(mut self, enabled: bool) -> TraceLogger<L> {
        self.span_events = enabled;
        self
    }

    /// Installs this logger as the `log` facade's logger and sets the
    /// maximum level.
    pub fn install(self, max_level: LevelFilter) -> Result<(), ::log::SetLoggerError> {
        ::log::set_boxed_logger(Box::new(self))?;
        ::log::set_max_level(max_level);
        Ok(())
    }
}

/// The record's own key-values followed by the trace ids.
struct WithIds<'a> {
    record: &'a dyn Source,
    trace_id: String,
    span_id: String,
}

impl Source for WithIds<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), kv::Error> {
        self.record.visit(visitor)?;
        visitor.visit_pair(Key::from_str("trace_id"), kv::Value::from(self.trace_id.as_str()))?;
        visitor.visit_pair(Key::from_str("span_id"), kv::Value::from(self.span_id.as_str()))
    }
}

impl<L: Log> Log for TraceLogger<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.inner.enabled(record.metadata()) {
            return;
        }
        let Some(context) = current_context() else {
            self.inner.log(record);
            return;
        };
        if self.span_events {
            let span = current_span();
            if span.is_recording() {
                span.add_event(
                    "log",
                    [
                        KeyValue::new("log.severity", record.level().as_str()),
                        KeyValue::new("log.target", record.target().to_string()),
                        KeyValue::new("log.message", record.args().to_string()),
                    ],
                );
            }
        }
        let ids = WithIds {
            record: record.key_values(),
            trace_id: context.trace_id().to_string(),
            span_id: context.span_id().to_string(),
        };
        self.inner.log(&record.to_builder().key_values(&ids).build());
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// The one-line text of a finished span, shared by the exporter and the
/// processor.
fn describe(span: &SpanData) -> String {
    let mut line = format!(
        "span {} trace_id={} span_id={}",
        span.name,
        span.trace_id(),
        span.span_id()
    );
    if let Some(parent) = span.parent_span_id {
        let _ = write!(line, " parent_id={parent}");
    }
    let _ = write!(line, " kind={} duration={:?}", span.kind.as_str(), span.duration());
    match &span.status {
        Status::Unset => {}
        Status::Ok => line.push_str(" status=ok"),
        Status::Error { message } => {
            let _ = write!(line, " status=error message={message:?}");
        }
    }
    for kv in span.attributes.iter() {
        let _ = write!(line, " {}={}", kv.key, kv.value);
    }
    for event in &span.events {
        let _ = write!(line, " event={}", event.name);
    }
    line
}

fn level_of(span: &SpanData) -> Level {
    if span.status.is_error() {
        Level::Warn
    } else {
        Level::Info
    }
}

/// Writes each finished span as one `log` record, target `tracer::span`
/// (level `Warn` for error spans, `Info` otherwise).
///
/// ```
/// use tracer_core::logging::LogExporter;
/// use tracer_core::processor::{BatchConfig, BatchSpanProcessor};
///
/// // Log each span, from the export thread, in batches.
/// let processor = BatchSpanProcessor::new(LogExporter::new(), BatchConfig::default());
/// # drop(processor);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogExporter;

impl LogExporter {
    /// A log exporter.
    pub fn new() -> LogExporter {
        LogExporter
    }
}

impl SpanExporter for LogExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        for span in batch {
            ::log::log!(target: "tracer::span", level_of(span), "{}", describe(span));
        }
        Ok(())
    }
}

/// Logs each span when it starts (`Debug`) and ends (like [`LogExporter`]),
/// on the thread that handles it.
///
/// ```
/// use tracer_core::logging::LogProcessor;
/// use tracer_core::TracerProvider;
///
/// let builder = TracerProvider::builder().with_processor(LogProcessor::new());
/// # drop(builder);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogProcessor;

impl LogProcessor {
    /// A log processor.
    pub fn new() -> LogProcessor {
        LogProcessor
    }
}

impl SpanProcessor for LogProcessor {
    fn wants_on_start(&self) -> bool {
        true
    }

    fn on_start(&self, span: &mut SpanData) {
        if !::log::log_enabled!(target: "tracer::span", Level::Debug) {
            return;
        }
        ::log::debug!(
            target: "tracer::span",
            "span started {} trace_id={} span_id={}",
            span.name,
            span.trace_id(),
            span.span_id()
        );
    }

    fn on_end(&self, span: SpanData) {
        ::log::log!(target: "tracer::span", level_of(&span), "{}", describe(&span));
    }
}
