//! The recipe for `log`, `tracing` and tracer together: tracing-subscriber's
//! `init()` makes `tracing_log::LogTracer` the `log` facade's logger (its
//! `tracing-log` feature), the bridge records `tracing` spans and events,
//! `log` records included, and `TraceIdFormat` puts the ids on every line.
//! tracer's `TraceLogger` is not installed: the facade takes one logger.
//!
//! A binary of its own: it sets the global logger and subscriber.
#![cfg(all(feature = "tracing", feature = "log"))]

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracer::bridge::TraceIdFormat;
use tracer::export::InMemoryExporter;
use tracer::{Span, SpanData, TracerProvider, Value, in_span};
use tracing_subscriber::prelude::*;

/// The lines the `fmt` layer writes.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one span named {name:?}");
    found[0]
}

#[test]
fn log_records_tracing_events_and_tracer_spans_share_the_ids() {
    let exporter = InMemoryExporter::new();
    let _guard = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .install()
        .expect("the only provider in this binary");
    let lines = Lines::default();
    let writer = lines.clone();
    let format = TraceIdFormat::wrap(tracing_subscriber::fmt::format().without_time().with_ansi(false));
    // `init()` also installs `LogTracer` for `log`: no `SetLoggerError`.
    tracing_subscriber::registry()
        .with(tracer::bridge::layer())
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(format)
                .with_writer(move || writer.clone()),
        )
        .init();

    log::info!("before any span");
    let (root_ids, request_ids) = {
        let root = Span::root("job").entered();
        log::info!(target: "billing", "from log");
        tracing::info!(amount = 5, "from tracing");
        let root_ids = (root.trace_id().unwrap(), root.span_id().unwrap());
        let request = tracing::info_span!("request");
        let request_ids = request.in_scope(|| {
            log::warn!("log inside a tracing span");
            in_span("step", |step| {
                tracing::debug!("tracing inside a tracer span");
                step.span_id().unwrap()
            });
            (tracer::current_trace_id().unwrap(), tracer::current_span_id().unwrap())
        });
        (root_ids, request_ids)
    };

    // The facade is taken: tracer's `TraceLogger` cannot be installed too.
    struct Nowhere;
    impl log::Log for Nowhere {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, _: &log::Record<'_>) {}
        fn flush(&self) {}
    }
    let second = tracer::logging::TraceLogger::new(Nowhere).install(log::LevelFilter::Info);
    assert!(second.is_err(), "the log facade takes one logger");

    let text = lines.text();
    let lines: Vec<&str> = text.lines().collect();
    let (trace_id, root_id) = root_ids;
    let (_, request_id) = request_ids;
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0], " INFO bridge_log: before any span");
    assert_eq!(
        lines[1],
        format!("trace_id={trace_id} span_id={root_id}  INFO billing: from log")
    );
    assert_eq!(
        lines[2],
        format!("trace_id={trace_id} span_id={root_id}  INFO bridge_log: from tracing amount=5")
    );
    assert_eq!(
        lines[3],
        format!("trace_id={trace_id} span_id={request_id}  WARN request: bridge_log: log inside a tracing span")
    );
    let spans = exporter.trace(trace_id);
    let step = one(&spans, "step");
    assert_eq!(
        lines[4],
        format!(
            "trace_id={trace_id} span_id={} DEBUG request: bridge_log: tracing inside a tracer span",
            step.span_id()
        )
    );

    // The same records are events of their spans.
    let job = one(&spans, "job");
    let names: Vec<&str> = job.events.iter().map(|e| &*e.name).collect();
    assert_eq!(names, ["from log", "from tracing"]);
    assert_eq!(
        job.events[0].attribute("target"),
        Some(&Value::from("billing".to_string()))
    );
    assert_eq!(job.events[0].attribute("level"), Some(&Value::from("INFO")));
    assert_eq!(job.events[1].attribute("amount"), Some(&Value::I64(5)));
    let request = one(&spans, "request");
    assert_eq!(request.span_id(), request_id);
    assert_eq!(request.events.len(), 1);
    assert_eq!(request.events[0].name, "log inside a tracing span");
    assert_eq!(request.events[0].attribute("level"), Some(&Value::from("WARN")));
    // `log.*` fields are the record's metadata, not attributes.
    assert!(
        request.events[0]
            .attributes
            .iter()
            .all(|kv| !kv.key.as_str().starts_with("log."))
    );
    assert_eq!(step.events[0].name, "tracing inside a tracer span");
}
